"""The page shell shared by the index and every chapter: header, navigation, inline CSS.

Everything is inline (no external CSS, fonts, scripts): pages open offline from a USB stick.
"""

from __future__ import annotations

from dataclasses import dataclass

from sna.periods import month_label
from sna.safe import esc

CSS = """
:root{--ink:#1b1b1b;--muted:#4a4a4a;--accent:#0b5394;--bg:#fff;--soft:#f3f5f8;--bad:#a4161a;
--good:#1b6e3a;--warn:#7a4b00}
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header.site{background:#0b2545;color:#fff;padding:12px 20px}
header.site a{color:#fff}
header.site .meta{font-size:.9rem;opacity:.95;margin:4px 0 0}
header.site .title{font-size:1.15rem;font-weight:700;margin:0}
nav.chapters{background:var(--soft);border-bottom:1px solid #d0d7e2;padding:6px 20px;
font-size:.92rem}
nav.chapters ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}
nav.chapters a[aria-current]{font-weight:700;color:var(--ink)}
main{max-width:1060px;margin:0 auto;padding:12px 20px 40px}
h1{font-size:1.7rem;line-height:1.25}h2{font-size:1.35rem;margin-top:2rem}h3{font-size:1.12rem}
.anchor-link{display:none}
.table-wrap{overflow-x:auto;margin:1rem 0}
table{border-collapse:collapse;font-size:.92rem;min-width:50%}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0;color:var(--ink)}
th,td{border:1px solid #c9d1dc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#e8edf4}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0}figcaption{font-size:.9rem;color:var(--muted)}
img{max-width:100%;height:auto}
.callout{border-left:5px solid var(--accent);background:var(--soft);padding:8px 14px;margin:1rem 0}
.callout.warning{border-color:var(--warn)}.callout.missing{border-color:#6b6b6b}
.callout.error{border-color:var(--bad);background:#fdecec}
.status-ok{color:var(--good);font-weight:600}.status-failed{color:var(--bad);font-weight:600}
.up{color:var(--bad)}.down{color:var(--good)}
.note{font-size:.9rem;color:var(--muted)}
footer{border-top:1px solid #d0d7e2;color:var(--muted);font-size:.85rem;padding:10px 20px}
@media (max-width:640px){body{font-size:15px}main{padding:8px 12px}h1{font-size:1.4rem}
header.site,nav.chapters{padding-left:12px;padding-right:12px}}
"""


@dataclass(frozen=True)
class PageContext:
    """What every page header shows."""

    area: str
    period: str
    data_to: str
    generated: str
    chapters: tuple[tuple[str, str], ...]  # (chapter_id, title), in reading order


def nav_html(ctx: PageContext, current: str | None, prefix: str) -> str:
    """Navigation to the index and every chapter (``prefix`` = relative path to chapters/)."""
    index_href = "index.html" if prefix == "chapters/" else "../index.html"
    cur_index = ' aria-current="page"' if current is None else ""
    items = [f'<li><a href="{index_href}"{cur_index}>Contents</a></li>']
    for cid, title in ctx.chapters:
        cur = ' aria-current="page"' if cid == current else ""
        items.append(f'<li><a href="{prefix}{esc(cid)}.html"{cur}>{esc(title)}</a></li>')
    return f'<nav class="chapters" aria-label="Chapters"><ul>{"".join(items)}</ul></nav>'


def render_page(ctx: PageContext, title: str, body: str, *, current: str | None,
                prefix: str) -> str:
    """A complete, self-contained HTML page (``lang="en"``, responsive, no external files)."""
    head = (f"Serious Violence Strategic Needs Assessment &middot; {esc(ctx.area)} &middot; "
            f"period to {esc(month_label(ctx.period))}")
    meta = (f"Data up to {esc(month_label(ctx.data_to))} &middot; generated {esc(ctx.generated)}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} - {esc(ctx.area)} SNA {esc(ctx.period)}</title>
<style>{CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><p class="title">{head}</p><p class="meta">{meta}</p></header>
{nav_html(ctx, current, prefix)}
<main id="main">
{body}
</main>
<footer>Contains public sector information licensed under the Open Government Licence
(v2.0 and v3.0): Metropolitan Police Service, Office for National Statistics, Ministry of Housing,
Communities and Local Government, Department for Education, Greater London Authority, police.uk.
Small counts (below the disclosure threshold) are suppressed.</footer>
</body>
</html>
"""
