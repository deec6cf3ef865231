"""Chapter 02 (violence data and trends): the opening, the performance dashboard and the
chapter's headline and change findings.

Each dashboard row compares the latest 12 (and 3) months with the same months a year earlier,
with rates, London and BCU ranks and a test of the change; the shared data, London frame and
disclosure rules are in :mod:`sna.sections.trend_data`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sna import change, metrics, periods
from sna import data as sna_data
from sna.definitions import dashboard_ids
from sna.narrative import (
    change_sentence,
    format_rate,
    md_bullets,
    md_text,
    ordinal,
    robustness_sentence,
    window_phrase,
)
from sna.sections.trend_data import (
    SOURCE_TEXT,
    SV,
    TrendData,
    arrow,
    count_texts,
    labels,
    suppress_sv,
)
from sna.sections.who_data import RANK_CI_COLUMNS, with_rank_intervals

DEPENDENT = {"count": ["change_pct", "rate_per_1000", "rate_lower95", "rate_upper95",
                       "change_significant", "change_p", "change_robust", "london_rank",
                       "bcu_rank", *RANK_CI_COLUMNS],
             "previous_count": ["change_pct", "change_significant", "change_p",
                                "change_robust"]}
CHECK_DEPENDENT = {"count": ["change_pct", "p_value", "significant"],
                   "comparison": ["change_pct", "p_value", "significant"]}


def build_dashboard(monthly: pd.DataFrame, pops: dict[str, float], area: Any,
                    period: str, checks: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`sna.metrics.performance_dashboard` for the area (unsuppressed)."""
    dash = metrics.performance_dashboard(monthly, pops, area.name, period, bcu=area.bcu,
                                         checks=checks)
    return with_rank_intervals(dash, monthly, pops, area.name, period)  # sections.who_data


def build_checks(monthly: pd.DataFrame, area: Any, period: str,
                 windows: tuple[str, ...] = ("3m", "12m")) -> pd.DataFrame:
    """The robustness checks of every dashboard change (:func:`sna.change.robustness`),
    unsuppressed."""
    present = set(monthly["indicator"])
    ids = [i for i in dashboard_ids() if i in present]
    return change.checks_for_area(monthly, area.name, period, ids, windows)


def safe_checks(checks: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """``tables/change_robustness.csv`` after disclosure control (counts below ``min_count``
    hidden with their change and test; one more serious violence component hidden per check
    when one is)."""
    safe = suppress_sv(checks, ["count", "comparison"], min_count, ["window", "check"],
                       CHECK_DEPENDENT)
    for window in pow_hidden(safe):
        # serious violence minus possession of weapons would reveal the hidden count
        rows = (safe["check"] == "without_possession_of_weapons") & (safe["window"] == window)
        safe.loc[rows, ["count", "comparison", "change_pct", "p_value"]] = np.nan
    return safe[list(change.CHECK_COLUMNS)]


def hidden_checks(checks: pd.DataFrame, safe: pd.DataFrame) -> list[str]:
    """The checks of ``checks`` (one indicator and window) whose count or comparison is
    hidden in the published table ``safe`` (:func:`safe_checks`)."""
    keys = ["indicator", "window", "check"]
    merged = checks[keys].merge(safe[[*keys, "count", "comparison"]], on=keys, how="left")
    gone = merged["count"].isna() | merged["comparison"].isna()
    both = checks["count"].notna().to_numpy() & checks["comparison"].notna().to_numpy()
    return list(merged.loc[gone.to_numpy() & both, "check"])


def pow_hidden(safe_checks: pd.DataFrame) -> list[str]:
    """Windows in which a possession of weapons count is hidden (so the serious violence total
    without it must not be published either)."""
    pw = safe_checks[(safe_checks["indicator"].isin(change.POLICE_ACTIVITY))
                     & (safe_checks["check"] == "year_earlier")]
    return sorted(set(pw.loc[pw["count"].isna() | pw["comparison"].isna(), "window"]))


def safe_dashboard(dash: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The contract table after disclosure control (``DASHBOARD_COLUMNS`` and the rank
    interval columns)."""
    safe = suppress_sv(dash, ["count", "previous_count"], min_count, ["window"], DEPENDENT)
    return safe[[*metrics.DASHBOARD_COLUMNS, *RANK_CI_COLUMNS]]


def last_month(monthly: pd.DataFrame, indicator: str) -> str | None:
    """Last month with data for an indicator (any borough)."""
    months = monthly.loc[monthly["indicator"] == indicator, "month"]
    return None if months.empty else str(months.max())


def dashboard_sentence(row: pd.Series, safe: pd.Series, area: str, monthly: pd.DataFrame,
                       min_count: int, target: float | None = None,
                       checks: pd.DataFrame | None = None,
                       checks_all: pd.DataFrame | None = None) -> str:
    """One sentence for a dashboard row, in the partnership's phrasing (see
    :func:`sna.narrative.change_sentence`); ranks are left out when the count is hidden.
    With ``checks`` (the row's robustness checks) a significant change, and the 12-month
    serious violence total, are followed by the checks and the conclusion
    (:func:`sna.narrative.robustness_sentence`); ``checks_all`` (every row's checks) tells
    which numbers are hidden."""
    label = labels()[row["indicator"]]
    secondary = [c for c in ("count", "previous_count")
                 if pd.notna(row[c]) and row[c] >= min_count and pd.isna(safe[c])]
    if secondary:
        return (f"{label}: not published for {window_phrase(row['window'], row['period_end'])}"
                ", so that a small number of homicides cannot be worked out by subtraction "
                "from the serious violence total.")
    text = change_sentence(label, row["count"], row["previous_count"], row["change_pct"],
                           row["change_significant"], window_phrase(row["window"],
                                                                    row["period_end"]),
                           safe["london_rank"], safe["london_areas"], area,
                           min_count=min_count)
    if pd.isna(row["count"]):
        end = last_month(monthly, row["indicator"])
        if end and end < row["period_end"]:
            text = text[:-1] + f" (these data end in {periods.month_label(end)})."
    if (checks is not None and len(checks) and pd.notna(safe["change_significant"])
            and (bool(safe["change_significant"])
                 or (row["indicator"] == SV and row["window"] == "12m"))):
        extra = robustness_sentence(checks, min_count, hidden_checks(
            checks, safe_checks(checks_all, min_count)))
        text += f" {extra}" if extra else ""
    if target is not None and pd.notna(safe["change_pct"]):
        met = "met" if safe["change_pct"] <= target else "not met"
        text += f" Partnership target: {target:+g}% ({met})."
    return text


def dashboard_display(dash: pd.DataFrame, safe: pd.DataFrame, window: str,
                      min_count: int = 5) -> pd.DataFrame:
    """Readable version of one window of the dashboard: strings, '<5' where a small count is
    hidden, 'hidden' where a count is hidden to protect another (``safe`` is the suppressed
    copy of ``dash``, same index)."""
    keep = safe.index[safe["window"] == window]
    keep = sv_first(list(keep), list(safe.loc[keep, "indicator"]))
    d, raw = safe.loc[keep], dash.loc[keep]

    rate = [("-" if pd.isna(r) else f"{format_rate(r)} ({format_rate(lo)} to {format_rate(hi)})")
            for r, lo, hi in zip(d["rate_per_1000"], d["rate_lower95"], d["rate_upper95"],
                                 strict=True)]
    return pd.DataFrame({
        "Indicator": d["indicator"].map(labels()),
        "Offences": count_texts(raw["count"], d["count"], min_count),
        "A year earlier": count_texts(raw["previous_count"], d["previous_count"], min_count),
        "Change": [_robust_arrow(c, s, r) for c, s, r in zip(
            d["change_pct"], d["change_significant"], d["change_robust"], strict=True)],
        "Rate per 1,000 residents (95% CI)": rate,
        "London rank (1 = lowest rate)": _ranks(d["london_rank"], d["london_areas"],
                                                d.get("london_rank_lower95"),
                                                d.get("london_rank_upper95")),
        "BCU rank": _ranks(d["bcu_rank"], d["bcu_areas"]),
    })


def _robust_arrow(change_: Any, significant: Any, robust: Any) -> str:
    """:func:`arrow` with 'robust' / 'not robust' after a significant change."""
    text = arrow(change_, significant)
    if text.endswith("(significant)") and pd.notna(robust):
        text = text[:-1] + (", robust)" if bool(robust) else ", not robust)")
    return text


def _ranks(rank: pd.Series, n: pd.Series, lower: pd.Series | None = None,
           upper: pd.Series | None = None) -> list[str]:
    """'3rd of 32', with the 95% rank interval when given: '3rd of 32 (2nd-5th)'."""
    lower = lower if lower is not None else pd.Series(pd.NA, index=rank.index)
    upper = upper if upper is not None else pd.Series(pd.NA, index=rank.index)
    return ["-" if pd.isna(r) else f"{ordinal(int(r))} of {int(k)}" + (
        "" if pd.isna(lo) else f" ({ordinal(int(lo))}-{ordinal(int(hi))})")
        for r, k, lo, hi in zip(rank, n, lower, upper, strict=True)]


def change_findings(dash: pd.DataFrame, safe: pd.DataFrame, sentences: list[str]
                    ) -> list[dict[str, Any]]:
    """Evidence of every statistically significant change whose counts are published
    (``p_value`` and ``robust`` from the overdispersion-aware test of :mod:`sna.change`)."""
    out = []
    for i, row in dash.iterrows():
        shown = pd.notna(safe.loc[i, "count"]) and pd.notna(safe.loc[i, "previous_count"])
        if shown and pd.notna(row["change_significant"]) and bool(row["change_significant"]):
            out.append({"text": sentences[i], "indicator": row["indicator"],
                        "window": row["window"], "period_start": row["period_start"],
                        "period_end": row["period_end"], "count": int(row["count"]),
                        "previous_count": int(row["previous_count"]),
                        "change_pct": float(row["change_pct"]),
                        "p_value": float(row["change_p"]), "significant": True,
                        "robust": _bool(row["change_robust"]), "direction": "up" if row["change_pct"] > 0
                        else "down", "london_rank": _int(row["london_rank"]),
                        "london_areas": _int(row["london_areas"])})
    return out


def _int(v: Any) -> int | None:
    return None if pd.isna(v) else int(v)


def _float(v: Any) -> float | None:
    return None if pd.isna(v) else float(v)


def _bool(v: Any) -> bool | None:
    return None if pd.isna(v) else bool(v)


def source_sentence(ch: Any, td: TrendData) -> str:
    """Which recorded-crime source the London comparisons use, and why."""
    text = f"Counts, rates and London comparisons use {SOURCE_TEXT[td.source]}"
    if td.source == "mps_ward" and ch.has("mps_borough"):
        end = max(sna_data.load_meta(ch.cfg, "mps_borough").get("months") or ["?"])
        text += (f", because the borough-level file ends in {periods.month_label(end)} and does "
                 f"not cover the 24 months to {periods.month_label(ch.period)}")
    return (text + f". London means the {len(td.members)} boroughs policed by the MPS with a "
            "Census 2021 population (the City of London has its own police force).")


def show_intro(ch: Any, td: TrendData) -> None:
    """Opening paragraph, data source and the caveats every reader needs."""
    a, p = md_text(ch.cfg.area.name), periods.month_label(ch.period)
    ch.md(f"This chapter describes recorded serious violence in **{a}** in the 12 months to "
          f"**{p}**, how it has changed, and how {a} compares with London. "
          + md_text(source_sentence(ch, td)))
    ch.note("Recorded crime reflects what is reported to and recorded by the police, and "
            "police activity (for example weapons possession rises with stop and search), not "
            "all violence. 3-month figures are volatile: judge change on the 12-month figures. "
            + (f"Counts from 1 to {m - 1} are not published (shown as '<{m}')."
               if (m := ch.cfg.threshold("open")) > 1 else
               "Counts are shown as the MPS publishes them."), kind="warning")


def show_dashboard(ch: Any, td: TrendData) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Publish ``performance_dashboard`` and show its readable tables and sentences.

    Returns the unsuppressed dashboard, the published (safe) one and the sentence of each row
    (for :func:`record_findings`).
    """
    area = ch.cfg.area
    checks = build_checks(td.monthly, area, ch.period)
    dash = build_dashboard(td.monthly, td.pops, area, ch.period, checks)
    safe = safe_dashboard(dash, ch.cfg.threshold("open"))
    sentences = [dashboard_sentence(
        dash.loc[i], safe.loc[i], area.name, td.monthly, ch.cfg.threshold("open"),
        ch.cfg.targets.get(dash.loc[i, "indicator"]) if dash.loc[i, "window"] == "12m" else None,
        _row_checks(checks, dash.loc[i]), checks)
        for i in dash.index]
    ch.table(safe, "performance_dashboard", f"Performance dashboard: {area.name}, 12 months to "
             f"{periods.month_label(ch.period)} compared with the same months a year earlier",
             show=dashboard_display(dash, safe, "12m", ch.cfg.threshold("open")))
    twelve = dash.index[dash["window"] == "12m"]
    ch.md(md_bullets(sv_first([sentences[i] for i in twelve],
                            list(dash.loc[twelve, "indicator"]))))
    months = periods.window_label(periods.window_months(ch.period, "3m"))
    ch.table(safe, None, f"The latest 3 months ({months}) compared with the same months a "
             "year earlier", show=dashboard_display(dash, safe, "3m", ch.cfg.threshold("open")),
             sensitivity="open")
    ch.note("The range after a London rank, e.g. '5th of 32 (3rd-8th)', is its 95% interval: "
            "the ranks the borough could plausibly hold given chance variation in every "
            "borough's counts (simulated, Marshall and Spiegelhalter 1998). Overlapping "
            "ranges mean boroughs cannot be told apart.")
    show_checks(ch, checks)
    hidden = (dash["count"].notna() & safe["count"].isna()).any()
    if hidden:
        m = ch.cfg.threshold("open")
        ch.note(f"'<{m}': fewer than {m} offences, not published. 'hidden': when a serious "
                "violence offence type is hidden, one more is hidden too, so that the small "
                "number cannot be worked out by subtraction from the serious violence total. "
                "'n/a': no data for the window.")
    return dash, safe, sentences


def _row_checks(checks: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    return checks[(checks["indicator"] == row["indicator"]) & (checks["window"] == row["window"])]


def show_checks(ch: Any, checks: pd.DataFrame) -> pd.DataFrame:
    """Publish ``change_robustness`` and explain the test and the checks in one note."""
    safe = safe_checks(checks, ch.cfg.threshold("open"))
    ch.publish(safe, "change_robustness")
    sv = checks[(checks["indicator"] == SV) & (checks["check"] == "year_earlier")
                & (checks["window"] == "12m")]
    disp = (f" (for serious violence the monthly counts vary {sv['dispersion'].iloc[0]:.1f} "
            "times as much as chance alone would make them)") if len(sv) else ""
    ch.note("'Significant' here means bigger than the usual ups and downs: the test allows for "
            "the seasons and for months varying more than pure chance" + disp + ", using the "
            "last six years of monthly counts (5% level). A significant 12-month change is "
            "called robust only if it also holds with the window ending a month earlier, "
            "against the average of the same months in the three earlier years, and (for "
            "serious violence) without possession of weapons, which mostly reflects police "
            "activity. Every check is in the published table change_robustness."
            + short_history_note(checks))
    return safe


def short_history_note(checks: pd.DataFrame) -> str:
    """' For knife crime ... fewer than 24 months of data: ...' when a test fell back to
    Poisson (empty otherwise)."""
    head = checks[(checks["check"] == "year_earlier") & checks["p_value"].notna()]
    short = head.loc[head["method"].str.contains("too short"), "indicator"].unique()
    if not len(short):
        return ""
    names = ", ".join(labels()[i].lower() for i in short)
    return (f" For {names} there are fewer than two complete years of monthly data, so the "
            "test assumes pure chance (Poisson) and may call a change significant too often.")


def sv_first(items: list, indicators: list[str]) -> list:
    """``items`` with the serious violence one moved to the front."""
    return ([x for x, i in zip(items, indicators, strict=True) if i == SV]
            + [x for x, i in zip(items, indicators, strict=True) if i != SV])


def record_findings(ch: Any, dash: pd.DataFrame, safe: pd.DataFrame,
                    sentences: list[str]) -> None:
    """The chapter's headline (serious violence, 12 months) and one 'change' finding per
    statistically significant change whose counts are published."""
    sv = dash.index[(dash["indicator"] == SV) & (dash["window"] == "12m")]
    if len(sv):
        i = sv[0]
        ch.finding(sentences[i], kind="headline", anchor="Performance-dashboard", indicator=SV,
                   window="12m", count=_int(dash.loc[i, "count"]),
                   previous_count=_int(dash.loc[i, "previous_count"]),
                   change_pct=_float(dash.loc[i, "change_pct"]),
                   significant=_bool(dash.loc[i, "change_significant"]),
                   p_value=_float(dash.loc[i, "change_p"]),
                   robust=_bool(dash.loc[i, "change_robust"]),
                   london_rank=_int(safe.loc[i, "london_rank"]),
                   london_areas=_int(safe.loc[i, "london_areas"]))
    for f in change_findings(dash, safe, sentences):
        text = f.pop("text")
        ch.finding(text, kind="change", anchor="Performance-dashboard", **f)
