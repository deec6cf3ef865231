"""England and Wales comparison: ONS table C2 and DfE statistical neighbours loaders (real
files and damaged copies), CSP populations, ranks and the national_comparison table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sna import funnel, national
from sna.config import Source
from sna.errors import SchemaError
from sna.io.census import load_population
from sna.io.comparators import load_comparators
from sna.io.csp import load_csp_crime, window_from_title

C2 = "data/raw/national/ons_csp_tableC2_headline_offences_ye_jun2025.csv"
SN = "data/raw/national/dfe_statistical_neighbours_sn_may_2025.xlsx"


def _load(path: Path, key: str = "csp_crime", **opts):
    src = (Source(key, Path(path), tuple(sorted(opts.items()))),)
    return (load_csp_crime if key == "csp_crime" else load_comparators)(src, None)


@pytest.fixture(scope="module")
def c2(root):
    return _load(root / C2)


@pytest.fixture(scope="module")
def areas(root, c2):
    pop = load_population((Source("population", root / "data/raw/census/"
                                   "census2021-ts007a-ltla.csv"),), None).frame
    return national.csp_areas(c2.frame, national.ltla_populations(pop)), pop


def test_c2_real_file_rows_window_and_barnet_counts(c2):
    f = c2.frame
    kinds = f.drop_duplicates(["force_code", "csp_code", "csp_name"])["row_kind"].value_counts()
    assert kinds.to_dict() == {"csp": 314, "unassigned": 43, "force_total": 42}  # PROVENANCE
    assert (c2.meta["period_start"], c2.meta["period_end"]) == ("2024-07", "2025-06")
    barnet = f[f["csp_code"] == "E22000187"].set_index("indicator")["count"]
    # published values (PROVENANCE.md of ../shared/data/real/national)
    assert barnet["violence_with_injury"] == 1817
    assert barnet["total_recorded_crime"] == 27410
    assert barnet["robbery"] == 685 and barnet["possession_of_weapons"] == 153
    surrey = f[(f["csp_name"] == "unassigned Surrey")]
    assert surrey["count"].isna().all()  # a row of blank cells is missing, not 0


def test_window_from_title():
    assert window_from_title("Table C2 ... year ending June 2025 [note 1]") == ("2024-07", "2025-06")
    assert window_from_title("year ending December 2024") == ("2024-01", "2024-12")
    assert window_from_title("Table C2 for 2024") is None


def test_areas_partition_england_and_wales(areas):
    a, pop = areas
    vwi = a[a["indicator"] == "violence_with_injury"]
    assert vwi["area_code"].is_unique and len(vwi) == 305  # 294 LA codes + 11 combined CSPs
    assert vwi["population"].notna().all()
    # every Census 2021 LTLA is used exactly once: the areas add up to England and Wales
    ltla = pop[pop["level"] == "ltla"]
    assert vwi["population"].sum() == ltla["population"].sum()
    members = national.area_members()
    assert not set(members["lad_code"]) & set(vwi["area_code"])
    names = ltla.drop_duplicates("geography_code").set_index("geography_code")["geography_name"]
    assert (members["lad_code"].map(names) == members["lad_name"]).all()
    # old-district CSPs summed to their LA: BCP has two CSP rows in C2
    assert int(vwi.loc[vwi["area_code"] == "E06000058", "csps"].iloc[0]) == 2


def test_ranks_hand_computed():
    a = pd.DataFrame({"area_code": ["A", "B", "C", "D"], "area_name": list("abcd"),
                      "indicator": "x", "rate_per_1000": [3.0, 1.0, 2.0, float("nan")]})
    r = national.rank_group(a, None, "england_wales").set_index("area_code")
    assert r["rank"].tolist()[:3] == [3, 1, 2] and pd.isna(r.loc["D", "rank"])
    assert (r["areas"] == 3).all()
    s = national.rank_group(a, ["A", "C"], "similar").set_index("area_code")
    assert s["rank"].to_dict() == {"A": 2, "C": 1}


def test_national_comparison_barnet(areas):
    a, _ = areas
    nc = national.national_comparison(a, ["E06000038", "E09000031"], "E09000003")
    assert list(nc.columns[:11]) == national.COLUMNS
    b = nc[(nc["area_code"] == "E09000003") & (nc["indicator"] == "violence_with_injury")]
    assert set(b["group"]) == {"england_wales", "similar", "london"}
    assert (b["count"] == 1817).all()
    ew = b[b["group"] == "england_wales"].iloc[0]
    assert ew["areas"] == 305 and ew["population"] == 389_343
    ew_all = nc[(nc["group"] == "england_wales") & (nc["indicator"] == "violence_with_injury")]
    assert ew["rank"] == (ew_all["rate_per_1000"] < ew["rate_per_1000"]).sum() + 1
    assert b.loc[b["group"] == "london", "areas"].iloc[0] == 33
    assert b.loc[b["group"] == "similar", "areas"].iloc[0] == 3


def test_comparators_real_workbook_barnet(root):
    f = _load(root / SN, "comparators").frame
    assert len(f) == 1580  # 153 current x 10 + 5 old x 10 (PROVENANCE)
    b = national.dfe_similar(f, "Barnet")
    assert b["sn_la_name"].tolist() == ["Waltham Forest", "Reading", "Harrow", "Redbridge",
                                        "Merton", "Croydon", "Lewisham", "Hillingdon",
                                        "Haringey", "Ealing"]
    assert b["sn_la_num"].tolist()[:2] == ["320", "870"]


def test_match_areas_names_and_codes(areas):
    a, _ = areas
    found, missing = national.match_areas(
        ["Reading", "Bedford Borough", "Bristol, City of", "E09000014", "Hertfordshire"], a)
    assert found == {"Reading": "E06000038", "Bedford Borough": "E06000055",
                     "Bristol, City of": "E06000023", "E09000014": "E09000014"}
    assert missing == ["Hertfordshire"]  # a county: C2 is by district


def _c2_copy(root: Path, tmp: Path, old: str, new: str, count: int = 1) -> Path:
    text = (root / C2).read_text(encoding="utf-8")
    assert old in text
    p = tmp / "c2.csv"
    p.write_text(text.replace(old, new, count), encoding="utf-8")
    return p


@pytest.mark.parametrize("old, new, needles", [
    ('"1,817 "', '"1,8x7 "', ["c2.csv", "row", "'Violence with injury'", "1,8x7"]),
    ("E23000001,Metropolitan Police,E22000187,Barnet,E09000003",
     "E23000001,Metropolitan Police,E22000187,Barnet,Barnet LA",
     ["c2.csv", "row", "'Local Authority code'", "Barnet LA"]),
    ("E22000187", "E22000188", ["c2.csv", "E22000188", "twice"]),
    ("Community Safety\nPartnership code", "CSP ref", ["c2.csv", "Community Safety Partnership code"]),
    ("year ending June 2025", "2025", ["c2.csv", "year ending"]),
], ids=["bad-number", "bad-la-code", "duplicate-csp", "no-header", "no-window"])
def test_c2_bad_input_names_file_row_column(root, tmp_path, old, new, needles):
    path = _c2_copy(root, tmp_path, old, new)
    with pytest.raises(SchemaError) as err:
        _load(path)
    for needle in needles:
        assert needle in str(err.value)


def test_c2_bad_row_number_is_spreadsheet_row(root, tmp_path):
    path = _c2_copy(root, tmp_path, '"1,817 "', '"-5"')
    text = path.read_text(encoding="utf-8")
    before = text[:text.index('"-5"')]
    import csv
    import io
    row = sum(1 for _ in csv.reader(io.StringIO(before)))  # the damaged row, 1-based
    with pytest.raises(SchemaError, match=f"row {row}, "):
        _load(path)


def test_comparators_bad_input(tmp_path):
    long = tmp_path / "sn.csv"
    long.write_text("la_num,la_name,sn_rank,sn_la_num\n302,Barnet,one,320\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"sn\.csv, row 2, column 'sn_rank': value 'one'"):
        _load(long, "comparators")
    bad = tmp_path / "cols.csv"
    bad.write_text("la,name\n302,Barnet\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="cols.csv: missing column"):
        _load(bad, "comparators")
    wb = tmp_path / "wb.xlsx"
    pd.DataFrame({"a": [1], "b": [2]}).to_excel(wb, index=False)
    with pytest.raises(SchemaError, match="wb.xlsx: no header row with 'LA num'"):
        _load(wb, "comparators")


def test_comparators_bad_cell_in_workbook(root, tmp_path):
    raw = pd.read_excel(root / SN, header=None, dtype=str)
    raw.iat[4, 5] = "Reading"  # Barnet's SN1 should be a DfE number
    wb = tmp_path / "sn.xlsx"
    raw.to_excel(wb, header=False, index=False)
    with pytest.raises(SchemaError, match=r"sn\.xlsx, row 5, column 'SN1': value 'Reading'"):
        _load(wb, "comparators")


def test_overdispersion_hand_computed():
    # target 0.01 per person, populations 10,000: s = 0.001; z = (y - 0.01) / 0.001
    counts = np.array([100, 120, 80, 100])  # z = 0, 2, -2, 0 (winsorising at 0% keeps them)
    phi, tau2 = funnel.rate_overdispersion(counts, np.full(4, 10_000), 0.01, share=0.0)
    assert phi == pytest.approx((0 + 4 + 4 + 0) / 4)
    w = np.full(4, 1 / 1e-6)
    assert tau2 == pytest.approx((4 * 2 - 3) / (w.sum() - (w ** 2).sum() / w.sum()))
    lo, hi = funnel.rate_random_effects_limits(10_000, 0.01, 0.0)
    assert hi == pytest.approx(0.01 + 1.959964 * 0.001)


def test_overdispersion_recovers_simulated_spread():
    rng = np.random.default_rng(3)
    pops = rng.integers(50_000, 500_000, size=300)
    true_sd = 0.002  # between-area SD of the rate per person around 0.008
    rates = np.clip(rng.normal(0.008, true_sd, size=300), 1e-4, None)
    counts = rng.poisson(rates * pops)
    _, tau2 = funnel.rate_overdispersion(counts, pops, 0.008)
    assert 0.5 * true_sd < np.sqrt(tau2) < 1.5 * true_sd  # winsorising shrinks it a little
    null = rng.poisson(0.008 * pops)
    phi0, tau0 = funnel.rate_overdispersion(null, pops, 0.008)
    assert phi0 < 1.2 and np.sqrt(tau0) < 0.0005


def _nd(areas_frame, similar):
    from sna.sections import national as sec

    a = areas_frame[areas_frame["indicator"].isin(sec.INDICATORS)]
    table = national.national_comparison(a, similar.values(), "E09000003")
    return sec.NationalData(a, table, similar, "test", [], "2024-07", "2025-06")


def test_section_summary_and_ranks(areas):
    from sna.sections import national as sec

    nd = _nd(areas[0], {"Reading": "E06000038", "Harrow": "E09000015"})
    text = sec.summary(nd, "E09000003", "Barnet")
    assert "**1,817**" in text and "lowest of 305" in text and "of 33 in London" in text
    assert "lower than the rate of England and Wales" in text
    row = pd.Series({"rank": 300, "areas": 305})
    assert sec.rank_words(row) == "6th highest of 305"
    assert sec.rank_words(pd.Series({"rank": 1, "areas": 11})) == "lowest of 11"
    assert sec.rank_words(pd.Series({"rank": 12, "areas": 305})) == "12th lowest of 305"
    assert "not the assessment's window Apr 2025 to Mar 2026" in sec.window_sentence(nd, "2026-03")
    assert "same 12 months" in sec.window_sentence(nd, "2025-06")
    # the E&W pooled rate: all offences over all residents of England and Wales
    vwi = nd.areas[nd.areas["indicator"] == "violence_with_injury"]
    assert sec.pooled_rate(nd, "violence_with_injury") == pytest.approx(
        vwi["count"].sum() / vwi["population"].sum() * 1000)


def test_funnel_positions_overdispersed_wider(areas):
    from sna.sections import national as sec

    nd = _nd(areas[0], {})
    pos = sec.funnel_position(nd)
    n_pois = (pos["poisson"] != "within").sum()
    n_od = (pos["overdispersed"] != "within").sum()
    assert pos["phi"].iloc[0] > 1 and n_od < n_pois  # real areas are overdispersed
    # an area outside the random-effects limits is outside the Poisson ones too
    assert (pos.loc[pos["overdispersed"] != "within", "poisson"] != "within").all()


@pytest.mark.parametrize("key, damage, needles", [
    ("csp_crime", ('"1,817 "', '"1,8x7 "'), ["c2.csv", "row", "Violence with injury", "1,8x7"]),
    ("comparators", None, ["sn.csv", "row 2", "sn_rank", "one"]),
], ids=["csp_crime", "comparators"])
def test_bad_national_input_exits_2(root, tmp_path, monkeypatch, capsys, key, damage, needles):
    from sna.cli import main

    monkeypatch.setenv("SNA_CACHE_DIR", str(root / "data" / "interim"))
    text = (root / "config" / "barnet.yaml").read_text().replace("../data/", f"{root}/data/")
    if key == "csp_crime":
        bad = _c2_copy(root, tmp_path, *damage)
        text = text.replace(f"{root}/{C2}", str(bad))
    else:
        bad = tmp_path / "sn.csv"
        bad.write_text("la_num,la_name,sn_rank,sn_la_num\n302,Barnet,one,320\n", encoding="utf-8")
        text = text.replace(f"{root}/{SN}", str(bad))
    for name in ("recommendation_rules.yaml", "implementation_plan.yaml"):
        (tmp_path / name).write_text((root / "config" / name).read_text())
    cfg = tmp_path / "area.yaml"
    cfg.write_text(text)
    assert main(["validate", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err


def test_similar_from_config_overrides_dfe(areas, root):
    from types import SimpleNamespace

    from sna.sections import national as sec

    area = SimpleNamespace(similar=("Reading", "E09000015", "Nowhere"), name="Barnet")
    ch = SimpleNamespace(cfg=SimpleNamespace(area=area), has=lambda k: True,
                         load=lambda k: _load(root / SN, "comparators"))
    found, source, missing = sec._similar(ch, areas[0])
    assert found == {"Reading": "E06000038", "E09000015": "E09000015"}
    assert missing == ["Nowhere"] and "area.similar" in source
    ch.cfg.area = SimpleNamespace(similar=(), name="Barnet")
    found, source, missing = sec._similar(ch, areas[0])
    assert len(found) == 10 and not missing and "statistical neighbours" in source


def test_overview_of_published_table_hides_small_counts(areas):
    from sna.disclosure import suppress
    from sna.sections import national as sec

    nd = _nd(areas[0], {})
    nd.table = suppress(sec._rank_intervals(nd.table), sec.SUPPRESS["count_cols"], 5,
                        dependent=sec.SUPPRESS["dependent"], flag=None)
    ov = sec.overview(nd, "E09000003").set_index("Offence group")
    hom = ov.loc["Homicide"]  # Barnet: 1 homicide in the year (PROVENANCE)
    assert pd.isna(hom["Offences"]) and pd.isna(hom["Rate per 1,000"])
    assert hom["Rank in England and Wales"] == "not shown (small number)"
    assert ov.loc["Violence with injury", "Offences"] == 1817
    assert "too few offences" in sec.summary(nd, "E09000003", "Barnet", "homicide")
