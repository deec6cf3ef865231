"""House-style maps for the SNA chapters; every function returns ``(fig, alt_text)``.

Choropleths (classed, with a legend that counts the areas in each class), small multiples,
change maps (diverging), hot-spot maps and boundary outlines. Figures are built without pyplot,
in the style of :mod:`sna.plots`; maps are drawn in British National Grid (EPSG:27700) when the
boundaries are geographic, with a scale bar and north arrow.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Iterable, Mapping

import matplotlib as mpl
import numpy as np
from matplotlib import patheffects
from matplotlib.colors import TwoSlopeNorm, to_rgba
from matplotlib.patches import Patch

from sna.plots import (
    DIVERGING,
    HOTSPOT_COLOURS,
    MAP_FIGSIZE,
    NO_DATA,
    SEQUENTIAL,
)
from sna.plots import (
    count_noun as _count,
)
from sna.plots import (
    fmt_number as _fmt,
)
from sna.plots import (
    is_whole as _is_int,
)
from sna.plots import (
    names_values as _names_values,
)
from sna.plots import (
    new_figure as _figure,
)
from sna.plots import (
    signed as _signed,
)
from sna.plots import (
    styled as _styled,
)
from sna.plots import (
    wrap as _wrap,
)


def _projected(gdf):
    """Return (gdf in metres, True) or (gdf, False) when no metric CRS can be had."""
    crs = gdf.crs
    if crs is None:
        return gdf, False
    if crs.is_geographic:
        return gdf.to_crs(27700), True  # British National Grid: the workbook is for London
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    return gdf, unit in ("metre", "meter")


def _decorate_map(ax, metric: bool) -> None:
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    ax.set_axis_off()
    if not metric:
        ax.text(
            0.0,
            0.0,
            "No scale bar or north arrow: coordinate system unknown.",
            transform=ax.transAxes,
            fontsize=10,
            va="bottom",
        )
        return
    ax.annotate(
        "N",
        xy=(0.97, 0.97),
        xytext=(0.97, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 3, "headwidth": 9, "headlength": 8},
    )
    x0, x1 = ax.get_xlim()
    target = (x1 - x0) / 5
    km = max([s for s in (0.5, 1, 2, 5, 10, 20, 50, 100) if s * 1000 <= target] or [0.5])
    bar = AnchoredSizeBar(
        ax.transData,
        km * 1000,
        f"{km:g} km",
        "lower left",
        pad=0.4,
        frameon=False,
        size_vertical=(x1 - x0) / 150,
        fontproperties={"size": 10},
    )
    ax.add_artist(bar)


def _label_areas(ax, gdf, label_col: str | None, fontsize: float = 7) -> None:
    if not label_col or label_col not in gdf:
        return
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for point, name in zip(gdf.geometry.representative_point(), gdf[label_col], strict=True):
        ax.text(
            point.x,
            point.y,
            textwrap.fill(str(name), 10, break_long_words=False, break_on_hyphens=False),
            ha="center",
            va="center",
            fontsize=fontsize,
            path_effects=halo,
            linespacing=0.9,
        )


def _classes(values: np.ndarray, scheme: str, k: int) -> np.ndarray:
    """Upper bounds of the classes (mapclassify; 'NaturalBreaks' = exact Fisher-Jenks)."""
    import mapclassify

    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return np.array([])
    k = min(k, len(np.unique(finite)))
    if k < 2:
        return np.array([finite.max()])
    name = "FisherJenks" if scheme.lower() in ("naturalbreaks", "fisherjenks") else scheme
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.unique(mapclassify.classify(finite, name, k=k).bins)


def _class_colours(bins: np.ndarray, cmap: str) -> np.ndarray:
    return mpl.colormaps[cmap](np.linspace(0.08, 0.92, max(len(bins), 1)))


def _class_handles(bins, low: float, cmap: str, counts=None, n_missing: int = 0,
                   missing_label: str = "No data") -> list:
    colours, lows = _class_colours(bins, cmap), [low, *bins[:-1]]
    integer = _is_int([low, *bins])
    handles = [
        Patch(
            facecolor=colours[i],
            label=f"{_fmt(lo, integer)} – {_fmt(hi, integer)}"
            + (f" ({counts[i]})" if counts is not None else ""),
        )
        for i, (lo, hi) in enumerate(zip(lows, bins, strict=False))
    ]
    if n_missing:
        handles.append(
            Patch(
                facecolor=NO_DATA,
                label=missing_label + (f" ({n_missing})" if counts is not None else ""),
            )
        )
    return handles


def _draw_classed(ax, gdf, column: str, bins: np.ndarray, cmap: str) -> list[int]:
    """Fill polygons by class (``bins`` = upper bounds); return the count in each class."""
    values = gdf[column].to_numpy(dtype=float)
    ok = np.isfinite(values)
    colours = _class_colours(bins, cmap)
    cls = np.clip(np.searchsorted(bins, values, side="left"), 0, max(len(bins) - 1, 0))
    fill = [
        tuple(colours[c]) if good else to_rgba(NO_DATA) for c, good in zip(cls, ok, strict=True)
    ]
    gdf.plot(ax=ax, color=fill, edgecolor="white", linewidth=0.7)
    return [int((cls[ok] == i).sum()) for i in range(len(bins))]


def _extremes(gdf, column: str, label_col: str | None) -> tuple[str, str]:
    s = gdf.set_index(label_col)[column] if label_col in gdf else gdf[column]
    s = s.dropna().sort_values(ascending=False)
    integer = _is_int(s)
    return (
        _names_values(s.index, s.values, 3, integer),
        _names_values(s.index[::-1], s.values[::-1], 1, integer),
    )


def choropleth(
    gdf,
    column: str,
    title: str,
    *,
    k: int = 5,
    scheme: str = "NaturalBreaks",
    label_col: str | None = "ward_name",
    legend_title: str | None = None,
    area_noun: str = "wards",
    cmap: str = SEQUENTIAL,
    missing_label: str = "No data",
):
    """Classed choropleth with labels, north arrow and scale bar.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons with ``column`` (NaN drawn light grey as "No data"). Geographic CRS is
        projected to EPSG:27700 for the scale bar; with no CRS a note replaces it.
    scheme : str
        mapclassify scheme name; ``'NaturalBreaks'`` uses exact Fisher-Jenks (deterministic).
    missing_label : str
        Legend and alt-text wording for NaN areas (e.g. ``'Fewer than 5 (suppressed)'``).
    """
    with _styled():
        g, metric = _projected(gdf)
        bins = _classes(g[column].to_numpy(dtype=float), scheme, k)
        fig, ax = _figure(MAP_FIGSIZE)
        values = g[column].to_numpy(dtype=float)
        counts = _draw_classed(ax, g, column, bins, cmap)
        handles = _class_handles(
            bins, np.nanmin(values, initial=np.inf), cmap, counts, int(np.isnan(values).sum()),
            missing_label,
        )
        _label_areas(ax, g, label_col)
        _decorate_map(ax, metric)
        ax.set_title(_wrap(title, 60))
        fig.legend(handles=handles, title=legend_title or column, loc="outside right upper")
    high, low = _extremes(g, column, label_col)
    missing = int(g[column].isna().sum())
    alt = (
        f"Map of {len(g)} {area_noun}: {title}. Shaded by {legend_title or column} in "
        f"{len(bins)} classes (darker = higher). Highest: {high}; lowest: {low}."
    )
    if missing:
        what = "with no data" if missing_label == "No data" else f"shown as {missing_label!r}"
        alt += f" {_count(missing, area_noun)} {what} (light grey)."
    return fig, alt


def small_multiples(
    gdf,
    columns: Mapping[str, str],
    *,
    suptitle: str = "",
    k: int = 5,
    scheme: str = "Quantiles",
    legend_title: str = "",
    label_col: str | None = "ward_name",
    label_areas: bool = False,
    area_noun: str = "wards",
    cmap: str = SEQUENTIAL,
    missing_label: str = "No data",
):
    """Side-by-side maps of several columns on one shared classification (comparable).

    ``missing_label`` names NaN areas in the legend (e.g. ``'Fewer than 5 (suppressed)'``).
    """
    with _styled():
        g, metric = _projected(gdf)
        pooled = np.concatenate([g[c].to_numpy(dtype=float) for c in columns])
        bins = _classes(pooled, scheme, k)
        ncols = min(3, len(columns))
        nrows = math.ceil(len(columns) / ncols)
        fig, axes = _figure((8.0, 3.3 * nrows + 0.9), nrows=nrows, ncols=ncols, squeeze=False)
        parts = []
        for i, (ax, (col, panel)) in enumerate(zip(axes.flat, columns.items(), strict=False)):
            _draw_classed(ax, g, col, bins, cmap)
            _label_areas(ax, g, label_col if label_areas else None)
            _decorate_map(ax, metric) if i == 0 else ax.set_axis_off()
            ax.set_title(_wrap(panel, 30), fontsize=11)
            parts.append(f"{panel}: highest {_extremes(g, col, label_col)[0]}")
        for ax in axes.flat[len(columns) :]:
            ax.set_axis_off()
        handles = _class_handles(
            bins, np.nanmin(pooled, initial=np.inf), cmap, n_missing=int(np.isnan(pooled).sum()),
            missing_label=missing_label,
        )
        fig.legend(
            handles=handles,
            title=legend_title,
            loc="outside lower center",
            ncols=min(len(handles), 6),
        )
        if suptitle:
            fig.suptitle(_wrap(suptitle), fontweight="bold", fontsize=13)
    alt = (
        f"{len(columns)} maps of {len(g)} {area_noun} side by side"
        f"{': ' + suptitle if suptitle else ''}, on the same {len(bins)} colour classes of "
        f"{legend_title or 'value'} (darker = higher). " + "; ".join(parts) + "."
    )
    return fig, alt


def change_map(
    gdf,
    change_col: str,
    title: str = "Change",
    *,
    legend_title: str | None = None,
    label_col: str | None = "ward_name",
    area_noun: str = "wards",
):
    """Diverging map of a change (red = increase, blue = decrease), centred at 0."""
    with _styled():
        g, metric = _projected(gdf)
        v = g[change_col].to_numpy(dtype=float)
        span = float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 0.0
        norm = TwoSlopeNorm(0.0, -(span or 1.0), span or 1.0)
        cmap = mpl.colormaps[DIVERGING]
        fig, ax = _figure(MAP_FIGSIZE)
        fill = [cmap(norm(x)) if np.isfinite(x) else to_rgba(NO_DATA) for x in v]
        g.plot(ax=ax, color=fill, edgecolor="white", linewidth=0.7)
        _label_areas(ax, g, label_col)
        _decorate_map(ax, metric)
        ax.set_title(_wrap(title, 60))
        fig.colorbar(
            mpl.cm.ScalarMappable(norm=norm, cmap=cmap),
            ax=ax,
            shrink=0.6,
            label=legend_title or change_col,
        )
    s = g.set_index(label_col)[change_col] if label_col in g else g[change_col]
    s = s.dropna().sort_values()
    alt = (
        f"Map of {len(g)} {area_noun}: {title}. Coloured by {legend_title or change_col}, "
        f"red for increases and blue for decreases. {(s > 0).sum()} increased, "
        f"{(s < 0).sum()} decreased, {(s == 0).sum()} unchanged."
    )
    if len(s):
        i = _is_int(s)
        alt += (
            f" Largest increase: {s.index[-1]} ({_signed(s.iloc[-1], i)}); largest "
            f"decrease: {s.index[0]} ({_signed(s.iloc[0], i)})."
        )
    if len(s) < len(g):
        alt += f" {_count(len(g) - len(s), area_noun)} with no data (light grey)."
    return fig, alt


def _hotspot_order(labels: Iterable[str]) -> list[str]:
    def key(label: str):
        conf = float(label.split("(")[-1].rstrip("%)")) if "(" in label else 0.0
        return (
            (0, -conf)
            if label.startswith("Hot")
            else (2, conf)
            if label.startswith("Cold")
            else (1, 0)
        )

    return sorted(set(HOTSPOT_COLOURS) | set(labels), key=key)


def hotspot_map(
    gdf,
    title: str = "Hot spots (Getis-Ord Gi*, false discovery rate 5%)",
    *,
    class_col: str = "hotspot_class",
    label_col: str | None = "ward_name",
    area_noun: str = "wards",
):
    """Map of Gi* classes with a fixed legend order and colours (all classes always shown)."""
    with _styled():
        g, metric = _projected(gdf)
        order = _hotspot_order(g[class_col].dropna())
        hot = [c for c in order if c.startswith("Hot")]
        cold = [c for c in order if c.startswith("Cold")]
        colours = dict(HOTSPOT_COLOURS)
        for group, ramp in ((hot, ["#CA0020", "#F4A582"]), (cold[::-1], ["#0571B0", "#92C5DE"])):
            colours.update({c: ramp[min(i, 1)] for i, c in enumerate(group) if c not in colours})
        fig, ax = _figure(MAP_FIGSIZE)
        g.plot(
            ax=ax,
            color=[colours.get(c, NO_DATA) for c in g[class_col]],
            edgecolor="#666666",
            linewidth=0.5,
        )
        _label_areas(ax, g, label_col)
        _decorate_map(ax, metric)
        ax.set_title(_wrap(title, 60))
        counts = g[class_col].value_counts()
        fig.legend(
            handles=[
                Patch(facecolor=colours[c], edgecolor="#666666", label=f"{c} ({counts.get(c, 0)})")
                for c in order
            ],
            loc="outside right upper",
        )
    names = g[label_col] if label_col in g else g.index.astype(str)
    parts = []
    for group, word in ((hot, "Hot spots"), (cold, "Cold spots")):
        found = [
            f"{', '.join(names[g[class_col] == c])} ({c.split('(')[-1].rstrip(')')})"
            for c in group
            if (g[class_col] == c).any()
        ]
        parts.append(f"{word}: {'; '.join(found) if found else 'none'}.")
    n_ns = int((g[class_col] == "Not significant").sum())
    alt = (
        f"Map of {len(g)} {area_noun}: {title}. "
        + " ".join(parts)
        + f" {_count(n_ns, area_noun)} not significant."
    )
    return fig, alt


def add_outlines(fig, gdf, *, label_col: str | None = None, colour: str = "#333333",
                 linewidth: float = 0.9) -> None:
    """Draw ``gdf`` boundaries (e.g. wards over an LSOA map) on a map figure's first axes,
    with optional labels; ``gdf`` is projected like the maps (EPSG:27700 if geographic)."""
    g, _ = _projected(gdf)
    ax = fig.axes[0]
    with _styled():
        g.boundary.plot(ax=ax, color=colour, linewidth=linewidth)
        _label_areas(ax, g, label_col)
