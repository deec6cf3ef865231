"""The registries (sna/registry.py): sources, chapters from notebook metadata, SNA components
and definition-derived constants, each checked against everything that reads it."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from sna import registry
from sna.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
CORE = ["01_context_profile", "02_violence_trends", "03_spatial", "04_risk_protective",
        "05_partnership_interventions", "06_recommendations", "07_methodology", "00_summary"]
# the core chapters in their run order, then the second-stage chapters (08-10) that are
# drop-in notebooks themselves; every shipped notebook is one of them
SHIPPED = sorted((p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                 key=lambda c: (c == "00_summary", c not in CORE, c))


# --- sources -------------------------------------------------------------------------------

def test_every_source_has_an_importable_loader_publisher_and_licence():
    keys = registry.source_keys()
    assert len(keys) == len(set(keys)) and len(keys) == len(registry.SOURCES)
    for s in registry.SOURCES:
        module, func = s.loader.split(":")
        assert callable(getattr(importlib.import_module(module), func)), s.key
        assert s.what and s.publisher and s.licence and s.docs, s.key  # no silent "assumed"


def test_config_loaders_preflight_and_methodology_read_the_one_registry():
    from sna import config, io
    from sna.report import inputs
    from sna.sections import methodology

    assert config.REQUIRED_SOURCES == ("mps_ward", "wards", "population")
    assert set(config.SOURCE_KEYS) == set(registry.source_keys())
    assert set(config.OPTIONAL_SOURCES) == set(registry.source_keys(required=False))
    assert io.LOADERS == registry.loaders()
    assert inputs.SOURCE_KEYS == config.SOURCE_KEYS
    assert set(methodology.SOURCES) == set(registry.source_keys())
    assert methodology.SOURCES["mps_ward"][2] == "Open Government Licence v2.0"


def test_partner_templates_exist_and_match_the_schemas():
    from sna.io.records import AE_COLUMNS, POLICE_COLUMNS
    from sna.schemas import PARTNER_SPECS

    with_template = {s.key: s.template for s in registry.SOURCES if s.template}
    records = {"police_records": POLICE_COLUMNS, "ae_attendances": AE_COLUMNS}
    assert with_template == {**{k: spec.template for k, spec in PARTNER_SPECS.items()},
                             **{k: f"{k}.csv" for k in records}}
    for name in with_template.values():
        assert (ROOT / "data" / "templates" / name).is_file(), name
    for key, columns in records.items():  # record-level templates: the contract header
        header = (ROOT / "data" / "templates" / f"{key}.csv").read_text().strip().split(",")
        assert tuple(header) == columns


def test_readme_holds_the_registry_table_of_every_source():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert registry.sources_markdown() in readme
    for key in registry.source_keys():
        assert f"| `{key}` |" in readme


def test_config_refuses_a_key_the_registry_does_not_know(write_yaml):
    from sna.config import load_config

    path = write_yaml("area: {name: X, code: E09000003}\ndata: {mps_wrd: x.csv}\n")
    with pytest.raises(ConfigError, match="mps_wrd"):
        load_config(path)


# --- chapters ------------------------------------------------------------------------------

def test_shipped_chapters_run_order_dependencies_and_reading_order():
    order = registry.run_order()
    assert [c for c in order if c in CORE] == CORE and set(order) == set(SHIPPED)
    assert order[-1] == "00_summary"
    assert registry.reading_order() == sorted(SHIPPED)
    deps = registry.depends()
    assert deps["05_partnership_interventions"] == ["03_spatial", "04_risk_protective"]
    assert deps["06_recommendations"] == ["02_violence_trends", "03_spatial",
                                          "04_risk_protective", "05_partnership_interventions"]
    assert sorted(deps["00_summary"]) == sorted(SHIPPED[:-1])
    assert registry.chapters()["00_summary"].reads_all


def test_compatibility_names_are_derived_from_the_metadata():
    from sna.chapter import CHAPTERS
    from sna.report.components import COMPONENTS
    from sna.report.runner import DEPENDS, ORDER

    assert list(CHAPTERS) == registry.run_order()
    assert CHAPTERS["00_summary"] == "Executive summary"
    assert ORDER == registry.run_order() and DEPENDS == registry.depends()
    assert [c[:3] for c in COMPONENTS][:4] == [
        (1, "Serious Violence", "01_context_profile"), (2, "Methodology", "07_methodology"),
        (3, "Demographic and Socioeconomic Context", "01_context_profile"),
        (4, "Serious Violence Data and Trends", "02_violence_trends")]


def test_every_sna_component_is_covered_by_a_shipped_chapter():
    rows = registry.components()
    assert [r[0] for r in rows] == list(range(1, 12))
    assert all(r[2] in SHIPPED and r[3] for r in rows)
    # a component claimed twice is covered by the first chapter; the second shows its section
    from sna.report.components import components_by_chapter

    assert components_by_chapter()["03_spatial"] == ["Serious Violence Data and Trends (spatial)"]


def _notebook(path: Path, meta: dict | None, *, parameters: bool = True,
              code: str = "x = 1") -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('config_path = ""\nperiod = ""\noutput_dir = ""')
    if parameters:
        cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(code)]
    if meta is not None:
        nb.metadata["sna"] = meta
    nbformat.write(nb, path)
    return path


def test_a_dropped_in_notebook_is_a_chapter_run_after_its_dependencies(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "nb")
    _notebook(tmp_path / "nb" / "08_town_centre.ipynb",
              {"title": "Town centre", "depends": ["02_violence_trends", "03_spatial"],
               "components": [{"component": "Serious Violence Data and Trends",
                               "section": "Town centre"}]})
    _notebook(tmp_path / "nb" / "scratch.ipynb", None)  # not NN_topic: not a chapter
    order = registry.run_order(tmp_path / "nb")
    assert order.index("08_town_centre") > order.index("03_spatial")
    assert order[-1] == "00_summary"  # the summary waits for the new chapter too
    assert "08_town_centre" in registry.depends(tmp_path / "nb")["00_summary"]
    reading = registry.reading_order(tmp_path / "nb")
    assert reading == sorted(reading) and "08_town_centre" in reading
    assert "scratch" not in registry.chapter_titles(tmp_path / "nb")


@pytest.mark.parametrize(("meta", "parameters", "message"), [
    ({"depends": []}, True, "non-empty string `title`"),
    ({"title": "T", "depends": "01_context_profile"}, True, "must be a list"),
    ({"title": "T", "depends": ["01_nope"]}, True, "01_nope"),
    ({"title": "T", "components": ["Serious violence!"]}, True, "Serious violence!"),
    ({"title": "T", "colour": "red"}, True, "unknown key"),
    ({"title": "T"}, False, "parameters"),
    (None, True, 'no notebook metadata "sna"'),
])
def test_malformed_metadata_is_a_clear_error_naming_the_notebook(tmp_path, meta, parameters,
                                                                 message):
    _notebook(tmp_path / "01_context_profile.ipynb", {"title": "Context"})
    bad = _notebook(tmp_path / "09_bad.ipynb", meta, parameters=parameters)
    with pytest.raises(ConfigError) as err:
        registry.chapters(tmp_path)
    assert str(bad) in str(err.value) and message in str(err.value)


def test_a_folder_without_chapters_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no chapter notebooks"):
        registry.chapters(tmp_path / "missing")


def test_a_dependency_circle_is_refused(tmp_path):
    _notebook(tmp_path / "01_a.ipynb", {"title": "A", "depends": ["02_b"]})
    _notebook(tmp_path / "02_b.ipynb", {"title": "B", "depends": ["01_a"]})
    with pytest.raises(ConfigError, match="circle"):
        registry.chapters(tmp_path)


def test_legacy_entries_only_fill_in_for_notebooks_without_metadata(tmp_path, monkeypatch):
    _notebook(tmp_path / "01_a.ipynb", {"title": "From metadata"})
    _notebook(tmp_path / "02_b.ipynb", None)
    monkeypatch.setitem(registry.LEGACY_TITLES, "01_a", "From a legacy entry")
    monkeypatch.setitem(registry.LEGACY_TITLES, "02_b", "Legacy chapter")
    monkeypatch.setitem(registry.LEGACY_DEPENDS, "02_b", ["01_a"])
    registry._discover.cache_clear()
    assert registry.chapter_titles(tmp_path) == {"01_a": "From metadata",
                                                 "02_b": "Legacy chapter"}
    assert registry.depends(tmp_path) == {"02_b": ["01_a"]}
    registry._discover.cache_clear()


def test_sna_chapters_lists_metadata_and_refuses_malformed(tmp_path, monkeypatch, capsys):
    from sna.cli import main

    assert main(["chapters"]) == 0
    out = capsys.readouterr().out
    assert "00_summary" in out and "runs after: every other chapter" in out
    assert "Monitoring and Evaluation" in out
    _notebook(tmp_path / "03_x.ipynb", {"title": 3})
    monkeypatch.setenv("SNA_NOTEBOOKS_DIR", str(tmp_path))
    assert main(["chapters"]) == 2
    assert "03_x.ipynb" in capsys.readouterr().err


def test_shipped_notebooks_carry_metadata_only_at_notebook_level():
    for cid in SHIPPED:
        nb = json.loads((ROOT / "notebooks" / f"{cid}.ipynb").read_text(encoding="utf-8"))
        assert set(nb["metadata"]["sna"]) == {"title", "depends", "components"}
        assert not any("sna" in c.get("metadata", {}) for c in nb["cells"])


# --- the definition ------------------------------------------------------------------------

def test_lsoa_parts_are_the_definition_without_what_lsoa_data_do_not_publish():
    from sna.sections.lsoa_maps import LSOA_SV_PARTS

    # indicators.yaml: serious_violence = homicide + violence_with_injury + rape + other sexual
    # offences + personal robbery + possession of weapons; sexual offences not at LSOA level
    assert LSOA_SV_PARTS == ("homicide", "violence_with_injury", "personal_robbery",
                             "possession_of_weapons")
    assert registry.sv_parts() == ("homicide", "violence_with_injury", "rape",
                                   "other_sexual_offences", "personal_robbery",
                                   "possession_of_weapons")


def test_the_lsoa_definition_in_words_matches_chapter_03s_wording():
    text = registry.sv_parts_text("lsoa")
    assert text == "homicide, violence with injury, personal robbery and possession of weapons"
    nb = (ROOT / "notebooks" / "03_spatial.ipynb").read_text(encoding="utf-8")
    assert f"serious violence means {text}." in nb


def test_a_malformed_chapter_stops_the_run_before_anything_runs(tmp_path, monkeypatch):
    from sna.report.runner import select_chapters

    _notebook(tmp_path / "01_a.ipynb", {"title": ""})
    monkeypatch.setenv("SNA_NOTEBOOKS_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="01_a.ipynb"):
        select_chapters(["01"])


def test_changing_the_definition_is_one_edit_to_the_definitions_file(tmp_path, monkeypatch):
    from sna import definitions

    data = yaml.safe_load(definitions.YAML_PATH.read_text(encoding="utf-8"))
    parts = data["indicators"]["serious_violence"]["components"]
    parts.remove("possession_of_weapons")
    edited = tmp_path / "indicators.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(definitions, "YAML_PATH", edited)
    assert registry.sv_parts("lsoa") == ("homicide", "violence_with_injury",
                                         "personal_robbery")
