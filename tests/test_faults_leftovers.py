"""No process of a ``verif report`` is left once it has exited after SIGINT, not even a zombie.

The command runs in a session of its own; once it has exited, no process of that session may
remain. multiprocessing's resource tracker (started with the local pool) used to end only
after ``verif`` had, and linger as a zombie child of init.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import verif
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def session(sid: int) -> list[tuple[int, str]]:
    """``(pid, state)`` of every process of session ``sid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:  # state, ppid, pgrp, session
                found.append((int(entry.name), fields[0]))
    return found


def test_sigint_to_a_report_leaves_no_process_behind(tmp_path: Path) -> None:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu", XDG_CACHE_HOME=str(tmp_path)
    )
    out = tmp_path / "report"
    args = ["report", "--smoke", "--claims", "E1,E3", "--exhibits", "X1", "--jobs", "2", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "verif", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and len(session(proc.pid)) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)  # the command, the resource tracker and both workers
    assert proc.poll() is None, "the report ended before its workers started"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    left = session(proc.pid)
    for pid, _state in left:
        os.kill(pid, signal.SIGKILL)
    assert proc.returncode == exit_status.INTERRUPTED, err
    assert len(err.strip().splitlines()) == 1 and "SIGINT" in err, err
    assert left == [], left
    assert not out.exists()
