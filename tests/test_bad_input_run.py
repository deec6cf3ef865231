"""Bad input stops `sna run` before anything is written: exit 2, a message naming the file,
row, column and value, and no output folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sna.cli import main

WARD_CSV = "MPS Ward Level Crime (most recent 24 months).csv"


def _copy_config(root: Path, tmp: Path) -> Path:
    """A copy of the default config whose paths point at the shipped data, plus a private
    copy of the ward CSV that tests may damage."""
    text = (root / "config" / "barnet.yaml").read_text().replace("../data/", f"{root}/data/")
    shutil.copy(root / "data" / "raw" / "mps" / "ward" / WARD_CSV, tmp / "ward.csv")
    text = text.replace(f'"{root}/data/raw/mps/ward/{WARD_CSV}"', str(tmp / "ward.csv"))
    for name in ("recommendation_rules.yaml", "implementation_plan.yaml"):
        shutil.copy(root / "config" / name, tmp / name)
    cfg = tmp / "area.yaml"
    cfg.write_text(text)
    return cfg


def _damage_count(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[-1] = "-3\n"
    lines[5] = ",".join(cells)
    path.write_text("".join(lines))


def _drop_column(path: Path) -> None:
    text = path.read_text().replace("WardCode", "AreaRef", 1)
    path.write_text(text)


def _empty(path: Path) -> None:
    path.write_text("")


def _latin1(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"Burnt Oak", "Burnt \xd8ak".encode("latin-1")))


@pytest.mark.parametrize("damage, needles", [
    (_damage_count, ["ward.csv", "row 6", "202603", "-3"]),
    (_drop_column, ["ward.csv", "WardCode"]),
    (_empty, ["ward.csv", "empty"]),
    (_latin1, ["ward.csv", "encoding"]),
], ids=["negative-count", "renamed-column", "empty-file", "wrong-encoding"])
def test_bad_ward_file_exit_2_nothing_written(root, tmp_path, capsys, damage, needles):
    cfg = _copy_config(root, tmp_path)
    damage(tmp_path / "ward.csv")
    out = tmp_path / "out"
    code = main(["run", "--config", str(cfg), "--out", str(out), "--chapters", "07"])
    err = capsys.readouterr().err
    assert code == 2
    for needle in needles:
        assert needle in err, (needle, err[:600])
    assert not out.exists() or not any(out.rglob("*.html"))


def test_unknown_config_key_exit_2(root, tmp_path, capsys):
    cfg = _copy_config(root, tmp_path)
    cfg.write_text(cfg.read_text() + "\nextra_setting: 1\n")
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out)]) == 2
    assert "extra_setting" in capsys.readouterr().err and not out.exists()


def test_period_outside_data_exit_2(root, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--config", str(root / "config" / "barnet.yaml"), "--out", str(out),
                 "--period", "2031-01"])
    assert code == 2 and "2031-01" in capsys.readouterr().err and not out.exists()


def test_validate_reports_table_and_writes_nothing(root, tmp_path, capsys):
    cfg = _copy_config(root, tmp_path)
    _damage_count(tmp_path / "ward.csv")
    before = set(tmp_path.rglob("*"))
    assert main(["validate", "--config", str(cfg)]) == 2
    out = capsys.readouterr()
    assert "mps_ward" in out.out and "ERROR" in out.out and "row 6" in out.err
    assert set(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("period, needle", [("2025Q4", "quarter"), ("01/03/2026", "ambiguous")])
def test_ambiguous_period_refused_by_cli(root, tmp_path, capsys, period, needle):
    # the old parser guessed: 2025Q4 became 2025-10 and 01/03/2026 became January
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["run", "--config", str(root / "config" / "barnet.yaml"), "--out", str(out),
              "--period", period])
    err = capsys.readouterr().err
    assert info.value.code == 2 and needle in err and "Month YYYY" in err and not out.exists()


def test_duplicate_data_key_exit_2(root, tmp_path, capsys):
    cfg = _copy_config(root, tmp_path)
    text = cfg.read_text()
    cfg.write_text(text.replace("  mps_lsoa:", "  mps_ward: ward.csv\n  mps_lsoa:", 1))
    out = tmp_path / "out"
    assert main(["run", "--config", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'mps_ward' is given twice" in err and "area.yaml, line" in err and not out.exists()
