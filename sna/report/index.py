"""The contents page: chapters with status and a headline each, SNA component coverage,
published tables, the board pack. HTML from the template ``templates/index.html.j2``."""

from __future__ import annotations

import json
from pathlib import Path

from sna import registry
from sna.periods import month_label, window_label, window_months
from sna.report.templating import render

STATUS_LABELS = {"ok": "Complete", "failed": "Failed - see chapter", "not run": "Not run"}


def reading_order() -> list[tuple[str, str]]:
    """``(chapter_id, title)`` of every chapter in reading order (the summary first), from the
    notebooks' own metadata (:mod:`sna.registry`)."""
    titles = registry.chapter_titles()
    return [(c, titles[c]) for c in registry.reading_order()]


def _headline(work: Path, chapter_id: str) -> str:
    path = work / "findings" / f"{chapter_id}.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    heads = [f for f in items if f.get("kind") == "headline"] or items
    return heads[0]["text"] if heads else ""


def chapter_rows(work: Path, results: list) -> list[dict]:
    """One row per chapter in reading order: number, title, status and one key finding."""
    by_id = {r.chapter_id: r for r in results}
    rows = []
    for cid, title in reading_order():
        r = by_id.get(cid)
        status = r.status if r else "not run"
        rows.append({"id": cid, "number": cid[:2], "title": title, "linked": r is not None,
                     "status": status, "status_label": STATUS_LABELS.get(status, status),
                     "headline": _headline(work, cid) if status == "ok" else ""})
    return rows


def component_rows(results: list) -> list[dict]:
    """Which chapter section covers each of the 11 SNA components."""
    done = {r.chapter_id for r in results if r.status == "ok"}
    titles = registry.chapter_titles()
    return [{"order": order, "name": name, "chapter": chapter,
             "chapter_title": titles.get(chapter, ""), "section": section,
             "state": "Covered" if chapter in done else "Not available in this run"}
            for order, name, chapter, section in registry.components()]


def index_body(ctx, results: list, problems: list[str], board_pack: dict | None = None) -> str:
    """Body of ``index.html``.

    Parameters
    ----------
    ctx : RunContext
        The run (area, period, output folder, disclosure threshold).
    results : list of ChapterResult
        The chapters run, in any order.
    problems : list of str
        Disclosure audit findings (a warning box when any).
    board_pack : dict, optional
        ``{"name", "pages", "size"}`` of the board pack PDF, linked when given.

    Returns
    -------
    str
        HTML of the page body.
    """
    work = ctx.work
    return render("index.html.j2", area=ctx.cfg.area.name,
                  window=window_label(window_months(ctx.period, "12m")),
                  period_label=month_label(ctx.period),
                  failed=[r.title for r in results if r.status != "ok"],
                  problems=len(problems), board_pack=board_pack,
                  chapters=chapter_rows(work, results), components=component_rows(results),
                  min_count=ctx.cfg.min_count,
                  open_suppressed=getattr(ctx.cfg, "open_data", "publish") == "suppress",
                  tables=[p.name for p in sorted((work / "tables").glob("*.csv"))],
                  data_pack=(work / "data_pack.xlsx").is_file())
