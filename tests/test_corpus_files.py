"""Damaged or foreign corpus files are named, rejected and contained.

Each damage (a truncated or empty file, a file that is not a list, a stray ``E100.json``, an entry
of another claim, an entry with a missing or mistyped field) is named in one problem with its
file (and entry), while every other file of the folder still loads and replays. The corpus
property test fails exactly one test for a damaged folder, X6 fails only the jobs of the damaged
claim, ``verif search --write`` refuses a folder it cannot read whole, and ``save_corpus``
never leaves a half-written file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from verif import cli, search
from verif.report import schema
from verif.report.build import ReportRequest, make_report

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "properties" / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the committed corpus."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    return folder


def _entries(folder: Path, claim_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((folder / f"{claim_id}.json").read_text())
    return items


def _edit(claim_id: str, k: int, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        items = _entries(folder, claim_id)
        change(items[k])
        (folder / f"{claim_id}.json").write_text(json.dumps(items))

    return damage


def _truncate(folder: Path) -> None:
    text = (folder / "E7.json").read_text()
    (folder / "E7.json").write_text(text[: len(text) // 2])


def _stray(folder: Path) -> None:
    shutil.copy(folder / "E7.json", folder / "E100.json")


#: (damage, file, entry index or None, what the problem says, entries of that file still loaded)
DAMAGES: dict[str, tuple[Callable[[Path], None], str, int | None, str, int]] = {
    "truncated": (_truncate, "E7.json", None, r"invalid JSON at line \d+:\d+: ", 0),
    "empty": (
        lambda f: (f / "E6.json").write_text(""),
        "E6.json",
        None,
        r"invalid JSON at line 1:1: Expecting value \(the file is empty\)",
        0,
    ),
    "not a list": (
        lambda f: (f / "E5.json").write_text('{"entries": []}'),
        "E5.json",
        None,
        r"must hold a JSON list of entries, got dict",
        0,
    ),
    "stray E100.json": (_stray, "E100.json", None, r"unknown claim id 'E100' \(the file name\)", 0),
    "claim_id of another claim": (
        _edit("E5", 1, lambda e: e.update(claim_id="E3")),
        "E5.json",
        1,
        r"claim_id 'E3' is not the file's claim 'E5'",
        4,
    ),
    "missing field": (_edit("E11", 0, lambda e: e.pop("seed")), "E11.json", 0, r"field 'seed' is missing", 4),
    "mistyped field": (
        _edit("E15", 2, lambda e: e.update(seed="7")),
        "E15.json",
        2,
        r"field 'seed' must be an integer >= 0, got '7'",
        4,
    ),
    "invalid config": (
        _edit("E3", 3, lambda e: e["config"].update(width=3)),
        "E3.json",
        3,
        r"field 'config': width must be",
        14,
    ),
    "inputs of the wrong shape": (
        _edit("E4", 0, lambda e: e["options"].update(X=[[1.0]])),
        "E4.json",
        0,
        r"field 'options.X' must be finite numbers of shape \(n, \d+, \d+\)",
        20,
    ),
}


@pytest.mark.parametrize("name", list(DAMAGES))
def test_a_damaged_file_is_named_and_the_others_load(corpus: Path, name: str) -> None:
    damage, file, entry, message, kept = DAMAGES[name]
    clean, none = search.read_corpus(corpus)
    assert none == []
    damage(corpus)
    loaded, problems = search.read_corpus(corpus)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert problem.file == corpus / file and problem.entry == entry
    where = f"{corpus / file}: " + ("" if entry is None else f"entry {entry}: ")
    assert re.fullmatch(re.escape(where) + message + ".*", str(problem)), str(problem)
    claim = file.removesuffix(".json")
    # A damaged entry is left out and the file's other entries load (however many the corpus has).
    assert len(loaded.get(claim, [])) == (kept if entry is None else len(clean[claim]) - 1)
    # Every other file loads whole and unchanged.
    assert {c: v for c, v in loaded.items() if c != claim} == {c: v for c, v in clean.items() if c != claim}
    # The strict loader refuses the folder and names the same file and entry.
    with pytest.raises(ValueError, match=re.escape(str(problem))):
        search.load_corpus(corpus)


def test_the_sound_files_of_a_damaged_folder_replay(corpus: Path) -> None:
    _truncate(corpus)
    _stray(corpus)
    loaded, problems = search.read_corpus(corpus)
    assert {p.file.name for p in problems} == {"E7.json", "E100.json"}
    item = loaded["E15"][0]
    assert search.replay(item).ratio == pytest.approx(item["ratio"], rel=1e-6)


def test_an_entry_that_is_not_an_object_is_named(corpus: Path) -> None:
    items = _entries(corpus, "E5")
    (corpus / "E5.json").write_text(json.dumps([*items, 3]))
    loaded, problems = search.read_corpus(corpus)
    assert [str(p) for p in problems] == [
        f"{corpus / 'E5.json'}: entry {len(items)}: must be a JSON object with the fields "
        f"{list(search.ENTRY_FIELDS)}, got int"
    ]
    assert loaded["E5"] == items


def test_the_corpus_property_test_fails_once_for_a_damaged_folder(corpus: Path) -> None:
    """One failed test names every damaged file; the sound files' entries are replayed."""
    _truncate(corpus)
    _stray(corpus)
    _edit("E5", 1, lambda e: e.update(claim_id="E3"))(corpus)
    env = {**os.environ, "VERIF_CORPUS": str(corpus), "HYPOTHESIS_PROFILE": "ci", "JAX_PLATFORMS": "cpu"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    argv = [
        "properties/test_corpus.py",
        "-v",
        "-p",
        "no:cacheprovider",
        "-k",
        "numpy or sound or every_bound",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    failed = re.findall(r"^(\S+) FAILED", out, re.M)
    assert failed == ["properties/test_corpus.py::test_corpus_files_are_sound"], out
    for named in ("E7.json: invalid JSON", "E100.json: unknown claim id", "E5.json: entry 1: claim_id 'E3'"):
        assert named in out, out
    passed = set(re.findall(r"::(\S+) PASSED", out))
    assert (
        "test_corpus_entry_holds[numpy-E15-0]" in passed
        and "test_corpus_reaches_the_floor[numpy-E3]" in passed
    )
    assert "test_corpus_entry_holds[numpy-E5-3]" in passed  # E5's four sound entries still replay
    assert "test_every_bound_claim_has_corpus_entries_and_a_floor" in passed
    assert re.search(r"test_corpus_reaches_the_floor\[numpy-E7\] SKIPPED", out), out


def test_search_write_refuses_a_folder_it_cannot_read(
    corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _truncate(corpus)
    before = {p.name: p.read_bytes() for p in corpus.iterdir()}
    argv = ["search", "--claims", "E7", "--budget", "1", "--top", "1", "--write", "--corpus", str(corpus)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "E7.json: invalid JSON at line" in err, err
    assert {p.name: p.read_bytes() for p in corpus.iterdir()} == before


def test_save_corpus_leaves_the_old_file_on_a_full_disk(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (corpus / "E7.json").read_bytes()
    real_fdopen = os.fdopen

    class _Full:
        def __init__(self, fd: int) -> None:
            self.f = real_fdopen(fd, "w", encoding="utf-8")

        def __enter__(self) -> _Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(search.os, "fdopen", lambda fd, *a, **k: _Full(fd))
    with pytest.raises(OSError, match="No space left"):
        search.save_corpus({"E7": _entries(corpus, "E7")[:1]}, corpus)
    assert (corpus / "E7.json").read_bytes() == before
    assert sorted(p.name for p in corpus.iterdir()) == sorted(p.name for p in CORPUS.iterdir())


def test_x6_fails_only_the_jobs_of_a_damaged_file(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _truncate(corpus)
    _stray(corpus)
    monkeypatch.setattr(search, "CORPUS_DIR", corpus)
    req = ReportRequest(out=tmp_path / "r", mode="smoke", claim_ids=("E1",), exhibit_ids=("X6",), jobs=1)
    doc = make_report(req).doc
    assert schema.errors(doc) == []
    (x6,) = doc["exhibits"]
    # Every objective of E7 (its ratio, its parts, the late one per regime) reads E7.json.
    assert x6["error"] is None and x6["failed_jobs"] == len(search.objectives("E7"))
    assert {f["options"]["claim"] for f in doc["failures"]} == {"E7"}
    assert all(f["id"] == "X6" for f in doc["failures"])
    assert all(f"{corpus / 'E7.json'}: invalid JSON at line" in f["error"] for f in doc["failures"])
    assert not doc["complete"]
    rows = {row[0]: row for row in x6["summary"]["rows"]}
    expected = {c if p is None else f"{c} {p}" for c in search.searchable() for p in [None, *search.parts(c)]}
    assert set(rows) == {r for r in expected if r.split()[0] != "E7"} | {"E10", "E12"}
    assert all(row[3] is not None for row in rows.values())  # every other claim's corpus replayed
