"""Batch benchmarks: many periods of the default area, and many synthetic boroughs.

Usage::

    .venv/bin/python benchmarks/bench_batch.py [--jobs 2] [--counts 1,3,6,12]
        [--boroughs 32] [--chapters LIST] [--skip-default] [--skip-synthetic]

1. *Cost per extra period*: ``sna batch`` on the shipped default for the last 1, 3, 6 and 12
   periods (``--counts``), each into a fresh output folder with a warm parsed-data cache;
   prints seconds, seconds per period and the marginal cost of each extra period.
2. *Many areas*: ``--boroughs`` synthetic boroughs (``sna.synthetic.write_many_boroughs``,
   shared data files, one config each) x 1 period, once with a cold cache (``SNA_CACHE_DIR`` a
   fresh folder) and once warm.

Peak memory is the summed RSS / PSS of the whole process tree (see bench_run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_run import PeakMemory, children_cpu  # noqa: E402


def batch(args: list[str], env: dict | None = None) -> tuple[float, int, int, dict, float]:
    """Run ``sna batch ARGS``; return (seconds, peak RSS, peak PSS, status counts, CPU s)."""
    out = Path(args[args.index("--out") + 1])
    t0, cpu0 = time.perf_counter(), children_cpu()
    proc = subprocess.Popen([str(BIN / "sna"), "batch", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    mon = PeakMemory(0.2).watch(proc.pid)
    code = proc.wait()
    mon.stop()
    seconds, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    counts: dict[str, int] = {}
    for doc in out.glob("*/batch.json"):
        for status, n in json.loads(doc.read_text())["counts"].items():
            counts[status] = counts.get(status, 0) + n
    if code not in (0, 1):
        counts["exit"] = code
    return seconds, mon.rss, mon.pss, counts, cpu


def latest_period(config: str) -> str:
    from sna.report.runner import preflight

    return preflight(config).months[-1]


def periods_back(last: str, n: int) -> str:
    from sna.periods import add_months

    return add_months(last, -(n - 1))


def bench_default(args, tmp: Path) -> None:
    config = str(ROOT / "config" / "barnet.yaml")
    last = latest_period(config)
    common = ["--config", config, "--jobs", str(args.jobs)] + (
        ["--chapters", args.chapters] if args.chapters else [])
    batch([*common, "--from", last, "--to", last, "--out", str(tmp / "warmup")])
    print(f"\n### Default config, periods ending {last} (--jobs {args.jobs}, "
          f"chapters: {args.chapters or 'all'})\n")
    print("| periods | seconds | s / period | marginal s / extra period | CPU s | CPU s / period "
          "| marginal CPU s | peak RSS MB | peak PSS MB | load | statuses |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")
    prev = None
    for n in args.counts:
        s, rss, pss, counts, cpu = batch([*common, "--from", periods_back(last, n), "--to",
                                          last, "--out", str(tmp / f"default-{n}")])
        marginal = "" if prev is None else f"{(s - prev[1]) / (n - prev[0]):.1f}"
        mcpu = "" if prev is None else f"{(cpu - prev[2]) / (n - prev[0]):.1f}"
        print(f"| {n} | {s:.1f} | {s / n:.1f} | {marginal} | {cpu:.0f} | {cpu / n:.1f} | {mcpu} "
              f"| {rss / 1e6:.0f} | {pss / 1e6:.0f} | {os.getloadavg()[0]:.1f} | {counts} |",
              flush=True)
        prev = (n, s, cpu)


def bench_synthetic(args, tmp: Path) -> None:
    from sna.synthetic import write_many_boroughs

    last = "2026-03"
    configs = [str(c) for c in write_many_boroughs(tmp / "synth", args.boroughs, end_month=last)]
    common = ["--config", configs[0], "--areas", *configs[1:], "--from", last, "--to", last,
              "--jobs", str(args.jobs)] + (["--chapters", args.chapters] if args.chapters else [])
    env = dict(os.environ, SNA_CACHE_DIR=str(tmp / "synth-cache"))
    print(f"\n### {args.boroughs} synthetic boroughs x 1 period ({last}), --jobs {args.jobs}, "
          f"chapters: {args.chapters or 'all'}\n")
    print("| cache | seconds | s / borough | CPU s | peak RSS MB | peak PSS MB | load | "
          "statuses |\n|---|---|---|---|---|---|---|---|")
    for label in ("cold", "warm"):
        s, rss, pss, counts, cpu = batch([*common, "--out", str(tmp / f"synth-{label}")], env)
        print(f"| {label} | {s:.1f} | {s / args.boroughs:.1f} | {cpu:.0f} | {rss / 1e6:.0f} | "
              f"{pss / 1e6:.0f} | {os.getloadavg()[0]:.1f} | {counts} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--counts", type=lambda s: [int(x) for x in s.split(",")],
                    default=[1, 3, 6, 12])
    ap.add_argument("--boroughs", type=int, default=32)
    ap.add_argument("--chapters", default=None)
    ap.add_argument("--skip-default", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sna-bench-batch-"))
    try:
        if not args.skip_default:
            bench_default(args, tmp)
        if not args.skip_synthetic:
            bench_synthetic(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\ncores {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
