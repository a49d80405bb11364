"""Tightness search: the configurations where a bound claim's ``measured / bound`` is largest.

A bound is only as well tested as the cases that reach it. :func:`worst_cases` searches the
configuration space of one bound claim for the largest ratio (THEORY section 9, exhibit X6):

* shapes (``m``, ``d``, ``T``, ``n``) come from small fixed sets, so that JAX compiles stay cached;
* every shape-free value is continuous: ``alpha`` (as a multiple of the cutoff ``1/sigma_1``,
  below, at and beyond it), the radii ``rho_w, rho_u``, ``nu_w, nu_u``, the input radius; the
  point kind of ``Omega``, the input law and the seeds (initialization, point, inputs) are
  discrete coordinates;
* random restarts (half the budget) and then a coordinate search from the best candidates:
  one coordinate moved at a time (a continuous value scaled, shifted or sent to an end of its
  range, a discrete one redrawn), the move kept when the ratio grows;
* a claim whose ratio is the largest of several parts (E3, E4) can be searched part by part
  (``part=``), since each part has worst cases of its own;
* the *late* objective (``part="ratio_late"`` with a ``regime``): the largest ratio over
  ``t >= T/2`` (:func:`verif.claims.base.per_time`), at ``T`` in :data:`LATE_SEQ_LENS` and
  ``alpha`` inside one memory regime of :data:`REGIMES` (below, at or above the cutoff), where
  ``mu_T`` and the cutoff act; the overall ratio is attained at ``t = 0`` for most bounds and
  says nothing about them. :func:`objectives` lists every objective of a claim.

Everything is drawn from ``numpy.random.default_rng(seed)``, so a search is deterministic for a
seed and a backend. Each result carries what replays it exactly: ``details["options"]`` (the
check's options, without the inputs) and ``details["inputs"]`` (the input recipe).

The corpus (``properties/corpus/<claim>.json``) keeps the worst cases found, with the inputs
written out, the library version, the backend and the search that found them; the property suite
replays every entry under every profile (:func:`replay`). ``verif search --write`` refreshes it:
it reads the corpus again and merges into it under the folder's lock (:data:`CORPUS_LOCK`), so
that two runs at once keep both runs' entries, and a folder it cannot write is exit status 3.

Public API::

    worst_cases(claim_id, *, budget=50, seed=0, backend="numpy", top=5, part=None, regime=None)
        -> list[ClaimResult]
    objectives(claim_id) -> list[(part, regime)]
    read_corpus(path=None) -> (dict[str, list[dict]], list[CorpusProblem])   # sound files + problems
    load_corpus(path=None) -> dict[str, list[dict]]      # {"E7": [entry, ...], ...}; raises if damaged
    save_corpus(corpus, path=None) -> list[Path]
    replay(entry, backend=None) -> ClaimResult
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from verif import activations, claims, data, filelock, validation
from verif.claims import ClaimResult, _key
from verif.claims.sampling import POINT_KINDS
from verif.config import W_INIT_LAWS, RNNConfig
from verif.exit_status import EnvironmentFailure

#: The lock file of a corpus folder, held while ``verif search --write`` merges into it.
CORPUS_LOCK = ".verif-corpus.lock"
#: Default location of the corpus, one ``<claim>.json`` per bound claim.
CORPUS_DIR = Path(__file__).resolve().parents[1] / "properties" / "corpus"
#: Input laws: uniform in the ball of radius ``r``, or on its sphere.
INPUT_LAWS = ("ball", "sphere")
#: Continuous coordinates and their ranges (``alpha_factor`` multiplies the cutoff ``1/sigma_1``).
CONTINUOUS: dict[str, tuple[float, float]] = {
    "alpha_factor": (0.0, 1.6),
    "rho_w": (0.0, 3.0),
    "rho_u": (0.0, 3.0),
    "nu_w": (0.0, 2.0),
    "nu_u": (0.0, 2.0),
    "input_radius": (0.0, 1.0),
}

#: The memory regimes of the late objective: ranges of ``alpha`` as a multiple of the cutoff
#: ``1/sigma_1`` (THEORY 4): below it (``a_0 < 1``), at it, above it.
REGIMES: dict[str, tuple[float, float]] = {
    "below": (0.3, 0.95),
    "at": (1.0, 1.0),
    "above": (1.05, 1.6),
}
#: Sequence lengths of the late objective (``T >= 16``: memory has time to act).
LATE_SEQ_LENS: tuple[int, ...] = (16, 32)
#: The details key the late objective maximizes.
LATE = "ratio_late"
#: Relative tolerance of :func:`regime` at the cutoff (``alpha = 1/sigma_1`` up to rounding).
REGIME_RTOL = 1e-9


def regime(config: RNNConfig) -> str:
    """The memory regime of ``config``: ``below``, ``at`` or ``above`` the cutoff ``sigma_1 alpha = 1``."""
    a0 = config.memory_alpha * float(activations.get(config.activation).require_smooth()[1])
    if abs(a0 - 1.0) <= REGIME_RTOL:
        return "at"
    return "below" if a0 < 1.0 else "above"


@dataclass(frozen=True)
class Space:
    """The search space of one claim: shape sets and the check's fixed options.

    Attributes:
        widths, input_dims, seq_lens, n_sequences: the fixed shape sets.
        options: options passed to every check (e.g. fewer extra widths for E4).
        kinds: whether the claim takes a point ``kind`` of ``Omega``.
        step_scale: whether the claim takes a continuous ``step_scale`` (E11, in ``[0.05, 4]``).
        parts: ``details`` keys of part ratios with worst cases of their own.
        late: whether the claim reports per-time ratios (``ratio_late``) to search.
    """

    widths: tuple[int, ...] = (2, 4, 8, 16, 64)
    input_dims: tuple[int, ...] = (1, 2, 3)
    seq_lens: tuple[int, ...] = (1, 2, 4, 8)
    n_sequences: tuple[int, ...] = (1, 3)
    options: tuple[tuple[str, Any], ...] = ()
    kinds: bool = True
    step_scale: bool = False
    parts: tuple[str, ...] = ()
    late: bool = True


#: The searchable claims: every bound claim of the registry.
SPACES: dict[str, Space] = {
    "E3": Space(parts=("ratio_outputs", "ratio_hidden")),
    "E4": Space(
        options=(("widths", ()),),
        parts=("ratio_gradient", "ratio_output", "ratio_neuron_g", "ratio_neuron_G"),
    ),
    "E5": Space(parts=("ratio_ww", "ratio_wu", "ratio_uu")),
    "E6": Space(widths=(2, 4, 8, 16), input_dims=(1, 2)),
    "E7": Space(parts=("ratio_w_only", "ratio_u_only")),
    "E11": Space(
        widths=(16, 64),
        input_dims=(1, 3),
        seq_lens=(2, 8),
        n_sequences=(3,),
        kinds=False,
        step_scale=True,
        late=False,
        parts=("ratio_dist", "ratio_grad", "ratio_residual"),
    ),
    "E15": Space(parts=("ratio_moved_left", "ratio_moved_right")),
    # E11's shapes plus T = 1 (where B10's drift bound of u is nearly attained); GD uses no rho.
    "E16": Space(
        widths=(16, 64),
        input_dims=(1, 3),
        seq_lens=(1, 2, 8),
        n_sequences=(3,),
        kinds=False,
        step_scale=True,
        late=False,
        parts=("ratio_inequality", "ratio_drift_w", "ratio_drift_u", "ratio_drift_F"),
    ),
}


def searchable() -> list[str]:
    """Ids of the claims :func:`worst_cases` can search."""
    return [c for c in claims.ids() if c in SPACES]


def make_inputs(config: RNNConfig, n: int, seed: int, law: str, radius: float) -> Any:
    """Inputs ``(n, T, d)``: uniform in the ball (``law="ball"``) or on the sphere, scaled by ``radius``."""
    if law not in INPUT_LAWS:
        raise ValueError(f"input law must be one of {list(INPUT_LAWS)}, got {law!r}")
    if not 0.0 <= radius <= 1.0:
        raise ValueError(f"input radius must be in [0, 1], got {radius}")
    X = np.asarray(data.random_inputs(config, n, seed), dtype=np.float64)
    if law == "sphere":
        X = X / np.maximum(np.linalg.norm(X, axis=-1, keepdims=True), 1e-300)
        X = X / np.maximum(1.0, np.linalg.norm(X, axis=-1, keepdims=True))
    return X * radius


def objectives(claim_id: str) -> list[tuple[str | None, str | None]]:
    """``(part, regime)`` of every search of a claim: the overall ratio ``(None, None)``, each part
    ``(part, None)``, and the late objective in each regime ``("ratio_late", regime)``."""
    if claim_id not in SPACES:
        return []
    late = [(LATE, r) for r in REGIMES] if SPACES[claim_id].late else []
    return [(None, None), *((p, None) for p in SPACES[claim_id].parts), *late]


def _in_regime(cand: dict[str, Any], regime_name: str | None) -> dict[str, Any]:
    """``cand`` with ``alpha_factor`` inside the regime and ``T`` in :data:`LATE_SEQ_LENS`, if any."""
    if regime_name is None:
        return cand
    lo, hi = REGIMES[regime_name]
    out = dict(cand, alpha_factor=float(np.clip(cand["alpha_factor"], lo, hi)))
    if out["seq_len"] not in LATE_SEQ_LENS:
        out["seq_len"] = LATE_SEQ_LENS[int(cand["seq_len"]).bit_length() % len(LATE_SEQ_LENS)]
    return out


def _draw(rng: np.random.Generator, space: Space) -> dict[str, Any]:
    """One random candidate."""
    cand: dict[str, Any] = {
        "width": int(rng.choice(space.widths)),
        "input_dim": int(rng.choice(space.input_dims)),
        "seq_len": int(rng.choice(space.seq_lens)),
        "n": int(rng.choice(space.n_sequences)),
        "activation": str(rng.choice(activations.smooth_names())),
        "w_init": str(rng.choice(W_INIT_LAWS)),
        "kind": str(rng.choice(POINT_KINDS)),
        "input_law": str(rng.choice(INPUT_LAWS)),
        "seed": int(rng.integers(2**31)),
        "input_seed": int(rng.integers(2**31)),
    }
    for name, (lo, hi) in CONTINUOUS.items():
        cand[name] = float(rng.uniform(lo, hi))
    # Radius 1 inputs and alpha at the cutoff are where several bounds are tight: draw them often.
    if rng.random() < 0.5:
        cand["input_radius"] = 1.0
    if rng.random() < 0.25:
        cand["alpha_factor"] = 1.0
    cand["step_scale"] = float(rng.uniform(0.05, 4.0))
    return cand


def _neighbour(rng: np.random.Generator, space: Space, cand: dict[str, Any]) -> dict[str, Any]:
    """``cand`` with one coordinate moved."""
    out = dict(cand)
    fresh = _draw(rng, space)
    name = str(
        rng.choice([*CONTINUOUS, "seed", "input_seed", "kind", "input_law", "width", "seq_len", "step_scale"])
    )
    if name in CONTINUOUS or name == "step_scale":
        lo, hi = CONTINUOUS.get(name, (0.05, 4.0))
        move = rng.random()
        if move < 0.1:  # an end of the range (a radius of 0, inputs on the sphere)
            out[name] = lo if rng.random() < 0.5 else hi
        elif move < 0.55:
            out[name] = float(np.clip(cand[name] * math.exp(rng.normal(0.0, 0.3)), lo, hi))
        else:
            out[name] = float(np.clip(cand[name] + rng.normal(0.0, 0.1 * (hi - lo)), lo, hi))
    else:
        out[name] = fresh[name]
    return out


def _case(claim_id: str, cand: dict[str, Any]) -> tuple[RNNConfig, dict[str, Any], dict[str, Any]]:
    """``(config, options, input recipe)`` of a candidate."""
    space = SPACES[claim_id]
    act = activations.get(cand["activation"])
    config = RNNConfig(
        width=cand["width"],
        input_dim=cand["input_dim"],
        seq_len=cand["seq_len"],
        memory_alpha=cand["alpha_factor"] * act.cutoff,
        activation=act.name,
        rho_w=cand["rho_w"],
        rho_u=cand["rho_u"],
        nu_w=cand["nu_w"],
        nu_u=cand["nu_u"],
        w_init=cand["w_init"],
    )
    options: dict[str, Any] = dict(space.options)
    if space.kinds:
        options["kind"] = cand["kind"]
    if space.step_scale:
        options["step_scale"] = cand["step_scale"]
    recipe = {
        "n": cand["n"],
        "seed": cand["input_seed"],
        "law": cand["input_law"],
        "radius": cand["input_radius"],
    }
    return config, options, recipe


def evaluate(claim_id: str, cand: dict[str, Any], backend: str = "numpy") -> ClaimResult:
    """Check one candidate; the result's details carry its options and input recipe."""
    config, options, recipe = _case(claim_id, cand)
    X = make_inputs(config, **recipe)
    res = claims.get(claim_id).check(config, backend, cand["seed"], X=X, **options)
    return dataclasses.replace(res, details={**res.details, "options": options, "inputs": recipe})


def parts(claim_id: str) -> list[str]:
    """The part ratios of a claim (``details`` keys) that :func:`worst_cases` can maximize."""
    return list(SPACES[claim_id].parts) if claim_id in SPACES else []


def late_ratio(res: ClaimResult) -> float | None:
    """``ratio_late`` of a result (:func:`verif.claims.base.per_time`), ``None`` where it has none."""
    value = res.details.get(LATE)
    return None if value is None else float(value)


def score(res: ClaimResult, part: str | None = None) -> float:
    """``res.ratio``, or the part ratio ``res.details[part]`` (infinite counts as ``1e300``)."""
    value = float(res.ratio if part is None else res.details[part])
    return value if math.isfinite(value) else 1e300


def worst_cases(
    claim_id: str,
    *,
    budget: int = 50,
    seed: int = 0,
    backend: str = "numpy",
    top: int = 5,
    part: str | None = None,
    regime: str | None = None,
) -> list[ClaimResult]:
    """The ``top`` configurations with the largest ``measured / bound`` found in ``budget`` checks.

    Deterministic for a ``seed`` (and backend); sorted by ratio, largest first; distinct
    ratios only. Half the budget goes to random restarts, the rest to a coordinate search from
    the best candidates so far (module docstring).

    ``part`` maximizes one part of a claim whose ratio is the largest of several (``parts``):
    e.g. B1's ``|g_t| <= L_w,t`` in E4 is never attained at ``t = 0`` (``g_0 = 0``), so its worst
    case lies where the memory terms count, unlike the overall ratio's (``||G_0|| = sigma_1``).

    ``regime`` (a key of :data:`REGIMES`) keeps ``alpha`` in that memory regime and ``T`` in
    :data:`LATE_SEQ_LENS`; with ``part="ratio_late"`` it is the late objective.

    Raises:
        ValueError: ``claim_id`` is not a searchable claim, ``part`` or ``regime`` not one of
            its objectives, or ``budget``/``top`` below 1.
    """
    if claim_id not in SPACES:
        raise ValueError(f"claim_id must be one of {searchable()} (the bound claims), got {claim_id!r}")
    allowed = parts(claim_id) + ([LATE] if SPACES[claim_id].late else [])
    if part is not None and part not in allowed:
        raise ValueError(f"part must be one of {allowed} for {claim_id}, got {part!r}")
    if regime is not None and regime not in REGIMES:
        raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}")
    for name, count in (("budget", budget), ("top", top)):
        if int(count) < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {count}")
    space = SPACES[claim_id]
    rng = np.random.default_rng([validation.require_seed(seed), _key(claim_id)])
    pool: list[tuple[float, dict[str, Any], ClaimResult]] = []

    def run(cand: dict[str, Any]) -> float:
        res = evaluate(claim_id, cand, backend)
        pool.append((score(res, part), cand, res))
        return score(res, part)

    restarts = max(1, int(budget) // 2)
    for _ in range(restarts):
        run(_in_regime(_draw(rng, space), regime))
    starts = sorted(pool, key=lambda e: -e[0])[: max(1, min(3, int(top)))]
    per_start = (int(budget) - restarts) // len(starts) if int(budget) > restarts else 0
    for best_score, best, _ in starts:
        for _ in range(per_start):
            cand = _in_regime(_neighbour(rng, space, best), regime)
            value = run(cand)
            if value > best_score:
                best_score, best = value, cand
    seen: set[str] = set()
    out: list[ClaimResult] = []
    for _, _, res in sorted(pool, key=lambda e: -e[0]):
        # Moves of a coordinate the claim ignores (nu for E3) repeat a case: one of each ratio.
        key = f"{score(res, part):.12g}"
        if key not in seen:
            seen.add(key)
            out.append(res)
        if len(out) == int(top):
            break
    return out


# --------------------------------------------------------------------------- the corpus


def entry(res: ClaimResult, found_by: dict[str, Any] | None = None) -> dict[str, Any]:
    """The corpus entry of a search result: config, seed, options with the inputs written out."""
    import verif

    options = dict(res.details["options"])
    recipe = dict(res.details["inputs"])
    options["X"] = make_inputs(res.config, **recipe).tolist()
    return {
        "claim_id": res.claim_id,
        "ratio": res.ratio,
        "measured": res.measured,
        "bound": res.bound,
        "config": res.config.to_dict(),
        "seed": res.seed,
        "backend": res.backend,
        "options": options,
        "inputs": recipe,
        "parts": {k: float(v) for k, v in res.details.items() if k.startswith("ratio_") and _is_real(v)},
        "version": verif.__version__,
        "found_by": dict(found_by or {}),
    }


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def replay(item: dict[str, Any], backend: str | None = None) -> ClaimResult:
    """Check a corpus entry again (on its own backend unless ``backend`` is given)."""
    options = dict(item["options"])
    if "X" in options:
        options["X"] = np.asarray(options["X"], dtype=np.float64)
    config = RNNConfig(**item["config"])
    claim = claims.get(item["claim_id"])
    return claim.check(config, backend or item["backend"], int(item["seed"]), **options)


@dataclass(frozen=True)
class CorpusProblem:
    """What is wrong with a corpus file (``entry=None``) or with one of its entries.

    Attributes:
        file: the corpus file.
        message: what is wrong and what is allowed.
        entry: the index of the entry in the file's list, or ``None`` for the whole file.
    """

    file: Path
    message: str
    entry: int | None = None

    @property
    def claim(self) -> str:
        """The claim the file is named after (``E7`` for ``E7.json``)."""
        return self.file.stem

    def __str__(self) -> str:
        where = str(self.file) if self.entry is None else f"{self.file}: entry {self.entry}"
        return f"{where}: {self.message}"


#: Fields every corpus entry has, with what they must be; ``parts``, ``found_by`` and
#: ``version`` are optional (:func:`entry` writes them).
ENTRY_FIELDS = ("claim_id", "ratio", "measured", "bound", "config", "seed", "backend", "options", "inputs")


def entry_problems(item: Any, claim_id: str, known_backends: Sequence[str] | None = None) -> list[str]:
    """What is wrong with a corpus entry of ``<claim_id>.json``: one message per field; empty when
    it replays (:func:`replay`): the fields of :data:`ENTRY_FIELDS` of the right types, the file's
    claim, a valid :class:`RNNConfig`, a known backend, inputs ``X`` of shape ``(n, T, d)``.
    ``known_backends``: :func:`verif.backends.names`, when the caller has it (it reads the
    installed packages' entry points).
    """
    from verif.backends import names as backend_names

    known = list(known_backends) if known_backends is not None else backend_names()
    if not isinstance(item, dict):
        return [f"must be a JSON object with the fields {list(ENTRY_FIELDS)}, got {type(item).__name__}"]
    missing = [k for k in ENTRY_FIELDS if k not in item]
    if missing:
        return [f"field {k!r} is missing" for k in missing]
    out: list[str] = []
    if item["claim_id"] != claim_id:
        out.append(f"claim_id {item['claim_id']!r} is not the file's claim {claim_id!r}")
    checks: list[tuple[str, Any]] = [
        ("ratio", lambda name, v: validation.require_real(name, v, 0.0)),
        ("measured", validation.require_real),
        ("bound", validation.require_real),
        ("seed", lambda name, v: validation.require_int(name, v, 0)),
    ]
    for name, check in checks:
        try:
            check(f"field {name!r}", item[name])
        except ValueError as exc:
            out.append(str(exc))
    for name in ("config", "options", "inputs", "parts", "found_by"):
        if name in item and not isinstance(item[name], dict):
            out.append(f"field {name!r} must be a JSON object, got {type(item[name]).__name__}")
    if not isinstance(item["backend"], str) or item["backend"] not in known:
        out.append(f"field 'backend' must be one of {known}, got {item['backend']!r}")
    if isinstance(item["config"], dict):
        try:
            config = RNNConfig(**item["config"])
        except (TypeError, ValueError) as exc:
            out.append(f"field 'config': {exc}")
        else:
            out += _inputs_problems(item["options"], config)
    return out


def _inputs_problems(options: Any, config: RNNConfig) -> list[str]:
    if not isinstance(options, dict) or "X" not in options:
        return []
    try:
        X = np.asarray(options["X"], dtype=np.float64)
    except (TypeError, ValueError):
        return ["field 'options.X' must be a nested list of numbers (n, T, d)"]
    if X.ndim != 3 or X.shape[1:] != (config.seq_len, config.input_dim) or not np.isfinite(X).all():
        return [
            f"field 'options.X' must be finite numbers of shape (n, {config.seq_len}, {config.input_dim}) "
            f"(n, T, d of the config), got shape {X.shape}"
        ]
    return []


def read_corpus_file(file: str | Path) -> tuple[list[dict[str, Any]], list[CorpusProblem]]:
    """The entries of one corpus file that replay, and the problems of the file and of the others.

    A file that cannot be read, is not JSON, is not a JSON list, or is not named after a bound
    claim the search covers (``E99.json``) gives no entries and one problem; an entry that is
    wrong (:func:`entry_problems`) is left out with one problem per field. A missing file is
    an empty corpus.
    """
    file = Path(file)
    if not file.exists():
        return [], []
    claim_id = file.stem
    if claim_id not in SPACES:
        why = (
            f"unknown claim id {claim_id!r} (the file name): corpus files are <claim>.json for {searchable()}"
        )
        return [], [CorpusProblem(file, why)]
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return [], [CorpusProblem(file, "not UTF-8 text")]
    except OSError as exc:
        return [], [CorpusProblem(file, f"cannot be read ({exc.strerror})")]
    try:
        items = validation.parse_json(text)
    except json.JSONDecodeError as exc:
        empty = " (the file is empty)" if not text.strip() else ""
        return [], [CorpusProblem(file, f"invalid JSON at line {exc.lineno}:{exc.colno}: {exc.msg}{empty}")]
    if not isinstance(items, list):
        return [], [CorpusProblem(file, f"must hold a JSON list of entries, got {type(items).__name__}")]
    from verif.backends import names as backend_names

    known = backend_names()  # once per file, not per entry
    good: list[dict[str, Any]] = []
    problems: list[CorpusProblem] = []
    for k, item in enumerate(items):
        wrong = entry_problems(item, claim_id, known)
        problems += [CorpusProblem(file, message, k) for message in wrong]
        if not wrong:
            good.append(item)
    return good, problems


def read_corpus(
    path: str | Path | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], list[CorpusProblem]]:
    """The entries of every corpus file that replay, by claim id, and every problem found.

    Every ``*.json`` of the folder is read (:func:`read_corpus_file`): a damaged or foreign
    file is named in the problems and leaves the other files' entries intact.
    """
    root = Path(path) if path is not None else CORPUS_DIR
    out: dict[str, list[dict[str, Any]]] = {}
    problems: list[CorpusProblem] = []
    for file in sorted(root.glob("*.json")):
        entries, wrong = read_corpus_file(file)
        problems += wrong
        if entries:
            out[file.stem] = entries
    return dict(sorted(out.items(), key=lambda kv: _key(kv[0]))), problems


def load_corpus(path: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """The corpus by claim id: ``{"E7": [entry, ...], ...}`` from ``<path>/<claim>.json``, strictly.

    For the callers that must see the whole corpus or nothing (``verif search --write``, which
    rewrites files, the benchmarks); :func:`read_corpus` keeps the sound files of a damaged folder.

    Raises:
        ValueError: some file or entry is damaged or foreign; the message names each one.
    """
    corpus, problems = read_corpus(path)
    if problems:
        raise ValueError(f"corpus: {len(problems)} problem(s): " + "; ".join(map(str, problems)))
    return corpus


def save_corpus(corpus: dict[str, list[dict[str, Any]]], path: str | Path | None = None) -> list[Path]:
    """Write ``<path>/<claim>.json`` for each claim of ``corpus``, entries by ratio (largest first).

    Each file is written beside itself and renamed into place, so that it is either the old file
    or the new one, never a truncated one.
    """
    root = Path(path) if path is not None else CORPUS_DIR
    root.mkdir(parents=True, exist_ok=True)
    written = []
    for claim_id, entries in corpus.items():
        claims.get(claim_id)
        file = root / f"{claim_id}.json"
        ordered = sorted(entries, key=lambda e: -float(e["ratio"]))
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(ordered, indent=1, sort_keys=True) + "\n")
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(file)
    return written


# --------------------------------------------------------------------------- verif search


def add_parser(subparsers: Any) -> None:
    """Register ``verif search`` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "search",
        help="search the configurations where bound claims are tightest; refresh the corpus",
        description="Largest measured/bound ratio per claim (random restarts + coordinate search).",
    )
    p.add_argument("--claims", nargs="+", default=None, help=f"claim ids (default: {searchable()})")
    p.add_argument(
        "--budget",
        type=validation.int_option(1, validation.COUNT_MAX),
        default=50,
        help=f"checks per claim, in [1, {validation.COUNT_MAX:_}] (default 50)",
    )
    p.add_argument(
        "--seed",
        type=validation.parse_number,
        default=0,
        help="search seed, in [0, 2**63 - 1] (default 0)",
    )
    p.add_argument("--backend", default="numpy", help="backend (default numpy)")
    p.add_argument(
        "--top",
        type=validation.int_option(1, validation.COUNT_MAX),
        default=5,
        help=f"configurations kept per claim, in [1, {validation.COUNT_MAX:_}] (default 5)",
    )
    p.add_argument("--write", action="store_true", help="merge the results into the corpus")
    p.add_argument("--corpus", default=None, help="corpus folder (default properties/corpus)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument(
        "--objectives",
        nargs="+",
        default=None,
        help="objectives to search (default all): ratio, a part (ratio_hidden), ratio_late@below|at|above",
    )
    p.set_defaults(handler=run_cli)


def run_cli(args: argparse.Namespace) -> str:
    """``verif search``: the top configurations per claim; with ``--write`` merge them into the corpus."""
    ids = args.claims or searchable()
    for claim_id in ids:
        if claim_id not in SPACES:
            raise ValueError(f"--claims must name claims among {searchable()}, got {claim_id!r}")
    # --write rewrites corpus files: it refuses a folder it cannot read whole (a damaged or
    # foreign file), before searching, rather than drop the entries it could not read.
    if args.write:
        load_corpus(args.corpus)
    options = {"budget": args.budget, "seed": args.seed, "backend": args.backend, "top": args.top}
    wanted = args.objectives
    if wanted is not None:
        known = {_objective_name(p, g) for c in ids for p, g in objectives(c)}
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"--objectives must be among {sorted(known)}, got {unknown}")
    found = {
        (c, part, reg): worst_cases(c, part=part, regime=reg, **options)
        for c in ids
        for part, reg in objectives(c)
        if wanted is None or _objective_name(part, reg) in wanted
    }
    lines = []
    if args.write:
        root = Path(args.corpus) if args.corpus is not None else CORPUS_DIR
        try:
            # Read again and merge under the folder's lock: another run may have written since.
            with filelock.exclusive(root / CORPUS_LOCK):
                corpus = load_corpus(root)
                for (c, part, reg), results in found.items():
                    how = {"budget": args.budget, "seed": args.seed, "part": part}
                    if reg is not None:
                        how["regime"] = reg
                    corpus[c] = merge(corpus.get(c, []), [entry(r, how) for r in results], args.top)
                lines += [f"wrote {file}" for file in save_corpus({c: corpus[c] for c in ids}, root)]
        except OSError as exc:  # a full disk, a file where the folder should be: each file is old or new
            where = args.corpus or CORPUS_DIR
            raise EnvironmentFailure(f"cannot write the corpus in {where} ({exc.strerror or exc})") from exc
    if args.json:
        return json.dumps(
            {f"{c} {_objective_name(p, g)}": [r.to_dict() for r in rs] for (c, p, g), rs in found.items()}
        )
    for (c, part, reg), results in found.items():
        name = _objective_name(part, reg)
        lines.append(f"{c} {name}: " + ", ".join(f"{score(r, part):.4g}" for r in results))
    return "\n".join(lines)


def _objective_name(part: str | None, regime_name: str | None) -> str:
    """``ratio``, the part (``ratio_hidden``) or the late objective in a regime (``ratio_late@below``)."""
    name = part or "ratio"
    return name if regime_name is None else f"{name}@{regime_name}"


def merge(old: list[dict[str, Any]], new: list[dict[str, Any]], keep: int) -> list[dict[str, Any]]:
    """Per objective (the overall ratio, or the part and regime in ``found_by``), the ``keep``
    entries of ``old + new`` that score highest; one entry per case (config, seed, backend,
    inputs, options).
    """
    groups: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
    for item in [*old, *new]:
        how = item.get("found_by", {})
        groups.setdefault((how.get("part"), how.get("regime")), []).append(item)
    out: dict[str, dict[str, Any]] = {}
    for (part, _), items in groups.items():
        best: dict[str, dict[str, Any]] = {}
        for item in items:
            key = _case_key(item)
            if key not in best or _item_score(item, part) > _item_score(best[key], part):
                best[key] = item
        for item in sorted(best.values(), key=lambda e: -_item_score(e, part))[: max(int(keep), 1)]:
            out.setdefault(_case_key(item), item)
    return list(out.values())


def _case_key(item: dict[str, Any]) -> str:
    options = {k: v for k, v in item["options"].items() if k != "X"}
    case = [item["config"], item["seed"], item["backend"], item["inputs"], options]
    return json.dumps(case, sort_keys=True)


def _item_score(item: dict[str, Any], part: str | None) -> float:
    return float(item["ratio"] if part is None else item.get("parts", {}).get(part, 0.0))
