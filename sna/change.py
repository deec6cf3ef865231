"""Tests of change in monthly counts that allow for overdispersion and season.

Why this test
-------------
Monthly police counts vary more than Poisson (Barnet violence with injury: Pearson dispersion
about 1.5 after year and season), so the two-Poisson score test of a 12-month total against
the same months a year earlier calls about one null change in nine "significant" at the 5%
level (see ``tests/test_change_simulation.py``). We keep the score statistic, which needs no
model of the level, and scale its variance by a dispersion estimated from the area's own
monthly history (quasi-Poisson; McCullagh & Nelder 1989, s. 4.5; Wedderburn 1974):

* The last ``years`` (default 6) complete 12-month blocks ending at the period form a
  year x calendar-month table. A Poisson GLM with a level per block and a month-of-year
  effect (``log mu = a_year + s_month``) is the independence model of that table, so its
  fitted values are closed-form (``row total * column total / total``) and its Pearson
  chi-square / ``(Y-1)*11`` df is the dispersion ``phi`` (checked against statsmodels GLM in
  the tests). A level per year (rather than one trend) keeps a real change in level out of
  ``phi``: it measures month-to-month noise beyond Poisson, which is what the variance of a
  window total depends on. ``phi`` is floored at 1 (never less conservative than Poisson).
* Conditional on each calendar month's total in the two windows, the score statistic for the
  ratio of the current window to the comparison window with month-of-year effects is
  ``z = (c - p) / sqrt(phi (c + p))``; against the mean of ``k`` earlier windows (total ``T``)
  it is ``z = (c - T/k) / sqrt(phi (c + T) / k)``. With ``phi`` estimated, ``z`` is referred
  to Student's t with the dispersion's degrees of freedom (the quasi-likelihood F test).
* Short history: with only the two windows (24 months) ``phi`` has 11 df; with less than 24
  complete months before the window ends, the test falls back to Poisson (``phi = 1``) and
  ``method`` says so, so the text can warn that significance may be overstated.

The alternative of comparing a change with the spread of earlier years' changes has only
five or so degrees of freedom and confounds real shifts (e.g. 2020) with noise; the three
robustness checks of :func:`robustness` (a month earlier, without possession of weapons,
against the three-year average) carry that context instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sna import periods

YEARS = 6
"""12-month blocks of history used to estimate the dispersion (72 months)."""

MIN_BLOCKS = 2
"""Fewer complete 12-month blocks than this: Poisson fallback (``phi = 1``)."""


@dataclass(frozen=True)
class Dispersion:
    """Quasi-Poisson dispersion of a monthly series: ``phi`` (>= 1), its degrees of freedom
    (``inf`` for the Poisson fallback), the raw Pearson estimate and the blocks used."""

    phi: float
    df: float
    pearson: float
    blocks: int

    @property
    def method(self) -> str:
        """Plain description of the test that uses this dispersion."""
        if not np.isfinite(self.df):
            return "Poisson (history too short to estimate overdispersion)"
        return (f"quasi-Poisson (dispersion {self.phi:.2f} from {self.blocks} years of "
                "monthly counts with season)")


def pearson_dispersion(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson chi-square / df of the independence model of year x month tables.

    Parameters
    ----------
    table : numpy.ndarray
        ``(..., years, 12)`` monthly counts (no NaN); leading axes are separate series.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Dispersion (NaN where a series is all zero) and its degrees of freedom
        ``(years - 1) * 11``.
    """
    t = np.asarray(table, dtype=float)
    rows, cols = t.sum(axis=-1, keepdims=True), t.sum(axis=-2, keepdims=True)
    total = rows.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        fitted = rows * cols / total
        resid = np.where(fitted > 0, (t - fitted) ** 2 / fitted, 0.0)
    df = (t.shape[-2] - 1) * (t.shape[-1] - 1)
    x2 = resid.sum(axis=(-2, -1))
    return np.where(total[..., 0, 0] > 0, x2 / max(df, 1), np.nan), np.full(x2.shape, df)


def _matrix(series: dict[str, pd.Series] | pd.DataFrame) -> tuple[list[str], list[str],
                                                                    np.ndarray]:
    """Names, the full month range and a (series x month) float matrix (NaN = absent)."""
    wide = series if isinstance(series, pd.DataFrame) else pd.DataFrame(
        {k: pd.Series(v, dtype=float) for k, v in series.items()}).T
    cols = sorted(str(c) for c in wide.columns)
    months = periods.month_range(cols[0], cols[-1])
    wide = wide.set_axis([str(c) for c in wide.columns], axis=1).reindex(columns=months)
    return [str(i) for i in wide.index], months, wide.to_numpy(dtype=float)


def _slice(x: np.ndarray, end: int, length: int) -> np.ndarray:
    """Columns ``end - length + 1 .. end`` of ``x``, NaN-padded outside the matrix."""
    out = np.full((x.shape[0], length), np.nan)
    lo, hi = max(end - length + 1, 0), min(end, x.shape[1] - 1)
    if hi >= lo:
        out[:, lo - (end - length + 1):hi - (end - length + 1) + 1] = x[:, lo:hi + 1]
    return out


def _dispersions(x: np.ndarray, end: int, years: int = YEARS
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``x``: ``phi`` (>= 1), df, raw Pearson estimate and complete blocks, from
    the complete 12-month blocks among the ``years`` ending at column ``end``."""
    cube = _slice(x, end, 12 * years).reshape(len(x), years, 12)
    complete = ~np.isnan(cube).any(axis=2)
    phi, df = np.ones(len(x)), np.full(len(x), np.inf)
    raw, blocks = np.full(len(x), np.nan), complete.sum(axis=1)
    for pattern in {tuple(r) for r in complete}:
        rows = (complete == np.array(pattern)).all(axis=1)
        if sum(pattern) >= MIN_BLOCKS:
            r, d = pearson_dispersion(cube[rows][:, np.array(pattern), :])
            raw[rows], df[rows] = r, d
            phi[rows] = np.where(np.isfinite(r), np.maximum(r, 1.0), 1.0)
    return phi, df, raw, blocks


def dispersion(series: pd.Series, period: str, years: int = YEARS) -> Dispersion:
    """Dispersion of one monthly series (index ``YYYY-MM``) from the complete 12-month blocks
    among the ``years`` ending at ``period`` (a block with a missing month is left out)."""
    _, months, x = _matrix({"s": series})
    end = _position(months, period)
    phi, df, raw, blocks = _dispersions(x, end, years)
    return Dispersion(float(phi[0]), float(df[0]), float(raw[0]), int(blocks[0]))


def _position(months: list[str], month: str) -> int:
    """Column of ``month`` in the consecutive ``months`` (may be outside the range)."""
    first = pd.Period(months[0], freq="M")
    return (pd.Period(month, freq="M") - first).n


def _changes(x: np.ndarray, months: list[str], end_month: str, window: str | int, back: int,
             years: int = YEARS, alpha: float = 0.05) -> pd.DataFrame:
    """The change test of every row of ``x``: ``count, comparison, change_pct, p_value,
    significant, dispersion, df, method``."""
    length = len(periods.window_months(end_month, window))
    end = _position(months, end_month)
    count = _slice(x, end, length).sum(axis=1)
    total = sum(_slice(x, end - 12 * j, length).sum(axis=1) for j in range(1, back + 1))
    phi, df, _, blocks = _dispersions(x, end, years)
    p = score_pvalue(count, total, back, phi, df)
    comparison = total / back
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(comparison > 0, np.round((count - comparison) / comparison * 100, 1),
                       np.nan)
    return pd.DataFrame({
        "count": count, "comparison": np.round(comparison, 2), "change_pct": pct,
        "p_value": np.round(p, 5),
        "significant": pd.array([pd.NA if np.isnan(v) else bool(v < alpha) for v in p],
                                dtype="boolean"),
        "dispersion": np.round(phi, 3), "df": df,
        "method": [Dispersion(f, d, np.nan, int(k)).method for f, d, k in
                   zip(phi, df, blocks, strict=True)]})


def score_pvalue(count: np.ndarray, baseline_total: np.ndarray, k: np.ndarray | float,
                 phi: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p-value of ``count`` against the mean of ``k`` earlier windows (total
    ``baseline_total``), quasi-Poisson score statistic ``(c - T/k) / sqrt(phi (c + T) / k)``
    referred to t(``df``) (normal when ``df`` is infinite). NaN when both are 0 or missing."""
    c, t, k, phi, df = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in
                                             (count, baseline_total, k, phi, df)))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (c - t / k) / np.sqrt(phi * (c + t) / k)
        p = np.where(np.isfinite(df), 2 * stats.t.sf(np.abs(z), np.where(np.isfinite(df), df,
                                                                          1)),
                     2 * stats.norm.sf(np.abs(z)))
    return np.where(np.isnan(z), np.nan, p)


def change_result(series: pd.Series, period: str, window: str | int = "12m", back: int = 1,
                  years: int = YEARS, alpha: float = 0.05) -> dict:
    """The change of one window against the mean of the same window in the ``back`` earlier
    years: ``count, comparison, change_pct, p_value, significant, dispersion, df, method``."""
    _, months, x = _matrix({"s": series})
    return _changes(x, months, period, window, back, years, alpha).iloc[0].to_dict()


POLICE_ACTIVITY: tuple[str, ...] = ("possession_of_weapons",)
"""Offences whose recorded numbers mostly reflect police activity (stop and search), left out
of the serious violence total in the robustness check."""

TOTAL = "serious_violence"

CHECKS: dict[str, str] = {
    "year_earlier": "against the same months a year earlier",
    "one_month_earlier": "with the window ending one month earlier",
    "without_possession_of_weapons": "without possession of weapons (driven by police activity)",
    "three_year_average": "against the average of the same months in the three earlier years",
}
"""Check id -> plain words; ``year_earlier`` is the headline test itself."""

CHECK_COLUMNS: tuple[str, ...] = (
    "indicator", "window", "check", "period_start", "period_end", "count", "comparison",
    "change_pct", "p_value", "significant", "dispersion", "method")
"""Columns of ``tables/change_robustness.csv``."""


def robustness(series: dict[str, pd.Series] | pd.DataFrame, period: str,
               windows: Sequence[str] = ("3m", "12m"), alpha: float = 0.05) -> pd.DataFrame:
    """The change of every indicator and window, and the checks of whether it holds.

    Parameters
    ----------
    series : dict or pandas.DataFrame
        Indicator id -> the area's monthly series (index ``YYYY-MM``), or a frame with one
        row per indicator and one column per month.
    period : str
        Last month of the windows.
    windows : sequence of str
        Window lengths (``'3m'``, ``'12m'``).
    alpha : float
        Significance level.

    Returns
    -------
    pandas.DataFrame
        :data:`CHECK_COLUMNS`, one row per indicator x window x check of :data:`CHECKS`
        (``without_possession_of_weapons`` for the serious violence total only).
        ``comparison`` is the comparison window's count (mean of three years for
        ``three_year_average``).
    """
    names, months, x = _matrix(series)
    if TOTAL in names and all(p in names for p in POLICE_ACTIVITY):
        rest = x[names.index(TOTAL)] - sum(x[names.index(p)] for p in POLICE_ACTIVITY)
        x, names = np.vstack([x, rest]), [*names, "_rest"]
    earlier = periods.add_months(period, -1)
    plan = [("year_earlier", period, 1), ("one_month_earlier", earlier, 1),
            ("without_possession_of_weapons", period, 1), ("three_year_average", period, 3)]
    parts = []
    for window in windows:
        for check, end, back in plan:
            res = _changes(x, months, end, window, back, alpha=alpha)
            res.insert(0, "indicator", names)
            res = res[res["indicator"] == "_rest"] if check.startswith("without") else res[
                res["indicator"] != "_rest"]
            w = periods.window_months(end, window)
            parts.append(res.assign(indicator=res["indicator"].replace("_rest", TOTAL),
                                    window=window, check=check, period_start=w[0],
                                    period_end=w[-1], _order=len(parts)))
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(CHECKS)}
    rank = {n: i for i, n in enumerate(names)}
    out = out.sort_values(["window", "indicator", "check"], key=lambda s: s.map(
        {w: i for i, w in enumerate(windows)} if s.name == "window" else rank
        if s.name == "indicator" else order), kind="stable")
    return out[list(CHECK_COLUMNS)].reset_index(drop=True)


def robust_flags(checks: pd.DataFrame) -> pd.DataFrame:
    """Per indicator x window: the headline test and whether the change is robust.

    Returns ``indicator, window, change_p, change_significant, change_robust``:
    ``change_robust`` is True when the headline change is significant and every other check
    is significant in the same direction; NA when the headline test is undefined.
    """
    out = []
    for (ind, window), part in checks.groupby(["indicator", "window"], sort=False):
        head = part[part["check"] == "year_earlier"].iloc[0]
        others = part[part["check"] != "year_earlier"]
        sig = head["significant"]
        if pd.isna(sig):
            robust = pd.NA
        else:
            sign = np.sign(head["count"] - head["comparison"])
            agree = [pd.notna(r.significant) and bool(r.significant)
                     and np.sign(r.count - r.comparison) == sign for r in others.itertuples()]
            robust = bool(sig) and all(agree)
        out.append({"indicator": ind, "window": window, "change_p": head["p_value"],
                    "change_significant": sig, "change_robust": robust})
    frame = pd.DataFrame(out, columns=["indicator", "window", "change_p", "change_significant",
                                       "change_robust"])
    for col in ("change_significant", "change_robust"):
        frame[col] = frame[col].astype("boolean")
    return frame


def checks_for_area(monthly: pd.DataFrame, area: str, period: str,
                    indicators: Sequence[str], windows: Sequence[str] = ("3m", "12m"),
                    alpha: float = 0.05) -> pd.DataFrame:
    """:func:`robustness` of ``area`` from a long ``[borough, indicator, month, count]``
    frame (all indicators' series; only ``indicators`` are tested)."""
    data = monthly.loc[monthly["borough"] == area, ["indicator", "month", "count"]]
    if data.empty:
        return pd.DataFrame(columns=list(CHECK_COLUMNS))
    wide = monthly_wide(data, ["indicator"])
    wanted = [i for i in indicators if i in wide.index]
    extra = [p for p in POLICE_ACTIVITY if p in wide.index and TOTAL in wanted]
    checks = robustness(wide.loc[list(dict.fromkeys([*wanted, *extra]))], period, windows,
                        alpha)
    return checks[checks["indicator"].isin(wanted)].reset_index(drop=True)


def group_dispersion(monthly: pd.DataFrame, keys: Sequence[str], period: str,
                     years: int = YEARS) -> pd.DataFrame:
    """:func:`dispersion` of every group of a long ``[*keys, month, count]`` frame at once
    (vectorised: one year x month table per group).

    Returns
    -------
    pandas.DataFrame
        ``[*keys, dispersion, df]``; groups with fewer than :data:`MIN_BLOCKS` complete years
        get the Poisson fallback (``dispersion`` 1, ``df`` inf).
    """
    keys = list(keys)
    months = periods.month_range(periods.add_months(period, -12 * years + 1), period)
    wide = monthly_wide(monthly[[*keys, "month", "count"]], keys, months)
    phi, df, _, _ = _dispersions(wide.to_numpy(dtype=float), len(months) - 1, years)
    out = wide.index.to_frame(index=False)
    out["dispersion"], out["df"] = phi, df
    return out


def _window_wide(data: pd.DataFrame, by: list[str], months: list[str]) -> pd.DataFrame:
    """:func:`monthly_wide` restricted to ``months`` (``data.month`` already str)."""
    rows = data.groupby(by, dropna=False, sort=True).size().index  # every group of the data
    sub = data[data["month"].isin(set(months))]
    if sub.empty:  # no month of the window in the data: all absent
        return pd.DataFrame(np.nan, index=rows, columns=pd.Index(months, name="month"))
    wide = (sub.groupby([*by, "month"], dropna=False)["count"].sum()
            .unstack("month", fill_value=0))
    wide = wide.reindex(index=rows, columns=pd.Index(months, name="month"), fill_value=0)
    return _coverage_mask(wide.astype(float), sub)


def _coverage_mask(wide: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """NaN where a month is absent from the data for that row's indicator (not a real zero)."""
    key = "indicator" if "indicator" in wide.index.names else None
    if key is None:
        present = set(monthly["month"].astype(str))
        return wide.loc[:, [m for m in wide.columns if m in present]].reindex(columns=wide.columns)
    flags = monthly.assign(_p=1.0).pivot_table(index=key, columns="month", values="_p",
                                                aggfunc="max")
    flags = flags.reindex(index=wide.index.get_level_values(key), columns=wide.columns)
    return wide.where(flags.to_numpy() == 1)


def monthly_wide(monthly: pd.DataFrame, by: Sequence[str] | None = None,
                 months: Sequence[str] | None = None) -> pd.DataFrame:
    """Pivot a long monthly frame to one row per group, one column per month (``YYYY-MM``).

    Missing (group, month) rows are 0 when the month is in the data for the row's indicator
    (the frames of :func:`sna.definitions.indicator_monthly` carry explicit zeros) and NaN
    when the month is absent for that indicator (not supplied or dropped as incomplete).
    ``months`` gives exactly these columns (the same as ``.reindex(columns=months)`` of the
    whole pivot, every group kept, but only those months are pivoted: a 12-month window of
    a 16-year London frame costs a fraction).
    """
    by = list(by) if by is not None else [c for c in monthly.columns if c not in ("month", "count")]
    data = monthly.assign(month=monthly["month"].astype(str))
    if months is not None and by:
        return _window_wide(data, by, list(months))
    wide = (data.groupby([*by, "month"], dropna=False)["count"].sum()
            .unstack("month", fill_value=0))
    wide = wide.reindex(columns=periods.month_range(wide.columns.min(), wide.columns.max()))
    return _coverage_mask(wide.astype(float), data)
