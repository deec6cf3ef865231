"""Jinja2 templates of the stakeholder pages (``sna/report/templates/``), autoescaped.

Every value given to a template is escaped when shown, unless it is already HTML made by the
project (a chapter body from nbconvert, wrapped in :class:`markupsafe.Markup` by the caller).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"

__all__ = ["Markup", "TEMPLATES", "environment", "render"]


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared Jinja2 environment: autoescape on, undefined names are errors."""
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True, auto_reload=False)


def render(name: str, **values: object) -> str:
    """Render template ``name`` (a file in ``templates/``) with ``values``.

    Parameters
    ----------
    name : str
        Template file name, e.g. ``"page.html.j2"``.
    **values
        Template variables; text is escaped unless wrapped in :class:`Markup`.

    Returns
    -------
    str
        The rendered HTML.
    """
    return environment().get_template(name).render(**values)
