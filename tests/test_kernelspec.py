"""The private kernelspec: one folder per interpreter whatever the process, and concurrent
first writes (two periods of a batch starting at once) must not fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from sna.report import kernel


def test_kernelspec_folder_is_the_same_in_every_process(tmp_path):
    code = "from sna.report.kernel import _private_root; print(_private_root())"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    roots = set()
    for seed in ("1", "2", "random"):  # str hashes differ between these processes
        env["PYTHONHASHSEED"] = seed
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        roots.add(out)
    assert len(roots) == 1
    root = roots.pop()
    assert root.startswith(str(tmp_path / f"sna-{os.getuid()}")), root


def test_concurrent_first_writes_of_the_kernelspec_all_succeed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", "")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write():
        start.wait()
        try:
            kernel.ensure_kernel()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    spec_dir = kernel._private_root() / "kernels" / kernel.KERNEL_NAME
    assert [p.name for p in spec_dir.iterdir()] == ["kernel.json"]  # no temporary left over
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert os.environ["JUPYTER_PATH"].split(os.pathsep)[0] == str(kernel._private_root())


def test_a_changed_spec_is_rewritten_and_an_unchanged_one_left_alone(tmp_path):
    target = tmp_path / "k" / "kernel.json"
    kernel._write_if_changed(target, "one")
    first = target.stat().st_ino
    kernel._write_if_changed(target, "one")
    assert target.stat().st_ino == first  # not replaced
    kernel._write_if_changed(target, "two")
    assert target.read_text() == "two"
