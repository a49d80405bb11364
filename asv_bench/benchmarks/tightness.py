"""Layer 6, tightness: each registered claim's largest measured/bound ratio (THEORY 9).

``Tightness.track_ratio`` is parametrized by :func:`verif.claims.ids`, so a newly registered
claim gets its track with no new benchmark code. Each claim is measured with the ``numpy``
backend on a fixed, deterministic set of cases (:func:`cases`): the configurations of
:data:`CONFIGS` (both smooth activations, below, at and above the cutoff of THEORY 4, every
``w_init`` law, small shapes) times :data:`SEEDS`, with the options of :data:`CLAIM_CASES`; the
track is the largest ratio (a few seconds per claim), together with the ratios of the committed
corpus of worst cases (``properties/corpus/<claim>.json``) replayed, where there is one.

``Tightness.track_late_ratio`` is the largest ratio over ``t >= T/2`` of the same cases and
corpus (``details['ratio_late']``, :func:`verif.claims.base.per_time`), ``nan`` for a claim
without per-time ratios; the largest ratio is attained at ``t = 0`` for most bounds, so a term
acting only later in the sequence shows in this track and not in the other.

Reading the track: ratio <= 1 is the claim holding; a fall to 0 means a check stopped
measuring (a weakened check), a rise means a tighter case was found (or a bound got sharper).

What a claim needs beyond the defaults is data in :data:`CLAIM_CASES`, taken from the
strategies its property in ``properties/`` draws from: the point kind of Omega
(``interior``, ``boundary``, ``corner``) for the claims that sample points, small widths for
the full Hessian of E6 and the generic Jacobian of E14, the trainable configurations of E11
and E12.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, ClassVar

import verif
from verif import claims

from .common import REPO, require

#: The tightness corpus of the checkout (worst cases per claim), when there is one.
CORPUS_DIR = REPO / "properties" / "corpus"

#: ``(width, input_dim, seq_len, memory_alpha as a multiple of the cutoff, activation, w_init)``.
_GRID: list[tuple[int, int, int, float, str, str]] = [
    (2, 1, 1, 0.5, "tanh", "uniform"),
    (8, 2, 4, 1.0, "tanh", "rademacher"),
    (16, 3, 12, 1.5, "tanh", "constant"),
    (4, 5, 8, 0.9, "sigmoid", "uniform"),
    (8, 2, 4, 1.0, "sigmoid", "constant"),
    (16, 1, 12, 1.2, "sigmoid", "rademacher"),
]
RADII = {"rho_w": 1.0, "rho_u": 1.0, "nu_w": 0.5, "nu_u": 0.5}
SEEDS = (0, 1)
POINT_KINDS = ("interior", "boundary", "corner")


def grid(
    widths: tuple[int, ...] | None = None, input_dims: tuple[int, ...] | None = None, short_only: bool = False
) -> list[Any]:
    """The configurations of :data:`_GRID`, optionally with widths/input dims/alphas restricted."""
    out = []
    for k, (m, d, T, scale, act, law) in enumerate(_GRID):
        if widths is not None:
            m = widths[k % len(widths)]
        if input_dims is not None:
            d = input_dims[k % len(input_dims)]
        if short_only:
            scale = min(scale, 0.7)
        alpha = scale * verif.activations.get(act).cutoff
        out.append(
            verif.RNNConfig(
                width=m, input_dim=d, seq_len=T, memory_alpha=alpha, activation=act, w_init=law, **RADII
            )
        )
    return out


CONFIGS = grid()
KINDS = [{"kind": k} for k in POINT_KINDS]
STEP_SCALES = [{"step_scale": s} for s in (0.1, 1.0, 3.0)]
#: Per claim: configurations and an option list cycled over the cases (defaults: CONFIGS, [{}]).
CLAIM_CASES: dict[str, dict[str, Any]] = {
    **{cid: {"options": KINDS} for cid in ("E3", "E4", "E5", "E7", "E15")},
    "E14": {"configs": grid(widths=(2, 8), input_dims=(1, 3)), "options": KINDS},
    "E2": {"configs": grid(widths=(2, 4, 8)), "options": KINDS},
    "E6": {"configs": grid(widths=(2, 4, 8, 16), input_dims=(1, 2, 3)), "options": KINDS},
    "E10": {"options": [{"draws": 2**15}]},
    "E11": {"configs": grid(widths=(16, 64), input_dims=(1, 3))[:4], "options": STEP_SCALES},
    "E16": {"configs": grid(widths=(16, 64), input_dims=(1, 3)), "options": STEP_SCALES},
    "E12": {"configs": grid(widths=(16, 64), input_dims=(1, 3), short_only=True)[:4]},
}


def cases(claim_id: str) -> Iterator[tuple[Any, int, dict[str, Any]]]:
    """``(config, seed, options)`` for ``claim_id``, in a fixed order."""
    spec = CLAIM_CASES.get(claim_id, {})
    configs = spec.get("configs", CONFIGS)
    options = spec.get("options", [{}])
    k = 0
    for config in configs:
        for seed in SEEDS:
            yield config, seed, options[k % len(options)]
            k += 1


def case_results(claim_id: str, backend: str = "numpy") -> list[Any]:
    """The results of ``claim_id`` over :func:`cases`.

    A case the claim refuses (``ValueError``: a configuration outside its domain) is left out;
    if it refuses every case, the last refusal is raised, so the track fails visibly.
    """
    claim = claims.get(claim_id)
    results: list[Any] = []
    refusal: ValueError | None = None
    for config, seed, opts in cases(claim_id):
        try:
            results.append(claim.check(config, backend, seed, **opts))
        except ValueError as exc:
            refusal = exc
    if not results and refusal is not None:
        raise refusal
    return results


def largest_ratio(claim_id: str, backend: str = "numpy") -> float:
    """The largest ``measured / bound`` of ``claim_id`` over :func:`cases` and the corpus."""
    ratios = [r.ratio for r in case_results(claim_id, backend)]
    return max([*ratios, *corpus_ratios(claim_id, backend)])


def largest_late_ratio(claim_id: str, backend: str = "numpy") -> float:
    """The largest ratio over ``t >= T/2`` (``details['ratio_late']``) over :func:`cases` and the corpus.

    ``nan`` for a claim that reports no per-time ratio (an exact identity, E11, E12): there is
    no late ratio to track, which is not the same as a late ratio of 0.
    """
    late = [
        float(r.details["ratio_late"]) for r in case_results(claim_id, backend) if "ratio_late" in r.details
    ]
    late += corpus_ratios(claim_id, backend, key="ratio_late")
    return max(late) if late else math.nan


def corpus_ratios(claim_id: str, backend: str = "numpy", key: str | None = None) -> list[float]:
    """Ratios of the committed corpus entries of ``claim_id`` (``properties/corpus``), replayed.

    The corpus holds the worst cases that longer searches found; it is read from the checkout
    beside these benchmarks and replayed with ``verif.search.replay`` of the version under test
    (none before that module existed).
    """
    if not CORPUS_DIR.is_dir():
        return []
    try:
        search = require("search")
    except NotImplementedError:
        return []
    entries = search.load_corpus(CORPUS_DIR).get(claim_id, [])
    replays = [search.replay(entry, backend) for entry in entries]
    if key is None:
        return [float(r.ratio) for r in replays]
    return [float(r.details[key]) for r in replays if key in r.details]


class Tightness:
    """Largest measured/bound ratio of each registered claim (unit: ratio; <= 1 holds)."""

    params: ClassVar[list[str]] = claims.ids()
    param_names: ClassVar[list[str]] = ["claim"]
    unit = "ratio"
    timeout = 600.0

    def setup(self, claim: str) -> None:
        if claim not in claims.ids():
            raise NotImplementedError(f"claim {claim} is not registered in this version")

    def track_ratio(self, claim: str) -> float:
        return largest_ratio(claim)

    def track_late_ratio(self, claim: str) -> float:
        """The largest ratio over ``t >= T/2``: a term of a bound acting late shows here."""
        return largest_late_ratio(claim)
