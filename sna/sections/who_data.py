"""Monthly counts from the MPS Monthly Crime Dashboard (``mps_dashboard``, or its alias
``knife_crime``) for the performance dashboard and chapter 08, and the rank intervals of
every dashboard row.

Windows: a month counts as zero for an indicator only inside the months a supplied file covers
for that indicator's series (the data are sparse: no zero rows); outside them the month is
absent, so a window reaching before the data start (or after they end) has an empty count,
never a partial sum (:func:`sna.metrics.window_total`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sna import data as sna_data
from sna import metrics
from sna.definitions import borough_monthly, indicator_monthly, load_indicators
from sna.io.dashboard import place_coverage, series_coverage
from sna.ranks import rank_interval

RANK_CI_COLUMNS = ["london_rank_lower95", "london_rank_upper95"]
DASHBOARD_KEYS = ("mps_dashboard", "knife_crime")


def dashboard_key(cfg: Any) -> str | None:
    """The config key holding dashboard data: ``mps_dashboard``, else ``knife_crime``."""
    return next((k for k in DASHBOARD_KEYS if cfg.has(k)), None)


def _mask_coverage(monthly: pd.DataFrame, meta: dict[str, Any],
                   places: pd.Series | None = None) -> pd.DataFrame:
    """Drop (indicator, month) rows outside the months the files cover for the indicator; with
    ``places`` ('borough|<name>' or 'ward|<name>' per row), outside the months covered by a
    file that holds the indicator *and* has rows for that place (an extract cut to one
    borough's wards says nothing about other boroughs' wards)."""
    if not meta.get("coverage"):
        return monthly
    specs = load_indicators()
    keep = pd.Series(False, index=monthly.index)
    for ind, rows in monthly.groupby("indicator").groups.items():
        cats = specs[ind]["categories"]
        months = monthly.loc[rows, "month"]
        by_place = place_coverage(meta, cats)
        if places is not None and by_place is not None:
            keep.loc[rows] = [m in by_place.get(p, ()) for m, p in
                              zip(months, places.loc[rows], strict=True)]
        else:
            keep.loc[rows] = months.isin(series_coverage(meta, cats))
    return monthly[keep]


def _all_months(meta: dict[str, Any]) -> list[str]:
    """Every month some file covers (a month with no row at all in a sparse file is 0)."""
    cov = meta.get("coverage") or {}
    return sorted({m for months in cov.values() for m in months} or set(meta.get("months", [])))


def london_dashboard_monthly(cfg: Any) -> pd.DataFrame:
    """``borough, indicator, month, count`` for the 32 MPS boroughs from the dashboard data
    (empty frame when neither key is supplied). Cached on disk per input
    (:func:`sna.data.derived`)."""
    key = dashboard_key(cfg)
    if key is None:
        return pd.DataFrame(columns=["borough", "indicator", "month", "count"])
    return sna_data.derived(cfg, f"dashboard_london_monthly_{key}", (key,), _london, cfg, key)


def _london(cfg: Any, key: str) -> pd.DataFrame:
    loaded = sna_data.load(cfg, key)
    frame = loaded.frame
    boroughs = frame[frame["area_type"].str.lower().eq("borough")
                     & frame["area_name"].isin(metrics.LONDON_BOROUGHS)]
    out = borough_monthly(boroughs, months=_all_months(loaded.meta))
    return _mask_coverage(out, loaded.meta, "borough|" + out["borough"]).reset_index(drop=True)


def ward_monthly(cfg: Any, borough: str, indicators: Sequence[str]) -> pd.DataFrame:
    """``area_code, area_name, indicator, month, count`` for the borough's current (2022)
    wards; retired ``(NOT ACTIVE)`` wards and label variants of a ward (``Edgware (SX)``)
    are joined on the ward code, the name is the most common one. Cached on disk."""
    key = dashboard_key(cfg)
    return sna_data.derived(cfg, f"dashboard_ward_monthly_{key}", (key,), _wards, cfg, key,
                            borough, tuple(indicators))


def _wards(cfg: Any, key: str, borough: str, indicators: tuple[str, ...]) -> pd.DataFrame:
    loaded = sna_data.load(cfg, key)
    f = loaded.frame
    wards = f[~f["area_type"].str.lower().eq("borough") & f["borough"].eq(borough)
              & ~f["retired"] & f["area_code"].fillna("").str.match(r"E05\d{6}$")]
    names = wards.groupby("area_code")["area_name"].agg(lambda s: s.value_counts().index[0])
    wards = wards.assign(area_name=wards["area_code"].map(names))
    out = indicator_monthly(wards, by=("area_code", "area_name"),
                            months=_all_months(loaded.meta))
    out = out[out["indicator"].isin(list(indicators))]
    places = pd.Series(f"ward|{borough}", index=out.index)
    return _mask_coverage(out, loaded.meta, places).reset_index(drop=True)


def with_rank_intervals(dash: pd.DataFrame, monthly: pd.DataFrame,
                        pops: Mapping[str, float], area: str, period: str,
                        *, sims: int = 2000) -> pd.DataFrame:
    """Add ``london_rank_lower95, london_rank_upper95`` to every dashboard row.

    For each window the counts of all London boroughs are taken from ``monthly`` (the frame the
    dashboard was built from) and :func:`sna.ranks.rank_interval` simulates the league table;
    the area's 2.5/97.5 percentile ranks are kept. NA where the area has no rank.
    """
    out = dash.copy()
    for col in RANK_CI_COLUMNS:
        out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    data = monthly.loc[monthly["indicator"].isin(set(dash["indicator"]))
                       & monthly["borough"].isin(metrics.LONDON_BOROUGHS)
                       & monthly["borough"].isin(list(pops)),
                       ["borough", "indicator", "month", "count"]]
    if data.empty:
        return out
    for window in dash["window"].unique():
        tot = metrics.window_total(data, period, window, by=["borough", "indicator"])
        for ind, grp in tot.groupby("indicator"):
            grp = grp[grp["count"].notna()].reset_index(drop=True)
            rows = out.index[(out["indicator"] == ind) & (out["window"] == window)]
            if grp.empty or area not in set(grp["borough"]) or not len(rows):
                continue
            ri = rank_interval(grp["count"], grp["borough"].map(pops), sims=sims)
            me = grp.index[grp["borough"] == area][0]
            out.loc[rows, RANK_CI_COLUMNS[0]] = ri.loc[me, "lower95"]
            out.loc[rows, RANK_CI_COLUMNS[1]] = ri.loc[me, "upper95"]
    return out
