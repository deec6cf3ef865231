"""The page shell shared by the index and every chapter: header, navigation, inline CSS.

Everything is inline (no external CSS, fonts, scripts): pages open offline from a USB stick.
The shell is the Jinja2 template ``templates/page.html.j2``; the style sheet (screen and print)
is ``templates/page.css``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sna.periods import month_label
from sna.report.templating import TEMPLATES, Markup, render

CSS = (TEMPLATES / "page.css").read_text(encoding="utf-8")


@dataclass(frozen=True)
class PageContext:
    """What every page header shows."""

    area: str
    period: str
    data_to: str
    generated: str
    chapters: tuple[tuple[str, str], ...]  # (chapter_id, title), in reading order
    demo: bool = False  # a demonstration run on synthetic partner data (report.demo)


def render_page(ctx: PageContext, title: str, body: str, *, current: str | None,
                prefix: str) -> str:
    """A complete, self-contained HTML page (``lang="en"``, responsive, no external files).

    Parameters
    ----------
    ctx : PageContext
        Area, period and chapter list shown in the header and navigation.
    title : str
        Page title (escaped).
    body : str
        The page's main content, HTML built by the project (inserted as is).
    current : str or None
        Chapter id of this page (``None`` for the index), marked ``aria-current``.
    prefix : str
        Relative path from this page to ``chapters/`` (``"chapters/"`` or ``""``).

    Returns
    -------
    str
        The whole HTML document.
    """
    return render("page.html.j2", ctx=ctx, title=title, body=Markup(body), current=current,
                  prefix=prefix, index_href="index.html" if prefix == "chapters/" else
                  "../index.html", period_label=month_label(ctx.period),
                  data_to_label=month_label(ctx.data_to))
