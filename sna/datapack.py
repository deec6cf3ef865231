"""The Excel data pack: every published table of a run in one workbook, with a Notes sheet.

``write_data_pack(output_dir)`` reads ``output_dir/tables/*.csv`` (already disclosure-controlled)
and ``manifest.json``, and writes ``output_dir/data_pack.xlsx``: a ``Notes`` sheet first (what
each table is, the disclosure rule, sources, period, generation date), then one sheet per table.
Text cells are neutralised so that no cell runs as a spreadsheet formula. The cells go straight
to xlsxwriter (about twice as fast as ``DataFrame.to_excel``) and the file is the one
``to_excel`` wrote: same cells, types, header style, widths, frozen header, byte for byte.
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from sna import registry
from sna.periods import day_label
from sna.safe import neutralise_cell

NOTE_COLUMNS = ["sheet", "table", "chapter", "description", "rows", "disclosure", "sources",
                "area", "period_to", "generated"]
MAX_SHEET = 31
MAX_ROWS = 1_048_575  # Excel's limit less the header row
_BAD_SHEET = re.compile(r"[\[\]:*?/\\']")
# table -> (chapter id, what it is). Tables not listed are described from their name.
TABLES: dict[str, tuple[str, str]] = {
    "profile_indicators": ("01", "Borough profile indicators against London"),
    "population_age": ("01", "Population by age (Census 2021)"),
    "performance_dashboard": ("02", "Indicators for the latest 3 and 12 months against the same "
                              "window a year earlier: counts, rates with 95% CIs, change, "
                              "significance and London/BCU ranks (1 = lowest rate)"),
    "monthly_series": ("02", "Monthly counts by indicator"),
    "sv_breakdown": ("02", "Serious violence by offence type"),
    "london_comparison": ("02", "Rates across London boroughs"),
    "knife_crime": ("02", "Knife crime (MPS monthly crime dashboard)"),
    "homicide": ("02", "Homicide (MPS homicide dashboard)"),
    "ward_indicators": ("03", "Ward counts and rates per 1,000 residents, 12 months"),
    "ward_hotspots": ("03", "Getis-Ord Gi* hot and cold spots by ward, with persistence"),
    "concentration": ("03", "How concentrated violence is in a few wards or LSOAs"),
    "lsoa_indicators": ("03", "LSOA counts and rates"),
    "cctv_by_ward": ("03", "CCTV incidents by ward (partner data)"),
    "imd_decile_rates": ("04", "Rates by deprivation decile"),
    "risk_correlations": ("04", "Correlations between violence and risk factors (ecological)"),
    "count_model": ("04", "Count model of ward violence on risk factors"),
    "young_people": ("04", "Young people: youth justice, exclusions, NEET"),
    "risk_factors": ("04", "Risk factors against London"),
    "stop_search": ("04", "Stop and search"),
    "vulnerable_populations": ("04", "Vulnerable populations"),
    "assets": ("04", "Protective factors and community assets"),
    "partnership": ("05", "The partnership under the Serious Violence Duty"),
    "interventions": ("05", "Interventions register as supplied, with type groups and ward "
                      "coverage"),
    "gap_analysis": ("05", "High-need wards against the interventions known to reach them"),
    "risk_factor_coverage": ("05", "Risk factors worse than London against interventions"),
    "intervention_effects": ("05", "Does it work? Effect of each evaluated intervention "
                             "against what was expected, with 95% interval, p-value, placebo "
                             "test and the smallest detectable effect"),
    "intervention_evaluability": ("05", "Interventions register entries that can or cannot be "
                                  "evaluated, and why"),
    "evaluation_designs": ("05", "The evaluation design each new intervention should plan for"),
    "recommendations": ("06", "Recommendations with their evidence"),
    "implementation_plan": ("06", "Lead, partners, timescale and measure per recommendation"),
    "monitoring_framework": ("06", "Monitoring and evaluation: baseline, latest, direction, "
                             "target per indicator"),
    "data_inventory": ("07", "Every data source: publisher, licence, coverage, quality"),
    "definitions": ("07", "Indicator definitions (MPS categories per indicator)"),
}


CHAPTER_SOURCES = {
    "01": "Census 2021 (ONS), Indices of Deprivation (MHCLG), DWP children in low income "
          "families",
    "02": "MPS recorded crime (London Datastore), MPS knife crime and homicide dashboards, "
          "London Ambulance Service, Census 2021 population",
    "03": "MPS recorded crime by ward and LSOA, ONS boundaries and lookups, Census 2021, CCTV "
          "incidents (partner data), police.uk",
    "04": "Indices of Deprivation, Census 2021, DfE LAIT and NEET, police.uk stop and search, "
          "MPS recorded crime, partner data",
    "05": "Area config (partnership, evaluations), interventions register and partner "
          "indicators (partner data), chapters 03 and 04 tables, MPS recorded crime by borough "
          "and ward (evaluations), Indices of Deprivation",
    "06": "Tables of chapters 02 to 05, recommendation rules and implementation plan (config)",
    "07": "Run manifest, indicator definitions, partnership data-source list"}


def _chapter(name: str) -> str:
    return TABLES.get(name, ("99", ""))[0]


def sheet_names(tables: list[str]) -> dict[str, str]:
    """A unique Excel sheet name (at most 31 characters, no ``[]:*?/\\'``) for each table.

    ``Notes`` is reserved for the notes sheet; clashes get ``~2``, ``~3``... suffixes.
    """
    used, out = {"notes"}, {}
    for name in tables:
        base = _BAD_SHEET.sub("_", name).strip() or "table"
        candidate, n = base[:MAX_SHEET], 1
        while candidate.lower() in used:
            n += 1
            suffix = f"~{n}"
            candidate = base[: MAX_SHEET - len(suffix)] + suffix
        used.add(candidate.lower())
        out[name] = candidate
    return out


def _manifest(output_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((output_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def notes_frame(frames: dict[str, pd.DataFrame], sheets: dict[str, str],
                manifest: dict[str, Any], generated: str) -> pd.DataFrame:
    """One row per table: sheet, chapter, description, rows, disclosure rule, sources (per
    chapter, :data:`CHAPTER_SOURCES`; the data inventory sheet has every file), period."""
    params = manifest.get("parameters", {})
    min_count = params.get("min_count", 5)
    rule = (f"Counts from 1 to {min_count - 1} are suppressed (blank), with rates and changes "
            "derived from them; secondary suppression where a total would reveal them.")
    chapters = {c[:2]: t for c, t in registry.chapter_titles().items()}
    rows = []
    for name, frame in frames.items():
        num, what = TABLES.get(name, ("", name.replace("_", " ").capitalize()))
        rows.append({"sheet": sheets[name], "table": f"tables/{name}.csv",
                     "chapter": f"{num} {chapters.get(num, '')}".strip(), "description": what,
                     "rows": len(frame), "disclosure": rule,
                     "sources": CHAPTER_SOURCES.get(num, "see the methodology chapter"),
                     "area": manifest.get("area", {}).get("name", ""),
                     "period_to": params.get("period", ""), "generated": generated})
    return pd.DataFrame(rows, columns=NOTE_COLUMNS)


# the header cells as pandas' ``to_excel`` writes them: bold, thin border, centred, top-aligned
HEADER_FORMAT = {"bold": True, "align": "center", "valign": "top",
                 "top": 1, "right": 1, "bottom": 1, "left": 1}
_NUMBER_TYPES = (int, float, np.integer, np.floating)
_INFINITY = (math.inf, -math.inf)


def _widths(sheet: Any, header: list[str], columns: list[list[Any]]) -> None:
    """Columns as wide as their header and first 200 values (8 to 60); header row frozen."""
    for i, (name, values) in enumerate(zip(header, columns, strict=True)):
        width = max([len(name), *(len(str(v)) for v in values[:200])])
        sheet.set_column(i, i, min(max(width + 2, 8), 60))
    sheet.freeze_panes(1, 0)


def _write_value(sheet: Any, row: int, col: int, value: Any) -> None:
    """One cell as ``to_excel`` writes it: missing -> no cell, infinity -> 'inf'/'-inf' text,
    bool -> boolean, number -> number, text -> text (already neutralised), anything else -> its
    text, neutralised."""
    if isinstance(value, str):
        if value:  # an empty string is a blank cell, as pandas writes it
            sheet.write_string(row, col, value)
    elif value is None:
        return
    elif isinstance(value, bool | np.bool_):
        sheet.write_boolean(row, col, bool(value))
    elif isinstance(value, _NUMBER_TYPES):
        _write_float(sheet, row, col, value)
    elif not _missing(value):
        sheet.write_string(row, col, neutralise_cell(str(value)))


def _write_float(sheet: Any, row: int, col: int, value: float) -> None:
    """A number; NaN is no cell and infinity the text 'inf'/'-inf', as ``to_excel`` has it."""
    if value != value:
        return
    if value in _INFINITY:
        sheet.write_string(row, col, "inf" if value > 0 else "-inf")
    else:
        sheet.write_number(row, col, value)


def _missing(value: Any) -> bool:
    """``pd.NA``, ``NaT`` and the like (a non-scalar is not missing)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _write_sheet(sheet: Any, frame: pd.DataFrame, header_format: Any) -> None:
    """The header row, then the cells of ``frame`` column by column (the order ``to_excel``
    writes them, so the shared strings and the file come out the same), straight through
    xlsxwriter: no ``DataFrame.to_excel``, whose per-cell style machinery was most of the time.

    Each column is converted to a Python list once; integer, boolean and float columns are
    written without a per-cell type test, others cell by cell through :func:`_write_value`.
    Text is neutralised by :func:`sna.safe.neutralise_cell` (the rule of
    :func:`sna.safe.neutralise_frame`), column names included.
    """
    header = [neutralise_cell(str(c)) for c in frame.columns]
    for col, name in enumerate(header):
        sheet.write_string(0, col, name, header_format)
    columns = []
    for col in range(len(header)):
        series = frame.iloc[:, col]
        kind, values = series.dtype.kind, series.tolist()
        if kind in "iu":
            for row, value in enumerate(values, start=1):
                sheet.write_number(row, col, value)
        elif kind == "b":
            for row, value in enumerate(values, start=1):
                sheet.write_boolean(row, col, value)
        elif kind == "f":
            for row, value in enumerate(values, start=1):
                _write_float(sheet, row, col, value)
        else:
            values = [neutralise_cell(v) for v in values]
            for row, value in enumerate(values, start=1):
                _write_value(sheet, row, col, value)
        columns.append(values)
    _widths(sheet, header, columns)


def _read_table(path: Path) -> pd.DataFrame:
    """A published table (an empty file gives an empty sheet, not an error)."""
    try:
        return pd.read_csv(path, low_memory=False).head(MAX_ROWS)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _day(generated: str) -> datetime:
    """``'15 March 2026'`` as a datetime (1 January 2000 when it is not such a date)."""
    try:
        return datetime.strptime(generated, "%d %B %Y")
    except ValueError:
        return datetime(2000, 1, 1)


def write_data_pack(output_dir: Path | str, *, generated: str | None = None) -> Path:
    """Write ``output_dir/data_pack.xlsx`` from ``output_dir/tables/*.csv``.

    Parameters
    ----------
    output_dir : Path or str
        The run folder (holds ``tables/`` and ``manifest.json``).
    generated : str, optional
        Date written in the notes (default: today, UTC, e.g. '15 March 2026').

    Returns
    -------
    Path
        The workbook written (atomically: a temporary file then a rename). With no tables it
        holds only the Notes sheet.
    """
    out_dir = Path(output_dir)
    paths = sorted((out_dir / "tables").glob("*.csv"), key=lambda p: (_chapter(p.stem), p.stem))
    frames = {p.stem: _read_table(p) for p in paths}
    sheets = sheet_names(list(frames))
    generated = generated or day_label(datetime.now(UTC))
    notes = notes_frame(frames, sheets, _manifest(out_dir), generated)
    target = out_dir / "data_pack.xlsx"
    tmp = out_dir / f".data_pack.{os.getpid()}.xlsx"
    # xlsxwriter (several times faster than openpyxl here); text stays text: no string becomes
    # a formula or a link, on top of the neutralising of every cell
    options = {"strings_to_formulas": False, "strings_to_urls": False,
               "strings_to_numbers": False}
    book = xlsxwriter.Workbook(tmp, options)
    try:
        # the creation time is the generation day, not the second: two runs of a day give
        # byte-identical packs (xlsxwriter also dates the zip entries with it)
        book.set_properties({"created": _day(generated)})
        header_format = book.add_format(HEADER_FORMAT)
        for name, frame in [("Notes", notes), *((sheets[n], f) for n, f in frames.items())]:
            _write_sheet(book.add_worksheet(name), frame, header_format)
        book.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)
    return target
