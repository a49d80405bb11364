"""Real ``verif`` subprocesses and their descendants, for the fault tests (Linux ``/proc``).

Every wait here has a generous limit and polls; none asserts a speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Seconds any process here gets to do what is waited for (liveness, not speed).
LIMIT_S = 60.0

needs_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")


def verif_env(**extra: str) -> dict[str, str]:
    """The environment of this process, with this checkout importable and JAX on the CPU."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "JAX_PLATFORMS": "cpu", **extra}


def start_verif(args: Sequence[str], **kwargs: object) -> subprocess.Popen[str]:
    """``python -m verif ARGS`` in a session of its own (so that a signal reaches it alone)."""
    options: dict[str, object] = {
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "start_new_session": True,
        "env": verif_env(),
        "cwd": ROOT,
        **kwargs,
    }
    return subprocess.Popen([sys.executable, "-m", "verif", *args], **options)  # type: ignore[call-overload,no-any-return]


def wait_for(what: str, ready: Callable[[], bool], limit: float = LIMIT_S) -> float:
    """Poll ``ready()`` until true; the seconds it took. Fails after ``limit`` seconds."""
    t0 = time.monotonic()
    while not ready():
        if time.monotonic() - t0 > limit:
            pytest.fail(f"{what}: not within {limit:g} s")
        time.sleep(0.05)
    return time.monotonic() - t0


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie is not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return fields[0] not in ("Z", "X")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds ``pid`` has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in ticks


def children(pid: int) -> list[int]:
    """The direct children of ``pid``."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def pool_workers(pid: int) -> list[int]:
    """The multiprocessing workers among the children of ``pid`` (not the resource tracker)."""
    return [c for c in children(pid) if "--multiprocessing-fork" in cmdline(c)]


#: CPU seconds past which a pool worker is inside a job: its start-up takes about 0.15 s, and its
#: first job imports what the jobs need. A worker's own CPU time, which a loaded machine does not
#: stretch as it stretches the wall time a fixed sleep would wait.
RUNNING_CPU_S = 0.5


def busy_workers(pid: int, workers: int) -> list[int]:
    """The pool workers of ``pid`` inside a job (:data:`RUNNING_CPU_S`), once all ``workers`` exist."""
    found = pool_workers(pid)
    return [w for w in found if cpu_seconds(w) >= RUNNING_CPU_S] if len(found) == workers else []


def session_members(sid: int) -> list[int]:
    """Every live process of session ``sid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                if os.getsid(int(entry.name)) == sid:
                    out.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return out


def kill_all(pids: Iterable[int]) -> None:
    """SIGKILL whatever of ``pids`` is still alive (test cleanup)."""
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def staging_dirs(out: Path) -> list[Path]:
    """The staging folders ``.NAME.xxxx`` a report to ``out`` builds in."""
    return sorted(out.parent.glob(f".{out.name}.*"))
