"""Synthetic control with in-space placebo inference (Abadie, Diamond & Hainmueller 2010,
*JASA* 105:493).

The synthetic area is a weighted average of donor areas (weights >= 0, summing to 1) that
tracks the treated area's monthly series before the intervention; after it, the synthetic
series is the counterfactual. Each series is indexed to its own pre-period mean, so large and
small donors are compared on shape, not size, and the synthetic index is scaled back to the
treated area's counts.

With the pre-period outcomes as the only predictors (V = identity), the Abadie weights solve a
least-squares problem on the simplex; it is solved exactly enough by non-negative least
squares with a heavily weighted sum-to-one row (:func:`scipy.optimize.nnls`). A package such as
pysyncon (a pure wheel) fits the same weights with a nested optimisation over predictor
weights that takes seconds per fit; the in-space placebo test refits once per donor (31 London
boroughs, up to :data:`MAX_DONORS` wards), which this keeps to milliseconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from sna.evaluation import mde_from_se, ratio_summary

MAX_DONORS = 60


def simplex_weights(donors: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``||donors @ w - target||``.

    Parameters
    ----------
    donors : numpy.ndarray
        ``(T, J)`` donor series (columns).
    target : numpy.ndarray
        ``(T,)`` series to reproduce.
    """
    scale = max(float(np.abs(donors).max()), 1.0) * 1e3
    a = np.vstack([donors, np.full((1, donors.shape[1]), scale)])
    w, _ = optimize.nnls(a, np.append(target, scale), maxiter=50 * donors.shape[1])
    total = w.sum()
    return w / total if total > 0 else np.full(donors.shape[1], 1 / donors.shape[1])


def _fit_one(index: np.ndarray, unit: int, donors: np.ndarray, n_pre: int) -> np.ndarray:
    """The synthetic index series of row ``unit`` from rows ``donors``."""
    w = simplex_weights(index[donors, :n_pre].T, index[unit, :n_pre])
    return w @ index[donors]


def _stats(observed: np.ndarray, synthetic: np.ndarray, n_pre: int) -> tuple[float, float, float]:
    """Pre RMSPE, post/pre RMSPE ratio and log(observed / synthetic) over the post period."""
    gap = observed - synthetic
    pre = math.sqrt(float(np.mean(gap[:n_pre] ** 2)))
    post = math.sqrt(float(np.mean(gap[n_pre:] ** 2)))
    syn = float(synthetic[n_pre:].sum())
    log_ratio = math.log(float(observed[n_pre:].sum()) / syn) if syn > 0 else math.nan
    return pre, post / pre if pre > 0 else math.inf, log_ratio


def synthetic_control(panel: pd.DataFrame, treated: str, start: str,
                      max_donors: int = MAX_DONORS) -> dict:
    """Synthetic control effect of an intervention in ``treated`` from ``start``.

    Parameters
    ----------
    panel : pandas.DataFrame
        Areas (index; the treated one and its donors) x consecutive months (``YYYY-MM``
        columns), counts. Donors with a pre-period mean of 0 are left out.
    treated : str
        Index label of the treated area.
    start : str
        First month of the intervention.
    max_donors : int
        Keep at most this many donors, those closest to the treated area in pre-period mean
        count (similar size means similar noise).

    Returns
    -------
    dict
        ``effect_pct`` (post-period total against the synthetic one), ``lower95, upper95``
        (the effect minus the 97.5th/2.5th percentiles of the placebo effects, on the log
        scale), ``p_value`` (share of areas, treated included, whose absolute placebo effect is
        at least the treated one's), ``placebo_p`` (the same for the post/pre RMSPE ratio),
        ``pre_rmspe_pct`` (pre-period fit, % of the pre-period mean), ``se_log`` and
        ``min_detectable_effect_pct`` (from the spread of placebo effects, 1.4826 x their
        median absolute deviation, so a few areas with breaks of their own do not inflate
        it), ``n_donors``, ``donors``
        (``area, weight`` with weight > 0.001), ``series`` (``month, observed, expected``) and
        ``placebos`` (``area, month, gap_pct``: each area's gap from its own synthetic
        control, the treated area included, for the placebo chart).
    """
    months = list(panel.columns)
    n_pre = sum(m < start for m in months)
    values = panel.to_numpy(float)
    means = values[:, :n_pre].mean(axis=1)
    areas = list(panel.index)
    t = areas.index(treated)
    pool = [i for i in range(len(areas)) if i != t and means[i] > 0]
    pool = sorted(pool, key=lambda i: abs(math.log(means[i] / means[t])))[:max_donors]
    keep = [t, *sorted(pool)]
    index = values[keep] / means[keep, None]
    names = [areas[i] for i in keep]
    donors = np.arange(1, len(keep))
    syn = [_fit_one(index, 0, donors, n_pre)]
    syn += [_fit_one(index, j, np.array([d for d in donors if d != j]), n_pre) for j in donors]
    res = [_stats(index[j], syn[j], n_pre) for j in range(len(keep))]
    pre_rmspe, ratio, log_ratio = res[0]
    placebo_lr = np.array([r[2] for r in res[1:]], float)
    placebo_lr = placebo_lr[np.isfinite(placebo_lr)]
    ratios = np.array([r[1] for r in res])
    # spread of placebo effects, robust to a few areas with a genuine break of their own
    se = (1.4826 * float(np.median(np.abs(placebo_lr - np.median(placebo_lr))))
          if len(placebo_lr) > 1 else math.nan)
    out = ratio_summary(log_ratio, se)
    lo, hi = np.quantile(placebo_lr, [0.975, 0.025]) if len(placebo_lr) else (math.nan,) * 2
    out.update(
        lower95=100 * math.expm1(log_ratio - lo), upper95=100 * math.expm1(log_ratio - hi),
        p_value=float((1 + np.sum(np.abs(placebo_lr) >= abs(log_ratio))) / (1 + len(placebo_lr))),
        placebo_p=float(np.mean(ratios >= ratios[0])), pre_rmspe_pct=100 * pre_rmspe,
        min_detectable_effect_pct=mde_from_se(se), n_donors=len(donors))
    w = simplex_weights(index[donors, :n_pre].T, index[0, :n_pre])
    out["donors"] = pd.DataFrame({"area": names[1:], "weight": w}).query("weight > 0.001") \
        .sort_values("weight", ascending=False, ignore_index=True)
    out["series"] = pd.DataFrame({"month": months, "observed": values[t],
                                  "expected": syn[0] * means[t]})
    out["placebos"] = pd.DataFrame({
        "area": np.repeat(names, len(months)), "month": months * len(names),
        "gap_pct": (100 * (index - np.vstack(syn))).ravel()})
    return out


def placebo_gaps_wide(placebos: pd.DataFrame) -> pd.DataFrame:
    """``placebos`` (long) as areas x months."""
    return placebos.pivot(index="area", columns="month", values="gap_pct")


def donor_text(donors: pd.DataFrame, top: int = 5) -> str:
    """'Enfield 34%, Brent 21%, ...' for the largest weights."""
    return ", ".join(f"{a} {w:.0%}" for a, w in donors.head(top).itertuples(index=False))
