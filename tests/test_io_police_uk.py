"""police.uk loaders: street-level crime (file, folder, zip), stop and search, ward assignment."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from sna.config import Source
from sna.errors import DataError, EmptyDataError, EncodingError, GeometryError, SchemaError
from sna.io.common import LoadContext
from sna.io.police_uk import (
    POLICE_UK_COLUMNS,
    STOP_COLUMNS,
    assign_to_wards,
    load_police_uk,
    load_stop_search,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
STREET_DIR = RAW / "police_uk" / "street"
STOP_FILE = RAW / "police_uk" / "stop_search" / "2024-06-metropolitan-stop-and-search.csv"
CTX = LoadContext("Barnet", "E09000003")
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")
MPS = "Metropolitan Police Service,Metropolitan Police Service"
STOP_HEADER = ("Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,"
               "Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,"
               "Object of search,Outcome,Outcome linked to object of search,"
               "Removal of more than just outer clothing")


def street_row(month="2025-01", lsoa="Barnet 001A", lat="51.6", lon="-0.2", crime_id="ab12",
               crime="Violence and sexual offences") -> str:
    return (f"{crime_id},{month},{MPS},{lon},{lat},On or near High Street,E01000001,{lsoa},"
            f"{crime},Under investigation,")


def street_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def stop_row(date="2024-06-01T10:00:00+00:00", lat="51.6", lon="-0.2") -> str:
    return (f"Person search,{date},False,,{lat},{lon},Male,18-24,White - Any other White "
            "background,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,"
            "A no further action disposal,False,False")


def src(path: Path, key: str = "police_uk", **options) -> tuple[Source, ...]:
    return (Source(key, Path(path), tuple(sorted(options.items()))),)


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- real shipped files ------------------------------------------------------------------------

def test_real_street_folder():
    loaded = load_police_uk(src(STREET_DIR), CTX)
    frame, meta = loaded.frame, loaded.meta
    assert list(frame.columns) == POLICE_UK_COLUMNS
    assert len(frame) == 244 + 244 + 192  # wc -l minus headers (Barnet burglary extract)
    assert meta["months"] == ["2024-12", "2025-01", "2025-02"]
    assert [f["rows"] for f in meta["files"]] == [244, 244, 192]
    assert frame["lsoa_name"].str.startswith("Barnet ").all()
    assert frame["latitude"].dtype == "float64" and frame["latitude"].between(51.5, 51.7).all()
    assert set(frame["crime_type"]) == {"Burglary"}


def test_real_stop_search():
    loaded = load_stop_search(src(STOP_FILE, key="stop_search"), CTX)
    frame = loaded.frame
    assert list(frame.columns) == STOP_COLUMNS
    assert len(frame) == 8720
    assert str(frame["datetime"].dt.tz) == "UTC"
    # the first row is 2024-05-31T23:02 UTC = 00:02 on 1 June in London: month 2024-06
    assert frame["datetime"].iloc[0] == pd.Timestamp("2024-05-31T23:02:00Z")
    assert loaded.meta["months"] == ["2024-06"]
    assert (frame["object"] == "Offensive weapons").sum() == 1410
    assert loaded.meta["no_location_rows"] == frame["latitude"].isna().sum() > 0
    assert frame["removal"].dtype == "boolean"


def test_real_stop_search_assigned_to_barnet_wards():
    wards = gpd.read_file(RAW / "boundaries" / "barnet_wards_2022.geojson").rename(
        columns={"WD22CD": "ward_code", "WD22NM": "ward_name"})
    frame = load_stop_search(src(STOP_FILE, key="stop_search"), CTX).frame
    out = assign_to_wards(frame, wards)
    assert len(out) == len(frame) and out.index.equals(frame.index)
    inside = out["ward_code"].notna()
    assert 0 < inside.sum() < len(frame)
    assert set(out.loc[inside, "ward_code"]) <= set(wards["ward_code"])
    assert out.loc[frame["latitude"].isna(), "ward_code"].isna().all()
    # every Barnet point lies in the Barnet bounding box
    lat = out.loc[inside, "latitude"]
    assert lat.between(51.55, 51.68).all()


# --- sources: single file, folder, zip --------------------------------------------------------

def test_area_filter_uses_name_and_space(tmp_path):
    path = write(tmp_path, "2025-01-metropolitan-street.csv", street_text(
        street_row(lsoa="Brent 001A"), street_row(lsoa="Brentwood 001A"),
        street_row(lsoa="Barnet 002B"), street_row(lsoa="", lat="", lon="")))
    loaded = load_police_uk(src(path), LoadContext("Brent", "E09000005"))
    assert loaded.frame["lsoa_name"].tolist() == ["Brent 001A"]
    assert loaded.meta["no_location_rows"] == 1
    assert loaded.meta["files"][0]["rows"] == 4


def test_zip_archive_and_folder_of_zips(tmp_path):
    archive = tmp_path / "police" / "archive.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2025-01/2025-01-metropolitan-street.csv", street_text(street_row()))
        z.writestr("2025-02/2025-02-metropolitan-street.csv",
                   street_text(street_row(month="2025-02"), street_row(month="2025-02")))
        z.writestr("2025-02/2025-02-metropolitan-outcomes.csv", "not,read\n")
    for source in (archive, archive.parent):
        loaded = load_police_uk(src(source), CTX)
        assert loaded.meta["months"] == ["2025-01", "2025-02"]
        assert len(loaded.frame) == 3
        assert loaded.meta["files"][0]["path"].startswith("archive.zip:2025-01/")


def test_synthetic_month_with_context_column_missing(tmp_path):
    header = HEADER.rsplit(",", 1)[0]
    row = street_row().rsplit(",", 1)[0]
    path = write(tmp_path, "2025-03-btp-street.csv", street_text(row, header=header))
    loaded = load_police_uk(src(path), CTX)
    assert loaded.frame["context"].isna().all() and len(loaded.frame) == 1


def test_assign_to_wards_square_grid():
    wards = gpd.GeoDataFrame({"ward_code": ["W1", "W2"], "ward_name": ["One", "Two"]},
                             geometry=[box(530000, 180000, 531000, 181000),
                                       box(531000, 180000, 532000, 181000)], crs=27700)
    centres = wards.geometry.centroid.to_crs(4326)
    frame = pd.DataFrame({"latitude": [centres.y[1], centres.y[0], None, 51.0],
                          "longitude": [centres.x[1], centres.x[0], None, 0.0]},
                         index=[10, 11, 12, 13])
    out = assign_to_wards(frame, wards)
    assert out["ward_code"].tolist()[:2] == ["W2", "W1"]
    assert out["ward_code"].isna().tolist()[2:] == [True, True]
    assert out["ward_name"].tolist()[0] == "Two" and list(out.index) == [10, 11, 12, 13]
    with pytest.raises(GeometryError):
        assign_to_wards(frame, wards.set_crs(None, allow_override=True))
    with pytest.raises(SchemaError, match="ward_code"):
        assign_to_wards(frame, wards.rename(columns={"ward_code": "code"}))


# --- bad inputs -----------------------------------------------------------------------------------

def _zip_without_street(tmp_path: Path) -> Path:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("2025-01/2025-01-metropolitan-outcomes.csv", "a,b\n1,2\n")
    return path


def _empty_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "street"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing here")
    return folder


def _text(name: str, data: str | bytes):
    return lambda tmp_path: write(tmp_path, name, data)


F = "2025-01-metropolitan-street.csv"
S = "2024-06-metropolitan-stop-and-search.csv"
BAD = [
    ("street-missing-column", load_police_uk,
     _text(F, street_text(street_row().replace(",Barnet 001A", ""),
                          header=HEADER.replace(",LSOA name", ""))),
     SchemaError, [F, "'LSOA name'", "missing column"]),
    ("street-bad-month", load_police_uk,
     _text(F, street_text(street_row(), street_row(month="2025-13"))),
     SchemaError, [F, "row 3", "'Month'", "'2025-13'"]),
    ("street-non-numeric-latitude", load_police_uk,
     _text(F, street_text(street_row(), street_row(), street_row(lat="51.6x"))),
     SchemaError, [F, "row 4", "'Latitude'", "'51.6x'", "not a number"]),
    ("street-latitude-out-of-range", load_police_uk,
     _text(F, street_text(street_row(lat="95.1"))),
     SchemaError, [F, "row 2", "'Latitude'", "'95.1'"]),
    ("street-empty-file", load_police_uk, _text(F, ""), EmptyDataError, [F, "empty"]),
    ("street-header-only", load_police_uk, _text(F, HEADER + "\n"), EmptyDataError,
     [F, "no data rows"]),
    ("street-ragged-row", load_police_uk, _text(F, street_text(street_row() + ",extra")),
     SchemaError, [F, "Expected 12 columns", "re-download"]),
    ("street-wrong-encoding", load_police_uk,
     _text(F, street_text(street_row().replace("High Street", "Rue Sainte-Cécile"))
           .encode("latin-1")),
     EncodingError, [F, "encoding: latin-1"]),
    ("zip-without-street-csv", load_police_uk, _zip_without_street, SchemaError,
     ["archive.zip", "no street-level files"]),
    ("corrupt-zip", load_police_uk, _text("broken.zip", b"PK\x03\x04 not really a zip"),
     DataError, ["broken.zip", "Re-download"]),
    ("folder-without-street-files", load_police_uk, _empty_folder, SchemaError,
     ["street", "no police.uk street files"]),
    ("stop-missing-column", load_stop_search,
     _text(S, "\n".join([STOP_HEADER.replace(",Object of search", ""),
                         stop_row().replace(",Controlled drugs", "")]) + "\n"),
     SchemaError, [S, "'Object of search'", "stop and search"]),
    ("stop-bad-date", load_stop_search,
     _text(S, "\n".join([STOP_HEADER, stop_row(), stop_row(date="31/06/2024 10:00")]) + "\n"),
     SchemaError, [S, "row 3", "'Date'", "'31/06/2024 10:00'"]),
    ("stop-non-numeric-longitude", load_stop_search,
     _text(S, "\n".join([STOP_HEADER, stop_row(lon="west")]) + "\n"),
     SchemaError, [S, "row 2", "'Longitude'", "'west'"]),
]


@pytest.mark.parametrize("loader, make, error, needles",
                         [pytest.param(lo, m, e, n, id=i) for i, lo, m, e, n in BAD])
def test_bad_police_uk_inputs(tmp_path, loader, make, error, needles):
    path = make(tmp_path)
    with pytest.raises(error) as info:
        loader(src(path), CTX)
    assert type(info.value) is error
    for needle in needles:
        assert needle in str(info.value), f"{needle!r} not in {info.value}"


def test_latin1_street_file_loads_with_encoding_option(tmp_path):
    data = street_text(street_row().replace("High Street", "Rue Sainte-Cécile")).encode("latin-1")
    loaded = load_police_uk(src(write(tmp_path, F, data), encoding="latin-1"), CTX)
    assert loaded.frame["location"].iloc[0] == "On or near Rue Sainte-Cécile"


def test_many_bad_rows_are_summarised(tmp_path):
    rows = [street_row(month="2025-13") for _ in range(25)]
    with pytest.raises(SchemaError) as info:
        load_police_uk(src(write(tmp_path, F, street_text(*rows))), CTX)
    assert "and 15 more rows like this" in str(info.value)
