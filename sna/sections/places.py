"""Chapter 09: places (schools, stations, bus stops) as map layers and their association with
violence at LSOA level (:mod:`sna.places`), with the ecological caveats."""

from __future__ import annotations

import pandas as pd

from sna import places, plots
from sna.safe import md_esc
from sna.sections.lsoa_maps import lsoa_monthly
from sna.sections.ward_data import WardData, area_lookup, area_rows, lsoa_population, window_counts
from sna.sections.wards import (
    LSOA_SV,
    label,
    window_text,
)

MARKERS = ("o", "^", "s", "D", "v", "P")
FORMATS = {"Places": ",.0f", "LSOAs with": ",.0f", "LSOAs without": ",.0f",
           "Rate where present": ".1f", "Rate where absent": ".1f", "Rate ratio": ".2f",
           "95% CI low": ".2f", "95% CI high": ".2f", "Spearman rho": ".2f"}


def lsoa_violence(ch, wd: WardData) -> tuple[pd.DataFrame, str] | None:
    """Serious violence (excluding sexual offences, not published by LSOA) per LSOA in the
    12 months to the period (or the LSOA file's last month): ``lsoa_code, count,
    population``, and the end month. None without ``mps_lsoa``/``lookups``/``lsoa``."""
    if not all(ch.has(k) for k in ("mps_lsoa", "lookups", "lsoa")):
        return None
    loaded = ch.load("mps_lsoa")
    months = [m for m in loaded.meta["months"] if m <= ch.period]
    if not months:
        return None
    lookup = area_lookup(ch.load("lookups").frame, wd.wards["ward_code"])
    rows = area_rows(loaded.frame, ch.cfg.area.name, lookup["lsoa_code"])
    counts, _ = window_counts(lsoa_monthly(rows, loaded.meta["months"]), months[-1],
                              ("lsoa_code", "indicator"))
    counts = counts[counts["indicator"] == LSOA_SV][["lsoa_code", "count"]]
    pop = lsoa_population(ch.load("population").frame)[["lsoa_code", "population"]]
    codes = pd.DataFrame({"lsoa_code": sorted(set(lookup["lsoa_code"]))})
    out = codes.merge(counts, on="lsoa_code", how="left").fillna({"count": 0})
    return out.merge(pop, on="lsoa_code", how="left"), months[-1]


def association_display(table: pd.DataFrame) -> pd.DataFrame:
    """The association table with plain column names."""
    names = {"kind": "Kind", "places": "Places", "lsoas_with": "LSOAs with",
             "lsoas_without": "LSOAs without", "rate_with": "Rate where present",
             "rate_without": "Rate where absent", "rate_ratio": "Rate ratio",
             "lower95": "95% CI low", "upper95": "95% CI high", "spearman_rho": "Spearman rho"}
    return table[list(names)].rename(columns=names)


def association_text(table: pd.DataFrame, end: str) -> str:
    """Markdown: one bullet per kind of place, said with its uncertainty."""
    lines = [f"Serious violence excluding sexual offences, {window_text(end)}, by LSOA:"]
    for r in table.itertuples():
        if pd.isna(r.rate_ratio):
            lines.append(f"- **{md_esc(r.kind)}**: every LSOA or none has one; nothing to "
                         "compare.")
            continue
        ci = f"rate ratio {r.rate_ratio:.2f}, 95% CI {r.lower95:.2f} to {r.upper95:.2f}"
        if r.lower95 > 1:
            how = f"a rate {r.rate_ratio:.1f} times that of"
        elif r.upper95 < 1:
            how = "a lower rate than"
        else:
            how = "a rate not clearly different from"
        rank = ""
        if r.spearman_p < 0.05:
            rank = (f" LSOAs with more {md_esc(r.kind)} tend to have "
                    f"{'higher' if r.spearman_rho > 0 else 'lower'} rates (Spearman rank "
                    f"correlation {r.spearman_rho:.2f}).")
        lines.append(f"- **{md_esc(r.kind)}** ({r.places:,} places): LSOAs with at least one "
                     f"have {how} LSOAs without ({ci}).{rank}")
    return "\n".join(lines)


def places_map(ch, wd: WardData, points: pd.DataFrame, lsoa: pd.DataFrame):
    """LSOA violence rates with the places on top (``(fig, alt)``)."""
    from sna import maps

    poly = ch.load("lsoa").frame
    g = poly[poly["lsoa_code"].isin(set(lsoa["lsoa_code"]))].merge(lsoa, on="lsoa_code")
    g["rate"] = g["count"] / g["population"] * 1000
    fig, alt = maps.choropleth(g, "rate", f"{label(LSOA_SV)} per 1,000 residents by LSOA, "
                               "with places", label_col=None, legend_title="Rate per 1,000",
                               area_noun="LSOAs", k=5, scheme="Quantiles")
    ax = fig.axes[0]
    with plots.styled():
        for i, (kind, d) in enumerate(points.groupby("kind", sort=True)):
            ax.scatter(d["easting"], d["northing"], s=6 if len(d) > 200 else 18,
                       marker=MARKERS[i % len(MARKERS)], color=plots.OKABE_ITO[(i + 3) % 8],
                       edgecolor="black", linewidth=0.2, label=f"{kind} ({len(d)})", zorder=5)
        ax.legend(loc="upper left", fontsize=7)
    kinds = ", ".join(f"{k} ({n})" for k, n in points["kind"].value_counts().sort_index().items())
    return fig, alt + f" Places shown as markers: {kinds}."


def place_table(ch, points: pd.DataFrame, lsoa: pd.DataFrame) -> pd.DataFrame:
    """``tables/places_association.csv``: one row per kind of place."""
    per_lsoa = places.places_per_lsoa(points, ch.load("lsoa").frame)
    return places.association_table(lsoa, per_lsoa)
