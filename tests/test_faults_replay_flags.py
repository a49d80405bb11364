"""``verif check --replay FILE`` with flags the record already gives: refused, never ignored.

The record gives the claim, the configuration, the seed, the backend and the options; a claim
or such a flag beside ``--replay`` used to be dropped silently (the replay ran the record's).
Now it is exit status 2 naming each of them; ``--json`` and ``--record`` are honoured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verif import cli, exit_status


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--seed", "3"], ["--seed"]),
        (["--backend", "jax", "--width=8"], ["--backend", "--width"]),
        (["E2"], ["'E2'"]),
        (["--opt", "kind=boundary", "--memory-alpha", "-0.5"], ["--opt", "--memory-alpha"]),
    ],
)
def test_flags_the_record_gives_are_refused_by_name(
    extra: list[str], named: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "record.json"
    path.write_text('{"not": "read"}')
    status = cli.main(["check", "--replay", str(path), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == exit_status.USAGE and len(err) == 1, err
    assert "--replay" in err[0] and all(n in err[0] for n in named), err


def test_json_and_abbreviations_of_the_replay_flags_are_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check", "E1", "--width", "4", "--seq-len", "3", "--seed", "5", "--json"]) == 0
    path = tmp_path / "record.json"
    path.write_text(capsys.readouterr().out)
    assert cli.main(["check", "--rep", str(path), "--js"]) == 0
    replayed = json.loads(capsys.readouterr().out)
    assert replayed["id"] == "E1" and replayed["seed"] == 5 and replayed["config"]["width"] == 4
    assert replayed["status"] == "ok" and replayed["result"]["passed"] is True
