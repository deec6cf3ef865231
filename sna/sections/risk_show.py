"""Chapter 04 (risk and protective factors) as calls: each ``show_*`` function writes one
section through ``ch`` (Markdown, published tables, figures, findings), so the notebook only
calls ``sna`` (as chapter 02 does). The analysis is in :mod:`~sna.sections.deprivation`,
:mod:`~sna.sections.young_people` and :mod:`~sna.sections.victims`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna import charts, plots
from sna.narrative import md_text
from sna.periods import window_months
from sna.sections import deprivation, lsoa_maps, other_sources, victims, wards, young_people


def show_intro(ch: Any):
    """Load ward, LSOA and deprivation profiles and state the periods.

    Returns ``(wd, table, ld, profile, ward)``.
    """
    wd = wards.load_ward_data(ch)
    table = wards.ward_table(wd, ch.period)
    ld = lsoa_maps.load_lsoa_data(ch, wd, ch.period)
    profile, ward = deprivation.load_profiles(ch, wd, table, ld)
    ch.md("Crime data: the 12 months **{w}**; LSOA data: **{lw}**.",
          w=wards.window_text(ch.period), lw=wards.window_text(ld.end) if ld else "not supplied")
    return wd, table, ld, profile, ward


def show_deprivation(ch: Any, ld, profile: pd.DataFrame | None) -> dict:
    """Rates by deprivation decile, the gradient with its interval (RII on income
    deprivation, which leaves out the crime domain) and the finding; returns the gradient
    evidence ({} when it cannot be computed)."""
    if profile is None or profile["imd_decile"].isna().all():
        ch.not_supplied("imd" if ld is not None else "mps_lsoa",
                        "LSOA crime counts and the Indices of Deprivation")
        return {}
    m = ch.cfg.threshold("open")
    deciles = deprivation.decile_rates(profile)
    dec_safe = ch.publish(deciles, "imd_decile_rates", **deprivation.DECILE_SUPPRESS)
    gradient_md, gradient = deprivation.decile_gradient(deciles, m)
    ch.md(gradient_md)
    ch.figure(*charts.decile_bars(deciles, title="Serious violence (excluding sexual "
              f"offences) by deprivation decile, {wards.window_text(ld.end)}"),
              "Rate per 1,000 residents in the LSOAs of each national "
              f"{profile['edition'].iloc[0]} decile, with 95% confidence intervals.")
    ch.table(deprivation.decile_display(dec_safe), None, "Serious violence (excluding sexual "
             "offences) by national deprivation decile. * = suppressed.",
             formats=deprivation.DECILE_FORMATS, sensitivity="open")
    rii = deprivation.gradient_rii(profile, ch.load("imd").frame if ch.has("imd") else None)
    ch.md(deprivation.rii_sentence(rii))
    if rii or gradient:
        rii = rii or dict.fromkeys(("measure", "areas", "rii", "rii_lower95", "rii_upper95",
                                    "sii", "p_value", "dispersion"), float("nan"))
        ch.publish(pd.DataFrame([{
            "indicator": wards.LSOA_SV, "measure": rii["measure"], "areas": rii["areas"],
            "period_start": window_months(ld.end, 12)[0],
            "period_end": ld.end, "rii": rii["rii"], "rii_lower95": rii["rii_lower95"],
            "rii_upper95": rii["rii_upper95"], "sii_per_1000": rii["sii"] * 1000,
            "p_value": rii["p_value"], "dispersion": rii["dispersion"],
            **{k: gradient.get(k, float("nan")) for k in (
                "rate_most_deprived_30pct", "rate_least_deprived_30pct", "ratio")}}]),
            "deprivation_gradient")
        rii = {} if pd.isna(rii["rii"]) else rii
    if gradient:
        evidence = gradient | ({"rii": round(rii["rii"], 2), "rii_lower95":
                                round(rii["rii_lower95"], 2), "rii_upper95":
                                round(rii["rii_upper95"], 2)} if rii else {})
        ch.finding(deprivation.gradient_finding(gradient, ch.cfg.area.name), kind="risk",
                   anchor="Deprivation", **evidence)
    return gradient


def _periods(ch: Any, ld) -> str:
    """'wards Apr 2025 to Mar 2026; LSOAs Mar 2025 to Feb 2026' for captions."""
    text = f"wards {wards.window_text(ch.period)}"
    return text + (f"; LSOAs {wards.window_text(ld.end)}" if ld else "")


def show_correlations(ch: Any, ward: pd.DataFrame, profile: pd.DataFrame | None,
                      ld=None) -> None:
    """Spearman correlations with area characteristics."""
    corr = deprivation.correlations(ward, profile)
    ch.md(deprivation.correlation_sentence(corr))
    ch.publish(corr, "risk_correlations")
    ch.table(deprivation.correlation_display(corr), None, "Spearman correlations of the "
             "smoothed serious violence rate with area characteristics, by ward and LSOA ("
             f"{_periods(ch, ld)}; Census 2021, IoD2019/IoD2025).", sensitivity="open")


def show_model(ch: Any, profile: pd.DataFrame | None, ward: pd.DataFrame, ld) -> None:
    """The count model, its residual Moran's I (spatial autocorrelation) and the ward
    profile."""
    model = deprivation.model_table(profile, ward)
    moran = deprivation.model_residual_moran(profile, model, ld.polygons if ld else None)
    ch.md(deprivation.model_sentence(model) + " " + deprivation.moran_sentence(moran))
    if len(model) and moran:
        model = model.assign(residual_moran_i=moran["moran_i"],
                             residual_moran_p=moran["p_value"])
    ch.publish(model, "count_model")
    if len(model):
        ch.table(deprivation.model_display(model), None, "Count model: rate ratios with 95% "
                 f"confidence intervals (1 = no change in the rate); {_periods(ch, ld)}.", sensitivity="open")
    safe = ch.publish(ward, "ward_risk_profile", **deprivation.WARD_PROFILE_SUPPRESS)
    ch.table(deprivation.ward_profile_display(safe), None, "Ward profile: smoothed serious "
             f"violence rate ({wards.window_text(ch.period)}) and area characteristics "
             "(Census 2021, IoD, children in low income families FYE 2023), highest rate "
             "first.", sensitivity="open")


def show_london(ch: Any) -> tuple[pd.DataFrame, list[str]]:
    """Risk factors against London; returns ``(young people table, worse factors)``."""
    area = ch.cfg.area.name
    young = young_people.young_people_all(ch)
    factors = young_people.risk_factors(ch, young)
    factors_md, worse = young_people.factors_sentence(factors, area)
    ch.md(factors_md)
    ch.publish(factors, "risk_factors")
    ch.table(young_people.factors_display(factors, area), None, f"Risk factors: {area} "
             'against London. "Similar": London lies inside the 95% confidence interval of '
             "the area's value (or a two-proportion test is not significant at 5%); \"cannot "
             'be judged": the publisher gives no cohort size, so no interval can be drawn.',
             sensitivity="open")
    ch.finding(f"{len(worse)} of {len(factors)} risk factors compared are worse in {area} than "
               "in London" + (": " + "; ".join(worse) if worse else "") + ".", kind="risk",
               anchor="How-the-borough-compares-with-London", worse=worse)
    return young, worse


def show_young(ch: Any, young: pd.DataFrame) -> None:
    """Young people at risk: table and trends."""
    area = ch.cfg.area.name
    if len(young):
        ch.publish(young, "young_people")
        ch.table(young_people.young_display(young, area), None, "Young people: latest values "
                 "against London and statistical neighbours.", sensitivity="open")
    else:
        ch.not_supplied("dfe_lait", "DfE LA Interactive Tool data (youth justice, "
                        "exclusions, NEET, children in need)")
    if ch.has("dfe_lait"):
        ch.figure(*plots.panel_lines(young_people.trend_frame(
            ch.load("dfe_lait").frame, area, ch.cfg.area.neighbours), highlight=area, ncols=2,
            title=f"Young people: {area} against London and its statistical neighbours"),
            "Trends by year (financial or academic year end). Each panel has its own scale.")


def show_vulnerable(ch: Any) -> None:
    """Vulnerable groups from partner figures, and the MARAC trend."""
    vuln = victims.vulnerable_table(
        ch.load("partner_indicators").frame if ch.has("partner_indicators") else None,
        ch.load("vulnerable_populations").frame if ch.has("vulnerable_populations")
        else None)
    if len(vuln):
        vuln = vuln.assign(breakdown=victims.breakdown_keys(vuln))
    safe = ch.publish(vuln, "vulnerable_populations")
    if not len(vuln):
        ch.not_supplied("partner_indicators", "partner figures on vulnerable groups")
        return
    ch.md(f"Partner figures cover {vulnerable_period(vuln)}; they are the latest the "
          "partnership has published, not figures for the assessment period.")
    ch.table(victims.vulnerable_display(safe, ch.cfg.min_count), None, "Vulnerable groups: "
             "the latest figure of each key measure reported by partners. The full list is "
             "in tables/vulnerable_populations.csv.",
             formats={"Value": ",.1f", "_suppressed": ["Value"]})
    marac = victims.marac_trend(vuln, ch.cfg.area.name)
    if marac:
        ch.figure(*marac, "MARAC referrals and the share that were repeat referrals, by "
                  "quarter, as reported to the partnership.")


def vulnerable_period(vuln: pd.DataFrame) -> str:
    """'April 2015 to March 2025' from the partner figures' first and last dates."""
    start = pd.to_datetime(vuln["period_start"], errors="coerce").min()
    end = pd.to_datetime(vuln["period_end"], errors="coerce").max()
    if pd.isna(start) or pd.isna(end):
        return "periods stated in the table"
    return f"{start:%B %Y} to {end:%B %Y}"


def stale_note(ch: Any, key: str, what: str) -> None:
    """A warning when source ``key`` ends more than 12 months before the period."""
    from sna.periods import month_label
    from sna.sections.methodology import read_manifest, source_dates

    last, stale = source_dates(read_manifest(ch.output_dir), ch.cfg, ch.period).get(
        key, ("", False))
    if stale:
        ch.note(f"Out of date: the {what} end in {month_label(last)}, more than 12 months "
                f"before {month_label(ch.period)}. They describe that earlier time and are "
                "not used as current evidence.", kind="warning")


def show_homicide(ch: Any) -> None:
    """People proceeded against for homicide: the facts of chapter 02's table (one table, one
    set of age groups and years), read as offenders, with a link to the table."""
    if not ch.has("homicide"):
        ch.not_supplied("homicide", "MPS homicide dashboard data")
        return
    area = ch.cfg.area.name
    stale_note(ch, "homicide", "MPS homicide dashboard data")
    ht, safe = other_sources.homicide_published(ch)
    ch.md(md_text(other_sources.homicide_text(ht, safe, area, ch.cfg.threshold("open")))
          + " These are suspects or offenders, not victims: the dashboard's victim data are not "
          "in this extract. The numbers by age group and sex, against London, are in "
          "[chapter 02, Homicide](02_violence_trends.html#Homicide).")


def show_stop_search(ch: Any, wd: wards.WardData) -> None:
    """Stop and search in the area against the Met."""
    if not ch.has("stop_search"):
        ch.not_supplied("stop_search", "police.uk stop and search files")
        return
    area = ch.cfg.area.name
    stale_note(ch, "stop_search", "stop and search files")
    stops, facts = victims.stop_search_table(ch.load("stop_search").frame, wd.wards)
    ch.md(victims.stop_search_sentence(facts, stops, ch.load("census").frame
                                       if ch.has("census") else None,
                                       ch.cfg.threshold("open")))
    safe = ch.publish(stops, "stop_search", **victims.STOP_SUPPRESS)
    ch.table(victims.counts_display(safe, area, "Met"), None, "Stop and search in the area "
             "(point in polygon) against all Met stops in the file. * = suppressed.",
             formats=victims.counts_formats(area, "Met"), sensitivity="open")


def show_assets(ch: Any, wd: wards.WardData, table: pd.DataFrame) -> None:
    """Community assets against the serious violence rate."""
    if not ch.has("assets"):
        ch.not_supplied("assets", "a list of community assets and protective services (name, "
                        "type, ward or coordinates; template data/templates/assets.csv)")
        return
    hot = victims.hotspot_classes(ch, wd, table)
    assets, by_ward = victims.assets_tables(ch.load("assets").frame, wd, hot, table)
    ch.publish(assets, "assets")
    ch.table(by_ward.drop(columns="ward_code").round(1), None, "Community assets by ward, "
             "highest serious violence rate first.")
    ch.figure(*victims.assets_map(wd, by_ward, assets), "Community assets (orange dots, "
              "where coordinates are given) over the smoothed serious violence rate by ward.")


def show_headline(ch: Any, gradient: dict, worse: list[str]) -> None:
    """The chapter's headline finding."""
    ch.finding(deprivation.headline(gradient, worse, ch.cfg.area.name), kind="headline",
               anchor="Deprivation")
