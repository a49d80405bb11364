"""A local worker that dies (the OOM killer, a crash) costs at most its own job, never the report.

A real ``verif report`` whose worker is SIGKILLed while it runs a job completes (or is
incomplete) with every job accounted for. In process: a job function that kills its own worker
once is run again and gives the same record; one that kills it every time is recorded as failed
after :data:`MAX_WORKER_DEATHS` deaths while the others are kept; a job past ``job_s`` and an
interruption end the workers.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.process
import os
import signal
import time
from multiprocessing.context import SpawnProcess
from pathlib import Path

import pytest

from tests.report.procs import (
    LIMIT_S,
    alive,
    busy_workers,
    kill_all,
    needs_proc,
    pool_workers,
    staging_dirs,
    start_verif,
    wait_for,
)
from verif import exhibits
from verif.exhibits import Mode
from verif.exit_status import EnvironmentFailure
from verif.interrupts import Interrupted, stop_on_signals
from verif.report.executors import LocalExecutor, Timeouts
from verif.report.jobs import Job, run_job
from verif.report.sweep import claim_jobs

MARKS = "VERIF_TEST_DIED_ONCE"


def _key(job: Job) -> str:
    return hashlib.sha256(json.dumps(job.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def die_once(job: Job) -> dict[str, object]:
    """Kill this worker the first time ``job`` runs (a mark under ``$VERIF_TEST_DIED_ONCE``)."""
    mark = Path(os.environ[MARKS]) / _key(job)
    if not mark.exists():
        mark.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_job(job)


def die_on_e3(job: Job) -> dict[str, object]:
    """Kill this worker whenever it runs a job of E3."""
    if job.id == "E3":
        os.kill(os.getpid(), signal.SIGKILL)
    return run_job(job)


def sigterm_self(job: Job) -> dict[str, object]:
    """Exit by SIGTERM, as the pool's own cleanup ends a worker: no job can be blamed."""
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(60.0)
    return run_job(job)


def sleepy(job: Job) -> dict[str, object]:
    time.sleep(60.0)
    return run_job(job)


def _jobs() -> list[Job]:
    return claim_jobs(["E1", "E3", "E9"], "smoke", 5, "numpy")


def _no_workers_left() -> None:
    wait_for("the pool's workers to end", lambda: not pool_workers(os.getpid()))


def test_a_job_that_kills_its_worker_once_is_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MARKS, str(tmp_path))
    jobs = _jobs()[:3]  # each death costs a fresh pool: three are as telling as six
    ticks: list[int] = []
    records = LocalExecutor(2, job_fn=die_once).run(jobs, lambda: ticks.append(1))
    assert len(list(tmp_path.iterdir())) == len(jobs)  # every job did kill a worker once
    assert records == [run_job(j) for j in jobs]
    assert len(ticks) == len(jobs)
    _no_workers_left()


def test_a_job_that_always_kills_its_worker_fails_alone() -> None:
    jobs = _jobs()
    records = LocalExecutor(2, job_fn=die_on_e3).run(jobs, lambda: None)
    assert len(records) == len(jobs)
    for job, record in zip(jobs, records, strict=True):
        if job.id == "E3":
            assert record["status"] == "error"
            assert record["error"] == "worker process died (SIGKILL) while running this job, twice"
            assert record["result"] is None and record["config"] == job.config
        else:
            assert record == run_job(job)
    _no_workers_left()


def test_workers_that_keep_dying_unblamed_end_in_failed_jobs() -> None:
    jobs = _jobs()[:3]
    records = LocalExecutor(2, job_fn=sigterm_self).run(jobs, lambda: None)
    assert [r["status"] for r in records] == ["error"] * len(jobs)
    assert {r["error"] for r in records} == {"worker processes died before finishing any job, twice"}
    _no_workers_left()


def test_job_timeout_ends_the_workers() -> None:
    jobs = _jobs()[:3]
    with pytest.raises(
        EnvironmentFailure, match=r"no job finished for 1 s on the local workers .*--job-timeout"
    ):
        LocalExecutor(2, Timeouts(job_s=1.0), job_fn=sleepy).run(jobs, lambda: None)
    _no_workers_left()


def test_interruption_ends_the_workers_and_counts_the_finished() -> None:
    jobs = _jobs()

    def stop() -> None:
        raise Interrupted(signal.SIGINT)

    with pytest.raises(Interrupted) as caught:
        LocalExecutor(2).run(jobs, stop)
    assert caught.value.progress == (1, len(jobs))  # raised when the first job had finished
    _no_workers_left()


def test_a_signal_between_a_workers_start_and_the_pools_map_ends_that_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A SIGTERM that lands in submit() right after a worker process started, before the pool
    records it: that worker is ended too, not left to fail in its start-up after we exit."""
    started: list[multiprocessing.process.BaseProcess] = []
    original = SpawnProcess.start

    def start_then_signal(self: SpawnProcess) -> None:
        original(self)
        started.append(self)
        if len(started) == 2:
            raise Interrupted(signal.SIGTERM)

    monkeypatch.setattr(SpawnProcess, "start", start_then_signal)
    with pytest.raises(Interrupted):
        LocalExecutor(2).run(_jobs(), lambda: None)
    assert len(started) == 2
    assert all(p.exitcode is not None for p in started), [p.exitcode for p in started]
    assert not multiprocessing.active_children()
    _no_workers_left()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_real_signal_while_the_pool_starts_waits_until_submit_is_done(
    monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    """A real signal to this process as the pool starts its first worker is handled only once
    submit() has returned: every worker is started and in the pool's map, and then all are ended
    (the signal never lands half-way through the pool's bookkeeping)."""
    started: list[multiprocessing.process.BaseProcess] = []
    original = SpawnProcess.start

    def start_and_signal(self: SpawnProcess) -> None:
        original(self)
        started.append(self)
        if len(started) == 1:
            os.kill(os.getpid(), sig)

    monkeypatch.setattr(SpawnProcess, "start", start_and_signal)
    # stop_on_signals leaves both signals ignored after one came (the command is exiting): restore.
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(Interrupted) as caught, stop_on_signals():
            LocalExecutor(2).run(_jobs(), lambda: None)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert caught.value.signum == sig
    assert len(started) == 2, "the signal interrupted submit() before the pool had started its workers"
    assert all(p.exitcode is not None for p in started), [p.exitcode for p in started]
    assert not multiprocessing.active_children()
    _no_workers_left()


def _all_jobs(mode: Mode, seed: int, claim_ids: list[str], exhibit_ids: list[str]) -> int:
    tasks = sum(len(exhibits.get(x).tasks(mode, seed)) for x in exhibit_ids)
    return len(claim_jobs(claim_ids, mode, seed, "numpy")) + tasks


#: The real report: jobs of both kinds (claims and an exhibit), about 1.2 CPU seconds of jobs per
#: worker (E10's two take most of it, its first about 0.8 s with the imports), so that a worker is
#: still inside a job once it is busy (``busy_workers``); every other claim or exhibit only adds
#: more of the same jobs.
REAL_CLAIMS = ["E10", "E12", "E16"]
REAL_EXHIBITS = ["X1"]


@needs_proc
def test_killed_worker_of_a_real_report(tmp_path: Path) -> None:
    out = tmp_path / "r"
    selection = ["--claims", ",".join(REAL_CLAIMS), "--exhibits", ",".join(REAL_EXHIBITS)]
    proc = start_verif(["report", "--smoke", *selection, "--jobs", "2", "--out", str(out)])
    running: list[int] = []  # the pool's workers inside a job, once both are there

    def look() -> bool:
        running[:] = busy_workers(proc.pid, 2)
        return bool(running) or proc.poll() is not None

    try:
        wait_for("a worker to run jobs", look)
        assert running, f"the report ended before a worker could be killed: {proc.communicate()}"
        victim = running[0]
        os.kill(victim, signal.SIGKILL)
        wait_for("the killed worker to go", lambda: not alive(victim))
        stdout, err = proc.communicate(timeout=10 * LIMIT_S)
    finally:
        kill_all([proc.pid])
    assert proc.returncode in (0, 1), err
    assert "BrokenProcessPool" not in err and "Traceback" not in err
    doc = json.loads((out / "results.json").read_text())
    records = doc["records"]
    assert len(records) == _all_jobs("smoke", 0, REAL_CLAIMS, REAL_EXHIBITS)
    for r in records:
        assert r["status"] == "ok" or "worker process died" in r["error"], r
    state = "complete" if doc["complete"] else "INCOMPLETE"
    assert f"report {state}" in stdout.strip().splitlines()[-1]
    assert not staging_dirs(out)
