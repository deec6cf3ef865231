"""Hostile text in inputs (ward names, intervention names, partner notes) is escaped in HTML
and neutralised in CSV/XLSX exports, end to end."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
import yaml

from sna.report.runner import run
from sna.synthetic import write_borough

pytestmark = pytest.mark.slow

PAYLOADS = {
    "script": "<script>alert('ward')</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "formula": '=HYPERLINK("http://evil.example","click")',
    "jinja": "{{ 7*7 }} {% raw %}",
    "markdown": "[click](javascript:alert(1)) **bold**",
    "plus": "+cmd|' /C calc'!A0",
}


def _inject_ward_name(folder: Path, old: str, new: str) -> None:
    for path in folder.rglob("*"):
        if path.suffix in (".csv", ".geojson"):
            text = path.read_text(encoding="utf-8")
            if old in text:
                if path.suffix == ".geojson":
                    text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
                else:  # quote properly for CSV
                    rows = list(csv.reader(text.splitlines()))
                    rows = [[new if c == old else c for c in r] for r in rows]
                    with open(path, "w", newline="", encoding="utf-8") as f:
                        csv.writer(f).writerows(rows)
                    continue
                path.write_text(text, encoding="utf-8")


def _interventions(path: Path) -> None:
    cols = ["intervention", "lead_agency", "target_group", "sv_strand", "type",
            "status_or_period", "reported_output", "source_doc", "notes"]
    rows = [[PAYLOADS["script"], PAYLOADS["formula"], PAYLOADS["img"], "general_violence",
             "prevention", PAYLOADS["jinja"], PAYLOADS["plus"], PAYLOADS["markdown"], "x"]]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        w.writerows(rows)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    config = Path(write_borough(folder, seed=3, n_wards=9, n_months=30))
    cfg = yaml.safe_load(config.read_text())
    ward_file = next(folder.rglob("*.geojson"))
    first_name = json.loads(ward_file.read_text())["features"][0]["properties"]["WD22NM"]
    _inject_ward_name(folder, first_name, PAYLOADS["script"] + PAYLOADS["formula"])
    _interventions(folder / "interventions.csv")
    cfg["data"]["interventions"] = "interventions.csv"
    config.write_text(yaml.safe_dump(cfg))
    res = run(config, out_root=folder / "out", jobs=2,
              chapters=["03", "04", "05", "06", "07", "00"])
    return res


def test_run_completes(hostile_run):
    assert hostile_run.exit_code in (0, 1), hostile_run.message
    assert hostile_run.out_dir is not None


def test_no_payload_is_live_in_html(hostile_run):
    folder = hostile_run.out_dir
    for page in [folder / "index.html", *sorted((folder / "chapters").glob("*.html"))]:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page.name
        assert not re.search(r"<img[^>]*onerror", text, re.I), page.name
        assert 'href="javascript:' not in text.lower(), page.name
        assert "49" not in re.findall(r"\{\{ ?(\d+)", text)


def test_payload_text_is_still_shown_escaped(hostile_run):
    pages = " ".join(p.read_text(encoding="utf-8")
                     for p in (hostile_run.out_dir / "chapters").glob("*.html"))
    assert "&lt;script&gt;alert(" in pages


def test_csv_and_xlsx_cells_cannot_run_formulas(hostile_run):
    folder = hostile_run.out_dir
    for table in sorted((folder / "tables").glob("*.csv")):
        with open(table, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    if not cell:
                        continue
                    if cell[0] in "=@" or (cell[0] in "+-" and not re.fullmatch(
                            r"[+-]?(inf|[\d.]+(e[+-]?\d+)?%?)", cell)):
                        pytest.fail(f"{table.name}: live formula cell {cell!r}")
    pack = folder / "data_pack.xlsx"
    if pack.is_file():
        import openpyxl

        wb = openpyxl.load_workbook(pack)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for cell in row:
                    if isinstance(cell, str) and cell[:1] in ("=", "@", "+"):
                        pytest.fail(f"data_pack {ws.title}: live formula cell {cell!r}")


def test_board_pack_shows_payloads_as_text(hostile_run):
    """The PDF is made despite hostile names, and shows them as plain text (ReportLab markup
    in a name is not interpreted)."""
    pypdf = pytest.importorskip("pypdf")
    folder = hostile_run.out_dir
    pack = json.loads((folder / "manifest.json").read_text())["board_pack"]
    assert "error" not in pack, pack
    reader = pypdf.PdfReader(folder / pack["name"])
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "<script>alert('ward')</script>" in text
    assert '"><img src=x onerror=alert(1)>' in text  # a table cell in chapter 05
