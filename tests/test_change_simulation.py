"""The change test of :mod:`sna.change` validated by simulation (issue 20, item 6).

Null series are seasonal and overdispersed like Barnet's (level ~270 offences a month, Pearson
dispersion 1.5, negative binomial); with 2,000 simulations the standard error of a 5%
false-positive rate is sqrt(0.05 * 0.95 / 2000) = 0.49 points, so the tolerance
[3.5%, 6.5%] is about three standard errors either side. Seeds are fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

from sna import change, metrics, periods

MONTHS = periods.month_range("2019-04", "2026-03")  # 84 months: 7 years ending March 2026
N_MONTHS = len(MONTHS)
SEASON = 1 + 0.12 * np.cos(2 * np.pi * (np.arange(N_MONTHS) - 6) / 12)


def simulate(n: int, seed: int, effect: float = 1.0, phi: float = 1.5, level: float = 270,
             ) -> np.ndarray:
    """``n`` monthly series (rows); the last 12 months multiplied by ``effect``."""
    rng = np.random.default_rng(seed)
    mu = level * SEASON * np.where(np.arange(N_MONTHS) >= N_MONTHS - 12, effect, 1.0)
    size = mu / (phi - 1)  # negative binomial with variance phi * mu
    return rng.negative_binomial(size, size / (size + mu), size=(n, N_MONTHS))


def new_pvalues(x: np.ndarray) -> np.ndarray:
    """The dashboard's 12-month test, vectorised over the rows of ``x`` (same formulas as
    :func:`sna.change.change_result`, checked against it below)."""
    phi, df = change.pearson_dispersion(x[:, -72:].reshape(len(x), 6, 12))
    return change.score_pvalue(x[:, -12:].sum(1), x[:, -24:-12].sum(1), 1,
                               np.maximum(phi, 1), df)


def test_vectorised_formula_is_what_the_dashboard_uses():
    x = simulate(20, seed=11)
    each = [change.change_result(pd.Series(r, index=MONTHS), "2026-03")["p_value"] for r in x]
    assert np.allclose(each, new_pvalues(x), atol=1e-5)


def test_dispersion_equals_statsmodels_glm_pearson_chi2():
    """Closed-form dispersion == Poisson GLM log(mu) = year + month, Pearson chi2 / df."""
    x = simulate(1, seed=3)[0, -72:]
    frame = pd.DataFrame({"y": x, "year": np.repeat(np.arange(6), 12),
                          "month": np.tile(np.arange(12), 6)})
    fit = smf.glm("y ~ C(year) + C(month)", frame, family=sm.families.Poisson()).fit()
    phi, df = change.pearson_dispersion(x.reshape(6, 12))
    assert df == fit.df_resid == 55
    assert float(phi) == pytest.approx(fit.pearson_chi2 / fit.df_resid, rel=1e-8)


def test_dispersion_recovers_the_simulated_value():
    x = simulate(400, seed=5)
    phi, _ = change.pearson_dispersion(x[:, -72:].reshape(400, 6, 12))
    assert np.mean(phi) == pytest.approx(1.5, abs=0.05)


def test_null_false_positive_rate_is_near_five_percent():
    p = new_pvalues(simulate(2000, seed=20))
    assert 0.035 <= np.mean(p < 0.05) <= 0.065


def test_old_poisson_score_test_has_too_many_false_positives():
    """The two-Poisson score test used before issue 20 on the same null series: about 11%
    (z shrinks by sqrt(1.5): P(|Z| > 1.96 / 1.22) = 0.11)."""
    x = simulate(2000, seed=20)
    p = metrics.change_test(x[:, -12:].sum(1), x[:, -24:-12].sum(1))
    assert np.mean(p < 0.05) > 0.085


def test_planted_rise_of_20_percent_is_found():
    assert np.mean(new_pvalues(simulate(500, seed=21, effect=1.2)) < 0.05) > 0.99


def test_planted_rise_of_8_percent_has_useful_power():
    """Expected power about 0.75 (z = 0.08 * 3240 / sqrt(1.5 * 6739) = 2.6)."""
    assert np.mean(new_pvalues(simulate(500, seed=22, effect=1.08)) < 0.05) > 0.6


def test_dispersion_falls_back_to_poisson_on_short_history():
    s = pd.Series(simulate(1, seed=4)[0, -20:], index=MONTHS[-20:])
    res = change.change_result(s, "2026-03", "3m")
    assert res["dispersion"] == 1.0 and "too short" in res["method"]
    assert np.isfinite(res["p_value"])


def _robust_rate(x: np.ndarray) -> float:
    """Share of the rows of ``x`` whose 12-month change is robust (one vectorised call:
    each simulated series is an 'indicator')."""
    wide = pd.DataFrame(x, index=[f"s{i}" for i in range(len(x))], columns=MONTHS)
    checks = change.robustness(wide, "2026-03", ["12m"])
    assert set(checks["check"]) == {"year_earlier", "one_month_earlier", "three_year_average"}
    return float(change.robust_flags(checks)["change_robust"].astype(bool).mean())


def test_robust_flag_finds_planted_rise_and_rarely_fires_on_null():
    assert _robust_rate(simulate(300, seed=30, effect=1.2)) > 0.9
    assert _robust_rate(simulate(1000, seed=31)) <= 0.05


def test_three_year_average_statistic_by_hand():
    """c = 130 against 100, 110, 90 (mean 100), phi 2: z = 30 / sqrt(2 * 430 / 3)."""
    z = 30 / np.sqrt(2 * 430 / 3)
    p = change.score_pvalue(130, 300, 3, 2.0, np.inf)

    assert float(p) == pytest.approx(2 * stats.norm.sf(z))


def test_quasi_poisson_change_test_reduces_to_poisson_and_scales():
    pois = metrics.change_test(150, 100)
    assert float(metrics.change_test(150, 100, dispersion=1.0)) == pytest.approx(float(pois))
    z = 50 / np.sqrt(2 * 250)

    assert float(metrics.change_test(150, 100, dispersion=2.0, df=30)) == pytest.approx(
        2 * stats.t.sf(z, 30))


def test_group_dispersion_matches_one_series_at_a_time():
    x = simulate(3, seed=40)
    frame = pd.concat([pd.DataFrame({"ward": f"w{i}", "month": MONTHS, "count": r})
                       for i, r in enumerate(x)], ignore_index=True)
    got = change.group_dispersion(frame, ["ward"], "2026-03").set_index("ward")
    for i in range(3):
        one = change.dispersion(pd.Series(x[i], index=MONTHS), "2026-03")
        assert got.loc[f"w{i}", "dispersion"] == pytest.approx(one.phi)
        assert got.loc[f"w{i}", "df"] == one.df == 55
    short = change.group_dispersion(frame[frame["month"] >= "2024-04"], ["ward"], "2026-03")
    assert (short["df"] == 11).all()  # two complete years in the data
    short = change.group_dispersion(frame[frame["month"] >= "2024-05"], ["ward"], "2026-03")
    assert (short["dispersion"] == 1.0).all() and np.isinf(short["df"]).all()
