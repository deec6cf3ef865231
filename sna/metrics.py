"""Rates, confidence intervals, windows, change and significance, ranks and the dashboard.

Funnel-plot limits are in :mod:`sna.funnel`; rolling totals, seasonal context and series
breaks in :mod:`sna.series`.

Conventions
-----------
- Rates are crude rates per ``per`` residents (1,000 by default) over the window the count
  covers: a 3-month rate is *not* annualised (it is the window's offences per 1,000 residents,
  about a quarter of the 12-month rate). Every rate in the package follows this rule, so a
  rate always equals ``count / population * per``.
- 95% confidence intervals for rates follow the PHE/OHID Fingertips method
  (PHEindicatormethods ``phe_rate``): exact Poisson limits (chi-square) for counts below 10,
  Byar's approximation for 10 and above.
- Change compares a window with the same months one year earlier (equal exposure). The
  dashboard's test allows for overdispersion and season (:mod:`sna.change`: quasi-Poisson
  score test with the dispersion of the area's own monthly history) and checks whether the
  change is robust (a month earlier, without possession of weapons, against the three-year
  average). :func:`change_test` is the score test for the ratio of two Poisson rates
  (statsmodels ``test_poisson_2indep``), or its quasi-Poisson version given a dispersion.
- Months are ``YYYY-MM`` strings (:mod:`sna.periods`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.rates import test_poisson_2indep

from sna import change as sna_change
from sna import periods
from sna.change import monthly_wide  # noqa: F401 - public here as before
from sna.definitions import dashboard_ids

LONDON_BOROUGHS: tuple[str, ...] = (
    "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "City of London",
    "Croydon", "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham",
    "Haringey", "Harrow", "Havering", "Hillingdon", "Hounslow", "Islington",
    "Kensington and Chelsea", "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham",
    "Redbridge", "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets",
    "Waltham Forest", "Wandsworth", "Westminster",
)
"""The 32 London boroughs and the City of London, spelt as in MPS data. Other MPS "boroughs"
(``Aviation Security (SO18)``, ``London Heathrow and London City Airports``, ``Unknown``) are
never ranked. The MPS does not police the City of London, so it is normally absent."""

DASHBOARD_COLUMNS: tuple[str, ...] = (
    "indicator", "window", "period_start", "period_end", "count", "previous_count",
    "change_pct", "rate_per_1000", "rate_lower95", "rate_upper95", "change_significant",
    "london_rank", "london_areas", "bcu_rank", "bcu_areas", "change_p", "change_robust",
)
"""Columns of ``tables/performance_dashboard.csv`` in order (contract, ARCHITECTURE.md s.4;
``change_p`` and ``change_robust`` added by issue 20)."""

DASHBOARD_DEPENDENT: dict[str, list[str]] = {
    "count": ["rate_per_1000", "rate_lower95", "rate_upper95", "change_pct",
              "change_significant", "change_p", "change_robust"],
    "previous_count": ["change_pct", "change_significant", "change_p", "change_robust"],
}
"""Dashboard columns derived from each count, blanked with it by :func:`sna.disclosure.suppress`
(``suppress(db, ["count", "previous_count"], min_count, dependent=DASHBOARD_DEPENDENT)``)."""

EXACT_BELOW = 10
"""Fingertips uses exact Poisson limits for counts below this and Byar's method above."""


# --- rates and confidence intervals -------------------------------------------------------

def _z(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def byar_limits(count: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson confidence limits of a count.

    ``lower = O (1 - 1/(9O) - z/(3 sqrt(O)))^3``, ``upper = (O+1) (1 - 1/(9(O+1)) +
    z/(3 sqrt(O+1)))^3`` (Breslow & Day 1987; PHEindicatormethods ``byars_lower/upper``).
    The lower limit is 0 for ``O = 0`` and clipped at 0 where the approximation goes negative
    (very small counts at high confidence; Fingertips uses exact limits there).
    """
    o = np.asarray(count, dtype=float)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    lower = np.where(o == 0, 0.0, np.clip(lower, 0, None))
    return lower, upper


def exact_limits(count: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) Poisson confidence limits of a count, from the chi-square distribution.

    ``lower = chi2(alpha/2, 2O) / 2`` (0 when ``O = 0``), ``upper = chi2(1 - alpha/2, 2O + 2) / 2``.
    """
    o = np.asarray(count, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * np.where(o > 0, o, 1)) / 2, 0.0)
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    lower = np.where(np.isnan(o), np.nan, lower)
    return lower, upper


def count_limits(count: Any, method: str = "fingertips",
                 confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits of a Poisson count: ``'fingertips'`` (exact below 10, Byar from 10),
    ``'byar'`` or ``'exact'``."""
    if method == "byar":
        return byar_limits(count, confidence)
    if method == "exact":
        return exact_limits(count, confidence)
    if method != "fingertips":
        raise ValueError(f"method must be 'fingertips', 'byar' or 'exact', not {method!r}.")
    o = np.asarray(count, dtype=float)
    b_lo, b_hi = byar_limits(o, confidence)
    e_lo, e_hi = exact_limits(o, confidence)
    small = o < EXACT_BELOW
    return np.where(small, e_lo, b_lo), np.where(small, e_hi, b_hi)


def rate_ci(
    count: Any, population: Any, per: float = 1000, method: str = "fingertips",
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crude rate per ``per`` residents with its Poisson confidence interval.

    Parameters
    ----------
    count : array-like
        Observed events (offences) in the window; NaN gives NaN.
    population : array-like
        Residents (the denominator); 0, negative or NaN gives NaN.
    per : float
        Rate multiplier: 1,000 gives "per 1,000 residents".
    method : {'fingertips', 'byar', 'exact'}
        ``'fingertips'`` (default) as PHE/OHID Fingertips ``phe_rate``: exact Poisson limits for
        counts below 10, Byar's approximation for 10 and above.
    confidence : float
        Two-sided level, 0.95 by default.

    Returns
    -------
    rate, lower, upper : numpy.ndarray
        Same shape as the broadcast inputs. The interval always contains the rate.

    Examples
    --------
    >>> r, lo, hi = rate_ci(65, 100_000, per=100_000)
    >>> round(float(r), 1), round(float(lo), 2), round(float(hi), 2)
    (65.0, 50.16, 82.85)
    """
    o = np.asarray(count, dtype=float)
    n = np.asarray(population, dtype=float)
    n = np.where(n > 0, n, np.nan)
    lo, hi = count_limits(o, method, confidence)
    return o / n * per, lo / n * per, hi / n * per


# --- windows and change --------------------------------------------------------------------

def window_total(
    monthly: pd.DataFrame, period: str, window: str | int, *, previous: bool = False,
    by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Total count per group over a window ending at ``period``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        Long frame ``[*by, month, count]``.
    period : str
        Last month of the window (``YYYY-MM``).
    window : {'3m', '12m'} or int
        Window length.
    previous : bool
        If True, the same months one year earlier (the comparison window).
    by : sequence of str, optional
        Grouping columns; default every column except ``month`` and ``count``.

    Returns
    -------
    pandas.DataFrame
        ``[*by, period_start, period_end, count]``; ``count`` is NaN when any month of the
        window is absent from the data for that indicator (never a partial total).
    """
    months = periods.window_months(period, window)
    if previous:
        months = periods.previous_year(months)
    wide = monthly_wide(monthly, by, months)
    out = wide.sum(axis=1, skipna=False).rename("count").reset_index()
    out.insert(len(out.columns) - 1, "period_start", months[0])
    out.insert(len(out.columns) - 1, "period_end", months[-1])
    return out


def change_pct(count: Any, previous: Any) -> np.ndarray:
    """Percentage change from ``previous`` to ``count``, rounded to 1 decimal.

    Zero baseline: NaN whenever ``previous`` is 0 (a percentage of nothing is undefined,
    even when ``count`` is also 0); say "up from none" / "none in either period" in words
    (:func:`sna.narrative.change_sentence`). NaN inputs give NaN.
    """
    c = np.asarray(count, dtype=float)
    p = np.asarray(previous, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(p > 0, (c - p) / np.where(p > 0, p, 1) * 100, np.nan)
    return np.round(pct, 1)


def change_test(count: Any, previous: Any, method: str = "score", dispersion: Any = 1.0,
                df: Any = np.inf) -> np.ndarray:
    """Two-sided p-value that two counts over equal exposures have equal rates.

    With ``dispersion = 1`` (default) the two-Poisson test of
    :func:`statsmodels.stats.rates.test_poisson_2indep` (``compare='ratio'``, equal exposure,
    ``method='score'``, recommended by Gu et al. 2008; the statistic is
    ``(count - previous) / sqrt(count + previous)``). Monthly crime counts are overdispersed,
    so Poisson p-values are too small: pass the series' dispersion and its degrees of freedom
    (:func:`sna.change.dispersion`) for the quasi-Poisson score test (statistic divided by
    ``sqrt(dispersion)``, referred to t(``df``)). NaN when both counts are 0 or either is
    missing.
    """
    c = np.atleast_1d(np.asarray(count, dtype=float))
    p = np.atleast_1d(np.asarray(previous, dtype=float))
    shape = np.broadcast(np.asarray(count), np.asarray(previous)).shape
    if not (np.all(np.asarray(dispersion) == 1) and np.all(np.isinf(np.asarray(df)))):
        return np.asarray(sna_change.score_pvalue(c, p, 1, dispersion, df)).reshape(shape)
    c, p = np.broadcast_arrays(c, p)
    out = np.full(c.shape, np.nan)
    ok = ~np.isnan(c) & ~np.isnan(p) & (c + p > 0)
    if ok.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            res = test_poisson_2indep(c[ok], 1.0, p[ok], 1.0, method=method)
        out[ok] = np.asarray(res.pvalue, dtype=float)
    return out.reshape(shape)


def change_significant(count: Any, previous: Any, alpha: float = 0.05,
                       method: str = "score", dispersion: Any = 1.0,
                       df: Any = np.inf) -> pd.array:
    """Whether the change is significant at ``alpha`` (:func:`change_test`; pandas nullable
    boolean; NA when the test is undefined: both counts 0 or one missing)."""
    pv = np.atleast_1d(change_test(count, previous, method, dispersion, df))
    return pd.array([pd.NA if np.isnan(v) else bool(v < alpha) for v in pv], dtype="boolean")


# --- ranks ---------------------------------------------------------------------------------

def rank_areas(rates: pd.Series, ascending: bool = True) -> pd.Series:
    """Rank areas by rate: 1 = lowest rate (``ascending=True``), ties share the lowest rank
    (``'min'``: 1, 2, 2, 4), missing rates are not ranked (NA). Returns nullable ``Int64``."""
    ranks = pd.Series(rates, dtype=float).rank(method="min", ascending=ascending)
    return ranks.astype("Int64")


def rank_within(frame: pd.DataFrame, members: Iterable[str], *, area_col: str = "borough",
                rate_col: str = "rate", group_cols: Sequence[str] = ("indicator",),
                ) -> tuple[pd.Series, pd.Series]:
    """Rank of each row's rate among the rows whose ``area_col`` is in ``members``, within
    each group of ``group_cols``; and the number of areas ranked in the group.

    Rows outside ``members`` or without a rate get NA rank. Returns (rank, n_areas), both
    ``Int64`` aligned on ``frame.index``; n_areas is NA when no area of the group is ranked.
    """
    groups = list(group_cols)
    inside = frame[area_col].isin(list(members)) & frame[rate_col].notna()
    ranked = frame[inside]
    rank = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if not ranked.empty:
        r = ranked.groupby(groups)[rate_col].rank(method="min")
        rank.loc[r.index] = r.astype("Int64")
    sizes = ranked.groupby(groups).size()
    keys = pd.MultiIndex.from_frame(frame[groups]) if len(groups) > 1 else frame[groups[0]]
    n = pd.Series(sizes.reindex(keys).to_numpy(), index=frame.index).astype("Int64")
    return rank, n


# --- performance dashboard -----------------------------------------------------------------

def _dashboard_window(data: pd.DataFrame, populations: Mapping[str, float], area: str,
                      period: str, window: str, bcu: Sequence[str], method: str) -> pd.DataFrame:
    keys = ["borough", "indicator"]
    cur = window_total(data, period, window, by=keys)
    prev = window_total(data, period, window, previous=True, by=keys)
    df = cur.merge(prev[[*keys, "count"]].rename(columns={"count": "previous_count"}),
                   on=keys, how="left")
    pop = df["borough"].map(dict(populations)).astype(float)
    df["rate"], df["rate_lower95"], df["rate_upper95"] = rate_ci(df["count"], pop, 1000, method)
    df["london_rank"], df["london_areas"] = rank_within(df, LONDON_BOROUGHS)
    members = set(bcu) | {area} if bcu else set()
    df["bcu_rank"], df["bcu_areas"] = rank_within(df, members)
    df["window"] = window
    return df[df["borough"] == area].rename(columns={"rate": "rate_per_1000"})


def performance_dashboard(
    monthly: pd.DataFrame,
    populations: Mapping[str, float],
    area: str,
    period: str,
    bcu: Sequence[str] = (),
    windows: Sequence[str] = ("3m", "12m"),
    *,
    indicators: Sequence[str] | None = None,
    method: str = "fingertips",
    alpha: float = 0.05,
    decimals: int | None = 4,
    checks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The performance dashboard: one row per indicator x window for ``area``.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``[borough, indicator, month, count]`` for all London boroughs (from
        :func:`sna.definitions.borough_monthly` of borough- or ward-level MPS data, plus the
        knife dashboard when supplied). Boroughs outside :data:`LONDON_BOROUGHS` (airports,
        ``Unknown``) are kept in the data but never ranked.
    populations : mapping
        Borough name -> resident population (Census 2021, all ages). A borough without a
        population gets no rate and is not ranked.
    area : str
        The borough assessed, as in MPS data.
    period : str
        Last month of every window (``YYYY-MM``).
    bcu : sequence of str
        Boroughs of the area's Basic Command Unit (the area is added if missing); empty gives
        NA ``bcu_rank`` / ``bcu_areas``.
    windows : sequence of {'3m', '12m'}
        Windows, each ending at ``period``; ``previous_count`` is the same window a year earlier.
    indicators : sequence of str, optional
        Default: the dashboard indicators of ``indicators.yaml`` present in ``monthly``.
    method : str
        Confidence interval method of :func:`rate_ci` (Fingertips by default).
    alpha : float
        Significance level of ``change_significant`` (:mod:`sna.change`: quasi-Poisson score
        test with the dispersion of the area's monthly history; Poisson when the history is
        shorter than 24 months).
    decimals : int or None
        Rounding of the rate columns (``change_pct`` is always rounded to 1 decimal).
    checks : pandas.DataFrame, optional
        The area's :func:`sna.change.checks_for_area` if already computed.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`DASHBOARD_COLUMNS`. ``rate_per_1000`` is per 1,000 residents over the
        window (3-month rates are not annualised), with a 95% CI. ``count`` is NA when a month
        of the window is missing from the data; ``change_pct`` is NaN when ``previous_count``
        is 0 or missing; ``change_significant`` is NA when both counts are 0 or one is missing;
        ``change_p`` its p-value; ``change_robust`` True when the change is significant and
        holds in every check of :func:`sna.change.robustness`.
        ``london_rank`` 1 = lowest rate among the London boroughs in the data, ``london_areas``
        = how many were ranked; ``bcu_rank`` likewise within the BCU. Counts are not
        suppressed here: pass the table through :func:`sna.disclosure.suppress`.
    """
    present = set(monthly["indicator"])
    ids = list(indicators) if indicators is not None else [
        i for i in dashboard_ids() if i in present]
    data = monthly.loc[monthly["indicator"].isin(ids), ["borough", "indicator", "month", "count"]]
    skeleton = pd.DataFrame([(i, w) for w in windows for i in ids], columns=["indicator", "window"])
    if data.empty:
        found = pd.DataFrame(columns=["indicator", "window"])
    else:
        found = pd.concat([_dashboard_window(data, populations, area, period, w, bcu, method)
                           for w in windows], ignore_index=True)
    out = skeleton.merge(found.drop(columns=["period_start", "period_end"], errors="ignore"),
                         on=["indicator", "window"], how="left")
    if checks is None:
        checks = sna_change.checks_for_area(monthly, area, period, ids, windows, alpha)
    out = out.merge(sna_change.robust_flags(checks), on=["indicator", "window"], how="left")
    return _finish_dashboard(out, period, alpha, decimals)


def _finish_dashboard(out: pd.DataFrame, period: str, alpha: float,
                      decimals: int | None) -> pd.DataFrame:
    for col in ("count", "previous_count", "rate_per_1000", "rate_lower95", "rate_upper95"):
        out[col] = out.get(col, pd.Series(np.nan, index=out.index)).astype(float)
    months = {w: periods.window_months(period, w) for w in out["window"].unique()}
    out["period_start"] = out["window"].map(lambda w: months[w][0])
    out["period_end"] = out["window"].map(lambda w: months[w][-1])
    out["change_pct"] = change_pct(out["count"], out["previous_count"])
    for col in ("change_significant", "change_robust"):
        out[col] = out.get(col, pd.Series(pd.NA, index=out.index)).astype("boolean")
    out["change_p"] = out.get("change_p", pd.Series(np.nan, index=out.index)).astype(float)
    undefined = out["count"].isna() | out["previous_count"].isna()
    out.loc[undefined, ["change_significant", "change_robust"]] = pd.NA
    out.loc[undefined, "change_p"] = np.nan
    if decimals is not None:
        for col in ("rate_per_1000", "rate_lower95", "rate_upper95"):
            out[col] = out[col].round(decimals)
    for col in ("count", "previous_count", "london_rank", "london_areas", "bcu_rank",
                "bcu_areas"):
        out[col] = out.get(col, pd.Series(pd.NA, index=out.index)).astype("Float64").round()
        out[col] = out[col].astype("Int64")
    return out[list(DASHBOARD_COLUMNS)].reset_index(drop=True)
