"""House-style comparison charts: ranked bars, funnel plot, population pyramid, rates by
deprivation decile and grouped bars; every function returns ``(fig, alt_text)``.

Built without pyplot, in the style and palette of :mod:`sna.plots`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from sna.narrative import ordinal
from sna.plots import (
    FIGSIZE,
    HIGHLIGHT,
    MUTED,
    OKABE_ITO,
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
    styled as _styled,
)
from sna.plots import (
    wrap as _wrap,
)


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
            f" {highlight} (highlighted) is {ordinal(rank)} highest of {len(d)} at {_fmt(v, i)}."
        )
    elif highlight:
        alt += f" {highlight} has no value in these data."
    if dropped:
        alt += f" {_count(dropped, 'areas')} without a value not shown."
    return fig, alt


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
    ``rate_per_1000``/``lower95``/``upper95`` of :func:`sna.models.lsoa_imd_rates`.
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
