"""Pre-flight: load every configured source (through the cache), collect problems, and
describe inputs for the manifest and ``sna validate``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sna import data as sna_data
from sna import registry
from sna.config import SOURCE_KEYS, SnaConfig
from sna.errors import DataError
from sna.io import LOADERS


@dataclass
class SourceReport:
    """One row of the validation table."""

    key: str
    files: list[str]
    rows: int | None = None
    months: str = ""
    incomplete: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    inputs: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _months_text(meta: dict) -> str:
    months = meta.get("months") or []
    return f"{months[0]} to {months[-1]}" if months else ""


def check_sources(cfg: SnaConfig) -> list[SourceReport]:
    """Load every configured source; one report per key (errors captured, not raised)."""
    reports = []
    for key in SOURCE_KEYS:
        if not cfg.has(key) or key not in LOADERS:
            continue
        files = [os.path.relpath(s.path, cfg.folder) for s in cfg.files(key)]
        rep = SourceReport(key=key, files=files)
        try:
            meta = sna_data.cached_meta_or_none(cfg, key)
            if meta is None:  # not parsed yet: parse (and validate) it now
                loaded = sna_data.load(cfg, key)
                meta = dict(loaded.meta, _rows=len(loaded.frame))
        except DataError as exc:
            rep.error = str(exc)
        else:
            rep.rows = meta.pop("_rows")
            rep.months = _months_text(meta)
            rep.incomplete = [f"{m['month']} ({m.get('reason', '')})" if isinstance(m, dict)
                              else str(m) for m in meta.get("incomplete_months", [])]
            rep.warnings = [str(w) for w in meta.get("warnings", [])]
            rep.inputs = [dict(r, path=os.path.relpath(r["path"], cfg.folder))
                          for r in meta.get("inputs", [])]
            rep.meta = {k: v for k, v in meta.items() if k not in ("inputs",)}
        reports.append(rep)
    if not first_error(reports):
        cross_check(cfg, reports)
    return reports


def cross_check(cfg: SnaConfig, reports: list[SourceReport]) -> None:
    """Check the sources against each other and the config (:mod:`sna.report.crosscheck`);
    each problem becomes the error of its source's report (exit 2, nothing written)."""
    from sna.report.crosscheck import problems

    by_key = {r.key: r for r in reports}
    ward = by_key.get("mps_ward")
    months = list(ward.meta.get("months", [])) if ward else []
    try:
        found = problems(cfg, reports, months)
    except DataError as exc:
        found = [("mps_ward", str(exc))]
    for key, message in found:
        rep = by_key[key]
        rep.error = f"{rep.error}\n{message}" if rep.error else message


def first_error(reports: list[SourceReport]) -> SourceReport | None:
    """The first source that failed, if any."""
    return next((r for r in reports if r.error), None)


def validation_table(reports: list[SourceReport]) -> str:
    """Plain-text table for ``sna validate``."""
    rows = [("source", "files", "rows", "months", "incomplete", "warnings", "status")]
    for r in reports:
        rows.append((r.key, str(len(r.files)), "" if r.rows is None else f"{r.rows:,}", r.months,
                     "; ".join(r.incomplete)[:40], str(len(r.warnings)),
                     "ERROR" if r.error else "ok"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def project_root() -> Path:
    """The folder holding ``notebooks/`` (see :func:`sna.registry.project_root`)."""
    return registry.project_root()
