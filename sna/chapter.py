"""What a chapter notebook uses: config, resolved period, cached data, and publishing helpers
that make every table and figure accessible, escaped and disclosure-controlled.

A notebook does::

    ch = open_chapter(config_path, period, output_dir, "02_violence_trends")
    ch.table(frame, "performance_dashboard", "Caption ...", count_cols=["count"])
    ch.figure(fig, alt="...", caption="...")
    ch.finding("Robbery rose 17% ...", indicator="personal_robbery", rank=1)

Chapters share results only through files written here: ``tables/<name>.csv`` and
``findings/<chapter>.json``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sna import data as sna_data
from sna.config import SnaConfig, load_config
from sna.io.common import Loaded
from sna.periods import resolve_period
from sna.safe import esc, md_esc, neutralise_frame, restore_text


def __getattr__(name: str) -> Any:
    """``CHAPTERS`` (chapter id -> title, in run order) is read from the notebooks' own
    metadata by :func:`sna.registry.chapter_titles` each time it is imported."""
    if name == "CHAPTERS":
        from sna.registry import chapter_titles

        return chapter_titles()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _display(obj_html: str) -> None:
    from IPython.display import HTML, display

    display(HTML(obj_html))


def html_table(frame: pd.DataFrame, caption: str, *, formats: dict[str, str] | None = None,
               max_rows: int = 200, table_id: str | None = None,
               sensitivity: str | None = None) -> str:
    """An accessible HTML table: ``<caption>``, ``<th scope=col>``, every cell escaped;
    ``sensitivity`` is recorded as ``data-sensitivity`` for the disclosure audit."""
    formats = formats or {}
    shown = frame.head(max_rows)
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in shown.columns)
    rows = []
    for _, r in shown.iterrows():
        cells = []
        for c in shown.columns:
            v = r[c]
            if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
                text = "&ndash;" if c not in formats.get("_suppressed", "") else "*"
            elif c in formats and isinstance(v, int | float):
                text = esc(format(v, formats[c]))
            else:
                text = esc(v)
            cls = ' class="num"' if isinstance(v, int | float) else ""
            cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="note">Showing {max_rows} of {len(frame)} rows; the CSV has them all.</p>'
    tid = f' id="{esc(table_id)}"' if table_id else ""
    if sensitivity:
        tid += f' data-sensitivity="{esc(sensitivity)}"'
    return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="{esc(caption)}">'
            f"<table{tid}><caption>{esc(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}")


def figure_png(fig: Any, dpi: int = 110) -> bytes:
    """``fig`` as PNG bytes, cropped to its content plus ``savefig.pad_inches``: the image
    ``savefig(bbox_inches="tight")`` gives, drawn once instead of twice (tight saving draws
    the whole figure to measure it, then again to save). When something sticks out of the
    canvas (a legend or label placed outside), that tight saving is used as it is."""
    import matplotlib as mpl
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    old_dpi = fig.dpi
    fig.dpi = dpi
    try:
        fig.canvas.draw()
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        width, height = fig.get_size_inches()
        if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
            return buf.getvalue()
        pad = mpl.rcParams["savefig.pad_inches"]
        rgba = np.asarray(fig.canvas.buffer_rgba())
        rows, cols = rgba.shape[:2]
        # content box in pixels, from the top left as the buffer is laid out
        left, right = int(np.floor((box.x0 - pad) * dpi)), int(np.ceil((box.x1 + pad) * dpi))
        top = int(np.floor((height - box.y1 - pad) * dpi))
        bottom = int(np.ceil((height - box.y0 + pad) * dpi))
        face = (np.array(mpl.colors.to_rgba(fig.get_facecolor())) * 255).round().astype(np.uint8)
        out = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
        out[:] = face  # the padding beyond the canvas, as savefig pads it
        src_t, src_b, src_l, src_r = max(top, 0), min(bottom, rows), max(left, 0), min(right, cols)
        out[src_t - top:src_b - top, src_l - left:src_r - left] = rgba[src_t:src_b, src_l:src_r]
        return png_bytes(out)
    finally:
        fig.dpi = old_dpi


def png_bytes(rgba: Any) -> bytes:
    """An RGBA pixel array (rows x columns x 4, uint8) as PNG. An opaque image (the house
    style's white face) is stored without its alpha channel: the same pixels, a quarter less
    to compress here and when the board pack embeds it."""
    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    if rgba[..., 3].min() == 255:
        Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB").save(buf, format="png")
    else:
        Image.fromarray(rgba, "RGBA").save(buf, format="png")
    return buf.getvalue()


def figure_html(fig: Any, alt: str, caption: str = "") -> str:
    """A ``<figure>`` with the image embedded as PNG (offline) and real alt text."""
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text describing what it shows")
    data = base64.b64encode(figure_png(fig)).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
            f'style="max-width:100%;height:auto">{cap}</figure>')


@dataclass
class Chapter:
    """A chapter being executed: where it writes and how it shows things."""

    chapter_id: str
    cfg: SnaConfig
    period: str
    output_dir: Path
    findings: list[dict] = field(default_factory=list)

    @property
    def tables_dir(self) -> Path:
        """Where published tables go: ``<output_dir>/tables``."""
        return self.output_dir / "tables"

    def load(self, key: str) -> Loaded:
        """A configured source, parsed through the cache."""
        return sna_data.load(self.cfg, key)

    def has(self, key: str) -> bool:
        """True if the optional source is supplied."""
        return self.cfg.has(key)

    def _declare(self, name: str, sensitivity: str | None,
                 count_cols: list[str] | None) -> Any:
        """The table's declaration (:mod:`sna.tables`), recorded for the manifest and audit
        in ``.declared/<name>.json``; a conservative stand-in when it is undeclared."""
        from sna.tables import TableSpec, spec_for

        spec = spec_for(name, sensitivity)
        record = {"declared": spec is not None}
        if spec is None:  # undeclared: treated as partner data; the audit fails it
            spec = TableSpec("partner", tuple(count_cols or ()))
        if count_cols and tuple(count_cols) != spec.count_columns:
            spec = replace(spec, count_columns=tuple(count_cols))
        record.update(spec.as_manifest())
        folder = self.output_dir / ".declared"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps(record), encoding="utf-8")
        return spec

    def _safe(self, frame: pd.DataFrame, spec: Any, count_cols: list[str] | None,
              dependent: dict[str, list[str]] | None,
              group_cols: list[str] | None) -> pd.DataFrame:
        from sna.declared import suppress_declared

        return suppress_declared(frame, spec, self.cfg.min_count, self.cfg.threshold("open"),
                                 count_cols=count_cols, dependent=dependent,
                                 group_cols=group_cols)

    def protect(self, frame: pd.DataFrame, name: str) -> pd.DataFrame:
        """``frame`` disclosure-controlled by the declaration ``name`` of
        :data:`sna.tables.TABLES`, not written: for a table built for a page only."""
        from sna.tables import spec_for

        spec = spec_for(name)
        if spec is None:
            raise KeyError(f"{name!r} is not declared in sna/tables.py (TABLES)")
        return self._safe(frame, spec, None, None, None)

    def publish(self, frame: pd.DataFrame, name: str, *, count_cols: list[str] | None = None,
                dependent: dict[str, list[str]] | None = None,
                group_cols: list[str] | None = None,
                sensitivity: str | None = None) -> pd.DataFrame:
        """Disclosure-control ``frame`` by its declaration in :data:`sna.tables.TABLES`
        (``sensitivity`` overrides the declared one; ``count_cols``, ``dependent``,
        ``group_cols`` the declared columns) and write ``tables/<name>.csv``; returns the
        safe frame. Partner counts below ``min_count`` are always hidden; open published
        statistics only under ``disclosure.open_data: suppress``."""
        spec = self._declare(name, sensitivity, count_cols)
        safe = self._safe(frame, spec, count_cols, dependent, group_cols)
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        neutralise_frame(safe).to_csv(self.tables_dir / f"{name}.csv", index=False,
                                      lineterminator="\n")
        self._save_hidden()
        return safe

    def _save_hidden(self) -> None:
        """Hidden cells' true values for the audit of figure text (``.declared/``, removed
        after the audit; never published)."""
        from sna.disclosure import save_hidden

        save_hidden(self.output_dir / ".declared" / f"hidden-{self.chapter_id}.json")

    def table(self, frame: pd.DataFrame, name: str | None, caption: str, *,
              count_cols: list[str] | None = None, dependent: dict[str, list[str]] | None = None,
              group_cols: list[str] | None = None, formats: dict[str, str] | None = None,
              show: pd.DataFrame | None = None, max_rows: int = 200,
              sensitivity: str | None = None) -> pd.DataFrame:
        """Publish (when ``name``) and display a table. ``show`` = a display version
        (renamed columns) built from the returned safe frame by the caller if needed.
        The page's table is marked with its sensitivity (``data-sensitivity``) for the audit;
        a table shown without a name or ``sensitivity`` is held to partner rules."""
        from sna.tables import TableSpec, spec_for

        safe = frame
        spec = spec_for(name, sensitivity) if name else None
        if name:
            safe = self.publish(frame, name, count_cols=count_cols, dependent=dependent,
                                group_cols=group_cols, sensitivity=sensitivity)
        elif count_cols:
            spec = TableSpec(sensitivity or "partner", tuple(count_cols))
            safe = self._safe(frame, spec, count_cols, dependent, group_cols)
        elif sensitivity:
            spec = TableSpec(sensitivity)
        _display(html_table(show if show is not None else safe, caption, formats=formats,
                            max_rows=max_rows,
                            sensitivity=spec.sensitivity if spec is not None else None))
        return safe

    def figure(self, fig: Any, alt: str, caption: str = "") -> None:
        """Show a matplotlib figure embedded with alt text, then close it."""
        self._save_hidden()
        _display(figure_html(fig, alt, caption))
        pyplot = sys.modules.get("matplotlib.pyplot")  # sna's figures do not use pyplot; an
        if pyplot is not None:                        # analyst's own would show twice if open
            pyplot.close(fig)

    def md(self, template: str, **values: Any) -> None:
        """Show Markdown prose; ``{name}`` placeholders are filled with escaped values."""
        import mistune

        safe = {k: v if isinstance(v, int | float) and not isinstance(v, bool) else md_esc(v)
                for k, v in values.items()}
        text = template.format(**safe) if values else template
        html = mistune.create_markdown(escape=False, plugins=["table"])(text)
        _display(f'<div class="prose">{html}</div>')

    def note(self, text: str, kind: str = "info") -> None:
        """A highlighted note box (``info``, ``warning`` or ``missing``); text is escaped."""
        body = re.sub(r"`([^`<>]+)`", r"<code>\1</code>", esc(text))
        _display(f'<div class="callout {esc(kind)}" role="note"><p>{body}</p></div>')

    def not_supplied(self, key: str, what: str) -> None:
        """Say that an optional source is not supplied, naming the config key."""
        self.note(f"Not supplied: {what}. Add `data.{key}` to {self.cfg.path.name} to include "
                  "this section (see README, Configuration).", kind="missing")

    def finding(self, text: str, *, kind: str = "finding", anchor: str = "",
                **evidence: Any) -> None:
        """Record a key finding for the summary and the index (written immediately)."""
        self.findings.append({"chapter": self.chapter_id, "kind": kind, "text": text,
                              "anchor": anchor, "evidence": evidence})
        folder = self.output_dir / "findings"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.chapter_id}.json").write_text(
            json.dumps(self.findings, indent=1, default=str), encoding="utf-8")

    def read_findings(self, chapter_id: str) -> list[dict]:
        """Findings written by another chapter of this run ([] if it has none or failed)."""
        path = self.output_dir / "findings" / f"{chapter_id}.json"
        if not path.is_file():
            return []
        return json.loads(path.read_text(encoding="utf-8"))

    def read_table(self, name: str) -> pd.DataFrame | None:
        """A table published by another chapter of this run (None if absent)."""
        path = self.tables_dir / f"{name}.csv"
        if not path.is_file():
            return None
        try:
            return restore_text(pd.read_csv(path))
        except pd.errors.EmptyDataError:  # a table published with no columns
            return pd.DataFrame()


def warm_up() -> None:
    """Fill the caches every chapter fills: the parsed indicator definitions and
    matplotlib's fonts and text layout (a small figure in the house style, drawn and encoded
    as PNG). The kernel server calls it once, before it forks chapter kernels."""
    from sna.definitions import load_definitions
    from sna.plots import new_figure

    load_definitions()
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1], label="warm-up")
    ax.set_title("Warm-up 0123456789", loc="left")
    ax.legend()
    figure_png(fig)


def open_chapter(config_path: str, period: str, output_dir: str, chapter_id: str) -> Chapter:
    """Start a chapter: load the config, resolve the period, prepare the output folder.

    When ``output_dir`` is empty (an analyst running the notebook by hand in JupyterLab), a
    scratch folder ``outputs/_scratch/<area>/<period>`` is used.
    """
    import matplotlib

    matplotlib.use("Agg")
    cfg = load_config(config_path)
    months = sna_data.load_meta(cfg, "mps_ward")["months"]
    resolved = resolve_period(period or cfg.period, months)
    if output_dir:
        out = Path(output_dir)
    else:
        from sna.cache import default_cache_dir

        project = default_cache_dir(cfg.folder).parents[1]  # <project>/data/interim -> project
        out = Path(os.environ.get("SNA_SCRATCH", project / "outputs" / "_scratch"))
        out = out / cfg.area.slug / resolved
    out.mkdir(parents=True, exist_ok=True)
    ch = Chapter(chapter_id=chapter_id, cfg=cfg, period=resolved, output_dir=out)
    (out / "findings").mkdir(exist_ok=True)
    (out / "findings" / f"{chapter_id}.json").write_text("[]", encoding="utf-8")
    return ch
