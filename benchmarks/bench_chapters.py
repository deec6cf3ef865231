"""CPU seconds per chapter and per cell, the way the kernel server runs them.

One parent imports what the zygote imports (:func:`sna.report.kernel.preload_modules`) and
fills its caches (:func:`sna.report.kernel.warm_caches`), then forks one child per chapter
that runs the notebook's code cells in-process (``exec``) with the run's parameters and
reports ``time.process_time`` per cell. CPU seconds move far less than wall seconds on a
shared box, so this is the figure to compare before and after a change. With ``--profile
DIR`` each child also writes a cProfile file ``DIR/<chapter>.prof`` (open with ``python -m
pstats`` or snakeviz).

``--out`` must be a complete earlier run's output folder (chapters that read other chapters'
findings, such as 00 and 06, read them there); it is copied, never changed.

    python benchmarks/bench_chapters.py --out outputs/barnet/2026-03 [--profile /tmp/prof]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_cells(nb_path: Path, params: dict, profile: Path | None) -> list[dict]:
    """Execute the notebook's code cells (parameters replaced) in this process."""
    import cProfile

    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    env: dict = {"__name__": "__main__"}
    env.update(params)
    rows = []
    before = set(sys.modules)
    prof = cProfile.Profile() if profile else None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        t0 = time.process_time()
        w0 = time.perf_counter()
        if prof:
            prof.enable()
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, f"{nb_path.stem}[{i}]", "exec"), env)  # noqa: S102
        if prof:
            prof.disable()
        first = cell.source.strip().splitlines()[-1][:70]
        rows.append({"cell": i, "cpu": time.process_time() - t0,
                     "wall": time.perf_counter() - w0, "code": first})
    if prof:
        prof.dump_stats(str(profile))
    new = sorted(set(sys.modules) - before)
    rows.append({"cell": -1, "cpu": 0.0, "wall": 0.0, "code": "imported: " + " ".join(new)})
    return rows


def child_cpu() -> float:
    """CPU seconds of this process and its waited children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "config" / "barnet.yaml"))
    ap.add_argument("--period", default="latest")
    ap.add_argument("--out", required=True, help="a complete earlier run's output folder")
    ap.add_argument("--chapters", default="", help="comma-separated ids (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per chapter (min CPU kept)")
    ap.add_argument("--profile", default="", help="folder for cProfile files")
    args = ap.parse_args()
    os.environ.update({"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"})
    from sna import registry
    from sna.report.kernel import preload_modules, warm_caches

    t0 = time.process_time()
    preload_modules()
    warm_caches()
    print(f"zygote imports + warm-up: {time.process_time() - t0:.2f} CPU s")
    ids = [c for c in registry.run_order()
           if not args.chapters or c.split("_")[0] in args.chapters.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-ch-"))
    shutil.copytree(args.out, work, dirs_exist_ok=True)
    prof_dir = Path(args.profile) if args.profile else None
    if prof_dir:
        prof_dir.mkdir(parents=True, exist_ok=True)
    best: dict[str, float] = {}
    for cid in [c for c in ids for _ in range(args.repeat)]:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.chdir(work)
            params = {"config_path": args.config, "period": args.period,
                      "output_dir": str(work)}
            try:
                rows = run_cells(registry.chapters()[cid].path, params,
                                 prof_dir / f"{cid}.prof" if prof_dir else None)
                os.write(w, json.dumps(rows).encode())
            finally:
                os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        rows = json.loads(data or b"[]")
        cpu = sum(x["cpu"] for x in rows)
        best[cid] = min(best.get(cid, cpu), cpu)
        print(f"\n{cid}: {cpu:.2f} CPU s")
        if rows and rows[-1]["cell"] == -1 and len(rows[-1]["code"]) > 10:
            print("  " + rows[-1]["code"][:600])
        for x in sorted(rows, key=lambda x: -x["cpu"])[:6]:
            print(f"  {x['cpu']:6.2f}  [{x['cell']:2d}] {x['code']}")
    total = sum(best.values())
    print("\nper chapter (min of runs): " + ", ".join(f"{c[:2]} {v:.2f}" for c, v in best.items()))
    print(f"all chapters: {total:.2f} CPU s (load {os.getloadavg()[0]:.1f})")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
