"""Fonts and paragraph styles of the board pack PDF (the web pages' house style, for print).

The fonts are the DejaVu TrueType fonts that matplotlib ships (already a dependency), embedded
as subsets: they hold every character the chapters use (arrows, minus, en dash, pound sign),
which the PDF standard fonts do not. Without them, Helvetica is used.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont


def _register() -> tuple[str, str, str]:
    """Register DejaVu Sans (regular, bold, italic, bold italic) and Sans Mono; return the
    names of the body, bold and mono fonts."""
    try:
        import matplotlib

        ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        faces = {"SnaSans": "DejaVuSans.ttf", "SnaSans-Bold": "DejaVuSans-Bold.ttf",
                 "SnaSans-Italic": "DejaVuSans-Oblique.ttf",
                 "SnaSans-BoldItalic": "DejaVuSans-BoldOblique.ttf",
                 "SnaMono": "DejaVuSansMono.ttf"}
        for name, file in faces.items():
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
        pdfmetrics.registerFontFamily("SnaSans", normal="SnaSans", bold="SnaSans-Bold",
                                      italic="SnaSans-Italic", boldItalic="SnaSans-BoldItalic")
        return "SnaSans", "SnaSans-Bold", "SnaMono"
    except Exception:  # no matplotlib fonts: the standard fonts (Latin-1 only)
        return "Helvetica", "Helvetica-Bold", "Courier"


FONT, BOLD, MONO = _register()
INK, ACCENT, MUTED = colors.HexColor("#1b1b1b"), colors.HexColor("#0b2545"), \
    colors.HexColor("#4a4a4a")


def _style(name: str, size: float, leading: float, **kw) -> ParagraphStyle:
    kw.setdefault("fontName", FONT)
    kw.setdefault("textColor", INK)
    return ParagraphStyle(name, fontSize=size, leading=leading, **kw)


BODY = _style("Body", 9.5, 13, spaceAfter=4)
LEAD = _style("Lead", 9.5, 13, spaceBefore=3, spaceAfter=3, keepWithNext=True)
ITEM = _style("Item", 9.5, 13, spaceAfter=3, leftIndent=14, bulletIndent=3,
             bulletFontName=FONT)
MONO_STYLE = _style("Mono", 8, 10, fontName=MONO)
H1 = _style("H1", 18, 22, fontName=BOLD, textColor=ACCENT, spaceAfter=8)
H2 = _style("H2", 13, 16, fontName=BOLD, textColor=ACCENT, spaceBefore=10, spaceAfter=4,
            keepWithNext=True)
H3 = _style("H3", 10.5, 13, fontName=BOLD, spaceBefore=6, spaceAfter=3, keepWithNext=True)
CAPTION = _style("Caption", 9, 11.5, fontName=BOLD, spaceAfter=3)
FIGCAPTION = _style("FigCaption", 8.5, 11, textColor=MUTED, spaceBefore=2)
CELL = _style("Cell", 8.5, 10.5)
CELL_NUM = _style("CellNum", 8.5, 10.5, alignment=TA_RIGHT)
CELL_HEAD = _style("CellHead", 8.5, 10.5, fontName=BOLD)
CELL_SMALL = _style("CellSmall", 7, 8.6)
CELL_SMALL_NUM = _style("CellSmallNum", 7, 8.6, alignment=TA_RIGHT)
CELL_SMALL_HEAD = _style("CellSmallHead", 7, 8.6, fontName=BOLD)
COVER_TITLE = _style("CoverTitle", 26, 32, fontName=BOLD, textColor=ACCENT, spaceAfter=14)
COVER_AREA = _style("CoverArea", 20, 26, fontName=BOLD, spaceAfter=18)
COVER_TEXT = _style("CoverText", 11.5, 16, spaceAfter=6)
COVER_NOTE = _style("CoverNote", 8.5, 11.5, textColor=MUTED, spaceAfter=4)
TOC_TITLE = _style("TocTitle", 18, 22, fontName=BOLD, textColor=ACCENT, spaceAfter=10)
TOC_LEVELS = [_style("Toc0", 10.5, 14, fontName=BOLD, leftIndent=0, firstLineIndent=0,
                     spaceBefore=5),
              _style("Toc1", 9, 11.5, leftIndent=14, firstLineIndent=0)]
