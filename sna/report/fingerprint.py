"""The code fingerprint: what a run's result depends on besides its inputs and config."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sna import registry

SUFFIXES = (".py", ".yaml", ".yml", ".html", ".css", ".j2", ".json", ".tpl")


def code_fingerprint() -> str:
    """sha256 over the package source, definitions, templates and chapter notebooks: a run is
    up to date only if none of them changed (``sna batch --resume``); the persistent kernel
    server is keyed by it too (:func:`sna.report.kernel.server_key`).

    Returns
    -------
    str
        The hex digest.
    """
    import sna

    h = hashlib.sha256()
    pkg = Path(sna.__file__).resolve().parent
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    files += sorted(registry.notebooks_dir().glob("*.ipynb"))
    for p in files:
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
