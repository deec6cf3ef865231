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

import json
import os
import selectors
import signal
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
           "matplotlib", "matplotlib.pyplot", "scipy.stats", "statsmodels.api", "libpysal",
           "esda", "mapclassify", "mistune", "yaml", "openpyxl", "IPython",
           "ipykernel.kernelapp", "ipykernel.ipkernel", "nbformat")
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
    return Path(tempfile.gettempdir()) / f"sna-jupyter-{os.getuid()}-{abs(hash(sys.executable))}"


def _write_if_changed(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or target.read_text() != text:
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(target)


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


def preload_modules() -> list[str]:
    """Import :data:`PRELOAD` and every ``sna`` module except the runner side; return those
    that could not be imported (they are simply imported again, or fail, in the kernel)."""
    import importlib
    import pkgutil

    failed = []
    names = list(PRELOAD)
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


class ForkServer:
    """Start, use and stop a zygote process (POSIX only)."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="sna-zygote-"))
        self.folder = folder
        self.socket_path = str(folder / "zygote.sock")
        self.launcher = folder / "launch.py"
        self.launcher.write_text(LAUNCHER)
        self.log_path = folder / "zygote.log"
        self.ready = False
        env = dict(os.environ, **KERNEL_ENV)
        code = "import sys; from sna.report.kernel import zygote_main; zygote_main(sys.argv[1])"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", code, self.socket_path],
                                         stdin=subprocess.PIPE, stdout=log, stderr=log, env=env,
                                         start_new_session=True, cwd=folder)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the zygote listens (it has finished importing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kernel fork server exited; see {self.log_path}")
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.socket_path)
                    s.sendall(b"ping\n")
                    if s.makefile("rb").readline().strip() == b"pong":
                        self.ready = True
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"kernel fork server not ready after {timeout:.0f}s")

    def kernel_spec(self) -> dict:
        """A kernelspec whose kernels are forked by this zygote."""
        return {"argv": [sys.executable, "-I", "-S", str(self.launcher), self.socket_path,
                         "-f", "{connection_file}"],
                "display_name": "Python 3 (sna, forked)", "language": "python",
                "env": dict(KERNEL_ENV)}

    def close(self) -> None:
        """Stop the zygote: it kills any kernel still running, then exits."""
        import shutil

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


# --- inside the zygote process -----------------------------------------------------------------

def zygote_main(socket_path: str) -> None:
    """Entry point of the zygote: preload, then fork one kernel per request until stdin closes."""
    failed = preload_modules()
    if failed:
        sys.stderr.write(f"zygote: could not preload {', '.join(failed)}\n")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(socket_path)
    srv.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin, selectors.EVENT_READ, "parent")
    sel.register(wake_r, selectors.EVENT_READ, "child")
    state = _Zygote(srv, sel, wake_r, wake_w)
    state.loop()


class _Zygote:
    def __init__(self, srv, sel, wake_r, wake_w):
        self.srv, self.sel, self.wake_r, self.wake_w = srv, sel, wake_r, wake_w
        self.kids: dict[int, socket.socket] = {}

    def loop(self) -> None:
        while True:
            for key, _ in self.sel.select():
                if key.data == "accept":
                    self.accept()
                elif key.data == "parent":
                    if not os.read(sys.stdin.fileno(), 4096):
                        self.shutdown()
                elif key.data == "child":
                    while True:
                        try:
                            if not os.read(self.wake_r, 512):
                                break
                        except BlockingIOError:
                            break
                    self.reap()
                else:  # a launcher's connection: EOF means it died, so its kernel must too
                    pid = key.data
                    try:
                        data = key.fileobj.recv(64)
                    except OSError:
                        data = b""
                    if not data:
                        self.sel.unregister(key.fileobj)
                        key.fileobj.close()
                        self.kids[pid] = None
                        _kill(pid)

    def accept(self) -> None:
        conn, _ = self.srv.accept()
        conn.settimeout(10)
        line = conn.makefile("rb").readline()
        if line.strip() == b"ping":
            conn.sendall(b"pong\n")
            conn.close()
            return
        try:
            req = json.loads(line)
        except ValueError:
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            self.child(req, conn)
        conn.settimeout(None)
        conn.sendall(f"{pid}\n".encode())
        self.kids[pid] = conn
        self.sel.register(conn, selectors.EVENT_READ, pid)

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.kids.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                self.sel.unregister(conn)
                conn.close()

    def shutdown(self) -> None:
        for pid in list(self.kids):
            _kill(pid)
        deadline = time.monotonic() + 5
        while self.kids and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.02)
        os._exit(0)

    def child(self, req: dict, conn: socket.socket) -> None:
        """In the forked child: become a fresh IPython kernel, never return."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for num in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
                signal.signal(num, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            self.sel.close()
            for fd in (self.wake_r, self.wake_w):
                os.close(fd)
            for s in (self.srv, conn, *[c for c in self.kids.values() if c is not None]):
                s.close()
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.close(devnull)
            os.chdir(req.get("cwd") or "/")
            os.environ.clear()
            os.environ.update(req.get("env") or {})
            _reseed()
            sys.argv = ["ipykernel_launcher", *req["args"]]
            from ipykernel import kernelapp

            kernelapp.launch_new_instance(argv=req["args"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reseed() -> None:
    """A fresh process would have fresh random state: reseed what the zygote imported."""
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
