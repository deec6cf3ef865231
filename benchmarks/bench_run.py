"""Time the naive loop (papermill CLI + nbconvert CLI per chapter) against `sna run`.

Usage::

    .venv/bin/python benchmarks/bench_run.py [--config config/barnet.yaml] [--jobs 2]
        [--repeat 3] [--skip-naive] [--env SNA_CACHE_DIR=/tmp/x]

(a) the naive loop: for each chapter in order, ``papermill`` CLI (default ``python3`` kernel),
then ``jupyter nbconvert --to html --no-input``; (b) ``sna run`` on the same config and period.
Both run with a warm parsed-data cache (one untimed ``sna run`` first). With ``--repeat N`` the
two alternate N times and the median is reported. Peak memory is sampled every 0.1 s over the
whole process tree (kernels and the kernel zygote included): summed RSS, and summed PSS, which
counts pages shared by forked kernels once (the honest figure for `sna run`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class PeakMemory:
    """Sample the summed RSS (every ``every`` s) and PSS (every 5th sample: reading
    ``smaps_rollup`` of every process costs CPU) of a process tree."""

    def __init__(self, every: float = 0.1, servers: bool = False):
        self.rss = self.pss = 0
        self.every = every
        self.servers = servers  # also count a persistent zygote (SNA_KERNEL_MODE=server)
        self._server_list: list[psutil.Process] = []
        self._stop = threading.Event()

    def _sample(self, pid: int, full: bool) -> None:
        try:
            p = psutil.Process(pid)
            procs = {q.pid: q for q in [p, *p.children(recursive=True)]}
        except psutil.Error:
            return
        if self.servers and full:  # scanning every process is costly: every 5th sample
            self._server_list = kernel_servers()
        for server in self._server_list:  # SNA_KERNEL_MODE=server: kernels live under it
            try:
                procs.update({q.pid: q for q in [server, *server.children(recursive=True)]})
            except psutil.Error:
                pass
        procs = list(procs.values())
        rss = pss = 0
        for q in procs:
            try:
                info = q.memory_full_info() if full else q.memory_info()
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
            except psutil.Error:
                pass
        self.rss = max(self.rss, rss)
        if full:
            self.pss = max(self.pss, pss)

    def watch(self, pid: int) -> PeakMemory:
        def loop():
            n = 0
            while not self._stop.is_set():
                self._sample(pid, full=n % 5 == 0)
                n += 1
                time.sleep(self.every)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def kernel_servers() -> list[psutil.Process]:
    """Persistent kernel zygotes (``SNA_KERNEL_MODE=server``) of this user."""
    out = []
    for p in psutil.process_iter(["cmdline", "uids"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "zygote_main" in cmd and len(p.info["cmdline"] or []) >= 5:
            out.append(p)
    return out


def children_cpu() -> float:
    """User + system CPU seconds of every finished child process and their descendants, plus
    all CPU so far of persistent kernel zygotes and the kernels they reaped."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ru.ru_utime + ru.ru_stime
    for p in kernel_servers():
        try:
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


def timed(cmds: list[list[str]], cwd: Path,
          env: dict | None = None) -> tuple[float, int, int, float]:
    """Run commands in sequence; return (seconds, peak summed RSS, peak summed PSS, CPU
    seconds of the whole process tree: less sensitive than wall time to other load)."""
    t0, rss, pss, cpu0 = time.perf_counter(), 0, 0, children_cpu()
    for cmd in cmds:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        servers = (env or {}).get("SNA_KERNEL_MODE") == "server"
        mon = PeakMemory(servers=servers).watch(proc.pid)
        code = proc.wait()
        mon.stop()
        rss, pss = max(rss, mon.rss), max(pss, mon.pss)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return time.perf_counter() - t0, rss, pss, children_cpu() - cpu0


def naive_commands(config: Path, period: str, out: Path) -> list[list[str]]:
    """papermill CLI then `jupyter nbconvert --to html` for each chapter, in order."""
    from sna.registry import run_order

    cmds = []
    for cid in run_order():
        nb = out / f"{cid}.ipynb"
        cmds.append([str(BIN / "papermill"), str(ROOT / "notebooks" / f"{cid}.ipynb"), str(nb),
                     "-p", "config_path", str(config), "-p", "period", period,
                     "-p", "output_dir", str(out), "-k", "python3", "--no-progress-bar"])
        cmds.append([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)])
    return cmds


def _env(pairs: list[str]) -> dict:
    env = dict(os.environ)
    for pair in pairs:
        key, _, value = pair.partition("=")
        env[key] = value
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "config" / "barnet.yaml"))
    ap.add_argument("--period", default="latest")
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for every command")
    args = ap.parse_args()
    env = _env(args.env)
    config = Path(args.config).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="sna-bench-"))
    sna = [str(BIN / "sna"), "run", "--config", str(config), "--period", args.period,
           "--out", str(tmp / "sna"), "--jobs", args.jobs]
    cold_s = timed([sna], ROOT, env)[0]  # warm-up (fills the parsed-data cache when cold)
    period = sorted(p.name for p in (tmp / "sna").glob("*/*") if p.is_dir())[-1]
    naive, fast = [], []
    for i in range(args.repeat):
        if not args.skip_naive:
            (tmp / f"naive{i}").mkdir()
            naive.append(timed(naive_commands(config, period, tmp / f"naive{i}"), ROOT, env))
        fast.append(timed([sna], ROOT, env))
    _print(naive, fast, args, period, cold_s)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _print(naive: list, fast: list, args, period: str, cold_s: float) -> None:
    def med(rows, i):
        return statistics.median(r[i] for r in rows) if rows else float("nan")

    print(f"| measure | naive papermill+nbconvert loop | sna run --jobs {args.jobs} |")
    print("|---|---|---|")
    print(f"| seconds, median of {len(fast)} (warm cache) | {med(naive, 0):.1f} | "
          f"{med(fast, 0):.1f} |")
    print(f"| all runs (s) | {', '.join(f'{r[0]:.1f}' for r in naive)} | "
          f"{', '.join(f'{r[0]:.1f}' for r in fast)} |")
    print(f"| CPU seconds, all processes | {med(naive, 3):.1f} | {med(fast, 3):.1f} |")
    print(f"| peak summed RSS (MB) | {med(naive, 1) / 1e6:.0f} | {med(fast, 1) / 1e6:.0f} |")
    print(f"| peak summed PSS (MB) | {med(naive, 2) / 1e6:.0f} | {med(fast, 2) / 1e6:.0f} |")
    if naive:
        print(f"| ratio naive / sna | {med(naive, 0) / med(fast, 0):.2f}x | |")
    print(f"\nfirst sna run (cache as found): {cold_s:.1f}s; period {period}; "
          f"cores {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
