"""Kernels for chapter notebooks.

* :func:`ensure_kernel` writes a kernelspec for this very Python, so papermill runs chapters in
  the project's own environment (the ``.venv``) whatever other Jupyter kernels the machine has.
* :class:`ForkServer` (POSIX) is a "zygote": one process that imports pandas, geopandas,
  matplotlib, statsmodels, esda and every ``sna`` module once, then forks a fresh IPython kernel
  for each chapter in milliseconds. Every chapter still gets its own new process (no globals or
  module state shared between chapters); only the already-imported, never-executed modules are
  inherited, copy-on-write. Kernels reach the zygote through a tiny stdlib-only launcher (the
  kernelspec ``argv``), so jupyter_client manages them like any local kernel: interrupt and kill
  signals are forwarded, and a killed launcher takes its kernel with it.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KERNEL_NAME = "sna-python3"
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1",
              "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# What chapters import, directly or inside sna functions (sna's own modules are added too).
PRELOAD = ("numpy", "pandas", "pyarrow.parquet", "shapely", "pyproj", "geopandas", "pyogrio",
           "matplotlib", "matplotlib.pyplot", "scipy.stats",
           "statsmodels.genmod.generalized_linear_model", "statsmodels.genmod.families",
           "statsmodels.discrete.discrete_model", "statsmodels.stats.rates",
           "statsmodels.stats.multitest", "libpysal",
           "esda", "mapclassify", "mistune", "yaml", "openpyxl", "xlsxwriter", "IPython",
           "ipykernel.kernelapp", "ipykernel.ipkernel", "nbformat",
           # imported on first use inside chapters (measured: benchmarks/bench_chapters.py):
           # pd.read_parquet's dataset layer, the scale bar of maps, statsmodels' add_constant
           # (not ``statsmodels.api``: it imports its plotting and time-series layers, 0.14 s)
           "concurrent.futures", "pyarrow.dataset", "pyarrow.pandas_compat", "pandas.io.parquet",
           "mpl_toolkits.axes_grid1.anchored_artists", "statsmodels.tools.tools",
           "statsmodels.base.covtype", "statsmodels.tsa.tsatools",
           "pandas.core.arrays.arrow.extension_types", "pandas.core.arrays.arrow._arrow_utils",
           "pandas.core.reshape.reshape", "pandas.io.formats.csvs",
           # every kernel's start imported debugpy (~150 modules) for ipykernel's debugger;
           # importing it starts no thread, so the fork stays safe
           "ipykernel.debugger")
# The launcher: stdlib only, started with ``python -I -S`` (~20 ms). Argument 1 is the zygote
# socket, the rest are the kernel's own arguments (``-f <connection file>`` ...).
LAUNCHER = r'''import json, os, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
req = {"args": sys.argv[2:], "cwd": os.getcwd(), "env": dict(os.environ)}
s.sendall(json.dumps(req).encode() + b"\n")
f = s.makefile("rb")
pid = int(f.readline() or -1)
if pid < 0:
    os._exit(1)
def forward(num, frame):
    try:
        os.kill(pid, num)
    except OSError:
        pass
for num in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
            signal.SIGUSR2):
    signal.signal(num, forward)
line = f.readline().split()
code = int(line[1]) if len(line) == 2 and line[0] == b"exit" else 1
os._exit(code if code >= 0 else 128 - code)
'''


def _private_root() -> Path:
    """The Jupyter path holding this Python's kernelspec: one folder per interpreter, the same
    for every process (``hash()`` of a string is salted per process, so it must not name it),
    inside the user's private :func:`runtime_dir`."""
    import hashlib

    return runtime_dir() / f"jupyter-{hashlib.sha256(sys.executable.encode()).hexdigest()[:16]}"


def _write_if_changed(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically unless it already holds it. Safe when several
    threads or processes write the same file at once: each writes its own temporary file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file() and target.read_text() == text:
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_kernel() -> str:
    """Write a kernelspec pointing at ``sys.executable`` into a private Jupyter path, put that
    path first in ``JUPYTER_PATH`` and return the kernel name to give papermill."""
    root = _private_root()
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (sna)", "language": "python", "env": dict(KERNEL_ENV)}
    _write_if_changed(root / "kernels" / KERNEL_NAME / "kernel.json", json.dumps(spec))
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(root) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(root), paths) if p)
    return KERNEL_NAME


def warm_caches() -> None:
    """Fill, once in the zygote, the caches every chapter would fill again, through the
    chapter API's own :func:`sna.chapter.warm_up` (the one module of the analysis side this
    layer knows: the zygote exists to run that API). Forked kernels inherit the caches.
    Failures only cost the time saved."""
    try:
        from sna.chapter import warm_up

        warm_up()
    except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the zygote
        sys.stderr.write(f"zygote: warm-up skipped ({exc})\n")


def preload_modules() -> list[str]:
    """Import :data:`PRELOAD` and every ``sna`` module except the runner side; return those
    that could not be imported (they are simply imported again, or fail, in the kernel)."""
    import importlib
    import pkgutil

    failed = []
    names = list(PRELOAD)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's import warning
    try:
        import sna

        names += [m.name for m in pkgutil.walk_packages(sna.__path__, "sna.")
                  if not m.name.startswith(("sna.report", "sna.cli"))]
    except Exception:  # a broken package shows up in the chapter instead
        failed.append("sna")
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
    return failed


def runtime_dir() -> Path:
    """A private folder (mode 0700) of this user for the kernelspec and zygote sockets.

    Where there are no user ids (Windows) it is named after the user inside the temporary
    folder, which is already per user there."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        import getpass

        folder = Path(base) / f"sna-{getpass.getuser()}"
        folder.mkdir(exist_ok=True)
        return folder
    folder = Path(base) / f"sna-{getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != getuid():
        raise OSError(f"{folder} belongs to another user")
    os.chmod(folder, 0o700)
    return folder


def fork_available() -> bool:
    """Whether kernels can be forked from a zygote: ``os.fork`` and Unix sockets exist (not on
    Windows, nor where a platform or an embedding removed them)."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


def server_key() -> str:
    """What a long-lived zygote's imports depend on: Python, the ``sna`` source (the code
    fingerprint ``--resume`` uses), the versions of what it preloads and the environment read
    at import time. A change means a new zygote."""
    import hashlib
    from importlib import metadata

    from sna.report.fingerprint import code_fingerprint

    h = hashlib.sha256(f"{sys.executable}|{sys.version}|{sorted(KERNEL_ENV.items())}".encode())
    h.update(code_fingerprint().encode())
    for dist in ("numpy", "pandas", "pyarrow", "geopandas", "shapely", "pyproj", "matplotlib",
                 "scipy", "statsmodels", "esda", "libpysal", "ipykernel", "IPython", "debugpy"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            pass
    for var in ("PYTHONPATH", "PROJ_DATA", "PROJ_LIB", "GDAL_DATA", "LANG", "LC_ALL", "TZ"):
        h.update(f"{var}={os.environ.get(var, '')}".encode())
    return h.hexdigest()[:16]


def ask(socket_path: str, message: bytes, timeout: float = 5.0) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(message + b"\n")
        return s.makefile("rb").readline().strip()


class ForkServer:
    """Start (or, ``persistent``, find) a zygote and hand out its kernelspec (POSIX only:
    :func:`default_mode` never asks for one where :func:`fork_available` is false).

    A per-run zygote is a child of this process and stops with it. A persistent one
    (``SNA_KERNEL_MODE=server``) lives in :func:`runtime_dir`, is shared by every ``sna``
    process of this user with the same :func:`server_key`, and exits after ``idle`` seconds
    without work, so runs after the first skip the imports.
    """

    def __init__(self, persistent: bool = False, idle: float = 600.0) -> None:
        self.persistent, self.ready, self.proc = persistent, False, None
        if persistent:
            self.folder = runtime_dir()
            key = server_key()
            self.socket_path = str(self.folder / f"zygote-{key}.sock")
            self.log_path = self.folder / f"zygote-{key}.log"
            self.launcher = self.folder / "launch.py"
            _write_if_changed(self.launcher, LAUNCHER)
            self._idle = idle
            self.ensure()
            return
        self.folder = Path(tempfile.mkdtemp(prefix="sna-zygote-"))
        self.socket_path = str(self.folder / "zygote.sock")
        self.launcher = self.folder / "launch.py"
        self.launcher.write_text(LAUNCHER)
        self.log_path = self.folder / "zygote.log"
        self.proc = self._spawn([], subprocess.PIPE)

    def _spawn(self, extra: list[str], stdin) -> subprocess.Popen:
        env = dict(os.environ, **KERNEL_ENV)
        code = ("import sys; from sna.report.zygote import zygote_main; "
                "zygote_main(sys.argv[1], *map(float, sys.argv[2:]))")
        with open(self.log_path, "wb" if self.persistent else "ab") as log:
            return subprocess.Popen([sys.executable, "-c", code, self.socket_path, *extra],
                                    stdin=stdin, stdout=log, stderr=log, env=env,
                                    start_new_session=True, cwd=self.folder)

    def ensure(self) -> None:
        """Persistent mode: start the shared zygote unless one answers or is starting (one
        starter at a time, under a lock file; ``<socket>.starting`` names the starting pid)."""
        from filelock import FileLock

        starting = Path(f"{self.socket_path}.starting")
        with FileLock(f"{self.socket_path}.lock"):
            try:
                if ask(self.socket_path, b"ping") == b"pong":
                    self.ready = True
                    return
            except OSError:
                pass
            try:
                os.kill(int(starting.read_text()), 0)
                return  # being started by someone else: wait_ready() waits for it
            except (OSError, ValueError):
                pass
            Path(self.socket_path).unlink(missing_ok=True)
            proc = self._spawn([str(self._idle)], subprocess.DEVNULL)  # a daemon
            starting.write_text(str(proc.pid))

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the zygote listens (it has finished importing)."""
        deadline, tries = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kernel fork server exited; see {self.log_path}")
            try:
                if ask(self.socket_path, b"ping") == b"pong":
                    self.ready = True
                    return
            except OSError:
                tries += 1
                if self.persistent and tries % 20 == 0:  # gone idle, or its starter died
                    self.ensure()
            time.sleep(0.05)
        raise RuntimeError(f"kernel fork server not ready after {timeout:.0f}s; "
                           f"see {self.log_path}")

    def kernel_spec(self) -> dict:
        """A kernelspec whose kernels are forked by this zygote."""
        return {"argv": [sys.executable, "-I", "-S", str(self.launcher), self.socket_path,
                         "-f", "{connection_file}"],
                "display_name": "Python 3 (sna, forked)", "language": "python",
                "env": dict(KERNEL_ENV)}

    def close(self) -> None:
        """Stop a per-run zygote (it kills any kernel still running); a persistent one stays."""
        import shutil

        if self.persistent or self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                if not self.ready:  # still importing: it has no kernels to take down
                    raise subprocess.TimeoutExpired("zygote", 0)
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_PRESTARTED: ForkServer | None = None
_ADOPTED = False  # the shared pool exists: a new zygote would never be used


def default_mode() -> str:
    """``fork`` on Linux, ``spawn`` elsewhere; ``SNA_KERNEL_MODE`` (``fork``, ``server``,
    ``spawn``) overrides. Always ``spawn`` where :func:`fork_available` is false."""
    if not fork_available():
        return "spawn"
    mode = os.environ.get("SNA_KERNEL_MODE", "").strip().lower()
    if mode in ("fork", "server", "spawn"):
        return mode
    return "fork" if sys.platform.startswith("linux") else "spawn"


def new_server() -> ForkServer:
    """A zygote for the current mode (``fork`` or ``server``)."""
    if default_mode() == "server":
        return ForkServer(persistent=True,
                          idle=float(os.environ.get("SNA_KERNEL_IDLE", "") or 600))
    return ForkServer()


def prestart() -> None:
    """Start the zygote now (the CLI calls this before its own imports, so the zygote's
    imports overlap everything else); the kernel pool adopts it later."""
    global _PRESTARTED
    if _PRESTARTED is None and not _ADOPTED and default_mode() in ("fork", "server"):
        try:
            _PRESTARTED = new_server()
        except OSError:
            return
        atexit.register(close_prestarted)


def adopt_prestarted() -> ForkServer | None:
    """The zygote :func:`prestart` started, now owned by the shared pool (or ``None``)."""
    global _PRESTARTED, _ADOPTED
    server, _PRESTARTED, _ADOPTED = _PRESTARTED, None, True
    if server is not None and server.persistent != (default_mode() == "server"):
        server.close()
        return None
    return server


def pool_closed() -> None:
    """The shared pool was closed: the next run may prestart a zygote again."""
    global _ADOPTED
    _ADOPTED = False


def close_prestarted() -> None:
    global _PRESTARTED
    server, _PRESTARTED = _PRESTARTED, None
    if server is not None:
        server.close()
