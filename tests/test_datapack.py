"""The Excel data pack: one sheet per published table plus Notes, safe sheet names, formulas
neutralised."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from sna.datapack import MAX_SHEET, sheet_names, write_data_pack


@pytest.mark.parametrize(("names", "expected"), [
    (["a" * 40, "a" * 40 + "b"], ["a" * 31, "a" * 29 + "~2"]),
    (["notes"], ["notes~2"]),
    (["we[ird]:name*?"], ["we_ird__name__"])],
    ids=["long-and-clashing", "reserved", "bad-characters"])
def test_sheet_names(names, expected):
    out = sheet_names(names)
    assert [out[n] for n in names] == expected
    assert all(len(s) <= MAX_SHEET for s in out.values())
    assert len({s.lower() for s in out.values()}) == len(names)


def test_write_data_pack(tmp_path):
    tables = tmp_path / "tables"
    tables.mkdir()
    pd.DataFrame({"ward": ["=HYPERLINK(\"x\")", "@SUM(A1)", "Ash"], "count": [10, None, 7],
                  "change": ["-5% on baseline", "-2.5", "+3"]}).to_csv(
        tables / "gap_analysis.csv", index=False)
    pd.DataFrame({"x": [1]}).to_csv(tables / ("a_very_long_table_name_" * 3 + ".csv"),
                                    index=False)
    (tmp_path / "manifest.json").write_text(json.dumps({
        "area": {"name": "Barnet"}, "parameters": {"period": "2026-02", "min_count": 5},
        "inputs": [{"key": "mps_ward"}]}))
    path = write_data_pack(tmp_path, generated="1 March 2026")
    assert path == tmp_path / "data_pack.xlsx"
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "Notes" and "gap_analysis" in wb.sheetnames
    assert all(len(s) <= MAX_SHEET for s in wb.sheetnames) and len(wb.sheetnames) == 3
    ws = wb["gap_analysis"]
    cells = [c.value for c in ws["A"]][1:]
    assert cells[0].startswith("'=") and cells[1].startswith("'@") and cells[2] == "Ash"
    assert [c.value for c in ws["C"]][1:] == ["'-5% on baseline", "-2.5", "+3"]  # numbers kept
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    notes = pd.read_excel(path, sheet_name="Notes")
    row = notes.set_index("sheet").loc["gap_analysis"]
    assert row["rows"] == 3 and row["period_to"] == "2026-02" and row["area"] == "Barnet"
    assert "1 to 4" in row["disclosure"] and row["chapter"].startswith("05")
    assert row["generated"] == "1 March 2026" and "interventions register" in row["sources"]
    assert wb.sheetnames[1] == "gap_analysis"  # sheets in chapter order, unknown tables last
    assert not list(tmp_path.glob(".data_pack.*"))


def test_write_data_pack_with_no_tables(tmp_path):
    path = write_data_pack(tmp_path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Notes"]
    assert [c.value for c in wb["Notes"][1]][:3] == ["sheet", "table", "chapter"]


def test_pack_dated_by_the_day_so_runs_are_byte_identical(tmp_path):
    # the workbook's creation time was the second it was written: two runs differed
    import zipfile

    (tmp_path / "tables").mkdir()
    pd.DataFrame({"count": [10, 12]}).to_csv(tmp_path / "tables" / "sv_breakdown.csv",
                                             index=False)
    path = write_data_pack(tmp_path, generated="15 March 2026")
    core = zipfile.ZipFile(path).read("docProps/core.xml").decode()
    assert "2026-03-15T00:00:00Z" in core
    first = path.read_bytes()
    assert write_data_pack(tmp_path, generated="15 March 2026").read_bytes() == first
