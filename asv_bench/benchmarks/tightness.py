"""Layer 6, tightness: each registered claim's largest measured/bound ratio (THEORY 9).

Each claim is measured with the ``numpy`` backend on a fixed, deterministic set of cases
(:func:`cases`): the configurations of :data:`CONFIGS` (both smooth activations, below, at and
above the cutoff of THEORY 4, every ``w_init`` law, small shapes) times :data:`SEEDS`, with the
options of :data:`CLAIM_CASES`, together with the committed corpus of worst cases
(``properties/corpus/<claim>.json``) replayed, where there is one. Two tracks per claim:

* ``track_ratio``: the largest ratio ``measured / bound``;
* ``track_late_ratio``: the largest ratio over ``t >= T/2`` of the same cases and corpus
  (``details['ratio_late']``, :func:`verif.claims.base.per_time`), ``nan`` for a claim without
  per-time ratios; the largest ratio is attained at ``t = 0`` for most bounds, so a term acting
  only later in the sequence shows in this track and not in the other.

The tracks come twice, from one measurement (``setup_cache``): ``Tightness`` holds every claim
(read with asv's ``x-axis = claim``: one series per commit), and ``TightnessE1toE6``,
``TightnessE7toE12``, ... hold :data:`GROUP_SIZE` claims each, so that a graph over the commits
has a legend entry and a distinct colour per claim. Both are generated from
:func:`verif.claims.ids`, so a newly registered claim gets its tracks with no new code.

Reading the track: ratio <= 1 is the claim holding; a fall to 0 means a check stopped
measuring (a weakened check), a rise means a tighter case was found (or a bound got sharper).

Which claims ``setup_cache`` measures: every registered claim, unless the environment variable
``VERIF_BENCH_CLAIMS`` (:data:`CLAIMS_ENV`) names some, comma-separated (``VERIF_BENCH_CLAIMS=E1,E10``):
then only those are measured, and the tracks of the others fail with a message naming the
variable (a track is never read from a claim that was not measured). ``tox -e bench-smoke`` sets
it to the claims its selection tracks; the dashboard runs leave it unset. An id that is not
registered is a ``ValueError`` naming the variable and the registered ids.

What a claim needs beyond the defaults is data in :data:`CLAIM_CASES`, taken from the
strategies its property in ``properties/`` draws from: the point kind of Omega
(``interior``, ``boundary``, ``corner``) for the claims that sample points, small widths for
the full Hessian of E6 and the generic Jacobian of E14, the trainable configurations of E11
and E12.
"""

from __future__ import annotations

import math
import os
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


def ratios(claim_id: str, backend: str = "numpy") -> tuple[float, float]:
    """``(largest ratio, largest late ratio)`` of ``claim_id`` over :func:`cases` and the corpus.

    The largest ``measured / bound``, and the largest ratio over ``t >= T/2``
    (``details['ratio_late']``), from one pass over the results; the late ratio is ``nan`` for
    a claim that reports no per-time ratio (an exact identity, E11, E12): there is no late
    ratio to track, which is not the same as a late ratio of 0.
    """
    results = [*case_results(claim_id, backend), *corpus_replays(claim_id, backend)]
    late = [float(r.details["ratio_late"]) for r in results if "ratio_late" in r.details]
    return max(float(r.ratio) for r in results), max(late) if late else math.nan


def largest_ratio(claim_id: str, backend: str = "numpy") -> float:
    """The largest ``measured / bound`` of ``claim_id`` (:func:`ratios`)."""
    return ratios(claim_id, backend)[0]


def largest_late_ratio(claim_id: str, backend: str = "numpy") -> float:
    """The largest ratio over ``t >= T/2`` of ``claim_id``, ``nan`` without one (:func:`ratios`)."""
    return ratios(claim_id, backend)[1]


def corpus_replays(claim_id: str, backend: str = "numpy") -> list[Any]:
    """The committed corpus entries of ``claim_id`` (``properties/corpus``), replayed.

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
    return [search.replay(entry, backend) for entry in entries]


#: The environment variable that limits the claims :func:`measure_all` measures.
CLAIMS_ENV = "VERIF_BENCH_CLAIMS"


def measured_claims() -> list[str]:
    """The claims :func:`measure_all` measures, in registry order: those named in
    :data:`CLAIMS_ENV` (comma-separated ids), or every registered claim when it is unset or empty.

    Raises ``ValueError`` for an id that is not registered, naming the variable and the ids allowed.
    """
    registered = claims.ids()
    raw = os.environ.get(CLAIMS_ENV, "")
    named = [part.strip() for part in raw.split(",") if part.strip()]
    if not named:
        return registered
    unknown = [cid for cid in named if cid not in registered]
    if unknown:
        raise ValueError(
            f"{CLAIMS_ENV}={raw!r}: unknown claim id(s) {', '.join(unknown)}; allowed: comma-separated "
            f"ids of {', '.join(registered)} (unset or empty: every claim)"
        )
    return [cid for cid in registered if cid in named]


def measure_all() -> dict[str, tuple[float, float] | str]:
    """:func:`ratios` of each claim of :func:`measured_claims`; for a claim whose measurement
    fails, or that :data:`CLAIMS_ENV` leaves out, a message instead.

    A failure is kept as its message rather than raised, so that it fails that claim's tracks
    alone (:meth:`_Tracks.value`), not every track sharing the cache.
    """
    selected = measured_claims()
    out: dict[str, tuple[float, float] | str] = {}
    for claim_id in claims.ids():
        if claim_id not in selected:
            out[claim_id] = f"left out by {CLAIMS_ENV}={os.environ[CLAIMS_ENV]!r}"
            continue
        try:
            out[claim_id] = ratios(claim_id)
        except Exception as exc:  # re-raised by the claim's own tracks
            out[claim_id] = f"{type(exc).__name__}: {exc}"
    return out


def claim_groups(ids: list[str], size: int) -> dict[str, list[str]]:
    """``ids`` in groups by claim number, ``E1``-``E<size>``, ``E<size+1>``-``E<2 size>``, ...

    A group is named by its range (``"E1toE6"``), not by the claims it holds, so that a claim
    registered later joins its group (or opens the next one) and no track changes its name.
    """
    out: dict[str, list[str]] = {}
    for claim_id in ids:
        lo = (int(claim_id.lstrip("E")) - 1) // size * size + 1
        out.setdefault(f"E{lo}toE{lo + size - 1}", []).append(claim_id)
    return out


class _Tracks:
    """The two tracks of the claims in ``params`` (unit: ratio; <= 1 holds).

    The measurements come from ``setup_cache``, which asv runs once per run for every class
    below (they share this one function), so that each claim is measured once for both tracks
    and both views.
    """

    params: ClassVar[list[str]] = []
    param_names: ClassVar[list[str]] = ["claim"]
    unit = "ratio"
    timeout = 600.0

    def setup_cache(self) -> dict[str, tuple[float, float] | str]:
        return measure_all()

    setup_cache.timeout = 1800.0  # type: ignore[attr-defined]

    def setup(self, cache: dict[str, tuple[float, float] | str], claim: str) -> None:
        if claim not in cache:
            raise NotImplementedError(f"claim {claim} is not registered in this version")

    @staticmethod
    def value(cache: dict[str, tuple[float, float] | str], claim: str) -> tuple[float, float]:
        entry = cache[claim]
        if isinstance(entry, str):
            raise RuntimeError(f"the tightness of {claim} was not measured: {entry}")
        return entry

    def track_ratio(self, cache: dict[str, tuple[float, float] | str], claim: str) -> float:
        """The largest measured/bound ratio over the cases and the corpus."""
        return self.value(cache, claim)[0]

    def track_late_ratio(self, cache: dict[str, tuple[float, float] | str], claim: str) -> float:
        """The largest ratio over ``t >= T/2``: a term of a bound acting late shows here."""
        return self.value(cache, claim)[1]


#: Claims per graph over the commits: asv plots at most the first 8 parameter values of a graph
#: unless asked for more, and flot's colours grow alike beyond its palette of a few, so a group
#: of six has every claim drawn, in a colour of its own, with its own legend entry.
GROUP_SIZE = 6


class Tightness(_Tracks):
    """Every registered claim in one benchmark: read it with ``x-axis = claim`` (one series per
    commit), or over the commits one group of :data:`GROUP_SIZE` at a time (``TightnessE1toE6``, ...)."""

    params: ClassVar[list[str]] = claims.ids()


#: ``TightnessE1toE6``, ``TightnessE7toE12``, ...: the claims of :func:`claim_groups`, generated
#: from the registry, so that a newly registered claim gets its tracks with no new code.
GROUPS: dict[str, type[_Tracks]] = {
    f"Tightness{name}": type(
        f"Tightness{name}",
        (_Tracks,),
        {"params": ids, "__module__": __name__, "__doc__": f"Tracks of claims {name}."},
    )
    for name, ids in claim_groups(claims.ids(), GROUP_SIZE).items()
}
globals().update(GROUPS)
