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

Late floors (:data:`LATE_FLOORS`): the overall ratio is attained at ``t = 0`` for most bounds, so
the corpus also holds the worst cases of the late objective (``ratio_late``, the largest ratio
over ``t >= T/2``, at ``T >= 16``) in each memory regime, below, at and above the cutoff
(:data:`verif.search.REGIMES`); each claim and regime keeps 0.9 of the late ratio found
(:data:`LATE_FOUND`), a relative margin since those ratios span three orders of magnitude.
Part floors (:data:`PART_FLOORS`): each term of a bound that is a sum or a recursion keeps 0.9
of what its part search found (:data:`PART_FOUND`; a negative part ratio of B8 is divided by
0.9), so a term made smaller fails even where another term dominates.

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
from verif.config import RNNConfig

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
#: The largest part ratio the part searches found (``verif search --objectives <part> --budget 300
#: --top 3 --seed 0``; E11: ``--budget 200 --top 2``), for the bounds that are a sum or a
#: recursion of terms: B4's ``A_t, B_t, C_t`` (E5's Hessian blocks ``ww, wu, uu``), B6's ``w`` and
#: ``u`` terms (E7, points moving one block), B9's two moved-feature terms (E15), B8's three
#: optimization terms (E11: the fraction of the term the inequality needs, negative where the
#: other terms alone cover the left side; :func:`verif.claims.e11_pgd_inequality.term_use`).
PART_FOUND: dict[str, float] = {
    "E5 ratio_ww": 0.9747,
    "E5 ratio_wu": 0.5456,
    "E5 ratio_uu": 0.999,
    "E7 ratio_w_only": 0.05417,
    "E7 ratio_u_only": 0.4757,
    "E11 ratio_dist": -1.769,
    "E11 ratio_grad": -0.2399,
    "E11 ratio_residual": -1.368e-07,
    "E15 ratio_moved_left": 0.6878,
    "E15 ratio_moved_right": 0.6243,
}
#: A part floor keeps this fraction of what was found (a relative margin): ``0.9 x`` for ``x >= 0``,
#: ``x / 0.9`` for ``x < 0``. For B8's terms a term multiplied by ``c < 1`` divides its part ratio
#: by ``c``: a positive one rises above 1, a negative one falls below its floor.
PART_MARGIN = 0.9


def part_floor(found: float) -> float:
    """The floor of a part whose search found ``found`` (:data:`PART_MARGIN`)."""
    return found * PART_MARGIN if found >= 0 else found / PART_MARGIN


PART_FLOORS: dict[str, float] = {
    **{f"{claim_id} {part}": 0.9 for claim_id in ("E3", "E4") for part in search.parts(claim_id)},
    **{key: part_floor(found) for key, found in PART_FOUND.items()},
}
#: The largest ratio over ``t >= T/2`` (``ratio_late``, :func:`verif.claims.base.per_time`) that the
#: late searches found at ``T >= 16`` (``verif search --objectives ratio_late@below ratio_late@at
#: ratio_late@above --budget 300 --top 3 --seed 0``), per claim and memory regime
#: (:data:`verif.search.REGIMES`): the overall ratio is attained at ``t = 0`` for most bounds,
#: so a term of a bound that acts only later (``mu_T``, the cutoff) shows here and not in FLOORS.
LATE_FOUND: dict[str, dict[str, float]] = {
    "E3": {"below": 0.450, "at": 0.174, "above": 0.152},
    "E4": {"below": 0.999, "at": 0.615, "above": 0.717},
    "E5": {"below": 0.243, "at": 0.0219, "above": 0.0223},
    "E6": {"below": 0.272, "at": 0.0953, "above": 0.101},
    "E7": {"below": 0.0634, "at": 0.00269, "above": 0.00176},
    "E15": {"below": 0.112, "at": 0.00239, "above": 0.00197},
}
#: The late floors keep this fraction of what was found: a relative margin, since the late ratios
#: span three orders of magnitude across the regimes.
LATE_MARGIN = 0.9
LATE_FLOORS: dict[str, float] = {
    f"{claim_id} {regime}": LATE_MARGIN * found
    for claim_id, by_regime in LATE_FOUND.items()
    for regime, found in by_regime.items()
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


def _late_entries(claim_id: str, regime: str) -> list[int]:
    """Indices of the corpus entries of ``claim_id`` at ``T >= 16`` in memory regime ``regime``."""
    out = []
    for k, item in enumerate(CORPUS.get(claim_id, [])):
        config = RNNConfig(**item["config"])
        if config.seq_len >= min(search.LATE_SEQ_LENS) and search.regime(config) == regime:
            out.append(k)
    return out


def test_every_part_the_search_covers_has_a_floor() -> None:
    assert set(PART_FLOORS) == {f"{c} {p}" for c in search.searchable() for p in search.parts(c)}


def test_every_bound_with_per_time_ratios_has_late_floors_in_every_regime() -> None:
    late = {c for c in search.searchable() if search.SPACES[c].late}
    assert set(LATE_FOUND) == late
    assert all(set(by_regime) == set(search.REGIMES) for by_regime in LATE_FOUND.values())


@pytest.mark.parametrize("key", sorted(LATE_FLOORS))
def test_corpus_reaches_the_late_floor_in_each_regime(backend_name: str, key: str) -> None:
    claim_id, regime = key.split()
    skip_if_damaged(claim_id)
    indices = _late_entries(claim_id, regime)
    assert indices, f"{claim_id}: no corpus entry at T >= 16 {regime} the cutoff"
    results = [replayed(claim_id, k, backend_name) for k in indices]
    best = max(search.score(r, search.LATE) for r in results)
    assert best >= LATE_FLOORS[key], (
        f"{claim_id} {regime} the cutoff: the corpus reaches only {best:.4g} of the bound over t >= T/2 "
        f"(late floor {LATE_FLOORS[key]:.4g}): a term acting late became looser or stopped being measured"
    )
