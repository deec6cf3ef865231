"""Chapter 04: the borough against London - risk factors (Census 2021, deprivation, child
poverty) and young people at risk (DfE LA Interactive Tool, NEET).

Decisions
---------
* "Worse" or "better than London" only with a denominator and an interval (issue 20):
  a proportion whose numerator and denominator are known gets a Wilson 95% interval and a
  two-proportion z-test against London (:func:`compare_proportion`); a rate with a Census
  denominator gets its Poisson 95% interval, which must exclude the London value. Where the
  publisher gives no cohort size the comparison is "cannot be judged" and the text says so;
  a value resting on fewer than :data:`SMALL` people is labelled a small number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna.metrics import rate_ci
from sna.proportions import SMALL, compare, compare_proportion
from sna.safe import md_esc
from sna.sections.ward_data import lsoa_population
from sna.sections.wards import num


def _ltla_ages(population: pd.DataFrame) -> pd.DataFrame:
    """LTLA rows -> the age groups of :data:`sna.sections.wards.AGE_GROUPS` per code."""
    ltla = population[population["level"] == "ltla"].assign(level="lsoa")
    return lsoa_population(ltla).rename(columns={"lsoa_code": "code"}).set_index("code")


def _row(factor, area, london, unit, source, year, higher_is_worse=True, lower=np.nan,
         upper=np.nan, note="", test: dict | None = None):
    """One risk-factor row; ``test`` (from :func:`compare_proportion`) overrides the CI rule."""
    if test is None:
        comparison, basis = compare(area, london, higher_is_worse, lower, upper)
        test = {"comparison": comparison, "basis": basis, "area_lower": lower,
                "area_upper": upper, "p_value": np.nan, "denominator": np.nan,
                "small_numbers_flag": False}
    return {"factor": factor, "area_value": round(float(area), 2),
            "london_value": round(float(london), 2), "unit": unit,
            "comparison": test["comparison"], "basis": test["basis"], "source": source,
            "year": year, "note": note, "area_lower": _r(test["area_lower"]),
            "area_upper": _r(test["area_upper"]), "p_value": test["p_value"],
            "denominator": test["denominator"], "small_numbers_flag": test["small_numbers_flag"]}


def _r(v: float) -> float:
    return round(float(v), 2) if np.isfinite(v) else np.nan


def _prop_row(factor, k, n, k_london, n_london, unit, source, year, note=""):
    test = compare_proportion(k, n, k_london, n_london)
    return _row(factor, k / n * 100, k_london / n_london * 100, unit, source, year, note=note,
                test=test)


def census_factors(population: pd.DataFrame, census: pd.DataFrame | None,
                   area_code: str) -> list[dict]:
    """Census 2021 shares, the area against London (sum of the 33 E09 areas)."""
    ages = _ltla_ages(population)
    london = ages[ages.index.str.startswith("E09")].sum()
    a = ages.loc[area_code] if area_code in ages.index else None
    rows = []
    if a is not None:
        rows.append(_prop_row("Young people aged 10-24 (share of residents)",
                              a["pop_10_24"], a["population"], london["pop_10_24"],
                              london["population"], "% of residents", "Census 2021 TS007A",
                              "2021",
                         note="More young residents means more people in the age group most "
                              "involved in serious violence, as victims and offenders."))
    if census is None:
        return rows
    specs = [("TS066", "Economically inactive residents aged 16+", r"^Economically inactive$",
              None),
             ("TS066", "Unemployment (% of economically active residents)", r": Unemployed$",
              r"^Economically active[^:]*$"),
             ("TS011", "Households deprived in two or more dimensions",
              r"deprived in (?:two|three|four) dimensions", None),
             ("TS067", "Residents aged 16+ with no qualifications", r"^No qualifications$", None)]
    for table, factor, num_pat, den_pat in specs:
        row = _census_share(census, table, num_pat, den_pat, area_code)
        if row is not None:
            rows.append(_prop_row(factor, *row, "%", f"Census 2021 {table}", "2021"))
    return rows


def _census_share(census, table, num_pat, den_pat, area_code):
    t = census[(census["table"] == table) & (census["level"] == "ltla")]
    if t.empty or area_code not in set(t["geography_code"]):
        return None
    num = t[t["category"].str.contains(num_pat, regex=True)]
    den = t[t["category"].str.contains(den_pat, regex=True)] if den_pat else t[t["is_total"]]
    n, d = num.groupby("geography_code")["value"].sum(), den.groupby("geography_code")["value"].sum()
    ldn = [c for c in d.index if c.startswith("E09")]
    return n.get(area_code, np.nan), d[area_code], n[ldn].sum(), d[ldn].sum()


def deprivation_factor(imd: pd.DataFrame, area_code: str) -> list[dict]:
    """Share of the area's LSOAs among the 20% most deprived in England, against London."""
    for edition in ("IoD2025", "IoD2019"):
        d = imd[(imd["edition"] == edition) & (imd["domain"] == "imd")]
        if area_code in set(d["lad_code"]):
            here = d.loc[d["lad_code"] == area_code, "decile"]
            ldn = d.loc[d["lad_code"].str.startswith("E09"), "decile"]
            return [_prop_row("Neighbourhoods (LSOAs) in the 20% most deprived in England",
                              (here <= 2).sum(), len(here), (ldn <= 2).sum(), len(ldn),
                              "% of LSOAs", f"English Indices of Deprivation ({edition})",
                              edition[-4:])]
    return []


def child_poverty_factor(clif: pd.DataFrame, population: pd.DataFrame, area: str,
                         area_code: str) -> list[dict]:
    """Children (under 16) in relative low-income families as % of Census residents 0-15."""
    ages = _ltla_ages(population)
    ldn = ages[ages.index.str.startswith("E09")]
    if area_code not in ages.index or "borough" not in clif:
        return []
    k = clif.loc[clif["borough"] == area, "children"].sum()
    period = str(clif["period"].iloc[0]) if "period" in clif else ""
    return [_prop_row("Children in relative low-income families (under 16)", k,
                      ages.loc[area_code, "pop_0_15"], clif["children"].sum(),
                      ldn["pop_0_15"].sum(), "% of children (estimate)", "DWP/HMRC Children "
                      "in low income families; Census 2021 denominator", period,
                 note="The denominator is the 2021 Census count of children, an estimate.")]


LAIT = {  # id -> (label, unit, higher_is_worse, (population column, per) for a CI or None)
    "FirstYJS": ("First-time entrants to the youth justice system",
                 "per 100,000 aged 10-17", True, ("pop_10_17", 100_000)),
    "ReoffYO": ("Proven re-offending by young people", "% of young offenders", True, None),
    "TotPermEx": ("Permanent exclusions from school", "% of pupils", True, None),
    "TotFixedEx": ("Suspensions (fixed-period exclusions) from school", "% of pupils", True,
                   None),
    "16-17 NEET": ("16-17 year olds not in education, employment or training (NEET)",
                   "% of 16-17 year olds", True, None),
    "CIN": ("Children in need", "per 10,000 children", True, ("pop_0_17", 10_000)),
}
LAIT_NOTES = {"ReoffYO": "Small numbers: the cohort is a few dozen young people, so one or two "
                         "people move the rate by several points; the publisher gives no "
                         "cohort size, so the difference from London cannot be judged."}
SMALL_COHORT = {"ReoffYO"}
"""LAIT indicators known to rest on small cohorts (labelled small numbers)."""


def young_people(lait: pd.DataFrame, population: pd.DataFrame, area: str, area_code: str,
                 neighbours) -> pd.DataFrame:
    """Latest DfE LAIT value of each :data:`LAIT` indicator: the area, London, England,
    statistical neighbours (mean) and the London rank (``tables/young_people.csv``)."""
    ages = _ltla_ages(population)
    rows = []
    for ind, (name, unit, worse_high, ci) in LAIT.items():
        d = lait[lait["indicator"] == ind]
        a = d[(d["area_name"] == area) & d["value"].notna()]
        if a.empty:
            continue
        year = a["year"].max()
        y = d[d["year"] == year].set_index("area_name")["value"]
        boroughs = d[(d["year"] == year) & d["region"].notna()].set_index("area_name")["value"]
        lo = hi = events = np.nan
        if ci and area_code in ages.index:
            pop = ages.loc[area_code, ci[0]]
            events = y[area] * pop / ci[1]
            _, lo, hi = rate_ci(events, pop, ci[1])
        comparison, basis = compare(y[area], y.get("London", np.nan), worse_high, lo, hi)
        nb = y.reindex(list(neighbours))
        rows.append({"indicator": ind, "label": name, "unit": unit, "year": int(year),
                     "year_label": a.loc[a["year"] == year, "year_label"].iloc[0],
                     "area_value": y[area], "london_value": y.get("London", np.nan),
                     "neighbours_mean": nb.mean(), "neighbours_areas": int(nb.notna().sum()),
                     "neighbours_listed_areas": len(nb),
                     "london_rank": int(boroughs.rank(method="min")[area]),
                     "london_areas": int(boroughs.notna().sum()),
                     "comparison": comparison, "basis": basis,
                     "area_lower": _r(lo), "area_upper": _r(hi), "p_value": np.nan,
                     "denominator": pop if ci and area_code in ages.index else np.nan,
                     "small_numbers_flag": bool(ind in SMALL_COHORT or (np.isfinite(events)
                                                                   and events < SMALL)),
                     "note": LAIT_NOTES.get(ind, "")})
    return pd.DataFrame(rows)


def neet_row(neet: pd.DataFrame, area: str, neighbours) -> dict | None:
    """'NEET or activity not known' (16-17), latest year: the area against London, with the
    cohort (``Cohort_DJFavg``, the December-February average of 16-17 year olds known to the
    local authority) as denominator for a Wilson interval and a two-proportion test."""
    d = neet[neet["measure"] == "NEET_not_known_percent"]
    a = d[(d["la_name"] == area) & d["value"].notna()]
    if a.empty:
        return None
    year = a["time_period"].max()
    y = d[d["time_period"] == year]
    is_ldn = (y["geographic_level"] == "Regional") & (y["region_name"] == "London")
    ldn = float(y.loc[is_ldn, "value"].iloc[0]) if is_ldn.any() else np.nan
    value = float(a.loc[a["time_period"] == year, "value"].iloc[0])
    cohort = neet[(neet["measure"] == "Cohort_DJFavg") & (neet["time_period"] == year)]
    n = cohort.loc[cohort["la_name"] == area, "value"].astype(float)
    c_ldn = cohort[(cohort["geographic_level"] == "Regional")
                   & (cohort["region_name"] == "London")]["value"].astype(float)
    if len(n) and len(c_ldn) and np.isfinite(ldn):
        n0, n1 = float(n.iloc[0]), float(c_ldn.iloc[0])
        test = compare_proportion(value / 100 * n0, n0, ldn / 100 * n1, n1)
    else:
        comparison, basis = compare(value, ldn)
        test = {"comparison": comparison, "basis": basis, "area_lower": np.nan,
                "area_upper": np.nan, "p_value": np.nan, "denominator": np.nan,
                "small_numbers_flag": False}
    nb = y[y["la_name"].isin(list(neighbours))]["value"]
    return {"indicator": "NEET_not_known_percent",
            "label": "16-17 year olds NEET or whose activity is not known",
            "unit": "% of 16-17 year olds", "year": int(year), "year_label": str(year),
            "area_value": value, "london_value": ldn,
            "neighbours_mean": float(nb.mean()), "neighbours_areas": int(nb.notna().sum()),
            "neighbours_listed_areas": len(list(neighbours)), **{k: (_r(v) if k.startswith("area_")
                                                          else v) for k, v in test.items()},
            "note": "Counts derived from the published percentage (1 decimal) and cohort."}


def trend_frame(lait: pd.DataFrame, area: str, neighbours, years: int = 8) -> pd.DataFrame:
    """Long frame for :func:`sna.plots.panel_lines`: each LAIT indicator's values for the area,
    London and the statistical neighbours' mean over the last ``years`` years."""
    d = lait[lait["indicator"].isin(LAIT)]
    d = d[d["year"] > d["year"].max() - years]
    nb = (d[d["area_name"].isin(list(neighbours))].groupby(["indicator", "year"], as_index=False)
          ["value"].mean().assign(area_name="Statistical neighbours (average)"))
    out = pd.concat([d[d["area_name"].isin([area, "London"])], nb], ignore_index=True)
    out = out.dropna(subset=["value"])
    return pd.DataFrame({"panel": out["indicator"].map(lambda i: f"{LAIT[i][0]} ({LAIT[i][1]})"),
                         "x": out["year"].astype(int), "value": out["value"],
                         "series": out["area_name"]})


EXTRA = ("area_lower", "area_upper", "p_value", "denominator", "small_numbers_flag")
"""Columns added by issue 20: the area's 95% interval, the test's p-value, the denominator
(cohort or population) and the small-number label."""


def risk_factors(ch, young: pd.DataFrame) -> pd.DataFrame:
    """Every borough-level risk factor against London (``tables/risk_factors.csv``):
    ``factor, area_value, london_value, unit, comparison`` ('worse than London' | 'better than
    London' | 'similar'), then ``basis, source, year, note``."""
    cfg = ch.cfg
    population = ch.load("population").frame
    census = ch.load("census").frame if ch.has("census") else None
    rows = census_factors(population, census, cfg.area.code)
    if ch.has("imd"):
        rows += deprivation_factor(ch.load("imd").frame, cfg.area.code)
    if ch.has("clif"):
        rows += child_poverty_factor(ch.load("clif").frame, population, cfg.area.name,
                                     cfg.area.code)
    for r in young.itertuples():
        rows.append({"factor": r.label, "area_value": round(float(r.area_value), 2),
                     "london_value": round(float(r.london_value), 2), "unit": r.unit,
                     "comparison": r.comparison, "basis": r.basis,
                     "source": "DfE LA Interactive Tool" if r.indicator in LAIT
                     else "DfE NEET and participation", "year": r.year_label, "note": r.note,
                     **{c: getattr(r, c, np.nan) for c in EXTRA}})
    cols = ["factor", "area_value", "london_value", "unit", "comparison", "basis", "source",
            "year", "note", *EXTRA]
    return pd.DataFrame(rows, columns=cols)


def young_people_all(ch) -> pd.DataFrame:
    """:func:`young_people` plus the NEET-or-not-known row (empty frame if neither source)."""
    cfg, parts = ch.cfg, []
    if ch.has("dfe_lait"):
        parts.append(young_people(ch.load("dfe_lait").frame, ch.load("population").frame,
                                  cfg.area.name, cfg.area.code, cfg.area.neighbours))
    if ch.has("neet"):
        row = neet_row(ch.load("neet").frame, cfg.area.name, cfg.area.neighbours)
        parts.append(pd.DataFrame([row] if row else []))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["indicator", "label", "unit", "year_label", "area_value", "london_value",
                 "comparison", "basis", "note"])


def _val(x: float) -> str:
    """A value for prose with enough precision: 146, 31.8, 0.036."""
    return num(x, 0) if abs(x) >= 100 else num(x, 1) if abs(x) >= 1 else f"{x:.2g}"


def factors_sentence(factors: pd.DataFrame, area: str) -> tuple[str, list[str]]:
    """Which factors are worse / better than London (Markdown) and the 'worse' factor names.

    Only a comparison with a denominator and an interval can be worse or better; the factors
    whose difference cannot be judged (no cohort size) and small numbers are named."""
    worse = factors[factors["comparison"] == "worse than London"]
    better = factors[factors["comparison"] == "better than London"]
    unjudged = factors[factors["comparison"] == "cannot be judged"]
    similar = factors[factors["comparison"] == "similar"]

    def _items(d):
        return "; ".join(f"{md_esc(r.factor)} ({_val(r.area_value)} against "
                         f"{_val(r.london_value)} {md_esc(r.unit)}"
                         f"{', small numbers' if _small(r) else ''})"
                         for r in d.itertuples()) or "none"
    verb = "is" if len(worse) == 1 else "are"
    text = (f"Of {len(factors)} risk factors compared with London, **{len(worse)} {verb} worse "
            f"in {md_esc(area)}**: {_items(worse)}. {len(better)} "
            f"{'is' if len(better) == 1 else 'are'} better: {_items(better)}. "
            f"{len(similar)} {'is' if len(similar) == 1 else 'are'} not significantly different "
            "(London inside the area's 95% interval, or a two-proportion test not significant "
            "at 5%).")
    if len(unjudged):
        text += (f" For {len(unjudged)} the difference cannot be judged, because the publisher "
                 f"gives no cohort size: {_items(unjudged)}.")
    return text, list(worse["factor"])


def _small(r) -> bool:
    v = getattr(r, "small_numbers_flag", False)
    return bool(v) if pd.notna(v) else False


def factors_display(factors: pd.DataFrame, area: str) -> pd.DataFrame:
    """Risk factors against London for display (with the area's 95% interval where known
    and a 'small numbers' label)."""
    ci = [f"{_val(lo)} to {_val(hi)}" if pd.notna(lo) and pd.notna(hi) else "-"
          for lo, hi in zip(factors.get("area_lower", pd.Series(np.nan, factors.index)),
                            factors.get("area_upper", pd.Series(np.nan, factors.index)),
                            strict=True)]
    small = factors.get("small_numbers_flag", pd.Series(False, factors.index)).fillna(False)
    return pd.DataFrame({"Risk factor": factors["factor"] + np.where(
                             small.astype(bool), " (small numbers)", ""),
                         area: factors["area_value"], "95% interval": ci,
                         "London": factors["london_value"], "Unit": factors["unit"],
                         "Compared with London": factors["comparison"],
                         "Year": factors["year"].astype(str), "Source": factors["source"]})


def _neighbours(young: pd.DataFrame) -> list[str]:
    """'24.5 (1 of 5 published)': the neighbours' average and how many published a value."""
    n = young.get("neighbours_areas", pd.Series(np.nan, young.index))
    of = young.get("neighbours_listed_areas", pd.Series(np.nan, young.index))
    return ["-" if pd.isna(m) else f"{_val(m)} ({int(k)} of {int(t)} published)"
            if pd.notna(k) and pd.notna(t) else _val(m)
            for m, k, t in zip(young["neighbours_mean"], n, of, strict=True)]


def young_display(young: pd.DataFrame, area: str) -> pd.DataFrame:
    """Young people indicators for display: area, London, neighbours, London rank."""
    rank = [f"{int(r)} of {int(n)}" if np.isfinite(r) else "" for r, n in
            zip(young.get("london_rank", pd.Series(np.nan, young.index)).astype(float),
                young.get("london_areas", pd.Series(np.nan, young.index)).astype(float),
                strict=True)]
    return pd.DataFrame({"Indicator": young["label"], "Unit": young["unit"],
                         "Year": young["year_label"].astype(str),
                         area: young["area_value"].round(2),
                         "London": young["london_value"].round(2),
                         "Statistical neighbours (average)": _neighbours(young),
                         "London rank (1 = lowest)": rank,
                         "Compared with London": young["comparison"]})
