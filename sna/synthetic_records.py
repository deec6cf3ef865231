"""Synthetic record-level partner extracts in the template formats (ARCHITECTURE 8.2).

For tests, the demonstration run (``make demo``) and benchmarks. Deterministic by seed, with
the patterns analysts expect: evening and weekend peaks, young victims over-represented, a
domestic-abuse share, repeat victims and repeat places, and missing fields. Every identifier
starts with ``SYN`` so that a leak of record-level values into outputs can be searched for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OFFENCES = {  # MPS minor category -> share of records (serious violence and a little else)
    "VIOLENCE WITH INJURY": 0.50, "ROBBERY OF PERSONAL PROPERTY": 0.12,
    "POSSESSION OF WEAPONS": 0.06, "RAPE": 0.05, "OTHER SEXUAL OFFENCES": 0.07,
    "HOMICIDE": 0.002, "VIOLENCE WITHOUT INJURY": 0.198,
}
LOCATIONS = ("dwelling", "street", "licensed premises", "public transport", "school",
             "shop", "park", "other")
_HOUR_WEIGHTS = np.array([5, 4, 3, 2, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 9, 9, 8,
                          7], float)
_DAY_WEIGHTS = np.array([0.9, 0.9, 0.95, 1.0, 1.2, 1.45, 1.3])  # Monday..Sunday
_AGE_BANDS = [(10, 17, 0.14), (18, 24, 0.26), (25, 34, 0.25), (35, 44, 0.16), (45, 54, 0.1),
              (55, 64, 0.06), (65, 90, 0.03)]


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    w = np.array([b[2] for b in _AGE_BANDS])
    band = rng.choice(len(_AGE_BANDS), size=n, p=w / w.sum())
    lo = np.array([b[0] for b in _AGE_BANDS])[band]
    hi = np.array([b[1] for b in _AGE_BANDS])[band]
    return rng.integers(lo, hi + 1)


def _times(rng: np.random.Generator, n: int, start: str, end: str) -> pd.DatetimeIndex:
    days = pd.date_range(start, end, freq="D")
    dw = _DAY_WEIGHTS[days.dayofweek.to_numpy()]
    day = days[rng.choice(len(days), size=n, p=dw / dw.sum())]
    hour = rng.choice(24, size=n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    minute = rng.integers(0, 60, size=n)
    return day + pd.to_timedelta(hour, "h") + pd.to_timedelta(minute, "min")


def police_records(n: int, *, seed: int, start: str, end: str, ward_codes: list[str],
                   lsoa_codes: list[str], centre: tuple[float, float] = (524000, 191000),
                   spread: float = 2500.0) -> pd.DataFrame:
    """``n`` synthetic records in the ``police_records`` template (text columns).

    About 30% domestic abuse, 8% knife, 1% gun; 15% of victims appear in two or more crimes;
    10% of committed times are dates only; some ages, sexes and ethnicities blank.
    """
    rng = np.random.default_rng(seed)
    offences = np.array(list(OFFENCES))
    share = np.array(list(OFFENCES.values()))
    off = rng.choice(offences, size=n, p=share / share.sum())
    committed = _times(rng, n, start, end)
    lag = rng.integers(0, 4, size=n)
    recorded = pd.Series(committed.normalize() + pd.to_timedelta(lag, "D")).clip(
        upper=pd.Timestamp(end))
    committed_text = committed.strftime("%Y-%m-%d %H:%M").to_numpy().astype(object)
    date_only = rng.random(n) < 0.10
    committed_text[date_only] = committed[date_only].strftime("%Y-%m-%d")
    n_victims = max(1, int(n * 0.85))
    victim = rng.integers(0, n_victims, size=n)
    flags = np.where(rng.random(n) < 0.30, "DA", "")
    knife = rng.random(n) < 0.08
    flags = np.where(knife, np.where(flags == "", "KNIFE", flags + ";KNIFE"), flags)
    gun = rng.random(n) < 0.01
    flags = np.where(gun, np.where(flags == "", "GUN", flags + ";GUN"), flags)
    place = rng.integers(0, len(lsoa_codes), size=n)
    east = centre[0] + rng.normal(0, spread, n)
    north = centre[1] + rng.normal(0, spread, n)
    frame = pd.DataFrame({
        "crime_ref": [f"SYNCR{seed:03d}{i:08d}" for i in range(n)],
        "recorded_date": recorded.dt.strftime("%Y-%m-%d").to_numpy(),
        "committed_from": committed_text,
        "offence": off,
        "flags": flags,
        "location_type": rng.choice(LOCATIONS, size=n),
        "ward_code": np.array(ward_codes)[place % len(ward_codes)],
        "lsoa_code": np.array(lsoa_codes)[place],
        "easting": np.round(east).astype(int).astype(str),
        "northing": np.round(north).astype(int).astype(str),
        "victim_id": [f"SYNV{seed:03d}{v:07d}" for v in victim],
        "victim_age": _ages(rng, n).astype(str),
        "victim_sex": rng.choice(["M", "F", "X", ""], size=n, p=[0.55, 0.42, 0.005, 0.025]),
        "victim_ethnicity": rng.choice(["White", "Asian", "Black", "Mixed", "Other", ""],
                                       size=n, p=[0.5, 0.17, 0.12, 0.06, 0.06, 0.09]),
        "suspect_id": [f"SYNS{seed:03d}{v:07d}" for v in rng.integers(0, n, size=n)],
        "suspect_age": _ages(rng, n).astype(str),
        "suspect_sex": rng.choice(["M", "F", ""], size=n, p=[0.8, 0.15, 0.05]),
        "suspect_ethnicity": rng.choice(["White", "Asian", "Black", "Mixed", "Other", ""],
                                        size=n, p=[0.45, 0.15, 0.15, 0.07, 0.05, 0.13]),
    })
    blank_age = rng.random(n) < 0.04
    frame.loc[blank_age, "victim_age"] = ""
    # the same crime with a second victim now and then
    frame = frame.drop_duplicates(["crime_ref", "victim_id"])
    return frame


def ae_attendances(n: int, *, seed: int, start: str, end: str,
                   lsoa_codes: list[str]) -> pd.DataFrame:
    """``n`` synthetic A&E assault attendances in the ``ae_attendances`` template."""
    rng = np.random.default_rng(seed)
    when = _times(rng, n, start, end)
    return pd.DataFrame({
        "attended": when.strftime("%Y-%m-%d %H:%M"),
        "age": _ages(rng, n).astype(str),
        "sex": rng.choice(["M", "F", ""], size=n, p=[0.66, 0.32, 0.02]),
        "location_type": rng.choice(LOCATIONS, size=n),
        "mechanism": rng.choice(["sharp object", "blunt object", "bodily force", "firearm",
                                 "other", "unknown"], size=n,
                                p=[0.12, 0.15, 0.55, 0.005, 0.075, 0.1]),
        "incident_lsoa": np.where(rng.random(n) < 0.3, "",
                                  np.array(lsoa_codes)[rng.integers(0, len(lsoa_codes), n)]),
    })


def _points_in(polygons: Any, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``n`` points inside the polygons (GeoDataFrame), clustered around three centres, with
    the index of the polygon holding each point."""
    from shapely import contains_xy

    minx, miny, maxx, maxy = polygons.total_bounds
    centres = rng.uniform([minx, miny], [maxx, maxy], size=(3, 2))
    xs, ys, idx = [], [], []
    while sum(len(x) for x in xs) < n:
        k = 4 * n
        pick = rng.random(k) < 0.5
        c = centres[rng.integers(0, 3, k)]
        x = np.where(pick, c[:, 0] + rng.normal(0, 600, k), rng.uniform(minx, maxx, k))
        y = np.where(pick, c[:, 1] + rng.normal(0, 600, k), rng.uniform(miny, maxy, k))
        where = np.full(k, -1)
        for i, geom in enumerate(polygons.geometry):
            where[(where < 0) & contains_xy(geom, x, y)] = i
        keep = where >= 0
        xs.append(x[keep])
        ys.append(y[keep])
        idx.append(where[keep])
    return (np.concatenate(xs)[:n], np.concatenate(ys)[:n], np.concatenate(idx)[:n])


def write_demo(config: str | Path, folder: str | Path, *, seed: int = 2026,
               n_police: int = 12000, n_ae: int = 4000) -> tuple[Path, Path]:
    """Synthetic extracts for the area of ``config`` (its wards, LSOAs and boundary), for the
    demonstration run (``make demo``): the two template files in ``folder``."""
    from sna import data as sna_data
    from sna import periods
    from sna.config import load_config

    cfg = load_config(config)
    wards = sna_data.load(cfg, "wards").frame.reset_index(drop=True)
    look = sna_data.load(cfg, "lookups").frame
    look = look[look["ward_code"].isin(wards["ward_code"])]
    last = max(sna_data.load_meta(cfg, "mps_ward")["months"])
    start = periods.add_months(last, -23) + "-01"
    end = (pd.Timestamp(last + "-01") + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
    rng = np.random.default_rng(seed)
    pol = police_records(n_police, seed=seed, start=start, end=end,
                         ward_codes=list(wards["ward_code"]),
                         lsoa_codes=sorted(look["lsoa_code"].unique()))
    x, y, w = _points_in(wards, len(pol), rng)
    pol["easting"], pol["northing"] = np.round(x).astype(int), np.round(y).astype(int)
    pol["ward_code"] = wards["ward_code"].to_numpy()[w]
    by_ward = look.groupby("ward_code")["lsoa_code"].apply(list)
    pol["lsoa_code"] = [by_ward[c][rng.integers(0, len(by_ward[c]))] if c in by_ward else ""
                        for c in pol["ward_code"]]
    ae = ae_attendances(n_ae, seed=seed + 1, start=start, end=end,
                        lsoa_codes=sorted(look["lsoa_code"].unique()))
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    p1, p2 = folder / "police_records.csv", folder / "ae_attendances.csv"
    pol.to_csv(p1, index=False, lineterminator="\n")
    ae.to_csv(p2, index=False, lineterminator="\n")
    return p1, p2


if __name__ == "__main__":  # python -m sna.synthetic_records CONFIG FOLDER
    import sys

    for written in write_demo(sys.argv[1], sys.argv[2]):
        print(written)
