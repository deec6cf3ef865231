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


# --- overdispersion (Spiegelhalter 2005) ---------------------------------------------------

WINSOR = 0.10
"""Share of z-scores winsorised in each tail before estimating overdispersion."""


def funnel_z(count: Any, expected: Any) -> np.ndarray:
    """z-scores of counts against expected counts on the square-root scale:
    ``y = sqrt(O/E)``, target 1, ``s = 1 / (2 sqrt(E))``, so ``z = 2 (sqrt(O) - sqrt(E))``
    (Spiegelhalter 2005, s. 3.3: the variance-stabilising transform for Poisson counts)."""
    o, e = np.asarray(count, dtype=float), np.asarray(expected, dtype=float)
    return 2 * (np.sqrt(o) - np.sqrt(e))


def winsorise(z: Any, share: float = WINSOR) -> np.ndarray:
    """``z`` clipped at its ``share`` and ``1 - share`` quantiles (numpy's default linear
    interpolation, R type 7)."""
    z = np.asarray(z, dtype=float)
    lo, hi = np.quantile(z, [share, 1 - share])
    return np.clip(z, lo, hi)


def dispersion_from_z(z: Any, weights: Any, share: float = WINSOR) -> tuple[float, float]:
    """Multiplicative and additive overdispersion from areas' z-scores and weights.

    Spiegelhalter (2005), *Stat Med* 24:1185, s. 5: with the ``I`` z-scores winsorised at the
    ``share`` and ``1 - share`` quantiles (:func:`winsorise`), ``phi = sum(z_w^2) / I``; the
    additive random-effects variance is the DerSimonian-Laird type estimate
    ``tau2 = (I phi - (I - 1)) / (sum w - sum w^2 / sum w)``, 0 when ``I phi <= I - 1``, with
    ``w = 1 / s^2`` the areas' weights on the scale the z-scores were taken on (``tau2`` is in
    that scale's units squared).

    Returns
    -------
    (float, float)
        ``phi`` (no floor) and ``tau2``.
    """
    z = winsorise(z, share)
    w = np.asarray(weights, dtype=float)
    n = len(z)
    phi = float(np.sum(z ** 2) / n)
    tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    return phi, float(tau2)


def overdispersion(count: Any, expected: Any, share: float = WINSOR) -> dict[str, float]:
    """Multiplicative and additive overdispersion of counts around their expected values,
    on the square-root scale (:func:`funnel_z`, weights ``w = 1/s^2 = 4E``; chapter 02).

    :func:`dispersion_from_z` does the estimate. Winsorising makes it robust to a few
    outlying areas, at a price: when the areas' true rates vary normally, ``z_w^2`` is about
    two-thirds of ``z^2``, so about 10% of such areas fall outside the 95% random-effects
    limits instead of 5% (``share=0`` gives the plain estimate; see ``tests/test_metrics.py``).

    Returns
    -------
    dict
        ``areas, phi, tau2`` (``phi`` and ``tau2`` as estimated; no floor on ``phi``).
    """
    o, e = np.asarray(count, dtype=float), np.asarray(expected, dtype=float)
    ok = np.isfinite(o) & np.isfinite(e) & (e > 0)
    phi, tau2 = dispersion_from_z(funnel_z(o[ok], e[ok]), 4 * e[ok], share)
    return {"areas": int(ok.sum()), "phi": phi, "tau2": tau2}


def rate_overdispersion(counts: Any, populations: Any, target_rate: float,
                        share: float = WINSOR) -> tuple[float, float]:
    """Overdispersion of area rates around a target on the rate scale (chapter 09):
    ``(phi, tau2)``.

    ``z_i = (y_i - t) / s_i`` with ``y_i`` the rate per person and ``s_i = sqrt(t / n_i)``,
    weights ``w_i = 1 / s_i^2``; :func:`dispersion_from_z` does the estimate, so ``tau2`` is
    in rate**2 per person**2 (for :func:`rate_random_effects_limits`).
    """
    y = np.asarray(counts, dtype=float) / np.asarray(populations, dtype=float)
    n = np.asarray(populations, dtype=float)
    ok = np.isfinite(y) & (n > 0)
    y, n = y[ok], n[ok]
    s = np.sqrt(target_rate / n)
    return dispersion_from_z((y - target_rate) / s, 1 / s ** 2, share)


def rate_random_effects_limits(population: Any, target_rate: float, tau2: float,
                               z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits (rate per person) allowing for overdispersion on the rate scale:
    ``t +- z sqrt(t / n + tau2)`` (additive random effects, Spiegelhalter 2005, with ``tau2``
    from :func:`rate_overdispersion`); lower limits floored at 0."""
    n = np.asarray(population, dtype=float)
    half = z * np.sqrt(target_rate / n + tau2)
    return np.maximum(target_rate - half, 0.0), target_rate + half


def overdispersed_limits(population_range: Any, london_rate: float, tau2: float = 0.0,
                         phi: float = 1.0, per: float = 1000,
                         levels: Sequence[float] = (0.95, 0.998)) -> pd.DataFrame:
    """Funnel limits allowing for overdispersion, as rates per ``per``.

    On the square-root scale the limits are ``1 +/- z_p sqrt(phi s^2 + tau2)`` with
    ``s = 1 / (2 sqrt(E))``; squared back and multiplied by the London rate. ``tau2`` gives
    the additive random-effects limits, ``phi`` (with ``tau2 = 0``) the multiplicative ones;
    ``tau2 = 0, phi = 1`` gives the normal approximation to the Poisson limits.
    Same columns as :func:`funnel_limits`.
    """
    from scipy import stats

    n = np.asarray(population_range, dtype=float)
    theta = london_rate / per * n
    s2 = 1 / (4 * theta)
    out = pd.DataFrame({"population": n, "expected": theta, "baseline": float(london_rate)})
    for level in levels:
        half = stats.norm.ppf(1 - (1 - level) / 2) * np.sqrt(phi * s2 + tau2)
        tag = _level_tag(level)
        out[f"lower{tag}"] = np.clip(1 - half, 0, None) ** 2 * london_rate
        out[f"upper{tag}"] = (1 + half) ** 2 * london_rate
    return out


def count_outside(rate: Any, population: Any, limits: pd.DataFrame, level: float = 0.95
                  ) -> int:
    """How many areas lie outside a funnel's ``level`` limits (limits interpolated on a
    log-population grid from :func:`funnel_population_grid`)."""
    tag = _level_tag(level)
    lim = limits.sort_values("population")
    x = np.log(np.asarray(population, dtype=float))
    lo = np.interp(x, np.log(lim["population"]), lim[f"lower{tag}"])
    hi = np.interp(x, np.log(lim["population"]), lim[f"upper{tag}"])
    r = np.asarray(rate, dtype=float)
    return int(((r < lo) | (r > hi)).sum())
