"""Census 2021 bulk tables (Nomis/ONS), DWP children in low-income families, GLA ward profiles.

Census bulk CSVs look like ``date, geography, geography code, <Prefix>: Total..., <Prefix>:
<category>...``; the geography level is read from each code (``E06``-``E09``/``W06`` = LTLA,
``E01``/``W01`` = LSOA) unless the source has a ``level`` option.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import (
    LoadContext,
    Loaded,
    Problems,
    display_path,
    read_bytes_head,
    read_csv_text,
    require_columns,
    to_counts,
)

GEO_COLUMNS = ["geography", "geography code"]
LEVELS = {"E06": "ltla", "E07": "ltla", "E08": "ltla", "E09": "ltla", "W06": "ltla",
          "E01": "lsoa", "W01": "lsoa"}
TABLE_PREFIXES = {
    "Age": "TS007A", "Household deprivation": "TS011", "Accommodation type": "TS044",
    "Tenure of household": "TS054", "Economic activity status": "TS066",
    "Highest level of qualification": "TS067", "Ethnic group": "TS021", "Sex": "TS008",
    "Residence type": "TS001", "Household size": "TS017", "Household composition": "TS003",
    "Country of birth": "TS004", "Religion": "TS030", "General health": "TS037",
    "Disability": "TS038", "Car or van availability": "TS045",
    "Population Density": "TS006", "Number of households": "TS041",
}
DECIMAL_TABLES = {"TS006"}
"""Tables whose values are not counts (persons per square kilometre)."""
SUPPRESSED = {"..", ".", ":", "-", "x", "c", "*", "n/a", "N/A", "#"}
_AGE_PATTERNS = [
    (re.compile(r"Aged (\d+) years? and under$"), lambda m: (0, int(m[1]))),
    (re.compile(r"Aged under (\d+) years?$"), lambda m: (0, int(m[1]) - 1)),
    (re.compile(r"Aged (\d+) to (\d+) years?$"), lambda m: (int(m[1]), int(m[2]))),
    (re.compile(r"Aged (\d+) years? and over$"), lambda m: (int(m[1]), 120)),
    (re.compile(r"Aged (\d+) years?$"), lambda m: (int(m[1]), int(m[1]))),
]


# --------------------------------------------------------------------------- shared
def _levels(codes: pd.Series, path: Path, source: Source) -> pd.Series:
    """Geography level of each code; unknown prefixes raise (unless ``level`` is set)."""
    if source.option("level"):
        return pd.Series(str(source.option("level")), index=codes.index)
    levels = codes.str[:3].map(LEVELS)
    bad = levels.isna()
    if bad.any():
        problems = Problems(path)
        for idx in codes.index[bad][:20]:
            problems.add(idx + 2, "geography code", codes[idx],
                         "not an LTLA (E06-E09, W06) or LSOA (E01, W01) code; use the ltla or "
                         "lsoa bulk file, or set `level:` for this file")
        problems.raise_if_any()
    return levels


def _read_bulk(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
    require_columns(frame, GEO_COLUMNS, path, what="a Census 2021 bulk table")
    frame["geography code"] = frame["geography code"].str.strip()
    return frame


def _dedupe(frame: pd.DataFrame, keys: list[str], warnings: list[str], what: str) -> pd.DataFrame:
    dup = frame.duplicated(keys)
    if dup.any():
        warnings.append(f"{what}: {int(dup.sum())} duplicated row(s) across files dropped "
                        "(first file kept).")
    return frame[~dup]


# --------------------------------------------------------------------------- population
def _age_band(label: str) -> tuple[int, int] | None:
    text = label.split(":", 1)[-1].strip()
    for pattern, bounds in _AGE_PATTERNS:
        m = pattern.match(text)
        if m:
            return bounds(m)
    return None


def _population_file(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    frame = _read_bulk(source)
    bands = {c: b for c in frame.columns if c.startswith("Age") and (b := _age_band(c))}
    if not bands:
        raise SchemaError(f"{display_path(path)}: no 'Age: Aged ...' columns; this does not look "
                          "like Census 2021 TS007A (age by five-year bands). Check the file.")
    problems = Problems(path)
    frame = to_counts(frame, list(bands), problems)
    problems.raise_if_any()
    frame["level"] = _levels(frame["geography code"], path, source)
    long = frame.melt(id_vars=["geography code", "geography", "level"], value_vars=list(bands),
                      var_name="column", value_name="population")
    long["age_min"] = long["column"].map(lambda c: bands[c][0]).astype("int64")
    long["age_max"] = long["column"].map(lambda c: bands[c][1]).astype("int64")
    long["age_band"] = [f"{lo}+" if hi >= 120 else f"{lo}-{hi}"
                        for lo, hi in zip(long["age_min"], long["age_max"], strict=True)]
    return long.rename(columns={"geography code": "geography_code",
                                "geography": "geography_name"})


def load_population(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Census 2021 TS007A (age by five-year bands) -> one row per area x age band.

    Columns ``geography_code, geography_name, level, age_band, age_min, age_max, population``
    (int64); ``85+`` has ``age_max`` 120. The ``Age: Total`` column is not a row. LTLA and LSOA
    files may be mixed; a code found in two files keeps the first.
    """
    warnings: list[str] = []
    parts, files = [], []
    for source in sources:
        part = _population_file(source)
        parts.append(part)
        files.append({"path": str(source.path), "rows": int(part["geography_code"].nunique()),
                      "levels": sorted(part["level"].unique()), "vintage": "2021"})
    frame = _dedupe(pd.concat(parts, ignore_index=True), ["geography_code", "age_band"],
                    warnings, "population")
    frame = frame.sort_values(["level", "geography_code", "age_min"])
    cols = ["geography_code", "geography_name", "level", "age_band", "age_min", "age_max",
            "population"]
    meta = {"source": "population", "files": files, "warnings": warnings}
    return Loaded(frame[cols].reset_index(drop=True), meta)


# --------------------------------------------------------------------------- other tables
def _table_id(columns: list[str], path: Path) -> tuple[str, str]:
    """(table id, column prefix) from the measure columns, else from the file name."""
    prefixes = {c.split(":", 1)[0].strip() for c in columns if ":" in c}
    prefix = prefixes.pop() if len(prefixes) == 1 else ""
    if prefix in TABLE_PREFIXES:
        return TABLE_PREFIXES[prefix], prefix
    m = re.search(r"ts(\d{3}[a-z]?)", path.name, re.IGNORECASE)
    if m and prefix:
        return f"TS{m.group(1).upper()}", prefix
    raise SchemaError(
        f"{display_path(path)}: cannot tell which Census 2021 table this is (column prefix(es) "
        f"{', '.join(sorted(prefixes | {prefix} - {''})) or 'none'}). Keep the bulk file's name "
        "(census2021-tsNNN-...) and its headers as published.")


def _category(column: str, prefix: str) -> str:
    text = column[len(prefix):].lstrip(" :")
    text = re.sub(r";\s*measures:\s*Value$", "", text)
    return re.sub(r"\s*:\s*", ": ", text).strip()


def _census_file(source: Source) -> tuple[pd.DataFrame, str]:
    path = Path(source.path)
    frame = _read_bulk(source)
    measures = [c for c in frame.columns if c not in GEO_COLUMNS + ["date"]]
    table, prefix = _table_id(measures, path)
    problems = Problems(path)
    if table in DECIMAL_TABLES:
        frame = _to_float(frame, measures, problems)
    else:
        frame = to_counts(frame, measures, problems)
    problems.raise_if_any()
    frame["level"] = _levels(frame["geography code"], path, source)
    long = frame.melt(id_vars=["geography code", "geography", "level"], value_vars=measures,
                      var_name="column", value_name="value")
    cats = {c: _category(c, prefix) for c in measures}
    long["category"] = long["column"].map(cats)
    long["is_total"] = long["category"].str.startswith("Total") | long["category"].isin(
        ["All persons"])
    parents = {c for c in cats.values() if any(o.startswith(c + ": ") for o in cats.values())}
    long["is_subtotal"] = long["category"].isin(parents)
    long["table"] = table
    return long.rename(columns={"geography code": "geography_code",
                                "geography": "geography_name"}), table


def load_census(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Other Census 2021 bulk tables (TS011, TS044, TS054, TS066, TS067...) -> long frame.

    Columns ``table, geography_code, geography_name, level, category, is_total, is_subtotal,
    value``. ``is_subtotal``: a category that sums others of the file (``Asian, Asian British
    or Asian Welsh`` over its ``...: Bangladeshi`` etc.; TS007's 5-year bands are in another
    table); never add it to its parts. TS006 (persons per km2) is a float, not a count.
    ``category`` is the column text after the table prefix, without ``; measures: Value``
    and with ``:`` spacing normalised (``'Economically active: In employment'``).
    """
    warnings: list[str] = []
    parts, files = [], []
    for source in sources:
        part, table = _census_file(source)
        parts.append(part)
        files.append({"path": str(source.path), "rows": int(part["geography_code"].nunique()),
                      "table": table, "levels": sorted(part["level"].unique())})
    frame = _dedupe(pd.concat(parts, ignore_index=True),
                    ["table", "geography_code", "category"], warnings, "census")
    cols = ["table", "geography_code", "geography_name", "level", "category", "is_total",
            "is_subtotal", "value"]
    meta = {"source": "census", "files": files, "warnings": warnings,
            "tables": sorted(frame["table"].unique())}
    return Loaded(frame[cols].reset_index(drop=True), meta)


# --------------------------------------------------------------------------- CLIF
def _to_float(frame: pd.DataFrame, columns: list[str], problems: Problems) -> pd.DataFrame:
    """Text -> float: suppression marks (``..``, ``n/a``...) are NaN, anything else is a problem."""
    out = frame.copy()
    for col in columns:
        raw = out[col].astype("string").str.strip().str.replace(",", "", regex=False)
        missing = raw.isna() | raw.isin(SUPPRESSED)
        num = pd.to_numeric(raw.where(~missing), errors="coerce")
        for idx in out.index[(num.isna() & ~missing).to_numpy()][:20]:
            problems.add(idx + 2, col, frame.at[idx, col],
                         "not a number (suppressed values may be '..'); correct the cell")
        out[col] = num.astype(float)
    return out


def load_clif(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """DWP children in relative low-income families by 2022 ward.

    Real header: ``Ward code, Wards (2022), Borough, FYE 2023`` (UTF-8 BOM). Columns out:
    ``ward_code, ward_name, children`` (float; ``..`` = suppressed -> NaN) plus ``borough`` and
    ``period`` (e.g. ``'FYE 2023'``; with several FYE columns the latest is used).
    """
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
        code = next((c for c in frame.columns if re.fullmatch(r"(?i)ward code|wd\d{2}cd", c)), None)
        name = next((c for c in frame.columns if re.match(r"(?i)wards?\b(?! code)|wd\d{2}nm", c)),
                    None)
        years = sorted((c for c in frame.columns if re.fullmatch(r"(?i)FYE \d{4}", c)),
                       key=lambda c: int(c[-4:]))
        require_columns(frame, [c or want for c, want in
                                [(code, "Ward code"), (name, "Wards (2022)"),
                                 (years[-1] if years else None, "FYE YYYY")]], path,
                        what="DWP children in low-income families by ward")
        if len(years) > 1:
            warnings.append(f"{display_path(path)}: several years; {years[-1]} used.")
        problems = Problems(path)
        frame = _to_float(frame, [years[-1]], problems)
        problems.raise_if_any()
        borough = "Borough" if "Borough" in frame.columns else None
        parts.append(pd.DataFrame({
            "ward_code": frame[code].str.strip(), "ward_name": frame[name].str.strip(),
            "children": frame[years[-1]], "borough": frame[borough] if borough else None,
            "period": years[-1]}))
        files.append({"path": str(path), "rows": len(frame), "vintage": years[-1],
                      "suppressed": int(frame[years[-1]].isna().sum())})
    frame = pd.concat(parts, ignore_index=True)
    return Loaded(frame, {"source": "clif", "files": files, "warnings": warnings})


# --------------------------------------------------------------------------- ward profiles
def _profile_level(code: str) -> str:
    return {"E05": "ward", "E09": "borough", "E12": "region", "E92": "country"}.get(
        code[:3], "other")


def load_ward_profiles(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """GLA Ward Profiles and Atlas (2014 wards) -> long frame.

    The published CSV is latin-1 (``£`` in headers); the default encoding is ``latin-1`` (UTF-8
    when the file starts with a BOM); set ``encoding:`` to override. Columns ``area_code, area_name, borough, level`` (ward | borough |
    region | country), ``old_code, measure`` (the published header), ``value`` (float;
    ``n/a`` -> NaN). Ward names ``'Barnet - Burnt Oak'`` are split into borough and ward name.
    """
    parts: list[pd.DataFrame] = []
    files: list[dict[str, Any]] = []
    for source in sources:
        path = Path(source.path)
        bom = read_bytes_head(path, 3) == b"\xef\xbb\xbf"
        frame = read_csv_text(path, encoding=source.option("encoding",
                                                           "utf-8-sig" if bom else "latin-1"))
        require_columns(frame, ["Ward name", "New code"], path, what="GLA ward profiles")
        frame = frame.drop_duplicates()
        ids = [c for c in ("Ward name", "Old code", "New code") if c in frame.columns]
        measures = [c for c in frame.columns if c not in ids]
        problems = Problems(path)
        frame = _to_float(frame, measures, problems)
        problems.raise_if_any()
        split = frame["Ward name"].str.split(" - ", n=1, expand=True).reindex(columns=[0, 1])
        frame["area_name"] = split[1].fillna(split[0]).str.strip()
        frame["borough"] = split[0].where(split[1].notna()).str.strip()
        frame["area_code"] = frame["New code"].str.strip()
        frame["level"] = frame["area_code"].map(_profile_level)
        frame["old_code"] = frame.get("Old code")
        long = frame.melt(id_vars=["area_code", "area_name", "borough", "level", "old_code"],
                          value_vars=measures, var_name="measure", value_name="value")
        parts.append(long)
        files.append({"path": str(path), "rows": len(frame)})
    frame = pd.concat(parts, ignore_index=True)
    return Loaded(frame, {"source": "ward_profiles", "files": files, "warnings": []})
