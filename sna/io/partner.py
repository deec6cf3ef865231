"""Partner CSVs (templates and column meanings in ``data/templates/README.md``).

Each file is read as text, checked against its :mod:`sna.schemas` spec with pandera (every
problem in the file is reported at once, with row, column and value), then converted: dates to
``datetime64`` (blank -> NaT), numbers to float, counts to int64, categories to their
``snake_case`` key. Text is kept as ``str``: values beginning ``=``, ``+``, ``-`` or ``@`` are
loaded as they are (CSV-injection neutralisation happens when tables are exported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from sna.config import Source
from sna.errors import SchemaError
from sna.io.common import LoadContext, Loaded, Problems, display_path, read_csv_text
from sna.schemas import PARTNER_SPECS, UNITS, PartnerSpec, category_key, text_schema, to_number


def _missing_columns(frame: pd.DataFrame, spec: PartnerSpec, path: Path) -> None:
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{display_path(path)}: missing column(s) {', '.join(map(repr, missing))}. "
            f"Found: {', '.join(map(repr, frame.columns[:12]))}. The header must be "
            f"{','.join(spec.columns)} (copy data/templates/{spec.template}).")


def _validate(frame: pd.DataFrame, spec: PartnerSpec, path: Path) -> None:
    """Run the pandera text schema and raise every failure as one SchemaError."""
    problems = Problems(path)
    try:
        text_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        cases["row"] = pd.to_numeric(cases["index"], errors="coerce") + 2
        cases = cases.sort_values(["row", "column"], na_position="first")
        for _, case in cases.iterrows():
            what = str(case["check"])
            if what == "not_nullable":
                what = "required value is blank"
            row = None if pd.isna(case["row"]) else int(case["row"])
            value = None if pd.isna(case["failure_case"]) else case["failure_case"]
            problems.add(row, case["column"], value, what)
    _order_dates(frame, spec, problems)
    problems.raise_if_any()


def _order_dates(frame: pd.DataFrame, spec: PartnerSpec, problems: Problems) -> None:
    if not {"period_start", "period_end"} <= set(spec.dates):
        return
    start = pd.to_datetime(frame["period_start"], format="%Y-%m-%d", errors="coerce")
    end = pd.to_datetime(frame["period_end"], format="%Y-%m-%d", errors="coerce")
    for idx in frame.index[(end < start).to_numpy()]:
        problems.add(idx + 2, "period_end", frame.at[idx, "period_end"],
                     f"period_end is before period_start {frame.at[idx, 'period_start']}")


def _convert(frame: pd.DataFrame, spec: PartnerSpec) -> pd.DataFrame:
    out = frame.copy()
    for col in spec.dates:
        out[col] = pd.to_datetime(out[col], format="%Y-%m-%d", errors="coerce")
    for col in spec.numbers:
        out[col] = to_number(out[col]).astype(float)
    for col in spec.counts:
        out[col] = to_number(out[col]).astype("int64")
    for col in spec.categories:
        out[col] = out[col].map(category_key, na_action="ignore")
    typed = set(spec.dates + spec.numbers + spec.counts)
    for col in out.columns.difference(list(typed)):
        out[col] = out[col].astype(object)
    return out


def _load(sources: tuple[Source, ...], key: str) -> Loaded:
    spec = PARTNER_SPECS[key]
    parts, files, warnings = [], [], []
    for source in sources:
        path = Path(source.path)
        frame = read_csv_text(path, encoding=source.option("encoding", "utf-8-sig"))
        _missing_columns(frame, spec, path)
        extra = [c for c in frame.columns if c not in spec.columns + spec.optional_columns]
        if extra:
            warnings.append(f"{display_path(path)}: column(s) {', '.join(map(repr, extra))} "
                            "are not in the template; ignored.")
        _validate(frame, spec, path)
        converted = _convert(frame.reindex(columns=list(spec.columns + spec.optional_columns)),
                             spec)
        if key == "assets":
            _check_places(converted, path)
        parts.append(converted)
        files.append({"path": str(path), "rows": len(frame)})
    frame = pd.concat(parts, ignore_index=True)
    meta: dict[str, Any] = {"source": key, "files": files, "warnings": warnings}
    return Loaded(frame, meta)


def _check_places(frame: pd.DataFrame, path: Path) -> None:
    """Each asset needs a ward or both coordinates."""
    problems = Problems(path)
    half = frame["latitude"].isna() ^ frame["longitude"].isna()
    nowhere = frame["latitude"].isna() & frame["longitude"].isna() & frame["ward"].isna()
    for idx in frame.index[half | nowhere]:
        col = "latitude" if pd.isna(frame.at[idx, "latitude"]) else "longitude"
        problems.add(idx + 2, col if half[idx] else "ward", frame.at[idx, "name"],
                     "give both latitude and longitude" if half[idx]
                     else "give a ward or latitude and longitude")
    problems.raise_if_any()


def _date_range(frame: pd.DataFrame, meta: dict[str, Any]) -> None:
    dates = pd.concat([frame["period_start"], frame["period_end"]]).dropna()
    if len(dates):
        meta["period"] = [dates.min().strftime("%Y-%m-%d"), dates.max().strftime("%Y-%m-%d")]


def load_partner_indicators(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Partner indicators -> ``indicator, area, period_start, period_end, value, unit,
    source_doc, notes`` (dates datetime64, blank -> NaT; value float).

    An unknown ``unit`` is loaded but listed in ``meta.warnings``.
    """
    loaded = _load(sources, "partner_indicators")
    unknown = sorted(set(loaded.frame["unit"].dropna()) - set(UNITS))
    if unknown:
        loaded.meta["warnings"].append(f"partner_indicators: unit(s) {', '.join(unknown)} are "
                                       "not in the template's list; check they are intended.")
    _date_range(loaded.frame, loaded.meta)
    return loaded


def load_interventions(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Interventions register -> ``intervention, lead_agency, target_group, sv_strand, type,
    status_or_period, reported_output, source_doc, notes, wards, start, end``.

    ``type`` and ``sv_strand`` must be one of the template's categories (case and spaces are
    forgiven: ``'Early intervention'`` -> ``early_intervention``). ``wards`` is optional
    (``;``-separated 2022 ward names or ``borough-wide``); absent -> NaN. ``start`` and
    ``end`` (optional, ``YYYY-MM-DD``; datetime64, absent -> NaT) date the intervention so it
    can be evaluated (:mod:`sna.evaluation_data`); an end before the start is an error.
    """
    loaded = _load(sources, "interventions")
    frame = loaded.frame
    bad = frame.index[(frame["end"] < frame["start"]).to_numpy()]
    if len(bad):
        problems = Problems(Path(sources[0].path))
        for idx in bad:
            problems.add(idx + 2, "end", frame.at[idx, "end"].date(),
                         f"end is before start {frame.at[idx, 'start'].date()}")
        problems.raise_if_any()
    return loaded


def load_cctv(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """CCTV incidents by ward -> ``ward, incident_type, count, period_start, period_end``.

    Ward names are kept as given (map them to 2022 wards before joining to boundaries).
    """
    loaded = _load(sources, "cctv")
    _date_range(loaded.frame, loaded.meta)
    return loaded


def load_assets(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Community assets -> ``name, type, ward, latitude, longitude`` (coordinates WGS84 floats).

    Each row needs a ward or both coordinates; a coordinate given alone is an error.
    """
    return _load(sources, "assets")


def load_vulnerable_populations(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """Vulnerable groups (children in need, looked-after children, exclusions...) ->
    ``group, area, period_start, period_end, value, unit, source_doc, notes``.
    """
    loaded = _load(sources, "vulnerable_populations")
    _date_range(loaded.frame, loaded.meta)
    return loaded


def load_data_sources(sources: tuple[Source, ...], ctx: LoadContext) -> Loaded:
    """The partnership's data-collection status table -> ``source, data_items, status, notes``."""
    return _load(sources, "data_sources")
