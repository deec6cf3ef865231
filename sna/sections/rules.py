"""Chapter 06: recommendations generated from this run's findings by editable rules.

Rules live in YAML (``config/recommendation_rules.yaml``, config key ``recommendations:``).
Each rule names a built-in test (``when:``) from :data:`SELECTORS`, its parameters, and the
wording; it makes one recommendation per matching row of a table published earlier in the run.
Entries under ``custom:`` are analysts' own recommendations and are always included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sna.config import OPTIONAL_SOURCES
from sna.errors import ConfigError
from sna.sections.rule_tests import (  # noqa: F401 - re-exported for notebooks and tests
    READS,
    SELECTORS,
    TABLES,
    TESTS,
    RuleContext,
    as_number,
    high_rate_ward,
    not_collected,
    not_supplied,
    out_of_date,
    persistent_gap,
    register_unknown,
    significant_rise,
    truthy,
    ward_rise,
    worse_than_london,
    worst_quartile,
)

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "config" / "recommendation_rules.yaml"
PRIORITIES = {"high": 0, "medium": 1, "low": 2}
LINK = re.compile(r"^\d{2}_[a-z_]+\.html(#[A-Za-z0-9_\-.]+)?$")
REC_COLUMNS = ["id", "rule", "priority", "theme", "recommendation", "evidence", "link"]


def _variants(values: Mapping[str, Any]) -> dict[str, Any]:
    """Add a capitalised twin of every text placeholder: {label} -> {Label} 'Violence...'."""
    out = dict(values)
    for k, v in values.items():
        if isinstance(v, str) and k[:1].islower():
            out[k[:1].upper() + k[1:]] = v[:1].upper() + v[1:]
    return out


def read_yaml(path: Path, what: str) -> dict:
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
    """Build the rule context from an open chapter: the tables of this run, the partnership
    list and the sources supplied with their dates (from the run's manifest)."""
    from sna.sections.methodology import read_manifest, source_dates
    from sna.sections.partnership import partnership_table

    tables = {name: ch.read_table(name) for name in TABLES}
    tables["data_sources"] = ch.load("data_sources").frame if ch.has("data_sources") else None
    missing = tuple(k for k in OPTIONAL_SOURCES if not ch.has(k))
    dates = source_dates(read_manifest(ch.output_dir), ch.cfg, ch.period)
    return RuleContext(area=ch.cfg.area.name, period=ch.period, tables=tables,
                       not_supplied=missing, min_count=ch.cfg.min_count,
                       partnership=partnership_table(ch.cfg.partnership), dates=dates)


def rule_outcomes(rules: Mapping[str, list[dict]], recs: pd.DataFrame,
                  ctx: RuleContext) -> pd.DataFrame:
    """One row per rule: what it looks at and how many recommendations it made this run."""
    made = recs["rule"].value_counts()
    rows = []
    for rule in rules.get("rules", []):
        table = READS[rule["when"]]
        present = table == "configuration" or ctx.tables.get(table) is not None
        rows.append({"rule": rule["id"], "test": TESTS[rule["when"]],
                     "reads": table, "recommendations": int(made.get(rule["id"], 0)),
                     "note": "" if present else "table not available in this run"})
    if len(rules.get("custom", [])):
        rows.append({"rule": "custom", "test": "added by analysts", "reads": "rules file",
                     "recommendations": len(rules["custom"]), "note": "always included"})
    return pd.DataFrame(rows, columns=["rule", "test", "reads", "recommendations", "note"])
