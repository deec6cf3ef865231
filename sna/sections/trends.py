"""Chapter 02 (violence data and trends): dashboard, breakdown, trends and comparisons.

All London comparisons use one borough x indicator x month frame (:func:`london_monthly`),
built once per input through :func:`sna.data.derived`: from the MPS borough-level data when it
covers the 24 months the dashboard needs, otherwise from the ward-level data summed to boroughs
(the ward file usually runs a month or more later). The City of London is policed by the City
of London Police and is absent from MPS data, so London means the 32 MPS boroughs.

Disclosure: counts from 1 to ``min_count - 1`` are hidden with what derives from them. The
serious violence total is the sum of its components, so within every table holding both (or
a component table whose total is published on the dashboard) one further component is hidden
(:func:`suppress_sv`), otherwise the hidden count could be recovered by subtraction.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna import data as sna_data
from sna import metrics, periods, plots
from sna.definitions import borough_monthly, dashboard_ids, load_indicators
from sna.disclosure import suppress
from sna.narrative import change_sentence, format_count, format_rate, ordinal, window_phrase

SV = "serious_violence"
NOT_BOROUGHS = ("Aviation Security (SO18)", "London Heathrow and London City Airports",
                "Unknown", "Not known", "N/K", "Non MET police force")
SOURCE_TEXT = {
    "mps_borough": "the MPS borough-level recorded crime data (data.mps_borough)",
    "mps_ward": "the MPS ward-level recorded crime data summed to boroughs (data.mps_ward)",
}
DEPENDENT = {"count": ["change_pct", "rate_per_1000", "rate_lower95", "rate_upper95",
                       "change_significant", "london_rank", "bcu_rank"],
             "previous_count": ["change_pct", "change_significant"]}


def labels() -> dict[str, str]:
    """Indicator id -> plain-English label (``indicators.yaml``)."""
    return {i: s["label"] for i, s in load_indicators().items()}


def sv_components() -> list[str]:
    """The indicators summed into ``serious_violence``."""
    return list(load_indicators()[SV]["components"])


# --- the shared London frame ---------------------------------------------------------------

def needed_months(period: str) -> list[str]:
    """The 24 months the 12-month window and its comparison year cover."""
    return periods.month_range(periods.add_months(period, -23), period)


def comparison_source(cfg: Any, period: str) -> str:
    """``'mps_borough'`` if supplied and covering :func:`needed_months`, else ``'mps_ward'``."""
    if cfg.has("mps_borough"):
        months = set(sna_data.load_meta(cfg, "mps_borough").get("months", []))
        if set(needed_months(period)) <= months:
            return "mps_borough"
    return "mps_ward"


def borough_frame(crime: pd.DataFrame) -> pd.DataFrame:
    """Borough x indicator x month counts from a tidy MPS frame (any level).

    The frame is first summed to borough x category x month (fast on the 4-million-row ward
    file), then classified; non-borough MPS units (Aviation Security (SO18), airports,
    Unknown) are dropped.
    """
    keys = ["level", "borough", "major", "minor", "month"]
    agg = crime.groupby(keys, sort=False)["count"].sum().reset_index()
    agg = agg[~agg["borough"].isin(NOT_BOROUGHS)]
    return borough_monthly(agg)


def london_monthly(cfg: Any, period: str) -> tuple[pd.DataFrame, str]:
    """The borough x indicator x month frame of the chapter, and the crime source used.

    Returns
    -------
    (pandas.DataFrame, str)
        ``borough, indicator, month, count, source`` (knife dashboard rows added when
        ``knife_crime`` is supplied, ``source = 'knife_crime'``) and the key of the
        recorded-crime source (:func:`comparison_source`). Cached on disk per input.
    """
    key = comparison_source(cfg, period)
    crime = sna_data.derived(cfg, f"london_borough_monthly_{key}", (key,),
                             lambda k: borough_frame(sna_data.load(cfg, k).frame), key)
    parts = [crime.assign(source=key)]
    if cfg.has("knife_crime"):
        knife = borough_monthly(sna_data.load(cfg, "knife_crime").frame)
        parts.append(knife[~knife["borough"].isin(NOT_BOROUGHS)].assign(source="knife_crime"))
    return pd.concat(parts, ignore_index=True), key


def populations(population: pd.DataFrame) -> dict[str, float]:
    """Residents by LTLA name (Census 2021 TS007A LTLA rows; names as in MPS data)."""
    ltla = population[population["level"] == "ltla"]
    return ltla.groupby("geography_name")["population"].sum().astype(float).to_dict()


def london_members(monthly: pd.DataFrame, pops: dict[str, float]) -> list[str]:
    """Boroughs counted as London: the MPS London boroughs in the data with a population
    (32: the City of London is not in MPS data); every borough in the data if none is."""
    names = set(monthly.loc[monthly["source"] != "knife_crime", "borough"])
    inside = sorted(names & set(metrics.LONDON_BOROUGHS) & set(pops))
    return inside or sorted(names & set(pops))


# --- disclosure ----------------------------------------------------------------------------

def suppress_sv(frame: pd.DataFrame, count_cols: Sequence[str], min_count: int,
                group_cols: Sequence[str] = (), dependent: dict | None = None,
                ) -> pd.DataFrame:
    """:func:`sna.disclosure.suppress` with the serious violence components as one group.

    Rows of ``serious_violence`` and its components form a group (within ``group_cols``)
    whose total is the ``serious_violence`` row, or the dashboard when that row is absent;
    every other indicator is its own group.
    """
    comps = set(sv_components()) | {SV}
    work = frame.assign(_grp=np.where(frame["indicator"].isin(comps), SV, frame["indicator"]))
    total = {"indicator": SV} if (frame["indicator"] == SV).any() else None
    out = suppress(work, list(count_cols), min_count, dependent=dependent,
                   group_cols=[*group_cols, "_grp"], total_row=total)
    return out.drop(columns="_grp")


# --- performance dashboard -----------------------------------------------------------------

def build_dashboard(monthly: pd.DataFrame, pops: dict[str, float], area: Any,
                    period: str) -> pd.DataFrame:
    """:func:`sna.metrics.performance_dashboard` for the area (unsuppressed)."""
    return metrics.performance_dashboard(monthly, pops, area.name, period, bcu=area.bcu)


def safe_dashboard(dash: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The contract table after disclosure control (exactly ``DASHBOARD_COLUMNS``)."""
    safe = suppress_sv(dash, ["count", "previous_count"], min_count, ["window"], DEPENDENT)
    return safe[list(metrics.DASHBOARD_COLUMNS)]


def last_month(monthly: pd.DataFrame, indicator: str) -> str | None:
    """Last month with data for an indicator (any borough)."""
    months = monthly.loc[monthly["indicator"] == indicator, "month"]
    return None if months.empty else str(months.max())


def dashboard_sentence(row: pd.Series, safe: pd.Series, area: str, monthly: pd.DataFrame,
                       min_count: int, target: float | None = None) -> str:
    """One sentence for a dashboard row, in the partnership's phrasing (see
    :func:`sna.narrative.change_sentence`); ranks are left out when the count is hidden."""
    label = labels()[row["indicator"]]
    secondary = [c for c in ("count", "previous_count")
                 if pd.notna(row[c]) and row[c] >= min_count and pd.isna(safe[c])]
    if secondary:
        return (f"{label}: not published for {window_phrase(row['window'], row['period_end'])}"
                ", so that a small number of homicides cannot be worked out by subtraction "
                "from the serious violence total.")
    text = change_sentence(label, row["count"], row["previous_count"], row["change_pct"],
                           row["change_significant"], window_phrase(row["window"],
                                                                    row["period_end"]),
                           safe["london_rank"], safe["london_areas"], area,
                           min_count=min_count)
    if pd.isna(row["count"]):
        end = last_month(monthly, row["indicator"])
        if end and end < row["period_end"]:
            text = text[:-1] + f" (these data end in {periods.month_label(end)})."
    if target is not None and pd.notna(safe["change_pct"]):
        met = "met" if safe["change_pct"] <= target else "not met"
        text += f" Partnership target: {target:+g}% ({met})."
    return text


def arrow(change: Any, significant: Any) -> str:
    """``'▲ +17.4% (significant)'``, ``'▼ -5.0%'``, ``'no change'``; '-' when unknown."""
    if pd.isna(change):
        return "-"
    if change == 0:
        return "no change"
    mark = "▲ +" if change > 0 else "▼ "
    sig = " (significant)" if pd.notna(significant) and bool(significant) else ""
    return f"{mark}{change:.1f}%{sig}"


def dashboard_display(dash: pd.DataFrame, safe: pd.DataFrame, window: str,
                      min_count: int = 5) -> pd.DataFrame:
    """Readable version of one window of the dashboard: strings, '<5' where a small count is
    hidden, 'hidden' where a count is hidden to protect another (``safe`` is the suppressed
    copy of ``dash``, same index)."""
    keep = safe.index[safe["window"] == window]
    keep = sv_first(list(keep), list(safe.loc[keep, "indicator"]))
    d, raw = safe.loc[keep], dash.loc[keep]

    def counts(col: str) -> list[str]:
        return [count_text(r, v, min_count) for v, r in zip(d[col], raw[col], strict=True)]

    rate = [("-" if pd.isna(r) else f"{format_rate(r)} ({format_rate(lo)} to {format_rate(hi)})")
            for r, lo, hi in zip(d["rate_per_1000"], d["rate_lower95"], d["rate_upper95"],
                                 strict=True)]
    return pd.DataFrame({
        "Indicator": d["indicator"].map(labels()),
        "Offences": counts("count"),
        "A year earlier": counts("previous_count"),
        "Change": [arrow(c, s) for c, s in zip(d["change_pct"], d["change_significant"],
                                                strict=True)],
        "Rate per 1,000 residents (95% CI)": rate,
        "London rank (1 = lowest rate)": _ranks(d["london_rank"], d["london_areas"]),
        "BCU rank": _ranks(d["bcu_rank"], d["bcu_areas"]),
    })


def _ranks(rank: pd.Series, n: pd.Series) -> list[str]:
    return ["-" if pd.isna(r) else f"{ordinal(int(r))} of {int(k)}"
            for r, k in zip(rank, n, strict=True)]


def change_findings(dash: pd.DataFrame, safe: pd.DataFrame, sentences: list[str]
                    ) -> list[dict[str, Any]]:
    """Evidence of every statistically significant change whose counts are published."""
    out = []
    pvalues = metrics.change_test(dash["count"], dash["previous_count"])
    for i, row in dash.iterrows():
        shown = pd.notna(safe.loc[i, "count"]) and pd.notna(safe.loc[i, "previous_count"])
        if shown and pd.notna(row["change_significant"]) and bool(row["change_significant"]):
            out.append({"text": sentences[i], "indicator": row["indicator"],
                        "window": row["window"], "period_start": row["period_start"],
                        "period_end": row["period_end"], "count": int(row["count"]),
                        "previous_count": int(row["previous_count"]),
                        "change_pct": float(row["change_pct"]), "p_value": float(pvalues[i]),
                        "significant": True, "direction": "up" if row["change_pct"] > 0
                        else "down", "london_rank": _int(row["london_rank"]),
                        "london_areas": _int(row["london_areas"])})
    return out


def _int(v: Any) -> int | None:
    return None if pd.isna(v) else int(v)


def _float(v: Any) -> float | None:
    return None if pd.isna(v) else float(v)


def _bool(v: Any) -> bool | None:
    return None if pd.isna(v) else bool(v)


# --- breakdown, series, seasonal context ---------------------------------------------------

def crime_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    """The recorded-crime rows of the chapter frame (not the knife dashboard)."""
    return monthly[monthly["source"] != "knife_crime"]


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


def area_series(monthly: pd.DataFrame, area: str) -> pd.DataFrame:
    """Monthly counts and 12-month rolling totals for the area, every recorded-crime indicator.

    Returns ``indicator, label, month, count, rolling_12m`` (rolling total NaN for the first 11
    months and for any 12 months with a month missing from the data).
    """
    data = crime_rows(monthly)
    data = data.loc[data["borough"] == area, ["indicator", "month", "count"]]
    out = metrics.rolling_12m(data, by=["indicator"])
    order = {i: n for n, i in enumerate(load_indicators())}
    out = out.sort_values(["indicator", "month"], key=lambda s: s.map(order)
                          if s.name == "indicator" else s)
    out.insert(1, "label", out["indicator"].map(labels()))
    return out.reset_index(drop=True)


def chart_breaks(indicators: Sequence[str], meta: dict, months: Sequence[str]
                 ) -> tuple[list[dict], str]:
    """Series-break markers for a chart (short labels) and the full notes for its caption."""
    found = metrics.series_breaks(indicators, None, months)
    have = set(meta.get("months") or months)
    gaps = [{"month": m, "indicator": None,
             "note": f"no complete data for {periods.month_label(m)}"}
            for m in months if m not in have]
    marks, notes = [], []
    for b in sorted(found + gaps, key=lambda b: b["month"]):
        short = "series break" if b["indicator"] else "gap"
        if not any(m["month"] == b["month"] for m in marks):
            marks.append({"month": b["month"], "note": short})
        notes.append(f"{periods.month_label(b['month'])}: {b['note']}")
    return marks, " ".join(dict.fromkeys(notes))


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
    ctx = metrics.seasonal_context(data, period, by=["indicator"])
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


# --- comparisons ---------------------------------------------------------------------------

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
    count is below ``min_count``): ``indicator, count, population, rate``."""
    part = table[table["borough"].isin(boroughs) & table["count"].notna()]
    agg = part.groupby("indicator", sort=False)[["count", "population"]].sum()
    agg["rate"] = agg["count"] / agg["population"] * 1000
    agg.loc[(agg["count"] > 0) & (agg["count"] < min_count), "rate"] = np.nan
    return agg.reset_index()


def comparison_summary(table: pd.DataFrame, safe: pd.DataFrame, area: Any,
                       members: Sequence[str], min_count: int) -> pd.DataFrame:
    """Area vs London, BCU and neighbours (rates per 1,000, 12 months) per indicator.

    ``verdict`` compares the area's 95% CI with the London rate: 'higher than London',
    'lower than London' or 'similar to London'. The area's rate comes from ``safe`` (the
    disclosure-controlled ``table``), so it is blank where its count is hidden.
    """
    here = safe[safe["is_area"]].set_index("indicator")
    out = pd.DataFrame({"indicator": here.index,
                        "area_rate": here["rate_per_1000"].astype(float).to_numpy(),
                        "area_lower": here["rate_lower95"].astype(float).to_numpy(),
                        "area_upper": here["rate_upper95"].astype(float).to_numpy()})
    for name, group in (("london", members), ("bcu", area.bcu), ("neighbours", area.neighbours)):
        rates = group_rate(table, group, min_count).set_index("indicator")["rate"]
        out[f"{name}_rate"] = out["indicator"].map(rates)
    out["verdict"] = np.select(
        [out["area_lower"] > out["london_rate"], out["area_upper"] < out["london_rate"],
         out["area_rate"].notna() & out["london_rate"].notna()],
        ["higher than London", "lower than London", "similar to London"], "-")
    return out


def funnel_figure(table: pd.DataFrame, members: Sequence[str], area: str,
                  indicator: str = SV) -> tuple[Any, str]:
    """Funnel plot: the indicator's 12-month rate for every London borough vs population,
    with 95% and 99.8% limits around the London rate."""
    d = table[(table["indicator"] == indicator) & table["borough"].isin(members)
              & table["count"].notna()]
    london = d["count"].sum() / d["population"].sum() * 1000
    grid = metrics.funnel_population_grid(d["population"].min() * 0.8, d["population"].max()
                                          * 1.2)
    lim = metrics.funnel_limits(grid, london).rename(columns={"lower99_8": "lower998",
                                                              "upper99_8": "upper998"})
    frame = d.rename(columns={"borough": "area", "rate_per_1000": "rate"})
    return plots.funnel_plot(frame, lim, london, area,
                             title=f"{labels()[indicator]}: rate per 1,000 residents against "
                                   "population, London boroughs")


def rate_bars(table: pd.DataFrame, members: Sequence[str], area: str,
              indicator: str = SV) -> tuple[Any, str]:
    """Bars of the indicator's 12-month rate in every London borough, the area highlighted."""
    d = table[(table["indicator"] == indicator) & table["borough"].isin(members)]
    return plots.bar_compare(d, "borough", "rate_per_1000", area,
                             title=f"{labels()[indicator]}: offences per 1,000 residents, "
                                   "last 12 months", xlabel="Offences per 1,000 residents")


# --- knife crime, homicide, ambulance ------------------------------------------------------

KNIFE_IDS = ("knife_crime_with_injury", "knife_injury_victims_1_24", "knife_crime")
AGE_GROUPS = {"10 to 14": "10-19", "15 to 19": "10-19", "20 to 24": "20-24",
              "25 to 29": "25-34", "30 to 34": "25-34", "35 to 39": "35-49",
              "40 to 44": "35-49", "45 to 49": "35-49"}
AMBULANCE_ASSAULTS, AMBULANCE_WEAPONS = "All Assaults Borough", "All Weapons Borough"


def populations_aged(population: pd.DataFrame, max_age: int) -> dict[str, float]:
    """Residents aged 0 to ``max_age`` (whole five-year bands) by LTLA name."""
    return populations(population[population["age_max"] <= max_age])


def knife_table(monthly: pd.DataFrame, pops: dict[str, float], young: dict[str, float],
                members: Sequence[str], area: str, period: str) -> pd.DataFrame:
    """Knife crime (MPS crime dashboard) for the area, 12 months to the period or to the last
    month of the knife data if earlier, with the London rate.

    Returns ``indicator, label, period_start, period_end, count, previous_count, change_pct,
    change_significant, rate_per_1000, london_rate_per_1000, denominator``; victims aged 1-24
    are per 1,000 residents aged 0-24, offences per 1,000 residents (unsuppressed).
    """
    data = monthly.loc[monthly["source"] == "knife_crime", ["borough", "indicator", "month",
                                                            "count"]]
    end = min(period, str(data["month"].max()))
    keys = ["borough", "indicator"]
    cur = metrics.window_total(data, end, "12m", by=keys)
    cur["previous_count"] = metrics.window_total(data, end, "12m", previous=True,
                                                 by=keys)["count"].to_numpy()
    rows = []
    for ind in [i for i in KNIFE_IDS if i in set(data["indicator"])]:
        part = cur[cur["indicator"] == ind]
        denom = young if ind == "knife_injury_victims_1_24" else pops
        here = part[part["borough"] == area]
        inside = part[part["borough"].isin(members)]
        count = here["count"].sum(min_count=1)
        rows.append({"indicator": ind, "label": labels()[ind],
                     "period_start": part["period_start"].iloc[0], "period_end": end,
                     "count": count, "previous_count": here["previous_count"].sum(min_count=1),
                     "rate_per_1000": round(count / denom.get(area, np.nan) * 1000, 4),
                     "london_rate_per_1000": round(inside["count"].sum() / sum(
                         denom.get(b, 0) for b in inside["borough"]) * 1000, 4),
                     "denominator": "residents aged 0-24" if denom is young else "residents"})
    out = pd.DataFrame(rows)
    out.insert(6, "change_pct", metrics.change_pct(out["count"], out["previous_count"]))
    out.insert(7, "change_significant", metrics.change_significant(out["count"],
                                                                   out["previous_count"]))
    return out


def homicide_table(homicide: pd.DataFrame, area: str, period: str, years: int = 10
                   ) -> pd.DataFrame:
    """Persons proceeded against for homicide by age group and sex, area vs London, over the
    ``years`` years to the last month of the data (at most the period).

    Returns ``dimension, group, area_count, area_share, london_count, london_share,
    period_start, period_end`` with an ``All`` row per dimension (unsuppressed).
    """
    end = min(period, str(homicide["month"].max()))
    start = periods.add_months(end, -12 * years + 1)
    d = homicide[(homicide["month"] >= start) & (homicide["month"] <= end)]
    d = d.assign(Age=d["age_group"].map(AGE_GROUPS).fillna("50 and over"), Sex=d["gender"])
    parts = []
    for dim in ("Age", "Sex"):
        london = d.groupby(dim)["count"].sum()
        here = d[d["borough"] == area].groupby(dim)["count"].sum().reindex(london.index,
                                                                           fill_value=0)
        part = pd.DataFrame({"dimension": dim, "group": london.index,
                             "area_count": here.to_numpy(), "london_count": london.to_numpy()})
        total = pd.DataFrame([{"dimension": dim, "group": "All", "area_count": here.sum(),
                               "london_count": london.sum()}])
        parts.append(pd.concat([part, total], ignore_index=True))
    out = pd.concat(parts, ignore_index=True)
    for side in ("area", "london"):
        whole = out["dimension"].map(out[out["group"] == "All"].set_index("dimension")[
            f"{side}_count"])
        out[f"{side}_share"] = (out[f"{side}_count"] / whole.where(whole > 0) * 100).round(1)
    out["period_start"], out["period_end"] = start, end
    return out[["dimension", "group", "area_count", "area_share", "london_count",
                "london_share", "period_start", "period_end"]]


def ambulance_summary(amb: pd.DataFrame, area: str, break_month: str = "2015-09"
                      ) -> pd.DataFrame:
    """LAS assaults and weapon injuries, the area's share of London, in the 12 months before
    the series break: ``incident_type, area_count, london_count, area_share_pct``."""
    months = periods.window_months(periods.add_months(break_month, -1), "12m")
    d = amb[amb["month"].isin(months) & amb["incident_type"].isin(
        [AMBULANCE_ASSAULTS, AMBULANCE_WEAPONS])]
    london = d.groupby("incident_type")["count"].sum()
    here = d[d["borough_name"] == area].groupby("incident_type")["count"].sum()
    out = pd.DataFrame({"area_count": here, "london_count": london}).reset_index()
    out["area_share_pct"] = (out["area_count"] / out["london_count"] * 100).round(1)
    out["period_start"], out["period_end"] = months[0], months[-1]
    return out


# --- publishing (used by notebooks/02_violence_trends.ipynb) --------------------------------

@dataclass
class TrendData:
    """What the chapter's sections share (built once by :func:`prepare`)."""

    monthly: pd.DataFrame
    source: str
    pops: dict[str, float]
    members: list[str]
    series: pd.DataFrame
    meta: dict = field(default_factory=dict)


def prepare(ch: Any) -> TrendData:
    """Load the London frame, populations and the area's series for the chapter."""
    monthly, source = london_monthly(ch.cfg, ch.period)
    pops = populations(ch.load("population").frame)
    return TrendData(monthly=monthly, source=source, pops=pops,
                     members=london_members(monthly, pops),
                     series=area_series(monthly, ch.cfg.area.name),
                     meta=sna_data.load_meta(ch.cfg, source))


def md_text(text: object) -> str:
    """Plain text made safe and inert for Markdown (HTML-escaped without numeric entities,
    so apostrophes survive; Markdown punctuation neutralised)."""
    special = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~<>"}
    return "".join(special.get(ch, ch) for ch in html.escape(str(text), quote=False))


def _bullets(sentences: Sequence[str]) -> str:
    return "\n".join(f"- {md_text(s)}" for s in sentences)


def source_sentence(ch: Any, td: TrendData) -> str:
    """Which recorded-crime source the London comparisons use, and why."""
    text = f"Counts, rates and London comparisons use {SOURCE_TEXT[td.source]}"
    if td.source == "mps_ward" and ch.has("mps_borough"):
        end = max(sna_data.load_meta(ch.cfg, "mps_borough").get("months") or ["?"])
        text += (f", because the borough-level file ends in {periods.month_label(end)} and does "
                 f"not cover the 24 months to {periods.month_label(ch.period)}")
    return (text + f". London means the {len(td.members)} boroughs policed by the MPS with a "
            "Census 2021 population (the City of London has its own police force).")


def show_intro(ch: Any, td: TrendData) -> None:
    """Opening paragraph, data source and the caveats every reader needs."""
    a, p = md_text(ch.cfg.area.name), periods.month_label(ch.period)
    ch.md(f"This chapter describes recorded serious violence in **{a}** in the 12 months to "
          f"**{p}**, how it has changed, and how {a} compares with London. "
          + md_text(source_sentence(ch, td)))
    ch.note("Recorded crime reflects what is reported to and recorded by the police, and "
            "police activity (for example weapons possession rises with stop and search), not "
            "all violence. 3-month figures are volatile: judge change on the 12-month figures. "
            f"Counts from 1 to {ch.cfg.min_count - 1} are not published (shown as '<"
            f"{ch.cfg.min_count}').", kind="warning")


def show_dashboard(ch: Any, td: TrendData) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Publish ``performance_dashboard`` and show its readable tables and sentences.

    Returns the unsuppressed dashboard, the published (safe) one and the sentence of each row
    (for :func:`record_findings`).
    """
    area = ch.cfg.area
    dash = build_dashboard(td.monthly, td.pops, area, ch.period)
    safe = safe_dashboard(dash, ch.cfg.min_count)
    sentences = [dashboard_sentence(dash.loc[i], safe.loc[i], area.name, td.monthly,
                                    ch.cfg.min_count, ch.cfg.targets.get(dash.loc[i, "indicator"])
                                    if dash.loc[i, "window"] == "12m" else None)
                 for i in dash.index]
    ch.table(safe, "performance_dashboard", f"Performance dashboard: {area.name}, 12 months to "
             f"{periods.month_label(ch.period)} compared with the same months a year earlier",
             show=dashboard_display(dash, safe, "12m", ch.cfg.min_count))
    twelve = dash.index[dash["window"] == "12m"]
    ch.md(_bullets(sv_first([sentences[i] for i in twelve],
                            list(dash.loc[twelve, "indicator"]))))
    months = periods.window_label(periods.window_months(ch.period, "3m"))
    ch.table(safe, None, f"The latest 3 months ({months}) compared with the same months a "
             "year earlier", show=dashboard_display(dash, safe, "3m", ch.cfg.min_count))
    hidden = (dash["count"].notna() & safe["count"].isna()).any()
    if hidden:
        m = ch.cfg.min_count
        ch.note(f"'<{m}': fewer than {m} offences, not published. 'hidden': when a serious "
                "violence offence type is hidden, one more is hidden too, so that the small "
                "number cannot be worked out by subtraction from the serious violence total. "
                "'n/a': no data for the window.")
    return dash, safe, sentences


def sv_first(items: list, indicators: list[str]) -> list:
    """``items`` with the serious violence one moved to the front."""
    return ([x for x, i in zip(items, indicators, strict=True) if i == SV]
            + [x for x, i in zip(items, indicators, strict=True) if i != SV])


def record_findings(ch: Any, dash: pd.DataFrame, safe: pd.DataFrame,
                    sentences: list[str]) -> None:
    """The chapter's headline (serious violence, 12 months) and one 'change' finding per
    statistically significant change whose counts are published."""
    sv = dash.index[(dash["indicator"] == SV) & (dash["window"] == "12m")]
    if len(sv):
        i = sv[0]
        ch.finding(sentences[i], kind="headline", anchor="Performance-dashboard", indicator=SV,
                   window="12m", count=_int(dash.loc[i, "count"]),
                   previous_count=_int(dash.loc[i, "previous_count"]),
                   change_pct=_float(dash.loc[i, "change_pct"]),
                   significant=_bool(dash.loc[i, "change_significant"]),
                   london_rank=_int(safe.loc[i, "london_rank"]),
                   london_areas=_int(safe.loc[i, "london_areas"]))
    for f in change_findings(dash, safe, sentences):
        text = f.pop("text")
        ch.finding(text, kind="change", anchor="Performance-dashboard", **f)


def show_breakdown(ch: Any, td: TrendData) -> pd.DataFrame:
    """Publish ``sv_breakdown``: serious violence by offence type, area vs London."""
    area = ch.cfg.area.name
    b = sv_breakdown(td.monthly, area, td.members, ch.period)
    safe = suppress_sv(b, ["count", "previous_count"], ch.cfg.min_count, dependent={
        "count": ["change_pct", "share_pct"], "previous_count": ["change_pct"]})
    top = b.sort_values("count", ascending=False).iloc[0]
    name = top["label"][:1].lower() + top["label"][1:]
    ch.md(f"In the 12 months to {periods.month_label(ch.period)}, **{md_text(name)}** "
          f"made up **{top['share_pct']:.1f}%** of serious violence in {md_text(area)} (London "
          f"{top['london_share_pct']:.1f}%).")
    shown = safe[safe["share_pct"].notna()]
    fig, alt = plots.grouped_bars(shown, "label", ["share_pct", "london_share_pct"],
                                  names=[area, "London"], horizontal=True, percent=True,
                                  title=f"What serious violence is made of: {area} and London",
                                  ylabel="Share of serious violence offences, last 12 months")
    left_out = ", ".join(safe.loc[safe["share_pct"].isna(), "label"])
    ch.figure(fig, alt, "Share of each offence type in the serious violence total, 12 months "
              f"to {periods.month_label(ch.period)}."
              + (f" Not shown (small numbers): {left_out}." if left_out else ""))
    m = ch.cfg.min_count
    show = pd.DataFrame({
        "Offence type": safe["label"],
        "Offences": [count_text(r, v, m) for r, v in zip(b["count"], safe["count"], strict=True)],
        "A year earlier": [count_text(r, v, m) for r, v in zip(b["previous_count"],
                                                               safe["previous_count"],
                                                               strict=True)],
        "Change": [arrow(c, None) for c in safe["change_pct"]],
        f"% of {area} total": safe["share_pct"].map(_pct_text),
        "London offences": b["london_count"].map(lambda v: count_text(v, v, m)),
        "% of London total": safe["london_share_pct"].map(_pct_text)})
    ch.table(safe, "sv_breakdown", f"Serious violence by offence type, {area}, 12 months to "
             f"{periods.month_label(ch.period)}", show=show)
    return safe


def show_trends(ch: Any, td: TrendData, years: int = 8) -> pd.DataFrame:
    """Publish ``monthly_series``; charts of serious violence, its offence types and burglary
    with series breaks; annual totals; the period's month in earlier years."""
    area, start = ch.cfg.area.name, periods.add_months(ch.period, -12 * years + 1)
    months = periods.month_range(start, ch.period)
    s = td.series[td.series["month"] <= ch.period]
    marks, notes = chart_breaks([SV, *sv_components()], td.meta, months)
    fig, alt = trend_figure(s, [SV], f"Serious violence in {area}: offences per month", start,
                            marks)
    ch.figure(fig, alt, "Monthly recorded offences (grey) and the 12-month average (the "
              "12-month rolling total divided by 12). " + notes)
    comps = [c for c in sv_components() if c != "homicide"]
    fig, alt = trend_figure(s, comps, f"Offence types in {area}: 12-month rolling totals",
                            start, marks, rolling_totals=True)
    ch.figure(fig, alt, "Each point is the number of offences in the 12 months to that month. "
              "Homicide is not shown (small numbers; see the dashboard).")
    burg = ["residential_burglary", "non_residential_burglary"]
    bmarks, bnotes = chart_breaks(burg, td.meta, months)
    fig, alt = trend_figure(s, burg, f"Burglary in {area}: 12-month rolling totals", start,
                            bmarks, rolling_totals=True)
    ch.figure(fig, alt, "Burglary is on the dashboard but not part of serious violence. "
              + bnotes)
    series = s[["indicator", "label", "month", "count", "rolling_12m"]]
    safe = suppress_sv(series, ["count", "rolling_12m"], ch.cfg.min_count, ["month"])
    ch.publish(safe, "monthly_series")
    ch.md(f"The full monthly series of every indicator since "
          f"{periods.month_label(str(s['month'].min()))} is in the published table "
          f"monthly_series (counts below {ch.cfg.min_count} hidden).")
    return safe


def count_text(raw: Any, safe: Any, min_count: int) -> str:
    """A count cell for display: '1,234'; '<5' when small and hidden; 'hidden' when hidden to
    protect a small count elsewhere; 'n/a' when not in the data."""
    if pd.isna(raw):
        return "n/a"
    if pd.isna(safe):
        return f"<{min_count}" if raw < min_count else "hidden"
    return f"{int(safe):,}"


def show_annual(ch: Any, td: TrendData) -> None:
    """The last five 12-month totals of every dashboard indicator, and the seasonal context."""
    area, m = ch.cfg.area.name, ch.cfg.min_count
    ann = annual_totals(td.monthly, area, ch.period)
    safe = suppress_sv(ann, ["count"], m, ["period_end"])
    ann["text"] = [count_text(r, v, m) for r, v in zip(ann["count"], safe["count"], strict=True)]
    wide = ann.pivot(index="indicator", columns="period_end", values="text").reindex(
        ann["indicator"].unique())
    wide.columns = [f"12 months to {pd.Period(c, freq='M').strftime('%b %Y')}" for c in
                    wide.columns]
    show = wide.reset_index().assign(indicator=lambda f: f["indicator"].map(labels())).rename(
        columns={"indicator": "Indicator"})
    gaps = ", ".join(periods.month_label(g["month"]) for g in td.meta.get("incomplete_months", []))
    ch.table(show, None, f"Offences in {area} in each of the last five 12-month periods "
             f"('<{m}': fewer than {m}, or hidden to protect a small number"
             + (f"; 'n/a': the data have no complete {gaps}" if gaps and "n/a" in
                set(ann["text"]) else "") + ")")
    ctx = seasonal_table(td.series, ch.period)
    ch.md(md_text(seasonal_sentence(ctx, ch.period, labels()[SV])))


def show_comparisons(ch: Any, td: TrendData) -> pd.DataFrame:
    """Publish ``london_comparison``; area vs London, BCU and neighbours; bars and funnel."""
    area, m = ch.cfg.area, ch.cfg.min_count
    table = london_table(td.monthly, td.pops, td.members, area, ch.period)
    safe = suppress_sv(table, ["count", "previous_count"], m, ["borough"], dependent={
        "count": ["change_pct", "rate_per_1000", "rate_lower95", "rate_upper95", "london_rank"],
        "previous_count": ["change_pct"]})
    summary = comparison_summary(table, safe, area, td.members, m)
    summary = summary[summary[["area_rate", "london_rate"]].notna().any(axis=1)]
    ch.md(_bullets(comparison_sentences(summary, area.name)))
    show = pd.DataFrame({
        "Indicator": summary["indicator"].map(labels()),
        area.name: summary["area_rate"].map(_rate_text),
        "London": summary["london_rate"].map(_rate_text),
        f"BCU ({', '.join(area.bcu)})": summary["bcu_rate"].map(_rate_text),
        f"Neighbours ({', '.join(area.neighbours)})": summary["neighbours_rate"].map(_rate_text),
        f"{area.name} vs London (95% CI)": summary["verdict"]})
    ch.table(show, None, "Offences per 1,000 residents in the 12 months to "
             f"{periods.month_label(ch.period)} (BCU and neighbours: pooled rate; '-': not "
             "available or hidden to protect small numbers)")
    if td.members and (table["borough"] == area.name).any():
        ch.figure(*rate_bars(table, td.members, area.name),
                  caption="Serious violence offences per 1,000 residents (Census 2021), 12 "
                          f"months to {periods.month_label(ch.period)}, London boroughs.")
        ch.figure(*funnel_figure(table, td.members, area.name),
                  caption="Boroughs between the dashed lines (95% limits) differ from the "
                          "London rate no more than chance would explain; outside the solid "
                          "lines (99.8%) the difference is very unlikely to be chance. "
                          "Larger boroughs have narrower limits.")
    ch.publish(safe, "london_comparison")
    return summary


def comparison_sentences(summary: pd.DataFrame, area: str) -> list[str]:
    """The serious violence sentence (CI vs London), then one line per other indicator."""
    lines = []
    for _, r in summary.iterrows():
        if r["indicator"] == SV:
            lines.insert(0, rate_comparison_sentence_sv(r, area))
        elif r["verdict"] != "-":
            lines.append(f"{labels()[r['indicator']]}: {format_rate(r['area_rate'])} per 1,000 "
                         f"residents in {area}, {r['verdict']} ({format_rate(r['london_rate'])})"
                         f"; BCU {_rate_text(r['bcu_rate'])}, neighbours "
                         f"{_rate_text(r['neighbours_rate'])}.")
    return lines


def rate_comparison_sentence_sv(row: pd.Series, area: str) -> str:
    """The serious violence rate sentence (area CI vs London rate)."""
    from sna.narrative import rate_comparison_sentence

    return rate_comparison_sentence(row["area_rate"], row["london_rate"], row["area_lower"],
                                    row["area_upper"], area=area, label=labels()[SV])


def _rate_text(v: Any) -> str:
    return "-" if pd.isna(v) else format_rate(v)


def _pct_text(v: Any) -> str:
    return "-" if pd.isna(v) else f"{v:.1f}%"


def show_knife(ch: Any, td: TrendData) -> pd.DataFrame | None:
    """Publish ``knife_crime``: knife offences and young victims vs London (if supplied)."""
    if not ch.has("knife_crime"):
        ch.not_supplied("knife_crime", "MPS monthly crime dashboard (knife crime with injury, "
                        "knife injury victims aged 1-24)")
        return None
    area, m = ch.cfg.area.name, ch.cfg.min_count
    young = populations_aged(ch.load("population").frame, 24)
    kt = knife_table(td.monthly, td.pops, young, td.members, area, ch.period)
    end = str(kt["period_end"].iloc[0])
    if end < ch.period:
        ch.note(f"The knife crime data end in {periods.month_label(end)}: figures here are for "
                f"the 12 months to {periods.month_label(end)}.")
    lines = [change_sentence(r["label"], r["count"], r["previous_count"], r["change_pct"],
                             r["change_significant"], window_phrase("12m", end), min_count=m,
                             unit="victims" if "victims" in r["indicator"] else "offences")
             + f" Rate {_rate_text(r['rate_per_1000'])} per 1,000 {r['denominator']} (London "
               f"{_rate_text(r['london_rate_per_1000'])})." for _, r in kt.iterrows()]
    ch.md(_bullets(lines))
    s = area_series(td.monthly.assign(source="crime"), area)
    s = s[s["indicator"] == "knife_crime_with_injury"]
    fig, alt = trend_figure(s, ["knife_crime_with_injury"], f"Knife crime with injury in "
                            f"{area}: 12-month rolling total", str(s["month"].min()),
                            rolling_totals=True)
    ch.figure(fig, alt, "Offences in the 12 months to each month (MPS monthly crime "
              "dashboard, borough level). Monthly numbers are small, so only rolling totals "
              "are shown.")
    safe = suppress(kt, ["count", "previous_count"], m, dependent={
        "count": ["change_pct", "change_significant", "rate_per_1000"],
        "previous_count": ["change_pct", "change_significant"]})
    ch.table(safe, "knife_crime", f"Knife crime in {area}, 12 months to "
             f"{periods.month_label(end)} (MPS monthly crime dashboard)",
             show=knife_display(kt, safe, area, m))
    return safe


def knife_display(kt: pd.DataFrame, safe: pd.DataFrame, area: str, m: int) -> pd.DataFrame:
    """Readable knife crime table (strings) from the raw and suppressed tables."""
    return pd.DataFrame({
        "Measure": safe["label"],
        "Count": [count_text(r, v, m) for r, v in zip(kt["count"], safe["count"], strict=True)],
        "A year earlier": [count_text(r, v, m) for r, v in zip(kt["previous_count"],
                                                               safe["previous_count"],
                                                               strict=True)],
        "Change": [arrow(c, g) for c, g in zip(safe["change_pct"], safe["change_significant"],
                                                strict=True)],
        f"{area} per 1,000": safe["rate_per_1000"].map(_rate_text),
        "London per 1,000": safe["london_rate_per_1000"].map(_rate_text),
        "Per 1,000 of": safe["denominator"]})


def show_homicide(ch: Any) -> pd.DataFrame | None:
    """Publish ``homicide``: persons proceeded against for homicide by age and sex."""
    if not ch.has("homicide"):
        ch.not_supplied("homicide", "MPS homicide dashboard (persons proceeded against for "
                        "homicide by age and sex)")
        return None
    area, m = ch.cfg.area.name, ch.cfg.min_count
    ht = homicide_table(ch.load("homicide").frame, area, ch.period)
    safe = suppress(ht, ["area_count", "london_count"], m, group_cols=["dimension"],
                    total_row={"group": "All"}, dependent={"area_count": ["area_share"],
                                                           "london_count": ["london_share"]})
    total = ht[(ht["dimension"] == "Age") & (ht["group"] == "All")].iloc[0]
    young = ht[(ht["dimension"] == "Age") & ht["group"].isin(["10-19", "20-24"])]
    young_safe = safe.loc[young.index, "area_count"].notna().all()
    text = (f"Between {periods.month_label(total['period_start'])} and "
            f"{periods.month_label(total['period_end'])}, "
            f"{format_count(total['area_count'], m)} people were proceeded against for homicide "
            f"in {area} (London: {format_count(total['london_count'], m)}).")
    if young_safe and total["area_count"] >= m:
        text += (f" {young['area_share'].sum():.0f}% of them were aged 10-24 (London "
                 f"{young['london_share'].sum():.0f}%).")
    ch.md(md_text(text) + "\n\nThese are people charged or summonsed for homicide (or who "
          "died before proceedings), counted by the date of proceedings and the borough "
          "recorded: not the number of homicides in the year, which the dashboard above "
          "gives.")
    ch.table(safe, "homicide", f"Persons proceeded against for homicide by age group and sex, "
             f"{area} and London (MPS homicide dashboard; '<{m}': fewer than {m}; 'hidden': "
             "hidden so that a small number cannot be worked out from the total)",
             show=pd.DataFrame({
                 "By": safe["dimension"], "Group": safe["group"],
                 f"{area} persons": [count_text(r, v, m) for r, v in
                                     zip(ht["area_count"], safe["area_count"], strict=True)],
                 f"{area} %": safe["area_share"].map(_pct_text),
                 "London persons": [count_text(r, v, m) for r, v in
                                    zip(ht["london_count"], safe["london_count"], strict=True)],
                 "London %": safe["london_share"].map(_pct_text)}))
    return safe


def show_ambulance(ch: Any) -> None:
    """Historical context: London Ambulance Service assaults (to July 2016, break Sep 2015)."""
    if not ch.has("ambulance"):
        ch.not_supplied("ambulance", "London Ambulance Service call-outs for assaults and "
                        "weapon injuries by borough")
        return
    area = ch.cfg.area.name
    loaded = ch.load("ambulance")
    amb = loaded.frame
    breaks = loaded.meta.get("series_breaks") or [{"month": "2015-09", "note": ""}]
    d = amb[(amb["borough_name"] == area) & (amb["incident_type"] == AMBULANCE_ASSAULTS)]
    cut = breaks[0]["month"]
    d = d.assign(series=np.where(d["month"] < cut, "Before the change", "After the change"),
                 value=d["count"])
    fig, alt = plots.line_trend(d, f"Ambulance call-outs to assaults in {area}",
                                "Call-outs per month", [{"month": cut,
                                                         "note": "recording change"}])
    ch.figure(fig, alt, "London Ambulance Service incidents coded as assault, by month, with "
              "the 12-month average before the recording change. "
              + " ".join(f"{periods.month_label(b['month'])}: {b['note']}." for b in breaks
                         if b.get("note")))
    summ = ambulance_summary(amb, area, breaks[0]["month"])
    names = {AMBULANCE_ASSAULTS: "assaults", AMBULANCE_WEAPONS: "weapon injuries"}
    parts = [f"{format_count(r['area_count'], ch.cfg.min_count)} call-outs to "
             f"{names.get(r['incident_type'], r['incident_type'])} ({r['area_share_pct']:.1f}% "
             "of London's)" for _, r in summ.iterrows()]
    if len(summ):
        r = summ.iloc[0]
        ch.md(md_text(f"Between {periods.month_label(r['period_start'])} and "
                      f"{periods.month_label(r['period_end'])}, the last 12 months before the "
                      f"recording change, the ambulance service made {' and '.join(parts)} in "
                      f"{area}; {area} has {td_share(ch):.1f}% of London's residents (Census "
                      "2021)."))


def td_share(ch: Any) -> float:
    """The area's share of London's residents (33 London LTLAs), in %."""
    pops = populations(ch.load("population").frame)
    london = sum(pops.get(b, 0) for b in metrics.LONDON_BOROUGHS)
    return pops.get(ch.cfg.area.name, np.nan) / london * 100 if london else np.nan
