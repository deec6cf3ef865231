"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
