"""Run the SNA for one area and period: pre-flight, chapters through papermill's Python API,
nbconvert export, index, manifest, disclosure audit, then one atomic move into place.

Speed: the pre-flight reads only cached metadata (each input is parsed once per content hash,
see :mod:`sna.cache`); chapters without dependencies run concurrently in warm kernels
(:mod:`sna.report.engine`), critical-path chapters first; a batch shares one pre-flight per area
and one kernel pool (:mod:`sna.report.batch`).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sna import registry
from sna.config import SnaConfig, load_config
from sna.errors import LockError, SnaError
from sna.periods import day_label, resolve_period
from sna.report import inputs as inp
from sna.report.fingerprint import code_fingerprint
from sna.report.schedule import chapter_costs, critical_rank, critical_seconds, select_chapters

if TYPE_CHECKING:
    from sna.report.engine import Kernels

log = logging.getLogger("sna")


def __getattr__(name: str) -> Any:
    """``ORDER`` (run order) and ``DEPENDS`` (chapter -> chapters it waits for) come from the
    notebooks' metadata (:mod:`sna.registry`), read when asked for."""
    if name == "ORDER":
        return registry.run_order()
    if name == "DEPENDS":
        return registry.depends()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


@dataclass
class Preflight:
    """Every configured source checked once (picklable: a batch computes it once per area)."""

    config_path: str
    reports: list[inp.SourceReport] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


Progress = Callable[[str, dict], None]


def _noop(event: str, info: dict) -> None:
    return None


# --- pre-flight ----------------------------------------------------------------------------

def preflight(config_path: str | Path, *, cfg: SnaConfig | None = None) -> Preflight:
    """Check every configured source once (:func:`sna.report.inputs.check_sources`: cached
    metadata when parsed before, a parse into the cache otherwise); exit-2 problems land in
    ``error``. No parsed frame is kept in this process: the chapters load their own."""
    from sna import data as sna_data

    t0 = time.perf_counter()
    pre = Preflight(str(config_path))
    try:
        cfg = cfg or load_config(config_path)
        pre.reports = inp.check_sources(cfg)
    except SnaError as exc:
        pre.error = str(exc)
        return pre
    finally:
        sna_data.clear_memo()
    bad = inp.first_error(pre.reports)
    if bad:
        pre.error = f"data.{bad.key}: {bad.error}"
    ward = next((r for r in pre.reports if r.key == "mps_ward"), None)
    pre.months = list(ward.meta.get("months", [])) if ward else []
    if not pre.error:
        from sna.evaluation_data import check_evaluations

        pre.error = check_evaluations(cfg, pre.months)
        sna_data.clear_memo()
    pre.seconds = round(time.perf_counter() - t0, 2)
    return pre


# --- output folders ------------------------------------------------------------------------

@contextmanager
def period_lock(area_dir: Path, period: str):
    """Serialise runs of the same area and period (fails clearly if one is running).

    An operating-system lock through ``filelock`` (``flock`` on POSIX, ``msvcrt`` on Windows):
    the system releases it when the process ends, however it ends."""
    from filelock import FileLock, Timeout

    area_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(area_dir / f".{period}.lock", timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockError(f"another run is producing {area_dir.name}/{period} right now; "
                        "wait for it to finish, then run again.") from exc
    try:
        yield
    finally:
        lock.release()


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


# --- logging: one run.log per run, even with several runs in one process ---------------------

_TAG = threading.local()


class _RunFilter(logging.Filter):
    def __init__(self, tag: str):
        super().__init__()
        self.tag = tag

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(_TAG, "tag", None) == self.tag


def _attach_log(path: Path, tag: str) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RunFilter(tag))
    for name in ("sna", "papermill"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
    return handler


def _detach_log(handler: logging.Handler) -> None:
    for name in ("sna", "papermill"):
        logging.getLogger(name).removeHandler(handler)
    handler.close()


# --- chapters ------------------------------------------------------------------------------

def execute_chapter(chapter_id: str, cfg: SnaConfig, period: str, work: Path,
                    kernels: Kernels, ticket: tuple | None = None, tag: str = "",
                    on_start: Callable[[], None] = lambda: None,
                    spec: registry.ChapterSpec | None = None) -> ChapterResult:
    """Execute one chapter notebook in a fresh pooled kernel into ``work/notebooks``, once
    ``ticket`` (from ``kernels.slots.enqueue``) is served. ``spec`` is the chapter as the run
    found it at its start (default: read from the registry now)."""
    import papermill as pm

    from sna.report.kernel import KERNEL_NAME
    from sna.report.pmengine import ENGINE_NAME

    _TAG.tag = tag
    spec = spec or registry.chapters()[chapter_id]
    res = ChapterResult(chapter_id, spec.title)
    src = spec.path
    dst = work / "notebooks" / f"{chapter_id}.ipynb"
    kernels.slots.wait(ticket if ticket is not None else kernels.slots.enqueue())
    start = time.perf_counter()
    try:
        km = kernels.take()
        on_start()
        try:
            pm.execute_notebook(str(src), str(dst), kernel_name=KERNEL_NAME, language="python",
                                engine_name=ENGINE_NAME, km=km, kernel_cwd=str(work),
                                parameters={"config_path": str(cfg.path), "period": period,
                                            "output_dir": str(work)},
                                progress_bar=False, log_output=False, execution_timeout=900,
                                request_save_on_cell_execute=False)
        finally:
            kernels.give_back(km)
        res.status = "ok"
    except Exception as exc:  # a failing chapter never blocks the others
        if hasattr(exc, "ename"):  # papermill's execution error: keep the cell's own error
            res.error = f"{exc.ename}: {exc.evalue}"[:2000]
        else:
            res.error = f"{type(exc).__name__}: {exc}"[:2000]
        res.status = "failed"
        log.error("chapter %s failed:\n%s", chapter_id, traceback.format_exc())
    finally:
        kernels.slots.release()
    res.seconds = round(time.perf_counter() - start, 2)
    log.info("chapter %s %s in %.1fs", chapter_id, res.status, res.seconds)
    return res


def run_chapters(ids: list[str], cfg: SnaConfig, period: str, work: Path, *,
                 progress: Progress, kernels: Kernels, priority: tuple = (),
                 tag: str = "", on_result: Callable[[ChapterResult], None] | None = None,
                 costs: dict[str, float] | None = None) -> list[ChapterResult]:
    """Run chapters respecting their dependencies (the notebooks' ``sna.depends``): every
    chapter whose dependencies are done is queued at once; ``kernels.slots`` lets the
    longest chains go first: measured in seconds when ``costs`` (each chapter's seconds in an
    earlier run, :func:`chapter_costs`) are given, else in chapters; then run order.
    Interrupted (Ctrl-C, SIGTERM, a cancelled batch): this run's kernels are stopped and
    ``KeyboardInterrupt`` is raised, so no partial output is published. ``on_result`` is
    called with each chapter's result as it ends (e.g. to export its page at once)."""
    from sna.report.kernel import ensure_kernel

    ensure_kernel()
    kernels.pool.expect(len(ids))
    (work / "notebooks").mkdir(parents=True, exist_ok=True)
    results: dict[str, ChapterResult] = {}
    lock = threading.Lock()
    specs = registry.chapters()  # read once: a notebook saved during the run changes nothing
    order, deps = list(specs), {c: list(s.depends) for c, s in specs.items() if s.depends}
    if costs:
        sub = {c: [d for d in deps.get(c, []) if d in ids] for c in ids}
        rank = {c: critical_seconds(c, sub, costs) for c in ids}
    else:
        rank = {c: float(critical_rank(c, deps)) for c in ids}

    def submit(pool: ThreadPoolExecutor, cid: str) -> Future:
        ticket = kernels.slots.enqueue((*priority, -rank[cid], order.index(cid)))

        def started() -> None:
            with lock:
                progress("chapter_start", {"chapter": cid, "done": len(results),
                                           "total": len(ids)})
        return pool.submit(execute_chapter, cid, cfg, period, work, kernels, ticket, tag,
                           started, specs[cid])

    with ThreadPoolExecutor(max_workers=len(ids), thread_name_prefix="sna-ch") as pool:
        pending, running = list(ids), {}
        try:
            while pending or running:
                ready = [c for c in pending
                         if all(d in results for d in deps.get(c, []) if d in ids)]
                for cid in sorted(ready, key=lambda c: (-rank[c], order.index(c))):
                    pending.remove(cid)
                    running[submit(pool, cid)] = cid
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in finished:
                    cid = running.pop(fut)
                    with lock:
                        results[cid] = fut.result()
                    if on_result is not None and not kernels.cancelled.is_set():
                        on_result(results[cid])
                    with lock:
                        progress("chapter_end", {"chapter": cid, "done": len(results),
                                                 "total": len(ids),
                                                 "status": results[cid].status,
                                                 "seconds": results[cid].seconds})
        except (KeyboardInterrupt, SystemExit):  # stop the kernels so threads end now
            kernels.cancel()
            raise
    if kernels.cancelled.is_set():
        raise KeyboardInterrupt("run cancelled")
    return [results[c] for c in ids]


def pack_writer(kernels: Kernels, priority: tuple = ()) -> Callable[[Any], None] | None:
    """Write the data pack in a pooled kernel (a process of its own, on the core the summary
    chapter leaves free, so the pages and the board pack are not slowed by it); where kernels
    are spawned (slow to start) ``None``: this process writes it. If the kernel fails, this
    process writes it after all."""
    if kernels.pool.mode == "spawn":
        return None
    kernels.pool.expect(1)

    def write(ctx) -> None:
        from sna.report import publish
        from sna.report.pmengine import run_code

        start = time.perf_counter()
        code = ("from sna.datapack import write_data_pack\n"
                f"write_data_pack({str(ctx.work)!r}, generated={day_label(ctx.started)!r})")
        kernels.slots.acquire((*priority, 0.0, 999))
        try:
            km = kernels.take()
            try:
                run_code(km, code)
            finally:
                kernels.give_back(km)
            log.info("data pack written in a kernel in %.1fs", time.perf_counter() - start)
        except Exception as exc:  # noqa: BLE001 - the pack is still written, here
            log.warning("data pack: the kernel failed (%s); writing it in this process", exc)
            publish.write_pack(ctx)
        finally:
            kernels.slots.release()
    return write


def run(config_path: str | Path, *, period: str | None = None, out_root: str | Path = "outputs",
        chapters: list[str] | None = None, jobs: int = 1, progress: Progress = _noop,
        pre: Preflight | None = None, kernels: Kernels | None = None,
        priority: tuple = ()) -> RunResult:
    """Produce ``<out_root>/<area>/<period>/`` and return the exit code (0, 1 or 2).

    ``pre`` (a batch's pre-flight of this area), ``kernels`` (a batch's shared pool and slots)
    and ``priority`` (a batch's order) are optional: a single run makes its own.
    """
    from sna.report import publish
    from sna.report.engine import Kernels, Slots, drain_stopping, shared_pool

    t0 = time.perf_counter()
    started = datetime.now(UTC)
    if kernels is None:  # start the zygote now: its imports overlap the pre-flight
        kernels = Kernels(shared_pool(max(2, jobs)), Slots(jobs))
    try:
        cfg = load_config(config_path, period=period)
        ids = select_chapters(chapters)
        specs = registry.chapters()
        if pre is None:
            progress("validate", {})
            pre = preflight(config_path, cfg=cfg)
        if pre.error:
            return RunResult(2, None, message=pre.error)
        resolved = resolve_period(cfg.period, pre.months)
    except SnaError as exc:
        return RunResult(2, None, message=str(exc))
    area_dir = Path(out_root).resolve() / cfg.area.slug
    tag = uuid.uuid4().hex
    _TAG.tag = tag
    try:
        with period_lock(area_dir, resolved):
            recover(area_dir, resolved)
            work = area_dir / f".{resolved}.tmp-{uuid.uuid4().hex[:8]}"
            handler = pages = None
            try:
                work.mkdir(parents=True)
                handler = _attach_log(work / "run.log", tag)
                ctx = publish.RunContext(cfg, resolved, work, pre.reports, started, pre.months,
                                         code_fingerprint(), ids)
                publish.write_manifest(ctx, [], final=False)
                pages = publish.PageExporter(ctx, initializer=lambda: setattr(_TAG, "tag", tag),
                                             pack_after=[c for c in ids if not specs[c].reads_all],
                                             pack_writer=pack_writer(kernels, priority))
                results = run_chapters(ids, cfg, resolved, work, progress=progress,
                                       kernels=kernels, priority=priority, tag=tag,
                                       on_result=pages.submit,
                                       costs=chapter_costs(area_dir, resolved, ids))
                progress("export", {})
                code = publish.finish(ctx, results, pages)
                drain_stopping()  # this run's kernels are gone when it returns
            except BaseException as exc:
                if pages is not None:
                    pages.close()  # no page is written into the folder being removed
                if handler is not None:
                    _detach_log(handler)
                if not isinstance(exc, Exception):  # interrupted: stop kernels writing here
                    from sna.report.engine import close_shared_pool

                    close_shared_pool()
                shutil.rmtree(work, ignore_errors=True)
                raise
            pages.close()
            _detach_log(handler)
            final = area_dir / resolved
            swap_into_place(work, final)
    except LockError as exc:
        return RunResult(2, None, period=resolved, message=str(exc))
    return RunResult(code, final, resolved, results, seconds=round(time.perf_counter() - t0, 1))
