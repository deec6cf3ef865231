"""Chapter 09: emerging hot spots of wards (:mod:`sna.emerging`) - the table, a map and a
sentence per category that has wards."""

from __future__ import annotations

import pandas as pd

from sna import emerging
from sna.safe import md_esc
from sna.sections.wards import WardData, label

INDICATORS = ("serious_violence", "violence_with_injury")
QUARTERS = 12
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
    with plots._styled():
        g, metric = maps._projected(g)
        fig, ax = plots._figure(plots.MAP_FIGSIZE)
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
