"""Chapter 08 sections against independent sums of the shipped raw files and hand-computed
cases (rolling shares, rates per 1,000 women and girls, ward counts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna import chapter as chapter_mod
from sna.chapter import open_chapter
from sna.config import Area
from sna.sections import who, who_places

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "barnet.yaml"
RAW = ROOT / "data" / "raw"
OTHER = RAW / "mps" / "dashboard_other" / "monthly-crime-dashboard_other_offences_2021-08_to_2025-07.parquet"


@pytest.fixture(scope="module")
def ch(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setattr(chapter_mod, "_display", lambda html: None)
    out = open_chapter(str(CONFIG), "2023-02", str(tmp_path_factory.mktemp("o")),
                       "08_who_is_affected")
    yield out
    mp.undo()


@pytest.fixture(scope="module")
def wd(ch):
    return who.prepare(ch)


def _raw_other() -> pd.DataFrame:
    raw = pd.read_parquet(OTHER)
    return raw.assign(month=raw["month_year"].dt.strftime("%Y-%m"))


def test_compare_counts_and_london_rate_from_the_raw_file(ch, wd):
    assert wd.end == "2023-02" and wd.note == ""
    table = who.compare(wd, who.DA_IDS, ch.cfg.area).set_index("indicator")
    raw = _raw_other()
    b = raw[(raw["area_type"] == "Borough") & (raw["measure"] == "Offences")
            & (raw["crime_subtype"] == "Domestic Abuse")]
    cur = b[b["month"].between("2022-03", "2023-02")]
    assert table.loc["domestic_abuse", "count"] == cur.loc[cur["area_name"] == "Barnet", "count"].sum()
    prev = b[b["month"].between("2021-03", "2022-02")]   # before the data start in Aug 2021
    assert pd.isna(table.loc["domestic_abuse", "previous_count"])
    assert len(prev)   # the file has some of those months: the sum would be partial
    pops = wd.pops
    london = cur[cur["area_name"].isin(pops)].groupby("area_name")["count"].sum()
    expected = london.sum() / sum(pops[n] for n in london.index) * 1000
    assert table.loc["domestic_abuse", "london_rate_per_1000"] == pytest.approx(expected, abs=1e-4)
    rank = table.loc["domestic_abuse"]
    assert rank["london_rank_lower95"] <= rank["london_rank"] <= rank["london_rank_upper95"]


def test_rolling_share_hand_computed():
    months = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]
    da = pd.DataFrame({"borough": "A", "indicator": "domestic_abuse_vwi", "month": months,
                       "count": [1] * 13})
    vwi = pd.DataFrame({"borough": "A", "indicator": "violence_with_injury", "month": months,
                        "count": [4] * 12 + [2]})
    wd = who.WhoData(da, {"A": 1000.0}, "2025-01", "")
    out = who.rolling_share(wd, vwi, Area("A", "E09000099", "a"))
    got = out[out["series"] == "A"].set_index("month")["value"]
    assert got["2024-12"] == 25.0                       # 12 / 48
    assert got["2025-01"] == round(12 / 46 * 100, 1)    # the window moves by one month
    assert set(out["series"]) == {"A"}     # no BCU configured, no London borough in the data


def test_vawg_ward_counts_and_rates(ch):
    table, unmatched = who_places.vawg_ward_table(ch, "2023-02")
    raw = pd.read_parquet(RAW / "mps" / "vawg" / "vawg-offences_location_2021-01_to_2026-02.parquet")
    month = raw["recorded_date_months"].dt.strftime("%Y-%m")
    b = raw[(raw["borough_name"] == "Barnet") & month.between("2022-03", "2023-02")]
    by_ward = b.groupby("ward_name_clean_2")["count"].sum()
    row = table.set_index("ward_name").loc["Burnt Oak"]
    assert row["count"] == by_ward["Burnt Oak"]
    # every offence is either on a 2022 ward or listed as not mapped
    mapped = table["count"].sum()
    assert mapped + by_ward.drop(labels=[n for n in by_ward.index if n in set(
        table["ward_name"])]).sum() == b["count"].sum()
    assert not set(unmatched) & set(table["ward_name"])
    # denominator: Census TS008 women and girls, best-fit LSOA -> ward, summing to the borough
    assert table["female_population"].sum() == pytest.approx(200_799, rel=0.01)
    assert row["rate_per_1000_female"] == pytest.approx(
        row["count"] / row["female_population"] * 1000, abs=0.01)


def test_da_ward_table_and_hotspots(ch):
    table = who_places.da_ward_table(ch, "2023-02")
    raw = _raw_other()
    w = raw[(raw["area_type"] != "Borough") & raw["borough_snt"].str.startswith("Barnet ")
            & (raw["crime_subtype"] == "Domestic Abuse") & (raw["measure"] == "Offences")
            & raw["month"].between("2022-03", "2023-02")]
    by_code = w.groupby("area_code")["count"].sum()
    got = table.set_index("ward_code")["count"]
    assert (got == by_code.reindex(got.index).fillna(0)).all()
    assert len(table) == 24 and table["hotspot_class"].notna().all()


def test_confidence_and_youth_population(ch):
    conf = who_places.confidence_table(ch)
    raw = pd.read_csv(RAW / "mopac" / "PAS_Dashboard_Borough.csv", decimal=",")
    r = raw[(raw["Borough"] == "Barnet") & (raw["Measure"] == "Trust MPS")
            & (raw["Date"] == "31/12/2023")].iloc[0]
    got = conf[(conf["measure_id"] == "trust") & (conf["quarter_end"] == "2023-12-31")].iloc[0]
    assert (got["proportion"], got["london"]) == (r["Proportion"], r["MPS"])
    young = who.youth_population(ch.load("population").frame)
    ts007a = pd.read_csv(RAW / "census" / "census2021-ts007a-ltla.csv")
    barnet = ts007a[ts007a["geography"] == "Barnet"].iloc[0]
    cols = [c for c in ts007a.columns if any(f"Aged {a}" in c for a in (
        "4 years and under", "5 to 9", "10 to 14", "15 to 19", "20 to 24"))]
    # victims aged 1-24: four fifths of the 0-4 band, as chapter 02's knife table
    assert len(cols) == 5 and young["Barnet"] == pytest.approx(
        barnet[cols].sum() - barnet[cols[0]] / 5)
    assert np.isfinite(young["Brent"])


def test_uncovered_year_before_is_said_not_hidden(ch, wd):
    raw = who.compare(wd, ("domestic_abuse_vwi", "lethal_barrel_discharge"), ch.cfg.area)
    safe = raw.copy()
    show = who.display(safe, 5, raw=raw)
    assert (show["A year earlier"] == "n/a").all()       # Feb 2022 window starts before Aug 2021
    text = who.sentence(safe.iloc[0], "Barnet", raw=raw.iloc[0])
    assert "no comparison" in text and "700" in text
    hidden = safe.assign(count=np.nan)
    assert "not published" in who.sentence(hidden.iloc[0], "Barnet", raw=raw.iloc[0])
