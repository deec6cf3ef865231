"""Chapter 01 (context and borough profile): population and age, the comparison wording, and
the profile table and headline. The Duty and the definition are in :mod:`sna.sections.duty`;
Census, deprivation and low-income comparisons in :mod:`sna.sections.socioeconomic`.

Every comparison is the area against London, where London is the sum of the 33 London local
authorities (``E09*`` codes, City of London included) in the LTLA files. Builders take tidy
frames (see docs/CONTRIBUTING.md) and return frames, ``(fig, alt)`` tuples or sentences; the
``show_*`` functions publish them through a :class:`sna.chapter.Chapter` and say "not
supplied", naming the config key, when an optional source is missing.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna import charts
from sna.narrative import md_text, ordinal

LONDON_PREFIX = "E09"
YOUNG = (10, 24)


def verdict(area_value: float, london_value: float) -> str:
    """``'higher than'``, ``'lower than'`` or ``'close to'`` London.

    "Close" means within 0.5 percentage points or 5% of the London value (Census counts are
    complete counts, not samples, so no confidence interval applies).
    """
    diff = area_value - london_value
    if abs(diff) < max(0.5, 0.05 * abs(london_value)):
        return "close to"
    return "higher than" if diff > 0 else "lower than"


def reading(area: str, value: float, london: float, phrase: str) -> str:
    """One sentence: ``'In Barnet, 10.9% of households rent ..., lower than London (22.9%).'``"""
    return (f"In {area}, {value:.1f}% {phrase}, {verdict(value, london)} London "
            f"({london:.1f}%).")


def population_age(population: pd.DataFrame, area_code: str) -> pd.DataFrame:
    """Residents by five-year age band, area and London (Census 2021 TS007A, LTLA rows).

    Returns
    -------
    pandas.DataFrame
        ``age_band, age_min, age_max, area_population, area_share, london_population,
        london_share`` (shares in % of all residents), youngest band first.
    """
    ltla = population[population["level"] == "ltla"]
    keys = ["age_band", "age_min", "age_max"]
    area = ltla[ltla["geography_code"] == area_code].groupby(keys)["population"].sum()
    london = ltla[ltla["geography_code"].str.startswith(LONDON_PREFIX)].groupby(keys)[
        "population"].sum()
    out = pd.DataFrame({"area_population": area, "london_population": london}).reset_index()
    out = out.sort_values("age_min").reset_index(drop=True)
    for side in ("area", "london"):
        total = out[f"{side}_population"].sum()
        out[f"{side}_share"] = (out[f"{side}_population"] / total * 100).round(2)
    cols = ["age_band", "age_min", "age_max", "area_population", "area_share",
            "london_population", "london_share"]
    return out[cols].astype({"area_population": "Int64", "london_population": "Int64"})


def young_share(ages: pd.DataFrame, lo: int = YOUNG[0], hi: int = YOUNG[1]) -> dict[str, float]:
    """Residents aged ``lo``-``hi`` (whole five-year bands): counts and % of all residents."""
    inside = ages[(ages["age_min"] >= lo) & (ages["age_max"] <= hi)]
    area, london = inside["area_population"].sum(), inside["london_population"].sum()
    return {"area_count": int(area), "london_count": int(london),
            "area_share": float(area / ages["area_population"].sum() * 100),
            "london_share": float(london / ages["london_population"].sum() * 100)}


AGE_GROUPS = (("children aged 0-14", 0, 14), ("young people aged 15-24", 15, 24),
              ("adults aged 25-44", 25, 44), ("adults aged 45-64", 45, 64),
              ("people aged 65 and over", 65, 120))


def age_reading(ages: pd.DataFrame, area: str) -> str:
    """Which broad age groups are larger or smaller shares of residents than in London."""
    bigger, smaller, close = [], [], []
    for name, lo, hi in AGE_GROUPS:
        part = ages[(ages["age_min"] >= lo) & (ages["age_max"] <= hi)]
        a, lon = part["area_share"].sum(), part["london_share"].sum()
        text = f"{name} ({a:.1f}% vs {lon:.1f}%)"
        {"higher than": bigger, "lower than": smaller}.get(verdict(a, lon), close).append(text)
    parts = []
    if bigger:
        parts.append("a larger share of " + ", ".join(bigger))
    if smaller:
        parts.append("a smaller share of " + ", ".join(smaller))
    if not parts:
        return f"{area}'s age profile is close to London's."
    return f"Compared with London, {area} has " + "; and ".join(parts) + "."


def population_rank(population: pd.DataFrame, area_code: str) -> tuple[int, int]:
    """(rank of the area by residents among London's LTLAs, 1 = largest; number of LTLAs)."""
    ltla = population[(population["level"] == "ltla")
                      & population["geography_code"].str.startswith(LONDON_PREFIX)]
    totals = ltla.groupby("geography_code")["population"].sum()
    rank = totals.rank(ascending=False, method="min")
    return (int(rank[area_code]) if area_code in rank else 0), len(totals)


def population_figure(ages: pd.DataFrame, area: str) -> tuple[Any, str]:
    """Butterfly chart of the area's and London's age shares (TS007A has no sex split)."""
    d = ages.rename(columns={"area_share": "area_share", "london_share": "london_share"})
    return charts.pyramid(d, title=f"Age profile: {area} compared with London (Census 2021)",
                         left_label=area, right_label="London")


def population_indicators(ages: pd.DataFrame, area: str) -> pd.DataFrame:
    """Profile rows for the population: residents and share aged 10-24."""
    young = young_share(ages)
    return pd.DataFrame([
        {"topic": "Population", "indicator": "Residents (all ages)",
         "area_value": float(ages["area_population"].sum()),
         "london_value": float(ages["london_population"].sum()), "unit": "people",
         "source": "Census 2021 TS007A",
         "reading": f"{area} has {int(ages['area_population'].sum()):,} residents."},
        {"topic": "Population", "indicator": "Residents aged 10-24",
         "area_value": round(young["area_share"], 1),
         "london_value": round(young["london_share"], 1), "unit": "% of residents",
         "source": "Census 2021 TS007A",
         "reading": reading(area, young["area_share"], young["london_share"],
                            "of residents are aged 10-24")}])


PROFILE_COLUMNS = ["topic", "indicator", "area_value", "london_value", "unit", "source",
                   "reading"]


def show_population(ch: Any) -> pd.DataFrame:
    """Population and age: sentences, butterfly chart and ``population_age``; profile rows."""
    area, code = ch.cfg.area.name, ch.cfg.area.code
    pop = ch.load("population").frame
    ages = population_age(pop, code)
    if not ages["area_population"].sum():
        ch.note(f"The population file (data.population) has no Census 2021 LTLA row for {code}: "
                "add census2021-ts007a-ltla.csv to show the age profile.", kind="warning")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    young = young_share(ages)
    rank, n = population_rank(pop, code)
    r = f", the {ordinal(rank)} largest of London's {n} local authorities" if rank else ""
    ch.md(f"{md_text(area)} has **{int(ages['area_population'].sum()):,}** residents (Census "
          f"2021){md_text(r)}. **{young['area_count']:,}** of them "
          f"(**{young['area_share']:.1f}%**) are aged 10-24, the ages at which people are most "
          "likely to be victims or perpetrators of serious violence; across London the share "
          f"is {young['london_share']:.1f}%.")
    fig, alt = population_figure(ages, area)
    ch.figure(fig, alt, "Share of residents in each five-year age band. Census 2021 table "
              "TS007A has no split by sex, so the chart compares the area's age profile with "
              "London's rather than men with women (a sex split needs table TS009).")
    show = ages.drop(columns=["age_min", "age_max"]).rename(columns={
        "age_band": "Age band", "area_population": f"{area} residents",
        "area_share": f"{area} %", "london_population": "London residents",
        "london_share": "London %"})
    ch.md(md_text(age_reading(ages, area)))
    ch.table(ages.drop(columns=["age_min", "age_max"]), "population_age",
             f"Residents by age, {area} and London (Census 2021 TS007A)",
             count_cols=["area_population", "london_population"], show=show,
             formats={f"{area} residents": ",", "London residents": ",", f"{area} %": ".1f",
                      "London %": ".1f"})
    return population_indicators(ages, area)


def publish_profile(ch: Any, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Publish ``profile_indicators`` (every row: area vs London, with its reading)."""
    frames = [p for p in parts if p is not None and not p.empty]
    rows = (pd.concat(frames, ignore_index=True) if frames
            else pd.DataFrame(columns=PROFILE_COLUMNS))
    def fmt(values: pd.Series) -> list[str]:
        return [f"{v:,.0f}" if u == "people" else f"{v:.1f}" for v, u in
                zip(values, rows["unit"], strict=True)]

    show = pd.DataFrame({"Topic": rows["topic"], "Indicator": rows["indicator"],
                         ch.cfg.area.name: fmt(rows["area_value"]),
                         "London": fmt(rows["london_value"]), "Unit": rows["unit"],
                         "Source": rows["source"]})
    ch.table(rows, "profile_indicators", f"Profile of {ch.cfg.area.name} compared with London",
             show=show)
    return rows


def headline_evidence(rows: pd.DataFrame) -> dict[str, float]:
    """Numbers behind :func:`headline` (for the summary chapter)."""
    get = rows.set_index("indicator") if not rows.empty else pd.DataFrame()
    out = {}
    for key, name in (("residents", "Residents (all ages)"),
                      ("share_aged_10_24", "Residents aged 10-24")):
        if name in get.index:
            out[key] = float(get.loc[name, "area_value"])
            out[f"london_{key}"] = float(get.loc[name, "london_value"])
    return out


def headline(rows: pd.DataFrame, area: str) -> str:
    """The chapter's headline: residents, share aged 10-24 and deprived neighbourhoods."""
    get = rows.set_index("indicator") if not rows.empty else pd.DataFrame()
    parts = []
    if "Residents (all ages)" in get.index:
        parts.append(f"{area} has {get.loc['Residents (all ages)', 'area_value']:,.0f} "
                     "residents")
    if "Residents aged 10-24" in get.index:
        r = get.loc["Residents aged 10-24"]
        parts.append(f"{r['area_value']:.1f}% are aged 10-24 (London {r['london_value']:.1f}%)")
    imd = [i for i in get.index if str(i).startswith("Neighbourhoods in the 20%")]
    if imd:
        r = get.loc[imd[-1]]
        parts.append(f"{r['area_value']:.1f}% of its neighbourhoods are among the 20% most "
                     f"deprived in England (London {r['london_value']:.1f}%, "
                     f"{imd[-1].rsplit(', ', 1)[-1]})")
    return ("; ".join(parts) + ".") if parts else f"Profile of {area}: no data."
