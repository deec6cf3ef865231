"""The partnership's definition (sna/definitions/partnership.yaml) and the chapter 01 people
profile (sex, ethnic group, density, lone parents) against published Census figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from sna.config import Source
from sna.definitions import load_indicators
from sna.definitions.partnership import load_partnership, partnership_table
from sna.errors import ConfigError
from sna.io.census import load_census
from sna.io.common import LoadContext
from sna.sections.profile_people import people_indicators

ROOT = Path(__file__).resolve().parents[1]
CENSUS = ROOT / "data" / "raw" / "census"
PARTS = ["under 25", "exploitation", "domestic abuse", "sexual violence", "homicide", "gbh/abh",
         "rape", "sexual assault", "personal robbery", "threats to kill", "weapons"]


class _Cfg:
    def __init__(self, keys):
        self.keys = set(keys)

    def has(self, key):
        return key in self.keys


def test_every_part_of_the_definition_is_listed_with_a_measure_or_a_gap():
    parts = load_partnership()["parts"]
    names = " | ".join(p["part"].lower() for p in parts)
    assert all(n in names for n in PARTS), names
    known = set(load_indicators())
    for p in parts:
        assert set(p["indicators"]) <= known
        assert p["indicators"] or (p["measure"].startswith("not in the data supplied")
                                   and p["partner_source"])
    assert load_partnership()["offence_total"] == "serious_violence"


def test_status_follows_the_sources_supplied():
    full = partnership_table(_Cfg({"mps_ward", "mps_dashboard"})).set_index("part")
    slim = partnership_table(_Cfg({"mps_ward"})).set_index("part")
    assert full.loc["Domestic abuse", "status"] == "counted"
    assert slim.loc["Domestic abuse", "status"] == "not supplied (data.mps_dashboard)"
    alias = partnership_table(_Cfg({"mps_ward", "knife_crime"})).set_index("part")
    assert alias.loc["Domestic abuse", "status"] == "counted"
    assert full.loc["Threats to kill", "status"] == "not in the data supplied"


def test_bad_definition_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("parts:\n  - {part: X, indicators: [no_such_id], source: mps_ward, "
                   "measure: m, partner_source: s}\n")
    with pytest.raises(ConfigError, match="no_such_id"):
        load_partnership(bad)


def test_people_profile_against_published_census_figures():
    files = [CENSUS / f"census2021-ts{t}-ltla.csv" for t in ("003", "006", "008", "021")]
    census = load_census(tuple(Source("census", f) for f in files),
                         LoadContext("Barnet", "E09000003")).frame
    rows = people_indicators(census, "E09000003", "Barnet").set_index("indicator")
    # ONS: Barnet 200,799 women and girls of 389,344; 18,103 lone-parent households of which
    # 10,476 with dependent children, of 148,919; density 4,488.7 per km2
    assert rows.loc["Women and girls", "area_value"] == round(200_799 / 389_344 * 100, 1)
    assert rows.loc["Lone parents with dependent children", "area_value"] == round(
        10_476 / 148_919 * 100, 1)
    assert rows.loc["Population density", "area_value"] == 4488.7
    assert 5000 < rows.loc["Population density", "london_value"] < 6000   # London ~5,600
    groups = rows[rows.index.str.startswith("Ethnic group")]
    assert len(groups) == 5 and groups["area_value"].sum() == pytest.approx(100, abs=0.3)
    assert groups["london_value"].sum() == pytest.approx(100, abs=0.3)


def test_ward_factors_add_up_to_the_borough():
    from sna.io.lookups import load_lookups
    from sna.sections.profile_people import ward_factors

    names = [f"census2021-ts{t}-lsoa-barnet.csv" for t in ("003", "006", "008", "021")]
    ctx = LoadContext("Barnet", "E09000003")
    census = load_census(tuple(Source("census", CENSUS / n) for n in names), ctx).frame
    lk = load_lookups((Source("lookups", ROOT / "data" / "raw" / "lookups"
                              / "lsoa21_to_ward22_bestfit_london.csv"),), ctx).frame
    codes = sorted(lk.loc[lk["lsoa_code"].isin(set(census["geography_code"])), "ward_code"]
                   .unique())
    out = ward_factors(census, lk, codes).set_index("ward_code")
    assert len(out) == 24 and out.notna().all().all()
    hh = census[(census["table"] == "TS003") & census["is_total"]]["value"].sum()
    lone = census[(census["table"] == "TS003") & (census["category"].str.endswith(
        "Lone parent family: With dependent children"))]["value"].sum()
    # ONS LTLA: 10,476 of 148,919 households (7.03%); LSOA cells are perturbed separately
    assert lone / hh * 100 == pytest.approx(7.03, abs=0.05)
    assert out["lone_parent_pct"].between(0, 100).all()
    assert out["density_per_km2"].median() == pytest.approx(4488.7, rel=0.5)
