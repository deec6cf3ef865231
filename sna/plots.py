"""House style for the SNA figures (palette, fonts, text helpers) and the line charts; every
figure function returns ``(fig, alt_text)``. Maps are in :mod:`sna.maps`, comparison charts
(bars, funnel plot, pyramid) in :mod:`sna.charts`.

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
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.figure import Figure

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
def styled():
    """Context in which figures are drawn in the house style (:data:`STYLE`)."""
    with mpl.rc_context(STYLE):
        yield


def new_figure(figsize=FIGSIZE, **subplots) -> tuple[Figure, object]:
    """A pyplot-free figure in the house size and resolution, with its axes.

    Parameters
    ----------
    figsize : tuple of float
        Inches (default :data:`FIGSIZE`).
    **subplots
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``nrows``, ``ncols``...).

    Returns
    -------
    tuple
        ``(fig, axes)``.
    """
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    return fig, fig.subplots(**subplots)


def fmt_number(value: float, integer: bool = False) -> str:
    """Format a number for text: 389,344 / 14.2 / 0.35 (``integer``: 0 dp); NaN -> 'no data'."""
    if value is None or not np.isfinite(value):
        return "no data"
    v = float(value)
    if integer or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if abs(v) >= 1 else f"{v:.2f}"


def is_whole(values) -> bool:
    """True when every finite value is a whole number (counts): then shown without decimals."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return bool(len(v)) and bool(np.all(v == np.round(v)))


def signed(value: float, integer: bool = False) -> str:
    """:func:`fmt_number` with a ``+`` for positive values."""
    return ("+" if value > 0 else "") + fmt_number(value, integer)


def count_noun(n: int, noun: str) -> str:
    """'1 ward', '3 wards' (noun given in the plural)."""
    return f"{n} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%b %Y")


def wrap(text: str, width: int = 70) -> str:
    """``text`` wrapped to ``width`` characters (titles and labels)."""
    return textwrap.fill(str(text), width)


def names_values(labels: Iterable, values: Iterable, n: int = 3, integer: bool = False) -> str:
    """'A (12), B (9.5), C (3)': the first ``n`` labels with their values, for alt text."""
    pairs = list(zip(labels, values, strict=False))[:n]
    return ", ".join(f"{lab} ({fmt_number(v, integer)})" for lab, v in pairs)


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
    i = is_whole(s)
    text = (
        f"{name}: monthly values from {_month(s.index[0])} to {_month(s.index[-1])}, "
        f"lowest {fmt_number(s.min(), i)} ({_month(s.idxmin())}), highest {fmt_number(s.max(), i)} "
        f"({_month(s.idxmax())}), latest {fmt_number(s.iloc[-1], i)}."
    )
    roll = s.rolling(12, min_periods=12).mean().dropna()
    if rolling and len(roll) >= 2:
        text += (
            f" The 12-month average went from {fmt_number(roll.iloc[0])} ({_month(roll.index[0])})"
            f" to {fmt_number(roll.iloc[-1])} ({_month(roll.index[-1])})."
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
    with styled():
        fig, ax = new_figure()
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
        ax.set(title=wrap(title), ylabel=ylabel)
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
    with styled():
        fig, axes = new_figure((8.0, 2.9 * nrows + 1.0), nrows=nrows, ncols=ncols, squeeze=False)
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
            ax.set_title(wrap(panel, 84 // ncols - 6), fontsize=11)
            ax.grid(axis="y", color="#E5E5E5")
            parts.append(_panel_summary(panel, d, x_col, value_col, series_col, series))
        for ax in axes.flat[len(panels):]:
            ax.set_axis_off()
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4))
        if title:
            fig.suptitle(wrap(title), fontweight="bold", fontsize=13)
    alt = (f"{len(panels)} line charts{': ' + title if title else ''}. " + " ".join(parts))
    return fig, alt


def _panel_summary(panel, d: pd.DataFrame, x_col: str, value_col: str, series_col: str,
                   series: list[str]) -> str:
    latest = d.dropna(subset=[value_col])
    if latest.empty:
        return f"{panel}: no data."
    x = latest[x_col].max()
    at = latest[latest[x_col] == x].groupby(series_col)[value_col].mean()
    values = "; ".join(f"{s} {fmt_number(at[s])}" for s in series if s in at.index)
    return f"{panel}, latest ({x}): {values}."


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
    with styled():
        fig, ax = new_figure()
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
        ax.set(title=wrap(title), ylabel=ylabel)
        ax.grid(axis="y", color="#E5E5E5")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=min(3, len(groups)))
    alt = f"Line chart: {title}. " + " ".join(texts)
    marks = _break_list(breaks)
    if marks:
        alt += " Dashed lines mark series breaks: " + "; ".join(
            f"{_month(mo)} ({note})" for mo, note in marks) + "."
    return fig, alt
