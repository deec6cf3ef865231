"""Boundary loaders (wards, LSOAs); the LSOA -> ward lookups are in :mod:`sna.io.lookups`.

Boundaries are read with geopandas/pyogrio from any OGR format (GeoJSON, GeoJSON-lines,
shapefile, GeoPackage, zipped shapefile...), one file per :class:`~sna.config.Source` or a
folder of files (one ward per file is fine: they are concatenated). Every frame is returned in
British National Grid (EPSG:27700). A file whose CRS is missing or not recognisable (e.g. the
GLA 2014 ward shapefile, whose ESRI ``.prj`` matches no EPSG code) raises
:class:`~sna.errors.GeometryError`; set ``crs:`` for it in the config.

When the file carries local authority codes (``LAD22CD``, ``LB_GSS_CD``, ``LAGSSCODE``...)
only the features of ``ctx.area_code`` are kept; a file with none of them is an error.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from sna.config import Source
from sna.errors import EmptyDataError, GeometryError, SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path

BNG = "EPSG:27700"
SPATIAL_EXT = {".geojson", ".json", ".geojsonl", ".geojsons", ".shp", ".gpkg", ".zip",
               ".kml", ".gml", ".fgb", ".tab", ".gdb"}
TABLE_EXT = {".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".ods"}
KINDS = {
    "wards": {"id": [r"WD\d{2}CD", "GSS_CODE", "ward_code", "wardcode", "gss_code", "code"],
              "name": [r"WD\d{2}NM", "NAME", "ward_name", "wardname", "name"],
              "code": re.compile(r"^[EW]05\d{6}$"), "noun": "ward", "prefix": "E05"},
    "lsoa": {"id": [r"LSOA\d{2}CD", "lsoa_code", "lsoacode", "code"],
             "name": [r"LSOA\d{2}NM", "lsoa_name", "lsoaname", "NAME", "name"],
             "code": re.compile(r"^[EW]01\d{6}$"), "noun": "LSOA", "prefix": "E01"},
}
LAD_FIELDS = [r"LAD\d{2}CD", "LB_GSS_CD", "LAGSSCODE", "lad_code", "la_code"]


# --------------------------------------------------------------------------- reading files
def _files_of(source: Source) -> list[Path]:
    """The boundary files of one source (a folder gives every spatial file in it)."""
    path = Path(source.path)
    if not path.is_dir():
        return [path]
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in SPATIAL_EXT)
    if not files:
        raise GeometryError(
            f"{path.name}/: folder has no boundary files ({', '.join(sorted(SPATIAL_EXT))}). "
            f"Point data.{source.key} at the boundary file(s).")
    return files


def _read_spatial(path: Path, key: str) -> gpd.GeoDataFrame:
    """Read one file with pyogrio; a table or unreadable file raises GeometryError."""
    name = display_path(path)
    hint = (f"Point data.{key} at a GeoJSON, GeoPackage, shapefile (.shp with its .shx, .dbf "
            "and .prj) or zipped shapefile.")
    if path.suffix.lower() in TABLE_EXT:
        raise GeometryError(f"{name}: is not a spatial file (a {path.suffix} table). {hint}")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise GeometryError(f"{name}: cannot be read as a spatial file ({exc}). {hint}") from exc
    if frame.empty:
        raise EmptyDataError(f"{name}: has no features. Re-download it.")
    if not isinstance(frame, gpd.GeoDataFrame):
        raise GeometryError(f"{name}: is not a spatial file (no geometry column). {hint}")
    return frame


def _crs_hint(key: str) -> str:
    return (f"Set it in the config, e.g. `{key}: {{path: ..., crs: \"EPSG:27700\"}}` "
            "(British National Grid, the CRS of most ONS/GLA boundary files).")


def _resolve_crs(frame: gpd.GeoDataFrame, path: Path, source: Source,
                 warnings: list[str]) -> gpd.GeoDataFrame:
    """Apply the config ``crs`` option or check the file's own CRS is recognisable."""
    name, option = display_path(path), source.option("crs")
    if option:
        try:
            crs = pyproj.CRS.from_user_input(option)
        except pyproj.exceptions.CRSError as exc:
            raise GeometryError(f"{name}: crs option {option!r} is not a known CRS "
                                "(use e.g. \"EPSG:27700\" or \"EPSG:4326\").") from exc
        own = frame.crs.to_authority() if frame.crs is not None else None
        if own and pyproj.CRS.from_authority(*own) != crs:
            warnings.append(f"{name}: file says {':'.join(own)}, config crs {option} used.")
        frame = frame.set_crs(crs, allow_override=True)
    elif frame.crs is None:
        raise GeometryError(f"{name}: has no coordinate reference system (CRS): no .prj or "
                            f"CRS in the file. {_crs_hint(source.key)}")
    elif frame.crs.to_authority() is None:
        guess = frame.crs.to_authority(min_confidence=20)
        near = f"; closest match {':'.join(guess)}" if guess else ""
        raise GeometryError(
            f"{name}: its CRS ({frame.crs.name!r}) matches no EPSG code{near}, so it is not "
            f"used. {_crs_hint(source.key)}")
    _check_bounds(frame, name, source.key)
    return frame.to_crs(BNG)


def _check_bounds(frame: gpd.GeoDataFrame, name: str, key: str) -> None:
    """Catch coordinates that cannot be in the declared CRS (degrees vs metres)."""
    xmin, ymin, xmax, ymax = frame.total_bounds
    if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))):
        return  # no coordinates at all: the geometry check reports each feature
    looks_degrees = max(abs(xmin), abs(xmax)) <= 180 and max(abs(ymin), abs(ymax)) <= 90
    if frame.crs.is_geographic and not looks_degrees:
        raise GeometryError(f"{name}: coordinates ({xmin:.0f}, {ymin:.0f}) are not longitude/"
                            f"latitude but the CRS is {frame.crs.name}. {_crs_hint(key)}")
    if frame.crs.is_projected and looks_degrees:
        raise GeometryError(f"{name}: coordinates ({xmin:.3f}, {ymin:.3f}) look like longitude/"
                            f"latitude but the CRS is {frame.crs.name}. Set `crs: \"EPSG:4326\"`.")


# --------------------------------------------------------------------------- columns
def _find_field(columns: list[str], candidates: list[str]) -> str | None:
    """First column matching a candidate (regexes, case-insensitive; latest year first)."""
    for cand in candidates:
        hits = sorted((c for c in columns if re.fullmatch(cand, str(c), re.IGNORECASE)),
                      reverse=True)
        if hits:
            return hits[0]
    return None


def _pick_fields(frame: pd.DataFrame, path: Path, source: Source, kind: str) -> tuple[str, str]:
    cols = [c for c in frame.columns if c != frame.geometry.name]
    spec = KINDS[kind]
    id_field = source.option("id_field") or _find_field(cols, spec["id"])
    name_field = source.option("name_field") or _find_field(cols, spec["name"]) or id_field
    if id_field is None or id_field not in cols or name_field not in cols:
        missing = [f for f in (id_field, name_field) if f and f not in cols] or ["<code>"]
        raise SchemaError(
            f"{display_path(path)}: cannot find the {spec['noun']} code/name column(s) "
            f"{', '.join(map(repr, missing))}. Found: {', '.join(map(repr, cols[:15]))}. "
            f"Name them in the config: `{source.key}: {{path: ..., id_field: CODE_COLUMN, "
            "name_field: NAME_COLUMN}`.")
    return id_field, name_field


def _to_tidy(frame: gpd.GeoDataFrame, path: Path, source: Source, kind: str) -> gpd.GeoDataFrame:
    """Rename to ``<kind>_code/_name`` and remember file/row for messages."""
    id_field, name_field = _pick_fields(frame, path, source, kind)
    noun = "ward" if kind == "wards" else "lsoa"
    lad = _find_field([str(c) for c in frame.columns], LAD_FIELDS)
    out = gpd.GeoDataFrame({
        f"{noun}_code": frame[id_field].astype("string").str.strip().astype(object),
        f"{noun}_name": frame[name_field].astype("string").str.strip().astype(object),
        "_lad": frame[lad].astype(str).str.strip() if lad else None,
        "_file": display_path(path),
        "_row": range(1, len(frame) + 1),
    }, geometry=frame.geometry.values, crs=frame.crs)
    return out


# --------------------------------------------------------------------------- checks
def _filter_area(frame: gpd.GeoDataFrame, ctx: LoadContext, kind: str,
                 warnings: list[str]) -> gpd.GeoDataFrame:
    """Keep the features of the area when the file says which authority each is in."""
    has_lad = frame["_lad"].notna()
    if not has_lad.any():
        return frame
    keep = frame["_lad"].eq(ctx.area_code) | ~has_lad
    if not keep[has_lad].any():
        found = ", ".join(sorted(frame.loc[has_lad, "_lad"].unique())[:6])
        files = ", ".join(sorted(frame["_file"].unique()))
        raise GeometryError(
            f"{files}: none of the {len(frame)} {KINDS[kind]['noun']} features belong to "
            f"{ctx.area_name} ({ctx.area_code}); the file's authority codes are {found}. "
            "Check the file is for this area, or area.code in the config.")
    if not keep.all():
        warnings.append(f"{KINDS[kind]['noun']} boundaries: kept {int(keep.sum())} of "
                        f"{len(frame)} features in {ctx.area_code}.")
    return frame[keep]


def _check_codes(frame: gpd.GeoDataFrame, kind: str) -> None:
    """Codes must look like ONS codes of the right kind, and be unique."""
    spec, col = KINDS[kind], ("ward_code" if kind == "wards" else "lsoa_code")
    problems = Problems(", ".join(sorted(frame["_file"].unique())), GeometryError)
    for _, r in frame.iterrows():
        if not spec["code"].match(str(r[col])):
            problems.add(r["_row"], col, r[col],
                         f"not a {spec['noun']} code ({spec['prefix']}xxxxxx) in {r['_file']}"
                         f"; check this is a {spec['noun']} file or set id_field")
    dup = frame[frame[col].duplicated(keep=False)]
    for code, grp in dup.groupby(col):
        where = "; ".join(f"{f} feature {n}" for f, n in zip(grp["_file"], grp["_row"], strict=True))
        problems.add(None, col, code, f"{spec['noun']} code appears {len(grp)} times ({where}); "
                     "each must appear once (remove the duplicate file or feature)")
    problems.raise_if_any()


def _polygonal(geom: Any) -> Any:
    """The polygon part of a repaired geometry (None when nothing polygonal is left)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _check_geometry(frame: gpd.GeoDataFrame, kind: str,
                    warnings: list[str]) -> gpd.GeoDataFrame:
    """Empty or unrepairable geometry is an error; invalid but repairable is fixed and noted."""
    col = "ward_code" if kind == "wards" else "lsoa_code"
    problems = Problems(", ".join(sorted(frame["_file"].unique())), GeometryError)
    geoms = list(frame.geometry)
    for i, (geom, (_, r)) in enumerate(zip(geoms, frame.iterrows(), strict=True)):
        label = f"feature {r['_row']} of {r['_file']} ({col} {r[col]!r})"
        if geom is None or geom.is_empty:
            problems.add(r["_row"], "geometry", r[col], f"{label} has an empty geometry")
            continue
        if geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon"):
            continue
        reason = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed is None or fixed.area == 0 or not fixed.is_valid:
            problems.add(r["_row"], "geometry", r[col],
                         f"{label} is not a valid polygon and cannot be repaired ({reason}); "
                         "fix it in a GIS or re-download the boundaries")
            continue
        geoms[i] = fixed
        warnings.append(f"{label}: invalid geometry ({reason}) repaired with make_valid.")
    problems.raise_if_any()
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


# --------------------------------------------------------------------------- loaders
def _load_boundaries(sources: tuple[Source, ...], ctx: LoadContext, kind: str) -> Loaded:
    warnings: list[str] = []
    parts, files = [], []
    for source in sources:
        for path in _files_of(source):
            raw = _read_spatial(path, source.key)
            crs = raw.crs.to_string() if raw.crs is not None else None
            raw = _resolve_crs(raw, path, source, warnings)
            parts.append(_to_tidy(raw, path, source, kind))
            files.append({"path": str(path), "rows": len(raw), "crs": crs})
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=BNG)
    frame = _filter_area(frame, ctx, kind, warnings)
    _check_codes(frame, kind)
    frame = _check_geometry(frame, kind, warnings)
    col = "ward_code" if kind == "wards" else "lsoa_code"
    frame = frame.sort_values(col).reset_index(drop=True)
    keep = [col, col.replace("_code", "_name"), "geometry"]
    meta = {"source": sources[0].key if sources else kind, "files": files,
            "warnings": warnings, "features": len(frame)}
    return Loaded(gpd.GeoDataFrame(frame[keep], geometry="geometry", crs=BNG), meta)


def load_wards(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Ward polygons -> GeoDataFrame ``ward_code, ward_name, geometry`` in EPSG:27700.

    Codes/names are found in ``WDnnCD/WDnnNM``, ``GSS_CODE/NAME``, ``ward_code/ward_name``
    (or the ``id_field``/``name_field`` options). Raises :class:`GeometryError` for a non-spatial
    file, missing or unknown CRS, empty or unrepairable geometry, non-ward or duplicated codes,
    or wards of another authority.
    """
    return _load_boundaries(sources, ctx, "wards")


def load_lsoa(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """LSOA polygons -> GeoDataFrame ``lsoa_code, lsoa_name, geometry`` in EPSG:27700.

    Same rules as :func:`load_wards`, with ``LSOAnnCD/LSOAnnNM`` columns and ``E01`` codes.
    """
    return _load_boundaries(sources, ctx, "lsoa")
