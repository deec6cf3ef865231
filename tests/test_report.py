"""End-to-end: the runner, export, index and manifest on the shipped default and on a broken
chapter. These run real kernels (slow: marked, still run by `make test`)."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from sna.chapter import CHAPTERS
from sna.report.runner import run

pytestmark = pytest.mark.slow


class PageAudit(HTMLParser):
    """Collects external resources, code cells and images without alt text."""

    def __init__(self):
        super().__init__()
        self.external, self.no_alt, self.code, self.tables, self.captions = [], [], [], 0, 0
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        for key in ("src", "href", "data", "action", "poster"):
            v = (a.get(key) or "").strip().lower()
            if v.startswith(("http:", "https:", "//")) and tag != "a":
                self.external.append(f"<{tag} {key}={v[:60]}>")
        if tag == "img" and not (a.get("alt") or "").strip():
            self.no_alt.append(a.get("src", "")[:40])
        cls = a.get("class") or ""
        if re.search(r"jp-InputArea|input_area|highlight|jp-CodeMirror|input_prompt", cls):
            self.code.append(cls)
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1


def audit_page(path: Path) -> PageAudit:
    p = PageAudit()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, root):
    out = tmp_path_factory.mktemp("out")
    res = run(root / "config" / "barnet.yaml", out_root=out, jobs=2)
    return res, out


def test_default_run_produces_every_chapter(default_run):
    res, out = default_run
    assert res.exit_code == 0, [c.error for c in res.chapters]
    folder = out / "barnet" / res.period
    assert re.fullmatch(r"\d{4}-\d{2}", res.period)
    assert (folder / "index.html").is_file()
    for cid in CHAPTERS:
        assert (folder / "chapters" / f"{cid}.html").is_file()
        assert (folder / "notebooks" / f"{cid}.ipynb").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["period"] == res.period
    assert {c["status"] for c in manifest["chapters"]} == {"ok"}
    ward = next(i for i in manifest["inputs"] if i["key"] == "mps_ward")
    assert all(len(f["sha256"]) == 64 and f["size"] > 0 for f in ward["files"])
    assert manifest["finished"] and manifest["versions"]["papermill"]
    assert not list((out / "barnet").glob(".*.tmp-*"))


def test_every_page_is_offline_codeless_and_described(default_run):
    res, out = default_run
    folder = out / "barnet" / res.period
    pages = [folder / "index.html", *sorted((folder / "chapters").glob("*.html"))]
    assert len(pages) == 1 + len(CHAPTERS)
    for page in pages:
        a = audit_page(page)
        assert a.external == [], (page.name, a.external)
        assert a.no_alt == [], (page.name, a.no_alt)
        assert a.code == [], (page.name, a.code[:3])
        assert a.lang == "en"
        assert a.tables == a.captions, (page.name, "every table needs a caption")
        text = page.read_text(encoding="utf-8")
        assert "Traceback" not in text and "require.js" not in text.lower()
        assert "mathjax" not in text.lower()


def _broken_project(root: Path, tmp: Path) -> Path:
    proj = tmp / "proj"
    shutil.copytree(root / "notebooks", proj / "notebooks")
    nb = nbformat.read(proj / "notebooks" / "03_spatial.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        "raise ValueError('deliberate failure for the test: ward table missing')"))
    nbformat.write(nb, proj / "notebooks" / "03_spatial.ipynb")
    return proj


def test_failing_chapter_keeps_others_and_previous_output(root, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = run(root / "config" / "barnet.yaml", out_root=out, jobs=2,
                chapters=["01", "03", "07"])
    assert first.exit_code == 0
    good = first.out_dir
    before = {p.relative_to(good): p.read_bytes() for p in good.rglob("*") if p.is_file()}

    monkeypatch.setenv("SNA_PROJECT_ROOT", str(_broken_project(root, tmp_path)))
    # an interrupted earlier run must not matter either
    res = run(root / "config" / "barnet.yaml", out_root=out / "other", jobs=2,
              chapters=["01", "03", "07"])
    assert res.exit_code == 1
    status = {c.chapter_id: c.status for c in res.chapters}
    assert status == {"01_context_profile": "ok", "03_spatial": "failed",
                      "07_methodology": "ok"}
    folder = res.out_dir
    page = (folder / "chapters" / "03_spatial.html").read_text(encoding="utf-8")
    assert "This chapter could not be completed" in page
    assert "deliberate failure for the test" in page and "code cell" in page
    assert "Traceback" not in page
    assert (folder / "notebooks" / "03_spatial.ipynb").is_file()
    assert "Traceback" in (folder / "run.log").read_text(encoding="utf-8")
    assert (folder / "chapters" / "01_context_profile.html").is_file()
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Failed - see chapter" in index
    # the earlier good output is untouched
    after = {p.relative_to(good): p.read_bytes() for p in good.rglob("*") if p.is_file()}
    assert after == before


def test_failed_rerun_replaces_in_one_move_and_keeps_good_on_bad_input(root, tmp_path):
    out = tmp_path / "out"
    first = run(root / "config" / "barnet.yaml", out_root=out, chapters=["07"])
    assert first.exit_code == 0
    stamp = (first.out_dir / "manifest.json").read_bytes()
    bad = tmp_path / "bad.yaml"
    text = (root / "config" / "barnet.yaml").read_text().replace("../data/", f"{root}/data/")
    bad.write_text(text.replace("min_count: 5", "min_count: 5\n  colour: red"))
    res = run(bad, out_root=out)
    assert res.exit_code == 2 and "colour" in res.message
    assert (first.out_dir / "manifest.json").read_bytes() == stamp


def test_accessibility_axe_wcag22_aa(default_run, root):
    """axe-core in headless Chromium: no serious or critical WCAG 2.2 AA violation on any page."""
    import sys

    sys.path.insert(0, str(root))
    from scripts import a11y_check

    if not a11y_check.available():
        pytest.skip("chromium or axe-core not installed (.ci/setup-browser installs them)")
    res, out = default_run
    results = a11y_check.audit_report(out / "barnet" / res.period)
    assert len(results) == 1 + len(CHAPTERS)
    bad = {page: [v for v in vs if v["impact"] in ("serious", "critical")]
           for page, vs in results.items()}
    assert all(not v for v in bad.values()), bad


def test_headings_in_order(default_run):
    """No page skips a heading level going down (h1 -> h3)."""
    res, out = default_run
    folder = out / "barnet" / res.period
    for page in [folder / "index.html", *sorted((folder / "chapters").glob("*.html"))]:
        levels = [int(m) for m in re.findall(r"<h([1-6])[ >]", page.read_text(encoding="utf-8"))]
        assert levels and levels[0] == 1, (page.name, levels[:3])
        for a, b in zip(levels, levels[1:], strict=False):
            assert b <= a + 1, (page.name, f"h{a} followed by h{b}")


def _page_numbers(text: str) -> list[str]:
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", text)
    text = re.sub(r"generated \d{1,2} \w+ \d{4}", "", text)
    return re.findall(r"\d[\d,]*\.?\d*", re.sub(r"<[^>]+>", " ", text))


def test_reproducible_tables_and_numbers(default_run, tmp_path, root):
    """A second run on the same inputs gives byte-identical tables and the same numbers."""
    res, out = default_run
    again = run(root / "config" / "barnet.yaml", out_root=tmp_path, jobs=2)
    assert again.exit_code == 0
    first, second = out / "barnet" / res.period, again.out_dir
    tables = sorted(p.name for p in (first / "tables").glob("*.csv"))
    assert tables == sorted(p.name for p in (second / "tables").glob("*.csv"))
    for name in tables:
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes(), name
    for page in sorted((first / "chapters").glob("*.html")):
        a = _page_numbers(page.read_text(encoding="utf-8"))
        b = _page_numbers((second / "chapters" / page.name).read_text(encoding="utf-8"))
        assert a == b, page.name


_NUM = re.compile(r"(?<![\w.-])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d+)(%?)(?![\w])")


def _table_values(folder: Path) -> set[float]:
    import pandas as pd

    vals: set[float] = set()
    for f in (folder / "tables").glob("*.csv"):
        frame = pd.read_csv(f)
        for c in frame.columns:
            vals.update(float(v) for v in pd.to_numeric(frame[c], errors="coerce").dropna())
    return vals


def _unsourced(text: str, vals: set[float]) -> list[str]:
    """Numbers in ``text`` shown with decimals, thousands separators or as a percentage
    that no published table holds at that precision (small whole numbers count items,
    years and months are dates, 'per 1,000' is a unit)."""
    text = re.sub(r"\d{4}-\d{2}(-\d{2})?|per 1,000|per 100,000|per 10,000", "", text)
    bad = []
    for m in _NUM.finditer(text):
        tok, pct = m.group(1), m.group(2)
        x = float(tok.replace(",", ""))
        dp = len(tok.split(".")[1]) if "." in tok else 0
        if (dp == 0 and "," not in tok and not pct and x < 100) or (
                dp == 0 and 1990 <= x <= 2035 and "," not in tok):
            continue
        if not any(round(v, dp) == x for v in vals):
            bad.append(m.group(0))
    return bad


def test_one_number_everywhere(default_run):
    """Issue 20: every number in the findings JSON (and so the summary) is a published table
    value at the precision shown; the same quantity is quoted the same way in the chapter,
    the findings, the summary and the data pack."""
    import pandas as pd

    res, out = default_run
    folder = out / "barnet" / res.period
    vals = _table_values(folder)
    findings = {f.stem: json.loads(f.read_text()) for f in (folder / "findings").glob("*.json")}
    for cid, items in findings.items():
        for f in items:
            assert _unsourced(f["text"], vals) == [], (cid, f["text"])
    tables = {n: pd.read_csv(folder / "tables" / f"{n}.csv") for n in (
        "performance_dashboard", "deprivation_gradient", "interventions", "recommendations",
        "data_inventory", "monitoring_framework")}
    # chapter 02 headline = the dashboard row
    head = next(f for f in findings["02_violence_trends"] if f["kind"] == "headline")
    row = tables["performance_dashboard"].query(
        "indicator == 'serious_violence' and window == '12m'").iloc[0]
    ev = head["evidence"]
    assert (ev["count"], ev["previous_count"], ev["change_pct"]) == (
        row["count"], row["previous_count"], row["change_pct"])
    # chapter 04: the deprivation finding, the chapter text and the table agree
    grad = tables["deprivation_gradient"].iloc[0]
    risk = next(f for f in findings["04_risk_protective"] if "deprived" in f["text"])
    page = (folder / "chapters" / "04_risk_protective.html").read_text(encoding="utf-8")
    most = f"{grad['rate_most_deprived_30pct']:.1f}"
    assert f"({most} against" in risk["text"] and f"rate is <strong>{most} per 1,000" in page
    # chapter 05 counts current interventions only; chapter 06 its own recommendations
    current = int((tables["interventions"]["standing"] == "current").sum())
    head05 = next(f for f in findings["05_partnership_interventions"] if f["kind"] == "headline")
    assert head05["text"].startswith(f"{current} current interventions")
    head06 = next(f for f in findings["06_recommendations"] if f["kind"] == "headline")
    assert head06["text"].startswith(f"{len(tables['recommendations'])} recommendations")
    # the summary quotes the chapters word for word
    texts = {f["text"] for cid, items in findings.items() if cid != "00_summary" for f in items}
    summary = (folder / "index.html").read_text(encoding="utf-8") + (
        folder / "chapters" / "00_summary.html").read_text(encoding="utf-8")
    for f in findings["00_summary"]:
        assert _unsourced(f["text"], vals) == []
    for t in texts:
        if html.escape(t, quote=False) in summary:
            assert _unsourced(t, vals) == []
    # out-of-date sources: inventory, methodology finding and recommendation agree
    stale = tables["data_inventory"][tables["data_inventory"]["stale"] == True]  # noqa: E712
    gap = next(f for f in findings["07_methodology"] if "Out of date" in f["text"])
    assert sorted(gap["evidence"]["stale_sources"]) == sorted(stale["source"])
    # the data pack holds the same numbers as the CSV tables
    for name in ("performance_dashboard", "monitoring_framework", "deprivation_gradient"):
        sheet = pd.read_excel(folder / "data_pack.xlsx", sheet_name=name)
        csv = tables[name]
        for c in csv.select_dtypes("number").columns:
            a, b = pd.to_numeric(sheet[c], errors="coerce"), csv[c]
            assert ((a - b).abs().fillna(0) < 1e-6).all() and (a.isna() == b.isna()).all(), c


def test_pages_state_periods_and_out_of_date_sources(default_run):
    """Issue 20 item 3: sections state the period of their data; out-of-date sources are
    marked in the text, the summary and the data inventory."""
    import pandas as pd

    from sna.periods import window_label, window_months

    res, out = default_run
    folder = out / "barnet" / res.period
    window = window_label(window_months(res.period, "12m"))
    for cid in ("03_spatial", "04_risk_protective", "05_partnership_interventions",
                "06_recommendations"):
        assert window in (folder / "chapters" / f"{cid}.html").read_text(encoding="utf-8"), cid
    inv = pd.read_csv(folder / "tables" / "data_inventory.csv")
    assert {"latest_period", "stale"} <= set(inv.columns)
    stale = inv[inv["stale"] == True]  # noqa: E712
    assert "ambulance" in set(stale["source"]) and "mps_ward" not in set(stale["source"])
    assert "OUT OF DATE" in (folder / "chapters" / "07_methodology.html").read_text(
        encoding="utf-8")
    summary = (folder / "chapters" / "00_summary.html").read_text(encoding="utf-8")
    assert "out of date" in summary and "London Ambulance Service call-outs (to July 2016)" \
        in summary


def test_board_pack_pdf_has_every_chapter(default_run):
    """The board pack: one PDF with a contents page, as many chapters as the index links, each
    chapter title and the area name in its text, linked from the index, noted in the manifest."""
    pypdf = pytest.importorskip("pypdf")
    res, out = default_run
    folder = out / "barnet" / res.period
    pdf = folder / f"sna_barnet_{res.period}.pdf"
    assert pdf.is_file()
    reader = pypdf.PdfReader(pdf)
    index = (folder / "index.html").read_text(encoding="utf-8")
    linked = re.findall(r'<li><a href="chapters/([^"]+)\.html"', index)
    assert len(linked) == len(CHAPTERS)
    chapters = [o.title for o in reader.outline if not isinstance(o, list)]
    assert len(chapters) == len(linked)
    assert 20 <= len(reader.pages) <= 250, len(reader.pages)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Contents" in " ".join(reader.pages[1].extract_text().split())
    for title in CHAPTERS.values():
        assert title in text, title
    assert "Barnet" in text and text.count("Barnet \u00b7 12 months to") >= len(reader.pages) - 1
    assert f'href="{pdf.name}"' in index
    pack = json.loads((folder / "manifest.json").read_text())["board_pack"]
    assert pack["name"] == pdf.name and pack["pages"] == len(reader.pages)
