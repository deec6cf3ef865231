"""Privacy as a property of the run: with record-level extracts supplied, no identifier, exact
time or coordinate appears anywhere under the output folder, and every published count of the
chapter is 0 or at least the threshold."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sna.synthetic_records import write_demo

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "10_victims_and_times"


@pytest.mark.slow
def test_records_never_leave_the_run(tmp_path, config_copy):
    extracts = tmp_path / "extracts"
    police, ae = write_demo(ROOT / "config" / "barnet.yaml", extracts, seed=4242,
                            n_police=3000, n_ae=800)
    cfg = config_copy(data={"police_records": police, "ae_attendances": ae})
    out = tmp_path / "out"
    env = {**os.environ, "SNA_CACHE_DIR": str(ROOT / "data" / "interim"),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "sna.cli", "run", "--config", str(cfg),
                           "--period", "2026-03", "--out", str(out), "--chapters", CHAPTER,
                           "--jobs", "1"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    raw = pd.read_csv(police, dtype=str, keep_default_na=False)
    raw_ae = pd.read_csv(ae, dtype=str, keep_default_na=False)
    needles = set(raw["crime_ref"]) | set(raw["victim_id"]) | set(raw["suspect_id"])
    stamps = {t for t in raw["committed_from"] if len(t) > 10} | set(raw_ae["attended"])
    coords = {c for c in set(raw["easting"]) | set(raw["northing"])
              if int(c) % 250}  # grid-cell corners (multiples of 250 m) are areas, not points
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".ipynb" for p in files)
    ids = re.compile(r"SYN[CVS]\w+")
    for path in files:
        body = path.read_bytes().decode("utf-8", errors="ignore")
        assert not ids.search(body), f"an identifier in {path.name}"
        found = [s for s in stamps if s in body]
        assert not found, f"exact times {found[:3]} in {path.name}"
        numbers = set(re.findall(r"(?<![\w.])\d{6}(?![\w.])", body))
        assert not numbers & coords, f"coordinates in {path.name}"
    tables = next(out.rglob("tables"))
    for name in ("victims_by_age_sex", "time_of_week", "sv_grid_cells", "ae_by_mechanism"):
        counts = pd.read_csv(tables / f"{name}.csv")["count"].dropna()
        assert len(counts) and not counts.between(1, 4).any(), name
    assert needles  # the scan had something to look for
