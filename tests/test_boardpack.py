"""The board pack PDF, built from small hand-made chapter pages: contents with the right page
numbers, every chapter on its own page, tables split across pages with the header repeated,
figures in, running header, hostile text shown as text; a failing build never stops the run."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import shutil
import subprocess
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from PIL import Image

from sna.report import publish
from sna.report.boardpack import PackInfo, build_board_pack
from sna.report.page import PageContext, render_page

pypdf = pytest.importorskip("pypdf")

HOSTILE = 'Ward <script>alert(1)</script> & <font size="80">big</font> <b>x'
CHAPTERS = (("00_summary", "Executive summary"), ("01_context", "Context and profile"),
            ("02_trends", "Violence data and trends"))


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (440, 300), (11, 83, 148)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _table(rows: int) -> str:
    body = "".join(f'<tr><td>Ward {i:03d}</td><td class="num">{i * 7}</td></tr>'
                   for i in range(rows))
    return ('<div class="table-wrap"><table><caption>Offences by ward</caption><thead><tr>'
            '<th scope="col">Ward name</th><th scope="col">Offences</th></tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _bodies() -> dict[str, str]:
    esc = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "00_summary": "<h1>Executive summary</h1><h2>Key findings</h2><ul><li><strong>How "
                      "much:</strong> violence rose 17.4% (581 \u2192 681).</li><li>Second "
                      "point</li></ul>",
        "01_context": f'<h1>Context and profile</h1><div class="prose"><h2>Wards &amp; &lt;b&gt;places</h2><p>{esc}'
                      '</p></div><div class="callout warning" role="note"><p>A caveat.</p>'
                      f'</div><figure><img src="data:image/png;base64,{_png()}" alt="a map">'
                      "<figcaption>Figure caption here</figcaption></figure>",
        "02_trends": f"<h1>Violence data and trends</h1><h2>Wards table</h2>{_table(160)}"
                     "<h2>After the table</h2><p>Closing words.</p>",
    }


INFO = PackInfo(area="Barnet", area_slug="barnet", period="2026-03",
                window="April 2025 to March 2026", period_label="March 2026",
                data_to_label="March 2026", generated="5 December 2026", chapters=CHAPTERS)


def _build(work, bodies: dict[str, str], chapters=CHAPTERS) -> tuple[dict, object]:
    """Write the chapter pages ``bodies`` into ``work/chapters`` and build the pack there."""
    (work / "chapters").mkdir()
    ctx = PageContext(area="Barnet", period="2026-03", data_to="2026-03",
                      generated="5 December 2026", chapters=chapters)
    for cid, body in bodies.items():
        (work / "chapters" / f"{cid}.html").write_text(
            render_page(ctx, cid, body, current=cid, prefix=""), encoding="utf-8")
    info = PackInfo(**{**INFO.__dict__, "chapters": chapters})
    meta = build_board_pack(work, info)
    return {**meta, "path": work / meta["name"]}, work / meta["name"]


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    meta, path = _build(tmp_path_factory.mktemp("run"), _bodies())
    reader = pypdf.PdfReader(path)
    pages = [p.extract_text() for p in reader.pages]
    return meta, reader, pages


def flat(text: str) -> str:
    """Extracted text with line breaks (where the PDF wrapped lines) as spaces."""
    return " ".join(text.split())


def _first_page_with(pages: list[str], text: str, start: int = 2) -> int:
    """1-based number of the first page from ``start`` (0-based) whose text has ``text``."""
    return next(i + 1 for i, t in enumerate(pages) if i >= start and text in t)


def test_file_name_pages_and_cover(pack):
    meta, reader, pages = pack
    assert meta["name"] == "sna_barnet_2026-03.pdf" and meta["chapters"] == 3
    assert meta["pages"] == len(reader.pages) and 6 <= len(pages) <= 12
    assert meta["passes"] == 1  # one layout pass: the contents take their pages afterwards
    cover = flat(pages[0])
    for text in ("Serious Violence Strategic Needs Assessment", "Barnet",
                 "April 2025 to March 2026", "Generated 5 December 2026"):
        assert text in cover


LEADER_LINE = re.compile(r"^\s*(\S.*?\S)\s*(?:\.\s*)+(\d+)\s*$", re.M)


def _poppler_pages(path) -> list[str]:
    """Each page's text as poppler lays it out (``pdftotext -layout``). The contents' leaders
    and page numbers are form XObjects, which pypdf's layout mode does not place."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("needs pdftotext (poppler-utils) to read the contents as laid out")
    out = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, check=True,
                         text=True).stdout
    return out.split("\f")


def _listed(pages: list[str]) -> tuple[list[tuple[str, int]], int]:
    """The contents' (entry, page number) lines in order and the 0-based index of the first
    page after the contents."""
    entries, n = [], 1
    while n < len(pages) and LEADER_LINE.search(pages[n]):
        entries += [(m.group(1), int(m.group(2))) for m in LEADER_LINE.finditer(pages[n])]
        n += 1
    return entries, n


def test_contents_page_numbers_match_where_chapters_start(pack):
    meta, _, pages = pack
    laid = _poppler_pages(meta["path"])
    assert re.search(r"^\s*Contents\s*$", laid[1], re.M)
    entries, body = _listed(laid)
    assert body == 2  # one contents page
    titles = [t for _, t in CHAPTERS]
    expected = [titles[0], "Key findings", titles[1], "Wards & <b>places", titles[2],
                "Wards table", "After the table"]  # reading order, markup shown as text
    assert [t for t, _ in entries] == expected
    for title, number in entries:
        assert _first_page_with(pages, title) == number, title
    starts = [n for t, n in entries if t in titles]
    assert starts == sorted(starts) and len(set(starts)) == 3  # each chapter on its own page


def test_contents_numbers_in_order_without_poppler(pack):
    """pypdf reads each entry's number (a form) in the order the entries are drawn."""
    _, reader, pages = pack
    numbers = [int(n) for n in re.findall(r"(?:\.\s+)+(\d+)\s*$", pages[1], re.M)]
    titles = [t for _, t in CHAPTERS]
    expected = [titles[0], "Key findings", titles[1], "Wards & <b>places", titles[2],
                "Wards table", "After the table"]
    assert numbers == [_first_page_with(pages, t) for t in expected]


def test_long_contents_over_several_pages_and_one_layout_pass(tmp_path):
    """70 sections: the contents run over more than one page, every entry keeps its page."""
    chapters = (("00_summary", "Executive summary"), ("01_context", "Context and profile"))
    para = "<p>" + "Words about this topic that fill some of the page. " * 12 + "</p>"
    bodies = {cid: f"<h1>{title}</h1>" + "".join(
        f"<h2>Topic {cid[1]}{n:02d}</h2>{para * (1 + n % 4)}" for n in range(35))
        for cid, title in chapters}
    meta, path = _build(tmp_path, bodies, chapters)
    assert meta["passes"] == 1
    laid = _poppler_pages(path)
    entries, body = _listed(laid)
    assert body >= 3, "72 entries should need two contents pages"
    titles = [t for t, _ in entries]
    assert titles == [x for cid, title in chapters
                      for x in [title] + [f"Topic {cid[1]}{n:02d}" for n in range(35)]]
    for title, number in entries:
        page = next(i + 1 for i, t in enumerate(laid) if i >= body and title in t)
        assert number == page, title
    assert len(set(n for _, n in entries)) > 20  # the sections really are spread out


def test_same_inputs_give_a_byte_identical_pack(pack, tmp_path):
    meta, _, _ = pack
    again, path = _build(tmp_path, _bodies())
    assert again["pages"] == meta["pages"]
    assert path.read_bytes() == meta["path"].read_bytes()


def test_outline_has_every_chapter(pack):
    _, reader, _ = pack
    top = [o.title for o in reader.outline if not isinstance(o, list)]
    assert top == [t for _, t in CHAPTERS]


def test_long_table_breaks_with_header_repeated(pack):
    _, _, pages = pack
    with_rows = [i for i, t in enumerate(pages) if "Ward 0" in t or "Ward 1" in t]
    assert len(with_rows) >= 2, "160 rows should need more than one page"
    for i in with_rows:
        assert "Ward name" in pages[i] and "Offences" in pages[i], f"page {i + 1}: no header"
    text = "".join(pages[i] for i in with_rows)
    assert all(f"Ward {n:03d}" in text for n in range(160))  # no row lost at a break
    assert "After the table" in pages[with_rows[-1]] or "After the table" in pages[
        with_rows[-1] + 1]


def test_running_header_and_page_numbers(pack):
    _, _, pages = pack
    for n, text in enumerate(pages[1:], start=2):
        assert "Barnet \u00b7 12 months to March 2026" in flat(text), n
        assert f"Page {n}" in text, n
    assert "Page 1" not in pages[0]


def test_text_glyphs_figure_and_hostile_text(pack):
    meta, reader, pages = pack
    text = flat(" ".join(pages))
    assert "581 \u2192 681" in text  # a glyph outside Latin-1 survives (embedded font)
    assert "<script>alert(1)</script>" in text and '<font size="80">big</font>' in text
    assert "Figure caption here" in text and "A caveat." in text
    page = reader.pages[_first_page_with(pages, "Figure caption here") - 1]
    assert len(page.images) == 1


def _ctx(work):
    cfg = SimpleNamespace(area=SimpleNamespace(name="Barnet", slug="barnet", code="E09000003"),
                          min_count=5, path=work / "x.yaml")
    return publish.RunContext(cfg, "2026-03", work, [], datetime(2026, 12, 5, tzinfo=UTC),
                              ["2026-03"])


def test_a_failing_pack_is_logged_and_noted_not_raised(tmp_path, monkeypatch, caplog):
    import sna.report.boardpack as bp

    def boom(*a, **k):
        raise RuntimeError("no room on the page")

    monkeypatch.setattr(bp, "build_board_pack", boom)
    with caplog.at_level(logging.ERROR, logger="sna"):
        res = publish.write_board_pack(_ctx(tmp_path), [], {}, 0)
    assert res == {"name": "sna_barnet_2026-03.pdf",
                   "error": "RuntimeError: no room on the page"}
    assert "board pack (PDF) could not be written" in caplog.text
    assert not list(tmp_path.glob("*.pdf*"))


def test_failed_chapters_and_audit_problems_are_on_the_cover(tmp_path):
    from sna.report.export import chapter_body

    ctx = _ctx(tmp_path)
    (tmp_path / "chapters").mkdir()
    body = chapter_body(None, "Spatial distribution", failed=True, reason="kernel died")
    (tmp_path / "chapters" / "03_spatial.html").write_text(
        render_page(ctx.page, "Spatial distribution", body, current="03_spatial", prefix=""),
        encoding="utf-8")
    results = [SimpleNamespace(chapter_id="03_spatial", title="Spatial distribution",
                               status="failed")]
    res = publish.write_board_pack(ctx, results, {}, 2)
    assert res["chapters"] == 1 and res["pages"] == 3
    pages = [flat(p.extract_text()) for p in pypdf.PdfReader(tmp_path / res["name"]).pages]
    assert "1 chapter(s) could not be completed: Spatial distribution" in pages[0]
    assert "found 2 possible small count(s)" in pages[0]
    assert "This chapter could not be completed" in pages[2] and "kernel died" in pages[2]
    json.dumps(res)  # goes into manifest.json as it is


def _b64png(im: Image.Image, **save) -> str:
    buf = io.BytesIO()
    im.save(buf, format="PNG", **save)
    return base64.b64encode(buf.getvalue()).decode()


def test_figures_keep_every_pixel(tmp_path):
    """An RGB PNG goes into the PDF as its own compressed rows (no re-encoding), an RGBA one
    through ReportLab; either way the PDF's image has exactly the figure's pixels."""
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, (90, 170, 3), dtype=np.uint8)
    ramp = np.broadcast_to(np.arange(170, dtype=np.uint8)[None, :, None], (90, 170, 3))
    rgb = np.where(rng.random((90, 170, 1)) < 0.5, noise, ramp).astype(np.uint8)
    rgba = np.dstack([rgb[::-1], np.full((90, 170), 255, np.uint8)])
    figs = "".join(f'<figure><img src="data:image/png;base64,{_b64png(im, **kw)}" alt="f">'
                   f"<figcaption>Figure {n}</figcaption></figure>" for n, (im, kw) in enumerate(
                       [(Image.fromarray(rgb), {"optimize": True}),
                        (Image.fromarray(rgba, "RGBA"), {})]))
    chapters = (("00_summary", "Executive summary"),)
    meta, path = _build(tmp_path, {"00_summary": f"<h1>Executive summary</h1>{figs}"},
                        chapters)
    images = [img for page in pypdf.PdfReader(path).pages for img in page.images]
    assert len(images) == 2
    parms = [img.indirect_reference.get_object().get("/DecodeParms") for img in images]
    passed = [img for img, p in zip(images, parms, strict=True) if p]  # the PNG's own rows
    assert len(passed) == 1 and parms[images.index(passed[0])]["/Predictor"] == 15
    other = images[1 - images.index(passed[0])]
    assert np.array_equal(np.asarray(passed[0].image.convert("RGB")), rgb)
    assert np.array_equal(np.asarray(other.image.convert("RGB")), rgb[::-1])


def test_only_plain_rgb_pngs_are_passed_through():
    from sna.report.pdfconvert import png_rgb_data

    im = Image.new("RGB", (30, 20), (200, 10, 10))
    plain = base64.b64decode(_b64png(im))
    assert png_rgb_data(plain)[:2] == (30, 20)
    for other in (_b64png(im.convert("RGBA")), _b64png(im.convert("L")),
                  _b64png(im.convert("P")), _b64png(im, transparency=(200, 10, 10))):
        assert png_rgb_data(base64.b64decode(other)) is None
    assert png_rgb_data(b"GIF89a" + plain[6:]) is None


def test_remembered_layouts_change_nothing(pack, tmp_path, monkeypatch):
    """Paragraphs keep their line breaks between layouts at the same width (a speed-up): the
    pack is byte-identical to one laid out afresh every time."""
    from reportlab.platypus import Paragraph

    from sna.report import pdfconvert

    meta, _, _ = pack
    monkeypatch.setattr(pdfconvert.Para, "wrap", Paragraph.wrap)
    _, path = _build(tmp_path, _bodies())
    assert path.read_bytes() == meta["path"].read_bytes()


def test_a_paragraph_laid_out_at_another_width_is_broken_again():
    from reportlab.platypus import Paragraph

    from sna.report import pdfstyle
    from sna.report.pdfconvert import Para

    text = "Serious violence rose in the borough over the twelve months to March. " * 4
    para = Para(text, pdfstyle.BODY)
    for width in (120, 120, 360, 120):
        fresh = Paragraph(text, pdfstyle.BODY)
        assert para.wrap(width, 1e4) == fresh.wrap(width, 1e4), width
        assert len(para.blPara.lines) == len(fresh.blPara.lines)
    assert para.wrap(120, 1e4)[1] > 2 * para.wrap(360, 1e4)[1]  # the widths really differ


def test_no_chapter_pages_still_gives_a_pack(tmp_path):
    (tmp_path / "chapters").mkdir()
    meta = build_board_pack(tmp_path, INFO)
    assert meta["chapters"] == 0 and meta["pages"] == 2
    pages = [flat(p.extract_text()) for p in pypdf.PdfReader(tmp_path / meta["name"]).pages]
    assert "No chapter pages were found." in pages[1]
