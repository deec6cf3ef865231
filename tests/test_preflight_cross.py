"""Pre-flight across sources: inputs that are each valid but do not describe the same area
stop the run before anything is written (exit 2), naming the key, the file and the fix."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from sna.cli import main
from sna.config import load_config
from sna.report.inputs import check_sources, first_error
from sna.synthetic import write_borough


@pytest.fixture(scope="module")
def boroughs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xcheck")
    cfg = write_borough(folder, n_wards=4, n_months=13, boroughs=("Synthboro", "Otherboro"))
    return folder, cfg


@pytest.fixture(scope="module", autouse=True)
def own_cache(tmp_path_factory):
    """One parse cache for the module (keys include the file contents, so variants do not
    collide), outside the project's."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SNA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()


def _variant(boroughs, tmp_path, edit) -> str:
    folder, cfg = boroughs
    raw = yaml.safe_load(cfg.read_text())
    raw["data"] = {k: [str(folder / p) for p in v] if isinstance(v, list) else str(folder / v)
                   for k, v in raw["data"].items()}
    edit(raw, tmp_path)
    path = tmp_path / "area.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _error(path: str) -> tuple[str, str]:
    bad = first_error(check_sources(load_config(path)))
    assert bad is not None, "the pre-flight found nothing"
    return bad.key, bad.error


def test_consistent_inputs_pass(boroughs, tmp_path):
    assert first_error(check_sources(load_config(_variant(boroughs, tmp_path,
                                                          lambda r, t: None)))) is None


def test_misspelt_area_suggests_closest_name_and_run_stops(boroughs, tmp_path, capsys):
    def edit(raw, tmp):
        raw["area"]["name"] = "Synthborro"
    path = _variant(boroughs, tmp_path, edit)
    key, msg = _error(path)
    assert key == "mps_ward" and "'Synthborro'" in msg and "Closest names: 'Synthboro'" in msg
    assert "mps-ward-level-crime.csv" in msg and "area.name" in msg
    # the old code ran every chapter and exited 1 with tracebacks
    out = tmp_path / "out"
    assert main(["run", "--config", path, "--out", str(out), "--chapters", "07"]) == 2
    err = capsys.readouterr().err
    assert "data.mps_ward" in err and "Closest names: 'Synthboro'" in err
    assert not out.exists() or not any(out.rglob("*.html"))


def test_boundaries_of_another_ward_set(boroughs, tmp_path):
    folder, cfg = boroughs

    def edit(raw, tmp):  # another ward set, without authority codes the loader could check
        raw["data"]["wards"] = _no_lad(folder, "otherboro", tmp / "old_wards.geojson")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "wards" and "4 of 4 ward codes" in msg and "old_wards.geojson" in msg
    assert "not wards of Synthboro in the crime data" in msg


def _no_lad(folder, slug, dest):
    """A copy of a borough's ward boundaries without the authority code fields."""
    gj = json.loads((folder / "boundaries" / f"{slug}_wards_2022.geojson").read_text())
    for feat in gj["features"]:
        feat["properties"] = {k: v for k, v in feat["properties"].items()
                              if not k.startswith("LAD")}
    dest.write_text(json.dumps(gj))
    return str(dest)


def test_area_code_of_another_borough(boroughs, tmp_path):
    folder, cfg = boroughs
    other = yaml.safe_load((folder / "otherboro.yaml").read_text())["area"]["code"]

    def edit(raw, tmp):
        raw["area"]["code"] = other
        raw["data"]["wards"] = _no_lad(folder, "synthboro", tmp / "wards.geojson")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "population" and "'Otherboro'" in msg and "area.code" in msg


def test_lookup_for_another_borough(boroughs, tmp_path):
    folder, cfg = boroughs
    mine = {c for c in json.loads((folder / "boundaries" / "synthboro_wards_2022.geojson")
                                  .read_text())["features"] for c in [c["properties"]["WD22CD"]]}

    def edit(raw, tmp):
        src = folder / "lookups" / "lsoa21_to_ward22_bestfit.csv"
        rows = list(csv.DictReader(src.open()))
        with open(tmp / "lookup.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(r for r in rows if r["ward22cd"] not in mine)
        raw["data"]["lookups"] = str(tmp / "lookup.csv")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "lookups" and "4 of the 4 ward codes" in msg and "lookup.csv" in msg


def test_crime_file_all_zero_for_the_area(boroughs, tmp_path):
    folder, cfg = boroughs

    def edit(raw, tmp):
        src = folder / "mps" / "mps-ward-level-crime.csv"
        rows = list(csv.reader(src.open()))
        head = rows[0]
        months = [i for i, h in enumerate(head) if h.isdigit()]
        borough = head.index("LookUp_BoroughName")
        for r in rows[1:]:
            if r[borough] == "Synthboro":
                for i in months:
                    r[i] = "0"
        with open(tmp / "ward.csv", "w", newline="") as f:
            csv.writer(f).writerows(rows)
        raw["data"]["mps_ward"] = str(tmp / "ward.csv")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "mps_ward" and "every count for Synthboro" in msg and "is zero" in msg


def test_police_uk_files_of_another_force(boroughs, tmp_path):
    from sna.synthetic import write_police_uk_street

    def edit(raw, tmp):  # valid files, but no record in Synthboro (the loader only warned)
        write_police_uk_street(tmp / "pu", ["2026-01"], 50, area_name="Elsewhere")
        raw["data"]["police_uk"] = str(tmp / "pu")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "police_uk" and "no record" in msg and "Synthboro" in msg
