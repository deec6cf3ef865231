"""Chapters 03 (spatial, hot spots) and 04 (risk and protective factors): section functions on
the shipped Barnet data (with hand checks against the raw files), on a synthetic borough with
another number of wards, and with the optional sources removed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna.chapter import open_chapter
from sna.disclosure import audit_table
from sna.sections import deprivation, hotspots, lsoa_maps, victims, ward_data, wards, young_people
from sna.synthetic import write_borough

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "barnet.yaml"
WARD_CSV = ROOT / "data/raw/mps/ward/MPS Ward Level Crime (most recent 24 months).csv"
SV_MINORS = {"HOMICIDE", "VIOLENCE WITH INJURY", "RAPE", "OTHER SEXUAL OFFENCES",
             "ROBBERY OF PERSONAL PROPERTY", "POSSESSION OF WEAPONS"}
CONTRACT = ["ward_code", "ward_name", "indicator", "window", "count", "population",
            "rate_per_1000", "lower95", "upper95"]
HOT_CONTRACT = ["ward_code", "ward_name", "indicator", "gi_z", "gi_q", "hotspot_class",
                "windows_hot", "persistent"]
OPTIONAL = ("mps_lsoa", "lsoa", "cctv", "police_uk", "imd", "clif", "dfe_lait", "neet",
            "partner_indicators", "stop_search", "homicide", "census", "interventions",
            "data_sources", "knife_crime", "ambulance", "mps_borough")

pytestmark = pytest.mark.skipif(not WARD_CSV.is_file(), reason="shipped MPS data not present")


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ch(tmp_path_factory):
    return open_chapter(str(CONFIG), "latest", str(tmp_path_factory.mktemp("o03")), "03_spatial")


@pytest.fixture(scope="module")
def wd(ch):
    return wards.load_ward_data(ch)


@pytest.fixture(scope="module")
def table(wd, ch):
    return wards.ward_table(wd, ch.period)


@pytest.fixture(scope="module")
def ld(ch, wd):
    return lsoa_maps.load_lsoa_data(ch, wd, ch.period)


@pytest.fixture(scope="module")
def profiles(ch, wd, table, ld):
    return deprivation.load_profiles(ch, wd, table, ld)


def hand_ward_count(code: str, minors: set[str], months: list[str]) -> int:
    """Sum a ward's categories over months straight from the published CSV (csv module)."""
    cols = [m.replace("-", "") for m in months]
    with open(WARD_CSV, encoding="utf-8-sig", newline="") as f:
        return sum(int(float(r[c] or 0)) for r in csv.DictReader(f)
                   if r["WardCode"] == code and r["MinorText"].strip().upper() in minors
                   for c in cols)


# --- chapter 03 on the shipped data --------------------------------------------------------


def test_cached_ward_and_lsoa_data_equal_a_fresh_build(ch, wd, ld, tmp_path):
    """The frames chapters read through the derived cache (filled by whichever chapter came
    first, or by an earlier run) are exactly what the builders compute now, dtypes included."""
    from sna import data as sna_data

    codes = tuple(sorted(wd.wards["ward_code"]))
    pd.testing.assert_frame_equal(wd.monthly, ward_data.ward_monthly(ch.cfg, codes),
                                  check_exact=True)
    pd.testing.assert_frame_equal(wd.borough, ward_data.ward_borough(ch.cfg, codes), check_exact=True)
    pd.testing.assert_frame_equal(wd.population, ward_data.area_ward_population(ch.cfg),
                                  check_exact=True)
    fresh = lsoa_maps.lsoa_window(ch.cfg, ld.end)
    assert fresh.pop(lsoa_maps.MISSING).iloc[0] == ";".join(ld.missing)
    pd.testing.assert_frame_equal(ld.table, fresh, check_exact=True)
    # a second read is a cache hit and still equal
    sna_data.clear_memo()
    again = wards.load_ward_data(ch)
    pd.testing.assert_frame_equal(again.monthly, wd.monthly, check_exact=True)


def test_ward_table_has_every_ward_and_indicator(table, wd):
    assert list(table.columns[:9]) == CONTRACT
    assert table["ward_code"].nunique() == len(wd.wards) == 24
    per = table.groupby("indicator")["ward_code"].nunique()
    assert (per == 24).all() and "serious_violence" in per.index
    assert len(table) == 24 * len(per)
    assert (table["window"] == "12m").all()
    ok = table.dropna(subset=["rate_per_1000"])
    assert (ok["lower95"] <= ok["rate_per_1000"]).all()
    assert (ok["rate_per_1000"] <= ok["upper95"]).all()


def test_ward_populations_sum_to_census(wd, ch):
    pop = ch.load("population").frame
    lsoa_total = pop.loc[pop["level"] == "lsoa", "population"].sum()
    ltla_total = pop.loc[pop["geography_code"] == ch.cfg.area.code, "population"].sum()
    assert wd.population["population"].sum() == pytest.approx(lsoa_total)
    assert ltla_total == 389_343  # Census 2021 TS007A, Barnet (LSOA rows add to 389,365)
    assert wd.population["population"].sum() == pytest.approx(ltla_total, rel=1e-3)
    assert (wd.population["pop_10_24"] < wd.population["population"]).all()


def test_ward_counts_reconcile_and_match_the_raw_file(wd, table, ch):
    recon = wards.reconciliation(wd, table, ch.period)
    assert (recon["difference"] == 0).all()
    sv = table[table["indicator"] == "serious_violence"]
    boro = recon.set_index("indicator").loc["serious_violence", "borough_count"]
    assert sv["count"].sum() == boro
    months = [f"{m}" for m in pd.period_range(end=ch.period, periods=12, freq="M").astype(str)]
    burnt_oak = sv.set_index("ward_code").loc["E05013630", "count"]
    assert burnt_oak == hand_ward_count("E05013630", SV_MINORS, months)


def test_published_ward_table_is_disclosure_safe(table, ch):
    from dataclasses import replace

    # open MPS counts are published as the MPS publishes them (open_data: publish)...
    shown = ch.publish(table, "ward_indicators", **wards.SUPPRESS)
    small = table["count"].between(1, 4)
    assert small.any() and (shown.loc[small, "count"] == table.loc[small, "count"]).all()
    # ...and hidden, with what derives from them, under open_data: suppress
    ch = replace(ch, cfg=replace(ch.cfg, open_data="suppress"))
    safe = ch.publish(table, "ward_indicators", **wards.SUPPRESS)
    assert audit_table(safe, ch.cfg.min_count, ["count", "previous_count"]) == []
    hidden = safe["count"].isna()
    assert hidden.any()  # homicide / rape counts by ward are small
    assert safe.loc[hidden, ["rate_per_1000", "lower95", "upper95",
                             "eb_rate_per_1000"]].isna().all().all()
    written = pd.read_csv(ch.tables_dir / "ward_indicators.csv")
    assert list(written.columns[:9]) == CONTRACT


def test_hotspots_are_deterministic_and_fdr_consistent(wd, ch):
    windows = hotspots.hotspot_windows(wd, ch.period)
    assert len(windows) == 3
    a = hotspots.ward_hotspots(wd, windows, ("serious_violence",), permutations=999)
    b = hotspots.ward_hotspots(wd, windows, ("serious_violence",), permutations=999)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[:8]) == HOT_CONTRACT
    hot = a["hotspot_class"].str.startswith("Hot")
    assert (a.loc[hot, "gi_q"] <= 0.05).all()
    assert (a["windows_hot"].between(0, 3)).all()


def test_hotspot_text_is_honest_when_nothing_is_significant(wd, table, ch):
    hot = hotspots.ward_hotspots(wd, hotspots.hotspot_windows(wd, ch.period), ("serious_violence",),
                           permutations=999)
    md, finding, evidence = hotspots.hotspot_text(hot, table)
    if not hot["hotspot_class"].str.startswith("Hot").any():
        assert finding.startswith("No ward is a statistically significant hot spot")
    top = table[table["indicator"] == "serious_violence"].nlargest(1, "eb_rate_per_1000")
    assert top["ward_name"].iloc[0] in finding
    assert evidence["highest_rate_wards"][0] == top["ward_name"].iloc[0]


def test_concentration_top_decile(table, ld):
    conc = hotspots.concentration_table(table, ld.table)
    sv = conc[(conc["level"] == "ward") & (conc["indicator"] == "serious_violence")].iloc[0]
    assert sv["top_n_areas"] == 3 and sv["areas"] == 24
    d = table[table["indicator"] == "serious_violence"].nlargest(3, "count")
    assert sv["top_count"] == d["count"].sum()
    assert sv["top_share_pct"] > sv["population_share_pct"]
    lsoa = conc[conc["level"] == "lsoa"]
    assert (lsoa["areas"] == 220).all() and (lsoa["top_n_areas"] == 22).all()


def test_lsoa_level(ld, ch):
    assert ld is not None and ld.end <= ch.period
    d = ld.table[ld.table["indicator"] == wards.LSOA_SV]
    assert d["lsoa_code"].nunique() == 220
    parts = ld.table[ld.table["indicator"].isin(lsoa_maps.LSOA_SV_PARTS)]
    assert d["count"].sum() == parts["count"].sum()
    assert "rape" not in set(ld.table["indicator"])  # not published by LSOA
    assert d["hotspot_class"].notna().all()


def test_cctv_names_are_matched_and_mismatches_reported(ch, wd):
    cctv = ch.load("cctv").frame
    m = lsoa_maps.match_wards(cctv["ward"], wd.wards).set_index("name_in_source")
    assert m.loc["Totteridge & Whetstone", "ward_code"] == "E05013646"
    assert m.loc["Totteridge & Whetstone", "match"] == "approximate"
    assert m.loc["No ward/Left Blank", "match"] == "not matched"
    assert (m.loc[m.index != "Totteridge & Whetstone", "match"] != "approximate").all()
    long, by_ward = lsoa_maps.cctv_tables(cctv, wd.wards)
    assert long["count"].sum() == cctv["count"].sum() == by_ward["incidents"].sum()
    text = lsoa_maps.cctv_sentence(long, ch.cfg.min_count)
    assert "Totteridge &amp; Whetstone" in text and "No ward/Left Blank" in text


def test_police_uk_files_are_burglary_only(ch):
    types = lsoa_maps.police_uk_types(ch.load("police_uk").frame)
    assert list(types["crime_type"]) == ["Burglary"]
    assert "None of them is a violent crime type" in lsoa_maps.police_uk_sentence(types)


def test_maps_have_alt_text_and_no_small_counts(wd, table, ch):
    fig, alt = wards.rate_map(wd, table, "rape", ch.period, ch.cfg.min_count)
    assert alt.startswith("Map of 24 wards") and "suppressed" in alt
    fig2, alt2 = wards.relative_maps(wd, table, wards.MAP_INDICATORS, ch.period, ch.cfg.min_count)
    assert "4 maps of 24 wards" in alt2
    hot = hotspots.ward_hotspots(wd, {ch.period: table}, ("serious_violence",), permutations=99)
    _, alt3 = hotspots.hotspot_map(wd, hot)
    assert "Gi*" in alt3


# --- chapter 04 on the shipped data --------------------------------------------------------


def test_decile_rates_and_gradient(profiles, ld, ch):
    profile, _ = profiles
    assert profile["edition"].iloc[0] == "IoD2025" and profile["imd_decile"].notna().all()
    rates = deprivation.decile_rates(profile)
    assert set(rates["decile"]) == set(range(1, 11))
    assert rates["count"].sum() == profile["count"].sum()
    assert rates["lsoas"].sum() == 220
    text, ev = deprivation.decile_gradient(rates, ch.cfg.min_count)
    assert ev["ratio"] > 1 and "times" in text


def test_correlations_and_model(profiles):
    profile, ward = profiles
    corr = deprivation.correlations(ward, profile)
    dep = corr[(corr["level"] == "ward") & (corr["factor"] == "deprivation_pct")].iloc[0]
    assert dep["areas"] == 24 and dep["lower"] <= dep["rho"] <= dep["upper"]
    assert set(corr["level"]) == {"ward", "lsoa"}
    model = deprivation.model_table(profile, ward)
    assert model["level"].iloc[0] == "lsoa" and model["areas"].iloc[0] == 220
    assert "ecological" in deprivation.model_sentence(model)


def test_ward_profile_child_poverty(profiles):
    _, ward = profiles
    assert len(ward) == 24
    assert ward["child_poverty_pct"].between(0, 100).all()
    assert ward["income"].notna().all()  # IoD2019 via the LSOA 2011 weighted lookup


def test_risk_factors_contract(ch):
    young = young_people.young_people_all(ch)
    assert {"FirstYJS", "ReoffYO", "TotPermEx", "TotFixedEx", "16-17 NEET", "CIN"} <= set(
        young["indicator"])
    factors = young_people.risk_factors(ch, young)
    assert list(factors.columns[:5]) == ["factor", "area_value", "london_value", "unit",
                                         "comparison"]
    assert set(factors["comparison"]) <= {"worse than London", "better than London",
                                          "similar", "cannot be judged", "no comparison"}
    young_row = factors[factors["factor"].str.startswith("Young people aged 10-24")].iloc[0]
    pop = ch.load("population").frame
    ltla = pop[pop["geography_code"] == ch.cfg.area.code]
    share = ltla.loc[ltla["age_min"].between(10, 20), "population"].sum() / ltla[
        "population"].sum() * 100
    assert young_row["area_value"] == pytest.approx(share, abs=0.01)


def test_victims_and_offenders(ch, wd):
    stops, facts = victims.stop_search_table(ch.load("stop_search").frame, wd.wards)
    obj = stops[stops["dimension"] == "Object of search"]
    assert obj["count"].sum() == facts["stops"] > 0
    assert obj["mps_count"].sum() == facts["mps_stops"]
    census = ch.load("census").frame
    assert "Disproportionality is not assessed" in victims.stop_search_sentence(
        facts, stops, census[census["table"] != "TS021"], ch.cfg.min_count)
    # the default config now ships Census TS021 (ethnic group)
    assert "TS021) is supplied" in victims.stop_search_sentence(
        facts, stops, census, ch.cfg.min_count)


def test_vulnerable_populations(ch):
    vuln = victims.vulnerable_table(ch.load("partner_indicators").frame, None)
    assert {"MARAC (high-risk domestic abuse)", "Integrated Offender Management"} <= set(
        vuln["group"])
    shown = victims.vulnerable_display(vuln, ch.cfg.min_count)
    small = (shown["Unit"] == "count") & shown["Value"].between(1, 4)
    assert not small.any()
    assert victims.marac_trend(vuln, ch.cfg.area.name) is not None


def test_assets_when_supplied(wd, table):
    west = wd.wards[wd.wards["ward_name"] == "West Hendon"].to_crs(4326)
    point = west.geometry.representative_point().iloc[0]
    assets = pd.DataFrame({"name": ["Youth club", "Library", "Nowhere"],
                           "type": ["youth_centre", "library", "sports"],
                           "ward": [None, "Burnt Oak", "Atlantis"],
                           "latitude": [point.y, np.nan, np.nan],
                           "longitude": [point.x, np.nan, np.nan]})
    placed, by_ward = victims.assets_tables(assets, wd, None, table)
    assert list(placed["located_by"]) == ["coordinates", "ward name", "not placed"]
    assert list(placed["ward_name"].iloc[:2]) == ["West Hendon", "Burnt Oak"]
    assert by_ward["assets"].sum() == 2
    fig, alt = victims.assets_map(wd, by_ward, placed)
    assert "orange dots" in alt


# --- a synthetic borough (15 wards, required sources only) --------------------------------


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth")
    cfg = write_borough(folder, seed=5, n_wards=15, n_months=36)
    return open_chapter(str(cfg), "latest", str(folder / "out"), "03_spatial")


def test_synthetic_borough_end_to_end(synth):
    wd = wards.load_ward_data(synth)
    table = wards.ward_table(wd, synth.period)
    assert table["ward_code"].nunique() == 15
    recon = wards.reconciliation(wd, table, synth.period)
    assert (recon["difference"] == 0).all()
    windows = hotspots.hotspot_windows(wd, synth.period)
    hot = hotspots.ward_hotspots(wd, windows, ("serious_violence",), permutations=999)
    assert len(hot) == 15 and hot["windows_compared"].iloc[0] == len(windows)
    assert lsoa_maps.load_lsoa_data(synth, wd, synth.period) is None
    conc = hotspots.concentration_table(table, None)
    assert (conc["top_n_areas"] == 2).all()  # ceil(10% of 15)
    assert hotspots.headline(table, hot, conc)
    profile, ward = deprivation.load_profiles(synth, wd, table, None)
    assert profile is None and "young_share_pct" in ward
    assert not deprivation.correlations(ward, None).empty
    assert deprivation.model_table(None, ward)["level"].iloc[0] == "ward"
    young = young_people.young_people_all(synth)
    assert young.empty
    factors = young_people.risk_factors(synth, young)
    assert len(factors) == 1 and factors["factor"].iloc[0].startswith("Young people")
    assert victims.vulnerable_table(None, None).empty


# --- the Barnet config without its optional sources ----------------------------------------


def test_optional_sources_removed(tmp_path, monkeypatch, config_copy):
    monkeypatch.setenv("SNA_CACHE_DIR", str(ROOT / "data" / "interim"))
    path = config_copy(drop_data=OPTIONAL, name="minimal.yaml")
    c = open_chapter(str(path), "latest", str(tmp_path / "out"), "04_risk_protective")
    wd = wards.load_ward_data(c)
    table = wards.ward_table(wd, c.period)
    assert table["ward_code"].nunique() == 24
    assert lsoa_maps.load_lsoa_data(c, wd, c.period) is None
    profile, ward = deprivation.load_profiles(c, wd, table, None)
    assert profile is None and "child_poverty_pct" not in ward
    young = young_people.young_people_all(c)
    assert young.empty
    factors = young_people.risk_factors(c, young)
    assert list(factors["factor"]) == ["Young people aged 10-24 (share of residents)"]


@pytest.mark.slow
def test_notebooks_run_on_a_synthetic_borough(tmp_path):
    import json

    import nbformat
    import papermill as pm

    cfg = write_borough(tmp_path / "data", seed=2, n_wards=10, n_months=30)
    out = tmp_path / "out"
    for nb in ("03_spatial", "04_risk_protective"):
        pm.execute_notebook(str(ROOT / "notebooks" / f"{nb}.ipynb"), str(tmp_path / f"{nb}.ipynb"),
                            parameters={"config_path": str(cfg), "period": "latest",
                                        "output_dir": str(out)},
                            cwd=str(ROOT / "notebooks"), progress_bar=False)
        findings = json.loads((out / "findings" / f"{nb}.json").read_text())
        assert [f["kind"] for f in findings].count("headline") == 1
        text = nbformat.writes(nbformat.read(tmp_path / f"{nb}.ipynb", as_version=4))
        assert "Not supplied" in text and "Traceback" not in text
    ward = pd.read_csv(out / "tables" / "ward_indicators.csv")
    assert ward["ward_code"].nunique() == 10 and list(ward.columns[:9]) == CONTRACT
    assert set(pd.read_csv(out / "tables" / "risk_factors.csv")["comparison"]) <= {
        "worse than London", "better than London", "similar", "cannot be judged", "no comparison"}
    from sna.declared import audit_declared
    from sna.tables import spec_for

    for table in (out / "tables").glob("*.csv"):  # each against its declaration (open_data:
        spec = spec_for(table.stem)                # publish: partner counts 1-4 hidden)
        assert spec is not None, f"{table.name} is not declared in sna/tables.py"
        assert audit_declared(pd.read_csv(table), spec, 5, 1) == [], table.name
