"""``verif check``: measure one claim, exit 0/1, and ``--replay`` round trips."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.config import RNNConfig
from verif.report.check import load_record, option_names

from .conftest import run_cli

E3_ARGS = [
    "E3",
    "--width",
    "8",
    "--input-dim",
    "3",
    "--seq-len",
    "5",
    "--memory-alpha",
    "1.2",
    "--seed",
    "4",
    "--option",
    "kind=corner",
    "--option",
    "pairs=2",
]


def test_check_prints_the_record_and_holds(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_cli(["check", *E3_ARGS], capsys)
    assert status == 0
    config = RNNConfig(width=8, input_dim=3, seq_len=5, memory_alpha=1.2)
    expected = claims.get("E3").check(config, "numpy", 4, kind="corner", pairs=2)
    assert out.startswith(f"E3 holds: ratio={expected.ratio:.6g}")
    late = expected.details
    assert f"ratio_last={late['ratio_last']:.6g} ratio_late={late['ratio_late']:.6g}" in out.splitlines()[0]
    assert "reproduce: verif check E3 --width 8 --input-dim 3 --seq-len 5 --memory-alpha 1.2" in out
    assert "--option kind=corner --option pairs=2" in out


def test_check_exit_1_when_violated(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "check",
        "E13",
        "--width",
        "2",
        "--input-dim",
        "3",
        "--seq-len",
        "20",
        "--memory-alpha",
        "1.5",
        "--option",
        "linear_state=null",
    ]
    status, out, _ = run_cli(args, capsys)
    assert status == 1 and out.startswith("E13 VIOLATED: ratio=")
    # The linear state grows like (1.5)^t; the bound of the nonlinear one does not: far above 1.
    assert float(out.split("ratio=")[1].split()[0]) > 10


def _json_record(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status, out, _ = run_cli(["check", *E3_ARGS, "--json"], capsys)
    assert status == 0
    record: dict[str, Any] = json.loads(out)
    return record


def test_check_json_replay_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _json_record(capsys)
    assert record["options"] == {"kind": "corner", "pairs": 2} and record["result"]["passed"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == 0
    assert "recorded" in out and "replayed" in out and "differs" not in out
    ratio_line = next(line for line in out.splitlines() if line.startswith("ratio "))
    assert ratio_line.split()[1] == ratio_line.split()[2] == f"{record['result']['ratio']:.6g}"


def test_replay_shows_a_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _json_record(capsys)
    record["result"]["ratio"] = 123.0
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == 0
    assert any(line.startswith("ratio ") and "<- differs" in line for line in out.splitlines())


def test_replay_names_fields_one_side_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record of an older version lacks a newer detail; a dropped detail is named too."""
    record = _json_record(capsys)
    details = record["result"]["details"]
    newer = next(iter(details))
    del details[newer]
    details["dropped_field"] = 1.0
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == 0
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "not in the record (a newer field)" in lines[newer] and "differs" not in lines[newer]
    assert "not computed by this version" in lines["dropped_field"]


def test_replay_from_results_json(
    tiny_report: tuple[int, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out_dir, doc = tiny_report
    results = out_dir / "results.json"
    # Default: the first violated claim record (a finding here), else the largest ratio.
    status, out, _ = run_cli(["check", "--replay", str(results)], capsys)
    assert status == 1 and "differs" not in out
    key = next(r["key"] for r in doc["records"] if r["kind"] == "claim" and r["id"] == "E7")
    status, out, _ = run_cli(["check", "--replay", str(results), "--record", key], capsys)
    assert status == 0 and out.startswith("replay of E7") and "differs" not in out
    exhibit = next(r["key"] for r in doc["records"] if r["kind"] == "exhibit")
    status, _, err = run_cli(["check", "--replay", str(results), "--record", exhibit], capsys)
    assert status == 2 and "is not a measured claim record" in err


def test_replay_from_a_describe_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = RNNConfig(
        width=16, input_dim=2, seq_len=12, memory_alpha=1.5, rho_w=0.0, rho_u=0.25, nu_w=0.0, nu_u=0.0
    )
    res = claims.get("E7").check(config, "numpy", 18, kind="interior", mode="trend")
    path = tmp_path / "pytest-output.txt"
    path.write_text(f"E   AssertionError: {res.describe()}\nE   assert False\n")
    job, recorded = load_record(path.read_text())
    assert job.options == {"mode": "trend", "kind": "interior", "widths": [16, 64, 256], "trials": 48}
    assert job.config == config.to_dict() and job.seed == 18
    assert recorded["passed"] is False
    status, out, _ = run_cli(["check", "--replay", str(path)], capsys)
    assert status == 1
    assert "ratio " in out and "differs" not in out.split("note:")[0]


def test_option_names_read_from_signature_and_docstring() -> None:
    assert {"kind", "pairs", "n"} <= option_names(claims.get("E3").check_fn)
    assert {"mode", "widths", "trials", "margin", "points"} <= option_names(claims.get("E7").check_fn)
    assert {"n", "delta", "init_seeds", "draws"} <= option_names(claims.get("E10").check_fn)
    assert "config" not in option_names(claims.get("E10").check_fn)


def test_check_lines_reproduce_their_records(
    tiny_report: tuple[int, Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tiny_report[2]
    by_key = {r["key"]: r for r in doc["records"]}
    lines = [(f["check_line"], by_key[f["record"]]) for f in doc["findings"]]
    lines += [(c["check_line"], by_key[c["worst_record"]]) for c in doc["claims"]]
    for line, record in lines:
        argv = shlex.split(line)
        assert argv[:2] == ["verif", "check"]
        status, out, _ = run_cli([*argv[1:], "--json"], capsys)
        replayed = json.loads(out)
        same = ("kind", "id", "seed", "backend", "config", "options", "status", "result")
        assert {k: replayed[k] for k in same} == {k: record[k] for k in same}, line
        assert status == (0 if record["result"]["passed"] else 1)
