"""Record-level partner extracts: the templates' rules, each bad input named precisely."""

from __future__ import annotations

import pandas as pd
import pytest

from sna.config import Source
from sna.errors import DataError, SchemaError
from sna.io.records import (
    AE_COLUMNS,
    POLICE_COLUMNS,
    check_records_area,
    load_ae_attendances,
    load_police_records,
)

GOOD = {
    "crime_ref": "CR1", "recorded_date": "2025-06-02", "committed_from": "2025-06-01 22:15",
    "offence": "VIOLENCE WITH INJURY", "flags": "DA;ALCOHOL", "location_type": "dwelling",
    "ward_code": "E05013628", "lsoa_code": "E01000115", "easting": "524000",
    "northing": "191000", "victim_id": "V1", "victim_age": "23", "victim_sex": "F",
    "victim_ethnicity": "White", "suspect_id": "S1", "suspect_age": "30", "suspect_sex": "M",
    "suspect_ethnicity": "",
}


def _write(tmp_path, rows, columns=POLICE_COLUMNS, name="police.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def _load_police(path):
    return load_police_records((Source("police_records", path),), None)


def test_good_file_loads_typed(tmp_path):
    second = {**GOOD, "crime_ref": "CR2", "committed_from": "2025-06-01", "flags": "",
              "offence": "robbery of personal property", "victim_id": "V1"}
    frame = _load_police(_write(tmp_path, [GOOD, second])).frame
    assert list(frame["time_known"]) == [True, False]
    assert frame.loc[0, "flag_da"] and frame.loc[0, "flag_alcohol"] and not frame.loc[0, "flag_knife"]
    assert list(frame["serious_violence"]) == [True, True]
    assert frame.loc[1, "offence"] == "ROBBERY OF PERSONAL PROPERTY"
    assert frame.loc[0, "victim_age"] == 23 and pd.isna(frame.loc[0, "suspect_ethnicity"])


def test_known_offence_outside_serious_violence_is_kept_not_counted(tmp_path):
    row = {**GOOD, "offence": "VIOLENCE WITHOUT INJURY"}
    frame = _load_police(_write(tmp_path, [row])).frame
    assert len(frame) == 1 and not frame.loc[0, "serious_violence"]


BAD = [
    ("impossible_date", {"recorded_date": "2025-02-30"}, "recorded_date", "2025-02-30"),
    ("day_first_date", {"recorded_date": "02/06/2025"}, "recorded_date", "02/06/2025"),
    ("future_date", {"recorded_date": "2099-01-01", "committed_from": "2099-01-01"},
     "recorded_date", "future"),
    ("bad_time", {"committed_from": "2025-06-01 25:99"}, "committed_from", "25:99"),
    ("negative_age", {"victim_age": "-3"}, "victim_age", "-3"),
    ("old_age", {"suspect_age": "140"}, "suspect_age", "140"),
    ("text_age", {"victim_age": "twenty"}, "victim_age", "twenty"),
    ("sex_code", {"victim_sex": "Female"}, "victim_sex", "Female"),
    ("ethnicity_code", {"suspect_ethnicity": "W1"}, "suspect_ethnicity", "W1"),
    ("unknown_offence", {"offence": "GBH WITH INTENT"}, "offence", "GBH WITH INTENT"),
    ("unknown_flag", {"flags": "DA;DRUGS"}, "flags", "DA;DRUGS"),
    ("ward_code_form", {"ward_code": "Burnt Oak"}, "ward_code", "Burnt Oak"),
    ("lsoa_code_form", {"lsoa_code": "E02000115"}, "lsoa_code", "E02000115"),
    ("no_place", {"ward_code": "", "lsoa_code": "", "easting": "", "northing": ""},
     "ward_code", "no place"),
    ("half_coordinates", {"northing": ""}, "easting", "both"),
    ("committed_after_recorded", {"committed_from": "2025-06-05 10:00"}, "committed_from",
     "after"),
    ("blank_required", {"crime_ref": ""}, "crime_ref", "blank"),
    ("coordinate_text", {"easting": "52.1N"}, "easting", "52.1N"),
]


@pytest.mark.parametrize("change,column,needle", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_police_cell_is_named(tmp_path, change, column, needle):
    path = _write(tmp_path, [GOOD, {**GOOD, "crime_ref": "CR9", **change}])
    with pytest.raises(SchemaError) as err:
        _load_police(path)
    msg = str(err.value)
    assert "police.csv" in msg and "row 3" in msg and repr(column) in msg and needle in msg


def test_duplicate_crime_victim_names_both_rows(tmp_path):
    path = _write(tmp_path, [GOOD, {**GOOD, "crime_ref": "CR2"}, GOOD])
    with pytest.raises(SchemaError, match=r"row 4.*duplicate of row 2"):
        _load_police(path)


def test_missing_required_column(tmp_path):
    path = tmp_path / "police.csv"
    pd.DataFrame([GOOD]).drop(columns="offence").to_csv(path, index=False)
    with pytest.raises(SchemaError, match="missing required column.*'offence'.*templates"):
        _load_police(path)


def test_xlsx_loads_and_damaged_xlsx_is_named(tmp_path):
    path = tmp_path / "police.xlsx"
    pd.DataFrame([GOOD]).to_excel(path, index=False)
    assert len(_load_police(path).frame) == 1
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataError, match="broken.xlsx"):
        _load_police(broken)


def test_all_problems_reported_together(tmp_path):
    path = _write(tmp_path, [{**GOOD, "victim_age": "-1"}, {**GOOD, "crime_ref": "C2",
                                                             "victim_sex": "Q"}])
    with pytest.raises(SchemaError) as err:
        _load_police(path)
    assert "row 2" in str(err.value) and "row 3" in str(err.value)


def test_places_outside_the_area(tmp_path):
    frame = _load_police(_write(tmp_path, [GOOD, {**GOOD, "crime_ref": "CR2",
                                                   "ward_code": "E05000001",
                                                   "easting": "400000"}])).frame
    from shapely.geometry import box

    with pytest.raises(SchemaError) as err:
        check_records_area(frame, "police_records", "police.csv", ward_codes={"E05013628"},
                           lsoa_codes={"E01000115"}, boundary=box(520000, 185000, 530000, 197000))
    msg = str(err.value)
    assert "E05000001" in msg and "outside the area" in msg and "row 3" in msg
    check_records_area(frame.iloc[:1], "police_records", "police.csv",
                       ward_codes={"E05013628"}, lsoa_codes={"E01000115"},
                       boundary=box(520000, 185000, 530000, 197000))


AE_GOOD = {"attended": "2025-06-01 23:40", "age": "19", "sex": "M", "location_type": "street",
           "mechanism": "Sharp object", "incident_lsoa": "E01000115"}
AE_BAD = [
    ("ae_date", {"attended": "2025-13-01 10:00"}, "attended", "2025-13-01"),
    ("ae_mechanism", {"mechanism": "knife"}, "mechanism", "knife"),
    ("ae_age", {"age": "-1"}, "age", "-1"),
    ("ae_lsoa", {"incident_lsoa": "Burnt Oak"}, "incident_lsoa", "Burnt Oak"),
    ("ae_future", {"attended": "2099-05-01 10:00"}, "attended", "future"),
    ("ae_sex", {"sex": "male"}, "sex", "male"),
]


@pytest.mark.parametrize("change,column,needle", [b[1:] for b in AE_BAD],
                         ids=[b[0] for b in AE_BAD])
def test_bad_ae_cell_is_named(tmp_path, change, column, needle):
    path = _write(tmp_path, [AE_GOOD, {**AE_GOOD, **change}], AE_COLUMNS, "ae.csv")
    with pytest.raises(SchemaError) as err:
        load_ae_attendances((Source("ae_attendances", path),), None)
    msg = str(err.value)
    assert "ae.csv" in msg and "row 3" in msg and repr(column) in msg and needle in msg


def test_ae_good(tmp_path):
    path = _write(tmp_path, [AE_GOOD, {**AE_GOOD, "attended": "2025-06-02", "sex": ""}],
                  AE_COLUMNS, "ae.csv")
    frame = load_ae_attendances((Source("ae_attendances", path),), None).frame
    assert list(frame["time_known"]) == [True, False]
    assert frame.loc[0, "mechanism"] == "sharp object" and pd.isna(frame.loc[1, "sex"])


# --------------------------------------------------------------------------- parsing once (issue 15 speed)
def test_number_cells_read_as_pandas_reads_them():
    import numpy as np
    import pyarrow as pa

    from sna.io.records_parse import parse_number

    cells = ["23", "1,300", "+5", "5.", ".5", "1e2", "-0", "00012", None, "twenty", "0x10",
             "1_000", "5e", ".", "52.1N", "١٢"]
    got = parse_number(pa.chunked_array([pa.array(cells, pa.large_string())]))
    want = [23, 1300, 5, 5, 0.5, 100, 0, 12] + [np.nan] * 8
    np.testing.assert_array_equal(got, np.array(want, dtype=float))
    # the reference reader agrees on every cell (commas removed first, as the loader does)
    ref = pd.to_numeric(pd.Series(cells, dtype=object).str.replace(",", ""), errors="coerce")
    np.testing.assert_array_equal(got, ref.to_numpy(dtype=float))


def test_dates_real_calendar_and_clock():
    import pyarrow as pa

    from sna.io.records_parse import parse_dates

    cells = ["2024-02-29", "2023-02-29", "2025-02-30", "2025-04-31", "2025-12-31",
             "2025-06-01 23:59", "2025-06-01 23:59:59", "2025-06-01 24:00",
             "2025-06-01 23:60", "2025-06-01 23:59:60", "2025-6-1", "01/06/2025",
             "1500-01-01", "9999-12-31", "2025-06-01T10:00", None]
    got = pd.Series(parse_dates(pa.chunked_array([pa.array(cells, pa.large_string())]),
                                with_time=True))
    want = pd.to_datetime(["2024-02-29", None, None, None, "2025-12-31", "2025-06-01 23:59",
                           "2025-06-01 23:59:59"] + [None] * 9, format="ISO8601")
    pd.testing.assert_series_equal(got, pd.Series(want))
    only_dates = parse_dates(pa.chunked_array([pa.array(["2025-03-01", "2025-03-01 10:00",
                                                         "2025-02-29"], pa.large_string())]),
                             with_time=False)
    assert list(pd.Series(only_dates).isna()) == [False, True, True]


def test_each_column_parsed_once_for_all_checks_and_the_frame(tmp_path, monkeypatch):
    import sna.io.records_parse as rp

    calls = {"dates": 0, "number": 0}
    real_dates, real_number = rp.parse_dates, rp.parse_number

    def dates(*a, **k):
        calls["dates"] += 1
        return real_dates(*a, **k)

    def number(*a, **k):
        calls["number"] += 1
        return real_number(*a, **k)

    monkeypatch.setattr(rp, "parse_dates", dates)
    monkeypatch.setattr(rp, "parse_number", number)
    rows = [GOOD, {**GOOD, "crime_ref": "CR2", "committed_from": "2025-06-01"}]
    frame = _load_police(_write(tmp_path, rows)).frame
    # two date columns (each read by two checks, the order rule and the frame) and four
    # number columns (a check and the frame each): one parse per column
    assert calls == {"dates": 2, "number": 4}
    assert frame.loc[0, "easting"] == 524000 and frame.loc[1, "time_known"] == False  # noqa: E712


def test_schema_alone_checks_a_plain_text_frame():
    import pandera.pandas as pa

    from sna.io.records import police_schema

    frame = pd.DataFrame([GOOD, {**GOOD, "victim_age": "140", "recorded_date": "2025-02-30"}],
                         dtype=object).replace("", None)  # tidy text: blank cells missing
    with pytest.raises(pa.errors.SchemaErrors) as err:
        police_schema(today=pd.Timestamp("2026-01-01")).validate(frame, lazy=True)
    cases = err.value.failure_cases
    assert sorted(zip(cases["column"], cases["index"], cases["failure_case"], strict=True)) == [
        ("recorded_date", 1, "2025-02-30"), ("victim_age", 1, "140")]


def test_messy_but_valid_cells_are_typed(tmp_path):
    row = {**GOOD, "offence": "  violence   with injury ", "flags": " da ; Knife",
           "easting": "524,000", "northing": " 191000.5 ", "committed_from": "2025-06-01 22:15:30",
           "victim_sex": "f", "victim_ethnicity": "bLACK", "ward_code": " E05013628 ",
           "victim_age": "23.0", "suspect_age": ""}
    frame = _load_police(_write(tmp_path, [row])).frame
    r = frame.iloc[0]
    assert r["offence"] == "VIOLENCE WITH INJURY" and r["serious_violence"]
    assert (r["flag_da"], r["flag_knife"], r["flag_gun"]) == (True, True, False)
    assert (r["easting"], r["northing"]) == (524000.0, 191000.5)
    assert r["committed_from"] == pd.Timestamp("2025-06-01 22:15:30") and r["time_known"]
    assert (r["victim_sex"], r["victim_ethnicity"], r["ward_code"]) == ("F", "Black", "E05013628")
    assert r["victim_age"] == 23 and pd.isna(r["suspect_age"])
    assert str(frame["crime_ref"].dtype) == "string" and frame["offence"].dtype == frame[
        "crime_ref"].dtype


def test_duplicates_found_within_repeated_refs_blank_victims_included(tmp_path):
    ids = [("A", "V1"), ("B", ""), ("A", "V2"), ("B", ""), ("A", "V1"), ("C", "V1")]
    rows = [{**GOOD, "crime_ref": c, "victim_id": v} for c, v in ids]
    with pytest.raises(SchemaError) as err:
        _load_police(_write(tmp_path, rows))
    lines = [ln for ln in str(err.value).splitlines() if "duplicate" in ln]
    assert len(lines) == 2
    assert "row 5" in lines[0] and "duplicate of row 3" in lines[0]
    assert "row 6" in lines[1] and "duplicate of row 2" in lines[1]


def test_whole_column_wrong_reports_the_first_rows_only(tmp_path):
    rows = [{**GOOD, "crime_ref": f"CR{i}", "recorded_date": "02/06/2025"} for i in range(3000)]
    with pytest.raises(SchemaError) as err:
        _load_police(_write(tmp_path, rows))
    msg = str(err.value)
    assert "200 problem(s)" in msg and "row 2, column 'recorded_date'" in msg
    assert "02/06/2025" in msg and "row 3000" not in msg


def test_two_files_make_one_frame(tmp_path):
    a = _write(tmp_path, [GOOD], name="a.csv")
    b = _write(tmp_path, [{**GOOD, "crime_ref": "CR2"}, {**GOOD, "crime_ref": "CR3"}],
               name="b.csv")
    loaded = load_police_records((Source("police_records", a), Source("police_records", b)), None)
    assert list(loaded.frame["crime_ref"]) == ["CR1", "CR2", "CR3"]
    assert list(loaded.frame.index) == [0, 1, 2]
    assert [f["rows"] for f in loaded.meta["files"]] == [1, 2]


def test_column_twice_in_the_header_is_named(tmp_path):
    path = tmp_path / "police.csv"
    frame = pd.DataFrame([GOOD])
    frame.insert(len(frame.columns), "victim_age ", "99")  # same name once spaces are removed
    frame.to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"police.csv.*'victim_age'.*more than once"):
        _load_police(path)
