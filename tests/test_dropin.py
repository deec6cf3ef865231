"""End to end: a throwaway source (its loader and one registry entry) and a throwaway chapter
(one notebook, dropped into a copy of notebooks/) are validated, run, exported and linked from
the index with no other file edited."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

LOADER = '''"""A throwaway loader for the drop-in test."""
import pandas as pd

from sna.io.common import Loaded


def load_local_counts(sources, ctx):
    """``ward, count`` rows from CSV files."""
    frames = [pd.read_csv(s.path) for s in sources]
    frame = pd.concat(frames, ignore_index=True)
    return Loaded(frame, {"source": "local_counts",
                          "files": [{"path": str(s.path), "rows": len(f)}
                                    for s, f in zip(sources, frames)]})
'''
ENTRY = '''
SOURCES += (SourceSpec("local_counts", "sna.io.local_counts:load_local_counts", False,
                       "Local counts by ward", "{area} council", "as agreed with the data owner",
                       docs="the drop-in test"),)
_BY_KEY = {s.key: s for s in SOURCES}
'''
CHAPTER = [
    'config_path = ""\nperiod = ""\noutput_dir = ""',
    'from sna.chapter import open_chapter\n'
    'ch = open_chapter(config_path, period, output_dir, "12_local_test")',
    'counts = ch.load("local_counts").frame\n'
    'ch.table(counts, "local_counts_by_ward", "Local counts by ward", count_cols=["count"], sensitivity="partner")\n'
    'ch.finding(f"{int(counts[\'count\'].sum())} local incidents in all", kind="headline")',
]


def _chapter(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CHAPTER]
    nb.cells[0].metadata["tags"] = ["parameters"]
    # no kernelspec: a notebook written by a script has none; the runner needs none
    nb.metadata["sna"] = {"title": "Local test chapter", "depends": ["07_methodology"],
                          "components": []}
    nbformat.write(nb, path)


@pytest.mark.slow
def test_throwaway_source_and_chapter_run_end_to_end(tmp_path):
    from sna.synthetic import write_borough

    # the package with one new loader module and one registry entry (and nothing else)
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "sna", pkg / "sna", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "sna" / "io" / "local_counts.py").write_text(LOADER, encoding="utf-8")
    with open(pkg / "sna" / "registry.py", "a", encoding="utf-8") as fh:
        fh.write(ENTRY)
    # the project: the shipped notebooks plus one dropped-in chapter
    proj = tmp_path / "proj"
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    _chapter(proj / "notebooks" / "12_local_test.ipynb")
    # a small synthetic borough whose config supplies the new key
    config = write_borough(tmp_path / "data", n_wards=6, n_months=14, end_month="2026-03")
    pd.DataFrame({"ward": ["North", "South", "East"], "count": [12, 3, 40]}).to_csv(
        config.parent / "local.csv", index=False)
    cfg = yaml.safe_load(config.read_text(encoding="utf-8"))
    cfg["data"]["local_counts"] = "local.csv"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")

    env = dict(os.environ, PYTHONPATH=str(pkg), SNA_PROJECT_ROOT=str(proj),
               SNA_CACHE_DIR=str(tmp_path / "cache"), SNA_KERNEL_MODE="fork")
    env.pop("SNA_NOTEBOOKS_DIR", None)

    def sna(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sna.cli", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)

    listed = sna("chapters")
    assert listed.returncode == 0, listed.stderr
    assert "12_local_test" in listed.stdout and "runs after: 07_methodology" in listed.stdout
    run = sna("run", "--config", str(config), "--chapters", "12", "--out", str(tmp_path / "out"),
              "--jobs", "1")
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out" / "synthboro" / "2026-03"
    # published after disclosure control: 3 is below min_count 5, so it is suppressed
    table = pd.read_csv(out / "tables" / "local_counts_by_ward.csv")
    assert table["ward"].tolist() == ["North", "South", "East"]
    assert table["count"].iloc[[0, 2]].tolist() == [12, 40] and pd.isna(table["count"].iloc[1])
    page = (out / "chapters" / "12_local_test.html").read_text(encoding="utf-8")
    assert "Local test chapter" in page and "Local counts by ward" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="chapters/12_local_test.html">Local test chapter</a>' in index
    assert "55 local incidents in all" in index  # the headline (12 + 3 + 40), from findings
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [c["id"] for c in manifest["chapters"]] == ["12_local_test"]
    assert "local_counts" in [i["key"] for i in manifest["inputs"]]
