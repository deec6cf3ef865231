"""Chapter 08 (who is affected), places and confidence: violence against women and girls by
ward (rates per 1,000 women and girls, Census 2021 TS008), domestic abuse by ward with hot
spots (Getis-Ord Gi*), and public confidence in the police (MOPAC Public Attitude Survey).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from sna import gi_star, maps, metrics, periods, plots, spatial
from sna.narrative import format_rate, md_text
from sna.sections.who_data import ward_monthly

GI_PERMUTATIONS = 999
GI_SEED = 12345
PAS_MEASURES = {"trust": "Trust the MPS", "good_job": "Police do a good job locally",
                "informed": "Feel well informed about local police activities"}


def female_population(census: pd.DataFrame, level: str) -> pd.DataFrame:
    """Women and girls (all ages) per area from Census 2021 TS008: ``code, name, female``."""
    t = census[(census["table"] == "TS008") & (census["level"] == level)
               & (census["category"] == "Female")]
    return t.rename(columns={"geography_code": "code", "geography_name": "name",
                             "value": "female"})[["code", "name", "female"]]


def ward_female(ch: Any, wards: pd.DataFrame) -> pd.DataFrame | None:
    """Women and girls per 2022 ward (LSOA TS008 through the best-fit lookup), or None when
    TS008 at LSOA level or the lookup is not supplied."""
    if not (ch.has("census") and ch.has("lookups")):
        return None
    lsoa = female_population(ch.load("census").frame, "lsoa")
    if lsoa.empty:
        return None
    lk = ch.load("lookups").frame
    lk = lk[(lk["lsoa_year"] == 2021) & lk["ward_code"].isin(set(wards["ward_code"]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = spatial.ward_population(
            lsoa.rename(columns={"code": "lsoa_code", "female": "population"})
            [lambda d: d["lsoa_code"].isin(set(lk["lsoa_code"]))], lk)
    return out.rename(columns={"population": "female"})


def vawg_ward_table(ch: Any, end: str) -> tuple[pd.DataFrame, list[str]]:
    """VAWG offences recorded in the 12 months to ``end`` per 2022 ward of the area, with the
    rate per 1,000 women and girls. Names not among the 2022 wards are returned separately."""
    wards = ch.load("wards").frame[["ward_code", "ward_name"]]
    v = ch.load("vawg").frame
    v = v[(v["file_kind"] == "offences") & (v["breakdown"] == "location")
          & (v["borough"] == ch.cfg.area.name)
          & v["month"].isin(periods.window_months(end, "12m"))]
    by_name = v.groupby("ward_name")["count"].sum()
    key = {" ".join(n.lower().replace("&", "and").split()): c
           for c, n in zip(wards["ward_code"], wards["ward_name"], strict=True)}
    codes = by_name.index.map(lambda n: key.get(" ".join(str(n).lower().replace("&", "and")
                                                         .split())))
    unmatched = sorted(str(n) or "(no ward)" for n, c in zip(by_name.index, codes, strict=True)
                       if c is None)
    counts = by_name.groupby(codes.to_numpy()).sum() if len(by_name) else pd.Series(dtype=float)
    out = wards.assign(count=wards["ward_code"].map(counts).fillna(0).astype(int))
    fem = ward_female(ch, wards)
    out["female_population"] = (out["ward_code"].map(fem.set_index("ward_code")["female"])
                                if fem is not None else np.nan)
    out["rate_per_1000_female"] = (out["count"] / out["female_population"] * 1000).round(2)
    out["period_start"], out["period_end"] = periods.window_months(end, "12m")[0], end
    return out, unmatched


def vawg_borough(ch: Any, end: str) -> pd.DataFrame:
    """VAWG offences and rate per 1,000 women and girls: the area, its BCU and London."""
    v = ch.load("vawg").frame
    v = v[(v["file_kind"] == "offences") & (v["breakdown"] == "location")
          & v["month"].isin(periods.window_months(end, "12m"))]
    census = ch.load("census").frame if ch.has("census") else pd.DataFrame(
        columns=["table", "level", "category", "geography_code", "geography_name", "value"])
    fem = female_population(census, "ltla").set_index("name")["female"]
    area = ch.cfg.area
    groups = {area.name: {area.name}, "BCU": set(area.bcu) | {area.name},
              "London": set(metrics.LONDON_BOROUGHS) & set(fem.index)}
    rows = []
    for name, members in groups.items():
        count = int(v.loc[v["borough"].isin(members), "count"].sum())
        pop = float(fem.reindex(list(members)).sum())
        rows.append({"area": name, "count": count, "female_population": pop,
                     "rate_per_1000_female": round(count / pop * 1000, 2) if pop else np.nan})
    return pd.DataFrame(rows)


def vawg_display(safe: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Readable :func:`vawg_borough` table."""
    return pd.DataFrame({
        "Area": safe["area"],
        "VAWG offences, 12 months": [f"<{min_count}" if pd.isna(c) else f"{int(c):,}"
                                     for c in safe["count"]],
        "Women and girls (Census 2021)": [f"{p:,.0f}" for p in safe["female_population"]],
        "Per 1,000 women and girls": ["-" if pd.isna(r) else format_rate(r)
                                      for r in safe["rate_per_1000_female"]]})


def vawg_sentence(safe: pd.DataFrame, area: str) -> str:
    """The area's VAWG rate against the BCU and London."""
    r = safe.set_index("area")["rate_per_1000_female"]
    if pd.isna(r.get(area)) or pd.isna(r.get("London")):
        return ""
    comp = "lower than" if r[area] < r["London"] else "higher than"
    return (f"{md_text(area)} recorded {format_rate(r[area])} VAWG offences per 1,000 women and "
            f"girls in the 12 months, {comp} London ({format_rate(r['London'])})"
            + (f" and the BCU ({format_rate(r['BCU'])})." if "BCU" in r else "."))


def vawg_map(ch: Any, table: pd.DataFrame) -> tuple[Any, str]:
    """Choropleth of VAWG offences per 1,000 women and girls by ward."""
    g = ch.load("wards").frame.merge(table[["ward_code", "rate_per_1000_female"]], on="ward_code")
    return maps.choropleth(g, "rate_per_1000_female", "Violence against women and girls: "
                           "offences per 1,000 women and girls by ward, 12 months",
                           legend_title="Per 1,000 women and girls")


def da_ward_table(ch: Any, end: str) -> pd.DataFrame:
    """Domestic abuse offences per ward, 12 months to ``end``, rate per 1,000 residents and
    Gi* hot/cold spot class (999 permutations, fixed seed, FDR 5%)."""
    from sna.sections.ward_data import area_lookup

    wards = ch.load("wards").frame
    months = periods.window_months(end, "12m")
    m = ward_monthly(ch.cfg, ch.cfg.area.name, ["domestic_abuse"])
    m = m[m["month"].isin(months)]
    full = m.groupby("area_code")["month"].nunique() == len(months)
    counts = m.groupby("area_code")["count"].sum().where(full)
    out = wards[["ward_code", "ward_name"]].copy()
    out["count"] = out["ward_code"].map(counts)
    lookup = area_lookup(ch.load("lookups").frame, wards["ward_code"])
    p = ch.load("population").frame
    lsoa = (p[(p["level"] == "lsoa") & p["geography_code"].isin(set(lookup["lsoa_code"]))]
            .groupby("geography_code", as_index=False)["population"].sum()
            .rename(columns={"geography_code": "lsoa_code"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pop = spatial.ward_population(lsoa, lookup)
    out["population"] = out["ward_code"].map(pop.set_index("ward_code")["population"])
    out["rate_per_1000"] = (out["count"] / out["population"] * 1000).round(2)
    out["period_start"], out["period_end"] = months[0], end
    g = wards.merge(out[["ward_code", "rate_per_1000"]], on="ward_code").dropna(
        subset=["rate_per_1000"]).reset_index(drop=True)
    out["hotspot_class"] = "Not tested"
    if len(g) >= 5:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gi = gi_star.gi_star_hotspots(g, "rate_per_1000", permutations=GI_PERMUTATIONS,
                                          seed=GI_SEED)
        out["hotspot_class"] = out["ward_code"].map(gi.set_index("ward_code")["hotspot_class"])
    return out


def da_text(table: pd.DataFrame, area: str) -> str:
    """Which wards have the highest domestic abuse rates and which are hot spots."""
    t = table.dropna(subset=["rate_per_1000"]).sort_values("rate_per_1000", ascending=False)
    if t.empty:
        return "No ward has a complete 12 months of domestic abuse data."
    top = ", ".join(f"{md_text(r.ward_name)} ({format_rate(r.rate_per_1000)})"
                    for r in t.head(3).itertuples())
    hot = t[t["hotspot_class"].astype(str).str.startswith("Hot")]["ward_name"].tolist()
    text = (f"The highest domestic abuse rates per 1,000 residents in {md_text(area)} are in "
            f"{top}. ")
    text += (f"Hot spots (wards that with their neighbours have more than chance would give): "
             f"{', '.join(map(md_text, hot))}." if hot else
             "No ward is a statistically significant hot spot: high-rate wards are not "
             "clustered more than chance would produce.")
    return text


def da_rate_map(ch: Any, table: pd.DataFrame) -> tuple[Any, str]:
    """Choropleth of domestic abuse offences per 1,000 residents by ward."""
    g = ch.load("wards").frame.merge(table, on=["ward_code", "ward_name"])
    return maps.choropleth(g, "rate_per_1000", "Domestic abuse offences per 1,000 residents "
                           "by ward, 12 months", legend_title="Per 1,000 residents")


def has_hotspots(table: pd.DataFrame) -> bool:
    """True when Gi* classed any ward as a hot or cold spot (else the map is not drawn)."""
    return bool(table["hotspot_class"].astype(str).str.match(r"(Hot|Cold)").any())


def da_hotspot_map(ch: Any, table: pd.DataFrame) -> tuple[Any, str]:
    """Gi* hot and cold spots of the domestic abuse rate by ward."""
    g = ch.load("wards").frame.merge(table, on=["ward_code", "ward_name"])
    return maps.hotspot_map(g.fillna({"hotspot_class": "Not tested"}),
                            "Domestic abuse hot spots (Getis-Ord Gi*, false discovery rate 5%)")


def confidence_table(ch: Any) -> pd.DataFrame:
    """PAS trust, 'good job' and 'informed': the area and London by quarter (proportions 0-1),
    with the gap in percentage points."""
    p = ch.load("public_attitudes").frame
    p = p[(p["borough"] == ch.cfg.area.name) & p["measure_id"].isin(PAS_MEASURES)]
    out = p[["quarter_end", "measure_id", "measure", "proportion", "london"]].copy()
    out["gap_pct_points"] = ((out["proportion"] - out["london"]) * 100).round(0)
    return out.sort_values(["measure_id", "quarter_end"]).reset_index(drop=True)


def confidence_figure(table: pd.DataFrame, area: str) -> tuple[Any, str]:
    """One panel per measure: the area and London, % agreeing in the year to each December."""
    dec = table[table["quarter_end"].str.endswith("-12-31")]
    long = pd.concat([dec.assign(series=area, value=dec["proportion"] * 100),
                      dec.assign(series="London", value=dec["london"] * 100)],
                     ignore_index=True)
    long = long.assign(panel=long["measure_id"].map(PAS_MEASURES),
                       x=long["quarter_end"].str[:4])
    return plots.panel_lines(long[["panel", "x", "series", "value"]], highlight=area,
                             title=f"Public confidence in the police, {area} and London "
                                   "(% agreeing, year to December)")


def confidence_text(table: pd.DataFrame, area: str) -> str:
    """The latest quarter against London and a year earlier, per measure."""
    out = []
    for mid, label in PAS_MEASURES.items():
        t = table[table["measure_id"] == mid].set_index("quarter_end")
        if t.empty:
            continue
        last = t.index.max()
        row = t.loc[last]
        year = str(int(last[:4]) - 1) + last[4:]
        prev = t["proportion"].get(year)
        text = (f"{label}: {row['proportion']:.0%} in {md_text(area)} in the year to "
                f"{periods.month_label(last[:7])}, London {row['london']:.0%}")
        if prev is not None and pd.notna(prev):
            text += f" (a year earlier {prev:.0%})"
        out.append(text + ".")
    return " ".join(out)
