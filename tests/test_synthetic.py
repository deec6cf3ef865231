"""Synthetic boroughs: determinism, real formats, and loading through the real loaders."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from sna.config import Source, load_config
from sna.io.common import LoadContext
from sna.io.mps import load_mps_borough, load_mps_ward
from sna.io.police_uk import assign_to_wards, load_police_uk
from sna.periods import month_range
from sna.synthetic import (
    CATEGORIES,
    HOTSPOT_FACTOR,
    write_borough,
    write_many_boroughs,
    write_police_uk_street,
)

ROOT = Path(__file__).resolve().parents[1]
REAL_WARD_CSV = ROOT / "data/raw/mps/ward/MPS Ward Level Crime (most recent 24 months).csv"
REAL_TS007A = ROOT / "data/raw/census/census2021-ts007a-ltla.csv"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_boroughs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    return write_borough(folder, seed=3, n_wards=12, n_months=24,
                         boroughs=("Synthboro", "Northwick"), n_comparators=2)


def test_deterministic_by_seed(tmp_path):
    a = write_borough(tmp_path / "a", seed=7, n_wards=6, n_months=6).parent
    b = write_borough(tmp_path / "b", seed=7, n_wards=6, n_months=6).parent
    c = write_borough(tmp_path / "c", seed=8, n_wards=6, n_months=6).parent
    assert _files(a) == _files(b)
    fa, fc = _files(a), _files(c)
    assert fa.keys() == fc.keys()
    assert fa["mps/mps-ward-level-crime.csv"] != fc["mps/mps-ward-level-crime.csv"]


def test_same_headers_and_categories_as_real_files(two_boroughs):
    folder = two_boroughs.parent
    ward = pd.read_csv(folder / "mps/mps-ward-level-crime.csv", dtype=str)
    real = pd.read_csv(REAL_WARD_CSV, dtype=str, nrows=2000)
    assert list(ward.columns[:5]) == list(real.columns[:5])
    real_all = pd.read_csv(REAL_WARD_CSV, usecols=["MajorText", "MinorText"])
    assert set(map(tuple, real_all.drop_duplicates().to_numpy())) == {c[:2] for c in CATEGORIES}
    ts007 = pd.read_csv(folder / "census/census2021-ts007a-ltla.csv", nrows=1)
    assert list(ts007.columns) == list(pd.read_csv(REAL_TS007A, nrows=1).columns)
    lookup = pd.read_csv(folder / "lookups/lsoa21_to_ward22_bestfit.csv")
    assert list(lookup.columns) == ["lsoa21cd", "ward22cd", "ward22nm"]
    borough = pd.read_csv(folder / "mps/mps-borough-level-crime.csv", nrows=1)
    assert list(borough.columns[:3]) == ["MajorText", "MinorText", "BoroughName"]


def test_config_and_loaders(two_boroughs):
    cfg = load_config(two_boroughs)
    assert cfg.area.name == "Synthboro" and cfg.area.code == "E09900001"
    assert cfg.min_count == 5 and cfg.area.neighbours == ("Northwick",)
    assert all(cfg.has(k) for k in ("mps_ward", "mps_borough", "wards", "population",
                                     "lookups"))
    assert len(cfg.files("population")) == 2
    ctx = LoadContext(cfg.area.name, cfg.area.code)
    ward = load_mps_ward(cfg.files("mps_ward"), ctx)
    assert ward.meta["months"] == month_range("2024-04", "2026-03")
    assert [d["month"] for d in ward.meta["incomplete_months"]] == ["2024-03"]
    frame = ward.frame
    assert frame.groupby("borough")["area_code"].nunique().to_dict() == {"Synthboro": 12,
                                                                          "Northwick": 12}
    borough = load_mps_borough(cfg.files("mps_borough"), ctx)
    assert set(borough.frame["borough"]) == {"Synthboro", "Northwick", "Comparator 01",
                                             "Comparator 02"}
    # the borough file is the sum of the ward file
    by_ward = frame.groupby(["borough", "minor", "month"])["count"].sum()
    by_borough = borough.frame.set_index(["borough", "minor", "month"])["count"]
    assert by_ward.eq(by_borough.reindex(by_ward.index)).all()
    assert load_config(two_boroughs.parent / "northwick.yaml").area.code == "E09900002"


def test_ward_polygons(two_boroughs):
    folder = two_boroughs.parent
    gdf = gpd.read_file(folder / "boundaries/synthboro_wards_2022.geojson")
    assert gdf.crs.to_epsg() == 4326 and len(gdf) == 12
    assert {"WD22CD", "WD22NM", "LAD22CD", "LAD22NM"} <= set(gdf.columns)
    assert gdf["WD22CD"].tolist()[0] == "E05900001" and gdf["WD22CD"].is_unique
    metric = gdf.to_crs(27700)
    assert metric.is_valid.all() and metric.area.round().eq(1500 * 1500).all()
    other = gpd.read_file(folder / "boundaries/northwick_wards_2022.geojson").to_crs(27700)
    assert not metric.union_all().intersects(other.union_all().buffer(-1))
    assert not set(gdf["WD22NM"]) & set(other["WD22NM"])
    lookup = pd.read_csv(folder / "lookups/lsoa21_to_ward22_bestfit.csv")
    assert set(lookup["ward22cd"]) >= set(gdf["WD22CD"])


def test_planted_hotspot(two_boroughs):
    cfg = load_config(two_boroughs)
    frame = load_mps_ward(cfg.files("mps_ward"), LoadContext("Synthboro", "E09900001")).frame
    syn = frame[(frame["borough"] == "Synthboro") & (frame["major"] == "ROBBERY")]
    by_ward = syn.groupby("area_code")["count"].sum().sort_values(ascending=False)
    # 12 wards on a 4x3 grid: the centre ward (index 6 -> E05900007) and its neighbours
    hot = {"E05900007", "E05900003", "E05900011", "E05900006", "E05900008"}
    assert set(by_ward.index[:2]) <= hot
    assert by_ward[list(hot)].mean() > 1.5 * by_ward.drop(list(hot)).mean()
    assert HOTSPOT_FACTOR > 1


def test_population_files(two_boroughs):
    folder = two_boroughs.parent
    ltla = pd.read_csv(folder / "census/census2021-ts007a-ltla.csv")
    lsoa = pd.read_csv(folder / "census/census2021-ts007a-lsoa.csv")
    assert ltla["geography"].tolist() == ["Synthboro", "Northwick"]
    assert ltla["Age: Total"].sum() == lsoa["Age: Total"].sum()
    bands = [c for c in lsoa.columns if c.startswith("Age: Aged")]
    assert (lsoa[bands].sum(axis=1) == lsoa["Age: Total"]).all()
    assert lsoa["geography"].str.match(r"^(Synthboro|Northwick) \d{3}[A-H]$").all()


def test_write_many_boroughs(tmp_path):
    configs = write_many_boroughs(tmp_path, n=32, n_wards=4, n_months=3)
    assert len(configs) == 32 and len({c.name for c in configs}) == 32
    codes = {load_config(c).area.code for c in configs}
    assert len(codes) == 32
    ward = pd.read_csv(tmp_path / "mps/mps-ward-level-crime.csv", usecols=["WardCode",
                                                                         "WardName"])
    assert ward["WardCode"].nunique() == 32 * 4 and ward["WardName"].nunique() == 32 * 4
    assert len(json.loads((tmp_path / "boundaries/synthboro_wards_2022.geojson").read_text())
               ["features"]) == 4


def test_police_uk_street_files_load(tmp_path):
    paths = write_police_uk_street(tmp_path, ["2025-01", "2025-02"], 2000, seed=1)
    assert [p.name for p in paths] == ["2025-01-metropolitan-street.csv",
                                       "2025-02-metropolitan-street.csv"]
    header = paths[0].read_text().splitlines()[0]
    assert header == ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
                      "LSOA code,LSOA name,Crime type,Last outcome category,Context")
    loaded = load_police_uk((Source("police_uk", tmp_path),),
                            LoadContext("Synthboro", "E09900001"))
    assert 300 < len(loaded.frame) < 500  # ~10% of 4,000 rows
    assert loaded.meta["months"] == ["2025-01", "2025-02"]
    assert loaded.frame["lsoa_name"].str.startswith("Synthboro ").all()
    asb = loaded.frame["crime_type"] == "Anti-social behaviour"
    assert loaded.frame.loc[asb, "crime_id"].isna().all()
    assert loaded.frame.loc[~asb, "crime_id"].str.fullmatch(r"[0-9a-f]{64}").all()
    again = write_police_uk_street(tmp_path / "again", ["2025-01"], 2000, seed=1)
    assert again[0].read_bytes() == paths[0].read_bytes()


def test_synthetic_points_fall_in_synthetic_wards(two_boroughs):
    gdf = gpd.read_file(two_boroughs.parent / "boundaries/synthboro_wards_2022.geojson")
    wards = gdf.rename(columns={"WD22CD": "ward_code", "WD22NM": "ward_name"})
    centres = wards.to_crs(27700).geometry.centroid.to_crs(4326)
    frame = pd.DataFrame({"latitude": centres.y, "longitude": centres.x})
    assert assign_to_wards(frame, wards)["ward_code"].tolist() == wards["ward_code"].tolist()
