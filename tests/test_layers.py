"""The import graph of ``sna/`` (read with the standard library's ``ast``, every import
including those inside functions): no circle, no arrow from ``report/`` into the analysis
modules, and no private name (``_x``) imported from another module. docs/CONTRIBUTING.md
explains the layers."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What chapters compute: report/ never imports these (it knows notebooks, files, registry).
ANALYSIS = ("sna.metrics", "sna.funnel", "sna.series", "sna.models", "sna.gi_star",
            "sna.spatial", "sna.narrative", "sna.plots", "sna.charts", "sna.maps",
            "sna.synthetic", "sna.definitions", "sna.sections", "sna.chapter")
# The one allowed arrow: the kernel server warms the chapter API it exists to run
# (sna.chapter.warm_up, public); it names no analysis module itself.
ALLOWED = {("sna.report.kernel", "sna.chapter")}


def _modules() -> dict[str, Path]:
    out = {}
    for p in (ROOT / "sna").rglob("*.py"):
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = p
    return out


@lru_cache(maxsize=1)
def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    mods = _modules()

    def resolve(name: str) -> str:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name

    edges: dict[str, set[str]] = {m: set() for m in mods}
    private: list[tuple[str, str]] = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges[name] |= {resolve(a.name) for a in node.names if a.name.startswith("sna")}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] == "sna":
                for a in node.names:
                    full = f"{node.module}.{a.name}"
                    target = full if full in mods else resolve(node.module)
                    edges[name].add(target)
                    if a.name.startswith("_") and target != name:
                        private.append((name, full))
        edges[name].discard(name)
        edges[name].discard("")
    return edges, private


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_graph_reader_sees_a_planted_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    assert _cycles(_graph()[0]) == []


def test_report_never_imports_analysis_modules():
    edges, _ = _graph()
    wrong = sorted((m, t) for m, ts in edges.items() if m.startswith("sna.report")
                   for t in ts if t.startswith(ANALYSIS) and (m, t) not in ALLOWED)
    assert wrong == []
    assert "sna.report.index" in edges and "sna.registry" in edges["sna.report.index"]


def test_analysis_modules_never_import_report():
    edges, _ = _graph()
    assert sorted((m, t) for m, ts in edges.items() if not m.startswith(("sna.report", "sna.cli"))
                  for t in ts if t.startswith("sna.report")) == []


def test_no_private_name_is_imported_from_another_module():
    assert _graph()[1] == []
