"""Partner CSV loaders: the shipped Barnet files, the templates, and bad inputs."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sna.config import Source
from sna.errors import EmptyDataError, EncodingError, SchemaError
from sna.io import partner
from sna.io.common import LoadContext
from sna.schemas import PARTNER_SPECS, category_key, is_iso_date, to_number

ROOT = Path(__file__).resolve().parents[1]
PARTNER = ROOT / "data" / "raw" / "partner"
TEMPLATES = ROOT / "data" / "templates"
CTX = LoadContext("Barnet", "E09000003")
LOADERS = {"partner_indicators": partner.load_partner_indicators,
           "interventions": partner.load_interventions, "cctv": partner.load_cctv,
           "assets": partner.load_assets,
           "vulnerable_populations": partner.load_vulnerable_populations,
           "data_sources": partner.load_data_sources}
IND_HEADER = "indicator,area,period_start,period_end,value,unit,source_doc,notes\n"
INT_HEADER = ("intervention,lead_agency,target_group,sv_strand,type,status_or_period,"
              "reported_output,source_doc,notes\n")


def src(key: str, path: Path) -> Source:
    return Source(key, path.resolve(), ())


def write(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp / name
    path.write_bytes(text.encode(encoding))
    return path


# --------------------------------------------------------------------------- shipped files
def test_partner_indicators_shipped():
    loaded = partner.load_partner_indicators(
        (src("partner_indicators", PARTNER / "partner_indicators.csv"),), CTX)
    frame = loaded.frame
    assert list(frame.columns) == ["indicator", "area", "period_start", "period_end", "value",
                                   "unit", "source_doc", "notes"]
    assert len(frame) == 572
    assert str(frame["period_start"].dtype).startswith("datetime64")
    assert frame["period_start"].isna().sum() == 28 and frame["period_end"].isna().sum() == 19
    first = frame.iloc[0]
    assert (first["indicator"], first["value"]) == ("da_vwi_offences_police_recorded", 737.0)
    assert first["period_end"] == pd.Timestamp("2022-08-31")
    assert loaded.meta["warnings"] == []


def test_interventions_shipped_gets_wards_column():
    frame = partner.load_interventions(
        (src("interventions", PARTNER / "interventions_register.csv"),), CTX).frame
    assert len(frame) == 62 and list(frame.columns[-3:]) == ["wards", "start", "end"]
    assert frame["start"].isna().all() and str(frame["start"].dtype).startswith("datetime64")
    assert frame["wards"].isna().all() and frame["wards"].dtype == object
    assert set(frame["type"]) <= set(PARTNER_SPECS["interventions"].categories["type"])


def test_cctv_shipped_cells_as_printed():
    frame = partner.load_cctv((src("cctv", PARTNER / "cctv_incidents_by_ward.csv"),), CTX).frame
    assert len(frame) == 525 and frame["ward"].nunique() == 25
    assert frame["count"].sum() == 382  # cells as printed (the paper's margin says 381)
    assert frame["count"].dtype == "int64"


def test_data_sources_shipped():
    frame = partner.load_data_sources(
        (src("data_sources", PARTNER / "data_sources.csv"),), CTX).frame
    assert len(frame) == 14 and "not collected" in set(frame["status"])


@pytest.mark.parametrize("key", list(PARTNER_SPECS))
def test_templates_match_schemas_and_are_header_only(key):
    spec = PARTNER_SPECS[key]
    path = TEMPLATES / spec.template
    header = path.read_text(encoding="utf-8").splitlines()
    assert header == [",".join(spec.columns + spec.optional_columns)]
    assert spec.template in (TEMPLATES / "README.md").read_text(encoding="utf-8")
    with pytest.raises(EmptyDataError, match=spec.template):
        LOADERS[key]((src(key, path),), CTX)


def test_assets_and_vulnerable_populations(tmp_path):
    assets = write(tmp_path, "assets.csv", "name,type,ward,latitude,longitude\n"
                   "Burnt Oak Library,library,Burnt Oak,,\nYouth Zone,youth_centre,,51.60,-0.27\n")
    frame = partner.load_assets((src("assets", assets),), CTX).frame
    assert frame["latitude"].tolist()[1] == 51.6 and pd.isna(frame["latitude"].iloc[0])
    vp = write(tmp_path, "vp.csv", "group,area,period_start,period_end,value,unit,source_doc,"
               "notes\nchildren_in_need,Barnet,2023-04-01,2024-03-31,\"2,345\",count,,\n")
    frame = partner.load_vulnerable_populations((src("vulnerable_populations", vp),), CTX).frame
    assert frame["value"].iloc[0] == 2345.0


def test_injection_like_text_is_kept_as_text(tmp_path):
    path = write(tmp_path, "ind.csv", IND_HEADER + "=cmd|' /C calc'!A0,+Barnet,,,5,count,"
                 "@SUM(A1),-notes\n")
    row = partner.load_partner_indicators((src("partner_indicators", path),), CTX).frame.iloc[0]
    assert row["indicator"] == "=cmd|' /C calc'!A0" and row["area"] == "+Barnet"
    assert row["source_doc"] == "@SUM(A1)" and row["notes"] == "-notes"
    assert isinstance(row["notes"], str)


def test_category_spelling_is_forgiven(tmp_path):
    path = write(tmp_path, "int.csv", INT_HEADER.strip() + ",wards\n"
                 "MARAC,Police,victims,Domestic Abuse,Victim support,,,,,Burnt Oak; Hendon\n")
    row = partner.load_interventions((src("interventions", path),), CTX).frame.iloc[0]
    assert (row["sv_strand"], row["type"]) == ("domestic_abuse", "victim_support")
    assert row["wards"] == "Burnt Oak; Hendon"


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=40).filter(lambda t: t.strip()))
def test_property_any_text_loads_unchanged(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ind.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, quoting=csv.QUOTE_ALL)
            writer.writerow(IND_HEADER.strip().split(","))
            writer.writerow(["x", "Barnet", "", "", "1", "count", text, text])
        row = partner.load_partner_indicators((src("partner_indicators", path),), CTX).frame
    assert row["notes"].iloc[0] == text and row["source_doc"].iloc[0] == text
    assert category_key(category_key(text)) == category_key(text)


@settings(max_examples=50)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_property_numbers_round_trip(value):
    assert to_number(pd.Series([repr(value)])).iloc[0] == pytest.approx(value, rel=1e-12)
    assert to_number(pd.Series([f"{value:,.2f}"])).iloc[0] == pytest.approx(round(value, 2))


def test_dates_must_be_real_iso_days():
    series = pd.Series(["2023-03-31", "2023-02-30", "31/03/2023", "2023-3-1", "2024-02-29"])
    assert is_iso_date(series).tolist() == [True, False, False, False, True]


# --------------------------------------------------------------------------- bad inputs
BAD = [
    ("indicators-bad-date", "partner_indicators",
     IND_HEADER + "x,Barnet,2023-02-30,2023-03-31,5,count,,\n", SchemaError,
     ["row 2", "'period_start'", "'2023-02-30'", "YYYY-MM-DD"]),
    ("indicators-uk-date", "partner_indicators",
     IND_HEADER + "x,Barnet,01/04/2022,2023-03-31,5,count,,\n", SchemaError,
     ["row 2", "'01/04/2022'"]),
    ("indicators-non-numeric-value", "partner_indicators",
     IND_HEADER + "x,Barnet,,,5,count,,\ny,Barnet,,,12%,percent,,\n", SchemaError,
     ["row 3", "'value'", "'12%'", "not a number"]),
    ("indicators-blank-required", "partner_indicators",
     IND_HEADER + ",Barnet,,,5,count,,\n", SchemaError,
     ["row 2", "'indicator'", "required value is blank"]),
    ("indicators-end-before-start", "partner_indicators",
     IND_HEADER + "x,Barnet,2023-03-31,2023-01-01,5,count,,\n", SchemaError,
     ["row 2", "'period_end'", "before period_start"]),
    ("indicators-missing-column", "partner_indicators",
     "indicator,area,value\nx,Barnet,5\n", SchemaError,
     ["'period_start'", "data/templates/partner_indicators.csv"]),
    ("indicators-empty-file", "partner_indicators", "", EmptyDataError, ["the file is empty"]),
    ("indicators-header-only", "partner_indicators", IND_HEADER, EmptyDataError,
     ["no data rows"]),
    ("interventions-unknown-type", "interventions",
     INT_HEADER + "MARAC,Police,victims,domestic_abuse,magic,,,,\n", SchemaError,
     ["row 2", "'type'", "'magic'", "early_intervention"]),
    ("interventions-unknown-strand", "interventions",
     INT_HEADER + "MARAC,Police,victims,gang_stuff,prevention,,,,\n", SchemaError,
     ["row 2", "'sv_strand'", "'gang_stuff'"]),
    ("cctv-negative-count", "cctv",
     "ward,incident_type,count,period_start,period_end\nHendon,Violent Crime,-2,2022-12-01,"
     "2023-02-28\n", SchemaError, ["row 2", "'count'", "'-2'", "whole non-negative"]),
    ("cctv-fractional-count", "cctv",
     "ward,incident_type,count,period_start,period_end\nHendon,Violent Crime,2.5,2022-12-01,"
     "2023-02-28\n", SchemaError, ["'2.5'"]),
    ("assets-latitude-alone", "assets",
     "name,type,ward,latitude,longitude\nClub,sports,,51.6,\n", SchemaError,
     ["row 2", "'longitude'", "both latitude and longitude"]),
    ("assets-latitude-out-of-range", "assets",
     "name,type,ward,latitude,longitude\nClub,sports,,5160,-0.2\n", SchemaError,
     ["row 2", "'latitude'", "'5160'", "outside 49.0 to 61.0"]),
    ("vulnerable-bad-value", "vulnerable_populations",
     "group,area,period_start,period_end,value,unit,source_doc,notes\ncin,Barnet,,,lots,count,,\n",
     SchemaError, ["row 2", "'value'", "'lots'"]),
    ("data-sources-blank-status", "data_sources",
     "source,data_items,status,notes\nNHS,A&E,,\n", SchemaError, ["row 2", "'status'"]),
]


@pytest.mark.parametrize(("key", "text", "error", "expected"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_partner_inputs(tmp_path, key, text, error, expected):
    path = write(tmp_path, f"{key}.csv", text)
    with pytest.raises(error) as exc:
        LOADERS[key]((src(key, path),), CTX)
    assert type(exc.value) is error
    message = str(exc.value)
    assert f"{key}.csv" in message
    for part in expected:
        assert part in message


def test_all_problems_reported_together(tmp_path):
    path = write(tmp_path, "ind.csv", IND_HEADER + "a,Barnet,2023-13-01,,x,count,,\n"
                 ",Barnet,,,1,,,\n")
    with pytest.raises(SchemaError) as exc:
        partner.load_partner_indicators((src("partner_indicators", path),), CTX)
    message = str(exc.value)
    assert "4 problem(s)" in message
    for part in ("row 2, column 'period_start'", "row 2, column 'value'",
                 "row 3, column 'indicator'", "row 3, column 'unit'"):
        assert part in message


def test_wrong_encoding_option(tmp_path):
    path = write(tmp_path, "ind.csv", IND_HEADER + "cost,Barnet,,,5,GBP,£ paper,\n", "latin-1")
    with pytest.raises(EncodingError, match="latin-1"):
        partner.load_partner_indicators((src("partner_indicators", path),), CTX)
    ok = Source("partner_indicators", path, (("encoding", "latin-1"),))
    frame = partner.load_partner_indicators((ok,), CTX).frame
    assert frame["source_doc"].iloc[0] == "£ paper"
