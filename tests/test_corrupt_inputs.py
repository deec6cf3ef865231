"""Damaged archives and mislabelled files end in a DataError naming the file and saying what
the file is, never a raw traceback (zipfile.BadZipFile, zlib.error, XML ParseError...)."""

from __future__ import annotations

import gzip
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sna.config import Source
from sna.errors import DataError, EncodingError, SchemaError
from sna.io.ambulance import load_ambulance
from sna.io.common import LoadContext
from sna.io.imd import load_imd
from sna.io.mps import load_mps_ward
from sna.io.partner import load_cctv

CTX = LoadContext("Barnet", "E09000003")


def _xlsx(path: Path, rows: int = 3000) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["LSOA code (2021)", "Index of Multiple Deprivation (IMD) Rank",
               "Index of Multiple Deprivation (IMD) Decile"])
    for i in range(rows):
        ws.append([f"E01{i:06d}", i + 1, i % 10 + 1])
    wb.save(path)
    return path


def _truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _scramble_middle(path: Path) -> Path:
    """Same size, zip directory intact, a compressed stream damaged (bad CRC / bad XML)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 2000] = bytes(b ^ 0x5A for b in data[mid:mid + 2000])
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("damage", [_truncate, _scramble_middle], ids=["truncated", "scrambled"])
@pytest.mark.parametrize("loader, key", [(load_imd, "imd"), (load_ambulance, "ambulance")])
def test_damaged_xlsx_is_a_data_error_naming_the_file(tmp_path, damage, loader, key):
    # IMD's xlsx reader had no guard: BadZipFile / ParseError escaped as tracebacks
    path = damage(_xlsx(tmp_path / "deprivation.xlsx"))
    with pytest.raises(DataError, match=r"deprivation\.xlsx: cannot be read as an Excel workbook"
                                        r"|deprivation\.xlsx: cannot be read"):
        loader((Source(key, path),), CTX)


def test_truncated_gzip_csv(tmp_path):
    path = tmp_path / "imd.csv.gz"
    path.write_bytes(gzip.compress(("LSOA code (2011),x\n" + "E01000001,1\n" * 5000).encode()))
    _truncate(path)
    with pytest.raises(DataError, match=r"imd\.csv\.gz: .*(truncated|re-download)"):
        load_imd((Source("imd", path),), CTX)


def test_corrupt_parquet(tmp_path):
    path = tmp_path / "ward.parquet"
    pd.DataFrame({"WardCode": ["E05000001"] * 200, "x": range(200)}).to_parquet(path)
    _truncate(path)
    with pytest.raises(DataError, match=r"ward\.parquet: cannot be read as Parquet"):
        load_mps_ward((Source("mps_ward", path),), CTX)


def test_utf16_csv_named_with_the_encoding_to_set(tmp_path):
    path = tmp_path / "cctv.csv"
    path.write_text("ward_code,ward_name,incidents\nE05013628,Barnet Vale,12\n", encoding="utf-16")
    with pytest.raises(EncodingError) as info:
        load_cctv((Source("cctv", path),), CTX)
    text = str(info.value)
    # the old advice (latin-1) was wrong for UTF-16: it would read as garbage
    assert "cctv.csv: is UTF-16 text" in text and "encoding: utf-16" in text


def test_utf16_csv_loads_with_that_encoding(tmp_path):
    path = tmp_path / "cctv.csv"
    path.write_text("ward_code,ward_name,incidents\nE05013628,Barnet Vale,12\n", encoding="utf-16")
    try:
        loaded = load_cctv((Source("cctv", path, (("encoding", "utf-16"),)),), CTX)
    except SchemaError as exc:  # the loader may want more columns; not an encoding problem
        assert "UTF-16" not in str(exc) and "encoding" not in str(exc)
    else:
        assert len(loaded.frame) >= 1


@pytest.mark.parametrize("make, what", [
    (lambda p: _xlsx(p, 5).rename(p), "a zip archive (an Excel .xlsx workbook is one)"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
     "an old Excel .xls workbook"),
], ids=["xlsx-as-csv", "xls-as-csv"])
def test_spreadsheet_saved_under_csv_name(tmp_path, make, what):
    path = tmp_path / "cctv.csv"
    make(path)
    with pytest.raises(SchemaError) as info:
        load_cctv((Source("cctv", path),), CTX)
    assert f"cctv.csv: is {what}, not a CSV text file" in str(info.value)
    assert "CSV UTF-8" in str(info.value)


def test_cp1252_advice(tmp_path):
    path = tmp_path / "cctv.csv"
    path.write_bytes("ward_code,ward_name,incidents\nE05013628,Café,12\n".encode("cp1252"))
    with pytest.raises(EncodingError, match=r"cctv\.csv: .*Windows-1252.*encoding: cp1252"):
        load_cctv((Source("cctv", path),), CTX)
