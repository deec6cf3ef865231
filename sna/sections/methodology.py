"""Chapter 07: definitions, windows, and the data inventory built from the run's manifest.

The inventory has one row per configured source (from ``output_dir/manifest.json``, which the
runner writes before chapters run), plus rows for optional sources the config does not supply
and for the partnership's data sources recorded as 'not collected'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sna import registry
from sna.config import OPTIONAL_SOURCES, SnaConfig
from sna.definitions import cannot_separate, load_indicators
from sna.narrative import mid_sentence
from sna.periods import month_label, previous_year, window_label, window_months
from sna.sections.data_dates import (  # noqa: F401 - part of this chapter's API
    STALE_MONTHS,
    is_stale,
    latest_period,
    source_dates,
    stale_sentence,
)
from sna.sections.reconcile import (  # noqa: F401 - part of this chapter's API
    reconcile_run,
    reconciliation_sentence,
    ward_borough_reconciliation,
)

# key -> (what it is, publisher, licence), from the one source registry (sna/registry.py).
SOURCES: dict[str, tuple[str, str, str]] = {
    s.key: (s.what, s.publisher, s.licence) for s in registry.SOURCES}
OPEN_SUBSTITUTES = (  # wording in a partnership's data-source list -> configured open data key
    ("ambulance", "ambulance"), ("metropolitan police", "mps_ward"), ("met", "mps_ward"),
    ("a&e", ""), ("education", "dfe_lait"))
INVENTORY_COLUMNS = ["source", "description", "status", "files", "publisher", "licence", "rows",
                     "months_covered", "incomplete_months", "last_update", "latest_period",
                     "stale", "quality_flags", "series_breaks", "unmapped_categories"]
def definitions_table() -> pd.DataFrame:
    """The indicator definitions (``indicators.yaml``), one row per indicator.

    Returns
    -------
    pandas.DataFrame
        ``indicator, label, description, source, polarity, sv_component, on_dashboard,
        categories`` (MPS major / minor names, ``;``-separated), ``series_breaks, notes``.
    """
    rows, specs = [], load_indicators()
    labels = {i: s["label"] for i, s in specs.items()}
    for ind, s in specs.items():
        keys = ("crime_type", "crime_subtype", "measure") if s["source"] == "knife_crime" else (
            "major", "minor")
        cats = sorted({" / ".join(str(c[k]) for k in keys) for c in s.get("categories", [])})
        rows.append({
            "indicator": ind, "label": s["label"], "description": " ".join(s["description"].split()),
            "source": "MPS monthly crime dashboard" if s["source"] == "knife_crime"
            else "MPS recorded crime",
            "polarity": s["polarity"].replace("_", " "), "sv_component": bool(s["sv_component"]),
            "on_dashboard": bool(s["dashboard"]),
            "categories": "; ".join(cats) if "components" not in s
            else "Sum of: " + ", ".join(mid_sentence(labels[c]) for c in s["components"]),
            "series_breaks": "; ".join(f"{b['month']}: {' '.join(b['note'].split())}"
                                       for b in s.get("series_breaks") or []),
            "notes": " ".join(str(s.get("notes", "")).split())})
    return pd.DataFrame(rows)


def cannot_separate_table() -> pd.DataFrame:
    """What the published crime categories cannot isolate, and the data that would."""
    return pd.DataFrame(cannot_separate()).rename(columns={"source_needed": "data_needed"})


def windows_table(period: str) -> pd.DataFrame:
    """The 3- and 12-month windows ending at ``period`` and their comparison windows."""
    rows = []
    for w, name in (("3m", "Latest quarter (3 months)"), ("12m", "Latest year (12 months)")):
        months = window_months(period, w)
        rows.append({"window": name, "months": window_label(months),
                     "compared_with": window_label(previous_year(months))})
    return pd.DataFrame(rows)


def read_manifest(output_dir: Path | str) -> dict | None:
    """``output_dir/manifest.json`` or ``None`` (notebook run by hand, outside ``sna run``)."""
    path = Path(output_dir) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _short(items: Iterable[Any], limit: int = 3, width: int = 160) -> str:
    items = [str(i) for i in items if str(i).strip()]
    text = "; ".join(items[:limit]) + (f"; and {len(items) - limit} more" if len(items) > limit
                                       else "")
    return text if len(text) <= width else text[: width - 1] + "…"


def _last_update(meta: Mapping[str, Any], months: str) -> str:
    """Latest vintage of the files, else the last month or date covered."""
    files = meta.get("files") or []
    vintages = [str(f["vintage"]) for f in files if isinstance(f, dict) and f.get("vintage")]
    if vintages:
        return max(vintages)
    if meta.get("editions"):
        return ", ".join(map(str, meta["editions"]))
    if meta.get("period"):
        return str(meta["period"][-1])
    return months.split(" to ")[-1] if months else ""


def _incomplete(items: Iterable[Any]) -> str:
    """'2024-03 (partial month, excluded)' from the manifest's longer reasons."""
    out = []
    for item in items:
        text = str(item)
        month, _, reason = text.partition(" (")
        tail = reason.rstrip(")").split(": ")[-1] if reason else ""
        out.append(f"{month} ({tail})" if tail else month)
    return _short(out)


def _unmapped(meta: Mapping[str, Any]) -> str:
    return _short(" / ".join(map(str, u)) if isinstance(u, list | tuple) else str(u)
                  for u in meta.get("unmapped") or [])


def _input_row(entry: Mapping[str, Any], area: str, period: str = "") -> dict:
    key, meta = entry["key"], entry.get("meta") or {}
    last = latest_period(entry.get("months") or "", meta)
    what, publisher, licence = SOURCES.get(key, (key.replace("_", " "), "", ""))
    publisher = publisher.replace("{area}", area)
    breaks = [f"{b.get('month')}: {b.get('note', '')}" if isinstance(b, dict) else str(b)
              for b in meta.get("series_breaks") or []]
    return {"source": key, "description": what, "status": "used",
            "files": _short([Path(f["path"]).name for f in entry.get("files") or []], 4, 200),
            "publisher": publisher, "licence": licence,
            "rows": entry.get("rows"), "months_covered": entry.get("months") or "",
            "incomplete_months": _incomplete(entry.get("incomplete_months") or []),
            "last_update": _last_update(meta, entry.get("months") or ""),
            "latest_period": last, "stale": is_stale(last, period) if period else False,
            "quality_flags": _short(entry.get("warnings") or [], 2, 240),
            "series_breaks": _short(breaks, 2, 240), "unmapped_categories": _unmapped(meta)}


def _config_row(cfg: SnaConfig, key: str) -> dict:
    what, publisher, licence = SOURCES.get(key, (key.replace("_", " "), "", ""))
    publisher = publisher.replace("{area}", cfg.area.name)
    files = _short([s.path.name for s in cfg.files(key)], 4, 200)
    return dict.fromkeys(INVENTORY_COLUMNS, "") | {
        "source": key, "description": what, "status": "used (details after `sna run`)",
        "files": files, "publisher": publisher, "licence": licence,
        "rows": None}


def _missing_rows(cfg: SnaConfig, data_sources: pd.DataFrame | None) -> list[dict]:
    rows = []
    for key in OPTIONAL_SOURCES:
        if not cfg.has(key):
            what, publisher, _ = SOURCES.get(key, (key.replace("_", " "), "", ""))
            publisher = publisher.replace("{area}", cfg.area.name)
            rows.append(dict.fromkeys(INVENTORY_COLUMNS, "") | {
                "source": key, "description": what, "publisher": publisher, "rows": None,
                "status": f"not supplied (optional config key data.{key})"})
    if data_sources is not None and len(data_sources):
        gone = data_sources[data_sources["status"].astype(str).str.strip().str.lower()
                            == "not collected"]
        from sna.sections.rule_tests import ABBREVIATIONS, norm_text

        for _, r in gone.iterrows():
            rows.append(dict.fromkeys(INVENTORY_COLUMNS, "") | {
                "source": "partnership list", "description": str(r["data_items"]),
                "publisher": ABBREVIATIONS.get(norm_text(r["source"]), str(r["source"])),
                "rows": None,
                "status": "not collected (partnership's data-source list)",
                "quality_flags": _substitute(cfg, f"{r['source']} {r['data_items']}")
                + ("" if pd.isna(r.get("notes")) else str(r["notes"]))})
    return rows


def _substitute(cfg: SnaConfig, text: str) -> str:
    """'Open data used instead: data.ambulance. ' when a configured key covers the item."""
    words = set(text.lower().replace(",", " ").split())
    hit = next((k for w, k in OPEN_SUBSTITUTES
                if (w in words or (" " in w and w in text.lower())) and k and cfg.has(k)), None)
    return f"Open data used instead: {SOURCES[hit][0]} (data.{hit}). " if hit else ""


def data_inventory(manifest: Mapping[str, Any] | None, cfg: SnaConfig,
                   data_sources: pd.DataFrame | None = None, period: str = "") -> pd.DataFrame:
    """Every source used, with provenance and quality, then what is missing.

    Parameters
    ----------
    manifest : mapping or None
        The run's ``manifest.json``; ``None`` -> rows from the config only (rows, months and
        quality flags are filled in by ``sna run``).
    cfg : SnaConfig
        The area configuration (optional keys not supplied are listed).
    data_sources : pandas.DataFrame, optional
        The ``data_sources`` frame: its 'not collected' rows are listed as missing.
    period : str, optional
        ``YYYY-MM`` of the assessment: sets ``stale`` (:func:`is_stale`) of each source.

    Returns
    -------
    pandas.DataFrame
        :data:`INVENTORY_COLUMNS`; ``status`` is 'used', 'not supplied (...)' or 'not collected
        (...)'; ``latest_period`` the last month (or year) a source covers and ``stale`` True
        when it ends more than 12 months before ``period``.
    """
    if manifest is not None:
        used = [_input_row(e, cfg.area.name, period) for e in manifest.get("inputs", [])]
    else:
        used = [_config_row(cfg, k) for k in cfg.sources]
    frame = pd.DataFrame(used + _missing_rows(cfg, data_sources), columns=INVENTORY_COLUMNS)
    frame["rows"] = pd.to_numeric(frame["rows"], errors="coerce").astype("Int64")
    frame["stale"] = frame["stale"].map(lambda v: v is True or str(v) == "True")
    return frame


def inventory_sentence(inventory: pd.DataFrame) -> str:
    """How many sources were used, flagged, or are missing."""
    used = inventory[inventory["status"].str.startswith("used")]
    flagged = used[(used["quality_flags"] != "") | (used["incomplete_months"] != "")
                   | (used["series_breaks"] != "")]
    absent = inventory[inventory["status"].str.startswith("not supplied")]
    gone = inventory[inventory["status"].str.startswith("not collected")]
    text = (f"This assessment uses {len(used)} data sources; {len(flagged)} carry a quality note "
            "(a warning, an incomplete month left out, or a break in the series).")
    if len(absent):
        text += (f" {len(absent)} optional inputs were not supplied: "
                 f"{', '.join(absent['description'].str.lower())}.")
    if len(gone):
        text += (" The partnership's own list records these as not collected: "
                 + "; ".join(f"{d} ({p})" for d, p in zip(gone["description"], gone["publisher"],
                                                           strict=True)) + ".")
    return text


def data_gap_findings(inventory: pd.DataFrame,
                      partnership: pd.DataFrame | None = None) -> list[str]:
    """One sentence per source the partnership's list records as not collected (summary kind
    'data_gap'); when the partnership list (chapter 05) says that organisation shares data,
    the sentence says the two lists disagree instead of calling it a gap."""
    from sna.sections.rule_tests import NOT_SHARED, RuleContext, organisation_of, partner_row

    gone = inventory[inventory["status"].str.startswith("not collected")]
    ctx = RuleContext(area="", period="", partnership=partnership)
    out = []
    for d, p, q in zip(gone["description"], gone["publisher"], gone["quality_flags"],
                       strict=True):
        partner = partner_row(ctx, organisation_of(p, d))
        if partner is not None and not NOT_SHARED.search(str(partner["data_shared"])):
            out.append(f"{d} is recorded as not collected in the partnership's data-source "
                       f"list, but the partnership list says {partner['organisation']} shares "
                       f"{partner['data_shared']}; the data-source list needs updating.")
            continue
        instead = q.split(" (data.")[0].split(": ")[-1] if q.startswith("Open data used") else ""
        old = inventory[(inventory["description"] == instead) & inventory["stale"].map(
            lambda v: v is True or str(v) == "True")] if instead else inventory.iloc[:0]
        if len(old):
            instead += f", which end in {month_label(str(old['latest_period'].iloc[0]))}: " \
                "out of date"
        who = d if p in d or p == "" else f"{d} ({p})"
        out.append(f"{who} is not collected by the partnership"
                   + (f"; only open data ({instead}) is used." if instead
                      else ", so it is missing from this assessment."))
    return out


def headline(inventory: pd.DataFrame, manifest_found: bool) -> str:
    """The chapter's one-line headline."""
    used = int(inventory["status"].str.startswith("used").sum())
    missing = int((~inventory["status"].str.startswith("used")).sum())
    text = f"{used} data sources used and documented; {missing} known gaps (not supplied or " \
           "not collected)"
    return text + ("." if manifest_found else "; run with `sna run` for row counts and months.")


def inventory_display(inventory: pd.DataFrame) -> pd.DataFrame:
    """The inventory for reading: six columns (source with its config key, status, publisher
    and licence, rows, coverage, one notes column)."""
    notes = inventory[["incomplete_months", "quality_flags", "series_breaks",
                       "unmapped_categories"]].fillna("").astype(str)
    labels = ("Incomplete months left out: ", "", "Series break: ", "Unmapped categories: ")
    joined = notes.apply(lambda r: " | ".join(f"{lab}{v}" for lab, v in zip(labels, r,
                                                                            strict=True) if v),
                         axis=1)
    key = inventory["source"].where(inventory["source"] != "partnership list", "")
    licence = inventory["licence"].str.replace("Open Government Licence", "OGL", regex=False)
    months = inventory["months_covered"].fillna("").astype(str)
    latest = inventory["last_update"].fillna("").astype(str)
    coverage = [m + (f" (latest {u})" if u and not m.endswith(u) else "") if m else u
                for m, u in zip(months, latest, strict=True)]
    stale = inventory["stale"].fillna(False).astype(bool) if "stale" in inventory else \
        pd.Series(False, index=inventory.index)
    coverage = [c + (" - OUT OF DATE (ends more than 12 months before the period)" if old
                     else "") for c, old in zip(coverage, stale, strict=True)]
    return pd.DataFrame({
        "Source": inventory["description"] + key.map(lambda k: f" [{k}]" if k else ""),
        "Status": inventory["status"].str.capitalize(),
        "Publisher and licence": inventory["publisher"] + licence.map(lambda x: f"; {x}" if x
                                                                      else ""),
        "Rows": inventory["rows"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}"),
        "Coverage": coverage, "Quality notes": joined.str.replace("_", "_\u200b")})


def record_findings(ch: Any, inventory: pd.DataFrame, manifest_found: bool) -> None:
    """One headline, one 'data_gap' finding naming the out-of-date sources, and one per
    source the partnership does not collect."""
    ch.finding(headline(inventory, manifest_found), kind="headline", anchor="Data-inventory")
    stale = stale_sentence(inventory, ch.period).replace("**", "")
    if stale:
        old = inventory[inventory["stale"].fillna(False).astype(bool)]
        ch.finding(stale, kind="data_gap", anchor="Data-inventory",
                   stale_sources=list(old["source"]),
                   stale_names=list(old["description"]),
                   latest_periods=list(old["latest_period"].astype(str)))
    from sna.sections.partnership import partnership_table

    for text in data_gap_findings(inventory, partnership_table(ch.cfg.partnership)):
        ch.finding(text, kind="data_gap", anchor="What-is-missing")
