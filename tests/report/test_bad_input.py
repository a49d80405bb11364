"""Bad input to ``verif report`` and ``verif check``: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--claims", "E1,E100"], "claims: unknown id(s) ['E100']"),
        (["--exhibits", "X10"], "exhibits: unknown id(s) ['X10']"),
        (["--claims", ","], "claims: unknown id(s) (none given)"),
        (["--backend", "torch"], "backend must be one of"),
        (["--jobs", "0"], "jobs must be an integer >= 1"),
        (["--seed", "-1"], "seed must be a non-negative integer in [0, 2**63 - 1]"),
        (["--seed", str(2**63)], "seed must be a non-negative integer in [0, 2**63 - 1]"),
    ],
)
def test_report_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    out = tmp_path / "r"
    status, stdout, err = run_cli(["report", "--smoke", "--out", str(out), *args], capsys)
    assert status == 2 and stdout == ""
    assert needle in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_report_unwritable_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status, _, err = run_cli(["report", "--smoke", "--claims", "E1", "--out", str(blocker / "r")], capsys)
    assert status == 2 and "out: cannot write a report under" in err and len(err.strip().splitlines()) == 1
    status, _, err = run_cli(["report", "--smoke", "--claims", "E1", "--out", str(blocker)], capsys)
    assert status == 2 and "exists and is not a directory" in err
    assert blocker.read_text() == "x"


def test_report_unreachable_scheduler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    closed = ["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]
    status, _, err = run_cli(["report", "--smoke", "--out", str(out), *closed], capsys)
    assert status == 3 and "no Dask scheduler answered at tcp://127.0.0.1:9" in err  # environment
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
    status, _, err = run_cli(["report", "--smoke", "--out", str(out), "--scheduler", "localhost"], capsys)
    assert status == 2 and "scheduler must be an address like tcp://host:8786" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["E100"], "claim must be one of"),
        (["E3", "--width", "3"], "width must be an even integer"),
        (["E3", "--activation", "softplus"], "activation"),
        (["E3", "--backend", "torch"], "backend must be one of"),
        (["E3", "--option", "pairs"], "option must be KEY=VALUE"),
        (["E3", "--option", "pairs=0"], "option pairs of E3 must be an integer in [1, 1_000_000_000], got 0"),
        ([], "claim: give a claim id (or --replay FILE)"),
    ],
)
def test_check_bad_input(capsys: pytest.CaptureFixture[str], args: list[str], needle: str) -> None:
    status, stdout, err = run_cli(["check", *args], capsys)
    assert status == 2 and stdout == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_replay_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.json"
    status, _, err = run_cli(["check", "--replay", str(missing)], capsys)
    assert status == 2 and "replay: cannot read" in err
    junk = tmp_path / "junk.txt"
    junk.write_text("nothing to see\n")
    status, _, err = run_cli(["check", "--replay", str(junk)], capsys)
    assert status == 2 and "no JSON and no line like" in err
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    status, _, err = run_cli(["check", "--replay", str(other)], capsys)
    assert status == 2 and "neither a results.json" in err


def test_without_matplotlib_bounds_work_and_report_says_what_is_missing(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from verif.cli import main\n"
        "assert main(['bounds', '--width', '8', '--memory-alpha', '0.5', '--seq-len', '4']) == 0\n"
        f"sys.exit(main(['report', '--smoke', '--claims', 'E1', '--out', {str(tmp_path / 'r')!r}]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "report: needs the 'report' extra (pip install 'verif[report]')" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
