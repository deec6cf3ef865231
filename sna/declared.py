"""Disclosure control by declaration: each table suppressed and audited by its sensitivity.

:func:`suppress_declared` applies :func:`sna.disclosure.suppress` to a table declared in
:data:`sna.tables.TABLES`: partner rows below ``min_count``, open rows below ``open_min`` (1 when
``disclosure.open_data: publish``), on the rows that hold counts, with secondary suppression
in two directions where the serious violence components add up to its row.
:func:`audit_declared` checks a published table against its declaration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sna.disclosure import integer_if_whole, note_hidden, secondary_mask, small_mask, suppress


def _rows(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.Series:
    """Rows matching every ``{column: value}`` of ``where`` (all rows when empty; a value
    may be a list of accepted values)."""
    mask = pd.Series(True, index=frame.index)
    for col, value in where.items():
        if col not in frame.columns:
            return pd.Series(False, index=frame.index)
        accepted = value if isinstance(value, list | tuple | set) else [value]
        mask &= frame[col].isin(accepted)
    return mask


def partner_rows(frame: pd.DataFrame, spec: Any) -> pd.Series:
    """Rows of a declared table (:class:`sna.tables.TableSpec`) holding partner data."""
    if spec.sensitivity == "open":
        return pd.Series(False, index=frame.index)
    if spec.sensitivity == "mixed" and spec.partner_where:
        return _rows(frame, spec.partner_where)
    return pd.Series(True, index=frame.index)


def suppress_declared(frame: pd.DataFrame, spec: Any, min_count: int, open_min: int, *,
                      count_cols: Sequence[str] | None = None,
                      dependent: Mapping[str, Sequence[str]] | None = None,
                      group_cols: Sequence[str] | None = None) -> pd.DataFrame:
    """Apply the policy to a declared table (:class:`sna.tables.TableSpec`).

    Count cells (the declared ``count_columns``, on the rows matching ``count_where``) of
    partner rows are suppressed below ``min_count``, those of open rows below ``open_min``
    (1 = shown as published), each with secondary suppression within ``group_cols`` and
    their dependent values. Explicit ``count_cols``/``dependent``/``group_cols`` replace the
    declared ones. Returns a copy; rows that hold no counts are untouched.
    """
    counts = [c for c in (count_cols or spec.count_columns) if c in frame.columns]
    if not counts:
        return frame
    deps = {c: [d for d in v if d in frame.columns]
            for c, v in (dependent if dependent is not None else spec.dependent).items()}
    groups = [g for g in (group_cols if group_cols is not None else spec.group_cols)
              if g in frame.columns]
    counted = _rows(frame, spec.count_where)
    partner = partner_rows(frame, spec)
    out = frame.copy()
    for subset, threshold in ((counted & partner, min_count), (counted & ~partner, open_min)):
        if threshold <= 1 or not subset.any():
            continue
        sub = frame.loc[subset]
        safe = suppress(sub, counts, threshold, dependent=deps, group_cols=groups or None,
                        flag=None)
        for col in counts:
            hidden = safe[col].isna() & sub[col].notna()
            if spec.sv_by:
                hidden = _two_way(sub, col, hidden, groups, list(spec.sv_by), threshold)
            note_hidden(sub, col, hidden)
            for target in (col, *deps.get(col, [])):
                _blank(out, hidden, target)
    if not spec.count_where:
        for col in counts:
            out[col] = integer_if_whole(out[col])
    return out


def _blank(out: pd.DataFrame, hidden: pd.Series, col: str) -> None:
    """Set ``out[col]`` to NaN on the ``hidden`` rows (a float/object column if needed)."""
    rows = hidden.index[hidden.to_numpy()]
    if not len(rows):
        return
    if not (pd.api.types.is_float_dtype(out[col]) or pd.api.types.is_object_dtype(out[col])):
        numeric = pd.api.types.is_numeric_dtype(out[col]) and \
            not pd.api.types.is_bool_dtype(out[col])
        out[col] = out[col].astype("float" if numeric else "object")
    out.loc[rows, col] = np.nan


def _two_way(sub: pd.DataFrame, col: str, hidden: pd.Series, groups: list[str],
             sv_by: list[str], min_count: int) -> pd.Series:
    """Secondary suppression in two directions until stable: within ``groups`` (e.g. the
    wards of one indicator, whose total is published elsewhere) and within each ``sv_by``
    group (e.g. one ward), where the serious violence components add up to its
    ``serious_violence`` row. One pass alone leaves cells that the other gives back."""
    from sna.tables import sv_relation

    relation = sv_relation()
    if sv_by == ["*"]:  # the whole table is one place and window
        sub, sv_by = sub.assign(_all=0), ["_all"]
    work, mask = _with_absent_parts(sub, col, hidden, sv_by, relation)
    in_sv = work["indicator"].isin([*relation.parts, relation.total]).to_numpy()
    part = work.loc[in_sv]
    totals = pd.Series((part["indicator"] == relation.total).to_numpy(), index=part.index)
    none = pd.Series(False, index=work.index)
    for _ in range(50):
        before = mask.copy()
        if groups:
            mask = secondary_mask(work, col, mask, groups, none, min_count)
        mask.loc[part.index] = secondary_mask(part, col, mask.loc[part.index], sv_by, totals,
                                          min_count)
        if mask.equals(before):
            break
    return mask.loc[sub.index]


def _with_absent_parts(sub: pd.DataFrame, col: str, hidden: pd.Series, sv_by: list[str],
                       relation: Any) -> tuple[pd.DataFrame, pd.Series]:
    """``sub`` plus a hidden placeholder row (value unknown, taken as 0) for each serious
    violence component absent from a group that has a ``serious_violence`` row: the total
    minus the shown parts would give the absent one, which may be small (e.g. homicide left
    out of a table that shows the total and every other component)."""
    extra = []
    for key, grp in sub.groupby(sv_by, dropna=False, sort=False):
        if not (grp["indicator"] == relation.total).any():
            continue
        for name in set(relation.parts) - set(grp["indicator"]):
            row = dict(zip(sv_by, key if isinstance(key, tuple) else (key,), strict=True))
            extra.append({**row, "indicator": name, col: 0})
    if not extra:
        return sub, hidden.copy()
    index = pd.RangeIndex(len(extra)).map(lambda i: ("_absent", i))
    pads = pd.DataFrame(extra, index=index)
    work = pd.concat([sub, pads])
    return work, pd.concat([hidden, pd.Series(True, index=index)])


def audit_declared(frame: pd.DataFrame, spec: Any, min_count: int, open_min: int) -> list[str]:
    """Problems of a published table against its declaration: a declared count column that
    is missing, or a count below the threshold of its row (partner rows ``min_count``, open
    rows ``open_min``). Rows numbered as in a spreadsheet (header = row 1)."""
    problems = [f"declared count column {c!r} is not in the table; fix its declaration in "
                "sna/tables.py." for c in spec.count_columns if c not in frame.columns]
    counted = _rows(frame, spec.count_where).to_numpy()
    partner = partner_rows(frame, spec).to_numpy()
    for col in (c for c in spec.count_columns if c in frame.columns):
        values = pd.to_numeric(frame[col], errors="coerce")
        for kind, threshold, rows in (("partner data", min_count, counted & partner),
                                      ("open data", open_min, counted & ~partner)):
            small = small_mask(values, threshold).to_numpy() & rows
            for pos in np.flatnonzero(small):
                problems.append(f"row {pos + 2}, column {col!r}: {values.iloc[pos]:g} is below "
                                f"the disclosure threshold for {kind} ({threshold}); "
                                "suppress it.")
    return problems


# --- a monthly series with its rolling totals ---------------------------------------------

def _window_any(hidden: np.ndarray, span: int) -> np.ndarray:
    """``out[i, j]``: any of ``hidden[i, j - span + 1 .. j]`` (columns are consecutive months)."""
    cum = np.cumsum(np.pad(hidden.astype(int), ((0, 0), (span, 0))), axis=1)
    return (cum[:, span:] - cum[:, :-span]) > 0


def _protect_groups(values: np.ndarray, hidden: np.ndarray, groups: list[np.ndarray],
                    total: np.ndarray | None, min_count: int) -> bool:
    """Secondary suppression (in place) of the flat ``values``/``hidden`` within each group of
    positions; ``total`` (one position per group, or -1) is hidden when no cell is left to
    hide. Returns whether anything changed."""
    from sna.disclosure import protect_group

    changed = False
    for g, pos in enumerate(groups):
        tot = -1 if total is None else int(total[g])
        if not hidden[pos].any() or (tot >= 0 and hidden[tot]):
            continue
        result = protect_group(values[pos], hidden[pos], min_count)
        if result is None:
            if tot >= 0:
                hidden[tot], changed = True, True
        elif (result != hidden[pos]).any():
            hidden[pos], changed = result, True
    return changed


def suppress_series(frame: pd.DataFrame, min_count: int, count: str = "count",
                    rolling: str = "rolling_12m", span: int = 12,
                    windows: tuple[tuple[int, int], ...] = ((12, 0), (3, 0), (12, 1), (3, 1))
                    ) -> pd.DataFrame:
    """Suppress a monthly series and its rolling totals (``monthly_series``) so that no hidden
    cell can be recovered by subtraction.

    ``frame`` has ``indicator``, ``month`` (``YYYY-MM``), ``count`` and ``rolling`` (the sum
    of the ``span`` months ending at the month; NaN when incomplete). Counts from 1 to
    ``min_count - 1`` are hidden, then, until nothing changes:

    - within each month, the serious violence components and their total
      (:func:`sna.tables.sv_relation`), for the monthly counts and the rolling totals alike;
    - per indicator, within each window ``(months, lag)`` of ``windows``: the ``months``
      ending ``lag`` months before the last month, and the same months one, two... years
      earlier (the dashboard and ``change_robustness`` publish the 12 and 3 months to the
      period and to the month before, and compare them with a year earlier);
    - the two windows of ``k`` months to the period and to the month before differ by
      ``x(t) - x(t-k)``: both months of that pair are hidden or neither (also a year
      earlier, the windows' comparison);
    - a rolling total whose window holds a hidden month is hidden (``rolling(t) -
      rolling(t-1) = x(t) - x(t-12)`` would give the month back);
    - a rolling total hidden for the serious violence relation whose months are all shown
      hides the smallest non-zero month of its window (the months would give it back).

    Returns a copy with the hidden cells empty and the ``suppressed`` flag column; with
    ``min_count <= 1`` the counts are only made integer and flagged False.
    """
    from sna.disclosure import FLAG, integer_if_whole
    from sna.tables import sv_relation

    out = frame.copy()
    flags = pd.Series(False, index=out.index)
    if min_count > 1 and len(out):
        hc, hr = _series_masks(out, (count, rolling), span, windows, min_count,
                               sv_relation())
        note_hidden(out, count, hc)
        note_hidden(out, rolling, hr)
        out[count] = out[count].mask(hc)
        out[rolling] = out[rolling].mask(hr)
        flags = hc | hr
    out[count] = integer_if_whole(out[count])
    out[rolling] = integer_if_whole(out[rolling])
    out[FLAG] = flags | (frame[FLAG].fillna(False).astype(bool) if FLAG in frame else False)
    return out


def _series_masks(frame: pd.DataFrame, cols: tuple[str, str], span: int,
                  spans: tuple[tuple[int, int], ...], min_count: int, relation: Any
                  ) -> tuple[pd.Series, pd.Series]:
    """The hidden masks (count, rolling) of :func:`suppress_series`."""
    count, rolling = cols
    from sna.disclosure import small_mask

    inds = list(dict.fromkeys(frame["indicator"]))
    month = pd.PeriodIndex(frame["month"].astype(str).str[:7], freq="M")
    first, last = month.min(), month.max()
    col = np.asarray((month - first).map(lambda d: d.n), dtype=int)
    row = frame["indicator"].map({i: n for n, i in enumerate(inds)}).to_numpy()
    shape = (len(inds), (last - first).n + 1)
    grid = {}
    for name in (count, rolling):
        values = np.full(shape, np.nan)
        values[row, col] = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        hidden = np.zeros(shape, bool)
        hidden[row, col] = small_mask(frame[name], min_count).to_numpy()
        grid[name] = (values, hidden)
    (cv, hc), (rv, hr) = grid[count], grid[rolling]
    c0, r0 = np.nan_to_num(cv), np.nan_to_num(rv)
    sv_rows = [inds.index(i) for i in relation.parts if i in inds]
    total = inds.index(relation.total) if relation.total in inds else -1
    ncol = shape[1]
    months_groups = [np.array([r * ncol + j for r in sv_rows]) for j in range(ncol)]
    totals = np.array([total * ncol + j if total >= 0 else -1 for j in range(ncol)])
    ago = ncol - 1 - np.arange(ncol)  # months before the last month
    windows = [np.flatnonzero((ago >= lag) & ((ago - lag) // 12 == w) & ((ago - lag) % 12 < k))
               for k, lag in spans for w in range(ago.max() // 12 + 1)]
    window_groups = [r * ncol + w for r in range(len(inds)) for w in windows]
    # windows of k months ending at a month and at the month before differ by x(t) - x(t-k):
    # the windows to the period and a year earlier (what is published and compared)
    lags = {k for k, lag in spans if lag == 1 and (k, 0) in spans}
    pairs = np.array([(j, j - k) for k in lags for j in (ncol - 1, ncol - 13) if j >= k],
                     dtype=int).reshape(-1, 2)
    for _ in range(200):
        changed = False
        for values, hidden in ((c0, hc), (r0, hr)):
            if sv_rows:
                flat = hidden.reshape(-1)
                changed |= _protect_groups(values.reshape(-1), flat, months_groups, totals,
                                           min_count)
        changed |= _protect_groups(c0.reshape(-1), hc.reshape(-1), window_groups, None,
                                   min_count)
        if len(pairs):  # hide both months of such a pair or neither
            linked = hc[:, pairs[:, 0]] | hc[:, pairs[:, 1]]  # a zero partner too
            for side in (0, 1):
                new = linked & ~hc[:, pairs[:, side]]
                if new.any():
                    hc[:, pairs[:, side]] |= linked
                    changed = True
        before = hr.copy()
        hr |= _window_any(hc, span) & ~np.isnan(rv)
        changed |= bool((hr != before).any())
        bare = hr & ~np.isnan(rv) & ~_window_any(hc, span)
        for i, j in zip(*np.nonzero(bare), strict=True):
            cells = np.arange(max(j - span + 1, 0), j + 1)
            open_ = cells[~hc[i, cells] & (c0[i, cells] > 0)]
            if len(open_):
                hc[i, open_[np.argmin(c0[i, open_], kind="stable")]] = True
                changed = True
        if not changed:
            break
    return (pd.Series(hc[row, col], index=frame.index),
            pd.Series(hr[row, col], index=frame.index))
