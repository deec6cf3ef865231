"""police.uk open data: street-level crime and stop and search.

Street-level files (``YYYY-MM-<force>-street.csv``) are read with pyarrow's multi-threaded CSV
reader, validated with vectorised checks over every row (month ``YYYY-MM``, numeric latitude
and longitude) and filtered to the area: rows whose ``LSOA name`` starts with the area name
and a space (``'Barnet 019C'``; ``'Brent '`` does not match ``'Brentwood 001A'``). A source may
be one file, a folder (searched recursively for ``*-street.csv`` and police.uk archives) or a
police.uk archive zip (members ``YYYY-MM/YYYY-MM-<force>-street.csv``).

Stop-and-search files have no LSOA: :func:`load_stop_search` returns every row, and chapters
assign points to wards with :func:`assign_to_wards` (which also works for street rows).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sna.config import Source
from sna.errors import DataError, EmptyDataError, EncodingError, SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path

STREET = {"Crime ID": "crime_id", "Month": "month", "Longitude": "longitude",
          "Latitude": "latitude", "Location": "location", "LSOA code": "lsoa_code",
          "LSOA name": "lsoa_name", "Crime type": "crime_type",
          "Last outcome category": "outcome", "Context": "context"}
STREET_OPTIONAL = ("Context",)
STOP = {"Date": "datetime", "Type": "type", "Latitude": "latitude", "Longitude": "longitude",
        "Gender": "gender", "Age range": "age_range", "Self-defined ethnicity": "ethnicity_self",
        "Officer-defined ethnicity": "ethnicity_officer", "Legislation": "legislation",
        "Object of search": "object", "Outcome": "outcome",
        "Outcome linked to object of search": "outcome_linked",
        "Removal of more than just outer clothing": "removal"}
STOP_COLUMNS = ["datetime", "month", "type", "latitude", "longitude", "gender", "age_range",
                "ethnicity_self", "ethnicity_officer", "legislation", "object", "outcome",
                "outcome_linked", "removal"]
STOP_OPTIONAL = ("Outcome linked to object of search", "Removal of more than just outer clothing")
POLICE_UK_COLUMNS = list(STREET.values())
_TEXT_TYPES = {c: pa.string() for c in (*STREET, *STOP, "Reported by", "Falls within",
                                        "Part of a policing operation", "Policing operation")}
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
_STREET_MEMBER = re.compile(r"(^|/)\d{4}-\d{2}-[^/]*street\.csv$", re.IGNORECASE)
_MAX_SHOWN = 10

Opener = Callable[[], IO[bytes]]


def _read_arrow(name: str, opener: Opener, encoding: str) -> pa.Table:
    """Read one CSV as text columns with pyarrow, mapping failures to :mod:`sna.errors`."""
    read = pacsv.ReadOptions(encoding=encoding, block_size=1 << 22)
    convert = pacsv.ConvertOptions(column_types=_TEXT_TYPES, strings_can_be_null=True)
    try:
        with opener() as handle:
            table = pacsv.read_csv(handle, read_options=read, convert_options=convert)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "Empty CSV" in text:
            raise EmptyDataError(f"{name}: the file is empty. Re-download it.") from exc
        if "UTF8" in text or "decode" in text.lower():
            raise EncodingError(
                f"{name}: cannot be read as {encoding} ({text[:100]}). Set `encoding: latin-1` "
                "for it in the config (data.<key>: {path: ..., encoding: latin-1}) or re-save "
                "it as UTF-8.") from exc
        raise SchemaError(f"{name}: cannot be parsed as CSV ({text[:160]}). The file may be "
                          "truncated or not a police.uk CSV: re-download it.") from exc
    except (OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise DataError(f"{name}: cannot be read ({type(exc).__name__}: {str(exc)[:120]}). "
                        "The file is truncated or corrupt: re-download it.") from exc
    names = [c.replace("\ufeff", "").strip() for c in table.column_names]
    table = table.rename_columns(names)
    if table.num_rows == 0:
        raise EmptyDataError(f"{name}: has a header but no data rows. Re-download it.")
    return table


def _require(table: pa.Table, columns: dict[str, str], optional: tuple[str, ...],
             name: str, what: str) -> pa.Table:
    missing = [c for c in columns if c not in table.column_names and c not in optional]
    if missing:
        shown = ", ".join(map(repr, table.column_names[:15]))
        raise SchemaError(f"{name}: missing column(s) {', '.join(map(repr, missing))} for "
                          f"{what}. Found: {shown}. Check this is the police.uk {what} file "
                          "as downloaded and that no header was renamed.")
    for col in optional:
        if col not in table.column_names:
            table = table.append_column(col, pa.nulls(table.num_rows, pa.string()))
    return table


def _flag(problems: Problems, table: pa.Table, column: str, bad: pa.Array, what: str) -> None:
    """Record the first bad cells of a column (``bad``: boolean mask over the rows)."""
    positions = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
    values = table.column(column)
    for pos in positions[:_MAX_SHOWN]:
        problems.add(int(pos) + 2, column, values[int(pos)].as_py(), what)
    if len(positions) > _MAX_SHOWN:
        problems.items[-1] += f" (and {len(positions) - _MAX_SHOWN} more rows like this)"


def _check_coordinates(table: pa.Table, problems: Problems) -> None:
    for col, limit in (("Latitude", 90), ("Longitude", 180)):
        values = pc.utf8_trim_whitespace(table.column(col))
        numeric = pc.match_substring_regex(values, _NUMBER_RE)
        bad = pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(numeric, False)))
        _flag(problems, table, col, bad, "not a number; correct the cell or re-download")
        if pc.any(bad).as_py():
            continue
        number = pc.cast(values, pa.float64())
        out = pc.greater(pc.abs(number), limit)
        _flag(problems, table, col, pc.fill_null(out, False),
              f"outside -{limit}..{limit} degrees; correct the cell or re-download")


def _check_street(table: pa.Table, name: str) -> None:
    problems = Problems(name)
    ok = pc.fill_null(pc.match_substring_regex(table.column("Month"), _MONTH_RE), False)
    _flag(problems, table, "Month", pc.invert(ok), "not a month YYYY-MM (e.g. 2025-02)")
    _check_coordinates(table, problems)
    problems.raise_if_any()


def _street_frame(table: pa.Table, area_name: str) -> pd.DataFrame:
    names = table.column("LSOA name")
    mask = pc.fill_null(pc.starts_with(names, f"{area_name} "), False)
    kept = table.filter(mask).select(list(STREET)).rename_columns(POLICE_UK_COLUMNS)
    frame = kept.to_pandas()
    for col in ("longitude", "latitude"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    return frame


def _zip_members(path: Path) -> Iterator[tuple[str, Opener]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{display_path(path)}: not a readable zip archive ({exc}). "
                        "Re-download it from data.police.uk.") from exc
    members = sorted(m for m in archive.namelist() if _STREET_MEMBER.search(m))
    if not members:
        raise SchemaError(f"{display_path(path)}: no street-level files "
                          "(YYYY-MM/YYYY-MM-<force>-street.csv) in the archive. Tick "
                          "'Include crime data' when downloading from data.police.uk.")
    for member in members:
        yield f"{display_path(path)}:{member}", (lambda m=member: archive.open(m))


def _file_opener(path: Path) -> Opener:
    def opener() -> IO[bytes]:
        return open(path, "rb")

    return opener


def street_inputs(path: Path) -> Iterator[tuple[str, Opener]]:
    """(name, opener) for each street-level CSV of a file, folder or police.uk zip."""
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and (
            _STREET_MEMBER.search(p.name) or p.suffix.lower() == ".zip"))
        if not found:
            raise SchemaError(f"{path}: no police.uk street files (YYYY-MM-<force>-street.csv "
                              "or archive .zip) in this folder.")
        for item in found:
            yield from street_inputs(item)
    elif path.suffix.lower() == ".zip":
        yield from _zip_members(path)
    else:
        yield display_path(path), _file_opener(path)


def _file_meta(name: str, table: pa.Table, area_rows: int, month_col: str) -> dict[str, Any]:
    bounds = pc.min_max(table.column(month_col))
    return {"path": name, "rows": int(table.num_rows), "rows_in_area": int(area_rows),
            "months": [str(bounds["min"])[:7], str(bounds["max"])[:7]]}


def load_police_uk(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """police.uk street-level crime rows in the area (LSOA name starts with the area name).

    Returns the columns ``crime_id, month, longitude, latitude, location, lsoa_code,
    lsoa_name, crime_type, outcome, context``. Rows without a location (no LSOA) cannot be
    placed and are counted in ``meta['no_location_rows']``.
    """
    frames, files, seen, warnings, no_location = [], [], set(), [], 0
    for source in sources:
        encoding = source.option("encoding") or "utf8"
        for name, opener in street_inputs(Path(source.path)):
            base = name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            if base in seen:
                warnings.append(f"{name}: the same file was given twice; read once.")
                continue
            seen.add(base)
            table = _require(_read_arrow(name, opener, encoding), STREET, STREET_OPTIONAL,
                             name, "street-level crime")
            _check_street(table, name)
            no_location += int(table.column("LSOA name").null_count)
            frames.append(_street_frame(table, ctx.area_name))
            files.append(_file_meta(name, table, len(frames[-1]), "Month"))
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        warnings.append(f"police_uk: no row has an LSOA name starting with {ctx.area_name!r}; "
                        "check area.name or that the files cover this force.")
    meta = {"source": "police_uk", "files": files, "warnings": warnings,
            "months": sorted(frame["month"].unique().tolist()), "incomplete_months": [],
            "no_location_rows": no_location, "rows": int(len(frame)),
            "series_breaks": [], "unmapped": []}
    return Loaded(frame, meta)


def _stop_frame(table: pa.Table, name: str) -> pd.DataFrame:
    problems = Problems(name)
    _check_coordinates(table, problems)
    frame = table.select(list(STOP)).rename_columns(list(STOP.values())).to_pandas()
    when = pd.to_datetime(frame["datetime"], utc=True, format="ISO8601", errors="coerce")
    for pos in np.flatnonzero(when.isna().to_numpy())[:_MAX_SHOWN]:
        problems.add(int(pos) + 2, "Date", frame["datetime"].iloc[pos],
                     "not a date-time (e.g. 2024-06-01T10:00:00+00:00)")
    problems.raise_if_any()
    frame["datetime"] = when
    frame["month"] = when.dt.tz_convert("Europe/London").dt.strftime("%Y-%m")
    for col in ("latitude", "longitude"):
        frame[col] = pd.to_numeric(frame[col]).astype("float64")
    for col in ("outcome_linked", "removal"):
        frame[col] = frame[col].str.strip().str.lower().map(
            {"true": True, "false": False}).astype("boolean")
    return frame[STOP_COLUMNS]


def load_stop_search(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """police.uk stop-and-search rows (all of them: the files have no LSOA).

    ``datetime`` is UTC; ``month`` is the London-time month (police.uk files run from
    23:00 UTC on the last day of the previous month in summer). Assign rows to the area's
    wards with :func:`assign_to_wards`.
    """
    frames, files = [], []
    for source in sources:
        name = display_path(source.path)
        table = _require(_read_arrow(name, _file_opener(Path(source.path)), source.option("encoding") or "utf8"),
                         STOP, STOP_OPTIONAL, name, "stop and search")
        frames.append(_stop_frame(table, name))
        months = frames[-1]["month"]
        files.append({"path": str(source.path), "rows": int(table.num_rows),
                      "months": [months.min(), months.max()]})
    frame = pd.concat(frames, ignore_index=True)
    no_location = int(frame["latitude"].isna().sum())
    meta = {"source": "stop_search", "files": files, "rows": int(len(frame)),
            "months": sorted(frame["month"].unique().tolist()), "incomplete_months": [],
            "no_location_rows": no_location, "warnings": [], "series_breaks": [],
            "unmapped": []}
    return Loaded(frame, meta)


def assign_to_wards(frame: pd.DataFrame, wards: Any) -> pd.DataFrame:
    """Add ``ward_code`` (and ``ward_name`` if the wards have it) by point in polygon.

    Parameters
    ----------
    frame : DataFrame
        Rows with ``latitude`` and ``longitude`` (WGS84, EPSG:4326); missing coordinates give
        a missing ward.
    wards : GeoDataFrame
        Ward polygons with ``ward_code`` (any CRS; compared in EPSG:27700).

    Returns
    -------
    DataFrame
        A copy of ``frame`` with ``ward_code`` (NaN outside every ward). A point on a shared
        boundary goes to the first ward found.
    """
    import geopandas as gpd

    from sna.errors import GeometryError

    if "ward_code" not in wards.columns:
        raise SchemaError("assign_to_wards: the wards frame needs a `ward_code` column "
                          "(load it with sna.io.boundaries.load_wards).")
    if wards.crs is None:
        raise GeometryError("assign_to_wards: the ward polygons have no CRS; set it first.")
    keep = [c for c in ("ward_code", "ward_name") if c in wards.columns]
    polygons = wards[[*keep, "geometry"]].to_crs(27700)
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy()
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy()
    has = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    points = gpd.GeoDataFrame({"pos": has}, geometry=gpd.points_from_xy(lon[has], lat[has]),
                              crs=4326).to_crs(27700)
    joined = gpd.sjoin(points, polygons, how="inner", predicate="intersects")
    joined = joined.drop_duplicates("pos").set_index("pos")
    out = frame.copy()
    for col in keep:
        values = np.full(len(frame), np.nan, dtype=object)
        values[joined.index.to_numpy()] = joined[col].to_numpy()
        out[col] = values
    return out
