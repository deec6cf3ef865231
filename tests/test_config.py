"""Config loading: the shipped default and each way a config can be wrong."""

from __future__ import annotations

import pytest

from sna.config import load_config, slugify
from sna.errors import ConfigError

MIN = """
area: {{name: Testboro, code: E09000099}}
data:
  mps_ward: w.csv
  wards: w.geojson
  population: p.csv
{extra}
"""


@pytest.fixture
def files(tmp_path):
    for n in ("w.csv", "w.geojson", "p.csv"):
        (tmp_path / n).write_text("x")
    return tmp_path


def test_default_config_loads(root):
    cfg = load_config(root / "config" / "barnet.yaml")
    assert cfg.area.name == "Barnet" and cfg.area.code == "E09000003"
    assert cfg.area.slug == "barnet"
    assert cfg.min_count == 5
    assert len(cfg.files("mps_ward")) == 3 and all(s.path.is_file() for s in cfg.files("mps_ward"))
    assert cfg.has("interventions") and not cfg.has("assets")


def test_minimal_config(files, write_yaml):
    cfg = load_config(write_yaml(MIN.format(extra="")))
    assert cfg.period == "latest" and cfg.area.bcu == ()
    assert cfg.files("mps_ward")[0].path.name == "w.csv"


def test_period_override(files, write_yaml):
    assert load_config(write_yaml(MIN.format(extra="")), period="2025-01").period == "2025-01"


def test_mapping_entry_keeps_options(files, write_yaml):
    text = MIN.format(extra="").replace("wards: w.geojson",
                                        "wards: {path: w.geojson, crs: 'EPSG:27700'}")
    cfg = load_config(write_yaml(text))
    assert cfg.files("wards")[0].option("crs") == "EPSG:27700"


def test_glob_entry(files, write_yaml):
    (files / "a1.csv").write_text("x")
    (files / "a2.csv").write_text("x")
    cfg = load_config(write_yaml(MIN.format(extra="").replace("mps_ward: w.csv",
                                                             "mps_ward: a*.csv")))
    assert [s.path.name for s in cfg.files("mps_ward")] == ["a1.csv", "a2.csv"]


@pytest.mark.parametrize("extra, needle", [
    ("colour: blue", "'colour'"),
    ("disclosure: {min_count: 0}", "min_count"),
    ("disclosure: {min_cuont: 5}", "'min_cuont'"),
    ("targets: [1, 2]", "targets"),
    ("partnership: {a: 1}", "partnership"),
], ids=["unknown-top-key", "min-count-zero", "typo-in-disclosure", "targets-not-map",
        "partnership-not-list"])
def test_bad_keys(files, write_yaml, extra, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(write_yaml(MIN.format(extra=extra)))


def test_unknown_data_key(files, write_yaml):
    text = MIN.format(extra="").replace("population: p.csv", "population: p.csv\n  crmie: x.csv")
    with pytest.raises(ConfigError, match="'crmie'"):
        load_config(write_yaml(text))


def test_missing_required_source_named(files, write_yaml):
    text = MIN.format(extra="").replace("  wards: w.geojson\n", "")
    with pytest.raises(ConfigError, match=r"data\.wards"):
        load_config(write_yaml(text))


def test_missing_file_named(files, write_yaml):
    text = MIN.format(extra="").replace("p.csv", "nothere.csv")
    with pytest.raises(ConfigError, match=r"data\.population.*nothere\.csv"):
        load_config(write_yaml(text))


@pytest.mark.parametrize("text, needle", [
    ("area: [1]\n", "area"),
    ("- just a list\n", "mapping"),
    ("area: {name: X, code: E09000099}\ndata: {mps_ward: [\n", "YAML"),
    ("area: {name: X, code: 12}\ndata: {}\n", "ONS area code"),
    ("!!python/object/apply:os.system ['echo hi']\n", "YAML"),
], ids=["area-not-map", "not-mapping", "syntax", "bad-code", "unsafe-yaml-tag"])
def test_malformed(write_yaml, text, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(write_yaml(text))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name, slug", [("Barking and Dagenham", "barking-and-dagenham"),
                                        ("Kensington & Chelsea", "kensington-chelsea"),
                                        ("../../etc", "etc")])
def test_slug_cannot_escape(name, slug):
    assert slugify(name) == slug


def test_duplicate_key_refused_with_line(files, write_yaml):
    # PyYAML keeps the second `population:` silently: p.csv would be dropped from the run
    (files / "p2.csv").write_text("x")
    text = MIN.format(extra="").replace("population: p.csv", "population: p.csv\n  population: p2.csv")
    with pytest.raises(ConfigError, match=r"area\.yaml, line 7: key 'population' is given twice "
                                          r"\(first on line 6\)"):
        load_config(write_yaml(text))


def test_duplicate_nested_key_refused(files, write_yaml):
    with pytest.raises(ConfigError, match="'min_count' is given twice"):
        load_config(write_yaml(MIN.format(extra="disclosure: {min_count: 5, min_count: 3}")))


@pytest.mark.parametrize("period, needle", [("2025Q4", "quarter"), ("'01/03/2026'", "ambiguous"),
                                            ("2026-03-01", "ambiguous")])
def test_period_key_strict(files, write_yaml, period, needle):
    with pytest.raises(ConfigError, match=f"area.yaml: period.*{needle}"):
        load_config(write_yaml(MIN.format(extra=f"period: {period}")))


def test_period_forms_normalised(files, write_yaml):
    assert load_config(write_yaml(MIN.format(extra="period: March 2026"))).period == "2026-03"
    assert load_config(write_yaml(MIN.format(extra="period: 202603"))).period == "2026-03"
    with pytest.raises(ConfigError, match="--period"):
        load_config(write_yaml(MIN.format(extra="")), period="2025Q4")


def test_open_data_key(files, write_yaml):
    cfg = load_config(write_yaml(MIN.format(extra="disclosure: {min_count: 5, open_data: suppress}")))
    assert cfg.open_data == "suppress"
    assert cfg.threshold("open") == 5 and cfg.threshold("partner") == 5
    cfg = load_config(write_yaml(MIN.format(extra="")))
    assert cfg.open_data == "publish" and cfg.threshold("open") == 1
    assert cfg.threshold("partner") == 5 and cfg.threshold("mixed") == 5
    with pytest.raises(ConfigError, match="open_data must be"):
        load_config(write_yaml(MIN.format(extra="disclosure: {open_data: hide}")))
