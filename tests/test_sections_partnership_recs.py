"""Chapters 05, 06, 07 and 00 sections: partnership and gap analysis, recommendation rules,
implementation plan, monitoring framework, data inventory and summary assembly.

Unit tests use tiny hand-made tables; the last test runs the four notebooks through the
runner on a copy of the default config without the optional partner inputs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from sna.config import load_config
from sna.errors import ConfigError
from sna.sections import gaps as G
from sna.sections import methodology as M
from sna.sections import partnership as P
from sna.sections import recommendations as R
from sna.sections import rules as RU
from sna.sections import summary as S

WARDS = pd.DataFrame({"ward_code": ["W1", "W2", "W3", "W4"],
                      "ward_name": ["Ash & Elm", "Birch", "Cedar", "Damson"]})


def _register(**over) -> pd.DataFrame:
    base = {"intervention": ["A", "B", "C"], "lead_agency": ["x", "y", "z"],
            "target_group": ["t", "t", "t"],
            "sv_strand": ["general_violence", "youth_violence_exploitation", "domestic_abuse"],
            "type": ["partnership", "early_intervention", "victim_support"],
            "status_or_period": ["", "", ""], "reported_output": ["2 reoffended", None, "40"],
            "source_doc": ["d", "d", "d"], "notes": ["", "", ""], "wards": [None, None, None]}
    base.update(over)
    return pd.DataFrame(base)


def _hotspots(hot=("W1",), persistent=("W1",)) -> pd.DataFrame:
    return pd.DataFrame({"ward_code": WARDS["ward_code"], "ward_name": WARDS["ward_name"],
                         "indicator": "serious_violence",
                         "hotspot_class": ["Hot spot (99%)" if w in hot else "Not significant"
                                           for w in WARDS["ward_code"]],
                         "persistent": [w in persistent for w in WARDS["ward_code"]]})


# --- 05 partnership and register -----------------------------------------------------------

def test_partnership_table_and_split_yaml_value_is_flagged():
    entries = [{"name": "Police", "type": "specified authority", "role": "r",
                "data_shared": "crime"},
               {"name": "VCS (e.g. Solace", "Victim Support)": None, "type": "relevant partner",
                "role": "r", "data_shared": "not yet shared"}]
    table = P.partnership_table(entries)
    assert list(table.columns) == ["organisation", "type", "role", "data_shared"]
    assert "1 specified" in P.partnership_sentence(table, "X")
    assert "do not yet share" in P.partnership_sentence(table, "X")
    problems = P.partnership_problems(entries)
    assert len(problems) == 1 and "Victim Support)" in problems[0]
    assert P.partnership_table([]).empty


@pytest.mark.parametrize(("cell", "shown"), [
    (None, P.BOROUGH_WIDE), ("", P.BOROUGH_WIDE), ("Borough-wide", "borough-wide"),
    ("Ash & Elm; Birch", "Ash & Elm; Birch")], ids=["none", "blank", "borough", "names"])
def test_ward_coverage(cell, shown):
    assert P.ward_coverage(cell) == shown


def test_register_maps_types_and_hides_small_numbers():
    reg = P.register_table(_register(), min_count=5)
    assert list(reg["type_group"]) == ["Prevention", "Early intervention", "Victim support"]
    assert reg.loc[0, "reported_output"] == "fewer than 5 reoffended"
    assert reg.loc[1, "reported_output"] == ""
    assert reg.loc[2, "reported_output"] == "40"
    assert set(reg["ward_coverage"]) == {P.BOROUGH_WIDE}
    assert "Wards" not in P.register_display(reg).columns
    mapping = P.type_mapping(reg).set_index("type_in_register")
    assert mapping.loc["partnership", "sna_group"] == "Prevention"
    matrix = P.strand_by_group(reg)
    assert matrix.iloc[-1]["All types"] == 3


@pytest.mark.parametrize(("text", "out"), [
    ("Q4 2022/23: 3 cases", "Q4 2022/23: fewer than 5 cases"), ("use fell to 4% ", "use fell to 4% "),
    ("budget GBP 2.35m", "budget GBP 2.35m"), ("year 4 of 5", "year 4 of 5"),
    ("12 referrals", "12 referrals")], ids=["count", "pct", "decimal", "year", "large"])
def test_small_numbers_in_text(text, out):
    assert P.small_numbers_in_text(text, 5) == out


def test_restore_text_undoes_csv_neutralisation():
    frame = pd.DataFrame({"unit": ["'% of residents", "'x", "ok"], "n": [1, 2, 3]})
    from sna.safe import restore_text

    out = restore_text(frame)
    assert list(out["unit"]) == ["% of residents", "'x", "ok"]


def test_empty_register_when_not_supplied():
    reg = P.register_table(None)
    assert reg.empty and P.reported_outputs(reg).empty and P.strand_by_group(reg).empty
    assert G.headline(reg, None, "X").startswith("No interventions register")


def test_effectiveness_and_iom_sentence():
    pi = pd.DataFrame({
        "indicator": ["iom_reoffending_rate", "iom_reoffending_rate", "vvap_strands",
                      "marac_referrals", "iom_offences_per_case_per_year_after"],
        "area": ["Barnet", "London", "Barnet", "Barnet", "Barnet"],
        "period_start": pd.to_datetime(["2023-01-01", "2023-01-01", "2022-07-22", None, None]),
        "period_end": pd.to_datetime(["2023-03-31", "2023-03-31", "2022-07-22", None, None]),
        "value": [24.0, 27.2, 2.0, 3.0, 2.0], "unit": ["percent", "percent", "count", "count",
                                                     "offences_per_case_per_year"],
        "source_doc": "d", "notes": ""})
    eff = P.effectiveness_table(pi, ["Barnet", "London"], 5)
    assert "marac_referrals" not in " ".join(eff["measure"]).lower()
    assert eff.loc[eff["measure"] == "VVAP strands", "value"].item() == "2"  # plan count kept
    assert (eff["period"] == "not stated").sum() == 1
    sentence = P.iom_sentence(pi, "Barnet")
    assert "24%" in sentence and "lower than London (27.2%)" in sentence
    assert P.effectiveness_table(None, ["Barnet"]).empty and P.iom_sentence(None, "B") == ""


# --- 05 gap analysis ------------------------------------------------------------------------

def test_gap_with_unstated_coverage_is_unknown():
    reg = P.register_table(_register())
    gap, risks = G.build_gap(WARDS, reg, {"ward_indicators": None,
                                          "ward_hotspots": _hotspots(), "risk_factors": None})
    row = gap.set_index("ward_code").loc["W1"]
    assert row["hotspot"] and row["persistent"] and row["gap"] == "unknown"
    assert row["interventions_reaching"] == 0 and row["interventions_unstated"] == 2
    assert set(gap.set_index("ward_code").loc[["W2", "W3", "W4"], "gap"]) == {
        "no priority need"}
    assert risks.empty
    assert "the register cannot tell" in G.gap_sentence(gap, "X")


def test_gap_named_ward_reaches_and_wrong_strand_does_not():
    reg = P.register_table(_register(wards=["ash and elm", "borough-wide", "Birch"],
                                     sv_strand=["general_violence", "domestic_abuse",
                                                "domestic_abuse"]))
    gap, _ = G.build_gap(WARDS, reg, {"ward_indicators": None,
                                      "ward_hotspots": _hotspots(("W1", "W2"), ()),
                                      "risk_factors": None})
    g = gap.set_index("ward_code")
    assert g.loc["W1", "gap"] == "no" and g.loc["W1", "reaching"] == "A"  # '&' = 'and'
    assert g.loc["W2", "gap"] == "yes"  # only domestic abuse services name Birch
    assert G.unknown_ward_names(reg, WARDS) == []
    assert G.unknown_ward_names(P.register_table(_register(wards=["Nowhere", None, None])),
                                WARDS) == ["Nowhere"]


def test_top_decile_uses_eb_rate_and_12m_window():
    wi = pd.DataFrame({"ward_code": list(WARDS["ward_code"]) * 2,
                       "ward_name": list(WARDS["ward_name"]) * 2,
                       "indicator": "violence_with_injury", "window": ["12m"] * 4 + ["3m"] * 4,
                       "rate_per_1000": [9, 1, 1, 1, 1, 1, 1, 99],
                       "eb_rate_per_1000": [1, 8, 1, 1, 1, 1, 1, 99]})
    need = G.need_by_ward(WARDS, wi, None)
    assert list(need.loc[need["top_decile"], "ward_code"]) == ["W2"]


def test_build_gap_without_chapter_03_tables_and_risk_coverage():
    reg = P.register_table(_register())
    risk = pd.DataFrame({"factor": ["School exclusions", "Drug treatment", "Income"],
                         "area_value": [3, 2, 1], "london_value": [2, 1, 2],
                         "unit": "rate", "comparison": ["worse than London",
                                                        "worse than London", "better"]})
    gap, risks = G.build_gap(WARDS, reg, {"ward_indicators": None, "ward_hotspots": None,
                                          "risk_factors": risk})
    assert gap is None
    r = risks.set_index("factor")
    assert r.loc["School exclusions", "gap"] == "no"  # youth strand present
    assert r.loc["Drug treatment", "gap"] == "yes"  # no substance misuse service
    assert "ward_indicators (chapter 03)" in G.missing_chapter_tables(
        {"ward_indicators": None, "risk_factors": risk})
    assert G.missing_chapter_tables({"risk_factors": risk}) == ""


def test_gap_map_only_when_uncovered_need():
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(WARDS, geometry=[box(i * 1000, 0, i * 1000 + 900, 900)
                                            for i in range(4)], crs=27700)
    reg = P.register_table(_register())
    gap, _ = G.build_gap(WARDS, reg, {"ward_indicators": None,
                                      "ward_hotspots": _hotspots(), "risk_factors": None})
    fig, alt = G.gap_map(gdf, gap)
    assert "Map of 4 wards" in alt
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith("0 (") and "–" not in "".join(labels)
    covered = gap.assign(gap="no")
    assert G.gap_map(gdf, covered) is None


# --- 06 rules -------------------------------------------------------------------------------

def _dash(rows) -> pd.DataFrame:
    cols = ["indicator", "window", "count", "previous_count", "change_pct",
            "change_significant", "london_rank", "london_areas", "rate_per_1000"]
    return pd.DataFrame(rows, columns=cols)


def _ctx(**tables) -> RU.RuleContext:
    return RU.RuleContext(area="Barnet", period="2026-02", tables=tables)


RISE = ["personal_robbery", "12m", 120, 100, 20.0, True, 10, 32, 1.2]
FALL = ["violence_with_injury", "12m", 80, 100, -20.0, True, 10, 32, 1.0]
NOT_SIG = ["rape", "12m", 105, 100, 5.0, False, 10, 32, 1.0]
ZERO = ["homicide", "12m", 12, 0, None, True, 10, 32, 0.1]
RISE_3M = ["rape", "3m", 50, 10, 400.0, True, 10, 32, 1.0]


@pytest.mark.parametrize(("row", "fires"), [(RISE, True), (FALL, False), (NOT_SIG, False),
                                            (ZERO, True), (RISE_3M, False)],
                         ids=["rise", "fall", "not-significant", "zero-baseline", "3m-only"])
def test_significant_rise(row, fires):
    hits = RU.significant_rise(_ctx(performance_dashboard=_dash([row])), {"window": "12m"})
    assert bool(hits) is fires
    if row is ZERO:
        assert hits[0]["change"] == "up from none to 12"
    if row is RISE:
        assert hits[0]["label"] == "personal robbery" and "rose 20.0% (120 vs 100)" in \
            hits[0]["change"]


def test_significant_rise_from_csv_strings_and_small_counts():
    frame = _dash([["personal_robbery", "12m", 3, 0, None, "True", 1, 32, 0.1]])
    hits = RU.significant_rise(_ctx(performance_dashboard=frame), {})
    assert hits[0]["change"] == "up from none to fewer than 5"


@pytest.mark.parametrize("when", list(RU.SELECTORS), ids=list(RU.SELECTORS))
def test_every_rule_copes_with_missing_tables(when):
    assert RU.SELECTORS[when](_ctx(), {}) == []


def test_worst_quartile_and_other_selectors():
    ctx = _ctx(performance_dashboard=_dash([RISE[:6] + [30, 32, 2.5], FALL]),
               gap_analysis=pd.DataFrame({"ward_code": ["W1", "W2", "W3"],
                                          "ward_name": ["A", "B", "C"],
                                          "persistent": ["True", "False", "True"],
                                          "need": [True, True, True],
                                          "gap": ["unknown", "yes", "yes"],
                                          "need_indicators": ["serious_violence", "", "rape"]}),
               risk_factors=pd.DataFrame({"factor": ["NEET", "Income"], "area_value": [5, 1],
                                          "london_value": [4, 2], "unit": "%", "year": "2025",
                                          "basis": "whether the London value is inside the "
                                                   "area's 95% confidence interval",
                                          "comparison": ["worse than London", "similar"]}),
               data_sources=pd.DataFrame({"source": ["NHS", "ONS"], "data_items": ["A&E", "C"],
                                          "status": ["Not collected", "collected"]}))
    ctx.not_supplied = ("assets", "cctv")
    assert [h["rank"] for h in RU.worst_quartile(ctx, {})] == ["30th of 32"]
    assert [h["ward"] for h in RU.persistent_gap(ctx, {})] == ["C"]  # 'unknown' is not a gap
    assert [h["wards"] for h in RU.register_unknown(ctx, {})] == ["A"]
    assert [h["factor"] for h in RU.worse_than_london(ctx, {})] == ["NEET"]
    assert [h["items"] for h in RU.not_collected(ctx, {})] == ["A&E"]
    assert [h["key"] for h in RU.not_supplied(ctx, {"keys": ["assets"]})] == ["assets"]


def test_generate_fills_templates_orders_and_keeps_custom(tmp_path):
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({
        "rules": [{"id": "low", "when": "not_supplied", "priority": "low",
                   "text": "Collect {what}", "link": "https://evil.example"},
                  {"id": "rise", "when": "significant_rise", "priority": "high",
                   "text": "Tackle {label} in {area}", "evidence": "{Label} {change} {nope}",
                   "link": "02_violence_trends.html#Performance-dashboard"}],
        "custom": [{"text": "Our own idea for {area}"}]}))
    rules = RU.load_rules(rules_file)
    ctx = _ctx(performance_dashboard=_dash([RISE]))
    ctx.not_supplied = ("cctv",)
    recs = RU.generate(rules, ctx)
    assert list(recs["id"]) == ["rise:personal_robbery", "custom_1", "low:cctv"]
    assert recs.loc[0, "recommendation"] == "Tackle personal robbery in Barnet"
    assert recs.loc[0, "evidence"].startswith("Personal robbery rose 20.0%")
    assert recs.loc[2, "link"] == ""  # only relative chapter links are kept
    assert recs.loc[1, "recommendation"] == "Our own idea for Barnet"
    outcomes = RU.rule_outcomes(rules, recs, ctx).set_index("rule")
    assert outcomes.loc["rise", "recommendations"] == 1
    md = R.recommendations_markdown(recs, {"02_violence_trends": "Trends"})
    assert "(02_violence_trends.html#Performance-dashboard)" in md and "evil" not in md


@pytest.mark.parametrize(("doc", "msg"), [
    ({"rules": [{"id": "a", "when": "nonsense", "text": "t"}]}, "is not one of"),
    ({"rules": [{"id": "a", "text": "t"}]}, "lacks when"),
    ({"rules": [{"id": "a", "when": "not_supplied", "text": "t"}] * 2}, "used twice"),
    ({"custom": [{"id": "x"}]}, "needs at least `text:`")],
    ids=["unknown-test", "missing-when", "duplicate", "custom-without-text"])
def test_bad_rules_file(tmp_path, doc, msg):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=msg):
        RU.load_rules(path)


def test_shipped_rules_and_plan_load(root):
    rules = RU.load_rules(root / "config" / "recommendation_rules.yaml")
    assert {r["when"] for r in rules["rules"]} == set(RU.SELECTORS)
    plan = R.load_plan(root / "config" / "implementation_plan.yaml")
    ids = {r["id"] for r in rules["rules"]} | {c["id"] for c in rules["custom"]}
    assert {p["id"] for p in plan} <= ids


def test_no_plan_means_every_lead_to_be_agreed(tmp_path):
    """A config without ``plan:`` gets no one's plan (it used to get Barnet's, so another
    area's SNA named Barnet's leads); a plan path that is gone is a clear error."""
    assert R.load_plan(None) == []
    recs = pd.DataFrame({"id": ["rise:rape"], "rule": ["rise"], "recommendation": ["a"]})
    out = R.implementation_plan(recs, R.load_plan(None))
    assert set(out.iloc[0][["lead", "partners", "timescale", "measure"]]) == {R.TO_AGREE}
    with pytest.raises(ConfigError, match="remove `plan:`"):
        R.load_plan(tmp_path / "gone.yaml")


def test_implementation_plan_matching():
    recs = pd.DataFrame({"id": ["rise:rape", "rise:homicide", "other:x"],
                         "rule": ["rise", "rise", "other"], "recommendation": ["a", "b", "c"]})
    plan = [{"id": "rise", "lead": "Rule lead"}, {"id": "rise:homicide", "lead": "Own lead",
                                                   "timescale": "now"}]
    out = R.implementation_plan(recs, plan).set_index("id")
    assert out.loc["rise:rape", "lead"] == "Rule lead"
    assert out.loc["rise:homicide", "lead"] == "Own lead"
    assert out.loc["rise:rape", "partners"] == R.TO_AGREE
    assert set(out.loc["other:x", ["lead", "partners", "timescale", "measure"]]) == {R.TO_AGREE}


def test_monitoring_framework():
    dash = _dash([RISE, ["personal_robbery", "3m", 30, 25, 20.0, False, 9, 32, 0.3]])
    mf = R.monitoring_framework(dash, {"personal_robbery": -5}, "2026-02").set_index(
        "indicator")
    row = mf.loc["personal_robbery"]
    # one baseline with chapter 02: the same 12 months a year earlier (100), not this year
    assert row["baseline_count"] == 100 and row["current_count"] == 120
    assert row["latest_count"] == 30
    assert row["target"] == "down 5% on the baseline (95 or fewer a year)"
    assert row["target_count"] == 95 and row["target_status"] == "not met"
    assert row["baseline_period"] == "Mar 2024 to Feb 2025"
    assert row["current_period"] == "Mar 2025 to Feb 2026"
    assert mf.loc["rape", "target"] == "not set" and pd.isna(mf.loc["rape", "baseline_count"])
    assert set(mf["direction_wanted"]) == {"down"}
    empty = R.monitoring_framework(None, {}, "2026-02")
    assert "serious_violence" in set(empty["indicator"]) and empty["baseline_count"].isna().all()
    shown = R.monitoring_display(mf.reset_index())
    assert "Baseline (12 months a year earlier)" in shown.columns
    assert shown.loc[0, "Target status"] in {"met", "not met", "no target", "no data"}


def test_knife_target_assessed_on_the_knife_data_period():
    dash = _dash([["knife_crime_with_injury", "12m", None, None, None, None, None, 32, None]])
    dash["period_end"] = "2026-03"
    knife = pd.DataFrame({"indicator": ["knife_crime_with_injury"], "count": [80],
                          "previous_count": [100], "rate_per_1000": [0.2],
                          "period_start": ["2025-03"], "period_end": ["2026-02"]})
    mf = R.monitoring_framework(dash, {"knife_crime_with_injury": -10}, "2026-03",
                                knife).set_index("indicator")
    row = mf.loc["knife_crime_with_injury"]
    assert row["target_status"] == "met" and row["target_count"] == 90
    assert row["current_period"] == "Mar 2025 to Feb 2026"
    assert row["baseline_period"] == "Mar 2024 to Feb 2025"


# --- 07 methodology -------------------------------------------------------------------------

def test_definitions_and_windows():
    d = M.definitions_table()
    assert {"violence_with_injury", "serious_violence"} <= set(d["indicator"])
    assert d.set_index("indicator").loc["serious_violence", "categories"].startswith("Sum of:")
    w = M.windows_table("2026-02")
    assert list(w["compared_with"]) == ["Dec 2024 to Feb 2025", "Mar 2024 to Feb 2025"]


def test_data_inventory_from_manifest(root):
    cfg = load_config(root / "config" / "barnet.yaml")
    manifest = {"inputs": [{"key": "mps_ward", "files": [{"path": "../x/ward.csv"}],
                            "rows": 10, "months": "2024-01 to 2026-02",
                            "incomplete_months": ["2024-03 (ward.csv: total 4: partial month, "
                                                  "excluded)"],
                            "warnings": ["odd header"],
                            "meta": {"files": [{"vintage": "2026-02"}], "unmapped": [["A", "B"]],
                                     "series_breaks": [{"month": "2015-09", "note": "step"}]}}]}
    sources = pd.DataFrame({"source": ["NHS", "LDS"], "data_items": ["Hospital A&E",
                                                                     "London Ambulance Service"],
                            "status": ["not collected", "not collected"], "notes": [None, "x"]})
    inv = M.data_inventory(manifest, cfg, sources)
    used = inv.iloc[0]
    assert used["status"] == "used" and used["files"] == "ward.csv"
    assert used["incomplete_months"] == "2024-03 (partial month, excluded)"
    assert used["last_update"] == "2026-02" and used["unmapped_categories"] == "A / B"
    assert used["series_breaks"] == "2015-09: step"
    assert "Open Government Licence v2.0" in used["licence"]
    gone = inv[inv["status"].str.startswith("not collected")]
    assert len(gone) == 2 and gone.iloc[1]["quality_flags"].startswith("Open data used instead")
    assert "not supplied (optional config key data.assets)" in set(inv["status"])
    texts = M.data_gap_findings(inv)
    assert "missing from this assessment" in texts[0] and "only open data" in texts[1]
    shown = M.inventory_display(inv)
    assert list(shown.columns)[:2] == ["Source", "Status"]


def test_data_inventory_without_manifest(root):
    cfg = load_config(root / "config" / "barnet.yaml")
    inv = M.data_inventory(None, cfg, None)
    assert inv["status"].str.startswith("used").sum() == len(cfg.sources)
    assert "run with" in M.headline(inv, False)


# --- 00 summary -----------------------------------------------------------------------------

def _write_nb(path: Path, error: bool) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    if error:
        cell.outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="boom",
                                               traceback=[])]
    nb.cells = [cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_summary_status_findings_and_links(tmp_path):
    findings = {
        "02_violence_trends": [
            {"chapter": "02_violence_trends", "kind": "headline", "text": "Violence rose.",
             "anchor": "Performance-dashboard", "evidence": {}},
            {"chapter": "02_violence_trends", "kind": "change", "text": "A <b>rose</b>",
             "anchor": "x", "evidence": {"significant": False}},
            {"chapter": "02_violence_trends", "kind": "change", "text": "B rose", "anchor": "x",
             "evidence": {"significant": True}}],
        "03_spatial": [{"chapter": "03_spatial", "kind": "headline", "text": "Hot.",
                        "anchor": "", "evidence": {}},
                       {"chapter": "03_spatial", "kind": "hotspot", "text": "partial",
                        "anchor": "", "evidence": {}}],
        "06_recommendations": [
            {"chapter": "06_recommendations", "kind": "recommendation", "text": "Act",
             "anchor": "Recommendations", "evidence": {
                 "link": "02_violence_trends.html#Performance-dashboard", "evidence": "why"}}]}
    _write_nb(tmp_path / "notebooks" / "02_violence_trends.ipynb", error=False)
    _write_nb(tmp_path / "notebooks" / "03_spatial.ipynb", error=True)
    status = S.chapter_status(tmp_path, findings).set_index("chapter_id")["status"]
    assert status["02_violence_trends"] == "complete" and status["03_spatial"] == "failed"
    assert status["01_context_profile"] == "not run"
    assert status["06_recommendations"] == "not run"  # findings but no headline
    st = S.chapter_status(tmp_path, findings)
    usable = S.usable_findings(findings, st)
    assert all(f["chapter"] == "02_violence_trends" for f in usable)  # failed 03 dropped
    selected = S.key_findings(usable)
    assert [f["text"] for f in selected["change"]] == ["B rose", "A <b>rose</b>"]
    ordered = S.key_findings([
        {"kind": "change", "text": t, "evidence": {"significant": True, "window": w,
                                                    "direction": d}}
        for t, w, d in (("fall12", "12m", "down"), ("rise3", "3m", "up"),
                        ("rise12", "12m", "up"))])
    assert [f["text"] for f in ordered["change"]] == ["rise12", "rise3", "fall12"]
    md = S.findings_markdown(selected)
    assert "<b>" not in md and "(02_violence_trends.html#x)" in md
    rec = findings["06_recommendations"][0]
    assert S.link(rec) == "02_violence_trends.html#Performance-dashboard"
    assert S.link({"chapter": "02_violence_trends", "anchor": "bad anchor\"><script>"}) == \
        "02_violence_trends.html"
    missing = S.missing_chapters(st)
    assert "Spatial distribution and hotspots (failed)" in missing
    text = S.opening_paragraph("Barnet", "2026-02", missing)
    assert "Mar 2025 to Feb 2026" in text and "not available in this run" in text
    brief = S.in_brief_markdown(S.headlines(usable))
    assert brief.startswith("**In brief**") and "**How much:** Violence rose." in brief
    assert S.in_brief_markdown({}) == ""
    comp = S.components_table(st)
    assert len(comp) == 11 and "covered" in set(comp["status"])


# --- the chapters run without the optional inputs ------------------------------------------

def _minimal_config(config_copy) -> Path:
    """Copy of the default config without partner inputs, rules or plan (absolute paths)."""
    return config_copy(drop_data=("interventions", "partner_indicators", "cctv", "data_sources"),
                       drop=("recommendations", "plan", "partnership"), name="minimal.yaml")


class _FakeChapter:
    def __init__(self, cfg, out: Path):
        self.cfg, self.period, self.output_dir = cfg, "2026-02", out

    def has(self, key):
        return self.cfg.has(key)

    def load(self, key):
        from sna.data import load

        return load(self.cfg, key)

    def read_table(self, name):
        return None


def test_sections_without_optional_inputs(tmp_path, config_copy):
    cfg = load_config(_minimal_config(config_copy))
    reg = P.register_table(P.frame_or_none(cfg, "interventions"))
    assert reg.empty and P.frame_or_none(cfg, "partner_indicators") is None
    assert P.partnership_table(cfg.partnership).empty
    gap, risks = G.build_gap(WARDS, reg, {"ward_indicators": None, "ward_hotspots": None,
                                          "risk_factors": None})
    assert gap is None and risks.empty
    ctx = RU.context_for(_FakeChapter(cfg, tmp_path))
    assert ctx.tables["data_sources"] is None and "interventions" in ctx.not_supplied
    recs = RU.generate(RU.load_rules(cfg.recommendations), ctx)
    # refresh_sources fires when the cache already knows the old sources' dates (homicide,
    # police.uk, ambulance end years before the period); it depends on what ran before
    assert set(recs["rule"]) <= {"input_not_supplied", "custom", "refresh_sources"}
    assert "input_not_supplied:interventions" in set(recs["id"])
    inv = M.data_inventory(None, cfg, None)
    assert "not supplied (optional config key data.interventions)" in set(inv["status"])


@pytest.mark.slow
def test_notebooks_run_without_optional_inputs(root, tmp_path, monkeypatch, config_copy):
    from sna.report.runner import run

    monkeypatch.setenv("SNA_CACHE_DIR", str(root / "data" / "interim"))
    res = run(_minimal_config(config_copy), out_root=tmp_path / "out", jobs=2,
              chapters=["05", "06", "07", "00"])
    assert res.exit_code == 0, [(c.chapter_id, c.error) for c in res.chapters]
    chapters = res.out_dir / "chapters"
    page05 = (chapters / "05_partnership_interventions.html").read_text(encoding="utf-8")
    assert "Not supplied: the interventions register" in page05
    assert "were not produced in this run" in page05
    page07 = (chapters / "07_methodology.html").read_text(encoding="utf-8")
    assert "data.interventions" in page07
    assert (res.out_dir / "data_pack.xlsx").is_file()
    for cid in ("05_partnership_interventions", "06_recommendations", "07_methodology",
                "00_summary"):
        items = json.loads((res.out_dir / "findings" / f"{cid}.json").read_text())
        assert [f["kind"] for f in items].count("headline") == 1, cid
    summary = (chapters / "00_summary.html").read_text(encoding="utf-8")
    assert "Context and borough profile (not run)" in summary


def test_summary_headline():
    heads = {"02_violence_trends": "Serious violence rose 5%; significant.",
             "06_recommendations": "9 recommendations (2 high priority); the first: act."}
    assert S.headline("Barnet", heads, []) == ("Serious violence rose 5%; 9 recommendations "
                                               "(2 high priority).")
    assert "not available" in S.headline("Barnet", {}, ["x (failed)"])


def test_rule_links_point_at_real_headings(root):
    """Every link in the shipped rules names a Markdown heading of the target notebook
    (nbconvert ids: spaces -> '-'), so a renamed section fails here, not silently."""
    rules = RU.load_rules(root / "config" / "recommendation_rules.yaml")
    for entry in rules["rules"] + rules["custom"]:
        page, _, anchor = entry["link"].partition(".html#")
        nb = nbformat.read(root / "notebooks" / f"{page}.ipynb", as_version=4)
        heads = {line.lstrip("#").strip().replace(" ", "-") for c in nb.cells
                 if c.cell_type == "markdown" for line in c.source.splitlines()
                 if line.startswith("#")}
        assert anchor in heads, (entry["id"], anchor)
