"""``verif conform`` with adapters that misbehave: each is refused with exit status 2 and one
line naming what it did, in a fresh ``verif`` process (a ``sys.exit`` in the adapter's code
would otherwise end ``verif`` itself, with the adapter's status: 0 would read as a pass).

There is no time limit on an adapter's methods: one that hangs is stopped by Ctrl-C or SIGTERM
(exit 130 / 143, :mod:`verif.interrupts`), which the last test sends for real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import verif
from verif import exit_status
from verif.backends import BackendError, external

ROOT = Path(verif.__file__).resolve().parents[1]

ADAPTERS = {
    "exits_on_import": "import sys\nsys.exit(0)\n",
    "exits_in_constructor": """
        class Adapter:
            def __init__(self):
                raise SystemExit(0)
        """,
    "exits_in_a_method": """
        import sys
        from verif.backends.numpy_backend import NumpyBackend

        class Adapter(NumpyBackend):
            name = "exits"

            def outputs(self, params, X):
                sys.exit(0)
        """,
    "raises_on_import": "raise RuntimeError('no GPU here')\n",
    "returns_nan": """
        import numpy as np
        from verif.backends.numpy_backend import NumpyBackend

        class Adapter(NumpyBackend):
            name = "nan"

            def outputs(self, params, X):
                return np.full_like(super().outputs(params, X), np.nan)
        """,
    "returns_transposed": """
        from verif.backends.numpy_backend import NumpyBackend

        class Adapter(NumpyBackend):
            name = "transposed"

            def outputs(self, params, X):
                return super().outputs(params, X).T
        """,
    "returns_float32": """
        from verif.backends.numpy_backend import NumpyBackend

        class Adapter(NumpyBackend):
            name = "float32"

            def hidden_states(self, params, X):
                return super().hidden_states(params, X).astype("float32")
        """,
    "hangs": """
        import time
        from verif.backends.numpy_backend import NumpyBackend

        class Adapter(NumpyBackend):
            name = "hangs"

            def hidden_states(self, params, X):
                print("started", flush=True)
                time.sleep(600)
        """,
}


@pytest.fixture(scope="module")
def adapters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("adapters")
    for name, source in ADAPTERS.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(source))
    return folder


def _env(adapters: Path) -> dict[str, str]:
    paths = [str(adapters), str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT"):
        env.pop(key, None)
    return env


def conform(adapters: Path, target: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "verif", "conform", target, "--claims", "E1", "--max-examples", "2"]
    return subprocess.run(cmd, cwd=ROOT, env=_env(adapters), capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("exits_on_import", "cannot import 'exits_on_import': it called sys.exit(0)"),
        ("exits_in_constructor", "calling exits_in_constructor.Adapter failed: it called sys.exit(0)"),
        ("exits_in_a_method", "outputs() raised SystemExit: it called sys.exit(0)"),
        ("raises_on_import", "cannot import 'raises_on_import': no GPU here"),
        ("returns_nan", "outputs() returned a non-finite F"),
        ("returns_transposed", "outputs() returned F of shape (5, 2), expected (2, 5)"),
        ("returns_float32", "hidden_states() returned H of dtype float32"),
    ],
)
def test_a_misbehaving_adapter_is_refused_with_exit_2(adapters: Path, module: str, message: str) -> None:
    target = f"{module}:Adapter"
    proc = conform(adapters, target)
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"verif conform: error: backend {target!r}")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert "passed" not in proc.stdout  # the suite never ran


def test_the_library_refuses_an_adapter_that_exits(adapters: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(adapters))
    with pytest.raises(BackendError, match=r"it called sys\.exit\(0\)"):
        external.load("exits_in_constructor:Adapter")


def test_a_hanging_adapter_stops_on_sigterm(adapters: Path) -> None:
    cmd = [sys.executable, "-m", "verif", "conform", "hangs:Adapter", "--claims", "E1"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(adapters), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"  # inside the adapter's method
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == exit_status.TERMINATED, err
    assert err.strip().splitlines()[-1] == "verif conform: interrupted (SIGTERM)"


def _conform_loop_rnn(adapters: Path, log: Path, claim: str) -> subprocess.CompletedProcess[str]:
    """``verif conform`` of the loop adapter on ``claim`` (2 examples) with ``VERIF_RATIO_LOG=log``."""
    cmd = [sys.executable, "-m", "verif", "conform", "looprnn:LoopRNN"]
    cmd += ["--claims", claim, "--max-examples", "2"]
    env = dict(_env(adapters), VERIF_RATIO_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests" / "outside"), env["PYTHONPATH"]])
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("where", ["folder", "missing folder"])
def test_an_unwritable_ratio_log_is_the_environment_not_the_backend(
    adapters: Path, tmp_path: Path, where: str
) -> None:
    """Before, every claim's test failed on the log and a correct backend "did not conform"."""
    log = tmp_path if where == "folder" else tmp_path / "no" / "such" / "ratios.jsonl"
    proc = _conform_loop_rnn(adapters, log, "E3")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"verif conform: error: VERIF_RATIO_LOG={str(log)!r} cannot be appended to (")
    assert "passed" not in proc.stdout  # the suite never ran


def test_a_writable_ratio_log_gets_every_check(adapters: Path, tmp_path: Path) -> None:
    log = tmp_path / "ratios.jsonl"
    proc = _conform_loop_rnn(adapters, log, "E1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = log.read_text().splitlines()
    assert lines and all('"claim": "E1"' in line for line in lines)
