"""Runs where ``fcntl`` and ``os.fork`` do not exist (Windows, some embeddings): no POSIX-only
import at module level, locking through ``filelock``, kernels spawned instead of forked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sna.errors import LockError
from sna.report import engine, kernel
from sna.report.runner import period_lock

NO_POSIX = textwrap.dedent("""\
    import os, sys
    sys.modules["fcntl"] = None  # any `import fcntl` now raises ImportError
    for name in ("fork", "forkpty"):
        if hasattr(os, name):
            delattr(os, name)
    """)
PROBE = textwrap.dedent("""\
    import importlib, os, sna
    from pathlib import Path
    try:
        import fcntl
        raise SystemExit("fcntl still importable")
    except ImportError:
        pass
    assert not hasattr(os, "fork"), "os.fork still present"
    failed = []
    pkg = Path(sna.__file__).parent  # every module file (report/ is a namespace package)
    names = [".".join(("sna", *p.relative_to(pkg).with_suffix("").parts)).removesuffix(".__init__")
             for p in sorted(pkg.rglob("*.py"))]
    assert "sna.report.runner" in names and "sna.report.kernel" in names
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:
            failed.append(f"{name}: {exc!r}")
    assert not failed, failed
    from sna.report.kernel import default_mode
    assert default_mode() == "spawn", default_mode()
    print("probe ok")
    """)


@pytest.fixture(scope="module")
def no_posix_env(tmp_path_factory, root) -> dict:
    """Environment whose Pythons (this one's children and their kernels) lack fcntl and fork."""
    site = tmp_path_factory.mktemp("no_posix")
    (site / "sitecustomize.py").write_text(NO_POSIX, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(root)]),
               SNA_KERNEL_MODE="fork")  # asked for fork: must fall back, not fail
    return env


def _sna(env: dict, root: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_module_imports_without_fcntl_and_fork(no_posix_env, root):
    res = _sna(no_posix_env, root, "-c", PROBE, timeout=300)
    assert res.returncode == 0 and "probe ok" in res.stdout, res.stderr[-2000:]


@pytest.mark.slow
def test_validate_and_one_chapter_run_without_fcntl_and_fork(no_posix_env, root, tmp_path):
    val = _sna(no_posix_env, root, "-m", "sna.cli", "validate", "--config",
               "config/barnet.yaml")
    assert val.returncode == 0, val.stderr[-2000:]
    out = tmp_path / "out"
    res = _sna(no_posix_env, root, "-m", "sna.cli", "run", "--config", "config/barnet.yaml",
               "--chapters", "01_context_profile", "--out", str(out), "--jobs", "1")
    assert res.returncode == 0, res.stderr[-3000:]
    pages = list(out.glob("barnet/*/chapters/01_context_profile.html"))
    assert len(pages) == 1
    assert "Data up to" in pages[0].read_text(encoding="utf-8")
    assert (pages[0].parents[1] / "index.html").is_file()


def test_pool_falls_back_to_spawn_without_fork(monkeypatch):
    monkeypatch.setattr(kernel, "fork_available", lambda: False)
    monkeypatch.setenv("SNA_KERNEL_MODE", "server")
    assert kernel.default_mode() == "spawn"
    pool = engine.KernelPool(ready=2, mode="fork")  # asked explicitly: still spawns
    try:
        assert pool.mode == "spawn" and pool._server is None
        assert pool._spec["argv"][1:3] == ["-m", "ipykernel_launcher"]
    finally:
        pool.close()


def test_period_lock_refuses_a_second_run_and_frees_on_exit(tmp_path):
    area = tmp_path / "barnet"
    with period_lock(area, "2026-03"):
        with pytest.raises(LockError, match="barnet/2026-03"):
            with period_lock(area, "2026-03"):
                pass
        with period_lock(area, "2026-02"):  # another period is independent
            pass
    with period_lock(area, "2026-03"):  # released when the first run ended
        pass


def test_period_lock_is_held_across_processes(tmp_path):
    """A second process is refused while the first holds the lock (an OS lock, not a flag in
    memory)."""
    area = tmp_path / "barnet"
    code = ("import sys; from pathlib import Path; from sna.report.runner import period_lock\n"
            "from sna.errors import LockError\n"
            "try:\n    with period_lock(Path(sys.argv[1]), '2026-03'): print('got it')\n"
            "except LockError: print('refused')")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    with period_lock(area, "2026-03"):
        held = subprocess.run([sys.executable, "-c", code, str(area)], env=env,
                              capture_output=True, text=True, timeout=120)
    free = subprocess.run([sys.executable, "-c", code, str(area)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert held.stdout.strip() == "refused", held.stderr[-1000:]
    assert free.stdout.strip() == "got it", free.stderr[-1000:]
