"""Chapter 02: serious violence by offence type, trends over time, year-by-year totals and
the time of year (seasonal context), for the area (data from :mod:`sna.sections.trend_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sna import charts, metrics, periods, plots
from sna import series as sna_series
from sna.declared import suppress_series
from sna.definitions import dashboard_ids
from sna.narrative import format_count, md_text
from sna.sections.trend_data import (
    SV,
    TrendData,
    arrow,
    count_text,
    count_texts,
    crime_rows,
    labels,
    pct_text,
    suppress_sv,
    sv_components,
)


def sv_breakdown(monthly: pd.DataFrame, area: str, members: Sequence[str],
                 period: str) -> pd.DataFrame:
    """Serious violence by offence type, 12 months to ``period``: area and London.

    Returns
    -------
    pandas.DataFrame
        ``indicator, label, period_start, period_end, count, previous_count, change_pct,
        share_pct, london_count, london_share_pct`` (shares in % of the serious violence
        total), unsuppressed.
    """
    comps = sv_components()
    data = crime_rows(monthly)
    data = data[data["indicator"].isin(comps)]
    cur = metrics.window_total(data, period, "12m", by=["borough", "indicator"])
    prev = metrics.window_total(data, period, "12m", previous=True, by=["borough", "indicator"])
    cur["previous_count"] = prev["count"].to_numpy()
    here = cur[cur["borough"] == area].set_index("indicator").reindex(comps)
    london = cur[cur["borough"].isin(members)].groupby("indicator")["count"].sum(min_count=1)
    out = pd.DataFrame({"indicator": comps, "label": [labels()[c] for c in comps],
                        "period_start": here["period_start"].to_numpy(),
                        "period_end": here["period_end"].to_numpy(),
                        "count": here["count"].to_numpy(),
                        "previous_count": here["previous_count"].to_numpy()})
    out["change_pct"] = metrics.change_pct(out["count"], out["previous_count"])
    out["share_pct"] = (out["count"] / out["count"].sum() * 100).round(1)
    out["london_count"] = london.reindex(comps).to_numpy()
    out["london_share_pct"] = (out["london_count"] / out["london_count"].sum() * 100).round(1)
    return out


def chart_breaks(indicators: Sequence[str], meta: dict, months: Sequence[str],
                 series: pd.DataFrame | None = None) -> tuple[list[dict], str]:
    """Series-break markers for a chart (short labels) and the full notes for its caption:
    recording changes (``indicators.yaml``), gaps, and changes of data release, each release
    change tested for a level shift in the first indicator's series when ``series``
    (``indicator, month, count``) is given (:func:`sna.series.level_shift`)."""
    found = sna_series.series_breaks(indicators, None, months)
    have = set(meta.get("months") or months)
    gaps = [{"month": m, "indicator": None,
             "note": f"no complete data for {periods.month_label(m)}"}
            for m in months if m not in have]
    releases = [{"month": v["month"], "indicator": "release",
                 "note": release_note(v, indicators, series)}
                for v in sna_series.vintage_splices(meta, months)]
    marks, notes = [], []
    for b in sorted(found + gaps + releases, key=lambda b: b["month"]):
        short = ("new data release" if b["indicator"] == "release" else "series break"
                 if b["indicator"] else "gap")
        near = {periods.add_months(b["month"], k) for k in range(-2, 3)}
        if not any(m["month"] in near for m in marks):  # one marker for close months
            marks.append({"month": b["month"], "note": short})
        notes.append(f"{periods.month_label(b['month'])}: {b['note']}")
    return marks, " ".join(dict.fromkeys(notes))


def release_note(splice: dict, indicators: Sequence[str], series: pd.DataFrame | None) -> str:
    """'the data come from <file> (published to <month>) from here; serious violence steps
    -16% against the same change a year earlier: a possible level shift between releases'."""
    text = (f"the data come from {splice['file']} (released with data to "
            f"{periods.month_label(splice['vintage'])}) from this month")
    if series is None or not len(indicators):
        return text + "."
    ind = indicators[0]
    s = series[series["indicator"] == ind].set_index("month")["count"]
    res = sna_series.level_shift(s, splice["month"])
    if pd.isna(res["p_value"]):
        return text + "."
    label = labels()[ind]
    if res["p_value"] < 0.05:
        return (text + f"; {label.lower()} steps {res['step_pct']:+.1f}% at this month "
                "compared with the same months a year earlier, a possible level shift between "
                "data releases: treat changes across this line with care.")
    return text + f"; no detectable step in {label.lower()} at this month."


def trend_figure(series: pd.DataFrame, indicators: Sequence[str], title: str, start: str,
                 breaks: Sequence[dict] = (), rolling_totals: bool = False) -> tuple[Any, str]:
    """Line chart of the area's monthly counts (one indicator, with its 12-month average) or
    of 12-month rolling totals (several indicators), from ``start``."""
    d = series[series["indicator"].isin(indicators) & (series["month"] >= start)]
    if rolling_totals:
        d = d.dropna(subset=["rolling_12m"]).assign(value=lambda f: f["rolling_12m"],
                                                    series=lambda f: f["label"])
        return plots.multi_line(d, title, "Offences in the previous 12 months", breaks)
    return plots.line_trend(d.rename(columns={"count": "value"}), title, "Offences per month",
                            breaks)


def seasonal_table(series: pd.DataFrame, period: str, indicator: str = SV) -> pd.DataFrame:
    """The period's calendar month in each year for one indicator (``year, month, count``)."""
    data = series.loc[series["indicator"] == indicator, ["indicator", "month", "count"]]
    ctx = sna_series.seasonal_context(data, period, by=["indicator"])
    return ctx[["year", "month", "count", "previous_mean", "previous_min", "previous_max"]]


def seasonal_sentence(ctx: pd.DataFrame, period: str, label: str) -> str:
    """'In March 2026 there were 540 ...; in March of 2011-2025: 410 to 560 (average 480).'"""
    now = ctx[ctx["month"] == period]
    earlier = ctx[ctx["month"] < period]
    if now.empty or earlier.empty:
        return f"There is not enough history to compare {periods.month_label(period)}."
    r, name = now.iloc[0], pd.Period(period, freq="M").strftime("%B")
    pos = ("above every" if r["count"] > r["previous_max"] else "below every"
           if r["count"] < r["previous_min"] else "within the range of")
    return (f"In {periods.month_label(period)} there were {format_count(r['count'])} "
            f"{label.lower()} offences, {pos} {name} since {int(earlier['year'].min())} "
            f"(range {r['previous_min']:,.0f} to {r['previous_max']:,.0f}, average "
            f"{r['previous_mean']:,.0f}): part of any month-to-month change is seasonal.")


def annual_totals(monthly: pd.DataFrame, area: str, period: str, years: int = 5,
                  ids: Sequence[str] | None = None) -> pd.DataFrame:
    """12-month totals ending in the period's month, for the last ``years`` years
    (``indicator, period_end, count``), unsuppressed."""
    data = crime_rows(monthly)
    data = data[data["borough"] == area]
    ids = list(ids or [i for i in dashboard_ids(False) if i in set(data["indicator"])])
    data = data[data["indicator"].isin(ids)]
    ends = [periods.add_months(period, -12 * k) for k in range(years - 1, -1, -1)]
    parts = [metrics.window_total(data[["indicator", "month", "count"]], end, "12m",
                                  by=["indicator"]) for end in ends]
    return pd.concat(parts, ignore_index=True)[["indicator", "period_end", "count"]]


def year_to_year_sentence(ann: pd.DataFrame, label: str, indicator: str = SV) -> str:
    """How much the 12-month total usually moves from one year to the next (context for a
    single year's change); '' with fewer than three totals."""
    d = ann[ann["indicator"] == indicator].sort_values("period_end")["count"].astype(float)
    moves = (d.pct_change() * 100).dropna()
    if len(moves) < 2:
        return ""
    return (f"Over the last {len(d)} 12-month periods, {label.lower()} changed by between "
            f"{moves.min():+.1f}% and {moves.max():+.1f}% from one year to the next (average "
            f"size of a change {moves.abs().mean():.1f}%). Set any one year's change against "
            "that range.")


def show_breakdown(ch: Any, td: TrendData) -> pd.DataFrame:
    """Publish ``sv_breakdown``: serious violence by offence type, area vs London."""
    area = ch.cfg.area.name
    b = sv_breakdown(td.monthly, area, td.members, ch.period)
    safe = suppress_sv(b, ["count", "previous_count"], ch.cfg.threshold("open"), dependent={
        "count": ["change_pct", "share_pct"], "previous_count": ["change_pct"]})
    top = b.sort_values("count", ascending=False).iloc[0]
    name = top["label"][:1].lower() + top["label"][1:]
    ch.md(f"In the 12 months to {periods.month_label(ch.period)}, **{md_text(name)}** "
          f"made up **{top['share_pct']:.1f}%** of serious violence in {md_text(area)} (London "
          f"{top['london_share_pct']:.1f}%).")
    shown = safe[safe["share_pct"].notna()]
    fig, alt = charts.grouped_bars(shown, "label", ["share_pct", "london_share_pct"],
                                  names=[area, "London"], horizontal=True, percent=True,
                                  title=f"What serious violence is made of: {area} and London",
                                  ylabel="Share of serious violence offences, last 12 months")
    left_out = ", ".join(safe.loc[safe["share_pct"].isna(), "label"])
    ch.figure(fig, alt, "Share of each offence type in the serious violence total, 12 months "
              f"to {periods.month_label(ch.period)}."
              + (f" Not shown (small numbers): {left_out}." if left_out else ""))
    m = ch.cfg.threshold("open")
    show = pd.DataFrame({
        "Offence type": safe["label"],
        "Offences": count_texts(b["count"], safe["count"], m),
        "A year earlier": count_texts(b["previous_count"], safe["previous_count"], m),
        "Change": [arrow(c, None) for c in safe["change_pct"]],
        f"% of {area} total": safe["share_pct"].map(pct_text),
        "London offences": b["london_count"].map(lambda v: count_text(v, v, m)),
        "% of London total": safe["london_share_pct"].map(pct_text)})
    ch.table(safe, "sv_breakdown", f"Serious violence by offence type, {area}, 12 months to "
             f"{periods.month_label(ch.period)}", show=show)
    return safe


def show_trends(ch: Any, td: TrendData, years: int = 8) -> pd.DataFrame:
    """Publish ``monthly_series``; charts of serious violence, its offence types and burglary
    with series breaks; annual totals; the period's month in earlier years."""
    area, start = ch.cfg.area.name, periods.add_months(ch.period, -12 * years + 1)
    months = periods.month_range(start, ch.period)
    s = td.series[td.series["month"] <= ch.period]
    marks, notes = chart_breaks([SV, *sv_components()], td.meta, months, s)
    fig, alt = trend_figure(s, [SV], f"Serious violence in {area}: offences per month", start,
                            marks)
    ch.figure(fig, alt, "Monthly recorded offences (grey) and the 12-month average (the "
              "12-month rolling total divided by 12). " + notes)
    comps = [c for c in sv_components() if c != "homicide"]
    series = s[["indicator", "label", "month", "count", "rolling_12m"]]
    safe = suppress_series(series, ch.cfg.threshold("open"))  # months and rolling totals
    fig, alt = trend_figure(s.assign(rolling_12m=safe["rolling_12m"].astype(float)), comps,
                            f"Offence types in {area}: 12-month rolling totals",
                            start, marks, rolling_totals=True)  # hidden totals not drawn
    ch.figure(fig, alt, "Each point is the number of offences in the 12 months to that month. "
              "Homicide is not shown (small numbers; see the dashboard).")
    burg = ["residential_burglary", "non_residential_burglary"]
    bmarks, bnotes = chart_breaks(burg, td.meta, months, s)
    fig, alt = trend_figure(s, burg, f"Burglary in {area}: 12-month rolling totals", start,
                            bmarks, rolling_totals=True)
    ch.figure(fig, alt, "Burglary is on the dashboard but not part of serious violence. "
              + bnotes)
    ch.publish(safe, "monthly_series")
    ch.md(f"The full monthly series of every indicator since "
          f"{periods.month_label(str(s['month'].min()))} is in the published table "
          f"monthly_series" + (f" (counts below {m} hidden)." if (m := ch.cfg.threshold("open"))
                               > 1 else "."))
    return safe


def show_annual(ch: Any, td: TrendData) -> None:
    """The last five 12-month totals of every dashboard indicator, and the seasonal context."""
    area, m = ch.cfg.area.name, ch.cfg.threshold("open")
    ann = annual_totals(td.monthly, area, ch.period)
    safe = suppress_sv(ann, ["count"], m, ["period_end"])
    ann["text"] = count_texts(ann["count"], safe["count"], m)
    wide = ann.pivot(index="indicator", columns="period_end", values="text").reindex(
        ann["indicator"].unique())
    wide.columns = [f"12 months to {pd.Period(c, freq='M').strftime('%b %Y')}" for c in
                    wide.columns]
    show = wide.reset_index().assign(indicator=lambda f: f["indicator"].map(labels())).rename(
        columns={"indicator": "Indicator"})
    gaps = ", ".join(periods.month_label(g["month"]) for g in td.meta.get("incomplete_months", []))
    ch.table(show, None, f"Offences in {area} in each of the last five 12-month periods "
             + (f" ('<{m}': fewer than {m}, or hidden to protect a small number)" if m > 1
                else "") + (f" ('n/a': the data have no complete {gaps})" if gaps and "n/a" in
                            set(ann["text"]) else ""), sensitivity="open")
    ch.md(md_text(year_to_year_sentence(ann, labels()[SV])))
    ctx = seasonal_table(td.series, ch.period)
    ch.md(md_text(seasonal_sentence(ctx, ch.period, labels()[SV])))
