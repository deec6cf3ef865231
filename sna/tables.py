"""Declarations of every published table: sensitivity, count columns, what derives from them.

One place for the disclosure facts of each ``tables/<name>.csv``. ``ch.publish``/``ch.table``
look the name up here (an explicit ``sensitivity=`` keyword overrides it), ``manifest.json``
lists each published table's ``sensitivity`` and ``count_columns``, and the post-run audit
checks every table against its declaration. A table published without a declaration fails the
audit: add it here when you add a table.

Sensitivity
-----------
``open``
    Open published statistics (MPS recorded crime, police.uk, Census, DfE): shown as their
    publisher shows them, unless the config says ``disclosure.open_data: suppress``.
``partner``
    Partner data about people (partner indicators, CCTV, registers): counts from 1 to
    ``min_count - 1`` are always suppressed, with secondary suppression.
``mixed``
    Rows of both kinds: rows matching ``partner_where`` are treated as partner data, the other
    rows as open data (all rows as partner data when ``partner_where`` is not given).

Additive relations (:data:`RELATIONS`) say which published numbers add up to which (the serious
violence components to its total, the months to the 12-month count, the wards to the borough).
The audit uses them to prove that no suppressed cell can be recovered by subtraction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

SENSITIVITIES = ("open", "partner", "mixed")
RUN_12M = "@12m"


@dataclass(frozen=True)
class Fact:
    """How rows of a table state a borough or ward count (for the differencing check).

    ``place`` is a column (ward code) or None (the borough); ``start``/``end`` are the
    columns of the first and last month of the count (the same column for a monthly row);
    ``where`` limits the rows used (``{column: value}``). ``start``/``end`` may be
    :data:`RUN_12M`: the 12 months ending at the run's period (a table without period columns).
    ``span`` > 0: the count is of the ``span`` months ending at the month in ``end`` (a
    rolling total such as ``monthly_series.rolling_12m``; ``start`` is then not read).
    """

    value: str
    indicator: str = "indicator"
    start: str = "period_start"
    end: str = "period_end"
    place: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    span: int = 0


@dataclass(frozen=True)
class TableSpec:
    """The disclosure declaration of one published table."""

    sensitivity: str
    count_columns: tuple[str, ...] = ()
    dependent: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    group_cols: tuple[str, ...] = ()
    count_where: Mapping[str, Any] = field(default_factory=dict)
    partner_where: Mapping[str, Any] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    sv_by: tuple[str, ...] = ()  # columns within which SV components add up to its row
    # ("*": the whole table is one place and window)

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITIES:
            raise ValueError(f"sensitivity must be one of {SENSITIVITIES}, got "
                             f"{self.sensitivity!r}")

    def as_manifest(self) -> dict[str, Any]:
        """The manifest entry: ``{sensitivity, count_columns}``."""
        return {"sensitivity": self.sensitivity, "count_columns": list(self.count_columns)}


_RATE = ("rate_per_1000", "lower95", "upper95")
_BOROUGH = Fact("count")

TABLES: dict[str, TableSpec] = {
    # --- open published statistics: MPS recorded crime, dashboards, police.uk, Census, DfE
    "performance_dashboard": TableSpec(
        "open", ("count", "previous_count"),
        {"count": ("change_pct", "rate_per_1000", "rate_lower95", "rate_upper95"),
         "previous_count": ("change_pct",)}, facts=(_BOROUGH,)),
    # the London overview (sna overview): each borough's performance_dashboard headline row
    "london_overview": TableSpec(
        "open", ("count", "previous_count"),
        {"count": ("change_pct", "rate_per_1000", "rate_lower95", "rate_upper95"),
         "previous_count": ("change_pct",)}),
    "change_robustness": TableSpec(
        "open", ("count", "comparison"), {"count": ("change_pct", "p_value", "significant"),
                                          "comparison": ("change_pct", "p_value", "significant")},
        group_cols=("window", "check"),
        facts=tuple(Fact("count", where={"check": c}) for c in (
            "year_earlier", "one_month_earlier", "three_year_average"))),
    "sv_breakdown": TableSpec(
        "open", ("count", "previous_count", "london_count"),
        {"count": ("change_pct", "share_pct"), "previous_count": ("change_pct",),
         "london_count": ("london_share_pct",)}, facts=(_BOROUGH,)),
    "monthly_series": TableSpec(
        "open", ("count", "rolling_12m"), group_cols=("indicator",),
        facts=(Fact("count", start="month", end="month"),
               Fact("rolling_12m", start="month", end="month", span=12))),
    "ward_indicators": TableSpec(
        "open", ("count", "previous_count"),
        {"count": (*_RATE, "eb_rate_per_1000", "change", "change_pct", "change_significant"),
         "previous_count": ("change", "change_pct", "change_significant")},
        ("indicator", "window"), facts=(Fact("count", place="ward_code"),),
        sv_by=("ward_code", "window")),
    "lsoa_indicators": TableSpec(
        "open", ("count",), {"count": (*_RATE, "eb_rate_per_1000")}, ("indicator", "window"),
        sv_by=("lsoa_code", "window")),
    "concentration": TableSpec(
        "open", ("top_count", "total"), {"top_count": ("top_share_pct",),
                                         "total": ("top_share_pct",)},
        facts=(Fact("total", start=RUN_12M, end=RUN_12M, where={"level": "ward"}),),
        sv_by=("level",)),
    "london_comparison": TableSpec(
        "open", ("count", "previous_count"),
        {"count": ("change_pct", "rate_per_1000", "rate_lower95", "rate_upper95")}),
    "knife_crime": TableSpec(
        "open", ("count", "previous_count"), {"count": ("change_pct", "rate_per_1000")}),
    "homicide": TableSpec(
        "open", ("area_count", "london_count"), {"area_count": ("area_share",),
                                                 "london_count": ("london_share",)},
        ("dimension",)),
    "stop_search": TableSpec(
        "open", ("count", "mps_count"), {"count": ("pct",), "mps_count": ("mps_pct",)},
        ("dimension",)),
    "imd_decile_rates": TableSpec(
        "open", ("count",), {"count": (*_RATE, "rate_ratio")}, ("indicator", "edition")),
    "ward_risk_profile": TableSpec(
        "open", ("sv_count",), {"sv_count": ("sv_rate_per_1000", "sv_eb_rate_per_1000")}),
    "monitoring_framework": TableSpec(
        "open", ("baseline_count", "latest_count"),
        {"baseline_count": ("baseline_rate_per_1000",), "latest_count": ("latest_change_pct",)}),
    # shown on a page only (ch.protect), not written to tables/
    "ward_reconciliation": TableSpec(
        "open", ("ward_count", "unallocated", "borough_count"),
        {"ward_count": ("difference",), "borough_count": ("difference",)}, sv_by=("*",)),
    "population_age": TableSpec("open", ("area_population", "london_population")),
    "profile_indicators": TableSpec("open", ("area_value", "london_value"),
                                    count_where={"unit": "people"}),
    "risk_factors": TableSpec("open"),
    "young_people": TableSpec("open"),
    "risk_correlations": TableSpec("open"),
    "count_model": TableSpec("open"),
    "deprivation_gradient": TableSpec("open"),
    # --- chapter 08 who is affected (MPS dashboard, VAWG, MOPAC PAS) and chapter 01 additions
    "who_domestic_abuse": TableSpec("open", ("count", "previous_count")),
    "who_young_people": TableSpec("open", ("count", "previous_count")),
    "who_weapons": TableSpec("open", ("count", "previous_count")),
    "who_hate_crime": TableSpec("open", ("count", "previous_count")),
    "who_domestic_abuse_wards": TableSpec("open", ("count",)),
    "who_vawg_borough": TableSpec("open", ("count",)),
    "who_vawg_wards": TableSpec("open", ("count",)),
    "who_public_confidence": TableSpec("open"),
    "partnership_definition": TableSpec("open"),
    # --- chapter 05 "Does it work?": effects as percentages (from MPS recorded crime)
    "intervention_effects": TableSpec("open"),
    "evaluation_designs": TableSpec("open"),
    # --- chapter 09: England and Wales, similar areas, cost and harm, emerging hot spots
    "national_comparison": TableSpec("open", ("count",), {"count": ("rate_per_1000",)}),
    "cost_of_violence": TableSpec("open", ("count",), {"count": (
        "cost_gbp", "estimated_incidents", "estimated_cost_gbp")}),
    "ward_harm": TableSpec("open", ("count",)),
    "emerging_hotspots": TableSpec("open"),
    "emerging_hotspots_lsoa": TableSpec("open"),
    "places_association": TableSpec("open"),
    "ward_borough_reconciliation": TableSpec("open", ("ward_total", "borough_total")),
    "ward_hotspots": TableSpec("open"),
    "definitions": TableSpec("open"),
    "data_inventory": TableSpec("open"),
    # --- partner data (counts of people, incidents, or registers supplied by partners)
    "vulnerable_populations": TableSpec("partner", ("value",), count_where={"unit": "count"},
                                        group_cols=("breakdown",)),
    "cctv_by_ward": TableSpec("partner", ("count",), group_cols=("incident_type",)),
    "interventions": TableSpec("partner"),
    "intervention_evaluability": TableSpec("partner"),
    "partnership": TableSpec("partner"),
    "gap_analysis": TableSpec("partner"),
    "risk_factor_coverage": TableSpec("partner"),
    # --- chapter 10: aggregates of the record-level police and A&E extracts (personal data)
    "victims_by_age_sex": TableSpec("partner", ("count",), {"count": _RATE},
                                    group_cols=("role", "age_band")),
    "time_of_week": TableSpec("partner", ("count",), group_cols=("day",)),
    "ae_time_of_week": TableSpec("partner", ("count",), group_cols=("day",)),
    "ethnicity_rates": TableSpec("partner", ("count",), {"count": (
        *_RATE, "rate_ratio", "ratio_lower95", "ratio_upper95")}, group_cols=("role",)),
    "repeat_victimisation": TableSpec("partner", ("victims", "repeat_victims"),
                                      {"repeat_victims": ("repeat_share_pct",)}),
    "sv_location_types": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "sv_flags": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "sv_repeat_places": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "sv_grid_cells": TableSpec("partner", ("count",), group_cols=("area",)),
    "sv_parts_by_age": TableSpec("partner", ("count",), group_cols=("part",)),
    "ae_by_age_band": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "ae_by_mechanism": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "ae_by_location_type": TableSpec("partner", ("count",), {"count": ("share_pct",)}),
    "ae_vs_police_monthly": TableSpec("partner", ("ae_attendances",
                                                  "police_violence_with_injury")),
    # --- the partnership's own plan (config): no counts of people
    "recommendations": TableSpec("open"),
    "implementation_plan": TableSpec("open"),
}


@dataclass(frozen=True)
class Relation:
    """``total`` (an indicator) = the sum of ``parts`` for the same place and months.

    ``kind`` is ``components`` (parts are other indicators), ``months`` (parts are the single
    months of the total's window, same indicator) or ``wards`` (parts are the wards' counts of
    the same indicator and window, total the borough's).
    """

    kind: str
    total: str = ""
    parts: tuple[str, ...] = ()


def sv_relation() -> Relation:
    """Serious violence = its published components (from the indicator definitions)."""
    from sna.definitions import load_indicators

    specs = load_indicators()
    return Relation("components", "serious_violence",
                    tuple(i for i, spec in specs.items() if spec.get("sv_component")))


RELATIONS: tuple[Relation, ...] = (Relation("months"), Relation("wards"))


def spec_for(name: str, sensitivity: str | None = None) -> TableSpec | None:
    """The declaration of table ``name`` (None if undeclared); ``sensitivity`` overrides."""
    spec = TABLES.get(name)
    if sensitivity is None:
        return spec
    if sensitivity not in SENSITIVITIES:
        raise ValueError(f"sensitivity must be one of {SENSITIVITIES}, got {sensitivity!r}")
    if spec is None:
        return TableSpec(sensitivity)
    return replace(spec, sensitivity=sensitivity)
