"""argparse's own output (``--help``, a usage error) under the rules of every other output.

Before, ``verif --help > /dev/full`` exited 0 (argparse drops the write error) and a usage error
with stderr closed (``2>&-``) wrote its usage, and an error of a handler its one line, to stdout,
where a reader takes them for the command's output. Now help into a full or closed stdout is exit
status 3 with one line on stderr, as for any other output, and with stderr closed nothing is
written to stdout and the status stays 2.
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
BOUNDS = ["bounds", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]


def run_shell(redirect: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m verif args`` with the shell redirection ``redirect`` (``>/dev/full``, ``2>&-``)."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    script = f'exec "$0" -m verif "$@" {redirect}'
    return subprocess.run(
        ["sh", "-c", script, sys.executable, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    ("redirect", "args", "why"),
    [
        (">/dev/full", ["--help"], "No space left on device"),
        (">&-", ["check", "--help"], "stdout is closed"),
    ],
)
def test_help_that_cannot_be_written_is_the_environment(redirect: str, args: list[str], why: str) -> None:
    proc = run_shell(redirect, args)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert proc.stderr.strip() == f"verif: error: cannot write the output to stdout ({why})"


@pytest.mark.parametrize(
    "args",
    [BOUNDS[:3], [*BOUNDS[:2], "3", *BOUNDS[3:]], ["nosuchcommand"]],
    ids=["missing flag", "bad value", "unknown command"],
)
def test_with_stderr_closed_an_error_writes_nothing_to_stdout(args: list[str]) -> None:
    proc = run_shell("2>&-", args)
    assert proc.returncode == exit_status.USAGE
    assert proc.stdout == ""
