"""Files a user may not read or write, for real ``verif`` processes without privileges.

Tests run as root, who reads and writes everything, so the child drops every capability before
``exec`` (``prctl(PR_CAPBSET_DROP)``): still uid 0, it then obeys the permission bits like
any user (``nobody`` could not reach the root-owned interpreter and temporary folders). A file or
folder the command was pointed at is exit status 2 (:mod:`verif.exit_status`); a folder that
cannot be written after the work is exit 3. One line either way, nothing half-written.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

import verif
from tests.conftest import child_env
from tests.test_faults_env import one_line
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]
PR_CAPBSET_DROP = 24

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not sys.platform.startswith("linux"),
    reason="needs root on Linux (to drop its capabilities)",
)


def _drop_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):  # EINVAL past the last capability of this kernel
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            os._exit(99)


def unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = child_env(cwd)
    return subprocess.run(
        [sys.executable, "-m", "verif", *args],
        cwd=cwd,
        env=env,
        preexec_fn=_drop_capabilities,
        capture_output=True,
        text=True,
        timeout=600,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_unreadable_inputs_are_usage_in_one_line(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text("{}")
    record.chmod(0)
    proc = unprivileged(["check", "--replay", str(record)], tmp_path)
    assert proc.returncode == exit_status.USAGE and proc.stdout == ""
    assert "Permission denied" in one_line(proc) and "record.json" in proc.stderr

    suite = tmp_path / "suite"
    suite.mkdir(mode=0)
    proc = unprivileged(
        ["conform", "verif.backends.numpy_backend:NumpyBackend", "--suite", str(suite)], tmp_path
    )
    assert proc.returncode == exit_status.USAGE and proc.stdout == ""
    assert "suite" in one_line(proc) and "Permission denied" in proc.stderr
    suite.chmod(0o700)


def test_an_unwritable_report_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o555)
    proc = unprivileged(["report", "--smoke", "--out", str(parent / "report")], tmp_path)
    assert proc.returncode == exit_status.USAGE and proc.stdout == ""
    assert "Permission denied" in one_line(proc)
    assert list(parent.iterdir()) == []
    parent.chmod(0o700)


def test_a_corpus_that_cannot_be_read_or_written_is_left_as_it_was(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    source = ROOT / "properties" / "corpus" / "E3.json"
    (corpus / "E3.json").write_bytes(source.read_bytes())
    (corpus / "E7.json").write_text("[]")
    (corpus / "E7.json").chmod(0)
    before = snapshot(corpus)
    proc = unprivileged(
        ["search", "--claims", "E3", "--budget", "1", "--corpus", str(corpus), "--write"], tmp_path
    )
    assert proc.returncode == exit_status.USAGE and "E7.json" in one_line(proc)
    assert snapshot(corpus) == before

    (corpus / "E7.json").chmod(0o644)
    corpus.chmod(0o555)  # readable, not writable: found only once the search has run
    proc = unprivileged(
        ["search", "--claims", "E3", "--budget", "1", "--corpus", str(corpus), "--write"], tmp_path
    )
    assert proc.returncode == exit_status.ENVIRONMENT and "Permission denied" in one_line(proc)
    assert snapshot(corpus) == before
    corpus.chmod(0o755)
