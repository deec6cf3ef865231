"""Bad dashboard, VAWG or PAS files stop `sna run` before anything is written: exit 2 and a
message naming the file, row, column and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from sna.cli import main

ROOT = Path(__file__).resolve().parents[1]
DASH = ("Month_Year,Area Type,Borough_SNT,Area name,Area code,Crime Type,Crime Subtype,"
        "Measure,Count\n2024-01-01,Borough,Barnet,Barnet,E09000003,Domestic Abuse,"
        "Domestic Abuse,Offences,many\n")
VAWG = ("bcu_location,borough_name,ward_name_clean_2,recorded_date_months,"
        "date_committed_from_date_months,count,sheet\nNorth West,Gotham,Docks,2024-01-01,"
        "2024-01-01,3,Offence count location\n")
PAS = ('Date,Survey,Borough,Measure,Proportion,MPS,,,,\n31/3/2015,PAS,Barnet,Trust MPS,'
       '"1,7","0,6",,,,\n')


@pytest.mark.parametrize("key, text, needles", [
    ("mps_dashboard", DASH, ["bad.csv", "row 2", "'count'", "'many'"]),
    ("vawg", VAWG, ["bad.csv", "row 2", "'borough_name'", "'Gotham'"]),
    ("public_attitudes", PAS, ["bad.csv", "row 2", "'Proportion'", "'1,7'"]),
], ids=["dashboard-text-count", "vawg-unknown-area", "pas-proportion-above-1"])
def test_bad_who_file_exit_2_nothing_written(tmp_path, capsys, monkeypatch, key, text, needles):
    monkeypatch.setenv("SNA_CACHE_DIR", str(ROOT / "data" / "interim"))
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    lines = []
    skip = False
    for line in (ROOT / "config" / "barnet.yaml").read_text().replace(
            "../data/", f"{ROOT}/data/").splitlines():
        if skip and line.startswith("    - "):
            continue
        skip = False
        if line.startswith(f"  {key}:"):
            lines.append(f"  {key}: {bad}")
            skip = True
            continue
        lines.append(line)
    text = "\n".join(lines).replace("recommendation_rules.yaml",
                                    str(ROOT / "config" / "recommendation_rules.yaml"))
    cfg = tmp_path / "area.yaml"
    cfg.write_text(text.replace("implementation_plan.yaml",
                                str(ROOT / "config" / "implementation_plan.yaml")))
    out = tmp_path / "out"
    code = main(["run", "--config", str(cfg), "--out", str(out), "--chapters", "08"])
    err = capsys.readouterr().err
    assert code == 2
    for needle in needles:
        assert needle in err, (needle, err[:600])
    assert not out.exists() or not any(out.rglob("*.html"))
