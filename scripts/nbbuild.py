"""Write a chapter notebook from a list of cells (developer tool).

Usage from Python::

    from scripts.nbbuild import write_notebook
    write_notebook("notebooks/02_violence_trends.ipynb", "02_violence_trends", [
        ("md", "# Violence data and trends"),
        ("code", "ch.md('...')"),
    ])

The first code cell is always the papermill ``parameters`` cell and the second opens the
chapter; outputs are empty (notebooks are stored without outputs).
"""

from __future__ import annotations

import nbformat

PARAMS = ('config_path = "../config/barnet.yaml"  # the area YAML\n'
          'period = "latest"  # YYYY-MM or latest\n'
          'output_dir = ""  # set by sna run (empty means a scratch folder)')


def write_notebook(path: str, chapter_id: str, cells: list[tuple[str, str]],
                   imports: str = "") -> None:
    """Write a stripped notebook: parameters cell, opening cell, then ``cells``."""
    opening = ("import sna\n" + (imports + "\n" if imports else "")
               + "from sna.chapter import open_chapter\n\n"
               f'ch = open_chapter(config_path, period, output_dir, "{chapter_id}")')
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    params = nbformat.v4.new_code_cell(PARAMS, metadata={"tags": ["parameters"]})
    nb.cells = [params, nbformat.v4.new_code_cell(opening)]
    for kind, text in cells:
        cell = (nbformat.v4.new_markdown_cell(text) if kind == "md"
                else nbformat.v4.new_code_cell(text))
        nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{chapter_id[:2]}-{i:03d}"
    nbformat.validate(nb)
    nbformat.write(nb, path)
