"""Warm kernels for papermill: a pool that starts the next kernels while chapters execute, a
priority limit on kernels running at once (the papermill engine that runs a notebook in a
pooled kernel is :mod:`sna.report.pmengine`).

Each chapter gets a kernel of its own, used once and then shut down, so no chapter ever sees
another's globals. What is reused is the cost of getting there: on Linux the kernels are forked
from a zygote that has already imported the scientific stack and ``sna`` (see
:mod:`sna.report.kernel`; ``SNA_KERNEL_MODE=server`` keeps that zygote between commands);
elsewhere (Windows, anywhere ``os.fork`` is missing, or with ``SNA_KERNEL_MODE=spawn``) kernels
are spawned ahead of need and the same modules are imported in them before they are handed out.
"""

from __future__ import annotations

import asyncio
import atexit
import heapq
import itertools
import logging
import queue
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

from sna.report import kernel as kernels
from sna.report.pmengine import ready_client

log = logging.getLogger("sna")
HIST = "--HistoryManager.hist_file=:memory:"  # no sqlite history file shared by many kernels


class _OneSpec(KernelSpecManager):
    """A kernelspec manager that knows one spec, given as a dict (no files needed)."""

    def __init__(self, spec: dict, **kw):
        super().__init__(**kw)
        self._spec = spec

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(resource_dir="", **self._spec)


class Slots:
    """At most ``size`` holders at once; waiters are served in priority order (lowest first)."""

    def __init__(self, size: int):
        self.size = max(1, int(size))
        self._busy = 0
        self._waiting: list[tuple] = []
        self._cond = threading.Condition()
        self._tick = itertools.count()

    def enqueue(self, priority: tuple = ()) -> tuple:
        """Join the queue now (in the caller's order); :meth:`wait` for the slot later."""
        with self._cond:
            ticket = (priority, next(self._tick))
            heapq.heappush(self._waiting, ticket)
            return ticket

    def wait(self, ticket: tuple) -> None:
        """Block until ``ticket`` is first in line and a slot is free, then hold the slot."""
        with self._cond:
            while self._busy >= self.size or self._waiting[0] != ticket:
                self._cond.wait()
            heapq.heappop(self._waiting)
            self._busy += 1
            self._cond.notify_all()

    def acquire(self, priority: tuple = ()) -> None:
        """:meth:`enqueue` then :meth:`wait`."""
        self.wait(self.enqueue(priority))

    def release(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify_all()


class KernelPool:
    """Kernels started ahead of need (at most ``ready`` waiting), each handed out once.

    Call :meth:`expect` with how many kernels will be taken (the pool never starts more than
    that), :meth:`take` to get a started kernel manager, :meth:`discard` when done with it.
    """

    def __init__(self, ready: int = 2, mode: str | None = None,
                 server: kernels.ForkServer | None = None):
        self.mode = mode or kernels.default_mode()
        if self.mode != "spawn" and not kernels.fork_available():
            log.warning("os.fork or Unix sockets missing here; spawning kernels")
            self.mode = "spawn"
        # a spawned kernel takes seconds to import, so keep ``ready`` of them; a forked one is
        # ready in ~0.3 s, but two chapters often end together (then one waited for the other's
        # kernel): keep two (an idle forked kernel shares its pages with the zygote: ~10 MB PSS)
        self.ready = max(1, ready) if self.mode == "spawn" else min(2, max(1, ready))
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._budget = 0
        self._starting = 0
        self._queued = 0
        self._waiting = 0
        self._closed = False
        self._server: kernels.ForkServer | None = None
        self._starter = ThreadPoolExecutor(max_workers=self.ready, thread_name_prefix="sna-kstart")
        if self.mode in ("fork", "server"):
            try:
                self._server = server or kernels.new_server()
            except OSError as exc:  # no AF_UNIX / fork: fall back
                log.warning("kernel fork server unavailable (%s); spawning kernels", exc)
                self.mode = "spawn"
        self._spec = self._make_spec()

    def _make_spec(self) -> dict:
        kernels.ensure_kernel()
        if self._server is not None:
            return self._server.kernel_spec()
        return {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (sna)", "language": "python",
                "env": dict(kernels.KERNEL_ENV)}

    def expect(self, n: int) -> None:
        """``n`` more kernels will be taken: start the first ones now."""
        with self._lock:
            self._budget += n
        self._fill()

    def _fill(self) -> None:
        with self._lock:
            while (not self._closed and self._budget > 0
                   and self._starting + self._queued < self.ready):
                self._budget -= 1
                self._starting += 1
                self._starter.submit(self._start_one)

    def _start_one(self) -> None:
        try:
            km = self._start()
        except Exception as exc:  # handed to whoever takes this kernel
            km = exc
        with self._lock:
            self._starting -= 1
            self._queued += 1
        self._queue.put(km)
        self._fill()

    def _start(self) -> KernelManager:
        if self._server is not None:
            self._server.wait_ready()
        km = KernelManager(kernel_name="sna-pooled", kernel_spec_manager=_OneSpec(self._spec),
                           client_class="jupyter_client.asynchronous.AsyncKernelClient")
        km.start_kernel(extra_arguments=[HIST], cwd=tempfile.gettempdir())
        try:
            if self.mode == "spawn":
                kc = km.blocking_client()
                kc.start_channels()
                try:  # import what the zygote would have imported
                    kc.wait_for_ready(timeout=120)
                    kc.execute_interactive(
                        "def _sna_warm():\n    from sna.report.kernel import preload_modules\n"
                        "    preload_modules()\n_sna_warm()\ndel _sna_warm",
                        silent=True, store_history=False, timeout=300)
                finally:
                    kc.stop_channels()
            else:
                asyncio.run(_check_ready(km))
        except Exception:
            shutdown(km)
            raise
        return km

    def take(self) -> KernelManager:
        """A started, ready kernel manager (waits for one if none is ready yet)."""
        with self._lock:
            self._waiting += 1
            if self._budget + self._starting + self._queued < self._waiting:
                self._budget += 1  # more takers than announced with expect(): one more
        self._fill()
        km = self._queue.get()
        with self._lock:
            self._queued -= 1
            self._waiting -= 1
        self._fill()
        if isinstance(km, Exception):
            raise km
        return km

    def close(self) -> None:
        """Shut down kernels nobody took, and the zygote."""
        with self._lock:
            self._closed = True
            self._budget = 0
        self._starter.shutdown(wait=True)
        while True:
            try:
                km = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(km, KernelManager):
                shutdown(km)
        if self._server is not None:
            self._server.close()


async def _check_ready(km: KernelManager) -> None:
    async with ready_client(km, timeout=120):
        pass


_REAPER: ThreadPoolExecutor | None = None


def _reaper() -> ThreadPoolExecutor:
    """One thread that stops used kernels (its pending work is finished at exit)."""
    global _REAPER
    with _POOL_LOCK:
        if _REAPER is None:
            _REAPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sna-kstop")
        return _REAPER


def drain_stopping() -> None:
    """Wait until every kernel handed back has been stopped."""
    global _REAPER
    with _POOL_LOCK:
        reaper, _REAPER = _REAPER, None
    if reaper is not None:
        reaper.shutdown(wait=True)


def shutdown(km: KernelManager) -> None:
    """Stop a kernel at once and release its files and ports."""
    try:
        km.shutdown_kernel(now=True)
    except Exception:  # already dead is fine
        try:
            km.cleanup_resources()
        except Exception:
            pass


class Kernels:
    """What the chapters of one run (or of a whole batch) share: a kernel ``pool``, the
    ``slots`` limiting kernels at once, and cancellation (Ctrl-C stops every live kernel)."""

    def __init__(self, pool, slots: Slots):
        self.pool, self.slots = pool, slots
        self.cancelled = threading.Event()
        self._active: set = set()
        self._lock = threading.Lock()

    def take(self) -> KernelManager:
        """A started kernel for one chapter; ``KeyboardInterrupt`` once cancelled."""
        if self.cancelled.is_set():
            raise KeyboardInterrupt("cancelled")
        km = self.pool.take()
        with self._lock:
            self._active.add(km)
        if self.cancelled.is_set():
            self.give_back(km)
            raise KeyboardInterrupt("cancelled")
        return km

    def give_back(self, km: KernelManager) -> None:
        """The chapter is done with ``km``: shut it down in the background (stopping a kernel
        waits ~0.1 s for the process to go; the chapter's slot need not wait for that)."""
        with self._lock:
            self._active.discard(km)
        _reaper().submit(shutdown, km)

    def cancel(self) -> None:
        """Stop every live kernel now; later :meth:`take` calls raise ``KeyboardInterrupt``."""
        self.cancelled.set()
        with self._lock:
            live = list(self._active)
        for km in live:
            shutdown(km)


_POOL: KernelPool | None = None
_POOL_LOCK = threading.Lock()


def shared_pool(ready: int = 2) -> KernelPool:
    """The process-wide kernel pool (started on first use, stopped at exit)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = KernelPool(ready=ready, server=kernels.adopt_prestarted())
            atexit.register(close_shared_pool)
        return _POOL


def close_shared_pool() -> None:
    """Stop the process-wide kernel pool and its zygote."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    drain_stopping()
    if pool is not None:
        pool.close()
        kernels.pool_closed()


class LazyPool:
    """The shared pool, started only when a kernel is first wanted (a resumed batch with
    nothing to do never starts one)."""

    def __init__(self, ready: int = 2):
        self.ready = ready

    def expect(self, n: int) -> None:
        shared_pool(self.ready).expect(n)

    def take(self) -> KernelManager:
        return shared_pool(self.ready).take()

    @property
    def mode(self) -> str:
        return shared_pool(self.ready).mode
