"""Chapter 06: recommendations generated from this run's findings by editable rules.

Rules live in YAML (``config/recommendation_rules.yaml``, config key ``recommendations:``).
Each rule names a built-in test (``when:``) from :data:`SELECTORS`, its parameters, and the
wording; it makes one recommendation per matching row of a table published earlier in the run.
Entries under ``custom:`` are analysts' own recommendations and are always included.
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
from sna.definitions import load_indicators
from sna.errors import ConfigError
from sna.narrative import format_count, ordinal, window_phrase

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "config" / "recommendation_rules.yaml"
PRIORITIES = {"high": 0, "medium": 1, "low": 2}
LINK = re.compile(r"^\d{2}_[a-z_]+\.html(#[A-Za-z0-9_\-.]+)?$")
REC_COLUMNS = ["id", "rule", "priority", "theme", "recommendation", "evidence", "link"]
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


def as_number(value: Any) -> float:
    """``value`` as a float (NaN when it is not a number)."""
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
        count, prev, pct = as_number(r["count"]), as_number(r["previous_count"]), as_number(r["change_pct"])
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
        rank, n = as_number(r.get("london_rank")), as_number(r.get("london_areas"))
        if n > 0 and rank > n * (1 - share):
            out.append({"key": r["indicator"], "label": _label(r["indicator"]),
                        "rank": f"{ordinal(int(rank))} of {int(n)}", "rate":
                        f"{as_number(r.get('rate_per_1000')):.2f}",
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
             "factor": _mid(r["factor"]), "value": f"{as_number(r['area_value']):g}",
             "london": f"{as_number(r['london_value']):g}", "unit": r.get("unit", "")}
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


def read_yaml(path: Path, what: str) -> dict:
    """A YAML mapping from ``path``; a ``ConfigError`` naming ``what`` when unreadable."""
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
    raw = read_yaml(path, "recommendation rules")
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
                       not_supplied=missing, min_count=ch.cfg.threshold("open"))


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


# Former private names, kept while other branches still import them.
_num = as_number
_read_yaml = read_yaml
