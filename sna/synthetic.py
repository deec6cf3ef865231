"""Fictional boroughs written in exactly the real published formats (for tests and benchmarks).

:func:`write_borough` writes, under one folder, everything a minimal config needs:

* ``mps/mps-ward-level-crime.csv``: the MPS ward wide CSV (``MajorText, MinorText, WardName,
  WardCode, LookUp_BoroughName, YYYYMM...``) whose first month is near-empty, like the real
  "most recent 24 months" file, then ``n_months`` complete months ending at ``end_month``;
* ``mps/mps-borough-level-crime.csv``: the borough wide CSV (``BoroughName``), sums of the wards
  plus optional London-like comparator boroughs;
* ``boundaries/<slug>_wards_2022.geojson``: a grid of square wards (EPSG:4326, ``WD22CD``,
  ``WD22NM``, ``LAD22CD``, ``LAD22NM``), codes ``E059BBWWW``;
* ``census/census2021-ts007a-{ltla,lsoa}.csv``: Census TS007A age bands as published;
* ``lookups/lsoa21_to_ward22_bestfit.csv``: ``lsoa21cd, ward22cd, ward22nm``;
* ``<slug>.yaml``: one config per borough (area, data paths, ``disclosure.min_count: 5``).

Counts are Poisson with ward-level rates, mild seasonality and a planted hotspot cluster
(the central ward and its grid neighbours have 3x the violence rates). Everything is
deterministic for a given ``seed``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sna.config import slugify
from sna.periods import add_months, month_range

# (MajorText, MinorText, mean monthly count per ward): the categories of the real ward file
CATEGORIES: tuple[tuple[str, str, float], ...] = (
    ("ARSON AND CRIMINAL DAMAGE", "ARSON", 0.5),
    ("ARSON AND CRIMINAL DAMAGE", "CRIMINAL DAMAGE", 6.0),
    ("BURGLARY", "BURGLARY - RESIDENTIAL", 0.02),
    ("BURGLARY", "BURGLARY BUSINESS AND COMMUNITY", 2.0),
    ("BURGLARY", "RES BURGLARY OF A HOME", 6.0),
    ("BURGLARY", "RES BURGLARY OF UNCONNECTED BUILDING", 0.5),
    ("DRUG OFFENCES", "POSSESSION OF DRUGS", 4.0),
    ("DRUG OFFENCES", "TRAFFICKING OF DRUGS", 0.8),
    ("FRAUD AND FORGERY", "FRAUD AND FORGERY", 0.3),
    ("MISCELLANEOUS CRIMES AGAINST SOCIETY", "MISC CRIMES AGAINST SOCIETY", 1.5),
    ("NFIB FRAUD", "NFIB", 0.02),
    ("POSSESSION OF WEAPONS", "POSSESSION OF WEAPONS", 0.8),
    ("PUBLIC ORDER OFFENCES", "OTHER OFFENCES PUBLIC ORDER", 1.5),
    ("PUBLIC ORDER OFFENCES", "PUBLIC FEAR ALARM OR DISTRESS", 5.0),
    ("PUBLIC ORDER OFFENCES", "RACE OR RELIGIOUS AGG PUBLIC FEAR", 1.0),
    ("PUBLIC ORDER OFFENCES", "VIOLENT DISORDER", 0.1),
    ("ROBBERY", "ROBBERY OF BUSINESS PROPERTY", 0.4),
    ("ROBBERY", "ROBBERY OF PERSONAL PROPERTY", 4.0),
    ("SEXUAL OFFENCES", "OTHER SEXUAL OFFENCES", 1.5),
    ("SEXUAL OFFENCES", "RAPE", 1.0),
    ("THEFT", "BICYCLE THEFT", 2.0),
    ("THEFT", "OTHER THEFT", 18.0),
    ("THEFT", "SHOPLIFTING", 8.0),
    ("THEFT", "THEFT FROM THE PERSON", 5.0),
    ("VEHICLE OFFENCES", "AGGRAVATED VEHICLE TAKING", 0.1),
    ("VEHICLE OFFENCES", "INTERFERING WITH A MOTOR VEHICLE", 1.0),
    ("VEHICLE OFFENCES", "THEFT FROM A VEHICLE", 6.0),
    ("VEHICLE OFFENCES", "THEFT OR UNAUTH TAKING OF A MOTOR VEH", 4.0),
    ("VIOLENCE AGAINST THE PERSON", "DEATH SERIOUS INJURY ILLEGAL DRIVING", 0.02),
    ("VIOLENCE AGAINST THE PERSON", "HOMICIDE", 0.02),
    ("VIOLENCE AGAINST THE PERSON", "STALKING AND HARASSMENT", 9.0),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", 8.0),
    ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITHOUT INJURY", 12.0),
)
VIOLENT_MAJORS = ("VIOLENCE AGAINST THE PERSON", "ROBBERY", "POSSESSION OF WEAPONS",
                  "SEXUAL OFFENCES")
HOTSPOT_FACTOR = 3.0
PARTIAL_FIRST_MONTH = 0.0007  # the real file's first month: 47 offences vs ~74,000
AGE_BANDS = ("Aged 4 years and under", "Aged 5 to 9 years", "Aged 10 to 14 years",
             "Aged 15 to 19 years", "Aged 20 to 24 years", "Aged 25 to 29 years",
             "Aged 30 to 34 years", "Aged 35 to 39 years", "Aged 40 to 44 years",
             "Aged 45 to 49 years", "Aged 50 to 54 years", "Aged 55 to 59 years",
             "Aged 60 to 64 years", "Aged 65 to 69 years", "Aged 70 to 74 years",
             "Aged 75 to 79 years", "Aged 80 to 84 years", "Aged 85 years and over")
AGE_SHARES = np.array([6.5, 6.0, 6.0, 5.5, 6.5, 8.5, 9.5, 8.5, 7.5, 7.0, 6.5, 6.0, 5.0, 4.0,
                       3.5, 2.5, 1.8, 1.7])
_WARD_WORDS = (("Alder", "Beech", "Cedar", "Elm", "Hazel", "Larch", "Maple", "Oak", "Rowan",
                "Willow", "Ash", "Birch", "Holly", "Juniper", "Linden", "Poplar"),
               ("Green", "Park", "Vale", "Hill", "Common", "Cross", "End", "Fields", "Heath",
                "Wood"))
BOROUGH_NAMES = ("Synthboro", "Northwick", "Southmere", "Eastholm", "Westbury", "Highcombe",
                 "Lowfield", "Kingsmead", "Queensdale", "Brookhurst", "Ashgrove", "Millbrook",
                 "Stonebridge", "Fairhaven", "Oakridge", "Elmstead", "Redcliff", "Greyford",
                 "Larkhill", "Thornbury", "Wyvern", "Hollin", "Marston", "Calder", "Dunmore",
                 "Farleigh", "Garston", "Hartwell", "Ivybridge", "Kelmscott", "Langley",
                 "Moorgate")
CELL_M = 1500.0
LSOA_PER_WARD = 5


@dataclass(frozen=True)
class _Borough:
    """One synthetic borough: its names, codes and ward grid."""

    index: int
    name: str
    n_wards: int

    @property
    def code(self) -> str:
        return f"E0990{self.index + 1:04d}"

    @property
    def slug(self) -> str:
        return slugify(self.name)

    @property
    def ncols(self) -> int:
        return math.ceil(math.sqrt(self.n_wards))

    def ward_code(self, w: int) -> str:
        return f"E059{self.index:02d}{w + 1:03d}"

    def ward_name(self, w: int) -> str:
        """Unique across boroughs: 160 word pairs, then a number is added."""
        first, second = _WARD_WORDS
        g = self.index * self.n_wards + w
        extra = f" {g // 160 + 1}" if g >= 160 else ""
        return f"{first[g % 16]} {second[(g // 16) % 10]}{extra}"

    def lsoa(self, w: int, k: int) -> tuple[str, str]:
        code = f"E019{self.index:02d}{w * LSOA_PER_WARD + k + 1:03d}"
        return code, f"{self.name} {w + 1:03d}{'ABCDEFGH'[k]}"


def _hotspot(b: _Borough) -> set[int]:
    """Central ward of the grid and its rook neighbours."""
    centre = b.n_wards // 2
    r, c = divmod(centre, b.ncols)
    cells = {(r, c), (r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)}
    return {rr * b.ncols + cc for rr, cc in cells
            if 0 <= cc < b.ncols and 0 <= rr * b.ncols + cc < b.n_wards}


def _rates(b: _Borough, rng: np.random.Generator, months: list[str]) -> np.ndarray:
    """Poisson means, shape (wards, categories, months); the first month is partial."""
    base = np.array([c[2] for c in CATEGORIES])
    ward = rng.gamma(4.0, 0.25, size=b.n_wards)
    violent = np.array([c[0] in VIOLENT_MAJORS for c in CATEGORIES])
    hot = np.ones((b.n_wards, len(CATEGORIES)))
    for w in _hotspot(b):
        hot[w, violent] = HOTSPOT_FACTOR
    month_no = np.array([int(m[5:]) for m in months])
    season = 1 + 0.08 * np.sin(2 * np.pi * (month_no - 3) / 12)
    season[0] *= PARTIAL_FIRST_MONTH
    return ward[:, None, None] * base[None, :, None] * hot[:, :, None] * season[None, None, :]


def _ward_table(b: _Borough, rng: np.random.Generator, months: list[str]) -> pd.DataFrame:
    counts = rng.poisson(_rates(b, rng, months))
    n_cat = len(CATEGORIES)
    rows = {"MajorText": [c[0] for c in CATEGORIES] * b.n_wards,
            "MinorText": [c[1] for c in CATEGORIES] * b.n_wards,
            "WardName": np.repeat([b.ward_name(w) for w in range(b.n_wards)], n_cat),
            "WardCode": np.repeat([b.ward_code(w) for w in range(b.n_wards)], n_cat),
            "LookUp_BoroughName": b.name}
    frame = pd.DataFrame(rows)
    values = pd.DataFrame(counts.reshape(-1, len(months)), columns=[m.replace("-", "")
                                                                    for m in months])
    return pd.concat([frame, values], axis=1)


def _borough_table(wards: pd.DataFrame, comparators: int, rng: np.random.Generator,
                   months: list[str], n_wards: int) -> pd.DataFrame:
    cols = [m.replace("-", "") for m in months[1:]]
    out = (wards.groupby(["MajorText", "MinorText", "LookUp_BoroughName"], sort=False)[cols]
           .sum().reset_index().rename(columns={"LookUp_BoroughName": "BoroughName"}))
    base = np.array([c[2] for c in CATEGORIES]) * n_wards
    extra = []
    for k in range(comparators):
        lam = base[:, None] * rng.gamma(8.0, 1 / 8.0) * np.ones((1, len(cols)))
        frame = pd.DataFrame(rng.poisson(lam), columns=cols)
        frame.insert(0, "BoroughName", f"Comparator {k + 1:02d}")
        frame.insert(0, "MinorText", [c[1] for c in CATEGORIES])
        frame.insert(0, "MajorText", [c[0] for c in CATEGORIES])
        extra.append(frame)
    return pd.concat([out, *extra], ignore_index=True)


def _ward_geometry(b: _Borough) -> str:
    """GeoJSON (EPSG:4326) of the ward grid, placed in a London-like spot in EPSG:27700."""
    import geopandas as gpd
    from shapely.geometry import box

    x0 = 505000 + (b.index % 8) * (b.ncols + 1) * CELL_M
    y0 = 160000 + (b.index // 8) * (b.ncols + 1) * CELL_M
    cells = [divmod(w, b.ncols) for w in range(b.n_wards)]
    geoms = [box(x0 + c * CELL_M, y0 + r * CELL_M, x0 + (c + 1) * CELL_M,
                 y0 + (r + 1) * CELL_M) for r, c in cells]
    frame = gpd.GeoDataFrame({"LAD22CD": b.code, "LAD22NM": b.name,
                              "WD22CD": [b.ward_code(w) for w in range(b.n_wards)],
                              "WD22NM": [b.ward_name(w) for w in range(b.n_wards)]},
                             geometry=geoms, crs=27700).to_crs(4326)
    return frame.to_json(drop_id=True)


def _census(boroughs: list[_Borough], rng: np.random.Generator) -> tuple[pd.DataFrame, ...]:
    """TS007A LSOA and LTLA tables (LTLA = sum of its LSOAs) and the LSOA->ward lookup."""
    header = ["date", "geography", "geography code", "Age: Total",
              *[f"Age: {band}" for band in AGE_BANDS]]
    lsoa_rows, ltla_rows, lookup = [], [], []
    for b in boroughs:
        total = np.zeros(len(AGE_BANDS), dtype=np.int64)
        for w in range(b.n_wards):
            for k in range(LSOA_PER_WARD):
                code, name = b.lsoa(w, k)
                ages = rng.multinomial(int(rng.integers(1200, 2200)), AGE_SHARES / 100 /
                                       (AGE_SHARES / 100).sum())
                total += ages
                lsoa_rows.append([2021, name, code, int(ages.sum()), *ages.tolist()])
                lookup.append([code, b.ward_code(w), b.ward_name(w)])
        ltla_rows.append([2021, b.name, b.code, int(total.sum()), *total.tolist()])
    return (pd.DataFrame(lsoa_rows, columns=header), pd.DataFrame(ltla_rows, columns=header),
            pd.DataFrame(lookup, columns=["lsoa21cd", "ward22cd", "ward22nm"]))


PATHS = {"mps_ward": "mps/mps-ward-level-crime.csv",
         "mps_borough": "mps/mps-borough-level-crime.csv",
         "ltla": "census/census2021-ts007a-ltla.csv",
         "lsoa": "census/census2021-ts007a-lsoa.csv",
         "lookups": "lookups/lsoa21_to_ward22_bestfit.csv"}


def _config(folder: Path, b: _Borough, names: list[str]) -> Path:
    others = [n for n in names if n != b.name]
    cfg = {"area": {"name": b.name, "code": b.code, "bcu": [b.name, *others[:2]],
                    "neighbours": others[:5]},
           "period": "latest",
           "data": {"mps_ward": PATHS["mps_ward"], "mps_borough": PATHS["mps_borough"],
                    "wards": f"boundaries/{b.slug}_wards_2022.geojson",
                    "population": [PATHS["ltla"], PATHS["lsoa"]],
                    "lookups": PATHS["lookups"]},
           "disclosure": {"min_count": 5}}
    path = folder / f"{b.slug}.yaml"
    path.write_text(f"# Synthetic borough {b.name} (fictional data, sna.synthetic)\n"
                    + yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _write_all(folder: Path, names: Sequence[str], seed: int, n_wards: int, n_months: int,
               end_month: str, n_comparators: int) -> list[Path]:
    folder = Path(folder)
    for sub in ("mps", "boundaries", "census", "lookups"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    months = month_range(add_months(end_month, -n_months), end_month)
    boroughs = [_Borough(i, name, n_wards) for i, name in enumerate(names)]
    wards = pd.concat([_ward_table(b, rng, months) for b in boroughs], ignore_index=True)
    wards.to_csv(folder / PATHS["mps_ward"], index=False)
    _borough_table(wards, n_comparators, rng, months, n_wards).to_csv(
        folder / PATHS["mps_borough"], index=False)
    lsoa, ltla, lookup = _census(boroughs, rng)
    lsoa.to_csv(folder / PATHS["lsoa"], index=False)
    ltla.to_csv(folder / PATHS["ltla"], index=False)
    lookup.to_csv(folder / PATHS["lookups"], index=False)
    for b in boroughs:
        (folder / f"boundaries/{b.slug}_wards_2022.geojson").write_text(_ward_geometry(b))
    return [_config(folder, b, list(names)) for b in boroughs]


def write_borough(folder: str | Path, *, seed: int = 0, n_wards: int = 18, n_months: int = 36,
                  end_month: str = "2026-03", boroughs: Sequence[str] = ("Synthboro",),
                  n_comparators: int = 0) -> Path:
    """Write one or several fictional boroughs in the real formats; return the first config.

    Parameters
    ----------
    folder : path
        Output folder (created). Every borough gets ``<slug>.yaml`` there.
    seed : int
        Random seed: the same seed writes byte-identical files.
    n_wards : int
        Wards per borough (1 to 999), laid out as a square-ish grid.
    n_months : int
        Complete months ending at ``end_month``; the ward file has one more, near-empty,
        month before them (like the published file).
    boroughs : sequence of str
        Borough names (``BOROUGH_NAMES`` has 32 fictional ones).
    n_comparators : int
        Extra London-like boroughs present in the borough-level file only.
    """
    if not 1 <= n_wards <= 999 or n_months < 2 or not boroughs:
        raise ValueError("write_borough: need 1-999 wards, >= 2 months and a borough name")
    return _write_all(Path(folder), list(boroughs), seed, n_wards, n_months, end_month,
                      n_comparators)[0]


def write_many_boroughs(folder: str | Path, n: int = 32, *, seed: int = 0, n_wards: int = 18,
                        n_months: int = 36, end_month: str = "2026-03") -> list[Path]:
    """Write ``n`` fictional boroughs (shared data files, one config each); return configs."""
    names = list(BOROUGH_NAMES[:n]) + [f"Synthboro {k:03d}" for k in range(len(BOROUGH_NAMES),
                                                                           n)]
    return _write_all(Path(folder), names, seed, n_wards, n_months, end_month, 0)


# --- police.uk street-level files (benchmarks) -----------------------------------------------

STREET_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
                 "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
                 "Context"]
CRIME_TYPES = ("Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
               "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
               "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
               "Violence and sexual offences")
CRIME_SHARES = np.array([30, 2, 5, 5, 3, 1, 10, 1, 6, 3, 5, 5, 8, 16], dtype=float)
OUTCOMES = ("Investigation complete; no suspect identified", "Under investigation",
            "Unable to prosecute suspect", "Awaiting court outcome", "Local resolution",
            "Status update unavailable", "Offender given a caution")
STREETS = ("High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Lane",
           "Victoria Road", "Green Lane", "Manor Way", "Kings Road", "Queens Walk",
           "Supermarket", "Parking Area", "Petrol Station", "Nightclub", "Sports/Recreation Area")
OTHER_AREAS = ("Northwick", "Southmere", "Eastholm", "Westbury", "Highcombe", "Lowfield",
               "Kingsmead", "Queensdale", "Brookhurst", "Ashgrove", "Millbrook", "Stonebridge")


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = np.array(list("0123456789abcdef"))
    return digits[rng.integers(0, 16, size=(n, 64))].view("<U64").ravel()


def _street_month(month: str, n: int, rng: np.random.Generator, area_name: str,
                  area_share: float) -> pd.DataFrame:
    crime = np.array(CRIME_TYPES)[rng.choice(len(CRIME_TYPES), n, p=CRIME_SHARES /
                                             CRIME_SHARES.sum())]
    asb = crime == "Anti-social behaviour"
    in_area = rng.random(n) < area_share
    places = np.where(in_area, area_name, np.array(OTHER_AREAS)[rng.integers(0, 12, n)])
    lsoa_no = rng.integers(1, 40, n)
    letters = np.array(list("ABCDE"))[rng.integers(0, 5, n)]
    names = pd.Series(places).str.cat([pd.Series(lsoa_no).map("{:03d}".format) + letters],
                                      sep=" ")
    codes = pd.Series(rng.integers(0, 5000, n)).map("E0190{:04d}".format)
    no_loc = rng.random(n) < 0.01
    lon = np.round(rng.uniform(-0.5, 0.3, n), 6).astype(str)
    lat = np.round(rng.uniform(51.3, 51.7, n), 6).astype(str)
    force = "Metropolitan Police Service"
    return pd.DataFrame({
        "Crime ID": np.where(asb, "", _hex_ids(rng, n)), "Month": month, "Reported by": force,
        "Falls within": force, "Longitude": np.where(no_loc, "", lon),
        "Latitude": np.where(no_loc, "", lat),
        "Location": np.where(no_loc, "No Location", "On or near ")
        + np.where(no_loc, "", np.array(STREETS)[rng.integers(0, len(STREETS), n)]),
        "LSOA code": np.where(no_loc, "", codes), "LSOA name": np.where(no_loc, "", names),
        "Crime type": crime,
        "Last outcome category": np.where(asb, "", np.array(OUTCOMES)[rng.integers(0, 7, n)]),
        "Context": ""})


def _write_plain_csv(frame: pd.DataFrame, path: Path) -> None:
    """Fast CSV writer (pyarrow) in the police.uk style: no quotes, empty cells empty."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(frame.replace("", None), preserve_index=False)
    with open(path, "wb") as handle:
        handle.write((",".join(frame.columns) + "\n").encode("utf-8"))
        pacsv.write_csv(table, handle, write_options=pacsv.WriteOptions(
            include_header=False, quoting_style="none"))


def write_police_uk_street(folder: str | Path, months: Sequence[str], rows_per_month: int,
                           seed: int = 0, *, area_name: str = "Synthboro",
                           area_share: float = 0.1, force: str = "metropolitan") -> list[Path]:
    """Write police.uk-like ``YYYY-MM-<force>-street.csv`` files (12 real columns).

    ``area_share`` of rows have an LSOA name ``'<area_name> NNNX'``; about 30% are
    anti-social behaviour (empty Crime ID and outcome) and 1% have no location.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for month in months:
        path = folder / f"{month}-{force}-street.csv"
        _write_plain_csv(_street_month(month, rows_per_month, rng, area_name, area_share), path)
        paths.append(path)
    return paths
