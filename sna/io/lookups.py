"""LSOA -> ward lookups (ONS/GLA best-fit, GLA population-weighted, ward -> LAD).

Codes are checked against the boundary code patterns of :data:`sna.io.boundaries.KINDS`;
problems raise a :class:`~sna.errors.SchemaError` naming file, row, column and value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.boundaries import KINDS
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text

LOOKUP_COLUMNS = ["lsoa_code", "lsoa_year", "ward_code", "ward_name", "weight", "ward_year"]
_LSOA = re.compile(r"^lsoa(\d{2})cd$", re.IGNORECASE)
_WARD = re.compile(r"^(?:wd|ward)(\d{2})cd$", re.IGNORECASE)
_WARD_NM = re.compile(r"^(?:wd|ward)(\d{2})nm$|^wardname$", re.IGNORECASE)
_LAD = re.compile(r"^lad(\d{2})cd$", re.IGNORECASE)
_LAD_NM = re.compile(r"^lad(\d{2})nm$", re.IGNORECASE)
WEIGHT_TOLERANCE = 0.005


def _col(frame: pd.DataFrame, pattern: re.Pattern, fallback: str | None = None) -> str | None:
    hits = [c for c in frame.columns if pattern.match(c)]
    if hits:
        return hits[0]
    return fallback if fallback in frame.columns else None


def _year(code_col: str | None, pattern: re.Pattern, path: Path) -> int | None:
    m = pattern.match(code_col or "")
    if m and m.group(1):
        return 2000 + int(m.group(1))
    fm = re.search(r"ward_?(\d{4})", path.name, re.IGNORECASE)
    return int(fm.group(1)) if fm else None


def _check_lookup_codes(frame: pd.DataFrame, path: Path, cols: dict[str, str]) -> None:
    problems = Problems(path)
    for out, col in cols.items():
        pattern = KINDS["wards" if out == "ward_code" else "lsoa"]["code"]
        bad = ~frame[col].fillna("").str.strip().str.match(pattern)
        for idx in frame.index[bad][:20]:
            problems.add(idx + 2, col, frame.at[idx, col], f"not a valid {out.split('_')[0]} code")
    problems.raise_if_any()


def _weighted(frame: pd.DataFrame, path: Path, lsoa: str,
              warnings: list[str]) -> tuple[pd.DataFrame, int | None]:
    """Latest year of a weighted lookup; weights per LSOA must not exceed 1."""
    problems = Problems(path)
    year = None
    if "year" in frame.columns:
        years = pd.to_numeric(frame["year"], errors="coerce")
        year = int(years.max())
        frame = frame[years == year]
    weight = pd.to_numeric(frame["weight"], errors="coerce")
    for idx in frame.index[weight.isna() | (weight < 0) | (weight > 1 + WEIGHT_TOLERANCE)][:20]:
        problems.add(idx + 2, "weight", frame.at[idx, "weight"], "weight must be a number 0-1")
    problems.raise_if_any()
    frame = frame.assign(weight=weight)
    sums = frame.groupby(lsoa)["weight"].sum()
    for code, total in sums[sums > 1 + WEIGHT_TOLERANCE].items():
        problems.add(None, "weight", code, f"weights of this LSOA{f' in {year}' if year else ''}"
                     f" sum to {total:.3f}, not 1; fix the lookup or re-download it")
    problems.raise_if_any()
    partial = sums[(sums < 1 - WEIGHT_TOLERANCE) & (sums > WEIGHT_TOLERANCE)]
    if len(partial):
        warnings.append(f"{display_path(path)}: {len(partial)} LSOA(s) have weights summing to "
                        "less than 1 (split with wards outside the file).")
    dropped = int((frame["weight"] == 0).sum())
    if dropped:
        warnings.append(f"{display_path(path)}: {dropped} row(s) with weight 0 dropped.")
    return frame[frame["weight"] > 0], year


def _ward_lad(frame: pd.DataFrame, path: Path, ward: str, ctx: LoadContext) -> list[dict]:
    """Ward -> LAD rows of the area (kept in meta['ward_lad'])."""
    lad, lad_nm = _col(frame, _LAD), _col(frame, _LAD_NM)
    name = _col(frame, _WARD_NM)
    if lad is None:
        raise SchemaError(f"{display_path(path)}: a ward lookup without LSOA codes must have a "
                          f"LADnnCD column. Found: {', '.join(map(repr, frame.columns[:10]))}.")
    area = frame[frame[lad].str.strip() == ctx.area_code]
    if area.empty:
        raise SchemaError(f"{display_path(path)}: no ward of {ctx.area_name} ({ctx.area_code}) in"
                          f" column {lad!r}. Check the file, or area.code in the config.")
    year = _year(ward, _WARD, path)
    return [{"ward_code": r[ward], "ward_name": r[name] if name else None,
             "lad_code": r[lad], "lad_name": r[lad_nm] if lad_nm else None, "ward_year": year}
            for _, r in area.iterrows()]


def _read_lookup(source: Source, ctx: LoadContext, meta: dict) -> pd.DataFrame | None:
    """One lookup file -> rows in LOOKUP_COLUMNS (None for a ward -> LAD file)."""
    path = Path(source.path)
    frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
    lsoa, ward = _col(frame, _LSOA), _col(frame, _WARD, "GSS_CODE")
    if ward is None:
        raise SchemaError(f"{display_path(path)}: not a recognised lookup: expected LSOAnnCD "
                          "and WDnnCD/GSS_CODE columns (ONS/GLA lookups). Found: "
                          f"{', '.join(map(repr, frame.columns[:10]))}.")
    if lsoa is None:
        meta["ward_lad"] += _ward_lad(frame, path, ward, ctx)
        meta["files"].append({"path": str(path), "rows": len(frame), "kind": "ward_lad"})
        return None
    _check_lookup_codes(frame, path, {"lsoa_code": lsoa, "ward_code": ward})
    kind, year = "best_fit", None
    if "weight" in frame.columns:
        kind = "weighted"
        frame, year = _weighted(frame, path, lsoa, meta["warnings"])
    elif frame[lsoa].duplicated().any():
        dup = frame.loc[frame[lsoa].duplicated(), lsoa].iloc[0]
        raise SchemaError(f"{display_path(path)}: column {lsoa!r}: LSOA {dup!r} maps to several "
                          "wards but there is no `weight` column; use a best-fit lookup.")
    lad = _col(frame, _LAD)
    if lad and not frame[lad].eq(ctx.area_code).any():
        raise SchemaError(f"{display_path(path)}: no row of {ctx.area_name} ({ctx.area_code}) "
                          f"in column {lad!r}. Check the file, or area.code in the config.")
    name = _col(frame, _WARD_NM)
    meta["files"].append({"path": str(path), "rows": len(frame), "kind": kind,
                          **({"weights_year": year} if year else {})})
    return pd.DataFrame({
        "lsoa_code": frame[lsoa].str.strip(), "lsoa_year": 2000 + int(_LSOA.match(lsoa).group(1)),
        "ward_code": frame[ward].str.strip(),
        "ward_name": frame[name].str.strip() if name else None,
        "weight": frame["weight"].astype(float) if kind == "weighted" else 1.0,
        "ward_year": _year(ward, _WARD, path)})


def load_lookups(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """LSOA -> ward lookups -> ``lsoa_code, lsoa_year, ward_code, ward_name, weight, ward_year``.

    Recognised by header: ONS/GLA best-fit (``LSOA21CD``/``lsoa21cd`` + ``WDnnCD``/``wardnncd``;
    weight 1.0), GLA population-weighted (``LSOA11CD, GSS_CODE, year, weight``; the latest year
    is used, weights per LSOA must not sum above 1, zero weights are dropped). A ward -> LAD file
    (``WD23CD, WardName, LAD23CD``; header spaces/BOM tolerated) adds no rows: its rows for the
    area go to ``meta['ward_lad']`` (ward_code, ward_name, lad_code, lad_name, ward_year).
    ``ward_year`` (2022, 2025...) comes from the ward code column or the file name.
    """
    meta: dict[str, Any] = {"source": "lookups", "files": [], "warnings": [], "ward_lad": []}
    parts = [p for s in sources if (p := _read_lookup(s, ctx, meta)) is not None]
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame(columns=LOOKUP_COLUMNS))
    names = frame.dropna(subset=["ward_name"]).drop_duplicates("ward_code")
    names = names.set_index("ward_code")["ward_name"].to_dict()
    names.update({r["ward_code"]: r["ward_name"] for r in meta["ward_lad"] if r["ward_name"]})
    frame["ward_name"] = frame["ward_name"].fillna(frame["ward_code"].map(names))
    frame["lsoa_year"] = frame["lsoa_year"].astype("int64")
    frame["weight"] = frame["weight"].astype(float)
    frame["ward_year"] = frame["ward_year"].astype("Int64")
    return Loaded(frame[LOOKUP_COLUMNS].reset_index(drop=True), meta)
