"""Which chapters a run executes and in what order: chapters asked for, and the priority of
each ready chapter (the longest chain of chapters, or of chapter seconds, still to come after
it), with the seconds of the area's last run."""

from __future__ import annotations

from pathlib import Path

from sna import registry
from sna.errors import SnaError


def select_chapters(requested: list[str] | None) -> list[str]:
    """Chapter ids to run, in run order; accepts ids, numbers ('02') or topics."""
    order = registry.run_order()
    if not requested:
        return order
    chosen = []
    for r in requested:
        match = [c for c in order if c == r or c.split("_", 1)[0] == r.zfill(2)
                 or c.split("_", 1)[1] == r]
        if not match:
            raise SnaError(f"unknown chapter {r!r}; choose from {', '.join(order)}")
        chosen += match
    return [c for c in order if c in chosen]


class _Unit(dict):
    """Every chapter costs 1: :func:`critical_seconds` then counts chapters."""

    def __missing__(self, key: str) -> float:
        return 1.0


_ONE = _Unit()


def critical_rank(chapter_id: str, deps: dict[str, list[str]] | None = None) -> int:
    """Length of the longest chain of chapters waiting on this one (run high ranks first);
    ``deps`` defaults to :func:`sna.registry.depends`."""
    deps = registry.depends() if deps is None else deps
    return round(critical_seconds(chapter_id, deps, _ONE)) - 1


def critical_seconds(chapter_id: str, deps: dict[str, list[str]],
                     cost: dict[str, float]) -> float:
    """Seconds from this chapter's start to the end of the longest chain of chapters waiting
    on it, given each chapter's expected seconds ``cost`` (list scheduling by this "bottom
    level" keeps both kernels busy and starts the summary as early as the work allows)."""
    after = [c for c, d in deps.items() if chapter_id in d]
    return cost[chapter_id] + max((critical_seconds(c, deps, cost) for c in after), default=0.0)


def chapter_costs(area_dir: Path, period: str, ids: list[str]) -> dict[str, float] | None:
    """Each chapter's seconds in the area's last run (this period's output first, else the
    newest of its other periods), for :func:`critical_seconds`; chapters it did not run get
    the median. ``None`` when the area has no earlier output (then chain lengths decide)."""
    import json
    import statistics

    manifests = [area_dir / period / "manifest.json"]
    manifests += sorted(area_dir.glob("*/manifest.json"), key=lambda p: p.stat().st_mtime,
                        reverse=True)
    for path in manifests:
        try:
            chapters = json.loads(path.read_text(encoding="utf-8")).get("chapters") or []
            seen = {c["id"]: float(c["seconds"]) for c in chapters
                    if c.get("status") == "ok" and float(c.get("seconds") or 0) > 0}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
        if seen:
            typical = statistics.median(seen.values())
            return {c: seen.get(c, typical) for c in ids}
    return None
