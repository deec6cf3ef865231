"""Chapters 01 (profile) and 02 (violence trends): hand checks against the raw files, the
dashboard contract, disclosure, London ranks, and the "not supplied" paths.

Integration tests on the shipped Barnet data (data/raw). Hand checks read the raw files with
the csv module / pyarrow, independently of the loaders.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from pathlib import Path

import nbformat
import pandas as pd
import pyarrow.parquet as pq
import pytest

import sna.chapter as chapter_mod
from sna import data as sna_data
from sna import metrics
from sna.chapter import open_chapter
from sna.config import load_config
from sna.sections import (
    comparisons,
    other_sources,
    profile,
    socioeconomic,
    trend_data,
    trend_series,
    trends,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "barnet.yaml"
RAW = ROOT / "data" / "raw"
WARD_CSV = RAW / "mps/ward/MPS Ward Level Crime (most recent 24 months).csv"
BOROUGH_FILES = [RAW / "mps/borough/recorded-crime-borough-historical.parquet",
                 RAW / "mps/borough/recorded-crime-borough.parquet",
                 RAW / "mps/borough/MPS Borough Level Crime (most recent 24 months).csv"]
ROBBERY = {"ROBBERY OF PERSONAL PROPERTY"}
VWI = {"VIOLENCE WITH INJURY"}
OPTIONAL = ("mps_borough", "knife_crime", "mps_dashboard", "homicide", "census", "imd", "clif", "ambulance")

pytestmark = pytest.mark.skipif(not WARD_CSV.is_file(), reason="shipped MPS data not present")


# --- hand computation from the raw files ---------------------------------------------------

@functools.lru_cache(maxsize=8)
def _rows(path: Path) -> list[dict[str, str]]:
    """Rows of a wide MPS file, keys lower-cased (csv module for CSV, pyarrow for parquet)."""
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            return [{k.lower(): v for k, v in r.items()} for r in csv.DictReader(f)]
    return [{k.lower(): v for k, v in r.items()} for r in pq.read_table(path).to_pylist()]


def _months(rows: list[dict]) -> list[str]:
    return sorted(k for k in rows[0] if k.isdigit() and len(k) == 6)


def hand_sum(paths: list[Path], borough: str, minors: set[str], months: list[str]) -> int:
    """Sum a borough's categories over months; each month from the newest file holding it."""
    files = [(_rows(p)) for p in paths]
    total = 0
    for month in months:
        key = month.replace("-", "")
        holders = [rows for rows in files if key in rows[0]]
        rows = max(holders, key=lambda r: _months(r)[-1])
        bcol = next(c for c in ("lookup_boroughname", "boroughname") if c in rows[0])
        total += sum(int(float(r[key] or 0)) for r in rows
                     if r[bcol] == borough and r["minortext"].strip().upper() in minors)
    return total


def window(period: str, n: int, years_back: int = 0) -> list[str]:
    from sna.periods import add_months, month_range

    end = add_months(period, -12 * years_back)
    return month_range(add_months(end, -(n - 1)), end)


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cfg():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def dashboards(cfg):
    """Unsuppressed dashboards and sources for the periods tested."""
    pops = trend_data.populations(sna_data.load(cfg, "population").frame)
    out = {}
    for period in ("2026-03", "2026-02", "2025-06", "2024-12"):
        monthly, source = trend_data.london_monthly(cfg, period)
        out[period] = (trends.build_dashboard(monthly, pops, cfg.area, period), source, monthly)
    return out


class Shown:
    """Collects what a chapter displays (instead of IPython)."""

    def __init__(self) -> None:
        self.html: list[str] = []

    def text(self) -> str:
        return "\n".join(self.html)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, cfg):
    """Both chapters' sections on the default config, as the notebooks call them."""
    out = tmp_path_factory.mktemp("o12")
    shown = Shown()
    mp = pytest.MonkeyPatch()
    mp.setattr(chapter_mod, "_display", shown.html.append)
    ch1 = open_chapter(str(CONFIG), "latest", str(out), "01_context_profile")
    rows = profile.publish_profile(ch1, [profile.show_population(ch1),
                                         socioeconomic.show_census(ch1),
                                         socioeconomic.show_imd(ch1),
                                         socioeconomic.show_clif(ch1)])
    ch1.finding(profile.headline(rows, "Barnet"), kind="headline", anchor="Borough-profile")
    ch2 = open_chapter(str(CONFIG), "latest", str(out), "02_violence_trends")
    td = trend_data.prepare(ch2)
    trends.show_intro(ch2, td)
    dash, safe, sentences = trends.show_dashboard(ch2, td)
    trends.record_findings(ch2, dash, safe, sentences)
    for show in (trend_series.show_breakdown, trend_series.show_trends, trend_series.show_annual,
                 comparisons.show_comparisons, other_sources.show_knife):
        show(ch2, td)
    other_sources.show_homicide(ch2)
    other_sources.show_ambulance(ch2)
    mp.undo()
    return {"out": out, "shown": shown, "dash": dash, "safe": safe, "sentences": sentences,
            "ch2": ch2, "td": td}


# --- hand checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("period", ["2026-03", "2026-02", "2025-06", "2024-12"])
@pytest.mark.parametrize("indicator,minors", [("personal_robbery", ROBBERY),
                                              ("violence_with_injury", VWI)],
                         ids=["robbery", "vwi"])
def test_dashboard_counts_match_raw_files(dashboards, period, indicator, minors):
    dash, source, _ = dashboards[period]
    files = [WARD_CSV] if source == "mps_ward" else BOROUGH_FILES
    assert source == ("mps_ward" if period == "2026-03" else "mps_borough")
    row = dash[(dash["indicator"] == indicator) & (dash["window"] == "12m")].iloc[0]
    assert row["count"] == hand_sum(files, "Barnet", minors, window(period, 12))
    assert row["previous_count"] == hand_sum(files, "Barnet", minors, window(period, 12, 1))
    row3 = dash[(dash["indicator"] == indicator) & (dash["window"] == "3m")].iloc[0]
    assert row3["count"] == hand_sum(files, "Barnet", minors, window(period, 3))


def test_default_period_robbery_by_hand_numbers(dashboards):
    """The numbers quoted in the report (ward CSV, 12 months to March 2026)."""
    dash, _, _ = dashboards["2026-03"]
    row = dash[(dash["indicator"] == "personal_robbery") & (dash["window"] == "12m")].iloc[0]
    assert (row["count"], row["previous_count"]) == (555, 495)
    assert row["change_pct"] == pytest.approx(12.1)


# --- dashboard contract, ranks, disclosure -------------------------------------------------

def test_published_dashboard_is_the_contract(default_run):
    table = pd.read_csv(default_run["out"] / "tables" / "performance_dashboard.csv")
    assert list(table.columns) == [*metrics.DASHBOARD_COLUMNS, "london_rank_lower95",
                                   "london_rank_upper95"]
    ids = ["violence_with_injury", "personal_robbery", "residential_burglary",
           "non_residential_burglary", "homicide", "rape", "other_sexual_offences",
           "possession_of_weapons", "serious_violence", "knife_crime_with_injury",
           "knife_crime", "knife_injury_victims_1_24", "knife_injury_victims_non_da_1_24",
           "domestic_abuse", "domestic_abuse_vwi", "gun_crime", "lethal_barrel_discharge",
           "hate_crime"]
    assert len(table) == 2 * len(ids)
    assert sorted(table["indicator"].unique()) == sorted(ids)
    assert set(table["window"]) == {"3m", "12m"}
    assert table.groupby("indicator").size().eq(2).all()
    ranked = table.dropna(subset=["london_rank"])
    assert ranked["london_rank"].between(1, ranked["london_areas"]).all()
    assert (table["london_areas"].dropna() == 32).all()
    assert (table.loc[table["window"] == "12m", "period_start"] == "2025-04").all()
    shown = table.dropna(subset=["london_rank_lower95"])
    assert (shown["london_rank_lower95"] <= shown["london_rank"]).all()
    assert (shown["london_rank"] <= shown["london_rank_upper95"]).all()
    # the Other-crime dashboard file ends in July 2025: its windows to March 2026 are empty,
    # never a partial sum
    other = table[table["indicator"].isin(["domestic_abuse", "gun_crime", "hate_crime"])]
    assert other["count"].isna().all() and other["london_rank"].isna().all()


def test_small_counts_hidden_with_dependents(default_run):
    dash, m = default_run["dash"], 5
    small = dash["count"].between(1, m - 1)
    # the default (open_data: publish) shows the MPS's own counts, small ones included
    assert small.any()
    assert (default_run["safe"].loc[small, "count"] == dash.loc[small, "count"]).all()
    safe = trends.safe_dashboard(dash, m)  # as published under open_data: suppress
    assert safe.loc[small, ["count", "rate_per_1000", "rate_lower95", "change_pct",
                            "london_rank", "bcu_rank"]].isna().all().all()
    for _, part in safe.join(dash[["count"]], rsuffix="_raw").groupby("window"):
        comps = part[part["indicator"].isin(trend_data.sv_components())]
        hidden = comps[comps["count"].isna() & comps["count_raw"].notna()]
        if len(hidden):  # a subtraction from the serious violence total reveals nothing
            assert len(hidden) >= 2 and hidden["count_raw"].sum() >= m
    for i, row in dash.iterrows():  # the sentence written under open_data: suppress
        if pd.notna(row["count"]) and pd.isna(safe.loc[i, "count"]):
            text = trends.dashboard_sentence(row, safe.loc[i], "Barnet",
                                             default_run["td"].monthly, m)
            assert f"{int(row['count']):,}" not in text.split(" in the ")[0]


def test_london_ranks_consistent_with_rates(default_run):
    ch, td = default_run["ch2"], default_run["td"]
    table = comparisons.london_table(td.monthly, td.pops, td.members, ch.cfg.area, ch.period)
    dash = default_run["dash"]
    for ind, part in table.dropna(subset=["rate_per_1000"]).groupby("indicator"):
        ordered = part.sort_values("rate_per_1000")
        assert ordered["london_rank"].is_monotonic_increasing
        here = part[part["borough"] == "Barnet"].iloc[0]
        expected = int((part["rate_per_1000"] < here["rate_per_1000"]).sum()) + 1
        row = dash[(dash["indicator"] == ind) & (dash["window"] == "12m")].iloc[0]
        assert row["london_rank"] == expected == here["london_rank"]


def test_findings_headline_and_changes(default_run):
    folder = default_run["out"] / "findings"
    for cid in ("01_context_profile", "02_violence_trends"):
        found = json.loads((folder / f"{cid}.json").read_text())
        assert sum(f["kind"] == "headline" for f in found) == 1
    changes = [f for f in json.loads((folder / "02_violence_trends.json").read_text())
               if f["kind"] == "change"]
    assert changes and all(f["anchor"] == "Performance-dashboard" for f in changes)
    for f in changes:
        ev = f["evidence"]
        assert ev["significant"] is True and ev["p_value"] < 0.05
        assert {"indicator", "count", "previous_count", "change_pct", "london_rank"} <= set(ev)


def test_sentence_phrasing(default_run):
    robbery = [s for s in default_run["sentences"] if s.startswith("Personal robbery")]
    assert robbery[1].startswith("Personal robbery rose 12.1% in the 12 months to March 2026 "
                                 "(555 vs 495); the change is not statistically significant; "
                                 "Barnet ranks ")


def test_other_tables_published(default_run):
    tables = default_run["out"] / "tables"
    for name in ("profile_indicators", "population_age", "monthly_series", "sv_breakdown",
                 "london_comparison", "knife_crime", "homicide"):
        assert (tables / f"{name}.csv").is_file(), name
    comp = pd.read_csv(tables / "london_comparison.csv")
    assert comp["borough"].nunique() == 32 and "City of London" not in set(comp["borough"])
    html = default_run["shown"].text()
    bad = [html[max(0, i - 200):i + 50] for i in range(len(html)) if html.startswith("&amp;#", i)]
    assert not bad, bad
    assert "ward-level recorded crime data summed to boroughs" in html


# --- profile hand checks -------------------------------------------------------------------

def _census_rows(name: str) -> list[dict[str, str]]:
    with open(RAW / "census" / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_population_and_young_share_by_hand(default_run):
    rows = _census_rows("census2021-ts007a-ltla.csv")
    barnet = next(r for r in rows if r["geography code"] == "E09000003")
    total = int(barnet["Age: Total"])
    young = sum(int(barnet[f"Age: Aged {a} to {b} years"]) for a, b in ((10, 14), (15, 19),
                                                                       (20, 24)))
    london = [r for r in rows if r["geography code"].startswith("E09")]
    assert total == 389_343  # ONS bulk TS007A (the published headline is 389,344)
    table = pd.read_csv(default_run["out"] / "tables" / "population_age.csv")
    assert table["area_population"].sum() == total
    assert table["london_population"].sum() == sum(int(r["Age: Total"]) for r in london)
    ind = pd.read_csv(default_run["out"] / "tables" / "profile_indicators.csv")
    share = ind.loc[ind["indicator"] == "Residents aged 10-24", "area_value"].iloc[0]
    assert share == pytest.approx(round(young / total * 100, 1))


def test_census_share_by_hand(default_run):
    rows = _census_rows("census2021-ts054-ltla.csv")
    barnet = next(r for r in rows if r["geography code"] == "E09000003")
    social = int(barnet["Tenure of household: Social rented"])
    total = int(barnet["Tenure of household: Total: All households"])
    ind = pd.read_csv(default_run["out"] / "tables" / "profile_indicators.csv")
    value = ind.loc[ind["indicator"] == "Social rented", "area_value"].iloc[0]
    assert value == pytest.approx(round(social / total * 100, 1))


# --- optional sources missing --------------------------------------------------------------

def test_sections_work_without_optional_sources(tmp_path, monkeypatch, config_copy):
    path = config_copy(drop_data=OPTIONAL, name="slim.yaml")
    monkeypatch.setenv("SNA_CACHE_DIR", str(ROOT / "data" / "interim"))
    shown: list[str] = []
    monkeypatch.setattr(chapter_mod, "_display", shown.append)
    ch1 = open_chapter(str(path), "latest", str(tmp_path / "out"), "01_context_profile")
    parts = [profile.show_population(ch1), socioeconomic.show_census(ch1),
             socioeconomic.show_imd(ch1), socioeconomic.show_clif(ch1)]
    rows = profile.publish_profile(ch1, parts)
    assert list(rows["indicator"]) == ["Residents (all ages)", "Residents aged 10-24"]
    ch2 = open_chapter(str(path), "latest", str(tmp_path / "out"), "02_violence_trends")
    td = trend_data.prepare(ch2)
    assert td.source == "mps_ward"
    dash, safe, _ = trends.show_dashboard(ch2, td)
    assert len(safe) == 18 and "knife_crime_with_injury" not in set(safe["indicator"])
    assert other_sources.show_knife(ch2, td) is None and other_sources.show_homicide(ch2) is None
    other_sources.show_ambulance(ch2)
    text = "\n".join(shown)
    for key in ("census", "imd", "clif", "knife_crime", "homicide", "ambulance"):
        assert f"data.{key}" in text, key


# --- notebooks -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["01_context_profile", "02_violence_trends"])
def test_notebooks_are_thin(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    assert "parameters" in nb.cells[0].metadata.get("tags", [])
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while|async)\b", code, re.M)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


# --- issue 20: change tests that allow for overdispersion, robust headlines -----------------

def _row(dash: pd.DataFrame, indicator: str, window: str = "12m") -> pd.Series:
    return dash[(dash["indicator"] == indicator) & (dash["window"] == window)].iloc[0]


def test_serious_violence_rise_to_march_2026_is_not_a_robust_significant_rise(dashboards):
    """Issue 20: +5.8% (3,298 vs 3,118) was called significant by the two-Poisson test."""
    dash = dashboards["2026-03"][0]
    sv = _row(dash, "serious_violence")
    assert (sv["count"], sv["previous_count"]) == (3298, 3118)
    assert sv["change_significant"] is not pd.NA and not bool(sv["change_significant"])
    assert not bool(sv["change_robust"]) and sv["change_p"] > 0.05


def test_rape_rise_does_not_survive_the_robustness_checks(dashboards):
    """The rape rise (p = 0.02 before) disappears a month earlier and against three years."""
    rape = _row(dashboards["2026-03"][0], "rape")
    assert rape["change_pct"] == pytest.approx(22.9)
    assert bool(rape["change_robust"]) is False
    assert rape["change_p"] > metrics.change_test(279, 227)  # overdispersion widens it


def test_change_robustness_table_and_headline_words(default_run):
    table = pd.read_csv(default_run["out"] / "tables" / "change_robustness.csv")
    for col in ("indicator", "check", "count", "comparison", "change_pct", "p_value",
                "significant"):
        assert col in table.columns
    sv = table[(table["indicator"] == "serious_violence") & (table["window"] == "12m")
               ].set_index("check")
    assert set(sv.index) == {"year_earlier", "one_month_earlier",
                             "without_possession_of_weapons", "three_year_average"}
    earlier = sv.loc["one_month_earlier"]
    assert (earlier["period_end"], earlier["change_pct"]) == ("2026-02", 1.6)
    assert not bool(earlier["significant"])
    # the three earlier years are 12 months to March 2023, 2024 and 2025
    assert sv.loc["three_year_average", "comparison"] > sv.loc["year_earlier", "count"]
    headline = [s for s in default_run["sentences"] if s.startswith("Serious violence rose 5.8% "
                                                                     "in the 12 months")][0]
    assert "a month earlier (12 months to February 2026) the change was +1.6% (not " \
           "significant)" in headline
    assert headline.count("Conclusion: no robust change.") == 1
    shown = default_run["shown"].text()
    assert "+22.9% (significant, not robust)" in shown  # rape, 12 months
    assert "-21.9% (significant, robust)" in shown  # non-residential burglary


def test_sv_without_possession_hidden_when_possession_is(default_run):
    """SV minus possession of weapons would reveal a hidden possession count (and through it
    the small homicide count)."""
    safe = default_run["safe"]
    table = pd.read_csv(default_run["out"] / "tables" / "change_robustness.csv")
    for window in ("3m", "12m"):
        hidden = safe[(safe["indicator"] == "possession_of_weapons")
                      & (safe["window"] == window)]["count"].isna().all()
        row = table[(table["indicator"] == "serious_violence") & (table["window"] == window)
                    & (table["check"] == "without_possession_of_weapons")].iloc[0]
        assert pd.isna(row["count"]) == bool(hidden)


def test_trend_chart_flags_the_change_of_data_release(default_run):
    """The ward series switches release in March/April 2024; serious violence steps down
    there by more than the same months a year earlier: the caption says so."""
    text = default_run["shown"].text()
    assert "March 2024: the data come from recorded-crime-ward.parquet" in text
    assert "possible level shift between data releases" in text


def test_funnel_says_how_many_boroughs_fall_outside_each_limit(default_run):
    text = default_run["shown"].text()
    found = re.search(r"(\d+) of 32 boroughs fall outside the Poisson 95% limits.*?(\d+) fall "
                      r"outside those 95% limits", text, flags=re.S)
    assert found, "funnel sentence missing"
    assert int(found.group(1)) >= 25 and int(found.group(2)) <= 5


def test_short_history_is_said_in_words():
    checks = pd.DataFrame({"indicator": ["rape", "homicide"], "check": "year_earlier",
                           "p_value": [0.2, 0.5], "method": [
                               "Poisson (history too short to estimate overdispersion)",
                               "quasi-Poisson (dispersion 1.00 from 6 years ...)"]})
    note = trends.short_history_note(checks)
    assert "For rape there are fewer than two complete years" in note
    assert "homicide" not in note
    assert trends.short_history_note(checks.iloc[1:]) == ""


def test_robustness_sentence_hides_numbers_hidden_in_the_table(default_run):
    """Possession of weapons' three-year average (3 months) is hidden in change_robustness to
    protect a small homicide count: the sentence says only what the test found."""
    pow3 = [s for s in default_run["sentences"]
            if s.startswith("Possession of weapons rose") and "3 months" in s][0]
    assert "three earlier years it is significant" in pow3
    table = pd.read_csv(default_run["out"] / "tables" / "change_robustness.csv")
    row = table[(table["indicator"] == "possession_of_weapons") & (table["window"] == "3m")
                & (table["check"] == "three_year_average")].iloc[0]
    assert pd.isna(row["comparison"])
    assert "(29)" not in pow3 and "+64.0%" not in pow3  # the unpublished mean and change


def test_spread_flags_find_an_outlying_borough_only():
    """32 boroughs whose rates vary ~10% around 8 per 1,000, one at double the rate: only the
    outlier is beyond the usual spread (random-effects funnel), though most are outside their
    Poisson intervals."""
    import numpy as np

    rng = np.random.default_rng(3)
    names = [f"B{i}" for i in range(32)]
    pops = rng.uniform(150_000, 400_000, 32)
    rates = 8 * np.exp(rng.normal(0, 0.1, 32))
    rates[0] = 16.0
    counts = np.round(rates * pops / 1000)
    table = pd.DataFrame({"borough": names, "indicator": "serious_violence", "count": counts,
                          "population": pops, "rate_per_1000": counts / pops * 1000})
    assert comparisons.spread_flags(table, names, "B0") == {"serious_violence": True}
    typical = int(np.argsort(np.abs(rates[1:] - 8))[0]) + 1
    assert comparisons.spread_flags(table, names, f"B{typical}") == {"serious_violence": False}


def test_barnet_serious_violence_rate_is_lower_but_within_the_usual_spread(default_run):
    text = default_run["shown"].text()
    assert ("significantly lower than the London rate (13.4 per 1,000), but within the usual "
            "spread between London boroughs") in text


def test_year_to_year_sentence_by_hand():
    ann = pd.DataFrame({"indicator": "serious_violence",
                        "period_end": ["2022-03", "2023-03", "2024-03", "2025-03"],
                        "count": [1000, 1100, 990, 990]})
    text = trend_series.year_to_year_sentence(ann, "Serious violence")
    # +10%, -10%, 0%: average size (10 + 10 + 0) / 3
    assert "between -10.0% and +10.0%" in text and "average size of a change 6.7%" in text
    assert trend_series.year_to_year_sentence(ann.iloc[:2], "Serious violence") == ""


def test_homicide_text_one_table_by_hand():
    """Chapters 02 and 04 both say it through ``homicide_text`` over ``homicide_table``: a
    hand-made dashboard. Barnet 12 people (10-14: 2, 15-19: 3, 20-24: 2, 40-44: 5), London 40
    more elsewhere; 10-24 = 7 of 12 = 58% (London 7+20 of 52 = 52%)."""
    rows = [("2024-01", "Barnet", "10 to 14", 2), ("2024-02", "Barnet", "15 to 19", 3),
            ("2024-03", "Barnet", "20 to 24", 2), ("2024-03", "Barnet", "40 to 44", 5),
            ("2024-03", "Camden", "20 to 24", 20), ("2024-03", "Camden", "60 to 64", 20),
            ("2010-01", "Barnet", "20 to 24", 9)]  # outside the 10 years: not counted
    h = pd.DataFrame([{"month": m, "borough": b, "age_group": a, "gender": "Male", "count": c}
                      for m, b, a, c in rows])
    ht = other_sources.homicide_table(h, "Barnet", "2026-03")
    text = other_sources.homicide_text(ht, ht, "Barnet", 1)
    assert ("Between April 2014 and March 2024, 12 people were proceeded against for homicide "
            "in Barnet (London: 52).") in text
    assert "58% of them were aged 10-24 (London 52%)" in text
    # with a threshold of 5 the small age groups are hidden, so no share is given
    safe = ht.assign(area_count=ht["area_count"].where(ht["area_count"] >= 5))
    assert "aged 10-24" not in other_sources.homicide_text(ht, safe, "Barnet", 5)
