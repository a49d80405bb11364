"""Output into a pipe whose reader has already gone (``... | head -c 0``), for real processes.

The read end is closed before the child starts, so its first write fails with EPIPE whatever
the timing: exit status 141 (:data:`verif.exit_status.BROKEN_PIPE`), nothing on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env
from verif import exit_status


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "verif.backends.tuning"],
        ["-m", "verif", "check", "E1", "--width", "4", "--seq-len", "3"],
    ],
    ids=["tuning", "check"],
)
def test_a_reader_gone_before_the_first_line_is_141_silently(args: list[str], tmp_path: Path) -> None:
    env = child_env(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)  # ``head -c 0`` that has already exited
    try:
        proc = subprocess.run(
            [sys.executable, *args],
            cwd=tmp_path,
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == exit_status.BROKEN_PIPE, proc.stderr
    assert proc.stderr == ""
