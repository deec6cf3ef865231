"""VAWG dashboard and MOPAC Public Attitude Survey loaders, and the new Census tables: quirks
of the real files (recorded x committed cells, decimal commas, day-first dates, Nomis suffixes,
subtotal columns) against independent sums, and bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sna.config import Source
from sna.errors import SchemaError
from sna.io.attitudes import load_public_attitudes
from sna.io.census import load_census
from sna.io.common import LoadContext
from sna.io.vawg import load_vawg

ROOT = Path(__file__).resolve().parents[1]
VAWG = ROOT / "data" / "raw" / "mps" / "vawg" / "vawg-offences_location_2021-01_to_2026-02.parquet"
PAS = ROOT / "data" / "raw" / "mopac" / "PAS_Dashboard_Borough.csv"
CENSUS = ROOT / "data" / "raw" / "census"
CTX = LoadContext("Barnet", "E09000003")
VHEAD = ("bcu_location,borough_name,ward_name_clean_2,recorded_date_months,"
         "date_committed_from_date_months,count,sheet\n")
PHEAD = "Date,Survey,Borough,Measure,Proportion,MPS,,,,\n"


def src(key: str, *paths: Path, **options) -> tuple[Source, ...]:
    return tuple(Source(key, Path(p), tuple(sorted(options.items()))) for p in paths)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


# --- VAWG ----------------------------------------------------------------------------------

def test_vawg_sums_committed_months_like_the_raw_file():
    loaded = load_vawg(src("vawg", VAWG), CTX)
    frame = loaded.frame
    raw = pd.read_parquet(VAWG)
    month = raw["recorded_date_months"].dt.strftime("%Y-%m")
    for period in ("2023-02", "2025-06"):
        want = raw.loc[(raw["borough_name"] == "Barnet") & (month == period), "count"].sum()
        got = frame.loc[(frame["borough"] == "Barnet") & (frame["month"] == period), "count"]
        assert got.sum() == want
    # one row per ward and recorded month: the committed-month cells are summed away
    loc = frame[frame["breakdown"] == "location"]
    assert not loc.duplicated(["borough", "ward_name", "month"]).any()
    assert loaded.meta["files"][0]["unknown_committed_count"] >= 0


def test_vawg_csv_cells_and_placeholder(tmp_path):
    text = VHEAD + ("North West,Barnet,Burnt Oak,2024-01-01,2024-01-01,3,Offence count location\n"
                    "North West,Barnet,Burnt Oak,2024-01-01,2023-11-01,2,Offence count location\n"
                    "North West,Barnet,Burnt Oak,2024-01-01,1900-01-01,1,Offence count location\n"
                    "North West,Other,,2024-01-01,2024-01-01,4,Offence count location\n")
    loaded = load_vawg(src("vawg", write(tmp_path, "v.csv", text)), CTX)
    burnt = loaded.frame[loaded.frame["ward_name"] == "Burnt Oak"]
    assert burnt["count"].tolist() == [6]
    assert loaded.meta["files"][0]["unknown_committed_count"] == 1


@pytest.mark.parametrize("text, needles", [
    (VHEAD + "North West,Barnet,Burnt Oak,2024-01-01,2024-01-01,lots,Offence count location\n",
     ["bad.csv", "row 2", "'count'", "'lots'"]),
    (VHEAD.replace("borough_name,", "borough,") + "North West,Barnet,Burnt Oak,2024-01-01,"
     "2024-01-01,3,Offence count location\n", ["bad.csv", "'borough_name'"]),
    (VHEAD + "North West,Barnet,Burnt Oak,2024-01-01,2024-01-01,3,Offence count location\n"
     "North West,Gotham,Docks,2024-01-01,2024-01-01,3,Offence count location\n",
     ["bad.csv", "row 3", "'borough_name'", "'Gotham'"]),
], ids=["text-in-count", "missing-column", "unknown-area"])
def test_vawg_bad_input(tmp_path, text, needles):
    with pytest.raises(SchemaError) as info:
        load_vawg(src("vawg", write(tmp_path, "bad.csv", text)), CTX)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_vawg_wrong_sheet(tmp_path):
    path = tmp_path / "vawg.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"a": [1]}).to_excel(xl, sheet_name="Read me", index=False)
    with pytest.raises(SchemaError, match=r"vawg\.xlsx.*no VAWG data sheet"):
        load_vawg(src("vawg", path), CTX)
    with pytest.raises(SchemaError, match=r"vawg\.xlsx.*no sheet 'Offences'"):
        load_vawg(src("vawg", path, sheet="Offences"), CTX)


# --- Public Attitude Survey ----------------------------------------------------------------

def test_pas_decimal_commas_dates_and_richmond():
    loaded = load_public_attitudes(src("public_attitudes", PAS), CTX)
    frame = loaded.frame
    assert frame["borough"].nunique() == 32 and "City of Westminster" not in set(frame["borough"])
    assert frame["borough"].str.startswith("Richmond").sum() == (
        frame["borough"] == "Richmond upon Thames").sum()
    assert set(frame["measure_id"]) == {"good_job", "contact_ward_officer", "informed", "listen",
                                        "relied_on", "fair", "understand", "trust"}
    # independent reading of one cell: 31/12/2014, Barnet, "Good Job" local = 0,67 (MPS 0,67)
    row = frame[(frame["quarter_end"] == "2014-12-31") & (frame["borough"] == "Barnet")
                & (frame["measure_id"] == "good_job")].iloc[0]
    assert (row["proportion"], row["london"]) == (0.67, 0.67)
    assert frame["quarter_end"].min() == "2014-12-31" and frame["quarter_end"].max() == "2023-12-31"
    assert frame["proportion"].between(0, 1).all()


@pytest.mark.parametrize("text, needles", [
    (PHEAD + '31/3/2015,PAS,Barnet,"""Good Job"" local","lots","0,67",,,,\n',
     ["bad.csv", "row 2", "'Proportion'", "'lots'"]),
    (PHEAD + '31/3/2015,PAS,Gotham,"""Good Job"" local","0,5","0,67",,,,\n',
     ["bad.csv", "row 2", "'Borough'", "'Gotham'"]),
    (PHEAD + '31/13/2015,PAS,Barnet,"""Good Job"" local","0,5","0,67",,,,\n',
     ["bad.csv", "row 2", "'Date'", "'31/13/2015'"]),
    (PHEAD.replace("Proportion,", "Share,") + '31/3/2015,PAS,Barnet,Trust MPS,"0,5","0,6",,,,\n',
     ["bad.csv", "'proportion'"]),
], ids=["text-in-proportion", "unknown-area", "bad-date", "missing-column"])
def test_pas_bad_input(tmp_path, text, needles):
    with pytest.raises(SchemaError) as info:
        load_public_attitudes(src("public_attitudes", write(tmp_path, "bad.csv", text)), CTX)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


# --- Census 2021 additions -----------------------------------------------------------------

def test_new_census_tables_suffixes_subtotals_and_density():
    files = [CENSUS / f"census2021-ts{t}-ltla.csv" for t in ("003", "006", "008", "021", "041")]
    frame = load_census(src("census", *files), CTX).frame
    barnet = frame[frame["geography_code"] == "E09000003"].set_index(["table", "category"])
    # values published by ONS (see context_more/PROVENANCE.md)
    assert barnet.loc[("TS008", "Female"), "value"] == 200_799
    assert barnet.loc[("TS008", "All persons"), "is_total"]
    assert barnet.loc[("TS006", "Persons per square kilometre"), "value"] == pytest.approx(4488.7)
    assert barnet.loc[("TS003", "Total"), "value"] == 148_919
    assert barnet.loc[("TS041", "Number of households"), "value"] == 148_917
    assert not any("measures" in c for c in frame["category"])
    ts021 = barnet.loc["TS021"]
    total = ts021.loc[ts021["is_total"], "value"].sum()
    assert ts021.loc[ts021["is_subtotal"], "value"].sum() == total      # 5 broad groups
    assert ts021.loc[~ts021["is_total"] & ~ts021["is_subtotal"], "value"].sum() == total


def test_xlsx_as_published(tmp_path):
    pas = tmp_path / "pas.xlsx"
    with pd.ExcelWriter(pas) as xl:
        pd.DataFrame({"Notes": ["x"]}).to_excel(xl, sheet_name="Read me", index=False)
        pd.DataFrame({"Date": pd.to_datetime(["2023-12-31"]), "Survey": "PAS",
                      "Borough": "Barnet", "Measure": '"Good Job" local', "Proportion": [0.47],
                      "MPS": [0.45]}).to_excel(xl, sheet_name="Borough", index=False)
    row = load_public_attitudes(src("public_attitudes", pas), CTX).frame.iloc[0]
    assert (row["quarter_end"], row["measure_id"], row["proportion"]) == ("2023-12-31",
                                                                         "good_job", 0.47)
    vawg = tmp_path / "vawg.xlsx"
    cells = pd.DataFrame({"BCU_location": "North West", "Borough_name": "Barnet",
                          "Ward_name_clean_2": "Hendon",
                          "Recorded_Date_Months": pd.to_datetime(["2024-01-01"] * 2),
                          "Date_Committed_From_Date_Months": pd.to_datetime(
                              ["2024-01-01", "2023-12-01"]), "Count": [2, 5]})
    with pd.ExcelWriter(vawg) as xl:
        cells.to_excel(xl, sheet_name="Offence count location", index=False)
    frame = load_vawg(src("vawg", vawg), CTX).frame
    assert frame[["ward_name", "month", "count"]].values.tolist() == [["Hendon", "2024-01", 7]]
