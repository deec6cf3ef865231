"""Rank intervals (Marshall & Spiegelhalter 1998): coverage on simulated league tables with
known true ranks, hand cases and missing areas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna.ranks import rank_interval


def test_true_rank_covered_at_about_the_nominal_rate():
    rng = np.random.default_rng(7)
    hits, widths = [], []
    for rep in range(60):
        pop = rng.uniform(150e3, 400e3, 32)
        rate = rng.uniform(2, 6, 32) / 1000          # true rates per resident
        counts = rng.poisson(rate * pop)
        out = rank_interval(counts, pop, sims=1000, seed=rep)
        true = rate.argsort().argsort() + 1
        lo, hi = out["lower95"].to_numpy(int), out["upper95"].to_numpy(int)
        hits.append(((lo <= true) & (true <= hi)).mean())
        widths.append((hi - lo).mean())
    # nominal 95%; the method is known to be slightly conservative, not far off
    assert 0.92 <= np.mean(hits) <= 0.995
    assert 1 < np.mean(widths) < 12    # informative, not "anywhere from 1st to 32nd"


def test_equal_rates_give_wide_intervals_and_clear_leader_a_narrow_one():
    counts = [100] * 10 + [10]
    pops = [100_000] * 11
    out = rank_interval(counts, pops, sims=2000, seed=1)
    assert out.loc[10, "rank"] == out.loc[10, "lower95"] == out.loc[10, "upper95"] == 1
    tied = out.iloc[:10]
    assert (tied["rank"] == 2).all()               # ties share the lowest rank
    assert (tied["upper95"] - tied["lower95"]).min() >= 5


def test_descending_and_missing_areas():
    counts = pd.Series([5.0, np.nan, 50.0, 20.0], index=list("abcd"))
    pops = pd.Series([1e5, 1e5, 1e5, 0.0], index=list("abcd"))
    out = rank_interval(counts, pops, ascending=False, sims=500)
    assert list(out.index) == list("abcd")
    assert out.loc["c", "rank"] == 1 and out.loc["a", "rank"] == 2
    assert out.loc[["b", "d"]].isna().all().all()    # no count / no population: not ranked
    again = rank_interval(counts, pops, ascending=False, sims=500)
    pd.testing.assert_frame_equal(out, again)        # fixed seed: reproducible
