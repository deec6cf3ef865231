"""Disclosure control of published tables: small-count and secondary suppression, and audits.

Policy (applied to every published table and page)
--------------------------------------------------
- **Primary suppression.** A count from 1 to ``min_count - 1`` (1-4 with the default 5) is
  published as an empty cell and the row's ``suppressed`` flag column is True. Zeros are
  published: a true zero discloses nothing about an individual.
- **Dependent values.** Rates, confidence limits, percentages and changes computed from a
  suppressed count are blanked too (the count could be recovered from them), via the
  ``rate_cols`` / ``dependent`` mapping ``count column -> [dependent columns]``.
- **Secondary suppression.** When the cells of a group add up to a published total (the
  group's total row in the same table, or a total published elsewhere), one hidden cell could
  be recovered by subtraction. Within each such group the next-smallest non-zero cells are
  hidden as well, one at a time, until at least two cells are hidden *and* together they hold
  at least ``min_count`` (so the difference ``total - published cells`` reveals neither a
  single cell nor a small number). If no cell is left to hide, the group's total row is
  hidden instead. A group whose total row is itself hidden needs no secondary suppression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pandas as pd

FLAG = "suppressed"
_COUNT_WORDS = {"count", "counts", "number", "n", "offences", "crimes", "victims",
                "incidents", "cases", "events", "persons", "people"}
_NOT_COUNT_WORDS = {"rate", "rates", "pct", "percent", "percentage", "rank", "areas",
                    "population", "lower", "upper", "lower95", "upper95", "share", "ratio",
                    "mean", "median", "per", "change", "year", "month", "code", "p", "z",
                    "score", "significant", "%"}
_INT = re.compile(r"^\d+$")
_HIDDEN: dict[str, set[float]] = {}  # indicator -> true values of cells hidden in this process


def note_hidden(frame: pd.DataFrame, col: str, hidden: pd.Series) -> None:
    """Remember the true values of the hidden cells of ``col`` by ``indicator`` (when the
    frame has one), for the audit of figure text (:func:`save_hidden`)."""
    if "indicator" not in frame.columns or not hidden.any():
        return
    values = pd.to_numeric(frame.loc[hidden.to_numpy(), col], errors="coerce")
    for ind, value in zip(frame.loc[hidden.to_numpy(), "indicator"], values, strict=True):
        if pd.notna(value) and value > 0:
            _HIDDEN.setdefault(str(ind), set()).add(float(value))


def save_hidden(path: Any) -> None:
    """Write what :func:`note_hidden` remembered as JSON ``{indicator: [values]}`` (a file
    in the run's working folder, removed with ``.declared/`` after the audit)."""
    import json
    from pathlib import Path

    if _HIDDEN:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({k: sorted(v) for k, v in sorted(_HIDDEN.items())}),
                              encoding="utf-8")


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def _dependents(count_cols: list[str], rate_cols: Any, dependent: Any) -> dict[str, list[str]]:
    """Merge ``rate_cols`` (mapping, or list applying to every count column) and ``dependent``."""
    out: dict[str, list[str]] = {c: [] for c in count_cols}
    for spec in (rate_cols, dependent):
        if spec is None:
            continue
        items = spec.items() if isinstance(spec, Mapping) else ((c, spec) for c in count_cols)
        for col, deps in items:
            out.setdefault(col, []).extend(_as_list(deps))
    return out


def small_mask(values: pd.Series, min_count: int) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    return ((v > 0) & (v < min_count)).fillna(False).astype(bool)


def _total_mask(frame: pd.DataFrame, total_row: Mapping[str, Any] | None) -> pd.Series:
    if not total_row:
        return pd.Series(False, index=frame.index)
    mask = pd.Series(True, index=frame.index)
    for col, value in total_row.items():
        mask &= frame[col] == value
    return mask


def protect_group(values: np.ndarray, hidden: np.ndarray, min_count: int) -> np.ndarray | None:
    """Hide further cells of one group until the hidden cells are >= 2 and sum >= min_count,
    taking the smallest non-zero visible cell each time (first in table order on ties).

    Returns the updated mask, or None when no visible non-zero cell is left to hide.
    """
    hidden = hidden.copy()
    order = np.argsort(values, kind="stable")
    while hidden.any():
        if hidden.sum() >= 2 and values[hidden].sum() >= min_count:
            return hidden
        candidates = [i for i in order if not hidden[i] and values[i] > 0]
        if not candidates:
            return None
        hidden[candidates[0]] = True
    return hidden


def secondary_mask(frame: pd.DataFrame, col: str, hidden: pd.Series, group_cols: list[str],
               totals: pd.Series, min_count: int) -> pd.Series:
    """Secondary suppression of ``col`` within each group (see the module docstring)."""
    mask = hidden.to_numpy(dtype=bool).copy()
    values = pd.to_numeric(frame[col], errors="coerce").fillna(0).to_numpy(dtype=float)
    is_total = totals.to_numpy(dtype=bool)
    for pos in frame.groupby(group_cols, dropna=False, sort=False).indices.values():
        cells, total_pos = pos[~is_total[pos]], pos[is_total[pos]]
        if not mask[cells].any() or (len(total_pos) and mask[total_pos].all()):
            continue
        result = protect_group(values[cells], mask[cells], min_count)
        if result is None:
            mask[total_pos] = True
        else:
            mask[cells] = result
    return pd.Series(mask, index=frame.index)


def integer_if_whole(values: pd.Series) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    finite = v.dropna()
    if len(finite) and np.all(np.mod(finite, 1) == 0):
        return v.round().astype("Int64")
    return v


def suppress(
    frame: pd.DataFrame,
    count_cols: str | Sequence[str],
    min_count: int = 5,
    *,
    rate_cols: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    dependent: Mapping[str, Sequence[str]] | None = None,
    group_cols: str | Sequence[str] | None = None,
    total_row: Mapping[str, Any] | None = None,
    flag: str | None = FLAG,
) -> pd.DataFrame:
    """Apply the disclosure policy (module docstring) to a table before publication.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    count_cols : str or sequence of str
        Columns holding counts of people or events.
    min_count : int
        Counts from 1 to ``min_count - 1`` are suppressed (``cfg.min_count``, 5 by default).
    rate_cols, dependent : mapping or sequence, optional
        Values derived from a count, blanked with it: a mapping ``count column -> [columns]``,
        or a list of columns blanked when any count of the row is suppressed. ``dependent``
        is an alias of the mapping form (both may be given).
    group_cols : str or sequence of str, optional
        Columns defining groups whose cells add up to a published total (e.g. ``indicator``
        and ``window`` for a ward table whose borough total is published). Enables secondary
        suppression within each group.
    total_row : mapping, optional
        ``{column: value}`` identifying each group's total row in this table (e.g.
        ``{"ward_name": "Total"}``). Without it, the total is assumed to be published
        elsewhere.
    flag : str or None
        Name of the boolean flag column (``'suppressed'``); None adds no column (for tables
        with a fixed column contract such as ``performance_dashboard.csv``).

    Returns
    -------
    pandas.DataFrame
        A copy: suppressed cells NaN/NA (empty in CSV), whole-number count columns as nullable
        ``Int64``, and the boolean flag column, True where any cell of the row was hidden
        (OR-ed with an existing column of that name).

    Raises
    ------
    ValueError
        If a named column is not in the frame.
    """
    counts, groups = _as_list(count_cols), _as_list(group_cols)
    deps = _dependents(counts, rate_cols, dependent)
    missing = [c for c in {*counts, *groups, *(total_row or {}), *sum(deps.values(), [])}
               if c not in frame.columns]
    if missing:
        raise ValueError(f"suppress: column(s) {sorted(missing)} not in the table "
                         f"(columns: {list(frame.columns)}).")
    out = frame.copy()
    totals = _total_mask(out, total_row)
    flags = (out[flag].fillna(False).astype(bool) if flag in out
             else pd.Series(False, index=out.index))
    for col in counts:
        hidden = small_mask(out[col], min_count)
        if groups:
            hidden = secondary_mask(out, col, hidden, groups, totals, min_count)
        note_hidden(out, col, hidden)
        out[col] = integer_if_whole(out[col].mask(hidden))
        for dep in deps.get(col, []):
            out[dep] = out[dep].mask(hidden)
        flags |= hidden
    if flag:
        out[flag] = flags
    return out


def load_hidden(folder: Any, frames: Mapping[str, Any] | None = None
                ) -> dict[str, list[float]]:
    """``{indicator label: true values}`` from every ``hidden-*.json`` of ``folder`` (what
    the chapters' :func:`save_hidden` wrote), for :func:`audit_html`. A value also published
    for that indicator in a count column of ``frames`` (``{name: (table, spec)}``) is left
    out: a figure printing it shows no more than that table (whose own differencing is
    audited), and counting it would flag every chart that reuses a common number."""
    import json
    from pathlib import Path

    from sna.definitions import indicator_label

    merged: dict[str, set[float]] = {}
    for path in sorted(Path(folder).glob("hidden-*.json")):
        for ind, values in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(indicator_label(ind), set()).update(float(v) for v in values)
    for table, spec in (frames or {}).values():
        if "indicator" not in table.columns or not merged:
            continue
        for col in (c for c in spec.count_columns if c in table.columns):
            shown = pd.DataFrame({"i": table["indicator"].astype(str),
                                  "v": pd.to_numeric(table[col], errors="coerce")}).dropna()
            for ind, values in shown.groupby("i")["v"]:
                merged.get(indicator_label(ind), set()).difference_update(values.tolist())
    return {k: sorted(v) for k, v in merged.items() if v}


# --- audits --------------------------------------------------------------------------------

def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[^a-z0-9%]+", str(name).lower()) if t}


def is_count_column(name: str) -> bool:
    """Whether a column name looks like a count (``count``, ``previous_count``, ``Number of
    offences``...) and not a rate, percentage, rank or population."""
    tokens = _tokens(name)
    return bool(tokens & _COUNT_WORDS) and not tokens & _NOT_COUNT_WORDS and "%" not in str(name)


def audit_table(frame: pd.DataFrame, min_count: int = 5,
                count_cols: Sequence[str] | None = None) -> list[str]:
    """Problems of a table about to be (or already) published: counts from 1 to
    ``min_count - 1`` in count-like columns (:func:`is_count_column`, or ``count_cols``).

    Rows are numbered as in a spreadsheet (header = row 1). Returns [] when the table is safe.
    """
    cols = list(count_cols) if count_cols is not None else [
        c for c in frame.columns if is_count_column(c)]
    problems = []
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        for pos in np.flatnonzero(small_mask(values, min_count).to_numpy()):
            problems.append(f"row {pos + 2}, column {col!r}: {values.iloc[pos]:g} is below the "
                            f"disclosure threshold ({min_count}); suppress it.")
    return problems


class _TableParser(HTMLParser):
    """Collect the rows of every (outermost and nested) ``<table>`` as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self.figures: list[dict[str, str]] = []  # {"alt": ..., "caption": ...} per figure
        self._in_caption = False
        self._stack: list[dict[str, Any]] = []
        self._cell: list[str] | None = None
        self._span = 1
        self._is_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.figures.append({"alt": "", "caption": ""})
        elif tag == "img" and dict(attrs).get("alt"):
            if not self.figures:
                self.figures.append({"alt": "", "caption": ""})
            self.figures[-1]["alt"] += " " + str(dict(attrs)["alt"])
        elif tag == "figcaption":
            if not self.figures:
                self.figures.append({"alt": "", "caption": ""})
            self._in_caption = True
        if tag == "table":
            self._stack.append({"rows": [], "caption": "", "in_caption": False,
                                "sensitivity": dict(attrs).get("data-sensitivity") or ""})
            self.tables.append(self._stack[-1])
        elif not self._stack:
            return
        elif tag == "tr":
            self._stack[-1]["rows"].append([])
        elif tag in ("td", "th"):
            span = dict(attrs).get("colspan") or "1"
            self._cell = []
            self._span = int(span) if span.isdigit() else 1
            self._is_th = tag == "th"
        elif tag == "caption":
            self._stack[-1]["in_caption"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figcaption":
            self._in_caption = False
        if not self._stack:
            return
        table = self._stack[-1]
        if tag in ("td", "th") and self._cell is not None:
            if not table["rows"]:
                table["rows"].append([])
            text = " ".join("".join(self._cell).split())
            table["rows"][-1].extend([(text, self._is_th)] * self._span)
            self._cell = None
        elif tag == "caption":
            table["in_caption"] = False
        elif tag == "table":
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.figures[-1]["caption"] += data
        if self._cell is not None:
            self._cell.append(data)
        elif self._stack and self._stack[-1]["in_caption"]:
            self._stack[-1]["caption"] += data


def _table_problems(number: int, table: dict[str, Any], min_count: int,
                    open_min: int = 0) -> list[str]:
    rows = [r for r in table["rows"] if r]
    if table.get("sensitivity") == "open" and open_min:
        min_count = open_min  # a table declared as open published statistics
    if not rows or min_count <= 1:
        return []
    header = [text for text, _ in rows[0]]
    cols = [j for j, name in enumerate(header) if is_count_column(name)]
    name = " ".join(table["caption"].split())
    where = f"table {number}" + (f" ({name[:60]!r})" if name else "")
    problems = []
    for i, row in enumerate(rows[1:], start=2):
        for j in cols:
            if j < len(row) and not row[j][1]:
                text = row[j][0].replace(",", "").replace("\u202f", "").strip()
                if _INT.match(text) and 0 < int(text) < min_count:
                    problems.append(f"{where}, row {i}, column {header[j]!r}: {text} is below "
                                    f"the disclosure threshold ({min_count}); suppress it.")
    return problems


def audit_html(text: str, min_count: int = 5, open_min: int = 0,
               hidden: Mapping[str, Any] | None = None) -> list[str]:
    """Scan the ``<table>`` elements and the figures' alt text and captions of an HTML page
    for small counts (figures: :func:`sna.figure_audit.figure_problems`, held to
    ``open_min`` when given, else ``min_count``; ``hidden`` = ``{indicator label: true
    values of its hidden cells}``).

    A table marked ``data-sensitivity="open"`` (open published statistics, by
    ``ch.table``) is held to ``open_min`` when given (1: shown as published); every other
    table, marked or not, to ``min_count``.

    The first row of each table is its header; a column is a count column when its header
    looks like one (:func:`is_count_column`: 'Count', 'Number of offences', 'Victims', ...,
    but not 'Rate per 1,000' or '% change'). Data cells of those columns holding a whole
    number from 1 to ``min_count - 1`` (thousands separators allowed) are reported. Row
    numbers count the header as row 1; tables are numbered from 1 in page order.
    """
    from sna.figure_audit import figure_problems

    parser = _TableParser()
    parser.feed(text)
    parser.close()
    return [p for n, t in enumerate(parser.tables, start=1)
            for p in _table_problems(n, t, min_count, open_min)] + [
        p for n, f in enumerate(parser.figures, start=1)
        for p in figure_problems(n, f, open_min or min_count, hidden)]
