"""Text cells of record-level extracts parsed once, with Arrow compute kernels.

A million-row police extract has 18 text columns; the pandera checks of
:mod:`sna.io.records` and the typed frame it returns need the same parses (dates, numbers,
normalised offences). :class:`ParsedColumns` parses each column once and hands the same
arrays to every check and to the conversion, so validation costs one pass per column and no
per-cell Python.

Cells are Arrow ``large_string`` arrays (pandas ``string[pyarrow]``); surrounding spaces are
removed and blank cells are missing (:func:`tidy_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

DATE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME = r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:[0-5]\d)?)?$"
"""The forms of dates, and of date-times (seconds optional; 60 would roll over)."""
NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
"""Decimal numbers as :func:`pandas.to_numeric` reads them (after removing thousands commas)."""
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")  # most common first


def tidy_text(values: Any) -> pa.ChunkedArray:
    """Cells as an Arrow ``large_string`` array, surrounding spaces removed, blank -> null.

    Parameters
    ----------
    values : pyarrow array or pandas Series
        Text cells (a Series of any dtype is read as text first, as ``astype(str)`` would).

    Returns
    -------
    pyarrow.ChunkedArray
    """
    if isinstance(values, pd.Series):
        values = values.astype("string[pyarrow]").array.__arrow_array__()
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    if values.type != pa.large_string():
        values = values.cast(pa.large_string())
    text = pc.utf8_trim_whitespace(values)
    if pc.all(pc.equal(pc.binary_length(text), pc.binary_length(values))).as_py() is not False:
        text = values  # nothing trimmed: keep the cells read, free the copy
    blank = pc.equal(pc.binary_length(text), 0)
    if pc.any(blank).as_py():
        text = pc.if_else(blank, pa.scalar(None, pa.large_string()), text)
    return text


def text_series(arr: pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """An Arrow text array as a pandas ``string[pyarrow]`` Series (no copy of the text)."""
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=index, copy=False)


def _arrow(s: pd.Series) -> pa.ChunkedArray:
    """The Arrow array behind a text Series (the same object on every call, for the memo)."""
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype("string[pyarrow]")
    return s.array.__arrow_array__()


def _bools(arr: Any) -> np.ndarray:
    """A boolean Arrow array as numpy, null -> False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def per_value(arr: pa.ChunkedArray, fn: Callable[[pa.Array], pa.Array]) -> pa.ChunkedArray:
    """Apply ``fn`` to the distinct values of ``arr`` only and spread the result back.

    For low-cardinality columns (offences, flags, codes) a regex or normalisation then runs on
    a handful of values instead of a million.
    """
    uniq = pc.unique(arr)
    return pc.take(fn(uniq), pc.index_in(arr, value_set=uniq))


def parse_number(arr: pa.ChunkedArray) -> np.ndarray:
    """Numbers as float64 (thousands commas allowed); blank or not a number -> NaN.

    Arrow's cast reads every finite number :func:`pandas.to_numeric` reads, and fails on the
    rest: a column that casts whole takes one pass; otherwise the cells that are not
    :data:`NUMBER` become NaN first. (Text such as ``inf`` or ``nan`` is never a valid age or
    coordinate, whichever path reads it.)
    """
    if pc.any(pc.match_substring(arr, ",")).as_py():
        arr = pc.replace_substring(arr, ",", "")
    try:
        out = pc.cast(arr, pa.float64())
    except pa.ArrowInvalid:
        ok = pc.match_substring_regex(arr, NUMBER)
        out = pc.cast(pc.if_else(ok, arr, pa.scalar(None, arr.type)), pa.float64())
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=float)


def parse_dates(arr: pa.ChunkedArray, *, with_time: bool) -> np.ndarray:
    """ISO dates (``YYYY-MM-DD``, with ``HH:MM[:SS]`` when ``with_time``) as datetime64[ns].

    Blank, wrongly written or impossible dates (30 February, 25:99, years outside pandas'
    range) are NaT. Date-only columns have few distinct values: each is parsed once.
    """
    if not with_time:
        out = per_value(arr, lambda u: _parse_dates(u, DATE, ("%Y-%m-%d",)))
    else:
        out = _parse_dates(arr, DATETIME, _FORMATS)
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")


def _parse_dates(arr: Any, pattern: str, formats: tuple[str, ...]) -> Any:
    ok = pc.match_substring_regex(arr, pattern)
    text = pc.if_else(ok, arr, pa.scalar(None, arr.type))
    parsed = None
    for fmt in formats:  # the next format only for the cells the ones before could not read
        one = pc.strptime(text, format=fmt, unit="ns", error_is_null=True)
        parsed = one if parsed is None else pc.coalesce(parsed, one)
        if parsed.null_count == text.null_count:
            break
    # strptime rolls 30 February over into March: keep a date only if its day is as written
    written_day = pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int64())
    exact = pc.equal(pc.day(parsed), written_day)
    return pc.if_else(exact, parsed, pa.scalar(None, parsed.type))


def norm_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Upper case, single spaces (as :func:`sna.io.records._norm`), per distinct value."""
    return per_value(arr, lambda u: pc.replace_substring_regex(
        pc.utf8_upper(pc.utf8_trim_whitespace(u)), r"\s+", " "))


class ParsedColumns:
    """Memo of parsed text columns, shared by the pandera checks and the conversion.

    Keyed on the column's Arrow array (the same object for as long as the frame lives), so a
    check handed any other Series parses that Series afresh: the checks stay correct when the
    schema is used on its own.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[str, int], tuple[pa.ChunkedArray, Any]] = {}

    def _cached(self, s: pd.Series, kind: str, fn: Callable[[pa.ChunkedArray], Any]) -> Any:
        arr = _arrow(s)
        key = (kind, id(arr))
        hit = self._memo.get(key)
        if hit is None or hit[0] is not arr:
            if len(self._memo) > 256:  # a schema kept and used on many frames: start afresh
                self._memo.clear()
            hit = self._memo[key] = (arr, fn(arr))
        return hit[1]

    def blank(self, s: pd.Series) -> np.ndarray:
        """Missing (blank) cells."""
        return self._cached(s, "blank", lambda a: _bools(a.is_null()))

    def number(self, s: pd.Series) -> np.ndarray:
        """:func:`parse_number` of the column."""
        return self._cached(s, "number", parse_number)

    def dates(self, s: pd.Series, *, with_time: bool) -> np.ndarray:
        """:func:`parse_dates` of the column."""
        return self._cached(s, f"dates{with_time}",
                            lambda a: parse_dates(a, with_time=with_time))

    def norm(self, s: pd.Series) -> pa.ChunkedArray:
        """:func:`norm_text` of the column (Arrow)."""
        return self._cached(s, "norm", norm_text)

    def matches(self, s: pd.Series, pattern: str, *, ignore_case: bool = False) -> np.ndarray:
        """Cells that match ``pattern`` in full (RE2 syntax); blank -> False."""
        return self._cached(s, f"match{ignore_case}{pattern}", lambda a: _bools(per_value(
            a, lambda u: pc.match_substring_regex(u, f"^(?:{pattern})$",
                                                  ignore_case=ignore_case))))

    def isin(self, s: pd.Series, allowed: list[str], *, lower: bool = False,
             norm: bool = False) -> np.ndarray:
        """Cells (lower-cased or normalised first) among ``allowed``; blank -> False."""
        def fn(a: pa.ChunkedArray) -> np.ndarray:
            text = self.norm(s) if norm else pc.utf8_lower(a) if lower else a
            return _bools(pc.is_in(text, value_set=pa.array(allowed, pa.large_string())))
        return self._cached(s, f"isin{lower}{norm}{'|'.join(allowed)}", fn)
