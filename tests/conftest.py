"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "real"
DEFAULT_CONFIG = ROOT / "config" / "barnet.yaml"

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_real() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data/real not present")
    return SHARED


@pytest.fixture
def write_yaml(tmp_path):
    """Write a YAML config into tmp_path and return its path."""

    def _write(text: str, name: str = "area.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


def _absolute(entry, folder: Path):
    """A config ``data:`` entry (path, list or ``{path: ..., options}``) with absolute paths."""
    if isinstance(entry, list):
        return [_absolute(e, folder) for e in entry]
    if isinstance(entry, dict):
        return {**entry, "path": _absolute(entry["path"], folder)}
    return str((folder / entry).resolve())


@pytest.fixture
def config_copy(tmp_path):
    """Write a copy of the default config into tmp_path with every path made absolute and
    return its path: ``config_copy(drop_data=(...), drop=(...), data={...}, name="area.yaml")``
    leaves out those ``data:`` keys and those top-level keys (the rules file, the plan, ...)
    and adds the ``data`` entries given (absolute paths)."""

    def _copy(drop_data=(), drop=(), data=None, name: str = "area.yaml") -> Path:
        raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
        folder = DEFAULT_CONFIG.parent
        raw["data"] = {k: _absolute(v, folder) for k, v in raw["data"].items()
                       if k not in drop_data}
        raw["data"].update({k: str(v) for k, v in (data or {}).items()})
        for key in drop:
            raw.pop(key, None)
        for key in ("recommendations", "plan"):
            if raw.get(key):
                raw[key] = _absolute(raw[key], folder)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return path

    return _copy
