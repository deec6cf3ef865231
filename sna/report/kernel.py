"""A kernelspec for this very Python, so papermill runs chapters in the project's own
environment (the ``.venv``) whatever other Jupyter kernels the machine has."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

KERNEL_NAME = "sna-python3"


def ensure_kernel() -> str:
    """Write a kernelspec pointing at ``sys.executable`` into a private Jupyter path, put that
    path first in ``JUPYTER_PATH`` and return the kernel name to give papermill."""
    root = Path(tempfile.gettempdir()) / f"sna-jupyter-{os.getuid()}-{abs(hash(sys.executable))}"
    spec_dir = root / "kernels" / KERNEL_NAME
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (sna)", "language": "python",
            "env": {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}}
    spec_dir.mkdir(parents=True, exist_ok=True)
    target = spec_dir / "kernel.json"
    text = json.dumps(spec)
    if not target.is_file() or target.read_text() != text:
        tmp = spec_dir / f".kernel.{os.getpid()}.json"
        tmp.write_text(text)
        tmp.replace(target)
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(root) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(root), paths) if p)
    return KERNEL_NAME
