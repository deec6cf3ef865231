"""Tests for sna.disclosure: primary, dependent and secondary suppression; table/HTML audits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna.disclosure import audit_html, audit_table, is_count_column, suppress


def _wards(counts: list[int], indicator: str = "robbery") -> pd.DataFrame:
    return pd.DataFrame({"indicator": indicator, "ward": [f"W{i}" for i in range(len(counts))],
                         "count": counts, "rate": [c / 10 for c in counts]})


# --- primary suppression -------------------------------------------------------------------

def test_counts_one_to_four_are_blanked_and_flagged_zero_and_five_are_kept():
    out = suppress(_wards([0, 1, 4, 5, 12]), "count")
    assert out["count"].tolist()[:1] == [0]
    assert out["count"].isna().tolist() == [False, True, True, False, False]
    assert out["suppressed"].tolist() == [False, True, True, False, False]
    assert out["count"].dtype == "Int64"  # CSV shows 12, not 12.0


def test_dependent_rates_are_blanked_with_their_count():
    out = suppress(_wards([3, 50]), "count", rate_cols={"count": ["rate"]})
    assert np.isnan(out.loc[0, "rate"]) and out.loc[1, "rate"] == 5.0


def test_dependent_alias_and_list_form():
    frame = pd.DataFrame({"count": [2, 9], "previous_count": [9, 9], "change_pct": [1.0, 0.0]})
    out = suppress(frame, ["count", "previous_count"], dependent={"count": ["change_pct"]})
    assert out["change_pct"].isna().tolist() == [True, False]
    out = suppress(frame, ["count", "previous_count"], rate_cols=["change_pct"])
    assert out["change_pct"].isna().tolist() == [True, False]


def test_threshold_follows_min_count():
    out = suppress(_wards([2, 3, 9]), "count", min_count=3)
    assert out["count"].isna().tolist() == [True, False, False]


def test_input_is_not_modified_and_unknown_column_is_an_error():
    frame = _wards([1, 10])
    suppress(frame, "count")
    assert frame["count"].tolist() == [1, 10]
    with pytest.raises(ValueError, match="nope"):
        suppress(frame, "nope")


def test_existing_suppressed_flag_is_kept():
    frame = _wards([10, 10]).assign(suppressed=[True, False])
    assert suppress(frame, "count")["suppressed"].tolist() == [True, False]


# --- secondary suppression -----------------------------------------------------------------

def test_single_hidden_cell_in_a_group_hides_the_next_smallest():
    out = suppress(_wards([3, 20, 7, 0, 40]), "count", group_cols="indicator")
    # 3 hidden; the next smallest non-zero cell (7) is hidden too, zero stays published
    assert out["count"].isna().tolist() == [True, False, True, False, False]


def test_hidden_cells_must_add_up_to_the_threshold():
    out = suppress(_wards([1, 2, 6, 30]), "count", group_cols="indicator")
    # 1 + 2 = 3 < 5 could be recovered as "3 in two wards": hide 6 as well
    assert out["count"].isna().tolist() == [True, True, True, False]


def test_two_hidden_cells_with_enough_between_them_need_nothing_more():
    out = suppress(_wards([2, 4, 6, 30]), "count", group_cols="indicator")
    assert out["count"].isna().tolist() == [True, True, False, False]


def test_groups_are_protected_independently():
    frame = pd.concat([_wards([3, 20, 30], "a"), _wards([10, 20, 30], "b")], ignore_index=True)
    out = suppress(frame, "count", group_cols=["indicator"])
    assert out["count"].isna().tolist() == [True, True, False, False, False, False]


def test_total_row_in_the_table_is_hidden_when_no_cell_is_left():
    frame = pd.DataFrame({"ward": ["W1", "W2", "Total"], "count": [3, 0, 3],
                          "g": "x"})
    out = suppress(frame, "count", group_cols="g", total_row={"ward": "Total"})
    assert out["count"].isna().tolist() == [True, False, True]


def test_total_row_hidden_by_primary_needs_no_secondary():
    frame = pd.DataFrame({"ward": ["W1", "W2", "Total"], "count": [3, 0, 3], "g": "x"})
    frame.loc[2, "count"] = 3
    out = suppress(frame, "count", group_cols="g", total_row={"ward": "Total"})
    assert out["count"].isna().tolist() == [True, False, True]
    frame = pd.DataFrame({"ward": ["W1", "W2", "Total"], "count": [2, 1, 3], "g": "x"})
    out = suppress(frame, "count", group_cols="g", total_row={"ward": "Total"})
    assert out["count"].isna().tolist() == [True, True, True]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=12), st.integers(2, 10))
def test_no_small_count_survives_and_no_hidden_cell_can_be_recovered(cells, min_count):
    frame = pd.DataFrame({"g": "x", "count": cells})
    out = suppress(frame, "count", min_count, group_cols="g")
    published = out["count"].dropna().astype(int)
    assert not ((published > 0) & (published < min_count)).any()
    hidden = out["count"].isna()
    if hidden.any():
        recovered = sum(cells) - int(published.sum())  # what the (external) total reveals
        can_protect = (frame["count"] > 0).sum() >= 2 and sum(cells) >= min_count
        if can_protect:
            assert hidden.sum() >= 2
            assert recovered >= min_count


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=10))
def test_total_row_subtraction_never_reveals_a_small_number(cells):
    frame = pd.DataFrame({"ward": [f"W{i}" for i in range(len(cells))] + ["Total"],
                          "count": [*cells, sum(cells)], "g": "x"})
    out = suppress(frame, "count", 5, group_cols="g", total_row={"ward": "Total"})
    total = out["count"].iloc[-1]
    body = out["count"].iloc[:-1]
    if body.isna().any() and not pd.isna(total):
        recovered = int(total) - int(body.dropna().sum())
        assert body.isna().sum() >= 2 and recovered >= 5


# --- audits --------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("count", True), ("previous_count", True), ("Number of offences", True), ("victims", True),
    ("rate_per_1000", False), ("london_areas", False), ("population", False),
    ("change_pct", False), ("% change", False), ("Rate per 1,000", False), ("ward_code", False)])
def test_is_count_column(name, expected):
    assert is_count_column(name) is expected


def test_audit_table_reports_small_counts_with_spreadsheet_rows():
    frame = pd.DataFrame({"ward": ["A", "B", "C"], "count": [0, 3, 10],
                          "rate_per_1000": [0.0, 1.0, 2.0], "previous_count": [7, 8, 4]})
    problems = audit_table(frame, 5)
    assert len(problems) == 2
    assert problems[0].startswith("row 3, column 'count': 3")
    assert problems[1].startswith("row 4, column 'previous_count': 4")
    assert audit_table(suppress(frame, ["count", "previous_count"]), 5) == []


def test_audit_table_accepts_explicit_columns():
    frame = pd.DataFrame({"offences_ytd": [2], "n_wards": [3]})
    assert len(audit_table(frame, 5, count_cols=["offences_ytd"])) == 1


HTML = """
<html><body>
<table><caption>Robbery by ward</caption>
<thead><tr><th>Ward</th><th>Count</th><th>Rate per 1,000</th></tr></thead>
<tbody>
<tr><td>Burnt Oak</td><td>3</td><td>0.4</td></tr>
<tr><td>Colindale</td><td>1,204</td><td>2</td></tr>
<tr><td>Hendon</td><td></td><td></td></tr>
<tr><td>Mill Hill</td><td>0</td><td>0</td></tr>
</tbody></table>
<table><tr><th colspan="2">Area</th><th>Number of victims</th></tr>
<tr><td>a</td><td>b</td><td>2</td></tr></table>
<p>Not a table: 3 offences</p>
</body></html>
"""


def test_audit_html_finds_small_counts_in_count_columns_only():
    problems = audit_html(HTML, 5)
    assert len(problems) == 2
    assert "table 1 ('Robbery by ward'), row 2, column 'Count': 3" in problems[0]
    assert "table 2, row 2, column 'Number of victims': 2" in problems[1]


def test_audit_html_clean_page_and_garbage():
    assert audit_html("<table><tr><th>Count</th></tr><tr><td>12</td></tr></table>", 5) == []
    assert audit_html("<table><tr><td>unclosed", 5) == []
    assert audit_html("", 5) == []


def test_flag_column_can_be_renamed_or_left_out():
    assert "hidden" in suppress(_wards([1, 9]), "count", flag="hidden")
    out = suppress(_wards([1, 9]), "count", flag=None)
    assert list(out.columns) == ["indicator", "ward", "count", "rate"]
    assert out["count"].isna().tolist() == [True, False]
