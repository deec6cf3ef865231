"""London Ambulance Service call-outs by borough (London Datastore workbook).

Every sheet laid out as ``Code, Borough, <month>, <month>...`` (``'Jun 2009'`` text or dates)
is read; other sheets (``Metadata``, ``London Summary``) are skipped. Rows whose ``Code`` is not
a London borough code (``E09...``) - the ``Total`` row and note rows - are dropped; the London
total (the ``Total`` row, else the sum of boroughs) is used to detect series breaks.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd

from sna.config import Source
from sna.errors import EmptyDataError, SchemaError
from sna.io.common import LoadContext, Loaded, Problems, corrupt_guard, display_path
from sna.periods import add_months

KNOWN_BREAKS = {
    "2015-09": "step change in LAS assault counts (London total ~2,300 -> ~1,360 a month): "
               "recording change, do not trend across",
}
BREAK_DROP = 0.30        # month-on-month fall of the London total
BREAK_STAYS = 0.80       # later 12-month median below this share of the earlier one
BREAK_MIN_COUNT = 100    # ignore sheets whose monthly London total is this small
_BOROUGH = re.compile(r"^E09\d{6}$")


def _month(value: Any) -> str | None:
    """``'Jun 2009'``, ``'May2014'``, a date -> ``YYYY-MM`` (None when not a month)."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    for fmt in ("%b %Y", "%b%Y", "%B %Y", "%Y-%m", "%m/%Y"):
        try:
            d = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return f"{d.year:04d}-{d.month:02d}"
    return None


def _months(header: list[Any], sheet: str, warnings: list[str]) -> list[str | None]:
    """Parse month headers; a typo that breaks the monthly sequence is set from its neighbours
    (the published ``All Ambulance Attended`` sheet has ``'May2014'`` between Apr and Jun 2016).
    """
    months = [_month(h) for h in header]
    for i, m in enumerate(months):
        prev = months[i - 1] if i > 0 else None
        nxt = months[i + 1] if i + 1 < len(months) else None
        if prev and nxt and m != add_months(prev, 1) and add_months(prev, 2) == nxt:
            warnings.append(f"{sheet}: month header {header[i]!r} read as "
                            f"{add_months(prev, 1)} (between {prev} and {nxt}).")
            months[i] = add_months(prev, 1)
    ignored = [str(h) for h, m in zip(header, months, strict=True) if m is None and h is not None]
    if ignored:
        warnings.append(f"{sheet}: column(s) {', '.join(map(repr, ignored[:5]))} are not months;"
                        " ignored.")
    return months


def _sheet_rows(ws: Any) -> tuple[int, list[list[Any]]] | None:
    """(header row number, rows from the header on) when the sheet is ``Code, Borough, ...``."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for n, row in enumerate(rows[:10]):
        first = [str(v).strip().lower() if v is not None else "" for v in row[:2]]
        if first == ["code", "borough"]:
            return n + 1, rows[n:]
    return None


def _to_int(values: pd.DataFrame, headers: list[Any], problems: Problems) -> pd.DataFrame:
    """Cells -> int64; index = spreadsheet rows, so problems name the real row and month."""
    flat = pd.Series(values.to_numpy().ravel()).map(
        lambda v: v.replace(",", "").strip() if isinstance(v, str) else v)
    num = pd.to_numeric(flat, errors="coerce").to_numpy(dtype=float).reshape(values.shape)
    bad = np.isnan(num) | (num < 0) | (np.nan_to_num(num) % 1 != 0)
    for r, c in list(zip(*bad.nonzero(), strict=True))[:20]:
        problems.add(int(values.index[r]), str(headers[c]), values.iat[r, c],
                     "not a whole non-negative count; correct the cell or re-download")
    return pd.DataFrame(np.nan_to_num(num).astype("int64"), index=values.index,
                        columns=values.columns)


def _sheet_frame(name: str, header_row: int, rows: list[list[Any]], path: Path,
                 warnings: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    """One sheet -> (long borough frame, London total by month)."""
    header = rows[0]
    months = _months(header[2:], name, warnings)
    keep = [i + 2 for i, m in enumerate(months) if m]
    labels = [months[i - 2] for i in keep]
    body = pd.DataFrame([r + [None] * (len(header) - len(r)) for r in rows[1:]])
    body.index = range(header_row + 1, header_row + 1 + len(body))
    code = body[0].astype("string").str.strip()
    values = body[keep]
    boroughs = code.fillna("").str.match(_BOROUGH)
    problems = Problems(f"{display_path(path)} [{name}]")
    shown = [header[i] if isinstance(header[i], str) else months[i - 2] for i in keep]
    counts = _to_int(values[boroughs], shown, problems)
    problems.raise_if_any()
    frame = counts.set_axis(labels, axis=1).assign(
        borough_code=code[boroughs].astype(str), borough_name=body.loc[boroughs, 1].astype(str).str.strip())
    long = frame.melt(id_vars=["borough_code", "borough_name"], var_name="month",
                      value_name="count")
    long.insert(0, "incident_type", name)
    total_rows = body[1].astype("string").str.strip().str.lower().eq("total")
    if total_rows.any():
        total = _to_int(values[total_rows].head(1), labels, Problems(path)).iloc[0]
        total.index = labels
    else:
        total = counts.set_axis(labels, axis=1).sum()
    return long, total.astype(float)


def detect_breaks(total: pd.Series) -> list[str]:
    """Months where the London total falls by more than 30% on the month before and stays
    lower: the median of the next 12 months (at least 6) is under 80% of the previous 12's."""
    out = []
    values = total.sort_index()
    for i in range(6, len(values) - 5):
        prev, cur = values.iloc[i - 1], values.iloc[i]
        if prev < BREAK_MIN_COUNT or cur > prev * (1 - BREAK_DROP):
            continue
        before = values.iloc[max(0, i - 12):i].median()
        after = values.iloc[i:i + 12].median()
        if after < BREAK_STAYS * before:
            out.append(values.index[i])
    return out


def _breaks(totals: dict[str, pd.Series]) -> list[dict[str, Any]]:
    found: dict[str, list[str]] = {}
    for sheet, total in totals.items():
        for month in detect_breaks(total):
            found.setdefault(month, []).append(sheet)
    covered = {m for t in totals.values() for m in t.index}
    for month in KNOWN_BREAKS:  # stated by us for this publisher, detected or not
        if month in covered and add_months(month, -1) in covered:
            found.setdefault(month, [])
    return [{"month": m, "note": KNOWN_BREAKS.get(m, "London total falls by more than 30% "
                                                    "and stays lower: do not trend across"),
             "detected_in": sorted(found[m])} for m in sorted(found)]


def _read_workbook(source: Source, warnings: list[str]) -> tuple[list[pd.DataFrame], dict]:
    path = Path(source.path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException...
        raise SchemaError(f"{display_path(path)}: cannot be read as an Excel workbook ({exc}). "
                          "Re-download it.") from exc
    wanted = source.option("sheet")
    wanted = [wanted] if isinstance(wanted, str) else list(wanted or [])
    missing = [s for s in wanted if s not in wb.sheetnames]
    if missing:
        raise SchemaError(f"{display_path(path)}: no sheet(s) {', '.join(map(repr, missing))}; "
                          f"the sheets are {', '.join(map(repr, wb.sheetnames))}.")
    frames, totals = [], {}
    for name in wanted or wb.sheetnames:
        found = _sheet_rows(wb[name])
        if found is None:
            if wanted:
                raise SchemaError(f"{display_path(path)}: sheet {name!r} has no 'Code, Borough' "
                                  "header row in its first 10 rows.")
            continue
        frame, totals[name] = _sheet_frame(name, *found, path, warnings)
        frames.append(frame)
    wb.close()
    return frames, totals


def load_ambulance(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """LAS workbook -> ``incident_type, borough_code, borough_name, month, count`` (int64).

    ``incident_type`` is the sheet name (``'All Assaults Borough'``, ``'Knife Injury Borough'``,
    ...); ``sheet:`` (one name or a list) restricts the sheets read. ``meta.series_breaks`` lists
    [{month, note, detected_in}]: the publisher's known Sep 2015 step change (always stated when
    the data spans it) plus any month where a sheet's London total falls > 30% and stays lower.
    """
    warnings: list[str] = []
    frames, totals, files = [], {}, []
    for source in sources:
        with corrupt_guard(source.path, "an Excel workbook"):
            got, tot = _read_workbook(source, warnings)
        if not got:
            raise SchemaError(f"{display_path(source.path)}: no sheet laid out as 'Code, Borough, "
                              "<month>...'. Is this the LAS borough workbook?")
        frames += got
        totals.update(tot)
        months = sorted({m for f in got for m in f["month"]})
        files.append({"path": str(source.path), "rows": sum(len(f) for f in got),
                      "months": [months[0], months[-1]],
                      "sheets": sorted({f["incident_type"].iloc[0] for f in got if len(f)})})
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise EmptyDataError(f"{display_path(sources[0].path)}: no borough rows (E09...).")
    frame = frame.sort_values(["incident_type", "borough_code", "month"]).reset_index(drop=True)
    meta = {"source": "ambulance", "files": files, "warnings": warnings,
            "months": sorted(frame["month"].unique()), "series_breaks": _breaks(totals)}
    return Loaded(frame, meta)
