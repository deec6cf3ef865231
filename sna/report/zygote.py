"""The kernel zygote's own process (see :class:`sna.report.kernel.ForkServer`): import the
scientific stack and ``sna`` once, then fork one fresh IPython kernel per request; a per-run
zygote ends when its parent's stdin closes, a persistent one (``SNA_KERNEL_MODE=server``) after
``idle`` seconds without work.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path

from sna.report.kernel import ask, preload_modules, warm_caches


def zygote_main(socket_path: str, idle: float | None = None) -> None:
    """Entry point of the zygote: preload, then fork one kernel per request; until stdin
    closes (per-run), or after ``idle`` seconds without work (persistent)."""
    failed = preload_modules()
    if failed:
        sys.stderr.write(f"zygote: could not preload {', '.join(failed)}\n")
    warm_caches()
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        srv.bind(socket_path)
    except OSError:  # another zygote won the race for this socket
        os._exit(0)
    srv.listen(64)
    inode = os.stat(socket_path).st_ino
    if idle is not None:
        Path(f"{socket_path}.starting").unlink(missing_ok=True)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, "accept")
    if idle is None:
        sel.register(sys.stdin, selectors.EVENT_READ, "parent")
    else:  # older persistent zygotes (other code) of this user: stop them if idle
        for other in Path(socket_path).parent.glob("zygote-*.sock"):
            if str(other) != socket_path:
                try:
                    ask(str(other), b"quit-if-idle", timeout=1)
                except OSError:
                    pass
    sel.register(wake_r, selectors.EVENT_READ, "child")
    _Zygote(srv, sel, wake_r, wake_w, socket_path, idle, inode).loop()


class _Zygote:
    def __init__(self, srv, sel, wake_r, wake_w, socket_path, idle, inode):
        self.srv, self.sel, self.wake_r, self.wake_w = srv, sel, wake_r, wake_w
        self.socket_path, self.idle, self.inode = socket_path, idle, inode
        self.kids: dict[int, socket.socket | None] = {}
        self.last = time.monotonic()

    def idle_for(self) -> float:
        return 0.0 if self.kids else time.monotonic() - self.last

    def loop(self) -> None:
        while True:
            timeout = None if self.idle is None else max(1.0, min(30.0, self.idle / 4))
            for key, _ in self.sel.select(timeout):
                self.handle(key)
            if self.idle is not None and self.idle_for() > self.idle:
                self.shutdown()

    def handle(self, key) -> None:
        if key.data == "accept":
            self.accept()
            self.last = time.monotonic()
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
            self.last = time.monotonic()
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
        if line.strip() == b"quit-if-idle":
            conn.close()
            if self.idle is not None and self.idle_for() > 5:
                self.shutdown()
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
        if self.idle is not None:  # no new client may reach a zygote that is leaving
            try:
                if os.stat(self.socket_path).st_ino == self.inode:  # ours, not a successor's
                    os.unlink(self.socket_path)
                    os.unlink(self.socket_path[:-5] + ".log")
            except OSError:
                pass
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
