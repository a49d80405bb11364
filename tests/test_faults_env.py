"""Environment variables set wrong, in real ``verif`` processes.

* ``JAX_PLATFORMS`` naming a platform JAX cannot start (unknown, or ``cuda`` without a GPU):
  ``--backend jax`` is an environment failure, exit status 3 with one line, before any job runs
  or anything is written; before, every job failed and the run said "bad input" (``check``,
  exit 2) or wrote an incomplete report (``report``, exit 1). The NumPy backend is unaffected.
* ``VERIF_BLOCK_BYTES`` / ``VERIF_PARALLEL_BLOCKS`` that are not positive sizes: refused by name
  when the JAX backend starts (exit 2), not only once a job reaches the reverse pass (a run of
  claims that never did took the bad value silently). Empty means unset.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import verif
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]
CHECK = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]


def verif_run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m verif ARGS`` in ``cwd`` (on ``PYTHONPATH`` too, for an adapter module written
    there), with the project's tuning variables cleared and ``env`` set."""
    paths = [str(ROOT), str(cwd), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    full = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu", XDG_CACHE_HOME=str(cwd))
    for key in ("VERIF_BLOCK_BYTES", "VERIF_PARALLEL_BLOCKS", "VERIF_BACKEND"):
        full.pop(key, None)
    full.update(env)
    cmd = [sys.executable, "-m", "verif", *args]
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, timeout=600)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_jax_without_a_platform_is_the_environment(tmp_path: Path) -> None:
    proc = verif_run([*CHECK, "--backend", "jax"], tmp_path, JAX_PLATFORMS="nosuchplatform")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    line = one_line(proc)
    assert line.startswith(
        "verif check: error: backend 'jax' cannot start a JAX platform (JAX_PLATFORMS='nosuchplatform'): "
    )
    assert proc.stdout == ""
    numpy = verif_run(CHECK, tmp_path, JAX_PLATFORMS="nosuchplatform")
    assert numpy.returncode == 0 and numpy.stdout.startswith("E1 holds"), numpy.stderr


def test_report_on_jax_without_a_platform_writes_nothing(tmp_path: Path) -> None:
    args = ["report", "--out", "rep", "--smoke", "--claims", "E1", "--exhibits", "X1", "--backend", "jax"]
    proc = verif_run(args, tmp_path, JAX_PLATFORMS="nosuchplatform")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    assert one_line(proc).startswith("verif report: error: backend 'jax' cannot start a JAX platform")
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "VERIF_BLOCK_BYTES",
            "lots",
            "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G",
        ),
        (
            "VERIF_BLOCK_BYTES",
            "0",
            "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G",
        ),
        (
            "VERIF_BLOCK_BYTES",
            "-64K",
            "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G",
        ),
        ("VERIF_PARALLEL_BLOCKS", "1.5", "VERIF_PARALLEL_BLOCKS must be a positive integer"),
    ],
)
def test_a_bad_block_variable_is_refused_when_jax_starts(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    proc = verif_run([*CHECK, "--backend", "jax"], tmp_path, **{name: value})
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    assert one_line(proc) == f"verif check: error: {message} (got {value!r})"


def test_report_with_a_bad_block_variable_writes_nothing(tmp_path: Path) -> None:
    args = ["report", "--out", "rep", "--smoke", "--claims", "E1", "--exhibits", "X1", "--backend", "jax"]
    proc = verif_run(args, tmp_path, VERIF_PARALLEL_BLOCKS="0")
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    assert one_line(proc) == "verif report: error: VERIF_PARALLEL_BLOCKS must be a positive integer (got '0')"
    assert not (tmp_path / "rep").exists()


def test_an_empty_block_variable_is_unset(tmp_path: Path) -> None:
    proc = verif_run([*CHECK, "--backend", "jax"], tmp_path, VERIF_BLOCK_BYTES="", VERIF_PARALLEL_BLOCKS=" ")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("E1 holds")
