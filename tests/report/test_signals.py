"""Signals to a real ``verif report`` subprocess, and a closed stdout.

SIGINT/SIGTERM: exit 130/143 with one line and no traceback, no process of its session left,
no staging folder. A second SIGINT during the cleanup changes nothing. SIGKILL of the parent:
its workers and the resource tracker die with it. Output into a closed pipe: no traceback,
exit 141. Every wait has a generous limit (liveness); none asserts a speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.report.procs import (
    LIMIT_S,
    alive,
    descendants,
    kill_all,
    needs_proc,
    pool_workers,
    session_members,
    staging_dirs,
    start_verif,
    verif_env,
    wait_for,
)
from verif.exit_status import BROKEN_PIPE, INTERRUPTED, TERMINATED
from verif.report.executors import LocalExecutor
from verif.report.jobs import Job, run_job
from verif.report.sweep import claim_jobs

pytestmark = needs_proc

#: A report that is still running seconds after its workers started.
LONG = ["report", "--quick", "--jobs", "2"]


def _started(out: Path, settle: float = 1.0) -> subprocess.Popen[str]:
    """A long report to ``out``, ``settle`` seconds after its staging folder and both workers exist."""
    proc = start_verif([*LONG, "--out", str(out)])
    wait_for(
        "the report's staging folder and 2 workers",
        lambda: proc.poll() is not None or (bool(staging_dirs(out)) and len(pool_workers(proc.pid)) == 2),
    )
    time.sleep(settle)  # the workers import verif, then run jobs
    assert proc.poll() is None, proc.communicate()
    return proc


def _still_running(sid: int) -> str:
    """What of the report's session is alive (a process holding the output pipes keeps
    ``communicate`` waiting after the parent exited), each with its command line."""

    def cmdline(pid: int) -> str:
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return "?"
        return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:160]

    members = session_members(sid)
    return "; ".join(f"{pid}: {cmdline(pid)}" for pid in members) or "nothing alive"


@pytest.mark.parametrize(
    ("sig", "status", "twice", "settle"),
    [
        (signal.SIGINT, INTERRUPTED, False, 1.0),
        (signal.SIGTERM, TERMINATED, False, 1.0),
        (signal.SIGINT, INTERRUPTED, True, 1.0),
        (signal.SIGINT, INTERRUPTED, False, 0.0),  # the workers are still starting
        (signal.SIGTERM, TERMINATED, False, 0.0),
    ],
    ids=["SIGINT", "SIGTERM", "SIGINT-twice", "SIGINT-early", "SIGTERM-early"],
)
def test_signal_stops_the_report_cleanly(
    sig: int, status: int, twice: bool, settle: float, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    proc = _started(out, settle)
    below = descendants(proc.pid)
    assert len(below) >= 3  # two workers and the resource tracker

    def send(sig: int) -> None:
        """Ctrl-C reaches the whole process group (as a terminal sends it); SIGTERM the parent alone."""
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)

    try:
        t0 = time.monotonic()
        send(sig)
        if twice:
            time.sleep(0.05)  # during the cleanup
            send(sig)
        try:
            stdout, err = proc.communicate(timeout=LIMIT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"no exit within {LIMIT_S} s of the signal: {_still_running(proc.pid)}")
        took = time.monotonic() - t0
    finally:
        kill_all([proc.pid, *below])
    name = signal.Signals(sig).name
    assert proc.returncode == status, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"verif report: interrupted ({name}); "), lines[0]
    assert "jobs had finished" in lines[0] and "nothing written" in lines[0]
    assert stdout == ""
    wait_for("every process of the report's session to end", lambda: not session_members(proc.pid))
    assert not any(alive(pid) for pid in below)
    assert not out.exists() and not staging_dirs(out)
    print(f"{name}{' twice' if twice else ''}: exit {proc.returncode} after {took:.2f} s")


def ctrl_c_then_run(job: Job) -> dict[str, object]:
    """A job whose worker gets SIGINT (a Ctrl-C reaches the whole process group) while it runs."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)  # the signal is delivered and handled meanwhile
    return run_job(job)


def test_workers_ignore_sigint() -> None:
    """The parent decides what a Ctrl-C means; a worker's job runs on."""
    jobs = claim_jobs(["E1"], "smoke", 2, "numpy")
    assert LocalExecutor(2, job_fn=ctrl_c_then_run).run(jobs, lambda: None) == [run_job(j) for j in jobs]


def test_sigkill_of_the_parent_ends_its_workers(tmp_path: Path) -> None:
    out = tmp_path / "r"
    proc = _started(out)
    below = descendants(proc.pid)
    assert len(below) >= 3
    try:
        proc.kill()
        proc.wait(timeout=LIMIT_S)  # not communicate(): orphans would hold its pipes open
        took = wait_for(
            "the workers and the resource tracker to die", lambda: not any(alive(p) for p in below)
        )
    finally:
        kill_all(below)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    print(f"SIGKILL: {len(below)} descendants gone {took:.2f} s after the parent's exit")


def test_closed_stdout_is_no_traceback() -> None:
    """``verif check E1 | head -0``: the reader is gone before verif writes a byte."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "verif", "check", "E1", "--width", "8"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=verif_env(),
            timeout=LIMIT_S,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.returncode == BROKEN_PIPE, proc.stderr
    assert proc.stderr == ""


def test_head_reads_one_line() -> None:
    """``verif check E1 --json | head -1`` through a real shell pipeline: no traceback."""
    cmd = f"{sys.executable} -m verif check E1 --width 8 --json | head -1"
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {cmd}"],
        capture_output=True,
        text=True,
        env=verif_env(),
        timeout=LIMIT_S,
        check=False,
    )
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipeError" not in proc.stderr
    assert proc.returncode in (0, BROKEN_PIPE), proc.stderr
