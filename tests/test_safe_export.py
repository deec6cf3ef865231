"""Escaping, CSV-formula neutralisation, accessible tables/figures and the error box."""

from __future__ import annotations

import matplotlib
import nbformat
import pandas as pd
import pytest

from sna.chapter import figure_html, html_table
from sna.report.export import chapter_body, error_box, find_error, notebook_body
from sna.safe import esc, md_esc, neutralise_cell, neutralise_frame

matplotlib.use("Agg")

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "=HYPERLINK(\"http://evil\",\"click\")",
    "{{ 7*7 }}",
    "[click](javascript:alert(1))",
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
]


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
def test_html_table_escapes_hostile_text(payload):
    html = html_table(pd.DataFrame({"ward": [payload], "count": [7]}), f"cap {payload}")
    assert "<script>" not in html and "<img" not in html
    assert esc(payload) in html


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_escape_is_inert(payload):
    import mistune

    out = mistune.create_markdown(escape=False)(f"Ward {md_esc(payload)} rose")
    assert "<script" not in out and "<a " not in out and "<img" not in out


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-12.5", "-12.5"), ("+3", "+3"), ("Burnt Oak", "Burnt Oak"), (12, 12), ("", ""),
], ids=["eq", "plus-text", "minus-text", "at", "neg-number", "pos-number", "plain", "int",
        "empty"])
def test_neutralise_cell(value, expected):
    assert neutralise_cell(value) == expected


def test_neutralise_frame_columns_and_cells():
    f = neutralise_frame(pd.DataFrame({"=bad": ["=2+2", "ok"], "n": [1, 2]}))
    assert list(f.columns) == ["'=bad", "n"] and f.iloc[0, 0] == "'=2+2"
    assert f["n"].tolist() == [1, 2]


def test_html_table_has_caption_and_header_scope():
    html = html_table(pd.DataFrame({"a": [1.5], "b": ["x"]}), "Caption here")
    assert "<caption>Caption here</caption>" in html and 'scope="col"' in html


def test_figure_requires_alt_and_embeds_png():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    with pytest.raises(ValueError):
        figure_html(fig, alt="  ")
    html = figure_html(fig, alt="Line rising from 3 to 4 <b>", caption="c")
    assert 'src="data:image/png;base64,' in html and 'alt="Line rising from 3 to 4 &lt;b&gt;"' in html
    plt.close(fig)


def _nb_with_error():
    nb = nbformat.v4.new_notebook()
    ok = nbformat.v4.new_code_cell("x = 1")
    bad = nbformat.v4.new_code_cell("boom()")
    bad.outputs = [nbformat.v4.new_output("error", ename="ValueError",
                                          evalue="ward <table> missing",
                                          traceback=["\x1b[31mTraceback (most recent call)", "x"])]
    bad.outputs.insert(0, nbformat.v4.new_output("stream", name="stderr", text="warning noise"))
    nb.cells = [nbformat.v4.new_markdown_cell("# Spatial"), ok, bad]
    return nb


def test_find_error_and_box():
    err = find_error(_nb_with_error())
    assert err.cell_index == 2 and err.ename == "ValueError"
    box = error_box("Spatial distribution", err)
    assert "code cell 2" in box and "ward &lt;table&gt; missing" in box
    assert "Traceback" not in box


def test_chapter_body_for_failure(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(_nb_with_error(), path)
    body = chapter_body(path, "Spatial distribution", failed=True)
    assert body.index("</h1>") < body.index("could not be completed")
    assert "warning noise" not in body and "Traceback" not in body and "boom()" not in body


def test_notebook_body_hides_code():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("secret_code = 1")]
    assert "secret_code" not in notebook_body(nb)
