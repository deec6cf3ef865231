"""MOPAC Public Attitude Survey (PAS) trust and confidence by borough (config key
``public_attitudes``).

Shapes: MOPAC's dashboard xlsx (sheet ``Borough``) or a CSV save of it. The CSV in circulation
was written in a continental locale: decimal commas (``"0,56"``), day-first dates without
zero padding (``31/3/2015``), four empty trailing columns and the measure ``"Good Job" local``
stored with escaped quotes. Borough spellings vary (``City of Westminster``, ``Richmond Upon
Thames``): names are put into the MPS spelling. Dot decimals and ISO dates load too.

Output: ``quarter_end`` (``YYYY-MM-DD``), ``month`` (``YYYY-MM``), ``borough``, ``measure_id``
(:data:`MEASURES`), ``measure`` (as published), ``proportion`` (0-1, rolling 12 months to the
quarter end), ``london`` (the MPS-wide value for the same quarter and measure).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text
from sna.io.mps import LONDON_BOROUGHS

MEASURES = {"good job local": "good_job", "contact ward officer": "contact_ward_officer",
            "informed local": "informed", "listen to concerns": "listen",
            "relied on to be there": "relied_on", "treat everyone fairly": "fair",
            "understand issues": "understand", "trust mps": "trust"}
COLUMNS = ["quarter_end", "month", "borough", "measure_id", "measure", "proportion", "london"]
_BOROUGHS = {n.lower(): n for n in LONDON_BOROUGHS.values()}
_BOROUGHS.update({"city of westminster": "Westminster"})


def _key(text: object) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", str(text).lower()).split())


def _read(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = pd.ExcelFile(path, engine="openpyxl")
        sheet = source.option("sheet") or "Borough"
        if sheet not in book.sheet_names:
            raise SchemaError(f"{display_path(path)}: no sheet {sheet!r}; the sheets are "
                              f"{', '.join(map(repr, book.sheet_names))}. Set `sheet:` to the "
                              "borough sheet of the PAS dashboard.")
        frame = book.parse(sheet, dtype=str)
    else:
        frame = read_csv_text(path, encoding=source.option("encoding") or "utf-8-sig")
    frame = frame.loc[:, [c for c in frame.columns if not str(c).startswith("Unnamed")]]
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("date", "borough", "measure", "proportion", "mps") if c not in frame]
    if missing:
        raise SchemaError(
            f"{display_path(path)}: missing column(s) {', '.join(map(repr, missing))} for the "
            f"MOPAC PAS borough dashboard. Found: {', '.join(map(repr, list(frame.columns)[:8]))}."
            " Use the 'Borough' sheet (Date, Survey, Borough, Measure, Proportion, MPS).")
    return frame.dropna(how="all").reset_index(drop=True)


def _proportion(values: pd.Series, column: str, problems: Problems) -> np.ndarray:
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    bad = (num.isna() & text.notna()) | (num < 0) | (num > 1)
    for pos in np.flatnonzero(bad.fillna(False).to_numpy())[:10]:
        problems.add(int(pos) + 2, column, values.iloc[pos],
                     "not a proportion between 0 and 1 (e.g. 0,56 or 0.56)")
    return num.to_numpy(dtype=float)


def _dates(values: pd.Series, problems: Problems) -> pd.Series:
    text = values.astype("string").str.strip()
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    iso = iso.fillna(pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce"))
    dmy = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    parsed = iso.fillna(dmy)
    for pos in np.flatnonzero(parsed.isna().to_numpy())[:10]:
        problems.add(int(pos) + 2, "Date", values.iloc[pos],
                     "not a date (expected day/month/year, e.g. 31/3/2015)")
    return parsed


def _tidy(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    frame = _read(source)
    problems = Problems(path)
    dates = _dates(frame["date"], problems)
    prop = _proportion(frame["proportion"], "Proportion", problems)
    london = _proportion(frame["mps"], "MPS", problems)
    boroughs = frame["borough"].astype("string").str.strip()
    names = boroughs.map(lambda b: _BOROUGHS.get(" ".join(str(b).lower().split())))
    for pos in np.flatnonzero(names.isna().to_numpy())[:10]:
        problems.add(int(pos) + 2, "Borough", frame["borough"].iloc[pos],
                     "not a London borough; check the spelling")
    measure = frame["measure"].astype("string").str.strip()
    ids = measure.map(lambda m: MEASURES.get(_key(m)))
    for pos in np.flatnonzero(ids.isna().to_numpy())[:10]:
        problems.add(int(pos) + 2, "Measure", frame["measure"].iloc[pos],
                     f"unknown PAS measure; expected one of {', '.join(sorted(MEASURES))}")
    problems.raise_if_any()
    return pd.DataFrame({"quarter_end": dates.dt.strftime("%Y-%m-%d"),
                         "month": dates.dt.strftime("%Y-%m"), "borough": names.astype(object),
                         "measure_id": ids.astype(object), "measure": measure.astype(object),
                         "proportion": prop, "london": london})


def load_public_attitudes(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """MOPAC PAS trust and confidence by borough -> tidy frame (:data:`COLUMNS`).

    Several files: for the same quarter, borough and measure the file with the latest quarter
    wins (``meta['overridden']`` counts the rows replaced).

    Raises
    ------
    SchemaError
        Missing column, wrong sheet, a proportion that is not a number in 0-1, a date that is
        not day/month/year, an unknown borough or measure (file, row, column, value named).
    """
    parts = sorted(((s, _tidy(s)) for s in sources), key=lambda p: p[1]["quarter_end"].max(),
                   reverse=True)
    frame = pd.concat([p[1] for p in parts], ignore_index=True)
    keys = ["quarter_end", "borough", "measure_id"]
    dup = frame.duplicated(keys, keep="first")
    frame = frame[~dup].sort_values(keys).reset_index(drop=True)
    meta = {"source": "public_attitudes",
            "files": [{"path": str(s.path), "rows": int(len(f)),
                       "months": [f["month"].min(), f["month"].max()]} for s, f in parts],
            "months": sorted(frame["month"].unique()), "overridden": int(dup.sum()),
            "measures": sorted(frame["measure_id"].unique()), "warnings": [],
            "incomplete_months": [], "series_breaks": [], "unmapped": []}
    return Loaded(frame[COLUMNS], meta)
