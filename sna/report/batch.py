"""``sna batch``: one SNA per period and per area, concurrently, with resume and a summary.

How the work is shared out (local executor):

* each area's inputs are checked once (:func:`sna.report.runner.preflight`), not once per
  period; the parsed-data cache makes that a metadata read when nothing changed;
* up to ``--jobs`` periods are in flight; their chapters share one pool of warm kernels and at
  most ``--jobs`` kernels compute at once, earlier periods (then longer chapter chains) first,
  so a period blocked on its summary lets the next period's chapters use the cores;
* ``--resume`` skips a period whose manifest shows the same inputs (sha256), config, code
  fingerprint and chapters, all successful; one failing period never stops the others.

``--executor dask`` sends the same per-period jobs to a Dask cluster (:mod:`.dask_exec`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sna.periods import add_months, month_range
from sna.report.jobs import (
    SKIPPED,
    STATUS,
    BatchOptions,
    Job,
    Tracker,
    run_job,
    up_to_date,
)


def periods_between(start: str, end: str, every: int = 1) -> list[str]:
    """Periods from ``start`` to ``end`` inclusive, every ``every`` months, ending at ``end``."""
    months = month_range(start, end)
    return months[::-1][:: max(1, every)][::-1]


@dataclass
class BatchResult:
    """Rows (one per job, in job order), the exit code and the wall time."""

    rows: list[dict] = field(default_factory=list)
    exit_code: int = 0
    seconds: float = 0.0


def plan(configs: list[str], start: str, end: str, every: int = 1) -> list[Job]:
    """Every (area, period) in run order: area by area, periods oldest first."""
    seen, unique = set(), []
    for c in configs:
        key = str(Path(c).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(c)
    periods = periods_between(start, end, every)
    return [Job(i, c, p) for i, (c, p) in enumerate((c, p) for c in unique for p in periods)]


def run_local(jobs: list[Job], opts: BatchOptions, tracker: Tracker) -> None:
    """Run the jobs in this process: threads for periods, one shared pool of warm kernels."""
    from sna.report.engine import Kernels, LazyPool, Slots, shared_pool
    from sna.report.runner import preflight

    ready = max(2, opts.jobs)  # with --resume, maybe nothing needs a kernel: start on demand
    kernels = Kernels(LazyPool(ready) if opts.resume else shared_pool(ready), Slots(opts.jobs))
    configs = list(dict.fromkeys(j.config for j in jobs))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sna-pre") as pre_pool, \
            ThreadPoolExecutor(max_workers=max(1, opts.jobs), thread_name_prefix="sna-job") as ex:
        pres: dict[str, Future] = {c: pre_pool.submit(preflight, c) for c in configs}

        def one(job: Job) -> None:
            tracker.done(job, run_job(job, pres[job.config].result(), opts, kernels))

        futures = [ex.submit(one, j) for j in jobs]
        try:
            for f in futures:
                f.result()
        except (KeyboardInterrupt, SystemExit):  # runs in flight discard their temp folders
            for f in [*futures, *pres.values()]:
                f.cancel()
            kernels.cancel()
            raise


def run_batch(args, progress: Callable[[str, dict], None]) -> BatchResult:
    """Run every (area, period) of ``args`` (the parsed ``sna batch`` options)."""
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    opts = BatchOptions(out=args.out, chapters=getattr(args, "chapters", None),
                        jobs=max(1, args.jobs or os.cpu_count() or 1), resume=args.resume,
                        executor=getattr(args, "executor", "local"),
                        scheduler=getattr(args, "scheduler", None))
    configs = [args.config, *(args.areas or [])]
    if opts.executor == "dask":  # workers resolve paths themselves: make them absolute
        configs = [str(Path(c).resolve()) for c in configs]
        opts.out = str(Path(opts.out).resolve())
    jobs = plan(configs, args.start, args.end, args.every)
    progress("batch_start", {"total": len(jobs), "jobs": opts.jobs, "executor": opts.executor})
    tracker = Tracker(len(jobs), progress)
    if opts.executor == "dask":
        from sna.report.dask_exec import run_dask

        run_dask(jobs, opts, tracker)
    else:
        run_local(jobs, opts, tracker)
    rows = [tracker.rows[j.index] for j in jobs]
    result = BatchResult(rows, max((r["exit"] for r in rows), default=0),
                         round(time.perf_counter() - t0, 1))
    write_summaries(result, opts, args, started)
    return result


def write_summaries(result: BatchResult, opts: BatchOptions, args, started: datetime) -> None:
    """``<out>/<area>/batch.json`` for every area (and ``<out>/batch.json`` for several)."""
    root = Path(opts.out)
    head = {"from": args.start, "to": args.end, "every": args.every, "jobs": opts.jobs,
            "executor": opts.executor, "resume": opts.resume, "chapters": opts.chapters,
            "started": started.isoformat(timespec="seconds"), "seconds": result.seconds}
    areas: dict[str, list[dict]] = {}
    for r in result.rows:
        areas.setdefault(r["area"], []).append(r)
    for area, rows in areas.items():
        _write_json(root / area / "batch.json", dict(head, area=area, counts=_counts(rows),
                                                      exit_code=max(r["exit"] for r in rows),
                                                      runs=rows))
    if len(areas) > 1:
        _write_json(root / "batch.json", dict(head, counts=_counts(result.rows),
                                              exit_code=result.exit_code, runs=result.rows))


def _counts(rows: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def _write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)


def summary_table(result: BatchResult) -> str:
    """The plain-text table printed at the end of ``sna batch``."""
    rows = [("area", "period", "status", "seconds", "note")]
    for r in result.rows:
        note = "; ".join(r.get("failed_chapters") or []) or r.get("message", "")
        rows.append((r["area"], r["period"], r["status"], f"{r.get('seconds', 0):.1f}",
                     note.splitlines()[0][:70] if note else ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = ", ".join(f"{n} {s}" for s, n in _counts(result.rows).items())
    lines.append(f"\n{len(result.rows)} run(s) in {result.seconds:.1f}s: {counts}")
    return "\n".join(lines)


__all__ = ["periods_between", "plan", "run_batch", "run_job", "up_to_date", "summary_table",
           "add_months", "Job", "BatchOptions", "BatchResult", "STATUS", "SKIPPED", "Tracker"]
