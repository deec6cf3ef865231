"""Cold vs warm parse of every input of a config (default: the shipped Barnet config).

Usage::

    .venv/bin/python benchmarks/bench_cache.py [--config config/barnet.yaml] [--repeat 3]

For each source: *cold* = parse the raw files and write the cache entry (``SNA_CACHE_DIR`` is a
fresh temporary folder); *warm frame* = read the cached frame back, what each chapter kernel
pays per source it loads; *warm meta* = what the pre-flight of ``sna run`` reads (metadata and
the Parquet footer, no frame); plus rows and in-memory size of the frame. Medians of
``--repeat`` rounds; prints a markdown table and the totals.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _clock(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def one_round(config: str, cache: Path) -> dict[str, tuple]:
    """{key: (cold s, warm frame s, warm meta s, rows, MB)} for one cold cache folder."""
    os.environ["SNA_CACHE_DIR"] = str(cache)
    from sna.cache import cached_load
    from sna.config import SOURCE_KEYS, load_config
    from sna.data import cached_meta_or_none, context
    from sna.io import LOADERS, get_loader

    cfg = load_config(config)
    extra = f"{cfg.area.name}|{cfg.area.code}"
    out = {}
    for key in SOURCE_KEYS:
        if not (cfg.has(key) and key in LOADERS):
            continue
        src, loader = cfg.files(key), get_loader(key)
        cold, (loaded, hit) = _clock(cached_load, loader, src, context(cfg), cache_dir=cache,
                                     extra=extra)
        assert not hit, f"{key}: cache was not cold"
        warm, (again, hit) = _clock(cached_load, loader, src, context(cfg), cache_dir=cache,
                                    extra=extra)
        assert hit, f"{key}: second read missed the cache"
        meta_s, meta = _clock(cached_meta_or_none, cfg, key)
        mb = again.frame.memory_usage(deep=True).sum() / 1e6
        out[key] = (cold, warm, meta_s, len(again.frame), mb)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "config" / "barnet.yaml"))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    rounds = []
    for _ in range(args.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="sna-cache-bench-"))
        try:
            rounds.append(one_round(args.config, tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    keys = list(rounds[0])
    med = {k: [statistics.median(r[k][i] for r in rounds) for i in range(5)] for k in keys}
    print("| source | cold parse (s) | warm frame read (s) | warm meta only (s) | rows | "
          "frame MB | cold / warm |\n|---|---|---|---|---|---|---|")
    for k, (cold, warm, meta, rows, mb) in med.items():
        print(f"| {k} | {cold:.2f} | {warm:.2f} | {meta:.3f} | {rows:,.0f} | {mb:.0f} | "
              f"{cold / warm if warm else float('nan'):.0f}x |")
    tot = [sum(v[i] for v in med.values()) for i in range(3)]
    print(f"| **all** | **{tot[0]:.1f}** | **{tot[1]:.1f}** | **{tot[2]:.2f}** | | | "
          f"{tot[0] / tot[1]:.0f}x |")
    print(f"\n{len(rounds)} round(s), median; cores {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
