"""The rules of the record-level templates (ARCHITECTURE 8.2) as pandera schemas.

Every check reads its column's parse from a shared memo (:class:`ParsedColumns`), so a column
is parsed once for all its checks, the cross-row rules and the typed frame of
:mod:`sna.io.records`. The schemas check tidy text cells (surrounding spaces removed, blank
cells missing): a failure case is the value as typed.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from sna.definitions import load_definitions, load_indicators
from sna.io.records_parse import ParsedColumns

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


# --------------------------------------------------------------------------- text checks
def _ok(s: pd.Series, values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=s.index, copy=False)


def _check(fn: Any, error: str) -> pa.Check:
    # blanks are handled by each rule (ignore_na=False: pandera need not look for them again);
    # the first 200 failures of a rule are enough for the report (a whole bad column of a
    # million rows must not build a million failure cases)
    return pa.Check(fn, error=error, ignore_na=False, n_failure_cases=200)


def _check_date(p: ParsedColumns, with_time: bool, today: pd.Timestamp) -> list[pa.Check]:
    form = "YYYY-MM-DD HH:MM (or YYYY-MM-DD when the time is unknown)" if with_time \
        else "YYYY-MM-DD"
    limit = np.datetime64(today, "ns")
    return [
        _check(lambda s: _ok(s, p.blank(s) | ~np.isnat(p.dates(s, with_time=with_time))),
               f"not a real date: write {form}, e.g. 2025-03-31"),
        _check(lambda s: _ok(s, ~(p.dates(s, with_time=with_time) > limit)),
               "is in the future: check the date (day and month swapped?)"),
    ]


def _check_age(p: ParsedColumns) -> list[pa.Check]:
    def whole_age(s: pd.Series) -> pd.Series:
        n = p.number(s)
        with np.errstate(invalid="ignore"):
            return _ok(s, p.blank(s) | ((n >= 0) & (n <= MAX_AGE) & (n % 1 == 0)))
    return [_check(whole_age, f"not an age: a whole number of years 0-{MAX_AGE}, or blank")]


def _check_code(p: ParsedColumns, allowed: tuple[str, ...], what: str) -> list[pa.Check]:
    keys = sorted({a.lower() for a in allowed})
    return [_check(lambda s: _ok(s, p.blank(s) | p.isin(s, keys, lower=True)),
                   f"not a {what} code: use one of {', '.join(allowed)} or leave blank")]


def _check_flags(p: ParsedColumns) -> list[pa.Check]:
    one = "(?:" + "|".join(FLAGS) + ")?"
    pattern = rf"\s*{one}\s*(?:;\s*{one}\s*)*"
    return [_check(lambda s: _ok(s, p.blank(s) | p.matches(s, pattern, ignore_case=True)),
                   f"unknown flag: use ';'-separated {', '.join(FLAGS)}")]


def _check_pattern(p: ParsedColumns, pattern: str, what: str) -> list[pa.Check]:
    return [_check(lambda s: _ok(s, p.blank(s) | p.matches(s, pattern)), f"not a {what}")]


def _check_offence(p: ParsedColumns, known: dict[str, list[str]]) -> list[pa.Check]:
    keys = sorted(known)
    return [_check(lambda s: _ok(s, p.blank(s) | p.isin(s, keys, norm=True)),
                   "offence not in the definitions crosswalk: write the MPS minor category as "
                   "in the ward file (e.g. VIOLENCE WITH INJURY), or add it to "
                   "sna/definitions/indicators.yaml")]


def _check_coordinate(p: ParsedColumns) -> list[pa.Check]:
    def on_grid(s: pd.Series) -> pd.Series:
        n = p.number(s)
        with np.errstate(invalid="ignore"):
            return _ok(s, p.blank(s) | ((n >= 0) & (n <= 1_300_000)))
    return [_check(on_grid, "not a British National Grid coordinate in metres")]


def _required(p: ParsedColumns) -> list[pa.Check]:
    return [_check(lambda s: _ok(s, ~p.blank(s)), "required value is blank")]


def police_schema(today: pd.Timestamp | None = None,
                  parsed: ParsedColumns | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the ``police_records`` template, checked on text cells.

    Parameters
    ----------
    today : pandas.Timestamp, optional
        Dates after it are in the future (default: today).
    parsed : ParsedColumns, optional
        The memo of parsed columns to share with the caller (default: a new one).
    """
    today = today or pd.Timestamp(date.today())
    p = parsed or ParsedColumns()
    known = offence_indicators()
    checks: dict[str, list[pa.Check]] = {c: [] for c in POLICE_COLUMNS}
    for col in POLICE_REQUIRED:
        checks[col] += _required(p)
    checks["recorded_date"] += _check_date(p, False, today)
    checks["committed_from"] += _check_date(p, True, today)
    checks["offence"] += _check_offence(p, known)
    checks["flags"] += _check_flags(p)
    checks["ward_code"] += _check_pattern(p, r"[EW]05\d{6}", "2022 ward code like E05013628")
    checks["lsoa_code"] += _check_pattern(p, r"[EW]01\d{6}", "2021 LSOA code like E01000115")
    for col in ("easting", "northing"):
        checks[col] += _check_coordinate(p)
    for role in ("victim", "suspect"):
        checks[f"{role}_age"] += _check_age(p)
        checks[f"{role}_sex"] += _check_code(p, SEXES, "sex")
        checks[f"{role}_ethnicity"] += _check_code(p, ETHNICITIES, "ethnicity")
    return _schema(checks, "police_records")


def ae_schema(today: pd.Timestamp | None = None,
              parsed: ParsedColumns | None = None) -> pa.DataFrameSchema:
    """The pandera schema of the ``ae_attendances`` template, checked on text cells
    (parameters as :func:`police_schema`)."""
    today = today or pd.Timestamp(date.today())
    p = parsed or ParsedColumns()
    checks: dict[str, list[pa.Check]] = {c: [] for c in AE_COLUMNS}
    checks["attended"] += _required(p) + _check_date(p, True, today)
    checks["age"] += _check_age(p)
    checks["sex"] += _check_code(p, SEXES, "sex")
    checks["mechanism"] += _check_code(p, MECHANISMS, "mechanism")
    checks["incident_lsoa"] += _check_pattern(p, r"[EW]01\d{6}", "2021 LSOA code like E01000115")
    return _schema(checks, "ae_attendances")


def _schema(checks: dict[str, list[pa.Check]], name: str) -> pa.DataFrameSchema:
    cols = {c: pa.Column(None, nullable=True, required=False, checks=chk)
            for c, chk in checks.items()}
    return pa.DataFrameSchema(cols, strict=False, coerce=False, name=name)
