"""MPS Monthly Crime Dashboard loader (mps_dashboard / knife_crime): counts against independent
sums of the raw files for two periods and both vintages, label variants, the sparse-zero rule,
revisions, ward names and bad input."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from sna import metrics
from sna.config import Source
from sna.definitions import borough_monthly, unmapped_categories
from sna.errors import SchemaError
from sna.io.common import LoadContext
from sna.io.dashboard import load_mps_dashboard
from sna.sections import who_data

ROOT = Path(__file__).resolve().parents[1]
OTHER = (ROOT / "data" / "raw" / "mps" / "dashboard_other"
         / "monthly-crime-dashboard_other_offences_2021-08_to_2025-07.parquet")
KNIFE = ROOT / "data" / "raw" / "mps" / "dashboard" / "monthly-crime-dashboard.parquet"
SHARED_OTHER = (ROOT.parent / "shared" / "data" / "real" / "crime_more"
                / "mps_monthly_crime_dashboard"
                / "monthly-crime-dashboard_other_2021-08_to_2025-07.parquet")
CTX = LoadContext("Barnet", "E09000003")
HEADER = "Month_Year,Area Type,Borough_SNT,Area name,Area code,Crime Type,Crime Subtype,Measure,Count\n"


def src(*paths: Path, **options) -> tuple[Source, ...]:
    return tuple(Source("mps_dashboard", Path(p), tuple(sorted(options.items()))) for p in paths)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


class _Cfg:
    """The little of SnaConfig that who_data needs, over explicit files."""

    def __init__(self, *paths: Path, tmp: Path):
        from sna.config import Area, SnaConfig

        self._cfg = SnaConfig(path=tmp / "x.yaml", area=Area("Barnet", "E09000003", "barnet"),
                              period="latest", sources={"mps_dashboard": src(*paths)})

    def __getattr__(self, name):
        return getattr(self._cfg, name)


@lru_cache(maxsize=4)
def _raw(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path, columns=["month_year", "area_type", "area_name",
                                          "crime_subtype", "measure", "count"])


def raw_sum(path: Path, subtype: str, first: str, last: str, borough: str = "Barnet") -> int:
    """Independent sum straight from the raw file with pandas (no loader code)."""
    raw = _raw(path)
    month = raw["month_year"].dt.strftime("%Y-%m")
    keep = ((raw["area_type"] == "Borough") & (raw["area_name"] == borough)
            & (raw["crime_subtype"].str.lower() == subtype.lower())
            & (raw["measure"] == "Offences") & month.between(first, last))
    return int(raw.loc[keep, "count"].sum())


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    from sna import data as sna_data

    sna_data.clear_memo()
    cfg = _Cfg(OTHER, KNIFE, tmp=tmp_path_factory.mktemp("cfg"))
    return who_data.london_dashboard_monthly(cfg)


def _dash(monthly: pd.DataFrame, period: str) -> pd.DataFrame:
    pops = {b: 300_000.0 for b in metrics.LONDON_BOROUGHS}
    return metrics.performance_dashboard(monthly, pops, "Barnet", period).set_index(
        ["indicator", "window"])


@pytest.mark.parametrize("period, first", [("2023-02", "2022-03"), ("2022-12", "2022-01")])
def test_da_violence_with_injury_equals_raw_sum(shipped, period, first):
    dash = _dash(shipped, period)
    expected = raw_sum(SHARED_OTHER if SHARED_OTHER.is_file() else OTHER,
                       "Domestic Abuse violence with injury", first, period)
    assert dash.loc[("domestic_abuse_vwi", "12m"), "count"] == expected


def test_da_violence_with_injury_close_to_partnership_figures(shipped):
    # Barnet SCPB papers (data/barnet_published): 728 DA VWI offences in Jan-Dec 2022 and 737
    # in Sep 2021-Aug 2022, from the police's own extract; MPS revisions explain the rest.
    for period, published in (("2022-12", 728), ("2022-08", 737)):
        count = _dash(shipped, period).loc[("domestic_abuse_vwi", "12m"), "count"]
        assert abs(count - published) / published < 0.04, (period, count)


def test_both_vintages_newest_wins(shipped):
    # knife crime from March 2022 on comes from the newer knife-only file ...
    dash = _dash(shipped, "2023-02")
    assert dash.loc[("knife_crime_with_injury", "12m"), "count"] == raw_sum(
        KNIFE, "Knife Crime with Injury", "2022-03", "2023-02")
    # ... and before it from the older Other file (3 months to Feb 2022)
    dash = _dash(shipped, "2022-02")
    assert dash.loc[("knife_crime_with_injury", "3m"), "count"] == raw_sum(
        OTHER, "Knife Crime with Injury", "2021-12", "2022-02")


def test_windows_outside_the_data_are_empty(shipped):
    early = _dash(shipped, "2022-02")           # 12 months to Feb 2022 start before Aug 2021
    assert pd.isna(early.loc[("domestic_abuse_vwi", "12m"), "count"])
    assert pd.notna(early.loc[("domestic_abuse_vwi", "3m"), "count"])
    late = _dash(shipped, "2025-10")            # the Other file ends in July 2025
    assert pd.isna(late.loc[("domestic_abuse", "3m"), "count"])
    assert pd.notna(late.loc[("knife_crime", "3m"), "count"])   # the knife file runs on


def test_label_variants_are_one_measure(tmp_path):
    rows = [
        ("2024-01-01", "Domestic Abuse", "Domestic Abuse violence with injury", "Offences", 3),
        ("2024-02-01", "Domestic Abuse", "Domestic Abuse Violence with Injury", "Offences", 4),
        ("2024-01-01", "Lethal Barrel Discharge", "Lethal Barrel Discharge", "Offences", 1),
        ("2024-02-01", "Gun Crime", "Lethal  barrel discharge", "Offences", 2),
        ("2024-01-01", "Hate crime", "Hate crime", "Offences", 5),
        ("2024-02-01", "Hate Crime", "Hate Crime", "Offences", 6),
        ("2024-01-01", "Miscalleneous", "TNO Victim Based", "Offences", 9),
    ]
    text = HEADER + "".join(f"{m},Borough,Barnet,Barnet,E09000003,{t},{s},{me},{c}\n"
                            for m, t, s, me, c in rows)
    loaded = load_mps_dashboard(src(write(tmp_path, "v.csv", text)), CTX)
    assert unmapped_categories(loaded.frame) == []
    totals = borough_monthly(loaded.frame).groupby("indicator")["count"].sum()
    assert totals["domestic_abuse_vwi"] == 7
    assert totals["lethal_barrel_discharge"] == 3
    assert totals["hate_crime"] == 11
    assert set(loaded.frame["crime_type"]) == {"Domestic Abuse", "Gun Crime", "Hate Crime",
                                               "Miscellaneous"}
    assert loaded.meta["label_variants"]


def test_shared_file_every_label_variant(tmp_path):
    if not SHARED_OTHER.is_file():
        pytest.skip("shared data not present")
    loaded = load_mps_dashboard(src(SHARED_OTHER), CTX)
    assert unmapped_categories(loaded.frame) == []
    da = loaded.frame[loaded.frame["crime_subtype"].str.lower().str.startswith("domestic abuse v")]
    assert set(da["crime_subtype"]) == {"Domestic Abuse Violence with Injury"}
    assert set(da["measure"]) == {"Offences", "Positive Outcomes"}
    lbd = loaded.frame[loaded.frame["crime_subtype"] == "Lethal Barrel Discharge"]
    assert set(lbd["crime_type"]) == {"Gun Crime"}


def test_sparse_rows_missing_month_is_zero_inside_the_file_only(tmp_path):
    text = HEADER + ("2024-01-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,2\n"
                     "2024-02-01,Borough,Brent,Brent,E09000005,Gun Crime,Gun Crime,Offences,1\n"
                     "2024-03-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,4\n")
    cfg = _Cfg(write(tmp_path, "s.csv", text), tmp=tmp_path)
    from sna import data as sna_data

    sna_data.clear_memo()
    monthly = who_data.london_dashboard_monthly(cfg)
    gun = monthly[(monthly["indicator"] == "gun_crime") & (monthly["borough"] == "Barnet")]
    assert gun.set_index("month")["count"].to_dict() == {"2024-01": 2, "2024-02": 0,
                                                         "2024-03": 4}
    dash = _dash(monthly, "2024-03")
    assert dash.loc[("gun_crime", "3m"), "count"] == 6
    assert pd.isna(_dash(monthly, "2024-04").loc[("gun_crime", "3m"), "count"])


def test_revision_newest_refresh_wins_and_is_recorded(tmp_path):
    head = HEADER.strip() + ",Refresh Date\n"
    old = head + ("2024-01-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,5,"
                  "02/03/2024\n2024-02-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,"
                  "Offences,7,02/03/2024\n")
    new = head + ("2024-02-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,9,"
                  "02/04/2024\n2024-03-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,"
                  "Offences,1,02/04/2024\n")
    loaded = load_mps_dashboard(src(write(tmp_path, "old.csv", old),
                                    write(tmp_path, "new.csv", new)), CTX)
    got = loaded.frame.set_index("month")["count"].to_dict()
    assert got == {"2024-01": 5, "2024-02": 9, "2024-03": 1}
    assert loaded.meta["overridden"][0]["file"] == "old.csv"
    assert loaded.meta["overridden"][0]["months"] == ["2024-02"]
    assert loaded.meta["revisions"][0]["revised_cells"] == 1
    assert loaded.meta["revisions"][0]["net_change"] == 2


def test_ward_rows_borough_and_retired(tmp_path):
    text = HEADER + (
        "2024-01-01,Safer Neighbourhood Teams,Barnet Burnt Oak,Burnt Oak,E05013630,"
        "Domestic Abuse,Domestic Abuse,Offences,3\n"
        "2024-01-01,Safer Neighbourhood Teams,Barnet Colindale,Colindale (NOT ACTIVE),"
        "E05000046,Domestic Abuse,Domestic Abuse,Offences,1\n"
        "2024-01-01,Safer Neighbourhood Teams,Barnet Edgware,Edgware (SX),E05013637,"
        "Domestic Abuse,Domestic Abuse,Offences,2\n"
        "2024-01-01,Safer Neighbourhood Teams,Barnet Edgware,Edgware,E05013637,"
        "Domestic Abuse,Domestic Abuse,Offences,4\n"
        "2024-01-01,Borough,Barnet,Barnet,E09000003,Domestic Abuse,Domestic Abuse,Offences,10\n")
    path = write(tmp_path, "w.csv", text)
    frame = load_mps_dashboard(src(path), CTX).frame
    assert set(frame["borough"]) == {"Barnet"}
    assert frame.loc[frame["area_name"] == "Colindale (NOT ACTIVE)", "retired"].all()
    from sna import data as sna_data

    sna_data.clear_memo()
    wards = who_data.ward_monthly(_Cfg(path, tmp=tmp_path), "Barnet", ["domestic_abuse"])
    assert wards.set_index("area_code")["count"].to_dict() == {"E05013630": 3, "E05013637": 6}


def test_xlsx_as_published_and_wrong_sheet(tmp_path):
    rows = pd.DataFrame({"Month_Year": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                         "Area Type": "Borough", "Borough_SNT": "Barnet", "Area name": "Barnet",
                         "Area code": "E09000003", "Crime Type": "Gun Crime",
                         "Crime Subtype": "Gun Crime", "Measure": "Offences", "Count": [2, 3]})
    path = tmp_path / "dash.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"Notes": ["read me"]}).to_excel(xl, sheet_name="Notes", index=False)
        rows.to_excel(xl, sheet_name="MPS_MonthlyCrimeDashboard_Other", index=False)
    loaded = load_mps_dashboard(src(path), CTX)
    assert loaded.frame["count"].tolist() == [2, 3]
    with pytest.raises(SchemaError, match=r"dash\.xlsx.*no sheet 'Crime'.*'Notes'"):
        load_mps_dashboard(src(path, sheet="Crime"), CTX)
    with pytest.raises(SchemaError, match=r"dash\.xlsx.*no sheet has the dashboard columns"):
        load_mps_dashboard(src(path, sheet="Notes"), CTX)


@pytest.mark.parametrize("text, needles", [
    (HEADER + "2024-01-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,two\n",
     ["bad.csv", "row 2", "'count'", "'two'"]),
    (HEADER.replace(",Measure", "") + "2024-01-01,Borough,Barnet,Barnet,E09000003,Gun Crime,"
     "Gun Crime,3\n", ["bad.csv", "'measure'"]),
    (HEADER + "2024-01-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,1\n"
     "2024-01-01,Borough,Gotham,Gotham,E09999999,Gun Crime,Gun Crime,Offences,1\n",
     ["bad.csv", "row 3", "'area_name'", "'Gotham'"]),
    (HEADER + "2024-31-01,Borough,Barnet,Barnet,E09000003,Gun Crime,Gun Crime,Offences,1\n",
     ["bad.csv", "row 2", "'month_year'", "'2024-31-01'"]),
], ids=["text-in-count", "missing-measure", "unknown-area", "bad-month"])
def test_bad_input_names_file_row_column_value(tmp_path, text, needles):
    with pytest.raises(SchemaError) as info:
        load_mps_dashboard(src(write(tmp_path, "bad.csv", text)), CTX)
    for needle in needles:
        assert needle in str(info.value), (needle, str(info.value))


def test_a_file_cut_to_one_borough_says_nothing_about_other_boroughs(tmp_path):
    """Sparse zeros only where a file holding the series has rows for the place and month."""
    other = HEADER + (  # Other-crime extract: Barnet wards only, Jan-Mar 2024
        "2024-01-01,Safer Neighbourhood Teams,Barnet Burnt Oak,Burnt Oak,E05013630,"
        "Domestic Abuse,Domestic Abuse,Offences,3\n"
        "2024-03-01,Safer Neighbourhood Teams,Barnet Burnt Oak,Burnt Oak,E05013630,"
        "Knife Crime,Knife Crime,Offences,1\n")
    knife = HEADER + (  # knife-only file, all boroughs' wards, Mar-Apr 2024
        "2024-03-01,Safer Neighbourhood Teams,Camden Kilburn,Kilburn,E05013660,"
        "Knife Crime,Knife Crime,Offences,2\n"
        "2024-04-01,Safer Neighbourhood Teams,Barnet Burnt Oak,Burnt Oak,E05013630,"
        "Knife Crime,Knife Crime,Offences,5\n")
    cfg = _Cfg(write(tmp_path, "other.csv", other), write(tmp_path, "knife.csv", knife),
               tmp=tmp_path)
    from sna import data as sna_data

    sna_data.clear_memo()
    camden = who_data.ward_monthly(cfg, "Camden", ["domestic_abuse", "knife_crime"])
    assert set(camden["indicator"]) == {"knife_crime"}            # no DA zeros for Camden
    assert sorted(camden["month"]) == ["2024-03", "2024-04"]      # not Jan-Feb (unknown)
    barnet = who_data.ward_monthly(cfg, "Barnet", ["domestic_abuse", "knife_crime"])
    da = barnet[barnet["indicator"] == "domestic_abuse"].set_index("month")["count"]
    assert da.to_dict() == {"2024-01": 3, "2024-02": 0, "2024-03": 0}
