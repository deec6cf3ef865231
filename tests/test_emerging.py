"""Emerging hot spots: Gi* z against esda, Mann-Kendall against hand-computed values, the
Esri categories on constructed series, and a simulation with planted clusters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sna import emerging


def _grid(k: int):
    import geopandas as gpd
    from shapely.geometry import box

    cells = [box(c, r, c + 1, r + 1) for r in range(k) for c in range(k)]
    codes = [f"W{i:03d}" for i in range(k * k)]
    return gpd.GeoDataFrame({"ward_code": codes, "ward_name": codes}, geometry=cells)


def test_gi_star_z_matches_esda():
    import esda
    from libpysal.weights import Queen

    g = _grid(5)
    rng = np.random.default_rng(1)
    x = rng.gamma(2.0, 3.0, size=(3, 25))
    z = emerging.gi_star_z(x, emerging.neighbour_matrix(g))
    w = Queen.from_dataframe(g, use_index=False, silence_warnings=True)
    for t in range(3):
        ref = esda.G_Local(x[t], w, transform="B", star=True, permutations=0).Zs
        np.testing.assert_allclose(z[t], ref, rtol=1e-9)


def test_mann_kendall_hand_computed():
    s, z, p = emerging.mann_kendall(np.array([1.0, 2, 3, 4, 5]))
    # S = 10 (all 10 pairs rise), Var = 5*4*15/18, Z = (S - 1) / sqrt(Var)
    assert s[0] == 10
    assert z[0] == pytest.approx(9 / math.sqrt(50 / 3))
    assert p[0] == pytest.approx(0.027486, abs=1e-5)
    s, z, _ = emerging.mann_kendall(np.array([1.0, 1, 2]))
    # S = 0 + 1 + 1 = 2; one tie group of 2: Var = (3*2*11 - 2*1*9) / 18 = 48/18
    assert s[0] == 2 and z[0] == pytest.approx(1 / math.sqrt(48 / 18))
    s, z, p = emerging.mann_kendall(np.array([[3.0, 1], [2, 1], [1, 1]]))
    assert s.tolist() == [-3, 0] and z[1] == 0 and p[1] == 1


def test_classify_esri_definitions():
    t = 12
    base = np.zeros(t)
    cases = {
        "new": np.r_[np.zeros(t - 1), 3.0],
        "consecutive": np.r_[np.zeros(t - 3), 3.0, 3.0, 3.0],
        "intensifying": np.linspace(2.5, 6.0, t),
        "persistent": np.array([3.0, 3.2, 2.9, 3.1, 3.0, 3.3, 2.8, 3.0, 3.2, 2.9, 3.1, 3.0]),
        "diminishing": np.linspace(6.0, 2.5, t),
        "sporadic": np.r_[0, 3.0, 0, 0, 3.0, 0, 0, 3.0, 0, 0, 0, 3.0],
        "oscillating": np.r_[0, -3.0, 0, 0, 3.0, 0, 0, 0, 0, 0, 0, 3.0],
        "historical": np.r_[np.full(t - 1, 3.0), 0.0],
        "no pattern": base,
    }
    z = np.column_stack(list(cases.values()))
    assert emerging.classify(z).tolist() == list(cases)
    assert set(cases) == set(emerging.CATEGORIES)


def _simulate(seed: int, k: int = 9, t: int = 12, plant: bool = True):
    rng = np.random.default_rng(seed)
    lam = np.full((t, k * k), 10.0)
    if plant:
        stable = [r * k + c for r in (0, 1, 2) for c in (0, 1, 2)]  # bottom-left block
        new = [r * k + c for r in (5, 6, 7) for c in (5, 6, 7)]  # upper right block
        lam[:, stable] = 30.0
        lam[-1, new] = 30.0
    return rng.poisson(lam).astype(float)


def test_planted_new_and_stable_clusters():
    g = _grid(9)
    import pandas as pd

    rates = pd.DataFrame(_simulate(7), columns=g["ward_code"])
    out = emerging.emerging_hotspots(g, rates).set_index("ward_code")
    assert out.loc["W010", "category"] == "persistent"  # centre of the stable block (1, 1)
    assert out.loc["W060", "category"] == "new"  # centre of the new block (6, 6)
    far = [f"W{r * 9 + c:03d}" for r in (0, 1) for c in (7, 8)]
    assert (out.loc[far, "category"] == "no pattern").all()


def test_null_data_rarely_classified():
    g = _grid(9)
    w = emerging.neighbour_matrix(g)
    flagged = [np.mean(emerging.classify(emerging.gi_star_z(_simulate(s, plant=False), w))
                       != "no pattern") for s in range(20)]
    # a category needs the last step hot (~2.5% of areas by chance) or 90% of steps hot
    assert np.mean(flagged) < 0.06
