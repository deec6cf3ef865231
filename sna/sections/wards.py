"""Chapter 03 (spatial distribution and hot spots): ward data, the ward table, ward maps and
the ward sentences.

The chapter is in three modules: this one (shared by chapter 04), :mod:`~sna.sections.hotspots`
(Gi* hot spots, persistence, concentration, the headline) and :mod:`~sna.sections.lsoa_maps`
(LSOA level, CCTV, police.uk).

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
  rates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sna import maps, periods, spatial
from sna.definitions import indicator_ids, indicator_label
from sna.metrics import change_pct
from sna.periods import window_text  # also sna.sections.wards.window_text, as chapters call it
from sna.safe import md_esc
from sna.sections.ward_change import change_columns
from sna.sections.ward_data import WardData, load_ward_data, window_counts  # noqa: F401 - wards.load_ward_data in notebooks

MAP_INDICATORS = ("violence_with_injury", "personal_robbery", "possession_of_weapons",
                  "other_sexual_offences")
LSOA_SV = "serious_violence_excl_sexual"
PRE_2022_WARDS = {"Barnet": 21}  # wards before the May 2022 London boundary changes



def label(indicator: str) -> str:
    """Plain-English label of an indicator id (LSOA composite included)."""
    if indicator == LSOA_SV:
        return "Serious violence excluding sexual offences"
    return indicator_label(indicator)


def indicator_order(indicators) -> list[str]:
    ids = [*indicator_ids(), LSOA_SV]
    return sorted(set(indicators), key=lambda i: ids.index(i) if i in ids else len(ids))


def num(value: float, dp: int = 1) -> str:
    """``1234.5 -> '1,234.5'`` (``dp`` decimals; 0 gives a whole number)."""
    return "no data" if value is None or not np.isfinite(value) else f"{value:,.{dp}f}"


def ward_table(wd: WardData, period: str) -> pd.DataFrame:
    """Ward x indicator table for the 12 months to ``period`` (``tables/ward_indicators.csv``).

    Returns
    -------
    DataFrame
        Contract columns ``ward_code, ward_name, indicator, window, count, population,
        rate_per_1000, lower95, upper95``, then ``eb_rate_per_1000``, ``rank`` (1 = highest
        rate), ``indicator_label, period_start, period_end, months_in_window,
        previous_count`` (same months a year earlier), ``change``, ``change_pct``, and the
        change test of :func:`change_columns` (``change_p, change_q, change_dispersion,
        change_significant, three_year_mean, windows_above_borough``).
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
    t = change_columns(t, wd.monthly, period)
    order = {ind: i for i, ind in enumerate(indicator_order(t["indicator"]))}
    return t.sort_values(["indicator", "rank", "ward_name"],
                         key=lambda s: s.map(order) if s.name == "indicator" else s,
                         ignore_index=True)


CHANGE_COLS = ["change", "change_pct", "change_p", "change_q", "change_significant"]
SUPPRESS = {"count_cols": ["count", "previous_count"],
            "dependent": {"count": ["rate_per_1000", "lower95", "upper95", "eb_rate_per_1000",
                                    *CHANGE_COLS],
                          "previous_count": CHANGE_COLS},
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


def small_counts(counts: pd.Series, min_count: int) -> pd.Series:
    c = pd.to_numeric(counts, errors="coerce")
    return (c > 0) & (c < min_count)


def _joined(wd: WardData, table: pd.DataFrame, indicator: str):
    d = table[table["indicator"] == indicator].drop(columns="ward_name")
    return wd.wards.merge(d, on="ward_code", how="left")


def rate_map(wd: WardData, table: pd.DataFrame, indicator: str, period: str, min_count: int):
    """Choropleth of the smoothed rate of one indicator (wards with 1-4 offences grey)."""
    g = _joined(wd, table, indicator)
    g["value"] = g["eb_rate_per_1000"].mask(small_counts(g["count"], min_count))
    return maps.choropleth(
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
        rel = (d["eb_rate_per_1000"] / borough).mask(small_counts(d["count"], min_count))
        g[ind] = g["ward_code"].map(rel)
        panels[ind] = label(ind)
    return maps.small_multiples(
        g, panels, suptitle=f"Smoothed rate relative to the borough rate, {window_text(period)}",
        legend_title="Times the borough rate (1 = borough average)", scheme="Quantiles",
        missing_label=f"Fewer than {min_count} offences (suppressed)")


def change_map(wd: WardData, table: pd.DataFrame, indicator: str, period: str,
               min_count: int):
    """Map of the change in offences against the same 12 months a year earlier."""
    g = _joined(wd, table, indicator)
    g["value"] = g["change"].mask(small_counts(g["count"], min_count)
                                  | small_counts(g["previous_count"], min_count))
    return maps.change_map(
        g, "value", f"{label(indicator)}: change in offences, {window_text(period)} against "
        "the year before", legend_title="Change in offences")


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


def ranked_by_rate(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    d = table[table["indicator"] == indicator]
    return d.sort_values("eb_rate_per_1000", ascending=False, ignore_index=True)


def borough_rate(table: pd.DataFrame, indicator: str) -> float:
    """Offences per 1,000 residents of all the area's wards together."""
    d = table[table["indicator"] == indicator]
    return float(d["count"].sum() / d["population"].sum() * 1000)


def ward_summary(table: pd.DataFrame, recon: pd.DataFrame, min_count: int) -> str:
    """Sentences on the ward distribution of the main indicator and the reconciliation."""
    ind = main_indicator(table)
    d = ranked_by_rate(table, ind)
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
               f"{count_text(unalloc, min_count)} records could not be placed in a ward")
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
            f"significant once the usual year-to-year variation between wards (dispersion "
            f"{d['change_dispersion'].iloc[0]:.1f}) and testing {len(d)} wards at once are "
            f"allowed for (false discovery rate 5%): {sig_text}.")


def _move(r) -> str:
    text = f"{num(r.previous_count, 0)} to {num(r['count'], 0)}, {r.change_pct:+.1f}%"
    mean3 = r.get("three_year_mean", np.nan)
    if pd.notna(mean3):
        text += f"; the three years before averaged {num(mean3, 0)}"
    return text


def count_text(n: float, min_count: int) -> str:
    return f"fewer than {min_count}" if 0 < n < min_count else num(n, 0)
