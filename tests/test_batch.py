"""Batch runs: periods, resume, failure isolation, the summary, warm kernels and the Dask
executor. End-to-end tests run chapter 07 only on a small synthetic borough (slow: marked, still
run by `make test`)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from sna.cli import main
from sna.report import batch
from sna.report.batch import BatchResult, Job, periods_between, plan, summary_table
from sna.report.engine import KernelPool, Slots, shutdown
from sna.report.pmengine import kernel_ready
from sna.report.runner import (
    DEPENDS,
    ORDER,
    chapter_costs,
    critical_rank,
    critical_seconds,
    preflight,
)

# --- periods and planning ----------------------------------------------------------------------

def test_periods_between_every_month_and_steps_ending_at_to():
    assert periods_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert periods_between("2025-01", "2025-12", 3) == ["2025-03", "2025-06", "2025-09",
                                                        "2025-12"]
    assert periods_between("2025-02", "2025-12", 3) == ["2025-03", "2025-06", "2025-09",
                                                        "2025-12"]
    assert periods_between("2026-03", "2026-03", 6) == ["2026-03"]
    assert periods_between("2026-04", "2026-03") == []
    assert periods_between("2025-01", "2025-03", 0) == ["2025-01", "2025-02", "2025-03"]


def test_plan_orders_area_by_area_and_drops_duplicate_configs(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    jobs = plan([str(a), str(b), str(tmp_path / "." / "a.yaml")], "2026-01", "2026-02")
    assert [(Path(j.config).name, j.period) for j in jobs] == [
        ("a.yaml", "2026-01"), ("a.yaml", "2026-02"), ("b.yaml", "2026-01"),
        ("b.yaml", "2026-02")]
    assert [j.index for j in jobs] == [0, 1, 2, 3]


def test_summary_table_lists_every_run_and_counts():
    rows = [{"area": "x", "period": "2026-01", "status": "ok", "exit": 0, "seconds": 3.25},
            {"area": "x", "period": "2026-02", "status": "error", "exit": 2, "seconds": 0,
             "message": "period 2026-02 is outside\nsecond line"}]
    text = summary_table(BatchResult(rows, 2, 4.0))
    assert "2026-01  ok" in text and "3.2" in text
    assert "period 2026-02 is outside" in text and "second line" not in text
    assert "2 run(s) in 4.0s: 1 ok, 1 error" in text


def test_up_to_date_needs_a_manifest(tmp_path):
    pre = preflight(tmp_path / "missing.yaml")
    assert pre.error
    assert not batch.up_to_date(tmp_path, pre, ORDER, "x")


# --- scheduling --------------------------------------------------------------------------------

def test_critical_rank_puts_long_chains_first():
    assert critical_rank("00_summary") == 0
    assert critical_rank("03_spatial") == critical_rank("04_risk_protective") == 3
    assert critical_rank("02_violence_trends") == 2
    assert critical_rank("07_methodology") == 1
    for cid, deps in DEPENDS.items():
        assert all(critical_rank(d) > critical_rank(cid) for d in deps)


def test_critical_seconds_is_the_longest_chain_in_seconds():
    # a -> c -> e and b -> e, d alone; worked by hand
    deps = {"c": ["a"], "e": ["c", "b"]}
    cost = {"a": 4.0, "b": 1.0, "c": 1.5, "d": 2.5, "e": 0.5}
    got = {c: critical_seconds(c, deps, cost) for c in cost}
    assert got == {"a": 6.0, "b": 1.5, "c": 2.0, "d": 2.5, "e": 0.5}
    # chain lengths put b (one chapter waiting) level with c and ahead of d; seconds put the
    # lone 2.5 s chapter d ahead of both
    assert got["d"] > got["c"] > got["b"]


def test_chapter_costs_come_from_the_last_run(tmp_path):
    def manifest(period, chapters, age):
        folder = tmp_path / period
        folder.mkdir()
        path = folder / "manifest.json"
        path.write_text(json.dumps({"chapters": chapters}), encoding="utf-8")
        stamp = time.time() - age
        import os
        os.utime(path, (stamp, stamp))

    ids = ["01_a", "02_b", "03_c"]
    assert chapter_costs(tmp_path, "2026-03", ids) is None
    manifest("2026-01", [{"id": "01_a", "status": "ok", "seconds": 9.0}], age=100)
    manifest("2026-02", [{"id": "01_a", "status": "ok", "seconds": 2.0},
                         {"id": "02_b", "status": "failed", "seconds": 0.1},
                         {"id": "03_c", "status": "ok", "seconds": 4.0}], age=10)
    # the newest other period; a failed chapter's seconds are not its cost: median of the rest
    assert chapter_costs(tmp_path, "2026-03", ids) == {"01_a": 2.0, "02_b": 3.0, "03_c": 4.0}
    manifest("2026-03", [{"id": "01_a", "status": "ok", "seconds": 1.0},
                         {"id": "02_b", "status": "ok", "seconds": 5.0}], age=1000)
    # this period's own run comes first, however old
    assert chapter_costs(tmp_path, "2026-03", ids) == {"01_a": 1.0, "02_b": 5.0, "03_c": 3.0}
    (tmp_path / "2026-03" / "manifest.json").write_text("{broken", encoding="utf-8")
    assert chapter_costs(tmp_path, "2026-03", ids)["03_c"] == 4.0


def test_slots_bound_concurrency_and_serve_by_priority():
    slots, order, lock = Slots(1), [], threading.Lock()
    slots.acquire((0,))  # hold the only slot while the others queue up

    def worker(prio):
        slots.acquire(prio)
        with lock:
            order.append(prio)
        time.sleep(0.01)
        slots.release()

    threads = [threading.Thread(target=worker, args=((p,),)) for p in (5, 1, 3)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    assert order == []
    slots.release()
    for t in threads:
        t.join(5)
    assert order == [(1,), (3,), (5,)]


# --- kernels -----------------------------------------------------------------------------------

def _run(km, code: str) -> str:
    kc = km.blocking_client()
    kc.start_channels()
    out = []
    try:
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    finally:
        kc.stop_channels()
    return "".join(out).strip()


@pytest.mark.slow
def test_pooled_kernels_are_fresh_processes_with_modules_preloaded():
    pool = KernelPool(ready=2)
    try:
        pool.expect(2)
        first, second = pool.take(), pool.take()
        a = _run(first, "import os, sys\nsecret = 42\nprint(os.getpid(), 'pandas' in sys.modules)")
        b = _run(second, "import os, sys\nprint(os.getpid(), 'secret' in globals(), "
                         "'sna.chapter' in sys.modules, os.environ.get('MPLBACKEND'))")
        shutdown(first)
        shutdown(second)
    finally:
        pool.close()
    pid_a, preloaded = a.split()
    pid_b, leaked, chapter_loaded, backend = b.split()
    assert pid_a != pid_b and leaked == "False"
    if pool.mode == "fork":
        assert preloaded == "True" and chapter_loaded == "True"
    assert backend == "Agg"


@pytest.mark.slow
def test_kernel_ready_waits_for_iopub_and_fails_on_a_dead_kernel():
    """A kernel is handed to a chapter once it answers on shell AND its IOPub messages reach
    the client: the first output of the first cell is never lost. A dead kernel is an error
    (not a wait until the timeout)."""
    import asyncio

    async def first_output(km) -> str:
        kc = km.client()
        kc.start_channels()
        try:
            await kernel_ready(kc, timeout=60)
            msg_id = kc.execute("print('hello', 6 * 7)")
            while True:
                msg = await kc.iopub_channel.get_msg(timeout=30)
                if (msg["parent_header"].get("msg_id") == msg_id
                        and msg["msg_type"] == "stream"):
                    return msg["content"]["text"].strip()
        finally:
            kc.stop_channels()

    async def ready_or_error(km) -> str:
        kc = km.client()
        kc.start_channels()
        try:
            await kernel_ready(kc, timeout=20)
            return "ready"
        except RuntimeError as exc:
            return str(exc)
        finally:
            kc.stop_channels()

    pool = KernelPool(ready=1)
    try:
        pool.expect(2)
        for _ in range(2):  # twice: the second kernel is the one started while waiting
            km = pool.take()
            try:
                assert asyncio.run(first_output(km)) == "hello 42"
            finally:
                shutdown(km)
        pool.expect(1)
        km = pool.take()
        shutdown(km)
        assert "died" in asyncio.run(ready_or_error(km))  # not "didn't respond in 20 s"
    finally:
        pool.close()


# --- end to end --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A small synthetic borough whose data end in 2026-03, with its own parsed-data cache."""
    from sna.synthetic import write_borough

    folder = tmp_path_factory.mktemp("synth")
    config = write_borough(folder / "data", n_wards=9, n_months=24, end_month="2026-03")
    return config


@pytest.fixture
def cache(tmp_path, monkeypatch, synth):
    monkeypatch.setenv("SNA_CACHE_DIR", str(synth.parent.parent / "cache"))
    return synth


def _batch(config: Path, out: Path, *extra: str) -> int:
    return main(["batch", "--config", str(config), "--out", str(out), "--chapters", "07",
                 "--jobs", "2", *extra])


def _runs(out: Path, area: str) -> dict[str, dict]:
    doc = json.loads((out / area / "batch.json").read_text(encoding="utf-8"))
    return {r["period"]: r for r in doc["runs"]}


@pytest.mark.slow
def test_failing_period_does_not_stop_others_and_resume_skips_until_inputs_change(
        cache, tmp_path, capsys):
    out = tmp_path / "out"
    # 2026-04 is after the data: that period alone is an error (exit 2)
    code = _batch(cache, out, "--from", "2026-02", "--to", "2026-04")
    assert code == 2
    runs = _runs(out, "synthboro")
    assert {p: r["exit"] for p, r in runs.items()} == {"2026-02": 0, "2026-03": 0,
                                                       "2026-04": 2}
    assert "outside" in runs["2026-04"]["message"]
    assert (out / "synthboro" / "2026-02" / "index.html").is_file()
    assert not (out / "synthboro" / "2026-04").exists()
    printed = capsys.readouterr().out
    assert "2026-04" in printed and "3 run(s)" in printed

    stamp = (out / "synthboro" / "2026-03" / "manifest.json").read_bytes()
    code = _batch(cache, out, "--from", "2026-02", "--to", "2026-03", "--resume")
    assert code == 0
    assert {r["status"] for r in _runs(out, "synthboro").values()} == {batch.SKIPPED}
    assert (out / "synthboro" / "2026-03" / "manifest.json").read_bytes() == stamp

    # an input changes (same data, one more byte): both periods are produced again
    lookup = cache.parent / "lookups" / "lsoa21_to_ward22_bestfit.csv"
    lookup.write_text(lookup.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code = _batch(cache, out, "--from", "2026-02", "--to", "2026-03", "--resume")
    assert code == 0
    assert {r["status"] for r in _runs(out, "synthboro").values()} == {"ok"}
    assert (out / "synthboro" / "2026-03" / "manifest.json").read_bytes() != stamp


@pytest.mark.slow
def test_resume_reruns_when_more_chapters_are_asked_for(cache, tmp_path):
    out = tmp_path / "out"
    assert _batch(cache, out, "--from", "2026-03", "--to", "2026-03") == 0
    manifest = json.loads((out / "synthboro" / "2026-03" / "manifest.json").read_text())
    assert manifest["chapters_requested"] == ["07_methodology"]
    assert len(manifest["code_fingerprint"]) == 64
    pre = preflight(cache)
    folder = out / "synthboro" / "2026-03"
    assert batch.up_to_date(folder, pre, ["07_methodology"], manifest["code_fingerprint"])
    assert not batch.up_to_date(folder, pre, ["01_context_profile", "07_methodology"],
                                manifest["code_fingerprint"])
    assert not batch.up_to_date(folder, pre, ["07_methodology"], "another code version")


@pytest.mark.slow
def test_preflight_checks_every_source_and_keeps_no_frames(cache):
    from sna import data as sna_data

    pre = preflight(cache)
    assert not pre.error and pre.months[-1] == "2026-03"
    assert {r.key for r in pre.reports} >= {"mps_ward", "wards", "population"}
    assert all(r.rows and r.inputs for r in pre.reports)
    assert not sna_data._MEMO  # the parent process holds no parsed frame
    again = preflight(cache)  # warm: same answer from cached metadata
    assert [(r.key, r.rows, r.months) for r in again.reports] == [
        (r.key, r.rows, r.months) for r in pre.reports]
    from sna.config import load_config

    cfg = load_config(cache)  # the rows reported are those of the frames the chapters load
    rows = {r.key: r.rows for r in again.reports}
    for key in ("mps_ward", "wards", "population"):
        assert rows[key] == len(sna_data.load(cfg, key).frame), key
    sna_data.clear_memo()


@pytest.mark.slow
def test_several_areas_in_one_batch(tmp_path, monkeypatch):
    from sna.synthetic import write_many_boroughs

    monkeypatch.setenv("SNA_CACHE_DIR", str(tmp_path / "cache"))
    configs = write_many_boroughs(tmp_path / "data", 2, n_wards=4, n_months=14,
                                  end_month="2026-03")
    out = tmp_path / "out"
    code = main(["batch", "--config", str(configs[0]), "--areas", str(configs[1]),
                 "--from", "2026-03", "--to", "2026-03", "--chapters", "07", "--out", str(out)])
    assert code == 0
    areas = {Path(c).stem for c in configs}
    assert {p.name for p in out.iterdir() if p.is_dir()} == areas
    overall = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert {r["area"] for r in overall["runs"]} == areas


@pytest.mark.slow
def test_dask_local_cluster_runs_two_periods(cache, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    code = _batch(cache, out, "--from", "2026-02", "--to", "2026-03", "--executor", "dask")
    assert code == 0
    runs = _runs(out, "synthboro")
    assert {p: r["status"] for p, r in runs.items()} == {"2026-02": "ok", "2026-03": "ok"}
    assert all(r.get("worker") for r in runs.values())
    assert (out / "synthboro" / "2026-02" / "chapters" / "07_methodology.html").is_file()


def test_scheduler_needs_dask_executor(capsys):
    assert main(["batch", "--from", "2026-01", "--to", "2026-01", "--scheduler", "tcp://x:1"]) == 2
    assert "--executor dask" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-05", "--to", "2026-03"], "--from 2026-05 is after --to 2026-03"),
    (["--from", "2026-01", "--to", "2026-13"], "'2026-13' is not a month"),
    (["--from", "Jan 2026x", "--to", "2026-03"], "'Jan 2026x' is not a month"),
    (["--from", "2026-01", "--to", "2026-03", "--every", "0"], "--every: '0' is not a whole"),
    (["--from", "2026-01", "--to", "2026-03", "--jobs", "two"], "--jobs: 'two' is not a whole"),
])
def test_bad_batch_arguments_are_refused_before_anything_runs(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    try:
        code = main(["batch", *args, "--out", str(out)])
    except SystemExit as exc:  # argparse refuses a bad value with exit status 2
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_run_refuses_jobs_below_one(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--jobs", "0"])
    assert exc.value.code == 2
    assert "--jobs: '0' is not a whole number of at least 1" in capsys.readouterr().err


def test_batch_months_are_normalised(tmp_path, monkeypatch):
    seen = {}

    def fake_run_batch(args, progress):
        seen.update(start=args.start, end=args.end)
        return BatchResult(rows=[], seconds=0.0)

    monkeypatch.setattr(batch, "run_batch", fake_run_batch)
    main(["batch", "--from", "202601", "--to", "2026-03", "--resume", "--out", str(tmp_path)])
    assert seen == {"start": "2026-01", "end": "2026-03"}


def test_job_rows_for_a_broken_config_are_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("area: {name: X}\n", encoding="utf-8")
    pre = preflight(bad)
    row = batch.run_job(Job(0, str(bad), "2026-01"), pre, batch.BatchOptions(out=str(tmp_path)))
    assert row["exit"] == 2 and row["status"] == "error" and row["area"] == "bad"


@pytest.mark.slow
def test_cancelled_run_stops_its_kernels_and_publishes_nothing(cache, tmp_path, monkeypatch,
                                                                root):
    import shutil

    import nbformat

    from sna.report.engine import Kernels, shared_pool
    from sna.report.runner import run

    proj = tmp_path / "proj"
    shutil.copytree(root / "notebooks", proj / "notebooks")
    nb = nbformat.read(proj / "notebooks" / "07_methodology.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    nbformat.write(nb, proj / "notebooks" / "07_methodology.ipynb")
    monkeypatch.setenv("SNA_PROJECT_ROOT", str(proj))
    kernels = Kernels(shared_pool(), Slots(1))
    timer = threading.Timer(4.0, kernels.cancel)
    timer.start()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run(cache, out_root=tmp_path / "out", chapters=["07"], kernels=kernels)
    timer.join()
    assert time.perf_counter() - t0 < 60
    area = tmp_path / "out" / "synthboro"
    assert not [p for p in area.iterdir() if not p.name.endswith(".lock")]


@pytest.mark.slow
def test_persistent_kernel_server_is_shared_then_exits_when_idle(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("SNA_KERNEL_MODE", "server")
    monkeypatch.setenv("SNA_KERNEL_IDLE", "3")
    parents = []
    for _ in range(2):  # two "runs": the second finds the first one's zygote
        pool = KernelPool(ready=1)
        try:
            pool.expect(1)
            km = pool.take()
            parents.append(_run(km, "import os\nprint(os.getppid())"))
            shutdown(km)
        finally:
            pool.close()
    assert parents[0] == parents[1]
    import psutil

    server = int(parents[0])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if psutil.Process(server).status() == psutil.STATUS_ZOMBIE:
                break  # exited; we started it, so it waits for us to reap it
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the idle kernel server did not exit")
    assert not list((tmp_path / f"sna-{os.getuid()}").glob("*.sock"))


@pytest.mark.slow
def test_data_pack_is_written_in_a_kernel_and_in_process_when_that_fails(
        cache, tmp_path, monkeypatch):
    """The data pack is written by a pooled kernel (its own process) while the summary runs;
    if the kernel fails the run still writes it, in its own process, the same workbook."""
    import openpyxl

    from sna.report import pmengine
    from sna.report.runner import run

    def sheets(folder: Path) -> dict:
        book = openpyxl.load_workbook(folder / "data_pack.xlsx", read_only=True)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}

    first = run(cache, out_root=tmp_path / "a", chapters=["07"], jobs=2)
    assert first.exit_code == 0
    log = (first.out_dir / "run.log").read_text(encoding="utf-8")
    assert "data pack written in a kernel" in log

    def broken(km, code, timeout=300.0):
        raise RuntimeError("kernel lost")

    monkeypatch.setattr(pmengine, "run_code", broken)
    second = run(cache, out_root=tmp_path / "b", chapters=["07"], jobs=2)
    assert second.exit_code == 0
    log = (second.out_dir / "run.log").read_text(encoding="utf-8")
    assert "the kernel failed (kernel lost); writing it in this process" in log
    assert sheets(second.out_dir) == sheets(first.out_dir)
