"""Parse each input once per content hash into Parquet under ``data/interim/``.

The cache key hashes the loader name, the loader module's source code (and that of the
``sna.io`` modules it takes code from), the reading options and the bytes of every input file,
so editing a file (or the loader) invalidates its entry. Entries are written atomically
(temporary folder, then rename): a crash never leaves a half entry.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pandas as pd

from sna.config import Source
from sna.io.common import Loaded, sha256

CACHE_VERSION = "1"


def default_cache_dir(start: Path | None = None) -> Path:
    """``$SNA_CACHE_DIR``, else ``<project>/data/interim`` (project = folder with
    ``pyproject.toml`` above ``start``), else ``~/.cache/sna``."""
    env = os.environ.get("SNA_CACHE_DIR")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "sna").is_dir():
            return folder / "data" / "interim"
    return Path.home() / ".cache" / "sna"


def source_files(src: Source) -> list[Path]:
    """The files behind one source (a folder expands to the files inside it, sorted)."""
    if src.path.is_dir():
        return sorted(p for p in src.path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [src.path]


def file_records(sources: tuple[Source, ...]) -> list[dict]:
    """Path, sha256 and size of every file behind the sources (for keys and the manifest)."""
    out = []
    for src in sources:
        for p in source_files(src):
            out.append({"path": str(p), "sha256": sha256(p), "size": p.stat().st_size})
    return out


def code_modules(module: ModuleType) -> list[ModuleType]:
    """The loader's module, :mod:`sna.io.common` and any other ``sna.io`` module the loader's
    module takes code from (e.g. :mod:`sna.io.mps` for :mod:`sna.io.mps_dashboards`)."""
    own = (module.__name__, "sna.io.common")
    names = {getattr(v, "__module__", None) for v in vars(module).values()}
    extra = sorted(n for n in names if isinstance(n, str) and n.startswith("sna.io.")
                   and n not in own)
    return [module, importlib.import_module("sna.io.common"),
            *(importlib.import_module(n) for n in extra)]


def cache_key(loader: Callable, sources: tuple[Source, ...], records: list[dict],
              extra: str = "") -> str:
    """A hex key over loader identity and code, options, file contents and ``extra``."""
    h = hashlib.sha256()
    module = importlib.import_module(loader.__module__)
    h.update(f"{CACHE_VERSION}|{loader.__module__}.{loader.__qualname__}|{extra}".encode())
    for mod in code_modules(module):
        h.update(hashlib.sha256(inspect.getsource(mod).encode()).digest())
    for src in sources:
        h.update(repr(src.options).encode())
    for rec in records:
        h.update(rec["sha256"].encode())
    return h.hexdigest()[:32]


def slot_key(loader: Callable, sources: tuple[Source, ...], extra: str = "") -> str:
    """What an entry is *for*, whatever the files' contents and the code: the loader, the
    area (``extra``), the files' paths and reading options. A new entry replaces the older
    entries of its slot (:func:`prune_slot`), so the cache keeps one parse per source and area
    instead of one per month of data or per edit of a loader."""
    h = hashlib.sha256(f"{loader.__module__}.{loader.__qualname__}|{extra}".encode())
    for src in sources:
        h.update(f"{src.path.resolve()}|{src.options!r}".encode())
    return h.hexdigest()[:16]


def prune_slot(cache_dir: Path, slot: str, keep: str) -> list[str]:
    """Remove the entries of ``slot`` other than ``keep`` (older contents or code of the same
    source); returns the keys removed. A process still reading one simply parses again."""
    removed = []
    for meta_path in cache_dir.glob("*/meta.json"):
        key = meta_path.parent.name
        if key == keep or key.startswith("."):
            continue
        try:
            if json.loads(meta_path.read_text(encoding="utf-8")).get("_slot") != slot:
                continue
        except (OSError, ValueError):
            continue
        shutil.rmtree(meta_path.parent, ignore_errors=True)
        removed.append(key)
    return removed


def _write_entry(folder: Path, loaded: Loaded, slot: str = "") -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        frame = loaded.frame
        geo = hasattr(frame, "geometry") and type(frame).__name__ == "GeoDataFrame"
        frame.to_parquet(tmp / "frame.parquet", index=False)
        meta = dict(loaded.meta, _geo=geo, _rows=len(frame), _slot=slot)
        (tmp / "meta.json").write_text(json.dumps(meta, default=str), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if slot:
        prune_slot(folder.parent, slot, folder.name)


def read_frame(path: Path) -> pd.DataFrame:
    """Read a cached frame with Arrow-backed strings (a third of the memory of Python str)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mapping = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
    return pq.read_table(path).to_pandas(types_mapper=mapping.get)


def _read_entry(folder: Path) -> Loaded | None:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta.pop("_slot", None)
        if meta.pop("_geo", False):
            import geopandas as gpd

            frame = gpd.read_parquet(folder / "frame.parquet")
        else:
            frame = read_frame(folder / "frame.parquet")
    except (OSError, ValueError):
        return None
    return Loaded(frame, meta)


def cached_meta(loader: Callable, sources: tuple[Source, ...], *, cache_dir: Path,
                extra: str = "") -> dict | None:
    """The cached metadata of a source, or ``None`` when not cached yet."""
    records = file_records(sources)
    key = cache_key(loader, sources, records, extra)
    try:
        meta = json.loads((cache_dir / key / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta.pop("_geo", None)
    meta.pop("_slot", None)
    meta["inputs"] = records
    return meta


def cached_load(loader: Callable, sources: tuple[Source, ...], ctx, *,
                cache_dir: Path | None = None, extra: str = "") -> tuple[Loaded, bool]:
    """Load through the cache. Returns ``(loaded, hit)``; ``meta['files']`` gains sha256/size."""
    records = file_records(sources)
    key = cache_key(loader, sources, records, extra)
    folder = (cache_dir or default_cache_dir()) / key
    loaded = _read_entry(folder) if folder.is_dir() else None
    hit = loaded is not None
    if loaded is None:
        loaded = loader(sources, ctx)
        loaded.meta.setdefault("source", sources[0].key if sources else "")
        _write_entry(folder, loaded, slot_key(loader, sources, extra))
    loaded.meta["inputs"] = records
    return loaded, hit
