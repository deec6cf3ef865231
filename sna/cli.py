"""Command line: ``sna run | batch | validate | init | overview | chapters``.

Exit codes (contract): 0 every chapter succeeded; 1 at least one chapter failed (the others are
still produced); 2 bad configuration or input data (nothing written).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

DEFAULT_CONFIG = "config/barnet.yaml"


class ProgressPrinter:
    """Chapter i/n and elapsed time: one updating line on a terminal, log lines otherwise."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.tty = stream.isatty()
        self.t0 = time.perf_counter()

    def __call__(self, event: str, info: dict) -> None:
        elapsed = time.perf_counter() - self.t0
        if event == "validate":
            text = "checking inputs"
        elif event == "chapter_start":
            text = f"chapter {info['done'] + 1}/{info['total']} running: {info['chapter']}"
        elif event == "chapter_end":
            text = (f"chapter {info['done']}/{info['total']} {info['status']}: "
                    f"{info['chapter']} ({info['seconds']:.1f}s)")
        elif event == "export":
            text = "exporting HTML, index and manifest"
        elif event == "batch_start":
            text = (f"batch of {info['total']} run(s), {info['jobs']} at a time "
                    f"({info['executor']} executor)")
        elif event == "batch_item":
            eta = "" if info["eta_s"] is None else f"; about {_duration(info['eta_s'])} left"
            text = (f"{info['done']}/{info['total']} {info['area']} {info['period']}: "
                    f"{info['status']} ({info['seconds']:.1f}s){eta}")
        else:
            text = f"{event} {info}"
        if self.tty:
            end = "\n" if event in ("chapter_end", "batch_item", "batch_start") else ""
            self.stream.write(f"\r\x1b[2K[{elapsed:6.1f}s] {text}{end}")
        else:
            self.stream.write(f"sna: [{elapsed:.1f}s] {text}\n")
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def _sigterm(signum, frame):  # make SIGTERM behave like Ctrl-C: clean up, keep last good output
    raise KeyboardInterrupt


def _stop_kernels() -> None:
    """Stop the kernel pool and zygote now, while SIGTERM is ignored, rather than at
    interpreter exit."""
    engine, kernel = sys.modules.get("sna.report.engine"), sys.modules.get("sna.report.kernel")
    if engine is not None:
        engine.close_shared_pool()
    if kernel is not None:  # a zygote started ahead (``prestart``) that no pool adopted
        kernel.close_prestarted()


def _responsive_threads() -> None:
    """This process mostly relays kernel messages (threads that wait briefly and often) while
    one thread renders pages, the data pack and the board pack in pure Python. With Python's
    default 5 ms switch interval each relayed message can queue 5 ms behind the renderer; at
    1 ms the next chapter starts ~0.3 s sooner at the end of a run (measured on 2 cores)."""
    sys.setswitchinterval(0.001)


def cmd_run(args: argparse.Namespace) -> int:
    from sna.report.kernel import prestart

    prestart()  # the kernel zygote imports while this process imports and checks inputs
    _responsive_threads()
    from sna.report.runner import run

    res = run(args.config, period=args.period, out_root=args.out, chapters=args.chapters,
              jobs=args.jobs, progress=ProgressPrinter())
    if res.exit_code == 2:
        print(f"sna: error: {res.message}\nNothing was written.", file=sys.stderr)
        return 2
    failed = [c for c in res.chapters if c.status != "ok"]
    for c in failed:
        print(f"sna: chapter {c.chapter_id} failed: {c.error.splitlines()[0][:200]}",
              file=sys.stderr)
    print(f"SNA for period {res.period} written in {res.seconds:.1f}s")
    print(res.out_dir / "index.html")
    return res.exit_code


def cmd_validate(args: argparse.Namespace) -> int:
    from sna.config import load_config
    from sna.errors import SnaError
    from sna.periods import resolve_period
    from sna.report.inputs import check_sources, validation_table

    try:
        cfg = load_config(args.config, period=args.period)
    except SnaError as exc:
        print(f"sna: error: {exc}", file=sys.stderr)
        return 2
    reports = check_sources(cfg)
    print(validation_table(reports))
    code = 0
    for r in reports:
        for w in r.warnings:
            print(f"warning: data.{r.key}: {w}")
        if r.error:
            print(f"\nerror: data.{r.key}: {r.error}", file=sys.stderr)
            code = 2
    ward = next((r for r in reports if r.key == "mps_ward" and not r.error), None)
    if ward is not None:
        try:
            print(f"\nperiod: {resolve_period(cfg.period, ward.meta.get('months', []))}")
        except SnaError as exc:
            print(f"sna: error: {exc}", file=sys.stderr)
            code = 2
        from sna.evaluation_data import check_evaluations

        problem = check_evaluations(cfg, ward.meta.get("months", []))
        if problem:
            print(f"sna: error: {problem}", file=sys.stderr)
            code = 2
    return code


def cmd_init(args: argparse.Namespace) -> int:
    """Write ``config/<slug>.yaml`` for a London borough (exit 2 on an unknown name)."""
    from sna import london
    from sna.errors import SnaError

    if args.list:
        for b in london.boroughs():
            print(f"{b.code}  {b.name:24} {b.bcu} BCU")
        return 0
    if args.all:
        for path, written in london.init_all(Path(args.config_dir), force=args.force):
            print(f"{'wrote' if written else 'kept existing (use --force)'} {path}")
        return 0
    if not args.borough:
        print("sna: error: give a borough name or ONS code (or --list, --all).", file=sys.stderr)
        return 2
    try:
        path = london.init_borough(args.borough, Path(args.config_dir), force=args.force)
    except SnaError as exc:
        print(f"sna: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    print(london.NEXT_STEPS.format(path=path))
    return 0


def cmd_overview(args: argparse.Namespace) -> int:
    """Write the London overview page from the boroughs' outputs under ``--out``."""
    from sna.london_overview import write_overview

    path, frame = write_overview(Path(args.out), args.period)
    done = int((frame["status"] == "ok").sum())
    print(f"London overview of {done}/{len(frame)} complete borough SNAs written:\n{path}")
    return 0


def cmd_chapters(args: argparse.Namespace) -> int:
    """List the chapters found in ``notebooks/`` (run order), what each waits for and the SNA
    components it covers; exit 2 with the notebook named when its metadata is malformed."""
    from sna import registry
    from sna.errors import SnaError
    from sna.report.components import components_by_chapter

    try:
        specs = registry.chapters()
        comps = components_by_chapter()
    except SnaError as exc:
        print(f"sna: error: {exc}", file=sys.stderr)
        return 2
    for cid, spec in specs.items():
        print(f"{cid:32} {spec.title}")
        if spec.depends:
            after = "every other chapter" if spec.reads_all else ", ".join(spec.depends)
            print(f"{'':32}   runs after: {after}")
        for c in comps.get(cid, []):
            print(f"{'':32}   - {c}")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from sna.report.batch import run_batch, summary_table

    if args.executor != "dask" and args.scheduler:
        print("sna: error: --scheduler needs --executor dask", file=sys.stderr)
        return 2
    if args.start > args.end:
        print(f"sna: error: --from {args.start} is after --to {args.end}: give the earlier "
              "month first. Nothing was written.", file=sys.stderr)
        return 2
    if args.executor == "local" and not args.resume:
        from sna.report.kernel import prestart

        prestart()
    _responsive_threads()
    res = run_batch(args, progress=ProgressPrinter())
    print(summary_table(res))
    return res.exit_code


def _month_arg(text: str) -> str:
    """``--from`` / ``--to``: a month (YYYY-MM, YYYYMM or 'Month YYYY'), normalised to YYYY-MM."""
    from sna.periods import parse_period

    try:
        return parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _period_arg(text: str) -> str:
    """``--period``: 'latest' or a month as :func:`_month_arg` accepts it."""
    return "latest" if text.strip().lower() == "latest" else _month_arg(text)


def _positive_int(text: str) -> int:
    """``--jobs`` / ``--every``: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the README's command reference)."""
    p = argparse.ArgumentParser(prog="sna", description="Serious Violence Strategic Needs "
                                "Assessment workbook: run, batch, validate.")
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=DEFAULT_CONFIG, help="area YAML (default %(default)s)")
    r = sub.add_parser("run", parents=[common], help="produce the SNA for one period")
    r.add_argument("--period", default=None, type=_period_arg,
                   help="YYYY-MM, YYYYMM, 'Month YYYY' or 'latest' (default: config)")
    r.add_argument("--out", default="outputs", help="outputs root (default %(default)s)")
    r.add_argument("--chapters", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   default=None, help="comma-separated chapter ids or numbers (default: all)")
    r.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1),
                   help="chapters run at once (default %(default)s)")
    r.set_defaults(func=cmd_run)
    b = sub.add_parser("batch", parents=[common], help="produce the SNA for many periods "
                       "(and areas); summary in <out>/<area>/batch.json")
    b.add_argument("--from", dest="start", required=True, type=_month_arg,
                   help="first period YYYY-MM")
    b.add_argument("--to", dest="end", required=True, type=_month_arg,
                   help="last period YYYY-MM")
    b.add_argument("--every", type=_positive_int, default=1,
                   help="step in months, counted back from --to (default 1)")
    b.add_argument("--jobs", type=_positive_int, default=os.cpu_count() or 1,
                   help="kernels computing at once, and periods in flight (default: cores, "
                   "%(default)s)")
    b.add_argument("--resume", action="store_true",
                   help="skip periods whose manifest shows the same inputs, config, code and "
                   "chapters, all successful")
    b.add_argument("--out", default="outputs", help="outputs root (default %(default)s)")
    b.add_argument("--chapters", type=lambda s: [c.strip() for c in s.split(",") if c.strip()],
                   default=None, help="comma-separated chapter ids or numbers (default: all)")
    b.add_argument("--areas", nargs="+", default=None, metavar="CONFIG",
                   help="more area configs to run in the same batch (after --config)")
    b.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local threads and kernels (default) or a Dask cluster")
    b.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)")
    b.set_defaults(func=cmd_batch)
    v = sub.add_parser("validate", parents=[common], help="check every input; writes nothing")
    v.add_argument("--period", default=None, type=_period_arg)
    v.set_defaults(func=cmd_validate)
    i = sub.add_parser("init", help="write config/<slug>.yaml for a London borough from the "
                       "shipped London-wide data")
    i.add_argument("borough", nargs="?", help="borough name or ONS code, e.g. Camden, E09000007")
    i.add_argument("--config-dir", default="config", help="folder (default %(default)s)")
    i.add_argument("--force", action="store_true", help="overwrite an existing config")
    i.add_argument("--list", action="store_true", help="list the 32 boroughs and their BCUs")
    i.add_argument("--all", action="store_true", help="write the configs of all 32 boroughs "
                   "(existing files are kept unless --force)")
    i.set_defaults(func=cmd_init)
    o = sub.add_parser("overview", help="London overview page (VRU) from every borough's "
                       "outputs: <out>/london/<period>/index.html")
    o.add_argument("--period", required=True, type=_month_arg, help="YYYY-MM")
    o.add_argument("--out", default="outputs", help="outputs root (default %(default)s)")
    o.set_defaults(func=cmd_overview)
    c = sub.add_parser("chapters", help="list chapters and the SNA components each covers")
    c.set_defaults(func=cmd_chapters)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``sna`` command.

    Once the outcome is decided (published, refused or rolled back) SIGTERM is ignored while
    the kernels stop and, as the program (``argv`` None), until the process has exited: a
    SIGTERM then cannot turn a finished run into a killed one (Python resets handled signals to
    the default at exit, but not ignored ones). Called from Python with ``argv``, the previous
    SIGTERM handler is put back."""
    args = build_parser().parse_args(argv)
    if hasattr(args, "config"):
        args.config = str(Path(args.config))
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\nsna: interrupted; the last good output is unchanged.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop_kernels()
        if argv is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
