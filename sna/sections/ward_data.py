"""The area's ward-level inputs for chapters 03, 04 and 09: ward polygons, Census 2021
populations by ward and age group, and monthly counts per ward and indicator.

The monthly counts, the borough allocation and the ward populations are derived once per input
and cached on disk (:func:`sna.data.derived`), so each chapter reads them instead of
classifying the area's rows of the London-wide MPS ward file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna import periods, spatial
from sna.definitions import classify, indicator_monthly

AGE_GROUPS = {"population": (0, 120), "pop_0_15": (0, 15), "pop_0_17": (0, 17),
              "pop_10_17": (10, 17), "pop_10_24": (10, 24)}


@dataclass
class WardData:
    """The area's ward-level inputs: polygons, populations and monthly counts."""

    wards: Any  # GeoDataFrame: ward_code, ward_name, geometry
    population: pd.DataFrame  # ward_code, ward_name, population, pop_<age groups>
    monthly: pd.DataFrame  # ward_code, ward_name, indicator, month, count (explicit zeros)
    borough: pd.DataFrame  # indicator, month, allocated (ward in the polygons), count: all records
    months: list[str]
    notes: list[str] = field(default_factory=list)


def lsoa_population(population: pd.DataFrame) -> pd.DataFrame:
    """Census TS007A LSOA rows -> ``lsoa_code, population, pop_0_15, pop_0_17, pop_10_17,
    pop_10_24`` (:data:`AGE_GROUPS`).

    Age groups that split a 5-year band take a share of it assuming ages spread evenly
    (e.g. aged 15 = one fifth of 15-19), so ``pop_0_15`` and ``pop_10_17`` are estimates.
    """
    p = population[population["level"] == "lsoa"]
    width = p["age_max"] - p["age_min"] + 1
    out = pd.DataFrame({"lsoa_code": p["geography_code"]})
    for col, (lo, hi) in AGE_GROUPS.items():
        overlap = (np.minimum(hi, p["age_max"]) - np.maximum(lo, p["age_min"]) + 1).clip(0)
        out[col] = p["population"] * (overlap / width).clip(upper=1)
    return out.groupby("lsoa_code", as_index=False).sum()


def area_lookup(lookups: pd.DataFrame, ward_codes) -> pd.DataFrame:
    """LSOA 2021 -> ward rows of the area's wards (``lsoa_code, ward_code, ward_name, weight``)."""
    lk = lookups[(lookups["lsoa_year"] == 2021) & lookups["ward_code"].isin(set(ward_codes))]
    return lk[["lsoa_code", "ward_code", "ward_name", "weight"]].reset_index(drop=True)


def ward_populations(population: pd.DataFrame, lookup: pd.DataFrame,
                     wards: pd.DataFrame) -> pd.DataFrame:
    """Census 2021 residents per ward (all ages and the age groups of :data:`AGE_GROUPS`).

    LSOAs outside ``lookup`` are ignored; wards without any LSOA get NaN (rates left blank).
    """
    lsoa = lsoa_population(population)
    lsoa = lsoa[lsoa["lsoa_code"].isin(set(lookup["lsoa_code"]))]
    out = wards[["ward_code", "ward_name"]].copy()
    for col in AGE_GROUPS:
        part = spatial.ward_population(lsoa[["lsoa_code", col]].rename(columns={col: "population"}),
                                       lookup)
        out[col] = out["ward_code"].map(part.set_index("ward_code")["population"])
    return out


def area_rows(frame: pd.DataFrame, area: str, codes) -> pd.DataFrame:
    """Rows of an MPS frame in the area: its borough name, or one of its ward/LSOA codes."""
    return frame[(frame["borough"] == area) | frame["area_code"].isin(set(codes))]


def area_ward_rows(cfg, codes: tuple[str, ...]) -> pd.DataFrame:
    """The area's rows of the (London-wide) MPS ward file (cached by ``sna.data.derived``)."""
    from sna import data as sna_data

    return area_rows(sna_data.load(cfg, "mps_ward").frame, cfg.area.name, codes).reset_index(
        drop=True)


def load_ward_data(ch) -> WardData:
    """Load the area's wards, ward populations and monthly ward counts per indicator.

    The monthly counts, the borough allocation and the ward populations are derived once per
    input and cached on disk (``sna.data.derived``): chapters 03, 04 and 09 read them instead
    of classifying the area's rows of the London-wide MPS ward file each.
    """
    from sna import data as sna_data

    wards = ch.load("wards").frame
    codes = tuple(sorted(wards["ward_code"]))
    months = sna_data.load_meta(ch.cfg, "mps_ward")["months"]
    monthly = sna_data.derived(ch.cfg, "ward_monthly", ("mps_ward", "wards"), ward_monthly,
                               ch.cfg, codes)
    borough = sna_data.derived(ch.cfg, "ward_borough", ("mps_ward", "wards"), ward_borough,
                               ch.cfg, codes)
    notes = []
    if ch.has("lookups"):
        population = sna_data.derived(ch.cfg, "ward_population", ("lookups", "population",
                                                                  "wards"),
                                      area_ward_population, ch.cfg)
    else:
        population = wards[["ward_code", "ward_name"]].assign(**{c: np.nan for c in AGE_GROUPS})
        notes.append("No LSOA-to-ward lookup is supplied, so ward rates cannot be computed.")
    return WardData(wards, population, monthly, borough, months, notes)


def _area_rows(cfg, codes: tuple[str, ...]) -> pd.DataFrame:
    from sna import data as sna_data

    return sna_data.derived(cfg, "area_ward_rows", ("mps_ward", "wards"), area_ward_rows, cfg,
                            codes)


def ward_monthly(cfg, codes: tuple[str, ...]) -> pd.DataFrame:
    """Monthly counts per ward and indicator (explicit zeros, every month of the MPS ward
    file) of the wards ``codes``: ``ward_code, indicator, month, count, ward_name``."""
    from sna import data as sna_data

    wards = sna_data.load(cfg, "wards").frame
    months = sna_data.load_meta(cfg, "mps_ward")["months"]
    monthly = indicator_monthly(_area_rows(cfg, codes), by=("area_code",), months=list(months))
    monthly = monthly.rename(columns={"area_code": "ward_code"})
    monthly = monthly[monthly["ward_code"].isin(set(wards["ward_code"]))]
    return monthly.merge(wards[["ward_code", "ward_name"]], on="ward_code")


def ward_borough(cfg, codes: tuple[str, ...]) -> pd.DataFrame:
    """Every record of the area by indicator and month, and whether its ward is one of the
    area's polygons (``indicator, month, allocated, count``)."""
    borough = classify(_area_rows(cfg, codes)).assign(
        allocated=lambda d: d["area_code"].isin(set(codes)))
    return borough.groupby(["indicator", "month", "allocated"], as_index=False)["count"].sum()


def area_ward_population(cfg) -> pd.DataFrame:
    """Census 2021 residents of the area's wards (:func:`ward_populations`)."""
    from sna import data as sna_data

    wards = sna_data.load(cfg, "wards").frame
    lookup = area_lookup(sna_data.load(cfg, "lookups").frame, wards["ward_code"])
    return ward_populations(sna_data.load(cfg, "population").frame, lookup, wards)


def window_counts(monthly: pd.DataFrame, end: str, keys: tuple[str, ...],
                  n: int = 12) -> tuple[pd.DataFrame, list[str]]:
    """Counts over the ``n`` months ending at ``end`` and the months absent from the data."""
    months = periods.window_months(end, n)
    sub = monthly[monthly["month"].isin(months)]
    missing = [m for m in months if m not in set(sub["month"])]
    return sub.groupby(list(keys), as_index=False)["count"].sum(), missing
