"""Record-level partner extracts: ``police_records`` and ``ae_attendances`` (ARCHITECTURE 8.2).

These files hold personal data. They are validated here, parsed into the local cache like any
other source, and only ever leave a run as aggregates after disclosure control
(:mod:`sna.people`). Column names are a contract; the templates and their rules are in
``data/templates/README.md``.

Validation runs a pandera schema over the file **as text**, so every problem names the
spreadsheet row (header = row 1), the column and the value as typed. All problems of a file are
reported together (the first 20), and nothing is written: the run stops with exit 2.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from sna.config import Source
from sna.definitions import load_definitions, load_indicators
from sna.errors import EmptyDataError, SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text

POLICE_COLUMNS: tuple[str, ...] = (
    "crime_ref", "recorded_date", "committed_from", "offence", "flags", "location_type",
    "ward_code", "lsoa_code", "easting", "northing", "victim_id", "victim_age", "victim_sex",
    "victim_ethnicity", "suspect_id", "suspect_age", "suspect_sex", "suspect_ethnicity",
)
"""Columns of the ``police_records`` template (contract, ARCHITECTURE 8.2)."""
POLICE_REQUIRED = ("crime_ref", "recorded_date", "committed_from", "offence")
AE_COLUMNS: tuple[str, ...] = ("attended", "age", "sex", "location_type", "mechanism",
                               "incident_lsoa")
"""Columns of the ``ae_attendances`` template (contract, ARCHITECTURE 8.2)."""
AE_REQUIRED = ("attended",)
FLAGS = ("DA", "KNIFE", "GUN", "HATE", "ALCOHOL")
SEXES = ("M", "F", "X")
ETHNICITIES = ("Asian", "Black", "Mixed", "White", "Other")
MECHANISMS = ("sharp object", "blunt object", "bodily force", "firearm", "other", "unknown")
MAX_AGE = 110
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")


# --------------------------------------------------------------------------- offences
def offence_indicators() -> dict[str, list[str]]:
    """MPS minor category (upper case) -> the indicator ids it counts in.

    Built from ``sna/definitions/indicators.yaml`` (the same crosswalk the open data use), so
    a change of definition there changes what a record counts in. Categories the crosswalk
    lists as ``ignored`` map to an empty list (known, not serious violence).
    """
    out: dict[str, list[str]] = {}
    for ind, spec in load_indicators().items():
        if spec["source"] != "mps":
            continue
        for cat in spec["categories"]:
            out.setdefault(_norm(cat["minor"]), []).append(ind)
    for cat in (load_definitions().get("ignored") or {}).get("mps", []):
        out.setdefault(_norm(cat["minor"]), [])
    return out


def _norm(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value).strip().upper())


def _norm_series(s: pd.Series) -> pd.Series:
    return s.str.strip().str.upper().str.replace(r"\s+", " ", regex=True)


# --------------------------------------------------------------------------- text checks
def _blank(s: pd.Series) -> pd.Series:
    """Blank cells (the frame is stripped and "" made missing when read: :func:`_tidy`)."""
    return s.isna()


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as an Arrow string, surrounding spaces removed, blank -> missing."""
    out = frame.astype("string[pyarrow]")
    for col in out.columns:
        text = out[col].str.strip()
        out[col] = text.mask(text == "")
    return out


def _dates(s: pd.Series, *, with_time: bool) -> pd.Series:
    pattern = _DATETIME if with_time else _DATE
    ok = s.str.fullmatch(pattern.pattern.strip("^$")).fillna(False).astype(bool)
    return pd.to_datetime(s.where(ok).astype(object), format="ISO8601", errors="coerce")


def _check_date(with_time: bool, today: pd.Timestamp) -> list[pa.Check]:
    form = "YYYY-MM-DD HH:MM (or YYYY-MM-DD when the time is unknown)" if with_time \
        else "YYYY-MM-DD"
    return [
        pa.Check(lambda s: _blank(s) | _dates(s, with_time=with_time).notna(),
                 error=f"not a real date: write {form}, e.g. 2025-03-31"),
        pa.Check(lambda s: ~(_dates(s, with_time=with_time) > today),
                 error="is in the future: check the date (day and month swapped?)"),
    ]


def _number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.replace(",", "", regex=False), errors="coerce").astype(float)


def _check_age() -> list[pa.Check]:
    return [pa.Check(lambda s: _blank(s) | (_number(s).between(0, MAX_AGE)
                                            & (_number(s) % 1 == 0)),
                     error=f"not an age: a whole number of years 0-{MAX_AGE}, or blank")]


def _check_code(allowed: tuple[str, ...], what: str) -> list[pa.Check]:
    keys = {a.lower() for a in allowed}
    return [pa.Check(lambda s: _blank(s) | s.str.lower().isin(list(keys)).fillna(False),
                     error=f"not a {what} code: use one of {', '.join(allowed)} or leave blank")]


def _check_flags() -> list[pa.Check]:
    one = "(?:" + "|".join(FLAGS) + ")?"
    pattern = rf"(?i)\s*{one}\s*(?:;\s*{one}\s*)*"
    return [pa.Check(lambda s: s.str.fullmatch(pattern).fillna(True).astype(bool), error=f"unknown flag: use ';'-separated {', '.join(FLAGS)}")]


def _check_pattern(pattern: str, what: str) -> list[pa.Check]:
    return [pa.Check(lambda s: _blank(s) | s.str.fullmatch(pattern).fillna(False),
                     error=f"not a {what}")]


def _check_offence(known: dict[str, list[str]]) -> list[pa.Check]:
    return [pa.Check(lambda s: _blank(s) | _norm_series(s).isin(list(known)).fillna(False),
                     error="offence not in the definitions crosswalk: write the MPS minor "
                           "category as in the ward file (e.g. VIOLENCE WITH INJURY), or add "
                           "it to sna/definitions/indicators.yaml")]


def _required(col: str) -> list[pa.Check]:
    return [pa.Check(lambda s: ~_blank(s), error="required value is blank", ignore_na=False)]


def police_schema(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the ``police_records`` template, checked on text cells."""
    today = today or pd.Timestamp(date.today())
    known = offence_indicators()
    checks: dict[str, list[pa.Check]] = {c: [] for c in POLICE_COLUMNS}
    for col in POLICE_REQUIRED:
        checks[col] += _required(col)
    checks["recorded_date"] += _check_date(False, today)
    checks["committed_from"] += _check_date(True, today)
    checks["offence"] += _check_offence(known)
    checks["flags"] += _check_flags()
    checks["ward_code"] += _check_pattern(r"[EW]05\d{6}", "2022 ward code like E05013628")
    checks["lsoa_code"] += _check_pattern(r"[EW]01\d{6}", "2021 LSOA code like E01000115")
    for col in ("easting", "northing"):
        checks[col] += [pa.Check(lambda s: _blank(s) | _number(s).between(0, 1_300_000),
                                 error="not a British National Grid coordinate in metres")]
    for role in ("victim", "suspect"):
        checks[f"{role}_age"] += _check_age()
        checks[f"{role}_sex"] += _check_code(SEXES, "sex")
        checks[f"{role}_ethnicity"] += _check_code(ETHNICITIES, "ethnicity")
    return _schema(checks, "police_records")


def ae_schema(today: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the ``ae_attendances`` template, checked on text cells."""
    today = today or pd.Timestamp(date.today())
    checks: dict[str, list[pa.Check]] = {c: [] for c in AE_COLUMNS}
    checks["attended"] += _required("attended") + _check_date(True, today)
    checks["age"] += _check_age()
    checks["sex"] += _check_code(SEXES, "sex")
    checks["mechanism"] += _check_code(MECHANISMS, "mechanism")
    checks["incident_lsoa"] += _check_pattern(r"[EW]01\d{6}", "2021 LSOA code like E01000115")
    return _schema(checks, "ae_attendances")


def _schema(checks: dict[str, list[pa.Check]], name: str) -> pa.DataFrameSchema:
    cols = {c: pa.Column(None, nullable=True, required=False, checks=chk)
            for c, chk in checks.items()}
    return pa.DataFrameSchema(cols, strict=False, coerce=False, name=name)


# --------------------------------------------------------------------------- reading
def _read(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            frame = pd.read_excel(path, sheet_name=source.option("sheet", 0), dtype=str,
                                  keep_default_na=False, na_values=[""])
        except (ValueError, KeyError, OSError) as exc:
            raise SchemaError(f"{display_path(path)}: cannot be read as an Excel workbook "
                              f"({exc}). Save it again as .xlsx or as CSV (UTF-8).") from exc
        except Exception as exc:  # zipfile.BadZipFile and openpyxl errors on damaged files
            raise SchemaError(f"{display_path(path)}: the workbook is damaged or not an .xlsx "
                              f"file ({type(exc).__name__}). Export it again.") from exc
        frame.columns = [str(c).strip() for c in frame.columns]
        if frame.empty:
            raise EmptyDataError(f"{display_path(path)}: has a header but no data rows.")
        return frame
    encoding = source.option("encoding", "utf-8-sig")
    try:  # Arrow's reader: text stays in Arrow buffers (a 1-million-row extract in ~300 MB)
        frame = _read_arrow(path, "utf-8" if encoding == "utf-8-sig" else encoding)
    except Exception:  # noqa: BLE001 - the plain reader gives the precise, helpful error
        frame = read_csv_text(path, encoding=encoding)
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    if frame.empty:
        raise EmptyDataError(f"{display_path(path)}: has a header but no data rows.")
    return frame


def _read_arrow(path: Path, encoding: str) -> pd.DataFrame:
    """Every column as text (no type inference: ``2025-06-01`` stays as written)."""
    import csv as csv_text

    import pyarrow as pa_
    from pyarrow import csv

    with open(path, encoding=encoding, newline="") as f:
        names = next(csv_text.reader(f))
    names = [n.replace("\ufeff", "") for n in names]
    table = csv.read_csv(path, read_options=csv.ReadOptions(encoding=encoding, skip_rows=1,
                                                            column_names=names),
                         convert_options=csv.ConvertOptions(
                             column_types={n: pa_.string() for n in names},
                             strings_can_be_null=False, quoted_strings_can_be_null=False))
    return table.to_pandas(types_mapper={pa_.string(): pd.StringDtype("pyarrow")}.get)


def _columns(frame: pd.DataFrame, columns: tuple[str, ...], required: tuple[str, ...],
             path: Path, template: str) -> list[str]:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{display_path(path)}: missing required column(s) {', '.join(map(repr, missing))}. "
            f"Found: {', '.join(map(repr, list(frame.columns)[:12]))}. The header must use the "
            f"names of data/templates/{template} (see data/templates/README.md).")
    extra = [c for c in frame.columns if c not in columns]
    return [f"{display_path(path)}: column(s) {', '.join(map(repr, extra))} are not in the "
            "template and are not read."] if extra else []


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, path: Path) -> Problems:
    problems = Problems(path)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()].copy()
        cases["row"] = cases["index"].astype(int) + 2
        for _, case in cases.sort_values(["row", "column"]).head(200).iterrows():
            value = None if pd.isna(case["failure_case"]) else case["failure_case"]
            problems.add(int(case["row"]), case["column"], value, case["check"])
    return problems


def _load(sources: tuple[Source, ...], columns: tuple[str, ...], required: tuple[str, ...],
          schema: pa.DataFrameSchema, template: str, extra_checks: Any) -> Loaded:
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        frame = _read(source)
        warnings += _columns(frame, columns, required, path, template)
        frame = _tidy(frame.reindex(columns=list(columns)))
        problems = _validate(frame, schema, path)
        extra_checks(frame, problems)
        problems.raise_if_any()
        parts.append(frame)
        files.append({"path": str(path), "rows": len(frame)})
    frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return Loaded(frame, {"files": files, "warnings": warnings})


# --------------------------------------------------------------------------- police records
def _police_cross_checks(frame: pd.DataFrame, problems: Problems) -> None:
    """Row rules that involve several columns: a place, dates in order, no duplicates."""
    nowhere = (_blank(frame["ward_code"]) & _blank(frame["lsoa_code"])
               & (_blank(frame["easting"]) | _blank(frame["northing"])))
    for idx in frame.index[nowhere.to_numpy()][:20]:
        problems.add(idx + 2, "ward_code", None, "no place: give ward_code, lsoa_code or "
                     "easting and northing")
    half = _blank(frame["easting"]) ^ _blank(frame["northing"])
    for idx in frame.index[half.to_numpy()][:20]:
        problems.add(idx + 2, "easting", frame.at[idx, "easting"],
                     "give both easting and northing, or neither")
    rec = _dates(frame["recorded_date"], with_time=False)
    com = _dates(frame["committed_from"], with_time=True).dt.normalize()
    late = com > rec
    for idx in frame.index[late.to_numpy()][:20]:
        problems.add(idx + 2, "committed_from", frame.at[idx, "committed_from"],
                     f"committed after it was recorded ({frame.at[idx, 'recorded_date']}): "
                     "check both dates")
    key = frame["crime_ref"].fillna("") + "\x1f" + frame["victim_id"].fillna("")
    dup = key.duplicated(keep="first") & ~_blank(frame["crime_ref"])
    for idx in frame.index[dup.to_numpy()][:20]:
        first = int(np.flatnonzero((key == key[idx]).to_numpy())[0]) + 2
        problems.add(idx + 2, "crime_ref", frame.at[idx, "crime_ref"],
                     f"duplicate of row {first} (same crime_ref and victim_id): remove one")


def _convert_police(frame: pd.DataFrame) -> pd.DataFrame:
    known = offence_indicators()
    sv_parts = set(load_indicators()["serious_violence"].get("components") or [])
    out = pd.DataFrame(index=frame.index)
    out["crime_ref"] = frame["crime_ref"]
    out["recorded_date"] = _dates(frame["recorded_date"], with_time=False)
    text = frame["committed_from"].fillna("")
    out["committed_from"] = _dates(frame["committed_from"], with_time=True)
    out["time_known"] = (text.str.len() > 10).astype(bool)
    out["offence"] = _norm_series(frame["offence"])
    joined = {k: ";".join(v) for k, v in known.items()}
    sv = {k: bool(sv_parts & set(v)) for k, v in known.items()}
    out["indicators"] = out["offence"].map(joined)
    out["serious_violence"] = out["offence"].map(sv).astype(bool)
    flags = ";" + frame["flags"].fillna("").str.upper().str.replace(r"\s+", "", regex=True) + ";"
    for flag in FLAGS:
        out[f"flag_{flag.lower()}"] = flags.str.contains(f";{flag};", regex=False).astype(bool)
    out["location_type"] = frame["location_type"]
    for col in ("ward_code", "lsoa_code"):
        out[col] = frame[col].str.upper()
    for col in ("easting", "northing"):
        out[col] = _number(frame[col])
    for role in ("victim", "suspect"):
        out[f"{role}_id"] = frame[f"{role}_id"]
        out[f"{role}_age"] = _number(frame[f"{role}_age"])
        out[f"{role}_sex"] = frame[f"{role}_sex"].str.upper()
        out[f"{role}_ethnicity"] = frame[f"{role}_ethnicity"].str.capitalize()
    return out.reset_index(drop=True)


def load_police_records(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Police record-level extract (one row per crime x victim) -> a typed frame.

    Columns: ``crime_ref``, ``recorded_date`` (datetime), ``committed_from`` (datetime; a date
    alone is midnight with ``time_known`` False), ``offence`` (upper case), ``indicators``
    (``;``-joined ids from the definitions crosswalk), ``serious_violence`` (bool),
    ``flag_da``, ``flag_knife``, ``flag_gun``, ``flag_hate``, ``flag_alcohol`` (bool),
    ``location_type``, ``ward_code``, ``lsoa_code``, ``easting``, ``northing`` (float),
    ``victim_*`` and ``suspect_*`` (id, age float, sex M/F/X, ethnicity Asian/Black/Mixed/
    White/Other; NaN when blank).

    Raises
    ------
    SchemaError
        Every problem of the file at once (row, column, value, what to do): impossible or
        future dates, ages outside 0-110, unknown sex/ethnicity/flag codes, offences not in the
        crosswalk, rows without a place, committed after recorded, duplicate crime_ref x
        victim_id. Places outside the area are checked by :func:`check_records_area`.
    """
    loaded = _load(sources, POLICE_COLUMNS, POLICE_REQUIRED, police_schema(),
                   "police_records.csv", _police_cross_checks)
    frame = _convert_police(loaded.frame)
    meta = {"source": "police_records", "personal_data": True, **loaded.meta}
    if len(frame):
        meta["period"] = [frame["recorded_date"].min().strftime("%Y-%m-%d"),
                          frame["recorded_date"].max().strftime("%Y-%m-%d")]
        months = frame["recorded_date"].dt.to_period("M").unique()
        meta["months"] = sorted(str(m) for m in months)
    return Loaded(frame, meta)


# --------------------------------------------------------------------------- A&E
def _ae_cross_checks(frame: pd.DataFrame, problems: Problems) -> None:
    """A&E rows need nothing beyond the column rules."""


def load_ae_attendances(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """A&E assault attendances (one row per attendance) -> ``attended`` (datetime),
    ``time_known`` (bool), ``age`` (float), ``sex``, ``location_type``, ``mechanism`` (lower
    case, one of :data:`MECHANISMS`), ``incident_lsoa``.

    Raises
    ------
    SchemaError
        Every problem of the file at once (row, column, value, what to do).
    """
    loaded = _load(sources, AE_COLUMNS, AE_REQUIRED, ae_schema(), "ae_attendances.csv",
                   _ae_cross_checks)
    raw = loaded.frame
    out = pd.DataFrame({
        "attended": _dates(raw["attended"], with_time=True),
        "time_known": (raw["attended"].fillna("").str.len() > 10).astype(bool),
        "age": _number(raw["age"]),
        "sex": raw["sex"].str.upper(),
        "location_type": raw["location_type"],
        "mechanism": raw["mechanism"].str.lower(),
        "incident_lsoa": raw["incident_lsoa"].str.upper(),
    })
    meta = {"source": "ae_attendances", "personal_data": True, **loaded.meta}
    if len(out):
        meta["months"] = sorted(out["attended"].dt.strftime("%Y-%m").unique())
    return Loaded(out, meta)


# --------------------------------------------------------------------------- area checks
def check_records_area(frame: pd.DataFrame, key: str, path_name: str, *,
                       ward_codes: set[str], lsoa_codes: set[str],
                       boundary: Any | None = None) -> None:
    """Raise :class:`SchemaError` for places outside the area (ward/LSOA codes not the
    area's, coordinates outside its boundary).

    Parameters
    ----------
    frame : pandas.DataFrame
        Loaded ``police_records`` (``ward_code``, ``lsoa_code``, ``easting``, ``northing``) or
        ``ae_attendances`` (``incident_lsoa``).
    key, path_name : str
        The config key and file name, for the message.
    ward_codes, lsoa_codes : set of str
        The area's 2022 ward and 2021 LSOA codes (empty set: not checked).
    boundary : shapely geometry, optional
        The area's outline in EPSG:27700 (British National Grid).
    """
    problems = Problems(path_name)
    cols = [("ward_code", ward_codes), ("lsoa_code", lsoa_codes), ("incident_lsoa", lsoa_codes)]
    for col, allowed in cols:
        if col not in frame or not allowed:
            continue
        bad = frame[col].notna() & ~frame[col].isin(allowed)
        for idx in frame.index[bad.to_numpy()][:10]:
            problems.add(idx + 2, col, frame.at[idx, col],
                         f"not a {'ward' if col == 'ward_code' else 'LSOA'} of the area: check "
                         "the code, or remove records from outside the area")
    if boundary is not None and "easting" in frame:
        from shapely import contains_xy

        has = frame["easting"].notna() & frame["northing"].notna()
        inside = pd.Series(True, index=frame.index)
        inside[has] = contains_xy(boundary.buffer(50), frame.loc[has, "easting"].to_numpy(),
                                  frame.loc[has, "northing"].to_numpy())
        for idx in frame.index[(~inside).to_numpy()][:10]:
            problems.add(idx + 2, "easting", f"{frame.at[idx, 'easting']:.0f}, "
                         f"{frame.at[idx, 'northing']:.0f}", "outside the area's boundary: "
                         "check the coordinates (easting/northing swapped?)")
    if len(problems):
        problems.items = [f"data.{key}: {p}" for p in problems.items]
    problems.raise_if_any()
