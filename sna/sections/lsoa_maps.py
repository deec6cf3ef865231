"""Chapter 03: the finer level and other sources: LSOA counts, rates, Gi* and maps; CCTV
incidents by ward; police.uk street-level records.

Decisions
---------
* LSOA level: rape and other sexual offences are not published by LSOA, so the LSOA measure is
  serious violence excluding sexual offences (homicide, violence with injury, personal robbery,
  possession of weapons). LSOA rates, smoothing and Gi* follow the ward method
  (:mod:`sna.sections.wards`, :mod:`sna.sections.hotspots`).
* Partner ward names (CCTV, assets) are matched to the official 2022 wards by
  :func:`match_wards`; approximate matches are reported for the partner to confirm.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sna import gi_star, maps, periods, registry, spatial
from sna.definitions import indicator_monthly
from sna.safe import md_esc
from sna.sections.hotspots import gi_hotspots, names_where
from sna.sections.ward_data import WardData, area_lookup, area_rows, lsoa_population, window_counts
from sna.sections.wards import (
    LSOA_SV,
    count_text,
    label,
    num,
    small_counts,
    window_text,
)

# The serious-violence parts published at LSOA level, from sna/definitions/indicators.yaml
# (the composite's components without those `not_published` for LSOAs).
LSOA_SV_PARTS = registry.sv_parts("lsoa")


@dataclass
class LsoaData:
    """LSOA-level counts, rates and (with polygons) hot spots for the LSOA window."""

    table: pd.DataFrame  # lsoa_code, lsoa_name, ward_code, ward_name, place, indicator, ...
    end: str
    missing: list[str]
    polygons: Any | None


def lsoa_monthly(rows: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Monthly LSOA counts per indicator plus :data:`LSOA_SV` (sum of its published parts)."""
    m = indicator_monthly(rows, by=("area_code", "area_name"), months=months)
    m = m.rename(columns={"area_code": "lsoa_code", "area_name": "lsoa_name"})
    sv = m[m["indicator"].isin(LSOA_SV_PARTS)].groupby(
        ["lsoa_code", "lsoa_name", "month"], as_index=False)["count"].sum()
    return pd.concat([m, sv.assign(indicator=LSOA_SV)], ignore_index=True)


def lsoa_table(counts: pd.DataFrame, population: pd.DataFrame,
               lookup: pd.DataFrame) -> pd.DataFrame:
    """LSOA x indicator counts, rates, 95% CIs, smoothed rates and ranks, with the ward."""
    c = counts.rename(columns={"lsoa_code": "ward_code", "lsoa_name": "ward_name"})
    p = population.loc[population["lsoa_code"].isin(set(counts["lsoa_code"])),
                       ["lsoa_code", "population"]].rename(columns={"lsoa_code": "ward_code"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = spatial.ward_indicator_table(c, p, "12m")
    t = t.rename(columns={"ward_code": "lsoa_code", "ward_name": "lsoa_name"})
    lk = lookup.drop_duplicates("lsoa_code").set_index("lsoa_code")
    t.insert(2, "ward_code", t["lsoa_code"].map(lk["ward_code"]))
    t.insert(3, "ward_name", t["lsoa_code"].map(lk["ward_name"]))
    t.insert(4, "place", t["lsoa_name"] + " (" + t["ward_name"].fillna("ward unknown") + ")")
    t["indicator_label"] = t["indicator"].map(label)
    return t


def load_lsoa_data(ch, wd: WardData, period: str) -> LsoaData | None:
    """LSOA counts for the 12 months to ``period`` or, when the LSOA file ends earlier, to
    its last complete month; ``None`` when ``mps_lsoa`` is not supplied or does not reach.
    The table is derived once per input and window and cached on disk (``sna.data.derived``):
    chapters 03 and 04 both read it."""
    from sna import data as sna_data

    if not ch.has("mps_lsoa"):
        return None
    months = [m for m in sna_data.load_meta(ch.cfg, "mps_lsoa")["months"] if m <= period]
    if not months or not ch.has("lookups"):
        return None
    keys = ("mps_lsoa", "lookups", "population", "wards") + (("lsoa",) if ch.has("lsoa") else ())
    table = sna_data.derived(ch.cfg, "lsoa_window", keys, lsoa_window, ch.cfg, months[-1])
    missing = [m for m in table.pop(MISSING).iloc[0].split(";") if m] if len(table) else []
    polygons = ch.load("lsoa").frame if ch.has("lsoa") else None
    if polygons is not None:
        polygons = polygons[polygons["lsoa_code"].isin(set(table["lsoa_code"]))]
    return LsoaData(table, months[-1], missing, polygons)


MISSING = "_missing_months"  # carried through the cache with the table, then dropped


def lsoa_window(cfg, end: str) -> pd.DataFrame:
    """The area's LSOA table for the 12 months to ``end`` (counts, rates, Gi* hot spots of
    serious violence when LSOA polygons are supplied), with the window's months absent from
    the file in column :data:`MISSING`."""
    from sna import data as sna_data

    loaded = sna_data.load(cfg, "mps_lsoa")
    wards = sna_data.load(cfg, "wards").frame
    lookup = area_lookup(sna_data.load(cfg, "lookups").frame, wards["ward_code"])
    rows = area_rows(loaded.frame, cfg.area.name, lookup["lsoa_code"])
    counts, missing = window_counts(lsoa_monthly(rows, loaded.meta["months"]), end,
                                    ("lsoa_code", "lsoa_name", "indicator"))
    table = lsoa_table(counts, lsoa_population(sna_data.load(cfg, "population").frame), lookup)
    if cfg.has("lsoa"):
        polygons = sna_data.load(cfg, "lsoa").frame
        polygons = polygons[polygons["lsoa_code"].isin(set(table["lsoa_code"]))]
        gi = gi_hotspots(polygons[["lsoa_code", "geometry"]], table, LSOA_SV, key="lsoa_code")
        table = table.merge(gi[["lsoa_code", "gi_z", "gi_p", "gi_q", "hotspot_class"]].assign(
            indicator=LSOA_SV), on=["lsoa_code", "indicator"], how="left")
    table["window"] = "12m"
    table["period_start"] = periods.window_months(end, 12)[0]
    table["period_end"] = end
    table[MISSING] = ";".join(missing)
    return table


LSOA_SUPPRESS = {"count_cols": ["count"],
                 "dependent": {"count": ["rate_per_1000", "lower95", "upper95",
                                         "eb_rate_per_1000"]},
                 "group_cols": ["indicator"]}


def lsoa_map(ld: LsoaData, wd: WardData, min_count: int, kind: str = "rate"):
    """LSOA map of :data:`LSOA_SV`: smoothed rates (``kind='rate'``) or Gi* classes
    (``'hotspot'``), with ward boundaries and names on top."""
    d = ld.table[ld.table["indicator"] == LSOA_SV].drop(columns=["lsoa_name"])
    g = ld.polygons.merge(d, on="lsoa_code", how="left")
    what = f"{label(LSOA_SV).lower()}, {window_text(ld.end)}"
    if kind == "hotspot":
        g["hotspot_class"] = g["hotspot_class"].fillna(gi_star.NOT_SIGNIFICANT)
        if (g["hotspot_class"] != gi_star.NOT_SIGNIFICANT).any():
            fig, _ = maps.hotspot_map(g, f"Hot spots by LSOA: {what} (Gi*, FDR 5%)",
                                       label_col=None, area_noun="LSOAs")
        else:
            fig, _ = maps.change_map(g, "gi_z", f"Clustering by LSOA: {what} (Gi* z-score)",
                                      legend_title="Gi* z-score", label_col=None)
        top = g.sort_values("gi_z", ascending=False).head(3)
        alt = (f"Map of {len(g)} LSOAs: Getis-Ord Gi* result for {what}; red where an LSOA and "
               "its neighbours have high rates, blue where low. Significant hot spots after "
               f"the false discovery rate correction: "
               f"{names_where(g, g['hotspot_class'].str.startswith('Hot'), 'place')}. Highest "
               f"z-scores: " + ", ".join(f"{r.place} ({r.gi_z:.1f})" for r in top.itertuples())
               + ".")
    else:
        g["value"] = g["eb_rate_per_1000"].mask(small_counts(g["count"], min_count))
        fig, alt = maps.choropleth(g, "value", f"Rate by LSOA: {what}", label_col=None,
                                    legend_title="Offences per 1,000\nresidents (smoothed)",
                                    area_noun="LSOAs", missing_label=f"Fewer than {min_count} "
                                    "offences\n(suppressed)")
    maps.add_outlines(fig, wd.wards, label_col="ward_name")
    return fig, alt + " Ward boundaries and names are drawn on top."


def lsoa_text(ld: LsoaData, min_count: int) -> tuple[str, dict]:
    """Markdown on the LSOA pattern (rates, Gi* classes) and its evidence."""
    d = ld.table[ld.table["indicator"] == LSOA_SV]
    top = d.sort_values("eb_rate_per_1000", ascending=False).head(3)
    text = (f"At the finer level of {len(d)} LSOAs (neighbourhoods of about 1,500 residents), "
            f"the highest smoothed rates of {label(LSOA_SV).lower()} in "
            f"{window_text(ld.end)} are in "
            + ", ".join(f"{md_esc(r.lsoa_name)} in {md_esc(r.ward_name)} "
                        f"({num(r.eb_rate_per_1000)} per 1,000)" for r in top.itertuples())
            + ".")
    ev = {"top_lsoas": list(top["place"])}
    if "hotspot_class" in d:
        hotl = d[d["hotspot_class"].astype(str).str.startswith("Hot")]
        nominal = d[(d["gi_p"] <= 0.05) & (d["gi_z"] > 0)]
        wards = nominal["ward_name"].value_counts()
        hot_names = "; ".join(md_esc(x) for x in hotl["place"])
        text += ((f" {len(hotl)} LSOA{'s are' if len(hotl) > 1 else ' is a'} statistically "
                  f"significant hot spot{'s' * (len(hotl) > 1)} after the correction for "
                  f"testing {len(d)} areas: {hot_names}." if len(hotl) else
                  f" No LSOA is a statistically significant hot spot after the correction for "
                  f"testing {len(d)} areas.") + " Before that correction, "
                 f"{len(nominal)} LSOAs show clustering of high rates (p < 0.05)"
                 + (f", most of them in {md_esc(wards.index[0])} ({wards.iloc[0]})"
                    if len(wards) else "") + ".")
        ev.update(lsoa_hot_spots=list(hotl["place"]), lsoa_uncorrected=len(nominal))
    if ld.missing:
        text += f" Months missing from the LSOA file: {', '.join(ld.missing)}."
    return text, ev


CCTV_VIOLENCE = ("violent crime", "offensive weapon", "robbery", "sexual offence", "murder",
                 "public disorder")
POLICE_UK_VIOLENCE = ("Violence and sexual offences", "Robbery", "Possession of weapons")


def _norm_name(name: object) -> str:
    text = str(name).lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def match_wards(names, wards: pd.DataFrame) -> pd.DataFrame:
    """Map ward names as written in a partner file to official ward codes.

    Exact match after normalising case, ``&``/``and`` and punctuation; otherwise an
    *approximate* match when exactly one official ward not matched exactly shares the first
    word (``'Totteridge & Whetstone'`` -> ``Totteridge & Woodside``); otherwise not matched.

    Returns
    -------
    DataFrame
        ``name_in_source, ward_code, ward_name, match`` ('exact' | 'approximate' |
        'not matched').
    """
    official = {_norm_name(n): (c, n) for c, n in zip(wards["ward_code"], wards["ward_name"],
                                                      strict=True)}
    names = list(dict.fromkeys(names))
    exact = {n: official[_norm_name(n)] for n in names if _norm_name(n) in official}
    free = {k: v for k, v in official.items() if v not in exact.values()}
    rows = []
    for n in names:
        first = (_norm_name(n).split() or [""])[0]
        cands = [v for k, v in free.items() if k.split()[0] == first]
        hit, how = ((exact[n], "exact") if n in exact else (cands[0], "approximate")
                    if len(cands) == 1 else ((None, None), "not matched"))
        rows.append({"name_in_source": n, "ward_code": hit[0], "ward_name": hit[1],
                     "match": how})
    return pd.DataFrame(rows)


def cctv_tables(cctv: pd.DataFrame, wards: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CCTV incidents by ward: the long table (``tables/cctv_by_ward.csv``) and per-ward totals.

    Returns
    -------
    long : DataFrame
        ``ward_code, ward_name, name_in_source, match, incident_type, violence_related,
        count, period_start, period_end``.
    by_ward : DataFrame
        ``ward_code, ward_name, incidents, violence_related`` (every official ward, 0 where none;
        unmatched names as extra rows without a code).
    """
    m = match_wards(cctv["ward"], wards)
    long = cctv.merge(m, left_on="ward", right_on="name_in_source").drop(columns="ward")
    long["violence_related"] = long["incident_type"].str.lower().isin(CCTV_VIOLENCE)
    long = long[["ward_code", "ward_name", "name_in_source", "match", "incident_type",
                 "violence_related", "count", "period_start", "period_end"]]
    key = long["ward_name"].fillna(long["name_in_source"])
    agg = long.assign(key=key, vio=long["count"].where(long["violence_related"], 0)).groupby(
        "key", as_index=False).agg(ward_code=("ward_code", "first"), incidents=("count", "sum"),
                                   violence_related=("vio", "sum"))
    base = wards[["ward_code", "ward_name"]].merge(
        agg.drop(columns="ward_code"), left_on="ward_name", right_on="key", how="outer")
    base["ward_name"] = base["ward_name"].fillna(base["key"])
    base = base.drop(columns="key").fillna({"incidents": 0, "violence_related": 0})
    return long, base.astype({"incidents": int, "violence_related": int})


def cctv_sentence(long: pd.DataFrame, min_count: int) -> str:
    """What the CCTV file covers and which ward names did or did not match."""
    total = int(long["count"].sum())
    start, end = long["period_start"].min(), long["period_end"].max()
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    parts = [f"The CCTV control room recorded **{num(total, 0)} incidents** between "
             f"{periods.day_label(start)} and {periods.day_label(end)}."]
    m = long.groupby(["name_in_source", "match"], as_index=False).agg(
        ward_name=("ward_name", "first"), count=("count", "sum"))
    for _, r in m[m["match"] == "approximate"].iterrows():
        parts.append(f"The control room's ward name '{md_esc(r['name_in_source'])}' is not an "
                     f"official 2022 ward; it was matched to **{md_esc(r['ward_name'])}** (the "
                     "only ward sharing its first word) - please confirm with the control room.")
    lost = m[m["match"] == "not matched"]
    if len(lost):
        n = int(lost["count"].sum())
        names = ", ".join(f"'{md_esc(x)}'" for x in lost["name_in_source"])
        parts.append(f"{'One name' if len(lost) == 1 else f'{len(lost)} names'} could not be "
                     f"matched to a ward and {'is' if len(lost) == 1 else 'are'} shown "
                     f"separately: {names}"
                     f" ({count_text(n, min_count)} incidents, "
                     f"{n / total * 100 if total else 0:.0f}% of the total).")
    return " ".join(parts)


def cctv_map(wd: WardData, by_ward: pd.DataFrame, min_count: int):
    """Choropleth of CCTV incidents per ward (1-4 suppressed)."""
    g = wd.wards.merge(by_ward[["ward_code", "incidents"]], on="ward_code", how="left")
    g["value"] = g["incidents"].astype(float).mask(small_counts(g["incidents"], min_count))
    return maps.choropleth(g, "value", "CCTV incidents by ward", legend_title="Incidents",
                            missing_label=f"Fewer than {min_count}\n(suppressed)")


def police_uk_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Crime types present in the police.uk street-level records of the area."""
    return (frame.groupby("crime_type", as_index=False)
            .agg(records=("crime_id", "size"), first_month=("month", "min"),
                 last_month=("month", "max"))
            .sort_values("records", ascending=False, ignore_index=True))


def police_uk_map(frame: pd.DataFrame, wd: WardData, lsoa_polygons, min_count: int):
    """Map of police.uk records (violence types if present, else every type present) by LSOA
    when most LSOAs have at least ``min_count`` records, else by ward (point in polygon).

    Returns ``(fig, alt, level, types)``.
    """
    from sna.io.police_uk import assign_to_wards

    types = [t for t in POLICE_UK_VIOLENCE if t in set(frame["crime_type"])]
    d = frame[frame["crime_type"].isin(types)] if types else frame
    types = types or sorted(frame["crime_type"].unique())
    by_lsoa = d.groupby("lsoa_code").size()
    if lsoa_polygons is not None and by_lsoa.reindex(lsoa_polygons["lsoa_code"]).fillna(
            0).median() >= min_count:
        g, level, lab, noun = lsoa_polygons.copy(), "LSOA", None, "LSOAs"
        g["value"] = g["lsoa_code"].map(by_lsoa).fillna(0)
    else:
        g, level, lab, noun = wd.wards.copy(), "ward", "ward_name", "wards"
        g["value"] = g["ward_code"].map(assign_to_wards(d, wd.wards).groupby("ward_code")
                                        .size()).fillna(0)
    g["value"] = g["value"].mask(small_counts(g["value"], min_count))
    title = f"police.uk records by {level}: {', '.join(types)}"
    fig, alt = maps.choropleth(g, "value", title, label_col=lab, legend_title="Records",
                                area_noun=noun, missing_label=f"Fewer than {min_count}\n"
                                "(suppressed)")
    return fig, alt, level, types


def police_uk_sentence(types: pd.DataFrame) -> str:
    """What the police.uk files contain, and what they cannot show when violence is absent."""
    total = int(types["records"].sum())
    months = f"{types['first_month'].min()} to {types['last_month'].max()}"
    kinds = ", ".join(f"'{md_esc(t)}'" for t in types["crime_type"])
    violent = types[types["crime_type"].isin(POLICE_UK_VIOLENCE)]
    text = (f"The police.uk street-level files supplied hold **{num(total, 0)} records** in "
            f"the area ({months}), of these crime types: {kinds}.")
    if violent.empty:
        text += (" **None of them is a violent crime type**, so they add nothing on serious "
                 "violence: supply the complete monthly street-level files (all crime types) "
                 "to map 'Violence and sexual offences', 'Robbery' and 'Possession of "
                 "weapons' by street. The map below shows what the files hold.")
    return text
