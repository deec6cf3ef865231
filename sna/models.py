"""Area-level models: rates by deprivation decile, rank correlations and count regressions.

Pure functions: frames in, new frames out. Rates and intervals follow :mod:`sna.spatial`
(``rate_per_<per>``, ``lower95``/``upper95`` from :func:`sna.metrics.rate_ci` by default).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sna.spatial import CiFunc, add_rates, require_columns


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
    require_columns(lsoa_counts, ["lsoa_code", "count"], "lsoa_counts")
    require_columns(lsoa_pop, ["lsoa_code", "population"], "lsoa_pop")
    require_columns(imd_deciles, ["lsoa_code", "decile"], "imd_deciles")
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
    return add_rates(out, per, ci_func).sort_values("decile", ignore_index=True)


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
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.tools import add_constant

    require_columns(frame, [outcome, exposure, *covariates], "frame")
    d = frame[[outcome, exposure, *covariates]].dropna()
    d = d[d[exposure] > 0]
    x = add_constant(
        pd.get_dummies(d[list(covariates)], drop_first=True, dtype=float), has_constant="add"
    )
    offset = np.log(d[exposure].to_numpy(float))
    y = d[outcome].to_numpy(float)
    pois = GLM(y, x, family=Poisson(), offset=offset).fit()
    dispersion = float(pois.pearson_chi2 / pois.df_resid) if pois.df_resid > 0 else np.nan
    fit, model, nb_alpha = pois, "poisson", np.nan
    if np.isfinite(dispersion) and dispersion > overdispersion:
        fit = NegativeBinomial(y, x, offset=offset).fit(disp=0, maxiter=500)
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


# --- change tests that allow for overdispersion (issue 20) ---------------------------------

def two_way_dispersion(counts: pd.DataFrame) -> float:
    """Pearson dispersion of an areas x years table of counts under the Poisson model with an
    area effect and a year effect (expected = row total x column total / grand total).

    This is the quasi-Poisson scale of ``count ~ area + year``: 1 for Poisson counts, above 1
    when counts vary more than chance between years (estimated as Pearson chi-square / df,
    floored at 1: :func:`sna.change.pearson_dispersion` of the table). Rows or columns that
    are all zero carry no information and are dropped.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per area, one column per (earlier) window, non-negative counts.
    """
    from sna.change import pearson_dispersion

    a = counts.to_numpy(dtype=float)
    a = a[np.nansum(a, axis=1) > 0][:, np.nansum(a, axis=0) > 0] if a.size else a
    if a.ndim != 2 or min(a.shape) < 2 or np.isnan(a).any():
        return 1.0
    return max(1.0, float(pearson_dispersion(a)[0]))


def quasi_change_p(count, previous, dispersion: float) -> np.ndarray:
    """Two-sided p-value of a change between two equal-length windows, quasi-Poisson.

    ``z = (count - previous) / sqrt(dispersion * (count + previous))``: the Poisson score test
    with its variance scaled by the dispersion of earlier changes (:func:`two_way_dispersion`),
    referred to the normal distribution; :func:`sna.change.score_pvalue` with one earlier
    window. NaN when both counts are 0 or one is missing.
    """
    from sna.change import score_pvalue

    return score_pvalue(count, previous, 1, dispersion, np.inf)


def fdr(pvalues) -> np.ndarray:
    """Benjamini-Hochberg q-values (false discovery rate); NaN p-values stay NaN."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


# --- inequality gradient and spatial diagnostics (issue 20) --------------------------------

def quasi_poisson(counts, design, exposure):
    """Quasi-Poisson regression of counts with a log(exposure) offset: a Poisson GLM whose
    scale is Pearson chi-square / residual df, so intervals and p-values allow for
    overdispersion (McCullagh & Nelder 1989, s. 4.5).

    Parameters
    ----------
    counts : array-like
        Event counts, one per area.
    design : array-like or pandas.DataFrame
        Covariates with a constant column (``statsmodels.tools.add_constant``).
    exposure : array-like
        Denominators (residents), all positive.

    Returns
    -------
    statsmodels GLMResults
        The fit (``params``, ``conf_int()``, ``pvalues``, ``scale``, ``resid_pearson``).
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    return GLM(np.asarray(counts, dtype=float), design, family=families.Poisson(),
               offset=np.log(np.asarray(exposure, dtype=float))).fit(scale="X2")


def relative_index_of_inequality(frame: pd.DataFrame, outcome: str, exposure: str,
                                 rank: str, alpha: float = 0.05) -> dict:
    """Relative and slope index of inequality of a rate across areas ranked by deprivation.

    Areas are ordered from least to most deprived (``rank``: 1 = most deprived nationally,
    as in the IoD) and given the midpoint of their cumulative share of ``exposure`` (the
    ridit, 0 = least and 1 = most deprived end). A quasi-Poisson regression of ``outcome``
    on the ridit with log(exposure) offset gives the RII, the modelled rate at the most
    deprived end divided by that at the least deprived end, with a 95% interval that allows
    for overdispersion (scale = Pearson chi2 / df); the SII is the modelled difference in the
    rate per unit of exposure between the two ends (Mackenbach & Kunst, 1997).

    Returns
    -------
    dict
        ``rii, rii_lower95, rii_upper95, sii, p_value, areas, dispersion``.
    """
    from statsmodels.tools.tools import add_constant

    d = frame[[outcome, exposure, rank]].dropna()
    d = d[d[exposure] > 0].sort_values(rank, ascending=False)  # least deprived first
    share = d[exposure] / d[exposure].sum()
    ridit = (share.cumsum() - share / 2).to_numpy()
    x = add_constant(pd.Series(ridit, name="ridit", index=d.index))
    fit = quasi_poisson(d[outcome].to_numpy(float), x, d[exposure].to_numpy(float))
    lo, hi = np.asarray(fit.conf_int(alpha=alpha))[1]
    b0, b1 = float(fit.params.iloc[0]), float(fit.params.iloc[1])
    return {"rii": math.exp(b1), "rii_lower95": math.exp(lo), "rii_upper95": math.exp(hi),
            "sii": math.exp(b0 + b1) - math.exp(b0), "p_value": float(fit.pvalues.iloc[1]),
            "areas": len(d), "dispersion": float(fit.scale)}


def residual_moran(polygons, residuals: pd.Series, key: str, permutations: int = 999,
                   seed: int = 12345) -> dict:
    """Moran's I of model residuals on queen contiguity (row-standardised), with a
    permutation p-value (esda). Clustered residuals mean the model's intervals are too
    narrow. ``residuals`` is indexed by ``key`` values of ``polygons``.

    Returns ``{'moran_i', 'p_value', 'areas'}`` (NaN when fewer than 3 areas match).
    """
    from esda.moran import Moran
    from libpysal.weights import Queen

    g = polygons[[key, "geometry"]].merge(residuals.rename("resid"), left_on=key,
                                          right_index=True).reset_index(drop=True)
    if len(g) < 3:
        return {"moran_i": np.nan, "p_value": np.nan, "areas": len(g)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(g, use_index=False)
        w.transform = "r"
        np.random.seed(seed)
        mi = Moran(g["resid"].to_numpy(float), w, permutations=permutations)
    return {"moran_i": float(mi.I), "p_value": float(mi.p_sim), "areas": len(g)}
