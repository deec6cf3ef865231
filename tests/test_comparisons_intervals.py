"""Comparisons with London only with a denominator and an interval (issue 20, item 2 / brief
item 4): Wilson intervals against published values, the two-proportion test, and the shipped
Barnet youth re-offending figure that was called "worse than London"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sna import data as sna_data
from sna import proportions
from sna.config import load_config
from sna.sections import young_people as yp

CONFIG = Path(__file__).resolve().parents[1] / "config" / "barnet.yaml"


@pytest.mark.parametrize("k,n,lower,upper", [(81, 263, 25.53, 36.62), (15, 148, 6.24, 16.05)])
def test_wilson_interval_matches_newcombe_1998(k, n, lower, upper):
    """Newcombe (1998), Stat Med 17:857, Table II, method 3 (Wilson score, no continuity
    correction): 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605."""
    lo, hi = proportions.wilson(k, n)
    assert (lo, hi) == (pytest.approx(lower, abs=0.01), pytest.approx(upper, abs=0.01))


def test_two_proportion_test_by_hand():
    """30/100 vs 200/1000: pooled p = 230/1100, z = 0.1 / sqrt(p (1 - p) (1/100 + 1/1000))."""
    from scipy import stats

    pool = 230 / 1100
    z = 0.1 / np.sqrt(pool * (1 - pool) * (1 / 100 + 1 / 1000))
    res = proportions.compare_proportion(30, 100, 200, 1000)
    assert res["p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert res["comparison"] == "worse than London"
    assert proportions.compare_proportion(30, 100, 200, 1000, higher_is_worse=False)["comparison"] == \
        "better than London"


def test_seven_of_twenty_two_is_not_worse_than_london():
    """31.8% (7 of 22) against London's 28.7% of a few thousand: similar, and small."""
    res = proportions.compare_proportion(7, 22, 0.2873 * 3000, 3000)
    assert res["comparison"] == "similar" and res["small_numbers_flag"]
    assert res["area_lower"] < 28.73 < res["area_upper"]


def test_no_cohort_size_means_cannot_be_judged_not_a_ten_percent_rule():
    assert proportions.compare(31.82, 28.73)[0] == "cannot be judged"  # 10.8% above London
    assert proportions.compare(35.0, 28.73)[0] == "cannot be judged"
    assert proportions.compare(np.nan, 28.73)[0] == "no comparison"


@pytest.fixture(scope="module")
def barnet_young():
    cfg = load_config(CONFIG)
    if not cfg.has("dfe_lait"):
        pytest.skip("DfE LAIT data not supplied")
    return yp.young_people(sna_data.load(cfg, "dfe_lait").frame,
                           sna_data.load(cfg, "population").frame, cfg.area.name,
                           cfg.area.code, cfg.area.neighbours)


def test_barnet_youth_reoffending_is_not_worse_than_london(barnet_young):
    """Issue 20: youth proven re-offending 31.8% vs 28.7% was 'worse than London' by the
    >10% rule, with no interval, and a recommendation was built on it."""
    row = barnet_young.set_index("indicator").loc["ReoffYO"]
    assert (row["area_value"], row["london_value"]) == (pytest.approx(31.82),
                                                        pytest.approx(28.73))
    assert row["comparison"] == "cannot be judged"
    assert bool(row["small_numbers_flag"])
    # the 'statistical neighbours average' rests on the boroughs that published a value
    assert row["neighbours_areas"] == 1 and row["neighbours_listed_areas"] == 5


def test_barnet_rates_with_census_denominators_keep_their_interval(barnet_young):
    """First-time entrants 146 per 100,000 of ~38,700 aged 10-17 (about 56 young people):
    the interval (about 110 to 189) contains London's 157, so similar, not better."""
    fte = barnet_young.set_index("indicator").loc["FirstYJS"]
    assert fte["area_lower"] < fte["london_value"] < fte["area_upper"]
    assert fte["comparison"] == "similar"


def test_young_people_table_passes_the_disclosure_audit(barnet_young):
    """Flags and area counts must not look like small counts to the audit."""
    from sna.disclosure import audit_table

    assert audit_table(barnet_young, 5) == []
