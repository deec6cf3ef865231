"""Emerging hot spots: Getis-Ord Gi* on consecutive time steps and a Mann-Kendall trend test
on each area's Gi* z-scores, classified with the categories of Esri's Emerging Hot Spot
Analysis (ArcGIS Pro, "How Emerging Hot Spot Analysis works").

Decisions
---------
* Time steps: consecutive quarters (at least 12 where the data allow), the same areas and
  populations in every step; the value is the rate per 1,000 residents.
* Gi*: the analytical z-score of Getis and Ord (1995) with binary queen contiguity and the
  area itself included (``esda.G_Local(star=True, transform='B')`` gives the same z), computed
  for all time steps at once. A step's hot spot = z above the two-sided 95% critical value
  (1.96), cold spot = below -1.96. Unlike ArcGIS, neighbours are spatial only (not
  space-time bins), and there is no false discovery rate correction per step.
* Trend: Mann-Kendall on each area's z series (S with the tie-corrected variance, continuity
  correction, two-sided 5%); Hamed and Rao (1998) / Kendall (1975) as in ``pymannkendall``.
* Categories (hot side only, as the ``emerging_hotspots`` contract lists): ``new``,
  ``consecutive``, ``intensifying``, ``persistent``, ``diminishing``, ``sporadic``,
  ``oscillating``, ``historical``, ``no pattern``; definitions in :func:`classify`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CATEGORIES = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
              "oscillating", "historical", "no pattern")
Z_CRIT = 1.959963984540054
SHARE_90 = 0.9


def neighbour_matrix(gdf) -> np.ndarray:
    """Binary queen contiguity with each area its own neighbour (``n x n``, row order of
    ``gdf``)."""
    from libpysal.weights import Queen

    w = Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
    dense, _ = w.full()
    return dense + np.eye(len(gdf))


def gi_star_z(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Analytical Gi* z-scores for every time step at once.

    Parameters
    ----------
    values : ndarray, shape (T, n)
        One row per time step, one column per area.
    w : ndarray, shape (n, n)
        Binary weights including the area itself (:func:`neighbour_matrix`).

    Returns
    -------
    ndarray, shape (T, n)
        ``(sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1)))``; NaN where a
        step has no variation or an area neighbours every area.
    """
    x = np.asarray(values, dtype=float)
    n = x.shape[1]
    wi = w.sum(axis=1)
    s1 = (w ** 2).sum(axis=1)
    mean = x.mean(axis=1, keepdims=True)
    s = np.sqrt((x ** 2).mean(axis=1, keepdims=True) - mean ** 2)
    denom = s * np.sqrt((n * s1 - wi ** 2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x @ w.T - mean * wi) / denom
    return np.where(np.isfinite(z), z, np.nan)


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test on each column of ``series`` (shape (T, m)).

    Returns ``(s, z, p)``: the statistic ``S = sum_{i<j} sign(x_j - x_i)``, its normal score
    with continuity correction and tie-corrected variance
    ``(n(n-1)(2n+5) - sum t(t-1)(2t+5)) / 18``, and the two-sided p-value. NaN values are
    treated as ties at 0 would not be: a column with any NaN gives NaN.
    """
    x = np.asarray(series, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    t = x.shape[0]
    i, j = np.triu_indices(t, k=1)
    s = np.sign(x[j] - x[i]).sum(axis=0)
    var = np.full(x.shape[1], t * (t - 1) * (2 * t + 5), dtype=float)
    for col in range(x.shape[1]):
        _, ties = np.unique(x[:, col], return_counts=True)
        var[col] -= (ties * (ties - 1) * (2 * ties + 5)).sum()
    var /= 18
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    p = 2 * stats.norm.sf(np.abs(z))
    bad = np.isnan(x).any(axis=0)
    s, z, p = s.astype(float), z.astype(float), p.astype(float)
    s[bad], z[bad], p[bad] = np.nan, np.nan, np.nan
    return s, z, p


def classify(z: np.ndarray, alpha: float = 0.05) -> np.ndarray:
    """Esri Emerging Hot Spot Analysis category of each area from its Gi* z series.

    With ``hot``/``cold`` = z beyond the two-sided 95% critical value at a step, ``last`` the
    final step and ``share`` the share of steps that are hot:

    * **new**: hot at the last step and never before;
    * **consecutive**: one uninterrupted run of two or more hot steps ending at the last
      step, never hot before the run, share < 90%;
    * **intensifying** / **persistent** / **diminishing**: hot in >= 90% of steps including
      the last, with a significant increasing / no significant / significant decreasing
      Mann-Kendall trend in z;
    * **sporadic**: hot at the last step, share < 90%, hot before with gaps, never cold;
    * **oscillating**: hot at the last step, share < 90%, cold at some earlier step;
    * **historical**: not hot at the last step, but hot in >= 90% of steps;
    * **no pattern**: none of these.

    ``z`` has shape (T, n); NaN counts as not significant.
    """
    zz = np.nan_to_num(np.asarray(z, dtype=float), nan=0.0)
    hot, cold = zz > Z_CRIT, zz < -Z_CRIT
    t, n = hot.shape
    share = hot.mean(axis=0)
    _, mk_z, p = mann_kendall(zz)
    trend_up, trend_down = (p < alpha) & (mk_z > 0), (p < alpha) & (mk_z < 0)
    out = np.full(n, "no pattern", dtype=object)
    for a in range(n):
        h = hot[:, a]
        earlier = h[:-1]
        if not h[-1]:
            if share[a] >= SHARE_90:
                out[a] = "historical"
            continue
        if share[a] >= SHARE_90:
            out[a] = ("intensifying" if trend_up[a] else "diminishing" if trend_down[a]
                      else "persistent")
            continue
        if not earlier.any():
            out[a] = "new"
            continue
        run = t - 1 - np.flatnonzero(~h)[-1] if (~h).any() else t
        if run >= 2 and not h[: t - run].any():
            out[a] = "consecutive"
        elif cold[:-1, a].any():
            out[a] = "oscillating"
        else:
            out[a] = "sporadic"
    return out


def quarter_ends(period: str, months: list[str], n: int = 12) -> list[str]:
    """End months of the last ``n`` quarters ending at ``period`` whose three months are all
    in ``months`` (fewer when the data are shorter), oldest first."""
    from sna import periods

    have = set(months)
    ends = []
    for k in range(n):
        end = periods.add_months(period, -3 * k)
        if all(m in have for m in periods.window_months(end, 3)):
            ends.append(end)
        else:
            break
    return ends[::-1]


def quarterly_rates(monthly: pd.DataFrame, population: pd.Series, indicator: str,
                    ends: list[str], key: str = "ward_code") -> pd.DataFrame:
    """Rate per 1,000 residents per quarter (rows, end month) and area (columns).

    ``monthly``: ``<key>, indicator, month, count``; ``population``: area -> residents.
    """
    from sna import periods

    d = monthly[monthly["indicator"] == indicator]
    quarter = {m: e for e in ends for m in periods.window_months(e, 3)}
    d = d[d["month"].isin(quarter)].assign(quarter=lambda f: f["month"].map(quarter))
    wide = d.pivot_table(index="quarter", columns=key, values="count", aggfunc="sum",
                         fill_value=0).reindex(index=ends, columns=population.index,
                                               fill_value=0)
    return wide / population.to_numpy() * 1000


def emerging_hotspots(gdf, rates: pd.DataFrame, w: np.ndarray | None = None,
                      key: str = "ward_code", name: str = "ward_name") -> pd.DataFrame:
    """Category per area from quarterly rates (``rates``: steps x areas, columns = the
    ``key`` codes of ``gdf`` in the same order).

    Returns ``<key>, <name>, category, steps, hot_steps, cold_steps, last_z, trend_z,
    trend_p``.
    """
    w = neighbour_matrix(gdf) if w is None else w
    z = gi_star_z(rates.to_numpy(dtype=float), w)
    _, tz, tp = mann_kendall(np.nan_to_num(z, nan=0.0))
    return pd.DataFrame({
        key: gdf[key].to_numpy(), name: gdf[name].to_numpy(),
        "category": classify(z), "steps": len(rates),
        "hot_steps": (np.nan_to_num(z) > Z_CRIT).sum(axis=0),
        "cold_steps": (np.nan_to_num(z) < -Z_CRIT).sum(axis=0),
        "last_z": z[-1], "trend_z": tz, "trend_p": tp})
