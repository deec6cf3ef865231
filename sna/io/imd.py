"""English Indices of Deprivation (IoD2019 File 1 / File 2 CSV, IoD2025 File 1 xlsx).

The edition is read from the headers: ``LSOA code (2011)`` = IoD2019, ``LSOA code (2021)`` =
IoD2025. Rank and decile columns are found by their official labels, with or without the
``(where 1 is most deprived ...)`` suffix, so File 1 (``"29,199"`` text ranks), File 2 (all
domains) and the 2025 xlsx (sheet ``IMD25``) all load. Also :func:`load_imd_ward_summaries`
for the GLA "IoD2019 ward level summary measures" CSV.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from sna.config import Source
from sna.errors import EmptyDataError, SchemaError
from sna.io.common import (
    LoadContext,
    Loaded,
    Problems,
    corrupt_guard,
    display_path,
    read_csv_text,
    require_columns,
    to_counts,
)

DOMAINS = {
    "imd": r"Index of Multiple Deprivation \(IMD\)",
    "income": r"Income",
    "employment": r"Employment",
    "education": r"Education,? Skills and Training",
    "health": r"Health Deprivation and Disability",
    "crime": r"Crime",
    "barriers": r"Barriers to Housing and Services",
    "living_environment": r"Living Environment",
    "idaci": r"Income Deprivation Affecting Children Index \(IDACI\)",
    "idaopi": r"Income Deprivation Affecting Older People (?:Index )?\(IDAOPI\)",
}
EDITIONS = {2011: "IoD2019", 2021: "IoD2025"}
COLUMNS = ["edition", "lsoa_code", "lsoa_year", "lad_code", "domain", "rank", "decile"]
_LSOA = re.compile(r"^LSOA code \((\d{4})\)$", re.IGNORECASE)
_LAD = re.compile(r"^Local Authority District code", re.IGNORECASE)


def _measure_column(columns: list[str], label: str, measure: str) -> str | None:
    pattern = re.compile(rf"^{label} {measure}(?: \(where 1 is most deprived[^)]*\)?)?$",
                         re.IGNORECASE)
    return next((c for c in columns if pattern.match(c)), None)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    """The sheet given, else the first sheet whose first row has an ``LSOA code`` column."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = wb.sheetnames
        if sheet and sheet not in names:
            raise SchemaError(f"{display_path(path)}: no sheet {sheet!r}; the sheets are "
                              f"{', '.join(map(repr, names))}. Fix `sheet:` in the config.")
        for name in [sheet] if sheet else names:
            rows = wb[name].iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
            if any(_LSOA.match(h) for h in header) or sheet:
                data = [["" if v is None else str(v) for v in r] for r in rows]
                frame = pd.DataFrame(data, columns=header).replace("", None)
                return frame.dropna(how="all")
    finally:
        wb.close()
    raise SchemaError(f"{display_path(path)}: no sheet with an 'LSOA code (2011|2021)' column "
                      f"(sheets: {', '.join(map(repr, names))}). Set `sheet:` in the config.")


def _read(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        with corrupt_guard(path, "an Excel workbook"):
            frame = _read_xlsx(path, source.option("sheet"))
        if frame.empty:
            raise EmptyDataError(f"{display_path(path)}: the sheet has no data rows.")
        return frame
    return read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))


def _layout(frame: pd.DataFrame, path: Path) -> tuple[str, int, dict[str, tuple[str, str]]]:
    """(LSOA column, LSOA year, {domain: (rank column, decile column)}) or SchemaError."""
    cols = list(frame.columns)
    lsoa = next((c for c in cols if _LSOA.match(c)), None)
    found = {d: (_measure_column(cols, lab, "Rank"), _measure_column(cols, lab, "Decile"))
             for d, lab in DOMAINS.items()}
    found = {d: rc for d, rc in found.items() if rc[0]}
    if lsoa is None or not found:
        if {"ward_code", "imd_average_score"} <= set(cols):
            raise SchemaError(f"{display_path(path)}: this is the GLA IoD2019 ward summary file,"
                              " not an LSOA-level IoD file; load it with "
                              "sna.io.imd.load_imd_ward_summaries.")
        raise SchemaError(
            f"{display_path(path)}: neither an IoD2019 nor an IoD2025 file: expected "
            "'LSOA code (2011)' or 'LSOA code (2021)' and 'Index of Multiple Deprivation (IMD) "
            f"Rank' columns. Found: {', '.join(map(repr, cols[:8]))}. Use File 1 or File 2 "
            "of the English Indices of Deprivation as published.")
    return lsoa, int(_LSOA.match(lsoa).group(1)), found


def _imd_file(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    frame = _read(source)
    lsoa, year, found = _layout(frame, path)
    lad = next((c for c in frame.columns if _LAD.match(c)), None)
    problems = Problems(path)
    measures = [c for pair in found.values() for c in pair if c]
    frame = to_counts(frame, measures, problems)
    for domain, (_, decile) in found.items():
        if decile is None:
            continue
        for idx in frame.index[frame[decile].lt(1) | frame[decile].gt(10)][:5]:
            problems.add(idx + 2, decile, frame.at[idx, decile], f"{domain} decile not 1-10")
    problems.raise_if_any()
    parts = [pd.DataFrame({
        "lsoa_code": frame[lsoa].str.strip(), "lad_code": frame[lad] if lad else None,
        "domain": domain, "rank": frame[rank],
        "decile": frame[decile] if decile else pd.NA}) for domain, (rank, decile) in found.items()]
    out = pd.concat(parts, ignore_index=True)
    out["edition"] = EDITIONS.get(year, f"IoD (LSOA {year})")
    out["lsoa_year"] = year
    return out


def load_imd(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """IoD files -> long ``edition, lsoa_code, lsoa_year, lad_code, domain, rank, decile``.

    ``domain`` is one of imd, income, employment, education, health, crime, barriers,
    living_environment (plus idaci/idaopi when present); rank 1 and decile 1 = most deprived.
    A domain given by two files of the same edition (File 1 and File 2 both have ``imd``) is
    kept once; a disagreement between them is a warning.
    """
    parts, files, warnings = [], [], []
    for source in sources:
        part = _imd_file(source)
        parts.append(part)
        files.append({"path": str(source.path), "rows": int(part["lsoa_code"].nunique()),
                      "vintage": part["edition"].iloc[0],
                      "domains": sorted(part["domain"].unique())})
    frame = pd.concat(parts, ignore_index=True)
    keys = ["edition", "lsoa_code", "domain"]
    dup = frame.duplicated(keys, keep=False)
    if dup.any():
        clash = frame[dup].groupby(keys)["rank"].nunique().gt(1).sum()
        if clash:
            warnings.append(f"imd: {int(clash)} LSOA/domain ranks differ between files; "
                            "the first file's value is used.")
        frame = frame.drop_duplicates(keys)
    frame["rank"] = frame["rank"].astype("int64")
    frame["decile"] = frame["decile"].astype("Int64")
    frame = frame.sort_values(["edition", "domain", "lsoa_code"]).reset_index(drop=True)
    meta = {"source": "imd", "files": files, "warnings": warnings,
            "editions": sorted(frame["edition"].unique())}
    return Loaded(frame[COLUMNS], meta)


def load_imd_ward_summaries(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """GLA "IoD2019 ward level summary measures" CSV (2018 wards) -> long frame.

    Columns ``ward_code, ward_name, borough, measure, value`` (float). The repository copy has
    snake-case headers (``ward_code, ward_name, borough, imd_average_score...``); the GLA
    original's ``Ward code``/``Ward name``/``Borough`` headers are accepted too.
    """
    parts: list[pd.DataFrame] = []
    files: list[dict[str, Any]] = []
    for source in sources:
        path = Path(source.path)
        frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
        frame.columns = [re.sub(r"\W+", "_", c.strip().lower()) for c in frame.columns]
        require_columns(frame, ["ward_code", "ward_name"], path, what="GLA IoD ward summaries")
        ids = [c for c in ("fid", "gss", "ward_code", "ward_name", "borough", "worst_lsoa_code")
               if c in frame.columns]
        measures = [c for c in frame.columns if c not in ids]
        values = frame[measures].apply(lambda s: pd.to_numeric(s.str.replace(",", ""),
                                                               errors="coerce"))
        frame = pd.concat([frame[ids], values], axis=1)
        if "borough" not in frame.columns:
            frame["borough"] = None
        parts.append(frame.melt(id_vars=["ward_code", "ward_name", "borough"],
                                value_vars=measures, var_name="measure", value_name="value"))
        files.append({"path": str(path), "rows": len(frame), "vintage": "IoD2019"})
    return Loaded(pd.concat(parts, ignore_index=True),
                  {"source": "imd_ward_summaries", "files": files, "warnings": []})
