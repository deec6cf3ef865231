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

from sna.disclosure import integer_if_whole, secondary_mask, small_mask, suppress


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
