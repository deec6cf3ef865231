"""Chapter 04 (risk and protective factors): deprivation and the area characteristics linked
to violence - rates by deprivation decile, the ward risk profile, correlations, the count
model - and the chapter's headline.

The chapter is in three modules: this one, :mod:`~sna.sections.young_people` (the borough
against London: risk factors and young people at risk) and :mod:`~sna.sections.victims`
(homicide, stop and search, vulnerable groups, community assets). Functions take the chapter
(to load sources) or frames and return frames, ``(fig, alt)`` tuples or Markdown sentences
(data-derived words escaped). Nothing is written here.

Decisions
---------
* Deprivation: IoD2025 (LSOA 2021, matches the LSOA crime data) when supplied, else IoD2019
  matched on unchanged LSOA codes. Deciles are national (1 = most deprived 10% of England).
  ``deprivation_pct`` = national deprivation percentile (100 = most deprived LSOA).
* Ward factors: IoD2025 averaged over a ward's LSOAs weighted by residents; IoD2019 domains
  through the GLA LSOA 2011 -> ward 2022 weighted lookup (weights = population shares);
  child poverty = children in relative low income (DWP/HMRC CiLIF, under 16) / Census 2021
  residents aged 0-15 (an estimate: different years); young share = residents 10-24 / all.
* Associations are ecological (areas, not people) and say nothing about individuals.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sna import models
from sna.metrics import rate_ci
from sna.safe import md_esc
from sna.sections.gradient import (  # noqa: F401 - part of this chapter's API
    gradient_rii,
    income_ranks,
    model_residual_moran,
    moran_sentence,
    rii_sentence,
)
from sna.sections.profile_people import WARD_FACTORS
from sna.sections.ward_data import lsoa_population
from sna.sections.wards import LSOA_SV, label, main_indicator, num

NATIONAL_LSOAS = {"IoD2019": 32844, "IoD2025": 33755}
DOMAINS = {"income": "Income deprivation", "employment": "Employment deprivation",
           "education": "Education and skills deprivation",
           "health": "Health deprivation and disability",
           "barriers": "Barriers to housing and services",
           "living_environment": "Living environment deprivation",
           "crime": "Crime domain (built partly from recorded crime)",
           "idaci": "Income deprivation affecting children (IDACI)"}


def lsoa_deprivation(imd: pd.DataFrame, codes) -> tuple[pd.DataFrame, str]:
    """IMD rank, decile and national percentile for the LSOA 2021 ``codes``.

    Returns ``(frame, edition)``: ``lsoa_code, imd_rank, imd_decile, deprivation_pct``.
    IoD2025 is used when it covers the LSOAs; otherwise IoD2019 on identical LSOA codes
    (most LSOAs did not change in 2021; changed ones are left without a value).
    """
    codes = set(codes)
    for edition in ("IoD2025", "IoD2019"):
        d = imd[(imd["edition"] == edition) & (imd["domain"] == "imd")
                & imd["lsoa_code"].isin(codes)]
        if len(d):
            n = NATIONAL_LSOAS[edition]
            out = pd.DataFrame({"lsoa_code": d["lsoa_code"], "imd_rank": d["rank"].astype(float),
                                "imd_decile": d["decile"].astype(int)})
            out["deprivation_pct"] = 100 * (1 - (out["imd_rank"] - 1) / n)
            return out.reset_index(drop=True), edition
    return pd.DataFrame(columns=["lsoa_code", "imd_rank", "imd_decile", "deprivation_pct"]), ""


def lsoa_profile(ld, population: pd.DataFrame, imd: pd.DataFrame | None) -> pd.DataFrame:
    """One row per LSOA: serious violence (excl. sexual offences) count, residents, rates,
    young share and deprivation (``edition`` column says which IoD)."""
    d = ld.table[ld.table["indicator"] == LSOA_SV][
        ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "count", "population",
         "rate_per_1000", "eb_rate_per_1000"]]
    pop = lsoa_population(population).set_index("lsoa_code")
    d = d.assign(young_share_pct=d["lsoa_code"].map(pop["pop_10_24"]) / d["population"] * 100)
    if imd is None:
        return d.assign(edition="", imd_rank=np.nan, imd_decile=np.nan, deprivation_pct=np.nan)
    dep, edition = lsoa_deprivation(imd, d["lsoa_code"])
    return d.merge(dep, on="lsoa_code", how="left").assign(edition=edition)


def decile_rates(profile: pd.DataFrame) -> pd.DataFrame:
    """Rates by national IMD decile (``tables/imd_decile_rates.csv``): ``decile, lsoas, count,
    population, rate_per_1000, lower95, upper95, rate_ratio`` (to the area's rate)."""
    p = profile.dropna(subset=["imd_decile"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = models.lsoa_imd_rates(p[["lsoa_code", "count"]], p[["lsoa_code", "population"]],
                                     p[["lsoa_code", "imd_decile"]].rename(
                                         columns={"imd_decile": "decile"}))
    overall = out["count"].sum() / out["population"].sum() * 1000
    out["rate_ratio"] = out["rate_per_1000"] / overall
    return out.assign(indicator=LSOA_SV, edition=profile["edition"].iloc[0])


DECILE_SUPPRESS = {"count_cols": ["count"],
                   "dependent": {"count": ["rate_per_1000", "lower95", "upper95", "rate_ratio"]}}


def decile_gradient(rates: pd.DataFrame, min_count: int) -> tuple[str, dict]:
    """Sentence comparing the most and least deprived fifths of LSOAs (deciles 1-2, 9-10)."""
    def _group(deciles):
        g = rates[rates["decile"].isin(deciles)]
        c, p = g["count"].sum(), g["population"].sum()
        r, lo, hi = rate_ci(c, p, 1000)
        return float(c), float(r), float(lo), float(hi), int(g["lsoas"].sum())

    most, least = _group([1, 2, 3]), _group([8, 9, 10])
    if most[4] == 0 or least[4] == 0 or min(most[0], least[0]) < min_count:
        return ("The area's LSOAs do not span enough deprivation deciles, or have too few "
                "offences, to compare the most and least deprived.", {})
    ratio = most[1] / least[1]
    text = (f"In the **{most[4]} LSOAs in the 30% most deprived in England** (deciles 1-3) the "
            f"rate is **{num(most[1])} per 1,000 residents** (95% CI {num(most[2])} to "
            f"{num(most[3])}); in the **{least[4]} least deprived** (deciles 8-10) it is "
            f"**{num(least[1])}** ({num(least[2])} to {num(least[3])}): "
            f"**{num(ratio)} times** higher in the most deprived areas.")
    # evidence holds the numbers exactly as the text shows them (one number everywhere)
    return text, {"rate_most_deprived_30pct": float(num(most[1])),
                  "rate_least_deprived_30pct": float(num(least[1])),
                  "ratio": float(num(ratio))}


def gradient_finding(gradient: dict, area: str) -> str:
    """The deprivation finding, worded from the same rounded numbers as the chapter text."""
    return (f"Serious violence (excluding sexual offences) is {num(gradient['ratio'])} times as "
            f"common in the {area} neighbourhoods in England's 30% most deprived as in its 30% "
            f"least deprived ({num(gradient['rate_most_deprived_30pct'])} against "
            f"{num(gradient['rate_least_deprived_30pct'])} per 1,000 residents).")


def _weighted_mean(values: pd.Series, lookup: pd.DataFrame, weight: pd.Series) -> pd.Series:
    """Per-ward weighted mean of an LSOA-level value (``lookup``: lsoa_code, ward_code)."""
    d = lookup.assign(v=lookup["lsoa_code"].map(values), w=weight).dropna(subset=["v", "w"])
    d = d[d["w"] > 0]
    return (d["v"] * d["w"]).groupby(d["ward_code"]).sum() / d["w"].groupby(d["ward_code"]).sum()


def domain_by_ward(imd: pd.DataFrame, lookups: pd.DataFrame, ward_codes) -> pd.DataFrame:
    """IoD2019 domain percentiles (100 = most deprived) averaged to wards through the LSOA
    2011 -> ward lookup weights: ``ward_code`` + one column per domain present."""
    lk = lookups[(lookups["lsoa_year"] == 2011) & lookups["ward_code"].isin(set(ward_codes))]
    d19 = imd[(imd["edition"] == "IoD2019") & (imd["domain"] != "imd")]
    out = pd.DataFrame({"ward_code": sorted(set(ward_codes))})
    if lk.empty or d19.empty:
        return out
    for dom, part in d19.groupby("domain"):
        pct = 100 * (1 - (part.set_index("lsoa_code")["rank"] - 1) / NATIONAL_LSOAS["IoD2019"])
        out[dom] = out["ward_code"].map(_weighted_mean(pct, lk, lk["weight"]))
    return out


def ward_profile(wd, table: pd.DataFrame, profile: pd.DataFrame | None, ch) -> pd.DataFrame:
    """Ward risk profile (``tables/ward_risk_profile.csv``): residents, serious violence count
    and rates, deprivation (IoD2025 via LSOAs), IoD2019 domains, child poverty, young share."""
    ind = main_indicator(table)
    t = table[table["indicator"] == ind].set_index("ward_code")
    out = wd.population[["ward_code", "ward_name", "population"]].copy()
    out["sv_count"] = out["ward_code"].map(t["count"])
    out["sv_rate_per_1000"] = out["ward_code"].map(t["rate_per_1000"])
    out["sv_eb_rate_per_1000"] = out["ward_code"].map(t["eb_rate_per_1000"])
    pop = wd.population.set_index("ward_code")
    out["young_share_pct"] = out["ward_code"].map(pop["pop_10_24"] / pop["population"] * 100)
    if profile is not None and profile["deprivation_pct"].notna().any():
        lk = profile[["lsoa_code", "ward_code"]]
        out["deprivation_pct"] = out["ward_code"].map(_weighted_mean(
            profile.set_index("lsoa_code")["deprivation_pct"], lk, profile["population"]))
    if ch.has("imd") and ch.has("lookups"):
        out = out.merge(domain_by_ward(ch.load("imd").frame, ch.load("lookups").frame,
                                       out["ward_code"]), on="ward_code", how="left")
    if ch.has("clif"):
        clif = ch.load("clif").frame.set_index("ward_code")["children"]
        out["child_poverty_pct"] = out["ward_code"].map(clif) / out["ward_code"].map(
            pop["pop_0_15"]) * 100
    if ch.has("census") and ch.has("lookups"):  # ethnic group, lone parents, density (WHO)
        from sna.sections.profile_people import ward_factors

        out = out.merge(ward_factors(ch.load("census").frame, ch.load("lookups").frame,
                                     out["ward_code"]), on="ward_code", how="left")
    return out


WARD_PROFILE_SUPPRESS = {"count_cols": ["sv_count"],
                         "dependent": {"sv_count": ["sv_rate_per_1000", "sv_eb_rate_per_1000"]}}
FACTOR_LABELS = {"deprivation_pct": "Deprivation (IMD, national percentile)",
                 "child_poverty_pct": "Children in low-income families (%)",
                 "young_share_pct": "Residents aged 10-24 (%)",
                 **{k: f"{v} (IoD2019 percentile)" for k, v in DOMAINS.items()},
                 **WARD_FACTORS}


def _strength(rho: float) -> str:
    a = abs(rho)
    word = ("negligible" if a < 0.1 else "weak" if a < 0.3 else "moderate" if a < 0.5
            else "strong")
    return word if a < 0.1 else f"{word} {'positive' if rho > 0 else 'negative'}"


def correlations(ward: pd.DataFrame, profile: pd.DataFrame | None,
                 ward_outcome: str = "serious_violence") -> pd.DataFrame:
    """Spearman correlations (95% CI) of smoothed serious violence rates with each factor, by
    ward and by LSOA (``tables/risk_correlations.csv``); ``significant`` = the 95% CI
    excludes 0."""
    rows = []
    sets = [("ward", ward, "sv_eb_rate_per_1000", label(ward_outcome))]
    if profile is not None:
        sets.append(("lsoa", profile, "eb_rate_per_1000", label(LSOA_SV)))
    for level, frame, outcome, what in sets:
        for factor, name in FACTOR_LABELS.items():
            if factor not in frame or frame[factor].notna().sum() < 4:
                continue
            r = models.spearman_ci(frame[factor], frame[outcome])
            r["areas"] = r.pop("n")
            rows.append({"level": level, "outcome": what, "factor": factor,
                         "factor_label": name, **r, "strength": _strength(r["rho"]),
                         "significant": bool(r["lower"] > 0 or r["upper"] < 0)})
    return pd.DataFrame(rows)


MODEL_TERMS = {"const": "Baseline rate per resident",
               "deprivation_per10": "Per 10 percentile points more deprived",
               "young_per5": "Per 5 percentage points more residents aged 10-24",
               "child_poverty_per5": "Per 5 percentage points more children in low-income "
                                     "families"}


def model_table(profile: pd.DataFrame | None, ward: pd.DataFrame) -> pd.DataFrame:
    """Count model of serious violence with a log-population offset (``tables/count_model.csv``).

    LSOA level (serious violence excluding sexual offences ~ deprivation + young share) when
    LSOA data with deprivation are supplied, else ward level (adding child poverty). Poisson,
    or negative binomial when over-dispersed (:func:`sna.models.count_model`).
    """
    if profile is not None and profile["deprivation_pct"].notna().sum() >= 20:
        d, level, outcome = profile, "lsoa", "count"
    else:
        d, level, outcome = ward.rename(columns={"sv_count": "count"}), "ward", "count"
    d = d.assign(deprivation_per10=d.get("deprivation_pct", np.nan) / 10,
                 young_per5=d["young_share_pct"] / 5,
                 child_poverty_per5=d.get("child_poverty_pct", np.nan) / 5)
    covs = [c for c in ("deprivation_per10", "young_per5") if d[c].notna().sum() >= 10]
    if level == "ward" and d["child_poverty_per5"].notna().sum() >= 10:
        covs.append("child_poverty_per5")
    if not covs:
        return pd.DataFrame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = models.count_model(d, outcome, "population", covs)
    out = out.rename(columns={"n": "areas"})
    return out.assign(level=level, term_label=out["term"].map(MODEL_TERMS))


def model_sentence(model: pd.DataFrame) -> str:
    """Plain-English reading of the count model with the ecological-inference caution."""
    if model.empty:
        return "There are not enough area-level factors to fit a model."
    kind = "negative binomial" if model["model"].iloc[0] == "negative_binomial" else "Poisson"
    unit = "LSOAs" if model["level"].iloc[0] == "lsoa" else "wards"
    parts = []
    for r in model[model["term"] != "const"].itertuples():
        change = (r.rate_ratio - 1) * 100
        sig = "" if r.lower95 <= 1 <= r.upper95 else " (statistically significant)"
        parts.append(f"{r.term_label.lower()}: {change:+.0f}% (95% CI {(r.lower95 - 1) * 100:+.0f}%"
                     f" to {(r.upper95 - 1) * 100:+.0f}%){sig}")
    return (f"A {kind} model across {int(model['areas'].iloc[0])} {unit}, with residents as the "
            "exposure, estimates how the rate changes with each factor while holding the "
            "others fixed - " + "; ".join(parts) + ". These are **associations between "
            "areas**, not evidence that deprivation or age causes violence, and they say "
            "nothing about individuals (the ecological fallacy). Offences are counted where "
            "they happen, not where victims or offenders live.")


def load_profiles(ch, wd, table: pd.DataFrame, ld) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """``(lsoa profile or None, ward profile)`` for the chapter's period."""
    imd = ch.load("imd").frame if ch.has("imd") else None
    profile = lsoa_profile(ld, ch.load("population").frame, imd) if ld is not None else None
    return profile, ward_profile(wd, table, profile, ch)


def correlation_sentence(corr: pd.DataFrame) -> str:
    """The ward-level associations in words, strongest first, and the LSOA deprivation one."""
    if corr.empty:
        return "No area-level factors are supplied to compare with violence rates."
    w = corr[(corr["level"] == "ward") & (corr["factor"] != "crime")]
    w = w.reindex(w["rho"].abs().sort_values(ascending=False).index).head(4)
    parts = [f"{md_esc(r.factor_label)} (rho {r.rho:+.2f}, 95% CI {r.lower:+.2f} to "
             f"{r.upper:+.2f}; {r.strength}{'' if r.significant else ', not significant'})"
             for r in w.itertuples()]
    text = (f"Across the {int(w['areas'].max()) if len(w) else 0} wards, the factors most closely "
            "linked to the smoothed serious violence rate are " + "; ".join(parts) + ".")
    lsoa = corr[(corr["level"] == "lsoa") & (corr["factor"] == "deprivation_pct")]
    if len(lsoa):
        r = lsoa.iloc[0]
        text += (f" Across {int(r['areas'])} LSOAs, the rate of serious violence (excluding sexual "
                 f"offences) and deprivation have rho {r['rho']:+.2f} (95% CI "
                 f"{r['lower']:+.2f} to {r['upper']:+.2f}).")
    text += (" Rho runs from -1 to +1: 0 means no link, +1 means the areas rank "
             "identically.")
    if (corr["factor"].isin(DOMAINS).any() and "idaci" not in set(corr["factor"])):
        text += (" Income deprivation affecting children (IDACI) is in IoD2019 File 3, which is "
                 "not supplied; children in low-income families stands in for it.")
    return text


def ward_profile_display(ward: pd.DataFrame) -> pd.DataFrame:
    """Ward risk profile for display (rates from counts below the threshold already hidden)."""
    d = ward.sort_values("sv_eb_rate_per_1000", ascending=False)
    cols = {"ward_name": "Ward", "sv_eb_rate_per_1000": "Serious violence per 1,000 (smoothed)",
            "deprivation_pct": "Deprivation percentile (100 = most deprived)",
            "income": "Income deprivation percentile (2019)",
            "child_poverty_pct": "Children in low-income families (%)",
            "young_share_pct": "Residents aged 10-24 (%)"}
    out = d[[c for c in cols if c in d]].rename(columns=cols)
    return out.round(1)


def decile_display(safe: pd.DataFrame) -> pd.DataFrame:
    """Rates by IMD decile for display (NaN = suppressed)."""
    ci = [f"{num(lo)}\u2013{num(hi)}" if np.isfinite(lo) else "*" for lo, hi in
          zip(safe["lower95"].astype(float), safe["upper95"].astype(float), strict=True)]
    return pd.DataFrame({
        "IMD decile (1 = most deprived)": safe["decile"].astype(int).astype(str),
        "LSOAs": safe["lsoas"].astype(float), "Offences": safe["count"].astype(float),
        "Residents": safe["population"].astype(float),
        "Rate per 1,000": safe["rate_per_1000"].astype(float), "95% CI": ci,
        "Times the area rate": safe["rate_ratio"].astype(float)})


DECILE_FORMATS = {"LSOAs": ",.0f", "Offences": ",.0f", "Residents": ",.0f",
                  "Rate per 1,000": ".1f", "Times the area rate": ".2f",
                  "_suppressed": ["Offences", "Rate per 1,000", "Times the area rate"]}


def correlation_display(corr: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlations for display, ward level first, strongest first."""
    d = corr.assign(_a=corr["rho"].abs()).sort_values(["level", "_a"], ascending=[False, False])
    return pd.DataFrame({
        "Level": d["level"].map({"ward": "Ward", "lsoa": "LSOA"}), "Factor": d["factor_label"],
        "Spearman rho": d["rho"].round(2),
        "95% CI": [f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(d["lower"], d["upper"],
                                                                strict=True)],
        "Strength": d["strength"], "Significant (5%)": d["significant"].map({True: "yes",
                                                                            False: "no"}),
        "Areas": d["areas"]})


def model_display(model: pd.DataFrame) -> pd.DataFrame:
    """Count-model rate ratios for display (the baseline row left out)."""
    d = model[model["term"] != "const"]
    return pd.DataFrame({
        "Factor": d["term_label"], "Rate ratio": d["rate_ratio"].round(3),
        "95% CI": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(d["lower95"], d["upper95"],
                                                              strict=True)],
        "p-value": d["p_value"].map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}"),
        "Model": d["model"].str.replace("_", " "), "Areas": d["areas"]})


def headline(gradient: dict, worse: list[str], area: str) -> str:
    """The chapter's one-line headline finding."""
    parts = []
    if gradient:
        parts.append(f"serious violence is {num(gradient['ratio'])} times as common in "
                     f"{area}'s most deprived neighbourhoods as in its least deprived")
    parts.append(f"{len(worse)} risk factor{'s' * (len(worse) != 1)} "
                 f"{'is' if len(worse) == 1 else 'are'} worse than London"
                 + (f" ({'; '.join(w.lower() for w in worse[:3])})" if worse else ""))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."
