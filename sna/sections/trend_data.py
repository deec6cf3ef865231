"""Chapter 02 (violence data and trends): the data the chapter's sections share.

The chapter is in five modules: this one (the London frame, populations, disclosure and display
helpers, :func:`prepare`), :mod:`~sna.sections.trends` (performance dashboard),
:mod:`~sna.sections.trend_series` (breakdown, trends over time),
:mod:`~sna.sections.comparisons` (London, BCU, neighbours, funnel plot) and
:mod:`~sna.sections.other_sources` (knife crime, homicide, ambulance).

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna import data as sna_data
from sna import metrics, periods
from sna import series as sna_series
from sna.definitions import borough_monthly, indicator_ids, indicator_label, load_indicators
from sna.disclosure import suppress
from sna.narrative import format_rate
from sna.sections.who_data import london_dashboard_monthly

SV = "serious_violence"
NOT_BOROUGHS = ("Aviation Security (SO18)", "London Heathrow and London City Airports",
                "Unknown", "Not known", "N/K", "Non MET police force")
SOURCE_TEXT = {
    "mps_borough": "the MPS borough-level recorded crime data (data.mps_borough)",
    "mps_ward": "the MPS ward-level recorded crime data summed to boroughs (data.mps_ward)",
}


def labels() -> dict[str, str]:
    """Indicator id -> plain-English label (``indicators.yaml``; read from the cached
    crosswalk, not a fresh copy of it: called once per dashboard row)."""
    return {i: indicator_label(i) for i in indicator_ids()}


def sv_components() -> list[str]:
    """The indicators summed into ``serious_violence``."""
    return list(load_indicators()[SV]["components"])


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
    dashboard = london_dashboard_monthly(cfg)  # mps_dashboard / knife_crime (sections.who_data)
    if not dashboard.empty:
        parts.append(dashboard.assign(source="knife_crime"))
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


def crime_rows(monthly: pd.DataFrame) -> pd.DataFrame:
    """The recorded-crime rows of the chapter frame (not the knife dashboard)."""
    return monthly[monthly["source"] != "knife_crime"]


def area_series(monthly: pd.DataFrame, area: str) -> pd.DataFrame:
    """Monthly counts and 12-month rolling totals for the area, every recorded-crime indicator.

    Returns ``indicator, label, month, count, rolling_12m`` (rolling total NaN for the first 11
    months and for any 12 months with a month missing from the data).
    """
    data = crime_rows(monthly)
    data = data.loc[data["borough"] == area, ["indicator", "month", "count"]]
    out = sna_series.rolling_12m(data, by=["indicator"])
    order = {i: n for n, i in enumerate(load_indicators())}
    out = out.sort_values(["indicator", "month"], key=lambda s: s.map(order)
                          if s.name == "indicator" else s)
    out.insert(1, "label", out["indicator"].map(labels()))
    return out.reset_index(drop=True)


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


def count_text(raw: Any, safe: Any, min_count: int) -> str:
    """A count cell for display: '1,234'; '<5' when small and hidden; 'hidden' when hidden to
    protect a small count elsewhere; 'n/a' when not in the data."""
    if pd.isna(raw):
        return "n/a"
    if pd.isna(safe):
        return f"<{min_count}" if raw < min_count else "hidden"
    return f"{int(safe):,}"


def count_texts(raw: Iterable[Any], safe: Iterable[Any], min_count: int) -> list[str]:
    """:func:`count_text` of each cell of a count column: ``raw`` (before disclosure control)
    and ``safe`` (published) are the same column of the two tables, row for row."""
    return [count_text(r, v, min_count) for r, v in zip(raw, safe, strict=True)]


def arrow(change: Any, significant: Any) -> str:
    """``'▲ +17.4% (significant)'``, ``'▼ -5.0%'``, ``'no change'``; '-' when unknown."""
    if pd.isna(change):
        return "-"
    if change == 0:
        return "no change"
    mark = "▲ +" if change > 0 else "▼ "
    sig = " (significant)" if pd.notna(significant) and bool(significant) else ""
    return f"{mark}{change:.1f}%{sig}"


def rate_text(v: Any) -> str:
    """A rate for a table cell ('-' when missing)."""
    return "-" if pd.isna(v) else format_rate(v)


def pct_text(v: Any) -> str:
    """A percentage for a table cell, one decimal ('-' when missing)."""
    return "-" if pd.isna(v) else f"{v:.1f}%"
