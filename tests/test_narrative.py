"""Tests for sna.narrative: change and rate-comparison sentences, ordinals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna.narrative import (
    change_sentence,
    format_count,
    format_rate,
    join_and,
    mid_sentence,
    ordinal,
    rate_comparison_sentence,
    window_phrase,
)

WL = "the 12 months to February 2026"


@pytest.mark.parametrize(("n", "expected"), [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (32, "32nd"), (101, "101st"), (111, "111th"),
    (112, "112th")])
def test_ordinal(n, expected):
    assert ordinal(n) == expected


@pytest.mark.parametrize(("items", "expected"), [
    ([], ""), (["Burnt Oak"], "Burnt Oak"), (["Burnt Oak", "Colindale"], "Burnt Oak and Colindale"),
    (["A", "B", "C"], "A, B and C"), ((3, 1), "3 and 1")], ids=["none", "one", "two", "three",
                                                              "numbers"])
def test_join_and(items, expected):
    assert join_and(items) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Violence with injury", "violence with injury"), ("IOM cohort", "IOM cohort"),
    ("A&E attendances", "A&E attendances"), ("Knife crime", "knife crime"), ("", "")])
def test_mid_sentence(text, expected):
    assert mid_sentence(text) == expected


def test_window_phrase():
    assert window_phrase("12m", "2026-02") == WL
    assert window_phrase("3m", "2025-12") == "the 3 months to December 2025"
    assert window_phrase(1, "2025-12") == "December 2025"


def test_rising_significant_with_rank():
    text = change_sentence("Personal robbery", 412, 351, 17.4, True, WL, 3, 32, "Barnet")
    assert text == ("Personal robbery rose 17.4% in the 12 months to February 2026 (412 vs "
                    "351); the change is statistically significant; Barnet ranks 3rd of 32 "
                    "London boroughs (1 = lowest rate).")


def test_falling_not_significant_thousands_separator():
    text = change_sentence("Violence with injury", 1790, 1850, -3.2, False, WL)
    assert text == ("Violence with injury fell 3.2% in the 12 months to February 2026 "
                    "(1,790 vs 1,850); the change is not statistically significant.")


def test_no_change():
    text = change_sentence("Rape", 80, 80, 0.0, False, WL)
    assert text == "Rape was unchanged in the 12 months to February 2026 (80 vs 80)."


def test_virtually_unchanged_keeps_the_test_result():
    text = change_sentence("Rape", 2001, 2000, 0.0, False, WL)
    assert text.startswith("Rape was virtually unchanged in")
    assert text.endswith("(2,001 vs 2,000); the change is not statistically significant.")


@pytest.mark.parametrize("missing", [np.nan, None, pd.NA])
def test_insufficient_data(missing):
    text = change_sentence("Homicide", 5, missing, np.nan, None, WL)
    assert text == ("Homicide: there is not enough data to compare the 12 months to February "
                    "2026 with the same period a year earlier.")


def test_zero_baseline_up_from_none():
    text = change_sentence("Knife crime with injury", 12, 0, np.nan, True, WL)
    assert text == ("Knife crime with injury: 12 offences in the 12 months to February 2026, "
                    "up from none a year earlier; the change is statistically significant.")


def test_both_zero():
    text = change_sentence("Homicide", 0, 0, np.nan, pd.NA, WL, 1, 32, "Barnet")
    assert text == ("Homicide: none recorded in the 12 months to February 2026 or in the same "
                    "period a year earlier; Barnet ranks 1st of 32 London boroughs "
                    "(1 = lowest rate).")


@pytest.mark.parametrize(("count", "previous", "now", "then"), [
    (3, 2, "fewer than 5", "fewer than 5"), (12, 4, "12", "fewer than 5"),
    (1, 0, "fewer than 5", "none")], ids=["both-small", "previous-small", "small-vs-zero"])
def test_small_counts_are_not_disclosed(count, previous, now, then):
    text = change_sentence("Homicide", count, previous, 200.0, True, WL)
    assert text == (f"Homicide: {now} offences in the 12 months to February 2026, compared "
                    f"with {then} a year earlier; the numbers are too small to describe a "
                    "change.")
    assert "%" not in text and "significant" not in text


def test_change_pct_is_recomputed_when_missing():
    text = change_sentence("Rape", 110, 100, np.nan, None, WL)
    assert text == "Rape rose 10.0% in the 12 months to February 2026 (110 vs 100)."


def test_rank_needs_all_three_and_custom_group():
    assert "ranks" not in change_sentence("Rape", 110, 100, 10.0, None, WL, 3, None, "Barnet")
    text = change_sentence("Rape", 110, 100, 10.0, None, WL, 2, 3, "Barnet",
                           rank_group="boroughs in the BCU")
    assert text.endswith("Barnet ranks 2nd of 3 boroughs in the BCU (1 = lowest rate).")


def test_format_helpers():
    assert format_count(1234) == "1,234" and format_count(0) == "none"
    assert format_count(4) == "fewer than 5" and format_count(2, min_count=3) == "fewer than 3"
    assert format_count(np.nan) == "an unknown number"
    assert format_rate(12.345) == "12.3" and format_rate(4.6) == "4.60"
    assert format_rate(0.0257) == "0.026"


@pytest.mark.parametrize(("rate", "lower", "upper", "verdict"), [
    (6.0, 5.6, 6.4, "is significantly higher than"),
    (4.6, 4.39, 4.82, "is significantly lower than"),
    (5.0, 4.5, 5.5, "is similar to"),
    (5.6, 5.1, 6.1, "is similar to")], ids=["higher", "lower", "similar", "touching"])
def test_rate_comparison(rate, lower, upper, verdict):
    text = rate_comparison_sentence(rate, 5.1, lower, upper, area="Barnet")
    assert verdict in text
    assert text.startswith(f"The rate in Barnet ({format_rate(rate)} per 1,000 residents; "
                           f"95% CI {format_rate(lower)} to {format_rate(upper)})")
    assert text.endswith("the London rate (5.10 per 1,000).")


def test_rate_comparison_with_label_and_missing():
    text = rate_comparison_sentence(4.6, 5.1, 4.39, 4.82, area="Barnet",
                                    label="Personal robbery")
    assert text.startswith("The personal robbery rate in Barnet")
    assert rate_comparison_sentence(np.nan, 5.1, np.nan, np.nan, area="Barnet") == (
        "The rate in Barnet cannot be compared with London (not enough data).")
    assert rate_comparison_sentence(1.0, 2.0, 0.5, 1.5, area="Barnet",
                                    label="GBH").startswith("The GBH rate in Barnet")


def test_docstring_examples():
    import doctest

    import sna.narrative

    assert doctest.testmod(sna.narrative).failed == 0


def test_small_open_counts_are_shown_not_called_a_percentage_change():
    """Issue 20/19: homicide 1 vs 2 (open data, shown as published) read 'fell 50.0% (fewer
    than 5 vs fewer than 5)'; now the counts are given and no percentage is made of them."""
    text = change_sentence("Homicide", 1, 2, -50.0, False, "the 12 months to March 2026",
                             7, 32, "Barnet", min_count=1)
    assert "50.0%" not in text and "fewer than" not in text
    assert "1 offence in" in text and "with 2 a year" in text
    assert "too small" in text
