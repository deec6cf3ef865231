"""Tests for sna.definitions: the crosswalk YAML, classify, monthly indicators, unmapped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sna import definitions as d
from sna.errors import SchemaError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "raw" / "mps"
SHARED = ROOT.parent / "shared" / "data" / "real" / "crime" / "mps_recorded_crime"
CONTRACT_IDS = ["violence_with_injury", "personal_robbery", "residential_burglary",
                "non_residential_burglary", "homicide", "rape", "other_sexual_offences",
                "possession_of_weapons", "serious_violence", "knife_crime_with_injury",
                # ARCHITECTURE.md 8.3: from the MPS monthly crime dashboard (mps_dashboard)
                "knife_crime", "knife_injury_victims_1_24", "knife_injury_victims_non_da_1_24",
                "domestic_abuse", "domestic_abuse_vwi", "gun_crime", "lethal_barrel_discharge",
                "hate_crime"]


def read_categories(path: Path) -> pd.DataFrame:
    """Distinct categories of a wide MPS file (CSV as published or lower-cased parquet), as a
    frame with the tidy column names (``major``, ``minor`` or the knife-dashboard keys)."""
    if path.suffix == ".csv":
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    else:
        frame = pd.read_parquet(path)
    frame.columns = [str(c).lower() for c in frame.columns]
    frame = frame.rename(columns={"majortext": "major", "minortext": "minor",
                                  "major_category": "major", "minor_category": "minor"})
    keys = ["major", "minor"] if "major" in frame else ["crime_type", "crime_subtype", "measure"]
    return frame[keys].drop_duplicates().reset_index(drop=True)


def tidy(rows: list[tuple]) -> pd.DataFrame:
    """Tiny tidy MPS frame from (area_code, major, minor, month, count) tuples."""
    frame = pd.DataFrame(rows, columns=["area_code", "major", "minor", "month", "count"])
    return frame.assign(level="ward", area_name=frame["area_code"] + " ward", borough="Barnet")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".csv", ".parquet")
                  and "homicide" not in p.name and "vawg" not in p.name) if folder.is_dir() else []


# --- the YAML ------------------------------------------------------------------------------

def test_contract_indicators_are_defined_and_on_the_dashboard():
    assert d.dashboard_ids(include_knife=True) == CONTRACT_IDS
    assert d.dashboard_ids(include_knife=False) == CONTRACT_IDS[:9]


def test_indicator_specs_have_the_documented_keys():
    for ind, spec in d.load_indicators().items():
        assert spec["label"] and spec["description"], ind
        assert spec["polarity"] in {"lower_is_better", "no_judgement"}, ind
        assert isinstance(spec["sv_component"], bool), ind
        assert spec["categories"], ind


def test_serious_violence_is_the_union_of_its_components():
    specs = d.load_indicators()
    components = specs["serious_violence"]["components"]
    assert sorted(components) == sorted(i for i, s in specs.items() if s["sv_component"])
    assert set(components) == {"homicide", "violence_with_injury", "rape",
                               "other_sexual_offences", "personal_robbery",
                               "possession_of_weapons"}
    union = [c for comp in components for c in specs[comp]["categories"]]
    assert specs["serious_violence"]["categories"] == union


def test_cannot_separate_lists_the_duty_gaps():
    items = " ".join(x["item"] for x in d.cannot_separate()).lower()
    for gap in ("domestic abuse", "under 25", "exploitation", "knife"):
        assert gap in items


def test_indicator_ids_can_exclude_knife():
    assert "knife_crime" in d.indicator_ids(include_knife=True)
    assert not [i for i in d.indicator_ids(include_knife=False) if i.startswith("knife")]


def test_load_returns_a_copy():
    d.load_indicators()["homicide"]["label"] = "changed"
    assert d.load_indicators()["homicide"]["label"] == "Homicide"


def test_bad_yaml_is_a_config_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators:\n  x: {label: X, description: d, source: mps, polarity: up,"
                   " sv_component: false, dashboard: false, categories: []}\n")
    with pytest.raises(ValueError, match="polarity"):
        d.load_definitions(bad)


# --- classify ------------------------------------------------------------------------------

def test_a_category_counts_in_every_indicator_it_belongs_to():
    frame = tidy([("W1", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-01", 3),
                  ("W1", "THEFT", "SHOPLIFTING", "2025-01", 9)])
    out = d.classify(frame)
    assert sorted(out["indicator"]) == ["personal_robbery", "serious_violence"]
    assert (out["count"] == 3).all()
    assert list(out.columns) == [*frame.columns, "indicator"]


def test_classify_matches_names_whatever_the_case_and_spacing():
    frame = tidy([("W1", "Burglary", " Burglary in a  Dwelling", "2012-01", 4)])
    assert d.classify(frame)["indicator"].tolist() == ["residential_burglary"]


def test_classify_rejects_a_frame_without_category_columns():
    with pytest.raises(SchemaError, match="major"):
        d.classify(pd.DataFrame({"month": ["2025-01"], "count": [1]}))


def test_lsoa_frames_drop_unpublished_sexual_offences_and_serious_violence():
    frame = tidy([("L1", "VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", "2025-01", 2)])
    frame["level"] = "lsoa"
    monthly = d.indicator_monthly(frame)
    assert "violence_with_injury" in set(monthly["indicator"])
    assert not {"rape", "other_sexual_offences", "serious_violence"} & set(monthly["indicator"])


# --- indicator_monthly ---------------------------------------------------------------------

def test_indicator_monthly_sums_vintages_and_fills_zeros():
    frame = tidy([
        ("W1", "BURGLARY", "DOMESTIC BURGLARY", "2023-03", 5),
        ("W1", "BURGLARY", "RES BURGLARY OF A HOME", "2023-04", 4),
        ("W1", "BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", "2023-04", 2),
        ("W2", "THEFT", "OTHER THEFT", "2023-03", 7),
    ])
    out = d.indicator_monthly(frame)
    assert list(out.columns) == ["area_code", "area_name", "borough", "indicator", "month",
                                 "count"]
    res = out[out["indicator"] == "residential_burglary"].set_index(["area_code", "month"])
    assert res.loc[("W1", "2023-03"), "count"] == 5
    assert res.loc[("W1", "2023-04"), "count"] == 6
    assert res.loc[("W2", "2023-03"), "count"] == 0
    # every area x indicator x month is present
    assert len(out) == 2 * len(d.indicator_ids(source="mps")) * 2
    assert out["count"].dtype == "int64"


def test_indicator_monthly_does_not_invent_months_absent_from_the_data():
    frame = tidy([("W1", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-01", 1),
                  ("W1", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-03", 1)])
    assert sorted(d.indicator_monthly(frame)["month"].unique()) == ["2025-01", "2025-03"]


def test_serious_violence_total_equals_the_sum_of_its_components():
    frame = tidy([
        ("W1", "VIOLENCE AGAINST THE PERSON", "HOMICIDE", "2025-01", 1),
        ("W1", "VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", "2025-01", 20),
        ("W1", "SEXUAL OFFENCES", "RAPE", "2025-01", 3),
        ("W1", "SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES", "2025-01", 4),
        ("W1", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-01", 6),
        ("W1", "ROBBERY", "ROBBERY OF BUSINESS PROPERTY", "2025-01", 50),
        ("W1", "POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS", "2025-01", 2),
        ("W1", "VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY", "2025-01", 99),
    ])
    totals = d.indicator_monthly(frame).set_index("indicator")["count"]
    assert totals["serious_violence"] == 1 + 20 + 3 + 4 + 6 + 2


def test_borough_monthly_from_knife_dashboard_keeps_borough_rows_only():
    knife = pd.DataFrame({
        "month": ["2025-01"] * 3, "area_type": ["Borough", "Safer Neighbourhood Teams",
                                                 "Borough"],
        "area_name": ["Barnet", "Barnet SNT 1", "Brent"], "area_code": ["E09000003", "X", "E0"],
        "crime_type": "Knife Crime", "crime_subtype": "Knife Crime with Injury",
        "measure": "Offences", "count": [7, 3, 9]})
    out = d.borough_monthly(knife)
    assert list(out.columns) == ["borough", "indicator", "month", "count"]
    kci = out[out["indicator"] == "knife_crime_with_injury"].set_index("borough")["count"]
    assert kci.to_dict() == {"Barnet": 7, "Brent": 9}


def test_borough_monthly_sums_wards():
    frame = tidy([("W1", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-01", 2),
                  ("W2", "ROBBERY", "ROBBERY OF PERSONAL PROPERTY", "2025-01", 3)])
    out = d.borough_monthly(frame).set_index("indicator")["count"]
    assert out["personal_robbery"] == 5


# --- unmapped categories -------------------------------------------------------------------

def test_unknown_category_is_reported_known_ignored_is_not():
    frame = tidy([("W1", "THEFT", "SHOPLIFTING", "2025-01", 1),
                  ("W1", "NEW MAJOR", "BRAND NEW MINOR", "2025-01", 1)])
    assert d.unmapped_categories(frame) == [("NEW MAJOR", "BRAND NEW MINOR")]


VINTAGE_FILES = _files(SHIPPED) + _files(SHARED)


@pytest.mark.parametrize("path", VINTAGE_FILES, ids=[
    f"{p.parent.name}/{p.name}" for p in VINTAGE_FILES])
def test_every_category_of_every_vintage_is_mapped_or_ignored(path):
    cats = read_categories(path)
    assert d.unmapped_categories(cats) == []


def test_shared_data_present_or_skip():
    if not SHARED.is_dir():
        pytest.skip("../shared/data/real not present")
    assert _files(SHARED)


def test_historical_burglary_series_is_continuous_across_april_2023():
    path = SHIPPED / "borough" / "recorded-crime-borough-historical.parquet"
    wide = pd.read_parquet(path)
    months = ["202301", "202302", "202303", "202304", "202305", "202306"]
    tidy_frame = (wide.rename(columns={"majortext": "major", "minortext": "minor",
                                       "boroughname": "borough"})
                  .melt(id_vars=["major", "minor", "borough"], value_vars=months,
                        var_name="month", value_name="count"))
    out = d.borough_monthly(tidy_frame)
    res = out[out["indicator"] == "residential_burglary"].groupby("month")["count"].sum()
    # the DOMESTIC -> RES BURGLARY switch must not leave a hole: no month below 80% of the mean
    assert (res > 0.8 * res.mean()).all()
