"""Metropolitan Police recorded crime (London Datastore): ward, borough and LSOA wide files.

The monthly crime dashboard (knife crime) and the homicide dashboard are long files, loaded by
:mod:`sna.io.mps_dashboards` with the reader and checks defined here.

Wide files have one row per area x MajorText x MinorText and one column per month
(``YYYYMM``). They are accepted as published (CSV: ``MajorText, MinorText, WardName, WardCode,
LookUp_BoroughName|BoroughName, 202403, ...``; LSOA CSV: ``LSOA Code, LSOA Name, Borough,
Major Category, Minor Category, ...``) or as the lower-/snake-cased Parquet re-distributions.

Rules applied to every wide file, before files are merged:

* a month whose total over the file is < 50% of the median of the file's other months is a
  partial month (the "most recent 24 months" files start with a near-empty month): it is
  dropped and listed in ``meta['incomplete_months']``;
* files overlapping in time: the newest vintage (latest month column) wins month by month;
  ``meta['overridden']`` says which months of which file were replaced and by which file;
* duplicated rows (same area, borough, major, minor), missing or bad month headers, gaps in
  the months and non-count cells are errors naming the file, row, column and value.

Rows of the same ward can appear under two "boroughs" (Heathrow Villages is published under
both ``Aviation Security (SO18)`` and ``Hillingdon`` in the historical ward file), so the row
key includes the borough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config import Source
from sna.errors import DataError, EmptyDataError, SchemaError
from sna.io.common import (
    LoadContext,
    Loaded,
    Problems,
    display_path,
    read_bytes_head,
    read_csv_text,
    to_counts,
)
from sna.periods import month_range

LONDON_BOROUGHS: dict[str, str] = {
    "E09000001": "City of London", "E09000002": "Barking and Dagenham", "E09000003": "Barnet",
    "E09000004": "Bexley", "E09000005": "Brent", "E09000006": "Bromley",
    "E09000007": "Camden", "E09000008": "Croydon", "E09000009": "Ealing",
    "E09000010": "Enfield", "E09000011": "Greenwich", "E09000012": "Hackney",
    "E09000013": "Hammersmith and Fulham", "E09000014": "Haringey", "E09000015": "Harrow",
    "E09000016": "Havering", "E09000017": "Hillingdon", "E09000018": "Hounslow",
    "E09000019": "Islington", "E09000020": "Kensington and Chelsea",
    "E09000021": "Kingston upon Thames", "E09000022": "Lambeth", "E09000023": "Lewisham",
    "E09000024": "Merton", "E09000025": "Newham", "E09000026": "Redbridge",
    "E09000027": "Richmond upon Thames", "E09000028": "Southwark", "E09000029": "Sutton",
    "E09000030": "Tower Hamlets", "E09000031": "Waltham Forest", "E09000032": "Wandsworth",
    "E09000033": "Westminster",
}
# canonical field -> (published header, accepted normalised header names)
_FIELDS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "ward": {
        "major": ("MajorText", ("majortext", "majorcategory")),
        "minor": ("MinorText", ("minortext", "minorcategory")),
        "area_name": ("WardName", ("wardname",)),
        "area_code": ("WardCode", ("wardcode",)),
        "borough": ("LookUp_BoroughName", ("lookupboroughname", "boroughname", "borough")),
    },
    "borough": {
        "major": ("MajorText", ("majortext", "majorcategory")),
        "minor": ("MinorText", ("minortext", "minorcategory")),
        "borough": ("BoroughName", ("boroughname", "lookupboroughname", "borough")),
    },
    "lsoa": {
        "area_code": ("LSOA Code", ("lsoacode",)),
        "area_name": ("LSOA Name", ("lsoaname",)),
        "borough": ("Borough", ("borough", "boroughname", "lookupboroughname")),
        "major": ("Major Category", ("majorcategory", "majortext")),
        "minor": ("Minor Category", ("minorcategory", "minortext")),
    },
}
COLUMNS = ["level", "area_code", "area_name", "borough", "major", "minor", "month", "count"]
INCOMPLETE_SHARE = 0.5
_MONTH_HEADER = re.compile(r"^(\d{4})-?(\d{2})$")
_MANGLED = re.compile(r"^(\d{4}-?\d{2})\.\d+$")


class RecordProblems(Problems):
    """:class:`Problems` that says ``record N`` (Parquet) instead of ``row N`` when asked."""

    def __init__(self, path: str | Path, unit: str = "row"):
        super().__init__(path)
        self.unit = unit

    def add(self, row: int | None, column: str | None, value: Any, what: str) -> None:
        """Record one problem (``row``: spreadsheet row, or 1-based record for Parquet)."""
        where = [f"{self.unit} {row}"] if row is not None else []
        if column is not None:
            where.append(f"column {column!r}")
        shown = "" if value is None else f": value {str(value)[:60]!r}"
        self.items.append(f"{self.path}, {', '.join(where)}{shown} - {what}")


@dataclass
class _Wide:
    """One wide file parsed: identifier columns, months (sorted) and an n x m count block."""

    path: Path
    ids: pd.DataFrame
    months: list[str]
    counts: np.ndarray
    incomplete: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def vintage(self) -> str:
        return self.months[-1]

    @property
    def complete(self) -> list[str]:
        bad = {d["month"] for d in self.incomplete}
        return [m for m in self.months if m not in bad]


def norm_key(name: object) -> str:
    """A name reduced to lower-case letters and digits, for matching."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def is_parquet(path: Path) -> bool:
    """True for a Parquet file (magic bytes ``PAR1``, or a ``.parquet`` name)."""
    return read_bytes_head(path, 4) == b"PAR1" or path.suffix.lower() in (".parquet", ".pq")


def read_table(source: Source) -> tuple[pd.DataFrame, str]:
    """Read a CSV (as text) or Parquet file; return the frame and the row unit for messages.

    Raises
    ------
    DataError
        Unreadable Parquet (truncated or corrupt): re-download.
    EncodingError, EmptyDataError, SchemaError
        From :func:`sna.io.common.read_csv_text` for CSV files.
    """
    path = Path(source.path)
    if not is_parquet(path):
        return read_csv_text(path, encoding=source.option("encoding") or "utf-8-sig"), "row"
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated classes for corrupt files
        raise DataError(
            f"{display_path(path)}: cannot be read as Parquet ({type(exc).__name__}: "
            f"{str(exc)[:120]}). The file is truncated or corrupt: re-download it."
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise EmptyDataError(f"{display_path(path)}: has no data rows. Re-download it.")
    return frame, "record"


def _map_columns(frame: pd.DataFrame, level: str, path: Path) -> dict[str, str]:
    found = {}
    for col in frame.columns:
        found.setdefault(norm_key(col), col)
    mapping, missing = {}, []
    for key, (published, accepted) in _FIELDS[level].items():
        hit = next((found[a] for a in accepted if a in found), None)
        if hit is None:
            missing.append(published)
        else:
            mapping[key] = hit
    if missing:
        shown = ", ".join(map(repr, list(frame.columns)[:8]))
        raise SchemaError(
            f"{display_path(path)}: missing column(s) {', '.join(map(repr, missing))} for MPS "
            f"{level}-level crime. Found: {shown}. Check this is the MPS {level} file as "
            "published (or its Parquet copy) and that no header was renamed."
        )
    return mapping


def _month_columns(frame: pd.DataFrame, id_cols: set[str], problems: RecordProblems,
                   warnings: list[str]) -> list[tuple[str, str]]:
    """(column, YYYY-MM) for the month columns, sorted; records header problems."""
    out, seen = [], {}
    for col in frame.columns:
        text = str(col).strip()
        if col in id_cols or text.startswith("__"):
            continue
        if not text[:1].isdigit():
            warnings.append(f"{problems.path}: column {text!r} is not a month and was ignored.")
            continue
        dup, m = _MANGLED.match(text), _MONTH_HEADER.match(text)
        if dup or (m and m.group(0) in seen):
            problems.add(1, text, None, f"month column {(dup or m).group(1)} appears twice; "
                         "keep one (re-download the file)")
            continue
        if not m or not 1 <= int(m.group(2)) <= 12 or not 1990 <= int(m.group(1)) <= 2100:
            problems.add(1, text, None, "month header is not YYYYMM (e.g. 202403); "
                         "fix the header or re-download")
            continue
        seen[m.group(0)] = True
        out.append((col, f"{m.group(1)}-{m.group(2)}"))
    return _check_month_order(out, problems, warnings)


def _check_month_order(out: list[tuple[str, str]], problems: RecordProblems,
                       warnings: list[str]) -> list[tuple[str, str]]:
    if not out:
        if not problems:
            problems.add(1, None, None, "no month columns (YYYYMM) found after the area and "
                         "category columns; is this the wide MPS file as published?")
        return out
    months = [m for _, m in out]
    if months != sorted(months):
        warnings.append(f"{problems.path}: month columns are not in date order; they were "
                        "sorted.")
        out = sorted(out, key=lambda cm: cm[1])
        months = [m for _, m in out]
    gaps = sorted(set(month_range(months[0], months[-1])) - set(months))
    if gaps:
        problems.add(1, None, None, f"month column(s) missing inside the range {months[0]} to "
                     f"{months[-1]}: {', '.join(gaps[:12])}; re-download the complete file")
    return out


def count_block(frame: pd.DataFrame, cols: list[str], problems: RecordProblems,
                unit: str) -> np.ndarray:
    """Month columns as an n x m int64 array; bad cells are recorded in ``problems``."""
    block = frame[cols].to_numpy()
    arr: np.ndarray | None = None
    try:
        if block.dtype.kind in "iu":
            arr = block.astype(np.int64)
        elif block.dtype.kind == "f":
            ok = np.isfinite(block) & (np.mod(block, 1) == 0)
            arr = block.astype(np.int64) if ok.all() else None
        else:
            arr = block.astype(np.int64)
    except (ValueError, TypeError, OverflowError):
        arr = None
    if arr is not None and not (arr < 0).any():
        return arr
    header_rows = 1 if unit == "row" else 0
    converted = to_counts(frame[cols].astype(object), cols, problems, header_rows=header_rows)
    return converted.to_numpy(dtype=np.int64)


def _clean_text(values: pd.Series, upper: bool = False,
                names: dict[str, str] | None = None) -> np.ndarray:
    """Stripped text as an object array ('' for missing), computed on the unique values only;
    optionally upper-cased or mapped through ``names`` (E09 code -> borough name)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    cleaned = [str(u).strip() for u in uniques]
    cleaned = [c.upper() for c in cleaned] if upper else cleaned
    cleaned = [names.get(c, c) for c in cleaned] if names else cleaned
    return np.array([*cleaned, ""], dtype=object)[codes]


def _ids(frame: pd.DataFrame, mapping: dict[str, str], level: str,
         problems: RecordProblems, unit: str) -> pd.DataFrame:
    ids = pd.DataFrame({k: _clean_text(frame[c], upper=k in ("major", "minor"), names=(
        LONDON_BOROUGHS if level == "lsoa" and k == "borough" else None))
        for k, c in mapping.items()})
    offset = 2 if unit == "row" else 1
    for key, col in mapping.items():
        missing = np.flatnonzero((ids[key] == "").to_numpy())
        for pos in missing[:5]:
            problems.add(int(pos) + offset, col, None, "empty value; fill it in or re-download")
    if level == "borough":
        ids["area_code"] = ids["area_name"] = ids["borough"]
    key = ["area_code", "borough", "major", "minor"]
    dup = ids.duplicated(key, keep=False).to_numpy()
    if dup.any():
        _report_duplicates(ids.loc[dup, key], mapping, problems, offset, unit)
    return ids[["area_code", "area_name", "borough", "major", "minor"]]


def _report_duplicates(dups: pd.DataFrame, mapping: dict[str, str], problems: RecordProblems,
                       offset: int, unit: str) -> None:
    names = "/".join(mapping[k] for k in ("area_code", "borough", "major", "minor")
                     if k in mapping and mapping[k] not in ("",))
    for _, group in list(dups.groupby(list(dups.columns), sort=False))[:10]:
        first, *others = [int(i) + offset for i in group.index]
        value = ", ".join(dict.fromkeys(group.iloc[0]))
        problems.add(first, None, value, f"duplicated row: {unit} {first} and {unit} "
                     f"{', '.join(map(str, others))} have the same {names}; remove the "
                     "duplicate or re-download")


def incomplete_months(months: list[str], totals: np.ndarray, name: str) -> list[dict[str, str]]:
    """Months whose total is < 50% of the median of the other months' totals."""
    out = []
    if len(months) < 2:
        return out
    for j, month in enumerate(months):
        median = float(np.median(np.delete(totals, j)))
        if totals[j] < INCOMPLETE_SHARE * median:
            out.append({"month": month, "file": name, "reason": (
                f"{name}: total {int(totals[j]):,} vs median {median:,.0f} of the file's other "
                "months: partial month, excluded")})
    return out


def read_wide(source: Source, level: str) -> _Wide:
    """Parse and validate one wide MPS file (all problems raised together)."""
    path = Path(source.path)
    frame, unit = read_table(source)
    mapping = _map_columns(frame, level, path)
    problems, warnings = RecordProblems(path, unit), []
    cols = _month_columns(frame, set(mapping.values()), problems, warnings)
    if not cols:
        problems.raise_if_any()
    ids = _ids(frame, mapping, level, problems, unit)
    counts = count_block(frame, [c for c, _ in cols], problems, unit)
    problems.raise_if_any()
    months = [m for _, m in cols]
    incomplete = incomplete_months(months, counts.sum(axis=0), display_path(path))
    return _Wide(path, ids, months, counts, incomplete, warnings)


def _melt(parts: list[tuple[_Wide, list[str]]], level: str) -> pd.DataFrame:
    """Wide blocks -> one long frame, written straight into a single object block (no
    per-column temporaries, no consolidation copy: ~4 M rows in well under a second)."""
    total = sum(len(w.ids) * len(ms) for w, ms in parts)
    text = np.empty((len(COLUMNS) - 1, total), dtype=object)
    counts = np.empty(total, dtype=np.int64)
    text[0] = level
    start = 0
    for wide, months in parts:
        n, k = len(wide.ids), len(months)
        stop = start + n * k
        for row, col in enumerate(("area_code", "area_name", "borough", "major", "minor"), 1):
            text[row, start:stop].reshape(n, k)[:] = wide.ids[col].to_numpy(dtype=object)[:, None]
        text[6, start:stop].reshape(n, k)[:] = np.array(months, dtype=object)[None, :]
        counts[start:stop] = wide.counts[:, [wide.months.index(m) for m in months]].reshape(-1)
        start = stop
    frame = pd.DataFrame(text.T, columns=COLUMNS[:-1], copy=False)
    frame["count"] = counts
    return frame


def _merge(wides: list[_Wide], level: str) -> tuple[pd.DataFrame, list[dict], dict[str, list]]:
    """Newest vintage wins month by month; returns frame, overridden, months used per file."""
    order = sorted(range(len(wides)), key=lambda i: (wides[i].vintage, i), reverse=True)
    owner: dict[str, int] = {}
    used: dict[int, list[str]] = {}
    overridden: list[dict] = []
    for i in order:
        used[i] = [m for m in wides[i].complete if m not in owner]
        lost: dict[int, list[str]] = {}
        for m in wides[i].complete:
            if m in owner:
                lost.setdefault(owner[m], []).append(m)
            else:
                owner[m] = i
        overridden += [{"file": display_path(wides[i].path), "by": display_path(wides[j].path),
                        "months": ms} for j, ms in lost.items()]
    frame = _melt([(wides[i], used[i]) for i in sorted(used) if used[i]], level)
    return frame, overridden, {display_path(wides[i].path): used[i] for i in used}


def _load_mps(sources: tuple[Source, ...], ctx: LoadContext, level: str) -> Loaded:
    """Load, validate and merge the MPS wide files of one level (see module docstring)."""
    if not sources:
        raise SchemaError(f"mps_{level}: no file given; point data.mps_{level} at a file.")
    wides = [read_wide(s, level) for s in sources]
    frame, overridden, used = _merge(wides, level)
    months = sorted({m for ms in used.values() for m in ms})
    warnings = [w for wide in wides for w in wide.warnings]
    gaps = sorted(set(month_range(months[0], months[-1])) - set(months)) if months else []
    if gaps:
        warnings.append(f"mps_{level}: no complete data for {', '.join(gaps)} in any file "
                        "(between the files' ranges, or a partial month); add a file covering "
                        "it if you need a continuous series.")
    files = [{"path": str(w.path), "rows": int(len(w.ids)), "months": [w.months[0],
              w.months[-1]], "vintage": w.vintage, "months_used": _span(used[display_path(
                  w.path)])} for w in wides]
    categories = sorted({(a, b) for w in wides for a, b in zip(w.ids["major"], w.ids["minor"],
                                                                strict=True)})
    meta = {"source": f"mps_{level}", "files": files, "months": months,
            "incomplete_months": [d for w in wides for d in w.incomplete],
            "overridden": overridden, "warnings": warnings, "series_breaks": [],
            "unmapped": [], "categories": [list(c) for c in categories]}
    return Loaded(frame, meta)


def _span(months: list[str]) -> list[str]:
    return [months[0], months[-1]] if months else []


def load_mps_ward(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS ward-level recorded crime (all London rows kept), tidy: see ``COLUMNS``."""
    return _load_mps(sources, ctx, "ward")


def load_mps_borough(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS borough-level recorded crime; ``area_code`` and ``area_name`` are the borough name."""
    return _load_mps(sources, ctx, "borough")


def load_mps_lsoa(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS LSOA-level recorded crime; an E09 code in ``borough`` is mapped to the name."""
    return _load_mps(sources, ctx, "lsoa")
