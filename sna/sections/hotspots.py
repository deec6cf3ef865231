"""Chapter 03 (spatial distribution and hot spots): tables, maps and sentences.

Functions take the chapter (to load sources through the cache) or frames, and return frames,
``(fig, alt)`` tuples from :mod:`sna.plots` or Markdown sentences whose data-derived words are
escaped. Nothing is written here: the notebook publishes through ``ch.table``/``ch.publish``
(disclosure control).

Decisions
---------
* Window: the 12 months ending at the period; "a year earlier" = the same months one year
  before. A month missing from the data (an incomplete month the loader dropped) is left out
  of the window and the window is flagged (``months_in_window``), never filled with zeros.
* Wards: 2022 wards of the ``wards`` polygons; the MPS ward file is published on 2022 wards
  for every month back to 2010 (re-based by the MPS), so all windows use the same wards.
* Populations: Census 2021 usual residents (TS007A, LSOA 2021) through the LSOA 2021 -> ward
  2022 lookup; the same denominators for every window.
* Rates per 1,000 residents with exact/Byar 95% intervals; Empirical Bayes (global) smoothed
  rates; Getis-Ord Gi* on the smoothed rates (binary queen contiguity, 9,999 permutations,
  fixed seed, Benjamini-Hochberg FDR 5%).
* LSOA level: rape and other sexual offences are not published by LSOA, so the LSOA measure is
  serious violence excluding sexual offences (homicide, violence with injury, personal robbery,
  possession of weapons).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sna import periods, plots, spatial
from sna.definitions import classify, indicator_monthly, load_indicators
from sna.metrics import change_pct, change_significant
from sna.safe import md_esc

HOTSPOT_INDICATORS = ("serious_violence", "violence_with_injury", "personal_robbery",
                      "possession_of_weapons", "other_sexual_offences", "rape")
MAP_INDICATORS = ("violence_with_injury", "personal_robbery", "possession_of_weapons",
                  "other_sexual_offences")
PERMUTATIONS = 9999
SEED = 12345
MIN_EVENTS_GI = 20  # an indicator with fewer events in the window gets no Gi* (no pattern)
LSOA_SV = "serious_violence_excl_sexual"
LSOA_SV_PARTS = ("homicide", "violence_with_injury", "personal_robbery", "possession_of_weapons")
PRE_2022_WARDS = {"Barnet": 21}  # wards before the May 2022 London boundary changes
AGE_GROUPS = {"population": (0, 120), "pop_0_15": (0, 15), "pop_0_17": (0, 17),
              "pop_10_17": (10, 17), "pop_10_24": (10, 24)}


def label(indicator: str) -> str:
    """Plain-English label of an indicator id (LSOA composite included)."""
    if indicator == LSOA_SV:
        return "Serious violence excluding sexual offences"
    return load_indicators().get(indicator, {}).get("label", indicator)


def _order(indicators) -> list[str]:
    ids = list(load_indicators()) + [LSOA_SV]
    return sorted(set(indicators), key=lambda i: ids.index(i) if i in ids else len(ids))


def num(value: float, dp: int = 1) -> str:
    """``1234.5 -> '1,234.5'`` (``dp`` decimals; 0 gives a whole number)."""
    return "no data" if value is None or not np.isfinite(value) else f"{value:,.{dp}f}"


def window_text(end: str, n: int = 12) -> str:
    """``'2026-03' -> 'Apr 2025 to Mar 2026'``."""
    return periods.window_label(periods.window_months(end, n))


# --- data -------------------------------------------------------------------------------


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


def _area_ward_rows(cfg, codes: tuple[str, ...]) -> pd.DataFrame:
    """The area's rows of the (London-wide) MPS ward file (cached by ``sna.data.derived``)."""
    from sna import data as sna_data

    return area_rows(sna_data.load(cfg, "mps_ward").frame, cfg.area.name, codes).reset_index(
        drop=True)


def load_ward_data(ch) -> WardData:
    """Load the area's wards, ward populations and monthly ward counts per indicator.

    The area's rows of the MPS ward file are cached on disk (``sna.data.derived``), so a
    chapter does not re-read the London-wide file once it has been filtered.
    """
    from sna import data as sna_data

    wards = ch.load("wards").frame
    codes = tuple(sorted(wards["ward_code"]))
    rows = sna_data.derived(ch.cfg, "area_ward_rows", ("mps_ward", "wards"), _area_ward_rows,
                            ch.cfg, codes)
    months = sna_data.load_meta(ch.cfg, "mps_ward")["months"]
    monthly = indicator_monthly(rows, by=("area_code",), months=months)
    monthly = monthly.rename(columns={"area_code": "ward_code"})
    monthly = monthly[monthly["ward_code"].isin(set(wards["ward_code"]))]
    monthly = monthly.merge(wards[["ward_code", "ward_name"]], on="ward_code")
    borough = classify(rows).assign(allocated=lambda d: d["area_code"].isin(set(wards["ward_code"])))
    borough = borough.groupby(["indicator", "month", "allocated"], as_index=False)["count"].sum()
    notes = []
    if ch.has("lookups"):
        lookup = area_lookup(ch.load("lookups").frame, wards["ward_code"])
        population = ward_populations(ch.load("population").frame, lookup, wards)
    else:
        population = wards[["ward_code", "ward_name"]].assign(**{c: np.nan for c in AGE_GROUPS})
        notes.append("No LSOA-to-ward lookup is supplied, so ward rates cannot be computed.")
    return WardData(wards, population, monthly, borough, months, notes)


def window_counts(monthly: pd.DataFrame, end: str, keys: tuple[str, ...],
                  n: int = 12) -> tuple[pd.DataFrame, list[str]]:
    """Counts over the ``n`` months ending at ``end`` and the months absent from the data."""
    months = periods.window_months(end, n)
    sub = monthly[monthly["month"].isin(months)]
    missing = [m for m in months if m not in set(sub["month"])]
    return sub.groupby(list(keys), as_index=False)["count"].sum(), missing


# --- ward table --------------------------------------------------------------------------


def ward_table(wd: WardData, period: str) -> pd.DataFrame:
    """Ward x indicator table for the 12 months to ``period`` (``tables/ward_indicators.csv``).

    Returns
    -------
    DataFrame
        Contract columns ``ward_code, ward_name, indicator, window, count, population,
        rate_per_1000, lower95, upper95``, then ``eb_rate_per_1000``, ``rank`` (1 = highest
        rate), ``indicator_label, period_start, period_end, months_in_window,
        previous_count`` (same months a year earlier), ``change``, ``change_pct`` and
        ``change_significant`` (Poisson score test, 5%).
    """
    keys = ("ward_code", "ward_name", "indicator")
    cur, missing = window_counts(wd.monthly, period, keys)
    prev, prev_missing = window_counts(wd.monthly, periods.add_months(period, -12), keys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = spatial.ward_indicator_table(cur, wd.population[["ward_code", "ward_name",
                                                              "population"]], "12m")
    t["ward_name"] = t["ward_code"].map(wd.wards.set_index("ward_code")["ward_name"])
    months = periods.window_months(period, 12)
    t["indicator_label"] = t["indicator"].map(label)
    t["period_start"], t["period_end"] = months[0], months[-1]
    t["months_in_window"] = 12 - len(missing)
    prev = prev.set_index(["ward_code", "indicator"])["count"]
    t["previous_count"] = [prev.get(k, 0) if len(prev_missing) < 12 else np.nan
                           for k in zip(t["ward_code"], t["indicator"], strict=True)]
    t["change"] = t["count"] - t["previous_count"]
    t["change_pct"] = change_pct(t["count"], t["previous_count"])
    t["change_significant"] = change_significant(t["count"], t["previous_count"])
    order = {ind: i for i, ind in enumerate(_order(t["indicator"]))}
    return t.sort_values(["indicator", "rank", "ward_name"],
                         key=lambda s: s.map(order) if s.name == "indicator" else s,
                         ignore_index=True)


SUPPRESS = {"count_cols": ["count", "previous_count"],
            "dependent": {"count": ["rate_per_1000", "lower95", "upper95", "eb_rate_per_1000",
                                    "change", "change_pct", "change_significant"],
                          "previous_count": ["change", "change_pct", "change_significant"]},
            "group_cols": ["indicator"]}
"""Disclosure arguments for ``ward_indicators`` (the borough totals are published)."""


def reconciliation(wd: WardData, table: pd.DataFrame, period: str) -> pd.DataFrame:
    """Check each indicator's ward counts against the borough total of the same ward file.

    Raises :class:`sna.errors.DataError` (through :func:`sna.spatial.reconcile`) if they
    differ. ``unallocated`` = records of the borough whose ward code is not one of the
    area's ward polygons.
    """
    months = periods.window_months(period, 12)
    b = wd.borough[wd.borough["month"].isin(months)]
    boro = b.groupby("indicator")["count"].sum()
    outside = b[~b["allocated"]].groupby("indicator")["count"].sum()
    rows = []
    for ind, part in table.groupby("indicator", sort=False):
        total, unalloc = float(boro.get(ind, 0)), float(outside.get(ind, 0))
        diff = spatial.reconcile(part, total, unalloc)
        rows.append({"indicator": ind, "indicator_label": label(ind),
                     "ward_count": int(part["count"].sum()), "unallocated": int(unalloc),
                     "borough_count": int(total), "difference": diff})
    return pd.DataFrame(rows)


def shown(frame: pd.DataFrame, count_cols: list[str], min_count: int,
          dependent: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """A display copy with small counts (and values ``dependent`` on them) suppressed as NaN
    and numbers as floats, for ``ch.table(..., formats={'_suppressed': [...]})`` (shown *)."""
    from sna.disclosure import suppress

    d = suppress(frame, count_cols, min_count, dependent=dependent).drop(columns="suppressed")
    for col in d.columns:
        if pd.api.types.is_numeric_dtype(d[col]) and not pd.api.types.is_bool_dtype(d[col]):
            d[col] = d[col].astype(float)
    return d


def reconciliation_display(recon: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The reconciliation for display: small counts suppressed, plain column names."""
    d = shown(recon, ["ward_count", "unallocated", "borough_count"], min_count)
    return pd.DataFrame({"Indicator": d["indicator_label"],
                         "Offences in wards": d["ward_count"].astype(float),
                         "Offences not placed in a ward": d["unallocated"].astype(float),
                         "Borough offences": d["borough_count"].astype(float),
                         "Difference": d["difference"].astype(float)})


RECON_FORMATS = {"Offences in wards": ",.0f", "Offences not placed in a ward": ",.0f",
                 "Borough offences": ",.0f", "Difference": ",.0f",
                 "_suppressed": ["Offences in wards", "Offences not placed in a ward",
                                 "Borough offences"]}


def ward_display(safe: pd.DataFrame, indicator: str = "serious_violence") -> pd.DataFrame:
    """Board-friendly ward ranking for one indicator, built from the disclosure-safe table."""
    d = safe[safe["indicator"] == indicator]
    d = d.sort_values("eb_rate_per_1000", ascending=False, na_position="last")
    total = pd.to_numeric(d["count"], errors="coerce").sum()
    ci = [f"{num(lo)}–{num(hi)}" if np.isfinite(lo) else "*"
          for lo, hi in zip(d["lower95"].astype(float), d["upper95"].astype(float), strict=True)]
    return pd.DataFrame({
        "Ward": d["ward_name"], "Offences": d["count"].astype(float),
        "Residents": d["population"].astype(float).round(),
        "Rate per 1,000": d["rate_per_1000"].astype(float).round(1), "95% CI": ci,
        "Smoothed rate": d["eb_rate_per_1000"].astype(float).round(1),
        "Share of borough (%)": (d["count"].astype(float) / total * 100).round(1),
        "A year earlier": d["previous_count"].astype(float)})


DISPLAY_FORMATS = {"Offences": ",.0f", "Residents": ",.0f", "A year earlier": ",.0f",
                   "Rate per 1,000": ".1f", "Smoothed rate": ".1f",
                   "Share of borough (%)": ".1f",
                   "_suppressed": ["Offences", "A year earlier", "Rate per 1,000",
                                   "Smoothed rate", "Share of borough (%)"]}


# --- maps --------------------------------------------------------------------------------


def _small(counts: pd.Series, min_count: int) -> pd.Series:
    c = pd.to_numeric(counts, errors="coerce")
    return (c > 0) & (c < min_count)


def _joined(wd: WardData, table: pd.DataFrame, indicator: str):
    d = table[table["indicator"] == indicator].drop(columns="ward_name")
    return wd.wards.merge(d, on="ward_code", how="left")


def rate_map(wd: WardData, table: pd.DataFrame, indicator: str, period: str, min_count: int):
    """Choropleth of the smoothed rate of one indicator (wards with 1-4 offences grey)."""
    g = _joined(wd, table, indicator)
    g["value"] = g["eb_rate_per_1000"].mask(_small(g["count"], min_count))
    return plots.choropleth(
        g, "value", f"{label(indicator)}: smoothed rate per 1,000 residents, "
        f"{window_text(period)}", legend_title="Offences per 1,000\nresidents (smoothed)",
        missing_label=f"Fewer than {min_count} offences\n(suppressed)")


def relative_maps(wd: WardData, table: pd.DataFrame, indicators, period: str, min_count: int):
    """Small multiples of each indicator's smoothed rate relative to the borough rate."""
    g = wd.wards[["ward_code", "ward_name", "geometry"]].copy()
    panels = {}
    for ind in [i for i in indicators if i in set(table["indicator"])]:
        d = table[table["indicator"] == ind].set_index("ward_code")
        borough = d["count"].sum() / d["population"].sum() * 1000
        rel = (d["eb_rate_per_1000"] / borough).mask(_small(d["count"], min_count))
        g[ind] = g["ward_code"].map(rel)
        panels[ind] = label(ind)
    return plots.small_multiples(
        g, panels, suptitle=f"Smoothed rate relative to the borough rate, {window_text(period)}",
        legend_title="Times the borough rate (1 = borough average)", scheme="Quantiles",
        missing_label=f"Fewer than {min_count} offences (suppressed)")


def change_map(wd: WardData, table: pd.DataFrame, indicator: str, period: str,
               min_count: int):
    """Map of the change in offences against the same 12 months a year earlier."""
    g = _joined(wd, table, indicator)
    g["value"] = g["change"].mask(_small(g["count"], min_count)
                                  | _small(g["previous_count"], min_count))
    return plots.change_map(
        g, "value", f"{label(indicator)}: change in offences, {window_text(period)} against "
        "the year before", legend_title="Change in offences")


# --- hot spots -----------------------------------------------------------------------------


def hotspot_windows(wd: WardData, period: str, n: int = 3) -> dict[str, pd.DataFrame]:
    """Ward tables of the last ``n`` 12-month windows (ending at ``period``, a year earlier,
    ...), keyed by end month; windows entirely outside the data are left out."""
    keys = ("ward_code", "ward_name", "indicator")
    out = {}
    for k in range(n):
        end = periods.add_months(period, -12 * k)
        counts, missing = window_counts(wd.monthly, end, keys)
        if len(missing) == 12:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = spatial.ward_indicator_table(counts, wd.population[["ward_code", "population"]])
        out[end] = t.assign(months_in_window=12 - len(missing))
    return out


def _gi(polygons, table: pd.DataFrame, indicator: str, key: str = "ward_code",
        permutations: int = PERMUTATIONS, seed: int = SEED):
    d = table.loc[table["indicator"] == indicator, [key, "eb_rate_per_1000"]]
    g = polygons.merge(d, on=key).dropna(subset=["eb_rate_per_1000"]).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spatial.gi_star_hotspots(g, "eb_rate_per_1000", permutations=permutations,
                                        seed=seed)


def ward_hotspots(wd: WardData, windows: dict[str, pd.DataFrame],
                  indicators=HOTSPOT_INDICATORS, permutations: int = PERMUTATIONS,
                  seed: int = SEED) -> pd.DataFrame:
    """Gi* hot/cold spots per indicator and their persistence (``tables/ward_hotspots.csv``).

    Gi* runs on the smoothed rates of each window; indicators with fewer than
    :data:`MIN_EVENTS_GI` events in the latest window are skipped (too few to show a pattern).

    Returns
    -------
    DataFrame
        ``ward_code, ward_name, indicator, gi_z, gi_q, hotspot_class, windows_hot,
        persistent`` (hot in every window compared), then ``indicator_label, gi_p``
        (uncorrected two-sided permutation p), ``windows_compared`` and ``class_<end month>``.
    """
    labels = list(windows)
    first = windows[labels[0]]
    parts = []
    for ind in [i for i in indicators
                if first.loc[first["indicator"] == i, "count"].sum() >= MIN_EVENTS_GI]:
        gis = {lab: _gi(wd.wards, t, ind, permutations=permutations, seed=seed)
               for lab, t in windows.items()}
        pers = spatial.hotspot_persistence(gis).drop(columns="ward_name")
        cur = gis[labels[0]][["ward_code", "ward_name", "gi_z", "gi_q", "hotspot_class", "gi_p"]]
        parts.append(cur.merge(pers, on="ward_code").assign(
            indicator=ind, indicator_label=label(ind), windows_compared=len(gis)))
    if not parts:
        return pd.DataFrame(columns=["ward_code", "ward_name", "indicator", "gi_z", "gi_q",
                                     "hotspot_class", "windows_hot", "persistent"])
    out = pd.concat(parts, ignore_index=True)
    lead = ["ward_code", "ward_name", "indicator", "gi_z", "gi_q", "hotspot_class",
            "windows_hot", "persistent", "indicator_label", "gi_p", "windows_compared"]
    return out[lead + [c for c in out.columns if c not in lead]]


def _names(frame: pd.DataFrame, mask: pd.Series, col: str = "ward_name") -> str:
    return ", ".join(frame.loc[mask, col].astype(str)) or "none"


def hotspot_overview(hot: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator: hot and cold spots after FDR, persistent hot spots, and the
    ward with the highest Gi* z-score with its uncorrected p-value."""
    rows = []
    for ind, d in hot.groupby("indicator", sort=False):
        top = d.sort_values("gi_z", ascending=False).iloc[0]
        rows.append({"Indicator": label(ind),
                     "Hot spots (FDR 5%)": _names(d, d["hotspot_class"].str.startswith("Hot")),
                     "Cold spots (FDR 5%)": _names(d, d["hotspot_class"].str.startswith("Cold")),
                     "Hot in every window": _names(d, d["persistent"].astype(bool)),
                     "Highest Gi* z (ward)": f"{top['ward_name']} (z = {top['gi_z']:.2f}, "
                                             f"uncorrected p = {top['gi_p']:.3f})"})
    return pd.DataFrame(rows)


def hotspot_map(wd: WardData, hot: pd.DataFrame, indicator: str = "serious_violence"):
    """Map of one indicator's Gi* result (latest window): the hot/cold classes when any ward
    is significant after FDR, else the Gi* z-scores (strength of clustering, none significant).
    """
    g = wd.wards.merge(hot.loc[hot["indicator"] == indicator,
                               ["ward_code", "hotspot_class", "gi_z", "gi_p"]],
                       on="ward_code", how="left")
    g["hotspot_class"] = g["hotspot_class"].fillna(spatial.NOT_SIGNIFICANT)
    if (g["hotspot_class"] != spatial.NOT_SIGNIFICANT).any():
        return plots.hotspot_map(g, f"{label(indicator)}: hot spots (Gi*, FDR 5%)")
    fig, _ = plots.change_map(g, "gi_z", f"{label(indicator)}: clustering of high (red) and "
                              "low (blue) rates, Gi* z-score", legend_title="Gi* z-score")
    s = g.set_index("ward_name")["gi_z"].dropna().sort_values()
    alt = (f"Map of {len(g)} wards: Getis-Ord Gi* z-scores of the smoothed "
           f"{label(indicator).lower()} rate; red where a ward and its neighbours have high "
           f"rates, blue where they have low rates. No ward is significant after the false "
           f"discovery rate correction. Highest: {s.index[-1]} (z = {s.iloc[-1]:.2f}); "
           f"lowest: {s.index[0]} (z = {s.iloc[0]:.2f}).")
    return fig, alt


# --- concentration -------------------------------------------------------------------------


def concentration_table(table: pd.DataFrame, lsoa: pd.DataFrame | None = None,
                        share: float = 0.10) -> pd.DataFrame:
    """Share of each indicator's offences in the top ``share`` of wards (and LSOAs).

    Returns
    -------
    DataFrame
        ``level, indicator, indicator_label, areas, top_n_areas, top_count, total, top_share_pct,
        population_share_pct`` (residents of the top areas as % of all), ``top_areas``.
        Indicators with fewer than :data:`MIN_EVENTS_GI` offences are left out.
    """
    rows = []
    for level, frame, name in (("ward", table, "ward_name"), ("lsoa", lsoa, "place")):
        if frame is None or frame.empty:
            continue
        for ind in _order(frame["indicator"]):
            d = frame[frame["indicator"] == ind]
            d = d.set_index(name)
            if d["count"].sum() < MIN_EVENTS_GI:
                continue
            c = spatial.concentration(d["count"], share)
            pop = d["population"].astype(float)
            rows.append({"level": level, "indicator": ind, "indicator_label": label(ind),
                         "areas": c["n_areas"], "top_n_areas": c["top_n"],
                         "top_count": int(c["top_count"]), "total": int(c["total"]),
                         "top_share_pct": round(100 * c["top_share_of_total"], 1),
                         "population_share_pct": round(100 * pop[c["areas"]].sum()
                                                       / pop.sum(), 1),
                         "top_areas": "; ".join(c["areas"])})
    return pd.DataFrame(rows)


def concentration_display(safe: pd.DataFrame) -> pd.DataFrame:
    """The published concentration table with plain column names (floats; NaN = suppressed)."""
    return pd.DataFrame({
        "Level": safe["level"].map({"ward": "Ward", "lsoa": "LSOA"}),
        "Offence": safe["indicator_label"], "Areas": safe["areas"].astype(float),
        "Top 10% (areas)": safe["top_n_areas"].astype(float),
        "Offences in top 10%": safe["top_count"].astype(float),
        "Offences (all)": safe["total"].astype(float),
        "Share in top 10% (%)": safe["top_share_pct"].astype(float),
        "Residents in top 10% (%)": safe["population_share_pct"].astype(float)})


CONCENTRATION_FORMATS = {"Areas": ",.0f", "Top 10% (areas)": ",.0f",
                         "Offences in top 10%": ",.0f", "Offences (all)": ",.0f",
                         "Share in top 10% (%)": ".1f", "Residents in top 10% (%)": ".1f",
                         "_suppressed": ["Offences in top 10%", "Offences (all)",
                                         "Share in top 10% (%)"]}
CONCENTRATION_SUPPRESS = {"count_cols": ["top_count", "total"],
                          "dependent": {"top_count": ["top_share_pct"],
                                        "total": ["top_share_pct"]}}


# --- LSOA level ----------------------------------------------------------------------------


@dataclass
class LsoaData:
    """LSOA-level counts, rates and (with polygons) hot spots for the LSOA window."""

    table: pd.DataFrame  # lsoa_code, lsoa_name, ward_code, ward_name, place, indicator, ...
    end: str
    missing: list[str]
    polygons: Any | None


def lsoa_monthly(rows: pd.DataFrame, months: list[str]) -> pd.DataFrame:
    """Monthly LSOA counts per indicator plus :data:`LSOA_SV` (sum of its published parts)."""
    m = indicator_monthly(rows, by=("area_code", "area_name"), months=months)
    m = m.rename(columns={"area_code": "lsoa_code", "area_name": "lsoa_name"})
    sv = m[m["indicator"].isin(LSOA_SV_PARTS)].groupby(
        ["lsoa_code", "lsoa_name", "month"], as_index=False)["count"].sum()
    return pd.concat([m, sv.assign(indicator=LSOA_SV)], ignore_index=True)


def lsoa_table(counts: pd.DataFrame, population: pd.DataFrame,
               lookup: pd.DataFrame) -> pd.DataFrame:
    """LSOA x indicator counts, rates, 95% CIs, smoothed rates and ranks, with the ward."""
    c = counts.rename(columns={"lsoa_code": "ward_code", "lsoa_name": "ward_name"})
    p = population.loc[population["lsoa_code"].isin(set(counts["lsoa_code"])),
                       ["lsoa_code", "population"]].rename(columns={"lsoa_code": "ward_code"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = spatial.ward_indicator_table(c, p, "12m")
    t = t.rename(columns={"ward_code": "lsoa_code", "ward_name": "lsoa_name"})
    lk = lookup.drop_duplicates("lsoa_code").set_index("lsoa_code")
    t.insert(2, "ward_code", t["lsoa_code"].map(lk["ward_code"]))
    t.insert(3, "ward_name", t["lsoa_code"].map(lk["ward_name"]))
    t.insert(4, "place", t["lsoa_name"] + " (" + t["ward_name"].fillna("ward unknown") + ")")
    t["indicator_label"] = t["indicator"].map(label)
    return t


def load_lsoa_data(ch, wd: WardData, period: str) -> LsoaData | None:
    """LSOA counts for the 12 months to ``period`` or, when the LSOA file ends earlier, to
    its last complete month; ``None`` when ``mps_lsoa`` is not supplied or does not reach."""
    if not ch.has("mps_lsoa"):
        return None
    loaded = ch.load("mps_lsoa")
    months = [m for m in loaded.meta["months"] if m <= period]
    if not months or not ch.has("lookups"):
        return None
    lookup = area_lookup(ch.load("lookups").frame, wd.wards["ward_code"])
    rows = area_rows(loaded.frame, ch.cfg.area.name, lookup["lsoa_code"])
    counts, missing = window_counts(lsoa_monthly(rows, loaded.meta["months"]), months[-1],
                                    ("lsoa_code", "lsoa_name", "indicator"))
    table = lsoa_table(counts, lsoa_population(ch.load("population").frame), lookup)
    polygons = ch.load("lsoa").frame if ch.has("lsoa") else None
    if polygons is not None:
        polygons = polygons[polygons["lsoa_code"].isin(set(table["lsoa_code"]))]
        gi = _gi(polygons[["lsoa_code", "geometry"]], table, LSOA_SV, key="lsoa_code")
        table = table.merge(gi[["lsoa_code", "gi_z", "gi_p", "gi_q", "hotspot_class"]].assign(
            indicator=LSOA_SV), on=["lsoa_code", "indicator"], how="left")
    table["window"] = "12m"
    table["period_start"] = periods.window_months(months[-1], 12)[0]
    table["period_end"] = months[-1]
    return LsoaData(table, months[-1], missing, polygons)


LSOA_SUPPRESS = {"count_cols": ["count"],
                 "dependent": {"count": ["rate_per_1000", "lower95", "upper95",
                                         "eb_rate_per_1000"]},
                 "group_cols": ["indicator"]}


def lsoa_map(ld: LsoaData, wd: WardData, min_count: int, kind: str = "rate"):
    """LSOA map of :data:`LSOA_SV`: smoothed rates (``kind='rate'``) or Gi* classes
    (``'hotspot'``), with ward boundaries and names on top."""
    d = ld.table[ld.table["indicator"] == LSOA_SV].drop(columns=["lsoa_name"])
    g = ld.polygons.merge(d, on="lsoa_code", how="left")
    what = f"{label(LSOA_SV).lower()}, {window_text(ld.end)}"
    if kind == "hotspot":
        g["hotspot_class"] = g["hotspot_class"].fillna(spatial.NOT_SIGNIFICANT)
        if (g["hotspot_class"] != spatial.NOT_SIGNIFICANT).any():
            fig, _ = plots.hotspot_map(g, f"Hot spots by LSOA: {what} (Gi*, FDR 5%)",
                                       label_col=None, area_noun="LSOAs")
        else:
            fig, _ = plots.change_map(g, "gi_z", f"Clustering by LSOA: {what} (Gi* z-score)",
                                      legend_title="Gi* z-score", label_col=None)
        top = g.sort_values("gi_z", ascending=False).head(3)
        alt = (f"Map of {len(g)} LSOAs: Getis-Ord Gi* result for {what}; red where an LSOA and "
               "its neighbours have high rates, blue where low. Significant hot spots after "
               f"the false discovery rate correction: "
               f"{_names(g, g['hotspot_class'].str.startswith('Hot'), 'place')}. Highest "
               f"z-scores: " + ", ".join(f"{r.place} ({r.gi_z:.1f})" for r in top.itertuples())
               + ".")
    else:
        g["value"] = g["eb_rate_per_1000"].mask(_small(g["count"], min_count))
        fig, alt = plots.choropleth(g, "value", f"Rate by LSOA: {what}", label_col=None,
                                    legend_title="Offences per 1,000\nresidents (smoothed)",
                                    area_noun="LSOAs", missing_label=f"Fewer than {min_count} "
                                    "offences\n(suppressed)")
    plots.add_outlines(fig, wd.wards, label_col="ward_name")
    return fig, alt + " Ward boundaries and names are drawn on top."


# --- CCTV and police.uk --------------------------------------------------------------------

CCTV_VIOLENCE = ("violent crime", "offensive weapon", "robbery", "sexual offence", "murder",
                 "public disorder")
POLICE_UK_VIOLENCE = ("Violence and sexual offences", "Robbery", "Possession of weapons")


def _norm_name(name: object) -> str:
    text = str(name).lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def match_wards(names, wards: pd.DataFrame) -> pd.DataFrame:
    """Map ward names as written in a partner file to official ward codes.

    Exact match after normalising case, ``&``/``and`` and punctuation; otherwise an
    *approximate* match when exactly one official ward not matched exactly shares the first
    word (``'Totteridge & Whetstone'`` -> ``Totteridge & Woodside``); otherwise not matched.

    Returns
    -------
    DataFrame
        ``name_in_source, ward_code, ward_name, match`` ('exact' | 'approximate' |
        'not matched').
    """
    official = {_norm_name(n): (c, n) for c, n in zip(wards["ward_code"], wards["ward_name"],
                                                      strict=True)}
    names = list(dict.fromkeys(names))
    exact = {n: official[_norm_name(n)] for n in names if _norm_name(n) in official}
    free = {k: v for k, v in official.items() if v not in exact.values()}
    rows = []
    for n in names:
        first = (_norm_name(n).split() or [""])[0]
        cands = [v for k, v in free.items() if k.split()[0] == first]
        hit, how = ((exact[n], "exact") if n in exact else (cands[0], "approximate")
                    if len(cands) == 1 else ((None, None), "not matched"))
        rows.append({"name_in_source": n, "ward_code": hit[0], "ward_name": hit[1],
                     "match": how})
    return pd.DataFrame(rows)


def cctv_tables(cctv: pd.DataFrame, wards: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CCTV incidents by ward: the long table (``tables/cctv_by_ward.csv``) and per-ward totals.

    Returns
    -------
    long : DataFrame
        ``ward_code, ward_name, name_in_source, match, incident_type, violence_related,
        count, period_start, period_end``.
    by_ward : DataFrame
        ``ward_code, ward_name, incidents, violence_related`` (every official ward, 0 where none;
        unmatched names as extra rows without a code).
    """
    m = match_wards(cctv["ward"], wards)
    long = cctv.merge(m, left_on="ward", right_on="name_in_source").drop(columns="ward")
    long["violence_related"] = long["incident_type"].str.lower().isin(CCTV_VIOLENCE)
    long = long[["ward_code", "ward_name", "name_in_source", "match", "incident_type",
                 "violence_related", "count", "period_start", "period_end"]]
    key = long["ward_name"].fillna(long["name_in_source"])
    agg = long.assign(key=key, vio=long["count"].where(long["violence_related"], 0)).groupby(
        "key", as_index=False).agg(ward_code=("ward_code", "first"), incidents=("count", "sum"),
                                   violence_related=("vio", "sum"))
    base = wards[["ward_code", "ward_name"]].merge(
        agg.drop(columns="ward_code"), left_on="ward_name", right_on="key", how="outer")
    base["ward_name"] = base["ward_name"].fillna(base["key"])
    base = base.drop(columns="key").fillna({"incidents": 0, "violence_related": 0})
    return long, base.astype({"incidents": int, "violence_related": int})


def cctv_sentence(long: pd.DataFrame, min_count: int) -> str:
    """What the CCTV file covers and which ward names did or did not match."""
    total = int(long["count"].sum())
    start, end = long["period_start"].min(), long["period_end"].max()
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    parts = [f"The CCTV control room recorded **{num(total, 0)} incidents** between "
             f"{start.day} {start:%B %Y} and {end.day} {end:%B %Y}."]
    m = long.groupby(["name_in_source", "match"], as_index=False).agg(
        ward_name=("ward_name", "first"), count=("count", "sum"))
    for _, r in m[m["match"] == "approximate"].iterrows():
        parts.append(f"The control room's ward name '{md_esc(r['name_in_source'])}' is not an "
                     f"official 2022 ward; it was matched to **{md_esc(r['ward_name'])}** (the "
                     "only ward sharing its first word) - please confirm with the control room.")
    lost = m[m["match"] == "not matched"]
    if len(lost):
        n = int(lost["count"].sum())
        names = ", ".join(f"'{md_esc(x)}'" for x in lost["name_in_source"])
        parts.append(f"{'One name' if len(lost) == 1 else f'{len(lost)} names'} could not be "
                     f"matched to a ward and {'is' if len(lost) == 1 else 'are'} shown "
                     f"separately: {names}"
                     f" ({_count_text(n, min_count)} incidents, "
                     f"{n / total * 100 if total else 0:.0f}% of the total).")
    return " ".join(parts)


def _count_text(n: float, min_count: int) -> str:
    return f"fewer than {min_count}" if 0 < n < min_count else num(n, 0)


def cctv_map(wd: WardData, by_ward: pd.DataFrame, min_count: int):
    """Choropleth of CCTV incidents per ward (1-4 suppressed)."""
    g = wd.wards.merge(by_ward[["ward_code", "incidents"]], on="ward_code", how="left")
    g["value"] = g["incidents"].astype(float).mask(_small(g["incidents"], min_count))
    return plots.choropleth(g, "value", "CCTV incidents by ward", legend_title="Incidents",
                            missing_label=f"Fewer than {min_count}\n(suppressed)")


def police_uk_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Crime types present in the police.uk street-level records of the area."""
    return (frame.groupby("crime_type", as_index=False)
            .agg(records=("crime_id", "size"), first_month=("month", "min"),
                 last_month=("month", "max"))
            .sort_values("records", ascending=False, ignore_index=True))


def police_uk_map(frame: pd.DataFrame, wd: WardData, lsoa_polygons, min_count: int):
    """Map of police.uk records (violence types if present, else every type present) by LSOA
    when most LSOAs have at least ``min_count`` records, else by ward (point in polygon).

    Returns ``(fig, alt, level, types)``.
    """
    from sna.io.police_uk import assign_to_wards

    types = [t for t in POLICE_UK_VIOLENCE if t in set(frame["crime_type"])]
    d = frame[frame["crime_type"].isin(types)] if types else frame
    types = types or sorted(frame["crime_type"].unique())
    by_lsoa = d.groupby("lsoa_code").size()
    if lsoa_polygons is not None and by_lsoa.reindex(lsoa_polygons["lsoa_code"]).fillna(
            0).median() >= min_count:
        g, level, lab, noun = lsoa_polygons.copy(), "LSOA", None, "LSOAs"
        g["value"] = g["lsoa_code"].map(by_lsoa).fillna(0)
    else:
        g, level, lab, noun = wd.wards.copy(), "ward", "ward_name", "wards"
        g["value"] = g["ward_code"].map(assign_to_wards(d, wd.wards).groupby("ward_code")
                                        .size()).fillna(0)
    g["value"] = g["value"].mask(_small(g["value"], min_count))
    title = f"police.uk records by {level}: {', '.join(types)}"
    fig, alt = plots.choropleth(g, "value", title, label_col=lab, legend_title="Records",
                                area_noun=noun, missing_label=f"Fewer than {min_count}\n"
                                "(suppressed)")
    return fig, alt, level, types


# --- sentences -----------------------------------------------------------------------------


def boundary_sentence(area: str, n_wards: int, first_month: str) -> str:
    """The May 2022 ward boundary change and why the ward series are comparable."""
    before = PRE_2022_WARDS.get(area)
    change = (f"{md_esc(area)} went from {before} to {n_wards} wards" if before
              else f"{md_esc(area)} now has {n_wards} wards")
    return (f"London's ward boundaries changed at the May 2022 local elections: {change}. "
            "This chapter uses the 2022 wards throughout. The Metropolitan Police publishes "
            "its historical ward file re-based to the 2022 wards (back to "
            f"{periods.month_label(first_month)}), so earlier windows are on the same "
            "boundaries; figures for the old wards in older reports are not comparable.")


def main_indicator(table: pd.DataFrame) -> str:
    """``serious_violence`` when the table has it, else its first indicator."""
    inds = list(dict.fromkeys(table["indicator"]))
    return "serious_violence" if "serious_violence" in inds else inds[0]


def _ranked(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    d = table[table["indicator"] == indicator]
    return d.sort_values("eb_rate_per_1000", ascending=False, ignore_index=True)


def borough_rate(table: pd.DataFrame, indicator: str) -> float:
    """Offences per 1,000 residents of all the area's wards together."""
    d = table[table["indicator"] == indicator]
    return float(d["count"].sum() / d["population"].sum() * 1000)


def ward_summary(table: pd.DataFrame, recon: pd.DataFrame, min_count: int) -> str:
    """Sentences on the ward distribution of the main indicator and the reconciliation."""
    ind = main_indicator(table)
    d = _ranked(table, ind)
    rate, top, low = borough_rate(table, ind), d.head(3), d.iloc[-1]
    names = ", ".join(f"**{md_esc(r.ward_name)}** ({num(r.eb_rate_per_1000)})"
                      for r in top.itertuples())
    ratio = top["eb_rate_per_1000"].iloc[0] / low["eb_rate_per_1000"]
    unalloc = int(recon["unallocated"].sum())
    return (f"In {window_text(d['period_end'].iloc[0])} there were "
            f"**{num(d['count'].sum(), 0)}** {label(ind).lower()} offences in the "
            f"{len(d)} wards, **{num(rate)} per 1,000 residents**. The highest smoothed rates "
            f"per 1,000 residents are in {names}; the lowest is {md_esc(low.ward_name)} "
            f"({num(low.eb_rate_per_1000)}), so the highest-rate ward's rate is "
            f"{num(ratio)} times the lowest. For every indicator the ward counts add up "
            "exactly to the borough total in the same police ward file ("
            + ("no record lacks a ward" if unalloc == 0 else
               f"{_count_text(unalloc, min_count)} records could not be placed in a ward")
            + "). Counts from 1 to "
            f"{min_count - 1} are suppressed in the tables (shown as *), with the rates "
            "worked out from them.")


def change_summary(table: pd.DataFrame, min_count: int) -> str:
    """The wards where the main indicator rose and fell most against a year earlier."""
    ind = main_indicator(table)
    d = table[(table["indicator"] == ind) & (table["count"] >= min_count)
              & (table["previous_count"] >= min_count)].sort_values("change")
    if d.empty:
        return "Ward counts are too small to describe changes against a year earlier."
    sig = d[d["change_significant"].fillna(False).astype(bool)]
    up, down = d.iloc[-1], d.iloc[0]
    sig_text = (", ".join(f"{md_esc(r.ward_name)} ({'up' if r.change > 0 else 'down'})"
                          for r in sig.itertuples()) or "none")
    return (f"Against the same 12 months a year earlier, {label(ind).lower()} rose most in "
            f"**{md_esc(up.ward_name)}** ({_move(up)}) and fell most in "
            f"**{md_esc(down.ward_name)}** ({_move(down)}). Changes that are statistically "
            f"significant (Poisson test, 5%): {sig_text}.")


def _move(r) -> str:
    return f"{num(r.previous_count, 0)} to {num(r['count'], 0)}, {r.change_pct:+.1f}%"


def hotspot_text(hot: pd.DataFrame, table: pd.DataFrame) -> tuple[str, str, dict]:
    """Markdown, the finding sentence and its evidence for the Gi* results.

    When no ward is significant after FDR the text says so plainly and names the
    highest-rate wards (smoothed rates) and the strongest uncorrected cluster instead.
    """
    ind = main_indicator(table)
    h = hot[hot["indicator"] == ind]
    top = _ranked(table, ind).head(3)
    high = ", ".join(f"{r.ward_name} ({num(r.eb_rate_per_1000)} per 1,000)"
                     for r in top.itertuples())
    evidence = {"indicator": ind, "highest_rate_wards": list(top["ward_name"]),
                "borough_rate_per_1000": round(borough_rate(table, ind), 2)}
    if h.empty:
        return ("Too few offences to test for hot spots.", f"No hot-spot test was possible; "
                f"the highest-rate wards are {high}.", evidence)
    hotw = h[h["hotspot_class"].str.startswith("Hot")]
    pers = h[h["persistent"].astype(bool)]
    best = h.sort_values("gi_z", ascending=False).iloc[0]
    evidence.update(hot_spots=list(hotw["ward_name"]), persistent=list(pers["ward_name"]),
                    strongest_cluster=best["ward_name"], gi_z=round(float(best["gi_z"]), 2),
                    uncorrected_p=round(float(best["gi_p"]), 4), wards_tested=len(h))
    if hotw.empty:
        finding = (f"No ward is a statistically significant hot spot of {label(ind).lower()} "
                   "after correcting for multiple testing; the highest-rate wards are "
                   f"{high}.")
        detail = (f"The strongest clustering of high rates is around **{md_esc(best['ward_name'])}**"
                  f" (Gi* z = {best['gi_z']:.2f}, uncorrected p = {best['gi_p']:.3f}), which does "
                  f"not survive the correction for testing {len(h)} wards at once.")
    else:
        finding = (f"{_join(hotw['ward_name'])} {'is a' if len(hotw) == 1 else 'are'} "
                   f"statistically significant hot spot{'s' * (len(hotw) > 1)} of "
                   f"{label(ind).lower()} (Gi*, false discovery rate 5%)"
                   + (f"; {_join(pers['ward_name'])} in all of the last "
                      f"{int(h['windows_compared'].iloc[0])} years." if len(pers) else "."))
        detail = f"The highest-rate wards are {md_esc(high)}."
    return f"{md_esc(finding)} {detail}", finding, evidence


def _join(names) -> str:
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lsoa_text(ld: LsoaData, min_count: int) -> tuple[str, dict]:
    """Markdown on the LSOA pattern (rates, Gi* classes) and its evidence."""
    d = ld.table[ld.table["indicator"] == LSOA_SV]
    top = d.sort_values("eb_rate_per_1000", ascending=False).head(3)
    text = (f"At the finer level of {len(d)} LSOAs (neighbourhoods of about 1,500 residents), "
            f"the highest smoothed rates of {label(LSOA_SV).lower()} in "
            f"{window_text(ld.end)} are in "
            + ", ".join(f"{md_esc(r.lsoa_name)} in {md_esc(r.ward_name)} "
                        f"({num(r.eb_rate_per_1000)} per 1,000)" for r in top.itertuples())
            + ".")
    ev = {"top_lsoas": list(top["place"])}
    if "hotspot_class" in d:
        hotl = d[d["hotspot_class"].astype(str).str.startswith("Hot")]
        nominal = d[(d["gi_p"] <= 0.05) & (d["gi_z"] > 0)]
        wards = nominal["ward_name"].value_counts()
        hot_names = "; ".join(md_esc(x) for x in hotl["place"])
        text += ((f" {len(hotl)} LSOA{'s are' if len(hotl) > 1 else ' is a'} statistically "
                  f"significant hot spot{'s' * (len(hotl) > 1)} after the correction for "
                  f"testing {len(d)} areas: {hot_names}." if len(hotl) else
                  f" No LSOA is a statistically significant hot spot after the correction for "
                  f"testing {len(d)} areas.") + " Before that correction, "
                 f"{len(nominal)} LSOAs show clustering of high rates (p < 0.05)"
                 + (f", most of them in {md_esc(wards.index[0])} ({wards.iloc[0]})"
                    if len(wards) else "") + ".")
        ev.update(lsoa_hot_spots=list(hotl["place"]), lsoa_uncorrected=len(nominal))
    if ld.missing:
        text += f" Months missing from the LSOA file: {', '.join(ld.missing)}."
    return text, ev


def concentration_text(conc: pd.DataFrame, indicator: str) -> str:
    """How concentrated the main indicator is in the top 10% of wards and of LSOAs."""
    parts = []
    for r in conc[conc["indicator"].isin([indicator, LSOA_SV])].itertuples():
        noun = "wards" if r.level == "ward" else "LSOAs"
        parts.append(f"the top {r.top_n_areas} {noun} (10%) hold **{num(r.top_share_pct)}%** of "
                     f"{r.indicator_label.lower()} but {num(r.population_share_pct)}% of "
                     "residents")
    return ("Concentration: " + "; ".join(parts) + ".") if parts else ""


def police_uk_sentence(types: pd.DataFrame) -> str:
    """What the police.uk files contain, and what they cannot show when violence is absent."""
    total = int(types["records"].sum())
    months = f"{types['first_month'].min()} to {types['last_month'].max()}"
    kinds = ", ".join(f"'{md_esc(t)}'" for t in types["crime_type"])
    violent = types[types["crime_type"].isin(POLICE_UK_VIOLENCE)]
    text = (f"The police.uk street-level files supplied hold **{num(total, 0)} records** in "
            f"the area ({months}), of these crime types: {kinds}.")
    if violent.empty:
        text += (" **None of them is a violent crime type**, so they add nothing on serious "
                 "violence: supply the complete monthly street-level files (all crime types) "
                 "to map 'Violence and sexual offences', 'Robbery' and 'Possession of "
                 "weapons' by street. The map below shows what the files hold.")
    return text


def headline(table: pd.DataFrame, hot: pd.DataFrame, conc: pd.DataFrame) -> str:
    """The chapter's one-line headline finding."""
    ind = main_indicator(table)
    top = _ranked(table, ind).head(3)
    h = hot[hot["indicator"] == ind] if len(hot) else hot
    hotw = h[h["hotspot_class"].str.startswith("Hot")] if len(h) else h
    c = conc[(conc["indicator"] == ind) & (conc["level"] == "ward")]
    spots = (f"{_join(hotw['ward_name'])} {'is a' if len(hotw) == 1 else 'are'} statistically "
             "significant hot spot" + "s" * (len(hotw) > 1) if len(hotw)
             else "no ward is a statistically significant hot spot")
    share = (f"; the top 10% of wards hold {num(c['top_share_pct'].iloc[0])}% of offences and "
             f"{num(c['population_share_pct'].iloc[0])}% of residents" if len(c) else "")
    r = top.iloc[0]
    return (f"{label(ind)} is highest in {r.ward_name} ({num(r.eb_rate_per_1000)} per 1,000 "
            f"residents, smoothed), then {_join(top['ward_name'].iloc[1:])}; {spots}{share}.")
