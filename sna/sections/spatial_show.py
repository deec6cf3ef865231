"""Chapter 03 (spatial distribution and hot spots) as calls: each ``show_*`` function writes
one section of the chapter through ``ch`` (Markdown, published tables, figures, findings),
so the notebook only calls ``sna`` (as chapter 02 does). The analysis is in
:mod:`~sna.sections.wards`, :mod:`~sna.sections.hotspots` and :mod:`~sna.sections.lsoa_maps`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sna.narrative import join_and
from sna.periods import month_label
from sna.safe import md_esc
from sna.sections import hotspots, lsoa_maps, wards


def show_intro(ch: Any) -> tuple[wards.WardData, pd.DataFrame, pd.DataFrame, str]:
    """Load the ward data and write the period line; returns ``(wd, table, recon, ind)``."""
    wd = wards.load_ward_data(ch)
    table = wards.ward_table(wd, ch.period)
    recon = wards.reconciliation(wd, table, ch.period)
    ch.md("Period: the 12 months **{w}**, {a}, {n} wards.", w=wards.window_text(ch.period),
          a=ch.cfg.area.name, n=len(wd.wards))
    return wd, table, recon, wards.main_indicator(table)


def show_boundaries(ch: Any, wd: wards.WardData) -> None:
    """The ward boundary sentence and any data note."""
    ch.md(wards.boundary_sentence(ch.cfg.area.name, len(wd.wards), wd.months[0]))
    if wd.notes:
        ch.note(" ".join(wd.notes), kind="warning")


def show_wards(ch: Any, wd: wards.WardData, table: pd.DataFrame, recon: pd.DataFrame,
               ind: str) -> pd.DataFrame:
    """Ward summary, the published ward table and the rate map; returns the safe table."""
    m = ch.cfg.threshold("open")
    ch.md(wards.ward_summary(table, recon, m))
    safe = ch.publish(table, "ward_indicators", **wards.SUPPRESS)
    ch.table(wards.ward_display(safe, ind), None, f"{wards.label(ind)} by ward, "
             f"{wards.window_text(ch.period)}, highest smoothed rate first. * = fewer than "
             f"{m} offences, or worked out from such a count (suppressed).",
             formats=wards.DISPLAY_FORMATS, sensitivity="open")
    return safe


def show_rate_map(ch: Any, wd: wards.WardData, table: pd.DataFrame, ind: str,
                  recon: pd.DataFrame) -> None:
    """The smoothed-rate map and the ward-file check."""
    m = ch.cfg.threshold("open")
    ch.figure(*wards.rate_map(wd, table, ind, ch.period, m),
              "Smoothed rate per 1,000 residents by 2022 ward; classes by natural breaks "
              "(Fisher-Jenks); darker = higher.")
    ch.table(wards.reconciliation_display(ch.protect(recon, "ward_reconciliation"), m), None,
             "Check: ward counts against the borough total of the same police ward file, "
             f"{wards.window_text(ch.period)}. * = fewer than {m}. The ward file is checked "
             "against the separate borough file in chapter 07 (Methodology).",
             formats=wards.RECON_FORMATS, sensitivity="open")


def show_offence_maps(ch: Any, wd: wards.WardData, table: pd.DataFrame) -> None:
    """Relative-rate maps of the main offence types."""
    m = ch.cfg.threshold("open")
    grey = f" Grey: fewer than {m} offences (suppressed)." if m > 1 else ""
    ch.figure(*wards.relative_maps(wd, table, wards.MAP_INDICATORS, ch.period, m),
              "Smoothed ward rate divided by the borough rate, by offence type; shared "
              "colour classes (quantiles)." + grey)


def show_change(ch: Any, wd: wards.WardData, table: pd.DataFrame, ind: str) -> None:
    """Ward changes on a year earlier (overdispersion-aware test) and the change map."""
    ch.md(wards.change_summary(table, ch.cfg.threshold("open")))
    ch.figure(*wards.change_map(wd, table, ind, ch.period, ch.cfg.threshold("open")),
              "Change in the number of offences against the same 12 months a year earlier; "
              "red = more, blue = fewer. Most changes of this size happen by chance from one "
              "year to the next.")


def show_hotspots(ch: Any, wd: wards.WardData, table: pd.DataFrame,
                  ind: str) -> pd.DataFrame:
    """Gi* hot spots: text, published table, overview and map; returns the hot-spot table."""
    windows = hotspots.hotspot_windows(wd, ch.period)
    hot = hotspots.ward_hotspots(wd, windows)
    hot_md, hot_finding, hot_evidence = hotspots.hotspot_text(hot, table)
    ch.md(hot_md)
    ch.publish(hot, "ward_hotspots")
    ch.table(hotspots.hotspot_overview(hot), None, "Hot and cold spots by offence type "
             f"({wards.window_text(ch.period)}) and persistence over the last {len(windows)} "
             "12-month windows. p = the permutation test for one ward alone; q = the same "
             "after allowing for testing every ward (significant when q < 0.05).",
             sensitivity="open")
    ch.figure(*hotspots.hotspot_map(wd, hot, ind),
              "Getis-Ord Gi* for the smoothed rate, latest 12 months: hot and cold spot "
              "classes after the false discovery rate correction when any ward is "
              "significant; otherwise the Gi* score, which shows where high (red) or low "
              "(blue) rates cluster even though no cluster passes the test.")
    ch.finding(hot_finding, kind="hotspot", anchor="Hot-spots", **hot_evidence)
    return hot


def show_concentration(ch: Any, wd: wards.WardData, table: pd.DataFrame, ind: str):
    """Concentration in the top 10% of wards and LSOAs; returns ``(ld, conc)``."""
    ld = lsoa_maps.load_lsoa_data(ch, wd, ch.period)
    conc = hotspots.concentration_table(table, ld.table if ld else None)
    text = hotspots.concentration_text(conc, ind)
    ch.md(text)
    safe = ch.publish(conc, "concentration", **hotspots.CONCENTRATION_SUPPRESS)
    lsoa_window = f"; LSOAs {wards.window_text(ld.end)}" if ld else ""
    ch.table(hotspots.concentration_display(safe), None, "Share of offences in the 10% of "
             "areas with the most offences (wards, and LSOAs where supplied): wards "
             f"{wards.window_text(ch.period)}{lsoa_window}.",
             formats=hotspots.CONCENTRATION_FORMATS, sensitivity="open")
    sv = conc[conc["indicator"] == ind]
    ch.finding(text.replace("**", ""), kind="hotspot", anchor="Concentration",
               top_areas=list(sv["top_areas"]), top_share_pct=list(sv["top_share_pct"]))
    return ld, conc


def show_lsoa(ch: Any, wd: wards.WardData, ld, hot: pd.DataFrame) -> None:
    """LSOA text, table and maps; names LSOA hot spots when no ward is one."""
    if ld is None:
        ch.not_supplied("mps_lsoa", "MPS recorded crime by LSOA (and the LSOA lookup)")
        return
    lsoa_md, evidence = lsoa_maps.lsoa_text(ld, ch.cfg.threshold("open"))
    ch.md(lsoa_md)
    ch.publish(ld.table, "lsoa_indicators", **lsoa_maps.LSOA_SUPPRESS)
    ward_hot = hot["hotspot_class"].astype(str).str.startswith("Hot").any() if len(hot) \
        else False
    if evidence.get("lsoa_hot_spots") and not ward_hot:
        ch.finding(lsoa_hot_sentence(evidence["lsoa_hot_spots"], len(wd.wards)),
                   kind="hotspot", anchor="Hot-spots",
                   lsoa_hot_spots=evidence["lsoa_hot_spots"])
    if ld.polygons is None:
        ch.not_supplied("lsoa", "LSOA 2021 boundaries (for LSOA maps and hot spots)")
        return
    m = ch.cfg.threshold("open")
    ch.figure(*lsoa_maps.lsoa_map(ld, wd, m), "Smoothed rate per 1,000 residents by LSOA, "
              "with 2022 ward boundaries.")
    ch.figure(*lsoa_maps.lsoa_map(ld, wd, m, kind="hotspot"), "Getis-Ord Gi* by LSOA, with "
              "2022 ward boundaries: classes after the false discovery rate correction when "
              "any LSOA is significant, otherwise the Gi* score (red = high rates cluster, "
              "blue = low).")


def lsoa_hot_sentence(places: list[str], n_wards: int) -> str:
    """Finding that names LSOA hot spots where the ward test found none."""
    return (f"No ward is a significant hot spot, but with only {n_wards} wards that test has "
            "little power; at the finer level of neighbourhoods, "
            + join_and(places) + (" is a" if len(places) == 1 else " are")
            + " statistically significant hot spot" + "s" * (len(places) > 1)
            + " (Gi*, false discovery rate 5%).")


def cctv_sentence(ch: Any, long: pd.DataFrame) -> str:
    """The CCTV sentence, with the file's dates flagged when out of date and the partner
    figures' published total when it differs from the sum of the cells."""
    from sna.periods import is_stale

    text = lsoa_maps.cctv_sentence(long, ch.cfg.min_count)
    end = str(pd.Timestamp(long["period_end"].max()).strftime("%Y-%m"))
    if is_stale(end, ch.period):
        text += (f" **Out of date:** these figures end in {month_label(end)}, more than a year "
                 f"before {month_label(ch.period)}; they show where cameras saw incidents "
                 "then, not now.")
    published = published_cctv_total(ch, long)
    total = int(long["count"].sum())
    if published is not None and published != total:
        text += (f" The cells of the published table sum to {total:,}, but the paper's own "
                 f"total is {published:,} (its cells and margins disagree); the cells are "
                 "used here, and chapter 05 quotes the paper's total.")
    return text


def published_cctv_total(ch: Any, long: pd.DataFrame) -> int | None:
    """The borough total of CCTV incidents the partner figures give for the same dates."""
    if not ch.has("partner_indicators"):
        return None
    pi = ch.load("partner_indicators").frame
    start, end = str(long["period_start"].min())[:10], str(long["period_end"].max())[:10]
    hit = pi[(pi["indicator"] == "cctv_incidents") & (pi["area"] == ch.cfg.area.name)
             & (pi["period_start"].astype(str).str[:10] == start)
             & (pi["period_end"].astype(str).str[:10] == end)]
    return int(hit["value"].iloc[0]) if len(hit) else None


def show_cctv(ch: Any, wd: wards.WardData) -> None:
    """CCTV incidents by ward: sentence, published table, display table and map."""
    if not ch.has("cctv"):
        ch.not_supplied("cctv", "CCTV incidents by ward (template: "
                        "data/templates/cctv_incidents_by_ward.csv)")
        return
    m = ch.cfg.min_count
    long, by_ward = lsoa_maps.cctv_tables(ch.load("cctv").frame, wd.wards)
    ch.md(cctv_sentence(ch, long))
    ch.publish(long, "cctv_by_ward", count_cols=["count"])
    shown = by_ward.drop(columns="ward_code").rename(columns={
        "ward_name": "Ward", "incidents": "Incidents",
        "violence_related": "Violence-related incidents"}).sort_values("Incidents",
                                                                       ascending=False)
    cols = ["Incidents", "Violence-related incidents"]
    ch.table(wards.shown(shown, cols, m), None, "CCTV incidents by ward (violence-related = "
             "violent crime, offensive weapon, robbery, sexual offence, murder, public "
             f"disorder). * = fewer than {m}.",
             formats={"Incidents": ",.0f", "Violence-related incidents": ",.0f",
                      "_suppressed": cols})
    ch.figure(*lsoa_maps.cctv_map(wd, by_ward, m), "CCTV incidents recorded by the control "
              "room, by ward. Cameras are not spread evenly, so this shows where cameras see "
              "incidents, not where all incidents happen.")


def show_police_uk(ch: Any, wd: wards.WardData) -> None:
    """police.uk street-level crime: types table, sentence and map."""
    if not ch.has("police_uk"):
        ch.not_supplied("police_uk", "police.uk street-level crime files")
        return
    m = ch.cfg.min_count
    pu = ch.load("police_uk").frame
    types = lsoa_maps.police_uk_types(pu)
    ch.table(wards.shown(types.rename(columns={
        "crime_type": "Crime type", "records": "Records", "first_month": "First month",
        "last_month": "Last month"}), ["Records"], m), None,
        "Crime types in the police.uk street-level files supplied.",
        formats={"Records": ",.0f", "_suppressed": ["Records"]})
    text = lsoa_maps.police_uk_sentence(types)
    last = str(types["last_month"].max()) if len(types) else ""
    from sna.periods import is_stale

    if is_stale(last, ch.period):
        text += (f" **Out of date:** these files end in {md_esc(month_label(last))}, more than "
                 "a year before the assessment period, so they are shown for their detail, "
                 "not as current evidence.")
    ch.md(text)
    fig, alt, level, kinds = lsoa_maps.police_uk_map(
        pu, wd, ch.load("lsoa").frame if ch.has("lsoa") else None, m)
    ch.figure(fig, alt, f"police.uk records by {level} ({', '.join(kinds)}); locations are "
              "snapped to nearby points.")


def show_headline(ch: Any, table: pd.DataFrame, hot: pd.DataFrame,
                  conc: pd.DataFrame) -> None:
    """The chapter's headline finding."""
    ch.finding(hotspots.headline(table, hot, conc), kind="headline",
               anchor="Where-serious-violence-happens")
