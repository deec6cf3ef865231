"""Safety of published text: HTML escaping and CSV/XLSX formula neutralisation.

Text from input files (ward names, intervention names, partner notes) may contain HTML, script
or spreadsheet formulas. Everything shown in HTML goes through :func:`esc`; every text cell
written to CSV or XLSX goes through :func:`neutralise_frame`.
"""

from __future__ import annotations

import html
import re

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?$")


def esc(value: object) -> str:
    """HTML-escape any value for use in text or attributes (``None``/NaN -> empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return html.escape(str(value), quote=True)


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Numbers (including negative numbers written as text) are left alone.
    """
    if not isinstance(value, str) or not value:
        return value
    stripped = value.strip()
    if value.startswith(_FORMULA_START) and not _NUMBER.match(stripped):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells and column names cannot act as spreadsheet formulas."""
    out = frame.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise_cell)
    return out


_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~"}


def md_esc(value: object) -> str:
    """Escape a value for insertion into Markdown: HTML-escaped and Markdown syntax inert."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = html.escape(str(value), quote=False)  # only & < > : no '#' entities to re-escape
    return "".join(_MD_SPECIAL.get(ch, ch) for ch in text)


def restore_cell(value: object) -> object:
    """Undo :func:`neutralise_cell` (for reading our own published CSVs back)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" \
            and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def restore_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_frame` on a table read back from ``tables/``."""
    out = frame.copy()
    out.columns = [restore_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(restore_cell)
    return out
