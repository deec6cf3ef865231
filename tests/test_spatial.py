"""Tests for sna.spatial: aggregation, EB smoothing, Gi* hot spots, concentration, models."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2
from shapely.geometry import box

from sna import gi_star, models, spatial
from sna.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
# the lattice tests knowingly use fewer permutations than a lone hot spot would need
pytestmark = pytest.mark.filterwarnings("ignore:With .* permutations:UserWarning")


def exact_ci(count, population, per):
    """Exact (Garwood) Poisson 95% CI for a rate; stands in for sna.metrics.rate_ci."""
    c, p = np.asarray(count, float), np.asarray(population, float)
    lo = np.where(c > 0, chi2.ppf(0.025, 2 * np.maximum(c, 1e-12)) / 2, 0.0)
    return lo / p * per, chi2.ppf(0.975, 2 * c + 2) / 2 / p * per


def lattice(n: int = 10) -> gpd.GeoDataFrame:
    """n x n unit squares in EPSG:27700, row ``r`` and column ``c``."""
    cells = [(r, c) for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame(
        {
            "ward_code": [f"W{r}{c}" for r, c in cells],
            "ward_name": [f"Cell {r},{c}" for r, c in cells],
            "r": [r for r, _ in cells],
            "c": [c for _, c in cells],
        },
        geometry=[box(c * 100, r * 100, c * 100 + 100, r * 100 + 100) for r, c in cells],
        crs="EPSG:27700",
    )


# --- ward_population ----------------------------------------------------------------------


def test_ward_population_weighted_sum():
    pop = pd.DataFrame({"lsoa_code": ["L1", "L2", "L3"], "population": [1000, 2000, 1500]})
    lookup = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L2", "L3", "L3"],
            "ward_code": ["W1", "W1", "W1", "W2"],
            "ward_name": ["One", "One", "One", "Two"],
            "weight": [1.0, 1.0, 0.4, 0.6],
        }
    )
    out = spatial.ward_population(pop, lookup)
    assert out.to_dict("list") == {
        "ward_code": ["W1", "W2"],
        "ward_name": ["One", "Two"],
        "population": [3600.0, 900.0],
    }


def test_ward_population_best_fit_without_weight_warns_on_unmatched():
    pop = pd.DataFrame({"lsoa_code": ["L1", "L2"], "population": [10, 20]})
    lookup = pd.DataFrame({"lsoa_code": ["L1"], "ward_code": ["W1"], "ward_name": ["One"]})
    with pytest.warns(UserWarning, match="L2"):
        out = spatial.ward_population(pop, lookup)
    assert out["population"].tolist() == [10.0]


def test_ward_population_real_barnet_adds_up():
    pop = pd.read_csv(RAW / "census" / "census2021-ts007a-lsoa-barnet.csv")
    pop = pop.rename(columns={"geography code": "lsoa_code", "Age: Total": "population"})
    lookup = pd.read_csv(RAW / "lookups" / "lsoa21_to_ward22_bestfit_london.csv").rename(
        columns={"lsoa21cd": "lsoa_code", "ward22cd": "ward_code", "ward22nm": "ward_name"}
    )
    out = spatial.ward_population(pop, lookup)
    wards = gpd.read_file(RAW / "boundaries" / "barnet_wards_2022.geojson")
    assert len(out) == 24 and set(out["ward_code"]) == set(wards["WD22CD"])
    assert out["population"].sum() == pytest.approx(pop["population"].sum())


# --- eb_smooth ----------------------------------------------------------------------------


def test_eb_smooth_hand_computed():
    # counts e = [2, 10, 6, 2], populations b = [100, 200, 300, 400]
    # m = 20 / 1000 = 0.02; raw rates r = [0.02, 0.05, 0.02, 0.005]
    # s2 = sum b (r - m)^2 / sum b = (200 * 0.03^2 + 400 * 0.015^2) / 1000
    #    = (0.18 + 0.09) / 1000 = 0.00027
    # b_bar = 250; m / b_bar = 0.00008; v = 0.00027 - 0.00008 = 0.00019
    # w_i = v / (v + m / b_i): w2 = 0.00019 / (0.00019 + 0.0001) = 19/29,
    #                          w4 = 0.00019 / (0.00019 + 0.00005) = 19/24
    # areas 1 and 3 have r = m, so stay at 0.02
    # area 2: 0.02 + 19/29 * 0.03 = 0.0396551724...; area 4: 0.02 - 19/24 * 0.015 = 0.008125
    got = spatial.eb_smooth([2, 10, 6, 2], [100, 200, 300, 400])
    np.testing.assert_allclose(got, [0.02, 0.02 + 19 / 29 * 0.03, 0.02, 0.008125], rtol=1e-12)


def test_eb_smooth_matches_esda():
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(3)
    b = rng.integers(5_000, 20_000, 30).astype(float)
    e = rng.poisson(b * rng.gamma(4, 0.005 / 4, 30)).astype(float)
    np.testing.assert_allclose(spatial.eb_smooth(e, b), Empirical_Bayes(e, b).r.ravel(), rtol=1e-10)


def test_eb_smooth_negative_variance_shrinks_to_mean_and_nan_population():
    # identical rates: s2 = 0 < m / b_bar, v clipped to 0 -> every rate = m (esda goes negative)
    got = spatial.eb_smooth([1, 2, 3, 5], [100, 200, 300, 0])
    np.testing.assert_allclose(got[:3], [0.01, 0.01, 0.01])
    assert np.isnan(got[3])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 20_000)), min_size=2, max_size=30))
def test_eb_smooth_between_rate_and_mean(pairs):
    e, b = (np.array(v, float) for v in zip(*pairs, strict=True))
    got, r, m = spatial.eb_smooth(e, b), e / b, e.sum() / b.sum()
    assert np.all(got >= np.minimum(r, m) - 1e-12) and np.all(got <= np.maximum(r, m) + 1e-12)


# --- ward_indicator_table ------------------------------------------------------------------


def _counts():
    return pd.DataFrame(
        {
            "ward_code": ["W1", "W2", "W1", "W3"],
            "ward_name": ["One", "Two", "One", "Three"],
            "indicator": ["vwi", "vwi", "robbery", "robbery"],
            "count": [30, 10, 4, 8],
        }
    )


def test_ward_indicator_table_contract_and_values():
    pop = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "population": [10_000, 5_000, 8_000]})
    t = spatial.ward_indicator_table(_counts(), pop, ci_func=exact_ci)
    assert list(t.columns[:9]) == [
        "ward_code",
        "ward_name",
        "indicator",
        "window",
        "count",
        "population",
        "rate_per_1000",
        "lower95",
        "upper95",
    ]
    assert {"eb_rate_per_1000", "rank"} <= set(t.columns) and len(t) == 6
    vwi = t[t.indicator == "vwi"].set_index("ward_code")
    assert vwi.loc["W3", "count"] == 0 and vwi.loc["W3", "ward_name"] == "Three"
    assert vwi.loc["W1", "rate_per_1000"] == pytest.approx(3.0)
    assert vwi["rank"].to_dict() == {"W1": 1, "W2": 2, "W3": 3}
    assert (t.lower95 <= t.rate_per_1000).all() and (t.rate_per_1000 <= t.upper95).all()
    assert (t.window == "12m").all()
    eb = spatial.eb_smooth([30, 10, 0], [10_000, 5_000, 8_000]) * 1000
    np.testing.assert_allclose(vwi.loc[["W1", "W2", "W3"], "eb_rate_per_1000"], eb)


def test_ward_indicator_table_default_ci_is_metrics_rate_ci():
    from sna import metrics

    pop = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "population": [10_000, 5_000, 8_000]})
    t = spatial.ward_indicator_table(_counts(), pop)
    _, lo, hi = metrics.rate_ci(t["count"], t["population"], 1000)
    np.testing.assert_allclose(t["lower95"], lo)
    np.testing.assert_allclose(t["upper95"], hi)


def test_ward_indicator_table_missing_population_warns():
    pop = pd.DataFrame({"ward_code": ["W1", "W2"], "population": [10_000, 0]})
    with pytest.warns(UserWarning, match="W3"):
        t = spatial.ward_indicator_table(_counts(), pop, ci_func=exact_ci)
    assert t.loc[t.ward_code.isin(["W2", "W3"]), "rate_per_1000"].isna().all()


# --- Gi* hot spots -------------------------------------------------------------------------


def _field(seed: int, planted: bool) -> gpd.GeoDataFrame:
    g = lattice()
    core = g.r.between(2, 6) & g.c.between(2, 6)
    lam = np.where(core & planted, 40, 10)
    return g.assign(v=np.random.default_rng(seed).poisson(lam).astype(float), core=core)


@pytest.mark.parametrize("seed", [0, 1, 2], ids=lambda s: f"seed{s}")
def test_planted_cluster_is_hot(seed):
    # 999 permutations: with 100 areas, 99 cannot reach FDR significance (see the warning test)
    g = gi_star.gi_star_hotspots(_field(seed, True), "v", permutations=999, seed=7)
    hot = g.hotspot_class.str.startswith("Hot")
    inner = g.r.between(3, 5) & g.c.between(3, 5)
    assert hot[inner].all()
    assert not hot[~(g.r.between(1, 7) & g.c.between(1, 7))].any()
    assert set(g.hotspot_class) <= set(gi_star.HOTSPOT_CLASSES)
    assert (g.gi_q >= g.gi_p).all() and g.crs == "EPSG:27700"


@pytest.mark.parametrize("seed", [10, 11, 12, 13, 14], ids=lambda s: f"seed{s}")
def test_random_poisson_field_has_no_hotspots_after_fdr(seed):
    g = gi_star.gi_star_hotspots(_field(seed, False), "v", permutations=999, seed=seed)
    assert (g.hotspot_class == "Not significant").all()


@pytest.mark.filterwarnings("default")
def test_few_permutations_warn():
    with pytest.warns(UserWarning, match="permutations"):
        gi_star.gi_star_hotspots(_field(0, True), "v", permutations=99)


def test_gi_star_deterministic_with_seed():
    f = _field(4, True)
    a = gi_star.gi_star_hotspots(f, "v", permutations=999, seed=12345)
    b = gi_star.gi_star_hotspots(f, "v", permutations=999, seed=12345)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
    )


def test_no_fdr_uses_raw_p():
    g = gi_star.gi_star_hotspots(_field(0, True), "v", permutations=99, seed=1, fdr=False)
    assert (g.gi_q == g.gi_p).all()
    assert g.hotspot_class.str.startswith("Hot").sum() > 0


def test_island_is_warned_and_not_significant():
    g = lattice(4).assign(v=np.arange(16.0))
    island = gpd.GeoDataFrame(
        {"ward_code": ["ISL"], "ward_name": ["Island"], "r": [9], "c": [9], "v": [100.0]},
        geometry=[box(5000, 5000, 5100, 5100)],
        crs="EPSG:27700",
    )
    g = pd.concat([g, island], ignore_index=True)
    with pytest.warns(UserWarning, match="no neighbour"):
        out = gi_star.gi_star_hotspots(g, "v", permutations=99)
    assert out.loc[16, "hotspot_class"] == "Not significant" and np.isnan(out.loc[16, "gi_z"])


def test_nan_value_raises_and_constant_is_not_significant():
    g = lattice(4).assign(v=1.0)
    with pytest.warns(UserWarning, match="no variation"):
        out = gi_star.gi_star_hotspots(g, "v", permutations=99)
    assert (out.hotspot_class == "Not significant").all()
    with pytest.raises(ValueError, match="missing values"):
        gi_star.gi_star_hotspots(g.assign(v=[np.nan] + [1.0] * 15), "v", permutations=99)
    with pytest.raises(ValueError, match="negative"):
        gi_star.gi_star_hotspots(g.assign(v=[-1.0] + [1.0] * 15), "v", permutations=99)


def test_gi_star_on_real_barnet_wards():
    wards = gpd.read_file(RAW / "boundaries" / "barnet_wards_2022.geojson")
    value = np.random.default_rng(0).gamma(5, 2, len(wards))
    out = gi_star.gi_star_hotspots(wards.assign(v=value), "v", permutations=99)
    assert len(out) == 24 and out.gi_z.notna().all() and out.crs == wards.crs


# --- persistence, concentration, reconcile -------------------------------------------------


def test_hotspot_persistence():
    def frame(classes):
        return pd.DataFrame(
            {
                "ward_code": ["W1", "W2", "W3"][: len(classes)],
                "ward_name": ["One", "Two", "Three"][: len(classes)],
                "hotspot_class": classes,
            }
        )

    out = gi_star.hotspot_persistence(
        {
            "2024": frame(["Hot spot (99%)", "Hot spot (95%)", "Not significant"]),
            "2025": frame(["Hot spot (95%)", "Cold spot (95%)"]),
        }
    )
    assert out.columns.tolist() == [
        "ward_code",
        "ward_name",
        "windows_hot",
        "persistent",
        "class_2024",
        "class_2025",
    ]
    rows = out.set_index("ward_code")
    assert rows.loc["W1", "persistent"] and rows.loc["W1", "windows_hot"] == 2
    assert not rows.loc["W2", "persistent"] and rows.loc["W2", "windows_hot"] == 1
    assert rows.loc["W3", "windows_hot"] == 0 and pd.isna(rows.loc["W3", "class_2025"])
    assert out.ward_code.iloc[0] == "W1"


def test_concentration_hand_checked():
    # 24 wards: top 10% = ceil(2.4) = 3 wards: 50 + 40 + 30 = 120 of 120 + 21 * 10 = 330
    counts = pd.Series([10] * 21 + [30, 50, 40], index=[f"W{i:02d}" for i in range(24)])
    out = spatial.concentration(counts)
    assert out["top_n"] == 3 and out["areas"] == ["W22", "W23", "W21"]
    assert out["top_share_of_total"] == pytest.approx(120 / 330)


def test_concentration_small_and_zero():
    assert spatial.concentration(pd.Series({"A": 5, "B": 1}))["top_n"] == 1
    assert np.isnan(spatial.concentration(pd.Series({"A": 0, "B": 0}))["top_share_of_total"])
    # 10 areas x 0.1 = exactly 1 (no float round-up to 2)
    assert spatial.concentration(pd.Series(range(10)))["top_n"] == 1


def test_reconcile():
    t = pd.DataFrame({"count": [10, 20, 30]})
    assert spatial.reconcile(t, 62, unallocated=2) == 0
    assert spatial.reconcile(t, 65, strict=False) == 5
    with pytest.raises(DataError, match="difference"):
        spatial.reconcile(t, 65)


# --- LSOA x IMD, correlation, count models -------------------------------------------------


def test_lsoa_imd_rates():
    counts = pd.DataFrame({"lsoa_code": ["A", "B", "C", "Z"], "count": [10, 5, 1, 3]})
    pop = pd.DataFrame({"lsoa_code": ["A", "B", "C", "D"], "population": [1000, 1500, 2000, 500]})
    imd = pd.DataFrame({"lsoa_code": ["A", "B", "C", "D"], "decile": [1, 1, 10, 10]})
    with pytest.warns(UserWarning, match="3 event"):
        out = models.lsoa_imd_rates(counts, pop, imd, ci_func=exact_ci)
    assert out["decile"].tolist() == [1, 10] and out["lsoas"].tolist() == [2, 2]
    assert out["count"].tolist() == [15, 1]
    assert out["rate_per_1000"].tolist() == pytest.approx([6.0, 0.4])
    assert (out.lower95 < out.rate_per_1000).all() and (out.upper95 > out.rate_per_1000).all()


def test_spearman_ci():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    out = models.spearman_ci(x, x + rng.normal(size=200))
    assert out["lower"] < out["rho"] < out["upper"] and out["n"] == 200 and out["rho"] > 0.5
    assert np.isnan(models.spearman_ci([1, 2, 3], [1, 2, 3])["lower"])


def _sim(overdispersed: bool, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    pop = rng.integers(1_000, 5_000, n)
    group = rng.choice(["low", "high"], n)
    x = rng.normal(size=n)
    mu = pop * 0.01 * np.where(group == "high", 1.5, 1.0) * np.exp(0.2 * x)
    if overdispersed:
        mu = mu * rng.gamma(2.0, 0.5, n)  # NB2 with alpha = 0.5
    return pd.DataFrame({"y": rng.poisson(mu), "pop": pop, "group": group, "x": x})


@pytest.mark.parametrize(
    "overdispersed,model", [(False, "poisson"), (True, "negative_binomial")], ids=["poisson", "nb"]
)
def test_count_model_recovers_rate_ratio(overdispersed, model):
    out = models.count_model(_sim(overdispersed), "y", "pop", ["group", "x"]).set_index("term")
    assert (out["model"] == model).all()
    assert out.loc["group_low", "lower95"] < 1 / 1.5 < out.loc["group_low", "upper95"]
    assert out.loc["x", "lower95"] < np.exp(0.2) < out.loc["x", "upper95"]
    assert out.loc["const", "rate_ratio"] == pytest.approx(0.015, rel=0.15)
    if overdispersed:
        assert out["dispersion"].iloc[0] > 1.5 and out["nb_alpha"].iloc[0] > 0.2
    else:
        assert out["dispersion"].iloc[0] < 1.5 and np.isnan(out["nb_alpha"].iloc[0])


def test_missing_column_message():
    with pytest.raises(ValueError, match="missing column"), warnings.catch_warnings():
        spatial.ward_population(pd.DataFrame({"lsoa": [1]}), pd.DataFrame())


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 500), min_size=1, max_size=12),
    st.lists(st.integers(1, 20_000), min_size=12, max_size=12),
)
def test_ward_table_totals_survive_and_intervals_contain_rate(counts, pops):
    n = len(counts)
    codes = [f"W{i:02d}" for i in range(n)]
    frame = pd.DataFrame(
        {"ward_code": codes, "ward_name": codes, "indicator": "vwi", "count": counts}
    )
    pop = pd.DataFrame({"ward_code": codes, "population": pops[:n]})
    t = spatial.ward_indicator_table(frame, pop, ci_func=exact_ci)
    assert t["count"].sum() == sum(counts)
    assert (t.lower95 <= t.rate_per_1000 + 1e-12).all()
    assert (t.rate_per_1000 <= t.upper95 + 1e-12).all()
    assert (t.eb_rate_per_1000 >= 0).all() and t["rank"].min() == 1


def test_real_barnet_chain():
    """MPS ward CSV -> ward table -> Gi* on the shipped Barnet data."""
    path = RAW / "mps" / "ward" / "MPS Ward Level Crime (most recent 24 months).csv"
    mps = pd.read_csv(path)
    mps = mps[(mps.LookUp_BoroughName == "Barnet") & (mps.MinorText == "VIOLENCE WITH INJURY")]
    months = [c for c in mps.columns if c.isdigit()][-12:]
    counts = mps.assign(count=mps[months].sum(axis=1), indicator="violence_with_injury").rename(
        columns={"WardCode": "ward_code", "WardName": "ward_name"}
    )[["ward_code", "ward_name", "indicator", "count"]]
    pop = pd.read_csv(RAW / "census" / "census2021-ts007a-lsoa-barnet.csv").rename(
        columns={"geography code": "lsoa_code", "Age: Total": "population"}
    )
    lookup = pd.read_csv(RAW / "lookups" / "lsoa21_to_ward22_bestfit_london.csv").rename(
        columns={"lsoa21cd": "lsoa_code", "ward22cd": "ward_code", "ward22nm": "ward_name"}
    )
    table = spatial.ward_indicator_table(
        counts, spatial.ward_population(pop, lookup), ci_func=exact_ci
    )
    assert len(table) == 24 and table["rate_per_1000"].notna().all()
    assert spatial.reconcile(table, int(mps[months].to_numpy().sum())) == 0
    wards = gpd.read_file(RAW / "boundaries" / "barnet_wards_2022.geojson")
    gdf = wards.rename(columns={"WD22CD": "ward_code"}).merge(
        table.drop(columns="ward_name"), on="ward_code"
    )
    out = gi_star.gi_star_hotspots(gdf, "eb_rate_per_1000", permutations=999)
    assert len(out) == 24 and set(out.hotspot_class) <= set(gi_star.HOTSPOT_CLASSES)
    top = spatial.concentration(table.set_index("ward_name")["count"])
    assert top["top_n"] == 3 and 0.1 < top["top_share_of_total"] < 0.5


def test_gi_star_area_neighbouring_everything_is_not_significant():
    """3x3 grid: the centre's queen neighbourhood (with itself) is the whole map, so its Gi*
    has zero variance; it must be reported as undefined, never as an infinite hot/cold spot."""
    import geopandas as gpd
    from shapely.geometry import box

    from sna.gi_star import gi_star_hotspots

    cells = [box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    values = [1, 2, 3, 2, 9, 4, 1, 5, 2]
    gdf = gpd.GeoDataFrame({"v": values}, geometry=cells, crs="EPSG:27700")
    with pytest.warns(UserWarning):
        out = gi_star_hotspots(gdf, "v", permutations=99, seed=1)
    assert np.isnan(out.loc[4, "gi_z"]) and out.loc[4, "hotspot_class"] == "Not significant"
    assert np.isfinite(out.drop(index=4)["gi_z"]).all()
