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


# --- disclosure by sensitivity (declarations in sna.tables) --------------------------------

def _vulnerable() -> pd.DataFrame:
    """The shape of tables/vulnerable_populations.csv: ``value`` is a count only where
    ``unit == 'count'`` (IOM cohort 105 of whom 4 female and 101 male; a 4.9% change)."""
    return pd.DataFrame({
        "indicator": ["iom_cohort", "iom_cohort_female", "iom_cohort_male", "iom_pct_change",
                      "si_suspects_age_10_14"],
        "value": [105.0, 4.0, 101.0, 4.9, 3.0],
        "unit": ["count", "count", "count", "percent", "count"]})


def test_old_name_based_audit_missed_partner_value_column():
    # the defect: `value` is not a count-like name, so IOM cohort 4 and suspects 3 passed
    assert audit_table(_vulnerable()) == []


def test_partner_value_counts_suppressed_whatever_open_data_says():
    from sna.declared import audit_declared, suppress_declared
    from sna.tables import TABLES

    spec = TABLES["vulnerable_populations"]
    assert len(audit_declared(_vulnerable(), spec, 5, 1)) == 2
    for open_min in (1, 5):  # open_data: publish or suppress
        out = suppress_declared(_vulnerable(), spec, 5, open_min)
        assert out["value"].isna().tolist() == [False, True, False, False, True]
        assert out.loc[3, "value"] == 4.9  # a percentage row is not a count: untouched
        assert audit_declared(out, spec, 5, open_min) == []


def _dashboard() -> pd.DataFrame:
    return pd.DataFrame({"indicator": ["homicide", "rape"], "window": "12m",
                         "period_start": "2025-04", "period_end": "2026-03",
                         "count": [1, 279], "previous_count": [3, 227],
                         "change_pct": [-66.7, 22.9], "rate_per_1000": [0.003, 0.72],
                         "rate_lower95": [0.0, 0.6], "rate_upper95": [0.01, 0.8]})


def test_open_counts_shown_as_published_unless_open_data_suppress():
    from sna.declared import audit_declared, suppress_declared
    from sna.tables import TABLES

    spec = TABLES["performance_dashboard"]
    shown = suppress_declared(_dashboard(), spec, 5, 1)
    assert shown["count"].tolist() == [1, 279] and audit_declared(shown, spec, 5, 1) == []
    hidden = suppress_declared(_dashboard(), spec, 5, 5)
    assert hidden["count"].isna().tolist() == [True, False]
    assert hidden["previous_count"].isna().tolist() == [True, False]
    assert np.isnan(hidden.loc[0, "change_pct"]) and np.isnan(hidden.loc[0, "rate_upper95"])
    assert len(audit_declared(shown, spec, 5, 5)) == 2  # 1 and 3 under open_data: suppress


def test_mixed_table_partner_rows_only():
    from sna.declared import suppress_declared
    from sna.tables import TableSpec

    spec = TableSpec("mixed", ("count",), partner_where={"source": "partner"})
    frame = pd.DataFrame({"source": ["mps", "partner", "partner"], "count": [2, 3, 40]})
    out = suppress_declared(frame, spec, 5, 1)
    assert out["count"].isna().tolist() == [False, True, False]


def test_every_table_of_the_default_run_is_declared():
    from sna.tables import TABLES

    names = {"performance_dashboard", "sv_breakdown", "monthly_series", "ward_indicators",
             "vulnerable_populations", "concentration", "cctv_by_ward", "homicide",
             "stop_search", "london_comparison"}
    assert names <= set(TABLES)
    assert TABLES["vulnerable_populations"].sensitivity == "partner"
    assert TABLES["performance_dashboard"].sensitivity == "open"


def test_html_audit_respects_open_mark():
    page = ('<table data-sensitivity="open"><tr><th>Count</th></tr><tr><td>3</td></tr></table>'
            '<table><tr><th>Count</th></tr><tr><td>2</td></tr></table>')
    problems = audit_html(page, 5, open_min=1)
    assert len(problems) == 1 and "table 2" in problems[0]  # the unmarked table: partner rules
    assert len(audit_html(page, 5, open_min=5)) == 2


# --- differencing across tables ------------------------------------------------------------

SV_PARTS = {"violence_with_injury": 1790, "personal_robbery": 555, "rape": 279,
            "other_sexual_offences": 505, "possession_of_weapons": 168, "homicide": 1}


def _sv_tables(hidden: set[str], weapons_elsewhere: bool = False):
    """The issue's example: SV total 3,298 on the dashboard, components in sv_breakdown."""
    from sna.tables import TABLES

    rows = [{"indicator": k, "period_start": "2025-04", "period_end": "2026-03",
             "count": np.nan if k in hidden else v} for k, v in SV_PARTS.items()]
    dash = pd.DataFrame([{"indicator": "serious_violence", "window": "12m",
                          "period_start": "2025-04", "period_end": "2026-03", "count": 3298}])
    frames = {"performance_dashboard": (dash, TABLES["performance_dashboard"]),
              "sv_breakdown": (pd.DataFrame(rows), TABLES["sv_breakdown"])}
    if weapons_elsewhere:  # chapter 03's table printed the weapons count the dashboard hid
        frames["ward_indicators"] = (pd.DataFrame([{
            "ward_code": "E05000001", "indicator": "possession_of_weapons", "window": "12m",
            "period_start": "2025-04", "period_end": "2026-03", "count": 168}]),
            TABLES["ward_indicators"])
    return frames


def test_one_hidden_component_is_recoverable_from_the_total():
    from sna.differencing import leaks

    problems = leaks(_sv_tables({"homicide"}))
    assert len(problems) == 1 and "homicide in the borough, 2025-04 to 2026-03" in problems[0]
    assert "1 " not in problems[0].split("recovered")[1]  # the value itself is never printed


def test_two_hidden_components_protect_each_other_unless_published_elsewhere():
    from sna.differencing import leaks

    assert leaks(_sv_tables({"homicide", "possession_of_weapons"})) == []
    # weapons hidden in sv_breakdown but a ward table (the only ward) gives it: leak again
    problems = leaks(_sv_tables({"homicide", "possession_of_weapons"}, weapons_elsewhere=True))
    assert any("homicide in the borough" in p for p in problems)


def test_monthly_series_against_the_12_month_total():
    from sna.differencing import leaks
    from sna.periods import month_range
    from sna.tables import TABLES

    months = month_range("2025-04", "2026-03")
    series = pd.DataFrame({"indicator": "homicide", "month": months,
                           "count": [np.nan if m == "2025-09" else 0 for m in months]})
    dash = pd.DataFrame([{"indicator": "homicide", "period_start": "2025-04",
                          "period_end": "2026-03", "count": 1}])
    frames = {"monthly_series": (series, TABLES["monthly_series"]),
              "performance_dashboard": (dash, TABLES["performance_dashboard"])}
    assert len(leaks(frames)) == 1 and "2025-09" in leaks(frames)[0]
    dash["count"] = np.nan  # total hidden too: two unknowns
    assert leaks(frames) == []


def _ward_table() -> pd.DataFrame:
    """Three wards; homicide 1 in W1 only; each ward's serious violence row = its parts."""
    parts = {"violence_with_injury": [60, 50, 40], "personal_robbery": [20, 15, 10],
             "homicide": [1, 0, 0], "rape": [9, 8, 6], "other_sexual_offences": [12, 7, 9],
             "possession_of_weapons": [8, 6, 30]}
    rows = []
    for w, ward in enumerate(["W1", "W2", "W3"]):
        for ind, vals in parts.items():
            rows.append({"ward_code": ward, "indicator": ind, "count": vals[w]})
        rows.append({"ward_code": ward, "indicator": "serious_violence",
                     "count": sum(v[w] for v in parts.values())})
    frame = pd.DataFrame(rows).assign(window="12m", period_start="2025-04",
                                      period_end="2026-03", previous_count=50)
    return frame


def test_ward_components_protected_in_both_directions():
    from dataclasses import replace

    from sna.declared import suppress_declared
    from sna.differencing import leaks
    from sna.tables import TABLES

    wards = _ward_table()
    borough = (wards.groupby("indicator", as_index=False)["count"].sum()
               .assign(period_start="2025-04", period_end="2026-03"))
    borough["count"] = borough["count"].astype(float)
    borough.loc[borough["indicator"].isin(["homicide", "rape"]), "count"] = np.nan
    spec = TABLES["ward_indicators"]
    dash = (borough, TABLES["performance_dashboard"])
    safe = suppress_declared(wards, spec, 5, 5)
    assert leaks({"ward_indicators": (safe, spec), "performance_dashboard": dash}) == []
    # one direction only (wards of an indicator): W1's homicide = its SV row minus its parts
    one_way = suppress_declared(wards, replace(spec, sv_by=()), 5, 5)
    problems = leaks({"ward_indicators": (one_way, spec), "performance_dashboard": dash})
    assert any("homicide in ward W1" in p for p in problems)


def test_concentration_total_cannot_undo_the_dashboard_suppression():
    # the case: the dashboard hid weapons (168) to protect homicide (1), but the
    # concentration table printed 168 as the weapons total over wards
    from sna.declared import suppress_declared
    from sna.differencing import leaks
    from sna.tables import TABLES

    shown = {k: v for k, v in SV_PARTS.items() if k != "homicide"}
    conc = pd.DataFrame({"level": "ward", "indicator": [*shown, "serious_violence"],
                         "top_count": [400, 150, 60, 120, 50, 700],
                         "total": [*shown.values(), 3298]})
    conc["top_share_pct"] = 100 * conc["top_count"] / conc["total"]
    dash, _ = _sv_tables({"homicide", "possession_of_weapons"})["sv_breakdown"]
    frames = {"sv_breakdown": (dash, TABLES["sv_breakdown"]),
              "concentration": (conc, TABLES["concentration"])}
    problems = leaks(frames, period="2026-03")
    assert any("homicide in the borough" in p for p in problems)
    safe = suppress_declared(conc, TABLES["concentration"], 5, 5)
    frames["concentration"] = (safe, TABLES["concentration"])
    assert leaks(frames, period="2026-03") == []
    assert safe.loc[safe["indicator"] == "possession_of_weapons", "total"].isna().all()
    # open_data: publish: shown as published
    assert suppress_declared(conc, TABLES["concentration"], 5, 1)["total"].notna().all()


# --- the publish path and the post-run audit -----------------------------------------------

def _chapter(root, tmp_path, open_data="publish"):
    from dataclasses import replace

    from sna.chapter import Chapter
    from sna.config import load_config

    cfg = replace(load_config(root / "config" / "barnet.yaml"), open_data=open_data)
    return Chapter("04_risk_protective", cfg, "2026-03", tmp_path)


def test_publish_uses_the_declaration_and_the_audit_fails_undeclared_tables(root, tmp_path):
    from types import SimpleNamespace

    from sna.report.publish import audit, declarations

    ch = _chapter(root, tmp_path)
    safe = ch.publish(_vulnerable(), "vulnerable_populations")  # no count_cols given
    assert safe["value"].isna().sum() == 2  # partner counts 4 and 3, found by the declaration
    ch.publish(_dashboard(), "performance_dashboard")
    ch.publish(pd.DataFrame({"count": [2]}), "my_new_table")  # undeclared
    declared = declarations(tmp_path)
    assert declared["vulnerable_populations"] == {
        "declared": True, "sensitivity": "partner", "count_columns": ["value"]}
    assert declared["my_new_table"]["declared"] is False
    ctx = SimpleNamespace(work=tmp_path, cfg=ch.cfg, period="2026-03")
    problems = audit(ctx, declared)
    assert any("my_new_table.csv: not declared" in p for p in problems)
    assert not any("vulnerable_populations" in p or "performance_dashboard" in p
                   for p in problems)  # dashboard count 1: open data shown as published


def test_explicit_sensitivity_overrides_the_declaration(root, tmp_path):
    ch = _chapter(root, tmp_path)
    shown = ch.publish(_dashboard(), "performance_dashboard")
    hidden = ch.publish(_dashboard(), "performance_dashboard", sensitivity="partner")
    assert shown["count"].tolist() == [1, 279]
    assert hidden["count"].isna().tolist() == [True, False]


def test_open_data_suppress_hides_open_counts_everywhere(root, tmp_path):
    from types import SimpleNamespace

    from sna.report.publish import audit

    ch = _chapter(root, tmp_path, open_data="suppress")
    safe = ch.publish(_dashboard(), "performance_dashboard")
    assert safe["count"].isna().tolist() == [True, False]
    # a page table marked open is held to min_count under open_data: suppress
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "02.html").write_text(
        '<table data-sensitivity="open"><tr><th>Count</th></tr><tr><td>3</td></tr></table>')
    problems = audit(SimpleNamespace(work=tmp_path, cfg=ch.cfg, period="2026-03"))
    assert len(problems) == 1 and "chapters/02.html" in problems[0]
