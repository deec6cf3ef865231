"""Chapter 08 (who is affected): domestic abuse, young people, weapons and hate crime from the
MPS Monthly Crime Dashboard (``mps_dashboard``), compared with London and the BCU.

Every comparison uses one 12-month window ending at the chapter's *end month*: the report
period, or the last month the dashboard's "Other crime" measures cover when they end earlier
(the page says so). Windows the data do not fully cover are empty (:mod:`sna.sections.who_data`).
Places (VAWG by ward, domestic abuse hot spots) and public confidence are in
:mod:`sna.sections.who_places`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sna import metrics, periods, plots
from sna.definitions import indicator_label
from sna.narrative import format_rate, md_text, ordinal
from sna.sections import trend_data
from sna.sections.who_data import RANK_CI_COLUMNS, london_dashboard_monthly, with_rank_intervals

DA_IDS = ("domestic_abuse", "domestic_abuse_vwi")
YOUTH_IDS = ("knife_injury_victims_non_da_1_24", "knife_injury_victims_1_24")
WEAPON_IDS = ("knife_crime", "knife_crime_with_injury", "gun_crime", "lethal_barrel_discharge")
HATE_IDS = ("hate_crime", "hate_racist_religious", "hate_racist", "hate_faith",
            "hate_antisemitic", "hate_islamophobic", "hate_homophobic", "hate_transphobic",
            "hate_disability")
COMPARE_COLUMNS = ["indicator", "label", "period_start", "period_end", "count",
                   "previous_count", "change_pct", "change_significant", "population",
                   "rate_per_1000", "london_rate_per_1000", "bcu_rate_per_1000", "london_rank",
                   *RANK_CI_COLUMNS, "london_areas"]
DEPENDENT = {"count": ["change_pct", "change_significant", "rate_per_1000", "london_rank",
                       *RANK_CI_COLUMNS],
             "previous_count": ["change_pct", "change_significant"]}


@dataclass
class WhoData:
    """What the chapter's sections share."""

    monthly: pd.DataFrame      # borough, indicator, month, count (dashboard, London)
    pops: dict[str, float]     # residents by borough
    end: str                   # last month of the chapter's windows
    note: str                  # why ``end`` differs from the report period ('' if not)


def prepare(ch: Any) -> WhoData | None:
    """Load the dashboard frame; None (and a 'not supplied' note) without ``mps_dashboard``."""
    monthly = london_dashboard_monthly(ch.cfg)
    if monthly.empty or not monthly["indicator"].isin(DA_IDS).any():
        ch.not_supplied("mps_dashboard", "MPS Monthly Crime Dashboard data (domestic abuse, gun "
                        "crime, hate crime and knife-injury victims by borough and ward)")
        return None
    last = str(monthly.loc[monthly["indicator"].isin(DA_IDS), "month"].max())
    end = min(ch.period, last)
    note = ("" if end == ch.period else
            f"The dashboard's domestic abuse, gun and hate crime data supplied end in "
            f"{periods.month_label(last)}, so this chapter's 12 months run to "
            f"{periods.month_label(end)}, not {periods.month_label(ch.period)}.")
    pops = trend_data.populations(ch.load("population").frame)
    return WhoData(monthly, pops, end, note)


def compare(wd: WhoData, ids: tuple[str, ...], area: Any,
            pops: dict[str, float] | None = None) -> pd.DataFrame:
    """12 months to ``wd.end`` vs a year earlier for ``ids``: counts, change and its test, rate
    per 1,000 of ``pops`` (residents by default), London and BCU rates, London rank and its
    95% interval. Count NA when the window is not fully covered."""
    pops = pops or wd.pops
    data = wd.monthly[wd.monthly["indicator"].isin(ids)]
    if data.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    dash = metrics.performance_dashboard(data, pops, area.name, wd.end, bcu=area.bcu,
                                         windows=("12m",), indicators=list(ids))
    dash = with_rank_intervals(dash, data, pops, area.name, wd.end)
    tot = metrics.window_total(data, wd.end, "12m", by=["borough", "indicator"])
    tot["population"] = tot["borough"].map(pops)
    tot = tot.dropna(subset=["count", "population"])

    def group_rate(members: set[str]) -> pd.Series:
        g = tot[tot["borough"].isin(members)].groupby("indicator")[["count", "population"]].sum()
        return g["count"] / g["population"] * 1000

    london = group_rate(set(metrics.LONDON_BOROUGHS))
    bcu = group_rate(set(area.bcu) | {area.name})
    dash["label"] = dash["indicator"].map(indicator_label)
    dash["population"] = pops.get(area.name, np.nan)
    dash["london_rate_per_1000"] = dash["indicator"].map(london).round(4)
    dash["bcu_rate_per_1000"] = dash["indicator"].map(bcu).round(4) if area.bcu else np.nan
    return dash[COMPARE_COLUMNS]


def _rank_text(row: pd.Series) -> str:
    if pd.isna(row["london_rank"]):
        return "-"
    lo, hi = row["london_rank_lower95"], row["london_rank_upper95"]
    span = "" if pd.isna(lo) else f" (95% interval {ordinal(int(lo))} to {ordinal(int(hi))})"
    return f"{ordinal(int(row['london_rank']))} of {int(row['london_areas'])}{span}"


def display(safe: pd.DataFrame, min_count: int, per: str = "residents",
            raw: pd.DataFrame | None = None) -> pd.DataFrame:
    """Readable comparison table (strings): '<5' for a hidden small count, 'n/a' where the
    data do not cover the window (``raw`` = the table before disclosure control)."""
    raw = safe if raw is None else raw
    return pd.DataFrame({
        "Measure": safe["label"],
        "12 months": trend_data.count_texts(raw["count"], safe["count"], min_count),
        "A year earlier": trend_data.count_texts(raw["previous_count"], safe["previous_count"],
                                                 min_count),
        "Change": [trend_data.arrow(c, s) for c, s in zip(safe["change_pct"],
                                                           safe["change_significant"],
                                                           strict=True)],
        f"Rate per 1,000 {per}": [("-" if pd.isna(r) else format_rate(r))
                                   for r in safe["rate_per_1000"]],
        "London rate": [("-" if pd.isna(r) else format_rate(r))
                        for r in safe["london_rate_per_1000"]],
        "BCU rate": [("-" if pd.isna(r) else format_rate(r)) for r in safe["bcu_rate_per_1000"]],
        "London rank (1 = lowest rate)": [_rank_text(r) for _, r in safe.iterrows()],
    })


def sentence(row: pd.Series, area: str, per: str = "residents",
             raw: pd.Series | None = None) -> str:
    """One plain-English sentence: count, change (significant or not), rate vs London, rank.
    ``raw`` (the row before disclosure control) tells a hidden count from a missing one."""
    raw = row if raw is None else raw
    label = row["label"]
    if pd.isna(raw["count"]):
        return (f"{label}: the data supplied do not cover the 12 months to "
                f"{periods.month_label(row['period_end'])}.")
    if pd.isna(row["count"]):
        return f"{label}: fewer than the disclosure threshold, not published."
    text = f"{label}: {int(row['count']):,} in the 12 months to {periods.month_label(row['period_end'])}"
    if pd.isna(raw["previous_count"]):
        text += " (no comparison: the data supplied do not cover the year before)"
    elif pd.isna(row["previous_count"]):
        text += " (a year earlier: too few to publish)"
    else:
        text += f", against {int(row['previous_count']):,} a year earlier"
        if pd.notna(row["change_pct"]):
            sig = bool(row["change_significant"]) if pd.notna(row["change_significant"]) else False
            text += (f" ({row['change_pct']:+.1f}%, " + ("a statistically significant change"
                     if sig else "no statistically detectable change") + ")")
    if pd.notna(row["rate_per_1000"]) and pd.notna(row["london_rate_per_1000"]):
        comp = "higher than" if row["rate_per_1000"] > row["london_rate_per_1000"] else "lower than"
        text += (f". That is {format_rate(row['rate_per_1000'])} per 1,000 {per}, {comp} "
                 f"London's {format_rate(row['london_rate_per_1000'])}")
    if pd.notna(row["london_rank"]):
        text += f"; {md_text(area)} ranks {_rank_text(row)} London boroughs"
    return text + "."


def publish_compare(ch: Any, frame: pd.DataFrame, name: str, caption: str,
                    per: str = "residents") -> pd.DataFrame:
    """Publish a :func:`compare` table (open data; counts under ``min_count`` hidden with what
    derives from them) and show its readable version and sentences."""
    safe = ch.publish(frame, name, count_cols=["count", "previous_count"], dependent=DEPENDENT)
    ch.table(safe, None, caption, show=display(safe, ch.cfg.min_count, per, frame))
    from sna.narrative import md_bullets

    ch.md(md_bullets([sentence(r, ch.cfg.area.name, per, frame.loc[i])
                      for i, r in safe.iterrows()]))
    return safe


def rolling_share(wd: WhoData, crime: pd.DataFrame, area: Any) -> pd.DataFrame:
    """12-month rolling share (%) of violence with injury flagged domestic abuse: the area,
    its BCU and London. ``month, series, value``; NaN where a month is missing."""
    da = wd.monthly[wd.monthly["indicator"] == "domestic_abuse_vwi"]
    vwi = crime[crime["indicator"] == "violence_with_injury"]
    groups = {area.name: {area.name}, "BCU": set(area.bcu) | {area.name},
              "London": set(metrics.LONDON_BOROUGHS)}
    if not area.bcu:
        groups.pop("BCU")
    parts = []
    for name, members in groups.items():
        num = da[da["borough"].isin(members)].groupby("month")["count"].sum()
        den = vwi[vwi["borough"].isin(members)].groupby("month")["count"].sum()
        both = pd.concat([num.rename("da"), den.rename("vwi")], axis=1).dropna().sort_index()
        if both.empty:
            continue
        months = pd.Index(periods.month_range(both.index.min(), both.index.max()))
        both = both.reindex(months)
        roll = both.rolling(12, min_periods=12).sum()
        parts.append(pd.DataFrame({"month": months, "series": name,
                                   "value": (roll["da"] / roll["vwi"] * 100).round(1)}))
    if not parts:
        return pd.DataFrame(columns=["month", "series", "value"])
    out = pd.concat(parts, ignore_index=True)
    return out[out["value"].notna() & (out["month"] <= wd.end)]


def share_figure(share: pd.DataFrame, area: str) -> tuple[Any, str]:
    """Line chart of the rolling domestic abuse share of violence with injury."""
    return plots.multi_line(share, f"Share of violence with injury flagged as domestic abuse, "
                            f"{area}, BCU and London (12 months to each month)",
                            "% of violence with injury")


def youth_population(population: pd.DataFrame) -> dict[str, float]:
    """Residents aged 1-24 by borough, the victims' own age range: Census 2021 TS007A
    five-year bands with four fifths of the 0-4 band (the same denominator as chapter 02's
    knife table, :func:`sna.sections.other_sources.populations_aged`)."""
    from sna.sections.other_sources import populations_aged

    return populations_aged(population[population["level"] == "ltla"], 24, min_age=1)


def youth_series(wd: WhoData, pops: dict[str, float], area: str) -> pd.DataFrame:
    """12-month rolling rate per 1,000 aged 1-24 of non-DA knife-injury victims aged 1-24:
    the area and London (``month, series, value``)."""
    d = wd.monthly[wd.monthly["indicator"] == "knife_injury_victims_non_da_1_24"]
    parts = []
    for name, members in ((area, {area}), ("London", set(metrics.LONDON_BOROUGHS) & set(pops))):
        s = d[d["borough"].isin(members)].groupby("month")["count"].sum().sort_index()
        pop = sum(pops.get(b, 0.0) for b in members)
        roll = s.rolling(12, min_periods=12).sum() / pop * 1000
        parts.append(pd.DataFrame({"month": s.index, "series": name, "value": roll.round(3)}))
    out = pd.concat(parts, ignore_index=True)
    return out[out["value"].notna() & (out["month"] <= wd.end)]


def youth_figure(series: pd.DataFrame) -> tuple[Any, str]:
    """Line chart of :func:`youth_series`."""
    return plots.multi_line(series, "Knife-injury victims aged 1-24 (not domestic abuse) per "
                            "1,000 residents aged 1-24, 12 months to each month",
                            "per 1,000 aged 1-24")


def _anchor(indicator: str) -> str:
    """Heading anchor of the chapter section holding an indicator."""
    for ids, anchor in ((DA_IDS, "Domestic-abuse"), (YOUTH_IDS, "Young-people"),
                        (WEAPON_IDS, "Knives-and-guns"), (HATE_IDS, "Hate-crime")):
        if indicator in ids:
            return anchor
    return ""


def record_findings(ch: Any, *tables: pd.DataFrame) -> None:
    """A finding for domestic abuse violence with injury (always: the chapter's headline) and
    for every other statistically significant change whose counts are published."""
    for table in tables:
        for _, row in table.iterrows():
            sig = pd.notna(row["change_significant"]) and bool(row["change_significant"])
            if row["indicator"] != "domestic_abuse_vwi" and not sig:
                continue
            if pd.isna(row["count"]) or pd.isna(row["previous_count"]):
                continue
            kind = ("headline" if row["indicator"] == "domestic_abuse_vwi"
                    else "change" if sig else "finding")
            ch.finding(sentence(row, ch.cfg.area.name), kind=kind,
                       anchor=_anchor(row["indicator"]), indicator=row["indicator"], window="12m",
                       period_end=row["period_end"], count=int(row["count"]),
                       previous_count=int(row["previous_count"]),
                       change_pct=None if pd.isna(row["change_pct"]) else float(row["change_pct"]),
                       significant=sig)
