"""Values an outsider gives by mistake, in real ``verif`` processes.

* An empty or blank value of a text option (``--replay ''``, ``--suite ''``, a claim ``''``) is
  exit status 2 with one line naming the option and what it takes: before, it was taken as an
  option not given, and something other than what was asked ran (the check of the flags instead
  of a replay; the default suite; every claim's search, written to the default corpus).
* ``--record`` without ``--replay`` is exit status 2: before, it was ignored.
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
CHECK = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]


def verif_run(args: list[str]) -> subprocess.CompletedProcess[str]:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    cmd = [sys.executable, "-m", "verif", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SUITE_HELP = "the property suite (default: properties/ of the source tree)"
CLAIMS_HELP = "run these claims only, e.g. E1,E2 (a subset: the verdict is not a conformance verdict)"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            [*CHECK, "--replay", ""],
            "verif check: error: --replay must not be blank, got '' "
            "(re-run a record: results.json, a record, or a describe() line)",
        ),
        (
            ["conform", "looprnn:LoopRNN", "--suite", " "],
            f"verif conform: error: --suite must not be blank, got ' ' ({SUITE_HELP})",
        ),
        (
            ["conform", "looprnn:LoopRNN", "--claims", ""],
            f"verif conform: error: --claims must not be blank, got '' ({CLAIMS_HELP})",
        ),
        (["search", "--corpus", ""], "verif search: error: --corpus must not be blank, got '' ("),
        (["check", "", *CHECK[2:]], "verif check: error: claim must not be blank, got '' ("),
        (
            [*CHECK, "--record", "E1/0"],
            "verif check: error: --record: a key of the results.json given to --replay; "
            "give --replay FILE too",
        ),
    ],
    ids=["--replay ''", "--suite ' '", "--claims ''", "search --corpus ''", "claim ''", "--record alone"],
)
def test_a_value_that_would_be_ignored_is_refused(args: list[str], line: str) -> None:
    proc = verif_run(args)
    assert proc.returncode == exit_status.USAGE, proc.stdout + proc.stderr
    assert proc.stderr.strip().startswith(line) and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""
