"""Every London borough out of the box: ``sna init <borough>`` writes ``config/<slug>.yaml``.

The borough is found by name or ONS code in ``data/london/boroughs.csv`` (the 32 boroughs of
the Metropolitan Police area, each with its Basic Command Unit). Its neighbours are computed
from the 2022 ward polygons of ``data/london/wards_2022_london.gpkg`` dissolved by borough:
boroughs sharing a land boundary of at least :data:`MIN_SHARED_M` metres (Rook contiguity, as
in libpysal; the Thames separates boroughs on opposite banks). Every open source of the
shipped London-wide data is written into the config; partner data are listed for the analyst.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sna.config import slugify
from sna.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
LONDON = ROOT / "data" / "london"
MIN_SHARED_M = 50.0
CITY = "E09000001"
_PREFIX = re.compile(r"^(the )?(royal |london )?borough of |^city of westminster$")


@dataclass(frozen=True)
class Borough:
    """A London borough as the MPS data name it."""

    code: str
    name: str
    bcu: str

    @property
    def slug(self) -> str:
        """Config file stem, e.g. ``kingston-upon-thames``."""
        return slugify(self.name)


def _key(text: str) -> str:
    """Case-, space- and '&'-insensitive form of a borough name ('LB of X' -> 'x')."""
    text = re.sub(r"\s+", " ", text.replace("&", " and ").replace("-", " ").lower()).strip()
    if text == "city of westminster":
        return "westminster"
    return _PREFIX.sub("", text).strip()


@lru_cache(maxsize=1)
def boroughs() -> tuple[Borough, ...]:
    """The 32 MPS boroughs of ``data/london/boroughs.csv`` in ONS code order."""
    frame = pd.read_csv(LONDON / "boroughs.csv", dtype=str)
    return tuple(Borough(r.code, r.name, r.bcu) for r in frame.itertuples())


def find_borough(text: str) -> Borough:
    """The borough named ``text`` (name, slug or ONS code; case/space-insensitive).

    Raises
    ------
    ConfigError
        For the City of London (policed by the City of London Police, not in the MPS data) or
        an unknown name; the message suggests the closest borough names (difflib).
    """
    wanted = _key(text)
    for b in boroughs():
        if wanted in (b.code.lower(), _key(b.name), b.slug.replace("-", " ")):
            return b
    prefixed = [b for b in boroughs() if wanted and _key(b.name).startswith(wanted + " ")]
    if len(prefixed) == 1:  # 'Richmond', 'Kingston', 'Barking'
        return prefixed[0]
    if wanted in ("city of london", "city", CITY.lower()):
        raise ConfigError("City of London (E09000001) is policed by the City of London Police "
                          "and is not in the Metropolitan Police data the workbook reads; "
                          "give one of the 32 MPS boroughs (sna init --list).")
    names = {_key(b.name): b.name for b in boroughs()}
    close = difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.5)
    hint = (f"Did you mean {', '.join(repr(names[c]) for c in close)}?" if close
            else "List them with `sna init --list`.")
    raise ConfigError(f"{text!r} is not a London borough name or ONS code (E09000002-"
                      f"E09000033). {hint}")


def bcu_members(borough: Borough) -> list[str]:
    """The boroughs of ``borough``'s BCU, itself first."""
    return [borough.name] + [b.name for b in boroughs()
                             if b.bcu == borough.bcu and b != borough]


@lru_cache(maxsize=1)
def borough_shapes() -> gpd.GeoDataFrame:
    """The 33 London authorities (index ``LAD22CD``): 2022 wards dissolved by borough."""
    wards = gpd.read_file(LONDON / "wards_2022_london.gpkg", columns=["LAD22CD"])
    return wards.dissolve("LAD22CD")


def neighbours(borough: Borough) -> list[str]:
    """MPS boroughs sharing a land boundary (>= MIN_SHARED_M metres) with ``borough``, A-Z.

    Computed from the 2022 ward polygons dissolved by borough; the City of London is left out
    (no MPS data).
    """
    shapes = borough_shapes()
    edge = shapes.loc[borough.code, "geometry"].boundary
    names = {b.code: b.name for b in boroughs()}
    shared = shapes.drop(index=[borough.code]).boundary.intersection(edge).length
    return sorted(names[c] for c, length in shared.items()
                  if length >= MIN_SHARED_M and c in names)


def _data_block(rel: str) -> str:
    """The ``data:`` entries of a generated config; ``rel`` is the repo root seen from it."""
    raw, ldn = f"{rel}/data/raw", f"{rel}/data/london"
    return f"""data:
  mps_ward:
    - {raw}/mps/ward/recorded-crime-ward-historical.parquet   # 2010-04 to 2024-02
    - {raw}/mps/ward/recorded-crime-ward.parquet              # 2024-02 to 2026-02
    - "{raw}/mps/ward/MPS Ward Level Crime (most recent 24 months).csv"
  mps_borough:
    - {raw}/mps/borough/recorded-crime-borough-historical.parquet
    - {raw}/mps/borough/recorded-crime-borough.parquet
    - "{raw}/mps/borough/MPS Borough Level Crime (most recent 24 months).csv"
  mps_lsoa: {ldn}/recorded-crime-lsoa-london.parquet
  knife_crime: {raw}/mps/dashboard/monthly-crime-dashboard.parquet
  homicide: {raw}/mps/homicide/homicide.parquet
  stop_search: {raw}/police_uk/stop_search/*.csv
  wards: {ldn}/wards_2022_london.gpkg          # all London, filtered to the area by LAD22CD
  lsoa: {ldn}/lsoa_2021_london.gpkg
  population:
    - {raw}/census/census2021-ts007a-ltla.csv
    - {ldn}/census2021-ts007a-lsoa-london.csv.gz
  census:
    - {raw}/census/census2021-ts011-ltla.csv
    - {ldn}/census2021-ts011-lsoa-london.csv.gz
    - {raw}/census/census2021-ts044-ltla.csv
    - {raw}/census/census2021-ts054-ltla.csv
    - {raw}/census/census2021-ts066-ltla.csv
    - {raw}/census/census2021-ts067-ltla.csv
  lookups:
    - {raw}/lookups/lsoa21_to_ward22_bestfit_london.csv
    - {ldn}/LSOA_2011_London_Ward_2022_London_2021.csv.gz
  imd:
    - {raw}/imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz
    - {raw}/imd/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz
    - {raw}/imd/File_1_IoD2025_Index_of_Multiple_Deprivation.xlsx
  clif: {raw}/population/children_in_low_income_families_ward2022_FYE2023.csv
  dfe_lait: {raw}/dfe/lait/bds_long_london.parquet
  neet: {raw}/dfe/neet/*.csv
  ambulance: {raw}/ambulance/ambulance-borough-monthly.xlsx
  csp_crime: {raw}/national/ons_csp_tableC2_headline_offences_ye_jun2025.csv
  comparators: {raw}/national/dfe_statistical_neighbours_sn_may_2025.xlsx
  # Partner data (add when shared; templates in data/templates/):
  # partner_indicators: ../data/partner/partner_indicators.csv
  # interventions: ../data/partner/interventions_register.csv
  # cctv: ../data/partner/cctv_incidents_by_ward.csv
  # police_records / ae_attendances: record-level extracts (only aggregates are published)
"""


def config_text(borough: Borough, config_dir: Path) -> str:
    """The YAML of ``borough``'s config written in ``config_dir`` (paths relative to it)."""
    rel = Path(os.path.relpath(ROOT, config_dir.resolve())).as_posix()
    flow = ", ".join
    rules = "recommendation_rules.yaml" if config_dir.resolve() == ROOT / "config" else \
        f"{rel}/config/recommendation_rules.yaml"
    return f"""# Serious Violence SNA - {borough.name} ({borough.code}).
# Written by `sna init {borough.slug}` from the shipped London-wide extract (data/london/).
# Paths are relative to this file. See README "Configuration" for every key.
area:
  name: {borough.name}
  code: {borough.code}
  bcu: [{flow(bcu_members(borough))}]    # MPS {borough.bcu} BCU
  neighbours: [{flow(neighbours(borough))}]    # boroughs sharing a boundary (2022 wards)
period: latest
{_data_block(rel)}disclosure:
  min_count: 5
recommendations: {rules}
plan: {rel}/data/london/implementation_plan.yaml   # empty: "to be agreed"; use your own plan
targets:
  serious_violence: -5
  violence_with_injury: -5
  personal_robbery: -5
  knife_crime_with_injury: -10
"""


NEXT_STEPS = """Next:
  sna run --config {path}
You can add (see README "Your own borough"):
  - partner data from data/templates/ (partner_indicators, interventions_register, cctv...)
    under data: in the config; record-level police/A&E extracts as police_records/ae_attendances
  - your partnership (partnership:), implementation plan (plan:) and evaluations
  - places (schools, stations) with data.places, and police.uk street crime (data.police_uk)"""


def init_borough(text: str, config_dir: Path, *, force: bool = False) -> Path:
    """Write ``config_dir/<slug>.yaml`` for the borough ``text``; return its path.

    Raises
    ------
    ConfigError
        Unknown borough (with suggestions) or the file exists and ``force`` is False.
    """
    borough = find_borough(text)
    path = Path(config_dir) / f"{borough.slug}.yaml"
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; nothing was written. Use --force to "
                          "overwrite it (your edits would be lost).")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(borough, path.parent), encoding="utf-8")
    return path


def init_all(config_dir: Path, *, force: bool = False) -> list[tuple[Path, bool]]:
    """Write the configs of all 32 boroughs in ``config_dir``: (path, written) per borough;
    an existing file is kept unless ``force``."""
    done = []
    for b in boroughs():
        path = Path(config_dir) / f"{b.slug}.yaml"
        keep = path.exists() and not force
        if not keep:
            init_borough(b.code, config_dir, force=True)
        done.append((path, not keep))
    return done
