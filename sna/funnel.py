"""Funnel-plot control limits: exact Poisson limits around a target (London) rate.

The method is the PHE / Fingertips one for rates (PHEindicatormethods
``calculate_funnel_limits``, Poisson; Spiegelhalter 2005, *Stat Med* 24:1185): an area lies
outside a funnel exactly when its exact Poisson confidence interval
(:func:`sna.metrics.rate_ci` with ``method='exact'``) excludes the target rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special


def _solve_shape(theta: np.ndarray, q: float, low: float) -> np.ndarray:
    """Shape ``a`` >= ``low`` with ``P(a, theta) = q`` (regularised lower incomplete gamma,
    decreasing in ``a``), by vectorised bisection."""
    lo = np.full(theta.shape, low)
    hi = theta + 12 * np.sqrt(theta) + 40
    for _ in range(90):  # the bracket shrinks 2**90-fold: far below float precision
        mid = (lo + hi) / 2
        too_small = special.gammainc(mid, theta) > q
        lo, hi = np.where(too_small, mid, lo), np.where(too_small, hi, mid)
    return (lo + hi) / 2


def funnel_count_limits(expected: Any, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits, as (continuous) counts, around an expected count.

    The upper limit is the count ``O`` whose exact lower confidence limit equals the expected
    count (``chi2(alpha/2, 2O) / 2 = E``); the lower limit the count whose exact upper limit
    equals it (``chi2(1 - alpha/2, 2O + 2) / 2 = E``), 0 when even no event is within it.
    An area is outside the funnel exactly when its exact Poisson CI excludes the target
    rate; the limits always contain ``E``.
    """
    theta = np.asarray(expected, dtype=float)
    tail = (1 - confidence) / 2
    upper = np.where(theta > 0, _solve_shape(theta, tail, 1e-12), 0.0)
    lower_shape = _solve_shape(theta, 1 - tail, 1.0)
    lower = np.where(special.gammainc(1.0, theta) > 1 - tail, lower_shape - 1, 0.0)
    nan = np.isnan(theta)
    return np.where(nan, np.nan, lower), np.where(nan, np.nan, upper)


def _level_tag(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def funnel_population_grid(low: float, high: float, n: int = 100) -> np.ndarray:
    """``n`` populations spaced evenly on a log scale from ``low`` to ``high`` (for plotting)."""
    return np.geomspace(max(low, 1), high, n)


def funnel_limits(population_range: Any, london_rate: float, per: float = 1000,
                  levels: Sequence[float] = (0.95, 0.998)) -> pd.DataFrame:
    """Exact Poisson funnel-plot control limits around a London (target) rate.

    For each population ``n`` the expected count is ``E = london_rate / per * n``; the
    limits are the counts whose exact Poisson confidence interval just reaches ``E``
    (:func:`funnel_count_limits`), divided by ``n``. This is the PHE / Fingertips funnel
    method for rates (PHEindicatormethods ``calculate_funnel_limits``, Poisson; Spiegelhalter
    2005, *Stat Med* 24:1185): 95% ~ 2 SD and 99.8% ~ 3 SD limits, and an area lies outside
    a funnel exactly when its exact CI (:func:`sna.metrics.rate_ci` with ``method='exact'``)
    excludes the London rate.

    Returns
    -------
    pandas.DataFrame
        ``population, expected, baseline`` and ``lower95, upper95, lower99_8, upper99_8``
        (one pair per level), as rates per ``per`` residents.
    """
    n = np.asarray(population_range, dtype=float)
    theta = london_rate / per * n
    out = pd.DataFrame({"population": n, "expected": theta, "baseline": float(london_rate)})
    for level in levels:
        lower, upper = funnel_count_limits(theta, level)
        tag = _level_tag(level)
        out[f"lower{tag}"] = lower / n * per
        out[f"upper{tag}"] = upper / n * per
    return out
