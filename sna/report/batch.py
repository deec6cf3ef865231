"""``sna batch``: one SNA per period (and per area), with resume and a summary."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sna.config import load_config
from sna.errors import SnaError
from sna.periods import add_months, month_range


def periods_between(start: str, end: str, every: int = 1) -> list[str]:
    """Periods from ``start`` to ``end`` inclusive, every ``every`` months, ending at ``end``."""
    months = month_range(start, end)
    return months[::-1][:: max(1, every)][::-1]


def up_to_date(out_dir: Path, cfg) -> bool:
    """True if ``out_dir`` holds a successful run on the same inputs, config and code."""
    from sna.io.common import sha256
    from sna.report.publish import versions

    path = out_dir / "manifest.json"
    if not path.is_file():
        return False
    m = json.loads(path.read_text(encoding="utf-8"))
    if any(c["status"] != "ok" for c in m.get("chapters", [])) or m.get("disclosure_audit"):
        return False
    if m["parameters"].get("config_sha256") != sha256(cfg.path):
        return False
    if m.get("versions", {}).get("sna") != versions().get("sna"):
        return False
    from sna.report.inputs import check_sources

    now = {(r.key, f["path"], f["sha256"]) for r in check_sources(cfg) for f in r.inputs}
    before = {(i["key"], f["path"], f["sha256"]) for i in m["inputs"] for f in i["files"]}
    return now == before


def run_batch(args, progress) -> int:
    """Run every (area, period); one failure does not stop the others. Returns 0/1/2."""
    from sna.report.runner import run

    configs = [args.config] + list(args.areas or [])
    rows, worst = [], 0
    t0 = time.perf_counter()
    jobs = [(c, p) for c in configs for p in periods_between(args.start, args.end, args.every)]
    for i, (config, period) in enumerate(jobs):
        try:
            cfg = load_config(config, period=period)
        except SnaError as exc:
            rows.append({"config": config, "period": period, "status": "error", "exit": 2,
                         "message": str(exc)})
            worst = max(worst, 2)
            continue
        out = Path(args.out).resolve() / cfg.area.slug / period
        if args.resume and up_to_date(out, cfg):
            rows.append({"config": config, "area": cfg.area.slug, "period": period,
                         "status": "skipped (up to date)", "exit": 0, "seconds": 0})
            continue
        res = run(config, period=period, out_root=args.out, jobs=min(args.jobs, 2),
                  progress=lambda *a: None)
        elapsed = time.perf_counter() - t0
        eta = elapsed / (i + 1) * (len(jobs) - i - 1)
        progress("batch", {"done": i + 1, "total": len(jobs), "period": period,
                           "exit": res.exit_code, "eta_s": round(eta)})
        rows.append({"config": config, "area": cfg.area.slug, "period": period,
                     "status": {0: "ok", 1: "chapter failed", 2: "error"}[res.exit_code],
                     "exit": res.exit_code, "seconds": res.seconds, "message": res.message})
        worst = max(worst, res.exit_code)
    _write_summary(rows, Path(args.out), time.perf_counter() - t0)
    return worst


def _write_summary(rows: list[dict], out_root: Path, seconds: float) -> None:
    by_area: dict[str, list[dict]] = {}
    for r in rows:
        by_area.setdefault(r.get("area", "unknown"), []).append(r)
    for area, items in by_area.items():
        folder = out_root / area
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "batch.json").write_text(json.dumps({"seconds": round(seconds, 1),
                                                       "runs": items}, indent=1))
    print(f"{'area':16} {'period':8} {'status':22} seconds")
    for r in rows:
        print(f"{r.get('area', '?'):16} {r['period']:8} {r['status']:22} {r.get('seconds', '')}")
    print(f"batch finished in {seconds:.1f}s")


__all__ = ["periods_between", "run_batch", "add_months"]
