"""After the chapters: export HTML pages, audit disclosure, build the board pack (PDF) and the
index, write the manifest."""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sna import registry
from sna.config import SnaConfig
from sna.periods import day_label
from sna.report import inputs as inp
from sna.report.export import chapter_body
from sna.report.index import index_body
from sna.report.page import PageContext, render_page

if TYPE_CHECKING:
    from sna.report.boardpack import PackInfo

log = logging.getLogger("sna")
PACKAGES = ("sna", "pandas", "numpy", "geopandas", "shapely", "pyproj", "pyarrow", "duckdb",
            "pandera", "scipy", "statsmodels", "esda", "libpysal", "mapclassify", "matplotlib",
            "seaborn", "papermill", "nbconvert", "nbclient", "ipykernel", "jinja2", "reportlab")
UNLISTED = ("manifest.json", "run.log")  # not in the manifest's list of outputs


@dataclass
class RunContext:
    """Everything the publishing steps need about the run."""

    cfg: SnaConfig
    period: str
    work: Path
    reports: list[inp.SourceReport]
    started: datetime
    months: list[str]
    code_fingerprint: str = ""  # of the code at the run's start (``sna batch --resume``)
    chapters_requested: list[str] = field(default_factory=list)

    @property
    def page(self) -> PageContext:
        return PageContext(area=self.cfg.area.name, period=self.period,
                           data_to=self.months[-1] if self.months else self.period,
                           generated=day_label(self.started),
                           chapters=tuple((c, registry.chapter_titles()[c])
                                          for c in registry.reading_order()),
                           demo=bool((getattr(self.cfg, "report", None) or {}).get("demo")))


def versions() -> dict[str, str]:
    """Installed versions of the packages that shape the numbers."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_manifest(ctx: RunContext, results: list, *, final: bool,
                   audit: list[str] | None = None, tables: dict | None = None,
                   board_pack: dict | None = None) -> dict:
    """Write ``manifest.json`` (parameters, inputs with sha256, versions, chapters, the
    published tables' sensitivity and count columns, the disclosure audit, the board pack (its
    file, pages and build time, or why it could not be made), and, when ``final``, every
    output file with its size and sha256, times)."""
    manifest = {
        "sna_manifest_version": 1,
        "demonstration": bool((getattr(ctx.cfg, "report", None) or {}).get("demo")),
        "area": {"name": ctx.cfg.area.name, "code": ctx.cfg.area.code, "slug": ctx.cfg.area.slug},
        "parameters": {"config_path": os.path.relpath(ctx.cfg.path, Path.cwd()),
                       "config_sha256": _sha(ctx.cfg.path), "period": ctx.period,
                       "min_count": ctx.cfg.min_count, "open_data": ctx.cfg.open_data},
        "inputs": [{"key": r.key, "files": r.inputs, "rows": r.rows, "months": r.months,
                    "incomplete_months": r.incomplete, "warnings": r.warnings,
                    "meta": r.meta} for r in ctx.reports],
        "versions": versions(),
        "chapters": [{"id": r.chapter_id, "title": r.title, "status": r.status,
                      "seconds": r.seconds, "error": r.error} for r in results],
        "tables": {name: {"sensitivity": rec.get("sensitivity"),
                          "count_columns": rec.get("count_columns", [])}
                   for name, rec in (tables or {}).items()},
        "disclosure_audit": audit or [],
        "board_pack": board_pack,
        "started": ctx.started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds") if final else None,
        "platform": f"{platform.system()} {platform.machine()} {sys.version.split()[0]}",
        "outputs": output_files(ctx.work) if final else [],
        "code_fingerprint": ctx.code_fingerprint,
        "chapters_requested": ctx.chapters_requested,
    }
    (ctx.work / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str),
                                            encoding="utf-8")
    return manifest


def _sha(path: Path) -> str:
    from sna.io.common import sha256

    return sha256(path)


def export_chapter(ctx: RunContext, r) -> None:
    """Write ``chapters/<id>.html`` for one chapter run (an error box when it failed)."""
    out = ctx.work / "chapters"
    out.mkdir(exist_ok=True)
    nb = ctx.work / "notebooks" / f"{r.chapter_id}.ipynb"
    try:
        body = chapter_body(nb if nb.is_file() else None, r.title,
                            failed=r.status != "ok", reason=r.error)
    except Exception as exc:  # export failure: still publish a page saying so
        log.exception("export of %s failed", r.chapter_id)
        r.status, r.error = "failed", f"export failed: {exc}"
        body = chapter_body(None, r.title, failed=True, reason="the page could not be built")
    page = render_page(ctx.page, r.title, body, current=r.chapter_id, prefix="")
    (out / f"{r.chapter_id}.html").write_text(page, encoding="utf-8")


def pack_info(ctx: RunContext, results: list, problems: int = 0) -> PackInfo:
    """What the board pack's cover and running header say."""
    from sna.periods import month_label, window_label, window_months
    from sna.report.boardpack import PackInfo

    page = ctx.page
    return PackInfo(area=ctx.cfg.area.name, area_slug=ctx.cfg.area.slug, period=ctx.period,
                    window=window_label(window_months(ctx.period, "12m")),
                    period_label=month_label(ctx.period), data_to_label=month_label(
                        page.data_to), generated=page.generated, chapters=page.chapters,
                    failed=tuple(r.title for r in results if r.status != "ok"),
                    min_count=ctx.cfg.min_count, audit_problems=problems)


def write_board_pack(ctx: RunContext, results: list, parsed: dict, problems: int) -> dict:
    """``sna_<area>_<YYYY-MM>.pdf`` from the chapter pages; a failure is logged and noted in
    the manifest (no PDF, no link in the index), it never stops the run or the HTML."""
    from sna.report.boardpack import build_board_pack

    info = None
    try:
        info = pack_info(ctx, results, problems)
        pack = build_board_pack(ctx.work, info, parsed)
        log.info("board pack %s: %d pages in %.1fs", pack["name"], pack["pages"],
                 pack["seconds"])
        return pack
    except Exception as exc:
        log.exception("the board pack (PDF) could not be written")
        return {"name": None if info is None else info.file_name,
                "error": f"{type(exc).__name__}: {exc}"[:500]}


def _export_and_parse(ctx: RunContext, r, parsed: dict) -> None:
    """Export ``r``'s page, then read it into board pack flowables while chapters still run."""
    export_chapter(ctx, r)
    try:
        from sna.report.boardpack import chapter_flowables

        page = ctx.work / "chapters" / f"{r.chapter_id}.html"
        parsed[r.chapter_id] = chapter_flowables(page, r.chapter_id, r.title)
    except Exception:  # the build reads the page again, and reports what fails
        log.exception("board pack: reading %s ahead failed", r.chapter_id)


def _warm_up() -> None:
    from sna.report.export import warm_up

    warm_up()
    import sna.report.boardpack  # noqa: F401 - ReportLab, fonts and bs4, ahead of need


def write_pack(ctx: RunContext) -> None:
    """``data_pack.xlsx`` from the published tables; a failure is logged and leaves no pack
    (the index then does not link one), it never stops the run."""
    from sna.datapack import write_data_pack

    try:
        write_data_pack(ctx.work, generated=day_label(ctx.started))
    except Exception:
        log.exception("the data pack (data_pack.xlsx) could not be written")


class PageExporter:
    """Exports each chapter's page as soon as the chapter ends, on one background thread, so
    the export overlaps the chapters still running (it needs only that chapter's notebook),
    and reads the page into board pack flowables. The thread also loads nbconvert's templates
    and ReportLab while the first chapters run. The data pack is written as soon as every
    chapter that publishes tables (``pack_after``) has ended, while the summary chapter is
    still running, by ``pack_writer`` (:func:`sna.report.runner.pack_writer`: in a pooled
    kernel) on a thread of its own."""

    def __init__(self, ctx: RunContext, initializer=None, pack_after: Iterable[str] = (),
                 pack_writer=None):
        from concurrent.futures import ThreadPoolExecutor

        self.ctx = ctx
        self.parsed: dict[str, list] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sna-export",
                                        initializer=initializer)
        self._futures: dict[str, object] = {}
        self._pack_waits = set(pack_after)
        self._pack = None
        # the data pack on a thread of its own: ``pack_writer`` (e.g. in a kernel process on
        # the core the summary chapter leaves free) or this process, never delaying the pages
        self._pack_writer = pack_writer or write_pack
        self._pack_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sna-pack",
                                               initializer=initializer)
        self._pool.submit(_warm_up)

    def submit(self, result) -> None:
        """Export ``result``'s page in the background (and the pack when its tables are in)."""
        self._futures[result.chapter_id] = self._pool.submit(_export_and_parse, self.ctx, result,
                                                             self.parsed)
        self._pack_waits.discard(result.chapter_id)
        if not self._pack_waits and self._pack is None:
            self._pack = self._pack_thread.submit(self._pack_writer, self.ctx)

    def finish(self, results: list) -> None:
        """Wait for the pages and the pack submitted; do what was not submitted."""
        for r in results:
            fut = self._futures.get(r.chapter_id)
            if fut is None:
                export_chapter(self.ctx, r)
            else:
                fut.result()
        if self._pack is None:
            write_pack(self.ctx)
        else:
            self._pack.result()

    def board_pack(self, results: list, problems: int) -> dict:
        """Build the board pack on the export thread (where the chapters were read)."""
        return self._pool.submit(write_board_pack, self.ctx, results, self.parsed,
                                 problems).result()

    def close(self) -> None:
        """Stop (an interrupted run: pending pages are dropped, the one in progress ends)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pack_thread.shutdown(wait=True, cancel_futures=True)


def declarations(work: Path) -> dict[str, dict]:
    """``{table: {sensitivity, count_columns, declared}}`` for every ``tables/*.csv``, from
    what ``ch.publish`` recorded (``.declared/``) or else :data:`sna.tables.TABLES`."""
    from sna.tables import TABLES

    out = {}
    for csv in sorted((work / "tables").glob("*.csv")):
        name, rec = csv.stem, work / ".declared" / f"{csv.stem}.json"
        if rec.is_file():
            out[name] = json.loads(rec.read_text(encoding="utf-8"))
        elif name in TABLES:
            out[name] = dict(TABLES[name].as_manifest(), declared=True)
        else:
            out[name] = {"sensitivity": None, "count_columns": [], "declared": False}
    return out


def audit(ctx: RunContext, declared: dict[str, dict] | None = None) -> list[str]:
    """Disclosure audit of every published table and page; returns the problems found.

    Each table is checked against its declaration (:mod:`sna.tables`; an undeclared table
    is a problem), pages by each table's ``data-sensitivity`` mark, and the declared additive
    relations across tables for a suppressed cell that subtraction would reveal
    (:func:`sna.differencing.leaks`)."""
    import pandas as pd

    from sna.declared import audit_declared
    from sna.differencing import leaks
    from sna.disclosure import audit_html, load_hidden
    from sna.tables import TableSpec, spec_for

    declared = declarations(ctx.work) if declared is None else declared
    m, open_min = ctx.cfg.min_count, ctx.cfg.threshold("open")
    problems, frames = [], {}
    for csv in sorted((ctx.work / "tables").glob("*.csv")):
        rec = declared.get(csv.stem) or {}
        if not rec.get("declared"):
            problems.append(f"tables/{csv.name}: not declared in sna/tables.py (TABLES): "
                            "declare its sensitivity and count columns before publishing it.")
        try:
            table = pd.read_csv(csv)
        except pd.errors.EmptyDataError:
            continue  # nothing published in it
        base = spec_for(csv.stem) or TableSpec("partner")
        spec = replace(base, sensitivity=rec.get("sensitivity") or "partner",
                       count_columns=tuple(rec.get("count_columns", ())))
        frames[csv.stem] = (table, spec)
        problems += [f"tables/{csv.name}: {p}" for p in audit_declared(table, spec, m, open_min)]
    hidden = load_hidden(ctx.work / ".declared", frames)  # hidden true values, by label
    for page in sorted((ctx.work / "chapters").glob("*.html")):
        problems += [f"chapters/{page.name}: {p}" for p in audit_html(
            page.read_text(encoding="utf-8"), m, open_min, hidden)]
    return problems + leaks(frames, m, open_min, period=ctx.period)


def output_files(work: Path) -> list[dict]:
    """``[{path, size, sha256}]`` of every file of the run except ``manifest.json`` and
    ``run.log`` (still being written): a reader (or a test of a killed run) can tell a
    complete output from a partial one."""
    from sna.io.common import sha256

    return [{"path": rel, "size": p.stat().st_size, "sha256": sha256(p)}
            for p in sorted(work.rglob("*"))
            if p.is_file() and (rel := p.relative_to(work).as_posix()) not in UNLISTED
            and not rel.startswith(".")]


def finish(ctx: RunContext, results: list, pages: PageExporter) -> int:
    """Wait for ``pages`` (exported while the run went on), then audit, board pack, index,
    manifest; returns the exit code (0 all ok, 1 otherwise)."""
    import shutil

    pages.finish(results)
    declared = declarations(ctx.work)
    problems = audit(ctx, declared)
    shutil.rmtree(ctx.work / ".declared", ignore_errors=True)
    for p in problems:
        log.error("disclosure audit: %s", p)
    pack = pages.board_pack(results, len(problems))
    body = index_body(ctx, results, problems, board_pack=None if "error" in pack else pack)
    (ctx.work / "index.html").write_text(
        render_page(ctx.page, "Contents", body, current=None, prefix="chapters/"),
        encoding="utf-8")
    write_manifest(ctx, results, final=True, audit=problems, tables=declared, board_pack=pack)
    failed = [r for r in results if r.status != "ok"]
    return 1 if failed or problems else 0
