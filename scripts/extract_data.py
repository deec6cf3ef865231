"""Build the shipped Barnet extract in data/raw/ from ../shared/data/real/ (read-only).

Files are copied byte-for-byte where they are small; a few large ones are cut to what the
default config needs (Barnet + London comparators), always keeping the published format
(same columns, same header, same quirks). Re-run: ``python scripts/extract_data.py``.
"""

from __future__ import annotations

import csv
import gzip
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
PUB = ROOT.parent / "shared" / "data" / "barnet_published"
OUT = ROOT / "data" / "raw"
BARNET = "E09000003"

COPY = {
    "crime/mps_recorded_crime/MPS Ward Level Crime (most recent 24 months).csv": "mps/ward/",
    "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-ward-historical.parquet": "mps/ward/",
    "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-ward.parquet": "mps/ward/",
    "crime/mps_recorded_crime/MPS Borough Level Crime (most recent 24 months).csv": "mps/borough/",
    "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-borough.parquet": "mps/borough/",
    "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-borough-historical.parquet": "mps/borough/",
    "crime/mps_recorded_crime/parquet_fenneh/monthly-crime-dashboard.parquet": "mps/dashboard/",
    "crime/mps_recorded_crime/parquet_fenneh/homicide.parquet": "mps/homicide/",
    "crime/police_uk/2024-06-metropolitan-stop-and-search.csv": "police_uk/stop_search/",
    "boundaries/barnet_wards_2022.geojson": "boundaries/",
    "population/census2021/census2021-ts007a/census2021-ts007a-ltla.csv": "census/",
    "population/census2021/census2021-ts011/census2021-ts011-ltla.csv": "census/",
    "population/census2021/census2021-ts044/census2021-ts044-ltla.csv": "census/",
    "population/census2021/census2021-ts054/census2021-ts054-ltla.csv": "census/",
    "population/census2021/census2021-ts066/census2021-ts066-ltla.csv": "census/",
    "population/census2021/census2021-ts067/census2021-ts067-ltla.csv": "census/",
    "population/children_in_low_income_families_ward2022_FYE2023.csv": "population/",
    "lookups/lsoa21_to_ward22_bestfit_london.csv": "lookups/",
    "deprivation/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx": "imd/",
    "education/dfe_neet_16_17_la/UD_NEETNK_LA_dashboard_2022_final.csv": "dfe/neet/",
    "education/dfe_neet_16_17_la/UD_NEETNK_LA_dashboard_2023_final.csv": "dfe/neet/",
    "education/dfe_neet_16_17_la/UD_NEETNK_LA_dashboard_final_tp2024.csv": "dfe/neet/",
    "education/dfe_neet_16_17_la/UD_NEETNK_LA_dashboard_final_tp2025.csv": "dfe/neet/",
    "ambulance/ambulance-borough-monthly.xlsx": "ambulance/",
}
PARTNER = ["partner_indicators.csv", "interventions_register.csv", "cctv_incidents_by_ward.csv",
           "vvap_progress.csv", "data_sources.csv", "sna_components.csv"]


def _copy(src: Path, dest_dir: Path) -> None:
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest_dir / src.name)


def _filter_csv_lines(src: Path, dest: Path, keep, *, opener=open) -> None:
    """Copy the header and the lines for which ``keep(row)`` is true, bytes unchanged."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with opener(src, "rt", encoding="utf-8-sig", newline="") as f:
        lines = f.read().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    kept = [line for line in rows if keep(next(csv.reader([line])))]
    with opener(dest, "wt", encoding="utf-8", newline="") as f:
        f.write(header)
        f.writelines(kept)


def main() -> int:
    if not REAL.is_dir():
        print(f"{REAL} not found: this script needs ../shared beside the project.", file=sys.stderr)
        return 2
    for rel, dest in COPY.items():
        _copy(REAL / rel, OUT / dest)
    for name in PARTNER:
        _copy(PUB / name, OUT / "partner")
    lsoa = pd.read_csv(REAL / "lookups/lsoa21_to_ward22_bestfit_london.csv")
    barnet_wards = set(gpd.read_file(REAL / "boundaries/barnet_wards_2022.geojson")["WD22CD"])
    barnet_lsoa21 = set(lsoa.loc[lsoa["ward22cd"].isin(barnet_wards), "lsoa21cd"])
    # MPS LSOA-level crime: Barnet only (parquet re-distribution, same columns).
    d = pd.read_parquet(REAL / "crime/mps_recorded_crime/parquet_fenneh/recorded-crime-lsoa.parquet")
    (OUT / "mps/lsoa").mkdir(parents=True, exist_ok=True)
    d[d["borough"] == BARNET].to_parquet(OUT / "mps/lsoa/recorded-crime-lsoa.parquet", index=False)
    # Census LSOA tables: Barnet LSOAs (rows verbatim).
    for t in ("ts007a", "ts011"):
        src = REAL / f"population/census2021/census2021-{t}/census2021-{t}-lsoa-london.csv"
        _filter_csv_lines(src, OUT / f"census/census2021-{t}-lsoa-barnet.csv",
                          lambda r: len(r) > 2 and r[2] in barnet_lsoa21)
    # LSOA 2021 polygons: Barnet, as GeoPackage.
    g = gpd.read_file(REAL / "boundaries/london_lsoa_2021/london-2021-lsoa-gen20.shp")
    (OUT / "boundaries").mkdir(parents=True, exist_ok=True)
    g[g["LAD22CD"] == BARNET].to_file(OUT / "boundaries/barnet_lsoa_2021.gpkg", driver="GPKG")
    # IoD2019 File 1 and 2: London LSOAs (E09 LADs), gzip CSV as published.
    for name in ("File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
                 "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"):
        _filter_csv_lines(REAL / "deprivation" / name, OUT / "imd" / name,
                          lambda r: len(r) > 2 and r[2].startswith("E09"), opener=gzip.open)
    # LSOA11 -> ward22 weighted lookup: Barnet wards only.
    _filter_csv_lines(REAL / "lookups/LSOA_2011_London_Ward_2022_London_combined.csv",
                      OUT / "lookups/LSOA_2011_London_Ward_2022_barnet.csv",
                      lambda r: any(c in barnet_wards for c in r))
    # DfE LAIT: London LAs, regions and England (same columns).
    b = pd.read_parquet(REAL / "dfe_lait/bds_long_0.parquet")
    keep = b["Region"].isin(["Inner London", "Outer London"]) | b["LA and Regions"].isin(
        ["England", "London", "Inner London", "Outer London"])
    (OUT / "dfe/lait").mkdir(parents=True, exist_ok=True)
    b[keep].to_parquet(OUT / "dfe/lait/bds_long_london.parquet", index=False)
    # police.uk street files (burglary-only real files): Barnet LSOAs.
    for src in sorted((REAL / "crime/police_uk/burglary_only").glob("*.csv")):
        _filter_csv_lines(src, OUT / "police_uk/street" / src.name,
                          lambda r: len(r) > 8 and r[8].startswith("Barnet "))
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"data/raw: {total / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
