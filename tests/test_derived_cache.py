"""The on-disk cache of frames derived from the inputs (``sna.data.derived``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_derived_frames_keep_their_dtypes(tmp_path, monkeypatch):
    """A frame cached by ``sna.data.derived`` comes back with the dtypes it was built with:
    Parquet has one string type, and pandas' pyarrow- and python-backed strings must not swap
    (a chapter reading the cache must see what a chapter building it saw)."""
    import pandas as pd

    from sna import data as sna_data
    from sna.config import load_config

    monkeypatch.setenv("SNA_CACHE_DIR", str(tmp_path))
    cfg = load_config(ROOT / "config" / "barnet.yaml")
    frame = pd.DataFrame({
        "arrow": pd.array(["a", None, "c"], dtype="string[pyarrow]"),
        "python": pd.array(["x", "y", None], dtype="string[python]"),
        "plain": ["p", "q", "r"], "n": [1, 2, 3], "f": [0.5, float("nan"), 2.0]})
    calls = []

    def build():
        calls.append(1)
        return frame

    first = sna_data.derived(cfg, "dtype_test", (), build)
    again = sna_data.derived(cfg, "dtype_test", (), build)
    assert len(calls) == 1  # the second came from the cache
    pd.testing.assert_frame_equal(again, frame, check_exact=True)
    assert str(again["arrow"].dtype.storage) == "pyarrow"
    assert str(again["python"].dtype.storage) == "python"
    assert first is frame
