"""``verif conform`` with adapters that end the process: ``os._exit``, a segfault, ``abort()``,
a SIGKILL of their own process, in the import, the constructor, a method during the protocol
check and a method during the suite.

Before, ``verif`` ended with the adapter's status: ``os._exit(0)`` read as "conforms". Now the
adapter's work runs in a child process (:mod:`verif.conform_isolation`) and a child that ended
without its result is exit status 2 with one line naming the backend and how it ended; a signal
sent to ``verif`` alone stops the child too, and a ``verif`` killed outright leaves no child.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import verif
from verif import exit_status, interrupts

ROOT = Path(verif.__file__).resolve().parents[1]

#: Base of the adapters that end the process in a method: a correct backend (NumPy's).
_BASE = """
import ctypes, os, signal, time
import numpy as np
from verif.backends.numpy_backend import NumpyBackend

def in_suite(X):
    # The protocol check probes with X of shape (2, 5, 3) (verif.backends.external.PROBE).
    return np.shape(X) != (2, 5, 3)
"""
ADAPTERS = {
    "exit0_on_import": "import os\nos._exit(0)\n",
    "abort_on_import": "import os\nos.abort()\n",
    "exit0_in_constructor": """
        import os

        class Adapter:
            def __init__(self):
                os._exit(0)
        """,
    "segfault_in_check": """
        class Adapter(NumpyBackend):
            name = "segfault"

            def outputs(self, params, X):
                ctypes.string_at(0)
        """,
    "sigkill_in_suite": """
        class Adapter(NumpyBackend):
            name = "sigkill"

            def outputs(self, params, X):
                if in_suite(X):
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().outputs(params, X)
        """,
    "hangs_in_suite": """
        class Adapter(NumpyBackend):
            name = "hangs"

            def outputs(self, params, X):
                if in_suite(X):  # the suite captures stdout: the pid goes to a file
                    with open(os.environ["HANG_PID_FILE"], "w") as f:
                        f.write(str(os.getpid()))
                    time.sleep(600)
                return super().outputs(params, X)
        """,
}


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exiting_adapters")
    for name, source in ADAPTERS.items():
        body = textwrap.dedent(source)
        (folder / f"{name}.py").write_text(body if "on_import" in name else _BASE + body)
    return folder


def _env(adapters: Path) -> dict[str, str]:
    paths = [str(adapters), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT", "VERIF_RATIO_LOG", "XLA_FLAGS"):
        env.pop(key, None)
    return env


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _command(target: str) -> list[str]:
    return [sys.executable, "-m", "verif", "conform", target, "--claims", "E1", "--max-examples", "2"]


@pytest.mark.parametrize(
    ("module", "how"),
    [
        ("exit0_on_import", "exit status 0"),
        ("abort_on_import", "killed by SIGABRT"),
        ("exit0_in_constructor", "exit status 0"),
        ("segfault_in_check", "killed by SIGSEGV"),
        ("sigkill_in_suite", "killed by SIGKILL"),
    ],
)
def test_an_adapter_that_ends_the_process_is_refused_with_exit_2(
    adapters: Path, module: str, how: str
) -> None:
    target = f"{module}:Adapter"
    proc = subprocess.run(
        _command(target),
        cwd=ROOT,
        env=_env(adapters),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_no_core_dumps,
    )
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(
        f"verif conform: error: backend {target!r} ended the process before the verdict ({how}): "
    ), proc.stderr
    assert "Traceback" not in proc.stderr
    assert " pass" not in proc.stdout and "conforms" not in proc.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped by init) is not running.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@pytest.mark.parametrize(
    ("to", "sig"),
    [("adapter", signal.SIGINT), ("verif", signal.SIGTERM), ("verif", signal.SIGKILL)],
    ids=["SIGINT to the adapter's process", "SIGTERM to verif", "SIGKILL to verif"],
)
def test_a_signal_in_the_suite_ends_both_processes(
    adapters: Path, tmp_path: Path, to: str, sig: signal.Signals
) -> None:
    """A signal that lands in a test of the suite stops the run (pytest would report it as that
    test's failure and go on); one sent to ``verif`` alone is passed on; a ``verif`` killed
    outright takes the adapter's process with it. No process is left holding the pipes."""
    pid_file = tmp_path / "pid"
    proc = subprocess.Popen(
        _command("hangs_in_suite:Adapter"),
        cwd=ROOT,
        env=dict(_env(adapters), HANG_PID_FILE=str(pid_file)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not pid_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        child = int(pid_file.read_text())  # inside the adapter's method, in the suite
        assert child != proc.pid  # the adapter runs in a process of its own
        if to == "verif":
            proc.send_signal(sig)
        else:
            os.kill(child, sig)
        _, err = proc.communicate(timeout=120)  # the pipes close: no process holds them any more
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig != signal.SIGKILL:
        assert proc.returncode == interrupts.STATUS[sig], err
        assert err.strip().splitlines()[-1] == f"verif conform: interrupted ({sig.name})"
    deadline = time.monotonic() + 30
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
