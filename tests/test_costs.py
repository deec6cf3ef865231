"""Cost and harm of violence: the shipped Home Office unit costs (hand-computed), the uplift,
harm-weighted ward ranks and bad definition files."""

from __future__ import annotations

import pandas as pd
import pytest

from sna import costs
from sna.errors import SchemaError


def test_cost_of_violence_with_injury_hand_computed():
    table = costs.cost_of_violence(pd.Series({"violence_with_injury": 1817, "homicide": 1}),
                                   costs.unit_costs()).set_index("indicator")
    vwi = table.loc["violence_with_injury"]
    # Home Office 2019/20: £15,720 per violence with injury, multiplier 1.64
    assert vwi["unit_cost_gbp"] == 15_720 and vwi["price_year"] == "2019/20"
    assert vwi["cost_gbp"] == 1817 * 15_720 == 28_563_240
    assert vwi["multiplier"] == 1.64
    assert vwi["estimated_incidents"] == round(1817 * 1.64)  # 2,980
    assert vwi["estimated_cost_gbp"] == pytest.approx(1817 * 1.64 * 15_720)
    assert table.loc["homicide", "cost_gbp"] == 3_346_680
    assert list(table.reset_index().columns[:9]) == costs.COST_COLUMNS


def test_price_uplift():
    t = costs.cost_of_violence(pd.Series({"violence_with_injury": 10}), costs.unit_costs(),
                               {"price_uplift": 1.25, "price_year": "2024/25"}).iloc[0]
    assert t["unit_cost_gbp"] == 19_650 and t["price_year"] == "2024/25"
    assert t["cost_gbp"] == 196_500


def test_ward_harm_ranks_differ_from_counts():
    counts = pd.DataFrame({
        "ward_code": ["A", "A", "B", "B"], "ward_name": ["a", "a", "b", "b"],
        "indicator": ["violence_without_injury", "homicide", "violence_without_injury",
                      "violence_with_injury"],
        "count": [100, 1, 300, 2]})
    h = costs.ward_harm(counts, costs.harm_weights()).set_index("ward_code")
    # A: 100 x 10 + 1 x 5,475 = 6,475 days; B: 300 x 10 + 2 x 365 = 3,730 days
    assert h.loc["A", "harm_days"] == 6475 and h.loc["B", "harm_days"] == 3730
    assert h.loc["B", "count_rank"] == 1 and h.loc["A", "harm_rank"] == 1
    assert h.loc["A", "rank_shift"] == 1


def test_bad_definition_file(tmp_path):
    p = tmp_path / "costs.csv"
    p.write_text("indicator,unit_cost_gbp,multiplier,price_year,source\n"
                 "homicide,lots,1,2019/20,x\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"costs\.csv, row 2, column 'unit_cost_gbp': value 'lots'"):
        costs.unit_costs(p)
    p.write_text("indicator,cost\nhomicide,1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="missing column"):
        costs.unit_costs(p)


def test_cost_text_leaves_out_suppressed_offences():
    from sna.sections import costs as sec

    t = costs.cost_of_violence(pd.Series({"violence_with_injury": 1000, "homicide": 2}),
                               costs.unit_costs())
    t.loc[t["indicator"] == "homicide", ["count", "cost_gbp", "estimated_cost_gbp"]] = None
    text = sec.cost_text(t, "Barnet", "2026-03")
    assert "£16 million** at 2019/20 prices" in text  # 1,000 x £15,720, homicide not counted
    assert "not counting homicide" in text and "Apr 2025 to Mar 2026" in text


def test_emerging_text_one_sentence_per_category():
    from sna.sections import emerging as sec

    t = pd.DataFrame({"ward_code": list("ABC"), "ward_name": ["Alpha", "Beta", "Gamma"],
                      "indicator": "violence_with_injury",
                      "category": ["new", "no pattern", "new"]})
    text = sec.emerging_text(t, ["2025-06", "2025-09"], "violence_with_injury")
    assert "**New**: Alpha, Gamma are a hot spot in the latest quarter" in text
    assert "Persistent" not in text and sec.map_indicator(t) == "violence_with_injury"
    none = t.assign(category="no pattern")
    assert "No ward shows" in sec.emerging_text(none, ["2025-06"], "violence_with_injury")
    assert sec.map_indicator(none) is None


def test_headline_sentences():
    from sna.sections import costs as sec

    t = costs.cost_of_violence(pd.Series({"violence_with_injury": 1000}), costs.unit_costs())
    assert sec.headline(t) == ("Recorded serious violence cost society about £16 million "
                               "(2019/20 prices), about £26 million including unreported "
                               "incidents.")  # 1,000 x £15,720; x 1.64


def test_emerging_finding_sentence():
    from sna.sections import emerging as sec

    t = pd.DataFrame({"ward_code": list("AB"), "ward_name": ["Beta", "Alpha"],
                      "indicator": "violence_with_injury", "category": ["sporadic", "sporadic"]})
    assert sec.finding(t, ["2025-06"] * 12) == ("Emerging hot spots of violence with injury "
                                                 "over 12 quarters - sporadic: Alpha, Beta.")
    assert sec.finding(t.assign(category="no pattern"), ["2025-06"]) == ""


def test_harm_text_same_and_different_leaders():
    from sna.sections import costs as sec

    h = pd.DataFrame({"ward_code": ["A", "B"], "ward_name": ["Alpha", "Beta"],
                      "count": [10, 5], "harm_days": [100.0, 50.0], "count_rank": [1, 2],
                      "harm_rank": [1, 2], "rank_shift": [0, 0]})
    assert sec.harm_text(h).startswith("**Alpha** ranks first both by harm and by the number")
    h2 = h.assign(harm_rank=[2, 1], rank_shift=[-1, 1])
    assert "Weighted by harm, **Beta** ranks first" in sec.harm_text(h2)


MIN = """
area: {{name: Testboro, code: E09000099, similar: [Reading, E09000015]}}
data:
  mps_ward: w.csv
  wards: w.geojson
  population: p.csv
{extra}
"""


@pytest.mark.parametrize("extra, needle", [
    ("costs: {price_uplift: 12}", "costs.price_uplift must be a number between 0.5 and 5"),
    ("costs: {price_uplift: 1.2}", "costs.price_uplift needs costs.price_year"),
    ("costs: {uplift: 1.2}", "unknown key(s) 'uplift' in costs"),
    ("costs: {unit_costs: nowhere.csv}", "unit_costs: file 'nowhere.csv' not found"),
])
def test_costs_config_errors(tmp_path, write_yaml, extra, needle):
    from sna.config import load_config
    from sna.errors import ConfigError

    for n in ("w.csv", "w.geojson", "p.csv"):
        (tmp_path / n).write_text("x")
    with pytest.raises(ConfigError) as err:
        load_config(write_yaml(MIN.format(extra=extra)))
    assert needle in str(err.value)


def test_costs_config_and_similar_loaded(tmp_path, write_yaml):
    from sna.config import load_config

    for n in ("w.csv", "w.geojson", "p.csv"):
        (tmp_path / n).write_text("x")
    (tmp_path / "uc.csv").write_text("x")
    cfg = load_config(write_yaml(MIN.format(
        extra="costs: {price_uplift: 1.3, price_year: 2024/25, unit_costs: uc.csv}")))
    assert cfg.costs["price_uplift"] == 1.3 and cfg.costs["unit_costs"] == tmp_path / "uc.csv"
    assert cfg.area.similar == ("Reading", "E09000015")


def test_lsoa_emerging_text_counts_categories():
    from sna.sections import emerging as sec

    t = pd.DataFrame({"lsoa_code": list("ABCD"), "category": ["new", "new", "persistent",
                                                               "no pattern"]})
    text = sec.lsoa_text(t, ["2024-05", "2024-08"])
    assert "new 2, persistent 1 of 4 LSOAs" in text and "2 quarters ending May 2024" in text
    assert "no LSOA shows" in sec.lsoa_text(t.assign(category="no pattern"), ["2024-05"])
