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


def _synth(tmp_path, monkeypatch):
    from sna.synthetic import write_borough

    monkeypatch.setenv("SNA_CACHE_DIR", str(tmp_path / "cache"))
    return write_borough(tmp_path / "data", n_wards=5, n_months=14, end_month="2026-03")


def test_derived_cache_keeps_one_entry_per_frame_and_shares_it_across_periods(
        tmp_path, monkeypatch):
    """New inputs replace a derived frame's older entry (the cache does not grow with every
    month of data); other arguments keep theirs; every period of a batch shares one entry and
    the builder never sees the period."""
    import pandas as pd

    from sna import data as sna_data
    from sna.config import load_config

    config = _synth(tmp_path, monkeypatch)
    seen = []

    def build(cfg, tag):
        seen.append((cfg.period, tag))
        return pd.DataFrame({"tag": [tag], "n": [len(seen)]})

    folder = tmp_path / "cache" / "derived"
    cfg = load_config(config, period="2026-02")
    first = sna_data.derived(cfg, "probe", ("wards",), build, cfg, "a")
    sna_data.derived(cfg, "probe", ("wards",), build, cfg, "b")
    assert len(list(folder.glob("probe-*.parquet"))) == 2
    other = load_config(config, period="2026-03")
    again = sna_data.derived(other, "probe", ("wards",), build, other, "a")
    pd.testing.assert_frame_equal(again, first)
    assert seen == [("", "a"), ("", "b")]  # built twice, never with a period
    wards = Path(cfg.files("wards")[0].path)
    wards.write_text(wards.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # new bytes
    sna_data.derived(cfg, "probe", ("wards",), build, cfg, "a")
    assert len(seen) == 3
    assert len(list(folder.glob("probe-*.parquet"))) == 2  # the old "a" entry replaced


def test_parsed_cache_replaces_an_older_parse_of_the_same_source(tmp_path, monkeypatch):
    """A changed input file is parsed again and the older entry of that source and area goes;
    entries of other sources stay."""
    import json

    from sna import data as sna_data
    from sna.config import load_config

    config = _synth(tmp_path, monkeypatch)
    cache = tmp_path / "cache"

    def entries(source):
        return sorted(p.parent.name for p in cache.glob("*/meta.json")
                      if json.loads(p.read_text(encoding="utf-8")).get("source") == source)

    cfg = load_config(config)
    sna_data.load(cfg, "wards")
    sna_data.load(cfg, "lookups")
    before = entries("wards")
    assert len(before) == 1 and len(entries("lookups")) == 1
    wards = Path(cfg.files("wards")[0].path)
    wards.write_text(wards.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    sna_data.clear_memo()
    sna_data.load(cfg, "wards")
    after = entries("wards")
    assert len(after) == 1 and after != before
    assert len(entries("lookups")) == 1
