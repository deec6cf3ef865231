"""Hot spots: Getis-Ord Gi* with permutation inference and false-discovery-rate control, and
the persistence of hot spots across windows.

Gi* is ``esda.G_Local(star=True, transform='B')``: binary queen contiguity with the area itself
included, the classic Ord & Getis 1995 form (row standardising Gi* would need an arbitrary self
weight). Folded conditional-permutation pseudo p-values are made two-sided (doubled, as esda now
recommends) and controlled with Benjamini-Hochberg false-discovery-rate correction
(``statsmodels.stats.multitest.multipletests(method='fdr_bh')``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from sna.spatial import require_columns

HOTSPOT_CLASSES = (
    "Hot spot (99%)",
    "Hot spot (95%)",
    "Not significant",
    "Cold spot (95%)",
    "Cold spot (99%)",
)
NOT_SIGNIFICANT = "Not significant"


def _queen(gdf):
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(gdf, use_index=False)


def _memoise_permutations() -> None:
    """Make esda's conditional-randomisation draws reusable between calls.

    ``esda.crand.vec_permutations(max_card, n, permutations, seed)`` draws the same id table
    for the same arguments (it seeds NumPy first). Without numba it is a Python loop costing
    ~0.2 s per call, and a chapter calls Gi* for every indicator and window on one neighbour
    graph, so the table is drawn once per graph and reused; results are unchanged (the global
    seed is set as the original does).
    """
    from esda import crand

    original = crand.vec_permutations
    if getattr(original, "_sna_memo", False):
        return
    memo: dict[tuple, np.ndarray] = {}

    def vec_permutations(max_card, n, k_replications, seed):
        key = (int(max_card), int(n), int(k_replications), int(seed))
        if key not in memo:
            if len(memo) > 16:
                memo.clear()
            memo[key] = original(max_card, n, k_replications, seed)
            memo[key].setflags(write=False)
        else:
            np.random.seed(seed)
        return memo[key]

    vec_permutations._sna_memo = True
    crand.vec_permutations = vec_permutations


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

    _memoise_permutations()

    require_columns(gdf, [value_col], "gdf")
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
        require_columns(frame, ["ward_code", "ward_name", "hotspot_class"], f"window {label!r}")
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
