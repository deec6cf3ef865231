"""Chapter 06: the built-in tests of the recommendation rules (``when:`` in the rules YAML).

Each test reads the same facts the chapters show - this run's published tables, the
partnership list of the configuration (who shares what), the sources supplied and their dates
- and returns one dict of template values per match (with a unique ``key``). Tests fire on
robust findings only: a change must pass the overdispersion-aware test (and the robustness
checks, ``change_robust``, when chapter 02 publishes them); a comparison with London must rest
on an interval; out-of-date sources are never treated as current.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sna.config import OPTIONAL_SOURCES
from sna.definitions import load_indicators
from sna.narrative import format_count, join_and, mid_sentence, ordinal, window_phrase
from sna.periods import month_label
from sna.sections import effectiveness as ef  # chapter 05's "Does it work?" rules

# Abbreviations in a partnership's data-source list -> the organisation's right name.
ABBREVIATIONS = {"lds": "London Datastore", "met": "Metropolitan Police Service",
                 "mps": "Metropolitan Police Service", "bt": "British Transport Police",
                 "btp": "British Transport Police", "las": "London Ambulance Service",
                 "tfl": "Transport for London", "nhs": "NHS", "ons": "Office for National Statistics",
                 "mopac": "Mayor's Office for Policing and Crime"}
ORGANISATION = re.compile(r"service|police|ambulance|brigade|council|nhs|board|trust|office",
                          re.IGNORECASE)
NOT_SHARED = re.compile(r"^\s*$|not (?:yet )?shared|^\s*none|^\s*no\b", re.IGNORECASE)
# Data from an organisation -> the optional source key that holds its open data.
OPEN_DATA = (("ambulance", "ambulance"), ("metropolitan police", "mps_ward"),
             ("british transport police", ""), ("a&e", ""))
# Optional keys -> the chapter table that shows the same evidence from another source.
SHOWN_BY = {"vulnerable_populations": "vulnerable_populations", "assets": "assets",
            "partner_indicators": "vulnerable_populations", "cctv": "cctv_by_ward"}
ROBUST_TEXT = ("statistically significant after allowing for the usual variation between "
               "years, and it holds a month earlier, without possession of weapons and against "
               "the three-year average")


@dataclass
class RuleContext:
    """What the rules read: this run's tables and facts about the configuration.

    ``partnership``: the config's partnership list (``organisation, data_shared``);
    ``dates``: source key -> (latest period, out of date?) (methodology.source_dates).
    """

    area: str
    period: str
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    not_supplied: tuple[str, ...] = ()
    min_count: int = 5
    partnership: pd.DataFrame | None = None
    dates: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def stale(self, key: str) -> bool:
        """True when source ``key`` ends more than 12 months before the period."""
        return bool(self.dates.get(key, ("", False))[1])


def as_number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0", "yes")


def _label(indicator: str) -> str:
    """Indicator label for use mid-sentence ('violence with injury')."""
    return mid_sentence(load_indicators().get(indicator, {}).get("label", str(indicator).replace("_", " ")))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def _table(ctx: RuleContext, name: str) -> pd.DataFrame:
    df = ctx.tables.get(name)
    return pd.DataFrame() if df is None else df


# --- changes and levels ---------------------------------------------------------------------

def _dashboard(ctx: RuleContext, window: str) -> pd.DataFrame:
    df = _table(ctx, "performance_dashboard")
    return df[df["window"].astype(str) == window] if len(df) else df


def _change_text(count: float, previous: float, pct: float, min_count: int) -> str:
    if previous == 0 and count > 0:
        return f"up from none to {format_count(count, min_count)}"
    numbers = f"({format_count(count, min_count)} vs {format_count(previous, min_count)})"
    if 0 < count < min_count or 0 < previous < min_count or math.isnan(pct):
        return f"rose {numbers}"
    return f"rose {pct:.1f}% {numbers}"


def significant_rise(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Dashboard rows with a robust rise on the same window a year earlier.

    Reads ``change_robust`` (significant under the overdispersion-aware test and robust to a
    month's shift, dropping possession of weapons and a three-year baseline) when the
    dashboard has it, else ``change_significant``. A zero baseline counts as a rise.
    Params: ``window`` ('12m'), ``min_change_pct`` (0).
    """
    window = str(params.get("window", "12m"))
    rows = _dashboard(ctx, window)
    flag = "change_robust" if "change_robust" in rows.columns else "change_significant"
    out = []
    for _, r in rows.iterrows():
        count, prev, pct = as_number(r["count"]), as_number(r["previous_count"]), as_number(r["change_pct"])
        rising = pct > float(params.get("min_change_pct", 0)) or (prev == 0 and count > 0)
        if truthy(r[flag]) and rising:
            out.append({"key": r["indicator"], "label": _label(r["indicator"]),
                        "places": _places(ctx, r["indicator"]),
                        "change": _change_text(count, prev, pct, ctx.min_count),
                        "window": window_phrase(window, ctx.period),
                        "test": ROBUST_TEXT if flag == "change_robust"
                        else "statistically significant"})
    return out


def _places(ctx: RuleContext, indicator: str, n: int = 3) -> str:
    """' The largest rises were in Burnt Oak (+88) and ...' from chapter 03's ward table for
    the 12 months (counts below the disclosure threshold are left out); '' when none."""
    wi = _table(ctx, "ward_indicators")
    if wi.empty or "previous_count" not in wi:
        return ""
    d = wi[(wi["indicator"] == indicator) & (wi.get("window", "12m").astype(str) == "12m")]
    d = d.assign(_c=pd.to_numeric(d["count"], errors="coerce"),
                 _p=pd.to_numeric(d["previous_count"], errors="coerce"))
    d = d[(d["_c"] >= ctx.min_count) & (d["_p"] >= ctx.min_count) & (d["_c"] > d["_p"])]
    top = d.assign(_d=d["_c"] - d["_p"]).nlargest(n, "_d")
    if top.empty:
        return ""
    items = [f"{w} ({int(c):+d})" for w, c in zip(top["ward_name"], top["_d"], strict=True)]
    return f" The largest ward rises were in {join_and(items)}."


def worst_quartile(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Dashboard rows whose London rank (1 = lowest rate) is in the worst quarter; when the
    dashboard gives the rank's interval (``london_rank_lower95``), even its best end must be.

    Params: ``window`` ('12m'), ``share`` (0.25).
    """
    window, share = str(params.get("window", "12m")), float(params.get("share", 0.25))
    out = []
    for _, r in _dashboard(ctx, window).iterrows():
        rank, n = as_number(r.get("london_rank")), as_number(r.get("london_areas"))
        best = as_number(r.get("london_rank_lower95", rank))
        if n > 0 and rank > n * (1 - share) and not best <= n * (1 - share):
            out.append({"key": r["indicator"], "label": _label(r["indicator"]),
                        "rank": f"{ordinal(int(rank))} of {int(n)}", "rate":
                        f"{as_number(r.get('rate_per_1000')):.2f}",
                        "window": window_phrase(window, ctx.period)})
    return out


def _ward_rows(ctx: RuleContext, params: Mapping[str, Any]) -> pd.DataFrame:
    wi = _table(ctx, "ward_indicators")
    if wi.empty or "indicator" not in wi:
        return wi
    inds = params.get("indicators") or ["serious_violence"]
    wi = wi[wi["indicator"].isin(inds)]
    return wi[wi["window"].astype(str) == "12m"] if "window" in wi else wi


def ward_rise(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Wards whose rise on a year earlier is significant under the overdispersion-aware test
    corrected across wards (``change_significant`` of chapter 03) and above the ward's
    three-year average. Params: ``indicators`` (['serious_violence'])."""
    out = []
    for _, r in _ward_rows(ctx, params).iterrows():
        count, prev = as_number(r.get("count")), as_number(r.get("previous_count"))
        mean3 = as_number(r.get("three_year_mean"))
        if not (truthy(r.get("change_significant")) and count > prev):
            continue
        if not math.isnan(mean3) and count <= mean3:
            continue
        out.append({"key": f"{r['ward_code']}_{r['indicator']}", "ward": r["ward_name"],
                    "label": _label(r["indicator"]),
                    "change": _change_text(count, prev, as_number(r.get("change_pct")),
                                           ctx.min_count),
                    "q": f"{as_number(r.get('change_q')):.3f}",
                    "window": window_phrase("12m", ctx.period)})
    return out


def high_rate_ward(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Wards above the borough rate in each of the latest ``min_windows`` 12-month windows,
    even at the low end of an interval that allows for overdispersion
    (``windows_above_borough`` of chapter 03). Params: ``indicators``, ``min_windows`` (2)."""
    rows = _ward_rows(ctx, params)
    if rows.empty or "windows_above_borough" not in rows:
        return []
    need = int(params.get("min_windows", 2))
    out = []
    for ind, part in rows.groupby("indicator", sort=False):
        pop = pd.to_numeric(part["population"], errors="coerce")
        counts = pd.to_numeric(part["count"], errors="coerce")
        borough = counts.sum() / pop.sum() * 1000
        hits = part[pd.to_numeric(part["windows_above_borough"], errors="coerce") >= need]
        for _, r in hits.sort_values("rate_per_1000", ascending=False).iterrows():
            out.append({"key": f"{r['ward_code']}_{ind}", "ward": r["ward_name"],
                        "label": _label(ind), "rate": f"{as_number(r['rate_per_1000']):.1f}",
                        "borough_rate": f"{borough:.1f}",
                        "years": str(int(as_number(r["windows_above_borough"]))),
                        "window": window_phrase("12m", ctx.period)})
    return out


# --- the response and the register ----------------------------------------------------------

def persistent_gap(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Wards of ``gap_analysis`` that are persistent hot spots that no intervention of the
    right kind reaches (gap 'yes'). 'unknown' (the register does not say) is a gap in the
    register, not in the response: see :func:`register_unknown`. Params: ``gap_values``."""
    df = _table(ctx, "gap_analysis")
    if df.empty:
        return []
    values = [str(v) for v in params.get("gap_values", ["yes"])]
    hits = df[df["persistent"].map(truthy) & df["gap"].astype(str).isin(values)]
    return [{"key": r["ward_code"], "ward": r["ward_name"],
             "gap": "no intervention of the right kind reaches it" if r["gap"] == "yes"
             else "the register does not record any service there",
             "indicators": ", ".join(_label(i) for i in str(r["need_indicators"]).split(";") if i)}
            for _, r in hits.iterrows()]


def register_unknown(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """One match naming the wards with high violence need where the register records no
    service (gap 'unknown'): a gap in what the register records, not evidence of no service."""
    df = _table(ctx, "gap_analysis")
    if df.empty:
        return []
    hits = df[df["need"].map(truthy) & (df["gap"].astype(str) == "unknown")]
    if hits.empty:
        return []
    names = list(hits["ward_name"].astype(str))
    return [{"key": "wards", "wards": join_and(names), "n": str(len(names))}]


def _year_end(value: Any) -> str:
    """'2024' -> '2024-12'; '2023/24' or 'FYE 2024' -> '2024-03'; '' when no year is given."""
    text = str(value)
    m = re.search(r"(\d{4})\s*/\s*(\d{2,4})", text)
    if m:
        return f"{m.group(1)[:2]}{m.group(2)[-2:]}-03"
    years = re.findall(r"(?:19|20)\d{2}", text)
    if not years:
        return ""
    return f"{max(years)}-03" if "FYE" in text.upper() else f"{max(years)}-12"


def worse_than_london(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Risk factors (chapter 04's ``risk_factors``) worse than London on an interval (the
    ``basis`` names a confidence interval), from data no more than 12 months old. A
    difference judged by a fixed margin without an interval, or from an out-of-date year,
    does not fire."""
    df = _table(ctx, "risk_factors")
    if df.empty:
        return []
    from sna.periods import is_stale

    hits = df[df["comparison"].astype(str).str.lower() == "worse than london"]
    out = []
    for _, r in hits.iterrows():
        if "interval" not in str(r.get("basis", "")).lower():
            continue
        if is_stale(_year_end(r.get("year", "")), ctx.period):
            continue
        out.append({"key": _slug(r["factor"]), "factor": mid_sentence(r["factor"]),
                    "value": f"{as_number(r['area_value']):g}",
                    "london": f"{as_number(r['london_value']):g}", "unit": r.get("unit", ""),
                    "year": str(r.get("year", ""))})
    return out


# --- data ----------------------------------------------------------------------------------

def norm_text(text: Any) -> str:
    return re.sub(r"[^a-z0-9&]+", " ", str(text).lower()).strip()


def organisation_of(source: str, items: str) -> str:
    """The organisation a data-source row is about, by its right name: the item when it
    names one ('London Ambulance Service'), else the expanded source ('MET' ->
    'Metropolitan Police Service')."""
    if ORGANISATION.search(items):
        return items.strip()
    return ABBREVIATIONS.get(norm_text(source), source.strip())


def partner_row(ctx: RuleContext, organisation: str) -> pd.Series | None:
    """The partnership entry for ``organisation`` (its name contains the organisation's)."""
    p = ctx.partnership
    if p is None or p.empty:
        return None
    key = norm_text(organisation)
    hits = p[p["organisation"].map(lambda n: key in norm_text(n))]
    return hits.iloc[0] if len(hits) else None


def _open_key(organisation: str, items: str) -> str:
    text = norm_text(f"{organisation} {items}")
    return next((k for w, k in OPEN_DATA if w in text), "")


def not_collected(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Rows of the partnership's data-source list whose status is 'not collected', unless
    chapter 05's partnership list says the organisation shares data, or the run holds its
    open data up to date. Organisations are named in full ('London Ambulance Service', not
    'LDS', which is the London Datastore)."""
    df = _table(ctx, "data_sources")
    if df.empty:
        return []
    status = params.get("status", "not collected")
    out = []
    for _, r in df[df["status"].astype(str).str.strip().str.lower() == status].iterrows():
        items, source = str(r["data_items"]), str(r["source"])
        org = organisation_of(source, items)
        partner = partner_row(ctx, org)
        if partner is not None and not NOT_SHARED.search(str(partner["data_shared"])):
            continue  # chapter 05: this partner shares data for the assessment
        key = _open_key(org, items)
        if key and key not in ctx.not_supplied and not ctx.stale(key):
            continue  # its open data are used and current
        name = str(partner["organisation"]) if partner is not None else org
        what = "data" if items.strip() == org else items
        if key and key not in ctx.not_supplied:
            last = ctx.dates.get(key, ("", True))[0]
            reason = (f"The open data used instead end in {month_label(last)}, more than a "
                      f"year before this assessment." if len(last) == 7 else
                      "The open data used instead are out of date.")
        else:
            reason = ""
        out.append({"key": _slug(f"{source} {items}"), "organisation": name, "items": what,
                    "source": source, "reason": reason})
    return out


def not_supplied(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Optional config data keys not supplied (``keys`` param limits which count), unless a
    chapter shows the same evidence from another source (e.g. chapter 04's vulnerable groups
    from the partner indicators)."""
    keys = params.get("keys") or list(OPTIONAL_SOURCES)
    names = params.get("names", {}) or {}
    out = []
    for k in keys:
        shown = ctx.tables.get(SHOWN_BY.get(k, ""))
        if k not in ctx.not_supplied or (shown is not None and len(shown)):
            continue
        out.append({"key": k, "config_key": f"data.{k}",
                    "what": names.get(k, k.replace("_", " "))})
    return out


def out_of_date(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """One match listing the supplied sources that end more than 12 months before the period
    (``keys`` param limits which count; ``names`` gives plain-English names)."""
    names = params.get("names", {}) or {}
    keys = params.get("keys") or list(ctx.dates)
    old = [(k, ctx.dates[k][0]) for k in keys if k in ctx.dates and ctx.dates[k][1]]
    if not old:
        return []
    items = "; ".join(f"{names.get(k, k.replace('_', ' '))} (to {month_label(m)})"
                      for k, m in old)
    return [{"key": "sources", "items": items, "n": str(len(old))}]


SELECTORS: dict[str, Callable[[RuleContext, Mapping[str, Any]], list[dict]]] = {
    "significant_rise": significant_rise, "worst_quartile": worst_quartile,
    "ward_rise": ward_rise, "high_rate_ward": high_rate_ward,
    "persistent_gap": persistent_gap, "register_unknown": register_unknown,
    "worse_than_london": worse_than_london, "not_collected": not_collected,
    "not_supplied": not_supplied, "out_of_date": out_of_date, **ef.SELECTORS}
TESTS = {"significant_rise": "robust rise on a year earlier",
         "worst_quartile": "worst quarter of London boroughs",
         "ward_rise": "significant ward rise (allowing for overdispersion, corrected across wards)",
         "high_rate_ward": "ward rate above the borough's year after year",
         "persistent_gap": "persistent hot spot that no intervention reaches",
         "register_unknown": "high-need ward where the register records no service",
         "worse_than_london": "risk factor worse than London (on an interval, current data)",
         "not_collected": "data not collected or shared",
         "not_supplied": "input not supplied nor shown otherwise",
         "out_of_date": "source more than 12 months out of date", **ef.TESTS}
READS = {"significant_rise": "performance_dashboard", "worst_quartile": "performance_dashboard",
         "ward_rise": "ward_indicators", "high_rate_ward": "ward_indicators",
         "persistent_gap": "gap_analysis", "register_unknown": "gap_analysis",
         "worse_than_london": "risk_factors", "not_collected": "data_sources",
         "not_supplied": "configuration", "out_of_date": "configuration", **ef.RULE_TABLES}
TABLES = ("performance_dashboard", "ward_indicators", "gap_analysis", "risk_factors",
          *sorted(set(SHOWN_BY.values())), *ef.RULE_TABLES.values())
