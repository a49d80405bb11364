"""Dask faults end a report with one line and exit 3 (``EnvironmentFailure``), never a hang.

Every address is on 127.0.0.1: a closed port (unreachable), a plain TCP or HTTP server (not a
scheduler), and ``dask scheduler``/``dask worker`` subprocesses that the tests kill (workers
gone, scheduler dies).
"""

from __future__ import annotations

import http.server
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import run_cli
from tests.report.procs import LIMIT_S, kill_all, needs_proc, staging_dirs, start_verif, verif_env, wait_for
from verif.exit_status import ENVIRONMENT, INTERRUPTED, EnvironmentFailure
from verif.report.executors import DaskExecutor, Timeouts
from verif.report.jobs import Job, run_job
from verif.report.sweep import claim_jobs

distributed = pytest.importorskip("distributed")

#: A report long enough to be still running when a test breaks its cluster.
#: A report that is still running long after its first jobs (a fault is injected mid-run; on an idle
#: machine the quick sweep of these claims could finish within the second the tests wait).
LONG = ["report", "--thorough", "--claims", "E1,E3,E7,E9", "--exhibits", "X1"]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _assert_one_line(err: str, *needles: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def _report_args(out: Path, address: str, *extra: str) -> list[str]:
    tiny = ["report", "--smoke", "--claims", "E1", "--exhibits", "X1"]
    return [*tiny, "--out", str(out), "--scheduler", address, *extra]


def test_unreachable_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    out = tmp_path / "r"
    status, _, err = run_cli(_report_args(out, address, "--connect-timeout", "1"), capsys)
    assert status == ENVIRONMENT
    _assert_one_line(err, address, "--connect-timeout")
    assert not out.exists() and not staging_dirs(out)


class _Silent(threading.Thread):
    """A TCP server on 127.0.0.1 that accepts connections and never says a word."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []

    def run(self) -> None:
        try:
            while True:
                self.conns.append(self.sock.accept()[0])
        except OSError:  # closed
            return

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


class _QuietHTTP(http.server.BaseHTTPRequestHandler):
    """An HTTP server's handler that answers every GET with a page and logs nothing."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.mark.parametrize("server", ["silent", "http"])
def test_not_a_scheduler(server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if server == "silent":
        silent = _Silent()
        silent.start()
        port, stop = silent.port, silent.close
    else:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHTTP)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        port, stop = int(httpd.server_address[1]), httpd.shutdown
    address = f"tcp://127.0.0.1:{port}"
    out = tmp_path / "r"
    try:
        status, _, err = run_cli(_report_args(out, address, "--connect-timeout", "1"), capsys)
    finally:
        stop()
    assert status == ENVIRONMENT
    _assert_one_line(err, address)
    assert not out.exists() and not staging_dirs(out)


@dataclass
class Cluster:
    """A ``dask scheduler`` and one ``dask worker`` subprocess on 127.0.0.1."""

    address: str
    scheduler: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]


def _address(info: Path) -> str | None:
    """The address in a scheduler file, once it is there in full."""
    try:
        return str(json.loads(info.read_text())["address"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def _spawn(module: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=verif_env(),
        start_new_session=True,
    )


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    info = tmp_path / "scheduler.json"
    local = ["--host", "127.0.0.1", "--no-dashboard"]
    procs = [_spawn("distributed.cli.dask_scheduler", *local, "--port", "0", "--scheduler-file", str(info))]
    try:
        wait_for("dask scheduler file", lambda: _address(info) is not None)
        address = str(_address(info))
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(_spawn("distributed.cli.dask_worker", address, *local, "--nthreads", "1", "--no-nanny"))
        with distributed.Client(address, timeout=LIMIT_S, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=LIMIT_S)
        yield Cluster(address, procs[0], procs[1])
    finally:
        kill_all(p.pid for p in procs)
        for p in procs:
            p.wait()


def _run_until_started(cluster: Cluster, out: Path, *extra: str) -> subprocess.Popen[str]:
    """A report on ``cluster`` whose first jobs are on the worker (the scheduler says so)."""
    proc = start_verif([*LONG, "--out", str(out), "--scheduler", cluster.address, *extra])
    with distributed.Client(cluster.address, timeout=LIMIT_S, set_as_default=False) as client:
        wait_for(
            "the report's jobs on the worker", lambda: bool(_processing(client)) or proc.poll() is not None
        )
    assert proc.poll() is None, proc.communicate()
    assert staging_dirs(out)
    return proc


@needs_proc
def test_every_worker_gone(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _run_until_started(cluster, out, "--no-workers-timeout", "1")
    try:
        cluster.worker.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=LIMIT_S)
    finally:
        kill_all([proc.pid])
    assert proc.returncode == ENVIRONMENT, err
    _assert_one_line(err, "no workers for 1 s", "--no-workers-timeout")
    assert not out.exists() and not staging_dirs(out)


@needs_proc
def test_scheduler_dies(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _run_until_started(cluster, out, "--connect-timeout", "3")
    try:
        cluster.scheduler.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=LIMIT_S)
    finally:
        kill_all([proc.pid])
    assert proc.returncode == ENVIRONMENT, err
    _assert_one_line(err, cluster.address)
    assert not out.exists() and not staging_dirs(out)


@needs_proc
def test_sigint_during_a_dask_run(cluster: Cluster, tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _run_until_started(cluster, out)
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=LIMIT_S)
    finally:
        kill_all([proc.pid])
    assert proc.returncode == INTERRUPTED, err
    _assert_one_line(err, "verif report: interrupted (SIGINT); ", "jobs had finished")
    assert not out.exists() and not staging_dirs(out)
    with distributed.Client(cluster.address, timeout=LIMIT_S, set_as_default=False) as client:
        wait_for("the scheduler to forget the report's jobs", lambda: not _processing(client))


def _processing(client: Any) -> list[str]:
    """The keys the scheduler has its workers run."""
    return [str(key) for keys in client.processing().values() for key in keys]


#: Set when the test is done with the jobs of :func:`_held` (they run in this process's threads).
_RELEASE = threading.Event()


def _held(job: Job) -> dict[str, object]:
    """A job that finishes only once the test releases it (or after ``LIMIT_S``)."""
    _RELEASE.wait(LIMIT_S)
    return run_job(job)


def test_dask_job_timeout() -> None:
    jobs = claim_jobs(["E1"], "smoke", 0, "numpy")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        # No fixed port: the scheduler's HTTP server would take 8787, shared with any other cluster.
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    ) as local:
        _RELEASE.clear()
        ex = DaskExecutor(local.scheduler_address, Timeouts(job_s=1.0), job_fn=_held)
        try:
            with pytest.raises(EnvironmentFailure, match=r"no job finished for 1 s .*--job-timeout"):
                ex.run(jobs, lambda: None)
        finally:
            _RELEASE.set()  # the cluster's threads end with their jobs
            ex.close()
