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
from sna.periods import window_label, window_months
from sna.sections.rules import _num, _read_yaml

DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "config" / "implementation_plan.yaml"
TO_AGREE = "to be agreed"


def load_plan(path: Path | None) -> list[dict]:
    """Read the plan YAML: a ``plan:`` list of ``{id, lead, partners, timescale, measure}``.

    ``path`` None -> the shipped default; a missing default file -> [] (everything 'to be
    agreed').
    """
    path = Path(path) if path else DEFAULT_PLAN
    if not path.is_file():
        return []
    entries = _read_yaml(path, "implementation plan").get("plan") or []
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


def _target(pct: Any, baseline: float) -> str:
    t = _num(pct)
    if math.isnan(t):
        return "not set"
    text = (f"down {abs(t):g}%" if t < 0 else f"up to {t:g}% more" if t > 0 else "no rise") + \
        " on the baseline"
    if not math.isnan(baseline) and baseline > 0:
        text += f" ({round(baseline * (1 + t / 100)):,} or fewer a year)"
    return text


def _dash_rows(dashboard: pd.DataFrame | None, window: str) -> pd.DataFrame:
    if dashboard is None or dashboard.empty:
        return pd.DataFrame(columns=["indicator"])
    return dashboard[dashboard["window"].astype(str) == window].set_index("indicator")


def monitoring_framework(dashboard: pd.DataFrame | None, targets: Mapping[str, Any],
                         period: str) -> pd.DataFrame:
    """Every dashboard indicator with baseline, latest quarter, direction, target, source.

    Parameters
    ----------
    dashboard : pandas.DataFrame or None
        ``tables/performance_dashboard.csv`` of this run (None: baselines left blank).
    targets : mapping
        ``cfg.targets``: indicator id -> target % change on the baseline.
    period : str
        ``YYYY-MM``: the baseline is the 12 months to it, the latest figure the 3 months to it.

    Returns
    -------
    pandas.DataFrame
        ``indicator, label, baseline_period, baseline_count, baseline_rate_per_1000,
        latest_period, latest_count, latest_change_pct, direction_wanted, target, source,
        frequency``. Counts as published (after disclosure control).
    """
    specs = load_indicators()
    y, q = _dash_rows(dashboard, "12m"), _dash_rows(dashboard, "3m")
    ids = [i for i in dashboard_ids() if specs[i]["source"] == "mps" or i in y.index]
    rows = []
    for i in ids:
        base = y.loc[i] if i in y.index else pd.Series(dtype=object)
        last = q.loc[i] if i in q.index else pd.Series(dtype=object)
        count = _num(base.get("count"))
        rows.append({
            "indicator": i, "label": specs[i]["label"],
            "baseline_period": window_label(window_months(period, "12m")),
            "baseline_count": count, "baseline_rate_per_1000": _num(base.get("rate_per_1000")),
            "latest_period": window_label(window_months(period, "3m")),
            "latest_count": _num(last.get("count")),
            "latest_change_pct": _num(last.get("change_pct")),
            "direction_wanted": "down", "target": _target(targets.get(i), count),
            "source": ("MPS monthly crime dashboard" if specs[i]["source"] == "knife_crime"
                       else "MPS recorded crime (London Datastore)"),
            "frequency": "monthly data; reviewed quarterly"})
    return pd.DataFrame(rows)


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
    v = _num(value)
    if math.isnan(v):
        return ""
    return {"count": f"{v:,.0f}", "rate": f"{v:.2f}", "pct": f"{v:+.1f}%"}[kind]


def monitoring_display(safe: pd.DataFrame) -> pd.DataFrame:
    """The monitoring framework for reading (after disclosure control): periods in the
    headings, numbers formatted, blank where suppressed or not available."""
    if safe.empty:
        return safe
    base, last = safe["baseline_period"].iloc[0], safe["latest_period"].iloc[0]
    return pd.DataFrame({
        "Indicator": safe["label"],
        f"Baseline count ({base})": safe["baseline_count"].map(lambda v: _fmt(v, "count")),
        "Baseline rate per 1,000": safe["baseline_rate_per_1000"].map(lambda v: _fmt(v, "rate")),
        f"Latest quarter count ({last})": safe["latest_count"].map(lambda v: _fmt(v, "count")),
        "Change on a year earlier": safe["latest_change_pct"].map(lambda v: _fmt(v, "pct")),
        "Direction wanted": safe["direction_wanted"], "Target": safe["target"],
        "Source": safe["source"].str.replace(" (London Datastore)", "", regex=False)})


def record_findings(ch: Any, recs: pd.DataFrame) -> None:
    """One headline, then the top five recommendations (kind 'recommendation')."""
    ch.finding(headline(recs), kind="headline", anchor="Recommendations",
               recommendations=len(recs))
    for r in recs.head(5).itertuples(index=False):
        ch.finding(r.recommendation, kind="recommendation", anchor="Recommendations",
                   id=r.id, priority=r.priority, evidence=r.evidence, link=r.link)
