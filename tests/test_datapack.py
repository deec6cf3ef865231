"""The Excel data pack: one sheet per published table plus Notes, safe sheet names, formulas
neutralised."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from sna import datapack
from sna.datapack import MAX_SHEET, notes_frame, sheet_names, write_data_pack
from sna.safe import neutralise_frame

# column: (text in the CSV, what a reader of the workbook sees), worked out by hand: numbers
# stay numbers, blanks stay blank, booleans booleans, text text with formula-like text behind
# an apostrophe (numbers written as text are left alone), infinity as pandas wrote it ('inf'),
# text longer than Excel's 32,767 characters cut there
EXCEL_MAX_TEXT = 32_767
MIXED = {
    "count": (["3", "-2", "0"], [3, -2, 0]),
    "rate": (["1.5", "", "-0.25"], [1.5, None, -0.25]),
    "flag": (["True", "False", "True"], [True, False, True]),
    "flag_gap": (["True", "", "False"], [True, None, False]),
    "ward": (["Ash", "=1+2", "@SUM(A1)"], ["Ash", "'=1+2", "'@SUM(A1)"]),
    "date": (["2026-03-01", "01/03/2026", "March 2026"],
             ["2026-03-01", "01/03/2026", "March 2026"]),
    "change": (["-5", "-5% on baseline", "+3"], ["-5", "'-5% on baseline", "+3"]),
    "ratio": (["inf", "2", "-inf"], ["inf", 2, "-inf"]),
    "note": (["x" * 40_000, "http://example.com/a", "=HYPERLINK(\"http://x\")"],
             ["x" * EXCEL_MAX_TEXT, "http://example.com/a", "'=HYPERLINK(\"http://x\")"]),
    "-big": (["123456789012", "-0.000001", "1e300"], [123456789012, -0.000001, 1e300]),
}


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


def _mixed_run(folder: Path) -> Path:
    """A run folder with the :data:`MIXED` table, another table of floats, a header-only table
    and an empty file."""
    tables = folder / "tables"
    tables.mkdir(parents=True)
    with (tables / "interventions.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(list(MIXED))
        out.writerows(zip(*(text for text, _ in MIXED.values()), strict=True))
    wards = [f"W{i}" for i in range(300)]
    wards[250] = "A ward name past row 200, longer than the rest"  # widths read 200 rows
    pd.DataFrame({"ward": wards,
                  "rate": [i / 7 if i % 5 else None for i in range(300)]}).to_csv(
        tables / "ward_indicators.csv", index=False)
    (tables / "gap_analysis.csv").write_text("ward,need\n", encoding="utf-8")
    (tables / "zz_empty.csv").write_text("", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({
        "area": {"name": "Barnet"}, "parameters": {"period": "2026-02", "min_count": 5}}))
    return folder


def _old_pack(folder: Path, target: Path, generated: str) -> Path:
    """The pack as it was written before the direct writer: ``DataFrame.to_excel`` per sheet
    through pandas' xlsxwriter engine, widths from ``astype(str)``."""
    paths = sorted((folder / "tables").glob("*.csv"),
                   key=lambda p: (datapack._chapter(p.stem), p.stem))
    frames = {p.stem: datapack._read_table(p) for p in paths}
    sheets = sheet_names(list(frames))
    notes = notes_frame(frames, sheets, datapack._manifest(folder), generated)
    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False}
    with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": options}) as xl:
        xl.book.set_properties({"created": datapack._day(generated)})
        for name, frame in [("Notes", notes), *((sheets[n], f) for n, f in frames.items())]:
            safe = neutralise_frame(frame)
            safe.to_excel(xl, sheet_name=name, index=False)
            for i, col in enumerate(safe.columns):
                sample = safe[col].astype(str).head(200).str.len()
                width = max([len(str(col)), *sample.tolist()] or [10])
                xl.sheets[name].set_column(i, i, min(max(width + 2, 8), 60))
            xl.sheets[name].freeze_panes(1, 0)
    return target


def _seen(path: Path) -> dict:
    """What a reader sees: per sheet every cell's value, type and style, the column widths and
    the frozen panes; the sheet order and the workbook's creation time."""
    wb = load_workbook(path)
    sheets = {ws.title: {
        "cells": [(c.coordinate, c.value, c.data_type, c.font.b, c.border.left.style,
                   c.border.bottom.style, c.alignment.horizontal, c.alignment.vertical,
                   c.number_format, c.hyperlink) for row in ws.iter_rows() for c in row],
        "widths": {k: d.width for k, d in ws.column_dimensions.items()},
        "freeze": ws.freeze_panes} for ws in wb.worksheets}
    return {"order": wb.sheetnames, "created": wb.properties.created, "sheets": sheets}


def test_direct_writer_shows_what_to_excel_showed(tmp_path):
    folder = _mixed_run(tmp_path / "run")
    new = write_data_pack(folder, generated="1 March 2026")
    old = _old_pack(folder, tmp_path / "old.xlsx", "1 March 2026")
    seen_new, seen_old = _seen(new), _seen(old)
    assert seen_new["order"] == seen_old["order"] == [
        "Notes", "ward_indicators", "gap_analysis", "interventions", "zz_empty"]
    assert seen_new["created"] == seen_old["created"]
    for name, sheet in seen_old["sheets"].items():
        assert seen_new["sheets"][name] == sheet, name
    header = seen_new["sheets"]["interventions"]["cells"][0]
    assert header[1:8] == ("count", "s", True, "thin", "thin", "center", "top")


def test_every_sheet_holds_its_csv(tmp_path):
    folder = _mixed_run(tmp_path)
    wb = load_workbook(write_data_pack(folder, generated="1 March 2026"))
    ws = wb["interventions"]
    assert [c.value for c in ws[1]] == ["count", "rate", "flag", "flag_gap", "ward", "date",
                                        "change", "ratio", "note", "'-big"]
    for col, (_, expected) in zip(ws.iter_cols(min_row=2), MIXED.values(), strict=True):
        assert [c.value for c in col] == expected, col[0].column_letter
        kinds = [{bool: "b", int: "n", float: "n", str: "s"}.get(type(v), "n") for v in expected]
        assert [c.data_type for c in col] == kinds, col[0].column_letter
        assert all(c.hyperlink is None for c in col)
    assert ws.freeze_panes == "A2"
    rates = [c.value for c in wb["ward_indicators"]["B"][1:]]  # 16 significant digits kept
    assert len(rates) == 300 and rates[0] is None and rates[5] is None
    assert rates[1:5] == pytest.approx([1 / 7, 2 / 7, 3 / 7, 4 / 7], rel=1e-15, abs=0)
    assert [[c.value for c in row] for row in wb["gap_analysis"].iter_rows()] == [
        ["ward", "need"]]
    assert wb["zz_empty"].max_row == 1 and wb["zz_empty"]["A1"].value is None


def test_mixed_pack_is_byte_identical_twice(tmp_path):
    folder = _mixed_run(tmp_path)
    first = write_data_pack(folder, generated="15 March 2026").read_bytes()
    assert write_data_pack(folder, generated="15 March 2026").read_bytes() == first
    assert zipfile.ZipFile(folder / "data_pack.xlsx").testzip() is None


def test_failed_write_keeps_the_previous_pack(tmp_path, monkeypatch):
    folder = _mixed_run(tmp_path)
    before = write_data_pack(folder, generated="1 March 2026").read_bytes()
    calls = []

    def fail_on_second_sheet(sheet, frame, header_format):
        calls.append(sheet.name)
        if len(calls) == 2:
            raise OSError("disk full")

    monkeypatch.setattr(datapack, "_write_sheet", fail_on_second_sheet)
    with pytest.raises(OSError, match="disk full"):
        write_data_pack(folder, generated="2 March 2026")
    assert (folder / "data_pack.xlsx").read_bytes() == before
    assert not list(folder.glob(".data_pack.*"))
