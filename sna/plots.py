"""House-style figures for the SNA chapters; every function returns ``(fig, alt_text)``.

Figures are :class:`matplotlib.figure.Figure` objects built without pyplot (no global
figure state, nothing shown, nothing closed): the chapter embeds them with their alt text.
Alt text is plain English built from the data: what the figure shows and its key numbers.

Palettes are colour-blind safe: sequential maps use ``viridis`` (reversed: darker = more),
categories use Okabe-Ito, hot/cold spots and change maps use ColorBrewer ``RdBu`` (diverging,
colour-blind safe). Fonts are 10 pt or more except ward labels on maps (7 pt with a white halo).
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import patheffects
from matplotlib.colors import TwoSlopeNorm, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
HIGHLIGHT, MUTED, NO_DATA = "#D55E00", "#B8B8B8", "#E0E0E0"
SEQUENTIAL, DIVERGING = "viridis_r", "RdBu_r"
HOTSPOT_COLOURS = {
    "Hot spot (99%)": "#CA0020",
    "Hot spot (95%)": "#F4A582",
    "Not significant": "#F2F2F2",
    "Cold spot (95%)": "#92C5DE",
    "Cold spot (99%)": "#0571B0",
}
FIGSIZE, MAP_FIGSIZE, DPI = (8.0, 5.0), (8.0, 6.5), 110
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "figure.figsize": FIGSIZE,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.facecolor": "white",
    "svg.fonttype": "none",
}


def apply_style() -> None:
    """Set the house style globally (for analysts' own charts in the notebooks)."""
    mpl.rcParams.update(STYLE)


@contextmanager
def _styled():
    with mpl.rc_context(STYLE):
        yield


def _figure(figsize=FIGSIZE, **subplots) -> tuple[Figure, object]:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.subplots(**subplots)


def _fmt(value: float, integer: bool = False) -> str:
    """Format a number for text: 389,344 / 14.2 / 0.35 (``integer``: 0 dp); NaN -> 'no data'."""
    if value is None or not np.isfinite(value):
        return "no data"
    v = float(value)
    if integer or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if abs(v) >= 1 else f"{v:.2f}"


def _is_int(values) -> bool:
    """True when every finite value is a whole number (counts): then shown without decimals."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v == np.round(v)))


def _signed(value: float, integer: bool = False) -> str:
    return ("+" if value > 0 else "") + _fmt(value, integer)


def _count(n: int, noun: str) -> str:
    """'1 ward', '3 wards' (noun given in the plural)."""
    return f"{n} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%b %Y")


def _wrap(text: str, width: int = 70) -> str:
    return textwrap.fill(str(text), width)


def _names_values(labels: Iterable, values: Iterable, n: int = 3, integer: bool = False) -> str:
    pairs = list(zip(labels, values, strict=False))[:n]
    return ", ".join(f"{lab} ({_fmt(v, integer)})" for lab, v in pairs)


# --- maps ----------------------------------------------------------------------------------


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


# --- charts --------------------------------------------------------------------------------


def _to_month(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.to_period("M").dt.to_timestamp()
    return pd.to_datetime(values.astype(str).str[:7], format="%Y-%m")


def _break_list(breaks) -> list[tuple[pd.Timestamp, str]]:
    out = []
    for b in breaks or ():
        month, note = (b.get("month"), b.get("note", "")) if isinstance(b, Mapping) else (b, "")
        out.append((_to_month(pd.Series([month])).iloc[0], str(note or "Series break")))
    return out


def _trend_summary(name: str, s: pd.Series, rolling: bool) -> str:
    s = s.dropna()
    if s.empty:
        return f"{name}: no data."
    i = _is_int(s)
    text = (
        f"{name}: monthly values from {_month(s.index[0])} to {_month(s.index[-1])}, "
        f"lowest {_fmt(s.min(), i)} ({_month(s.idxmin())}), highest {_fmt(s.max(), i)} "
        f"({_month(s.idxmax())}), latest {_fmt(s.iloc[-1], i)}."
    )
    roll = s.rolling(12, min_periods=12).mean().dropna()
    if rolling and len(roll) >= 2:
        text += (
            f" The 12-month average went from {_fmt(roll.iloc[0])} ({_month(roll.index[0])})"
            f" to {_fmt(roll.iloc[-1])} ({_month(roll.index[-1])})."
        )
    return text


def line_trend(
    monthly: pd.DataFrame,
    title: str,
    ylabel: str,
    breaks: Sequence = (),
    rolling: bool = True,
    *,
    month_col: str = "month",
    value_col: str = "value",
    series_col: str = "series",
):
    """Monthly line(s) with a 12-month rolling average and series-break markers.

    ``monthly`` has ``month`` (YYYY-MM or datetime), ``value`` and optionally ``series``.
    ``breaks`` are months or ``{month, note}`` dicts (as in loader meta.series_breaks).
    """
    m = monthly.assign(_m=_to_month(monthly[month_col]))
    groups = list(m.groupby(series_col, sort=False)) if series_col in m else [(ylabel, m)]
    with _styled():
        fig, ax = _figure()
        texts = []
        for i, (name, part) in enumerate(groups):
            s = part.groupby("_m")[value_col].sum(min_count=1).sort_index()
            s = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="MS"))
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            single = len(groups) == 1
            ax.plot(
                s.index,
                s.values,
                color=MUTED if single and rolling else colour,
                lw=1.2,
                alpha=0.9,
                label=f"{name} (monthly)" if not single else "Monthly",
            )
            if rolling:
                ax.plot(
                    s.index,
                    s.rolling(12, min_periods=12).mean().values,
                    color=colour,
                    lw=2.4,
                    label=("" if single else f"{name} ") + "12-month average",
                )
            texts.append(_trend_summary(str(name), s, rolling))
        for month, note in _break_list(breaks):
            ax.axvline(month, color="#444444", ls="--", lw=1)
            ax.text(
                mdates.date2num(month),
                1.0,
                f" {note}",
                transform=ax.get_xaxis_transform(),
                fontsize=10,
                va="top",
                ha="left",
                color="#444444",
            )
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        if np.nanmin(m[value_col].to_numpy(dtype=float), initial=0) >= 0:
            ax.set_ylim(bottom=0)
        ax.set(title=_wrap(title), ylabel=ylabel)
        ax.grid(axis="y", color="#E5E5E5")
        ax.legend(loc="lower left")
    alt = f"Line chart: {title}. " + " ".join(texts)
    marks = _break_list(breaks)
    if marks:
        alt += (
            " Dashed lines mark series breaks: "
            + "; ".join(f"{_month(mo)} ({note})" for mo, note in marks)
            + "."
        )
    return fig, alt


def bar_compare(
    frame: pd.DataFrame,
    label_col: str,
    value_col: str,
    highlight: str | None = None,
    *,
    title: str = "",
    xlabel: str = "",
):
    """Horizontal bars ranked highest first, the ``highlight`` area in a strong colour."""
    d = frame[[label_col, value_col]].dropna().sort_values(value_col, ascending=True)
    dropped = len(frame) - len(d)
    with _styled():
        fig, ax = _figure((8.0, max(5.0, 0.24 * len(d) + 1.4)))
        colours = [HIGHLIGHT if lab == highlight else MUTED for lab in d[label_col]]
        ax.barh(d[label_col].astype(str), d[value_col], color=colours)
        ax.set(title=_wrap(title), xlabel=xlabel or value_col)
        ax.grid(axis="x", color="#E5E5E5")
        ax.set_axisbelow(True)
        ax.margins(y=0.01)
        if highlight in set(d[label_col]):
            v = d.loc[d[label_col] == highlight, value_col].iloc[0]
            ax.annotate(
                f" {_fmt(v, _is_int(d[value_col]))}",
                (v, list(d[label_col]).index(highlight)),
                va="center",
                fontsize=10,
                color=HIGHLIGHT,
                fontweight="bold",
            )
            for tick in ax.get_yticklabels():
                if tick.get_text() == str(highlight):
                    tick.set(color=HIGHLIGHT, fontweight="bold")
    top, i = d.iloc[::-1], _is_int(d[value_col])
    alt = (
        f"Horizontal bar chart: {title or value_col}, {len(d)} areas ranked from highest to "
        f"lowest {xlabel or value_col}. Highest: "
        f"{_names_values(top[label_col], top[value_col], 1, i)}; "
        f"lowest: {_names_values(d[label_col], d[value_col], 1, i)}."
    )
    if highlight in set(d[label_col]):
        rank = list(top[label_col]).index(highlight) + 1
        v = top.loc[top[label_col] == highlight, value_col].iloc[0]
        alt += (
            f" {highlight} (highlighted) is {_ordinal(rank)} highest of {len(d)} at {_fmt(v, i)}."
        )
    elif highlight:
        alt += f" {highlight} has no value in these data."
    if dropped:
        alt += f" {_count(dropped, 'areas')} without a value not shown."
    return fig, alt


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _funnel_position(rate: float, pop: float, limits: pd.DataFrame) -> str:
    lim = limits.sort_values("population")
    at = {
        c: np.interp(pop, lim["population"], lim[c])
        for c in ("lower95", "upper95", "lower998", "upper998")
    }
    if rate > at["upper998"]:
        return "above the upper 99.8% limit (significantly high)"
    if rate > at["upper95"]:
        return "above the upper 95% limit but within the 99.8% limits"
    if rate < at["lower998"]:
        return "below the lower 99.8% limit (significantly low)"
    if rate < at["lower95"]:
        return "below the lower 95% limit but within the 99.8% limits"
    return "within the 95% limits"


def funnel_plot(
    frame: pd.DataFrame,
    limits: pd.DataFrame,
    london_rate: float,
    highlight: str | None = None,
    *,
    area_col: str = "area",
    title: str = "",
    ylabel: str = "Rate per 1,000 residents",
    xlabel: str = "Population",
):
    """Funnel plot of area rates against population with 95% and 99.8% control limits."""
    d = frame[[area_col, "population", "rate"]].dropna()
    lim = limits.sort_values("population")
    with _styled():
        fig, ax = _figure()
        for lo, hi, ls, lab in (
            ("lower95", "upper95", "--", "95% limits"),
            ("lower998", "upper998", "-", "99.8% limits"),
        ):
            ax.plot(lim["population"], lim[hi], color="#444444", ls=ls, lw=1.2, label=lab)
            ax.plot(lim["population"], lim[lo], color="#444444", ls=ls, lw=1.2)
        ax.axhline(london_rate, color=OKABE_ITO[0], lw=1.5, label=f"London ({_fmt(london_rate)})")
        is_h = d[area_col] == highlight
        ax.scatter(
            d.loc[~is_h, "population"],
            d.loc[~is_h, "rate"],
            color=MUTED,
            edgecolor="#777777",
            s=36,
            zorder=3,
            label="Other areas",
        )
        ax.scatter(
            d.loc[is_h, "population"],
            d.loc[is_h, "rate"],
            color=HIGHLIGHT,
            s=80,
            zorder=4,
            label=highlight or None,
        )
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.set(title=_wrap(title), xlabel=xlabel, ylabel=ylabel)
        ax.legend(loc="upper right")
    above = sum(
        _funnel_position(r, p, lim).startswith("above the upper 99.8")
        for r, p in zip(d["rate"], d["population"], strict=True)
    )
    below = sum(
        _funnel_position(r, p, lim).startswith("below the lower 99.8")
        for r, p in zip(d["rate"], d["population"], strict=True)
    )
    alt = (
        f"Funnel plot: {title or ylabel}, for {len(d)} areas, rate against population, with "
        f"95% and 99.8% control limits around the London rate of {_fmt(london_rate)}. "
        f"{_count(above, 'areas')} above the upper 99.8% limit and {below} below the lower one."
    )
    if is_h.any():
        row = d[is_h].iloc[0]
        alt += (
            f" {highlight} (rate {_fmt(row['rate'])}, population {_fmt(row['population'])}) "
            f"lies {_funnel_position(row['rate'], row['population'], lim)}."
        )
    return fig, alt


def pyramid(
    age_frame: pd.DataFrame,
    *,
    title: str = "Age structure",
    age_col: str = "age_band",
    left_label: str | None = None,
    right_label: str | None = None,
):
    """Population pyramid (``male``/``female`` counts) or area-vs-London butterfly.

    With ``area_share``/``london_share`` (fractions or %, e.g. from Census TS007A, which has no
    sex split) the two sides compare the area's age profile with London's.
    """
    cols = set(age_frame.columns)
    if {"male", "female"} <= cols:
        left, right, names = "male", "female", ("Male", "Female")
    elif {"area_share", "london_share"} <= cols:
        left, right, names = "area_share", "london_share", ("Area", "London")
    else:
        raise ValueError(
            f"pyramid needs columns male/female or area_share/london_share; got {sorted(cols)}."
        )
    ln, rn = left_label or names[0], right_label or names[1]
    d = age_frame[[age_col, left, right]].copy()
    if left == "male":
        total = d[[left, right]].to_numpy(dtype=float)
        d[[left, right]] = total / np.nansum(total) * 100
    else:
        for c in (left, right):
            d[c] = d[c] * (100 if d[c].sum() <= 1.5 else 1)
    with _styled():
        fig, ax = _figure((8.0, max(5.0, 0.26 * len(d) + 1.5)))
        y = np.arange(len(d))
        ax.barh(y, -d[left].fillna(0), color=OKABE_ITO[0], label=ln)
        ax.barh(y, d[right].fillna(0), color=OKABE_ITO[1], label=rn)
        ax.set_yticks(y, d[age_col].astype(str))
        ax.axvline(0, color="#444444", lw=0.8)
        ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{abs(x):g}%"))
        ax.set(title=_wrap(title), xlabel="Share of residents (%)", ylabel="Age band")
        ax.legend(loc="upper right")
    diff = (d[left] - d[right]).abs()
    alt = f"{'Population pyramid' if left == 'male' else 'Butterfly chart'}: {title}. "
    alt += f"Share of residents in each age band, {ln} on the left and {rn} on the right. "
    if diff.notna().any():
        i = diff.idxmax()
        alt += (
            f"The biggest difference is at ages {d.loc[i, age_col]}: {ln} "
            f"{d.loc[i, left]:.1f}% vs {rn} {d.loc[i, right]:.1f}%."
        )
    return fig, alt


def decile_bars(
    frame: pd.DataFrame,
    *,
    title: str = "Rate by deprivation decile",
    ylabel: str = "Rate per 1,000 residents",
    decile_col: str = "decile",
    rate_col: str | None = None,
    lower_col: str | None = None,
    upper_col: str | None = None,
):
    """Bars of a rate by IMD decile (1 = most deprived) with 95% CI error bars.

    Column names default to ``rate``/``lower``/``upper`` or, if absent, the
    ``rate_per_1000``/``lower95``/``upper95`` of :func:`sna.spatial.lsoa_imd_rates`.
    """

    def pick(given, *options):
        return given or next((c for c in options if c in frame), options[0])

    rc, lc, uc = (
        pick(rate_col, "rate", "rate_per_1000"),
        pick(lower_col, "lower", "lower95"),
        pick(upper_col, "upper", "upper95"),
    )
    d = frame[frame[decile_col].between(1, 10)].sort_values(decile_col)
    rate = d[rc].to_numpy(dtype=float)
    err = np.vstack([rate - d[lc].to_numpy(dtype=float), d[uc].to_numpy(dtype=float) - rate])
    with _styled():
        fig, ax = _figure()
        colours = mpl.colormaps["cividis"](np.linspace(0.1, 0.9, 10))
        ax.bar(
            d[decile_col].astype(int),
            np.nan_to_num(rate),
            color=[colours[int(x) - 1] for x in d[decile_col]],
            yerr=np.nan_to_num(np.clip(err, 0, None)),
            capsize=4,
            ecolor="#333333",
        )
        ax.set_xticks(
            range(1, 11),
            ["1\nmost\ndeprived"] + [str(i) for i in range(2, 10)] + ["10\nleast\ndeprived"],
        )
        ax.set(title=_wrap(title), xlabel="IMD decile", ylabel=ylabel)
        ax.grid(axis="y", color="#E5E5E5")
        ax.set_axisbelow(True)
    ok = d[np.isfinite(rate)]
    alt = f"Bar chart: {title}, {ylabel} by deprivation decile (1 = most deprived), with 95% CIs."
    if len(ok):
        hi, lo = ok.loc[ok[rc].idxmax()], ok.loc[ok[rc].idxmin()]
        alt += (
            f" Highest in decile {int(hi[decile_col])}: {_fmt(hi[rc])} (95% CI "
            f"{_fmt(hi[lc])} to {_fmt(hi[uc])}); lowest in decile {int(lo[decile_col])}: "
            f"{_fmt(lo[rc])}."
        )
    missing = sorted(set(range(1, 11)) - set(ok[decile_col].astype(int)))
    if missing:
        alt += f" No data for decile(s) {', '.join(map(str, missing))}."
    return fig, alt


def grouped_bars(
    frame: pd.DataFrame,
    label_col: str,
    value_cols: Sequence[str],
    *,
    title: str = "",
    ylabel: str = "",
    names: Sequence[str] | None = None,
    horizontal: bool = False,
    percent: bool = False,
):
    """Bars of several series side by side per category (e.g. area vs London by decile).

    ``value_cols`` are the series (one colour each, Okabe-Ito), ``names`` their legend labels;
    ``percent`` formats the value axis as %. Categories keep the frame's order.
    """
    d = frame[[label_col, *value_cols]].reset_index(drop=True)
    names = list(names or value_cols)
    n, k = len(d), len(value_cols)
    pos, width = np.arange(n), 0.8 / max(k, 1)
    with _styled():
        size = (8.0, max(4.5, 0.42 * n * max(k, 2) / 2 + 1.5)) if horizontal else FIGSIZE
        fig, ax = _figure(size)
        for j, (col, name) in enumerate(zip(value_cols, names, strict=True)):
            at = pos + (j - (k - 1) / 2) * width
            bar = ax.barh if horizontal else ax.bar
            bar(at, d[col].fillna(0).to_numpy(dtype=float), width, label=name,
                color=OKABE_ITO[j % len(OKABE_ITO)])
        ticks = [_wrap(t, 28) for t in d[label_col].astype(str)]
        (ax.set_yticks if horizontal else ax.set_xticks)(pos, ticks)
        if horizontal:
            ax.invert_yaxis()
        axis = ax.xaxis if horizontal else ax.yaxis
        if percent:
            axis.set_major_formatter(mticker.FuncFormatter(lambda x, _: f"{x:g}%"))
        ax.set(title=_wrap(title), **({"xlabel": ylabel} if horizontal else {"ylabel": ylabel}))
        ax.grid(axis="x" if horizontal else "y", color="#E5E5E5")
        ax.set_axisbelow(True)
        if horizontal:
            ax.legend(loc="best")
        else:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(k, 4))
    unit = "%" if percent else ""
    parts = [f"{lab}: " + ", ".join(f"{nm} {_fmt(v)}{unit}" for nm, v in
                                    zip(names, row, strict=True))
             for lab, row in zip(d[label_col], d[list(value_cols)].to_numpy(dtype=float),
                                 strict=True)]
    alt = (f"Grouped bar chart: {title or ylabel}. {', '.join(names)} side by side for each of "
           f"{_count(n, 'categories')}. " + "; ".join(parts) + ".")
    return fig, alt


def _series_style(i: int, name: str, highlight: str | None) -> dict:
    if name == highlight:
        return {"color": HIGHLIGHT, "lw": 2.6, "marker": "o", "zorder": 4}
    others = [OKABE_ITO[0], OKABE_ITO[2], "#555555", OKABE_ITO[4], OKABE_ITO[5]]
    return {"color": others[i % len(others)], "lw": 1.6, "marker": "sD^v<>"[i % 6],
            "ls": ("-", "--", ":", "-.")[i % 4], "zorder": 3}


def panel_lines(
    frame: pd.DataFrame,
    *,
    panel_col: str = "panel",
    x_col: str = "x",
    value_col: str = "value",
    series_col: str = "series",
    highlight: str | None = None,
    title: str = "",
    ncols: int = 3,
):
    """Small line charts, one panel per ``panel_col`` value (e.g. one per indicator).

    ``x_col`` holds years or period labels (sorted by value; a missing value breaks the line);
    each ``series_col`` value is a line with its own colour, marker and dash (colour-blind
    safe), the ``highlight`` series thick in the highlight colour. Every panel has its own
    y axis (units differ between panels).
    """
    panels = list(dict.fromkeys(frame[panel_col]))
    series = list(dict.fromkeys(frame[series_col]))
    series = ([highlight] if highlight in series else []) + [s for s in series if s != highlight]
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    parts = []
    with _styled():
        fig, axes = _figure((8.0, 2.9 * nrows + 1.0), nrows=nrows, ncols=ncols, squeeze=False)
        for ax, panel in zip(axes.flat, panels, strict=False):
            d = frame[frame[panel_col] == panel]
            xs = sorted(d[x_col].dropna().unique())
            for i, name in enumerate(series):
                s = d[d[series_col] == name].groupby(x_col)[value_col].mean().reindex(xs)
                if s.notna().any():
                    ax.plot(range(len(xs)), s.values, label=name, ms=5,
                            **_series_style(i, name, highlight))
            ax.set_xticks(range(len(xs)), [str(x) for x in xs], rotation=45 if len(xs) > 5
                          else 0, fontsize=9)
            ax.set_title(_wrap(panel, 84 // ncols - 6), fontsize=11)
            ax.grid(axis="y", color="#E5E5E5")
            parts.append(_panel_summary(panel, d, x_col, value_col, series_col, series))
        for ax in axes.flat[len(panels):]:
            ax.set_axis_off()
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4))
        if title:
            fig.suptitle(_wrap(title), fontweight="bold", fontsize=13)
    alt = (f"{len(panels)} line charts{': ' + title if title else ''}. " + " ".join(parts))
    return fig, alt


def _panel_summary(panel, d: pd.DataFrame, x_col: str, value_col: str, series_col: str,
                   series: list[str]) -> str:
    latest = d.dropna(subset=[value_col])
    if latest.empty:
        return f"{panel}: no data."
    x = latest[x_col].max()
    at = latest[latest[x_col] == x].groupby(series_col)[value_col].mean()
    values = "; ".join(f"{s} {_fmt(at[s])}" for s in series if s in at.index)
    return f"{panel}, latest ({x}): {values}."


def add_outlines(fig, gdf, *, label_col: str | None = None, colour: str = "#333333",
                 linewidth: float = 0.9) -> None:
    """Draw ``gdf`` boundaries (e.g. wards over an LSOA map) on a map figure's first axes,
    with optional labels; ``gdf`` is projected like the maps (EPSG:27700 if geographic)."""
    g, _ = _projected(gdf)
    ax = fig.axes[0]
    with _styled():
        g.boundary.plot(ax=ax, color=colour, linewidth=linewidth)
        _label_areas(ax, g, label_col)


def multi_line(
    frame: pd.DataFrame,
    title: str,
    ylabel: str,
    breaks: Sequence = (),
    *,
    month_col: str = "month",
    value_col: str = "value",
    series_col: str = "series",
):
    """One line per series (e.g. 12-month rolling totals), legend below the axes, dashed
    series-break markers as in :func:`line_trend`. No smoothing is added."""
    m = frame.assign(_m=_to_month(frame[month_col]))
    groups = list(m.groupby(series_col, sort=False)) if series_col in m else [(ylabel, m)]
    texts = []
    with _styled():
        fig, ax = _figure()
        for i, (name, part) in enumerate(groups):
            s = part.groupby("_m")[value_col].sum(min_count=1).sort_index()
            s = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="MS"))
            ax.plot(s.index, s.values, color=OKABE_ITO[i % len(OKABE_ITO)], lw=2, label=name)
            texts.append(_trend_summary(str(name), s, False).replace("monthly values", "values"))
        for month, note in _break_list(breaks):
            ax.axvline(month, color="#444444", ls="--", lw=1)
            ax.text(mdates.date2num(month), 1.0, f" {note}", transform=ax.get_xaxis_transform(),
                    fontsize=10, va="top", ha="left", color="#444444")
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
        ax.set_ylim(bottom=0)
        ax.set(title=_wrap(title), ylabel=ylabel)
        ax.grid(axis="y", color="#E5E5E5")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=min(3, len(groups)))
    alt = f"Line chart: {title}. " + " ".join(texts)
    marks = _break_list(breaks)
    if marks:
        alt += " Dashed lines mark series breaks: " + "; ".join(
            f"{_month(mo)} ({note})" for mo, note in marks) + "."
    return fig, alt
