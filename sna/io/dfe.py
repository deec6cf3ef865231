"""Department for Education: LAIT long data and the NEET 16-17 LA dashboard CSVs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sna.config import Source
from sna.errors import EmptyDataError, SchemaError
from sna.io.common import (
    MAX_PROBLEMS,
    LoadContext,
    Loaded,
    Problems,
    display_path,
    read_csv_text,
    require_columns,
)

LAIT_COLUMNS = {"Short Desc": "indicator", "Data item": "label", "Years": "year_label",
                "LA and Regions": "area_name", "LA Number": "la_number", "Region": "region",
                "Values": "value"}
LAIT_REQUIRED = ["Short Desc", "Years", "LA and Regions", "Values"]
NO_VALUE = {"-", "", "x", "c", "z", ":", "..", "u", "low", "~", "NA", "n/a"}
NEET_IDS = ["time_period", "time_identifier", "geographic_level", "country_code",
            "country_name", "region_code", "region_name", "old_la_code", "new_la_code",
            "la_name", "Age"]
NEET_NA = {"c", "z", "x", ":", "u", "low", "~", ""}
_YEAR = re.compile(r"(\d{4})(?:/(\d{2}))?(?:-(\d{4}|\d{2})(?:/(\d{2}))?)?")


def lait_year(label: object) -> int | None:
    """End year of a LAIT ``Years`` label, or None.

    ``'2023/24'`` -> 2024, ``'2014-16'`` -> 2016, ``'2025 (prov)'`` -> 2025,
    ``'2013/14-15/16'`` -> 2016, ``'2023-24 (OT)'`` -> 2024, ``'0'`` -> None.
    """
    m = _YEAR.search(str(label))
    if not m:
        return None
    start = int(m.group(1))
    last = m.group(4) or m.group(3) or m.group(2)
    if last is None:
        return start
    if len(last) == 4:
        return int(last)
    end = start // 100 * 100 + int(last)
    return end + 100 if end < start else end


def _read_lait(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    if path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types
            raise SchemaError(f"{display_path(path)}: cannot be read as Parquet ({exc}). "
                              "Re-download it.") from exc
        if frame.empty:
            raise EmptyDataError(f"{display_path(path)}: has no rows. Re-download it.")
        return frame
    return read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _lait_values(frame: pd.DataFrame, path: Path) -> pd.Series:
    raw = frame["Values"].astype("string").str.strip()
    missing = raw.isna() | raw.isin(NO_VALUE)
    # Python's float() parses exactly ('4.9705000000000004' -> 4.9705); pd.to_numeric may be
    # one ulp off on such float-noise strings.
    num = raw.where(~missing).str.replace(",", "", regex=False).map(_float, na_action="ignore")
    num = pd.to_numeric(num, errors="coerce")
    problems = Problems(path)
    for idx in frame.index[(num.isna() & ~missing).to_numpy()][:MAX_PROBLEMS]:
        problems.add(frame.index.get_loc(idx) + 2, "Values", raw[idx],
                     "not a number or '-' (no data)")
    problems.raise_if_any()
    return num.astype(float)


def load_dfe_lait(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """DfE LAIT long data (parquet or CSV) -> ``indicator, label, year_label, year, area_name,
    la_number, region, value``.

    ``value`` is float (``'-'`` = no data -> NaN; float noise like ``4.9705000000000004`` is
    parsed as the number it is). ``year`` is the end year of ``Years`` (see :func:`lait_year`);
    rows whose ``Years`` has no year (``'0'``) are dropped with a warning. ``label`` (``Data
    item``) is published on the first row of each indicator only; it is filled for all rows.
    """
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        frame = _read_lait(source)
        require_columns(frame, LAIT_REQUIRED, path, what="DfE LAIT long data")
        frame = frame.reindex(columns=list(LAIT_COLUMNS))
        frame["Values"] = _lait_values(frame, path)
        frame["year"] = frame["Years"].map(lait_year).astype("Int64")
        bad = frame["year"].isna()
        if bad.any():
            inds = ", ".join(sorted(frame.loc[bad, "Short Desc"].astype(str).unique())[:5])
            warnings.append(f"{display_path(path)}: {int(bad.sum())} row(s) with no year in "
                            f"'Years' dropped (indicators: {inds}).")
        frame = frame[~bad].rename(columns=LAIT_COLUMNS)
        frame["label"] = frame.groupby("indicator")["label"].transform(
            lambda s: s.dropna().iloc[0] if s.notna().any() else None)
        frame["la_number"] = pd.to_numeric(frame["la_number"], errors="coerce").astype("Int64")
        frame["region"] = frame["region"].replace({"NA": None})
        parts.append(frame)
        files.append({"path": str(path), "rows": len(frame),
                      "indicators": int(frame["indicator"].nunique())})
    frame = pd.concat(parts, ignore_index=True)
    cols = ["indicator", "label", "year_label", "year", "area_name", "la_number", "region",
            "value"]
    frame["year"] = frame["year"].astype("int64")
    return Loaded(frame[cols], {"source": "dfe_lait", "files": files, "warnings": warnings})


# --------------------------------------------------------------------------- NEET
def _neet_file(source: Source) -> pd.DataFrame:
    path = Path(source.path)
    frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
    require_columns(frame, ["time_period", "geographic_level"], path, what="DfE NEET dashboard")
    measures = [c for c in frame.columns if c not in NEET_IDS]
    if not measures:
        raise SchemaError(f"{display_path(path)}: no measure columns (e.g. NEET_percent).")
    problems = Problems(path)
    period = pd.to_numeric(frame["time_period"], errors="coerce")
    for idx in frame.index[period.isna()][:MAX_PROBLEMS]:
        problems.add(idx + 2, "time_period", frame.at[idx, "time_period"], "not a year")
    values = {}
    for col in measures:
        raw = frame[col].fillna("").str.strip()
        num = pd.to_numeric(raw.where(~raw.isin(NEET_NA)), errors="coerce")
        for idx in frame.index[num.isna() & ~raw.isin(NEET_NA)][:MAX_PROBLEMS]:
            problems.add(idx + 2, col, frame.at[idx, col],
                         "not a number or a DfE symbol (c, z, x, :)")
        values[col] = num.astype(float)
    problems.raise_if_any()
    ids = frame.reindex(columns=NEET_IDS)
    out = pd.concat([ids, pd.DataFrame(values)], axis=1)
    out["time_period"] = period.astype("int64")
    out["la_code"] = ids["new_la_code"].fillna(ids["region_code"].where(
        ids["geographic_level"].eq("Regional"))).fillna(ids["country_code"])
    out["la_name"] = ids["la_name"].fillna(ids["region_name"].where(
        ids["geographic_level"].eq("Regional"))).fillna(ids["country_name"])
    long = out.melt(id_vars=["time_period", "geographic_level", "la_code", "la_name",
                             "region_name"], value_vars=measures, var_name="measure",
                    value_name="value")
    return long


def load_neet(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """DfE "NEET and participation" LA dashboard CSVs -> ``time_period, geographic_level,
    la_code, la_name, region_name, measure, value``.

    Column sets differ between years: every non-identifier column is melted by name
    (``NEET_percent``, ``Notknown_percent``, ``Cohort_DJFavg``...). DfE symbols ``c`` (suppressed),
    ``z`` (not applicable), ``x``, ``:`` -> NaN. National/regional rows get the country/region
    code and name in ``la_code``/``la_name``. A year given by two files keeps the later file.
    """
    parts, files, warnings = [], [], []
    for source in sources:
        part = _neet_file(source)
        parts.append(part)
        files.append({"path": str(source.path), "rows": int(part["la_code"].nunique()),
                      "vintage": str(sorted(part["time_period"].unique())[-1]),
                      "measures": int(part["measure"].nunique())})
    frame = pd.concat(parts, ignore_index=True)
    keys = ["time_period", "geographic_level", "la_code", "measure"]
    dup = frame.duplicated(keys, keep="last")
    if dup.any():
        warnings.append(f"neet: {int(dup.sum())} value(s) given by two files; the later file "
                        "is used.")
        frame = frame[~dup]
    frame = frame.sort_values(["time_period", "geographic_level", "la_code", "measure"])
    return Loaded(frame.reset_index(drop=True),
                  {"source": "neet", "files": files, "warnings": warnings,
                   "years": sorted(int(y) for y in frame["time_period"].unique())})
