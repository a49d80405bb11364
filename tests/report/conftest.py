"""Fixtures of the report tests: a tiny report written once per session.

The tiny report runs in this process (``--jobs 1``) on the ``smoke`` sweep of three claims and
every exhibit, so that the whole directory stays within tens of seconds. Its tests only read it
(a test that changes the document changes a deep copy), so one report serves every module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verif.cli import main

TINY_CLAIMS = "E1,E7,E13"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``verif argv``: exit status, stdout, stderr."""
    status = main(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


@pytest.fixture(scope="session")
def tiny_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, dict[str, Any]]:
    """Exit status, directory and ``results.json`` of a tiny report (every exhibit)."""
    out = tmp_path_factory.mktemp("tiny") / "report"
    status = main(
        ["report", "--smoke", "--claims", TINY_CLAIMS, "--jobs", "1", "--seed", "3", "--out", str(out)]
    )
    doc = json.loads((out / "results.json").read_text())
    return status, out, doc
