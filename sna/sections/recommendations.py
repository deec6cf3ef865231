"""Chapter 06: the implementation plan, the monitoring and evaluation framework, and the
chapter's Markdown and findings. The recommendations themselves come from the rules of
:mod:`sna.sections.rules`.

The plan (``config/implementation_plan.yaml``, key ``plan:``) gives lead, partners, timescale
and measure per recommendation id (or per rule id for all of a rule's recommendations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sna.definitions import dashboard_ids, load_indicators
from sna.errors import ConfigError
from sna.periods import previous_year, window_label, window_months
from sna.sections.rules import as_number, read_yaml

TO_AGREE = "to be agreed"


def load_plan(path: Path | None) -> list[dict]:
    """Read the plan YAML: a ``plan:`` list of ``{id, lead, partners, timescale, measure}``.

    ``path`` None (the config has no ``plan:``) -> [] (everything 'to be agreed'): the plan is
    the area's own decision, so an area never inherits another's leads (the shipped
    ``config/implementation_plan.yaml`` is Barnet's; its configs name it).
    """
    if not path:
        return []
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"plan: {path} does not exist; give the area's implementation plan "
                          "(see config/implementation_plan.yaml) or remove `plan:` to show "
                          "every lead as 'to be agreed'.")
    entries = read_yaml(path, "implementation plan").get("plan") or []
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not e.get("id"):
            raise ConfigError(f"{path}: plan entry {i} needs an `id:` (a recommendation id such "
                              "as 'rising_indicator:personal_robbery', or a rule id).")
    return list(entries)


def implementation_plan(recs: pd.DataFrame, plan: list[dict]) -> pd.DataFrame:
    """Lead, partners, timescale and measure for each recommendation.

    An entry matches a recommendation by its full id first, else by its rule id (so one entry
    can cover every recommendation a rule makes). Unmatched -> 'to be agreed'.
    """
    by_id = {str(e["id"]): e for e in plan}
    rows = []
    for _, r in recs.iterrows():
        entry = by_id.get(r["id"]) or by_id.get(r["rule"]) or {}
        rows.append({"id": r["id"], "recommendation": r["recommendation"],
                     **{k: str(entry.get(k) or TO_AGREE)
                        for k in ("lead", "partners", "timescale", "measure")}})
    return pd.DataFrame(rows, columns=["id", "recommendation", "lead", "partners", "timescale",
                                       "measure"])


def target_status(count: float, baseline: float, pct: Any) -> tuple[str, float, str]:
    """``(target words, target count, status)`` for one indicator.

    One definition for every chapter (chapter 02 says 'target met' when the 12-month change
    on the same months a year earlier is at or below the target): the **baseline** is the
    12 months a year before the latest 12 months, the target count is the baseline changed by
    the target %, and the status compares the latest 12 months with it.
    """
    t = as_number(pct)
    if math.isnan(t):
        return "not set", math.nan, "no target"
    words = (f"down {abs(t):g}%" if t < 0 else f"up to {t:g}% more" if t > 0 else "no rise") + \
        " on the baseline"
    if math.isnan(baseline) or baseline <= 0:
        return words, math.nan, "no data"
    goal = float(round(baseline * (1 + t / 100)))
    words += f" ({goal:,.0f} or fewer a year)"
    if math.isnan(count):
        return words, goal, "no data"
    return words, goal, "met" if count <= goal else "not met"


def _dash_rows(dashboard: pd.DataFrame | None, window: str) -> pd.DataFrame:
    if dashboard is None or dashboard.empty:
        return pd.DataFrame(columns=["indicator"])
    return dashboard[dashboard["window"].astype(str) == window].set_index("indicator")


def _fallback(row: pd.Series, ind: str, knife: pd.DataFrame | None) -> pd.Series:
    """The knife table's latest 12 months (to the last month of the knife data) when the
    dashboard's window is not covered by it (an empty count)."""
    if not math.isnan(as_number(row.get("count"))) or knife is None or knife.empty:
        return row
    k = knife[knife["indicator"] == ind]
    if k.empty:
        return row
    k = k.iloc[0]
    return pd.Series({"count": as_number(k["count"]), "previous_count": as_number(k["previous_count"]),
                      "rate_per_1000": as_number(k.get("rate_per_1000")),
                      "period_start": str(k["period_start"]), "period_end": str(k["period_end"])})


def monitoring_framework(dashboard: pd.DataFrame | None, targets: Mapping[str, Any],
                         period: str, knife: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every dashboard indicator with baseline, latest year and quarter, target and status.

    Parameters
    ----------
    dashboard : pandas.DataFrame or None
        ``tables/performance_dashboard.csv`` of this run (None: baselines left blank).
    targets : mapping
        ``cfg.targets``: indicator id -> target % change on the baseline.
    period : str
        ``YYYY-MM``: the latest year is the 12 months to it; the **baseline** the same 12
        months a year earlier (the comparison chapter 02 uses); the latest quarter the 3
        months to it.
    knife : pandas.DataFrame, optional
        ``tables/knife_crime.csv``: when the knife data end before ``period`` the knife
        indicators are assessed on the latest 12 months they cover (the periods say so).

    Returns
    -------
    pandas.DataFrame
        ``indicator, label, baseline_period, baseline_count, baseline_rate_per_1000,
        current_period, current_count, latest_period, latest_count, latest_change_pct,
        direction_wanted, target, target_count, target_status, source, frequency`` and the
        columns of :func:`add_detectable_change`. Counts as published (after disclosure
        control).
    """
    specs = load_indicators()
    y, q = _dash_rows(dashboard, "12m"), _dash_rows(dashboard, "3m")
    ids = [i for i in dashboard_ids() if specs[i]["source"] == "mps" or i in y.index]
    months = window_months(period, "12m")
    rows = []
    for i in ids:
        base = y.loc[i] if i in y.index else pd.Series(dtype=object)
        base = _fallback(base, i, knife)
        last = q.loc[i] if i in q.index else pd.Series(dtype=object)
        count, prev = as_number(base.get("count")), as_number(base.get("previous_count"))
        rate = as_number(base.get("rate_per_1000"))
        own = window_months(str(base["period_end"]), "12m") if "period_end" in base and \
            str(base.get("period_end", "nan")) not in ("nan", "") else months
        words, goal, status = target_status(count, prev, targets.get(i))
        rows.append({
            "indicator": i, "label": specs[i]["label"],
            "baseline_period": window_label(previous_year(own)), "baseline_count": prev,
            "baseline_rate_per_1000": rate * prev / count if count > 0 else math.nan,
            "current_period": window_label(own), "current_count": count,
            "latest_period": window_label(window_months(period, "3m")),
            "latest_count": as_number(last.get("count")),
            "latest_change_pct": as_number(last.get("change_pct")),
            "direction_wanted": "down", "target": words, "target_count": goal,
            "target_status": status,
            "source": ("MPS monthly crime dashboard" if specs[i]["source"] == "knife_crime"
                       else "MPS recorded crime (London Datastore)"),
            "frequency": "monthly data; reviewed quarterly"})
    return add_detectable_change(pd.DataFrame(rows), targets)


def add_detectable_change(frame: pd.DataFrame, targets: Mapping[str, Any]) -> pd.DataFrame:
    """Add ``min_detectable_change_pct`` (12 months, on ``baseline_count``) and
    ``min_detectable_change_pct_3m`` (3 months, on ``latest_count``): the smallest fall on the
    same window a year earlier that a Poisson test detects with 80% power (5% two-sided,
    :func:`sna.evaluation.poisson_mde_pct`), and ``target_measurable``: 'no' when the target
    fall is smaller than the 12-month detectable change (a year's data cannot show it),
    'yes', or '' without a target."""
    from sna.evaluation import poisson_mde_pct

    if frame.empty:
        return frame.assign(min_detectable_change_pct=[], min_detectable_change_pct_3m=[],
                            target_measurable=[])
    mde = frame["baseline_count"].map(lambda b: round(poisson_mde_pct(as_number(b)), 1))
    target = frame["indicator"].map(lambda i: abs(as_number(targets.get(i))))
    return frame.assign(
        min_detectable_change_pct=mde,
        min_detectable_change_pct_3m=frame["latest_count"].map(
            lambda b: round(poisson_mde_pct(as_number(b)), 1)),
        target_measurable=["" if math.isnan(t) or math.isnan(m) else "no" if t < m else "yes"
                           for t, m in zip(target, mde, strict=True)])


def recommendations_markdown(recs: pd.DataFrame, titles: Mapping[str, str]) -> str:
    """A numbered Markdown list: recommendation, evidence and a link to the evidence.

    Every value is escaped for Markdown/HTML; links are only relative chapter pages.
    """
    from sna.safe import md_esc

    lines = []
    for n, r in enumerate(recs.itertuples(index=False), start=1):
        line = f"{n}. **{md_esc(r.recommendation)}** ({md_esc(r.priority)} priority)"
        if r.evidence:
            line += f"<br>Evidence: {md_esc(r.evidence)}"
        if r.link:
            page = r.link.split(".html")[0]
            section = r.link.split("#", 1)[1].replace("-", " ") if "#" in r.link else ""
            where = titles.get(page, page) + (f", {section}" if section else "")
            line += f" [See: {md_esc(where)}]({r.link})"
        lines.append(line)
    return "\n".join(lines)


def headline(recs: pd.DataFrame) -> str:
    """The chapter's one-line headline."""
    if recs.empty:
        return "No recommendations were triggered by this run's findings."
    high = int((recs["priority"] == "high").sum())
    custom = int((recs["rule"] == "custom").sum())
    text = f"{len(recs)} recommendations ({high} high priority)"
    if custom:
        text += f", including {custom} added by analysts"
    return text + f"; the first: {recs.iloc[0]['recommendation']}"


def _fmt(value: Any, kind: str) -> str:
    v = as_number(value)
    if math.isnan(v):
        return ""
    return {"count": f"{v:,.0f}", "rate": f"{v:.2f}", "pct": f"{v:+.1f}%"}[kind]


def monitoring_display(safe: pd.DataFrame) -> pd.DataFrame:
    """The monitoring framework for reading (after disclosure control): each row's periods
    in words, numbers formatted, blank where suppressed or not available."""
    if safe.empty:
        return safe
    last = safe["latest_period"].iloc[0]
    return pd.DataFrame({
        "Indicator": safe["label"],
        "Baseline (12 months a year earlier)": [
            f"{_fmt(c, 'count')} ({p})" if _fmt(c, "count") else ""
            for c, p in zip(safe["baseline_count"], safe["baseline_period"], strict=True)],
        "Latest 12 months": [f"{_fmt(c, 'count')} ({p})" if _fmt(c, "count") else ""
                             for c, p in zip(safe["current_count"], safe["current_period"],
                                             strict=True)],
        f"Latest quarter count ({last})": safe["latest_count"].map(lambda v: _fmt(v, "count")),
        "Quarter on a year earlier": safe["latest_change_pct"].map(lambda v: _fmt(v, "pct")),
        "Direction wanted": safe["direction_wanted"], "Target": safe["target"],
        "Target status": safe["target_status"],
        "Smallest fall a year's data can show": [
            "" if pd.isna(m) else f"{m:.0f}%" + (" (target too small to measure)"
                                                  if t == "no" else "")
            for m, t in zip(safe.get("min_detectable_change_pct", pd.Series(dtype=float)),
                            safe.get("target_measurable", pd.Series(dtype=object)),
                            strict=False)],
        "Source": safe["source"].str.replace(" (London Datastore)", "", regex=False)})


def record_findings(ch: Any, recs: pd.DataFrame) -> None:
    """One headline, then the top five recommendations (kind 'recommendation')."""
    ch.finding(headline(recs), kind="headline", anchor="Recommendations",
               recommendations=len(recs))
    for r in recs.head(5).itertuples(index=False):
        ch.finding(r.recommendation, kind="recommendation", anchor="Recommendations",
                   id=r.id, priority=r.priority, evidence=r.evidence, link=r.link)
