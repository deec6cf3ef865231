"""Chapter 04: the deprivation gradient with an interval (relative and slope index of
inequality on income deprivation, a measure without the crime domain) and the spatial
autocorrelation check of the count model (issue 20).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna import models
from sna.sections.wards import num


def income_ranks(imd: pd.DataFrame | None, codes) -> pd.DataFrame:
    """IoD2019 income-domain national rank (1 = most income-deprived) for the LSOA codes
    that did not change in 2021 (``lsoa_code, income_rank``): a deprivation measure without
    the crime domain, so a gradient of violence on it is not circular."""
    if imd is None:
        return pd.DataFrame(columns=["lsoa_code", "income_rank"])
    d = imd[(imd["edition"] == "IoD2019") & (imd["domain"] == "income")
            & imd["lsoa_code"].isin(set(codes))]
    return pd.DataFrame({"lsoa_code": d["lsoa_code"], "income_rank": d["rank"].astype(float)})


def gradient_rii(profile: pd.DataFrame | None, imd: pd.DataFrame | None) -> dict:
    """Relative index of inequality of serious violence (excluding sexual offences) across
    the area's LSOAs ranked by income deprivation (:func:`income_ranks`); {} when fewer than
    20 LSOAs can be ranked. Adds ``measure`` and ``lsoas_unmatched``."""
    if profile is None or imd is None:
        return {}
    d = profile.merge(income_ranks(imd, profile["lsoa_code"]), on="lsoa_code", how="left")
    if d["income_rank"].notna().sum() < 20:
        return {}
    out = models.relative_index_of_inequality(d, "count", "population", "income_rank")
    return out | {"measure": "IoD2019 income domain",
                  "lsoas_unmatched": int(d["income_rank"].isna().sum())}


def rii_sentence(rii: dict) -> str:
    """Plain-English reading of the relative index of inequality."""
    if not rii:
        return ("Too few neighbourhoods can be ranked by income deprivation to estimate the "
                "gradient.")
    text = (f"**Gradient across all neighbourhoods.** Ranking the {rii['areas']} LSOAs from the "
            f"least to the most income-deprived (IoD2019 income domain, which does not use "
            f"crime data), the modelled rate at the most deprived end is "
            f"**{num(rii['rii'])} times** that at the least deprived end (relative index of "
            f"inequality; 95% CI {num(rii['rii_lower95'])} to {num(rii['rii_upper95'])}, "
            f"allowing for overdispersion), a difference of {num(rii['sii'] * 1000)} offences "
            "per 1,000 residents a year (slope index of inequality).")
    if rii.get("lsoas_unmatched"):
        text += (f" {rii['lsoas_unmatched']} LSOAs whose codes changed in 2021 have no "
                 "IoD2019 rank and are left out.")
    return text


def model_residual_moran(profile: pd.DataFrame | None, model: pd.DataFrame,
                         polygons) -> dict:
    """Moran's I of the count model's Pearson residuals across LSOAs (quasi-Poisson refit on
    the model's terms), for the spatial-autocorrelation caveat; {} when not computable."""
    if profile is None or polygons is None or model.empty or model["level"].iloc[0] != "lsoa":
        return {}
    from statsmodels.tools.tools import add_constant

    covs = [t for t in model["term"] if t != "const"]
    d = profile.assign(deprivation_per10=profile["deprivation_pct"] / 10,
                       young_per5=profile["young_share_pct"] / 5)
    d = d.dropna(subset=["count", "population", *covs])
    d = d[d["population"] > 0]
    fit = models.quasi_poisson(d["count"].to_numpy(float), add_constant(d[covs].astype(float)),
                               d["population"].to_numpy(float))
    resid = pd.Series(np.asarray(fit.resid_pearson), index=d["lsoa_code"].to_numpy())
    return models.residual_moran(polygons, resid, "lsoa_code")


def moran_sentence(moran: dict) -> str:
    """The spatial-autocorrelation diagnostic of the count model, in words."""
    if not moran or not np.isfinite(moran.get("moran_i", np.nan)):
        return ("The model's residuals could not be checked for spatial clustering (no LSOA "
                "boundaries), so its intervals may be too narrow if neighbouring areas are "
                "alike beyond the factors in the model.")
    clustered = moran["p_value"] < 0.05
    return (f"**Check for spatial clustering:** Moran's I of the model's residuals across "
            f"{moran['areas']} LSOAs is {moran['moran_i']:.2f} (permutation p = "
            f"{moran['p_value']:.3f}). "
            + ("Neighbouring areas are more alike than the model explains, so its confidence "
               "intervals are too narrow: read them as a lower bound on the uncertainty."
               if clustered else "No clear clustering is left, so the intervals are not "
               "obviously too narrow for that reason."))
