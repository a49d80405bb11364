"""Executors: run independent jobs and return their records in job order.

* :class:`LocalExecutor`: a process pool of ``jobs`` workers on this machine (``jobs = 1``
  runs in this process).
* :class:`DaskExecutor`: a running Dask distributed scheduler at ``tcp://host:port``; its
  workers need ``verif`` importable at the same version (``pip install verif[dask]``).

A record depends only on its job (:func:`verif.report.jobs.run_job`), so every executor gives
the same records.

What happens when something goes wrong (the promises ``verif report`` makes):

* Interrupted (SIGINT/SIGTERM raise :class:`verif.interrupts.Interrupted`, or any other
  exception on the way): pending jobs are cancelled and the local workers are ended
  (SIGTERM, then SIGKILL after :data:`GRACE_S`) before the exception goes on; it carries
  how many jobs had finished. Local workers ignore SIGINT (the parent decides) and, on
  Linux, are killed by the kernel when the parent dies, even by SIGKILL.
* A local worker dies (the OOM killer, a crash): the records already finished are kept and
  the unfinished jobs run again on a fresh pool. A job that was running in a worker that
  died :data:`MAX_WORKER_DEATHS` times is recorded as failed (``status: "error"``), so the
  report ends, incomplete, instead of being lost.
* Timeouts (:class:`Timeouts`, ``verif report --connect-timeout/--job-timeout/
  --no-workers-timeout``): no Dask scheduler answering at the address, no job finishing for
  ``job_s`` seconds, a Dask scheduler without workers for ``no_workers_s`` seconds, or a
  scheduler that goes away raise :class:`verif.exit_status.EnvironmentFailure` (exit 3).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from verif import interrupts
from verif.exit_status import EnvironmentFailure
from verif.interrupts import Interrupted
from verif.report.jobs import Job, error_record, run_job

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

Record = dict[str, Any]
Progress = Callable[[], None]
JobFunction = Callable[[Job], Record]

#: Seconds a terminated local worker has to exit before it is killed.
GRACE_S = 1.0
#: Seconds between two looks at the running jobs (signals interrupt the wait at once).
POLL_S = 0.25
#: A job running in a worker that dies this many times is recorded as failed.
MAX_WORKER_DEATHS = 2
#: ``prctl`` option: the signal the kernel sends a process when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Timeouts:
    """How long a report waits before it gives up (exit 3); ``None`` waits for ever.

    Attributes:
        connect_s: for a Dask scheduler to answer at its address.
        job_s: for the next job to finish while jobs remain (so that no job runs much
            longer unnoticed); checked on a pool or a cluster, not for ``jobs = 1`` (a job
            running in this process cannot be stopped from it).
        no_workers_s: for a Dask scheduler that has no workers to get one.
    """

    connect_s: float = 10.0
    job_s: float | None = 3600.0
    no_workers_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect_s", "job_s", "no_workers_s"):
            value = getattr(self, name)
            if value is None and name == "job_s":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")


class Executor(Protocol):
    """Runs jobs; ``describe()`` names it in ``results.json``."""

    def run(self, jobs: Sequence[Job], on_done: Progress) -> list[Record]:
        """The records of ``jobs`` in order; ``on_done()`` is called once per finished job."""
        ...

    def describe(self) -> dict[str, Any]:
        """``{"kind": ..., ...}``."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


def job_name(job: Job) -> str:
    """``claim E3 seed 1`` (for messages)."""
    return f"{job.kind} {job.id} seed {job.seed}"


class _Watch:
    """Counts finished jobs and raises when none finished for ``job_s`` seconds."""

    def __init__(self, total: int, job_s: float | None, on_done: Progress) -> None:
        self.total, self.job_s, self.on_done = total, job_s, on_done
        self.finished = 0
        self.last = time.monotonic()

    def done(self) -> None:
        self.finished += 1
        self.last = time.monotonic()
        self.on_done()

    def check(self, where: str) -> None:
        if self.job_s is not None and time.monotonic() - self.last > self.job_s:
            raise EnvironmentFailure(
                f"no job finished for {self.job_s:g} s {where} (--job-timeout); "
                f"{self.finished} of {self.total} jobs had finished"
            )

    @contextmanager
    def reporting(self) -> Iterator[None]:
        """An :class:`Interrupted` leaving the block carries ``(finished, total)``."""
        try:
            yield
        except Interrupted as exc:
            exc.progress = (self.finished, self.total)
            raise


# --- local worker processes -------------------------------------------------------------------

_started: Any = None  # in a worker: the shared arrays (pid, start time) per job index


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked in this thread: a worker started here is born with it blocked.

    A Ctrl-C reaches the whole process group, workers still importing included; they ignore
    it before they unblock it (:func:`_worker_init`), as ``multiprocessing.resource_tracker``
    does. It does not hold the signal back from this process (the kernel hands it to another
    thread, and Python runs the handler here anyway): :func:`verif.interrupts.deferred` does.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _worker_init(parent: int, pids: Any, starts: Any) -> None:
    """Pool initializer: ignore SIGINT, die with the parent, remember the shared arrays."""
    global _started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the parent's cleanup still ends us
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    _started = (pids, starts)


def _run_marked(job_fn: JobFunction, index: int, job: Job) -> Record:
    """In a worker: note which process runs job ``index`` and since when, then run it."""
    pids, starts = _started
    pids[index] = os.getpid()
    starts[index] = time.monotonic()
    return job_fn(job)


def death_cause(exitcode: int | None) -> str:
    """``SIGKILL`` for a process killed by a signal, ``exit status 3`` otherwise."""
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def end_processes(procs: Sequence[BaseProcess], grace: float = GRACE_S) -> None:
    """SIGTERM every process, SIGKILL those still alive after ``grace`` seconds, reap them all."""
    for p in procs:
        if p.exitcode is None:
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.exitcode is None:
            p.kill()
    for p in procs:
        p.join(grace)


def _started_workers(procs: Mapping[int, BaseProcess]) -> list[BaseProcess]:
    """The pool's workers and every other live child process this process started, in the order
    the pool knows them (a child not yet in the pool's map, e.g. a worker still being spawned
    when a signal came, would otherwise outlive the run and fail in its start-up)."""
    import multiprocessing

    known = list(procs.values())
    return known + [p for p in multiprocessing.active_children() if p not in known]


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


@dataclass
class _Breakage:
    """What a broken pool left: who died of what, and which job each dead worker ran last."""

    culprits: dict[int, str]  # job index -> cause of its worker's death
    stalled: bool  # no job finished and no culprit found


class LocalExecutor:
    """A pool of ``jobs`` worker processes (spawned, so no JAX state is forked).

    ``job_fn`` (module-level, picklable) measures one job; :func:`run_job` unless a test
    replaces it.
    """

    def __init__(
        self, jobs: int, timeouts: Timeouts | None = None, job_fn: JobFunction | None = None
    ) -> None:
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
        self.jobs = jobs
        self.timeouts = timeouts or Timeouts()
        self.job_fn = job_fn if job_fn is not None else run_job

    def run(self, jobs: Sequence[Job], on_done: Progress) -> list[Record]:
        watch = _Watch(len(jobs), self.timeouts.job_s, on_done)
        with watch.reporting():
            if self.jobs == 1 or len(jobs) <= 1:
                out = []
                for job in jobs:
                    out.append(self.job_fn(job))
                    watch.done()
                return out
            return self._run_pooled(jobs, watch)

    def _run_pooled(self, jobs: Sequence[Job], watch: _Watch) -> list[Record]:
        records: list[Record | None] = [None] * len(jobs)
        deaths: dict[int, list[str]] = {}
        stalls = 0
        while True:
            todo = [i for i, r in enumerate(records) if r is None]
            if not todo:
                return [r for r in records if r is not None]
            if stalls >= MAX_WORKER_DEATHS:
                for i in todo:
                    records[i] = error_record(
                        jobs[i], f"worker processes died before finishing any job, {_times(stalls)}"
                    )
                    watch.done()
                continue
            broken = self._attempt(jobs, todo, records, watch)
            if broken is None:
                continue
            stalls = stalls + 1 if broken.stalled else 0
            for i, cause in broken.culprits.items():
                deaths.setdefault(i, []).append(cause)
                if len(deaths[i]) >= MAX_WORKER_DEATHS:
                    records[i] = error_record(
                        jobs[i],
                        f"worker process died ({cause}) while running this job, {_times(len(deaths[i]))}",
                    )
                    watch.done()

    def _attempt(
        self, jobs: Sequence[Job], todo: list[int], records: list[Record | None], watch: _Watch
    ) -> _Breakage | None:
        """Run ``todo`` on a fresh pool, filling ``records``; what broke it, if a worker died."""
        import concurrent.futures as cf
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        pids = ctx.RawArray("q", len(jobs))
        starts = ctx.RawArray("d", len(jobs))
        before = watch.finished
        pool = cf.ProcessPoolExecutor(
            max_workers=min(self.jobs, len(todo)),
            mp_context=ctx,
            initializer=_worker_init,
            initargs=(os.getpid(), pids, starts),
        )
        # The pool's own map of its workers (pid -> process): to end them and read exit codes.
        procs = pool._processes
        futures: dict[cf.Future[Record], int] = {}
        try:
            # The pool starts its workers (and threads) in submit(): a signal meanwhile waits.
            with interrupts.deferred(), _sigint_held():
                for i in todo:
                    futures[pool.submit(_run_marked, self.job_fn, i, jobs[i])] = i
            pending = set(futures)
            broken = False
            while pending and not broken:
                done, pending = cf.wait(pending, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    exc = fut.exception()
                    if isinstance(exc, cf.process.BrokenProcessPool):
                        broken = True
                        continue
                    i = futures[fut]
                    if exc is None:
                        records[i] = fut.result()
                    else:  # the job function itself raised (run_job never does)
                        records[i] = error_record(jobs[i], f"{type(exc).__name__}: {exc}")
                    watch.done()
                if not broken:
                    watch.check("on the local workers")
        except BaseException:
            # Ending the workers breaks the pool, which fails every pending job: nothing else
            # runs. (Cancelling the futures first would race with the pool's own bookkeeping.)
            # A signal can land inside submit() between a worker's start and its entry in the
            # pool's map: multiprocessing's own list of started children has it.
            end_processes(_started_workers(procs))
            pool.shutdown(wait=True)
            raise
        pool.shutdown(wait=True)
        if not broken:
            return None
        # The pool SIGTERMs its other workers when one dies: the dead one did not exit by SIGTERM.
        dead = {pid: death_cause(p.exitcode) for pid, p in procs.items() if p.exitcode != -signal.SIGTERM}
        last: dict[int, int] = {}  # dead pid -> the unfinished job it started last
        for i in todo:
            pid = pids[i]
            if records[i] is None and pid in dead and (pid not in last or starts[i] > starts[last[pid]]):
                last[pid] = i
        culprits = {i: dead[pid] for pid, i in last.items()}
        return _Breakage(culprits, stalled=not culprits and watch.finished == before)

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "jobs": self.jobs}

    def close(self) -> None:
        return None


# --- Dask ------------------------------------------------------------------------------------


async def _identify(address: str, timeout: float) -> dict[str, Any]:
    """The identity a Dask scheduler at ``address`` answers with (``{"type": "Scheduler", ...}``)."""
    import asyncio

    from distributed.comm.core import connect

    async def ask() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    reply = await asyncio.wait_for(ask(), timeout)
    if not isinstance(reply, dict):
        raise TypeError(f"answered {type(reply).__name__}")
    return reply


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """No log lines while Dask runs (its loggers set their own levels): a fault is one line of ours."""
    import logging

    before = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(before)


class DaskExecutor:
    """The workers of the Dask distributed scheduler at ``address`` (``tcp://host:port``)."""

    def __init__(
        self, address: str, timeouts: Timeouts | None = None, job_fn: JobFunction | None = None
    ) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ValueError(
                "scheduler: the Dask executor needs dask[distributed] (pip install 'verif[dask]')"
            ) from exc
        if "://" not in address:
            raise ValueError(f"scheduler must be an address like tcp://host:8786, got {address!r}")
        self.address = address
        self.timeouts = timeouts or Timeouts()
        self.job_fn = job_fn if job_fn is not None else run_job
        wait = self.timeouts.connect_s
        import asyncio

        with _quiet_dask():
            try:
                identity = asyncio.run(_identify(address, wait))
            except (OSError, TimeoutError) as exc:
                raise EnvironmentFailure(
                    f"scheduler: no Dask scheduler answered at {address} within {wait:g} s "
                    f"(--connect-timeout): {str(exc) or type(exc).__name__}"
                ) from None
            except Exception as exc:  # anything else answering there: not a scheduler
                raise EnvironmentFailure(
                    f"scheduler: {address} is not a Dask scheduler ({type(exc).__name__})"
                ) from None
            if identity.get("type") != "Scheduler":
                raise EnvironmentFailure(
                    f"scheduler: {address} is not a Dask scheduler (it says {identity.get('type')!r})"
                )
            try:
                self.client = Client(address, timeout=wait, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise EnvironmentFailure(f"scheduler: cannot connect to {address} ({exc})") from None

    def _workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def run(self, jobs: Sequence[Job], on_done: Progress) -> list[Record]:
        from distributed import as_completed

        watch = _Watch(len(jobs), self.timeouts.job_s, on_done)
        records: list[Record | None] = [None] * len(jobs)
        with _quiet_dask(), watch.reporting(), self.client.as_current():
            futures = self.client.map(self.job_fn, list(jobs), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            # Results are fetched in the background; one lost with its worker is computed again.
            done = as_completed(futures, with_results=True, raise_errors=False)
            alone_since: float | None = None
            try:
                while not done.is_empty():
                    for fut, result in done.next_batch(block=False):
                        if fut.status == "lost":  # its result died with a worker: computed again
                            done.add(fut)
                            continue
                        i = index[fut.key]
                        records[i] = self._record(jobs[i], fut, result, watch)
                        watch.done()
                    if done.is_empty():
                        break
                    if self.client.status != "running":
                        raise self._lost(watch, f"client {self.client.status}")
                    if self._workers():
                        alone_since = None
                    elif alone_since is None:
                        alone_since = time.monotonic()
                    elif time.monotonic() - alone_since > self.timeouts.no_workers_s:
                        raise EnvironmentFailure(
                            f"the Dask scheduler at {self.address} has had no workers for "
                            f"{self.timeouts.no_workers_s:g} s (--no-workers-timeout); "
                            f"{watch.finished} of {watch.total} jobs had finished"
                        )
                    watch.check(f"on the Dask workers of {self.address}")
                    time.sleep(POLL_S)
            except BaseException:
                self._cancel(futures)
                raise
        return [r for r in records if r is not None]

    def _record(self, job: Job, fut: Any, result: Any, watch: _Watch) -> Record:
        if fut.status == "finished" and isinstance(result, dict):
            return result
        if fut.status == "error":  # the job function itself raised (run_job never does)
            exc = result[1] if isinstance(result, tuple) else result
            return error_record(job, f"{type(exc).__name__}: {exc}")
        raise self._lost(watch, f"{job_name(job)} {fut.status}")

    def _lost(self, watch: _Watch, why: str) -> EnvironmentFailure:
        return EnvironmentFailure(
            f"lost the Dask scheduler at {self.address} ({why}); "
            f"{watch.finished} of {watch.total} jobs had finished"
        )

    def _cancel(self, futures: list[Any]) -> None:
        """Forget ``futures`` on the scheduler, without waiting on one that is gone."""
        try:
            self.client.cancel(futures, asynchronous=False)
        except Exception:  # a scheduler that is gone has nothing left to cancel
            pass

    def describe(self) -> dict[str, Any]:
        return {"kind": "dask", "scheduler": self.address}

    def close(self) -> None:
        with _quiet_dask():
            try:
                self.client.close(timeout=self.timeouts.connect_s)
            except Exception:  # a scheduler that is gone needs no goodbye
                pass


def make_executor(jobs: int, scheduler: str | None, timeouts: Timeouts | None = None) -> Executor:
    """A :class:`DaskExecutor` when ``scheduler`` is given, else a :class:`LocalExecutor`."""
    if scheduler:
        return DaskExecutor(scheduler, timeouts)
    return LocalExecutor(jobs, timeouts)
