"""Context loaders (Census, CLIF, ward profiles, IMD, DfE, ambulance): real files with
hand-checked numbers, then a suite of bad inputs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sna.config import Source
from sna.errors import EmptyDataError, EncodingError, SchemaError
from sna.io.ambulance import detect_breaks, load_ambulance
from sna.io.census import load_census, load_clif, load_population, load_ward_profiles
from sna.io.common import LoadContext
from sna.io.dfe import lait_year, load_dfe_lait, load_neet
from sna.io.imd import load_imd, load_imd_ward_summaries

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared" / "data" / "real"
CTX = LoadContext("Barnet", "E09000003")
AGE_HEADER = ("date,geography,geography code,Age: Total,Age: Aged 4 years and under,"
              "Age: Aged 5 to 9 years,Age: Aged 85 years and over\n")


def src(key: str, path: Path | str, **options) -> Source:
    return Source(key, Path(path).resolve(), tuple(sorted(options.items())))


def needs_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not present (../shared absent)")
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


# --------------------------------------------------------------------------- Census
@pytest.fixture(scope="module")
def population():
    return load_population((src("population", RAW / "census/census2021-ts007a-ltla.csv"),
                            src("population", RAW / "census/census2021-ts007a-lsoa-barnet.csv")),
                           CTX)


def test_population_barnet_total_and_bands(population):
    frame = population.frame
    assert list(frame.columns) == ["geography_code", "geography_name", "level", "age_band",
                                   "age_min", "age_max", "population"]
    barnet = frame[frame["geography_code"] == "E09000003"]
    # file: "2021,Barnet,E09000003,389343,24106,..." (Age: Total = sum of the 18 bands)
    assert barnet["population"].sum() == 389_343
    assert len(barnet) == 18 and set(barnet["level"]) == {"ltla"}
    assert barnet.set_index("age_band").loc["0-4", "population"] == 24_106
    assert barnet.set_index("age_band").loc["85+", ["age_min", "age_max"]].tolist() == [85, 120]
    lsoa = frame[frame["level"] == "lsoa"]
    assert lsoa["geography_code"].nunique() == 220
    assert frame["population"].dtype == "int64"


def test_census_tables_and_categories():
    files = [RAW / "census" / f"census2021-{t}.csv" for t in
             ("ts011-ltla", "ts011-lsoa-barnet", "ts044-ltla", "ts054-ltla", "ts066-ltla",
              "ts067-ltla")]
    loaded = load_census(tuple(src("census", f) for f in files), CTX)
    frame = loaded.frame
    assert loaded.meta["tables"] == ["TS011", "TS044", "TS054", "TS066", "TS067"]
    ts011 = frame[(frame["table"] == "TS011") & (frame["geography_code"] == "E09000003")]
    values = ts011.set_index("category")["value"]
    assert values["Total: All households"] == 148_921
    assert values["Household is not deprived in any dimension"] == 73_825
    assert ts011.loc[ts011["is_total"], "category"].tolist() == ["Total: All households"]
    assert "Economically active (excluding full-time students): In employment" in set(
        frame["category"])  # 'students):In employment' spacing normalised
    assert frame.loc[frame["table"] == "TS011", "level"].value_counts()["lsoa"] == 220 * 6


def test_clif_barnet_wards_and_suppression():
    loaded = load_clif((src("clif", RAW / "population" /
                            "children_in_low_income_families_ward2022_FYE2023.csv"),), CTX)
    frame = loaded.frame
    barnet = frame[frame["borough"] == "Barnet"]
    assert len(barnet) == 24
    assert barnet.set_index("ward_code").loc["E05013630", "children"] == 1343  # Burnt Oak
    assert frame.set_index("ward_name").loc["Farringdon Within", "children"] != \
        frame.set_index("ward_name").loc["Farringdon Within", "children"]  # '..' -> NaN
    assert frame.columns[:3].tolist() == ["ward_code", "ward_name", "children"]
    assert loaded.meta["files"][0]["vintage"] == "FYE 2023"


def test_ward_profiles_latin1_default():
    path = needs_shared(SHARED / "population" / "gla_ward_profiles_2015.csv")
    frame = load_ward_profiles((src("ward_profiles", path),), CTX).frame
    burnt_oak = frame[(frame["area_code"] == "E05000044")].set_index("measure")
    assert burnt_oak.loc["Population - 2015", "value"] == 19_650
    assert burnt_oak["borough"].iloc[0] == "Barnet"
    assert "Median House Price (£) - 2014" in set(frame["measure"])
    assert frame[frame["level"] == "borough"]["area_code"].nunique() == 33


# --------------------------------------------------------------------------- IMD
@pytest.fixture(scope="module")
def imd():
    files = sorted((RAW / "imd").glob("*.csv.gz"))
    return load_imd(tuple(src("imd", f) for f in files), CTX)


def test_imd_editions_and_thousands_separators(imd):
    frame = imd.frame
    assert list(frame.columns) == ["edition", "lsoa_code", "lsoa_year", "lad_code", "domain",
                                   "rank", "decile"]
    row = frame[(frame["edition"] == "IoD2019") & (frame["lsoa_code"] == "E01000115")
                & (frame["domain"] == "imd")].iloc[0]
    assert row["rank"] == 29_174 and row["decile"] == 9  # File 1 text: "29,174" (Barnet 009A)
    crime = frame[(frame["lsoa_code"] == "E01000115") & (frame["domain"] == "crime")].iloc[0]
    assert (crime["rank"], crime["decile"]) == (24_388, 8)
    barnet19 = frame[(frame["edition"] == "IoD2019") & (frame["lad_code"] == "E09000003")]
    assert barnet19["lsoa_code"].nunique() == 211
    assert set(barnet19["domain"]) == {"imd", "income", "employment", "education", "health",
                                       "crime", "barriers", "living_environment"}
    assert frame["rank"].dtype == "int64"
    assert imd.meta["warnings"] == []  # File 1 and File 2 agree on the IMD rank


def test_imd_2025_xlsx():
    loaded = load_imd((src("imd", RAW / "imd/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx"),),
                      CTX)
    frame = loaded.frame
    assert len(frame) == 33_755 and set(frame["edition"]) == {"IoD2025"}
    barnet = frame[frame["lad_code"] == "E09000003"]
    assert barnet["lsoa_code"].nunique() == 220 and set(barnet["lsoa_year"]) == {2021}
    row = frame[frame["lsoa_code"] == "E01000001"].iloc[0]  # City of London 001A
    assert (row["rank"], row["decile"]) == (26_525, 8)  # decile header truncated ('10% of LSOA')


def test_imd_ward_summaries():
    path = needs_shared(SHARED / "deprivation" / "gla_iod2019_ward_summaries_london_2018wards.csv")
    frame = load_imd_ward_summaries((src("imd", path),), CTX).frame
    barnet = frame[(frame["borough"] == "Barnet") & (frame["measure"] == "imd_average_score")]
    assert len(barnet) == 21
    with pytest.raises(SchemaError, match="load_imd_ward_summaries"):
        load_imd((src("imd", path),), CTX)


# --------------------------------------------------------------------------- DfE
@pytest.mark.parametrize(("label", "year"), [
    ("2023/24", 2024), ("2014-16", 2016), ("2025 (prov)", 2025), ("2013/14-15/16", 2016),
    ("2023-24 (OT)", 2024), ("2024", 2024), ("1999/00", 2000), ("0", None)])
def test_lait_year(label, year):
    assert lait_year(label) == year


def test_lait_first_time_entrants_barnet():
    loaded = load_dfe_lait((src("dfe_lait", RAW / "dfe/lait/bds_long_london.parquet"),), CTX)
    frame = loaded.frame
    fte = frame[(frame["indicator"] == "FirstYJS") & (frame["area_name"] == "Barnet")]
    assert fte.set_index("year").loc[2024, "value"] == 146.0
    assert fte.set_index("year").loc[2016, "value"] == 266.0
    assert fte["label"].iloc[-1].startswith("First Time entrants")  # filled down
    assert fte["la_number"].iloc[0] == 302
    assert frame["value"].dtype == "float64" and frame["year"].dtype == "int64"
    assert any("CINPermExclusion" in w for w in loaded.meta["warnings"])  # Years '0'


def test_neet_years_aligned_by_name():
    files = sorted((RAW / "dfe/neet").glob("*.csv"))
    loaded = load_neet(tuple(src("neet", f) for f in files), CTX)
    frame = loaded.frame
    assert loaded.meta["years"] == [2022, 2023, 2024, 2025]
    barnet = frame[(frame["la_code"] == "E09000003") & (frame["measure"] == "NEET_not_known_percent")]
    assert barnet.set_index("time_period")["value"].to_dict() == {2022: 1.5, 2023: 0.9,
                                                                 2024: 0.9, 2025: 1.0}
    pop = frame[(frame["la_code"] == "E09000003") & (frame["measure"] == "Age1617_ONS_population")]
    assert pop.set_index("time_period")["value"].isna().to_dict() == {2022: False, 2023: True}
    england = frame[(frame["geographic_level"] == "National")]
    assert set(england["la_code"]) == {"E92000001"} and set(england["la_name"]) == {"England"}


# --------------------------------------------------------------------------- ambulance
@pytest.fixture(scope="module")
def ambulance():
    return load_ambulance((src("ambulance", RAW / "ambulance/ambulance-borough-monthly.xlsx"),),
                          CTX)


def test_ambulance_barnet_assaults(ambulance):
    frame = ambulance.frame
    assert list(frame.columns) == ["incident_type", "borough_code", "borough_name", "month",
                                   "count"]
    assaults = frame[(frame["incident_type"] == "All Assaults Borough")
                     & (frame["borough_code"] == "E09000003")].set_index("month")["count"]
    assert assaults["2009-06"] == 106 and assaults["2015-08"] == 55
    assert assaults["2015-09"] == 43 and assaults.index.max() == "2016-07"
    assert frame["borough_code"].str.match(r"^E09\d{6}$").all()  # Total and notes dropped
    assert frame.groupby("incident_type")["borough_code"].nunique().eq(33).all()
    assert {"Knife Injury Borough", "Assault Against Teens"} <= set(frame["incident_type"])


def test_ambulance_series_break_and_header_typo(ambulance):
    breaks = ambulance.meta["series_breaks"]
    assert [b["month"] for b in breaks] == ["2015-09"]
    assert "All Assaults Borough" in breaks[0]["detected_in"]
    assert "recording change" in breaks[0]["note"]
    assert any("'May2014' read as 2016-05" in w for w in ambulance.meta["warnings"])
    json.dumps(ambulance.meta)


def test_detect_breaks_synthetic():
    months = [f"20{y:02d}-{m:02d}" for y in (14, 15) for m in range(1, 13)]
    steady = pd.Series([1000.0] * 12 + [600.0] * 12, index=months)
    assert detect_breaks(steady) == ["2015-01"]
    dip = pd.Series([1000.0] * 12 + [600.0] + [1000.0] * 11, index=months)
    assert detect_breaks(dip) == []


# --------------------------------------------------------------------------- bad inputs
def _write(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp / name
    path.write_bytes(text.encode(encoding))
    return path


def _pop_missing_column(tmp):
    p = _write(tmp, "ts007a.csv", "date,geography,Age: Total\n2021,Barnet,1\n")
    return load_population, (src("population", p),), ["ts007a.csv", "'geography code'"]


def _pop_empty(tmp):
    return load_population, (src("population", _write(tmp, "ts007a.csv", "")),), ["ts007a.csv"]


def _pop_header_only(tmp):
    p = _write(tmp, "ts007a.csv", AGE_HEADER)
    return load_population, (src("population", p),), ["ts007a.csv", "no data rows"]


def _pop_bad_count(tmp):
    p = _write(tmp, "ts007a.csv", AGE_HEADER + "2021,Barnet,E09000003,10,4,3,3\n"
               "2021,Brent,E09000005,10,4,x5,1\n")
    return load_population, (src("population", p),), ["ts007a.csv", "row 3",
                                                      "'Age: Aged 5 to 9 years'", "'x5'"]


def _pop_msoa_codes(tmp):
    p = _write(tmp, "ts007a.csv", AGE_HEADER + "2021,Barnet 001,E02000001,10,4,3,3\n")
    return load_population, (src("population", p),), ["row 2", "E02000001", "LSOA"]


def _census_unknown_table(tmp):
    p = _write(tmp, "mystery.csv", "date,geography,geography code,Foo: Total,Foo: Bar\n"
               "2021,Barnet,E09000003,1,1\n")
    return load_census, (src("census", p),), ["mystery.csv", "which Census 2021 table"]


def _clif_bad_value(tmp):
    p = _write(tmp, "clif.csv", "\ufeffWard code,Wards (2022),Borough,FYE 2023\n"
               "E05013628,Barnet Vale,Barnet,307\nE05013629,Brunswick Park,Barnet,n.a.\n")
    return load_clif, (src("clif", p),), ["clif.csv", "row 3", "'FYE 2023'", "'n.a.'"]


def _clif_missing_year(tmp):
    p = _write(tmp, "clif.csv", "Ward code,Wards (2022),Borough\nE05013628,Barnet Vale,Barnet\n")
    return load_clif, (src("clif", p),), ["clif.csv", "FYE YYYY"]


def _profiles_utf8_option(tmp):
    p = _write(tmp, "profiles.csv", "Ward name,Old code,New code,Median House Price (£) - 2014\n"
               "Barnet - Hale,00ACGJ,E05000054,400000\n", encoding="latin-1")
    return load_ward_profiles, (src("ward_profiles", p, encoding="utf-8"),), [
        "profiles.csv", "utf-8", "latin-1"]


def _imd_unknown_header(tmp):
    p = _write(tmp, "imd.csv", "LSOA,Rank\nE01000115,1\n")
    return load_imd, (src("imd", p),), ["imd.csv", "neither an IoD2019 nor an IoD2025"]


def _imd_missing_sheet(tmp):
    p = write_xlsx(tmp / "iod.xlsx", {"Notes": [["about"]], "IMD25": [
        ["LSOA code (2021)", "Index of Multiple Deprivation (IMD) Rank"], ["E01000115", 5]]})
    return load_imd, (src("imd", p, sheet="IMD19"),), ["iod.xlsx", "'IMD19'", "'IMD25'"]


def _imd_bad_decile(tmp):
    p = _write(tmp, "imd.csv", "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,"
               "Index of Multiple Deprivation (IMD) Decile\nE01000115,\"29,174\",9\n"
               "E01000116,\"27,318\",11\n")
    return load_imd, (src("imd", p),), ["imd.csv", "row 3", "Decile", "'11'"]


def _lait_missing_values(tmp):
    p = _write(tmp, "lait.csv", "Short Desc,Years,LA and Regions\nFirstYJS,2024,Barnet\n")
    return load_dfe_lait, (src("dfe_lait", p),), ["lait.csv", "'Values'"]


def _lait_bad_value(tmp):
    p = _write(tmp, "lait.csv", "Short Desc,Data item,Years,LA and Regions,Values,LA Number,"
               "Region\nFirstYJS,FTE,2024,Barnet,146,302,Outer London\n"
               "FirstYJS,,2023,Barnet,ninety,302,Outer London\n")
    return load_dfe_lait, (src("dfe_lait", p),), ["lait.csv", "row 3", "'Values'", "'ninety'"]


def _neet_bad_value(tmp):
    p = _write(tmp, "neet.csv", "time_period,geographic_level,new_la_code,la_name,NEET_percent\n"
               "2025,Local authority,E09000003,Barnet,0.6\n2025,Local authority,E09000005,"
               "Brent,n/k\n")
    return load_neet, (src("neet", p),), ["neet.csv", "row 3", "'NEET_percent'", "'n/k'"]


def _ambulance_no_data_sheet(tmp):
    p = write_xlsx(tmp / "las.xlsx", {"Metadata": [["Name", "Ambulance"]]})
    return load_ambulance, (src("ambulance", p),), ["las.xlsx", "Code, Borough"]


def _ambulance_missing_sheet(tmp):
    p = write_xlsx(tmp / "las.xlsx", {"All Assaults Borough": [["Code", "Borough", "Jun 2009"]]})
    return load_ambulance, (src("ambulance", p, sheet="Knife Injury Borough"),), [
        "las.xlsx", "'Knife Injury Borough'", "'All Assaults Borough'"]


def _ambulance_bad_count(tmp):
    p = write_xlsx(tmp / "las.xlsx", {"All Assaults Borough": [
        ["Code", "Borough", "Jun 2009", dt.datetime(2009, 7, 1)],
        ["E09000002", "Barking and Dagenham", 90, 101], ["E09000003", "Barnet", 106, "n/a"],
        [None, "Total", 196, 101]]})
    return load_ambulance, (src("ambulance", p),), ["las.xlsx", "All Assaults Borough",
                                                    "row 3", "'2009-07'", "'n/a'"]


def _ambulance_not_xlsx(tmp):
    p = _write(tmp, "las.xlsx", "Code,Borough\n")
    return load_ambulance, (src("ambulance", p),), ["las.xlsx", "Excel workbook"]


BAD = [
    ("population-missing-column", _pop_missing_column, SchemaError),
    ("population-empty-file", _pop_empty, EmptyDataError),
    ("population-header-only", _pop_header_only, EmptyDataError),
    ("population-non-numeric-count", _pop_bad_count, SchemaError),
    ("population-msoa-codes", _pop_msoa_codes, SchemaError),
    ("census-unknown-table", _census_unknown_table, SchemaError),
    ("clif-bad-value-not-dotdot", _clif_bad_value, SchemaError),
    ("clif-no-year-column", _clif_missing_year, SchemaError),
    ("ward-profiles-latin1-read-as-utf8", _profiles_utf8_option, EncodingError),
    ("imd-neither-known-header", _imd_unknown_header, SchemaError),
    ("imd-xlsx-missing-sheet", _imd_missing_sheet, SchemaError),
    ("imd-decile-out-of-range", _imd_bad_decile, SchemaError),
    ("lait-missing-values-column", _lait_missing_values, SchemaError),
    ("lait-non-numeric-value", _lait_bad_value, SchemaError),
    ("neet-unknown-symbol", _neet_bad_value, SchemaError),
    ("ambulance-no-borough-sheet", _ambulance_no_data_sheet, SchemaError),
    ("ambulance-missing-sheet", _ambulance_missing_sheet, SchemaError),
    ("ambulance-non-numeric-count", _ambulance_bad_count, SchemaError),
    ("ambulance-not-a-workbook", _ambulance_not_xlsx, SchemaError),
]


@pytest.mark.parametrize(("make", "error"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_context_inputs(tmp_path, make, error):
    loader, sources, expected = make(tmp_path)
    with pytest.raises(error) as exc:
        loader(sources, CTX)
    assert type(exc.value) is error
    for text in expected:
        assert text in str(exc.value)


def test_clif_dotdot_and_neet_symbols_are_missing(tmp_path):
    p = _write(tmp_path, "clif.csv", "Ward code,Wards (2022),Borough,FYE 2023\n"
               "E05013628,Barnet Vale,Barnet,..\nE05013629,Brunswick Park,Barnet,\"1,357\"\n")
    frame = load_clif((src("clif", p),), CTX).frame
    assert frame["children"].isna().tolist() == [True, False]
    assert frame["children"].iloc[1] == 1357.0
    p = _write(tmp_path, "neet.csv", "time_period,geographic_level,new_la_code,la_name,a,b,c,d\n"
               "2025,Local authority,E09000003,Barnet,c,z,x,:\n")
    assert load_neet((src("neet", p),), CTX).frame["value"].isna().all()
