"""Chapter 03: hot spots (Getis-Ord Gi*), their persistence, the concentration of offences
and the chapter's headline.

Decisions
---------
* Gi* on the Empirical Bayes smoothed ward rates (binary queen contiguity, 9,999 permutations,
  fixed seed, Benjamini-Hochberg FDR 5%; :mod:`sna.gi_star`); an indicator with fewer than
  :data:`MIN_EVENTS_GI` offences in the window is not tested.
* Persistence: hot in each of the last three 12-month windows, all on 2022 wards and Census
  2021 populations.
"""

from __future__ import annotations

import warnings

import pandas as pd

from sna import gi_star, maps, periods, spatial
from sna.narrative import join_and
from sna.safe import md_esc
from sna.sections.ward_data import WardData, window_counts
from sna.sections.wards import (
    LSOA_SV,
    borough_rate,
    indicator_order,
    label,
    main_indicator,
    num,
    ranked_by_rate,
)

HOTSPOT_INDICATORS = ("serious_violence", "violence_with_injury", "personal_robbery",
                      "possession_of_weapons", "other_sexual_offences", "rape")
PERMUTATIONS = 9999
SEED = 12345
MIN_EVENTS_GI = 20  # an indicator with fewer events in the window gets no Gi* (no pattern)


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


def gi_hotspots(polygons, table: pd.DataFrame, indicator: str, key: str = "ward_code",
        permutations: int = PERMUTATIONS, seed: int = SEED):
    d = table.loc[table["indicator"] == indicator, [key, "eb_rate_per_1000"]]
    g = polygons.merge(d, on=key).dropna(subset=["eb_rate_per_1000"]).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gi_star.gi_star_hotspots(g, "eb_rate_per_1000", permutations=permutations,
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
        gis = {lab: gi_hotspots(wd.wards, t, ind, permutations=permutations, seed=seed)
               for lab, t in windows.items()}
        pers = gi_star.hotspot_persistence(gis).drop(columns="ward_name")
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


def names_where(frame: pd.DataFrame, mask: pd.Series, col: str = "ward_name") -> str:
    return ", ".join(frame.loc[mask, col].astype(str)) or "none"


def hotspot_overview(hot: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator: hot and cold spots after FDR, persistent hot spots, and the
    ward with the strongest clustering of high rates, with its permutation p-value (that ward
    alone) and q-value (after the false discovery rate correction): one significance measure
    throughout, never the analytic z beside a permutation verdict."""
    rows = []
    for ind, d in hot.groupby("indicator", sort=False):
        top = d.sort_values("gi_z", ascending=False).iloc[0]
        rows.append({"Indicator": label(ind),
                     "Hot spots (FDR 5%)": names_where(d, d["hotspot_class"].str.startswith("Hot")),
                     "Cold spots (FDR 5%)": names_where(d, d["hotspot_class"].str.startswith("Cold")),
                     "Hot in every window": names_where(d, d["persistent"].astype(bool)),
                     "Strongest cluster (ward)": f"{top['ward_name']} (p = {top['gi_p']:.3f}, "
                                                 f"q = {top['gi_q']:.2f})"})
    return pd.DataFrame(rows)


def hotspot_map(wd: WardData, hot: pd.DataFrame, indicator: str = "serious_violence"):
    """Map of one indicator's Gi* result (latest window): the hot/cold classes when any ward
    is significant after FDR, else the Gi* z-scores (strength of clustering, none significant).
    """
    g = wd.wards.merge(hot.loc[hot["indicator"] == indicator,
                               ["ward_code", "hotspot_class", "gi_z", "gi_p"]],
                       on="ward_code", how="left")
    g["hotspot_class"] = g["hotspot_class"].fillna(gi_star.NOT_SIGNIFICANT)
    if (g["hotspot_class"] != gi_star.NOT_SIGNIFICANT).any():
        return maps.hotspot_map(g, f"{label(indicator)}: hot spots (Gi*, FDR 5%)")
    fig, _ = maps.change_map(g, "gi_z", f"{label(indicator)}: clustering of high (red) and "
                              "low (blue) rates (Gi* score; none significant)",
                              legend_title="Gi* score")
    s = g.set_index("ward_name")["gi_z"].dropna().sort_values()
    alt = (f"Map of {len(g)} wards: Getis-Ord Gi* z-scores of the smoothed "
           f"{label(indicator).lower()} rate; red where a ward and its neighbours have high "
           f"rates, blue where they have low rates. No ward is significant after the false "
           f"discovery rate correction, so the colours show the strength of clustering, not "
           f"hot spots. Strongest clustering of high rates: {s.index[-1]}; of low rates: "
           f"{s.index[0]}.")
    return fig, alt


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
        for ind in indicator_order(frame["indicator"]):
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


def hotspot_text(hot: pd.DataFrame, table: pd.DataFrame) -> tuple[str, str, dict]:
    """Markdown, the finding sentence and its evidence for the Gi* results.

    When no ward is significant after FDR the text says so plainly and names the
    highest-rate wards (smoothed rates) and the strongest uncorrected cluster instead.
    """
    ind = main_indicator(table)
    h = hot[hot["indicator"] == ind]
    top = ranked_by_rate(table, ind).head(3)
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
                    strongest_cluster=best["ward_name"],
                    uncorrected_p=round(float(best["gi_p"]), 4),
                    q_value=round(float(best["gi_q"]), 4), wards_tested=len(h))
    if hotw.empty:
        finding = (f"No ward is a statistically significant hot spot of {label(ind).lower()} "
                   "after correcting for multiple testing; the highest-rate wards are "
                   f"{high}.")
        detail = (f"The strongest clustering of high rates is around **{md_esc(best['ward_name'])}**"
                  f": on its own, a pattern this strong would arise by chance in "
                  f"{best['gi_p'] * 100:.1f}% of random re-arrangements (permutation p = "
                  f"{best['gi_p']:.3f}), but with {len(h)} wards tested at once some ward is "
                  f"expected to look like this by chance (q = {best['gi_q']:.2f}), so it is not "
                  "a statistically significant hot spot.")
    else:
        finding = (f"{join_and(hotw['ward_name'])} {'is a' if len(hotw) == 1 else 'are'} "
                   f"statistically significant hot spot{'s' * (len(hotw) > 1)} of "
                   f"{label(ind).lower()} (Gi*, false discovery rate 5%)"
                   + (f"; {join_and(pers['ward_name'])} in all of the last "
                      f"{int(h['windows_compared'].iloc[0])} years." if len(pers) else "."))
        detail = f"The highest-rate wards are {md_esc(high)}."
    return f"{md_esc(finding)} {detail}", finding, evidence


def concentration_text(conc: pd.DataFrame, indicator: str) -> str:
    """How concentrated the main indicator is in the top 10% of wards and of LSOAs."""
    parts = []
    for r in conc[conc["indicator"].isin([indicator, LSOA_SV])].itertuples():
        noun = "wards" if r.level == "ward" else "LSOAs"
        parts.append(f"the top {r.top_n_areas} {noun} (10%) hold **{num(r.top_share_pct)}%** of "
                     f"{r.indicator_label.lower()} but {num(r.population_share_pct)}% of "
                     "residents")
    return ("Concentration: " + "; ".join(parts) + ".") if parts else ""


def headline(table: pd.DataFrame, hot: pd.DataFrame, conc: pd.DataFrame) -> str:
    """The chapter's one-line headline finding."""
    ind = main_indicator(table)
    top = ranked_by_rate(table, ind).head(3)
    h = hot[hot["indicator"] == ind] if len(hot) else hot
    hotw = h[h["hotspot_class"].str.startswith("Hot")] if len(h) else h
    c = conc[(conc["indicator"] == ind) & (conc["level"] == "ward")]
    spots = (f"{join_and(hotw['ward_name'])} {'is a' if len(hotw) == 1 else 'are'} statistically "
             "significant hot spot" + "s" * (len(hotw) > 1) if len(hotw)
             else "no ward is a statistically significant hot spot")
    share = (f"; the top 10% of wards hold {num(c['top_share_pct'].iloc[0])}% of offences and "
             f"{num(c['population_share_pct'].iloc[0])}% of residents" if len(c) else "")
    r = top.iloc[0]
    return (f"{label(ind)} is highest in {r.ward_name} ({num(r.eb_rate_per_1000)} per 1,000 "
            f"residents, smoothed), then {join_and(top['ward_name'].iloc[1:])}; {spots}{share}.")
