"""Time the naive loop (papermill CLI + nbconvert CLI per chapter) against `sna run`.

Usage: .venv/bin/python benchmarks/bench_run.py [--config config/barnet.yaml] [--jobs 2]

Both are run on the same config and period with a warm parsed-data cache (one untimed warm-up
run first). Prints a markdown table with seconds, the ratio and peak RSS of each process tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ORDER = ["01_context_profile", "02_violence_trends", "03_spatial", "04_risk_protective",
         "05_partnership_interventions", "06_recommendations", "07_methodology", "00_summary"]


class PeakRss:
    """Sample the summed RSS of a process tree every 50 ms."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()

    def watch(self, pid: int) -> None:
        def loop():
            while not self._stop.is_set():
                try:
                    p = psutil.Process(pid)
                    procs = [p, *p.children(recursive=True)]
                    total = sum(q.memory_info().rss for q in procs if q.is_running())
                    self.peak = max(self.peak, total)
                except psutil.Error:
                    pass
                time.sleep(0.05)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmds: list[list[str]], cwd: Path) -> tuple[float, int]:
    """Run commands in sequence; return (seconds, peak RSS of the largest)."""
    t0, peak = time.perf_counter(), 0
    for cmd in cmds:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mon = PeakRss()
        mon.watch(proc.pid)
        code = proc.wait()
        mon.stop()
        peak = max(peak, mon.peak)
        if code not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} exited {code}")
    return time.perf_counter() - t0, peak


def naive_commands(config: Path, period: str, out: Path) -> list[list[str]]:
    """papermill CLI then `jupyter nbconvert --to html` for each chapter, in order."""
    cmds = []
    for cid in ORDER:
        nb = out / f"{cid}.ipynb"
        cmds.append([str(BIN / "papermill"), str(ROOT / "notebooks" / f"{cid}.ipynb"), str(nb),
                     "-p", "config_path", str(config), "-p", "period", period,
                     "-p", "output_dir", str(out), "-k", "python3", "--no-progress-bar"])
        cmds.append([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)])
    return cmds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=str(ROOT / "config" / "barnet.yaml"))
    ap.add_argument("--period", default="latest")
    ap.add_argument("--jobs", default="2")
    args = ap.parse_args()
    config = Path(args.config).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="sna-bench-"))
    sna = [str(BIN / "sna"), "run", "--config", str(config), "--period", args.period,
           "--out", str(tmp / "sna"), "--jobs", args.jobs]
    cold_s, _ = timed([sna], ROOT)  # warm-up (fills the parsed-data cache when cold)
    period = sorted(p.name for p in (tmp / "sna").glob("*/*") if p.is_dir())[-1]
    (tmp / "naive").mkdir()
    naive_s, naive_rss = timed(naive_commands(config, period, tmp / "naive"), ROOT)
    sna_s, sna_rss = timed([sna], ROOT)
    print(f"| measure | naive papermill+nbconvert loop | sna run --jobs {args.jobs} |")
    print("|---|---|---|")
    print(f"| seconds (warm cache) | {naive_s:.1f} | {sna_s:.1f} |")
    print(f"| peak RSS (MB) | {naive_rss / 1e6:.0f} | {sna_rss / 1e6:.0f} |")
    print(f"| ratio naive / sna | {naive_s / sna_s:.2f}x | |")
    print(f"\nfirst sna run (cache as found): {cold_s:.1f}s; period {period}; cores {os.cpu_count()}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
