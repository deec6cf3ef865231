"""Chapter 09: emerging hot spots of wards (:mod:`sna.emerging`) - the table, a map and a
sentence per category that has wards."""

from __future__ import annotations

import pandas as pd

from sna import emerging
from sna.safe import md_esc
from sna.sections.lsoa_maps import lsoa_monthly
from sna.sections.ward_data import WardData, area_lookup, area_rows, lsoa_population
from sna.sections.wards import (
    LSOA_SV,
    label,
)

INDICATORS = ("serious_violence", "violence_with_injury")
QUARTERS = 12
MIN_QUARTERS = 8  # the LSOA file has 24 months: 8 quarters
MEANINGS = {
    "new": "a hot spot in the latest quarter for the first time in the period",
    "consecutive": "a hot spot for an unbroken run of recent quarters, and never before",
    "intensifying": "a hot spot in at least 90% of quarters, and the clustering is getting "
                    "stronger",
    "persistent": "a hot spot in at least 90% of quarters, with no clear trend",
    "diminishing": "a hot spot in at least 90% of quarters, but the clustering is getting "
                   "weaker",
    "sporadic": "a hot spot in the latest quarter that has come and gone before",
    "oscillating": "a hot spot in the latest quarter that was a cold spot earlier",
    "historical": "a hot spot in at least 90% of quarters, but not in the latest one",
}
COLOURS = {"new": "#67000D", "consecutive": "#CB181D", "intensifying": "#A50F15",
           "persistent": "#EF3B2C", "diminishing": "#FC9272", "sporadic": "#FDD0A2",
           "oscillating": "#9E9AC8", "historical": "#D9D9D9", "no pattern": "#F7F7F7"}


def emerging_table(wd: WardData, period: str) -> tuple[pd.DataFrame, list[str]]:
    """``tables/emerging_hotspots.csv`` (``ward_code, ward_name, indicator, category`` and the
    evidence) and the quarter end months used."""
    ends = emerging.quarter_ends(period, wd.months, QUARTERS)
    pop = wd.population.set_index("ward_code")["population"]
    gdf = wd.wards[wd.wards["ward_code"].isin(pop.dropna().index)].reset_index(drop=True)
    if len(ends) < 4 or len(gdf) < 4:
        return pd.DataFrame(columns=["ward_code", "ward_name", "indicator", "category"]), ends
    w = emerging.neighbour_matrix(gdf)
    parts = []
    for ind in INDICATORS:
        rates = emerging.quarterly_rates(wd.monthly, pop[gdf["ward_code"]], ind, ends)
        parts.append(emerging.emerging_hotspots(gdf, rates, w).assign(indicator=ind))
    out = pd.concat(parts, ignore_index=True)
    lead = ["ward_code", "ward_name", "indicator", "category"]
    out = out[lead + [c for c in out.columns if c not in lead]]
    return out.assign(first_quarter_end=ends[0], last_quarter_end=ends[-1]), ends


def emerging_text(table: pd.DataFrame, ends: list[str], indicator: str) -> str:
    """Markdown: one sentence per category that has wards (``indicator`` only)."""
    if table.empty:
        return ("Too few complete quarters or wards for an emerging hot spot analysis "
                f"({len(ends)} quarters).")
    t = table[table["indicator"] == indicator]
    lines = [f"**{label(indicator)}**, {len(ends)} quarters ending "
             f"{pd.Period(ends[0], 'M').strftime('%b %Y')} to "
             f"{pd.Period(ends[-1], 'M').strftime('%b %Y')}:"]
    for cat in emerging.CATEGORIES[:-1]:
        names = sorted(t.loc[t["category"] == cat, "ward_name"])
        if names:
            verb = "is" if len(names) == 1 else "are"
            lines.append(f"- **{cat.capitalize()}**: {', '.join(md_esc(n) for n in names)} "
                         f"{verb} {MEANINGS[cat]}.")
    if len(lines) == 1:
        lines.append("- No ward shows an emerging, persistent or fading hot spot pattern: "
                     "no cluster of high rates passed the test in the latest quarter or in "
                     "most quarters.")
    return "\n".join(lines)


def emerging_map(wd: WardData, table: pd.DataFrame, indicator: str):
    """Map of the categories (``(fig, alt)``)."""
    from matplotlib.patches import Patch

    from sna import maps, plots

    t = table[table["indicator"] == indicator][["ward_code", "category"]]
    g = wd.wards.merge(t, on="ward_code", how="left").fillna({"category": "no pattern"})
    with plots.styled():
        g, metric = maps._projected(g)
        fig, ax = plots.new_figure(plots.MAP_FIGSIZE)
        g.plot(ax=ax, color=[COLOURS[c] for c in g["category"]], edgecolor="#666666",
               linewidth=0.5)
        maps._label_areas(ax, g, "ward_name")
        maps._decorate_map(ax, metric)
        ax.set_title(f"Emerging hot spots: {label(indicator).lower()}, quarterly Gi*")
        counts = g["category"].value_counts()
        fig.legend(handles=[Patch(facecolor=COLOURS[c], edgecolor="#666666",
                                  label=f"{c} ({counts.get(c, 0)})")
                            for c in emerging.CATEGORIES if counts.get(c, 0)],
                   loc="outside right upper")
    found = [f"{c}: {', '.join(sorted(g.loc[g['category'] == c, 'ward_name']))}"
             for c in emerging.CATEGORIES[:-1] if (g["category"] == c).any()]
    alt = (f"Map of {len(g)} wards coloured by emerging hot spot category for "
           f"{label(indicator).lower()}. " + ("; ".join(found) + ". " if found else
                                               "No ward has a hot spot pattern. ")
           + f"{int((g['category'] == 'no pattern').sum())} wards show no pattern.")
    return fig, alt


def map_indicator(table: pd.DataFrame) -> str | None:
    """The first of :data:`INDICATORS` with a ward in a category (None: nothing to map)."""
    for ind in INDICATORS:
        t = table[table["indicator"] == ind]
        if (t["category"] != "no pattern").any():
            return ind
    return None


def finding(table: pd.DataFrame, ends: list[str]) -> str:
    """One plain sentence for the summary ('' when no ward has a pattern)."""
    ind = map_indicator(table)
    if ind is None:
        return ""
    t = table[(table["indicator"] == ind) & (table["category"] != "no pattern")]
    parts = [f"{cat}: {', '.join(sorted(t.loc[t['category'] == cat, 'ward_name']))}"
             for cat in emerging.CATEGORIES if (t["category"] == cat).any()]
    return (f"Emerging hot spots of {label(ind).lower()} over {len(ends)} quarters - "
            + "; ".join(parts) + ".")


def lsoa_emerging(ch, wd: WardData) -> tuple[pd.DataFrame, list[str]] | None:
    """Emerging hot spots of LSOAs for serious violence excluding sexual offences (the
    offences published by LSOA) over the complete quarters of the LSOA file, at most
    :data:`QUARTERS`; None without ``mps_lsoa``, ``lookups`` and ``lsoa`` or with fewer
    than :data:`MIN_QUARTERS` quarters. Columns ``lsoa_code, lsoa_name, indicator,
    category`` and the evidence of :func:`sna.emerging.emerging_hotspots`."""
    if not all(ch.has(k) for k in ("mps_lsoa", "lookups", "lsoa")):
        return None
    loaded = ch.load("mps_lsoa")
    months = [m for m in loaded.meta["months"] if m <= ch.period]
    ends = emerging.quarter_ends(months[-1], months, QUARTERS) if months else []
    if len(ends) < MIN_QUARTERS:
        return None
    lookup = area_lookup(ch.load("lookups").frame, wd.wards["ward_code"])
    rows = area_rows(loaded.frame, ch.cfg.area.name, lookup["lsoa_code"])
    monthly = lsoa_monthly(rows, loaded.meta["months"])
    pop = lsoa_population(ch.load("population").frame).set_index("lsoa_code")["population"]
    poly = ch.load("lsoa").frame
    poly = poly[poly["lsoa_code"].isin(set(lookup["lsoa_code"]) & set(pop.dropna().index))]
    poly = poly.reset_index(drop=True)
    rates = emerging.quarterly_rates(monthly, pop[poly["lsoa_code"]], LSOA_SV, ends,
                                     key="lsoa_code")
    out = emerging.emerging_hotspots(poly, rates, key="lsoa_code", name="lsoa_name")
    lead = ["lsoa_code", "lsoa_name", "indicator", "category"]
    out = out.assign(indicator=LSOA_SV, first_quarter_end=ends[0], last_quarter_end=ends[-1])
    return out[lead + [c for c in out.columns if c not in lead]], ends


def lsoa_text(table: pd.DataFrame, ends: list[str]) -> str:
    """Markdown: how many LSOAs fall in each category (the names are in the table)."""
    counts = table["category"].value_counts()
    found = [f"{cat} {counts[cat]}" for cat in emerging.CATEGORIES[:-1] if counts.get(cat, 0)]
    span = (f"{len(ends)} quarters ending {pd.Period(ends[0], 'M').strftime('%b %Y')} to "
            f"{pd.Period(ends[-1], 'M').strftime('%b %Y')}")
    if not found:
        return (f"**Neighbourhoods (LSOAs)**, {label(LSOA_SV).lower()}, {span}: no LSOA "
                "shows a hot spot pattern.")
    return (f"**Neighbourhoods (LSOAs)**, {label(LSOA_SV).lower()}, {span} (the police file "
            f"by LSOA is shorter than 12 quarters): {', '.join(found)} of {len(table)} LSOAs "
            "(names in `tables/emerging_hotspots_lsoa.csv`).")
