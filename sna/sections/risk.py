"""Chapter 04 (risk and protective factors, vulnerable populations): tables, charts, sentences.

Functions take the chapter (to load sources) or frames and return frames, ``(fig, alt)``
tuples or Markdown sentences (data-derived words escaped). Nothing is written here.

Decisions
---------
* Deprivation: IoD2025 (LSOA 2021, matches the LSOA crime data) when supplied, else IoD2019
  matched on unchanged LSOA codes. Deciles are national (1 = most deprived 10% of England).
  ``deprivation_pct`` = national deprivation percentile (100 = most deprived LSOA).
* Ward factors: IoD2025 averaged over a ward's LSOAs weighted by residents; IoD2019 domains
  through the GLA LSOA 2011 -> ward 2022 weighted lookup (weights = population shares);
  child poverty = children in relative low income (DWP/HMRC CiLIF, under 16) / Census 2021
  residents aged 0-15 (an estimate: different years); young share = residents 10-24 / all.
* Associations are ecological (areas, not people) and say nothing about individuals.
* Borough vs London: a difference within 10% of the London value is "similar"; where the
  area's count can be derived (rates with a Census denominator) a 95% CI decides instead.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from sna import plots, spatial
from sna.metrics import rate_ci
from sna.safe import md_esc
from sna.sections import hotspots as hs

NATIONAL_LSOAS = {"IoD2019": 32844, "IoD2025": 33755}
DOMAINS = {"income": "Income deprivation", "employment": "Employment deprivation",
           "education": "Education and skills deprivation",
           "health": "Health deprivation and disability",
           "barriers": "Barriers to housing and services",
           "living_environment": "Living environment deprivation",
           "crime": "Crime domain (built partly from recorded crime)",
           "idaci": "Income deprivation affecting children (IDACI)"}
TOLERANCE = 0.10


# --- deprivation and LSOA profile ----------------------------------------------------------


def lsoa_deprivation(imd: pd.DataFrame, codes) -> tuple[pd.DataFrame, str]:
    """IMD rank, decile and national percentile for the LSOA 2021 ``codes``.

    Returns ``(frame, edition)``: ``lsoa_code, imd_rank, imd_decile, deprivation_pct``.
    IoD2025 is used when it covers the LSOAs; otherwise IoD2019 on identical LSOA codes
    (most LSOAs did not change in 2021; changed ones are left without a value).
    """
    codes = set(codes)
    for edition in ("IoD2025", "IoD2019"):
        d = imd[(imd["edition"] == edition) & (imd["domain"] == "imd")
                & imd["lsoa_code"].isin(codes)]
        if len(d):
            n = NATIONAL_LSOAS[edition]
            out = pd.DataFrame({"lsoa_code": d["lsoa_code"], "imd_rank": d["rank"].astype(float),
                                "imd_decile": d["decile"].astype(int)})
            out["deprivation_pct"] = 100 * (1 - (out["imd_rank"] - 1) / n)
            return out.reset_index(drop=True), edition
    return pd.DataFrame(columns=["lsoa_code", "imd_rank", "imd_decile", "deprivation_pct"]), ""


def lsoa_profile(ld, population: pd.DataFrame, imd: pd.DataFrame | None) -> pd.DataFrame:
    """One row per LSOA: serious violence (excl. sexual offences) count, residents, rates,
    young share and deprivation (``edition`` column says which IoD)."""
    d = ld.table[ld.table["indicator"] == hs.LSOA_SV][
        ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "count", "population",
         "rate_per_1000", "eb_rate_per_1000"]]
    pop = hs.lsoa_population(population).set_index("lsoa_code")
    d = d.assign(young_share_pct=d["lsoa_code"].map(pop["pop_10_24"]) / d["population"] * 100)
    if imd is None:
        return d.assign(edition="", imd_rank=np.nan, imd_decile=np.nan, deprivation_pct=np.nan)
    dep, edition = lsoa_deprivation(imd, d["lsoa_code"])
    return d.merge(dep, on="lsoa_code", how="left").assign(edition=edition)


def decile_rates(profile: pd.DataFrame) -> pd.DataFrame:
    """Rates by national IMD decile (``tables/imd_decile_rates.csv``): ``decile, lsoas, count,
    population, rate_per_1000, lower95, upper95, rate_ratio`` (to the area's rate)."""
    p = profile.dropna(subset=["imd_decile"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spatial.lsoa_imd_rates(p[["lsoa_code", "count"]], p[["lsoa_code", "population"]],
                                     p[["lsoa_code", "imd_decile"]].rename(
                                         columns={"imd_decile": "decile"}))
    overall = out["count"].sum() / out["population"].sum() * 1000
    out["rate_ratio"] = out["rate_per_1000"] / overall
    return out.assign(indicator=hs.LSOA_SV, edition=profile["edition"].iloc[0])


DECILE_SUPPRESS = {"count_cols": ["count"],
                   "dependent": {"count": ["rate_per_1000", "lower95", "upper95", "rate_ratio"]}}


def decile_gradient(rates: pd.DataFrame, min_count: int) -> tuple[str, dict]:
    """Sentence comparing the most and least deprived fifths of LSOAs (deciles 1-2, 9-10)."""
    def _group(deciles):
        g = rates[rates["decile"].isin(deciles)]
        c, p = g["count"].sum(), g["population"].sum()
        r, lo, hi = rate_ci(c, p, 1000)
        return float(c), float(r), float(lo), float(hi), int(g["lsoas"].sum())

    most, least = _group([1, 2, 3]), _group([8, 9, 10])
    if most[4] == 0 or least[4] == 0 or min(most[0], least[0]) < min_count:
        return ("The area's LSOAs do not span enough deprivation deciles, or have too few "
                "offences, to compare the most and least deprived.", {})
    ratio = most[1] / least[1]
    text = (f"In the **{most[4]} LSOAs in the 30% most deprived in England** (deciles 1-3) the "
            f"rate is **{hs.num(most[1])} per 1,000 residents** (95% CI {hs.num(most[2])} to "
            f"{hs.num(most[3])}); in the **{least[4]} least deprived** (deciles 8-10) it is "
            f"**{hs.num(least[1])}** ({hs.num(least[2])} to {hs.num(least[3])}): "
            f"**{hs.num(ratio)} times** higher in the most deprived areas.")
    return text, {"rate_most_deprived_30pct": round(most[1], 2),
                  "rate_least_deprived_30pct": round(least[1], 2), "ratio": round(ratio, 2)}


# --- ward profile and associations ---------------------------------------------------------


def _weighted_mean(values: pd.Series, lookup: pd.DataFrame, weight: pd.Series) -> pd.Series:
    """Per-ward weighted mean of an LSOA-level value (``lookup``: lsoa_code, ward_code)."""
    d = lookup.assign(v=lookup["lsoa_code"].map(values), w=weight).dropna(subset=["v", "w"])
    d = d[d["w"] > 0]
    return (d["v"] * d["w"]).groupby(d["ward_code"]).sum() / d["w"].groupby(d["ward_code"]).sum()


def domain_by_ward(imd: pd.DataFrame, lookups: pd.DataFrame, ward_codes) -> pd.DataFrame:
    """IoD2019 domain percentiles (100 = most deprived) averaged to wards through the LSOA
    2011 -> ward lookup weights: ``ward_code`` + one column per domain present."""
    lk = lookups[(lookups["lsoa_year"] == 2011) & lookups["ward_code"].isin(set(ward_codes))]
    d19 = imd[(imd["edition"] == "IoD2019") & (imd["domain"] != "imd")]
    out = pd.DataFrame({"ward_code": sorted(set(ward_codes))})
    if lk.empty or d19.empty:
        return out
    for dom, part in d19.groupby("domain"):
        pct = 100 * (1 - (part.set_index("lsoa_code")["rank"] - 1) / NATIONAL_LSOAS["IoD2019"])
        out[dom] = out["ward_code"].map(_weighted_mean(pct, lk, lk["weight"]))
    return out


def ward_profile(wd, table: pd.DataFrame, profile: pd.DataFrame | None, ch) -> pd.DataFrame:
    """Ward risk profile (``tables/ward_risk_profile.csv``): residents, serious violence count
    and rates, deprivation (IoD2025 via LSOAs), IoD2019 domains, child poverty, young share."""
    ind = hs.main_indicator(table)
    t = table[table["indicator"] == ind].set_index("ward_code")
    out = wd.population[["ward_code", "ward_name", "population"]].copy()
    out["sv_count"] = out["ward_code"].map(t["count"])
    out["sv_rate_per_1000"] = out["ward_code"].map(t["rate_per_1000"])
    out["sv_eb_rate_per_1000"] = out["ward_code"].map(t["eb_rate_per_1000"])
    pop = wd.population.set_index("ward_code")
    out["young_share_pct"] = out["ward_code"].map(pop["pop_10_24"] / pop["population"] * 100)
    if profile is not None and profile["deprivation_pct"].notna().any():
        lk = profile[["lsoa_code", "ward_code"]]
        out["deprivation_pct"] = out["ward_code"].map(_weighted_mean(
            profile.set_index("lsoa_code")["deprivation_pct"], lk, profile["population"]))
    if ch.has("imd") and ch.has("lookups"):
        out = out.merge(domain_by_ward(ch.load("imd").frame, ch.load("lookups").frame,
                                       out["ward_code"]), on="ward_code", how="left")
    if ch.has("clif"):
        clif = ch.load("clif").frame.set_index("ward_code")["children"]
        out["child_poverty_pct"] = out["ward_code"].map(clif) / out["ward_code"].map(
            pop["pop_0_15"]) * 100
    return out


WARD_PROFILE_SUPPRESS = {"count_cols": ["sv_count"],
                         "dependent": {"sv_count": ["sv_rate_per_1000", "sv_eb_rate_per_1000"]}}
FACTOR_LABELS = {"deprivation_pct": "Deprivation (IMD, national percentile)",
                 "child_poverty_pct": "Children in low-income families (%)",
                 "young_share_pct": "Residents aged 10-24 (%)",
                 **{k: f"{v} (IoD2019 percentile)" for k, v in DOMAINS.items()}}


def _strength(rho: float) -> str:
    a = abs(rho)
    word = ("negligible" if a < 0.1 else "weak" if a < 0.3 else "moderate" if a < 0.5
            else "strong")
    return word if a < 0.1 else f"{word} {'positive' if rho > 0 else 'negative'}"


def correlations(ward: pd.DataFrame, profile: pd.DataFrame | None,
                 ward_outcome: str = "serious_violence") -> pd.DataFrame:
    """Spearman correlations (95% CI) of smoothed serious violence rates with each factor, by
    ward and by LSOA (``tables/risk_correlations.csv``); ``significant`` = the 95% CI
    excludes 0."""
    rows = []
    sets = [("ward", ward, "sv_eb_rate_per_1000", hs.label(ward_outcome))]
    if profile is not None:
        sets.append(("lsoa", profile, "eb_rate_per_1000", hs.label(hs.LSOA_SV)))
    for level, frame, outcome, what in sets:
        for factor, name in FACTOR_LABELS.items():
            if factor not in frame or frame[factor].notna().sum() < 4:
                continue
            r = spatial.spearman_ci(frame[factor], frame[outcome])
            r["areas"] = r.pop("n")
            rows.append({"level": level, "outcome": what, "factor": factor,
                         "factor_label": name, **r, "strength": _strength(r["rho"]),
                         "significant": bool(r["lower"] > 0 or r["upper"] < 0)})
    return pd.DataFrame(rows)


MODEL_TERMS = {"const": "Baseline rate per resident",
               "deprivation_per10": "Per 10 percentile points more deprived",
               "young_per5": "Per 5 percentage points more residents aged 10-24",
               "child_poverty_per5": "Per 5 percentage points more children in low-income "
                                     "families"}


def model_table(profile: pd.DataFrame | None, ward: pd.DataFrame) -> pd.DataFrame:
    """Count model of serious violence with a log-population offset (``tables/count_model.csv``).

    LSOA level (serious violence excluding sexual offences ~ deprivation + young share) when
    LSOA data with deprivation are supplied, else ward level (adding child poverty). Poisson,
    or negative binomial when over-dispersed (:func:`sna.spatial.count_model`).
    """
    if profile is not None and profile["deprivation_pct"].notna().sum() >= 20:
        d, level, outcome = profile, "lsoa", "count"
    else:
        d, level, outcome = ward.rename(columns={"sv_count": "count"}), "ward", "count"
    d = d.assign(deprivation_per10=d.get("deprivation_pct", np.nan) / 10,
                 young_per5=d["young_share_pct"] / 5,
                 child_poverty_per5=d.get("child_poverty_pct", np.nan) / 5)
    covs = [c for c in ("deprivation_per10", "young_per5") if d[c].notna().sum() >= 10]
    if level == "ward" and d["child_poverty_per5"].notna().sum() >= 10:
        covs.append("child_poverty_per5")
    if not covs:
        return pd.DataFrame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spatial.count_model(d, outcome, "population", covs)
    out = out.rename(columns={"n": "areas"})
    return out.assign(level=level, term_label=out["term"].map(MODEL_TERMS))


def model_sentence(model: pd.DataFrame) -> str:
    """Plain-English reading of the count model with the ecological-inference caution."""
    if model.empty:
        return "There are not enough area-level factors to fit a model."
    kind = "negative binomial" if model["model"].iloc[0] == "negative_binomial" else "Poisson"
    unit = "LSOAs" if model["level"].iloc[0] == "lsoa" else "wards"
    parts = []
    for r in model[model["term"] != "const"].itertuples():
        change = (r.rate_ratio - 1) * 100
        sig = "" if r.lower95 <= 1 <= r.upper95 else " (statistically significant)"
        parts.append(f"{r.term_label.lower()}: {change:+.0f}% (95% CI {(r.lower95 - 1) * 100:+.0f}%"
                     f" to {(r.upper95 - 1) * 100:+.0f}%){sig}")
    return (f"A {kind} model across {int(model['areas'].iloc[0])} {unit}, with residents as the "
            "exposure, estimates how the rate changes with each factor while holding the "
            "others fixed - " + "; ".join(parts) + ". These are **associations between "
            "areas**, not evidence that deprivation or age causes violence, and they say "
            "nothing about individuals (the ecological fallacy). Offences are counted where "
            "they happen, not where victims or offenders live.")


# --- borough against London ----------------------------------------------------------------


def compare(area: float, london: float, higher_is_worse: bool = True, lower: float = np.nan,
            upper: float = np.nan, tolerance: float = TOLERANCE) -> tuple[str, str]:
    """``('worse than London'|'better than London'|'similar', basis)``.

    With a 95% CI of the area value (``lower``, ``upper``) the London value must lie outside
    it; otherwise the difference must exceed ``tolerance`` of the London value.
    """
    if not (np.isfinite(area) and np.isfinite(london)):
        return "no comparison", "no London value"
    if np.isfinite(lower) and np.isfinite(upper):
        basis = "whether the London value is inside the area's 95% confidence interval"
        higher, differs = area > london, not lower <= london <= upper
    else:
        basis = f"whether the difference is more than {tolerance:.0%} of the London value"
        higher, differs = area > london, abs(area - london) > tolerance * abs(london)
    if not differs:
        return "similar", basis
    return ("worse than London" if higher == higher_is_worse else "better than London"), basis


def _ltla_ages(population: pd.DataFrame) -> pd.DataFrame:
    """LTLA rows -> the age groups of :data:`sna.sections.hotspots.AGE_GROUPS` per code."""
    ltla = population[population["level"] == "ltla"].assign(level="lsoa")
    return hs.lsoa_population(ltla).rename(columns={"lsoa_code": "code"}).set_index("code")


def _row(factor, area, london, unit, source, year, higher_is_worse=True, lower=np.nan,
         upper=np.nan, note=""):
    comparison, basis = compare(area, london, higher_is_worse, lower, upper)
    return {"factor": factor, "area_value": round(float(area), 2),
            "london_value": round(float(london), 2), "unit": unit, "comparison": comparison,
            "basis": basis, "source": source, "year": year, "note": note}


def census_factors(population: pd.DataFrame, census: pd.DataFrame | None,
                   area_code: str) -> list[dict]:
    """Census 2021 shares, the area against London (sum of the 33 E09 areas)."""
    ages = _ltla_ages(population)
    london = ages[ages.index.str.startswith("E09")].sum()
    a = ages.loc[area_code] if area_code in ages.index else None
    rows = []
    if a is not None:
        rows.append(_row("Young people aged 10-24 (share of residents)",
                         a["pop_10_24"] / a["population"] * 100,
                         london["pop_10_24"] / london["population"] * 100, "% of residents",
                         "Census 2021 TS007A", "2021",
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
            rows.append(_row(factor, row[0], row[1], "%", f"Census 2021 {table}", "2021"))
    return rows


def _census_share(census, table, num_pat, den_pat, area_code):
    t = census[(census["table"] == table) & (census["level"] == "ltla")]
    if t.empty or area_code not in set(t["geography_code"]):
        return None
    num = t[t["category"].str.contains(num_pat, regex=True)]
    den = t[t["category"].str.contains(den_pat, regex=True)] if den_pat else t[t["is_total"]]
    n, d = num.groupby("geography_code")["value"].sum(), den.groupby("geography_code")["value"].sum()
    ldn = [c for c in d.index if c.startswith("E09")]
    return n.get(area_code, np.nan) / d[area_code] * 100, n[ldn].sum() / d[ldn].sum() * 100


def deprivation_factor(imd: pd.DataFrame, area_code: str) -> list[dict]:
    """Share of the area's LSOAs among the 20% most deprived in England, against London."""
    for edition in ("IoD2025", "IoD2019"):
        d = imd[(imd["edition"] == edition) & (imd["domain"] == "imd")]
        if area_code in set(d["lad_code"]):
            share = d.groupby(d["lad_code"] == area_code)["decile"].apply(
                lambda s: (s <= 2).mean() * 100)
            ldn = d[d["lad_code"].str.startswith("E09")]
            return [_row("Neighbourhoods (LSOAs) in the 20% most deprived in England",
                         share[True], (ldn["decile"] <= 2).mean() * 100, "% of LSOAs",
                         f"English Indices of Deprivation ({edition})", edition[-4:])]
    return []


def child_poverty_factor(clif: pd.DataFrame, population: pd.DataFrame, area: str,
                         area_code: str) -> list[dict]:
    """Children (under 16) in relative low-income families as % of Census residents 0-15."""
    ages = _ltla_ages(population)
    ldn = ages[ages.index.str.startswith("E09")]
    if area_code not in ages.index or "borough" not in clif:
        return []
    a = clif.loc[clif["borough"] == area, "children"].sum() / ages.loc[area_code, "pop_0_15"]
    london = clif["children"].sum() / ldn["pop_0_15"].sum()
    period = str(clif["period"].iloc[0]) if "period" in clif else ""
    return [_row("Children in relative low-income families (under 16)", a * 100, london * 100,
                 "% of children (estimate)", "DWP/HMRC Children in low income families; "
                 "Census 2021 denominator", period,
                 note="The denominator is the 2021 Census count of children, an estimate.")]


# --- young people (DfE LAIT, NEET) ---------------------------------------------------------

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
LAIT_NOTES = {"ReoffYO": "A small cohort (a few dozen young people): one or two people move "
                         "the rate by several points."}


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
        lo = hi = np.nan
        if ci and area_code in ages.index:
            pop = ages.loc[area_code, ci[0]]
            _, lo, hi = rate_ci(y[area] * pop / ci[1], pop, ci[1])
        comparison, basis = compare(y[area], y.get("London", np.nan), worse_high, lo, hi)
        rows.append({"indicator": ind, "label": name, "unit": unit, "year": int(year),
                     "year_label": a.loc[a["year"] == year, "year_label"].iloc[0],
                     "area_value": y[area], "london_value": y.get("London", np.nan),
                     "neighbours_mean": y.reindex(list(neighbours)).mean(),
                     "london_rank": int(boroughs.rank(method="min")[area]),
                     "london_areas": int(boroughs.notna().sum()),
                     "comparison": comparison, "basis": basis,
                     "note": LAIT_NOTES.get(ind, "")})
    return pd.DataFrame(rows)


def neet_row(neet: pd.DataFrame, area: str, neighbours) -> dict | None:
    """'NEET or activity not known' (16-17), latest year: the area against London."""
    d = neet[neet["measure"] == "NEET_not_known_percent"]
    a = d[(d["la_name"] == area) & d["value"].notna()]
    if a.empty:
        return None
    year = a["time_period"].max()
    y = d[d["time_period"] == year]
    ldn = y[(y["geographic_level"] == "Regional") & (y["region_name"] == "London")]["value"]
    ldn = float(ldn.iloc[0]) if len(ldn) else np.nan
    comparison, basis = compare(float(a.loc[a["time_period"] == year, "value"].iloc[0]), ldn)
    return {"indicator": "NEET_not_known_percent",
            "label": "16-17 year olds NEET or whose activity is not known",
            "unit": "% of 16-17 year olds", "year": int(year), "year_label": str(year),
            "area_value": float(a.loc[a["time_period"] == year, "value"].iloc[0]),
            "london_value": ldn,
            "neighbours_mean": float(y[y["la_name"].isin(list(neighbours))]["value"].mean()),
            "comparison": comparison, "basis": basis, "note": ""}


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
                     else "DfE NEET and participation", "year": r.year_label, "note": r.note})
    cols = ["factor", "area_value", "london_value", "unit", "comparison", "basis", "source",
            "year", "note"]
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
    return hs.num(x, 0) if abs(x) >= 100 else hs.num(x, 1) if abs(x) >= 1 else f"{x:.2g}"


def factors_sentence(factors: pd.DataFrame, area: str) -> tuple[str, list[str]]:
    """Which factors are worse / better than London (Markdown) and the 'worse' factor names."""
    worse = factors[factors["comparison"] == "worse than London"]
    better = factors[factors["comparison"] == "better than London"]
    def _items(d):
        return "; ".join(f"{md_esc(r.factor)} ({_val(r.area_value)} against "
                         f"{_val(r.london_value)} {md_esc(r.unit)})"
                         for r in d.itertuples()) or "none"
    verb = "is" if len(worse) == 1 else "are"
    text = (f"Of {len(factors)} risk factors compared with London, **{len(worse)} {verb} worse "
            f"in {md_esc(area)}**: {_items(worse)}. {len(better)} "
            f"{'is' if len(better) == 1 else 'are'} better: {_items(better)}. The rest are "
            "similar (within 10% of London, or not significantly different).")
    return text, list(worse["factor"])


# --- victims and offenders: stop and search, homicide -------------------------------------

STOP_DIMENSIONS = {"object": "Object of search", "outcome": "Outcome", "age_range": "Age",
                   "gender": "Sex", "ethnicity_officer": "Ethnicity (officer-observed)",
                   "type": "Type of search"}
NFA = "A no further action disposal"


def stop_search_table(stops: pd.DataFrame, wards) -> tuple[pd.DataFrame, dict]:
    """Stops in the area's wards (point in polygon) by object, outcome, age, sex, ethnicity and
    type, with the share among all stops in the file (the Met) for comparison.

    Returns ``(table, facts)``; table ``dimension, category, count, pct, mps_count, mps_pct``
    (``tables/stop_search.csv``), facts: stops, months, no_location, arrest and NFA shares.
    """
    from sna.io.police_uk import assign_to_wards

    placed = assign_to_wards(stops, wards)
    area = placed[placed["ward_code"].notna()]
    rows = []
    for col, dim in STOP_DIMENSIONS.items():
        a = area[col].fillna("Not recorded").value_counts()
        m = stops[col].fillna("Not recorded").value_counts()
        for cat in a.index.union(m.index):
            rows.append({"dimension": dim, "category": cat, "count": int(a.get(cat, 0)),
                         "pct": a.get(cat, 0) / max(len(area), 1) * 100,
                         "mps_count": int(m.get(cat, 0)), "mps_pct": m.get(cat, 0) / len(stops)
                         * 100})
    facts = {"stops": len(area), "mps_stops": len(stops),
             "months": sorted(stops["month"].unique()),
             "no_location": int(stops["latitude"].isna().sum()),
             "arrest_pct": (area["outcome"] == "Arrest").mean() * 100 if len(area) else np.nan,
             "mps_arrest_pct": (stops["outcome"] == "Arrest").mean() * 100,
             "nfa_pct": (area["outcome"] == NFA).mean() * 100 if len(area) else np.nan,
             "mps_nfa_pct": (stops["outcome"] == NFA).mean() * 100}
    table = pd.DataFrame(rows).sort_values(["dimension", "count"], ascending=[True, False])
    return table.reset_index(drop=True), facts


STOP_SUPPRESS = {"count_cols": ["count", "mps_count"],
                 "dependent": {"count": ["pct"], "mps_count": ["mps_pct"]},
                 "group_cols": ["dimension"]}


def stop_search_sentence(facts: dict, table: pd.DataFrame, census: pd.DataFrame | None,
                         min_count: int) -> str:
    """Stops, main objects and outcomes against the Met, and the disproportionality caveat."""
    months = ", ".join(facts["months"])
    obj = table[(table["dimension"] == "Object of search") & (table["count"] >= min_count)]
    top = "; ".join(f"{md_esc(r.category.lower())} {hs.num(r.pct, 0)}%"
                    for r in obj.head(3).itertuples())
    has_ts021 = census is not None and "TS021" in set(census["table"])
    return (f"In {months} the police.uk open data place **{hs.num(facts['stops'], 0)} stops** "
            f"inside the area's wards (of {hs.num(facts['mps_stops'], 0)} Met stops; "
            f"{hs.num(facts['no_location'], 0)} Met stops have no location and cannot be "
            f"placed). The most common reasons: {top}. **{hs.num(facts['arrest_pct'])}%** "
            f"ended in arrest (Met: {hs.num(facts['mps_arrest_pct'])}%) and "
            f"{hs.num(facts['nfa_pct'])}% in no further action (Met: "
            f"{hs.num(facts['mps_nfa_pct'])}%). "
            + ("Census 2021 ethnic group (TS021) is supplied; see the table for stops by "
               "group." if has_ts021 else
               "**Disproportionality is not assessed**: that needs residents by ethnic group "
               "(Census 2021 TS021) for the same area, which is not supplied (add it to "
               "`data.census`). Officer-observed ethnicity is shown as recorded."))


HOMICIDE_UNDER_25 = ("under 10", "10 to 14", "15 to 19", "20 to 24")


def homicide_table(h: pd.DataFrame, area: str, years: int = 10) -> tuple[pd.DataFrame, dict]:
    """People proceeded against for homicide (MPS homicide dashboard) by age and sex over the
    last ``years`` years of the file, the area against London.

    The dashboard counts **persons proceeded against** (charged or summonsed, or the accused
    died), by the borough of the offence: not victims. Returns ``(table, facts)``.
    """
    last = h["month"].max()
    first = str(pd.Period(last, "M") - (12 * years - 1))
    d = h[(h["month"] >= first) & (h["month"] <= last)]
    rows = []
    for col, dim in (("age_group", "Age"), ("gender", "Sex")):
        a = d[d["borough"] == area].groupby(col)["count"].sum()
        ldn = d.groupby(col)["count"].sum()
        for cat in ldn.index:
            rows.append({"dimension": dim, "category": cat, "count": int(a.get(cat, 0)),
                         "pct": a.get(cat, 0) / max(a.sum(), 1) * 100,
                         "london_count": int(ldn[cat]), "london_pct": ldn[cat] / ldn.sum() * 100})
    t = pd.DataFrame(rows)
    ages = t[t["dimension"] == "Age"]
    young = ages["category"].str.lower().isin(HOMICIDE_UNDER_25)
    facts = {"first": first, "last": last, "persons": int(ages["count"].sum()),
             "under25_pct": ages.loc[young, "count"].sum() / max(ages["count"].sum(), 1) * 100,
             "london_under25_pct": ages.loc[young, "london_count"].sum()
             / ages["london_count"].sum() * 100}
    return t, facts


HOMICIDE_SUPPRESS = {"count_cols": ["count", "london_count"],
                     "dependent": {"count": ["pct"], "london_count": ["london_pct"]},
                     "group_cols": ["dimension"]}


# --- vulnerable populations ----------------------------------------------------------------

VULNERABLE = (  # (partner_indicators id prefix, group, strip the prefix from the label)
    ("marac_da_", "MARAC (high-risk domestic abuse)", True),
    ("marac_", "MARAC (high-risk domestic abuse)", True),
    ("vulnerable_adolescents_", "Vulnerable adolescents (exploitation risk)", True),
    ("iom_cohort", "Integrated Offender Management", False),
    ("iom_reoffending", "Integrated Offender Management", False),
    ("iom_offenders_in_cohort", "Integrated Offender Management", False),
    ("sirm_", "Serious incident response meetings", True),
    ("cin_", "Children in need", False), ("lac_", "Looked-after children", False),
    ("missing_", "Missing children", False), ("mace_", "Exploitation (MACE)", False),
    ("exploitation_", "Exploitation (MACE)", False),
)
KEY_VULNERABLE = (
    "marac_da_referrals", "marac_da_repeat_referrals_pct", "marac_da_children_in_household",
    "vulnerable_adolescents_at_risk_of_exploitation", "vulnerable_adolescents_gangs_flag",
    "vulnerable_adolescents_cse_flag", "vulnerable_adolescents_missing_episode_past_3_months",
    "vulnerable_adolescents_neet", "vulnerable_adolescents_open_to_yot", "iom_cohort",
    "iom_reoffending_rate", "sirm_young_people_aged_0_25", "sirm_knife_victims",
    "sirm_victims_not_known_to_csc_or_yos_pct")


def _indicator_label(ind: str, prefix: str) -> str:
    rest = ind[len(prefix):] if prefix and ind.startswith(prefix) else ind
    text = rest.replace("_pct_change", " (% change)").replace("_pct", " (%)").replace("_", " ")
    for short, long in (("csc", "children's social care"), ("yos", "youth offending service"),
                        ("yot", "youth offending team"), ("cse", "child sexual exploitation"),
                        ("neet", "NEET"), ("iom", "IOM")):
        text = re.sub(rf"\b{short}\b", long, text)
    return text[:1].upper() + text[1:]


def _group_of(ind: str):
    return next(((g, p if strip else "") for p, g, strip in VULNERABLE if ind.startswith(p)),
                (None, ""))


def vulnerable_table(partner: pd.DataFrame | None,
                     vulnerable: pd.DataFrame | None) -> pd.DataFrame:
    """Vulnerable groups from the partner files (``tables/vulnerable_populations.csv``):
    ``group, indicator, label, area, period_start, period_end, value, unit, source_doc,
    notes, source``."""
    parts = []
    if partner is not None:
        found = partner["indicator"].map(_group_of)
        keep = found.map(lambda x: x[0] is not None)
        p = partner[keep].assign(group=found[keep].map(lambda x: x[0]))
        p["label"] = [_indicator_label(i, x[1]) for i, x in zip(p["indicator"], found[keep],
                                                               strict=True)]
        parts.append(p.assign(source="partner_indicators"))
    if vulnerable is not None:
        v = vulnerable.rename(columns={"group": "indicator"})
        parts.append(v.assign(group="Vulnerable populations (partner file)",
                              label=v["indicator"].map(lambda i: _indicator_label(i, "")),
                              source="vulnerable_populations"))
    cols = ["group", "indicator", "label", "area", "period_start", "period_end", "value",
            "unit", "source_doc", "notes", "source"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).reindex(columns=cols).sort_values(
        ["group", "indicator", "period_end"], ignore_index=True)


def vulnerable_display(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Latest value of each group's indicators for the area's own rows (counts 1-4 hidden)."""
    d = table.sort_values("period_end").groupby(["indicator", "area"], as_index=False).tail(1)
    d = d[~d["indicator"].str.endswith("_pct_change")]
    if d["indicator"].isin(KEY_VULNERABLE).any():
        d = d[d["indicator"].isin(KEY_VULNERABLE)]
    d = d.sort_values(["group", "indicator", "area"])
    value = d["value"].astype(float).where(~((d["unit"] == "count") & (d["value"] > 0)
                                             & (d["value"] < min_count)))
    return pd.DataFrame({"Group": d["group"], "Measure": d["label"], "Area": d["area"],
                         "Value": value, "Unit": d["unit"].str.replace("_", " "),
                         "Period": [_period(a, b) for a, b in zip(d["period_start"],
                                                                  d["period_end"], strict=True)]})


def _period(start, end) -> str:
    """``'Jan 2023 to Mar 2023'``, ``'as at Aug 2021'`` (same dates) or '' (no dates)."""
    if pd.isna(end):
        return ""
    e = f"{pd.Timestamp(end):%b %Y}"
    if pd.isna(start) or pd.Timestamp(start) == pd.Timestamp(end):
        return f"as at {e}"
    return f"{pd.Timestamp(start):%b %Y} to {e}"


def marac_trend(table: pd.DataFrame, area: str):
    """Quarterly MARAC referrals and repeat-referral rate as two line panels, or ``None``
    when there are fewer than three quarterly values."""
    d = table[table["indicator"].isin(["marac_da_referrals", "marac_da_repeat_referrals_pct"])
              & (table["area"] == area)].dropna(subset=["period_start", "period_end"])
    days = (pd.to_datetime(d["period_end"]) - pd.to_datetime(d["period_start"])).dt.days
    d = d[days.between(80, 100)]
    if d.empty or d.groupby("indicator").size().max() < 3:
        return None
    q = pd.to_datetime(d["period_end"]).dt.to_period("Q").astype(str).str.replace("Q", " Q")
    frame = pd.DataFrame({"panel": d["indicator"].map(
        {"marac_da_referrals": "MARAC referrals per quarter",
         "marac_da_repeat_referrals_pct": "Repeat referrals (%)"}), "x": q,
        "value": d["value"].astype(float), "series": area})
    return plots.panel_lines(frame, highlight=area, ncols=2,
                             title=f"{area}: MARAC (high-risk domestic abuse) by quarter")


# --- protective factors: community assets -------------------------------------------------


def assets_tables(assets: pd.DataFrame, wd, hot: pd.DataFrame | None,
                  table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place each asset in a 2022 ward (coordinates first, else the ward name) and summarise
    assets per ward against the ward's smoothed serious violence rate and hot-spot class.

    Returns ``(assets, by_ward)``: assets with ``ward_code, ward_name, located_by``
    (``tables/assets.csv``); by_ward ``ward_code, ward_name, assets, types, sv_eb_rate_per_1000,
    rate_rank, hotspot_class``.
    """
    from sna.io.police_uk import assign_to_wards

    a = assign_to_wards(assets, wd.wards)
    a["located_by"] = np.where(a["ward_code"].notna(), "coordinates", "")
    names = hs.match_wards(a["ward"].dropna(), wd.wards).set_index("name_in_source")
    by_name = a["ward"].map(names["ward_code"])
    fill = a["ward_code"].isna() & by_name.notna()
    a.loc[fill, "ward_code"], a.loc[fill, "located_by"] = by_name[fill], "ward name"
    a["ward_name"] = a["ward_code"].map(wd.wards.set_index("ward_code")["ward_name"])
    a["located_by"] = a["located_by"].replace("", "not placed")
    ind = hs.main_indicator(table)
    t = table[table["indicator"] == ind].set_index("ward_code")
    w = wd.wards[["ward_code", "ward_name"]].copy()
    grp = a.groupby("ward_code")
    w["assets"] = w["ward_code"].map(grp.size()).fillna(0).astype(int)
    w["types"] = w["ward_code"].map(grp["type"].agg(lambda s: ", ".join(sorted(set(s))))
                                    ).fillna("")
    w["sv_eb_rate_per_1000"] = w["ward_code"].map(t["eb_rate_per_1000"])
    w["rate_rank"] = w["ward_code"].map(t["rank"])
    if hot is not None and len(hot):
        h = hot[hot["indicator"] == ind].set_index("ward_code")["hotspot_class"]
        w["hotspot_class"] = w["ward_code"].map(h)
    return a, w.sort_values("rate_rank", ignore_index=True)


def assets_map(wd, by_ward: pd.DataFrame, assets: pd.DataFrame):
    """Smoothed serious violence rate by ward with the assets that have coordinates on top."""
    import geopandas as gpd

    g = wd.wards.merge(by_ward[["ward_code", "sv_eb_rate_per_1000"]], on="ward_code")
    fig, alt = plots.choropleth(g, "sv_eb_rate_per_1000", "Community assets and serious "
                                "violence (smoothed rate per 1,000 residents)",
                                legend_title="Offences per 1,000\nresidents (smoothed)")
    pts = assets.dropna(subset=["latitude", "longitude"])
    if len(pts):
        p = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["longitude"],
                                                              pts["latitude"]), crs=4326)
        p = p.to_crs(wd.wards.crs or 27700)
        fig.axes[0].scatter(p.geometry.x, p.geometry.y, s=28, marker="o", c="#E69F00",
                            edgecolors="black", linewidths=0.6, zorder=5, label="Asset")
    low = by_ward.head(3)
    alt += (f" {len(pts)} assets with coordinates are drawn as orange dots. Assets in the three "
            "highest-rate wards: " + "; ".join(f"{r.ward_name} {r.assets}"
                                               for r in low.itertuples()) + ".")
    return fig, alt


# --- loading and sentences -----------------------------------------------------------------


def load_profiles(ch, wd, table: pd.DataFrame, ld) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """``(lsoa profile or None, ward profile)`` for the chapter's period."""
    imd = ch.load("imd").frame if ch.has("imd") else None
    profile = lsoa_profile(ld, ch.load("population").frame, imd) if ld is not None else None
    return profile, ward_profile(wd, table, profile, ch)


def hotspot_classes(ch, wd, table: pd.DataFrame) -> pd.DataFrame:
    """Chapter 03's ``ward_hotspots`` of this run if published, else the latest window's Gi*
    for the main indicator (computed here)."""
    hot = ch.read_table("ward_hotspots")
    if hot is not None and len(hot):
        return hot
    return hs.ward_hotspots(wd, {ch.period: table}, indicators=(hs.main_indicator(table),))


def correlation_sentence(corr: pd.DataFrame) -> str:
    """The ward-level associations in words, strongest first, and the LSOA deprivation one."""
    if corr.empty:
        return "No area-level factors are supplied to compare with violence rates."
    w = corr[(corr["level"] == "ward") & (corr["factor"] != "crime")]
    w = w.reindex(w["rho"].abs().sort_values(ascending=False).index).head(4)
    parts = [f"{md_esc(r.factor_label)} (rho {r.rho:+.2f}, 95% CI {r.lower:+.2f} to "
             f"{r.upper:+.2f}; {r.strength}{'' if r.significant else ', not significant'})"
             for r in w.itertuples()]
    text = (f"Across the {int(w['areas'].max()) if len(w) else 0} wards, the factors most closely "
            "linked to the smoothed serious violence rate are " + "; ".join(parts) + ".")
    lsoa = corr[(corr["level"] == "lsoa") & (corr["factor"] == "deprivation_pct")]
    if len(lsoa):
        r = lsoa.iloc[0]
        text += (f" Across {int(r['areas'])} LSOAs, the rate of serious violence (excluding sexual "
                 f"offences) and deprivation have rho {r['rho']:+.2f} (95% CI "
                 f"{r['lower']:+.2f} to {r['upper']:+.2f}).")
    text += (" Rho runs from -1 to +1: 0 means no link, +1 means the areas rank "
             "identically.")
    if (corr["factor"].isin(DOMAINS).any() and "idaci" not in set(corr["factor"])):
        text += (" Income deprivation affecting children (IDACI) is in IoD2019 File 3, which is "
                 "not supplied; children in low-income families stands in for it.")
    return text


def ward_profile_display(ward: pd.DataFrame) -> pd.DataFrame:
    """Ward risk profile for display (rates from counts below the threshold already hidden)."""
    d = ward.sort_values("sv_eb_rate_per_1000", ascending=False)
    cols = {"ward_name": "Ward", "sv_eb_rate_per_1000": "Serious violence per 1,000 (smoothed)",
            "deprivation_pct": "Deprivation percentile (100 = most deprived)",
            "income": "Income deprivation percentile (2019)",
            "child_poverty_pct": "Children in low-income families (%)",
            "young_share_pct": "Residents aged 10-24 (%)"}
    out = d[[c for c in cols if c in d]].rename(columns=cols)
    return out.round(1)


def homicide_sentence(facts: dict, area: str) -> str:
    """People proceeded against for homicide: how many, how young, against London."""
    first, last = (pd.Period(facts[k], "M").strftime("%B %Y") for k in ("first", "last"))
    return (f"Between {first} and {last} the MPS homicide dashboard records "
            f"**{hs.num(facts['persons'], 0)} people proceeded against** (charged or summonsed,"
            f" or the accused died) for homicides in {md_esc(area)}. "
            f"**{hs.num(facts['under25_pct'], 0)}% were aged under 25** (London: "
            f"{hs.num(facts['london_under25_pct'], 0)}%). These are suspects or offenders, not "
            "victims: the dashboard's victim data are not in this extract.")


def headline(gradient: dict, worse: list[str], area: str) -> str:
    """The chapter's one-line headline finding."""
    parts = []
    if gradient:
        parts.append(f"serious violence is {gradient['ratio']:.1f} times as common in "
                     f"{area}'s most deprived neighbourhoods as in its least deprived")
    parts.append(f"{len(worse)} risk factor{'s' * (len(worse) != 1)} "
                 f"{'is' if len(worse) == 1 else 'are'} worse than London"
                 + (f" ({'; '.join(w.lower() for w in worse[:3])})" if worse else ""))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


# --- display tables (built from disclosure-safe frames) -----------------------------------


def decile_display(safe: pd.DataFrame) -> pd.DataFrame:
    """Rates by IMD decile for display (NaN = suppressed)."""
    ci = [f"{hs.num(lo)}\u2013{hs.num(hi)}" if np.isfinite(lo) else "*" for lo, hi in
          zip(safe["lower95"].astype(float), safe["upper95"].astype(float), strict=True)]
    return pd.DataFrame({
        "IMD decile (1 = most deprived)": safe["decile"].astype(int).astype(str),
        "LSOAs": safe["lsoas"].astype(float), "Offences": safe["count"].astype(float),
        "Residents": safe["population"].astype(float),
        "Rate per 1,000": safe["rate_per_1000"].astype(float), "95% CI": ci,
        "Times the area rate": safe["rate_ratio"].astype(float)})


DECILE_FORMATS = {"LSOAs": ",.0f", "Offences": ",.0f", "Residents": ",.0f",
                  "Rate per 1,000": ".1f", "Times the area rate": ".2f",
                  "_suppressed": ["Offences", "Rate per 1,000", "Times the area rate"]}


def correlation_display(corr: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlations for display, ward level first, strongest first."""
    d = corr.assign(_a=corr["rho"].abs()).sort_values(["level", "_a"], ascending=[False, False])
    return pd.DataFrame({
        "Level": d["level"].map({"ward": "Ward", "lsoa": "LSOA"}), "Factor": d["factor_label"],
        "Spearman rho": d["rho"].round(2),
        "95% CI": [f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(d["lower"], d["upper"],
                                                                strict=True)],
        "Strength": d["strength"], "Significant (5%)": d["significant"].map({True: "yes",
                                                                            False: "no"}),
        "Areas": d["areas"]})


def model_display(model: pd.DataFrame) -> pd.DataFrame:
    """Count-model rate ratios for display (the baseline row left out)."""
    d = model[model["term"] != "const"]
    return pd.DataFrame({
        "Factor": d["term_label"], "Rate ratio": d["rate_ratio"].round(3),
        "95% CI": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(d["lower95"], d["upper95"],
                                                              strict=True)],
        "p-value": d["p_value"].map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}"),
        "Model": d["model"].str.replace("_", " "), "Areas": d["areas"]})


def factors_display(factors: pd.DataFrame, area: str) -> pd.DataFrame:
    """Risk factors against London for display."""
    return pd.DataFrame({"Risk factor": factors["factor"], area: factors["area_value"],
                         "London": factors["london_value"], "Unit": factors["unit"],
                         "Compared with London": factors["comparison"],
                         "Year": factors["year"].astype(str), "Source": factors["source"]})


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
                         "Statistical neighbours (average)": young["neighbours_mean"].round(2),
                         "London rank (1 = lowest)": rank,
                         "Compared with London": young["comparison"]})


def counts_formats(area: str, other: str) -> dict:
    """``formats`` for :func:`counts_display` (suppressed cells shown as *)."""
    cols = [f"{area}: number", f"{area}: %", f"{other}: number", f"{other}: %"]
    return {cols[0]: ",.0f", cols[1]: ".1f", cols[2]: ",.0f", cols[3]: ".1f",
            "_suppressed": cols}


def counts_display(safe: pd.DataFrame, area: str, other: str) -> pd.DataFrame:
    """Stop-and-search or homicide breakdown for display (NaN = suppressed)."""
    oc = "mps_count" if "mps_count" in safe else "london_count"
    op = "mps_pct" if "mps_pct" in safe else "london_pct"
    return pd.DataFrame({"Breakdown": safe["dimension"], "Category": safe["category"],
                         f"{area}: number": safe["count"].astype(float),
                         f"{area}: %": safe["pct"].astype(float).round(1),
                         f"{other}: number": safe[oc].astype(float),
                         f"{other}: %": safe[op].astype(float).round(1)})
