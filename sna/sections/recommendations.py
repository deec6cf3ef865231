"""Chapter 06: recommendations generated from this run's findings by editable rules, the
implementation plan, and the monitoring and evaluation framework.

Rules live in YAML (``config/recommendation_rules.yaml``, config key ``recommendations:``).
Each rule names a built-in test (``when:``) from :data:`SELECTORS`, its parameters, and the
wording; it makes one recommendation per matching row of a table published earlier in the run.
Entries under ``custom:`` are analysts' own recommendations and are always included. The plan
(``config/implementation_plan.yaml``, key ``plan:``) gives lead, partners, timescale and measure
per recommendation id (or per rule id for all of a rule's recommendations).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sna.config import OPTIONAL_SOURCES
from sna.definitions import dashboard_ids, load_indicators
from sna.errors import ConfigError
from sna.narrative import format_count, ordinal, window_phrase
from sna.periods import window_label, window_months

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "config" / "recommendation_rules.yaml"
DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "config" / "implementation_plan.yaml"
PRIORITIES = {"high": 0, "medium": 1, "low": 2}
LINK = re.compile(r"^\d{2}_[a-z_]+\.html(#[A-Za-z0-9_\-.]+)?$")
REC_COLUMNS = ["id", "rule", "priority", "theme", "recommendation", "evidence", "link"]
TO_AGREE = "to be agreed"
TESTS = {"significant_rise": "significant rise on a year earlier",
         "worst_quartile": "worst quarter of London boroughs",
         "persistent_gap": "persistent hot spot without a known intervention",
         "worse_than_london": "risk factor worse than London",
         "not_collected": "data source not collected", "not_supplied": "input not supplied"}


@dataclass
class RuleContext:
    """What the rules read: this run's tables and facts about the configuration."""

    area: str
    period: str
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    not_supplied: tuple[str, ...] = ()
    min_count: int = 5


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0", "yes")


def _mid(text: Any) -> str:
    """Text for use mid-sentence: first letter lower-cased unless an acronym ('IOM')."""
    text = str(text)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _label(indicator: str) -> str:
    """Indicator label for use mid-sentence ('violence with injury')."""
    return _mid(load_indicators().get(indicator, {}).get("label", str(indicator).replace("_", " ")))


def _variants(values: Mapping[str, Any]) -> dict[str, Any]:
    """Add a capitalised twin of every text placeholder: {label} -> {Label} 'Violence...'."""
    out = dict(values)
    for k, v in values.items():
        if isinstance(v, str) and k[:1].islower():
            out[k[:1].upper() + k[1:]] = v[:1].upper() + v[1:]
    return out


# --- selectors: each returns one dict of template values per match (with a unique `key`) ----

def _dashboard(ctx: RuleContext, window: str) -> pd.DataFrame:
    df = ctx.tables.get("performance_dashboard")
    if df is None or df.empty:
        return pd.DataFrame()
    return df[df["window"].astype(str) == window]


def _change_text(count: float, previous: float, pct: float, min_count: int) -> str:
    if previous == 0 and count > 0:
        return f"up from none to {format_count(count, min_count)}"
    numbers = f"({format_count(count, min_count)} vs {format_count(previous, min_count)})"
    if 0 < count < min_count or 0 < previous < min_count or math.isnan(pct):
        return f"rose {numbers}"
    return f"rose {pct:.1f}% {numbers}"


def significant_rise(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Dashboard rows with a statistically significant rise on the same window a year earlier.

    A zero baseline (no offences a year earlier, some now) counts as a rise when significant.
    Params: ``window`` ('12m'), ``min_change_pct`` (0).
    """
    window = str(params.get("window", "12m"))
    out = []
    for _, r in _dashboard(ctx, window).iterrows():
        count, prev, pct = _num(r["count"]), _num(r["previous_count"]), _num(r["change_pct"])
        rising = pct > float(params.get("min_change_pct", 0)) or (prev == 0 and count > 0)
        if _truthy(r["change_significant"]) and rising:
            out.append({"key": r["indicator"], "label": _label(r["indicator"]),
                        "change": _change_text(count, prev, pct, ctx.min_count),
                        "window": window_phrase(window, ctx.period)})
    return out


def worst_quartile(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Dashboard rows whose London rank (1 = lowest rate) is in the worst quarter of boroughs.

    Params: ``window`` ('12m'), ``share`` (0.25).
    """
    window, share = str(params.get("window", "12m")), float(params.get("share", 0.25))
    out = []
    for _, r in _dashboard(ctx, window).iterrows():
        rank, n = _num(r.get("london_rank")), _num(r.get("london_areas"))
        if n > 0 and rank > n * (1 - share):
            out.append({"key": r["indicator"], "label": _label(r["indicator"]),
                        "rank": f"{ordinal(int(rank))} of {int(n)}", "rate":
                        f"{_num(r.get('rate_per_1000')):.2f}",
                        "window": window_phrase(window, ctx.period)})
    return out


def persistent_gap(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Wards of ``gap_analysis`` that are persistent hot spots with no intervention known to
    reach them. Params: ``gap_values`` (['yes', 'unknown'])."""
    df = ctx.tables.get("gap_analysis")
    if df is None or df.empty:
        return []
    values = [str(v) for v in params.get("gap_values", ["yes", "unknown"])]
    hits = df[df["persistent"].map(_truthy) & df["gap"].astype(str).isin(values)]
    return [{"key": r["ward_code"], "ward": r["ward_name"],
             "gap": "no intervention reaches it" if r["gap"] == "yes"
             else "the register does not show any intervention working there",
             "indicators": ", ".join(_label(i) for i in str(r["need_indicators"]).split(";") if i)}
            for _, r in hits.iterrows()]


def worse_than_london(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Risk factors (chapter 04's ``risk_factors``) worse than London."""
    df = ctx.tables.get("risk_factors")
    if df is None or df.empty:
        return []
    hits = df[df["comparison"].astype(str).str.lower() == "worse than london"]
    return [{"key": re.sub(r"[^a-z0-9]+", "_", str(r["factor"]).lower()).strip("_"),
             "factor": _mid(r["factor"]), "value": f"{_num(r['area_value']):g}",
             "london": f"{_num(r['london_value']):g}", "unit": r.get("unit", "")}
            for _, r in hits.iterrows()]


def not_collected(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Rows of the partnership's data-source list whose status is 'not collected'."""
    df = ctx.tables.get("data_sources")
    if df is None or df.empty:
        return []
    status = params.get("status", "not collected")
    hits = df[df["status"].astype(str).str.strip().str.lower() == status]
    return [{"key": re.sub(r"[^a-z0-9]+", "_", f"{r['source']} {r['data_items']}".lower())
             .strip("_"), "source": r["source"], "items": r["data_items"]}
            for _, r in hits.iterrows()]


def not_supplied(ctx: RuleContext, params: Mapping[str, Any]) -> list[dict]:
    """Optional config data keys not supplied (``keys`` param limits which count)."""
    keys = params.get("keys") or list(OPTIONAL_SOURCES)
    names = params.get("names", {}) or {}
    return [{"key": k, "config_key": f"data.{k}", "what": names.get(k, k.replace("_", " "))}
            for k in keys if k in ctx.not_supplied]


SELECTORS: dict[str, Callable[[RuleContext, Mapping[str, Any]], list[dict]]] = {
    "significant_rise": significant_rise, "worst_quartile": worst_quartile,
    "persistent_gap": persistent_gap, "worse_than_london": worse_than_london,
    "not_collected": not_collected, "not_supplied": not_supplied}


# --- rules file ----------------------------------------------------------------------------

def _read_yaml(path: Path, what: str) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc}). Fix the YAML.") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the {what} must be a YAML mapping.")
    return raw


def load_rules(path: Path | None) -> dict[str, list[dict]]:
    """Read and check the rules YAML: ``{'rules': [...], 'custom': [...]}``.

    ``path`` None -> the shipped default (``config/recommendation_rules.yaml``).

    Raises
    ------
    ConfigError
        A rule without ``id``/``when``/``text``, an unknown ``when``, a duplicated id, or a
        custom entry without ``text``.
    """
    path = Path(path) if path else DEFAULT_RULES
    if not path.is_file():
        return {"rules": [], "custom": []}
    raw = _read_yaml(path, "recommendation rules")
    rules, custom = raw.get("rules") or [], raw.get("custom") or []
    seen: set[str] = set()
    for i, rule in enumerate(rules, start=1):
        missing = [k for k in ("id", "when", "text") if not rule.get(k)]
        if missing:
            raise ConfigError(f"{path}: rule {i} lacks {', '.join(missing)}.")
        if rule["when"] not in SELECTORS:
            raise ConfigError(f"{path}: rule {rule['id']!r}: when: {rule['when']!r} is not one "
                              f"of {', '.join(SELECTORS)}.")
        if rule["id"] in seen:
            raise ConfigError(f"{path}: rule id {rule['id']!r} is used twice.")
        seen.add(rule["id"])
    for i, entry in enumerate(custom, start=1):
        if not isinstance(entry, dict) or not entry.get("text"):
            raise ConfigError(f"{path}: custom entry {i} needs at least `text:`.")
    return {"rules": list(rules), "custom": list(custom)}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders; unknown names become empty (never an error)."""
    try:
        return str(template).format_map(_Blank({k: "" if v is None else v
                                                for k, v in values.items()}))
    except (ValueError, IndexError, AttributeError):
        return str(template)


def _link(value: Any) -> str:
    """A relative chapter link (``02_violence_trends.html#Anchor``) or '' if malformed."""
    text = str(value or "").strip()
    return text if LINK.match(text) else ""


def generate(rules: Mapping[str, list[dict]], ctx: RuleContext) -> pd.DataFrame:
    """Apply every rule to the run's tables and append the custom entries.

    Returns
    -------
    pandas.DataFrame
        :data:`REC_COLUMNS`; ids are ``<rule id>:<key>`` for rule matches, the entry's ``id``
        (or ``custom_<n>``) for custom entries. Sorted by priority, then rule order.
    """
    base = {"area": ctx.area, "period": ctx.period}
    rows = []
    for order, rule in enumerate(rules.get("rules", [])):
        params = rule.get("params") or {}
        matches = SELECTORS[rule["when"]](ctx, params)[: int(params.get("max", 10))]
        for m in matches:
            values = _variants({**base, **m})
            rows.append({"id": f"{rule['id']}:{m['key']}", "rule": rule["id"],
                         "priority": str(rule.get("priority", "medium")),
                         "theme": rule.get("theme", ""), "order": order,
                         "recommendation": _fill(rule["text"], values),
                         "evidence": _fill(rule.get("evidence", ""), values),
                         "link": _link(_fill(rule.get("link", ""), values))})
    for n, entry in enumerate(rules.get("custom", []), start=1):
        rows.append({"id": str(entry.get("id") or f"custom_{n}"), "rule": "custom",
                     "priority": str(entry.get("priority", "medium")),
                     "theme": entry.get("theme", ""), "order": 10_000 + n,
                     "recommendation": _fill(entry["text"], base),
                     "evidence": _fill(entry.get("evidence", ""), base),
                     "link": _link(entry.get("link"))})
    out = pd.DataFrame(rows, columns=[*REC_COLUMNS, "order"])
    out["_p"] = out["priority"].map(PRIORITIES).fillna(len(PRIORITIES))
    return out.sort_values(["_p", "order"], kind="stable")[REC_COLUMNS].reset_index(drop=True)


def rule_outcomes(rules: Mapping[str, list[dict]], recs: pd.DataFrame,
                  ctx: RuleContext) -> pd.DataFrame:
    """One row per rule: what it looks at and how many recommendations it made this run."""
    source = {"significant_rise": "performance_dashboard", "worst_quartile":
              "performance_dashboard", "persistent_gap": "gap_analysis", "worse_than_london":
              "risk_factors", "not_collected": "data_sources", "not_supplied": "configuration"}
    made = recs["rule"].value_counts()
    rows = []
    for rule in rules.get("rules", []):
        table = source[rule["when"]]
        present = table == "configuration" or ctx.tables.get(table) is not None
        rows.append({"rule": rule["id"], "test": TESTS[rule["when"]],
                     "reads": table, "recommendations": int(made.get(rule["id"], 0)),
                     "note": "" if present else "table not available in this run"})
    if len(rules.get("custom", [])):
        rows.append({"rule": "custom", "test": "added by analysts", "reads": "rules file",
                     "recommendations": len(rules["custom"]), "note": "always included"})
    return pd.DataFrame(rows, columns=["rule", "test", "reads", "recommendations", "note"])


# --- implementation plan -------------------------------------------------------------------

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


# --- monitoring and evaluation framework ----------------------------------------------------

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
            "source": ("MPS knife crime dashboard" if specs[i]["source"] == "knife_crime"
                       else "MPS recorded crime (London Datastore)"),
            "frequency": "monthly data; reviewed quarterly"})
    return pd.DataFrame(rows)


# --- chapter helpers -----------------------------------------------------------------------

def context_for(ch: Any) -> RuleContext:
    """Build the rule context from an open chapter: the tables of this run and the config."""

    tables = {name: ch.read_table(name)
              for name in ("performance_dashboard", "gap_analysis", "risk_factors")}
    sources = None
    if ch.has("data_sources"):
        sources = ch.load("data_sources").frame
    tables["data_sources"] = sources
    missing = tuple(k for k in OPTIONAL_SOURCES if not ch.has(k))
    return RuleContext(area=ch.cfg.area.name, period=ch.period, tables=tables,
                       not_supplied=missing, min_count=ch.cfg.min_count)


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
