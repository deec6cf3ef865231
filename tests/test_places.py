"""Places: the loader on the shipped extracts and damaged copies, lat/lon conversion against
the published grid references, points per LSOA and the association (planted and null)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna import places
from sna.config import Source
from sna.errors import SchemaError
from sna.io.places import load_places

PLACES = "data/raw/places"


def _load(*items):
    return load_places(tuple(Source("places", Path(p), (("kind", k),)) for p, k in items), None)


def test_shipped_extracts(root):
    d = root / PLACES
    got = _load((d / "schools_barnet_2016.csv", "schools"),
                (d / "naptan_rail_stations_barnet.csv", "rail"),
                (d / "tfl_stations_barnet.csv", "tfl"),
                (d / "tfl_bus_stops_barnet.csv", "bus"))
    n = got.frame["kind"].value_counts()
    # PROVENANCE: 171 Barnet schools of which 7 closed; 5 rail and 13 TfL stations
    assert n["schools"] == 164 and n["rail"] == 5 and n["tfl"] == 13
    bus = pd.read_csv(d / "tfl_bus_stops_barnet.csv", dtype=str)
    assert n["bus"] == (bus["Virtual_Bus_Stop"] != "1").sum()
    assert any("closed or virtual" in w for w in got.meta["warnings"])
    assert "Mill Hill Broadway Rail Station" in set(got.frame["name"])


def test_lat_lon_converted_to_published_grid(root, tmp_path):
    schools = pd.read_csv(root / PLACES / "schools_barnet_2016.csv", dtype=str)
    ll = schools[["SCHOOL_NAM", "latitude", "longitude"]]
    ll.to_csv(tmp_path / "ll.csv", index=False)
    got = _load((tmp_path / "ll.csv", "schools")).frame
    # the GLA file gives both; its grid references are whole metres and its lat/lon came
    # from some datum transformation (Helmert-type ones differ from OSTN15 by a few metres)
    de = np.abs(got["easting"] - schools["EASTING"].astype(float))
    dn = np.abs(got["northing"] - schools["NORTHING"].astype(float))
    assert de.max() < 10 and dn.max() < 10 and np.median(np.hypot(de, dn)) < 5


@pytest.mark.parametrize("text, needle", [
    ("name,easting,northing\nA,521939,188148\nB,five,188148\n",
     "p.csv, row 3, column 'easting': value 'five'"),
    ("name,postcode\nA,NW9 7DG\n", "p.csv: no coordinate columns"),
    ("name,lat,lon\nA,-0.24,51.57\nB,151.2,-0.2\n", "row 3, column 'lat': value '151.2'"),
], ids=["text-easting", "no-coordinates", "swapped-lat-lon"])
def test_bad_places_file(tmp_path, text, needle):
    p = tmp_path / "p.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        _load((p, "x"))
    assert needle in str(err.value)


def test_places_per_lsoa_hand_made():
    import geopandas as gpd
    from shapely.geometry import box

    poly = gpd.GeoDataFrame({"lsoa_code": ["L1", "L2", "L3"]}, crs="EPSG:27700",
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)])
    pts = pd.DataFrame({"kind": ["a", "a", "b", "a"], "easting": [1, 2, 15, 99],
                        "northing": [1, 2, 5, 5]})
    got = places.places_per_lsoa(pts, poly)
    assert got.loc["L1"].to_dict() == {"a": 2, "b": 0} and got.loc["L3"].sum() == 0


def _areas(rr: float, seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    pop = rng.integers(1200, 2500, n).astype(float)
    has = rng.random(n) < 0.4
    mu = 0.006 * pop * np.where(has, rr, 1.0) * rng.gamma(5, 1 / 5, n)  # overdispersed
    return rng.poisson(mu), pop, has.astype(int)


def test_association_finds_planted_ratio():
    res = places.association(*_areas(2.0, 1))
    assert res["lower95"] < 2.0 < res["upper95"] and res["lower95"] > 1
    assert res["spearman_rho"] > 0 and res["lsoas_with"] + res["lsoas_without"] == 300


def test_association_null_coverage():
    covered = [(lambda r: r["lower95"] <= 1 <= r["upper95"])(places.association(*_areas(1.0, s)))
               for s in range(60)]
    assert np.mean(covered) >= 0.88  # nominal 95%; quasi-Poisson keeps it near
