"""What the asv dashboard shows: a tightness track per registered claim, and the committed history.

No benchmark is run. The tightness classes are read as asv discovers them; the committed
results set (``asv_bench/results/<machine>/``, un-ignored in ``.gitignore``) is read as the
JSON that ``asv publish`` reads: every file names its machine and a commit, and holds results.
Where ``asv_runner`` is installed (``tox -e bench-*``), the benchmarks are also discovered
with it, as ``asv`` does, and every result of the history must carry the version (the hash of
the benchmark's code) of the benchmark of that name today, else ``asv publish`` drops it.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from asv_bench.benchmarks import tightness
from verif import bounds, claims

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "asv_bench" / "results"
#: ``!asv_bench/results/<machine>/`` lines of .gitignore: the machines whose results are committed.
_KEPT = re.compile(r"^!asv_bench/results/([^/\s]+)/?\s*$")
_HASH = re.compile(r"^[0-9a-f]{40}$")


def committed_machines() -> list[str]:
    text = (REPO / ".gitignore").read_text()
    return [m.group(1) for line in text.splitlines() if (m := _KEPT.match(line))]


def history_files(machine: str) -> list[Path]:
    return sorted(p for p in (RESULTS / machine).glob("*.json") if p.name != "machine.json")


# -- tightness tracks ---------------------------------------------------------------------------


def test_every_claim_has_both_tracks_in_the_all_claims_class_and_in_exactly_one_group() -> None:
    ids = claims.ids()
    assert tightness.Tightness.params == ids
    grouped = [cid for cls in tightness.GROUPS.values() for cid in cls.params]
    assert sorted(grouped, key=ids.index) == ids and len(grouped) == len(set(grouped))
    for name, cls in tightness.GROUPS.items():
        # asv finds a class as a public module attribute; its graph has one series per claim
        assert getattr(tightness, name) is cls and cls.__module__ == tightness.__name__
        assert 0 < len(cls.params) <= tightness.GROUP_SIZE
        assert callable(cls.track_ratio) and callable(cls.track_late_ratio)


def test_groups_are_named_by_number_range_so_a_new_claim_joins_or_opens_one() -> None:
    ids = [f"E{k}" for k in range(1, 18)]
    groups = tightness.claim_groups(ids, 6)
    assert groups == {
        "E1toE6": ids[:6],
        "E7toE12": ids[6:12],
        "E13toE18": ids[12:],
    }
    # the 18th claim joins the last group, the 19th opens a new one; no group changes its name
    # (ids of claims not yet in docs/theory.md are built from their numbers)
    e18, e19 = (f"E{k}" for k in (18, 19))
    grown = tightness.claim_groups([*ids, e18, e19], 6)
    assert grown["E13toE18"] == [*ids[12:], e18] and grown[f"{e19}toE24"] == [e19]
    assert set(groups) < set(grown)


def test_tracks_read_the_shared_measurement_and_a_failed_claim_fails_only_its_own() -> None:
    cache: dict[str, tuple[float, float] | str] = {"E1": (0.5, 0.25), "E2": "ValueError: no case"}
    track = tightness.Tightness()
    assert track.track_ratio(cache, "E1") == 0.5
    assert track.track_late_ratio(cache, "E1") == 0.25
    with pytest.raises(RuntimeError, match=r"E2.*no case"):
        track.track_ratio(cache, "E2")
    with pytest.raises(NotImplementedError, match="E3"):
        track.setup(cache, "E3")


def test_e10_track_is_b7_tightness_and_moves_when_b7_is_loosened(monkeypatch: pytest.MonkeyPatch) -> None:
    # E10's ratio is max error / B7: nonzero while the claim holds, and a check weakened by a
    # looser B7 (here 4x) lowers the track by that factor instead of leaving it at 0.
    ratio, late = tightness.ratios("E10")
    assert 0.0 < late <= ratio < 1.0
    correct = bounds.approximation_bound
    monkeypatch.setattr(bounds, "approximation_bound", lambda *a, **k: 4.0 * correct(*a, **k))
    weak, _ = tightness.ratios("E10")
    assert math.isclose(weak, ratio / 4.0, rel_tol=1e-6)


# -- committed history -------------------------------------------------------------------------


def test_a_results_set_is_committed_and_names_its_machine() -> None:
    machines = committed_machines()
    assert machines, ".gitignore keeps no asv_bench/results/<machine>/ directory"
    for machine in machines:
        info = json.loads((RESULTS / machine / "machine.json").read_text())
        assert info["machine"] == machine
        assert info["version"] == 1


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


@pytest.mark.parametrize("machine", committed_machines())
def test_history_files_are_asv_results_of_distinct_commits_of_the_history(machine: str) -> None:
    files = history_files(machine)
    commits = set()
    for path in files:
        doc = _load(path)
        assert doc["version"] == 2, path.name  # asv's results format
        assert doc["params"]["machine"] == machine, path.name
        assert _HASH.match(doc["commit_hash"]) and path.name.startswith(doc["commit_hash"][:8]), path.name
        columns = doc["result_columns"]
        assert columns[:3] == ["result", "params", "version"], path.name
        values = [row[0] for row in doc["results"].values()]
        # at least one benchmark measured something (not only failures and skips)
        assert any(v is not None and any(x is not None and x == x for x in v) for v in values), path.name
        commits.add(doc["commit_hash"])
    assert len(commits) >= 2, f"{machine}: the dashboard needs more than one commit, has {len(commits)}"
    assert any("tightness.Tightness" in key for path in files for key in _load(path)["results"])
    if (REPO / ".git").exists():
        for commit in commits:  # the dashboard plots commits of the repository's branches only
            git = ["git", "-C", str(REPO), "cat-file", "-t", commit]
            out = subprocess.run(git, capture_output=True, text=True)
            assert out.stdout.strip() == "commit", f"{commit} is not a commit of this repository"


@pytest.mark.parametrize("machine", committed_machines())
def test_history_results_carry_the_version_of_todays_benchmarks(machine: str) -> None:
    discovery = pytest.importorskip("asv_runner.discovery")
    sys.path.insert(0, str(REPO / "asv_bench"))
    try:
        found = discovery.disc_benchmarks(str(REPO / "asv_bench" / "benchmarks"))
        current = {b.name: b.version for b in found}
    finally:
        sys.path.remove(str(REPO / "asv_bench"))
    for cid in claims.ids():
        group = next(name for name, cls in tightness.GROUPS.items() if cid in cls.params)
        assert f"tightness.{group}.track_ratio" in current
    assert "tightness.Tightness.track_ratio" in current and "tightness.Tightness.track_late_ratio" in current
    stale = sorted(
        key
        for path in history_files(machine)
        for key, row in _load(path)["results"].items()
        if key in current and row[2] != current[key]
    )
    assert not stale, f"asv publish drops these results (their benchmark's code changed): {stale}"
