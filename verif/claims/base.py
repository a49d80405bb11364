"""The claim record and registry shared by every front end (THEORY section 9).

A claim measures one quantity on a configuration, a backend and a seed, and compares it with
a bound from :mod:`verif.bounds` (or, for an exact identity, with a dtype-scaled tolerance).
It returns a :class:`ClaimResult`: the property tests assert ``result.passed``, the
benchmarks track ``result.ratio``, the report tabulates results; none recomputes theory.

Convention: ``ratio = measured / (bound + floor)`` and the claim holds when ``ratio <= 1``.
``floor`` is the floating-point floor of the comparison (:mod:`verif.floors`): how far rounding
alone can move the measured value (and the bound), stated in ``details['floor']``; it is of
order ``u`` times the size of the terms, so ``ratio`` is ``measured / bound`` to many digits
wherever the bound is not itself at the rounding level. For an exact identity ``measured`` is
an error and ``bound`` its tolerance.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

import numpy as np

from verif import data
from verif import params as params_mod
from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.config import RNNConfig
from verif.params import FloatArray, Params
from verif.validation import require_count, require_real, require_seed, shown

Kind = Literal["exact", "bound", "statistical"]
#: How a claim module declares its options: a name (any value) or ``(name, allowed values)``.
OptionSpec = str | tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class ClaimResult:
    """One measurement of a claim.

    Attributes:
        claim_id: ``E1`` .. ``E13``.
        measured: the measured quantity (an error for exact claims).
        bound: what THEORY allows (a tolerance for exact claims).
        ratio: ``measured / (bound + floor)``; the claim holds when ``ratio <= 1``.
        passed: ``ratio <= 1`` (and any side conditions the claim lists in ``details``).
        config: the configuration that reproduces the result.
        seed: the seed that reproduces the result.
        backend: backend name.
        details: further named numbers (per-part ratios, side conditions); ``floor`` is the
            floating-point floor of the comparison (:mod:`verif.floors`).
    """

    claim_id: str
    measured: float
    bound: float
    ratio: float
    passed: bool
    config: RNNConfig
    seed: int
    backend: str
    details: dict[str, Any] = field(default_factory=dict)

    def verdict(self, fail: str = "VIOLATED") -> str:
        """``holds`` or ``fail``, with the test that decided it where that is not the ratio
        (:func:`verdict`)."""
        return verdict(self.passed, self.ratio, self.details, fail)

    def describe(self) -> str:
        """One line that says what failed or passed and how to reproduce it."""
        status = self.verdict()
        extra = "".join(f" {k}={_fmt(v)}" for k, v in self.details.items())
        return (
            f"{self.claim_id} {status}: ratio={self.ratio:.6g} measured={self.measured:.6g} "
            f"bound={self.bound:.6g} backend={self.backend} seed={self.seed}{extra} "
            f"config={self.config!r}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "claim_id": self.claim_id,
            "measured": self.measured,
            "bound": self.bound,
            "ratio": self.ratio,
            "passed": self.passed,
            "config": self.config.to_dict(),
            "seed": self.seed,
            "backend": self.backend,
            "details": {k: _jsonable(v) for k, v in self.details.items()},
        }


#: The detail in which a claim names, in a few words, the test that decided its verdict where
#: that is not ``ratio <= 1`` (a side condition such as E6's coupling check, E10's frequency test).
VERDICT_BY = "verdict_by"


def verdict(passed: bool, ratio: Any, details: Mapping[str, Any], fail: str = "VIOLATED") -> str:
    """The printed verdict of a result: the one place every front end formats it.

    ``holds`` or ``fail`` (``VIOLATED``; the conformance table says ``FAIL``). Where the verdict
    is not the one ``ratio <= 1`` gives alone, the line says why in parentheses, so that a failure
    with a ratio below 1 (or a pass above it) explains itself: the claim's
    ``details['verdict_by']`` (``"model check: neurons coupled"``), else for a failure the kind of
    defect it recorded (``details['defect_kind']``), else ``side condition, not the ratio``. A
    failure that names its deciding test says it whatever the ratio.

    Args:
        passed: the result's verdict.
        ratio: ``measured / (bound + floor)`` (a float, or the strings ``"inf"``/``"nan"`` of a
            JSON record).
        details: the result's details.
    """
    by = details.get(VERDICT_BY)
    by = by if isinstance(by, str) and by else ""
    try:
        by_ratio = float(ratio) <= 1.0
    except (TypeError, ValueError):
        by_ratio = not passed
    if passed:
        return "holds" if by_ratio else f"holds ({by or 'by its own test, not the ratio'})"
    if by:
        return f"{fail} ({by})"
    if not by_ratio:
        return fail
    kind = details.get("defect_kind")
    return f"{fail} ({kind if isinstance(kind, str) and kind else 'side condition, not the ratio'})"


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else repr(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v


def safe_ratio(measured: float, bound: float) -> float:
    """``measured / bound`` with ``0/0 = 0`` and ``x/0 = inf`` for ``x > 0``."""
    if bound > 0:
        return float(measured) / float(bound)
    return 0.0 if measured <= 0 else math.inf


def _entry_ratios(measured_t: Any, bound_t: Any, floor_t: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(m, b, r)`` of shape ``(k, T)``: measured, bound and ``m / (b + floor)`` per entry
    (``0/0 = 0``, ``x/0 = inf``), the leading axes flattened; ``bound_t`` and ``floor_t``
    broadcast to the shape of ``measured_t``."""
    m_t = np.asarray(measured_t, dtype=float)
    b_t = np.asarray(bound_t, dtype=float)
    d_t = b_t + np.asarray(floor_t, dtype=float)
    try:
        shape = np.broadcast_shapes(m_t.shape, d_t.shape)
    except ValueError:
        shape = None
    if m_t.ndim < 1 or shape != m_t.shape:
        raise ValueError(
            f"measured_t (..., T) and bound_t must have one shape, got {m_t.shape} and {b_t.shape}"
        )
    T = m_t.shape[-1]
    m = m_t.reshape(-1, T)
    b = np.broadcast_to(b_t, m_t.shape).reshape(-1, T)
    d = np.broadcast_to(d_t, m_t.shape).reshape(-1, T)
    r = np.where(d > 0, m / np.where(d > 0, d, 1.0), np.where(m > 0, np.inf, 0.0))
    return m, b, r


def time_ratios(measured_t: Any, bound_t: Any, floor_t: Any = 0.0) -> FloatArray:
    """Entrywise ``measured_t / (bound_t + floor_t)`` (``0/0 = 0``, ``x/0 = inf``), largest over the
    leading axes: shape ``(T,)`` for arrays of shape ``(..., T)`` (``floor_t`` broadcasts)."""
    return np.asarray(np.max(_entry_ratios(measured_t, bound_t, floor_t)[2], axis=0), dtype=float)


class PerTime(TypedDict):
    """The per-time ratios of :func:`per_time`."""

    ratio_last: float
    ratio_late: float
    measured_last: float
    bound_last: float


def per_time(measured_t: Any, bound_t: Any, floor_t: Any = 0.0) -> PerTime:
    """The tightness of a bound late in the sequence (THEORY 9, per-time ratios).

    With ``r_t = measured_t / (bound_t + floor_t)`` (:func:`time_ratios`; arrays ``(..., T)``, the
    largest over the leading axes, e.g. over pairs of points or parts), returns

    * ``ratio_last``: ``r_{T-1}``, the ratio at the last time step, where ``mu_T`` and the
      cutoff act;
    * ``ratio_late``: ``max_{t >= T/2} r_t`` (``t >= floor(T/2)``), the largest ratio over the
      second half of the sequence;
    * ``measured_last`` and ``bound_last``: the measured value and the bound (without the floor)
      at ``t = T-1``, at the leading index that gives ``ratio_last``: what a figure against ``m``
      draws at a fixed ``t``, where the memory regime acts (the record's ``measured`` and
      ``bound`` are at the ``t`` of the largest ratio, which moves with ``m``).

    The claim's overall ratio is ``max_t r_t``; a bound attained only at ``t = 0`` shows here
    as ``ratio_late`` far below it.
    """
    m, b, r = _entry_ratios(measured_t, bound_t, floor_t)
    T = r.shape[1]
    worst = np.max(r, axis=0)
    k = int(np.argmax(r[:, T - 1]))
    return PerTime(
        ratio_last=float(worst[T - 1]),
        ratio_late=float(np.max(worst[T // 2 :])),
        measured_last=float(m[k, T - 1]),
        bound_last=float(b[k, T - 1]),
    )


def result(
    claim_id: str,
    measured: float,
    bound: float,
    config: RNNConfig,
    seed: int,
    backend: Backend,
    passed: bool | None = None,
    *,
    floor: float = 0.0,
    **details: Any,
) -> ClaimResult:
    """Build a :class:`ClaimResult`; ``passed`` defaults to ``ratio <= 1``.

    ``ratio = measured / (bound + floor)`` (:func:`safe_ratio`): a measured value within the
    floating-point ``floor`` of the bound (:mod:`verif.floors`) is not a violation. The floor
    is recorded as ``details['floor']``.
    """
    if not floor >= 0.0:
        raise ValueError(f"floor must be >= 0, got {floor}")
    ratio = safe_ratio(measured, bound + floor)
    ok = (ratio <= 1.0) if passed is None else bool(passed and ratio <= 1.0)
    return ClaimResult(
        claim_id=claim_id,
        measured=float(measured),
        bound=float(bound),
        ratio=ratio,
        passed=ok,
        config=config,
        seed=int(seed),
        backend=backend.name,
        details={"floor": float(floor), **details},
    )


def claim_inputs(config: RNNConfig, X: Any, n: int, seed: int | np.random.Generator) -> Any:
    """The inputs a claim measures on: ``X`` if given, else ``n`` sequences drawn from ``seed``.

    Either way they are checked against ``config`` and the unit ball ``||x_t|| <= 1`` that every
    bound of THEORY 8 assumes. A ``Generator`` seed is drawn from only when ``X`` is omitted.
    """
    if X is None:
        data_seed = int(seed.integers(2**32)) if isinstance(seed, np.random.Generator) else int(seed)
        X = data.random_inputs(config, n, data_seed)
    return data.validate_inputs(X, input_dim=config.input_dim, seq_len=config.seq_len, unit_ball=True)


#: Options that count something (sequences ``n``, points, pairs, steps ``tau``, draws ``N``,
#: initializations ``S`` ...): an integer in ``[1, COUNT_MAX]``, never a float (``3.5`` would be
#: cut to 3, ``1e400`` is no number of anything) nor a bool.
COUNT_OPTIONS = frozenset(
    {"n", "points", "pairs", "steps", "trials", "neurons", "max_dim", "draws", "init_seeds", "width_seeds"}
)
#: Options that are real numbers (a step ``eta``, ``eps``, ``delta``, a margin ...): finite.
#: ``step_size`` may also be ``null`` (the NTK step). Ranges beyond finiteness are the claim's.
REAL_OPTIONS = frozenset(
    {"step", "step_size", "step_scale", "eps", "delta", "mc_delta", "gamma", "margin", "y_max", "decades"}
)


def check_option_kind(label: str, key: str, value: Any) -> None:
    """Refuse a count option that is not an integer in ``[1, COUNT_MAX]``, or a real option that
    is not a finite number, with a message starting ``label``; other options pass."""
    if key in COUNT_OPTIONS:
        require_count(label, value)
    elif key in REAL_OPTIONS and not (key == "step_size" and value is None):
        require_real(label, value)


def count_option(options: Mapping[str, Any], name: str, default: int) -> int:
    """The option ``name`` (a number of points, pairs ...) as an ``int`` in ``[1, COUNT_MAX]``."""
    return require_count(name, options.get(name, default))


def init_and_inputs(
    config: RNNConfig, seed: int, options: Mapping[str, Any], n: int = 3
) -> tuple[np.random.Generator, Params, Any]:
    """``(rng, Theta_0, X)`` for a claim that samples ``Omega`` around one initialization.

    Draws in a fixed order from ``rng = default_rng(seed)``: the symmetric initialization's
    seed, then (only when ``options`` has no ``X``) the seed of ``options.get("n", n)``
    sequences; the returned ``rng`` then draws the points of ``Omega``.
    """
    rng = np.random.default_rng(seed)
    params = params_mod.symmetric_init(config, int(rng.integers(2**32)))
    X = claim_inputs(config, options.get("X"), int(options.get("n", n)), rng)
    return rng, params, X


class CheckFn(Protocol):
    """``check(config, backend, seed, **options) -> ClaimResult``."""

    def __call__(self, config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult: ...


@dataclass(frozen=True)
class Claim:
    """A claim of THEORY section 9.

    Attributes:
        id: ``E1`` .. ``E13``.
        title: short statement.
        theory: the THEORY section or bound it checks (``"B6"``, ``"section 2"``).
        kind: ``exact`` (identity up to rounding), ``bound`` (inequality) or ``statistical``
            (frequency or seed-averaged trend with a margin).
        check_fn: the measurement.
        smooth_only: whether the claim needs an activation inside the theory.
        options: the options ``check`` accepts, by name: their allowed values, or ``None`` for
            any value (the claim checks those itself).
    """

    id: str
    title: str
    theory: str
    kind: Kind
    check_fn: CheckFn
    smooth_only: bool = True
    options: Mapping[str, tuple[Any, ...] | None] = field(default_factory=dict, hash=False)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """``ValueError``/``TypeError`` naming the option, the claim and what is allowed, for an
        option the claim does not declare, a value outside its allowed set, or a count
        (:data:`COUNT_OPTIONS`) or real number (:data:`REAL_OPTIONS`) of the wrong kind."""
        for key, value in options.items():
            if key not in self.options:
                raise ValueError(f"{self.id} has no option {key!r}; its options are {sorted(self.options)}")
            allowed = self.options[key]
            if allowed is not None and not (isinstance(value, Hashable) and value in allowed):
                raise ValueError(
                    f"option {key} of {self.id} must be one of {list(allowed)}, got {shown(value)}"
                )
            check_option_kind(f"option {key} of {self.id}", key, value)

    def check(
        self, config: RNNConfig, backend: str | Backend = "numpy", seed: int = 0, **options: Any
    ) -> ClaimResult:
        """Measure the claim on ``config`` with ``backend`` and ``seed``.

        ``seed`` must be an integer in ``[0, 2**63 - 1]``, and every option one the claim
        declares (:meth:`check_options`); both are refused with a ``ValueError``/``TypeError``.
        """
        if not isinstance(config, RNNConfig):
            raise TypeError(f"config must be an RNNConfig, got {type(config).__name__}")
        seed = require_seed(seed)
        self.check_options(options)
        if self.smooth_only:
            config.act.require_smooth()
        res = self.check_fn(config, get_backend(backend), seed, **options)
        for observer in list(_OBSERVERS):
            observer(res)
        return res


_REGISTRY: dict[str, Claim] = {}
#: Called with every result :meth:`Claim.check` returns (see :mod:`verif.testing.recording`).
_OBSERVERS: list[Callable[[ClaimResult], None]] = []


def add_observer(observer: Callable[[ClaimResult], None]) -> None:
    """Call ``observer`` with every result of :meth:`Claim.check` from now on."""
    _OBSERVERS.append(observer)


def remove_observer(observer: Callable[[ClaimResult], None]) -> None:
    """Stop calling ``observer`` (added by :func:`add_observer`)."""
    _OBSERVERS.remove(observer)


def _declared(claim_id: str, fn: CheckFn, options: Iterable[OptionSpec]) -> dict[str, tuple[Any, ...] | None]:
    """The option table of ``options``; every keyword parameter of ``fn`` must be declared."""
    table: dict[str, tuple[Any, ...] | None] = {}
    for spec in options:
        name, allowed = (spec, None) if isinstance(spec, str) else (spec[0], tuple(spec[1]))
        table[name] = allowed
    params = list(inspect.signature(fn).parameters.values())[3:]
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if not named <= set(table):
        raise TypeError(f"{claim_id} takes options it does not declare: {sorted(named - set(table))}")
    return table


def register(
    claim_id: str,
    title: str,
    theory: str,
    kind: Kind,
    smooth_only: bool = True,
    options: Iterable[OptionSpec] = (),
) -> Callable[[CheckFn], CheckFn]:
    """Decorator: register ``check(config, backend, seed, **options)`` as claim ``claim_id``.

    ``options`` lists what ``check`` accepts: a name (any value; the claim checks it) or
    ``(name, allowed values)``; :meth:`Claim.check` refuses anything else.
    """

    def wrap(fn: CheckFn) -> CheckFn:
        table = _declared(claim_id, fn, options)
        _REGISTRY[claim_id] = Claim(claim_id, title, theory, kind, fn, smooth_only, table)
        return fn

    return wrap


def registry() -> dict[str, Claim]:
    """The registered claims by id (read-only view)."""
    return dict(_REGISTRY)
