"""The board pack: the whole assessment as one printable PDF (ARCHITECTURE 8.5).

Built from the exported chapter pages (``chapters/<id>.html``, already disclosure-controlled and
escaped; see :mod:`sna.report.pdfconvert`) with ReportLab's page layout engine (pure Python, no
system libraries): a cover, a contents page with page numbers, every chapter on a new page (the
summary first), figures scaled to the page, tables that break across pages with their header
rows repeated, a running header with the area and period, and page numbers.

The document is laid out once. The contents' entries are known before layout (every heading of
the story), so their length is too; each entry's leader and page number is a reference to a PDF
form XObject, drawn where the number goes and defined after the layout, when the heading's page
is known (ReportLab's "page X of Y" technique), instead of a second layout pass to learn pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)
from reportlab.platypus.tableofcontents import TableOfContents

from sna.report import pdfstyle as S
from sna.report.pdfconvert import (
    FRAME_H,
    FRAME_W,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_H,
    PAGE_W,
    Heading,
    Para,
    callout,
    chapter_flowables,
)

rl_config.useA85 = 0  # binary streams: ASCII85 is pure Python here (slow) and 25% bigger
__all__ = ["PackInfo", "build_board_pack", "chapter_flowables"]


@dataclass(frozen=True)
class PackInfo:
    """What the cover and running header say, and which chapter pages go in."""

    area: str
    area_slug: str
    period: str
    window: str  # "April 2025 to March 2026"
    period_label: str  # "March 2026"
    data_to_label: str
    generated: str
    chapters: tuple[tuple[str, str], ...]  # (chapter_id, title) in reading order
    failed: tuple[str, ...] = ()
    min_count: int = 5
    audit_problems: int = 0

    @property
    def file_name(self) -> str:
        """``sna_<area-slug>_<YYYY-MM>.pdf`` (ARCHITECTURE 8.5)."""
        return f"sna_{self.area_slug}_{self.period}.pdf"


# --- the contents ----------------------------------------------------------------------------

class Contents(TableOfContents):
    """The contents: every :class:`Heading` of the story, indented by level, linked to its
    section, with a dot leader and page number drawn as a form defined after the layout.

    Parameters
    ----------
    headings : list of Heading
        The headings in reading order; entries are their plain text, escaped (shown as text).
    """

    LEADER = " . "

    def __init__(self, headings: list[Heading]):
        super().__init__(levelStyles=S.TOC_LEVELS, dotsMinLevel=0)
        self._lastEntries = [(h.level, escape(h.getPlainText()), 0, h.key) for h in headings]
        self.pages: dict[str, int] = {}  # heading key -> page it starts on (set by the layout)
        self.spots: dict[int, float] = {}  # entry -> width left after its text, when drawn

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """A one-column table of the entries; each ends in a callback drawing its number."""

        def entry_end(canv: Canvas, kind: str, label: str) -> None:
            n = int(label)
            key, style = self._lastEntries[n][3], self.getLevelStyle(self._lastEntries[n][0])
            x, y = canv._curr_tx_info["cur_x"], canv._curr_tx_info["cur_y"]
            self.spots[n] = availWidth - x
            canv.saveState()
            canv.translate(x, y)
            canv.doForm(f"sna-toc-{n}")
            canv.restoreState()
            canv.linkRect("", key, (x, y, availWidth, y + style.leading), relative=1)

        self.canv.setNamedCB("snaTocEnd", entry_end)
        rows: list[list[Flowable]] = []
        for n, (level, text, _, key) in enumerate(self._lastEntries):
            style = self.getLevelStyle(level)
            if style.spaceBefore:
                rows.append([Spacer(1, style.spaceBefore)])
            rows.append([Para(f'<a href="#{key}">{text}</a>'
                              f'<onDraw name="snaTocEnd" label="{n}"/>', style)])
        if not rows:  # no chapter page could be read
            rows.append([Para("No chapter pages were found.", self.getLevelStyle(0))])
        self._table = Table(rows, colWidths=(availWidth,), style=self.tableStyle)
        self.width, self.height = self._table.wrapOn(self.canv, availWidth, availHeight)
        return self.width, self.height

    def define_forms(self, canv: Canvas) -> None:
        """Define each drawn entry's form: the leader and its heading's page, right-aligned."""
        for n, free in sorted(self.spots.items()):
            level, text, _, key = self._lastEntries[n]
            if key not in self.pages:
                raise RuntimeError(f"board pack contents: heading {text!r} was not laid out")
            style, number = self.getLevelStyle(level), str(self.pages[key])
            size = style.fontSize
            while stringWidth(number, style.fontName, size) > free and size >= 1:
                size *= 0.9
            width = stringWidth(number, style.fontName, size)
            leader = stringWidth(self.LEADER, style.fontName, size)
            dots = max(int((free - width) / leader), 0) if level >= self.dotsMinLevel else 0
            canv.beginForm(f"sna-toc-{n}", 0, -style.leading, max(free, width),
                           style.leading)
            tx = canv.beginText(free - dots * leader - width, 0)
            tx.setFont(style.fontName, size)
            tx.setFillColor(style.textColor)
            tx.textLine(dots * self.LEADER + number)
            canv.drawText(tx)
            canv.endForm()


class PackCanvas(Canvas):
    """A canvas that runs ``before_save`` (defining the contents' forms) before it saves."""

    before_save = None

    def save(self) -> None:
        if self.before_save is not None:
            self.before_save(self)
        super().save()


# --- the document --------------------------------------------------------------------------

class PackDocument(BaseDocTemplate):
    """A4 document: a cover page, then pages with the running header and page numbers; every
    :class:`Heading` goes into the PDF outline and gives its page to the :class:`Contents`."""

    def __init__(self, path: Path, info: PackInfo, toc: Contents):
        super().__init__(str(path), pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                         topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, invariant=True,
                         title=f"Serious Violence Strategic Needs Assessment: {info.area}, "
                               f"{info.window}",
                         author=f"{info.area} Community Safety Partnership (SNA workbook)",
                         subject="Serious Violence Duty strategic needs assessment",
                         lang="en-GB")
        self.info, self.toc = info, toc
        frame = Frame(MARGIN_X, MARGIN_BOTTOM, FRAME_W, FRAME_H, id="body", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate("cover", [frame], onPage=self._cover_page),
                               PageTemplate("body", [frame], onPage=self._body_page)])

    def _cover_page(self, canv, doc) -> None:
        canv.saveState()
        canv.setFillColor(S.ACCENT)
        canv.rect(0, PAGE_H - 14 * mm, PAGE_W, 14 * mm, stroke=0, fill=1)
        canv.restoreState()

    def _body_page(self, canv, doc) -> None:
        info = self.info
        canv.saveState()
        canv.setFont(S.FONT, 8)
        canv.setFillColor(S.MUTED)
        top = PAGE_H - MARGIN_TOP + 6 * mm
        canv.drawString(MARGIN_X, top, "Serious Violence Strategic Needs Assessment")
        canv.drawRightString(PAGE_W - MARGIN_X, top,
                             f"{info.area} \u00b7 12 months to {info.period_label}")
        canv.setStrokeColor(colors.HexColor("#c9d1dc"))
        canv.line(MARGIN_X, top - 2 * mm, PAGE_W - MARGIN_X, top - 2 * mm)
        bottom = MARGIN_BOTTOM - 9 * mm
        canv.drawString(MARGIN_X, bottom, f"Generated {info.generated}. Counts below "
                                          f"{info.min_count} from partner data are suppressed.")
        canv.drawRightString(PAGE_W - MARGIN_X, bottom, f"Page {doc.page}")
        canv.restoreState()

    passes = 0

    def build(self, flowables, *args, **kwargs) -> None:
        """Lay the story out (once), on a canvas that defines the contents' forms at the end."""
        self.passes += 1
        super().build(flowables, *args, canvasmaker=PackCanvas, **kwargs)

    def beforeDocument(self) -> None:
        self.canv.before_save = self.toc.define_forms

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Heading):
            text = flowable.getPlainText()
            self.toc.pages.setdefault(flowable.key, self.page)
            self.canv.bookmarkPage(flowable.key)
            self.canv.addOutlineEntry(text, flowable.key, level=flowable.level,
                                      closed=flowable.level > 0)


def cover(info: PackInfo) -> list[Flowable]:
    """Cover: title, area, period, date, what the document is."""
    notes = ["This document is the printable version of the assessment's web pages "
             "(index.html and the chapter pages in the same folder): the same chapters, "
             "figures and tables, the executive summary first.",
             "Contains public sector information licensed under the Open Government Licence "
             "(v2.0 and v3.0): Metropolitan Police Service, Office for National Statistics, "
             "Ministry of Housing, Communities and Local Government, Department for Education, "
             "Greater London Authority, police.uk.",
             f"Small counts from partner data (below {info.min_count}) are suppressed."]
    flow: list[Flowable] = [Spacer(1, 40 * mm),
                            Paragraph("Serious Violence Strategic Needs Assessment",
                                      S.COVER_TITLE),
                            Paragraph(escape(info.area), S.COVER_AREA),
                            Paragraph(escape(f"Assessment period: the 12 months {info.window}"),
                                      S.COVER_TEXT),
                            Paragraph(escape(f"Data up to {info.data_to_label}"), S.COVER_TEXT),
                            Paragraph(escape(f"Generated {info.generated}"), S.COVER_TEXT)]
    if info.failed:
        flow.append(callout([Paragraph(escape(
            f"{len(info.failed)} chapter(s) could not be completed: {', '.join(info.failed)}. "
            "Their pages say why; the other chapters are complete."), S.BODY)], True))
    if info.audit_problems:
        flow.append(callout([Paragraph(escape(
            f"The disclosure audit found {info.audit_problems} possible small count(s) in "
            "published output: do not circulate this document until an analyst has checked "
            "run.log."), S.BODY)], True))
    flow += [Spacer(1, 60 * mm)] + [Paragraph(escape(n), S.COVER_NOTE) for n in notes]
    return flow


def contents(story: list[Flowable]) -> list[Flowable]:
    """The contents page: chapters and their sections (every :class:`Heading` of ``story``);
    the last flowable is the :class:`Contents`, which takes the headings' pages as they are
    laid out."""
    return [Paragraph("Contents", S.TOC_TITLE),
            Contents([f for f in story if isinstance(f, Heading)])]


def build_board_pack(work: Path, info: PackInfo,
                     parsed: dict[str, list[Flowable]] | None = None) -> dict:
    """Write ``work/<info.file_name>`` from the chapter pages in ``work/chapters``.

    Parameters
    ----------
    work : Path
        The run's output folder (holding ``chapters/<id>.html``).
    info : PackInfo
        Area, period, dates and the chapters in reading order.
    parsed : dict, optional
        Chapter flowables made ahead (:func:`chapter_flowables`, e.g. while other chapters
        ran), by chapter id; the others are read from their pages now.

    Returns
    -------
    dict
        ``name``, ``pages``, ``chapters``, ``bytes``, ``size`` (e.g. ``"2.1 MB"``) and
        ``passes``, and ``seconds`` taken (wall clock; ``cpu_seconds`` of this thread).
    """
    t0, cpu0 = time.perf_counter(), time.thread_time()
    chapters: list[Flowable] = []
    included = 0
    for cid, title in info.chapters:
        flow = (parsed or {}).get(cid)
        page = work / "chapters" / f"{cid}.html"
        if flow is None and page.is_file():
            flow = chapter_flowables(page, cid, title)
        if flow:
            chapters += [PageBreak(), *flow]
            included += 1
    toc = contents(chapters)
    story = [*cover(info), NextPageTemplate("body"), PageBreak(), *toc, *chapters]
    path = work / info.file_name
    tmp = path.with_suffix(".pdf.part")
    doc = PackDocument(tmp, info, toc[-1])
    try:
        doc.build(story)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    size = path.stat().st_size
    return {"name": path.name, "pages": doc.page, "chapters": included, "bytes": size,
            "passes": doc.passes,
            "size": f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB",
            "seconds": round(time.perf_counter() - t0, 2),
            "cpu_seconds": round(time.thread_time() - cpu0, 2)}
