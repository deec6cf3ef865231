"""Record-level partner extracts: ``police_records`` and ``ae_attendances`` (ARCHITECTURE 8.2).

These files hold personal data. They are validated here, parsed into the local cache like any
other source, and only ever leave a run as aggregates after disclosure control
(:mod:`sna.people`). Column names are a contract; the templates and their rules are in
``data/templates/README.md``.

Validation runs a pandera schema (:mod:`sna.io.records_schema`) over the file **as text**, so
every problem names the spreadsheet row (header = row 1), the column and the value as typed.
All problems of a file are reported together (the first 20), and nothing is written: the run
stops with exit 2. Text stays in Arrow buffers; each column is parsed once with Arrow kernels
(:mod:`sna.io.records_parse`) and the parse is shared by the checks and the typed frame, so a
million-row extract loads in a few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_
import pyarrow.compute as pc

from sna.config import Source
from sna.definitions import load_indicators
from sna.errors import EmptyDataError, SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text
from sna.io.records_parse import ParsedColumns, per_value, text_series, tidy_text
from sna.io.records_schema import (  # noqa: F401 - the templates' contract, public here
    AE_COLUMNS,
    AE_REQUIRED,
    ETHNICITIES,
    FLAGS,
    MAX_AGE,
    MECHANISMS,
    POLICE_COLUMNS,
    POLICE_REQUIRED,
    SEXES,
    ae_schema,
    offence_indicators,
    police_schema,
)


# --------------------------------------------------------------------------- reading
def _read(source: Source, columns: tuple[str, ...], required: tuple[str, ...],
          template: str) -> tuple[pd.DataFrame, list[str]]:
    """The file's template columns as tidy text (:func:`tidy_text`), and warnings."""
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
        pairs = [(str(c).strip(), frame.iloc[:, i]) for i, c in enumerate(frame.columns)]
    else:
        encoding = source.option("encoding", "utf-8-sig")
        try:  # Arrow's reader: text stays in Arrow buffers, never Python strings
            table = _read_arrow(path, "utf-8" if encoding == "utf-8-sig" else encoding)
            pairs = list(zip(table.column_names, table.columns, strict=True))
        except Exception:  # noqa: BLE001 - the plain reader gives the precise, helpful error
            frame = read_csv_text(path, encoding=encoding)
            pairs = [(c, frame.iloc[:, i]) for i, c in enumerate(frame.columns)]
        pairs = [(str(c).replace("\ufeff", "").strip(), v) for c, v in pairs]
    names = [c for c, _ in pairs]
    twice = sorted({c for c in names if names.count(c) > 1 and c in columns})
    if twice:
        raise SchemaError(f"{display_path(path)}: column(s) {', '.join(map(repr, twice))} "
                          "appear more than once in the header: keep one of each.")
    cells = dict(pairs)
    n = len(next(iter(cells.values()))) if cells else 0
    if not n:
        raise EmptyDataError(f"{display_path(path)}: has a header but no data rows.")
    warnings = _columns(list(cells), columns, required, path, template)
    blank = pa_.nulls(n, pa_.large_string())
    return pd.DataFrame({c: text_series(tidy_text(cells[c]) if c in cells else
                                        pa_.chunked_array([blank])) for c in columns},
                        copy=False), warnings


def _read_arrow(path: Path, encoding: str) -> pa_.Table:
    """Every column as text (no type inference: ``2025-06-01`` stays as written)."""
    import csv as csv_text

    from pyarrow import csv

    with open(path, encoding=encoding, newline="") as f:
        names = next(csv_text.reader(f))
    names = [n.replace("\ufeff", "") for n in names]
    return csv.read_csv(path, read_options=csv.ReadOptions(encoding=encoding, skip_rows=1,
                                                           column_names=names),
                        convert_options=csv.ConvertOptions(
                            column_types={n: pa_.large_string() for n in names},
                            strings_can_be_null=False, quoted_strings_can_be_null=False))


def _columns(names: list[str], columns: tuple[str, ...], required: tuple[str, ...],
             path: Path, template: str) -> list[str]:
    missing = [c for c in required if c not in names]
    if missing:
        raise SchemaError(
            f"{display_path(path)}: missing required column(s) {', '.join(map(repr, missing))}. "
            f"Found: {', '.join(map(repr, names[:12]))}. The header must use the "
            f"names of data/templates/{template} (see data/templates/README.md).")
    extra = [c for c in names if c not in columns]
    return [f"{display_path(path)}: column(s) {', '.join(map(repr, extra))} are not in the "
            "template and are not read."] if extra else []


def _validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, path: Path) -> Problems:
    problems = Problems(path)
    try:
        schema.validate(frame, lazy=True, inplace=True)  # inplace: no copy of the frame
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()].copy()
        cases["row"] = cases["index"].astype(int) + 2
        for _, case in cases.sort_values(["row", "column"]).head(200).iterrows():
            value = None if pd.isna(case["failure_case"]) else case["failure_case"]
            problems.add(int(case["row"]), case["column"], value, case["check"])
    return problems


def _load(sources: tuple[Source, ...], columns: tuple[str, ...], required: tuple[str, ...],
          make_schema: Any, template: str, cross_checks: Any, convert: Any) -> Loaded:
    """Read, validate and type each file; every file's problems are raised before typing."""
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        frame, found = _read(source, columns, required, template)
        warnings += found
        parsed = ParsedColumns()  # one parse per column, shared by checks and conversion
        problems = _validate(frame, make_schema(parsed=parsed), path)
        cross_checks(frame, parsed, problems)
        problems.raise_if_any()
        parts.append(convert(frame, parsed))
        files.append({"path": str(path), "rows": len(frame)})
        del frame, parsed
    out = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    return Loaded(out, {"files": files, "warnings": warnings})


# --------------------------------------------------------------------------- police records
def _first_rows(mask: np.ndarray, n: int = 20) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)[:n]]


def _police_cross_checks(frame: pd.DataFrame, p: ParsedColumns, problems: Problems) -> None:
    """Row rules that involve several columns: a place, dates in order, no duplicates."""
    blank = {c: p.blank(frame[c]) for c in ("ward_code", "lsoa_code", "easting", "northing")}
    nowhere = (blank["ward_code"] & blank["lsoa_code"]
               & (blank["easting"] | blank["northing"]))
    for idx in _first_rows(nowhere):
        problems.add(idx + 2, "ward_code", None, "no place: give ward_code, lsoa_code or "
                     "easting and northing")
    for idx in _first_rows(blank["easting"] ^ blank["northing"]):
        problems.add(idx + 2, "easting", frame.at[idx, "easting"],
                     "give both easting and northing, or neither")
    rec = p.dates(frame["recorded_date"], with_time=False)
    com = p.dates(frame["committed_from"], with_time=True).astype("datetime64[D]")
    for idx in _first_rows(com > rec):
        problems.add(idx + 2, "committed_from", frame.at[idx, "committed_from"],
                     f"committed after it was recorded ({frame.at[idx, 'recorded_date']}): "
                     "check both dates")
    # crime_ref x victim_id as one integer per row (blank victim_id is a value of its own);
    # victim ids are compared only within crime_refs that occur more than once
    ref, _ = pd.factorize(frame["crime_ref"])
    shared = np.flatnonzero(pd.Series(ref).duplicated(keep=False).to_numpy() & (ref >= 0))
    if not len(shared):
        return
    victim, _ = pd.factorize(frame["victim_id"].take(shared))
    key = ref[shared].astype(np.int64) * (int(victim.max(initial=0)) + 2) + (victim + 1)
    dup = pd.Series(key).duplicated(keep="first").to_numpy()
    for pos in np.flatnonzero(dup)[:20]:
        idx, first = int(shared[pos]), int(shared[np.flatnonzero(key == key[pos])[0]])
        problems.add(idx + 2, "crime_ref", frame.at[idx, "crime_ref"],
                     f"duplicate of row {first + 2} (same crime_ref and victim_id): remove one")


def _lookup(codes: pa_.ChunkedArray, table: dict[str, Any], missing: Any) -> np.ndarray:
    """``table[code]`` for every cell (``missing`` when absent), by one hash pass."""
    keys = list(table)
    pos = pc.fill_null(pc.index_in(codes, value_set=pa_.array(keys, pa_.large_string())), -1)
    values = np.array([*table.values(), missing], dtype=object if missing is np.nan else None)
    return values[pos.to_numpy()]


def _time_known(arr: pa_.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.greater(pc.utf8_length(arr), 10), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)


def _text(frame: pd.DataFrame, col: str, kernel: Any) -> pd.Series:
    return text_series(kernel(frame[col].array.__arrow_array__()))


def _convert_police(frame: pd.DataFrame, p: ParsedColumns) -> pd.DataFrame:
    known = offence_indicators()
    sv_parts = set(load_indicators()["serious_violence"].get("components") or [])
    offence = p.norm(frame["offence"])
    semi = pa_.scalar(";", pa_.large_string())
    flags = per_value(frame["flags"].array.__arrow_array__(), lambda u: pc.binary_join_element_wise(
        semi, pc.replace_substring_regex(pc.utf8_upper(pc.fill_null(u, "")), r"\s+", ""), semi,
        pa_.scalar("", pa_.large_string())))
    out: dict[str, Any] = {
        "crime_ref": frame["crime_ref"],
        "recorded_date": p.dates(frame["recorded_date"], with_time=False),
        "committed_from": p.dates(frame["committed_from"], with_time=True),
        "time_known": _time_known(frame["committed_from"].array.__arrow_array__()),
        "offence": text_series(offence),
        "indicators": _lookup(offence, {k: ";".join(v) for k, v in known.items()}, np.nan),
        "serious_violence": _lookup(offence, {k: bool(sv_parts & set(v))
                                              for k, v in known.items()}, False).astype(bool),
    }
    for flag in FLAGS:
        out[f"flag_{flag.lower()}"] = np.asarray(pc.match_substring(flags, f";{flag};")
                                                 .to_numpy(zero_copy_only=False), dtype=bool)
    out["location_type"] = frame["location_type"]
    for col in ("ward_code", "lsoa_code"):
        out[col] = _text(frame, col, pc.utf8_upper)
    for col in ("easting", "northing"):
        out[col] = p.number(frame[col])
    for role in ("victim", "suspect"):
        out[f"{role}_id"] = frame[f"{role}_id"]
        out[f"{role}_age"] = p.number(frame[f"{role}_age"])
        out[f"{role}_sex"] = _text(frame, f"{role}_sex", pc.utf8_upper)
        out[f"{role}_ethnicity"] = _text(frame, f"{role}_ethnicity", pc.utf8_capitalize)
    return pd.DataFrame(out, copy=False)


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
    loaded = _load(sources, POLICE_COLUMNS, POLICE_REQUIRED, police_schema,
                   "police_records.csv", _police_cross_checks, _convert_police)
    frame = loaded.frame
    meta = {"source": "police_records", "personal_data": True, **loaded.meta}
    if len(frame):
        meta["period"] = [frame["recorded_date"].min().strftime("%Y-%m-%d"),
                          frame["recorded_date"].max().strftime("%Y-%m-%d")]
        months = frame["recorded_date"].dt.to_period("M").unique()
        meta["months"] = sorted(str(m) for m in months)
    return Loaded(frame, meta)


# --------------------------------------------------------------------------- A&E
def _ae_cross_checks(frame: pd.DataFrame, p: ParsedColumns, problems: Problems) -> None:
    """A&E rows need nothing beyond the column rules."""


def _convert_ae(frame: pd.DataFrame, p: ParsedColumns) -> pd.DataFrame:
    return pd.DataFrame({
        "attended": p.dates(frame["attended"], with_time=True),
        "time_known": _time_known(frame["attended"].array.__arrow_array__()),
        "age": p.number(frame["age"]),
        "sex": _text(frame, "sex", pc.utf8_upper),
        "location_type": frame["location_type"],
        "mechanism": _text(frame, "mechanism", pc.utf8_lower),
        "incident_lsoa": _text(frame, "incident_lsoa", pc.utf8_upper),
    }, copy=False)


def load_ae_attendances(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """A&E assault attendances (one row per attendance) -> ``attended`` (datetime),
    ``time_known`` (bool), ``age`` (float), ``sex``, ``location_type``, ``mechanism`` (lower
    case, one of :data:`MECHANISMS`), ``incident_lsoa``.

    Raises
    ------
    SchemaError
        Every problem of the file at once (row, column, value, what to do).
    """
    loaded = _load(sources, AE_COLUMNS, AE_REQUIRED, ae_schema, "ae_attendances.csv",
                   _ae_cross_checks, _convert_ae)
    out = loaded.frame
    meta = {"source": "ae_attendances", "personal_data": True, **loaded.meta}
    if len(out):
        months = out["attended"].dropna().dt.to_period("M").unique()  # not strftime: 1M rows
        meta["months"] = sorted(str(m) for m in months)
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
