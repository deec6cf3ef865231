"""Chapter 04 (issue 20 item 5): the deprivation gradient with an interval on a measure
without the crime domain, the count model's spatial diagnostic, one number everywhere."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sna.models import quasi_poisson, relative_index_of_inequality, residual_moran
from sna.sections import deprivation as D


def test_rii_recovers_a_planted_gradient():
    rng = np.random.default_rng(7)
    n = 200
    pop = rng.integers(1200, 2000, n).astype(float)
    rank = rng.permutation(np.arange(1, n + 1)).astype(float)  # 1 = most deprived
    order = np.argsort(-rank)  # least deprived first
    share = pop[order] / pop.sum()
    ridit = np.empty(n)
    ridit[order] = np.cumsum(share) - share / 2
    mu = pop * 0.004 * 3.0 ** ridit  # true RII = 3
    frame = pd.DataFrame({"count": rng.poisson(mu), "population": pop, "rank": rank})
    out = relative_index_of_inequality(frame, "count", "population", "rank")
    assert out["rii_lower95"] < 3.0 < out["rii_upper95"]
    assert out["rii"] == pytest.approx(3.0, rel=0.25)
    flat = frame.assign(count=rng.poisson(pop * 0.004))
    res = relative_index_of_inequality(flat, "count", "population", "rank")
    assert res["rii_lower95"] < 1.0 < res["rii_upper95"]


def _grid(n: int = 10) -> gpd.GeoDataFrame:
    cells = [box(i, j, i + 1, j + 1) for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame({"lsoa_code": [f"L{k}" for k in range(n * n)]}, geometry=cells)


def test_quasi_poisson_by_hand():
    """One binary covariate: the rate ratio is the ratio of pooled rates, (10 + 30) / 2,000
    against (5 + 15) / 2,000 = 2; fitted counts are 20 and 10 per group, so Pearson
    X2 = (10-20)^2/20 * 2 + (5-10)^2/10 * 2 = 15 on 4 - 2 df: scale 7.5, and the standard
    error of the log ratio is sqrt(7.5 (1/40 + 1/20))."""
    counts, pop = [10, 30, 5, 15], [1000, 1000, 1000, 1000]
    x = np.column_stack([np.ones(4), [1, 1, 0, 0]])
    fit = quasi_poisson(counts, x, pop)
    assert np.exp(fit.params[1]) == pytest.approx(2.0)
    assert fit.scale == pytest.approx(7.5)
    assert fit.bse[1] == pytest.approx(np.sqrt(7.5 * (1 / 40 + 1 / 20)))


def test_residual_moran_finds_clustering_and_not_noise():
    g = _grid()
    rng = np.random.default_rng(1)
    noise = pd.Series(rng.normal(size=100), index=g["lsoa_code"])
    assert residual_moran(g, noise, "lsoa_code")["p_value"] > 0.05
    x = np.array([geom.centroid.x for geom in g.geometry])
    smooth = pd.Series(x + rng.normal(scale=0.5, size=100), index=g["lsoa_code"])
    out = residual_moran(g, smooth, "lsoa_code")
    assert out["moran_i"] > 0.5 and out["p_value"] < 0.01
    assert "lower bound" in D.moran_sentence(out)
    assert "could not be checked" in D.moran_sentence({})


def test_gradient_finding_uses_the_numbers_the_text_shows():
    rates = pd.DataFrame({"decile": [1, 2, 3, 8, 9, 10], "lsoas": 5,
                          "count": [9452, 9452, 0, 3180, 0, 0],
                          "population": [1e6, 1e6, 0, 1e6, 0, 0]})
    # 18,904 / 2,000,000 = 9.452 per 1,000: the text says 9.5; rounding to 9.45 first and
    # then to one decimal gave 9.4 in the summary (the old fault)
    text, gradient = D.decile_gradient(rates, 5)
    finding = D.gradient_finding(gradient, "Barnet")
    shown = text.split("rate is **")[1].split(" per")[0]
    assert f"({shown} against" in finding
    assert gradient["rate_most_deprived_30pct"] == float(shown)
    assert f"is {gradient['ratio']:.1f} times" in finding
