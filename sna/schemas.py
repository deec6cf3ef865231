"""Column contracts of the partner CSVs (templates in ``data/templates/``), as pandera schemas.

Each :class:`PartnerSpec` lists the columns of one partner file and which are required,
dates (ISO ``YYYY-MM-DD``), numbers, counts or categories. :func:`text_schema` turns a spec into
a pandera schema that validates the file **as text** (every cell a string, blanks missing), so a
failure names the row, column and the value as typed. Conversion to dates/numbers happens after
validation, in :mod:`sna.io.partner`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

INTERVENTION_TYPES = ("prevention", "early_intervention", "victim_support", "partnership",
                      "offender_management", "enforcement", "treatment", "other")
SV_STRANDS = ("general_violence", "domestic_abuse", "sexual_violence",
              "youth_violence_exploitation", "substance_misuse", "prevention", "other")
UNITS = ("count", "percent", "percentage_points", "rate_per_1000", "rate_per_100000", "rank",
         "GBP", "count_per_month", "offences_per_case_per_year", "ratio", "days")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class PartnerSpec:
    """The column contract of one partner CSV."""

    key: str
    template: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)


def category_key(value: str) -> str:
    """``'Early intervention'`` -> ``'early_intervention'`` (how categories are compared)."""
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def is_iso_date(s: pd.Series) -> pd.Series:
    """True where the text is a real calendar date written ``YYYY-MM-DD``."""
    text = s.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return text.str.match(_ISO) & parsed.notna()


def to_number(s: pd.Series) -> pd.Series:
    """Text -> float; thousands separators and surrounding spaces allowed, else NaN."""
    text = s.astype(str).str.strip().str.replace(",", "", regex=False)
    ok = text.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
    return pd.to_numeric(text.where(ok), errors="coerce")


def _checks(spec: PartnerSpec, col: str) -> list[pa.Check]:
    checks = []
    if col in spec.dates:
        checks.append(pa.Check(is_iso_date, error="not a date: write YYYY-MM-DD, e.g. 2023-03-31"))
    if col in spec.numbers or col in spec.counts:
        checks.append(pa.Check(lambda s: to_number(s).notna(),
                               error="not a number (digits only; no units, % or £)"))
    if col in spec.counts:
        checks.append(pa.Check(lambda s: ~(to_number(s) < 0) & ~(to_number(s) % 1 > 0),
                               error="not a whole non-negative count"))
    if col in spec.ranges:
        lo, hi = spec.ranges[col]
        checks.append(pa.Check(lambda s: to_number(s).between(lo, hi) | to_number(s).isna(),
                               error=f"outside {lo} to {hi}"))
    if col in spec.categories:
        allowed = spec.categories[col]
        checks.append(pa.Check(lambda s: s.map(category_key).isin(allowed),
                               error=f"not one of: {', '.join(allowed)}"))
    if col in spec.required:
        checks.append(pa.Check(lambda s: s.astype(str).str.strip() != "",
                               error="required value is blank"))
    return checks


def text_schema(spec: PartnerSpec) -> pa.DataFrameSchema:
    """A pandera schema validating the file's text cells (missing columns are checked before)."""
    cols = {c: pa.Column(object, nullable=c not in spec.required, required=False,
                         checks=_checks(spec, c))
            for c in spec.columns + spec.optional_columns}
    return pa.DataFrameSchema(cols, strict=False, coerce=False, name=spec.key)


PARTNER_SPECS: dict[str, PartnerSpec] = {s.key: s for s in (
    PartnerSpec(
        "partner_indicators", "partner_indicators.csv",
        ("indicator", "area", "period_start", "period_end", "value", "unit", "source_doc",
         "notes"),
        required=("indicator", "area", "value", "unit"),
        dates=("period_start", "period_end"), numbers=("value",)),
    PartnerSpec(
        "interventions", "interventions_register.csv",
        ("intervention", "lead_agency", "target_group", "sv_strand", "type", "status_or_period",
         "reported_output", "source_doc", "notes"),
        required=("intervention", "lead_agency", "sv_strand", "type"),
        optional_columns=("wards", "start", "end"), dates=("start", "end"),
        categories={"type": INTERVENTION_TYPES, "sv_strand": SV_STRANDS}),
    PartnerSpec(
        "cctv", "cctv_incidents_by_ward.csv",
        ("ward", "incident_type", "count", "period_start", "period_end"),
        required=("ward", "incident_type", "count", "period_start", "period_end"),
        dates=("period_start", "period_end"), counts=("count",)),
    PartnerSpec(
        "assets", "assets.csv", ("name", "type", "ward", "latitude", "longitude"),
        required=("name", "type"), numbers=("latitude", "longitude"),
        ranges={"latitude": (49.0, 61.0), "longitude": (-9.0, 2.5)}),
    PartnerSpec(
        "vulnerable_populations", "vulnerable_populations.csv",
        ("group", "area", "period_start", "period_end", "value", "unit", "source_doc", "notes"),
        required=("group", "area", "value", "unit"),
        dates=("period_start", "period_end"), numbers=("value",)),
    PartnerSpec(
        "data_sources", "data_sources.csv", ("source", "data_items", "status", "notes"),
        required=("source", "data_items", "status")),
)}
