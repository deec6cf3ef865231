"""Chapter pages to ReportLab flowables, for the board pack (:mod:`sna.report.boardpack`).

Reads the ``<main>`` of an exported chapter page (already disclosure-controlled and escaped)
and maps its small vocabulary (headings, paragraphs, lists, captioned tables, figures with
embedded PNGs, callouts) to flowables. All text is escaped again for ReportLab's paragraph
markup, so nothing in an input file can act as markup in the PDF either.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import struct
from pathlib import Path
from xml.sax.saxutils import escape

from bs4 import BeautifulSoup, NavigableString, Tag
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    LongTable,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sna.report import pdfstyle as S

log = logging.getLogger("sna")
_SPACE = re.compile(r"\s+")
PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 17 * mm, 20 * mm, 17 * mm
FRAME_W = PAGE_W - 2 * MARGIN_X
FRAME_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
INLINE = {"strong": ("<b>", "</b>"), "b": ("<b>", "</b>"), "em": ("<i>", "</i>"),
          "i": ("<i>", "</i>"), "sup": ("<super>", "</super>"), "sub": ("<sub>", "</sub>"),
          "code": (f'<font face="{S.MONO}">', "</font>")}
BLOCKS = {"p", "h1", "h2", "h3", "h4", "ul", "ol", "table", "figure", "img", "div", "pre", "hr",
          "section", "blockquote", "details"}


def _text(s: str) -> str:
    return escape(_SPACE.sub(" ", s))


def inline(node: Tag | NavigableString) -> str:
    """ReportLab paragraph markup for the inline content of ``node`` (text escaped)."""
    if isinstance(node, NavigableString):
        return "" if node.__class__.__name__ in ("Comment", "Doctype") else _text(str(node))
    name = node.name
    if name == "a" and "anchor-link" in (node.get("class") or []):
        return ""
    if name == "br":
        return "<br/>"
    if name in ("img", "figure", "table", "script", "style"):
        return ""
    inner = "".join(inline(c) for c in node.children).strip()
    if name in INLINE and inner:
        return INLINE[name][0] + inner + INLINE[name][1]
    if name in ("p", "li", "div", "ul", "ol") and inner:
        return ("\u2022 " if name == "li" else "") + inner + "<br/>"
    return inner


class Para(Paragraph):
    """A paragraph that keeps its line breaks for the width it was last laid out at: ReportLab
    lays a table cell out again, at the same width, to draw it (two of every three layouts of
    a paragraph in the pack)."""

    _laid: tuple | None = None  # (width, (width, height), the lines broken for it)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        laid = self._laid
        if laid is not None and laid[0] == availWidth and getattr(self, "blPara", None) is laid[2]:
            self.width, self.height = availWidth, laid[1][1]
            return laid[1]
        size = super().wrap(availWidth, availHeight)
        self._laid = (availWidth, size, getattr(self, "blPara", None)) if size[0] else None
        return size


def _para(markup: str, style: ParagraphStyle) -> Paragraph | None:
    markup = markup.strip()
    while markup.endswith("<br/>"):
        markup = markup[:-5].rstrip()
    return Para(markup, style) if markup else None


class Heading(Para):
    """A heading listed in the contents (``level`` 0 chapter, 1 section) with a PDF bookmark;
    it is never split across pages (it moves to the next page whole)."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str):
        super().__init__(text, style)
        self.level, self.key = level, key

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return []


class Converter:
    """Turns one chapter page's ``<main>`` into flowables."""

    def __init__(self, chapter_id: str):
        self.chapter_id, self.count = chapter_id, 0

    def heading(self, node: Tag, level: int) -> Flowable | None:
        markup = inline(node).strip()
        if not markup:
            return None
        if level > 1:
            return Para(markup, S.H3)
        self.count += 1
        return Heading(markup, S.H1 if level == 0 else S.H2, level,
                       f"{self.chapter_id}-{self.count}")

    def blocks(self, node: Tag) -> list[Flowable]:
        """Flowables for the children of ``node``; loose inline content becomes paragraphs."""
        out: list[Flowable] = []
        run: list[str] = []

        def flush() -> None:
            para = _para("".join(run), S.BODY)
            if para is not None:
                out.append(para)
            run.clear()

        for child in node.children:
            if isinstance(child, Tag) and child.name in BLOCKS:
                flush()
                out += self.block(child)
            else:
                run.append(inline(child))
        flush()
        return out

    def block(self, node: Tag) -> list[Flowable]:
        name, classes = node.name, node.get("class") or []
        if name in ("h1", "h2", "h3", "h4"):
            head = self.heading(node, min(int(name[1]) - 1, 2))
            return [head] if head is not None else []
        if name == "p":
            parts = [c for c in node.children if not (isinstance(c, NavigableString)
                                                       and not c.strip())]
            lead = len(parts) == 1 and isinstance(parts[0], Tag) and parts[0].name in (
                "strong", "b")  # a bold line introducing what follows: keep them together
            para = _para(inline(node), S.LEAD if lead else S.BODY)
            return [para] if para is not None else []
        if name in ("ul", "ol"):
            return self.listing(node)
        if name == "table":
            return table(node)
        if name in ("figure", "img"):
            return figure(node)
        if name == "pre":
            para = _para(escape(node.get_text()).replace("\n", "<br/>"), S.MONO_STYLE)
            return [para] if para is not None else []
        if name == "hr":
            return [Spacer(1, 4 * mm)]
        if name == "div" and "callout" in classes:
            return [callout(self.blocks(node), "error" in classes)]
        return self.blocks(node)

    def listing(self, node: Tag) -> list[Flowable]:
        """List items as bulleted (or numbered) paragraphs, so a heading keeps with the first."""
        out: list[Flowable] = []
        for n, li in enumerate(node.find_all("li", recursive=False), start=1):
            markup = "".join(inline(c) for c in li.children).strip()
            while markup.endswith("<br/>"):
                markup = markup[:-5].rstrip()
            if markup:
                out.append(Para(markup, S.ITEM,
                                     bulletText=f"{n}." if node.name == "ol" else "\u2022"))
        return out


def callout(content: list[Flowable], error: bool) -> Flowable:
    """A highlighted box (a one-cell table with a coloured left rule)."""
    box = Table([[content or [Spacer(1, 1)]]], colWidths=[FRAME_W - 4])
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fdecec" if error else "#f3f5f8")),
        ("LINEBEFORE", (0, 0), (0, -1), 3, colors.HexColor("#a4161a" if error else "#0b5394")),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8)]))
    return box


def _widths(rows: list[list[str]], ncols: int, font_size: float) -> list[float]:
    """Column widths from the text they hold: each column as wide as its longest cell (at most
    ~40% of the frame), shrunk towards its longest word when the table is too wide."""
    pad = 7.0
    want, least = [0.0] * ncols, [0.0] * ncols
    for row in rows:
        for i, text in enumerate(row):
            want[i] = max(want[i], stringWidth(text, S.BOLD, font_size) + pad)
            words = text.split() or [""]
            least[i] = max(least[i], max(stringWidth(w, S.BOLD, font_size) for w in words) + pad)
    least = [min(lo, FRAME_W * 0.3) for lo in least]
    want = [max(lo, min(w, FRAME_W * 0.4)) for w, lo in zip(want, least, strict=True)]
    if sum(want) <= FRAME_W:
        return want
    spare = FRAME_W - sum(least)
    if spare <= 0:
        return [lo * FRAME_W / sum(least) for lo in least]
    extra = [w - lo for w, lo in zip(want, least, strict=True)]
    return [lo + e * spare / sum(extra) for lo, e in zip(least, extra, strict=True)]


def table(node: Tag) -> list[Flowable]:
    """A caption and a table that splits across pages, header rows repeated on each."""
    head_rows = node.find("thead").find_all("tr") if node.find("thead") else []
    body = node.find("tbody") or node
    body_rows = [r for r in body.find_all("tr") if r not in head_rows]
    rows = head_rows + body_rows
    if not rows:
        return []
    ncols = max(len(r.find_all(["th", "td"], recursive=False)) for r in rows)
    small = ncols > 7 or len(rows) > 40
    styles = (S.CELL_SMALL, S.CELL_SMALL_NUM, S.CELL_SMALL_HEAD) if small else (
        S.CELL, S.CELL_NUM, S.CELL_HEAD)
    data, texts = [], []
    for i, r in enumerate(rows):
        cells = r.find_all(["th", "td"], recursive=False)
        line, text = [], []
        for c in cells:
            header = i < len(head_rows) or c.name == "th" and c.get("scope") == "col"
            style = styles[2] if header else styles[1] if "num" in (c.get("class") or []) \
                else styles[0]
            line.append(_para(inline(c), style) or "")
            text.append(c.get_text(" ", strip=True))
        data.append(line + [""] * (ncols - len(line)))
        texts.append(text + [""] * (ncols - len(text)))
    grid = LongTable(data, colWidths=_widths(texts, ncols, styles[0].fontSize),
                     repeatRows=len(head_rows), hAlign="LEFT", splitByRow=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d1dc")),
        ("BACKGROUND", (0, 0), (-1, len(head_rows) - 1), colors.HexColor("#e8edf4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        if head_rows else [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d1dc")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    cap = node.find("caption")
    out: list[Flowable] = [Spacer(1, 2 * mm)]
    caption = _para(inline(cap), S.CAPTION) if cap is not None else None
    if caption is not None:
        caption.keepWithNext = True
        out.append(caption)
    return [*out, grid, Spacer(1, 2 * mm)]


def png_rgb_data(raw: bytes) -> tuple[int, int, bytes] | None:
    """Width, height and compressed pixel data (the IDAT chunks) of an 8-bit RGB PNG that PDF
    can show as it is (not interlaced, no transparency); None for any other image."""
    if raw[:8] != b"\x89PNG\r\n\x1a\n" or raw[12:16] != b"IHDR":
        return None
    width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", raw[16:29])
    if (depth, kind, interlace) != (8, 2, 0):
        return None
    data, at = [], 8
    while at + 8 <= len(raw):
        size, name = struct.unpack(">I4s", raw[at:at + 8])
        if name == b"tRNS":
            return None
        if name == b"IDAT":
            data.append(raw[at + 8:at + 8 + size])
        at += 12 + size
    return (width, height, b"".join(data)) if data else None


class PngXObject(pdfdoc.PDFImageXObject):
    """A PDF image holding a PNG's own compressed data (PDF reads PNG's row filters through
    ``DecodeParms``), so the image is neither decoded nor compressed again."""

    def __init__(self, name: str, width: int, height: int, data: bytes):
        super().__init__(name)
        self.width, self.height, self.streamContent = width, height, data
        self.bitsPerComponent, self.colorSpace, self.mask = 8, "DeviceRGB", None

    def format(self, document) -> bytes:
        stream = pdfdoc.PDFStream(content=self.streamContent, filters=())
        entries = stream.dictionary
        for key, value in (("Type", pdfdoc.PDFName("XObject")),
                           ("Subtype", pdfdoc.PDFName("Image")), ("Width", self.width),
                           ("Height", self.height), ("BitsPerComponent", 8),
                           ("ColorSpace", pdfdoc.PDFName("DeviceRGB")),
                           ("Filter", pdfdoc.PDFName("FlateDecode")),
                           ("DecodeParms", pdfdoc.PDFDictionary(
                               {"Predictor": 15, "Colors": 3, "BitsPerComponent": 8,
                                "Columns": self.width})),
                           ("Length", len(self.streamContent))):
            entries[key] = value
        return stream.format(document)


class PngImage(Flowable):
    """An RGB PNG's pixels (``png``, from :func:`png_rgb_data`) drawn at ``width`` x ``height``
    points from the PNG's own compressed data: what ReportLab's Image shows, without decoding
    and compressing the pixels again (most of the cost of a figure in the pack)."""

    def __init__(self, png: tuple[int, int, bytes], width: float, height: float):
        super().__init__()
        self.png, self.drawWidth, self.drawHeight, self.hAlign = png, width, height, "LEFT"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.drawWidth, self.drawHeight

    def draw(self) -> None:
        canv, (px_w, px_h, data) = self.canv, self.png
        name = "sna-png-" + hashlib.md5(data, usedforsecurity=False).hexdigest()
        if not canv.hasForm(name):  # registered once per picture, as canvas.drawImage does
            image, doc = PngXObject(name, px_w, px_h, data), canv._doc
            doc.Reference(image, doc.getXObjectName(name))
            doc.addForm(name, image)
        canv._currentPageHasImages = 1
        canv.saveState()
        canv.scale(self.drawWidth, self.drawHeight)
        canv.doForm(name)
        canv.restoreState()


def figure(node: Tag) -> list[Flowable]:
    """An embedded PNG scaled to the frame (at most ~60% of a page tall), its caption below."""
    img = node if node.name == "img" else node.find("img")
    src = img.get("src", "") if img is not None else ""
    if not src.startswith("data:image/png;base64,"):
        return []
    raw = base64.b64decode(src.split(",", 1)[1])
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(raw)) as im:
        px_w, px_h = im.size
    width = min(FRAME_W, px_w * 72 / 110)
    height = width * px_h / px_w
    if height > FRAME_H * 0.62:
        height = FRAME_H * 0.62
        width = height * px_w / px_h
    png = png_rgb_data(raw)
    parts: list[Flowable] = [PngImage(png, width, height) if png else
                             Image(io.BytesIO(raw), width=width, height=height, hAlign="LEFT")]
    cap = node.find("figcaption") if node.name == "figure" else None
    caption = _para(inline(cap), S.FIGCAPTION) if cap is not None else None
    if caption is not None:
        parts.append(caption)
    return [Spacer(1, 2 * mm), KeepTogether(parts), Spacer(1, 2 * mm)]


def chapter_flowables(page: Path, chapter_id: str, title: str) -> list[Flowable]:
    """Flowables of one exported chapter page (its ``<main>``), or a note when unreadable.

    Parameters
    ----------
    page : Path
        ``chapters/<id>.html`` as exported.
    chapter_id, title : str
        The chapter (its id keys the contents entries; the title stands in for a missing h1).

    Returns
    -------
    list of Flowable
        Headings (listed in the contents), paragraphs, tables, figures and boxes.
    """
    try:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        main = soup.find("main") or soup.body or soup
        flow = Converter(chapter_id).blocks(main)
        if not any(isinstance(f, Heading) and f.level == 0 for f in flow):
            flow.insert(0, Heading(escape(title), S.H1, 0, f"{chapter_id}-0"))
        return flow
    except Exception as exc:  # one bad page must not lose the pack
        log.exception("board pack: chapter %s could not be converted", chapter_id)
        return [Heading(escape(title), S.H1, 0, f"{chapter_id}-0"),
                callout([Paragraph(escape(f"This chapter could not be included in the printed "
                                          f"pack ({type(exc).__name__}); see "
                                          f"chapters/{chapter_id}.html."), S.BODY)], True)]
