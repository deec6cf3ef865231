"""Chapter 00 (executive summary, runs last): key findings from the other chapters' findings
JSON, each linking to its evidence, chapter status, SNA component coverage and the opening
paragraph for a board member.

Chapter pages sit side by side in ``chapters/``, so links are relative
(``02_violence_trends.html#Performance-dashboard``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sna import registry
from sna.periods import month_label, window_label, window_months
from sna.safe import md_esc

# kind -> (heading in the summary, how many to show)
SECTIONS: dict[str, tuple[str, int]] = {
    "change": ("What has changed", 4), "hotspot": ("Where violence is concentrated", 3),
    "risk": ("Who and what is at risk", 3), "gap": ("Gaps in the response", 3),
    "recommendation": ("What we recommend", 5), "data_gap": ("Gaps in the data", 3)}
_ANCHOR = re.compile(r"^[A-Za-z0-9_\-.]*$")
_PAGE = re.compile(r"^\d{2}_[a-z_]+\.html(#[A-Za-z0-9_\-.]+)?$")


def _others() -> list[str]:
    """The chapters the summary reads: every chapter (from the notebooks' metadata,
    :mod:`sna.registry`) except those that read all the others, as the summary does."""
    return [c for c, s in registry.chapters().items() if not s.reads_all]


def chapter_status(output_dir: Path | str, findings: Mapping[str, list[dict]]) -> pd.DataFrame:
    """Status of chapters 01-07 in this run: 'complete', 'failed' or 'not run'.

    A chapter failed when its executed notebook holds an error; it did not run when it has
    neither an executed notebook nor findings. A notebook run by hand (no executed copy) counts
    as complete when it recorded a headline.
    """
    rows = []
    for cid in _others():
        nb = Path(output_dir) / "notebooks" / f"{cid}.ipynb"
        heads = [f for f in findings.get(cid, []) if f.get("kind") == "headline"]
        status = "complete" if heads else "not run"
        if nb.is_file():
            status = "failed" if _has_error(nb) else (
                "complete" if heads else "incomplete")
        rows.append({"chapter_id": cid, "chapter": registry.chapter_titles()[cid],
                     "status": status})
    return pd.DataFrame(rows)


def _has_error(path: Path) -> bool:
    """True when an executed notebook holds an error output (or cannot be read)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return True
    return any(out.get("output_type") == "error" for cell in nb.cells
               if cell.cell_type == "code" for out in cell.get("outputs", []))


def usable_findings(findings: Mapping[str, list[dict]], status: pd.DataFrame) -> list[dict]:
    """Findings of complete chapters only (a failed chapter's partial findings are dropped)."""
    ok = set(status.loc[status["status"] == "complete", "chapter_id"])
    return [f for cid in _others() if cid in ok for f in findings.get(cid, [])]


def link(finding: Mapping) -> str:
    """Relative link to the finding's evidence: the ``link`` in its evidence when it is a
    chapter page (recommendations carry one), else ``<chapter>.html#<anchor>``."""
    own = str((finding.get("evidence") or {}).get("link") or "")
    if _PAGE.match(own) and own.split(".html")[0] in registry.chapter_titles():
        return own
    cid = str(finding.get("chapter", ""))
    if cid not in registry.chapter_titles():
        return ""
    anchor = str(finding.get("anchor") or "")
    return f"{cid}.html" + (f"#{anchor}" if anchor and _ANCHOR.match(anchor) else "")


def _change_order(items: list[dict]) -> list[dict]:
    """Significant first, then rises before falls, then the 12-month window before 3 months
    (stable: otherwise the chapter's own order)."""
    def key(f: dict) -> tuple[int, int, int]:
        ev = f.get("evidence") or {}
        sig = str(ev.get("significant", "")).lower() in ("true", "1", "yes")
        up = str(ev.get("direction", "")).lower() == "up" or (
            str(ev.get("direction", "")) == "" and (ev.get("change_pct") or 0) > 0)
        return (0 if sig else 1, 0 if up else 1, 0 if str(ev.get("window")) == "12m" else 1)

    return sorted(items, key=key)


def key_findings(findings: Sequence[dict]) -> dict[str, list[dict]]:
    """The findings shown in the summary, by section (:data:`SECTIONS` order and limits).

    Changes: significant first, then rises, then the 12-month window (:func:`_change_order`);
    other kinds keep the order the chapters recorded them in.
    """
    out = {}
    for kind, (_, limit) in SECTIONS.items():
        items = [f for f in findings if f.get("kind") == kind]
        if kind == "change":
            items = _change_order(items)
        if items:
            out[kind] = items[:limit]
    return out


def findings_markdown(selected: Mapping[str, list[dict]]) -> str:
    """Markdown: a bold label per section and a bulleted list, each item linking to evidence.

    Finding text is escaped; only relative chapter links are written.
    """
    blocks = []
    for kind, items in selected.items():
        lines = [f"**{SECTIONS[kind][0]}**", ""]
        for f in items:
            href = link(f)
            title = registry.chapter_titles().get(href.split(".html")[0], "")
            see = f" [Evidence: {md_esc(title)}]({href})" if href else ""
            why = str((f.get("evidence") or {}).get("evidence") or "") if kind == \
                "recommendation" else ""
            lines.append(f"- {md_esc(f.get('text', ''))}"
                         + (f" {md_esc(why)}" if why else "") + see)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def headlines(findings: Sequence[dict]) -> dict[str, str]:
    """Chapter id -> its headline text."""
    return {f["chapter"]: f["text"] for f in findings if f.get("kind") == "headline"}


def stale_sources(findings: Mapping[str, list[dict]]) -> list[str]:
    """Names (with end month) of the sources chapter 07 marks out of date ([] if none)."""
    for f in findings.get("07_methodology", []):
        ev = f.get("evidence") or {}
        if ev.get("stale_sources"):
            names = ev.get("stale_names") or ev["stale_sources"]
            return [f"{s} (to {month_label(m) if len(str(m)) == 7 else m})" for s, m in
                    zip(names, ev.get("latest_periods", []), strict=False)]
    return []


def opening_paragraph(area: str, period: str, missing: Sequence[str],
                      stale: Sequence[str] = ()) -> str:
    """A plain-English opening for a board member: what this assessment is and covers, and
    which sources end more than a year before it (``stale``, :func:`stale_sources`)."""
    months = window_label(window_months(period, "12m"))
    text = (f"This is the Serious Violence Strategic Needs Assessment for {area}, covering the "
            f"12 months {months} (to {month_label(period)}). It brings together police, council, "
            "health and partner data to show how much serious violence there is, where and whom "
            "it affects, what drives it, what the partnership already does, and what should "
            "happen next, as the Serious Violence Duty requires.")
    if stale:
        text += (" Police recorded crime runs to " + month_label(period) + ", but some "
                 "sources end much earlier and are out of date: " + "; ".join(stale)
                 + ". They are shown for context and not treated as current.")
    if missing:
        text += (" Some chapters are not available in this run ("
                 + ", ".join(missing) + "), so their findings are not included.")
    return text


IN_BRIEF = (("02_violence_trends", "How much"), ("03_spatial", "Where"),
            ("04_risk_protective", "Who and why"), ("05_partnership_interventions", "Response"),
            ("06_recommendations", "Next steps"))


def in_brief_markdown(heads: Mapping[str, str]) -> str:
    """'In brief': one escaped bullet per chapter headline, in reading order ('' if none)."""
    lines = [f"- **{label}:** {md_esc(heads[cid])}" for cid, label in IN_BRIEF if heads.get(cid)]
    return ("**In brief**\n\n" + "\n".join(lines)) if lines else ""


def components_table(status: pd.DataFrame) -> pd.DataFrame:
    """The 11 SNA components, the chapter and section covering each, and whether it is here."""
    state = dict(zip(status["chapter_id"], status["status"], strict=True))
    titles = registry.chapter_titles()
    rows = [{"component": f"{n}. {name}", "chapter": titles.get(cid, ""), "section": section,
             "status": "covered" if state.get(cid) == "complete" else "not available in this run"}
            for n, name, cid, section in registry.components()]
    return pd.DataFrame(rows)


def missing_chapters(status: pd.DataFrame) -> list[str]:
    """Titles of chapters that failed or did not run, with the reason."""
    bad = status[status["status"] != "complete"]
    return [f"{c} ({s})" for c, s in zip(bad["chapter"], bad["status"], strict=True)]


def headline(area: str, heads: Mapping[str, str], missing: Sequence[str]) -> str:
    """The summary's own one-line headline (shown first on the index): the first clause of
    the trends and recommendations headlines."""
    parts = [heads[c].split(";")[0].rstrip(".") for c in ("02_violence_trends",
                                                          "06_recommendations") if heads.get(c)]
    text = "; ".join(parts) if parts else f"Serious violence in {area}: see the chapters"
    if missing:
        text += f" ({len(missing)} chapter(s) not available in this run)"
    return text + "."


def read_all(ch) -> dict[str, list[dict]]:
    """Findings of chapters 01-07 of this run (chapter id -> list; [] when absent)."""
    return {cid: ch.read_findings(cid) for cid in _others()}


def status_display(status: pd.DataFrame) -> pd.DataFrame:
    """Chapter status for reading."""
    words = {"complete": "Complete", "failed": "Failed: see the chapter page",
             "not run": "Not run", "incomplete": "Incomplete (no headline recorded)"}
    return pd.DataFrame({"Chapter": status["chapter"],
                         "Status": status["status"].map(words).fillna(status["status"])})
