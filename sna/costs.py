"""Cost and harm of violence: Home Office unit costs of crime and crime harm weights.

Decisions
---------
* Unit costs: Home Office *Economic and social costs of crime 2019 to 2020* (2019/20 prices)
  from ``sna/definitions/unit_costs_of_crime.csv`` (or ``costs.unit_costs`` in the config).
  ``cost_gbp = count x unit_cost``: the cost of the offences the police recorded.
  ``estimated_incidents = count x multiplier`` (the publication's ratio of all incidents,
  reported or not, to police recorded crime) and ``estimated_cost_gbp = estimated_incidents
  x unit_cost``: the estimate including unrecorded incidents.
* An optional ``costs.price_uplift`` multiplies every unit cost (e.g. a GDP deflator ratio)
  and ``costs.price_year`` names the price year; without it the figures stay in 2019/20 prices.
* Harm: counts weighted by crime harm index days per offence
  (``sna/definitions/crime_harm_weights.csv`` or ``costs.harm_weights``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sna.errors import SchemaError

DEFINITIONS = Path(__file__).parent / "definitions"
UNIT_COSTS = DEFINITIONS / "unit_costs_of_crime.csv"
HARM_WEIGHTS = DEFINITIONS / "crime_harm_weights.csv"
COST_COLUMNS = ["indicator", "count", "unit_cost_gbp", "price_year", "cost_gbp", "multiplier",
                "estimated_incidents", "estimated_cost_gbp", "source"]


def _read(path: Path, required: list[str], numeric: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SchemaError(f"{path.name}: cannot be read as CSV ({exc}).") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(f"{path.name}: missing column(s) {', '.join(missing)}; the file "
                          f"needs {', '.join(required)}.")
    for col in numeric:
        values = pd.to_numeric(frame[col].str.replace(",", "").str.strip(), errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(f"{path.name}, row {i + 2}, column {col!r}: value "
                              f"{frame[col].iloc[i]!r} is not a non-negative number; correct it.")
        frame[col] = values
    return frame


def unit_costs(path: Path | None = None) -> pd.DataFrame:
    """The unit-cost definitions (``indicator, offence, unit_cost_gbp, ..., multiplier,
    price_year, source``)."""
    return _read(path or UNIT_COSTS, ["indicator", "unit_cost_gbp", "multiplier",
                                      "price_year", "source"], ["unit_cost_gbp", "multiplier"])


def harm_weights(path: Path | None = None) -> pd.DataFrame:
    """Crime harm weights (``indicator, harm_days, source, caveat``)."""
    return _read(path or HARM_WEIGHTS, ["indicator", "harm_days", "source"], ["harm_days"])


def cost_of_violence(counts: pd.Series, costs: pd.DataFrame,
                     settings: dict[str, Any] | None = None) -> pd.DataFrame:
    """``tables/cost_of_violence.csv``: one row per indicator with a count and a unit cost.

    Parameters
    ----------
    counts : Series
        Indicator id -> offences recorded in the window.
    costs : DataFrame
        :func:`unit_costs`.
    settings : dict, optional
        The config's ``costs`` (``price_uplift``, ``price_year``).

    Returns
    -------
    DataFrame
        :data:`COST_COLUMNS` plus ``price_uplift`` and ``offence``.
    """
    settings = settings or {}
    uplift = float(settings.get("price_uplift") or 1.0)
    d = costs[costs["indicator"].isin(counts.index)].copy()
    d["count"] = d["indicator"].map(counts).astype(float)
    d["price_uplift"] = uplift
    d["unit_cost_gbp"] = (d["unit_cost_gbp"] * uplift).round(0)
    if settings.get("price_uplift"):
        d["price_year"] = str(settings["price_year"])
    d["cost_gbp"] = d["count"] * d["unit_cost_gbp"]
    d["estimated_incidents"] = (d["count"] * d["multiplier"]).round(0)
    d["estimated_cost_gbp"] = (d["count"] * d["multiplier"] * d["unit_cost_gbp"]).round(0)
    for col in ("count", "unit_cost_gbp", "cost_gbp", "estimated_incidents",
                "estimated_cost_gbp"):
        d[col] = d[col].round().astype("Int64")
    return d[COST_COLUMNS + ["price_uplift", "offence"]].reset_index(drop=True)


def ward_harm(ward_counts: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Counts and harm (days) per ward, and their ranks (1 = most).

    ``ward_counts`` has ``ward_code, ward_name, indicator, count`` (one window); only
    indicators with a weight count. Returns ``ward_code, ward_name, count, harm_days,
    count_rank, harm_rank, rank_shift`` (``count_rank - harm_rank``: positive = the ward
    ranks higher on harm than on counts).
    """
    w = weights.set_index("indicator")["harm_days"]
    d = ward_counts[ward_counts["indicator"].isin(w.index)].copy()
    d["harm_days"] = d["count"].astype(float) * d["indicator"].map(w)
    out = d.groupby(["ward_code", "ward_name"], as_index=False)[["count", "harm_days"]].sum()
    out["count_rank"] = out["count"].rank(ascending=False, method="min").astype(int)
    out["harm_rank"] = out["harm_days"].rank(ascending=False, method="min").astype(int)
    out["rank_shift"] = out["count_rank"] - out["harm_rank"]
    return out.sort_values(["harm_rank", "ward_name"], ignore_index=True)
