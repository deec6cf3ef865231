"""Boundary and lookup loaders: real shipped files, format variants and bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from sna.config import Source
from sna.errors import EmptyDataError, GeometryError, SchemaError
from sna.io.boundaries import load_lsoa, load_wards
from sna.io.common import LoadContext
from sna.io.lookups import load_lookups

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
SHARED = ROOT.parent / "shared" / "data" / "real"
WARDS_2022 = RAW / "boundaries" / "barnet_wards_2022.geojson"
CTX = LoadContext("Barnet", "E09000003")


def src(key: str, path: Path | str, **options) -> Source:
    return Source(key, Path(path).resolve(), tuple(sorted(options.items())))


def needs_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not present (../shared absent)")
    return path


@pytest.fixture(scope="module")
def barnet_wards() -> gpd.GeoDataFrame:
    return gpd.read_file(WARDS_2022)


X0, Y0 = 520_000, 190_000  # somewhere in Barnet, British National Grid metres


def bng_box(x: float, y: float, x2: float, y2: float) -> Polygon:
    return box(X0 + x, Y0 + y, X0 + x2, Y0 + y2)


def bng_polygon(points) -> Polygon:
    return Polygon([(X0 + x, Y0 + y) for x, y in points])


def _ward_frame(geoms, codes=None, lad="E09000003", crs="EPSG:27700") -> gpd.GeoDataFrame:
    codes = codes or [f"E0501{3628 + i:04d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"WD22CD": codes, "WD22NM": [f"Ward {c[-2:]}" for c in codes],
                             "LAD22CD": lad}, geometry=list(geoms), crs=crs)


# --------------------------------------------------------------------------- real files
def test_barnet_wards_2022_reprojected_to_bng():
    loaded = load_wards((src("wards", WARDS_2022),), CTX)
    frame = loaded.frame
    assert list(frame.columns) == ["ward_code", "ward_name", "geometry"]
    assert len(frame) == 24 and frame["ward_code"].is_unique
    assert frame.crs.to_epsg() == 27700
    assert frame.area.sum() / 1e6 == pytest.approx(86.79, abs=0.05)
    assert "Totteridge & Woodside" in set(frame["ward_name"])
    assert loaded.meta["files"][0]["crs"] == "EPSG:4326"


def test_barnet_lsoa_2021_gpkg():
    frame = load_lsoa((src("lsoa", RAW / "boundaries" / "barnet_lsoa_2021.gpkg"),), CTX).frame
    assert list(frame.columns) == ["lsoa_code", "lsoa_name", "geometry"]
    assert len(frame) == 220 and frame["lsoa_code"].str.startswith("E01").all()


def test_london_lsoa_2011_filtered_to_barnet():
    path = needs_shared(SHARED / "boundaries/london_lsoa_2011/london-2011-lsoa-gen20.shp")
    loaded = load_lsoa((src("lsoa", path),), CTX)
    assert len(loaded.frame) == 211
    assert "kept 211 of 4835" in loaded.meta["warnings"][0]


def test_2014_shapefile_without_usable_crs_needs_option():
    path = needs_shared(SHARED / "boundaries/london_wards_2014/London_Ward_CityMerged.shp")
    with pytest.raises(GeometryError) as exc:
        load_wards((src("wards", path),), CTX)
    msg = str(exc.value)
    assert "London_Ward_CityMerged.shp" in msg and 'crs: "EPSG:27700"' in msg
    frame = load_wards((src("wards", path, crs="EPSG:27700"),), CTX).frame
    assert len(frame) == 21  # Barnet's 2014 wards (GSS_CODE/NAME, filtered on LB_GSS_CD)
    assert frame.crs.to_epsg() == 27700


def test_folder_of_one_ward_geojsons(tmp_path, barnet_wards):
    folder = tmp_path / "wards"
    folder.mkdir()
    for _, row in barnet_wards.iterrows():
        one = gpd.GeoDataFrame([row], crs=barnet_wards.crs)
        one.to_file(folder / f"{row['WD22CD']}.geojson", driver="GeoJSON")
    (folder / "readme.txt").write_text("not a boundary")  # ignored in a folder
    frame = load_wards((src("wards", folder),), CTX).frame
    assert len(frame) == 24 and frame.crs.to_epsg() == 27700
    # the same files given as one Source each (a glob in the config)
    files = tuple(src("wards", p) for p in sorted(folder.glob("*.geojson")))
    loaded = load_wards(files, CTX)
    assert len(loaded.frame) == 24 and len(loaded.meta["files"]) == 24


def test_folder_of_geojson_lines_files(tmp_path):
    """The Open Innovations layout: one GeoJSON-lines feature per ward file."""
    collection = json.loads(WARDS_2022.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        code = feature["properties"]["WD22CD"]
        (tmp_path / f"{code}.geojsonl").write_text(json.dumps(feature) + "\n", encoding="utf-8")
    frame = load_wards((src("wards", tmp_path),), CTX).frame
    assert len(frame) == 24 and frame["ward_code"].iloc[0] == "E05013628"


def test_zipped_shapefile(tmp_path, barnet_wards):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    barnet_wards.to_crs(27700).to_file(shp_dir / "wards.shp")
    archive = shutil.make_archive(str(tmp_path / "wards"), "zip", shp_dir)
    frame = load_wards((src("wards", archive),), CTX).frame
    assert len(frame) == 24
    assert frame.area.sum() / 1e6 == pytest.approx(86.79, abs=0.05)


def test_repairable_invalid_geometry_is_fixed_with_warning(tmp_path):
    bowtie = bng_polygon([(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)])
    path = tmp_path / "w.gpkg"
    _ward_frame([bowtie, bng_box(20, 0, 30, 10)]).to_file(path)
    loaded = load_wards((src("wards", path),), CTX)
    assert loaded.frame.is_valid.all()
    assert any("repaired" in w for w in loaded.meta["warnings"])


def test_id_and_name_field_options(tmp_path):
    frame = _ward_frame([bng_box(0, 0, 10, 10)]).rename(columns={"WD22CD": "CODE_X",
                                                              "WD22NM": "LABEL"})
    path = tmp_path / "w.gpkg"
    frame.to_file(path)
    out = load_wards((src("wards", path, id_field="CODE_X", name_field="LABEL"),), CTX).frame
    assert out.loc[0, "ward_code"] == "E05013628" and out.loc[0, "ward_name"] == "Ward 28"


def test_lookups_real_files():
    sources = (src("lookups", RAW / "lookups" / "lsoa21_to_ward22_bestfit_london.csv"),
               src("lookups", RAW / "lookups" / "LSOA_2011_London_Ward_2022_barnet.csv"))
    loaded = load_lookups(sources, CTX)
    frame = loaded.frame
    assert list(frame.columns) == ["lsoa_code", "lsoa_year", "ward_code", "ward_name", "weight",
                                   "ward_year"]
    best = frame[frame["lsoa_year"] == 2021]
    assert len(best) == 4994 and (best["weight"] == 1.0).all()
    barnet = best[best["ward_code"].between("E05013628", "E05013651")]
    assert barnet["lsoa_code"].nunique() == 220 and barnet["ward_code"].nunique() == 24
    weighted = frame[frame["lsoa_year"] == 2011]
    assert weighted["lsoa_code"].nunique() == 211  # 2 zero-weight LSOAs dropped
    assert weighted["ward_name"].notna().all()  # names filled from the best-fit file
    assert loaded.meta["files"][1]["weights_year"] == 2021
    assert set(frame["ward_year"]) == {2022}


def test_ward_to_lad_lookup_goes_to_meta():
    path = needs_shared(SHARED / "lookups/Ward_to_Local_Authority_District_(December_2023)"
                        "_Lookup_in_the_United_Kingdom.csv")
    loaded = load_lookups((src("lookups", path),), CTX)
    assert loaded.frame.empty
    rows = loaded.meta["ward_lad"]
    assert len(rows) == 24 and rows[0]["ward_name"] == "Barnet Vale"  # ' WardName' header
    json.dumps(loaded.meta)


def test_ons_lsoa21_wd25_lookup():
    path = needs_shared(SHARED / "lookups/LSOA21_to_WD25_to_LAD25_bestfit_london.csv")
    frame = load_lookups((src("lookups", path),), CTX).frame
    assert len(frame) == 4994 and set(frame["ward_year"]) == {2025}
    assert frame["ward_name"].notna().all()


# --------------------------------------------------------------------------- bad inputs
def _csv_as_boundary(tmp: Path) -> tuple:
    path = tmp / "wards.csv"
    path.write_text("WD22CD,WD22NM\nE05013628,Barnet Vale\n")
    return (src("wards", path),), ["wards.csv", "is not a spatial file"]


def _no_crs(tmp: Path) -> tuple:
    path = tmp / "wards.shp"
    _ward_frame([bng_box(0, 0, 10, 10)]).to_file(path)
    path.with_suffix(".prj").unlink()
    return (src("wards", path),), ["wards.shp", "no coordinate reference system",
                                   'crs: "EPSG:27700"']


def _empty_geometry(tmp: Path) -> tuple:
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 10, 10), Polygon()]).to_file(path)
    return (src("wards", path),), ["w.gpkg", "feature 2", "E05013629", "empty geometry"]


def _unrepairable(tmp: Path) -> tuple:
    flat = bng_polygon([(0, 0), (5, 5), (10, 10), (0, 0)])  # zero area: nothing polygonal left
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 10, 10), flat]).to_file(path)
    return (src("wards", path),), ["feature 2", "E05013629", "cannot be repaired"]


def _duplicated_codes(tmp: Path) -> tuple:
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 1, 1), bng_box(2, 0, 3, 1)], codes=["E05013628"] * 2).to_file(path)
    return (src("wards", path),), ["w.gpkg", "E05013628", "appears 2 times"]


def _not_ward_codes(tmp: Path) -> tuple:
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 1, 1)], codes=["E01000115"]).to_file(path)
    return (src("wards", path),), ["row 1", "E01000115", "not a ward code"]


def _other_borough(tmp: Path) -> tuple:
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 1, 1)], lad="E09000005").to_file(path)
    return (src("wards", path),), ["w.gpkg", "Barnet", "E09000003", "E09000005"]


def _degrees_declared_bng(tmp: Path) -> tuple:
    path = tmp / "w.geojson"
    _ward_frame([box(-0.2, 51.6, -0.1, 51.65)], crs="EPSG:4326").to_file(path)
    return (src("wards", path, crs="EPSG:27700"),), ["w.geojson", "longitude/latitude"]


def _no_features(tmp: Path) -> tuple:
    path = tmp / "w.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    return (src("wards", path),), ["w.geojson"]


def _no_id_column(tmp: Path) -> tuple:
    path = tmp / "w.gpkg"
    _ward_frame([bng_box(0, 0, 1, 1)]).rename(columns={"WD22CD": "X", "WD22NM": "Y"}).to_file(path)
    return (src("wards", path),), ["w.gpkg", "id_field"]


def _lookup_weights(tmp: Path) -> tuple:
    path = tmp / "lookup.csv"
    path.write_text("LSOA11CD,GSS_CODE,year,weight\nE01000115,E05013629,2021,0.8\n"
                    "E01000115,E05013630,2021,0.6\nE01000116,E05013629,2021,1\n")
    return (src("lookups", path),), ["lookup.csv", "E01000115", "sum to 1.400"]


def _lookup_bad_code(tmp: Path) -> tuple:
    path = tmp / "lookup.csv"
    path.write_text("lsoa21cd,ward22cd,ward22nm\nE01000115,E05013629,A\nE0100011,E05013629,A\n")
    return (src("lookups", path),), ["lookup.csv", "row 3", "'lsoa21cd'", "E0100011"]


def _lookup_unknown(tmp: Path) -> tuple:
    path = tmp / "lookup.csv"
    path.write_text("code,name\nE01000115,x\n")
    return (src("lookups", path),), ["lookup.csv", "not a recognised lookup"]


BAD = [
    ("csv-as-boundary", _csv_as_boundary, load_wards, GeometryError),
    ("no-crs", _no_crs, load_wards, GeometryError),
    ("empty-geometry", _empty_geometry, load_wards, GeometryError),
    ("invalid-beyond-repair", _unrepairable, load_wards, GeometryError),
    ("duplicated-ward-codes", _duplicated_codes, load_wards, GeometryError),
    ("lsoa-codes-as-wards", _not_ward_codes, load_wards, GeometryError),
    ("wards-of-another-borough", _other_borough, load_wards, GeometryError),
    ("degrees-declared-bng", _degrees_declared_bng, load_wards, GeometryError),
    ("no-features", _no_features, load_wards, EmptyDataError),
    ("no-id-column", _no_id_column, load_wards, SchemaError),
    ("lookup-weights-over-1", _lookup_weights, load_lookups, SchemaError),
    ("lookup-bad-lsoa-code", _lookup_bad_code, load_lookups, SchemaError),
    ("lookup-unknown-columns", _lookup_unknown, load_lookups, SchemaError),
]


@pytest.mark.parametrize(("make", "loader", "error"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_bad_boundary_inputs(tmp_path, make, loader, error):
    sources, expected = make(tmp_path)
    with pytest.raises(error) as exc:
        loader(sources, CTX)
    assert type(exc.value) is error
    for text in expected:
        assert text in str(exc.value)
