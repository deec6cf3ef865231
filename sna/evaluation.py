"""Did it work? Effects of an intervention on monthly counts: interrupted time series,
difference-in-differences and power. Synthetic control is in :mod:`sna.synth`.

Every method returns a dict with ``effect_pct`` (the % change in the outcome over the post
period against what was expected without the intervention; negative = fewer offences),
``lower95``, ``upper95``, ``p_value`` (two-sided), ``se_log`` (standard error of the log rate
ratio) and ``min_detectable_effect_pct``: the smallest *fall* (in %) the design detects with 80%
power in a 5% two-sided test, given the noise of the data (Bernal, Cummins & Gasparrini 2017,
*Int J Epidemiol* 46:348; Bloom 1995, *Evaluation Review* 19:547 for the minimum detectable
effect ``(z_0.975 + z_0.8) x SE``).

Counts are overdispersed: both models are quasi-likelihood GLMs (Pearson scale) from
statsmodels, so intervals widen with the observed extra-Poisson variation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

NORMAL = NormalDist()
Z95, Z80 = NORMAL.inv_cdf(0.975), NORMAL.inv_cdf(0.80)
# England's lockdown months (stay-at-home orders in force for most of the month): a known
# interruption of every crime series, given its own term in the interrupted time series.
LOCKDOWN_MONTHS = ("2020-04", "2020-05", "2020-06", "2020-11", "2021-01", "2021-02", "2021-03")


def ratio_summary(log_ratio: float, se: float) -> dict:
    """Effect %, 95% interval, two-sided p and minimum detectable fall from a log rate ratio.

    Parameters
    ----------
    log_ratio : float
        log(observed / expected) over the post period.
    se : float
        Its standard error.

    Returns
    -------
    dict
        ``effect_pct, lower95, upper95, p_value, se_log, min_detectable_effect_pct`` (the
        last: the fall in % detected with 80% power at 5% two-sided, ``100 (1 - exp(-2.80 se))``).
    """
    ok = np.isfinite(log_ratio) and np.isfinite(se) and se > 0
    if not ok:
        return {"effect_pct": math.nan, "lower95": math.nan, "upper95": math.nan,
                "p_value": math.nan, "se_log": math.nan, "min_detectable_effect_pct": math.nan}
    return {"effect_pct": 100 * math.expm1(log_ratio),
            "lower95": 100 * math.expm1(log_ratio - Z95 * se),
            "upper95": 100 * math.expm1(log_ratio + Z95 * se),
            "p_value": 2 * (1 - NORMAL.cdf(abs(log_ratio) / se)), "se_log": float(se),
            "min_detectable_effect_pct": mde_from_se(se)}


def mde_from_se(se: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest fall (%) detectable with ``power`` in a two-sided ``alpha`` test when the log
    rate ratio is estimated with standard error ``se``."""
    z = NORMAL.inv_cdf(1 - alpha / 2) + NORMAL.inv_cdf(power)
    return 100 * -math.expm1(-z * se) if np.isfinite(se) else math.nan


def poisson_mde_pct(baseline: float, power: float = 0.8, alpha: float = 0.05) -> float:
    """Smallest fall (%) in a window's count, against the same window a year earlier with
    ``baseline`` offences, that a Poisson comparison of the two counts detects with ``power``
    (two-sided ``alpha``).

    The log ratio of two Poisson counts has variance ``1/baseline + 1/(baseline R)``; the fall
    ``1 - R`` solves ``-log R = (z_(1-alpha/2) + z_power) sqrt(1/b + 1/(b R))`` (by fixed-point
    iteration). NaN when the baseline is missing or zero; 100 means no fall short of zero is
    detectable (very small baselines).

    Examples
    --------
    >>> round(poisson_mde_pct(1000), 1)
    12.2
    """
    if not np.isfinite(baseline) or baseline <= 0:
        return math.nan
    z = NORMAL.inv_cdf(1 - alpha / 2) + NORMAL.inv_cdf(power)
    ratio = 1.0
    for _ in range(200):  # fixed point of R = exp(-z sqrt(1/b + 1/(b R))), a contraction
        new = math.exp(-z * math.sqrt(1 / baseline + 1 / (baseline * ratio)))
        if abs(new - ratio) < 1e-12 or new < 1e-6:
            ratio = new
            break
        ratio = new
    return 100 * (1 - ratio) if ratio >= 1e-6 else 100.0


# --- interrupted time series -------------------------------------------------------------

def its_design(months: Sequence[str], start: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segmented-regression design: trend, month of year, lockdown months, level and slope
    change at ``start``. Returns the design and its counterfactual (change terms set to 0)."""
    months = list(months)
    t = np.arange(len(months), dtype=float)
    n_pre = sum(m < start for m in months)
    x = pd.DataFrame({"const": 1.0, "trend": (t - n_pre) / 12}, index=months)
    moy = pd.get_dummies(pd.Series([m[5:] for m in months], index=months), prefix="m",
                         dtype=float)
    x = x.join(moy.iloc[:, 1:])
    lock = np.array([m in LOCKDOWN_MONTHS for m in months], float)
    if lock.any():  # before or after the start: kept in the counterfactual too
        x["lockdown"] = lock
    post = (t >= n_pre).astype(float)
    x["level_change"] = post
    x["slope_change"] = post * (t - n_pre) / 12
    return x, x.assign(level_change=0.0, slope_change=0.0)


def its_effect(counts: Sequence[float], months: Sequence[str], start: str) -> dict:
    """Interrupted time series on monthly counts (quasi-Poisson segmented regression).

    Parameters
    ----------
    counts : sequence of float
        Monthly counts, one per month of ``months`` (consecutive ``YYYY-MM``).
    months : sequence of str
        Pre-period months then post-period months.
    start : str
        First month of the intervention (``YYYY-MM``).

    Returns
    -------
    dict
        :func:`ratio_summary` of the post-period total against the projected counterfactual
        (delta method on the coefficient covariance, inflated for the lag-1 autocorrelation
        of the pre-period residuals, :func:`ar1_inflation`), plus ``autocorrelation``, ``level_change_pct`` (step at
        ``start``), ``slope_change_pct_per_year``, ``dispersion`` (Pearson scale), and the
        frame ``series`` (``month, observed, fitted, expected``: ``expected`` = the
        counterfactual, pre-period trend and season carried forward).
    """
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    y = np.asarray(counts, float)
    x, x0 = its_design(months, start)
    fit = GLM(y, x, family=Poisson()).fit(scale="X2")
    b, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    post = x["level_change"].to_numpy() > 0
    mu1, mu0 = np.exp(x.to_numpy() @ b), np.exp(x0.to_numpy() @ b)
    s1, s0 = mu1[post].sum(), mu0[post].sum()
    grad = x.to_numpy()[post].T @ mu1[post] / s1 - x0.to_numpy()[post].T @ mu0[post] / s0
    rho, inflate = ar1_inflation(np.asarray(fit.resid_pearson)[~post])
    se = float(math.sqrt(max(grad @ cov @ grad, 0.0))) * inflate
    out = ratio_summary(math.log(s1 / s0), se)
    names = list(x.columns)
    out.update(level_change_pct=100 * math.expm1(b[names.index("level_change")]),
               slope_change_pct_per_year=100 * math.expm1(b[names.index("slope_change")]),
               dispersion=float(fit.scale), autocorrelation=rho,
               series=pd.DataFrame({"month": list(months), "observed": y, "fitted": mu1,
                                    "expected": mu0}))
    return out


# --- difference-in-differences -------------------------------------------------------------

def _log_slopes(pre: np.ndarray) -> np.ndarray:
    """Per unit (rows), the least-squares slope of log(count + 0.5) on years."""
    t = np.arange(pre.shape[1], dtype=float) / 12
    t -= t.mean()
    return np.log(pre + 0.5) @ t / (t @ t)


def match_comparisons(pre: pd.DataFrame, treated: str, k: int,
                      deprivation: pd.Series | None = None) -> list[str]:
    """The ``k`` units most like ``treated`` on pre-period trend (and deprivation if given).

    Parameters
    ----------
    pre : pandas.DataFrame
        Units (index) x pre-period months, counts.
    treated : str
        Index label of the treated unit.
    k : int
        Number of comparison units.
    deprivation : pandas.Series, optional
        A deprivation score per unit (e.g. mean IMD rank); units without one are left out.

    Returns
    -------
    list of str
        Comparison units, nearest first (Euclidean distance on z-scores of the log trend and,
        when given, deprivation).
    """
    feats = pd.DataFrame({"trend": _log_slopes(pre.to_numpy(float))}, index=pre.index)
    if deprivation is not None:
        feats["deprivation"] = deprivation.reindex(pre.index)
        feats = feats.dropna()
    z = (feats - feats.mean()) / feats.std(ddof=0).replace(0, 1)
    dist = ((z - z.loc[treated]) ** 2).sum(axis=1).drop(treated)
    return list(dist.sort_values(kind="stable").index[:k])


def _share_fit(treated: np.ndarray, comparison: np.ndarray, x: np.ndarray):
    """Quasi-binomial GLM (Pearson scale) of the treated share of each month's total."""
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    model = GLM(np.column_stack([treated, comparison]), x, family=Binomial())
    first = model.fit()  # scale="X2" mis-scales two-column binomial endog: Pearson by hand
    return model.fit(scale=float(first.pearson_chi2 / max(first.df_resid, 1)))


def ar1_inflation(residuals: np.ndarray) -> tuple[float, float]:
    """Lag-1 autocorrelation ``rho`` of residuals (0 when negative) and the standard error
    inflation ``sqrt((1 + rho) / (1 - rho))`` for a mean of AR(1) errors (effective sample
    size ``n (1 - rho) / (1 + rho)``)."""
    r = np.asarray(residuals, float) - np.mean(residuals)
    rho = float(np.clip((r[1:] @ r[:-1]) / (r @ r), 0.0, 0.9)) if r @ r > 0 else 0.0
    return rho, math.sqrt((1 + rho) / (1 - rho))


def did_effect(treated: Sequence[float], comparison: Sequence[float], months: Sequence[str],
               start: str) -> dict:
    """Difference-in-differences of a treated and a comparison series of monthly counts.

    With Poisson counts ``log mu_it = a_i + g_t + d D_it`` (unit and month effects), the
    treated count given the month's total is binomial with ``logit p_t = a + d post_t``: the
    month effects (season, London-wide shocks such as lockdowns) drop out and ``exp(d)`` is
    the rate ratio of the treated area against its comparison, after against before. Fitted
    as a quasi-binomial GLM (Pearson scale for overdispersion).

    Returns
    -------
    dict
        :func:`ratio_summary` of ``d``, plus ``pretrend_pct_per_year`` and
        ``parallel_trends_p`` (pre-period trend difference: slope of the treated share on time,
        its p-value; a small p-value means the areas were already diverging), ``event_study``
        (``year`` relative to start, ``effect_pct, lower95, upper95``; year -1 = reference) and
        ``series`` (``month, observed, expected``: the treated count expected from the
        comparison series and the pre-period ratio).
    """
    yt, yc = np.asarray(treated, float), np.asarray(comparison, float)
    months = list(months)
    post = np.array([m >= start for m in months], float)
    fit = _share_fit(yt, yc, np.column_stack([np.ones_like(post), post]))
    rho, inflate = ar1_inflation(fit.resid_pearson)
    out = ratio_summary(float(fit.params[1]), float(fit.bse[1]) * inflate)
    out["autocorrelation"] = rho
    pre = post == 0
    t = np.arange(pre.sum(), dtype=float) / 12
    trend = _share_fit(yt[pre], yc[pre], np.column_stack([np.ones_like(t), t - t.mean()]))
    out["pretrend_pct_per_year"] = 100 * math.expm1(float(trend.params[1]))
    z = float(trend.params[1] / (trend.bse[1] * ar1_inflation(trend.resid_pearson)[1]))
    out["parallel_trends_p"] = 2 * (1 - NORMAL.cdf(abs(z)))
    out["event_study"] = _event_study(yt, yc, months, start)
    ratio = math.exp(float(fit.params[0]))
    out["series"] = pd.DataFrame({"month": months, "observed": yt, "expected": yc * ratio,
                                  "comparison": yc})
    return out


def _event_study(yt: np.ndarray, yc: np.ndarray, months: list[str], start: str) -> pd.DataFrame:
    """Treated/comparison ratio by 12-month block relative to ``start`` against the block just
    before it (-1): flat pre-period blocks support parallel trends."""
    n_pre = sum(m < start for m in months)
    rel = np.floor((np.arange(len(months)) - n_pre) / 12).astype(int)
    years = [y for y in sorted(set(rel)) if y != -1]
    x = np.column_stack([np.ones(len(months))] + [(rel == y).astype(float) for y in years])
    fit = _share_fit(yt, yc, x)
    b, se = np.asarray(fit.params)[1:], np.asarray(fit.bse)[1:] * ar1_inflation(
        fit.resid_pearson)[1]
    rows = pd.DataFrame({"year": years, "effect_pct": 100 * np.expm1(b),
                         "lower95": 100 * np.expm1(b - Z95 * se),
                         "upper95": 100 * np.expm1(b + Z95 * se)})
    ref = pd.DataFrame({"year": [-1], "effect_pct": [0.0], "lower95": [0.0], "upper95": [0.0]})
    return pd.concat([rows, ref]).sort_values("year", ignore_index=True)
