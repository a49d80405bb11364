"""A damaged ``results.json``: records are named by key and every pointer is checked.

Deleting a record, changing a pointer, duplicating a key or changing a ratio each leaves a
structurally valid document that the cross-reference checks of :func:`verif.report.schema.errors`
catch, with a message naming the claim and the pointer; ``verif check --replay FILE --record KEY``
replays exactly the record named, whatever the order of the records, and refuses an unknown
key, an index, or a record whose content no longer matches its key, in one line (exit 2).
"""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.claims import base as claims_base
from verif.report import schema
from verif.report.check import check_line, replay_line
from verif.report.jobs import job_key, record_ratio

from .conftest import run_cli

Doc = dict[str, Any]


def _row(doc: Doc, cid: str) -> tuple[int, Doc]:
    return next((k, c) for k, c in enumerate(doc["claims"]) if c["id"] == cid)


def _index(doc: Doc, key: str) -> int:
    return next(i for i, r in enumerate(doc["records"]) if r["key"] == key)


def _other_sweep_record(doc: Doc, cid: str, same_ratio: bool) -> Doc:
    """A sweep record of ``cid`` other than its worst, with (or without) the worst's ratio."""
    _, row = _row(doc, cid)
    largest = float(row["largest_ratio"])
    return next(
        r
        for r in doc["records"]
        if r["id"] == cid
        and r["role"] == "sweep"
        and r["key"] != row["worst_record"]
        and (record_ratio(r) == largest) == same_ratio
    )


def _delete_record_0(doc: Doc) -> str:
    key = doc["records"].pop(0)["key"]
    k, row = _row(doc, key.rsplit("-", 1)[0])
    assert row["worst_record"] == key  # the smoke sweep's first E1 record is its worst (ratio 0)
    return f"$.claims[{k}] ({row['id']}): worst_record {key!r} resolves to no record"


def _delete_worst(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    del doc["records"][_index(doc, row["worst_record"])]
    return f"$.claims[{k}] (E7): worst_record {row['worst_record']!r} resolves to no record"


def _point_at_smaller_ratio(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    other = _other_sweep_record(doc, "E7", same_ratio=False)
    row["worst_record"] = other["key"]
    return (
        f"$.claims[{k}] (E7): largest_ratio {row['largest_ratio']} is not the ratio "
        f"{other['result']['ratio']} of worst_record {other['key']!r}"
    )


def _point_at_a_twin(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    # Another E7 sweep record given the worst's ratio (the floors make natural ties rare).
    twin = _other_sweep_record(doc, "E7", same_ratio=False)
    twin["result"]["ratio"] = row["largest_ratio"]
    row["worst_record"] = twin["key"]
    line = check_line("E7", twin["config"], twin["seed"], twin["backend"], twin["options"])
    return f"$.claims[{k}] (E7): check_line does not reproduce worst_record {twin['key']!r} ({line})"


def _point_at_another_claim(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    other = next(r for r in doc["records"] if r["id"] == "E13" and r["role"] == "sweep")
    row["worst_record"] = other["key"]
    return (
        f"$.claims[{k}] (E7): worst_record {other['key']!r} points at a record with {{'id': 'E13'}}, "
        "expected {'kind': 'claim', 'id': 'E7', 'status': 'ok', 'role': 'sweep'}"
    )


def _duplicate_key(doc: Doc) -> str:
    _, row = _row(doc, "E7")
    i = _index(doc, row["worst_record"])
    doc["records"].append(copy.deepcopy(doc["records"][i]))
    n = len(doc["records"]) - 1
    return f"$.records[{n}] (E7): duplicate key {row['worst_record']!r} (also records[{i}])"


def _change_ratio(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    worst = doc["records"][_index(doc, row["worst_record"])]
    worst["result"]["ratio"] = 2 * float(worst["result"]["ratio"])
    return (
        f"$.claims[{k}] (E7): largest_ratio {row['largest_ratio']} is not the largest sweep ratio "
        f"{worst['result']['ratio']} (worst_record {row['worst_record']!r})"
    )


def _change_largest_ratio(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    row["largest_ratio"] = 0.5
    return (
        f"$.claims[{k}] (E7): largest_ratio 0.5 is not the ratio "
        f"{doc['records'][_index(doc, row['worst_record'])]['result']['ratio']} "
        f"of worst_record {row['worst_record']!r}"
    )


def _change_record_content(doc: Doc) -> str:
    _, row = _row(doc, "E7")
    i = _index(doc, row["worst_record"])
    doc["records"][i]["seed"] += 1
    return (
        f"$.records[{i}] (E7): key {row['worst_record']!r} is not the key of its content "
        f"(kind, id, seed, backend, config, options, role): {job_key(doc['records'][i])!r}"
    )


def _point_finding_at_sweep(doc: Doc) -> str:
    k, finding = next((k, f) for k, f in enumerate(doc["findings"]) if f["id"] == "E13")
    sweep = next(r for r in doc["records"] if r["id"] == "E13" and r["role"] == "sweep")
    finding["record"] = sweep["key"]
    return (
        f"$.findings[{k}] (E13): record {sweep['key']!r} points at a record with {{'role': 'sweep'}}, "
        "expected {'kind': 'claim', 'id': 'E13', 'status': 'ok', 'role': 'finding'}"
    )


def _change_measurements(doc: Doc) -> str:
    k, row = _row(doc, "E13")
    row["measurements"] += 1
    given = row["measurements"] - 1
    return f"$.claims[{k}] (E13): measurements is {row['measurements']}, the records give {given}"


def _change_late_ratio(doc: Doc) -> str:
    # The per-time column must be the records' largest ratio over t >= T/2, not a copy of it.
    k, row = _row(doc, "E7")
    records = [r for r in doc["records"] if r["id"] == "E7" and r["role"] == "sweep"]
    for r in records:
        r["result"]["details"]["ratio_late"] = 0.75
    return f"$.claims[{k}] (E7): largest_ratio_late is {row['largest_ratio_late']}, the records give 0.75"


def _change_late_column(doc: Doc) -> str:
    k, row = _row(doc, "E7")
    given = row["late_by_regime"]
    regime = next(name for name, v in given.items() if v is not None)
    row["late_by_regime"] = {**given, regime: given[regime] + 1.0}
    return f"$.claims[{k}] (E7): late_by_regime is {row['late_by_regime']}, the records give {given}"


DAMAGES: dict[str, Callable[[Doc], str]] = {
    "late ratio of the records changed": _change_late_ratio,
    "late column changed": _change_late_column,
    "record 0 deleted": _delete_record_0,
    "worst record deleted": _delete_worst,
    "pointer to a smaller ratio": _point_at_smaller_ratio,
    "pointer to another record of the same ratio": _point_at_a_twin,
    "pointer to another claim's record": _point_at_another_claim,
    "duplicate key": _duplicate_key,
    "record ratio changed": _change_ratio,
    "largest_ratio changed": _change_largest_ratio,
    "record content changed under its key": _change_record_content,
    "finding pointer changed": _point_finding_at_sweep,
    "measurements count changed": _change_measurements,
}


def test_the_intact_report_has_sound_references(tiny_report: tuple[int, Path, Doc]) -> None:
    _, out, doc = tiny_report
    assert schema.errors(doc) == []
    keys = [r["key"] for r in doc["records"]]
    assert len(set(keys)) == len(keys) and all(job_key(r) == r["key"] for r in doc["records"])
    md = (out / "report.md").read_text()
    assert all(c["worst_record"] in md for c in doc["claims"])  # the claims table names the record


@pytest.mark.parametrize("name", list(DAMAGES))
def test_a_damaged_results_file_is_caught(tiny_report: tuple[int, Path, Doc], name: str) -> None:
    doc = copy.deepcopy(tiny_report[2])
    expected = DAMAGES[name](doc)
    assert schema.schema_errors(doc) == []  # each damage keeps the structure valid
    errs = schema.errors(doc)
    assert expected in errs, errs


def _results(tmp_path: Path, doc: Doc) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    return path


def test_replay_by_key_replays_that_record(
    tiny_report: tuple[int, Path, Doc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(tiny_report[2])
    doc["records"].reverse()  # a key names the record wherever it lies
    pick = _other_sweep_record(doc, "E7", same_ratio=False)
    results = _results(tmp_path, doc)
    status, out, _ = run_cli(["check", "--replay", str(results), "--record", pick["key"]], capsys)
    assert status == 0 and "differs" not in out, out
    assert out.startswith(f"replay of E7 (seed {pick['seed']}, backend {pick['backend']}) from {results}")
    line = check_line("E7", pick["config"], pick["seed"], pick["backend"], pick["options"])
    assert f"reproduce: {line}" in out
    ratio_line = next(x for x in out.splitlines() if x.startswith("ratio "))
    assert ratio_line.split()[1:3] == [f"{record_ratio(pick):.6g}"] * 2
    # replay_line spells the same command.
    argv = shlex.split(replay_line(pick["key"], str(results)))
    assert run_cli(argv[1:], capsys)[1] == out


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ("E7-000000000000", "record: no record with key 'E7-000000000000' in the results file;"),
        (
            "31",
            "record: no record with key '31' in the results file (records are named by key, not by index)",
        ),
    ],
)
def test_replay_of_an_unknown_key_is_one_line(
    tiny_report: tuple[int, Path, Doc], capsys: pytest.CaptureFixture[str], record: str, message: str
) -> None:
    results = tiny_report[1] / "results.json"
    status, out, err = run_cli(["check", "--replay", str(results), "--record", record], capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_replay_refuses_a_record_changed_under_its_key(
    tiny_report: tuple[int, Path, Doc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(tiny_report[2])
    _, row = _row(doc, "E7")
    doc["records"][_index(doc, row["worst_record"])]["seed"] += 1
    results = _results(tmp_path, doc)
    status, _, err = run_cli(["check", "--replay", str(results), "--record", row["worst_record"]], capsys)
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"record {row['worst_record']}: its content has the key" in err and "was changed" in err


def test_replay_refuses_a_duplicated_key(
    tiny_report: tuple[int, Path, Doc], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(tiny_report[2])
    _duplicate_key(doc)
    _, row = _row(doc, "E7")
    results = _results(tmp_path, doc)
    status, _, err = run_cli(["check", "--replay", str(results), "--record", row["worst_record"]], capsys)
    assert status == 2 and f"2 records share the key {row['worst_record']!r}" in err


def test_record_needs_a_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps({"claim_id": "E3"}))
    status, _, err = run_cli(["check", "--replay", str(path), "--record", "E3-000000000000"], capsys)
    assert status == 2 and "--record KEY needs --replay of a results.json" in err


def test_the_summary_of_a_violated_claim_names_the_record_to_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def check(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
        return claims_base.result("E100", float(config.width) + seed, 1.0, config, seed, backend)

    monkeypatch.setitem(
        claims_base._REGISTRY, "E100", claims.Claim("E100", "width below 1", "B0", "bound", check)
    )
    out = tmp_path / "r"
    argv = ["report", "--smoke", "--claims", "E100", "--exhibits", "X1", "--jobs", "1", "--out", str(out)]
    status, text, _ = run_cli(argv, capsys)
    doc = json.loads((out / "results.json").read_text())
    assert status == 1 and schema.errors(doc) == []
    (row,) = doc["claims"]
    worst = next(r for r in doc["records"] if r["key"] == row["worst_record"])
    line = replay_line(row["worst_record"], str(out / "results.json"))
    assert f"replay:    {line}" in text
    assert replay_line(row["worst_record"]) in (out / "report.md").read_text()  # beside results.json
    status, replayed, _ = run_cli(shlex.split(line)[1:], capsys)
    assert status == 1 and replayed.startswith(f"replay of E100 (seed {worst['seed']}, ")
    assert "differs" not in replayed
