"""The ``verif report`` and ``verif check`` subcommands (``verif/cli.py`` registers them)."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verif.interrupts import Interrupted
from verif.report.check import add_check_arguments, replay_line, run_check
from verif.report.executors import Timeouts, make_executor
from verif.report.render import claim_verdict, fmt
from verif.validation import parse_number

if TYPE_CHECKING:
    from verif.report.build import Report, ReportRequest


#: Failed jobs listed in the summary (all of them are in results.json and the HTML).
SHOWN_FAILURES = 3


def add_subcommands(sub: Any) -> None:
    """Add ``report`` and ``check`` to the ``verif`` subparsers ``sub``."""
    p = sub.add_parser(
        "report",
        help="measure every claim and exhibit; write index.html, report.md, results.json, figures/",
        description="Sweeps every claim of THEORY 9 and draws every exhibit (X1-X7, docs/theory.md).",
    )
    p.add_argument("--out", default="verif-report", help="output directory (default ./verif-report)")
    size = p.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", dest="mode", action="store_const", const="quick", help="small sweep (default)"
    )
    size.add_argument("--thorough", dest="mode", action="store_const", const="thorough", help="large sweep")
    size.add_argument(
        "--smoke",
        dest="mode",
        action="store_const",
        const="smoke",
        help="seconds-long sweep that exercises every part",
    )
    p.add_argument("--claims", help="comma-separated claim ids (default: all)")
    p.add_argument("--exhibits", help="comma-separated exhibit ids (default: all)")
    p.add_argument(
        "--seed",
        type=parse_number,
        default=0,
        help="seed of the whole report, in [0, 2**63 - 1] (default 0)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="local worker processes, at most one per job whatever the number given (default: CPUs)",
    )
    p.add_argument(
        "--scheduler", default=None, help="Dask scheduler address tcp://host:port (default: local pool)"
    )
    p.add_argument("--backend", default="numpy", help="numpy or jax (default numpy)")
    d = Timeouts()
    p.add_argument(
        "--connect-timeout",
        type=_seconds,
        default=d.connect_s,
        metavar="SECONDS",
        help=f"give up (exit 3) when no Dask scheduler answers within SECONDS (default {d.connect_s:g})",
    )
    p.add_argument(
        "--job-timeout",
        type=_seconds_or_zero,
        default=d.job_s,
        metavar="SECONDS",
        help=f"give up (exit 3) when no job finishes for SECONDS; 0: never (default {d.job_s:g})",
    )
    p.add_argument(
        "--no-workers-timeout",
        type=_seconds,
        default=d.no_workers_s,
        metavar="SECONDS",
        help=f"give up (exit 3) when the Dask scheduler has no workers for SECONDS "
        f"(default {d.no_workers_s:g})",
    )
    p.set_defaults(handler=run_report, mode="quick")
    c = sub.add_parser(
        "check",
        help="measure one claim on one configuration (exit 0 holds, 1 violated), or --replay a record",
        description="Measure one claim; config options as for `verif bounds`.",
    )
    add_check_arguments(c)
    c.set_defaults(handler=run_check)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _seconds_or_zero(text: str) -> float | None:
    try:
        if float(text) == 0:
            return None
    except ValueError:
        pass
    return _seconds(text)


def _ids(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(i.strip() for i in text.split(",") if i.strip())


def request_from_args(args: argparse.Namespace) -> ReportRequest:
    """A :class:`ReportRequest` from parsed arguments."""
    from verif.report.build import ReportRequest

    return ReportRequest(
        out=Path(args.out),
        mode=args.mode,
        claim_ids=_ids(args.claims),
        exhibit_ids=_ids(args.exhibits),
        seed=args.seed,
        jobs=args.jobs,
        scheduler=args.scheduler,
        backend=args.backend,
        command=tuple(["verif", *getattr(args, "argv", sys.argv[1:])]),
    )


def progress_bar(total: int, opened: list[Callable[[], None]] | None = None) -> Callable[[], None]:
    """A tqdm bar on stderr when it is a terminal; a no-op otherwise.

    The bar's ``close`` is appended to ``opened``, so that a run that stops early can clear
    it before its one line.
    """
    if sys.stderr is None or not sys.stderr.isatty():  # None: started with stderr closed
        return lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        return lambda: None
    bar = tqdm(total=total, unit="job", file=sys.stderr, leave=False)
    if opened is not None:
        opened.append(bar.close)

    def tick() -> None:
        bar.update(1)
        if bar.n >= total:
            bar.close()

    return tick


def run_report(args: argparse.Namespace) -> tuple[str, int]:
    """Handler of ``verif report``: exit 0 when complete and no claim is violated, 1 otherwise."""
    try:
        from verif.report.build import make_report
    except ImportError as exc:
        raise ValueError(f"report: needs the 'report' extra (pip install 'verif[report]'): {exc}") from exc
    from verif.report.build import validate

    req = request_from_args(args)
    validate(req)
    timeouts = Timeouts(args.connect_timeout, args.job_timeout, args.no_workers_timeout)
    bars: list[Callable[[], None]] = []
    try:
        ex = make_executor(req.jobs, req.scheduler, timeouts)
        try:
            report = make_report(req, progress=lambda total: progress_bar(total, bars), executor=ex)
        finally:
            for close in bars:  # a bar left by a stop or a failure is cleared before its line
                close()
            ex.close()
    except Interrupted as exc:
        exc.details.append("nothing written")
        raise
    return summary(report), exit_status(report)


def exit_status(report: Report) -> int:
    """0 when every job ran and every claim held on its sweep; 3 when a job failed for a reason of
    the environment (:func:`verif.report.jobs.environment_error`: JAX cannot start, a missing
    dependency, the disk), with its line on stderr; 1 otherwise (findings do not count)."""
    from verif import exit_status as statuses
    from verif.report.jobs import environment_error

    environment = [e for e in map(environment_error, report.doc["records"]) if e is not None]
    if environment:
        more = f" (and {len(environment) - 1} more jobs)" if len(environment) > 1 else ""
        statuses.say(f"verif report: error: a job could not run{more}: {environment[0]}")
        return statuses.ENVIRONMENT
    violated = any(c["verdict"] == "VIOLATED" for c in report.doc["claims"])
    return 0 if report.complete and not violated else 1


def summary(report: Report) -> str:
    """One screen: per claim its largest ratio and verdict, per exhibit its headline, where the report is."""
    doc = report.doc
    lines = [f"{'claim':<6}{'largest ratio':>14}  verdict"]
    for c in doc["claims"]:
        extra = f"  ({c['errors']} failed)" if c["errors"] else ""
        lines.append(f"{c['id']:<6}{fmt(c['largest_ratio']):>14}  {claim_verdict(doc, c)}{extra}")
        if c["verdict"] == "VIOLATED":
            lines.append(f"      reproduce: {c['check_line']}")
            lines.append(
                f"      replay:    {replay_line(c['worst_record'], str(report.out / 'results.json'))}"
            )
    for f in doc["findings"]:
        lines.append(f"finding {f['id']}: ratio {fmt(f['ratio'])} ({'holds' if f['passed'] else 'violated'})")
    for x in doc["exhibits"]:
        text = x["error"] if x["error"] else x["summary"]["headline"]
        lines.append(f"{x['id']}: {text}")
    for f in doc["failures"][:SHOWN_FAILURES]:
        where = f"config {f['config']} " if f["config"] else ""
        lines.append(
            f"FAILED {f['kind']} {f['id']} seed {f['seed']} {where}options {f['options']}: {f['error']}"
        )
    if len(doc["failures"]) > SHOWN_FAILURES:
        lines.append(
            f"... and {len(doc['failures']) - SHOWN_FAILURES} more failed jobs (results.json: failures)"
        )
    state = "complete" if report.complete else "INCOMPLETE"
    lines.append(
        f"report {state} in {doc['wall_s']:.1f} s ({len(doc['records'])} jobs): "
        f"{report.out / 'index.html'} (also report.md, results.json)"
    )
    return "\n".join(lines)
