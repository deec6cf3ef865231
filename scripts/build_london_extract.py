"""Build the London-wide extract in data/london/ from ../shared/data/real/ (read-only).

``data/raw/`` already holds the London-wide files every borough shares (MPS ward and borough
crime, the dashboards, IoD, the LSOA 2021 -> ward 2022 best-fit lookup, DWP children in low
income families, DfE, ambulance, national tables): they are NOT copied again. This script adds
only what ``data/raw/`` holds for Barnet alone:

* ``wards_2022_london.gpkg``: the 704 London wards of Dec 2022 (ONS generalised), four
  attribute columns, geometry unchanged (no simplification).
* ``lsoa_2021_london.gpkg``: the 4,994 London LSOAs 2021 (ONS 20 m generalised), simplified
  as one coverage (``shapely.coverage_simplify``, tolerance ``LSOA_TOLERANCE_M`` metres, no
  gaps or overlaps created) to keep the file small.
* ``census2021-ts007a-lsoa-london.csv.gz``, ``census2021-ts011-lsoa-london.csv.gz``: the
  London LSOA bulk tables, rows and header verbatim, gzip-compressed.
* ``LSOA_2011_London_Ward_2022_London_2021.csv.gz``: the GLA population-weighted LSOA 2011 ->
  ward 2022 lookup cut to its latest year (2021; the loader uses only the latest year).
* ``recorded-crime-lsoa-london.parquet``: MPS LSOA-level crime, all London, copied.
* ``boroughs.csv``: the 32 MPS boroughs (ONS code, name as in MPS data, BCU), see
  PROVENANCE.md beside it for the BCU source.

Run ``python scripts/build_london_extract.py`` from the repository root (not run by the build).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
OUT = ROOT / "data" / "london"
LSOA_TOLERANCE_M = 8.0

# MPS Basic Command Units (12, since 2018-19): Metropolitan Police, "Basic Command Units"
# (met.police.uk, "Your area" pages). Borough names as spelt in the MPS crime files.
BCUS = {
    "Central North": ["Camden", "Islington"],
    "Central South": ["Lambeth", "Southwark"],
    "Central West": ["Hammersmith and Fulham", "Kensington and Chelsea", "Westminster"],
    "Central East": ["Hackney", "Tower Hamlets"],
    "East": ["Barking and Dagenham", "Havering", "Redbridge"],
    "North": ["Enfield", "Haringey"],
    "North East": ["Newham", "Waltham Forest"],
    "North West": ["Barnet", "Brent", "Harrow"],
    "South": ["Bromley", "Croydon", "Sutton"],
    "South East": ["Bexley", "Greenwich", "Lewisham"],
    "South West": ["Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth"],
    "West": ["Ealing", "Hillingdon", "Hounslow"],
}


def _gzip(src: Path, dest: Path) -> None:
    with open(src, "rb") as fin, open(dest, "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fout:
        shutil.copyfileobj(fin, fout)


def wards() -> gpd.GeoDataFrame:
    """The 704 London wards, four attributes, geometry as published."""
    src = REAL / "boundaries/london_wards_2022/london_wards_2022_bgc.shp"
    frame = gpd.read_file(src)[["WD22CD", "WD22NM", "LAD22CD", "LAD22NM", "geometry"]]
    frame.to_file(OUT / "wards_2022_london.gpkg", driver="GPKG", layer="wards")
    return frame


def lsoa() -> None:
    """London LSOAs 2021, coverage-simplified (shared edges stay shared)."""
    frame = gpd.read_file(REAL / "boundaries/london_lsoa_2021/london-2021-lsoa-gen20.shp")
    frame = frame[["LSOA21CD", "LSOA21NM", "LAD22CD", "geometry"]]
    simple = shapely.coverage_simplify(frame.geometry.values, LSOA_TOLERANCE_M)
    frame = frame.set_geometry(gpd.GeoSeries(simple, crs=frame.crs, index=frame.index))
    frame.to_file(OUT / "lsoa_2021_london.gpkg", driver="GPKG", layer="lsoa")


def tables() -> None:
    """Census LSOA tables, the weighted lookup's latest year and MPS LSOA crime."""
    pop = REAL / "population/census2021"
    _gzip(pop / "census2021-ts007a/census2021-ts007a-lsoa-london.csv",
          OUT / "census2021-ts007a-lsoa-london.csv.gz")
    _gzip(pop / "census2021-ts011/census2021-ts011-lsoa-london.csv",
          OUT / "census2021-ts011-lsoa-london.csv.gz")
    look = pd.read_csv(REAL / "lookups/LSOA_2011_London_Ward_2022_London_combined.csv",
                       dtype=str)
    latest = look[look["year"] == look["year"].astype(int).max().astype(str)]
    latest.to_csv(OUT / "LSOA_2011_London_Ward_2022_London_2021.csv.gz", index=False,
                  compression={"method": "gzip", "mtime": 0})
    shutil.copyfile(REAL / "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-lsoa.parquet",
                    OUT / "recorded-crime-lsoa-london.parquet")


def boroughs(ward_frame: gpd.GeoDataFrame) -> None:
    """The 32 MPS boroughs with ONS code and BCU (the City of London is not policed by MPS)."""
    codes = ward_frame.drop_duplicates("LAD22CD").set_index("LAD22NM")["LAD22CD"]
    codes.index = codes.index.str.replace("&", "and")
    rows = [{"code": codes[name], "name": name, "bcu": bcu}
            for bcu, names in BCUS.items() for name in names]
    pd.DataFrame(rows).sort_values("code").to_csv(OUT / "boroughs.csv", index=False)


def main() -> None:
    """Write every file of data/london/ (PROVENANCE.md is kept by hand)."""
    OUT.mkdir(parents=True, exist_ok=True)
    ward_frame = wards()
    lsoa()
    tables()
    boroughs(ward_frame)


if __name__ == "__main__":
    main()
