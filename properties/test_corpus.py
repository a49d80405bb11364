"""The tightness corpus: the worst cases found by longer searches, replayed under every profile.

``properties/corpus/<claim>.json`` holds, for every bound claim, the configurations where the
search (:func:`verif.search.worst_cases`, ``verif search --write``) found the largest
``measured / bound``, each with the seed, the check's options and the inputs written out. Two
properties, on both backends:

* every entry still holds (``ratio <= 1``), and on the backend that found it the check
  reproduces the recorded ratio (``1e-6`` relative): the quick ``ci`` run always visits the
  tightest known cases, so a bound made smaller than the truth there fails;
* each bound keeps its floor: the corpus reaches :data:`FLOORS` of the bound. A bound that
  silently becomes vacuous (looser), or a check that silently stops measuring, fails here.

Floors: ``0.9`` where the bound is attained at ``t = 0`` (B2, B3 with B1, B4, B5: the ratios
found are 0.999-1); elsewhere the ratio recorded when the corpus was built, less a margin of
``0.05`` (B6: 0.688; at ``m = 2``, ``T = 1`` the error is ``|r(a) - r(b)|/sqrt(2)`` with
``r`` the Taylor remainder of ``sigma`` at ``z_0 = 0`` and ``a = -b = 1.6``, whose largest value over
``z_0, a, b`` is 0.688 of B6 for tanh and sigmoid alike; B9: 0.728; B8: 0.322). B10 (E16): 0.9,
its drift of ``u`` being attained at ``T = 1`` (parts in :data:`PART_FLOORS`).

A damaged or foreign corpus file (not JSON, not a list, not named after a bound claim, an entry
with a wrong field or another claim's ``claim_id``) fails one test,
:func:`test_corpus_files_are_sound`, which names the file, the entry and what is wrong; the
sound files' entries are replayed as usual and the floors of the damaged claims are skipped.
``VERIF_CORPUS=<folder>`` replays another corpus folder (a candidate, before it is committed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from verif import claims, search
from verif.claims import ClaimResult

# Beside this file, not beside the imported package: an installed verif has no properties/.
CORPUS_DIR = Path(os.environ.get("VERIF_CORPUS") or Path(__file__).resolve().parent / "corpus")
CORPUS, PROBLEMS = search.read_corpus(CORPUS_DIR)
#: Claims whose corpus file has a problem: their floors are not measured (the file test fails).
DAMAGED = {p.claim for p in PROBLEMS}

#: Smallest largest-ratio the corpus must reach, per claim.
FLOORS: dict[str, float] = {
    "E3": 0.9,
    "E4": 0.9,
    "E5": 0.9,
    "E6": 0.9,
    "E7": 0.688 - 0.05,
    "E11": 0.322 - 0.05,
    "E15": 0.728 - 0.05,
    "E16": 0.9,
}
#: Floors of the parts of the claims whose ratio is the largest of several (``search.parts``): each
#: part has its own worst cases in the corpus (B1's ``|g_t| <= L_w,t`` is never attained at
#: ``t = 0``), so a term of B2 or B3 that became loose shows here even when another part is tight.
PART_FLOORS: dict[str, float] = {
    f"{claim_id} {part}": 0.9 for claim_id in ("E3", "E4") for part in search.parts(claim_id)
}
#: B10's parts: the drift of ``u`` is attained at ``T = 1`` (``z_0 -> 0``); the others at the
#: ratios recorded when the corpus was built, less 0.05.
PART_FLOORS.update(
    {
        "E16 ratio_drift_u": 0.9,
        "E16 ratio_drift_w": 0.7465 - 0.05,
        "E16 ratio_drift_F": 0.9128 - 0.05,
        "E16 ratio_inequality": 0.0752 - 0.05,
    }
)
#: How closely a replay on the finding backend must reproduce the recorded ratio: the same
#: arithmetic, but E5 and E6 take finite differences (rounding / h^2 ~ 1e-8 of the Hessian), so
#: another CPU's summation order may move their last digits.
REPLAY_RTOL = 1e-6

ENTRIES = [(claim_id, k, item) for claim_id, items in CORPUS.items() for k, item in enumerate(items)]
_REPLAYS: dict[tuple[str, int, str], ClaimResult] = {}


def replayed(claim_id: str, k: int, backend_name: str) -> ClaimResult:
    """The replay of entry ``k`` of ``claim_id`` on ``backend_name`` (once per session)."""
    key = (claim_id, k, backend_name)
    if key not in _REPLAYS:
        _REPLAYS[key] = search.replay(CORPUS[claim_id][k], backend_name)
    return _REPLAYS[key]


def test_corpus_files_are_sound() -> None:
    assert not PROBLEMS, f"damaged or foreign corpus files in {CORPUS_DIR}:\n" + "\n".join(map(str, PROBLEMS))


def test_every_bound_claim_has_corpus_entries_and_a_floor() -> None:
    bound_claims = {c.id for c in claims.all() if c.kind == "bound"}
    assert bound_claims == set(FLOORS) == set(search.searchable())
    missing = {c for c in bound_claims if not CORPUS.get(c)} - DAMAGED
    assert not missing, f"corpus entries missing for {sorted(missing)}"


def skip_if_damaged(claim_id: str) -> None:
    """A damaged file's floor is not measured: :func:`test_corpus_files_are_sound` names it."""
    if claim_id in DAMAGED:
        pytest.skip(f"{claim_id}: its corpus file is damaged (test_corpus_files_are_sound names it)")


@pytest.mark.parametrize(("claim_id", "k", "item"), ENTRIES, ids=[f"{c}-{k}" for c, k, _ in ENTRIES])
def test_corpus_entry_holds(backend_name: str, claim_id: str, k: int, item: dict[str, Any]) -> None:
    res = replayed(claim_id, k, backend_name)
    assert res.passed, res.describe()
    if backend_name == item["backend"]:
        recorded = float(item["ratio"])
        assert abs(res.ratio - recorded) <= REPLAY_RTOL * max(recorded, 1e-300), (
            f"{claim_id} corpus entry {k} no longer reproduces: ratio {res.ratio!r}, recorded {recorded!r}"
        )


@pytest.mark.parametrize("claim_id", sorted(FLOORS, key=lambda c: int(c[1:])))
def test_corpus_reaches_the_floor(backend_name: str, claim_id: str) -> None:
    skip_if_damaged(claim_id)
    results = [replayed(claim_id, k, backend_name) for k in range(len(CORPUS.get(claim_id, [])))]
    best = max(results, key=lambda r: r.ratio, default=None)
    assert best is not None, f"no corpus entries for {claim_id}"
    assert best.ratio >= FLOORS[claim_id], (
        f"{claim_id}: the corpus reaches only {best.ratio:.4g} of the bound (floor {FLOORS[claim_id]}): "
        f"the bound became looser or the check stopped measuring; {best.describe()}"
    )


@pytest.mark.parametrize("key", sorted(PART_FLOORS))
def test_corpus_reaches_the_floor_of_each_part(backend_name: str, key: str) -> None:
    claim_id, part = key.split()
    skip_if_damaged(claim_id)
    results = [replayed(claim_id, k, backend_name) for k in range(len(CORPUS.get(claim_id, [])))]
    best = max((search.score(r, part) for r in results), default=0.0)
    assert best >= PART_FLOORS[key], (
        f"{claim_id}: the corpus reaches only {best:.4g} of the bound in {part} (floor {PART_FLOORS[key]})"
    )
