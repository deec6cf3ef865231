"""MPS dashboards (London Datastore), long files with one row per month and category: the
monthly crime dashboard (knife crime) and the homicide dashboard.

Files are Parquet or CSV as published; they share the reader, count checks and error
messages of :mod:`sna.io.mps` (the wide recorded-crime files). Where files overlap in time the
newest vintage wins.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sna.config import Source
from sna.io.common import LoadContext, Loaded, display_path, require_columns
from sna.io.mps import LONDON_BOROUGHS, RecordProblems, count_block, norm_key, read_table
from sna.periods import month_range

HOMICIDE_COLUMNS = ["month", "borough", "gender", "age_group", "ethnicity", "offence_type",
                    "outcome", "count"]
_MONTH_FORMATS = ("%Y-%m-%d", "%Y-%m", "%Y%m", "%b-%y", "%b-%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")
_BOROUGH_BY_KEY = {norm_key(n.replace("&", "and")): n for n in LONDON_BOROUGHS.values()}


def parse_months(values: pd.Series, column: str, problems: RecordProblems, unit: str) -> pd.Series:
    """Month values (datetime, ``2022-03-01``, ``2022-03``, ``Jan-03``...) -> ``YYYY-MM``."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype("string").str.strip()
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        for fmt in _MONTH_FORMATS:
            todo = parsed.isna() & text.notna()
            if not todo.any():
                break
            parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    for pos in bad[:10]:
        problems.add(int(pos) + (2 if unit == "row" else 1), column, values.iloc[pos],
                     "not a month (expected e.g. 2024-03-01, 2024-03 or Jan-24)")
    return parsed.dt.strftime("%Y-%m")


def _read_long(source: Source, rename: dict[str, str], month_col: str) -> pd.DataFrame:
    path = Path(source.path)
    frame, unit = read_table(source)
    require_columns(frame, list(rename), path, what=source.key)
    problems = RecordProblems(path, unit)
    out = pd.DataFrame({dst: frame[src].astype("string").str.strip().astype(object)
                        for src, dst in rename.items() if dst not in ("month", "count")})
    out["month"] = parse_months(frame[month_col], month_col, problems, unit)
    count_col = next(src for src, dst in rename.items() if dst == "count")
    out["count"] = count_block(frame, [count_col], problems, unit)[:, 0]
    problems.raise_if_any()
    return out


def _load_long(sources: tuple[Source, ...], key: str, rename: dict[str, str],
               month_col: str, columns: list[str]) -> Loaded:
    """Concatenate long files; where files overlap in time, the newest vintage wins."""
    parts = [(s, _read_long(s, rename, month_col)) for s in sources]
    parts.sort(key=lambda p: p[1]["month"].max(), reverse=True)
    claimed: set[str] = set()
    kept, files, overridden = [], [], []
    for source, frame in parts:
        first, last = frame["month"].min(), frame["month"].max()
        lost = frame["month"].isin(claimed)
        if lost.any():
            overridden.append({"file": display_path(source.path),
                               "months": sorted(frame.loc[lost, "month"].unique().tolist())})
        kept.append(frame[~lost])
        claimed |= set(month_range(first, last))
        files.append({"path": str(source.path), "rows": int(len(frame)),
                      "months": [first, last], "vintage": last})
    frame = pd.concat(kept, ignore_index=True)[columns]
    meta = {"source": key, "files": files, "months": sorted(frame["month"].unique().tolist()),
            "incomplete_months": [], "overridden": overridden, "warnings": [],
            "series_breaks": [], "unmapped": []}
    return Loaded(frame, meta)


def load_homicide(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MPS homicide dashboard (one row per victim/proceeding; ``count`` = ``count_of_ppa``).

    ``proceedings_date`` ``'Jan-03'`` becomes ``'2003-01'``. Borough names are put into the
    MPS spelling (``'Barking & Dagenham'`` -> ``'Barking and Dagenham'``, ``'Kingston Upon
    Thames'`` -> ``'Kingston upon Thames'``); others (``'Heathrow'``) are kept.
    """
    rename = {"proceedings_date": "month", "borough": "borough", "gender": "gender",
              "age_group": "age_group", "self_classified_ethnicity": "ethnicity",
              "offence_type": "offence_type", "charged_summonsed": "outcome",
              "count_of_ppa": "count"}
    loaded = _load_long(sources, "homicide", rename, "proceedings_date", HOMICIDE_COLUMNS)
    borough = loaded.frame["borough"]
    loaded.frame["borough"] = borough.map(
        lambda b: _BOROUGH_BY_KEY.get(norm_key(str(b).replace("&", "and")), b))
    changed = sorted(set(borough[borough != loaded.frame["borough"]].dropna()))
    if changed:
        loaded.meta["warnings"].append(
            f"homicide: borough names put into MPS spelling: {', '.join(changed)}.")
    return loaded
