"""MPS Violence Against Women and Girls (VAWG) dashboard data (config key ``vawg``).

The London Datastore xlsx has sheets ``Offence count location`` (BCU, borough, 2022 ward x
month recorded x month committed), ``Offence count classification`` (London-wide by offence
group), and for the victims file ``Victim count by location / age group / ethnic group``.
Copies circulate as Parquet with every sheet stacked (a ``sheet`` column) and lower/snake-cased
headers; CSV saves of one sheet load too (the sheet is then taken from ``sheet:`` in the config
or from the columns).

Output, one row per breakdown x area x recorded month (cells summed over the committed month,
whose 1900 dates are placeholders for "unknown"; their total is in ``meta.files``): ``file_kind`` (offences | victims),
``breakdown`` (location | classification | age | ethnicity), ``bcu``, ``borough``, ``ward_name``,
``category`` (offence group, age group or ethnic group; '' for location), ``month``, ``count``.
Ward names carry no code: join on borough + name to the 2022 wards; names not among them
(``Colindale``, the pre-2022 ward) are listed in ``meta['unmatched_wards']`` by the chapter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, display_path
from sna.io.dashboard import QuietProblems, fast_months, per_value
from sna.io.mps import LONDON_BOROUGHS, RecordProblems, count_block, read_table

COLUMNS = ["file_kind", "breakdown", "bcu", "borough", "ward_name", "category", "month", "count"]
NOT_BOROUGHS = {"other", "unknown", "", "none", "nan"}
_BOROUGHS = {n.lower(): n for n in LONDON_BOROUGHS.values()}
_CATEGORY = {"classification": "crimsec_group", "age": "age_group",
             "ethnicity": "ethnic_appearance_group_group"}


def _header(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def _breakdown(sheet: object) -> str | None:
    text = str(sheet).lower()
    for word, kind in (("location", "location"), ("classification", "classification"),
                       ("age", "age"), ("ethnic", "ethnicity")):
        if word in text:
            return kind
    return None


def _read(source: Source) -> tuple[pd.DataFrame, str]:
    path = Path(source.path)
    wanted = source.option("sheet")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = pd.ExcelFile(path, engine="openpyxl")
        sheets = [s for s in book.sheet_names if _breakdown(s)]
        if wanted is not None and wanted not in book.sheet_names:
            raise SchemaError(f"{display_path(path)}: no sheet {wanted!r}; the sheets are "
                              f"{', '.join(map(repr, book.sheet_names))}. Set `sheet:` to e.g. "
                              "'Offence count location'.")
        use = [wanted] if wanted else sheets
        if not use:
            raise SchemaError(f"{display_path(path)}: no VAWG data sheet (Offence/Victim count "
                              f"...); sheets: {', '.join(map(repr, book.sheet_names))}.")
        frame = pd.concat([book.parse(s, dtype=object).assign(sheet=s) for s in use],
                          ignore_index=True)
        unit = "row"
    else:
        frame, unit = read_table(source)
    frame.columns = [_header(c) for c in frame.columns]
    if "sheet" not in frame:
        frame["sheet"] = wanted or ("location" if "borough_name" in frame else "")
    return frame, unit


def _file_kind(frame: pd.DataFrame, path: Path) -> str:
    text = " ".join(map(str, pd.unique(frame["sheet"]))).lower() + " " + path.name.lower()
    return "victims" if "victim" in text else "offences"


def _check(frame: pd.DataFrame, path: Path, unit: str) -> RecordProblems:
    required = ["recorded_date_months", "count", "sheet"]
    missing = [c for c in required if c not in frame]
    if "borough_name" not in frame and not per_value(frame["sheet"], _breakdown).isin(
            ["classification", "age", "ethnicity"]).all():
        missing.append("borough_name")
    if missing:
        raise SchemaError(
            f"{display_path(path)}: missing column(s) {', '.join(map(repr, missing))} for the "
            f"MPS VAWG dashboard. Found: {', '.join(map(repr, list(frame.columns)[:12]))}. "
            "Check this is the VAWG dashboard data as published.")
    problems = RecordProblems(path, unit)
    offset = 2 if unit == "row" else 1
    kinds = per_value(frame["sheet"], _breakdown)
    for pos in np.flatnonzero(kinds.isna().to_numpy())[:5]:
        problems.add(int(pos) + offset, "sheet", frame["sheet"].iloc[pos],
                     "not a VAWG dashboard sheet (Offence count location/classification, "
                     "Victim count by location/age group/ethnic group)")
    if "borough_name" in frame:
        names = per_value(frame["borough_name"], lambda v: str(v).strip().lower()).fillna("")
        bad = (kinds == "location") & ~names.isin(set(_BOROUGHS) | NOT_BOROUGHS)
        for pos in np.flatnonzero(bad.to_numpy())[:10]:
            problems.add(int(pos) + offset, "borough_name", frame["borough_name"].iloc[pos],
                         "not a London borough (or 'Other'/'Unknown'); check the spelling")
    return problems


def _tidy(source: Source) -> tuple[pd.DataFrame, dict[str, Any]]:
    path = Path(source.path)
    frame, unit = _read(source)
    problems = _check(frame, path, unit)
    counts = count_block(frame, ["count"], problems, unit)[:, 0]
    months = fast_months(frame["recorded_date_months"], problems, unit, "recorded_date_months")
    problems.raise_if_any()
    kind = per_value(frame["sheet"], _breakdown)
    out = pd.DataFrame({"file_kind": _file_kind(frame, path), "breakdown": kind,
                        "month": months, "count": counts})
    for dst, src in (("bcu", "bcu_location"), ("borough", "borough_name"),
                     ("ward_name", "ward_name_clean_2")):
        col = frame[src] if src in frame else pd.Series("", index=frame.index)
        out[dst] = per_value(col, lambda v: str(v).strip()).fillna("")
    out["borough"] = per_value(out["borough"], lambda b: _BOROUGHS.get(b.lower(), b))
    out["category"] = ""
    for name, col in _CATEGORY.items():
        if col in frame:
            rows = kind == name
            out.loc[rows, "category"] = frame.loc[rows, col].astype("string").fillna("").str.strip()
    unknown_committed = 0
    if "date_committed_from_date_months" in frame:
        committed = fast_months(frame["date_committed_from_date_months"], QuietProblems(), unit)
        unknown = committed.isna() | committed.fillna("").str.startswith("1900")
        unknown_committed = int(counts[unknown.to_numpy()].sum())
    keys = [c for c in COLUMNS if c != "count"]
    out = out.groupby(keys, sort=False)["count"].sum().reset_index()
    info = {"path": str(path), "rows": int(len(frame)), "months": [months.min(), months.max()],
            "unknown_committed_count": unknown_committed}
    return out, info


def load_vawg(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS VAWG dashboard data (offences and/or victims; Parquet, CSV or xlsx) -> tidy frame.

    Returns
    -------
    Loaded
        Frame :data:`COLUMNS` (``count`` int64: recorded in ``month``, any committed month).
        Files of the same kind overlapping in months: the one with the latest month wins
        for the overlapping months (``meta['overridden']``).

    Raises
    ------
    SchemaError
        Missing column, no VAWG sheet, text in ``count``, a month that is not one, a borough
        that is not a London borough (file, row, column and value named).
    """
    parts = sorted((_tidy(s) for s in sources), key=lambda p: p[1]["months"][1], reverse=True)
    claimed: dict[str, set[str]] = {}
    kept, overridden = [], []
    for frame, info in parts:
        kind = str(frame["file_kind"].iloc[0]) if len(frame) else ""
        taken = claimed.setdefault(kind, set())
        lost = frame["month"].isin(taken)
        if lost.any():
            overridden.append({"file": display_path(info["path"]),
                               "months": sorted(set(frame.loc[lost, "month"]))})
        kept.append(frame[~lost])
        taken.update(frame["month"])
    out = pd.concat(kept, ignore_index=True)
    meta = {"source": "vawg", "files": [p[1] for p in parts],
            "months": sorted(out["month"].unique()), "overridden": overridden,
            "breakdowns": sorted(out["breakdown"].unique()), "warnings": [],
            "incomplete_months": [], "series_breaks": [], "unmapped": []}
    return Loaded(out[COLUMNS].reset_index(drop=True), meta)
