"""Run the SNA for one area and period: pre-flight, chapters through papermill's Python API,
nbconvert export, index, manifest, disclosure audit, then one atomic move into place."""

from __future__ import annotations

import fcntl
import logging
import shutil
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sna.chapter import CHAPTERS
from sna.config import SnaConfig, load_config
from sna.errors import LockError, SnaError
from sna.periods import resolve_period
from sna.report import inputs as inp

log = logging.getLogger("sna")
ORDER = list(CHAPTERS)  # 01..07 then 00 (runs last, shown first)
DEPENDS = {"05_partnership_interventions": ["03_spatial", "04_risk_protective"],
           "06_recommendations": ["02_violence_trends", "03_spatial", "04_risk_protective",
                                  "05_partnership_interventions"],
           "00_summary": [c for c in ORDER if c != "00_summary"]}


@dataclass
class ChapterResult:
    """Outcome of one chapter."""

    chapter_id: str
    title: str
    status: str = "pending"  # ok | failed | skipped
    seconds: float = 0.0
    error: str = ""


@dataclass
class RunResult:
    """Outcome of a run."""

    exit_code: int
    out_dir: Path | None
    period: str = ""
    chapters: list[ChapterResult] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0


Progress = Callable[[str, dict], None]


def _noop(event: str, info: dict) -> None:
    return None


def select_chapters(requested: list[str] | None) -> list[str]:
    """Chapter ids to run, in run order; accepts ids, numbers ('02') or topics."""
    if not requested:
        return ORDER
    chosen = []
    for r in requested:
        match = [c for c in ORDER if c == r or c.split("_", 1)[0] == r.zfill(2)
                 or c.split("_", 1)[1] == r]
        if not match:
            raise SnaError(f"unknown chapter {r!r}; choose from {', '.join(ORDER)}")
        chosen += match
    return [c for c in ORDER if c in chosen]


@contextmanager
def period_lock(area_dir: Path, period: str):
    """Serialise runs of the same area and period (fails clearly if one is running)."""
    area_dir.mkdir(parents=True, exist_ok=True)
    with open(area_dir / f".{period}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockError(f"another run is producing {area_dir.name}/{period} right now; "
                            "wait for it to finish, then run again.") from exc
        yield


def recover(area_dir: Path, period: str) -> None:
    """Undo what an interrupted run left: restore a displaced good output, drop temp folders."""
    final = area_dir / period
    olds = sorted(area_dir.glob(f".{period}.old-*"))
    if olds and not final.exists():
        olds[-1].rename(final)
        olds = olds[:-1]
    for p in olds + sorted(area_dir.glob(f".{period}.tmp-*")):
        shutil.rmtree(p, ignore_errors=True)


def swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` with ``tmp`` (two renames; :func:`recover` mends a crash between)."""
    old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _attach_log(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("sna", "papermill"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    for name in ("sna", "papermill"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


def execute_chapter(chapter_id: str, cfg: SnaConfig, period: str, work: Path,
                    kernel: str) -> ChapterResult:
    """Execute one chapter notebook with papermill's Python API into ``work/notebooks``."""
    import papermill as pm

    res = ChapterResult(chapter_id, CHAPTERS[chapter_id])
    src = inp.project_root() / "notebooks" / f"{chapter_id}.ipynb"
    dst = work / "notebooks" / f"{chapter_id}.ipynb"
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(src), str(dst), kernel_name=kernel, cwd=str(work),
                            parameters={"config_path": str(cfg.path), "period": period,
                                        "output_dir": str(work)},
                            progress_bar=False, log_output=False, execution_timeout=900)
        res.status = "ok"
    except Exception as exc:  # a failing chapter never blocks the others
        if hasattr(exc, "ename"):  # papermill's execution error: keep the cell's own error
            res.error = f"{exc.ename}: {exc.evalue}"[:2000]
        else:
            res.error = f"{type(exc).__name__}: {exc}"[:2000]
        res.status = "failed"
        log.error("chapter %s failed:\n%s", chapter_id, traceback.format_exc())
    res.seconds = round(time.perf_counter() - start, 2)
    log.info("chapter %s %s in %.1fs", chapter_id, res.status, res.seconds)
    return res


def run_chapters(ids: list[str], cfg: SnaConfig, period: str, work: Path, *, jobs: int,
                 progress: Progress) -> list[ChapterResult]:
    """Run chapters respecting :data:`DEPENDS`, up to ``jobs`` at a time."""
    from sna.report.kernel import ensure_kernel

    kernel = ensure_kernel()
    (work / "notebooks").mkdir(parents=True, exist_ok=True)
    pending, results, running = list(ids), {}, {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while pending or running:
            for cid in list(pending):
                deps = [d for d in DEPENDS.get(cid, []) if d in ids]
                if len(running) < max(1, jobs) and all(d in results for d in deps):
                    pending.remove(cid)
                    progress("chapter_start", {"chapter": cid, "done": len(results),
                                               "total": len(ids)})
                    fut: Future = pool.submit(execute_chapter, cid, cfg, period, work, kernel)
                    running[fut] = cid
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                cid = running.pop(fut)
                results[cid] = fut.result()
                progress("chapter_end", {"chapter": cid, "done": len(results),
                                         "total": len(ids), "status": results[cid].status,
                                         "seconds": results[cid].seconds})
    return [results[c] for c in ids]


def run(config_path: str | Path, *, period: str | None = None, out_root: str | Path = "outputs",
        chapters: list[str] | None = None, jobs: int = 1,
        progress: Progress = _noop) -> RunResult:
    """Produce ``<out_root>/<area>/<period>/`` and return the exit code (0, 1 or 2)."""
    from sna.report import publish

    t0 = time.perf_counter()
    started = datetime.now(UTC)
    try:
        cfg = load_config(config_path, period=period)
        ids = select_chapters(chapters)
        progress("validate", {})
        reports = inp.check_sources(cfg)
        bad = inp.first_error(reports)
        if bad:
            return RunResult(2, None, message=f"data.{bad.key}: {bad.error}")
        months = next(r for r in reports if r.key == "mps_ward").meta.get("months", [])
        resolved = resolve_period(cfg.period, months)
    except SnaError as exc:
        return RunResult(2, None, message=str(exc))
    area_dir = Path(out_root).resolve() / cfg.area.slug
    try:
        with period_lock(area_dir, resolved):
            recover(area_dir, resolved)
            work = area_dir / f".{resolved}.tmp-{uuid.uuid4().hex[:8]}"
            work.mkdir(parents=True)
            handler = _attach_log(work / "run.log")
            try:
                ctx = publish.RunContext(cfg, resolved, work, reports, started, months)
                publish.write_manifest(ctx, [], final=False)
                results = run_chapters(ids, cfg, resolved, work, jobs=jobs, progress=progress)
                progress("export", {})
                code = publish.finish(ctx, results)
            except BaseException:
                _detach_log(handler)
                shutil.rmtree(work, ignore_errors=True)
                raise
            _detach_log(handler)
            final = area_dir / resolved
            swap_into_place(work, final)
    except LockError as exc:
        return RunResult(2, None, period=resolved, message=str(exc))
    return RunResult(code, final, resolved, results, seconds=round(time.perf_counter() - t0, 1))
