"""Spatial statistics: ward aggregation, rates, smoothing, concentration and reconciliation.

Getis-Ord Gi* hot spots and their persistence are in :mod:`sna.gi_star`; rates by deprivation
decile, correlations and count models in :mod:`sna.models`.

Pure functions: frames in, new frames out; nothing is read from or written to disk.

Decisions (see the function docstrings for details)
--------------------------------------------------
* Rates are per ``per`` residents (default 1,000, Census 2021 usual residents). The rate
  columns are named ``rate_per_<per>`` so the default gives the contract ``rate_per_1000``.
* Confidence intervals come from ``ci_func(count, population, per)`` returning
  ``(rate, lower, upper)`` or ``(lower, upper)`` arrays (the last two are used), by default
  :func:`sna.metrics.rate_ci` (exact Poisson below 10 events, Byar above), imported lazily.
* Empirical Bayes: global (aspatial) method-of-moments estimator of Marshall (1991), the same
  formula as :class:`esda.smoothing.Empirical_Bayes`, except that a negative between-area
  variance is set to 0 (all rates shrink to the overall rate) where esda leaves it negative.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

CiFunc = Callable[..., tuple]


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise ``ValueError`` naming ``what`` and the columns of ``frame`` that are missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(frame.columns)}. "
            "Rename the columns or build the frame with the documented columns."
        )


def _default_ci(ci_func: CiFunc | None) -> CiFunc:
    if ci_func is not None:
        return ci_func
    from sna.metrics import rate_ci  # lazy: metrics is written separately

    return rate_ci


def add_rates(frame: pd.DataFrame, per: int, ci_func: CiFunc | None) -> pd.DataFrame:
    """Add ``rate_per_<per>``, ``lower95`` and ``upper95`` where population > 0 (else NaN)."""
    out = frame.copy()
    count = out["count"].to_numpy(dtype=float)
    pop = out["population"].to_numpy(dtype=float)
    ok = np.isfinite(count) & np.isfinite(pop) & (pop > 0)
    rate, lower, upper = (np.full(len(out), np.nan) for _ in range(3))
    rate[ok] = count[ok] / pop[ok] * per
    if ok.any():
        *_, lo, hi = _default_ci(ci_func)(count[ok], pop[ok], per)  # (rate,) lower, upper
        lower[ok], upper[ok] = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    out[f"rate_per_{per}"], out["lower95"], out["upper95"] = rate, lower, upper
    return out


def ward_population(lsoa_pop: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Aggregate LSOA populations to wards through a (best-fit or weighted) lookup.

    Parameters
    ----------
    lsoa_pop : DataFrame
        ``lsoa_code``, ``population`` (one row per LSOA, e.g. Census 2021 TS007A totals).
    lookup : DataFrame
        ``lsoa_code``, ``ward_code``, ``ward_name`` and optionally ``weight`` (share of the
        LSOA's population in the ward; missing -> 1.0, as in a best-fit lookup).

    Returns
    -------
    DataFrame
        ``ward_code``, ``ward_name``, ``population`` (float: weighted sum), sorted by code.
        LSOAs absent from the lookup are left out with a warning naming them.
    """
    require_columns(lsoa_pop, ["lsoa_code", "population"], "lsoa_pop")
    require_columns(lookup, ["lsoa_code", "ward_code", "ward_name"], "lookup")
    lk = lookup.assign(weight=lookup["weight"] if "weight" in lookup else 1.0)
    lk["weight"] = lk["weight"].fillna(1.0)
    merged = lsoa_pop[["lsoa_code", "population"]].merge(
        lk[["lsoa_code", "ward_code", "ward_name", "weight"]], on="lsoa_code", how="left"
    )
    lost = merged.loc[merged["ward_code"].isna(), "lsoa_code"].tolist()
    if lost:
        warnings.warn(
            f"{len(lost)} LSOA(s) not in the ward lookup, population left out: {lost[:10]}",
            stacklevel=2,
        )
    merged = merged.dropna(subset=["ward_code"])
    merged["population"] = merged["population"].astype(float) * merged["weight"]
    out = merged.groupby(["ward_code", "ward_name"], as_index=False)["population"].sum()
    return out.sort_values("ward_code", ignore_index=True)


def eb_smooth(counts, populations) -> np.ndarray:
    """Global Empirical Bayes smoothed rates (Marshall 1991, method of moments).

    With m = sum(counts)/sum(populations), r_i = counts_i/populations_i and mean population
    b_bar: s2 = sum(b_i (r_i - m)^2)/sum(b_i); between-area variance v = max(s2 - m/b_bar, 0);
    weight w_i = v / (v + m/b_i); smoothed rate = w_i r_i + (1 - w_i) m.

    Parameters
    ----------
    counts, populations : array-like of shape (n,)
        Event counts and population at risk. Areas with population <= 0 or NaN get NaN and do
        not enter the moment estimates.

    Returns
    -------
    numpy.ndarray
        Smoothed rates per person (multiply by 1,000 for a rate per 1,000).
    """
    e = np.asarray(counts, dtype=float)
    b = np.asarray(populations, dtype=float)
    out = np.full(e.shape, np.nan)
    ok = np.isfinite(e) & np.isfinite(b) & (b > 0)
    if not ok.any():
        return out
    e, b = e[ok], b[ok]
    m = e.sum() / b.sum()
    r = e / b
    s2 = (b * (r - m) ** 2).sum() / b.sum()
    v = max(s2 - m / b.mean(), 0.0)
    weight = v / (v + m / b) if (v > 0 or m > 0) else np.zeros_like(b)
    out[ok] = weight * r + (1 - weight) * m
    return out


def ward_indicator_table(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    window_label: str = "12m",
    per: int = 1000,
    ci_func: CiFunc | None = None,
) -> pd.DataFrame:
    """Ward x indicator table with rates, CIs, EB-smoothed rates and ranks.

    Parameters
    ----------
    counts : DataFrame
        ``ward_code``, ``ward_name``, ``indicator``, ``count`` (one window). Wards present in
        ``population`` but missing for an indicator get count 0.
    population : DataFrame
        ``ward_code``, ``population`` (and optionally ``ward_name``).
    window_label : str
        Written to the ``window`` column.
    per : int
        Rate denominator (rates per ``per`` residents).
    ci_func : callable, optional
        ``ci_func(count, population, per) -> ([rate,] lower, upper)`` on arrays; default
        :func:`sna.metrics.rate_ci`.

    Returns
    -------
    DataFrame
        Contract columns ``ward_code, ward_name, indicator, window, count, population,
        rate_per_1000, lower95, upper95`` then ``eb_rate_per_1000`` (EB smoothed within each
        indicator) and ``rank`` (1 = highest rate in the indicator; ties share the best rank;
        NaN without population). Wards with counts but no population keep NaN rates.
    """
    require_columns(counts, ["ward_code", "ward_name", "indicator", "count"], "counts")
    require_columns(population, ["ward_code", "population"], "population")
    c = counts.groupby(["ward_code", "indicator"], as_index=False)["count"].sum()
    names = pd.concat(
        [
            population[["ward_code", "ward_name"]] if "ward_name" in population else None,
            counts[["ward_code", "ward_name"]],
        ]
    ).drop_duplicates("ward_code")
    grid = pd.MultiIndex.from_product(
        [
            sorted(set(population["ward_code"]) | set(c["ward_code"])),
            sorted(c["indicator"].unique()),
        ],
        names=["ward_code", "indicator"],
    ).to_frame(index=False)
    t = grid.merge(c, how="left").fillna({"count": 0}).merge(names, how="left")
    t = t.merge(population[["ward_code", "population"]], how="left")
    if t["population"].isna().any():
        missing = sorted(t.loc[t["population"].isna(), "ward_code"].unique())
        warnings.warn(f"No population for ward(s) {missing}: rates left blank.", stacklevel=2)
    t = add_rates(t.assign(window=window_label), per, ci_func)
    rate = f"rate_per_{per}"
    t[f"eb_rate_per_{per}"] = np.nan
    for _, idx in t.groupby("indicator").groups.items():
        t.loc[idx, f"eb_rate_per_{per}"] = (
            eb_smooth(t.loc[idx, "count"], t.loc[idx, "population"]) * per
        )
    t["rank"] = t.groupby("indicator")[rate].rank(ascending=False, method="min")
    cols = [
        "ward_code",
        "ward_name",
        "indicator",
        "window",
        "count",
        "population",
        rate,
        "lower95",
        "upper95",
        f"eb_rate_per_{per}",
        "rank",
    ]
    t["count"] = t["count"].astype("int64")
    return t[cols].sort_values(["indicator", "ward_code"], ignore_index=True)


def concentration(counts: pd.Series, share: float = 0.10) -> dict:
    """Share of all events that fall in the top ``share`` of areas.

    Parameters
    ----------
    counts : Series
        Counts indexed by area (NaN dropped).
    share : float
        Fraction of areas in the top group; n = ceil(share x areas), at least 1.

    Returns
    -------
    dict
        ``top_n`` (int), ``top_share_of_total`` (0-1; NaN when the total is 0), ``areas``
        (labels of the top areas, highest first; ties broken by order in ``counts``),
        ``n_areas``, ``top_count``, ``total``.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}.")
    s = pd.Series(counts).dropna()
    n = max(1, math.ceil(round(share * len(s), 9)))
    top = s.sort_values(ascending=False, kind="stable").head(n)
    total = float(s.sum())
    return {
        "top_n": int(min(n, len(s))),
        "top_share_of_total": float(top.sum()) / total if total > 0 else float("nan"),
        "areas": list(top.index),
        "n_areas": int(len(s)),
        "top_count": float(top.sum()),
        "total": total,
    }


def reconcile(
    ward_table: pd.DataFrame,
    borough_total: float,
    unallocated: float = 0,
    *,
    count_col: str = "count",
    tolerance: float = 0,
    strict: bool = True,
) -> float:
    """Check that ward counts (plus unallocated) add up to the borough total.

    Parameters
    ----------
    ward_table : DataFrame
        One indicator and window, with ``count_col``.
    borough_total : float
        Total published for the borough (same indicator and window).
    unallocated : float
        Events not allocated to a ward (e.g. no location).
    tolerance : float
        Largest absolute difference accepted.
    strict : bool
        Raise :class:`sna.errors.DataError` when the difference exceeds ``tolerance``.

    Returns
    -------
    float
        ``borough_total - (sum of wards + unallocated)``.
    """
    require_columns(ward_table, [count_col], "ward_table")
    ward_sum = float(ward_table[count_col].sum())
    diff = float(borough_total) - (ward_sum + float(unallocated))
    if strict and abs(diff) > tolerance:
        from sna.errors import DataError

        raise DataError(
            f"Ward counts do not reconcile: wards {ward_sum:,.0f} + unallocated "
            f"{float(unallocated):,.0f} vs borough {float(borough_total):,.0f} "
            f"(difference {diff:+,.0f}). Check the indicator mapping, months and ward filter."
        )
    return diff
