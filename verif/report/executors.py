"""Executors: run independent jobs and return their records in job order.

* :class:`LocalExecutor`: a process pool of ``jobs`` workers on this machine (``jobs = 1``
  runs in this process).
* :class:`DaskExecutor`: a running Dask distributed scheduler at ``tcp://host:port``; its
  workers need ``verif`` importable at the same version (``pip install verif[dask]``).

A record depends only on its job (:func:`verif.report.jobs.run_job`), so every executor gives
the same records.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from verif.report.jobs import Job, run_job

Record = dict[str, Any]
Progress = Callable[[], None]

#: Seconds to wait for a Dask scheduler before giving up.
CONNECT_TIMEOUT_S = 5.0


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


class LocalExecutor:
    """A pool of ``jobs`` worker processes (spawned, so no JAX state is forked)."""

    def __init__(self, jobs: int) -> None:
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
        self.jobs = jobs

    def run(self, jobs: Sequence[Job], on_done: Progress) -> list[Record]:
        if self.jobs == 1 or len(jobs) <= 1:
            out = []
            for job in jobs:
                out.append(run_job(job))
                on_done()
            return out
        records: list[Record | None] = [None] * len(jobs)
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=min(self.jobs, len(jobs)), mp_context=ctx) as pool:
            futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
            for fut in cf.as_completed(futures):
                records[futures[fut]] = fut.result()
                on_done()
        return [r for r in records if r is not None]

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "jobs": self.jobs}

    def close(self) -> None:
        return None


class DaskExecutor:
    """The workers of the Dask distributed scheduler at ``address`` (``tcp://host:port``)."""

    def __init__(self, address: str, timeout: float | None = None) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise ValueError(
                "scheduler: the Dask executor needs dask[distributed] (pip install 'verif[dask]')"
            ) from exc
        if "://" not in address:
            raise ValueError(f"scheduler must be an address like tcp://host:8786, got {address!r}")
        self.address = address
        try:
            self.client = Client(address, timeout=timeout or CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"scheduler: cannot reach a Dask scheduler at {address} ({exc})") from exc

    def run(self, jobs: Sequence[Job], on_done: Progress) -> list[Record]:
        from distributed import as_completed

        records: list[Record | None] = [None] * len(jobs)
        with self.client.as_current():
            futures = self.client.map(run_job, list(jobs), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                records[index[fut.key]] = fut.result()
                on_done()
        return [r for r in records if r is not None]

    def describe(self) -> dict[str, Any]:
        return {"kind": "dask", "scheduler": self.address}

    def close(self) -> None:
        self.client.close()


def make_executor(jobs: int, scheduler: str | None) -> Executor:
    """A :class:`DaskExecutor` when ``scheduler`` is given, else a :class:`LocalExecutor`."""
    if scheduler:
        return DaskExecutor(scheduler)
    return LocalExecutor(jobs)
