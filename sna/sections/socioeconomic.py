"""Chapter 01: the borough's socio-economic profile against London - Census 2021 household
deprivation, work, qualifications and housing; neighbourhood deprivation (IMD 2019, IoD 2025);
children in low-income families (DWP/HMRC). London is the 33 London LTLAs, as in
:mod:`sna.sections.profile`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna import charts
from sna.narrative import md_bullets
from sna.sections.profile import LONDON_PREFIX, PROFILE_COLUMNS, reading

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
    return charts.grouped_bars(frame, "label", cols, names=names, percent=True,
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
    ch.md(md_bullets(rows["reading"].tolist()))
    fig, alt = charts.grouped_bars(rows, "indicator", ["area_value", "london_value"],
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
    ch.md(md_bullets(rows["reading"].tolist()) + "\n\nDecile 1 holds the 10% most deprived "
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
    ch.md(md_bullets([rows["reading"].iloc[0],
                    f"{wards['children'].sum():,.0f} children in {area} live in relative "
                    f"low-income families; the most are in {named}."]))
    fig, alt = charts.bar_compare(wards, "ward_name", "children", title=f"Children in relative "
                                 f"low-income families by ward, {area}",
                                 xlabel="Children aged 0-15")
    ch.figure(fig, alt, "Children aged under 16 in relative low-income families (DWP/HMRC "
              "Children in Low Income Families, ward level, 2022 wards). Counts, not rates: "
              "ward child populations differ.")
    return rows
