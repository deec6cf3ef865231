"""One door to the data: ``load(cfg, key)`` parses through the cache and remembers the result
for the rest of the process (a chapter asks for the same source many times)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from sna.cache import cached_load, default_cache_dir
from sna.config import SnaConfig
from sna.io import LOADERS, get_loader
from sna.io.common import LoadContext, Loaded

_MEMO: dict[tuple, Loaded] = {}


def context(cfg: SnaConfig) -> LoadContext:
    """The loader context for an area config."""
    return LoadContext(area_name=cfg.area.name, area_code=cfg.area.code)


def load(cfg: SnaConfig, key: str, *, cache_dir: Path | None = None) -> Loaded:
    """Load the source ``key`` of ``cfg`` (parsed once per content hash)."""
    if key not in LOADERS:
        raise KeyError(f"no loader for data key {key!r}")
    sources = cfg.files(key)
    if not sources:
        raise KeyError(f"data.{key} is not supplied in {cfg.path.name}")
    memo_key = (str(cfg.path), key, tuple((s.path, s.options) for s in sources))
    if memo_key not in _MEMO:
        cache = cache_dir or default_cache_dir(cfg.folder)
        loaded, _ = cached_load(get_loader(key), sources, context(cfg), cache_dir=cache,
                                extra=f"{cfg.area.name}|{cfg.area.code}")
        _MEMO[memo_key] = loaded
    return _MEMO[memo_key]


def load_meta(cfg: SnaConfig, key: str) -> dict:
    """Only the metadata of a source (fast when cached: the frame is not read)."""
    memo_key = next((k for k in _MEMO if k[0] == str(cfg.path) and k[1] == key), None)
    if memo_key is not None:
        return _MEMO[memo_key].meta
    meta = _cached_meta(cfg, key)
    return meta if meta is not None else load(cfg, key).meta


def _cached_meta(cfg: SnaConfig, key: str) -> dict | None:
    """The cache entry's metadata of source ``key`` (the entry :func:`load` uses), or None."""
    from sna.cache import cached_meta

    return cached_meta(get_loader(key), cfg.files(key), cache_dir=default_cache_dir(cfg.folder),
                       extra=f"{cfg.area.name}|{cfg.area.code}")


def cached_meta_or_none(cfg: SnaConfig, key: str) -> dict | None:
    """Metadata (with ``_rows``) of a source already parsed into the cache, else ``None``:
    lets a pre-flight check skip reading frames it has validated before."""
    meta = _cached_meta(cfg, key)
    return meta if meta is not None and "_rows" in meta else None


def loaded_or_none(cfg: SnaConfig, key: str) -> Loaded | None:
    """Like :func:`load` but ``None`` when the optional source is not supplied."""
    return load(cfg, key) if cfg.has(key) else None


def clear_memo() -> None:
    """Forget in-process results (tests)."""
    _MEMO.clear()


def derived(cfg: SnaConfig, name: str, keys: tuple[str, ...], build, *args):
    """A frame computed from sources ``keys`` by ``build(*args)``, cached on disk by the input
    hashes and the code of ``build``'s module: heavy work is done once per input, not once per
    chapter. ``args`` must be part of what identifies the result (e.g. the period). A new
    entry replaces the entries of the same name, arguments and area built from older inputs
    or code, so the cache does not grow with every month of data."""
    import hashlib
    import importlib
    import inspect

    from sna.cache import file_records

    # a config argument without its period: a derived frame must not depend on the period
    # asked for (a window end is its own argument), so every period of a batch shares it; the
    # builder gets that config too (period ''), so it cannot quietly use the run's period
    args = tuple(replace(a, period="") if isinstance(a, SnaConfig) else a for a in args)
    slot = hashlib.sha256(f"{name}|{args!r}|{cfg.area.code}".encode()).hexdigest()[:10]
    h = hashlib.sha256(slot.encode())
    h.update(inspect.getsource(importlib.import_module(build.__module__)).encode())
    for key in keys:
        for rec in file_records(cfg.files(key)):
            h.update(rec["sha256"].encode())
    folder = default_cache_dir(cfg.folder) / "derived"
    path = folder / f"{name}-{slot}-{h.hexdigest()[:16]}.parquet"
    if path.is_file():
        try:
            return _read_derived(path)
        except (OSError, ValueError):
            pass
    frame = build(*args)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    _write_derived(frame, tmp)
    tmp.replace(path)
    for older in folder.glob(f"{name}-{slot}-*.parquet"):  # the same frame from older inputs
        if older != path:                                 # or code: one entry per slot
            older.unlink(missing_ok=True)
    for legacy in folder.glob(f"{name}-{'[0-9a-f]' * 24}.parquet"):  # before slots: never read
        legacy.unlink(missing_ok=True)
    return frame


_STRINGS = b"sna_string_storage"  # Parquet has one string type: keep pandas' storage choice


def _write_derived(frame, path: Path) -> None:
    import json

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    storage = {str(c): t.storage for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype)}
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), _STRINGS: json.dumps(storage).encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)


def _read_derived(path: Path):
    """A frame written by :func:`_write_derived`, with the dtypes it had (string storage
    included: a pyarrow-backed string column comes back pyarrow-backed)."""
    import json

    import pandas as pd
    import pyarrow.parquet as pq

    frame = pd.read_parquet(path)
    storage = json.loads((pq.read_schema(path).metadata or {}).get(_STRINGS, b"{}"))
    for col, kind in storage.items():
        if col in frame and frame[col].dtype != pd.StringDtype(kind):
            frame[col] = frame[col].astype(pd.StringDtype(kind))
    return frame


def area_places(cfg: SnaConfig) -> tuple[set[str], set[str], object]:
    """The area's 2022 ward codes, its 2021 LSOA codes (through ``lookups``; empty when not
    supplied) and its outline (the union of its ward polygons, EPSG:27700)."""
    wards = load(cfg, "wards").frame
    lsoas: set[str] = set()
    if cfg.has("lookups"):
        look = load(cfg, "lookups").frame
        lsoas = set(map(str, look.loc[look["ward_code"].isin(wards["ward_code"]), "lsoa_code"]))
    return set(wards["ward_code"]), lsoas, wards.geometry.union_all()


def check_in_area(cfg: SnaConfig, key: str, frame) -> None:
    """Raise a :class:`sna.errors.DataError` naming the rows of a record-level extract
    (``police_records``, ``ae_attendances``) placed outside the area
    (:func:`sna.io.records.check_records_area`)."""
    from sna.io.records import check_records_area

    ward_codes, lsoa_codes, outline = area_places(cfg)
    check_records_area(frame, key, ", ".join(s.path.name for s in cfg.files(key)),
                       ward_codes=ward_codes, lsoa_codes=lsoa_codes, boundary=outline)
