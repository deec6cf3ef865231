"""Places (schools, stations, bus stops) and violence at LSOA level: counts of places per
LSOA and an ecological association with the LSOA's violence rate.

Decisions
---------
* Points are assigned to the LSOA 2021 polygon that contains them (British National Grid).
* Association, per kind of place: the rate ratio of violence in LSOAs with at least one such
  place against those with none, from a Poisson regression with the log of residents as
  offset and the scale estimated from Pearson's chi-square (quasi-Poisson, so the interval
  allows for overdispersion); and Spearman's rank correlation between the number of places
  and the violence rate. Both describe areas, not people or places (ecological).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sna.models import quasi_poisson

ASSOC_COLUMNS = ["kind", "places", "lsoas_with", "lsoas_without", "rate_with",
                 "rate_without", "rate_ratio", "lower95", "upper95", "p_value",
                 "spearman_rho", "spearman_p"]


def places_per_lsoa(points: pd.DataFrame, polygons) -> pd.DataFrame:
    """Count of places of each kind per LSOA: ``lsoa_code`` x kinds (0 where none)."""
    import geopandas as gpd

    poly = polygons[["lsoa_code", "geometry"]].to_crs("EPSG:27700")
    pts = gpd.GeoDataFrame(points[["kind"]].copy(), crs="EPSG:27700",
                           geometry=gpd.points_from_xy(points["easting"], points["northing"]))
    joined = gpd.sjoin(pts, poly, how="inner", predicate="within")
    wide = joined.groupby(["lsoa_code", "kind"]).size().unstack(fill_value=0)
    return wide.reindex(poly["lsoa_code"], fill_value=0).rename_axis("lsoa_code")


def association(count: np.ndarray, population: np.ndarray, places: np.ndarray) -> dict:
    """Rate ratio (LSOAs with >= 1 place vs none, quasi-Poisson) and Spearman correlation.

    Returns a dict with :data:`ASSOC_COLUMNS` except ``kind`` and ``places``; the ratio is
    NaN when every LSOA, or none, has a place.
    """
    from scipy import stats
    from statsmodels.tools.tools import add_constant

    count, pop = np.asarray(count, float), np.asarray(population, float)
    places = np.asarray(places, float)
    ok = np.isfinite(count) & (pop > 0)
    count, pop, places = count[ok], pop[ok], places[ok]
    has = places > 0
    out = {"lsoas_with": int(has.sum()), "lsoas_without": int((~has).sum()),
           "rate_with": count[has].sum() / pop[has].sum() * 1000 if has.any() else np.nan,
           "rate_without": count[~has].sum() / pop[~has].sum() * 1000 if (~has).any()
           else np.nan}
    out.update(rate_ratio=np.nan, lower95=np.nan, upper95=np.nan, p_value=np.nan)
    if has.any() and (~has).any():
        x = add_constant(has.astype(float))
        fit = quasi_poisson(count, x, pop)
        lo, hi = fit.conf_int()[1]
        out.update(rate_ratio=float(np.exp(fit.params[1])), lower95=float(np.exp(lo)),
                   upper95=float(np.exp(hi)), p_value=float(fit.pvalues[1]))
    rho, p = stats.spearmanr(places, count / pop) if np.ptp(places) > 0 else (np.nan, np.nan)
    out.update(spearman_rho=float(rho), spearman_p=float(p))
    return out


def association_table(lsoa: pd.DataFrame, per_lsoa: pd.DataFrame) -> pd.DataFrame:
    """One row per kind of place (:data:`ASSOC_COLUMNS`); ``lsoa`` has ``lsoa_code, count,
    population``."""
    d = lsoa.merge(per_lsoa.reset_index(), on="lsoa_code", how="left").fillna(
        {k: 0 for k in per_lsoa.columns})
    rows = []
    for kind in per_lsoa.columns:
        res = association(d["count"], d["population"], d[kind])
        rows.append({"kind": kind, "places": int(d[kind].sum()), **res})
    return pd.DataFrame(rows, columns=ASSOC_COLUMNS)
