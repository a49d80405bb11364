"""SIGINT/SIGTERM while ``python -m verif`` is still importing its modules, to a real process.

The signal is sent the moment NumPy's extension is mapped into the child (read from
``/proc/PID/maps``): the package is mid-import, long before the command runs. Before the
handlers of :mod:`verif.__main__`, SIGINT printed a ``KeyboardInterrupt`` traceback from deep
inside the import system and SIGTERM killed the process by signal (status -15, no line).
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
STATUS = {signal.SIGINT: exit_status.INTERRUPTED, signal.SIGTERM: exit_status.TERMINATED}

pytestmark = pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc/PID/maps")


def _mapped(pid: int, name: str) -> bool:
    try:
        return name in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_importing_is_its_status_and_one_line(sig: signal.Signals, tmp_path: Path) -> None:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    proc = subprocess.Popen(
        [sys.executable, "-m", "verif", "check", "E1", "--width", "4", "--seq-len", "3"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and not _mapped(proc.pid, "_multiarray_umath") and time.monotonic() < deadline:
        time.sleep(0.001)
    assert proc.poll() is None, "the command ended before NumPy was imported"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode == STATUS[sig], (proc.returncode, err)
    assert len(err.strip().splitlines()) == 1 and sig.name in err, err
    assert out == ""
    assert list(tmp_path.iterdir()) == []


def test_the_package_imports_lazily_and_keeps_its_public_names() -> None:
    code = (
        "import sys, verif\n"
        "assert 'numpy' not in sys.modules, 'import verif imported NumPy'\n"
        "import verif.train\n"
        "from verif import train, RNNConfig, backend, bounds, Trajectory\n"
        "from verif.train import train as fn\n"
        "assert verif.backends.names() and verif.config.RNNConfig is RNNConfig\n"
        "assert train is fn and verif.train is fn, verif.train\n"
        "assert bounds.__name__ == 'verif.bounds' and RNNConfig.__module__ == 'verif.config'\n"
        "assert set(verif.__all__) == set(verif._HOMES) and set(verif.__all__) <= set(dir(verif))\n"
        "assert all(getattr(verif, n) is not None for n in verif.__all__)\n"
        "try:\n    verif.nosuch\nexcept AttributeError as e:\n    assert 'nosuch' in str(e)\n"
        "else:\n    raise SystemExit('no AttributeError')\n"
    )
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
