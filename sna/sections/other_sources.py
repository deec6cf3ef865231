"""Chapter 02: sources beside recorded crime: knife crime (MPS monthly crime dashboard),
people proceeded against for homicide (MPS homicide dashboard) and London Ambulance Service
call-outs for assault (historical context, to July 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sna import metrics, periods, plots
from sna.disclosure import suppress
from sna.narrative import change_sentence, format_count, md_bullets, md_text, window_phrase
from sna.sections.trend_data import (
    TrendData,
    area_series,
    arrow,
    count_texts,
    labels,
    pct_text,
    populations,
    rate_text,
)
from sna.sections.trend_series import trend_figure

KNIFE_IDS = ("knife_crime_with_injury", "knife_injury_victims_1_24", "knife_crime")
AGE_GROUPS = {"10 to 14": "10-19", "15 to 19": "10-19", "20 to 24": "20-24",
              "25 to 29": "25-34", "30 to 34": "25-34", "35 to 39": "35-49",
              "40 to 44": "35-49", "45 to 49": "35-49"}
AMBULANCE_ASSAULTS, AMBULANCE_WEAPONS = "All Assaults Borough", "All Weapons Borough"


def populations_aged(population: pd.DataFrame, max_age: int,
                     min_age: int = 0) -> dict[str, float]:
    """Residents aged ``min_age`` to ``max_age`` by LTLA name.

    Census TS007A gives five-year bands, so a band that ``min_age`` cuts (0-4 for victims
    aged 1-24) is counted in proportion to the single years it keeps (four fifths of 0-4),
    assuming residents are spread evenly over the band's years.
    """
    d = population[(population["age_max"] <= max_age) & (population["age_max"] >= min_age)]
    width = d["age_max"] - d["age_min"] + 1
    kept = d["age_max"] - np.maximum(d["age_min"], min_age) + 1
    return populations(d.assign(population=d["population"] * kept / width))


def knife_table(monthly: pd.DataFrame, pops: dict[str, float], young: dict[str, float],
                members: Sequence[str], area: str, period: str) -> pd.DataFrame:
    """Knife crime (MPS crime dashboard) for the area, 12 months to the period or to the last
    month of the knife data if earlier, with the London rate.

    Returns ``indicator, label, period_start, period_end, count, previous_count, change_pct,
    change_significant, rate_per_1000, london_rate_per_1000, denominator``; victims aged 1-24
    are per 1,000 residents aged 1-24 (:func:`populations_aged`), offences per 1,000
    residents (unsuppressed).
    """
    data = monthly.loc[monthly["source"] == "knife_crime", ["borough", "indicator", "month",
                                                            "count"]]
    end = min(period, str(data["month"].max()))
    keys = ["borough", "indicator"]
    cur = metrics.window_total(data, end, "12m", by=keys)
    cur["previous_count"] = metrics.window_total(data, end, "12m", previous=True,
                                                 by=keys)["count"].to_numpy()
    rows = []
    for ind in [i for i in KNIFE_IDS if i in set(data["indicator"])]:
        part = cur[cur["indicator"] == ind]
        denom = young if ind == "knife_injury_victims_1_24" else pops
        here = part[part["borough"] == area]
        inside = part[part["borough"].isin(members)]
        count = here["count"].sum(min_count=1)
        rows.append({"indicator": ind, "label": labels()[ind],
                     "period_start": part["period_start"].iloc[0], "period_end": end,
                     "count": count, "previous_count": here["previous_count"].sum(min_count=1),
                     "rate_per_1000": round(count / denom.get(area, np.nan) * 1000, 4),
                     "london_rate_per_1000": round(inside["count"].sum() / sum(
                         denom.get(b, 0) for b in inside["borough"]) * 1000, 4),
                     "denominator": "residents aged 1-24" if denom is young else "residents"})
    out = pd.DataFrame(rows)
    out.insert(6, "change_pct", metrics.change_pct(out["count"], out["previous_count"]))
    out.insert(7, "change_significant", metrics.change_significant(out["count"],
                                                                   out["previous_count"]))
    return out


def homicide_table(homicide: pd.DataFrame, area: str, period: str, years: int = 10
                   ) -> pd.DataFrame:
    """Persons proceeded against for homicide by age group and sex, area vs London, over the
    ``years`` years to the last month of the data (at most the period).

    Returns ``dimension, group, area_count, area_share, london_count, london_share,
    period_start, period_end`` with an ``All`` row per dimension (unsuppressed).
    """
    end = min(period, str(homicide["month"].max()))
    start = periods.add_months(end, -12 * years + 1)
    d = homicide[(homicide["month"] >= start) & (homicide["month"] <= end)]
    d = d.assign(Age=d["age_group"].map(AGE_GROUPS).fillna("50 and over"), Sex=d["gender"])
    parts = []
    for dim in ("Age", "Sex"):
        london = d.groupby(dim)["count"].sum()
        here = d[d["borough"] == area].groupby(dim)["count"].sum().reindex(london.index,
                                                                           fill_value=0)
        part = pd.DataFrame({"dimension": dim, "group": london.index,
                             "area_count": here.to_numpy(), "london_count": london.to_numpy()})
        total = pd.DataFrame([{"dimension": dim, "group": "All", "area_count": here.sum(),
                               "london_count": london.sum()}])
        parts.append(pd.concat([part, total], ignore_index=True))
    out = pd.concat(parts, ignore_index=True)
    for side in ("area", "london"):
        whole = out["dimension"].map(out[out["group"] == "All"].set_index("dimension")[
            f"{side}_count"])
        out[f"{side}_share"] = (out[f"{side}_count"] / whole.where(whole > 0) * 100).round(1)
    out["period_start"], out["period_end"] = start, end
    return out[["dimension", "group", "area_count", "area_share", "london_count",
                "london_share", "period_start", "period_end"]]


def homicide_published(ch: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`homicide_table` for the chapter's area and period, and the same suppressed as
    published (open MPS statistics: the threshold of ``disclosure.open_data``)."""
    ht = homicide_table(ch.load("homicide").frame, ch.cfg.area.name, ch.period)
    safe = suppress(ht, ["area_count", "london_count"], ch.cfg.threshold("open"),
                    group_cols=["dimension"], total_row={"group": "All"},
                    dependent={"area_count": ["area_share"], "london_count": ["london_share"]})
    return ht, safe


def homicide_text(ht: pd.DataFrame, safe: pd.DataFrame, area: str, m: int) -> str:
    """How many people were proceeded against for homicide and how many were aged 10-24,
    against London (plain text; the share only when no count behind it is suppressed)."""
    total = ht[(ht["dimension"] == "Age") & (ht["group"] == "All")].iloc[0]
    young = ht[(ht["dimension"] == "Age") & ht["group"].isin(["10-19", "20-24"])]
    young_safe = safe.loc[young.index, "area_count"].notna().all()
    text = (f"Between {periods.month_label(total['period_start'])} and "
            f"{periods.month_label(total['period_end'])}, "
            f"{format_count(total['area_count'], m)} people were proceeded against for homicide "
            f"in {area} (London: {format_count(total['london_count'], m)}).")
    if young_safe and total["area_count"] >= m:
        text += (f" {young['area_share'].sum():.0f}% of them were aged 10-24 (London "
                 f"{young['london_share'].sum():.0f}%).")
    return text


def ambulance_summary(amb: pd.DataFrame, area: str, break_month: str = "2015-09"
                      ) -> pd.DataFrame:
    """LAS assaults and weapon injuries, the area's share of London, in the 12 months before
    the series break: ``incident_type, area_count, london_count, area_share_pct``."""
    months = periods.window_months(periods.add_months(break_month, -1), "12m")
    d = amb[amb["month"].isin(months) & amb["incident_type"].isin(
        [AMBULANCE_ASSAULTS, AMBULANCE_WEAPONS])]
    london = d.groupby("incident_type")["count"].sum()
    here = d[d["borough_name"] == area].groupby("incident_type")["count"].sum()
    out = pd.DataFrame({"area_count": here, "london_count": london}).reset_index()
    out["area_share_pct"] = (out["area_count"] / out["london_count"] * 100).round(1)
    out["period_start"], out["period_end"] = months[0], months[-1]
    return out


def show_knife(ch: Any, td: TrendData) -> pd.DataFrame | None:
    """Publish ``knife_crime``: knife offences and young victims vs London (if supplied)."""
    if not ch.has("knife_crime"):
        ch.not_supplied("knife_crime", "MPS monthly crime dashboard (knife crime with injury, "
                        "knife injury victims aged 1-24)")
        return None
    area, m = ch.cfg.area.name, ch.cfg.min_count
    young = populations_aged(ch.load("population").frame, 24, min_age=1)
    kt = knife_table(td.monthly, td.pops, young, td.members, area, ch.period)
    end = str(kt["period_end"].iloc[0])
    if end < ch.period:
        ch.note(f"The knife crime data end in {periods.month_label(end)}: figures here are for "
                f"the 12 months to {periods.month_label(end)}.")
    lines = [change_sentence(r["label"], r["count"], r["previous_count"], r["change_pct"],
                             r["change_significant"], window_phrase("12m", end), min_count=m,
                             unit="victims" if "victims" in r["indicator"] else "offences")
             + f" Rate {rate_text(r['rate_per_1000'])} per 1,000 {r['denominator']} (London "
               f"{rate_text(r['london_rate_per_1000'])})." for _, r in kt.iterrows()]
    ch.md(md_bullets(lines))
    s = area_series(td.monthly.assign(source="crime"), area)
    s = s[s["indicator"] == "knife_crime_with_injury"]
    fig, alt = trend_figure(s, ["knife_crime_with_injury"], f"Knife crime with injury in "
                            f"{area}: 12-month rolling total", str(s["month"].min()),
                            rolling_totals=True)
    ch.figure(fig, alt, "Offences in the 12 months to each month (MPS monthly crime "
              "dashboard, borough level). Monthly numbers are small, so only rolling totals "
              "are shown.")
    safe = suppress(kt, ["count", "previous_count"], m, dependent={
        "count": ["change_pct", "change_significant", "rate_per_1000"],
        "previous_count": ["change_pct", "change_significant"]})
    ch.table(safe, "knife_crime", f"Knife crime in {area}, 12 months to "
             f"{periods.month_label(end)} (MPS monthly crime dashboard)",
             show=knife_display(kt, safe, area, m))
    return safe


def knife_display(kt: pd.DataFrame, safe: pd.DataFrame, area: str, m: int) -> pd.DataFrame:
    """Readable knife crime table (strings) from the raw and suppressed tables."""
    return pd.DataFrame({
        "Measure": safe["label"],
        "Count": count_texts(kt["count"], safe["count"], m),
        "A year earlier": count_texts(kt["previous_count"], safe["previous_count"], m),
        "Change": [arrow(c, g) for c, g in zip(safe["change_pct"], safe["change_significant"],
                                                strict=True)],
        f"{area} per 1,000": safe["rate_per_1000"].map(rate_text),
        "London per 1,000": safe["london_rate_per_1000"].map(rate_text),
        "Per 1,000 of": safe["denominator"]})


def show_homicide(ch: Any) -> pd.DataFrame | None:
    """Publish ``homicide``: persons proceeded against for homicide by age and sex."""
    if not ch.has("homicide"):
        ch.not_supplied("homicide", "MPS homicide dashboard (persons proceeded against for "
                        "homicide by age and sex)")
        return None
    area, m = ch.cfg.area.name, ch.cfg.threshold("open")  # open MPS statistics
    ht, safe = homicide_published(ch)
    ch.md(md_text(homicide_text(ht, safe, area, m)) + "\n\nThese are people charged or "
          "summonsed for homicide (or who "
          "died before proceedings), counted by the date of proceedings and the borough "
          "recorded: not the number of homicides in the year, which the dashboard above "
          "gives.")
    ch.table(safe, "homicide", f"Persons proceeded against for homicide by age group and sex, "
             f"{area} and London (MPS homicide dashboard"
             + (f"; '<{m}': fewer than {m}; 'hidden': hidden so that a small number cannot be "
                "worked out from the total)" if m > 1 else ", as the MPS publishes it)"),
             show=pd.DataFrame({
                 "By": safe["dimension"], "Group": safe["group"],
                 f"{area} persons": count_texts(ht["area_count"], safe["area_count"], m),
                 f"{area} %": safe["area_share"].map(pct_text),
                 "London persons": count_texts(ht["london_count"], safe["london_count"], m),
                 "London %": safe["london_share"].map(pct_text)}))
    return safe


def show_ambulance(ch: Any) -> None:
    """Historical context: London Ambulance Service assaults (to July 2016, break Sep 2015)."""
    if not ch.has("ambulance"):
        ch.not_supplied("ambulance", "London Ambulance Service call-outs for assaults and "
                        "weapon injuries by borough")
        return
    area = ch.cfg.area.name
    loaded = ch.load("ambulance")
    amb = loaded.frame
    breaks = loaded.meta.get("series_breaks") or [{"month": "2015-09", "note": ""}]
    d = amb[(amb["borough_name"] == area) & (amb["incident_type"] == AMBULANCE_ASSAULTS)]
    cut = breaks[0]["month"]
    d = d.assign(series=np.where(d["month"] < cut, "Before the change", "After the change"),
                 value=d["count"])
    fig, alt = plots.line_trend(d, f"Ambulance call-outs to assaults in {area}",
                                "Call-outs per month", [{"month": cut,
                                                         "note": "recording change"}])
    ch.figure(fig, alt, "London Ambulance Service incidents coded as assault, by month, with "
              "the 12-month average before the recording change. "
              + " ".join(f"{periods.month_label(b['month'])}: {b['note']}." for b in breaks
                         if b.get("note")))
    summ = ambulance_summary(amb, area, breaks[0]["month"])
    names = {AMBULANCE_ASSAULTS: "assaults", AMBULANCE_WEAPONS: "weapon injuries"}
    parts = [f"{format_count(r['area_count'], ch.cfg.min_count)} call-outs to "
             f"{names.get(r['incident_type'], r['incident_type'])} ({r['area_share_pct']:.1f}% "
             "of London's)" for _, r in summ.iterrows()]
    if len(summ):
        r = summ.iloc[0]
        ch.md(md_text(f"Between {periods.month_label(r['period_start'])} and "
                      f"{periods.month_label(r['period_end'])}, the last 12 months before the "
                      f"recording change, the ambulance service made {' and '.join(parts)} in "
                      f"{area}; {area} has {td_share(ch):.1f}% of London's residents (Census "
                      "2021)."))


def td_share(ch: Any) -> float:
    """The area's share of London's residents (33 London LTLAs), in %."""
    pops = populations(ch.load("population").frame)
    london = sum(pops.get(b, 0) for b in metrics.LONDON_BOROUGHS)
    return pops.get(ch.cfg.area.name, np.nan) / london * 100 if london else np.nan
