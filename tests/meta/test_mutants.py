"""The property suite must be able to fail: each broken variant must make its properties fail.

Each case runs the named property files with ``VERIF_MUTANT`` set and the ``meta`` Hypothesis
profile (no shrinking), in a process of its own forked from one parent that has imported pytest
and Hypothesis once (:mod:`tests.meta.forked`), and requires pytest's exit status 1 ("tests
failed"), not 0 (the variant slipped through) nor a collection or usage error, and the failure
must be a failed assertion (a claim reporting ``VIOLATED``, or a property's own ``assert``), not
an exception raised by the broken code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.meta.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    # Wide lines: pytest cuts the summary ``FAILED <test> - <exception>: ...`` to the terminal.
    env = dict(os.environ, HYPOTHESIS_PROFILE="meta", JAX_PLATFORMS="cpu", COLUMNS="1000")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("VERIF_MUTANT", None)
    return env


def run_properties(files: tuple[str, ...], mutant: str | None) -> subprocess.CompletedProcess[str]:
    """The property ``files`` in a fresh interpreter, with ``VERIF_MUTANT=mutant``."""
    env = _env()
    if mutant is not None:
        env["VERIF_MUTANT"] = mutant
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-k", "numpy"]
    args += [str(ROOT / "properties" / f) for f in files]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[int, str]]:
    """``{variant: (exit status, output)}`` of every variant this session selected, in one go."""
    names = sorted(
        {
            item.callspec.params["mutant"]
            for item in request.session.items
            if isinstance(item, pytest.Function) and item.originalname == "test_mutant_is_caught"
        }
    )
    out = tmp_path_factory.mktemp("mutants")
    cmd = [sys.executable, "-m", "tests.meta.forked", str(out), *names]
    proc = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600 * len(names))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    status = json.loads((out / "status.json").read_text())
    return {name: (int(code), (out / f"{name}.log").read_text()) for name, code in status.items()}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_mutant_is_caught(mutant: str, runs: dict[str, tuple[int, str]]) -> None:
    files = MUTANTS[mutant][1]
    returncode, output = runs[mutant]
    tail = output[-3000:]
    assert returncode == 1, f"variant {mutant!r} was not caught by {files} (exit {returncode}):\n{tail}"
    failures = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    assert failures and all(" - AssertionError" in line for line in failures), (
        f"variant {mutant!r} made {files} raise, not fail an assertion:\n{tail}"
    )


def test_unknown_mutant_is_refused() -> None:
    proc = run_properties(("test_e01_zero_output.py",), "no_such_variant")
    assert proc.returncode != 0
    assert "VERIF_MUTANT must be one of" in proc.stdout + proc.stderr
