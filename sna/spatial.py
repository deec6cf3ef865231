"""Spatial statistics: ward aggregation, smoothing, hot spots, concentration and models.

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
* Hot spots: Getis-Ord Gi* (``esda.G_Local(star=True, transform='B')``: binary queen
  contiguity with the area itself included, the classic Ord & Getis 1995 form; row
  standardising Gi* would need an arbitrary self weight), folded conditional-permutation
  pseudo p-values made two-sided (doubled, as esda now recommends), Benjamini-Hochberg false-discovery-rate control
  (``statsmodels.stats.multitest.multipletests(method='fdr_bh')``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

CiFunc = Callable[..., tuple]

HOTSPOT_CLASSES = (
    "Hot spot (99%)",
    "Hot spot (95%)",
    "Not significant",
    "Cold spot (95%)",
    "Cold spot (99%)",
)
NOT_SIGNIFICANT = "Not significant"


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
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


def _add_rates(frame: pd.DataFrame, per: int, ci_func: CiFunc | None) -> pd.DataFrame:
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
    _require(lsoa_pop, ["lsoa_code", "population"], "lsoa_pop")
    _require(lookup, ["lsoa_code", "ward_code", "ward_name"], "lookup")
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
    _require(counts, ["ward_code", "ward_name", "indicator", "count"], "counts")
    _require(population, ["ward_code", "population"], "population")
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
    t = _add_rates(t.assign(window=window_label), per, ci_func)
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


def _queen(gdf):
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(gdf, use_index=False)


def _classify(z: np.ndarray, q: np.ndarray, alpha: float) -> np.ndarray:
    tier2 = f"{100 * (1 - alpha):g}%"
    cls = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for sign, word in ((1, "Hot"), (-1, "Cold")):
        side = np.nan_to_num(z * sign, nan=0.0) > 0
        cls[side & (q <= alpha)] = f"{word} spot ({tier2})"
        cls[side & (q <= 0.01)] = f"{word} spot (99%)"
    return cls


def gi_star_hotspots(
    gdf,
    value_col: str,
    *,
    permutations: int = 999,
    seed: int = 12345,
    alpha: float = 0.05,
    fdr: bool = True,
):
    """Getis-Ord Gi* hot and cold spots with false-discovery-rate control.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons (any CRS) with a numeric, non-negative ``value_col`` (a count or a rate,
        e.g. the EB-smoothed rate; Gi* is not defined for changes), no NaN.
    value_col : str
        Column analysed.
    permutations : int
        Conditional permutations (>= 19). The smallest attainable p is 2/(permutations+1):
        999 suits up to ~25 areas at alpha 0.05 (a warning says when more are needed).
        The 99% class needs p <= 0.01 after FDR, so many permutations (9999).
    seed : int
        Seed of the permutations: same seed, same output.
    alpha : float
        Level of the lower significance tier (0.05 gives the "(95%)" classes); the upper
        tier is 0.01 ("(99%)").
    fdr : bool
        Apply Benjamini-Hochberg to the p-values before classifying.

    Returns
    -------
    GeoDataFrame
        Copy of ``gdf`` plus ``gi_z`` (analytical Gi* z-score), ``gi_p`` (two-sided permutation
        pseudo p: twice esda's folded ``p_sim``, capped at 1), ``gi_q`` (BH-adjusted p,
        = ``gi_p`` when ``fdr`` is False) and
        ``hotspot_class`` (one of :data:`HOTSPOT_CLASSES`, sign from ``gi_z``, p <= level).
        Areas with no queen neighbour (islands) are warned about, get NaN statistics and
        "Not significant", and are left out of the FDR family.
    """
    import esda
    from statsmodels.stats.multitest import multipletests

    _require(gdf, [value_col], "gdf")
    if not 0.01 < alpha <= 0.10 or permutations < 19:
        raise ValueError("alpha must be in (0.01, 0.10] and permutations >= 19.")
    y = gdf[value_col].to_numpy(dtype=float)
    if np.isnan(y).any():
        bad = list(gdf.index[np.isnan(y)][:10])
        raise ValueError(f"{value_col} has missing values (rows {bad}); fill or drop them first.")
    if (y < 0).any():
        raise ValueError(f"{value_col} has negative values: Gi* needs counts or rates.")
    out = gdf.copy()
    n = len(y)
    z, p = np.full(n, np.nan), np.full(n, np.nan)
    w = _queen(gdf)
    islands = np.isin(np.arange(n), [w.id_order.index(i) for i in w.islands])
    if islands.any():
        warnings.warn(
            f"{islands.sum()} area(s) have no neighbour (rows "
            f"{list(gdf.index[islands])}): classed as not significant.",
            stacklevel=2,
        )
    if n - islands.sum() >= 3 and np.ptp(y) > 0 and y.sum() > 0:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*not fully connected")
            warnings.filterwarnings("ignore", message="The alternative hypothesis")
            g = esda.G_Local(
                y,
                w,
                transform="B",
                star=True,
                permutations=permutations,
                seed=seed,
                n_jobs=1,
                keep_simulations=False,
            )
        z[~islands] = g.Zs[~islands]
        p[~islands] = np.minimum(2 * g.p_sim[~islands], 1.0)  # folded -> two-sided
    else:
        warnings.warn(
            f"Gi* not computed for {value_col}: too few connected areas or no variation.",
            stacklevel=2,
        )
    undefined = ~np.isfinite(z) & ~islands & np.isfinite(p)
    if undefined.any():  # the area's neighbourhood is the whole map: Gi* has no variance
        warnings.warn(f"{undefined.sum()} area(s) neighbour every other area; Gi* is "
                      "undefined there: classed as not significant.", stacklevel=2)
        z[undefined], p[undefined] = np.nan, np.nan
    q = p.copy()
    ok = np.isfinite(p)
    if fdr and 2 * ok.sum() / (permutations + 1) > alpha:
        warnings.warn(
            f"With {permutations} permutations the smallest p-value is above the "
            f"FDR threshold of a lone hot spot among {ok.sum()} areas; use at least "
            f"{math.ceil(2 * ok.sum() / alpha)} permutations.",
            stacklevel=2,
        )
    if fdr and ok.any():
        q[ok] = multipletests(p[ok], method="fdr_bh")[1]
    out["gi_z"], out["gi_p"], out["gi_q"] = z, p, q
    out["hotspot_class"] = _classify(z, np.nan_to_num(q, nan=1.0), alpha)
    return out


def hotspot_persistence(frames_by_window: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Count in how many windows each ward was a hot spot.

    Parameters
    ----------
    frames_by_window : mapping of str to DataFrame
        Window label -> frame with ``ward_code``, ``ward_name``, ``hotspot_class`` (as from
        :func:`gi_star_hotspots`), in the order the windows should appear.

    Returns
    -------
    DataFrame
        ``ward_code``, ``ward_name``, ``windows_hot`` (int), ``persistent`` (hot in every
        window; a ward missing from a window is not hot there), then ``class_<label>`` per
        window. Sorted by ``windows_hot`` descending then ward code.
    """
    if not frames_by_window:
        raise ValueError("frames_by_window is empty: pass at least one window's hot spots.")
    out = None
    for label, frame in frames_by_window.items():
        _require(frame, ["ward_code", "ward_name", "hotspot_class"], f"window {label!r}")
        part = pd.DataFrame(frame[["ward_code", "ward_name", "hotspot_class"]]).rename(
            columns={"hotspot_class": f"class_{label}"}
        )
        if out is None:
            out = part
        else:
            out = out.merge(part, on="ward_code", how="outer", suffixes=("", "_new"))
            out["ward_name"] = out["ward_name"].fillna(out.pop("ward_name_new"))
    class_cols = [f"class_{label}" for label in frames_by_window]
    hot = out[class_cols].apply(lambda s: s.fillna("").str.startswith("Hot spot"))
    out["windows_hot"] = hot.sum(axis=1).astype(int)
    out["persistent"] = hot.all(axis=1)
    out = out[["ward_code", "ward_name", "windows_hot", "persistent", *class_cols]]
    return out.sort_values(["windows_hot", "ward_code"], ascending=[False, True], ignore_index=True)


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
    _require(ward_table, [count_col], "ward_table")
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


def lsoa_imd_rates(
    lsoa_counts: pd.DataFrame,
    lsoa_pop: pd.DataFrame,
    imd_deciles: pd.DataFrame,
    *,
    per: int = 1000,
    ci_func: CiFunc | None = None,
) -> pd.DataFrame:
    """Rates by IMD decile from LSOA counts.

    Parameters
    ----------
    lsoa_counts : DataFrame
        ``lsoa_code``, ``count`` (LSOAs without a row have 0 events).
    lsoa_pop : DataFrame
        ``lsoa_code``, ``population``.
    imd_deciles : DataFrame
        ``lsoa_code``, ``decile`` (1 = most deprived). Only LSOAs with both a population and
        a decile count; events in other LSOAs are left out with a warning.

    Returns
    -------
    DataFrame
        ``decile``, ``lsoas``, ``count``, ``population``, ``rate_per_<per>``, ``lower95``,
        ``upper95`` for the deciles present, sorted by decile.
    """
    _require(lsoa_counts, ["lsoa_code", "count"], "lsoa_counts")
    _require(lsoa_pop, ["lsoa_code", "population"], "lsoa_pop")
    _require(imd_deciles, ["lsoa_code", "decile"], "imd_deciles")
    base = lsoa_pop[["lsoa_code", "population"]].merge(
        imd_deciles[["lsoa_code", "decile"]], on="lsoa_code"
    )
    c = lsoa_counts.groupby("lsoa_code")["count"].sum()
    lost = c[~c.index.isin(base["lsoa_code"])]
    if lost.sum() > 0:
        warnings.warn(
            f"{int(lost.sum())} event(s) in {len(lost)} LSOA(s) without population "
            "or IMD decile left out.",
            stacklevel=2,
        )
    base["count"] = base["lsoa_code"].map(c).fillna(0)
    out = base.groupby("decile", as_index=False).agg(
        lsoas=("lsoa_code", "nunique"), count=("count", "sum"), population=("population", "sum")
    )
    out["count"] = out["count"].astype("int64")
    return _add_rates(out, per, ci_func).sort_values("decile", ignore_index=True)


def spearman_ci(x, y, alpha: float = 0.05) -> dict:
    """Spearman rank correlation with a Fisher-z confidence interval.

    The standard error on the z scale is the Bonett & Wright (2000) one for Spearman's rho,
    sqrt((1 + rho^2 / 2) / (n - 3)). Pairs with a NaN are dropped.

    Returns
    -------
    dict
        ``rho``, ``lower``, ``upper``, ``p_value``, ``n`` (CI NaN when n < 4).
    """
    from scipy import stats

    xy = pd.DataFrame({"x": np.asarray(x, float), "y": np.asarray(y, float)}).dropna()
    n = len(xy)
    if n < 3:
        return {"rho": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan, "n": n}
    rho, p = stats.spearmanr(xy["x"], xy["y"])
    lower = upper = np.nan
    if n > 3 and np.isfinite(rho):
        zc = stats.norm.ppf(1 - alpha / 2)
        se = math.sqrt((1 + rho**2 / 2) / (n - 3))
        zr = np.arctanh(np.clip(rho, -0.9999999, 0.9999999))
        lower, upper = float(np.tanh(zr - zc * se)), float(np.tanh(zr + zc * se))
    return {"rho": float(rho), "lower": lower, "upper": upper, "p_value": float(p), "n": n}


def count_model(
    frame: pd.DataFrame,
    outcome: str,
    exposure: str,
    covariates: Sequence[str],
    *,
    overdispersion: float = 1.5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Poisson or negative binomial regression of counts with a log(population) offset.

    A Poisson GLM is fitted first; when its Pearson dispersion (chi2 / residual df) exceeds
    ``overdispersion`` a negative binomial (NB2, dispersion estimated by maximum likelihood,
    ``statsmodels.discrete.discrete_model.NegativeBinomial``) is fitted instead.
    Non-numeric covariates become dummies (first level = reference). Rows with NaN in the
    used columns or exposure <= 0 are dropped.

    Returns
    -------
    DataFrame
        ``term``, ``rate_ratio``, ``lower95``, ``upper95``, ``p_value``, ``model``
        ('poisson' | 'negative_binomial'), ``dispersion`` (Poisson Pearson statistic),
        ``nb_alpha`` (NaN for Poisson), ``n``. The ``const`` row is the baseline rate per unit
        of exposure.
    """
    import statsmodels.api as sm

    _require(frame, [outcome, exposure, *covariates], "frame")
    d = frame[[outcome, exposure, *covariates]].dropna()
    d = d[d[exposure] > 0]
    x = sm.add_constant(
        pd.get_dummies(d[list(covariates)], drop_first=True, dtype=float), has_constant="add"
    )
    offset = np.log(d[exposure].to_numpy(float))
    y = d[outcome].to_numpy(float)
    pois = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
    dispersion = float(pois.pearson_chi2 / pois.df_resid) if pois.df_resid > 0 else np.nan
    fit, model, nb_alpha = pois, "poisson", np.nan
    if np.isfinite(dispersion) and dispersion > overdispersion:
        fit = sm.NegativeBinomial(y, x, offset=offset).fit(disp=0, maxiter=500)
        model, nb_alpha = "negative_binomial", float(fit.params["alpha"])
    terms = list(x.columns)
    ci = np.asarray(fit.conf_int(alpha=alpha))[: len(terms)]
    return pd.DataFrame(
        {
            "term": terms,
            "rate_ratio": np.exp(np.asarray(fit.params)[: len(terms)]),
            "lower95": np.exp(ci[:, 0]),
            "upper95": np.exp(ci[:, 1]),
            "p_value": np.asarray(fit.pvalues)[: len(terms)],
            "model": model,
            "dispersion": dispersion,
            "nb_alpha": nb_alpha,
            "n": len(d),
        }
    )
