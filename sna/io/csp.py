"""Police recorded crime by Community Safety Partnership (CSP), England and Wales.

``load_csp_crime`` reads ONS "Table C2: Number of police recorded crimes for headline offences
by Community Safety Partnership area" as published (the sheet saved as CSV, or the workbook's
sheet itself): preamble lines above the header, line breaks inside header cells, numbers with
thousands separators and trailing spaces (``"1,817 "``), ``[note n]`` marks, force-total rows
(blank CSP code), ``Unassigned <force>`` and special rows (e.g. ``Manchester Airport``),
combined CSPs (LA code ``Combined Local Authorities``) and several old-district CSPs on one
current LA code.

The tidy frame has one row per table row x offence group: ``force_code, force_name,
csp_code, csp_name, la_code, la_name, row_kind`` (``csp`` | ``force_total`` |
``unassigned``), ``indicator`` (see :data:`C2_INDICATORS`), ``offence`` (the published
column name) and ``count`` (int64; ``[x]`` = not available is missing). ``meta`` gives the
table's 12-month window (``period_start``, ``period_end`` as ``YYYY-MM``) read from the title.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import (
    LoadContext,
    Loaded,
    Problems,
    display_path,
    read_csv_text,
    require_columns,
)

C2_INDICATORS: dict[str, str] = {
    "Total recorded crime (excluding fraud)": "total_recorded_crime",
    "Violence against the person": "violence_against_the_person",
    "Homicide": "homicide",
    "Violence with injury": "violence_with_injury",
    "Violence without injury": "violence_without_injury",
    "Stalking and harassment": "stalking_and_harassment",
    "Sexual offences": "sexual_offences",
    "Robbery": "robbery",
    "Residential burglary": "residential_burglary",
    "Non-residential burglary": "non_residential_burglary",
    "Possession of weapons offences": "possession_of_weapons",
    "Public order offences": "public_order_offences",
}
"""Published C2 column -> indicator id (the other columns are read and dropped)."""

ID_COLUMNS = {"Police Force Area code": "force_code", "Police Force Area name": "force_name",
              "Community Safety Partnership code": "csp_code",
              "Community Safety Partnership name": "csp_name",
              "Local Authority code": "la_code", "Local Authority name": "la_name"}
COMBINED = "Combined Local Authorities"
_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june",
                                       "july", "august", "september", "october", "november",
                                       "december"], start=1)}
_NOTE = re.compile(r"\s*\[note\s*\d+\]", re.IGNORECASE)
_MISSING = {"[x]", "[z]", "[c]", "..", ":", "x"}


def clean_text(value: object) -> str:
    """Collapse whitespace and line breaks and drop ``[note n]`` marks."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(_NOTE.sub("", str(value)).split())


def window_from_title(title: str) -> tuple[str, str] | None:
    """``'... year ending June 2025 ...'`` -> ``('2024-07', '2025-06')`` (None if absent)."""
    m = re.search(r"year ending\s+([A-Za-z]+)\s+(\d{4})", title, re.IGNORECASE)
    if not m or m.group(1).lower() not in _MONTHS:
        return None
    month, year = _MONTHS[m.group(1).lower()], int(m.group(2))
    start_month, start_year = month % 12 + 1, year - 1 if month < 12 else year
    return f"{start_year:04d}-{start_month:02d}", f"{year:04d}-{month:02d}"


def _raw_table(path: Path, source: Source) -> pd.DataFrame:
    """All cells as text, no header (CSV or the workbook sheet)."""
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        sheet = source.option("sheet", "Table_C2")
        try:
            raw = pd.read_excel(path, sheet_name=sheet, header=None, dtype=str)
        except ValueError as exc:
            raise SchemaError(f"{display_path(path)}: no sheet {sheet!r} ({exc}). Give the "
                              "sheet of table C2 as `sheet:` for data.csp_crime.") from exc
        return raw
    return read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"), header=None)


def _header_row(raw: pd.DataFrame, path: Path) -> int:
    """Index of the header row: the first whose cells include the CSP code column."""
    for i in range(min(len(raw), 40)):
        cells = {clean_text(v) for v in raw.iloc[i].tolist()}
        if "Community Safety Partnership code" in cells:
            return i
    raise SchemaError(
        f"{display_path(path)}: no header row with 'Community Safety Partnership code' in the "
        "first 40 rows. data.csp_crime needs ONS table C2 (recorded crime by Community Safety "
        "Partnership) as published.")


def _title(raw: pd.DataFrame, header: int) -> str:
    """The table's title: the first line above the header that names a window."""
    lines = [clean_text(raw.iat[i, 0]) for i in range(header)]
    return next((t for t in lines if window_from_title(t)), " ".join(lines))


def _one_file(source: Source) -> tuple[pd.DataFrame, dict]:
    path = Path(source.path)
    raw = _raw_table(path, source)
    header = _header_row(raw, path)
    columns = [clean_text(c) for c in raw.iloc[header].tolist()]
    body = raw.iloc[header + 1:].copy()
    body.columns = columns
    body = body.loc[:, [c for c in columns if c]]
    require_columns(body, [*ID_COLUMNS, *C2_INDICATORS], path, what="ONS table C2")
    body = body.dropna(how="all")
    body = body[body["Police Force Area code"].notna() | body["Community Safety Partnership name"].notna()]
    problems = Problems(path)
    ids = pd.DataFrame({new: body[old].map(clean_text) for old, new in ID_COLUMNS.items()})
    ids["row"] = body.index + 1  # spreadsheet row of each data row (header rows included)
    unassigned = ids["csp_name"].str.contains("unassigned", case=False) | (
        (ids["csp_code"] == "") & (ids["csp_name"] != ""))
    ids["row_kind"] = "csp"
    ids.loc[unassigned, "row_kind"] = "unassigned"
    ids.loc[(ids["csp_code"] == "") & (ids["csp_name"] == ""), "row_kind"] = "force_total"
    for _, r in ids[ids["row_kind"] == "csp"].iterrows():
        if not re.fullmatch(r"[EW]\d{8}", r["csp_code"]):
            problems.add(int(r["row"]), "Community Safety Partnership code", r["csp_code"],
                         "not a CSP code like E22000187; correct the cell or re-download")
        if r["la_code"] != COMBINED and not re.fullmatch(r"[EW]\d{8}", r["la_code"]):
            problems.add(int(r["row"]), "Local Authority code", r["la_code"],
                         f"not an LA code (E09000003) nor {COMBINED!r}; correct the cell")
    parts = []
    for col, ind in C2_INDICATORS.items():
        text = body[col].map(lambda v: "" if pd.isna(v) else str(v).replace(",", "").strip())
        num = pd.to_numeric(text.where(~text.isin(_MISSING | {""})), errors="coerce")
        bad = (num.isna() & ~text.isin(_MISSING | {""})) | (num < 0) | ((num % 1).fillna(0) != 0)
        for idx in body.index[bad.to_numpy()][:20]:
            problems.add(idx + 1, col, body.at[idx, col],
                         "not a whole non-negative number; correct the cell or re-download")
        parts.append(ids.assign(indicator=ind, offence=col, count=num.astype("Int64").to_numpy()))
    problems.raise_if_any()
    dup = ids[(ids["row_kind"] == "csp") & ids["csp_code"].duplicated(keep=False)]
    if not dup.empty:
        raise SchemaError(f"{display_path(path)}, row {int(dup['row'].iloc[1])}, column "
                          f"'Community Safety Partnership code': value {dup['csp_code'].iloc[0]!r}"
                          " appears twice; keep one row per CSP.")
    title = _title(raw, header)
    window = window_from_title(title)
    if window is None:
        raise SchemaError(f"{display_path(path)}: the title above the header does not say "
                          "'year ending <Month> <YYYY>'; keep the table's title rows as published.")
    frame = pd.concat(parts, ignore_index=True)
    info = {"path": str(path), "rows": int(len(ids)), "title": title,
            "period_start": window[0], "period_end": window[1],
            "csps": int((ids["row_kind"] == "csp").sum())}
    return frame, info


def load_csp_crime(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """ONS table C2 (recorded crime by CSP) file(s) -> the tidy frame described in the module.

    Several files (different years) may be given; each row carries its own ``period_start``
    and ``period_end``. Raises :class:`SchemaError` naming file, row, column and value.
    """
    del ctx
    frames, files = [], []
    for source in sources:
        frame, info = _one_file(source)
        frames.append(frame.assign(period_start=info["period_start"],
                                   period_end=info["period_end"]))
        files.append(info)
    frame = pd.concat(frames, ignore_index=True).drop(columns="row")
    frame["count"] = frame["count"].astype("Int64")
    ends = sorted({f["period_end"] for f in files})
    meta = {"source": "csp_crime", "files": files, "periods": ends,
            "period_start": min(f["period_start"] for f in files), "period_end": ends[-1]}
    return Loaded(frame, meta)
