"""Load and validate a large synthetic police record-level extract (issue 15 target: 1 million
rows in under 10 s, peak memory under 1.5 GB).

Usage::

    .venv/bin/python benchmarks/bench_records.py [--rows 1000000] [--repeat 3]
        [--template police_records|ae_attendances]

Writes the extract once (``sna.synthetic_records``, seed 1) into a temporary folder, then in a
fresh child process per round times its loader (``load_police_records`` by default: read,
pandera validation of every cell, cross-row checks, typing) and reports its wall seconds, the CPU seconds of the child
process (all its threads: Arrow reads and computes on several; on a busy shared machine wall
time moves with the load, CPU time much less) and its peak resident memory (``ru_maxrss``).
Import of the package is outside the timing; the first use of pandera and of the definitions
files is inside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITE = """
import sys
from sna.synthetic_records import ae_attendances, police_records
lsoas = [f"E0100{i:04d}" for i in range(100, 311)]
if sys.argv[3] == "police_records":
    frame = police_records(int(sys.argv[2]), seed=1, start="2024-04-01", end="2026-03-31",
                           ward_codes=[f"E050136{i:02d}" for i in range(28, 52)],
                           lsoa_codes=lsoas)
else:
    frame = ae_attendances(int(sys.argv[2]), seed=1, start="2024-04-01", end="2026-03-31",
                           lsoa_codes=lsoas)
frame.to_csv(sys.argv[1], index=False)
"""
CHILD = """
import json, os, resource, sys, time
from sna.config import Source
from sna.io import records
load = getattr(records, "load_" + sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
frame = load((Source(sys.argv[2], sys.argv[1]),), None).frame
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": len(frame), "load": os.getloadavg()[0],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--template", choices=("police_records", "ae_attendances"),
                        default="police_records")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.template}.csv"
        # written by a child too: Linux carries a parent's peak RSS into its children
        subprocess.run([sys.executable, "-c", WRITE, str(path), str(args.rows), args.template],
                       check=True, cwd=ROOT)
        size = path.stat().st_size / 1e6
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), args.template],
                                 check=True, capture_output=True, text=True, cwd=ROOT)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    secs, cpus = [r["seconds"] for r in runs], [r["cpu"] for r in runs]
    print(f"| rows | file MB | wall s (median of {args.repeat}) | min | CPU s (median) | "
          "peak RSS MB | load average |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {runs[0]['rows']:,} | {size:.0f} | {statistics.median(secs):.2f} | {min(secs):.2f} "
          f"| {statistics.median(cpus):.2f} | {max(r['peak_mb'] for r in runs):.0f} "
          f"| {statistics.median(r['load'] for r in runs):.1f} |")


if __name__ == "__main__":
    main()
