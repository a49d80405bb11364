"""The local process pool and a Dask cluster give the same records as running in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from verif.report.build import ReportRequest, make_report
from verif.report.executors import DaskExecutor, LocalExecutor
from verif.report.jobs import Job, run_job
from verif.report.sweep import claim_jobs

CLAIMS = ("E3", "E9")


X1_TASK = {"activation": "tanh", "factor": 1.2, "seq_lens": [1, 4], "width": 8, "input_dim": 2, "n": 3}


def _jobs() -> list[Job]:
    return [*claim_jobs(CLAIMS, "smoke", 7, "numpy"), Job("exhibit", "X1", 7, "numpy", None, X1_TASK)]


def test_local_pool_equals_in_process() -> None:
    jobs = _jobs()
    ticks: list[int] = []
    pooled = LocalExecutor(2).run(jobs, lambda: ticks.append(1))
    assert len(ticks) == len(jobs)
    assert pooled == [run_job(j) for j in jobs]


def test_dask_equals_local(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    jobs = _jobs()
    local = [run_job(j) for j in jobs]
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        # No fixed port: the scheduler's HTTP server would take 8787, shared with any other cluster.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        ex = DaskExecutor(address)
        try:
            assert ex.run(jobs, lambda: None) == local
        finally:
            ex.close()
        req = ReportRequest(
            out=tmp_path / "dask",
            mode="smoke",
            claim_ids=CLAIMS,
            exhibit_ids=("X1",),
            seed=7,
            scheduler=address,
        )
        dask_doc = make_report(req).doc
    local_doc = make_report(
        ReportRequest(
            out=tmp_path / "local", mode="smoke", claim_ids=CLAIMS, exhibit_ids=("X1",), seed=7, jobs=1
        )
    ).doc
    assert dask_doc["executor"] == {"kind": "dask", "scheduler": address}
    assert dask_doc["records"] == local_doc["records"]
    assert dask_doc["claims"] == local_doc["claims"] and dask_doc["exhibits"] == local_doc["exhibits"]


def test_local_executor_rejects_bad_jobs() -> None:
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        LocalExecutor(0)
