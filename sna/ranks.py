"""Uncertainty of an area's rank among areas compared by rates (league tables).

Method (Marshall & Spiegelhalter 1998, BMJ 316:1701; Goldstein & Spiegelhalter 1996): treat
each area's underlying rate as uncertain given its observed count, draw a plausible rate for
every area at once from its posterior (Gamma with shape ``count + 0.5``, the Jeffreys prior for
a Poisson mean, divided by the population), rank the drawn rates, repeat ``sims`` times and
report the 2.5th and 97.5th percentiles of each area's simulated rank. Small counts give wide
intervals: a borough ranked 5th of 32 may plausibly be anywhere from 2nd to 12th, so a rank
alone is never evidence that one borough differs from another.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_SEED = 20260401


def rank_interval(counts: Sequence[float] | pd.Series, populations: Sequence[float] | pd.Series,
                  *, sims: int = 2000, seed: int = DEFAULT_SEED, ascending: bool = True,
                  prior_shape: float = 0.5) -> pd.DataFrame:
    """Observed rank of each area's rate and its 95% simulation interval.

    Parameters
    ----------
    counts, populations : sequence of float
        Count and population of each area (same order; a Series keeps its index). Areas with a
        missing count or a non-positive population are not ranked (all outputs NA) and do not
        take part in the simulation.
    sims : int
        Number of simulated league tables.
    seed : int
        Seed of the random generator (results are reproducible).
    ascending : bool
        True: rank 1 = lowest rate (the dashboard's convention).
    prior_shape : float
        Added to each count as the Gamma shape (0.5 = Jeffreys prior).

    Returns
    -------
    pandas.DataFrame
        ``rank, lower95, upper95`` (nullable Int64), one row per area in input order. ``rank``
        uses ``'min'`` for ties as :func:`sna.metrics.rank_areas`.
    """
    index = counts.index if isinstance(counts, pd.Series) else None
    c = np.asarray(counts, dtype=float)
    p = np.asarray(populations, dtype=float)
    if c.shape != p.shape:
        raise ValueError(f"counts ({c.shape}) and populations ({p.shape}) differ in length")
    ok = np.isfinite(c) & np.isfinite(p) & (p > 0) & (c >= 0)
    out = pd.DataFrame({k: pd.array([pd.NA] * len(c), dtype="Int64")
                        for k in ("rank", "lower95", "upper95")}, index=index)
    if not ok.any():
        return out
    rng = np.random.default_rng(seed)
    cc, pp = c[ok], p[ok]
    draws = stats.gamma.rvs(cc + prior_shape, size=(sims, cc.size), random_state=rng) / pp
    signed = draws if ascending else -draws
    ranks = signed.argsort(axis=1).argsort(axis=1) + 1
    lower = np.percentile(ranks, 2.5, axis=0, method="lower")
    upper = np.percentile(ranks, 97.5, axis=0, method="higher")
    observed = pd.Series(cc / pp).rank(method="min", ascending=ascending).to_numpy()
    pos = np.flatnonzero(ok)
    out.iloc[pos, 0] = observed.astype(int)
    out.iloc[pos, 1] = np.minimum(lower, observed).astype(int)
    out.iloc[pos, 2] = np.maximum(upper, observed).astype(int)
    return out
