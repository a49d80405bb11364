"""``tools/fresh_seeds.py``: one line per seed, the summary, its exit statuses, no orphans."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "fresh_seeds.py"
#: A cheap corner of the property suite: E13 on the NumPy backend. ``python_files`` has pytest
#: collect that one module of ``properties`` (the tool's path), not import every property module.
SELECT = ["--", "-o", "python_files=test_e13_cutoff.py", "-k", "numpy"]


def _env() -> dict[str, str]:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)


def test_two_seeds_one_line_each_and_the_summary() -> None:
    proc = _run("--seed", "11", "--count", "2", *SELECT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("fresh seeds: 2 seeds from 11, profile dev")
    assert re.fullmatch(r"seed 11: passed \(\d+s\)", lines[1]), lines
    assert re.fullmatch(r"seed 12: passed \(\d+s\)", lines[2]), lines
    assert lines[-1] == "2 passed, 0 failed"


def test_a_failing_seed_names_its_tests(tmp_path: Path) -> None:
    """A property that fails (``VERIF_MUTANT``) is listed by id; the exit status is 1."""
    env = _env()
    env["VERIF_MUTANT"] = "lipschitz_u_halved"  # B1 halved: E4 fails on its first examples
    cmd = [sys.executable, str(SCRIPT), "--seed", "5", "--count", "1", "--log-dir", str(tmp_path)]
    # One failing test is enough (its shrinking is the time), from the one module collected.
    cmd += ["--", "-o", "python_files=test_e04_gradient_norm.py", "-k", "numpy", "-x"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "seed 5: FAILED" in proc.stdout
    assert "test_e04_gradient_norm.py::test_e04_gradient_norm[numpy]" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "0 passed, 1 failed"
    assert (tmp_path / "seed-5.log").read_text()


@pytest.mark.parametrize(
    ("args", "field"),
    [(["--count", "0"], "--count"), (["--profile", "fast"], "--profile"), (["--jobs", "99"], "--jobs")],
)
def test_bad_arguments_exit_2(args: list[str], field: str) -> None:
    proc = _run(*args, timeout=60)
    assert proc.returncode == 2
    assert field in proc.stderr and "Traceback" not in proc.stderr


def test_sigterm_stops_the_pytest_processes() -> None:
    cmd = [sys.executable, str(SCRIPT), "--seed", "3", "--count", "4", "--jobs", "2"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("fresh seeds:")
    children: list[int] = []
    deadline = time.monotonic() + 120
    while not children and time.monotonic() < deadline:
        out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
        children = [int(p) for p in out.split()]
        time.sleep(0.2)
    assert children, "no pytest process was started"
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, rest
    assert "terminated after" in rest
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
