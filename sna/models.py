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
