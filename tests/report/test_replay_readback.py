"""``verif check --replay``: the exit status is the replay's, the columns are the record's and the
replay's own numbers, and the record picked by default is the one the docstring names.

A recorded result that disagrees with the replay (a record edited, or written by a version with
another verdict) is the case that tells which side each printed number and the exit status come
from; the claims here are registered for the test, so that the replay's verdict is known.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.claims import base as claims_base
from verif.config import RNNConfig
from verif.report.check import load_record
from verif.report.jobs import record_ratio, restore_floats

from .conftest import run_cli

FAILS, HOLDS = "E100", "E101"


def _fails(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    return claims_base.result(FAILS, 3.0, 1.5, config, seed, backend, extra=7.0)


def _holds(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    return claims_base.result(HOLDS, 0.25, 1.0, config, seed, backend, extra=7.0)


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for cid, fn in ((FAILS, _fails), (HOLDS, _holds)):
        monkeypatch.setitem(
            claims_base._REGISTRY, cid, claims.Claim(cid, f"{cid} test claim", "B0", "bound", fn)
        )
    yield


def side_by_side(out: str) -> dict[str, tuple[str, str]]:
    """The ``field  recorded  replayed`` table of a replay: field -> (recorded, replayed)."""
    lines = out.splitlines()
    start = next(k for k, ln in enumerate(lines) if re.match(r"^field\s+recorded\s+replayed$", ln))
    rows: dict[str, tuple[str, str]] = {}
    for ln in lines[start + 1 :]:
        if ln.startswith(("note:", "reproduce:")):
            break
        cells = re.split(r"\s{2,}", ln.split("  <- ")[0].strip())
        rows[cells[0]] = (cells[1], cells[2] if len(cells) > 2 else "")
    return rows


def _record(cid: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status, out, _ = run_cli(["check", cid, "--json"], capsys)
    record: dict[str, Any] = json.loads(out)
    assert status == (0 if record["result"]["passed"] else 1)
    return record


@pytest.mark.parametrize(
    ("cid", "recorded_passed", "recorded_ratio"), [(FAILS, True, 0.5), (HOLDS, False, 4.0)]
)
def test_replay_status_and_columns_come_from_their_side(
    cid: str,
    recorded_passed: bool,
    recorded_ratio: float,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fresh = _record(cid, capsys)
    edited = copy.deepcopy(fresh)
    edited["result"].update(passed=recorded_passed, ratio=recorded_ratio, measured=recorded_ratio * 2)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(edited))
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == (0 if fresh["result"]["passed"] else 1)  # the replay's verdict, not the record's
    rows = side_by_side(out)
    for field in ("passed", "ratio", "measured", "bound", "seed"):
        want_rec, want_rep = edited["result"][field], fresh["result"][field]
        got_rec, got_rep = rows[field]
        if isinstance(want_rep, bool):
            assert (got_rec, got_rep) == (str(want_rec), str(want_rep)), field
        else:
            assert float(got_rec) == pytest.approx(float(restore_floats(want_rec)), rel=1e-5), field
            assert float(got_rep) == pytest.approx(float(restore_floats(want_rep)), rel=1e-5), field
    flagged = {ln.split()[0] for ln in out.splitlines() if ln.endswith("<- differs")}
    assert flagged == {"passed", "ratio", "measured"}


def test_a_describe_line_replays_the_numbers_it_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = claims.get(FAILS).check(RNNConfig(width=16, input_dim=2, seq_len=8, memory_alpha=0.5), "numpy", 4)
    path = tmp_path / "out.txt"
    path.write_text(f"E   AssertionError: {res.describe()}\n")
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == 1
    rows = side_by_side(out)
    for field in ("ratio", "measured", "bound"):
        assert float(rows[field][0]) == pytest.approx(getattr(res, field), rel=1e-5), field
    assert rows["passed"][0] == "False" and rows["seed"][0] == "4"
    assert not [ln for ln in out.split("note:")[0].splitlines() if ln.endswith("<- differs")]


def _results(records: list[dict[str, Any]], path: Path) -> Path:
    path.write_text(json.dumps({"records": records}))
    return path


def test_the_default_record_is_the_first_violated_else_the_largest_ratio(
    tiny_report: tuple[int, Path, dict[str, Any]], tmp_path: Path
) -> None:
    measured = [r for r in tiny_report[2]["records"] if r["kind"] == "claim" and r["status"] == "ok"]
    failing = [r for r in measured if not r["result"]["passed"]]
    assert failing and len(measured) > len(failing) + 1
    _, res = load_record(_results(tiny_report[2]["records"], tmp_path / "a.json").read_text())
    assert res == failing[0]["result"]
    holding = [r for r in measured if r["result"]["passed"]]
    for order in (holding, holding[::-1]):
        _, res = load_record(_results(order, tmp_path / "b.json").read_text())
        assert record_ratio({"result": res}) == max(map(record_ratio, holding))
