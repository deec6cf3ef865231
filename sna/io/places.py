"""Points of interest (``places``): schools, stations, bus stops... as map layers.

Each file is one list (``{path: ..., kind: schools}``; without ``kind`` the file name is used):
a CSV with easting/northing (British National Grid, EPSG:27700) or latitude/longitude
(WGS84) columns, or any OGR file (points; other geometries use their centroid). Column names
are found case-insensitively: ``*easting``/``*northing``, else ``latitude``/``lat``/``y`` and
``longitude``/``lon``/``lng``/``x``.

Frame: ``kind, name, easting, northing`` (EPSG:27700, float). Records with no coordinates, and
places not physically there (``status`` "Closed...", ``virtual_bus_stop`` 1), are dropped and
counted in ``meta['warnings']``; a coordinate that is not a number raises
:class:`SchemaError` naming file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text

NAME_COLUMNS = ("name", "school_nam", "stationname", "stop_name", "station", "site_name")
LAT, LON = ("latitude", "lat", "y"), ("longitude", "lon", "lng", "long", "x")
OGR = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".kml", ".gml"}


def _find(columns: list[str], names: tuple[str, ...], suffix: str | None = None) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    for n in names:
        if n in lower:
            return lower[n]
    if suffix:
        hits = [c for c in columns if c.lower().strip().endswith(suffix)]
        return hits[0] if hits else None
    return None


def _numbers(frame: pd.DataFrame, col: str, problems: Problems) -> pd.Series:
    text = frame[col].astype("string").str.replace(",", "", regex=False).str.strip()
    num = pd.to_numeric(text, errors="coerce")
    bad = num.isna() & text.notna() & (text != "")
    for idx in frame.index[bad.to_numpy()][:20]:
        problems.add(int(idx) + 2, col, frame.at[idx, col],
                     "not a coordinate (a number); correct or blank the cell")
    return num


def _from_csv(source: Source, kind: str) -> tuple[pd.DataFrame, int, int]:
    path = Path(source.path)
    frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
    cols = list(frame.columns)
    east, north = _find(cols, ("easting",), "easting"), _find(cols, ("northing",), "northing")
    problems = Problems(path)
    if east and north:
        x, y = _numbers(frame, east, problems), _numbers(frame, north, problems)
    else:
        lat, lon = _find(cols, LAT), _find(cols, LON)
        if not (lat and lon):
            raise SchemaError(
                f"{display_path(path)}: no coordinate columns. data.places needs Easting and "
                "Northing (British National Grid) or Latitude and Longitude columns; found "
                f"{', '.join(map(repr, cols[:12]))}.")
        la, lo = _numbers(frame, lat, problems), _numbers(frame, lon, problems)
        problems.raise_if_any()
        outside = frame.index[(la.abs() > 90) | (lo.abs() > 180)]
        if len(outside):
            i = outside[0]
            raise SchemaError(f"{display_path(path)}, row {int(i) + 2}, column {lat!r}: value "
                              f"{frame.at[i, lat]!r} is not a latitude; are the columns swapped?")
        from pyproj import Transformer

        tr = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
        x, y = tr.transform(lo.to_numpy(float), la.to_numpy(float))
        x, y = pd.Series(x, index=frame.index), pd.Series(y, index=frame.index)
    problems.raise_if_any()
    name_col = _find(cols, NAME_COLUMNS)
    names = frame[name_col].fillna("") if name_col else pd.Series("", index=frame.index)
    out = pd.DataFrame({"kind": kind, "name": names.astype(str).str.strip(),
                        "easting": x.astype(float), "northing": y.astype(float)})
    keep = np.isfinite(out["easting"]) & np.isfinite(out["northing"]) & (out["easting"] > 0)
    gone = _not_there(frame, cols)
    return out[keep & ~gone].reset_index(drop=True), int((~keep).sum()), int((keep & gone).sum())


def _not_there(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Records of places that are not physically there: a ``status`` starting "Closed" (e.g.
    the London Schools Atlas) or ``virtual_bus_stop`` = 1 (TfL bus stops)."""
    gone = pd.Series(False, index=frame.index)
    status, virtual = _find(cols, ("status",)), _find(cols, ("virtual_bus_stop",))
    if status:
        gone |= frame[status].fillna("").str.strip().str.lower().str.startswith("closed")
    if virtual:
        gone |= frame[virtual].fillna("").str.strip() == "1"
    return gone


def _from_ogr(source: Source, kind: str) -> tuple[pd.DataFrame, int, int]:
    import geopandas as gpd

    path = Path(source.path)
    try:
        g = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file for the user
        raise SchemaError(f"{display_path(path)}: cannot be read as a GIS file ({exc}).") from exc
    if g.crs is None:
        if not source.option("crs"):
            raise SchemaError(f"{display_path(path)}: the file has no coordinate reference "
                              "system; add `crs:` (e.g. EPSG:27700) to its data.places entry.")
        g = g.set_crs(source.option("crs"))
    g = g[g.geometry.notna() & ~g.geometry.is_empty].to_crs("EPSG:27700")
    pts = g.geometry.centroid
    name_col = _find(list(g.columns), NAME_COLUMNS)
    names = g[name_col].astype(str) if name_col else ""
    out = pd.DataFrame({"kind": kind, "name": names, "easting": pts.x, "northing": pts.y})
    return out.reset_index(drop=True), 0, 0


def load_places(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Every ``places`` file -> one frame of points (module doc)."""
    del ctx
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        kind = str(source.option("kind") or path.stem)
        reader = _from_ogr if path.suffix.lower() in OGR else _from_csv
        part, dropped, gone = reader(source, kind)
        if dropped:
            warnings.append(f"{display_path(path)}: {dropped} record(s) without coordinates "
                            "left out.")
        if gone:
            warnings.append(f"{display_path(path)}: {gone} closed or virtual record(s) left "
                            "out.")
        parts.append(part)
        files.append({"path": str(path), "rows": int(len(part)), "kind": kind})
    frame = pd.concat(parts, ignore_index=True)
    return Loaded(frame, {"source": "places", "files": files, "warnings": warnings})
