"""The property suite must be able to fail: each broken variant must make its properties fail.

Each case runs the named property files in a fresh interpreter with ``VERIF_MUTANT`` set and the
``meta`` Hypothesis profile (no shrinking), and requires pytest's exit status 1 ("tests failed"),
not 0 (the variant slipped through) nor a collection or usage error, and the failure must be a
failed assertion (a claim reporting ``VIOLATED``, or a property's own ``assert``), not an
exception raised by the broken code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.meta.mutants import MUTANTS

ROOT = Path(__file__).resolve().parents[2]


def run_properties(files: tuple[str, ...], mutant: str | None) -> subprocess.CompletedProcess[str]:
    # Wide lines: pytest cuts the summary ``FAILED <test> - <exception>: ...`` to the terminal.
    env = dict(os.environ, HYPOTHESIS_PROFILE="meta", JAX_PLATFORMS="cpu", COLUMNS="1000")
    env.pop("VERIF_MUTANT", None)
    if mutant is not None:
        env["VERIF_MUTANT"] = mutant
    args = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-k", "numpy"]
    args += [str(ROOT / "properties" / f) for f in files]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_mutant_is_caught(mutant: str) -> None:
    files = MUTANTS[mutant][1]
    proc = run_properties(files, mutant)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 1, (
        f"variant {mutant!r} was not caught by {files} (exit {proc.returncode}):\n{tail}"
    )
    failures = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    assert failures and all(" - AssertionError" in line for line in failures), (
        f"variant {mutant!r} made {files} raise, not fail an assertion:\n{tail}"
    )


def test_unknown_mutant_is_refused() -> None:
    proc = run_properties(("test_e01_zero_output.py",), "no_such_variant")
    assert proc.returncode != 0
    assert "VERIF_MUTANT must be one of" in proc.stdout + proc.stderr
