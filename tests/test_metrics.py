"""Tests for sna.metrics: rates and CIs against reference values, windows, change, ranks,
the performance dashboard contract, funnel limits and series helpers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna import funnel
from sna import metrics as m
from sna import series as ser
from sna.definitions import borough_monthly

ROOT = Path(__file__).resolve().parents[1]
MPS = ROOT / "data" / "raw" / "mps"


# --- reference values ----------------------------------------------------------------------

# Exact (Garwood 1936) two-sided 95% Poisson limits for an observed count, as tabulated in
# e.g. Ulm K. "A simple method to calculate the confidence interval of a standardized
# mortality ratio", Am J Epidemiol 1990;131:373-5 and Breslow & Day vol. II table, and in
# PHE/APHO "Commonly used public health statistics and their confidence intervals" (2008).
GARWOOD_95 = {0: (0.0, 3.6889), 1: (0.0253, 5.5716), 5: (1.6235, 11.6683),
              10: (4.7954, 18.3904)}


@pytest.mark.parametrize("count", sorted(GARWOOD_95), ids=lambda c: f"O={c}")
def test_exact_limits_match_published_garwood_table(count):
    lo, hi = m.exact_limits(count)
    assert float(lo) == pytest.approx(GARWOOD_95[count][0], abs=1e-4)
    assert float(hi) == pytest.approx(GARWOOD_95[count][1], abs=1e-4)


@pytest.mark.parametrize("count", [0, 1, 5, 9, 37], ids=lambda c: f"O={c}")
def test_exact_limits_match_the_chi_square_formula(count):
    # Independent route: the limits solve P(X >= O | lower) = 0.025 and
    # P(X <= O | upper) = 0.025 for X ~ Poisson (computed here from the Poisson sums).
    def tail_ge(mu, o):
        return 1 - sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(o))

    def tail_le(mu, o):
        return sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(o + 1))

    lo, hi = (float(v) for v in m.exact_limits(count))
    assert tail_le(hi, count) == pytest.approx(0.025, abs=1e-9)
    if count > 0:
        assert tail_ge(lo, count) == pytest.approx(0.025, abs=1e-9)
    else:
        assert lo == 0


def test_byar_limits_by_hand_for_65_events():
    # Byar's method, O = 65, z = 1.959964 (PHEindicatormethods byars_lower(65) example):
    #   lower = 65 * (1 - 1/585 - 1.959964/(3*sqrt(65)))^3
    #         = 65 * (1 - 0.0017094 - 0.0810345)^3 = 65 * 0.9172561^3 = 65 * 0.771743 = 50.163
    #   upper = 66 * (1 - 1/594 + 1.959964/(3*sqrt(66)))^3
    #         = 66 * (1 - 0.0016835 + 0.0804184)^3 = 66 * 1.0787349^3 = 66 * 1.255290 = 82.849
    # so per 100,000 population (count 65, population 100,000): 65.0 (50.16 to 82.85).
    rate, lo, hi = m.rate_ci(65, 100_000, per=100_000, method="byar")
    assert float(rate) == 65.0
    assert float(lo) == pytest.approx(50.163, abs=1e-3)
    assert float(hi) == pytest.approx(82.849, abs=1e-3)


def test_byar_99_8_percent_by_hand():
    # z = 3.090232 (99.8%): lower = 65 * (1 - 1/585 - 3.090232/24.186773)^3
    #   = 65 * 0.8705213^3 = 65 * 0.659683 = 42.879
    lo, _ = m.byar_limits(65, confidence=0.998)
    assert float(lo) == pytest.approx(42.879, abs=2e-3)


def test_fingertips_method_switches_from_exact_to_byar_at_ten():
    counts = np.array([9, 10])
    lo, hi = m.count_limits(counts, "fingertips")
    e_lo, e_hi = m.exact_limits(counts)
    b_lo, b_hi = m.byar_limits(counts)
    assert lo[0] == e_lo[0] and hi[0] == e_hi[0]
    assert lo[1] == b_lo[1] and hi[1] == b_hi[1]
    # Byar at 10 is close to, but not exactly, the exact limits (4.7954, 18.3904)
    assert b_lo[1] == pytest.approx(4.7874, abs=1e-4)
    assert b_hi[1] == pytest.approx(18.3915, abs=1e-4)


def test_byar_and_exact_agree_for_large_counts():
    e_lo, e_hi = m.exact_limits(1000)
    b_lo, b_hi = m.byar_limits(1000)
    assert float(b_lo) == pytest.approx(float(e_lo), rel=1e-4)
    assert float(b_hi) == pytest.approx(float(e_hi), rel=1e-4)


def test_rate_ci_missing_or_zero_population_gives_nan():
    rate, lo, hi = m.rate_ci([5, np.nan, 5], [1000, 1000, 0])
    assert np.isnan(rate[1]) and np.isnan(lo[1]) and np.isnan(hi[1])
    assert np.isnan(rate[2]) and np.isnan(hi[2])


def test_rate_ci_rejects_unknown_method():
    with pytest.raises(ValueError, match="fingertips"):
        m.rate_ci(5, 100, method="wald")


# --- hypothesis invariants -----------------------------------------------------------------

counts = st.integers(min_value=0, max_value=50_000)
populations = st.integers(min_value=1, max_value=10_000_000)
methods = st.sampled_from(["fingertips", "byar", "exact"])


@settings(max_examples=200, deadline=None)
@given(counts, populations, methods)
def test_interval_is_ordered_non_negative_and_contains_the_rate(count, population, method):
    rate, lo, hi = (float(v) for v in m.rate_ci(count, population, method=method))
    assert rate >= 0 and lo >= 0
    assert lo <= rate * (1 + 1e-12) + 1e-15
    assert rate <= hi
    assert lo <= hi


@settings(max_examples=100, deadline=None)
@given(counts, populations, methods)
def test_rates_scale_with_the_multiplier(count, population, method):
    per_1k = m.rate_ci(count, population, per=1_000, method=method)
    per_100k = m.rate_ci(count, population, per=100_000, method=method)
    for a, b in zip(per_1k, per_100k, strict=True):
        assert float(b) == pytest.approx(float(a) * 100, rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 5000), st.integers(0, 5000))
def test_change_pvalue_is_a_probability_and_symmetric(a, b):
    p1, p2 = float(m.change_test(a, b)), float(m.change_test(b, a))
    if a == b == 0:
        assert np.isnan(p1)
    else:
        assert 0 <= p1 <= 1
        assert p1 == pytest.approx(p2)


# --- windows and change --------------------------------------------------------------------

def _monthly(values: dict[str, list[int]], start: str = "2024-01", indicator: str = "x"):
    rows = []
    for borough, series in values.items():
        months = pd.period_range(start, periods=len(series), freq="M").strftime("%Y-%m")
        rows += [(borough, indicator, mo, c) for mo, c in zip(months, series, strict=True)]
    return pd.DataFrame(rows, columns=["borough", "indicator", "month", "count"])


def test_window_total_current_and_previous_year():
    monthly = _monthly({"A": list(range(1, 25))})  # 2024-01 = 1 ... 2025-12 = 24
    cur = m.window_total(monthly, "2025-12", "3m")
    prev = m.window_total(monthly, "2025-12", "3m", previous=True)
    assert cur["count"].tolist() == [22 + 23 + 24]
    assert prev["count"].tolist() == [10 + 11 + 12]
    assert (cur["period_start"].iloc[0], cur["period_end"].iloc[0]) == ("2025-10", "2025-12")
    assert prev["period_start"].iloc[0] == "2024-10"
    assert m.window_total(monthly, "2025-12", "12m")["count"].iloc[0] == sum(range(13, 25))


def test_window_total_is_missing_when_a_month_is_missing():
    monthly = _monthly({"A": [5] * 24})
    monthly = monthly[monthly["month"] != "2025-11"]
    assert np.isnan(m.window_total(monthly, "2025-12", "3m")["count"].iloc[0])
    assert m.window_total(monthly, "2025-10", "3m")["count"].iloc[0] == 15


def test_window_total_before_the_data_is_missing():
    monthly = _monthly({"A": [5] * 12})
    assert np.isnan(m.window_total(monthly, "2024-12", "12m", previous=True)["count"].iloc[0])


def test_missing_rows_are_zero_only_for_months_in_that_indicators_data():
    a = _monthly({"A": [1, 1, 1], "B": [2, 2, 2]}, start="2025-01", indicator="x")
    b = _monthly({"A": [4]}, start="2025-03", indicator="y")
    b = pd.concat([b, pd.DataFrame([("B", "y", "2025-03", 0)], columns=b.columns)])
    out = m.window_total(pd.concat([a, b]), "2025-03", "3m").set_index(["borough", "indicator"])
    assert out.loc[("A", "x"), "count"] == 3
    assert np.isnan(out.loc[("A", "y"), "count"])  # y has no data for Jan/Feb


@pytest.mark.parametrize(("count", "previous", "expected"), [
    (412, 351, 17.4), (351, 412, -14.8), (10, 10, 0.0), (5, 0, np.nan), (0, 0, np.nan),
    (np.nan, 4, np.nan), (1, 3, -66.7)],
    ids=["rise", "fall", "same", "zero-baseline", "both-zero", "missing", "rounding"])
def test_change_pct(count, previous, expected):
    got = float(m.change_pct(count, previous))
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_change_test_score_statistic_by_hand():
    # Equal exposure score test: z = (412 - 351) / sqrt(412 + 351) = 61 / 27.6225 = 2.20834,
    # two-sided p = erfc(z / sqrt 2) = 0.027220
    z = 61 / math.sqrt(763)
    assert float(m.change_test(412, 351)) == pytest.approx(math.erfc(z / math.sqrt(2)), rel=1e-9)
    assert float(m.change_test(412, 351)) == pytest.approx(0.02722, abs=1e-5)


def test_change_significant_handles_both_zero_and_missing():
    sig = m.change_significant([412, 100, 0, np.nan], [351, 98, 0, 5])
    assert sig[0] is True or bool(sig[0]) is True
    assert bool(sig[1]) is False
    assert sig[2] is pd.NA and sig[3] is pd.NA


def test_change_test_is_vectorised_and_keeps_shape():
    assert m.change_test(np.array([1, 2, 3]), np.array([3, 2, 1])).shape == (3,)
    assert np.ndim(m.change_test(4, 2)) == 0


# --- ranks ---------------------------------------------------------------------------------

def test_rank_areas_lowest_is_one_ties_min_missing_not_ranked():
    rates = pd.Series({"A": 2.0, "B": 1.0, "C": 2.0, "D": np.nan, "E": 5.0})
    assert m.rank_areas(rates).tolist() == [2, 1, 2, pd.NA, 4]
    assert m.rank_areas(rates, ascending=False)["E"] == 1


def test_london_boroughs_list():
    assert len(m.LONDON_BOROUGHS) == 33
    assert "City of London" in m.LONDON_BOROUGHS
    assert "Aviation Security (SO18)" not in m.LONDON_BOROUGHS


# --- performance dashboard -----------------------------------------------------------------

def _dashboard_input():
    boroughs = {"Barnet": [10] * 12 + [20] * 12, "Brent": [30] * 24, "Harrow": [5] * 24,
                "Camden": [20] * 24, "Aviation Security (SO18)": [1] * 24}
    frames = [_monthly(boroughs, indicator=i) for i in ("personal_robbery", "homicide")]
    monthly = pd.concat(frames, ignore_index=True)
    monthly.loc[monthly["indicator"] == "homicide", "count"] = 0
    pops = {"Barnet": 100_000, "Brent": 100_000, "Harrow": 100_000, "Camden": 100_000,
            "Aviation Security (SO18)": 1}
    return monthly, pops


def test_performance_dashboard_has_exactly_the_contract_columns():
    monthly, pops = _dashboard_input()
    out = m.performance_dashboard(monthly, pops, "Barnet", "2025-12", ["Barnet", "Brent"])
    assert list(out.columns) == [
        "indicator", "window", "period_start", "period_end", "count", "previous_count",
        "change_pct", "rate_per_1000", "rate_lower95", "rate_upper95", "change_significant",
        "london_rank", "london_areas", "bcu_rank", "bcu_areas", "change_p", "change_robust"]
    assert out[["indicator", "window"]].values.tolist() == [
        ["personal_robbery", "3m"], ["homicide", "3m"],
        ["personal_robbery", "12m"], ["homicide", "12m"]]


def test_performance_dashboard_values():
    monthly, pops = _dashboard_input()
    out = m.performance_dashboard(monthly, pops, "Barnet", "2025-12", ["Barnet", "Brent"])
    row = out.iloc[2]  # personal robbery 12m
    assert (row["period_start"], row["period_end"]) == ("2025-01", "2025-12")
    assert (row["count"], row["previous_count"]) == (240, 120)
    assert row["change_pct"] == 100.0
    assert row["rate_per_1000"] == pytest.approx(2.4)
    assert row["rate_lower95"] < 2.4 < row["rate_upper95"]
    assert bool(row["change_significant"]) is True
    # London: Harrow 0.6 < Barnet 2.4 = Camden 2.4 < Brent 3.6; the airport is not ranked
    assert (row["london_rank"], row["london_areas"]) == (2, 4)
    assert (row["bcu_rank"], row["bcu_areas"]) == (1, 2)
    three = out.iloc[0]  # 3-month rate is not annualised
    assert three["count"] == 60 and three["rate_per_1000"] == pytest.approx(0.6)
    homicide = out.iloc[3]
    assert homicide["count"] == 0 and np.isnan(homicide["change_pct"])
    assert homicide["change_significant"] is pd.NA
    assert homicide["london_rank"] == 1  # all tie at 0


def test_performance_dashboard_without_bcu_or_population():
    monthly, pops = _dashboard_input()
    pops.pop("Barnet")
    out = m.performance_dashboard(monthly, pops, "Barnet", "2025-12")
    assert out["rate_per_1000"].isna().all()
    assert out["london_rank"].isna().all() and out["bcu_rank"].isna().all()
    assert out["bcu_areas"].isna().all()
    assert (out["london_areas"] == 3).all()


def test_performance_dashboard_window_before_the_data():
    monthly, pops = _dashboard_input()
    out = m.performance_dashboard(monthly, pops, "Barnet", "2024-12")
    assert out["previous_count"].isna().all()
    assert out["change_significant"].isna().all()
    assert out.loc[0, "count"] == 30


def _tidy_borough(path: Path) -> pd.DataFrame:
    wide = pd.read_parquet(path)
    months = [c for c in wide.columns if str(c).isdigit()]
    frame = wide.rename(columns={"majortext": "major", "minortext": "minor",
                                 "boroughname": "borough"})
    frame = frame.melt(id_vars=["major", "minor", "borough"], value_vars=months,
                       var_name="month", value_name="count")
    frame["month"] = frame["month"].str[:4] + "-" + frame["month"].str[4:]
    return frame.assign(level="borough")


@pytest.mark.skipif(not (MPS / "borough" / "recorded-crime-borough.parquet").exists(),
                    reason="shipped MPS borough data not present")
def test_performance_dashboard_on_real_borough_data():
    frame = _tidy_borough(MPS / "borough" / "recorded-crime-borough.parquet")
    monthly = borough_monthly(frame)
    pops = {b: 300_000 for b in m.LONDON_BOROUGHS}
    out = m.performance_dashboard(monthly, pops, "Barnet", "2026-02", ["Barnet", "Brent",
                                                                       "Harrow"])
    assert len(out) == 9 * 2
    assert (out["london_areas"] == 32).all()  # 32 boroughs; no City of London, no 'Unknown'
    assert out["london_rank"].between(1, 32).all()
    assert (out["bcu_areas"] == 3).all()
    wide = pd.read_parquet(MPS / "borough" / "recorded-crime-borough.parquet")
    barnet = wide[(wide["boroughname"] == "Barnet")
                  & (wide["minortext"] == "VIOLENCE WITH INJURY")]
    expected = int(barnet[[f"2025{m:02d}" for m in range(3, 13)] + ["202601", "202602"]]
                   .sum().sum())
    vwi = out[(out["indicator"] == "violence_with_injury") & (out["window"] == "12m")]
    assert vwi["count"].iloc[0] == expected
    sv = out[out["window"] == "12m"].set_index("indicator")["count"]
    parts = ["homicide", "violence_with_injury", "rape", "other_sexual_offences",
             "personal_robbery", "possession_of_weapons"]
    assert sv["serious_violence"] == sum(sv[p] for p in parts)


# --- funnel limits -------------------------------------------------------------------------

def test_funnel_limit_by_hand_from_the_garwood_table():
    # The upper 95% control limit is the count whose exact lower 95% limit equals the expected
    # count. Garwood's table gives 1.6235 as the exact lower limit of 5 events, so with an
    # expected count of 1.6235 (London rate 0.16235 per 1,000, population 10,000) the upper
    # limit is 5 events = 0.5 per 1,000. Likewise 11.6683 is the exact upper limit of 5
    # events, so with that expected count the lower control limit is 5 events.
    out = funnel.funnel_limits([10_000], london_rate=0.16235, per=1000)
    assert out["upper95"].iloc[0] == pytest.approx(0.5, abs=1e-4)
    out = funnel.funnel_limits([10_000], london_rate=1.16683, per=1000)
    assert out["lower95"].iloc[0] == pytest.approx(0.5, abs=1e-4)


def test_funnel_is_consistent_with_exact_rate_intervals():
    # An area exactly on the upper 99.8% limit has an exact 99.8% lower limit = London rate
    out = funnel.funnel_limits([250_000], london_rate=4.0, per=1000, levels=(0.998,))
    events = out["upper99_8"].iloc[0] * 250
    lo, _ = m.exact_limits(events, confidence=0.998)
    assert float(lo) == pytest.approx(1000.0, rel=1e-9)


def test_funnel_lower_limit_is_zero_when_no_event_is_significant():
    # exact upper limit of 0 events is 3.689, so an expected count below it has lower limit 0
    out = funnel.funnel_limits([1000], london_rate=3.0, per=1000)
    assert out["lower95"].iloc[0] == 0


def test_funnel_limits_contain_the_mean_and_narrow_with_population():
    pops = funnel.funnel_population_grid(1_000, 1_000_000, 50)
    out = funnel.funnel_limits(pops, london_rate=5.0, per=1000)
    assert list(out.columns) == ["population", "expected", "baseline", "lower95", "upper95",
                                 "lower99_8", "upper99_8"]
    assert (out["lower99_8"] <= out["lower95"]).all()
    assert (out["lower95"] <= 5.0).all() and (out["upper95"] >= 5.0).all()
    assert (out["upper95"] <= out["upper99_8"]).all()
    width = out["upper95"] - out["lower95"]
    assert width.iloc[0] > width.iloc[-1] * 10
    assert (np.diff(out["upper95"]) <= 1e-9).all()  # funnel narrows monotonically


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-4, 50), st.integers(1, 5_000_000))
def test_funnel_limits_always_bracket_the_rate(rate, population):
    out = funnel.funnel_limits([population], london_rate=rate, per=1000)
    assert out["lower99_8"].iloc[0] <= out["lower95"].iloc[0] <= rate
    assert rate <= out["upper95"].iloc[0] <= out["upper99_8"].iloc[0]


# --- series --------------------------------------------------------------------------------

def test_rolling_12m():
    monthly = _monthly({"A": list(range(1, 25))})
    out = ser.rolling_12m(monthly).set_index("month")["rolling_12m"]
    assert np.isnan(out["2024-11"])
    assert out["2024-12"] == sum(range(1, 13))
    assert out["2025-12"] == sum(range(13, 25))


def test_rolling_12m_gap_month_is_not_a_zero():
    monthly = _monthly({"A": [1] * 24})
    monthly = monthly[monthly["month"] != "2025-06"]
    out = ser.rolling_12m(monthly).set_index("month")["rolling_12m"]
    assert np.isnan(out["2025-12"]) and "2025-06" not in out.index
    assert out["2025-05"] == 12


def test_seasonal_context_same_month_previous_years():
    monthly = _monthly({"A": list(range(1, 37))}, start="2023-01")
    out = ser.seasonal_context(monthly, "2025-02")
    assert out["month"].tolist() == ["2023-02", "2024-02", "2025-02"]
    assert out["count"].tolist() == [2, 14, 26]
    assert out["is_period"].tolist() == [False, False, True]
    assert out["previous_mean"].iloc[0] == 8 and out["previous_max"].iloc[0] == 14


def test_series_breaks_from_definitions_and_meta():
    meta = {"series_breaks": [{"month": "2015-09", "note": "LAS coding change"}]}
    out = ser.series_breaks(["residential_burglary", "homicide"], meta)
    assert [b["month"] for b in out] == ["2015-09", "2023-04"]
    assert out[1]["indicator"] == "residential_burglary"
    assert ser.series_breaks(["residential_burglary"], months=["2024-01", "2025-12"]) == []


def test_docstring_examples():
    import doctest

    assert doctest.testmod(m).failed == 0


def test_dashboard_suppression_blanks_dependent_values():
    from sna.disclosure import audit_table, suppress

    monthly, pops = _dashboard_input()
    monthly.loc[(monthly["indicator"] == "homicide") & (monthly["borough"] == "Barnet")
                & (monthly["month"] == "2025-12"), "count"] = 2
    out = m.performance_dashboard(monthly, pops, "Barnet", "2025-12")
    safe = suppress(out, ["count", "previous_count"], 5, dependent=m.DASHBOARD_DEPENDENT)
    row = safe[(safe["indicator"] == "homicide") & (safe["window"] == "12m")].iloc[0]
    assert row["count"] is pd.NA and np.isnan(row["rate_per_1000"])
    assert row["change_significant"] is pd.NA and bool(row["suppressed"])
    assert list(safe.columns[:-1]) == list(m.DASHBOARD_COLUMNS)
    assert audit_table(safe, 5) == []


# --- funnel overdispersion (Spiegelhalter 2005) --------------------------------------------

def test_funnel_overdispersion_by_hand():
    """Ten areas with E = 100: sqrt(O) = 10, 11, 9, 12, 8, 10, 13, 7, 14, 10, so
    z = 2 (sqrt O - sqrt E) = 0, 2, -2, 4, -4, 0, 6, -6, 8, 0. Winsorised at the 10% / 90%
    quantiles (type 7: -6 + 0.9 * 2 = -4.2 and 6 + 0.1 * 2 = 6.2): sum z^2 = 132.08,
    phi = 13.208; w = 4E = 400, sum w - sum w^2 / sum w = 3600, tau2 = (132.08 - 9) / 3600."""
    from sna import funnel

    counts = [100, 121, 81, 144, 64, 100, 169, 49, 196, 100]
    od = funnel.overdispersion(counts, [100] * 10)
    assert od["areas"] == 10
    assert od["phi"] == pytest.approx(13.208)
    assert od["tau2"] == pytest.approx(123.08 / 3600)
    # limits for E = 100 (rate 2 per 1,000 in 50,000 residents): (1 +/- z sqrt(s2 + tau2))^2
    lim = funnel.overdispersed_limits([50_000], 2.0, tau2=od["tau2"])
    half = 1.959964 * np.sqrt(1 / 400 + 123.08 / 3600)
    assert lim["upper95"].iloc[0] == pytest.approx(2.0 * (1 + half) ** 2, rel=1e-6)
    assert lim["lower95"].iloc[0] == pytest.approx(2.0 * (1 - half) ** 2, rel=1e-6)
    mult = funnel.overdispersed_limits([50_000], 2.0, phi=od["phi"])
    assert mult["upper95"].iloc[0] == pytest.approx(
        2.0 * (1 + 1.959964 * np.sqrt(13.208 / 400)) ** 2, rel=1e-6)


def test_dispersion_from_z_by_hand_with_unequal_weights():
    """The estimate both funnels share (chapter 02 square-root scale, chapter 09 rate scale):
    z = 1, -1, 3, -3 unwinsorised: phi = 20 / 4 = 5; w = 1, 1, 2, 4: sum w = 8,
    sum w^2 = 22, so tau2 = (4 * 5 - 3) / (8 - 22 / 8) = 17 / 5.25."""
    from sna import funnel

    phi, tau2 = funnel.dispersion_from_z([1, -1, 3, -3], [1, 1, 2, 4], share=0.0)
    assert phi == pytest.approx(5.0)
    assert tau2 == pytest.approx(17 / 5.25)
    assert funnel.dispersion_from_z([0.1, -0.1, 0.2], [1, 1, 1], share=0.0)[1] == 0.0


def test_funnel_no_overdispersion_gives_zero_tau2():
    from sna import funnel

    od = funnel.overdispersion([100, 101, 99, 100, 100], [100] * 5)
    assert od["tau2"] == 0.0 and od["phi"] < 1


def test_random_effects_funnel_flags_about_five_percent_of_heterogeneous_areas():
    """Areas whose true rates vary (log-normal, sd 0.12) around London (200 x 32 areas,
    fixed seed): the Poisson funnel flags most of them; the random-effects funnel without
    winsorising about 5%; with 10% winsorising (robust to outliers, Spiegelhalter's default)
    z^2 shrinks to about two-thirds for normal z, so somewhat more (about 10%)."""
    from sna import funnel

    rng = np.random.default_rng(7)
    pops = rng.uniform(150_000, 400_000, size=(200, 32))
    rates = 8.0 * np.exp(rng.normal(0, 0.12, size=pops.shape))
    counts = rng.poisson(rates * pops / 1000)
    outside_raw = outside_re = outside_exact = 0
    grid = funnel.funnel_population_grid(100_000, 500_000, 60)
    for c, n in zip(counts, pops, strict=True):
        london = c.sum() / n.sum() * 1000
        rate = c / n * 1000
        for share in (0.0, 0.1):
            od = funnel.overdispersion(c, london * n / 1000, share)
            out = funnel.count_outside(rate, n, funnel.overdispersed_limits(
                grid, london, tau2=od["tau2"], levels=(0.95,)))
            outside_raw, outside_re = ((outside_raw + out, outside_re) if share == 0
                                       else (outside_raw, outside_re + out))
        outside_exact += funnel.count_outside(rate, n, funnel.funnel_limits(
            grid, london, levels=(0.95,)))
    assert 0.03 <= outside_raw / counts.size <= 0.075
    assert 0.05 <= outside_re / counts.size <= 0.15
    assert outside_exact / counts.size > 0.5


# --- vintage splices and level shifts ------------------------------------------------------

def test_vintage_splices_from_loader_meta():
    from sna import series

    meta = {"files": [
        {"path": "/x/hist.parquet", "months_used": ["2010-04", "2024-02"], "vintage": "2024-02"},
        {"path": "/x/new.parquet", "months_used": ["2024-03", "2024-03"], "vintage": "2026-02"},
        {"path": "/x/recent.csv", "months_used": ["2024-04", "2026-03"], "vintage": "2026-03"}]}
    got = series.vintage_splices(meta)
    assert [(b["month"], b["file"]) for b in got] == [("2024-03", "new.parquet"),
                                                      ("2024-04", "recent.csv")]
    assert series.vintage_splices(meta, ["2025-01", "2026-03"]) == []


def _seasonal_series(step: float, seed: int) -> pd.Series:
    from sna import periods

    months = periods.month_range("2018-01", "2025-12")
    rng = np.random.default_rng(seed)
    t = np.arange(len(months))
    mu = 300 * (1 + 0.15 * np.cos(2 * np.pi * t / 12)) * np.where(
        np.array(months) >= "2024-03", step, 1.0)
    return pd.Series(rng.poisson(mu), index=months)


def test_level_shift_found_at_a_planted_step_and_not_on_a_seasonal_series():
    from sna import series

    hits = [series.level_shift(_seasonal_series(0.8, s), "2024-03")["p_value"] < 0.05
            for s in range(20)]
    assert sum(hits) >= 19  # -20% on ~1,800 offences per half-year: z about 5
    null = [series.level_shift(_seasonal_series(1.0, s), "2024-03")["p_value"] < 0.05
            for s in range(100, 160)]
    assert sum(null) <= 8  # 5% of 60 = 3; 8 is beyond the 99th percentile of Bin(60, 0.05)
    step = series.level_shift(_seasonal_series(0.8, 1), "2024-03")["step_pct"]
    assert step == pytest.approx(-20, abs=6)
