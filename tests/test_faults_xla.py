"""``XLA_FLAGS`` that XLA refuses, in real ``verif`` processes.

XLA ends the process with status 1 when JAX starts on a flag it does not know or cannot read;
before, that read as "violated" (``verif check`` / ``verif report``). Now exit status 3 with one
line naming the variable, before any job runs or anything is written; ``--version`` says the
devices are unavailable and why. Flags XLA accepts change nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env
from verif import exit_status

CHECK_JAX = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5", "--backend", "jax"]


def verif_run(args: list[str], cwd: Path, flags: str) -> subprocess.CompletedProcess[str]:
    env = child_env(cwd, XLA_FLAGS=flags)
    cmd = [sys.executable, "-m", "verif", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        ("--no_such_flag", "Unknown flag in XLA_FLAGS: --no_such_flag"),
        ("--xla_force_host_platform_device_count=abc", "Couldn't interpret value abc for flag"),
    ],
    ids=["unknown flag", "unreadable value"],
)
def test_refused_xla_flags_are_the_environment(tmp_path: Path, flags: str, why: str) -> None:
    proc = verif_run(CHECK_JAX, tmp_path, flags)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    assert proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"verif check: error: XLA_FLAGS={flags!r} is refused by XLA (")
    assert why in line


def test_a_report_on_refused_xla_flags_writes_nothing(tmp_path: Path) -> None:
    args = ["report", "--out", "rep", "--smoke", "--claims", "E1", "--exhibits", "X1"]
    proc = verif_run(args, tmp_path, "--no_such_flag")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("verif report: error: XLA_FLAGS='--no_such_flag' is refused by XLA (")
    assert not (tmp_path / "rep").exists()


def test_version_names_refused_flags_and_accepted_flags_change_nothing(tmp_path: Path) -> None:
    version = verif_run(["--version"], tmp_path, "--no_such_flag")
    assert version.returncode == 0, version.stderr
    assert version.stdout.splitlines()[-1] == (
        "jax devices: unavailable (XLA_FLAGS refused: Unknown flag in XLA_FLAGS: --no_such_flag)"
    )
    # The probe starts JAX with them and lets the command run (NumPy backend: one JAX start only).
    accepted = verif_run(CHECK_JAX[:-2], tmp_path, "--xla_force_host_platform_device_count=2")
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith("E1 holds")
