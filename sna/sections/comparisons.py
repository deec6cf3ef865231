"""Chapter 02: the area against London, its police Basic Command Unit (BCU) and its
neighbours: rates per 1,000 residents, London ranks, bars and the funnel plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sna import charts, funnel, metrics, periods
from sna.definitions import dashboard_ids
from sna.narrative import format_rate, md_bullets
from sna.sections.trend_data import (
    SV,
    TrendData,
    labels,
    rate_text,
    suppress_sv,
)


def london_table(monthly: pd.DataFrame, pops: dict[str, float], members: Sequence[str],
                 area: Any, period: str) -> pd.DataFrame:
    """Every borough x dashboard indicator, 12 months to ``period``, with rates and ranks.

    Returns
    -------
    pandas.DataFrame
        ``borough, indicator, period_start, period_end, population, count, previous_count,
        change_pct, rate_per_1000, rate_lower95, rate_upper95, london_rank, london_areas,
        is_area, in_bcu, is_neighbour`` (unsuppressed; ``london_rank`` 1 = lowest rate).
    """
    data = monthly[monthly["indicator"].isin(dashboard_ids())]
    keys = ["borough", "indicator"]
    cur = metrics.window_total(data[[*keys, "month", "count"]], period, "12m", by=keys)
    prev = metrics.window_total(data[[*keys, "month", "count"]], period, "12m", previous=True,
                                by=keys)
    df = cur.merge(prev[[*keys, "count"]].rename(columns={"count": "previous_count"}), on=keys)
    df = df[df["borough"].isin(pops)]
    df.insert(4, "population", df["borough"].map(pops))
    df["change_pct"] = metrics.change_pct(df["count"], df["previous_count"])
    df["rate_per_1000"], df["rate_lower95"], df["rate_upper95"] = (
        np.round(v, 4) for v in metrics.rate_ci(df["count"], df["population"]))
    df["london_rank"], df["london_areas"] = metrics.rank_within(df, members,
                                                                rate_col="rate_per_1000")
    df["is_area"] = df["borough"] == area.name
    df["in_bcu"] = df["borough"].isin(area.bcu)
    df["is_neighbour"] = df["borough"].isin(area.neighbours)
    order = {i: n for n, i in enumerate(dashboard_ids())}
    return df.sort_values(keys, key=lambda s: s.map(order) if s.name == "indicator" else s
                          ).reset_index(drop=True)


def group_rate(table: pd.DataFrame, boroughs: Sequence[str], min_count: int) -> pd.DataFrame:
    """Pooled rate per 1,000 of a group of boroughs per indicator (hidden when the pooled
    count is below ``min_count``): ``indicator, count, population, rate, areas`` (``areas``:
    how many of the group have a count)."""
    part = table[table["borough"].isin(boroughs) & table["count"].notna()]
    agg = part.groupby("indicator", sort=False)[["count", "population"]].sum()
    agg["areas"] = part.groupby("indicator", sort=False)["borough"].nunique()
    agg["rate"] = agg["count"] / agg["population"] * 1000
    agg.loc[(agg["count"] > 0) & (agg["count"] < min_count), "rate"] = np.nan
    return agg.reset_index()


def comparison_summary(table: pd.DataFrame, safe: pd.DataFrame, area: Any,
                       members: Sequence[str], min_count: int) -> pd.DataFrame:
    """Area vs London, BCU and neighbours (rates per 1,000, 12 months) per indicator.

    ``verdict`` compares the area's 95% CI with the London rate: 'higher than London',
    'lower than London' or 'similar to London'; ``beyond_spread`` says whether the area is
    also outside the 95% random-effects funnel limits (:func:`spread_flags`: more different
    from London than boroughs usually are). The area's rate comes from ``safe`` (the
    disclosure-controlled ``table``), so it is blank where its count is hidden.
    """
    here = safe[safe["is_area"]].set_index("indicator")
    out = pd.DataFrame({"indicator": here.index,
                        "area_rate": here["rate_per_1000"].astype(float).to_numpy(),
                        "area_lower": here["rate_lower95"].astype(float).to_numpy(),
                        "area_upper": here["rate_upper95"].astype(float).to_numpy()})
    for name, group in (("london", members), ("bcu", area.bcu), ("neighbours", area.neighbours)):
        rates = group_rate(table, group, min_count).set_index("indicator")
        out[f"{name}_rate"] = out["indicator"].map(rates["rate"])
        out[f"{name}_areas"] = out["indicator"].map(rates["areas"]).fillna(0).astype(int)
    out["verdict"] = np.select(
        [out["area_lower"] > out["london_rate"], out["area_upper"] < out["london_rate"],
         out["area_rate"].notna() & out["london_rate"].notna()],
        ["higher than London", "lower than London", "similar to London"], "-")
    out["beyond_spread"] = out["indicator"].map(spread_flags(table, members, area.name))
    return out


def spread_flags(table: pd.DataFrame, members: Sequence[str], area: str) -> dict[str, bool]:
    """Per indicator: whether the area lies outside the 95% random-effects funnel limits
    around the London rate (Spiegelhalter 2005; :func:`sna.funnel.overdispersion`)."""
    out = {}
    for ind in table["indicator"].unique():
        d = table[(table["indicator"] == ind) & table["borough"].isin(members)
                  & table["count"].notna() & table["population"].notna()]
        here = d[d["borough"] == area]
        if len(d) < 5 or here.empty or d["count"].sum() == 0:
            continue
        london = d["count"].sum() / d["population"].sum() * 1000
        tau2 = funnel.overdispersion(d["count"], london * d["population"] / 1000)["tau2"]
        lim = funnel.overdispersed_limits(here["population"], london, tau2=tau2,
                                          levels=(0.95,))
        rate = float(here["rate_per_1000"].iloc[0])
        out[ind] = bool(rate < lim["lower95"].iloc[0] or rate > lim["upper95"].iloc[0])
    return out


def _spread_text(row: pd.Series) -> str:
    """' - but within the usual spread between boroughs' and the like ('' when unknown)."""
    if row["verdict"] not in ("higher than London", "lower than London") or pd.isna(
            row.get("beyond_spread")):
        return ""
    return (", and further from London than boroughs usually are" if bool(row["beyond_spread"])
            else ", but within the usual spread between London boroughs")


def funnel_data(table: pd.DataFrame, members: Sequence[str], indicator: str = SV
                ) -> tuple[pd.DataFrame, float, dict[str, float]]:
    """The boroughs' 12-month counts for the funnel, the London rate and the overdispersion
    (:func:`sna.funnel.overdispersion`) with how many boroughs fall outside each funnel
    (``exact95, exact998, random95, random998``)."""
    d = table[(table["indicator"] == indicator) & table["borough"].isin(members)
              & table["count"].notna() & table["population"].notna()]
    london = d["count"].sum() / d["population"].sum() * 1000
    od = funnel.overdispersion(d["count"], london * d["population"] / 1000)
    grid = funnel.funnel_population_grid(d["population"].min() * 0.8,
                                         d["population"].max() * 1.2)
    exact = funnel.funnel_limits(grid, london)
    random = funnel.overdispersed_limits(grid, london, tau2=od["tau2"])
    for name, lim in (("exact", exact), ("random", random)):
        for level, tag in ((0.95, "95"), (0.998, "998")):
            od[f"{name}{tag}"] = funnel.count_outside(d["rate_per_1000"], d["population"],
                                                      lim, level)
    od["limits_exact"], od["limits_random"] = exact, random
    return d, london, od


def funnel_figure(table: pd.DataFrame, members: Sequence[str], area: str,
                  indicator: str = SV) -> tuple[Any, str, dict[str, float]]:
    """Funnel plot: the indicator's 12-month rate for every London borough vs population,
    with 95% and 99.8% limits around the London rate that allow for overdispersion
    (Spiegelhalter 2005, additive random effects) and, dotted, the exact Poisson 95% limits.
    Returns the figure, its alt text and :func:`funnel_data`'s overdispersion summary."""
    d, london, od = funnel_data(table, members, indicator)
    rename = {"lower99_8": "lower998", "upper99_8": "upper998"}
    frame = d.rename(columns={"borough": "area", "rate_per_1000": "rate"})
    fig, alt = charts.funnel_plot(frame, od.pop("limits_random").rename(columns=rename),
                                  london, area, title=f"{labels()[indicator]}: rate per 1,000 "
                                  "residents against population, London boroughs")
    exact = od.pop("limits_exact")
    ax = fig.axes[0]
    ax.plot(exact["population"], exact["upper95"], color="#999999", ls=":", lw=1,
            label="Poisson 95% limits (chance alone)")
    ax.plot(exact["population"], exact["lower95"], color="#999999", ls=":", lw=1)
    ax.legend(loc="upper right")
    alt += (" The limits allow for the differences between boroughs that are more than "
            f"chance; dotted lines show the Poisson limits for chance alone, outside which "
            f"{od['exact95']} of {od['areas']} boroughs fall.")
    return fig, alt, od


def funnel_sentence(od: dict[str, float], label: str) -> str:
    """How many boroughs fall outside each funnel, in plain words."""
    return (f"{label}: {od['exact95']} of {od['areas']} boroughs fall outside the Poisson 95% "
            "limits, which allow for chance alone; boroughs differ for many reasons besides "
            "chance (visitors, night-time economy, deprivation), so the funnel also has limits "
            "that allow for that usual spread between boroughs (Spiegelhalter's random-effects "
            f"method): {od['random95']} fall outside those 95% limits and {od['random998']} "
            "outside the 99.8% limits. Only those stand out from London.")


def rate_bars(table: pd.DataFrame, members: Sequence[str], area: str,
              indicator: str = SV) -> tuple[Any, str]:
    """Bars of the indicator's 12-month rate in every London borough, the area highlighted."""
    d = table[(table["indicator"] == indicator) & table["borough"].isin(members)]
    return charts.bar_compare(d, "borough", "rate_per_1000", area,
                             title=f"{labels()[indicator]}: offences per 1,000 residents, "
                                   "last 12 months", xlabel="Offences per 1,000 residents")


def show_comparisons(ch: Any, td: TrendData) -> pd.DataFrame:
    """Publish ``london_comparison``; area vs London, BCU and neighbours; bars and funnel."""
    area, m = ch.cfg.area, ch.cfg.threshold("open")
    table = london_table(td.monthly, td.pops, td.members, area, ch.period)
    safe = suppress_sv(table, ["count", "previous_count"], m, ["borough"], dependent={
        "count": ["change_pct", "rate_per_1000", "rate_lower95", "rate_upper95", "london_rank"],
        "previous_count": ["change_pct"]})
    summary = comparison_summary(table, safe, area, td.members, m)
    summary = summary[summary[["area_rate", "london_rate"]].notna().any(axis=1)]
    ch.md(md_bullets(comparison_sentences(summary, area.name)))
    show = pd.DataFrame({
        "Indicator": summary["indicator"].map(labels()),
        area.name: summary["area_rate"].map(rate_text),
        "London": summary["london_rate"].map(rate_text),
        f"BCU ({', '.join(area.bcu)})": _with_areas(summary, "bcu", len(area.bcu)),
        f"Neighbours ({', '.join(area.neighbours)})": _with_areas(summary, "neighbours",
                                                                 len(area.neighbours)),
        f"{area.name} vs London (95% CI)": summary["verdict"]})
    ch.table(show, None, "Offences per 1,000 residents in the 12 months to "
             f"{periods.month_label(ch.period)} (BCU and neighbours: pooled rate; '-': not "
             "available or hidden to protect small numbers)", sensitivity="open")
    if td.members and (table["borough"] == area.name).any():
        ch.figure(*rate_bars(table, td.members, area.name),
                  caption="Serious violence offences per 1,000 residents (Census 2021), 12 "
                          f"months to {periods.month_label(ch.period)}, London boroughs.")
        fig, alt, od = funnel_figure(table, td.members, area.name)
        ch.figure(fig, alt, caption="Dashed (95%) and solid (99.8%) lines: how far from the "
                  "London rate a borough of that size can fall given chance and the usual "
                  "spread between boroughs; dotted: chance alone (Poisson 95%). Larger "
                  "boroughs have narrower limits.")
        ch.md(funnel_sentence(od, labels()[SV]))
    ch.publish(safe, "london_comparison")
    return summary


def _with_areas(summary: pd.DataFrame, name: str, of: int) -> list[str]:
    """A pooled group rate and, when some areas have no value, how many it rests on."""
    return [rate_text(r) + ("" if pd.isna(r) or k == of else f" ({k} of {of} areas)")
            for r, k in zip(summary[f"{name}_rate"], summary[f"{name}_areas"], strict=True)]


def comparison_sentences(summary: pd.DataFrame, area: str) -> list[str]:
    """The serious violence sentence (CI vs London), then one line per other indicator."""
    lines = []
    for _, r in summary.iterrows():
        if r["indicator"] == SV:
            lines.insert(0, rate_comparison_sentence_sv(r, area))
        elif r["verdict"] != "-":
            lines.append(f"{labels()[r['indicator']]}: {format_rate(r['area_rate'])} per 1,000 "
                         f"residents in {area}, {r['verdict']} ({format_rate(r['london_rate'])})"
                         f"{_spread_text(r)}; BCU {rate_text(r['bcu_rate'])}, neighbours "
                         f"{rate_text(r['neighbours_rate'])}.")
    return lines


def rate_comparison_sentence_sv(row: pd.Series, area: str) -> str:
    """The serious violence rate sentence (area CI vs London rate)."""
    from sna.narrative import rate_comparison_sentence

    text = rate_comparison_sentence(row["area_rate"], row["london_rate"], row["area_lower"],
                                    row["area_upper"], area=area, label=labels()[SV])
    spread = _spread_text(row)
    return text[:-1] + spread + "." if spread else text
