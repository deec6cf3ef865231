"""Can a suppressed count be recovered by subtracting published numbers, across tables?

Each declared table (:data:`sna.tables.TABLES`) may say which of its rows state a count of an
indicator for a place (the borough or a ward) and a run of months (:class:`sna.tables.Fact`).
Gathering those statements from every published table gives, for each count, whether it is
published somewhere (known), hidden everywhere it appears (suppressed), or never stated.
Declared additive relations then link counts: the serious violence total is the sum of its
components, a window's count is the sum of its months, the borough's count is the sum of its
wards'. In a relation whose cells are all stated, exactly one unknown cell is recovered by
subtraction; if that cell was suppressed, the suppression failed and the audit says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from sna.periods import month_range, window_months
from sna.tables import RUN_12M, Relation, TableSpec, sv_relation

Key = tuple[str, str, str, str]  # place ('' = borough), indicator, first month, last month


def gather(frames: Mapping[str, tuple[pd.DataFrame, TableSpec]],
           period: str | None = None) -> dict[Key, dict]:
    """``{key: {"value": float | None, "tables": [...]}}`` from every declared fact; value
    None when every table stating the count hides it. ``period`` (the run's month) places
    facts declared over the run's 12 months (:data:`sna.tables.RUN_12M`)."""
    facts: dict[Key, dict] = {}
    for name, (frame, spec) in frames.items():
        for fact in spec.facts:
            if RUN_12M in (fact.start, fact.end):
                if period is None:
                    continue
                window = window_months(period, "12m")
                frame = frame.assign(_start=window[0], _end=window[-1])
                fact = replace(fact, start="_start", end="_end")
            elif fact.span and fact.end in frame.columns:
                frame = frame.assign(_start=_first_months(frame[fact.end], fact.span))
                fact = replace(fact, start="_start")
            cols = [fact.value, fact.indicator, fact.start, fact.end] + (
                [fact.place] if fact.place else [])
            if any(c not in frame.columns for c in cols):
                continue
            rows = frame
            for col, value in fact.where.items():
                rows = rows[rows[col] == value] if col in rows else rows.iloc[0:0]
            for rec in rows[cols].itertuples(index=False):
                value, ind, start, end = rec[:4]
                place = str(rec[4]) if fact.place else ""
                key = (place, str(ind), str(start)[:7], str(end)[:7])
                entry = facts.setdefault(key, {"value": None, "tables": []})
                entry["tables"].append(name)
                if pd.notna(value):
                    entry["value"] = float(value)
    return facts


def _first_months(ends: pd.Series, span: int) -> pd.Series:
    """The first month (``YYYY-MM``) of the ``span`` months ending at each month of ``ends``."""
    periods = pd.PeriodIndex(ends.astype(str).str[:7], freq="M") - (span - 1)
    return pd.Series(periods.strftime("%Y-%m"), index=ends.index)


def _instances(relation: Relation, facts: dict[Key, dict]) -> list[tuple[Key, list[Key]]]:
    """(total key, part keys) for every total stated in the facts."""
    out = []
    if relation.kind == "components":
        for key in facts:
            if key[1] == relation.total:
                out.append((key, [(key[0], p, key[2], key[3]) for p in relation.parts]))
    elif relation.kind == "months":
        for key in facts:
            place, ind, start, end = key
            if start < end:
                parts = [(place, ind, m, m) for m in month_range(start, end)]
                if any(p in facts for p in parts):
                    out.append((key, parts))
    elif relation.kind == "wards":
        wards: dict[tuple, list[Key]] = defaultdict(list)
        for key in facts:
            if key[0]:
                wards[key[1:]].append(key)
        for rest, parts in wards.items():
            total = ("", *rest)
            if total in facts:
                out.append((total, sorted(parts)))
    return out


def _label(key: Key) -> str:
    place, ind, start, end = key
    where = f"ward {place}" if place else "the borough"
    months = start if start == end else f"{start} to {end}"
    return f"{ind} in {where}, {months}"


def leaks(frames: Mapping[str, tuple[pd.DataFrame, TableSpec]], min_count: int = 5,
          open_min: int = 1, relations: tuple[Relation, ...] | None = None,
          period: str | None = None) -> list[str]:
    """Problems: each suppressed count that one declared relation gives back by subtraction
    (a recovered zero is not one: zeros are published, they disclose no one).

    ``relations`` defaults to :data:`sna.tables.RELATIONS` plus the serious violence
    components. Returns [] when no suppressed cell is recoverable.
    """
    from sna.tables import RELATIONS

    facts = gather(frames, period)
    if not any(f["value"] is None for f in facts.values()):
        return []
    relations = relations if relations is not None else (*RELATIONS, sv_relation())
    instances = [(r, total, parts) for r in relations for total, parts in _instances(r, facts)]
    known = {k: f["value"] for k, f in facts.items() if f["value"] is not None}
    problems, changed = [], True
    while changed:  # a recovered cell is known for the next relation: repeat to a fixpoint
        changed = False
        for relation, total, parts in instances:
            cells = [total, *parts]
            unknown = [k for k in cells if k not in known]
            if len(unknown) != 1:
                continue
            hidden = unknown[0]
            rest = sum(known[k] for k in parts if k != hidden)
            known[hidden] = rest if hidden == total else known[total] - rest
            changed = True
            if hidden not in facts or known[hidden] == 0:  # never stated, or a zero (which
                continue  # is published anyway): known now, but nothing small is revealed
            where = ", ".join(sorted({t for k in cells if k in facts
                                      for t in facts[k]["tables"]}))
            problems.append(
                f"differencing: the suppressed count of {_label(hidden)} can be recovered "
                f"from {relation.kind} published in {where}: "
                f"{'the total minus the other parts' if hidden != total else 'the sum of parts'}"
                ". Suppress one more cell of this relation.")
    return problems + combined(instances, known, facts)


MAX_SYSTEM = 4000  # unknown cells in one linked system the exact check solves (a few ms here)


def combined(instances: list, known: dict[Key, float], facts: dict[Key, dict]) -> list[str]:
    """Problems: suppressed counts that no single relation gives back but several together do
    (e.g. the 12 months to T-3 from the 12 and 3 months to T and the 3 months a year before).

    Every relation instance is an equation (total - parts = 0) over the cells still unknown
    after :func:`leaks`' subtraction; within each linked system of unknown cells, a cell is
    determined exactly when its unit vector lies in the equations' row space, i.e. its
    projection on the row space (from the SVD) has length one. A recovered zero is not a
    problem, as above."""
    import numpy as np

    eqs = []
    for relation, total, parts in instances:
        coef: dict[Key, float] = {total: 1.0}
        for p in parts:
            coef[p] = coef.get(p, 0.0) - 1.0
        rhs = -sum(c * known[k] for k, c in coef.items() if k in known)
        unknown = {k: c for k, c in coef.items() if k not in known and c}
        if unknown:
            eqs.append((unknown, rhs, relation.kind))
    parent: dict[Key, Key] = {}

    def root(k: Key) -> Key:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for unknown, _, _ in eqs:
        first, *rest = unknown
        for k in rest:
            parent[root(k)] = root(first)
    systems: dict[Key, list] = defaultdict(list)
    for eq in eqs:
        systems[root(next(iter(eq[0])))].append(eq)
    problems = []
    for group in systems.values():
        cells = sorted({k for unknown, _, _ in group for k in unknown})
        hidden = [k for k in cells if k in facts]
        if not hidden:
            continue
        if len(cells) > MAX_SYSTEM:
            problems.append(f"differencing: {len(cells)} linked unknown cells (from "
                            f"{_label(hidden[0])}) are too many to check exactly; suppress "
                            "fewer cells or split the table.")
            continue
        col = {k: i for i, k in enumerate(cells)}
        a = np.zeros((len(group), len(cells)))
        b = np.array([rhs for _, rhs, _ in group])
        for row, (unknown, _, _) in enumerate(group):
            for k, c in unknown.items():
                a[row, col[k]] = c
        u, sing, vt = np.linalg.svd(a, full_matrices=False)
        rank = int((sing > 1e-9 * max(sing.max(initial=0.0), 1.0)).sum())
        rows = vt[:rank]  # an orthonormal basis of the equations' row space
        solution = rows.T @ ((u[:, :rank].T @ b) / sing[:rank])  # the minimum-norm solution
        kinds = sorted({kind for _, _, kind in group})
        for k in hidden:
            j = col[k]
            if (rows[:, j] ** 2).sum() < 1 - 1e-7:
                continue  # not in the row space: other values fit the published numbers too
            if abs(round(solution[j])) == 0:
                continue
            problems.append(
                f"differencing: the suppressed count of {_label(k)} can be recovered by "
                f"combining published totals ({', '.join(kinds)} relations across "
                f"{', '.join(sorted({t for c in cells if c in facts for t in facts[c]['tables']}))}"
                "). Suppress more cells of these totals.")
    return problems
