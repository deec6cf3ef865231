"""Chapter 01 (context and borough profile): the definition used and the borough profile.

Every comparison is the area against London, where London is the sum of the 33 London local
authorities (``E09*`` codes, City of London included) in the LTLA files. Builders take tidy
frames (see docs/dev/interfaces.md) and return frames, ``(fig, alt)`` tuples or sentences; the
``show_*`` functions publish them through a :class:`sna.chapter.Chapter` and say "not
supplied", naming the config key, when an optional source is missing.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from sna import plots
from sna.definitions import cannot_separate, load_indicators

LONDON_PREFIX = "E09"
YOUNG = (10, 24)
SOURCE_LABEL = {"mps": "MPS recorded crime", "knife_crime": "MPS crime dashboard"}

# (table, topic, indicator label, phrase for sentences, numerator categories,
#  denominator categories or None = the table total, unit)
CENSUS_SPECS: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[str, ...] | None, str],
                    ...] = (
    ("TS011", "Household deprivation", "Households deprived in at least one dimension",
     "of households are deprived in at least one of the four Census dimensions",
     ("Household is deprived in one dimension", "Household is deprived in two dimensions",
      "Household is deprived in three dimensions", "Household is deprived in four dimensions"),
     None, "% of households"),
    ("TS011", "Household deprivation", "Households deprived in two or more dimensions",
     "of households are deprived in two or more dimensions",
     ("Household is deprived in two dimensions", "Household is deprived in three dimensions",
      "Household is deprived in four dimensions"), None, "% of households"),
    ("TS066", "Economic activity", "Unemployed (of the economically active)",
     "of economically active residents aged 16 and over are unemployed",
     ("Economically active (excluding full-time students): Unemployed",
      "Economically active and a full-time student: Unemployed"),
     ("Economically active (excluding full-time students)",
      "Economically active and a full-time student"), "% of economically active residents 16+"),
    ("TS066", "Economic activity", "Economically inactive: long-term sick or disabled",
     "of residents aged 16 and over are economically inactive because of long-term sickness "
     "or disability", ("Economically inactive: Long-term sick or disabled",), None,
     "% of residents 16+"),
    ("TS067", "Qualifications", "No qualifications",
     "of residents aged 16 and over have no qualifications", ("No qualifications",), None,
     "% of residents 16+"),
    ("TS067", "Qualifications", "Degree level (level 4) or above",
     "of residents aged 16 and over hold a degree-level (level 4) qualification or above",
     ("Level 4 qualifications and above",), None, "% of residents 16+"),
    ("TS054", "Housing tenure", "Social rented", "of households rent from a social landlord",
     ("Social rented",), None, "% of households"),
    ("TS054", "Housing tenure", "Private rented", "of households rent privately",
     ("Private rented",), None, "% of households"),
    ("TS054", "Housing tenure", "Owner occupied", "of households own their home",
     ("Owned",), None, "% of households"),
    ("TS044", "Accommodation type", "Purpose-built flats",
     "of households live in a purpose-built block of flats",
     ("In a purpose-built block of flats or tenement",), None, "% of households"),
    ("TS044", "Accommodation type", "Converted or shared houses (including bedsits)",
     "of households live in a converted or shared house, including bedsits",
     ("Part of a converted or shared house, including bedsits",), None, "% of households"),
)


# --- definition ----------------------------------------------------------------------------

def _categories_text(spec: dict[str, Any]) -> str:
    if spec.get("components"):
        labels = load_indicators()
        return "Sum of: " + ", ".join(labels[c]["label"] for c in spec["components"])
    keys = (("major", "minor") if spec["source"] == "mps"
            else ("crime_subtype", "measure"))
    seen = dict.fromkeys(" / ".join(str(c[k]) for k in keys) for c in spec["categories"])
    return "; ".join(seen)


def definition_table() -> pd.DataFrame:
    """The indicators of ``indicators.yaml`` as a table for readers.

    Returns
    -------
    pandas.DataFrame
        ``Indicator, Source, Published categories (all vintages), What it counts, Part of
        the serious violence total, Caveats`` - one row per indicator, YAML order.
    """
    rows = [{"Indicator": s["label"], "Source": SOURCE_LABEL[s["source"]],
             "Published categories (all vintages)": _categories_text(s),
             "What it counts": " ".join(str(s["description"]).split()),
             "Part of the serious violence total": "yes" if s["sv_component"] else "no",
             "Caveats": _plain(s.get("notes", ""))}
            for s in load_indicators().values()]
    return pd.DataFrame(rows)


def _plain(text: object) -> str:
    """YAML notes for readers: no developer asides in brackets, no backticks."""
    text = re.sub(r"\s*\((?:[^)]*`[^)]*|polarity [a-z_]+)\)", "", " ".join(str(text or "").split()))
    words = {"cannot_separate": "the table below of what cannot be separated",
             "ignored": "the categories deliberately not counted"}
    return re.sub(r"`([^`]*)`", lambda m: words.get(m[1], m[1].replace("_", " ")), text)


def cannot_separate_table() -> pd.DataFrame:
    """What the published categories cannot isolate: ``What, Why not, Data needed``."""
    return pd.DataFrame([{"What": c["item"], "Why not": " ".join(str(c["why"]).split()),
                          "Data needed": " ".join(str(c["source_needed"]).split())}
                         for c in cannot_separate()])


def sv_definition_text() -> str:
    """The serious violence definition, as written in ``indicators.yaml`` (plain text)."""
    spec = load_indicators()["serious_violence"]
    return " ".join(str(spec["description"]).split())


def specified_authorities(partnership: tuple[dict, ...]) -> str:
    """Names of the config's partners of type 'specified authority', as one phrase."""
    names = [str(p.get("name", "")) for p in partnership
             if str(p.get("type", "")).strip().lower() == "specified authority"]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- comparisons ---------------------------------------------------------------------------

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


# --- population ----------------------------------------------------------------------------

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
    return plots.pyramid(d, title=f"Age profile: {area} compared with London (Census 2021)",
                         left_label=area, right_label="London")


# --- census, deprivation, low income -------------------------------------------------------

def _share(rows: pd.DataFrame, num: tuple[str, ...], den: tuple[str, ...] | None) -> float:
    numerator = rows.loc[rows["category"].isin(num), "value"].sum()
    denominator = (rows.loc[rows["is_total"], "value"].sum() if den is None
                   else rows.loc[rows["category"].isin(den), "value"].sum())
    return float(numerator / denominator * 100) if denominator else float("nan")


def census_indicators(census: pd.DataFrame, area_code: str, area: str) -> pd.DataFrame:
    """Census 2021 percentages for the area and London (LTLA rows), one row per indicator.

    Returns
    -------
    pandas.DataFrame
        ``topic, indicator, area_value, london_value, unit, source, reading`` for each entry
        of :data:`CENSUS_SPECS` whose table is in ``census`` (others are left out).
    """
    ltla = census[census["level"] == "ltla"]
    rows = []
    for table, topic, label, phrase, num, den, unit in CENSUS_SPECS:
        part = ltla[ltla["table"] == table]
        here = part[part["geography_code"] == area_code]
        if here.empty:
            continue
        value = _share(here, num, den)
        london = _share(part[part["geography_code"].str.startswith(LONDON_PREFIX)], num, den)
        rows.append({"topic": topic, "indicator": label, "area_value": round(value, 1),
                     "london_value": round(london, 1), "unit": unit,
                     "source": f"Census 2021 {table}", "reading": reading(area, value, london,
                                                                           phrase)})
    return pd.DataFrame(rows, columns=["topic", "indicator", "area_value", "london_value", "unit",
                                       "source", "reading"])


def missing_census_tables(census: pd.DataFrame, area_code: str) -> list[str]:
    """Census tables the profile uses that have no LTLA row for the area."""
    have = set(census.loc[(census["level"] == "ltla") & (census["geography_code"] == area_code),
                          "table"])
    return sorted({spec[0] for spec in CENSUS_SPECS} - have)


def imd_deciles(imd: pd.DataFrame, area_code: str) -> pd.DataFrame:
    """LSOAs by national IMD decile (1 = most deprived 10% in England), area and London.

    Returns
    -------
    pandas.DataFrame
        ``edition, decile, area_lsoas, area_share, london_lsoas, london_share`` (shares in %
        of the area's / London's LSOAs), every edition x decile 1-10.
    """
    d = imd[imd["domain"] == "imd"]
    grid = pd.MultiIndex.from_product([sorted(d["edition"].unique()), range(1, 11)],
                                      names=["edition", "decile"])
    area = d[d["lad_code"] == area_code].groupby(["edition", "decile"]).size()
    london = d[d["lad_code"].astype(str).str.startswith(LONDON_PREFIX)].groupby(
        ["edition", "decile"]).size()
    out = pd.DataFrame({"area_lsoas": area.reindex(grid, fill_value=0),
                        "london_lsoas": london.reindex(grid, fill_value=0)}).reset_index()
    for side in ("area", "london"):
        totals = out.groupby("edition")[f"{side}_lsoas"].transform("sum")
        out[f"{side}_share"] = (out[f"{side}_lsoas"] / totals.where(totals > 0) * 100).round(1)
    return out[["edition", "decile", "area_lsoas", "area_share", "london_lsoas", "london_share"]]


def imd_indicators(deciles: pd.DataFrame, area: str) -> pd.DataFrame:
    """Share of LSOAs in the 20% most deprived in England (deciles 1-2), per edition."""
    rows = []
    for edition, part in deciles.groupby("edition"):
        low = part[part["decile"] <= 2]
        value = low["area_lsoas"].sum() / max(part["area_lsoas"].sum(), 1) * 100
        london = low["london_lsoas"].sum() / max(part["london_lsoas"].sum(), 1) * 100
        name = "IMD 2019" if "2019" in str(edition) else "IoD 2025"
        rows.append({"topic": "Deprivation (Index of Multiple Deprivation)",
                     "indicator": f"Neighbourhoods in the 20% most deprived in England, {name}",
                     "area_value": round(value, 1), "london_value": round(london, 1),
                     "unit": "% of LSOAs", "source": f"{name} (MHCLG), LSOA level",
                     "reading": reading(area, value, london, "of neighbourhoods (LSOAs) are "
                                        f"among the 20% most deprived in England ({name})")})
    return pd.DataFrame(rows)


def imd_figure(deciles: pd.DataFrame, area: str) -> tuple[Any, str]:
    """Grouped bars: % of the area's and London's LSOAs in each decile, each edition."""
    wide = deciles.pivot(index="decile", columns="edition", values=["area_share", "london_share"])
    wide.columns = [f"{side}|{ed}" for side, ed in wide.columns]
    cols = [c for ed in sorted(deciles["edition"].unique())
            for c in (f"area_share|{ed}", f"london_share|{ed}")]
    names = [f"{area if c.startswith('area') else 'London'} {_edition(c.split('|')[1])}"
             for c in cols]
    frame = wide.reset_index().assign(label=lambda f: f["decile"].map(_decile_label))
    return plots.grouped_bars(frame, "label", cols, names=names, percent=True,
                              ylabel="Share of neighbourhoods (LSOAs)",
                              title=f"Deprivation deciles of {area}'s neighbourhoods compared "
                                    "with London (decile 1 = the 10% most deprived in England)")


def imd_display(deciles: pd.DataFrame, area: str) -> pd.DataFrame:
    """One row per decile, area LSOAs and % and London % for each edition (strings)."""
    out = pd.DataFrame({"Decile": range(1, 11)})
    for edition, part in deciles.groupby("edition"):
        part = part.set_index("decile").reindex(range(1, 11))
        name = _edition(str(edition))
        out[f"{area} LSOAs, {name}"] = part["area_lsoas"].map("{:,.0f}".format).to_numpy()
        out[f"{area} %, {name}"] = part["area_share"].map("{:.1f}".format).to_numpy()
        out[f"London %, {name}"] = part["london_share"].map("{:.1f}".format).to_numpy()
    return out


def _edition(edition: str) -> str:
    return "IMD 2019" if "2019" in edition else "IoD 2025"


def _decile_label(decile: int) -> str:
    return {1: "1 (most)", 10: "10 (least)"}.get(int(decile), str(int(decile)))


def children_0_15(population: pd.DataFrame, codes: pd.Series) -> float:
    """Residents aged 0-15 (estimated: ages 0-14 plus a fifth of the 15-19 band) in ``codes``."""
    ltla = population[(population["level"] == "ltla") & codes]
    under15 = ltla.loc[ltla["age_max"] <= 14, "population"].sum()
    return float(under15 + ltla.loc[ltla["age_min"] == 15, "population"].sum() / 5)


def clif_wards(clif: pd.DataFrame, area: str) -> pd.DataFrame:
    """The area's wards by children in relative low-income families, most first."""
    rows = clif[clif["borough"] == area] if "borough" in clif else clif
    return (rows[["ward_code", "ward_name", "children"]].sort_values("children", ascending=False)
            .reset_index(drop=True))


def clif_indicator(clif: pd.DataFrame, population: pd.DataFrame, area_code: str,
                   area: str) -> pd.DataFrame:
    """Children in relative low-income families per 100 children aged 0-15, area and London.

    The denominator is estimated from Census 2021 five-year bands (0-14 plus a fifth of
    15-19); London = every ward of the DWP file (its boroughs are the 33 London LTLAs).
    """
    wards = clif_wards(clif, area)
    codes = population["geography_code"]
    value = wards["children"].sum() / children_0_15(population, codes == area_code) * 100
    london = clif["children"].sum() / children_0_15(
        population, codes.str.startswith(LONDON_PREFIX)) * 100
    period = str(clif["period"].iloc[0]) if "period" in clif and len(clif) else "latest year"
    return pd.DataFrame([{
        "topic": "Children in low-income families",
        "indicator": f"Children in relative low-income families ({period})",
        "area_value": round(value, 1), "london_value": round(london, 1),
        "unit": "per 100 children aged 0-15 (estimated)", "source": "DWP/HMRC CiLIF, ward level",
        "reading": reading(area, value, london, "of children aged 0-15 live in relative "
                           "low-income families (approximate denominator)")}])


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


# --- publishing (used by notebooks/01_context_profile.ipynb) -------------------------------

PROFILE_COLUMNS = ["topic", "indicator", "area_value", "london_value", "unit", "source",
                   "reading"]


def md_text(text: object) -> str:
    """Plain text made safe and inert for Markdown (HTML-escaped without numeric entities,
    so apostrophes survive; Markdown punctuation neutralised)."""
    special = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~<>"}
    return "".join(special.get(ch, ch) for ch in html.escape(str(text), quote=False))


def _bullets(sentences: list[str]) -> str:
    return "\n".join(f"- {md_text(s)}" for s in sentences)


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
    r = f", the {_ordinal(rank)} largest of London's {n} local authorities" if rank else ""
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


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def show_census(ch: Any) -> pd.DataFrame:
    """Census 2021 comparisons (TS011, TS066, TS067, TS054, TS044); profile rows."""
    if not ch.has("census"):
        ch.not_supplied("census", "Census 2021 tables TS011 (household deprivation), TS066 "
                        "(economic activity), TS067 (qualifications), TS054 (tenure) and TS044 "
                        "(accommodation type)")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    census = ch.load("census").frame
    area, code = ch.cfg.area.name, ch.cfg.area.code
    rows = census_indicators(census, code, area)
    missing = missing_census_tables(census, code)
    if missing:
        ch.note(f"Not in data.census for {area}: Census 2021 table(s) {', '.join(missing)} "
                "(LTLA file). Add them to complete the profile.", kind="missing")
    if rows.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    ch.md(_bullets(rows["reading"].tolist()))
    fig, alt = plots.grouped_bars(rows, "indicator", ["area_value", "london_value"],
                                  names=[area, "London"], horizontal=True, percent=True,
                                  title=f"{area} compared with London, Census 2021",
                                  ylabel="Per cent (see the table for each denominator)")
    ch.figure(fig, alt, "Census 2021 (ONS), LTLA tables. London = the 33 London local "
              "authorities. Denominators differ: households, residents aged 16+, or the "
              "economically active (see the table).")
    return rows


def show_imd(ch: Any) -> pd.DataFrame:
    """IMD 2019 / IoD 2025 decile distribution of the area's LSOAs; profile rows."""
    if not ch.has("imd"):
        ch.not_supplied("imd", "Index of Multiple Deprivation (IMD 2019 and/or IoD 2025) "
                        "LSOA files")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    area = ch.cfg.area.name
    deciles = imd_deciles(ch.load("imd").frame, ch.cfg.area.code)
    rows = imd_indicators(deciles, area)
    ch.md(_bullets(rows["reading"].tolist()) + "\n\nDecile 1 holds the 10% most deprived "
          "neighbourhoods in England and decile 10 the least deprived. IMD 2019 uses 2011 "
          "LSOAs and IoD 2025 uses 2021 LSOAs, so the counts of neighbourhoods differ.")
    fig, alt = imd_figure(deciles, area)
    ch.figure(fig, alt, "Share of neighbourhoods (LSOAs) in each national deprivation decile. "
              "Source: English Indices of Deprivation 2019 and 2025 (MHCLG).")
    ch.table(imd_display(deciles, area), None, "Neighbourhoods (LSOAs) by national deprivation "
             f"decile (1 = most deprived), {area} and London")
    return rows


def show_clif(ch: Any) -> pd.DataFrame:
    """Children in low-income families by ward (DWP CiLIF); profile rows."""
    if not ch.has("clif"):
        ch.not_supplied("clif", "children in low-income families by ward (DWP/HMRC)")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    area = ch.cfg.area.name
    clif = ch.load("clif").frame
    wards = clif_wards(clif, area)
    if wards.empty:
        ch.note(f"The low-income families file (data.clif) has no ward of {area}.", "warning")
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    rows = clif_indicator(clif, ch.load("population").frame, ch.cfg.area.code, area)
    top = wards.head(3)
    named = ", ".join(f"{w} ({c:,.0f})" for w, c in zip(top["ward_name"], top["children"],
                                                         strict=True))
    ch.md(_bullets([rows["reading"].iloc[0],
                    f"{wards['children'].sum():,.0f} children in {area} live in relative "
                    f"low-income families; the most are in {named}."]))
    fig, alt = plots.bar_compare(wards, "ward_name", "children", title=f"Children in relative "
                                 f"low-income families by ward, {area}",
                                 xlabel="Children aged 0-15")
    ch.figure(fig, alt, "Children aged under 16 in relative low-income families (DWP/HMRC "
              "Children in Low Income Families, ward level, 2022 wards). Counts, not rates: "
              "ward child populations differ.")
    return rows


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


def duty_partners_text(cfg: Any) -> str:
    """Markdown sentence naming the area's specified authorities (from ``partnership``)."""
    names = specified_authorities(cfg.partnership)
    if not names:
        return ("The partnership's members are not listed in the configuration (add "
                "`partnership:` to name them).")
    return (f"In {md_text(cfg.area.name)}, the specified authorities working together under "
            f"the Duty are: {md_text(names)}. Chapter 05 describes the partnership.")


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
