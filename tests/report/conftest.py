"""Fixtures of the report tests: a tiny report written once per test run.

The tiny report runs in this process (``--jobs 1``) on the ``smoke`` sweep of three claims and
every exhibit, so that the whole directory stays within tens of seconds. Its tests only read it
(a test that changes the document changes a deep copy), so one report serves every module, and
every pytest-xdist worker of the run: the first worker to need it writes it, under a lock, in
the directory the workers' temporary directories share; the others wait for it and read it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from verif.cli import main

try:
    import fcntl
except ImportError:  # not POSIX: each worker writes its own
    fcntl = None  # type: ignore[assignment]

TINY_CLAIMS = "E1,E7,E13"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``verif argv``: exit status, stdout, stderr."""
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


@contextlib.contextmanager
def _run_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (held by one process at a time; released when it dies)."""
    with path.open("a") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, dict[str, Any]]:
    """Exit status, directory and ``results.json`` of a tiny report (every exhibit)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        base = base.parent  # shared by the workers of this run, and by them only
    root = base / "tiny-report"
    root.mkdir(exist_ok=True)
    out, written = root / "report", root / "status"
    with _run_lock(root / "lock"):
        if not written.exists():
            argv = ["report", "--smoke", "--claims", TINY_CLAIMS, "--jobs", "1", "--seed", "3"]
            written.write_text(str(main([*argv, "--out", str(out)])))
    doc = json.loads((out / "results.json").read_text())
    return int(written.read_text()), out, doc
