"""Chapter 03: ward changes on a year earlier tested allowing for overdispersion, and how
persistently a ward's rate sits above the borough's (issue 20). Used by
:func:`sna.sections.wards.ward_table`; read by the recommendation rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna import periods
from sna.models import fdr, quasi_change_p, two_way_dispersion


def _history(monthly: pd.DataFrame, period: str, n: int) -> pd.DataFrame:
    """Ward x indicator counts of the 12-month windows ending ``k`` years before ``period``
    (columns ``0..n``), only windows the data cover fully."""
    year_of = {m: k for k in range(n + 1)
               for m in periods.window_months(periods.add_months(period, -12 * k), 12)}
    sub = monthly[monthly["month"].isin(list(year_of))]
    sub = sub.assign(k=sub["month"].map(year_of))
    covered = sub.groupby("k")["month"].nunique()
    full = [k for k, n_months in covered.items() if n_months == 12]
    sub = sub[sub["k"].isin(full)]
    cols = sub.groupby(["ward_code", "indicator", "k"])["count"].sum().unstack("k")
    cols.columns = [int(c) for c in cols.columns]
    return cols.fillna(0)


def change_columns(t: pd.DataFrame, monthly: pd.DataFrame, period: str,
                   years: int = 6) -> pd.DataFrame:
    """Add an overdispersion-aware change test and level checks to the ward table.

    The year-on-year change of each ward is tested with a quasi-Poisson score test whose
    dispersion is estimated, per indicator, from the ward x year table of the earlier
    ``years`` windows (:func:`sna.models.two_way_dispersion`), then corrected for testing
    every ward (Benjamini-Hochberg, ``change_q``); ``change_significant`` = q < 0.05.
    ``three_year_mean`` is the mean of the three windows before this one;
    ``windows_above_borough`` counts the consecutive windows, from the latest back (0-3), in
    which the ward's count was above the borough rate even at the low end of its
    overdispersed 95% interval (``count - 1.96 * sqrt(dispersion * count)``).
    """
    hist = _history(monthly, period, years)
    t = t.copy()
    for col in ("change_p", "change_q", "change_dispersion", "three_year_mean"):
        t[col] = np.nan
    t["windows_above_borough"] = pd.array([pd.NA] * len(t), dtype="Int64")
    for ind, idx in t.groupby("indicator").groups.items():
        part = t.loc[idx]
        h = hist.xs(ind, level="indicator") if ind in hist.index.get_level_values(1) \
            else pd.DataFrame()
        earlier = h[[c for c in h.columns if c >= 1]] if len(h) else h
        phi = two_way_dispersion(earlier) if earlier.shape[1] >= 2 else np.nan
        p = quasi_change_p(part["count"], part["previous_count"], phi)
        t.loc[idx, "change_p"], t.loc[idx, "change_q"] = p, fdr(p)
        t.loc[idx, "change_dispersion"] = phi
        if {1, 2, 3} <= set(h.columns):
            t.loc[idx, "three_year_mean"] = part["ward_code"].map(h[[1, 2, 3]].mean(axis=1))
        pop = part.set_index("ward_code")["population"]
        if {0, 1, 2} <= set(h.columns) and pop.notna().all() and not np.isnan(phi):
            c = h[[0, 1, 2]].reindex(pop.index).fillna(0)
            expected = np.outer(pop, c.sum() / pop.sum())
            low = c - 1.96 * np.sqrt(phi * c)
            run = np.cumprod(low.to_numpy() > expected, axis=1).sum(axis=1)
            above = pd.Series(run, index=pop.index)
            t.loc[idx, "windows_above_borough"] = part["ward_code"].map(above).to_numpy()
    q = pd.to_numeric(t["change_q"], errors="coerce")
    t["change_significant"] = pd.array([pd.NA if np.isnan(v) else bool(v < 0.05) for v in q],
                                       dtype="boolean")
    return t
