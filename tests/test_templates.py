"""The Jinja2 page templates escape hostile text in every slot (area, period, titles, chapter
ids, findings, table names, error messages) and keep the page's accessible structure."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from sna.report.export import CellError, chapter_body, error_box
from sna.report.index import index_body, reading_order
from sna.report.page import PageContext, render_page

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


class LiveMarkup(HTMLParser):
    """Start tags and attributes that would make a payload live."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [k for k, _ in attrs if k.startswith("on")]

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> LiveMarkup:
    p = LiveMarkup()
    p.feed(html)
    return p


def assert_inert(html: str, times: int) -> None:
    """No script or handler is live, and the payload is still shown (as text) ``times`` times."""
    p = parse(html)
    assert "script" not in p.tags and p.handlers == []
    assert "img" not in p.tags
    assert "".join(p.text).count(PAYLOAD) >= times


def test_page_shell_escapes_every_slot():
    ctx = PageContext(area=PAYLOAD, period="2026-03", data_to="2026-03", generated=PAYLOAD,
                      chapters=(("01_x" + PAYLOAD, PAYLOAD), ("02_y", "Trends")))
    html = render_page(ctx, PAYLOAD, "<p>body made by the project</p>", current="02_y",
                       prefix="")
    assert_inert(html, 3)  # header area, generated, nav title (title element text is raw)
    assert "<title>&lt;script&gt;" in html
    assert "<p>body made by the project</p>" in html  # the body is inserted as HTML
    assert '<a href="02_y.html" aria-current="page">Trends</a>' in html
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert 'href="01_x&lt;script&gt;' in html  # the id escaped inside the attribute


def test_page_shell_has_landmarks_and_print_style():
    ctx = PageContext(area="Barnet", period="2026-03", data_to="2026-02", generated="5 December",
                      chapters=(("01_x", "Context"),))
    html = render_page(ctx, "Contents", "<h1>Contents</h1>", current=None, prefix="chapters/")
    for part in ('<a class="skip" href="#main">', '<nav class="chapters" aria-label="Chapters">',
                 '<main id="main">', "<footer>", '<a href="index.html" aria-current="page">',
                 '<a href="chapters/01_x.html">Context</a>', "Data up to February 2026",
                 "period to March 2026", "@media print"):
        assert part in html, part


def test_index_escapes_area_titles_findings_and_table_names(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "<b>evil.csv").write_text("a\n1\n")
    (tmp_path / "findings").mkdir()
    first, second = [cid for cid, _ in reading_order()][:2]
    (tmp_path / "findings" / f"{first}.json").write_text(
        json.dumps([{"kind": "headline", "text": PAYLOAD}]), encoding="utf-8")
    ctx = SimpleNamespace(work=tmp_path, period="2026-03",
                          cfg=SimpleNamespace(area=SimpleNamespace(name=PAYLOAD), min_count=5))
    results = [SimpleNamespace(chapter_id=first, title="Summary", status="ok"),
               SimpleNamespace(chapter_id=second, title=PAYLOAD, status="failed")]
    html = index_body(ctx, results, ["x"], board_pack={"name": "sna_x.pdf", "pages": 3,
                                                        "size": "1.0 MB"})
    assert_inert(html, 3)  # h1 area, failed chapter title, headline
    assert "&lt;b&gt;evil.csv" in html and "<b>" not in html
    assert "1 possible small count(s)" in html and "1 chapter(s) could not be completed" in html
    assert '<a href="sna_x.pdf">' in html and "3 pages" in html
    assert html.count("<tr>") == len(reading_order()) + 2 + 11  # 2 header rows, 11 components
    assert html.count('class="status-ok"') == 1 and "Not run" in html


def test_index_without_board_pack_or_tables(tmp_path):
    (tmp_path / "tables").mkdir()
    ctx = SimpleNamespace(work=tmp_path, period="2026-03",
                          cfg=SimpleNamespace(area=SimpleNamespace(name="Barnet"), min_count=5))
    html = index_body(ctx, [], [])
    assert "No tables were published." in html and ".pdf" not in html
    assert 'role="alert"' not in html


@pytest.mark.parametrize("err", [None, CellError(3, 5, "ValueError", PAYLOAD, "tb")])
def test_error_box_escapes_title_and_message(err):
    box = error_box(PAYLOAD, err, fallback=PAYLOAD)
    assert_inert(box, 2)
    assert box.startswith('<div class="callout error" role="alert"><h2>')
    assert ("code cell 3" in box) == (err is not None)


def test_missing_chapter_body_escapes_title():
    body = chapter_body(None, PAYLOAD, failed=True, reason=PAYLOAD)
    assert_inert(body, 3)  # h1, box title, box message
    assert body.index("could not be completed") < body.index("<h1>")


def test_demonstration_runs_say_so_on_every_page():
    """make demo (report: {demo: true}) marks every page as synthetic partner data."""
    from sna.report.page import PageContext, render_page

    base = dict(area="Barnet", period="2026-03", data_to="2026-03", generated="5 December",
                chapters=(("00_summary", "Executive summary"),))
    demo = render_page(PageContext(**base, demo=True), "Summary", "<p>x</p>", current=None,
                       prefix="chapters/")
    real = render_page(PageContext(**base), "Summary", "<p>x</p>", current=None,
                       prefix="chapters/")
    assert "Demonstration." in demo and "synthetic" in demo
    assert "Demonstration." not in real
