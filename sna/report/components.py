"""The 11 SNA components (Barnet's SV Duty paper, ARCHITECTURE.md section 5) and where each
is covered: chapter id and section heading, from the chapters' notebook metadata
(:func:`sna.registry.components`)."""

from __future__ import annotations

from typing import Any

from sna import registry


def components_by_chapter() -> dict[str, list[str]]:
    """Chapter id -> component names it covers; a component another chapter covers first is
    shown with this chapter's section, e.g. ``Serious Violence Data and Trends (spatial)``."""
    first = {name: cid for _, name, cid, _ in registry.components()}
    return {cid: [name if first.get(name) == cid or not sec else f"{name} ({sec})"
                  for name, sec in spec.components]
            for cid, spec in registry.chapters().items() if spec.components}


def __getattr__(name: str) -> Any:
    """``COMPONENTS``: ``(number, component, chapter id, section)`` for the 11 components."""
    if name == "COMPONENTS":
        return registry.components()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
