"""The papermill engine of ``sna run``: execute a notebook in a kernel taken from the pool
(:mod:`sna.report.engine`), save the output notebook once at the end, and hand a started
kernel to nbclient without jupyter_client's fixed 0.2 s wait (:func:`kernel_ready`).
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from queue import Empty

from nbclient.util import run_hook, run_sync
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, NotebookExecutionManager, papermill_engines

ENGINE_NAME = "sna-pooled"


async def kernel_ready(kc, timeout: float = 120.0) -> None:
    """Return once the kernel behind the started client ``kc`` answers on the shell channel
    AND its IOPub messages reach ``kc`` (the idle status of our own ``kernel_info`` request).

    ``jupyter_client``'s ``wait_for_ready`` does the same, then drains IOPub until 0.2 s pass
    without a message: 0.2 s lost per chapter, each time on the run's critical path. Nothing
    needs the drain here: nbclient only reads IOPub messages whose parent is its own request.
    """
    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            reply = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            # the reply may answer an earlier request of this loop (a slow kernel): wait for
            # the idle status of whichever request it answers
            msg_id = reply["parent_header"].get("msg_id")
            end = time.monotonic() + 0.5  # a subscription still joining misses it: ask again
            while (left := end - time.monotonic()) > 0:
                try:
                    msg = await kc.iopub_channel.get_msg(timeout=left)
                except Empty:
                    break
                if (msg["parent_header"].get("msg_id") == msg_id
                        and msg["msg_type"] == "status"
                        and msg["content"].get("execution_state") == "idle"):
                    kc._handle_kernel_info_reply(reply)
                    return
        if not await kc._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


@asynccontextmanager
async def ready_client(km, timeout: float = 60.0):
    """A client of the started kernel ``km`` once :func:`kernel_ready` (no heartbeat thread:
    the kernel's manager knows whether it lives); its channels are stopped on leaving."""
    kc = km.client()
    kc.start_channels(hb=False)
    try:
        await kernel_ready(kc, timeout=timeout)
        yield kc
    finally:
        kc.stop_channels()


def run_code(km, code: str, timeout: float = 300.0) -> None:
    """Execute ``code`` in the started kernel ``km`` (a pooled kernel: a process of its own);
    raise ``RuntimeError`` with the kernel's error when it fails."""
    import asyncio

    async def go() -> None:
        async with ready_client(km) as kc:
            msg_id = kc.execute(code, silent=True, store_history=False)
            deadline = time.monotonic() + timeout
            while True:
                reply = await kc.shell_channel.get_msg(timeout=max(0.1,
                                                                   deadline - time.monotonic()))
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    try:
        asyncio.run(go())
    except Empty as exc:
        raise RuntimeError(f"no reply from the kernel in {timeout:.0f} s") from exc


class _SaveAtEnd(NotebookExecutionManager):
    """papermill's execution manager, but the output notebook is written once, when execution
    ends (successfully or not), instead of at every cell start and end: nobody watches the
    temporary copy while it runs, and rewriting a notebook that embeds its figures twice per
    cell cost ~2 CPU seconds per SNA."""

    _final = False

    def save(self, **kwargs):
        if self._final:
            super().save(**kwargs)

    def notebook_complete(self, **kwargs):
        self._final = True
        super().notebook_complete(**kwargs)


class PooledEngine(Engine):
    """papermill engine: run the notebook in the given started kernel (``km=``) in ``cwd``."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                         log_output=False, autosave_cell_every=30, **kwargs):
        """:meth:`papermill.engines.Engine.execute_notebook` with :class:`_SaveAtEnd`."""
        nb_man = _SaveAtEnd(nb, output_path=output_path, progress_bar=progress_bar,
                            log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 km=None, kernel_cwd=None, **kwargs):
        kwargs.pop("input_path", None)
        client = _Client(nb_man, km=km, kernel_name=kernel_name, log=logging.getLogger(
            "papermill"), log_output=log_output, stdout_file=stdout_file,
            stderr_file=stderr_file, startup_timeout=start_timeout, timeout=execution_timeout,
            **kwargs)
        client.kernel_cwd = kernel_cwd
        try:
            return client.execute()
        finally:
            if client.kc is not None:
                client.kc.stop_channels()


class _Client(PapermillNotebookClient):
    kernel_cwd: str | None = None

    async def async_start_new_kernel_client(self):
        """nbclient's, with :func:`kernel_ready` instead of ``wait_for_ready``."""
        try:
            self.kc = self.km.client()
            self.kc.start_channels()
            await kernel_ready(self.kc, timeout=self.startup_timeout)
        except Exception as exc:
            self.log.error("Error occurred while starting new kernel client for kernel %s: %s",
                           getattr(self.km, "kernel_id", None), exc)
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # the sync form nbclient calls

    def papermill_execute_cells(self):
        if self.kernel_cwd:  # what papermill's cwd= does, without chdir-ing this process
            code = f"import os as _o\n_o.chdir({self.kernel_cwd!r})\ndel _o"
            self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False))
        super().papermill_execute_cells()


papermill_engines.register(ENGINE_NAME, PooledEngine)
