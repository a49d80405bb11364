"""Output that cannot be written: ``verif`` with stdout on a full device (``/dev/full``) or closed.

Before, a traceback and exit status 1 (which reads as "a claim was violated"); now one line on
stderr and exit status 3 (the environment), and with stderr closed as well, the same status
and no traceback written anywhere.
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
FULL = Path("/dev/full")
BOUNDS = ["bounds", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]
CHECK = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5", "--json"]

pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


def _env() -> dict[str, str]:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")


def run_shell(redirect: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m verif args`` with the shell redirection ``redirect`` (``>/dev/full``, ``>&-``)."""
    script = f'exec "$0" -m verif "$@" {redirect}'
    return subprocess.run(
        ["sh", "-c", script, sys.executable, *args], env=_env(), capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("args", [BOUNDS, CHECK, ["--version"]], ids=["bounds", "check", "version"])
def test_stdout_on_a_full_device_is_the_environment(args: list[str]) -> None:
    with open(FULL, "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "verif", *args],
            env=_env(),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.endswith("error: cannot write the output to stdout (No space left on device)")


@pytest.mark.parametrize(("args", "prog"), [(BOUNDS, "verif bounds"), (["--version"], "verif")])
def test_closed_stdout_is_the_environment(args: list[str], prog: str) -> None:
    proc = run_shell(">&-", args)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert proc.stderr.strip() == f"{prog}: error: cannot write the output to stdout (stdout is closed)"


def test_full_stdout_and_closed_stderr_still_exit_3() -> None:
    proc = run_shell(">/dev/full 2>&-", BOUNDS)
    assert proc.returncode == exit_status.ENVIRONMENT
    assert proc.stdout == proc.stderr == ""
