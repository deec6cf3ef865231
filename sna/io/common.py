"""Shared helpers for every loader: the ``Loaded`` result, file hashing, safe CSV reading,
and a problem collector that reports all problems of a file together.

Loader contract
---------------
Every loader is ``load_<key>(sources, ctx) -> Loaded`` where ``sources`` is the tuple of
:class:`sna.config.Source` for one config key and ``ctx`` a :class:`LoadContext`. It returns a
tidy frame (documented per loader) and a JSON-serialisable ``meta`` dict with at least
``source`` (key), ``files`` (list of {path, rows}), and optionally ``months``,
``incomplete_months``, ``warnings``, ``series_breaks``, ``unmapped``. Problems raise a
:class:`sna.errors.DataError` subclass naming file, row (1-based, header = row 1), column,
value and what to do.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sna.errors import DataError, EmptyDataError, EncodingError, MultiDataError, SchemaError

MAX_PROBLEMS = 20


@dataclass
class Loaded:
    """A loaded source: a tidy frame plus metadata for the manifest and the data inventory."""

    frame: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadContext:
    """What a loader may need beyond its own files.

    Attributes
    ----------
    area_name, area_code : str
        The area assessed (e.g. ``'Barnet'``, ``'E09000003'``).
    """

    area_name: str
    area_code: str


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def display_path(path: str | Path) -> str:
    """A short name for messages: the file name (the folder is in the config)."""
    return Path(path).name


class Problems:
    """Collect problems found in one file and raise them together.

    Examples
    --------
    >>> p = Problems("x.csv")
    >>> p.add(3, "count", "-1", "counts cannot be negative")
    >>> p.raise_if_any()  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, error: type[SchemaError] = SchemaError):
        self.path = display_path(path)
        self.error = error
        self.items: list[str] = []

    def add(self, row: int | None, column: str | None, value: Any, what: str) -> None:
        """Record one problem; ``row`` is the spreadsheet row (header = 1)."""
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        loc = ", ".join(where)
        shown = "" if value is None else f": value {str(value)[:60]!r}"
        self.items.append(f"{self.path}, {loc}{shown} - {what}")

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        """Raise one error listing every problem (one problem raises the plain class)."""
        if not self.items:
            return
        if len(self.items) == 1:
            raise self.error(self.items[0])
        err = MultiDataError(self.path, self.items, limit=MAX_PROBLEMS)
        raise self.error(str(err))


# What a file's first bytes say it is (for true advice when a file is not what its name says)
_MAGIC = (
    (b"\xff\xfe", "UTF-16 text (little-endian, e.g. Excel's 'Unicode Text')", "utf-16"),
    (b"\xfe\xff", "UTF-16 text (big-endian)", "utf-16"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook is one)", None),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook", None),
    (b"\x1f\x8b", "a gzip-compressed file", None),
    (b"PAR1", "a Parquet file", None),
)
# low-level errors of damaged archives (zip, xlsx, gz, parquet) as raised by the readers
# (SyntaxError: the XML parse error of a damaged sheet inside an xlsx)
ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError,
                  SyntaxError)


def sniff(path: str | Path) -> tuple[str, str | None] | None:
    """``(what the file is, encoding to set)`` from its first bytes, or None for plain text."""
    head = read_bytes_head(path, 8)
    return next(((what, enc) for magic, what, enc in _MAGIC if head.startswith(magic)), None)


@contextmanager
def corrupt_guard(path: str | Path, kind: str) -> Iterator[None]:
    """Turn the low-level error of a damaged ``kind`` file (truncated zip/xlsx/gz, corrupt
    Parquet) into a :class:`DataError` naming the file; sna's own errors pass through."""
    try:
        yield
    except DataError:
        raise
    except ARCHIVE_ERRORS as exc:
        raise DataError(
            f"{display_path(path)}: cannot be read as {kind} ({type(exc).__name__}: "
            f"{str(exc)[:120]}). The file is truncated or damaged, or not {kind}: "
            "re-download it or re-save it from the original."
        ) from exc


def _not_csv(path: Path) -> None:
    """Refuse a binary file given as CSV, saying what it really is."""
    found = sniff(path)
    suffix = path.suffix.lower()
    if found is None or found[1] or (suffix == ".zip" and found[0].startswith("a zip")) \
            or (suffix == ".gz" and found[0].startswith("a gzip")):
        return
    raise SchemaError(
        f"{display_path(path)}: is {found[0]}, not a CSV text file, although named "
        f"{path.name!r}. Open it in the program that made it and save it as 'CSV UTF-8', or "
        "point the config at the original file if this source accepts that format."
    )


def _encoding_advice(path: Path, encoding: str, exc: UnicodeDecodeError) -> str:
    found = sniff(path)
    if found and found[1]:
        return (f"{display_path(path)}: is {found[0]}, not {encoding}. Set `encoding: "
                f"{found[1]}` for it in the config (data.<key>: {{path: ..., encoding: "
                f"{found[1]}}}) or re-save it as 'CSV UTF-8'.")
    return (f"{display_path(path)}: cannot be read as {encoding} (byte {exc.start}: "
            f"{exc.reason}): it is text in another encoding, most likely Windows-1252 from "
            "Excel's plain 'CSV' format. Set `encoding: cp1252` for it in the config "
            "(data.<key>: {path: ..., encoding: cp1252}; `encoding: latin-1` for ISO-8859-1) "
            "or re-save it as 'CSV UTF-8'.")


def read_csv_text(path: str | Path, *, encoding: str = "utf-8-sig", **kwargs: Any) -> pd.DataFrame:
    """Read a CSV as text columns (``dtype=str``), with clear errors.

    A UTF-8 BOM is removed; header names are stripped of surrounding spaces. Compressed files
    (``.gz``, ``.zip``) are read transparently.

    Raises
    ------
    EncodingError
        If the bytes are not valid in ``encoding`` (the message says which encoding to set).
    EmptyDataError
        If the file is empty or has a header and no data rows.
    """
    name = display_path(path)
    _not_csv(Path(path))
    try:
        frame = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False,
                            na_values=[""], **kwargs)
    except UnicodeDecodeError as exc:
        raise EncodingError(_encoding_advice(Path(path), encoding, exc)) from exc
    except pd.errors.EmptyDataError as exc:
        raise EmptyDataError(f"{name}: the file is empty. Re-download it.") from exc
    except (EOFError, OSError, zipfile.BadZipFile, zlib.error, pd.errors.ParserError) as exc:
        raise SchemaError(
            f"{name}: cannot be parsed as CSV ({type(exc).__name__}: {exc}). "
            "The file may be truncated or not a CSV: re-download it."
        ) from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if frame.empty:
        raise EmptyDataError(f"{name}: has a header but no data rows. Re-download it.")
    return frame


def require_columns(frame: pd.DataFrame, required: Iterable[str], path: str | Path,
                    *, what: str = "") -> None:
    """Raise :class:`SchemaError` naming each missing column and the columns found."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(map(repr, list(frame.columns)[:12]))
        raise SchemaError(
            f"{display_path(path)}: missing column(s) {', '.join(map(repr, missing))}"
            f"{' for ' + what if what else ''}. Found: {found}. "
            "Check this is the right file for this config key, as published."
        )


def to_counts(frame: pd.DataFrame, columns: Iterable[str], problems: Problems,
              *, header_rows: int = 1, allow_missing: bool = False) -> pd.DataFrame:
    """Convert text columns to non-negative integer counts, recording each bad cell.

    ``header_rows`` is how many spreadsheet rows come before the first data row.
    Thousands separators (``"1,234"``) are accepted.
    """
    out = frame.copy()
    for col in columns:
        raw = out[col].astype("string").str.replace(",", "", regex=False).str.strip()
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & (raw.notna() if allow_missing else True)
        bad |= num < 0
        bad |= (num % 1).fillna(0) != 0
        for idx in out.index[bad.fillna(False).to_numpy()][:MAX_PROBLEMS]:
            pos = out.index.get_loc(idx) + header_rows + 1
            problems.add(pos, col, frame.at[idx, col],
                         "not a whole non-negative number; correct the cell or re-download")
        out[col] = num.astype("Int64") if allow_missing else num.fillna(0).astype("int64")
    return out


def read_bytes_head(path: str | Path, n: int = 2048) -> bytes:
    """The first ``n`` bytes of a file (for sniffing formats)."""
    with open(path, "rb") as f:
        return f.read(n)


def frame_from_text(text: str, **kwargs: Any) -> pd.DataFrame:
    """Read CSV text already in memory (used by tests and zip readers)."""
    return pd.read_csv(io.StringIO(text), dtype=str, **kwargs)
