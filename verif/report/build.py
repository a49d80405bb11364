"""``verif report``: run every claim's sweep and every exhibit, then write the report atomically.

The report is built in a staging folder beside ``out`` and exchanged with it at the end, so
that ``out`` holds either the previous report or the new complete one, never half of one and
never nothing; ``out`` is checked and locked before any job runs, and only a missing or empty
directory or an earlier report is ever replaced (:mod:`verif.report.outdir`).
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from verif import claims, exhibits
from verif.backends import backend as get_backend
from verif.backends import names as backend_names
from verif.exhibits import MODES, Figure, Mode, Summary
from verif.report import outdir, per_time, plots, render
from verif.report.check import check_line
from verif.report.executors import Executor, Record, make_executor
from verif.report.jobs import Job, jsonable, record_ratio
from verif.report.sweep import claim_jobs, sweep_for
from verif.validation import require_seed

SCHEMA_ID = "verif-report/2"


@dataclass(frozen=True)
class ReportRequest:
    """What ``verif report`` was asked for (validated by :func:`validate`)."""

    out: Path
    mode: Mode = "quick"
    claim_ids: tuple[str, ...] | None = None
    exhibit_ids: tuple[str, ...] | None = None
    seed: int = 0
    jobs: int = 1
    scheduler: str | None = None
    backend: str = "numpy"
    command: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Report:
    """The written report: the document of ``results.json`` and where it lies."""

    out: Path
    doc: dict[str, Any]

    @property
    def complete(self) -> bool:
        return bool(self.doc["complete"])


def _check_ids(kind: str, given: Sequence[str] | None, known: list[str]) -> list[str]:
    if given is None:
        return known
    unknown = [i for i in given if i not in known]
    if unknown or not given:
        raise ValueError(f"{kind}: unknown id(s) {unknown or '(none given)'}; known: {','.join(known)}")
    return [i for i in known if i in given]


def validate(req: ReportRequest) -> tuple[list[str], list[str]]:
    """The claim and exhibit ids to run; ``ValueError`` (one line) on any bad field."""
    if req.mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {req.mode!r}")
    if req.backend not in backend_names():
        raise ValueError(f"backend must be one of {backend_names()}, got {req.backend!r}")
    require_seed(req.seed)  # beyond int64 every job failed on it: an incomplete report, exit 1
    if req.jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {req.jobs}")
    claim_ids = _check_ids("claims", req.claim_ids, claims.ids())
    exhibit_ids = _check_ids("exhibits", req.exhibit_ids, exhibits.ids())
    outdir.check_target(req.out)
    return claim_ids, exhibit_ids


def make_report(
    req: ReportRequest,
    progress: Callable[[int], Callable[[], None]] | None = None,
    executor: Executor | None = None,
) -> Report:
    """Run the sweeps and exhibits of ``req`` and write the report to ``req.out``.

    ``progress(total)`` returns the per-job callback (a progress bar); ``executor`` overrides
    the one ``req`` names. Bad input raises ``ValueError`` before anything is written; another
    run on ``req.out`` and a failed write (a full disk) raise ``EnvironmentFailure``, leaving
    ``req.out`` as it was.
    """
    claim_ids, exhibit_ids = validate(req)
    if req.scheduler is None:  # local workers: a backend that cannot start here is the environment
        get_backend(req.backend)
    with outdir.staged(req.out, req.command) as run:
        ex = executor if executor is not None else make_executor(req.jobs, req.scheduler)
        try:
            doc = _measure_and_write(req, claim_ids, exhibit_ids, ex, run, progress)
        finally:
            if executor is None:
                ex.close()
        run.publish()
    return Report(req.out, doc)


def _exhibit_jobs(exhibit_ids: Sequence[str], mode: Mode, seed: int, backend: str) -> list[Job]:
    """Every task of every exhibit, each with the report's seed (a task's options say which sub-seed)."""
    return [
        Job("exhibit", xid, seed, backend, None, jsonable(options))
        for xid in exhibit_ids
        for options in exhibits.get(xid).tasks(mode, seed)
    ]


def _measure_and_write(
    req: ReportRequest,
    claim_ids: list[str],
    exhibit_ids: list[str],
    ex: Executor,
    run: outdir.Staged,
    progress: Callable[[int], Callable[[], None]] | None,
) -> dict[str, Any]:
    started = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    jobs = claim_jobs(claim_ids, req.mode, req.seed, req.backend)
    jobs += _exhibit_jobs(exhibit_ids, req.mode, req.seed, req.backend)
    tick = progress(len(jobs)) if progress else (lambda: None)
    records = ex.run(jobs, tick)
    with run.writing():
        return _write(req, claim_ids, exhibit_ids, ex, run.stage, records, started, t0)


def _write(
    req: ReportRequest,
    claim_ids: list[str],
    exhibit_ids: list[str],
    ex: Executor,
    stage: Path,
    records: list[Record],
    started: dt.datetime,
    t0: float,
) -> dict[str, Any]:
    fig_dir = stage / "figures"
    fig_dir.mkdir()
    claim_rows, findings, claim_figs = _claims_section(claim_ids, records, req.mode, fig_dir)
    exhibit_rows = _exhibits_section(exhibit_ids, records, fig_dir)
    failures = [
        {
            "record": r["key"],
            "kind": r["kind"],
            "id": r["id"],
            "seed": r["seed"],
            "config": r["config"],
            "options": r["options"],
            "error": r["error"],
        }
        for r in records
        if r["status"] != "ok"
    ]
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "created": started.isoformat(timespec="seconds"),
        "wall_s": None,
        "command": list(req.command),
        "mode": req.mode,
        "seed": req.seed,
        "backend": req.backend,
        "executor": ex.describe(),
        "git_commit": git_commit(),
        "versions": versions(),
        "complete": not failures and all(x["error"] is None for x in exhibit_rows),
        "claims": claim_rows,
        "claim_figures": claim_figs,
        "findings": findings,
        "exhibits": exhibit_rows,
        "failures": failures,
        "records": records,
    }
    doc["wall_s"] = round(time.perf_counter() - t0, 3)
    render.write_all(doc, stage)
    return doc


def _claims_section(
    claim_ids: list[str], records: list[Record], mode: Mode, fig_dir: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rows, findings, figs = [], [], []
    for cid in claim_ids:
        claim = claims.get(cid)
        mine = [r for r in records if r["kind"] == "claim" and r["id"] == cid]
        sweep = [r for r in mine if r["role"] == "sweep" and r["status"] == "ok"]
        errors = sum(1 for r in mine if r["status"] != "ok")
        row: dict[str, Any] = {
            "id": cid,
            "title": claim.title,
            "theory": claim.theory,
            "kind": claim.kind,
            "configurations": len({repr(sorted(r["config"].items())) for r in sweep}),
            "measurements": len(sweep),
            "errors": errors,
            "largest_ratio": None,
            "worst_record": None,
            "verdict": "not measured",
            "check_line": None,
            **per_time.columns(sweep),
        }
        if sweep:
            violated = [r for r in sweep if not r["result"]["passed"]]
            worst = max(sweep, key=record_ratio)
            largest = record_ratio(worst)
            if violated:
                worst = violated[0]
            row.update(
                largest_ratio=largest,
                worst_record=worst["key"],
                verdict="VIOLATED" if violated else "holds",
                check_line=check_line(
                    cid, worst["config"], worst["seed"], worst["backend"], worst["options"]
                ),
            )
        rows.append(jsonable(row))
        for r in mine:
            if r["role"] == "finding" and r["status"] == "ok":
                res = r["result"]
                findings.append(
                    jsonable(
                        {
                            "id": cid,
                            "note": r["note"],
                            "record": r["key"],
                            "ratio": res["ratio"],
                            "passed": res["passed"],
                            "check_line": check_line(cid, r["config"], r["seed"], r["backend"], r["options"]),
                        }
                    )
                )
        if len(sweep_for(cid, mode).widths) >= 3 and sweep:
            name, caption, slope = plots.claim_width_figure(cid, [r["result"] for r in sweep], fig_dir)
            figs.append(jsonable({"id": cid, "file": f"figures/{name}", "caption": caption, "slope": slope}))
    return rows, findings, figs


def _exhibits_section(exhibit_ids: list[str], records: list[Record], fig_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for xid in exhibit_ids:
        x = exhibits.get(xid)
        mine = [r for r in records if r["kind"] == "exhibit" and r["id"] == xid]
        ok = [r["result"] for r in mine if r["status"] == "ok"]
        row: dict[str, Any] = {
            "id": xid,
            "title": x.title,
            "theory": x.theory,
            "outside_theory": x.outside_theory,
            "jobs": len(mine),
            "failed_jobs": len(mine) - len(ok),
            "summary": None,
            "figures": [],
            "error": None,
        }
        try:
            if not ok:
                raise RuntimeError("every job of the exhibit failed")
            summary: Summary = x.summarize(ok)
            figs: list[Figure] = x.draw(ok, summary, fig_dir)
            row.update(
                summary=jsonable(summary.to_dict()),
                figures=[{"file": f"figures/{f.filename}", "caption": f.caption} for f in figs],
            )
        except Exception as exc:  # an exhibit that cannot be assembled is reported, not fatal
            if isinstance(exc, OSError) and exc.errno in outdir.DISK_FULL:
                raise  # the environment, not the exhibit: no report at all
            row["error"] = f"{type(exc).__name__}: {exc}"
        rows.append(row)
    return rows


def git_commit() -> str | None:
    """The commit of the source tree ``verif`` is imported from, when it is a git checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def versions() -> dict[str, str | None]:
    """Versions of Python and of the libraries the measurements use."""
    import verif

    out: dict[str, str | None] = {"python": platform.python_version(), "verif": verif.__version__}
    for dist in ("numpy", "jax", "jaxlib", "matplotlib", "dask", "distributed"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    out["platform"] = sys.platform
    return out
