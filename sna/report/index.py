"""The contents page: chapters with status and a headline each, SNA component coverage,
published tables."""

from __future__ import annotations

import json
from pathlib import Path

from sna import registry
from sna.periods import month_label, window_label, window_months
from sna.safe import esc


def _headline(work: Path, chapter_id: str) -> str:
    path = work / "findings" / f"{chapter_id}.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    heads = [f for f in items if f.get("kind") == "headline"] or items
    return heads[0]["text"] if heads else ""


def _status_cell(status: str) -> str:
    label = {"ok": "Complete", "failed": "Failed - see chapter", "not run": "Not run"}.get(
        status, status)
    cls = "status-ok" if status == "ok" else "status-failed"
    return f'<td><span class="{cls}">{esc(label)}</span></td>'


def chapters_table(work: Path, results: list) -> str:
    """Table of chapters in reading order with status and one key finding."""
    by_id = {r.chapter_id: r for r in results}
    titles = registry.chapter_titles()
    rows = []
    for cid in registry.reading_order():
        r = by_id.get(cid)
        status = r.status if r else "not run"
        link = f'<a href="chapters/{esc(cid)}.html">{esc(titles[cid])}</a>' if r else esc(
            titles[cid])
        rows.append(f"<tr><td>{esc(cid[:2])}</td><td>{link}</td>{_status_cell(status)}"
                    f"<td>{esc(_headline(work, cid)) if status == 'ok' else ''}</td></tr>")
    return ('<div class="table-wrap" tabindex="0" role="region" aria-label="Chapters">'
            "<table><caption>Chapters of this assessment, their status "
            "and one key finding each</caption><thead><tr><th scope=\"col\">No.</th>"
            '<th scope="col">Chapter</th><th scope="col">Status</th>'
            '<th scope="col">Key finding</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div>")


def components_table(results: list) -> str:
    """Which chapter section covers each of the 11 SNA components."""
    done = {r.chapter_id for r in results if r.status == "ok"}
    titles = registry.chapter_titles()
    rows = []
    for order, name, chapter, section in registry.components():
        state = "Covered" if chapter in done else "Not available in this run"
        where = (f'<a href="chapters/{esc(chapter)}.html">{esc(titles[chapter])}</a>'
                 if chapter else "No chapter covers it")
        rows.append(f"<tr><td>{order}</td><td>{esc(name)}</td><td>{where}</td>"
                    f"<td>{esc(section)}</td><td>{esc(state)}</td></tr>")
    return ('<div class="table-wrap" tabindex="0" role="region" aria-label="SNA components">'
            "<table><caption>SNA component coverage: where each of the "
            "11 components of the needs assessment is covered</caption><thead><tr>"
            '<th scope="col">No.</th><th scope="col">Component</th><th scope="col">Chapter</th>'
            '<th scope="col">Section</th><th scope="col">Status</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div>")


def tables_list(work: Path) -> str:
    """Links to every published CSV table (and the Excel data pack if present)."""
    items = [f'<li><a href="tables/{esc(p.name)}">{esc(p.name)}</a></li>'
             for p in sorted((work / "tables").glob("*.csv"))]
    if (work / "data_pack.xlsx").is_file():
        items.insert(0, '<li><a href="data_pack.xlsx">data_pack.xlsx</a> (every table, one '
                        "sheet each, with notes)</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else "<p>No tables were published.</p>"


def index_body(ctx, results: list, problems: list[str]) -> str:
    """Body of ``index.html``."""
    months = window_months(ctx.period, "12m")
    failed = [r for r in results if r.status != "ok"]
    alert = ""
    if failed:
        alert += ('<div class="callout error" role="alert"><p>'
                  f"{len(failed)} chapter(s) could not be completed: "
                  f"{esc(', '.join(r.title for r in failed))}. The other chapters are complete."
                  "</p></div>")
    if problems:
        alert += ('<div class="callout error" role="alert"><p>The disclosure audit found '
                  f"{len(problems)} possible small count(s) in published output; do not publish "
                  "until an analyst has checked run.log.</p></div>")
    return (f"<h1>Serious Violence Strategic Needs Assessment: {esc(ctx.cfg.area.name)}</h1>"
            f"<p>Assessment period: the 12 months {esc(window_label(months))} (to "
            f"{esc(month_label(ctx.period))}). This assessment meets the Serious Violence Duty "
            "(Police, Crime, Sentencing and Courts Act 2022). Start with the executive summary."
            f"</p>{alert}<h2>Chapters</h2>{chapters_table(ctx.work, results)}"
            f"<h2>SNA components</h2>{components_table(results)}"
            f"<h2>Published tables</h2><p>Every table after disclosure control (counts below "
            f"{ctx.cfg.min_count} suppressed).</p>{tables_list(ctx.work)}")
