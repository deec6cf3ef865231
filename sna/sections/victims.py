"""Chapter 04: victims and offenders (people proceeded against for homicide, stop and
search), vulnerable groups reported by partners (MARAC, exploitation, IOM...) and the community
assets that protect against violence.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sna import maps, plots
from sna.safe import md_esc
from sna.sections.hotspots import ward_hotspots
from sna.sections.lsoa_maps import match_wards
from sna.sections.wards import main_indicator, num

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
    top = "; ".join(f"{md_esc(r.category.lower())} {num(r.pct, 0)}%"
                    for r in obj.head(3).itertuples())
    has_ts021 = census is not None and "TS021" in set(census["table"])
    return (f"In {months} the police.uk open data place **{num(facts['stops'], 0)} stops** "
            f"inside the area's wards (of {num(facts['mps_stops'], 0)} Met stops; "
            f"{num(facts['no_location'], 0)} Met stops have no location and cannot be "
            f"placed). The most common reasons: {top}. **{num(facts['arrest_pct'])}%** "
            f"ended in arrest (Met: {num(facts['mps_arrest_pct'])}%) and "
            f"{num(facts['nfa_pct'])}% in no further action (Met: "
            f"{num(facts['mps_nfa_pct'])}%). "
            + ("Census 2021 ethnic group (TS021) is supplied; see the table for stops by "
               "group." if has_ts021 else
               "**Disproportionality is not assessed**: that needs residents by ethnic group "
               "(Census 2021 TS021) for the same area, which is not supplied (add it to "
               "`data.census`). Officer-observed ethnicity is shown as recorded."))


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


SEX_PARTS = ("male", "female")
STATUS_PARTS = ("statutory", "non_statutory")


def breakdown_keys(table: pd.DataFrame) -> pd.Series:
    """The breakdown each count row belongs to, for secondary suppression of partner figures.

    A row whose indicator extends another count indicator of the same area and period
    (``iom_cohort_female`` extends ``iom_cohort``) is a part of that total; parts of one
    dimension (sex, ethnicity, RAG, age...) form one group, ``'<total>:<dimension>'``, so
    that hiding one part (4 women) also hides another (101 men) and the published total (105)
    gives no way back to either. Other rows are their own group.
    """
    key = table["area"].astype(str) + "|" + table["period_start"].astype(str) + "|" + \
        table["period_end"].astype(str)
    counts = table["unit"].astype(str) == "count"
    ids_by_key = table[counts].groupby(key[counts])["indicator"].apply(set).to_dict()
    out = []
    for ind, k, is_count in zip(table["indicator"].astype(str), key, counts, strict=True):
        roots = [r for r in ids_by_key.get(k, set()) if is_count and ind.startswith(r + "_")]
        if not roots:
            out.append(ind)
            continue
        root = max(roots, key=len)
        part = ind[len(root) + 1:]
        dim = ("sex" if part in SEX_PARTS else "status" if part in STATUS_PARTS
               else part.split("_")[0])
        out.append(f"{root}:{dim}")
    return pd.Series(out, index=table.index)


def vulnerable_display(table: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Latest value of each group's indicators for the area's own rows (counts 1-4 hidden)."""
    d = table.sort_values("period_end").groupby(["indicator", "area"], as_index=False).tail(1)
    d = d[~d["indicator"].str.endswith("_pct_change")]
    if d["indicator"].isin(KEY_VULNERABLE).any():
        d = d[d["indicator"].isin(KEY_VULNERABLE)]
    d = d.sort_values(["group", "indicator", "area"])
    value = pd.to_numeric(d["value"], errors="coerce").where(
        ~((d["unit"] == "count") & (pd.to_numeric(d["value"], errors="coerce") > 0)
          & (pd.to_numeric(d["value"], errors="coerce") < min_count)))
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
    names = match_wards(a["ward"].dropna(), wd.wards).set_index("name_in_source")
    by_name = a["ward"].map(names["ward_code"])
    fill = a["ward_code"].isna() & by_name.notna()
    a.loc[fill, "ward_code"], a.loc[fill, "located_by"] = by_name[fill], "ward name"
    a["ward_name"] = a["ward_code"].map(wd.wards.set_index("ward_code")["ward_name"])
    a["located_by"] = a["located_by"].replace("", "not placed")
    ind = main_indicator(table)
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
    fig, alt = maps.choropleth(g, "sv_eb_rate_per_1000", "Community assets and serious "
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


def hotspot_classes(ch, wd, table: pd.DataFrame) -> pd.DataFrame:
    """Chapter 03's ``ward_hotspots`` of this run if published, else the latest window's Gi*
    for the main indicator (computed here)."""
    hot = ch.read_table("ward_hotspots")
    if hot is not None and len(hot):
        return hot
    return ward_hotspots(wd, {ch.period: table}, indicators=(main_indicator(table),))
