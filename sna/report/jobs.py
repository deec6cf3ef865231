"""What a batch job is and how one is run: shared by the local executor (:mod:`.batch`) and
the Dask executor (:mod:`.dask_exec`), so that neither imports the other."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sna.config import load_config, slugify
from sna.errors import SnaError

STATUS = {0: "ok", 1: "chapter failed", 2: "error"}
SKIPPED = "skipped (up to date)"


@dataclass(frozen=True)
class Job:
    """One SNA to produce: an area config and a period."""

    index: int
    config: str
    period: str


@dataclass
class BatchOptions:
    """What every job of a batch shares."""

    out: str = "outputs"
    chapters: list[str] | None = None
    jobs: int = 1
    resume: bool = False
    executor: str = "local"
    scheduler: str | None = None


def up_to_date(out_dir: Path, pre, ids: list[str], fingerprint: str) -> bool:
    """True if ``out_dir`` holds a successful run of chapters ``ids`` on the same inputs
    (``pre``, this area's pre-flight), config and code (``fingerprint``)."""
    from sna.io.common import sha256

    path = out_dir / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        ok = {c["id"] for c in m.get("chapters", []) if c.get("status") == "ok"}
        if (not set(ids) <= ok or m.get("disclosure_audit") or not m.get("finished")
                or any(c.get("status") != "ok" for c in m.get("chapters", []))):
            return False
        if m.get("code_fingerprint") != fingerprint:
            return False
        if m["parameters"].get("config_sha256") != sha256(Path(pre.config_path).resolve()):
            return False
        before = {(i["key"], f["path"], f["sha256"]) for i in m["inputs"] for f in i["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return False
    now = {(r.key, f["path"], f["sha256"]) for r in pre.reports for f in r.inputs}
    return now == before


def _row(job: Job, area: str, status: str, code: int, **extra) -> dict:
    return {"config": job.config, "area": area, "period": job.period, "status": status,
            "exit": code, **extra}


def run_job(job: Job, pre, opts: BatchOptions, kernels=None) -> dict:
    """Produce one period (or skip it when up to date); never raises. Returns its row."""
    from sna.report.runner import code_fingerprint, run, select_chapters

    t0 = time.perf_counter()
    area = slugify(Path(job.config).stem)
    try:
        cfg = load_config(job.config, period=job.period)
        area = cfg.area.slug
        if pre.error:
            return _row(job, area, STATUS[2], 2, seconds=0.0, message=pre.error)
        ids = select_chapters(opts.chapters)
        out = Path(opts.out).resolve() / area / job.period
        if opts.resume and up_to_date(out, pre, ids, code_fingerprint()):
            return _row(job, area, SKIPPED, 0, seconds=0.0, message="")
        res = run(job.config, period=job.period, out_root=opts.out, chapters=opts.chapters,
                  jobs=opts.jobs, pre=pre, kernels=kernels, priority=(job.index,))
    except SnaError as exc:
        return _row(job, area, STATUS[2], 2, seconds=round(time.perf_counter() - t0, 1),
                    message=str(exc))
    except Exception as exc:  # one broken period must not stop the batch
        return _row(job, area, STATUS[2], 2, seconds=round(time.perf_counter() - t0, 1),
                    message=f"{type(exc).__name__}: {exc}")
    failed = [f"{c.chapter_id}: {c.error.splitlines()[0][:200] if c.error else c.status}"
              for c in res.chapters if c.status != "ok"]
    return _row(job, area, STATUS[res.exit_code], res.exit_code, seconds=res.seconds,
                message=res.message, failed_chapters=failed,
                output=str(res.out_dir) if res.out_dir else "")


class Tracker:
    """Counts finished jobs and estimates the time left from the throughput so far."""

    def __init__(self, total: int, progress: Callable[[str, dict], None]):
        self.total, self.progress = total, progress
        self.rows: dict[int, dict] = {}
        self.t0 = time.perf_counter()
        self.ran = 0
        self._lock = threading.Lock()

    def done(self, job: Job, row: dict) -> None:
        """Record ``job``'s summary row and report progress with an estimate of time left."""
        with self._lock:
            self.rows[job.index] = row
            if row["status"] != SKIPPED:
                self.ran += 1
            elapsed = time.perf_counter() - self.t0
            left = self.total - len(self.rows)
            eta = elapsed / self.ran * left if self.ran else None
            self.progress("batch_item", {"done": len(self.rows), "total": self.total,
                                         "area": row["area"], "period": row["period"],
                                         "status": row["status"],
                                         "seconds": row.get("seconds", 0.0),
                                         "eta_s": None if eta is None else round(eta)})
