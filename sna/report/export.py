"""Export an executed chapter notebook to a stakeholder page with nbconvert.

No input cells, no prompts, no stderr, no external resources. A failed chapter gets a clear error
box (chapter, cell, message) instead of a traceback wall; the traceback goes to run.log.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat

from sna.report.templating import Markup, render

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"


@dataclass
class CellError:
    """The first error found in an executed notebook."""

    cell_index: int
    execution_count: int | None
    ename: str
    evalue: str
    traceback: str


def find_error(nb: nbformat.NotebookNode) -> CellError | None:
    """The first cell error in an executed notebook, if any."""
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                return CellError(code_index, cell.get("execution_count"), out.get("ename", ""),
                                 _ANSI.sub("", out.get("evalue", "")), tb)
    return None


def error_box(title: str, err: CellError | None, fallback: str = "") -> str:
    """The stakeholder-facing error box for a failed chapter (template ``error_box.html.j2``).

    Parameters
    ----------
    title : str
        Chapter title.
    err : CellError or None
        The first cell error, if the executed notebook has one.
    fallback : str
        Message when there is no cell error (the chapter did not start, or export failed).

    Returns
    -------
    str
        HTML of the box; every value escaped.
    """
    if err is None:
        message, where = fallback or "the chapter did not complete", "before any cell ran"
    else:
        message = f"{err.ename}: {err.evalue}" if err.evalue else err.ename
        where = f"code cell {err.cell_index}"
    return render("error_box.html.j2", title=title, where=where, message=message).rstrip("\n")


def _clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop papermill markers, the injected-parameters cell, stderr and error outputs."""
    nb = nbformat.from_dict(nb)
    keep = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if PAPERMILL_ERROR_TAG in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        keep.append(cell)
    nb.cells = keep
    return nb


_EXPORTERS = threading.local()


def _exporter():
    """One configured nbconvert exporter per thread (building one loads its templates:
    ~0.25 s, more than converting a chapter)."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="basic")
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        _EXPORTERS.html = exporter
    return exporter


def warm_up() -> None:
    """Build this thread's exporter and convert a tiny notebook (loads nbconvert's templates
    and filters ahead of the first real page)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# warm-up")])
    _exporter().from_notebook_node(nb)


def notebook_body(nb: nbformat.NotebookNode) -> str:
    """Body HTML of a notebook: outputs and Markdown only (nbconvert ``basic`` template)."""
    body, _ = _exporter().from_notebook_node(_clean(nb))
    return body


def chapter_body(executed: Path | None, title: str, *, failed: bool, reason: str = "") -> str:
    """The body of a chapter page: the outputs, plus an error box first when it failed."""
    nb = nbformat.read(executed, as_version=4) if executed and executed.is_file() else None
    box = ""
    if failed:
        box = error_box(title, find_error(nb) if nb is not None else None, reason)
    body = notebook_body(nb) if nb is not None else str(Markup("<h1>{}</h1>").format(title))
    if failed and nb is not None:
        # keep what was produced before the error; the box goes right under the title
        match = re.search(r"</h1>", body)
        if match:
            return body[: match.end()] + box + body[match.end():]
    return box + body if failed else body
