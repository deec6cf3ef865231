"""Who and when from record-level extracts: every published cell is an independent count from
the raw extract, small cells are hidden, and no record-level value leaves the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sna import people
from sna.config import Source
from sna.io.records import load_police_records
from sna.synthetic_records import police_records

WARDS = [f"E050136{i:02d}" for i in range(28, 52)]
LSOAS = [f"E0100{i:04d}" for i in range(100, 311)]
SV_OFFENCES = {"VIOLENCE WITH INJURY", "ROBBERY OF PERSONAL PROPERTY", "POSSESSION OF WEAPONS",
               "RAPE", "OTHER SEXUAL OFFENCES", "HOMICIDE"}


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    raw = police_records(3000, seed=913, start="2025-01-01", end="2026-03-31",
                         ward_codes=WARDS, lsoa_codes=LSOAS)
    path = tmp_path_factory.mktemp("rec") / "police.csv"
    raw.to_csv(path, index=False)
    loaded = load_police_records((Source("police_records", path),), None).frame
    return pd.read_csv(path, dtype=str, keep_default_na=False), loaded


def _raw_sv_window(raw):
    """The 12 months to 2026-03, serious violence only, straight from the text file."""
    month = raw["recorded_date"].str[:7]
    return raw[(month >= "2025-04") & (month <= "2026-03") & raw["offence"].isin(SV_OFFENCES)]


def test_age_sex_counts_equal_independent_counts(extract):
    raw, loaded = extract
    sv_raw = _raw_sv_window(raw)
    table = people.victims_by_age_sex(people.sv_window(loaded, "2026-03"),
                                      pd.Series(1000.0, index=[b[0] for b in people.AGE_BANDS]))
    age = pd.to_numeric(sv_raw["victim_age"], errors="coerce")
    for band, lo, hi in [("18-24", 18, 24), ("10-17", 10, 17), ("65+", 65, 200)]:
        for sex in ("M", "F"):
            want = int(((age >= lo) & (age <= hi) & (sv_raw["victim_sex"] == sex)).sum())
            got = table[(table["role"] == "victim") & (table["age_band"] == band)
                        & (table["sex"] == sex)]["count"]
            assert int(got.iloc[0]) == want
        want_all = int(((age >= lo) & (age <= hi)).sum())
        row = table[(table["role"] == "victim") & (table["age_band"] == band)
                    & (table["sex"] == "all")].iloc[0]
        assert row["count"] == want_all and row["rate_per_1000"] == pytest.approx(want_all)
    unknown = table.query("role == 'victim' and age_band == 'unknown' and sex == 'all'")
    assert int(unknown["count"].iloc[0]) == int(age.isna().sum())


def test_time_of_week_counts(extract):
    raw, loaded = extract
    sv_raw = _raw_sv_window(raw)
    timed = sv_raw[sv_raw["committed_from"].str.len() > 10]
    when = pd.to_datetime(timed["committed_from"])
    want = ((when.dt.dayofweek == 5) & (when.dt.hour == 22)).sum()  # Saturday 22:00
    grid = people.time_of_week(people.sv_window(loaded, "2026-03"))
    assert int(grid.query("day == 6 and hour == 22")["count"].iloc[0]) == want
    assert grid["count"].sum() == len(timed)


def test_repeat_victimisation_and_flags(extract):
    raw, loaded = extract
    sv_raw = _raw_sv_window(raw)
    per = sv_raw["victim_id"].value_counts()
    rep = people.repeat_victimisation(people.sv_window(loaded, "2026-03")).iloc[0]
    assert rep["victims"] == len(per) and rep["repeat_victims"] == int((per >= 2).sum())
    flags = people.flag_shares(people.sv_window(loaded, "2026-03")).set_index("flag")
    assert flags.loc["knife", "count"] == sv_raw["flags"].str.contains("KNIFE").sum()
    assert flags.loc["domestic abuse", "count"] == sv_raw["flags"].str.contains("DA").sum()


def test_band_population_spreads_five_year_bands():
    pop = pd.DataFrame({"geography_code": "X", "age_min": [0, 5, 10, 15, 20, 25],
                        "age_max": [4, 9, 14, 19, 24, 29],
                        "population": [500, 500, 1000, 1000, 2000, 100]})
    bands = people.band_population(pop, "X")
    assert bands["0-9"] == pytest.approx(1000)
    assert bands["10-17"] == pytest.approx(1000 + 3 / 5 * 1000)  # 10-14 and 15, 16, 17
    assert bands["18-24"] == pytest.approx(2 / 5 * 1000 + 2000)


def test_ethnicity_rate_ratio_by_hand():
    records = pd.DataFrame({"victim_ethnicity": ["Black"] * 30 + ["White"] * 70 + [np.nan] * 5})
    pop = pd.Series({"Black": 10_000.0, "White": 40_000.0})
    table = people.ethnicity_rates(records, pop, roles=("victim",)).set_index("ethnicity")
    base = 100 / 50_000
    assert table.loc["Black", "rate_ratio"] == pytest.approx((30 / 10_000) / base)
    se = np.sqrt(1 / 30 - 1 / 100)
    assert table.loc["Black", "ratio_lower95"] == pytest.approx(1.5 * np.exp(-1.959964 * se),
                                                                rel=1e-4)
    assert table.loc["unknown", "count"] == 5
    assert table.loc["Black", "rate_per_1000"] == pytest.approx(3.0)


def test_under_25_share_wilson():
    records = pd.DataFrame({"victim_age": [20.0] * 40 + [40.0] * 60 + [np.nan] * 3})
    share = people.under_25_share(records)
    assert share["share_pct"] == pytest.approx(40.0)
    # Wilson 95% interval for 40/100: 30.94% to 49.80% (e.g. statsmodels, R binom.wilson)
    assert share["lower95"] == pytest.approx(30.94, abs=0.01)
    assert share["upper95"] == pytest.approx(49.80, abs=0.01)


def test_grid_counts_are_cells_not_points():
    records = pd.DataFrame({"easting": [524_010.0, 524_240.0, 524_260.0, np.nan],
                            "northing": [191_001.0, 191_249.0, 191_001.0, 1.0]})
    cells = people.grid_counts(records, 250)
    assert set(map(tuple, cells[["x0", "y0", "count"]].to_numpy())) == {
        (524_000, 191_000, 2), (524_250, 191_000, 1)}
