"""``sna batch --executor dask [--scheduler ADDRESS]``: the batch's per-period jobs on a Dask
cluster (a ``LocalCluster`` on this machine when no address is given).

Each area's pre-flight is one task; its periods are tasks that take the pre-flight's result
(so inputs are checked once per area, on a worker). A period task runs the whole SNA for that
period on one worker (chapters in parallel in that worker's warm kernels) and returns its
summary row. Requirements for a real cluster (see docs/scaling.md): every worker has the same
environment (this package, same versions) and sees the config, the data, the parsed-data cache
(``data/interim`` or ``SNA_CACHE_DIR``) and ``--out`` at the same paths (a shared filesystem).
"""

from __future__ import annotations

import os
import platform
import threading
import uuid
from pathlib import Path

from sna.config import slugify
from sna.report.jobs import STATUS, BatchOptions, Job, Tracker, run_job

_KERNELS = None
_LOCK = threading.Lock()


def worker_kernels():
    """This worker process's kernel pool and limit (``SNA_WORKER_SLOTS``, default: cores)."""
    global _KERNELS
    from sna.report.engine import Kernels, Slots, shared_pool

    with _LOCK:
        if _KERNELS is None:
            slots = int(os.environ.get("SNA_WORKER_SLOTS") or os.cpu_count() or 1)
            _KERNELS = Kernels(shared_pool(max(2, slots)), Slots(slots))
        return _KERNELS


def preflight_task(config: str):
    """Task: check one area's inputs (fills the shared parsed-data cache when cold)."""
    from sna.report.runner import preflight

    return preflight(config)


def period_task(job: Job, pre, opts: BatchOptions) -> dict:
    """Task: produce one period on this worker; returns the batch row (never raises)."""
    row = run_job(job, pre, opts, worker_kernels())
    row["worker"] = platform.node()  # os.uname() does not exist on Windows
    return row


def _client(opts: BatchOptions):
    from distributed import Client, LocalCluster

    if opts.scheduler:
        return Client(opts.scheduler), None
    cluster = LocalCluster(n_workers=1, threads_per_worker=max(1, opts.jobs), processes=True,
                           dashboard_address=None,
                           env={"SNA_WORKER_SLOTS": str(max(1, opts.jobs))})
    return Client(cluster), cluster


def run_dask(jobs: list[Job], opts: BatchOptions, tracker: Tracker) -> None:
    """Submit every job, report each as it finishes, earlier periods first."""
    from distributed import as_completed

    client, cluster = _client(opts)
    tag = uuid.uuid4().hex[:8]
    futures: dict = {}
    try:
        pres = {c: client.submit(preflight_task, c, key=f"sna-preflight-{tag}-{i}", pure=False)
                for i, c in enumerate(dict.fromkeys(j.config for j in jobs))}
        futures = {client.submit(period_task, j, pres[j.config], opts, pure=False,
                                 key=f"sna-period-{tag}-{j.index}",
                                 priority=len(jobs) - j.index): j for j in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # a lost worker fails that period only
                row = {"config": job.config, "area": slugify(Path(job.config).stem),
                       "period": job.period,
                       "status": STATUS[2], "exit": 2, "seconds": 0.0,
                       "message": f"dask: {type(exc).__name__}: {exc}"}
            tracker.done(job, row)
    except (KeyboardInterrupt, SystemExit):
        client.cancel(list(futures))
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
