"""``sna init <borough>`` and the London-wide extract (issue 21).

Reference values are independent of the code under test: the boroughs' BCUs and land
neighbours are public geography (MPS BCU pages; any London map), ward codes come from the
ONS ward file as published (read here with pandas/geopandas, not through sna), and the
end-to-end counts are summed directly from the MPS ward CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sna import london
from sna.cli import main
from sna.config import load_config
from sna.data import load
from sna.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
LONDON = ROOT / "data" / "london"
SV_MINORS = ["HOMICIDE", "VIOLENCE WITH INJURY", "RAPE", "OTHER SEXUAL OFFENCES",
             "ROBBERY OF PERSONAL PROPERTY", "POSSESSION OF WEAPONS"]


@pytest.mark.parametrize(("text", "name"), [
    ("Barnet", "Barnet"), ("  BARNET ", "Barnet"), ("E09000003", "Barnet"),
    ("e09000007", "Camden"), ("kingston", "Kingston upon Thames"),
    ("Kingston-upon-Thames", "Kingston upon Thames"), ("Hammersmith & Fulham",
                                                       "Hammersmith and Fulham"),
    ("Royal Borough of Kensington and Chelsea", "Kensington and Chelsea"),
    ("London Borough of Tower  Hamlets", "Tower Hamlets"), ("City of Westminster", "Westminster"),
    ("richmond", "Richmond upon Thames"), ("E09000017", "Hillingdon"),
])
def test_find_borough_by_name_slug_or_code(text, name):
    assert london.find_borough(text).name == name


def test_typo_suggests_close_names_and_exits_2(tmp_path, capsys):
    with pytest.raises(ConfigError, match="Did you mean 'Camden'"):
        london.find_borough("Camdem")
    assert main(["init", "Hackny", "--config-dir", str(tmp_path)]) == 2
    assert "Did you mean 'Hackney'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_city_of_london_is_refused_with_the_reason(capsys, tmp_path):
    assert main(["init", "City of London", "--config-dir", str(tmp_path)]) == 2
    assert "City of London Police" in capsys.readouterr().err


def test_32_boroughs_in_12_bcus_match_the_mps_data():
    rows = london.boroughs()
    assert len(rows) == 32 and len({b.bcu for b in rows}) == 12
    # the MPS LSOA crime file names the 32 borough codes it covers
    codes = set(pd.read_parquet(LONDON / "recorded-crime-lsoa-london.parquet",
                                columns=["borough"])["borough"])
    assert {b.code for b in rows} == codes
    assert london.bcu_members(london.find_borough("Barnet")) == ["Barnet", "Brent", "Harrow"]
    assert set(london.bcu_members(london.find_borough("Wandsworth"))) == {
        "Wandsworth", "Kingston upon Thames", "Merton", "Richmond upon Thames"}


def test_neighbours_are_the_boroughs_sharing_a_boundary():
    barnet = set(london.neighbours(london.find_borough("Barnet")))
    assert {"Enfield", "Haringey", "Camden", "Brent", "Harrow"} <= barnet
    assert not barnet & {"Bromley", "Westminster", "Islington", "Redbridge"}
    # Hillingdon's only London neighbours (the rest of its edge is Hertfordshire/Surrey/Bucks)
    assert london.neighbours(london.find_borough("Hillingdon")) == ["Ealing", "Harrow",
                                                                    "Hounslow"]
    # Westminster touches the City, which is not an MPS borough, so it is not listed
    west = london.neighbours(london.find_borough("Westminster"))
    assert {"Camden", "Kensington and Chelsea"} <= set(west) and "City of London" not in west
    # symmetric over all 32 boroughs
    by_name = {b.name: set(london.neighbours(b)) for b in london.boroughs()}
    assert all(a in by_name[n] for a, ns in by_name.items() for n in ns)


def test_init_writes_a_valid_config_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["init", "westminster", "--config-dir", str(tmp_path)]) == 0
    path = tmp_path / "westminster.yaml"
    out = capsys.readouterr().out
    assert f"sna run --config {path}" in out and "data/templates/" in out
    cfg = load_config(path)
    assert (cfg.area.name, cfg.area.code) == ("Westminster", "E09000033")
    assert cfg.area.bcu == ("Westminster", "Hammersmith and Fulham", "Kensington and Chelsea")
    assert cfg.files("partner_indicators") == ()  # partner data are the analyst's to add
    from sna.sections.recommendations import load_plan
    assert load_plan(cfg.plan) == []  # not Barnet's plan: leads are 'to be agreed'
    path.write_text(path.read_text() + "# my edit\n")
    assert main(["init", "E09000033", "--config-dir", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert path.read_text().endswith("# my edit\n")
    assert main(["init", "E09000033", "--config-dir", str(tmp_path), "--force"]) == 0
    assert "# my edit" not in path.read_text()


def test_list_prints_every_borough(capsys):
    assert main(["init", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 32 and any("Hillingdon" in x and "West BCU" in x for x in lines)


@pytest.fixture(scope="module")
def ons_wards(shared_real) -> pd.DataFrame:
    """The ONS 2022 London wards as stored in ../shared (not the extract)."""
    return gpd.read_file(shared_real / "boundaries/london_wards_2022/london_wards_2022_bgc.shp",
                         columns=["WD22CD", "LAD22CD"], ignore_geometry=True)


@pytest.mark.parametrize("code", [b.code for b in london.boroughs()])
def test_wards_of_every_generated_config_are_the_boroughs_2022_wards(code, tmp_path, ons_wards):
    cfg = load_config(london.init_borough(code, tmp_path))
    wards = load(cfg, "wards", cache_dir=tmp_path / "cache").frame
    assert set(wards["ward_code"]) == set(ons_wards.loc[ons_wards["LAD22CD"] == code, "WD22CD"])
    if code == "E09000017":  # Hillingdon keeps Heathrow Villages (MPS rows: SO18)
        assert "E05013570" in set(wards["ward_code"])


@pytest.mark.slow
def test_camden_end_to_end_matches_the_mps_ward_file(tmp_path):
    """``sna init camden`` then ``sna run``: exit 0, Camden's 20 wards, counts = MPS sums."""
    config_dir, out = tmp_path / "config", tmp_path / "out"
    assert main(["init", "Camden", "--config-dir", str(config_dir)]) == 0
    code = main(["run", "--config", str(config_dir / "camden.yaml"), "--out", str(out),
                 "--chapters", "02_violence_trends,03_spatial", "--period", "2026-03"])
    assert code == 0
    table = pd.read_csv(out / "camden" / "2026-03" / "tables" / "ward_indicators.csv",
                        dtype={"ward_code": str})
    vwi = table[(table["indicator"] == "violence_with_injury") & (table["window"] == "12m")]
    mps = pd.read_csv(ROOT / "data/raw/mps/ward/MPS Ward Level Crime (most recent 24 months).csv")
    mps = mps[(mps["LookUp_BoroughName"] == "Camden") & (mps["MinorText"] == "VIOLENCE WITH INJURY")]
    months = [f"{y}{m:02d}" for y, m in [(2025, m) for m in range(4, 13)]
              + [(2026, m) for m in range(1, 4)]]
    expected = mps.groupby("WardCode")[months].sum().sum(axis=1)
    assert len(expected) == 20 and set(vwi["ward_code"]) == set(expected.index)
    got = vwi.set_index("ward_code")["count"]
    assert (got.reindex(expected.index) == expected).all()
    # the borough headline: serious violence = its six MPS categories, summed by hand
    sv = pd.read_csv(ROOT / "data/raw/mps/ward/MPS Ward Level Crime (most recent 24 months).csv")
    sv = sv[(sv["LookUp_BoroughName"] == "Camden") & sv["MinorText"].isin(SV_MINORS)]
    previous = [f"{y}{m:02d}" for y, m in [(2024, m) for m in range(4, 13)]
                + [(2025, m) for m in range(1, 4)]]
    assert main(["overview", "--out", str(out), "--period", "2026-03"]) == 0
    view = pd.read_csv(out / "london" / "2026-03" / "london_overview.csv").set_index("borough")
    assert view.loc["Camden", "count"] == sv[months].to_numpy().sum()
    assert view.loc["Camden", "previous_count"] == sv[previous].to_numpy().sum()
    assert view.loc["Camden", "status"] == "ok" and view.loc["Barnet", "status"] == "not produced"
    camden = view.loc["Camden"]
    assert camden["rank_lower95"] <= camden["london_rank"] <= camden["rank_upper95"]



def test_init_all_writes_every_borough_and_keeps_existing_files(tmp_path, capsys):
    (tmp_path / "camden.yaml").write_text("# mine\n")
    assert main(["init", "--all", "--config-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"kept existing (use --force) {tmp_path / 'camden.yaml'}" in out
    assert (tmp_path / "camden.yaml").read_text() == "# mine\n"
    written = sorted(p.stem for p in tmp_path.glob("*.yaml"))
    assert len(written) == 32 and "city-of-london" not in written
    cfg = load_config(tmp_path / "richmond-upon-thames.yaml")
    assert cfg.area.code == "E09000027" and "Kingston upon Thames" in cfg.area.neighbours


def _dashboard(folder: Path, rows: list[dict], chapter_status: str = "ok") -> None:
    (folder / "tables").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "tables" / "performance_dashboard.csv", index=False)
    manifest = {"chapters": [{"id": "02_violence_trends", "status": chapter_status}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_overview_takes_each_boroughs_headline_and_names_the_missing(tmp_path):
    from sna.london_overview import collect, write_overview

    base = {"indicator": "serious_violence", "period_start": "2025-04",
            "period_end": "2026-03", "london_areas": 32, "change_significant": False}
    _dashboard(tmp_path / "camden" / "2026-03", [
        {**base, "window": "3m", "count": 9, "london_rank": 1},  # other window: not used
        {**base, "window": "12m", "count": 4000, "previous_count": 4300, "change_pct": -7.0,
         "rate_per_1000": 19.0, "london_rank": 31, "change_robust": True}])
    _dashboard(tmp_path / "brent" / "2026-03", [
        {**base, "window": "12m", "count": 3000, "previous_count": 2900, "change_pct": 3.4,
         "rate_per_1000": 8.7, "london_rank": 4, "change_robust": False}], "failed")
    pd.DataFrame({"borough": ["Camden", "Brent", "Barnet"], "indicator": "serious_violence",
                  "count": [4000, 3000, 3300], "population": [210000, 340000, 390000]}).to_csv(
        tmp_path / "camden" / "2026-03" / "tables" / "london_comparison.csv", index=False)
    frame = collect(tmp_path, "2026-03")
    assert len(frame) == 32
    assert list(frame["borough"][:2]) == ["Camden", "Brent"]  # highest rate first
    camden = frame.set_index("borough").loc["Camden"]
    assert (camden["count"], camden["previous_count"], camden["london_rank"]) == (4000, 4300, 31)
    # rates 19.0, 8.8, 8.5 per 1,000: Camden is clearly last of the three; Brent and Barnet
    # are within chance of each other; Barnet has no SNA of its own, so no rank is shown
    assert (camden["rank_lower95"], camden["rank_upper95"]) == (3, 3)
    brent = frame.set_index("borough").loc["Brent"]
    assert (brent["rank_lower95"], brent["rank_upper95"]) == (1, 2)
    assert frame.set_index("borough").loc["Barnet"][["rank_lower95", "count"]].isna().all()
    statuses = frame.set_index("borough")["status"]
    assert statuses["Brent"] == "chapter failed" and statuses["Barnet"] == "not produced"
    path, _ = write_overview(tmp_path, "2026-03")
    html = path.read_text()
    assert '<a href="../../camden/2026-03/index.html">Camden</a>' in html
    assert "robust fall" in html and "no detectable change" in html
    assert "Brent (chapter failed)" in html and "Barnet (not produced)" in html
    assert "<caption>" in html and 'lang="en"' in html
    assert 'alt="Map of 32 boroughs' in html and "data:image/png;base64," in html


def test_rank_intervals_separate_clear_differences_and_not_chance_ones():
    from sna.london_overview import rank_intervals

    pop = np.full(4, 100_000.0)
    lower, upper = rank_intervals(np.array([100, 1000, 10000, 100000]), pop)
    assert list(lower) == [1, 2, 3, 4] and list(upper) == [1, 2, 3, 4]
    lower, upper = rank_intervals(np.array([500, 500, 5000]), np.full(3, 100_000.0))
    assert list(lower) == [1, 1, 3] and list(upper) == [2, 2, 3]
    # null data: 20 boroughs with the same true rate; each one's interval must cover its true
    # (shared) position range, i.e. be wide, in nearly every case
    rng = np.random.default_rng(7)
    counts = rng.poisson(1000, size=20)
    lower, upper = rank_intervals(counts, np.full(20, 100_000.0))
    assert np.median(upper - lower) >= 10
