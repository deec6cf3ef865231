"""Benchmark: load a year of full Met-like police.uk street files (~1.1 M rows).

Requirement: < 15 s and < 1.5 GB peak RSS on 2 cores.

Usage::

    .venv/bin/python benchmarks/bench_police_uk.py [--months 12] [--rows 92000] [--repeat 3]

Writes 12 monthly ``YYYY-MM-metropolitan-street.csv`` files with :mod:`sna.synthetic` (10% of
rows in the area ``Synthboro``) into a temporary folder, then loads them with
:func:`sna.io.police_uk.load_police_uk` in a fresh Python process per repeat (so imports and
memory start cold; the OS page cache is warm because the files were just written), pinned to
at most 2 CPU cores. Reports wall seconds of the load call, seconds including imports, and
peak RSS of the child process, as a markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
if hasattr(os, "sched_setaffinity"):
    cpus = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cpus)
import pyarrow
pyarrow.set_cpu_count(2)
from pathlib import Path
from sna.config import Source
from sna.io.common import LoadContext
from sna.io.police_uk import load_police_uk
t1 = time.perf_counter()
loaded = load_police_uk((Source("police_uk", Path(sys.argv[1])),),
                        LoadContext("Synthboro", "E09900001"))
t2 = time.perf_counter()
rows_total = sum(f["rows"] for f in loaded.meta["files"])
print(json.dumps({"load_s": t2 - t1, "total_s": t2 - t0, "rows_total": rows_total,
                  "rows_area": len(loaded.frame), "files": len(loaded.meta["files"]),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def generate(folder: Path, months: int, rows: int, seed: int = 0) -> tuple[float, float]:
    """Write the street files; return (seconds, total MB on disk)."""
    from sna.periods import month_range
    from sna.synthetic import write_police_uk_street

    start = time.perf_counter()
    month_list = month_range("2025-01", f"{2025 + (months - 1) // 12}-{(months - 1) % 12 + 1:02d}")
    paths = write_police_uk_street(folder, month_list, rows, seed)
    size = sum(p.stat().st_size for p in paths) / 1e6
    return time.perf_counter() - start, size


def run_once(folder: Path) -> dict:
    """Load in a fresh interpreter; return the child's measurements."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--rows", type=int, default=92_000, help="rows per monthly file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench_police_uk_") as tmp:
        gen_s, size_mb = generate(Path(tmp), args.months, args.rows)
        runs = [run_once(Path(tmp)) for _ in range(args.repeat)]
    best = min(runs, key=lambda r: r["load_s"])
    worst_rss = max(r["peak_rss_mb"] for r in runs)
    ok = all(r["load_s"] < 15 for r in runs) and worst_rss < 1536
    print(f"Generated {args.months} files, {best['rows_total']:,} rows, {size_mb:.0f} MB "
          f"in {gen_s:.1f} s\n")
    print("| run | files | rows read | rows in area | load s | load + imports s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['files']} | {r['rows_total']:,} | {r['rows_area']:,} | "
              f"{r['load_s']:.2f} | {r['total_s']:.2f} | {r['peak_rss_mb']:.0f} |")
    print(f"\nRequirement < 15 s and < 1536 MB peak RSS on 2 cores: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
