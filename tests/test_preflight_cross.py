"""Pre-flight across sources: inputs that are each valid but do not describe the same area
stop the run before anything is written (exit 2), naming the key, the file and the fix."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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


# --- optional sources given by area name, LSOA or coordinates --------------------------------
def _ward_points(folder, slug) -> list[tuple[float, float]]:
    """(latitude, longitude) of a point inside each ward of a synthetic borough."""
    import geopandas as gpd

    wards = gpd.read_file(folder / "boundaries" / f"{slug}_wards_2022.geojson")
    pts = wards.to_crs(27700).geometry.representative_point().to_crs(4326)
    return [(p.y, p.x) for p in pts]


def _write_lait(path, area: str) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Short Desc", "Data item", "Years", "LA and Regions", "LA Number", "Region",
                    "Values"])
        w.writerows([["FTE", "First time entrants", "2024", area, "999", "Outer London", "150"],
                     ["FTE", "", "2024", "London", "", "", "120"]])


def _write_neet(path, rows: list[tuple[str, str]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time_period", "time_identifier", "geographic_level", "country_code",
                    "country_name", "region_code", "region_name", "new_la_code", "la_name",
                    "NEET_not_known_percent"])
        w.writerows(["2024", "Academic year", "Local authority", "E92000001", "England",
                     "E12000007", "London", code, name, "4.1"] for code, name in rows)


def _write_ambulance(path, boroughs: list[tuple[str, str]]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "All Assaults Borough"
    ws.append(["Code", "Borough", "Jun 2015", "Jul 2015"])
    for code, name in boroughs:
        ws.append([code, name, 30, 31])
    wb.save(path)


def _write_imd(path, lsoas: list[str], lad: str) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["LSOA code (2021)", "Local Authority District code (2024)",
                    "Index of Multiple Deprivation (IMD) Rank",
                    "Index of Multiple Deprivation (IMD) Decile"])
        w.writerows([c, lad, str(1000 + i), str(1 + i % 10)] for i, c in enumerate(lsoas))


def _write_stops(path, points: list[tuple[float, float]]) -> None:
    from sna.io.police_uk import STOP

    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(STOP))
        for lat, lon in points:
            row = dict.fromkeys(STOP, "")
            row.update({"Date": "2026-01-10T10:00:00+00:00", "Type": "Person search",
                        "Latitude": f"{lat:.6f}", "Longitude": f"{lon:.6f}", "Gender": "Male",
                        "Outcome": "Arrest", "Outcome linked to object of search": "False",
                        "Removal of more than just outer clothing": "False"})
            w.writerow(list(row.values()))


def _lsoas(folder) -> dict[str, list[str]]:
    """LSOA codes of the synthetic lookup by borough slug (through the wards' geojson)."""
    out = {}
    for slug in ("synthboro", "otherboro"):
        gj = json.loads((folder / "boundaries" / f"{slug}_wards_2022.geojson").read_text())
        wards = {f["properties"]["WD22CD"] for f in gj["features"]}
        rows = csv.DictReader((folder / "lookups" / "lsoa21_to_ward22_bestfit.csv").open())
        out[slug] = [r["lsoa21cd"] for r in rows if r["ward22cd"] in wards]
    return out


def _codes(folder) -> dict[str, str]:
    return {s: yaml.safe_load((folder / f"{s}.yaml").read_text())["area"]["code"]
            for s in ("synthboro", "otherboro")}


def _optional_inputs(folder, tmp, area: str) -> dict[str, str]:
    """The five optional sources written for ``area`` (synthboro or otherboro)."""
    names = {"synthboro": "Synthboro", "otherboro": "Otherboro"}
    code = _codes(folder)[area]
    _write_lait(tmp / f"lait_{area}.csv", names[area])
    _write_neet(tmp / f"neet_{area}.csv", [(code, names[area])])
    _write_ambulance(tmp / f"las_{area}.xlsx", [(code, names[area])])
    _write_imd(tmp / f"imd_{area}.csv", _lsoas(folder)[area], code)
    _write_stops(tmp / f"stops_{area}.csv", _ward_points(folder, area))
    return {"dfe_lait": f"lait_{area}.csv", "neet": f"neet_{area}.csv",
            "ambulance": f"las_{area}.xlsx", "imd": f"imd_{area}.csv",
            "stop_search": f"stops_{area}.csv"}


OPTIONAL = ("dfe_lait", "neet", "ambulance", "imd", "stop_search")


def test_optional_sources_for_the_area_pass(boroughs, tmp_path):
    folder, cfg = boroughs
    files = _optional_inputs(folder, tmp_path, "synthboro")

    def edit(raw, tmp):
        raw["data"].update({k: str(tmp / v) for k, v in files.items()})
    reports = check_sources(load_config(_variant(boroughs, tmp_path, edit)))
    assert first_error(reports) is None
    assert {r.key for r in reports} >= set(OPTIONAL)


FIX = {"dfe_lait": ("has no rows for area.name 'Synthboro'", "Closest names: 'Otherboro'",
                    "This file is for 'London', 'Otherboro'", "remove data.dfe_lait"),
       "neet": ("has no rows for area.name 'Synthboro'", "'la_name'", "remove data.neet"),
       "ambulance": ("has no rows for area.name 'Synthboro'", "Closest names: 'Otherboro'",
                     "remove data.ambulance"),
       "imd": ("{n} of the {n} LSOAs of Synthboro", "no IoD2025 rank (imd)",
               "remove it from data.imd"),
       "stop_search": ("none of the 4 stops with a location is inside the wards of Synthboro",
                       "remove data.stop_search")}


@pytest.mark.parametrize("key", OPTIONAL)
def test_optional_source_of_another_area_stops_the_run(boroughs, tmp_path, capsys, key):
    """The file of another borough (each valid on its own): exit 2 before anything is written,
    naming the key, the file and the fix (the old code ran and published)."""
    folder, cfg = boroughs
    mine = _optional_inputs(folder, tmp_path, "synthboro")
    other = _optional_inputs(folder, tmp_path, "otherboro")

    def edit(raw, tmp):
        raw["data"].update({k: str(tmp / v) for k, v in mine.items()})
        raw["data"][key] = str(tmp / other[key])
    path = _variant(boroughs, tmp_path, edit)
    bad, msg = _error(path)
    assert bad == key and other[key] in msg
    n = len(_lsoas(folder)["synthboro"])
    for text in FIX[key]:
        assert text.format(n=n) in msg
    out = tmp_path / "out"
    assert main(["run", "--config", path, "--out", str(out), "--chapters", "07"]) == 2
    err = capsys.readouterr().err
    assert f"data.{key}" in err and other[key] in err
    assert not out.exists() or not any(out.rglob("*.html"))


def test_neet_names_the_area_code_spelled_otherwise(boroughs, tmp_path):
    folder, cfg = boroughs
    code = _codes(folder)["synthboro"]

    def edit(raw, tmp):
        _write_neet(tmp / "neet.csv", [(code, "Synth Borough"), ("E09900099", "Elsewhere")])
        raw["data"]["neet"] = str(tmp / "neet.csv")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "neet" and f"calls area.code {code} 'Synth Borough'" in msg
    assert "Closest names: 'Synth Borough'" in msg


def test_imd_missing_some_lsoas_names_them(boroughs, tmp_path):
    folder, cfg = boroughs
    lsoas = _lsoas(folder)
    code = _codes(folder)["synthboro"]
    dropped = sorted(lsoas["synthboro"])[-1]

    def edit(raw, tmp):
        keep = [c for c in lsoas["synthboro"] + lsoas["otherboro"] if c != dropped]
        _write_imd(tmp / "imd.csv", keep, code)
        raw["data"]["imd"] = str(tmp / "imd.csv")
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    n = len(lsoas["synthboro"])
    assert key == "imd" and f"1 of the {n} LSOAs of Synthboro (LSOA 2021 codes: {dropped})" in msg


def test_imd_without_area_lsoas_checks_the_authority_code(boroughs, tmp_path):
    """No lookup: the area's LSOAs are unknown, so its authority code must be in the file."""
    folder, cfg = boroughs
    codes = _codes(folder)

    def edit(raw, tmp):
        _write_imd(tmp / "imd.csv", _lsoas(folder)["otherboro"], codes["otherboro"])
        raw["data"]["imd"] = str(tmp / "imd.csv")
        del raw["data"]["lookups"]
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "imd" and f"area.code {codes['synthboro']}" in msg
    assert codes["otherboro"] in msg and "imd.csv" in msg


# --- the shipped London/England files, which have no Synthboro, stop the run; a copy naming
# the area passes (the MPS and MOPAC loaders accept London boroughs only: for them the shipped
# Barnet config, run by the report tests, is the passing case) ------------------------------
RAW = Path(__file__).resolve().parents[1] / "data" / "raw"


def _renamed_text(src, dest, old: str, new: str) -> None:
    dest.write_bytes(src.read_bytes().replace(old.encode(), new.encode()))


def _neighbours(dest, name: str) -> None:
    dest.write_text("la_num,la_name,sn_rank,sn_la_num,sn_la_name\n"
                    f"999,{name},1,998,Otherboro\n998,Otherboro,1,999,{name}\n")


SHIPPED = {  # key: (shipped file, writes the copy naming Synthboro, what the message says)
    "mps_dashboard": (RAW / "mps" / "dashboard" / "monthly-crime-dashboard.parquet", None,
                      ("has no rows for area.name 'Synthboro'", "remove data.mps_dashboard")),
    "vawg": (RAW / "mps" / "vawg" / "vawg-offences_location_2021-01_to_2026-02.parquet", None,
             ("has no rows for area.name 'Synthboro'", "remove data.vawg")),
    "public_attitudes": (RAW / "mopac" / "PAS_Dashboard_Borough.csv", None,
                         ("has no rows for area.name 'Synthboro'",
                          "remove data.public_attitudes")),
    "comparators": (RAW / "national" / "dfe_statistical_neighbours_sn_may_2025.xlsx",
                    lambda s, d, c: _neighbours(d.with_suffix(".csv"), "Synthboro"),
                    ("has no rows for area.name 'Synthboro'", "'la_name'",
                     "DfE statistical neighbours workbook", "remove data.comparators")),
    "csp_crime": (RAW / "national" / "ons_csp_tableC2_headline_offences_ye_jun2025.csv",
                  lambda s, d, c: _renamed_text(s, d, "E09000003", c),
                  ("has no row for area.code {code}", "Fix area.code", "remove data.csp_crime")),
    "census": (RAW / "census" / "census2021-ts011-ltla.csv",
               lambda s, d, c: _renamed_text(s, d, "E09000003", c),
               ("the TS011 table has no row for area.code {code}",
                "remove it from data.census")),
}


def _copy_path(tmp, src):
    return tmp / ("copy.csv" if src.suffix == ".xlsx" else f"copy{src.suffix}")


@pytest.mark.parametrize("key", list(SHIPPED))
def test_shipped_file_without_the_area(boroughs, tmp_path, key):
    folder, cfg = boroughs
    src, rename, texts = SHIPPED[key]
    if not src.exists():
        pytest.skip(f"{src.name} not shipped")
    code = _codes(folder)["synthboro"]

    def good(raw, tmp):
        rename(src, tmp / f"copy{src.suffix}", code)
        raw["data"][key] = str(_copy_path(tmp, src))
    if rename is not None:
        good_cfg = load_config(_variant(boroughs, tmp_path, good))
        assert first_error(check_sources(good_cfg)) is None

    def bad(raw, tmp):
        raw["data"][key] = str(src)
    got, msg = _error(_variant(boroughs, tmp_path, bad))
    assert got == key and src.name in msg
    for text in texts:
        assert text.format(code=code) in msg


def test_census_lsoa_file_of_another_borough(boroughs, tmp_path):
    """The shipped Barnet LSOA table has none of Synthboro's LSOAs."""
    folder, cfg = boroughs
    src = RAW / "census" / "census2021-ts011-lsoa-barnet.csv"
    n = len(_lsoas(folder)["synthboro"])

    def edit(raw, tmp):
        raw["data"]["census"] = str(src)
    key, msg = _error(_variant(boroughs, tmp_path, edit))
    assert key == "census" and src.name in msg
    assert f"the TS011 table has no row for {n} of the {n} LSOAs of Synthboro" in msg


@pytest.mark.parametrize("code, stops", [("E07000107", False), ("E09000003", True)])
def test_csp_table_district_of_a_combined_csp_is_not_refused(boroughs, tmp_path, code, stops):
    """A district (E07) may be part of a combined CSP with no row of its own (the chapter says
    so); a London borough always has one."""
    from sna.report import crosscheck_sources

    def edit(raw, tmp):
        raw["area"]["code"] = code
    cfg = load_config(_variant(boroughs, tmp_path, edit))
    facts = {"csp_crime": {"codes": {"E22000352": "Dartford and Gravesham",
                                     "E09000002": "Barking and Dagenham"}}}
    found = crosscheck_sources.problems(cfg, facts, [])
    assert [k for k, _ in found] == (["csp_crime"] if stops else [])
