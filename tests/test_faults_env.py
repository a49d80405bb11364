"""Environment variables set wrong, in real ``verif`` processes.

* ``JAX_PLATFORMS`` naming a platform JAX cannot start (unknown, or ``cuda`` without a GPU):
  ``--backend jax`` is an environment failure, exit status 3 with one line, before any job runs
  or anything is written; before, every job failed and the run said "bad input" (``check``,
  exit 2) or wrote an incomplete report (``report``, exit 1). The NumPy backend is unaffected.
* ``VERIF_BLOCK_BYTES`` / ``VERIF_PARALLEL_BLOCKS`` that are not positive sizes, and a
  ``VERIF_AUTOTUNE`` that is neither on nor off: refused by name when the JAX backend starts
  (exit 2), not only once a job reaches the reverse pass (a run of claims that never did took
  the bad value silently). Empty means unset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import verif
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]
CHECK = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]


#: The project's tuning variables, cleared in every run here unless the test sets one.
TUNING = ("VERIF_BLOCK_BYTES", "VERIF_PARALLEL_BLOCKS", "VERIF_BACKEND")


def _python(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python ARGV`` in ``cwd`` (on ``PYTHONPATH`` too, for an adapter module written there),
    with the project's tuning variables cleared and ``env`` set."""
    paths = [str(ROOT), str(cwd), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    full = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu", XDG_CACHE_HOME=str(cwd))
    for key in TUNING:
        full.pop(key, None)
    full.update(env)
    return subprocess.run(
        [sys.executable, *argv], cwd=cwd, env=full, capture_output=True, text=True, timeout=600
    )


def verif_run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m verif ARGS`` in ``cwd`` (on ``PYTHONPATH`` too, for an adapter module written
    there), with the project's tuning variables cleared and ``env`` set."""
    return _python(["-m", "verif", *args], cwd, env)


#: ``python -m verif`` for each ``[args, env]`` of the JSON list ``sys.argv[1]``, in turn, in one
#: process: ``verif/__main__.py`` run as the entry point runs it (``runpy``), with ``env`` in
#: ``os.environ`` for that run only, its exit status from ``SystemExit`` and its stdout and stderr
#: captured apart; prints a JSON list of ``[status, stdout, stderr]``.
EACH = """
import contextlib, io, json, os, runpy, sys
seen = []
for args, env in json.loads(sys.argv[1]):
    before = dict(os.environ)
    os.environ.update(env)
    sys.argv = ["verif", *args]
    out, err, status = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_module("verif", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            status = exc.code
    os.environ.clear()
    os.environ.update(before)
    seen.append([status, out.getvalue(), err.getvalue()])
print(json.dumps(seen))
"""


def verif_runs(
    runs: list[tuple[list[str], dict[str, str]]], cwd: Path
) -> list[subprocess.CompletedProcess[str]]:
    """``verif ARGS`` with ``ENV`` for each ``(ARGS, ENV)`` of ``runs``, in turn, in one real
    process (:data:`EACH`) in ``cwd``; what each run returned, as :func:`verif_run` does. Anything
    else the process writes to its stderr fails here."""
    proc = _python(["-c", EACH, json.dumps(runs)], cwd, {})
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout[-2000:] + proc.stderr[-2000:]
    seen = json.loads(proc.stdout)
    assert len(seen) == len(runs)
    return [
        subprocess.CompletedProcess(["verif", *a], s, o, e)
        for (a, _), (s, o, e) in zip(runs, seen, strict=True)
    ]


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
    proc = verif_run(REPORT_ON_JAX, tmp_path, JAX_PLATFORMS="nosuchplatform")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    assert one_line(proc).startswith("verif report: error: backend 'jax' cannot start a JAX platform")
    assert not (tmp_path / "rep").exists()


#: (variable, bad value, what the one line says).
BAD_BLOCK_VARIABLES = [
    (
        "VERIF_BLOCK_BYTES",
        "lots",
        "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G",
    ),
    ("VERIF_BLOCK_BYTES", "0", "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G"),
    (
        "VERIF_BLOCK_BYTES",
        "-64K",
        "VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G",
    ),
    ("VERIF_PARALLEL_BLOCKS", "1.5", "VERIF_PARALLEL_BLOCKS must be a positive integer"),
    ("VERIF_AUTOTUNE", "sometimes", "VERIF_AUTOTUNE must be 1 (on, the default) or 0 (off)"),
]
REPORT_ON_JAX = [
    "report",
    "--out",
    "rep",
    "--smoke",
    "--claims",
    "E1",
    "--exhibits",
    "X1",
    "--backend",
    "jax",
]


@pytest.fixture(scope="module")
def block_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    """In one process (:func:`verif_runs`): ``verif check`` on JAX with each bad block variable,
    ``verif report`` with ``VERIF_PARALLEL_BLOCKS=0``, and last (the one that starts the JAX
    backend) ``verif check`` with both variables empty; the folder they ran in and each run."""
    cwd = tmp_path_factory.mktemp("blocks")
    runs = [([*CHECK, "--backend", "jax"], {name: value}) for name, value, _ in BAD_BLOCK_VARIABLES]
    runs.append((REPORT_ON_JAX, {"VERIF_PARALLEL_BLOCKS": "0"}))
    runs.append(([*CHECK, "--backend", "jax"], {"VERIF_BLOCK_BYTES": "", "VERIF_PARALLEL_BLOCKS": " "}))
    names = [f"{name}={value}" for name, value, _ in BAD_BLOCK_VARIABLES] + ["report", "empty"]
    return cwd, dict(zip(names, verif_runs(runs, cwd), strict=True))


@pytest.mark.parametrize(("name", "value", "message"), BAD_BLOCK_VARIABLES)
def test_a_bad_block_variable_is_refused_when_jax_starts(
    block_runs: tuple[Path, dict[str, subprocess.CompletedProcess[str]]], name: str, value: str, message: str
) -> None:
    proc = block_runs[1][f"{name}={value}"]
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    assert one_line(proc) == f"verif check: error: {message} (got {value!r})"


def test_report_with_a_bad_block_variable_writes_nothing(
    block_runs: tuple[Path, dict[str, subprocess.CompletedProcess[str]]],
) -> None:
    cwd, proc = block_runs[0], block_runs[1]["report"]
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    assert one_line(proc) == "verif report: error: VERIF_PARALLEL_BLOCKS must be a positive integer (got '0')"
    assert not (cwd / "rep").exists()


def test_an_empty_block_variable_is_unset(
    block_runs: tuple[Path, dict[str, subprocess.CompletedProcess[str]]],
) -> None:
    proc = block_runs[1]["empty"]
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("E1 holds")
