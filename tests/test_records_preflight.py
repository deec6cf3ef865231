"""A record-level extract with places outside the area stops the run before anything is
written (exit 2), naming the file, the row, the column and the value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_records_outside_the_area_stop_the_run(tmp_path):
    from sna.synthetic_records import write_demo

    police, ae = write_demo(ROOT / "config" / "barnet.yaml", tmp_path / "x", seed=5,
                            n_police=300, n_ae=50)
    raw = pd.read_csv(police, dtype=str, keep_default_na=False)
    raw.loc[7, "ward_code"] = "E05000026"  # a ward of another borough
    raw.to_csv(police, index=False)
    text = (ROOT / "config" / "barnet.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/", f"{ROOT}/data/").replace(
        "recommendations: recommendation_rules.yaml",
        f"recommendations: {ROOT}/config/recommendation_rules.yaml").replace(
        "plan: implementation_plan.yaml", f"plan: {ROOT}/config/implementation_plan.yaml")
    text = text.replace("  data_sources:", f"  police_records: {police}\n  data_sources:")
    cfg = tmp_path / "area.yaml"
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "SNA_CACHE_DIR": str(ROOT / "data" / "interim"),
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "sna.cli", "run", "--config", str(cfg),
                           "--period", "2026-03", "--out", str(out), "--chapters",
                           "10_victims_and_times"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 2, proc.stdout[-1500:] + proc.stderr[-1500:]
    msg = proc.stdout + proc.stderr
    assert "police_records.csv" in msg and "row 9" in msg and "'ward_code'" in msg
    assert "E05000026" in msg
    assert not out.exists() or not any(out.rglob("*.html"))
