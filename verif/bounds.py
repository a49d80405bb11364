"""The bounds of THEORY sections 4 and 8, as pure functions of the configuration.

Every per-time quantity is returned as an array over ``t = 0..T-1``. These are theorems about
the model of THEORY section 1 (a self-contained derivation), not the paper's printed
constants, and each function names the section that defines it. Every bound refuses an
activation outside the theory (ReLU) with a ``ValueError``.

Floating point. Beyond the cutoff ``mu_T`` grows like ``a^T`` and ``beta_t`` like ``a^{2t}``;
the B8 requirements multiply such factors and divide by ``eps``. Each formula is
written once (the private ``_name(config, log)`` functions) and evaluated in float64; where
that overflows it is evaluated again, the same formula text, on natural logarithms
(:class:`_Log`), which cannot overflow for any configuration :class:`RNNConfig` accepts. The
public functions then return

* the bound as a float (array) when it fits float64;
* with ``log10=True``, its base-10 logarithm instead (``-inf`` where the bound is 0), for every
  configuration;

and raise :class:`BeyondFloat` (a ``ValueError`` carrying the log10) for a bound that exceeds
float64 when ``log10`` is not asked for. A :class:`Requirements` record holds a
:class:`Huge` (a float whose value is ``inf`` and whose ``log10`` is kept) for such a number.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from verif.config import MAX_WIDTH, RNNConfig
from verif.validation import require_int, require_real

FloatArray = NDArray[np.float64]

if TYPE_CHECKING:
    from verif.gd_bounds import GDRequirements

#: The methods :func:`requirements` answers for: PGD (B8) and plain GD (B10, :mod:`verif.gd_bounds`).
REQUIREMENT_METHODS = ("pgd", "gd")

#: Relative tolerance within which ``alpha`` counts as sitting at the cutoff ``1/sigma_1``.
CUTOFF_RTOL = 1e-12
#: ``seq_len`` up to which :func:`kernel_stability_bound` forms its ``(T, T)`` table (128 MiB).
MAX_KERNEL_SEQ_LEN = 4096
#: ``S_t`` for ``t`` below this is a running sum of powers, beyond it the closed form.
SHORT_SUMS = 32
#: Natural logarithm of the largest float64 (about 709.78).
LN_MAX = math.log(float(np.finfo(np.float64).max))
_LN10 = math.log(10.0)

__all__ = [
    "CUTOFF_RTOL",
    "MAX_KERNEL_SEQ_LEN",
    "MAX_WIDTH",
    "BeyondFloat",
    "Huge",
    "Requirements",
    "WidthNotFound",
    "approximation_bound",
    "approximation_constant",
    "beta",
    "curvature_bound",
    "cutoff",
    "gain",
    "gain_at_init",
    "grad_norm_bound",
    "hessian_terms",
    "kernel_stability_bound",
    "linearization_bound",
    "lipschitz_bound",
    "lipschitz_u",
    "lipschitz_w",
    "mu_T",
    "output_bound",
    "partial_sum",
    "pgd_epsilon",
    "pgd_rhs",
    "regime",
    "required_width",
    "requirements",
    "residual_term",
]


# --------------------------------------------------------------------------- numbers beyond float64


def _power_text(log10: float) -> str:
    """A number given by its log10, as ``10^1234.5``."""
    return f"10^{log10:.1f}"


class Huge(float):
    """A number beyond float64, kept by its ``log10``; its float value is ``inf``, so that
    comparisons (``m >= width_required``) and ``max`` stay right. Prints as ``10^1234.5``."""

    log10: float

    def __new__(cls, log10: float) -> Huge:
        obj = super().__new__(cls, math.inf)
        obj.log10 = float(log10)
        return obj

    def __repr__(self) -> str:
        return _power_text(self.log10)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return _power_text(self.log10)


class BeyondFloat(ValueError):
    """A bound whose value exceeds float64 (about ``1.8e308``).

    Attributes:
        label: the bound (``"B4 beta_t"``).
        log10: its base-10 logarithm (a float, or an array over ``t``), finite.
    """

    def __init__(self, label: str, log10: Any) -> None:
        self.label = label
        self.log10 = log10
        arr = np.asarray(log10, dtype=np.float64)
        where = ""
        if arr.ndim == 1:
            where = f" from t = {int(np.argmax(arr > LN_MAX / _LN10))}"
        super().__init__(
            f"{label} exceeds floating point (it reaches {_power_text(float(np.max(arr)))}{where}); "
            "call with log10=True for its log10"
        )


class _Log:
    """Non-negative numbers held by their natural logarithms (``-inf`` for 0).

    ``+``, ``*``, ``/``, ``**`` and indexing act on the numbers, so that a formula written for
    float64 arrays evaluates unchanged on logarithms, where nothing overflows.
    """

    __array_ufunc__ = None  # NumPy operands defer to the methods below
    __slots__ = ("ln",)

    def __init__(self, ln: ArrayLike) -> None:
        self.ln = np.asarray(ln, dtype=np.float64)

    @classmethod
    def of(cls, x: Any) -> _Log:
        """``x`` (a non-negative float, array or :class:`_Log`) as a :class:`_Log`."""
        if isinstance(x, _Log):
            return x
        with np.errstate(divide="ignore"):
            return cls(np.log(np.asarray(x, dtype=np.float64)))

    def __add__(self, other: Any) -> _Log:
        return _Log(np.logaddexp(self.ln, _Log.of(other).ln))

    __radd__ = __add__

    def __mul__(self, other: Any) -> _Log:
        return _Log(self.ln + _Log.of(other).ln)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> _Log:
        return _Log(self.ln - _Log.of(other).ln)

    def __pow__(self, p: float) -> _Log:
        return _Log(self.ln * p)

    def __getitem__(self, index: Any) -> _Log:
        return _Log(self.ln[index])


def _max(x: Any) -> Any:
    """The largest entry (a float64 or a :class:`_Log` scalar)."""
    return _Log(np.max(x.ln)) if isinstance(x, _Log) else np.max(x)


def _largest(*xs: Any) -> Any:
    """The largest of scalars of one arithmetic."""
    if isinstance(xs[0], _Log):
        return _Log(max(float(x.ln) for x in xs))
    return np.float64(max(xs))


def _sqrt(x: Any) -> Any:
    return x**0.5 if isinstance(x, _Log) else np.sqrt(x)


def _outer(x: Any, y: Any) -> Any:
    if isinstance(x, _Log):
        return _Log(x.ln[:, None] + y.ln[None, :])
    return np.outer(x, y)


def _mean_last(x: Any) -> Any:
    """Mean over the last axis."""
    if isinstance(x, _Log):
        return _Log(np.logaddexp.reduce(x.ln, axis=-1) - math.log(x.ln.shape[-1]))
    return np.mean(x, axis=-1)


def _num(x: float, log: bool) -> Any:
    """A float in the arithmetic of the evaluation (a NumPy scalar overflows to inf, never raises)."""
    return _Log.of(x) if log else np.float64(x)


def _finite(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, _Log) or value is None:
        return True
    return bool(np.all(np.isfinite(value)))


def _evaluate(compute: Callable[[bool], Any]) -> Any:
    """``compute(False)`` (float64) where it is finite, else ``compute(True)`` (logarithms)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = compute(False)
    return value if _finite(value) else compute(True)


def _as_float(value: Any, label: str) -> Any:
    """A computed bound as a float (array); :class:`BeyondFloat` when it exceeds float64."""
    if isinstance(value, tuple):
        return tuple(_as_float(v, label) for v in value)
    if isinstance(value, _Log):
        if np.all(value.ln <= LN_MAX):
            with np.errstate(over="ignore"):
                out = np.exp(value.ln)
            if np.all(np.isfinite(out)):
                return _as_float(out, label)
        ln10 = value.ln / _LN10
        raise BeyondFloat(label, float(ln10) if ln10.ndim == 0 else ln10)
    arr = np.asarray(value, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr


def _as_log10(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_as_log10(v) for v in value)
    ln10 = _Log.of(value).ln / _LN10
    return float(ln10) if ln10.ndim == 0 else ln10


def _bound(compute: Callable[[bool], Any], label: str, log10: bool) -> Any:
    """The public form of a bound: float64, or its log10, or :class:`BeyondFloat` (module docstring)."""
    return _as_log10(compute(True)) if log10 else _as_float(_evaluate(compute), label)


def _huge_or_float(value: Any) -> float:
    """A scalar as a float, or a :class:`Huge` when it exceeds float64."""
    try:
        return float(_as_float(value, ""))
    except BeyondFloat as exc:
        return Huge(exc.log10)


# --------------------------------------------------------------------------- THEORY 4


def _sums(a: float, t: FloatArray, log: bool) -> Any:
    """``S_t(a)`` for a float array ``t`` of integers >= -2, in the arithmetic of ``log``.

    For ``t < SHORT_SUMS`` a running sum of powers (exact where the powers are, ``S_0 = 1``);
    beyond, the closed form ``expm1((t+1) ln a) / (a - 1)``, accurate at and near ``a = 1`` (no
    cancellation) and of the same cost for every ``t``. On logarithms the closed form is
    ``ln(-expm1((t+1) ln a)) - ln(1 - a)`` below 1 and ``x + ln(-expm1(-x)) - ln(a - 1)``,
    ``x = (t+1) ln a``, above.
    """
    pos = t >= 0
    n = np.where(pos, t + 1.0, 1.0)
    if a == 0.0:
        lin = np.ones_like(n)
    elif a == 1.0:
        lin = n
    else:
        x = n * math.log(a)
        if log:
            with np.errstate(divide="ignore"):
                if a < 1.0:
                    ln = np.log(-np.expm1(x)) - math.log1p(-a)
                else:
                    ln = x + np.log(-np.expm1(-x)) - math.log(a - 1.0)
            return _Log(np.where(pos, ln, -np.inf))
        short = np.cumsum(a ** np.arange(SHORT_SUMS, dtype=np.float64))
        index = (np.clip(n, 1.0, SHORT_SUMS) - 1.0).astype(np.intp)
        lin = np.where(n <= SHORT_SUMS, short[index], np.expm1(x) / (a - 1.0))
    lin = np.where(pos, lin, 0.0)
    return _Log.of(lin) if log else lin


def partial_sum(a: float, t: ArrayLike, *, log10: bool = False) -> Any:
    """``S_t(a) = sum_{k=0}^{t} a^k`` (THEORY 4), with ``S_{-1} = S_{-2} = 0``.

    Equals ``(1 - a^{t+1})/(1 - a)`` for ``a != 1`` and ``t + 1`` for ``a = 1``, evaluated in a
    form that is accurate at and near ``a = 1`` and costs the same for any ``t`` (see the module
    docstring for values beyond float64). ``t`` may be an integer or an integer array (entries
    >= -2); the result has the shape of ``t``.
    """
    a = require_real("the gain a", a, 0.0)
    if isinstance(t, int) and not isinstance(t, bool):  # a Python integer of any size
        if t < -2 or t > 2**1000:
            raise ValueError(f"t must be integers >= -2 (and <= 2**1000), got {t!r}")
        t_arr = np.asarray(float(t))
    else:
        raw = np.asarray(t)
        if not np.issubdtype(raw.dtype, np.integer) or np.any(raw < -2):
            raise ValueError(f"t must be integers >= -2, got {t!r}")
        t_arr = raw.astype(np.float64)
    return _bound(lambda log: _sums(a, t_arr, log), "S_t(a)", log10)


def _constants(config: RNNConfig) -> tuple[float, float, float]:
    if not isinstance(config, RNNConfig):
        raise TypeError(f"config must be an RNNConfig, got {type(config).__name__}")
    return config.act.require_smooth()


def gain_at_init(config: RNNConfig) -> float:
    """``a_0 = sigma_1 alpha``: a neuron's worst gain per step at initialization (THEORY 4)."""
    return _constants(config)[1] * config.memory_alpha


def gain(config: RNNConfig) -> float:
    """``a = sigma_1 (alpha + rho_w/sqrt(m))``: the worst gain inside ``Omega`` (THEORY 4)."""
    return _constants(config)[1] * (config.memory_alpha + config.rho_w / math.sqrt(config.width))


def cutoff(config: RNNConfig) -> float:
    """The memory cutoff ``1/sigma_1`` (THEORY 4)."""
    return 1.0 / _constants(config)[1]


def regime(config: RNNConfig) -> str:
    """``"short memory"`` (``alpha < 1/sigma_1``), ``"cutoff"`` or ``"long memory"`` (THEORY 4)."""
    c = cutoff(config)
    if abs(config.memory_alpha - c) <= CUTOFF_RTOL * c:
        return "cutoff"
    return "short memory" if config.memory_alpha < c else "long memory"


def _times(config: RNNConfig) -> FloatArray:
    return np.arange(config.seq_len, dtype=np.float64)


def _mu_T(config: RNNConfig, log: bool) -> Any:
    return _sums(gain(config), np.asarray(config.seq_len - 1.0), log)


def mu_T(config: RNNConfig, *, log10: bool = False) -> float:
    """``mu_T = S_{T-1}(a)``, the factor that scales width and iterations (THEORY 4)."""
    return float(_bound(lambda log: _mu_T(config, log), "mu_T", log10))


# --------------------------------------------------------------------------- THEORY 8: B1-B3


def _lipschitz_w(config: RNNConfig, log: bool) -> Any:
    s0, s1, _ = _constants(config)
    return s0 * s1 * _sums(gain(config), _times(config) - 1.0, log)


def _lipschitz_u(config: RNNConfig, log: bool) -> Any:
    _, s1, _ = _constants(config)
    return s1 * _sums(gain(config), _times(config), log)


def _grad_norm(config: RNNConfig, log: bool) -> Any:
    return _sqrt(_lipschitz_w(config, log) ** 2 + _lipschitz_u(config, log) ** 2)


def _output(config: RNNConfig, log: bool) -> Any:
    return _lipschitz_w(config, log) * config.rho_w + _lipschitz_u(config, log) * config.rho_u


def lipschitz_w(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B1: ``L_w,t = sigma_0 sigma_1 S_{t-1}(a)`` bounds ``|g_t| = |dh_t/dw|``; shape ``(T,)``."""
    return _bound(lambda log: _lipschitz_w(config, log), "B1 L_w,t", log10)  # type: ignore[no-any-return]


def lipschitz_u(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B1: ``L_u,t = sigma_1 S_t(a)`` bounds ``||G_t|| = ||dh_t/du||``; shape ``(T,)``."""
    return _bound(lambda log: _lipschitz_u(config, log), "B1 L_u,t", log10)  # type: ignore[no-any-return]


def lipschitz_bound(config: RNNConfig, dist_w: float, dist_u: float, *, log10: bool = False) -> FloatArray:
    """B2: ``L_w,t ||w - w'||_2 + L_u,t ||U - U'||_F`` bounds ``|F_t - F'_t|`` and ``||H_t - H'_t||``."""
    dw = require_real("dist_w (||w - w'||_2)", dist_w, 0.0)
    du = require_real("dist_u (||U - U'||_F)", dist_u, 0.0)

    def compute(log: bool) -> Any:
        return _lipschitz_w(config, log) * _num(dw, log) + _lipschitz_u(config, log) * _num(du, log)

    return _bound(compute, "B2 Lipschitz bound", log10)  # type: ignore[no-any-return]


def grad_norm_bound(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B3: ``G_t = sqrt(L_w,t^2 + L_u,t^2)`` bounds ``||grad_Theta F_t||_2`` (independent of m)."""
    return _bound(lambda log: _grad_norm(config, log), "B3 G_t", log10)  # type: ignore[no-any-return]


def output_bound(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B3: ``|F_t(Theta)| <= L_w,t rho_w + L_u,t rho_u`` for ``Theta`` in ``Omega``."""
    return _bound(lambda log: _output(config, log), "B3 output bound", log10)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- THEORY 8: B4-B6


def _recurrence(src: Any, a: float) -> Any:
    """``X_t = src_t + a X_{t-1}`` with ``X_{-1} = 0``, for ``t = 0..T-1``.

    ``X_t = sum_{d <= t} a^d src_{t-d}``, formed in ``ceil(log2 T)`` vectorized steps: after the
    step with shift ``s`` each entry holds the terms ``d < 2s`` (``X_t += a^s X_{t-s}``).
    """
    if isinstance(src, _Log):
        y = src.ln.copy()
        ln_a = -math.inf if a == 0.0 else math.log(a)
        shift = 1
        while shift < y.shape[0]:
            y[shift:] = np.logaddexp(y[shift:], shift * ln_a + y[:-shift])
            shift *= 2
        return _Log(y)
    x = np.array(src, dtype=np.float64)
    power, shift = a, 1
    while shift < x.shape[0]:
        x[shift:] += power * x[:-shift]
        power *= power
        shift *= 2
    return x


def _hessian_terms(config: RNNConfig, log: bool) -> tuple[Any, Any, Any]:
    s0, s1, s2 = _constants(config)
    a = gain(config)
    t = _times(config)
    S_t, S_tm1, S_tm2 = (_sums(a, t - k, log) for k in (0.0, 1.0, 2.0))
    src_A = s2 * s0**2 * S_tm1**2 + 2.0 * s0 * s1**2 * S_tm2
    src_B = s2 * s0 * S_tm1 * S_t + s1**2 * S_tm1
    src_C = s2 * S_t**2
    return _recurrence(src_A, a), _recurrence(src_B, a), _recurrence(src_C, a)


def _beta(config: RNNConfig, log: bool) -> Any:
    A, B, C = _hessian_terms(config, log)
    return A + B + C


def _linearization(config: RNNConfig, log: bool) -> Any:
    return _beta(config, log) * (config.rho_w**2 + config.rho_u**2) / (2.0 * math.sqrt(config.width))


def hessian_terms(config: RNNConfig, *, log10: bool = False) -> tuple[FloatArray, FloatArray, FloatArray]:
    """B4: the recursions ``A_t, B_t, C_t`` (``A_{-1} = B_{-1} = C_{-1} = 0``), each ``(T,)``.

    ``A_t = sigma_2 sigma_0^2 S_{t-1}^2 + 2 sigma_0 sigma_1^2 S_{t-2} + a A_{t-1}``
    ``B_t = sigma_2 sigma_0 S_{t-1} S_t + sigma_1^2 S_{t-1} + a B_{t-1}``
    ``C_t = sigma_2 S_t^2 + a C_{t-1}``
    """
    return _bound(lambda log: _hessian_terms(config, log), "B4 A_t, B_t, C_t", log10)  # type: ignore[no-any-return]


def beta(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B4: ``beta_t = A_t + B_t + C_t`` bounds ``||Hess_theta h_t||_op`` of one neuron; ``(T,)``."""
    return _bound(lambda log: _beta(config, log), "B4 beta_t", log10)  # type: ignore[no-any-return]


def curvature_bound(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B5: ``||Hess_Theta F_t||_op <= beta_t / sqrt(m)``; shape ``(T,)``."""

    def compute(log: bool) -> Any:
        return _beta(config, log) / math.sqrt(config.width)

    return _bound(compute, "B5 curvature bound", log10)  # type: ignore[no-any-return]


def linearization_bound(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B6: ``|F_t - F_lin_t| <= beta_t (rho_w^2 + rho_u^2) / (2 sqrt(m))`` in ``Omega``; ``(T,)``."""
    return _bound(lambda log: _linearization(config, log), "B6 linearization bound", log10)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- THEORY 8: B9


def kernel_stability_bound(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B9: ``|K_Theta - K_Theta_0|`` entrywise in ``Omega``, shape ``(T, T)`` indexed ``(t, t')``.

    .. math::

        |K_\\Theta((X,t),(X',t')) - K_{\\Theta_0}((X,t),(X',t'))| \\le
            \\frac{(\\beta_t G_{t'} + G_t \\beta_{t'}) \\sqrt{\\rho_w^2 + \\rho_u^2}}{\\sqrt m}

    with ``beta_t`` of B4 and ``G_t`` of B3: each tangent feature moves by at most
    ``beta_t ||theta_i - theta_i(0)||`` and has norm at most ``G_t``. The table needs
    ``seq_len <= MAX_KERNEL_SEQ_LEN``.
    """
    _constants(config)
    if config.seq_len > MAX_KERNEL_SEQ_LEN:
        raise ValueError(
            f"seq_len must be <= {MAX_KERNEL_SEQ_LEN} for the (T, T) table of B9, got {config.seq_len}"
        )

    def compute(log: bool) -> Any:
        b, g = _beta(config, log), _grad_norm(config, log)
        radius = math.hypot(config.rho_w, config.rho_u) / math.sqrt(config.width)
        return (_outer(b, g) + _outer(g, b)) * radius

    return _bound(compute, "B9 kernel stability bound", log10)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- THEORY 8: B7


def _check_n_delta(n: int, delta: float) -> tuple[int, float]:
    return (
        require_int("n (number of sequences)", n, 1),
        require_real("delta (failure probability)", delta, 0.0, strict=True, below=1.0, rule="in (0, 1)"),
    )


def _log_term(n: int, T: int, delta: float) -> float:
    """``log(2 n T / delta)``, for any integer ``n``."""
    return math.log(2.0) + math.log(n) + math.log(T) - math.log(delta)


def _K(config: RNNConfig, log: bool) -> Any:
    s0, s1, _ = _constants(config)
    a0 = gain_at_init(config)
    T = config.seq_len
    S_tm2 = _sums(a0, np.asarray(T - 2.0), log)
    S_tm1 = _sums(a0, np.asarray(T - 1.0), log)
    return config.nu_w * s0 * s1 * S_tm2 + config.nu_u * s1 * S_tm1


def _zero_K_reason(config: RNNConfig) -> str | None:
    """Why B7's ``K`` is exactly 0 for ``config``, naming its fields, or ``None`` where ``K > 0``.

    ``S_{T-1}(a_0) >= 1`` and ``S_{T-2}(a_0) >= 1`` for ``T >= 2`` while ``S_{-1} = 0``, so
    ``K = nu_w sigma_0 sigma_1 S_{T-2}(a_0) + nu_u sigma_1 S_{T-1}(a_0)`` vanishes exactly when
    ``nu_u = 0`` and either ``nu_w = 0`` or ``T = 1``; then every realizable target is 0. Decided
    on the fields, not on a computed ``K`` (which underflows to 0 for tiny ``nu``).
    """
    if config.nu_u != 0.0:
        return None
    if config.nu_w == 0.0:
        return f"K = 0 when nu_w = nu_u = 0; got nu_w={config.nu_w!r}, nu_u={config.nu_u!r}"
    if config.seq_len == 1:
        return f"K = 0 when nu_u = 0 and T = 1; got nu_u={config.nu_u!r}, seq_len={config.seq_len}"
    return None


def _zero_R_max_reason(config: RNNConfig, y_max: float | None = None) -> str | None:
    """Why B8's ``R_max = Y_max + max_t (L_w,t rho_w + L_u,t rho_u)`` is exactly 0, naming the
    fields, or ``None`` where ``R_max > 0``.

    ``L_u,t >= sigma_1 > 0`` for every ``t`` and ``L_w,t > 0`` for ``t >= 1`` (``L_w,0 = 0``), so the
    output bound vanishes exactly when ``rho_u = 0`` and either ``rho_w = 0`` or ``T = 1``;
    ``Y_max`` is ``y_max``, or ``K`` by default (:func:`_zero_K_reason`).
    """
    if config.rho_u != 0.0:
        return None
    if config.rho_w == 0.0:
        output = f"rho_w = rho_u = 0 (got rho_w={config.rho_w!r}, rho_u={config.rho_u!r})"
    elif config.seq_len == 1:
        output = f"rho_u = 0 and T = 1 (got rho_u={config.rho_u!r}, seq_len={config.seq_len})"
    else:
        return None
    if y_max is not None:
        return f"R_max = 0 when y_max = 0 and {output}; got y_max={y_max!r}" if y_max == 0.0 else None
    why_K = _zero_K_reason(config)
    return None if why_K is None else f"R_max = 0 (Y_max = K) when {output} and {why_K}"


def _approximation(config: RNNConfig, n: int, delta: float, log: bool) -> Any:
    return 2.0 * _K(config, log) * math.sqrt(_log_term(n, config.seq_len, delta) / config.width)


def approximation_constant(config: RNNConfig, *, log10: bool = False) -> float:
    """B7: ``K = nu_w sigma_0 sigma_1 S_{T-2}(a_0) + nu_u sigma_1 S_{T-1}(a_0)``.

    ``K`` also bounds every realizable target: ``|F*_t| <= K`` (THEORY 7, B1 at ``a_0``).
    """
    return float(_bound(lambda log: _K(config, log), "B7 K", log10))


def approximation_bound(config: RNNConfig, n: int, delta: float, *, log10: bool = False) -> float:
    """B7: ``2 K sqrt(log(2 n T / delta) / m)``, w.p. ``>= 1 - delta`` over the initialization.

    Bounds ``max_{j, t} |F_lin_t(X^(j); Theta_bar) - F*_t(X^(j))|``.
    """
    n, delta = _check_n_delta(n, delta)
    return float(_bound(lambda log: _approximation(config, n, delta, log), "B7 approximation bound", log10))


def transport_error_bound(config: RNNConfig, n: int, delta: float, *, log10: bool = False) -> float:
    """B7: ``Delta_m = max_t beta_t (nu_w^2 + nu_u^2)/(2 sqrt m) + 2 K sqrt(log(2nT/delta)/m)``.

    Bounds ``|F_t(Theta_bar) - F*_t|`` w.p. ``>= 1 - delta``.
    """
    n, delta = _check_n_delta(n, delta)

    def compute(log: bool) -> Any:
        nu_sq = config.nu_w**2 + config.nu_u**2
        lin = _max(_beta(config, log)) * nu_sq / (2.0 * math.sqrt(config.width))
        return lin + _approximation(config, n, delta, log)

    return float(_bound(compute, "B7 Delta_m", log10))


# --------------------------------------------------------------------------- THEORY 8: B8


def _pgd_epsilon(config: RNNConfig, log: bool) -> Any:
    return 2.0 * _beta(config, log) * (config.rho_w**2 + config.rho_u**2) / math.sqrt(config.width)


def pgd_epsilon(config: RNNConfig, *, log10: bool = False) -> FloatArray:
    """B8: ``eps_t = 2 beta_t (rho_w^2 + rho_u^2) / sqrt(m)``; shape ``(T,)``."""
    return _bound(lambda log: _pgd_epsilon(config, log), "B8 eps_t", log10)  # type: ignore[no-any-return]


def pgd_rhs(
    risk_star: float,
    dist_sq: float,
    step_size: float,
    steps: int,
    max_grad_sq: float,
    max_residual_term: float,
    *,
    log10: bool = False,
) -> float:
    """B8: the right side of the PGD inequality for a comparator ``Theta*`` in ``Omega``.

    ``R(Theta*) + ||Theta_0 - Theta*||^2/(2 eta tau) + (eta/2) max_s ||grad R(Theta_s)||^2
    + max_s (1/(nT)) sum_{j,t} |r_{j,t}(Theta_s)| eps_t``; the last term is passed in as
    ``max_residual_term`` (see :func:`residual_term`).
    """
    if (
        isinstance(steps, bool)
        or not isinstance(steps, int | np.integer)
        or steps < 1
        or not isinstance(step_size, float | int | np.floating | np.integer)
        or isinstance(step_size, bool)
        or not 0 < step_size < math.inf
    ):
        raise ValueError(f"steps must be >= 1 and step_size > 0 (finite), got {steps!r}, {step_size!r}")
    terms = {
        name: require_real(name, value, 0.0)
        for name, value in (
            ("risk_star", risk_star),
            ("dist_sq", dist_sq),
            ("max_grad_sq", max_grad_sq),
            ("max_residual_term", max_residual_term),
        )
    }
    eta, tau = float(step_size), int(steps)

    def compute(log: bool) -> Any:
        r, d, g, res = (_num(value, log) for value in terms.values())
        return r + d / (2.0 * eta * tau) + 0.5 * eta * g + res

    return float(_bound(compute, "B8 right side", log10))


def residual_term(config: RNNConfig, mean_abs_residuals: ArrayLike, *, log10: bool = False) -> Any:
    """B8: ``(1/(nT)) sum_{j,t} |r_{j,t}| eps_t`` from ``(1/n) sum_j |r_{j,t}|``, shape ``(..., T)``."""
    _constants(config)
    r = np.asarray(mean_abs_residuals)
    if r.dtype == object or not (np.issubdtype(r.dtype, np.integer) or np.issubdtype(r.dtype, np.floating)):
        raise TypeError(f"mean_abs_residuals must be a real numeric array, got dtype {r.dtype}")
    if r.ndim < 1 or r.shape[-1] != config.seq_len:
        raise ValueError(
            f"mean_abs_residuals must have shape (..., T) = (..., {config.seq_len}), got {r.shape}"
        )
    r = r.astype(np.float64)
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("mean_abs_residuals must hold finite numbers >= 0")

    def compute(log: bool) -> Any:
        return _mean_last((_Log.of(r) if log else r) * _pgd_epsilon(config, log))

    return _bound(compute, "B8 residual term", log10)


@dataclass(frozen=True)
class Requirements:
    """B8 sufficient conditions for average PGD risk ``<= eps`` at a given width.

    A number beyond float64 is a :class:`Huge` (float value ``inf``, ``log10`` kept).

    Attributes:
        width: ``m`` at which the gain ``a`` (hence ``beta``) was evaluated.
        iterations: ``tau >= 9 (nu_w^2 + nu_u^2) R_max^2 G^2 / eps^2`` (rounded up; an ``int``,
            or a :class:`Huge`).
        step_size: ``eta = sqrt(nu_w^2 + nu_u^2) / (R_max G sqrt(tau))``.
        width_linearization: ``(6 R_max max_t beta_t (rho_w^2 + rho_u^2) / eps)^2``.
        width_curvature: ``1.5 (max_t beta_t)^2 (nu_w^2 + nu_u^2)^2 / eps``.
        width_approximation: ``24 K^2 log(2 n T / delta) / eps``.
        width_required: the largest of the three width conditions.
        satisfied: whether ``width >= width_required``.
        R_max, G, beta_max, K, y_max: the constants used.
    """

    width: int
    iterations: int | float
    step_size: float
    width_linearization: float
    width_curvature: float
    width_approximation: float
    width_required: float
    satisfied: bool
    R_max: float
    G: float
    beta_max: float
    K: float
    y_max: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (a :class:`Huge` stays one; ``verif bounds --json`` writes its log10)."""
        return asdict(self)


def _check_eps(eps: float) -> float:
    return require_real("eps (target average risk)", eps, 0.0, strict=True)


def _requirements(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None, log: bool
) -> dict[str, Any]:
    K = _K(config, log)
    y = K if y_max is None else _num(y_max, log)
    R_max = y + _max(_output(config, log))
    G = _max(_grad_norm(config, log))
    beta_max = _max(_beta(config, log))
    nu_sq = config.nu_w**2 + config.nu_u**2
    rho_sq = config.rho_w**2 + config.rho_u**2
    m_lin = (6.0 * R_max * beta_max * rho_sq / eps) ** 2
    m_curv = 1.5 * nu_sq**2 * beta_max**2 / eps
    m_approx = 24.0 * K**2 * _log_term(n, config.seq_len, delta) / eps
    return {
        "tau": 9.0 * nu_sq * (R_max * G / eps) ** 2,
        "width_linearization": m_lin,
        "width_curvature": m_curv,
        "width_approximation": m_approx,
        "width_required": _largest(m_lin, m_curv, m_approx),
        "R_max": R_max,
        "G": G,
        "beta_max": beta_max,
        "K": K,
        "y_max": y,
    }


@overload
def requirements(
    config: RNNConfig,
    eps: float,
    n: int,
    delta: float,
    y_max: float | None = ...,
    method: Literal["pgd"] = ...,
) -> Requirements: ...
@overload
def requirements(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None, method: Literal["gd"]
) -> GDRequirements: ...
@overload
def requirements(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None = ..., *, method: Literal["gd"]
) -> GDRequirements: ...
@overload
def requirements(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None = ..., method: str = ...
) -> Requirements | GDRequirements: ...
def requirements(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None = None, method: str = "pgd"
) -> Requirements | GDRequirements:
    """B8 width and iteration requirements, evaluated at ``config.width``.

    ``y_max`` bounds ``|y_t|``; by default ``K`` (the bound of every realizable target).
    ``R_max = Y_max + max_t (L_w,t rho_w + L_u,t rho_u)``, ``G = max_t G_t``.
    ``method="gd"`` gives B10's requirements for plain GD instead (:func:`verif.gd_bounds.requirements`).
    """
    _constants(config)
    eps = _check_eps(eps)
    n, delta = _check_n_delta(n, delta)
    if method not in REQUIREMENT_METHODS:
        raise ValueError(f"method must be one of {list(REQUIREMENT_METHODS)}, got {method!r}")
    if method == "gd":
        from verif import gd_bounds

        return gd_bounds.requirements(config, eps, n, delta, y_max)
    if y_max is not None:
        y_max = require_real("y_max", y_max, 0.0)
    values = _evaluate(lambda log: _requirements(config, eps, n, delta, y_max, log))
    out = {k: _huge_or_float(v) for k, v in values.items()}
    tau = out.pop("tau")
    iterations: int | float = max(1, math.ceil(tau)) if math.isfinite(tau) else tau
    # eta = sqrt(nu^2) / (R_max G sqrt(tau)), with tau the rounded-up iteration count
    nu = math.hypot(config.nu_w, config.nu_u)
    eta = 0.0
    if out["R_max"] * out["G"] > 0:
        log = isinstance(values["R_max"], _Log)
        tau_used = values["tau"] if isinstance(iterations, Huge) else _num(float(iterations), log)
        with np.errstate(over="ignore", under="ignore"):
            eta = _huge_or_float(_num(nu, log) / (values["R_max"] * values["G"] * _sqrt(tau_used)))
        if not log and not math.isfinite(eta):  # R_max G underflowed: the quotient again on logarithms
            eta = _huge_or_float(
                _num(nu, True)
                / (_num(out["R_max"], True) * _num(out["G"], True) * _sqrt(_num(float(iterations), True)))
            )
    return Requirements(
        width=config.width,
        iterations=iterations,
        step_size=eta,
        satisfied=config.width >= out["width_required"],
        **out,
    )


class WidthNotFound(ValueError):
    """No even width up to :data:`MAX_WIDTH` meets B8 (or B10); ``requirements`` holds them there."""

    def __init__(self, eps: float, at_max: Requirements | GDRequirements, bound: str = "B8") -> None:
        self.requirements = at_max
        super().__init__(
            f"no width up to 2^62 meets the {bound} requirements for eps={eps} "
            f"(at m = 2^62 they ask for m >= {at_max.width_required:.4g})"
        )


def _even_up(x: float) -> int:
    """The smallest even integer ``>= max(x, 2)``; ``MAX_WIDTH + 2`` beyond ``MAX_WIDTH``."""
    if not x <= MAX_WIDTH:  # also inf, nan and Huge
        return MAX_WIDTH + 2
    m = max(2, math.ceil(x))
    return m + m % 2


def required_width(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None = None, method: str = "pgd"
) -> Requirements | GDRequirements:
    """The smallest even ``m`` with ``m >= width_required(m)`` (B8, or B10 for ``method="gd"``).

    The gain ``a`` inside ``Omega`` depends on ``m`` (through ``rho_w/sqrt(m)``) and shrinks as
    ``m`` grows, so ``f(m) = width_required(m)`` is non-increasing and the condition is monotone.
    Two facts then bracket the answer ``m*`` in a few evaluations: from a failing ``m``, the
    even ``m' >= f(m)`` meets B8 (if ``m' > m``, ``f(m') <= f(m) <= m'``; else ``m < f(m) <= m``);
    from a width ``m`` that meets it, every ``m'' < f(m)`` fails (``f(m'') >= f(m) > m''``).
    Probes alternate between these guesses and bisection. Raises :class:`WidthNotFound`
    (a ``ValueError``) when no width up to :data:`MAX_WIDTH` suffices.
    """
    _constants(config)
    eps = _check_eps(eps)
    n, delta = _check_n_delta(n, delta)
    seen: dict[int, Requirements | GDRequirements] = {}

    def at(m: int) -> Requirements | GDRequirements:
        if m not in seen:
            seen[m] = requirements(config.replace(width=m), eps, n, delta, y_max, method)
        return seen[m]

    lo, hi = 0, max(2, config.width - config.width % 2)  # lo fails (0: none known), hi is probed
    while not at(hi).satisfied:
        lo = hi
        hi = max(_even_up(at(lo).width_required), lo + 2)
        if hi > MAX_WIDTH:
            if lo == MAX_WIDTH or not at(MAX_WIDTH).satisfied:
                raise WidthNotFound(eps, at(MAX_WIDTH), "B10" if method == "gd" else "B8")
            hi = MAX_WIDTH
    guesses = 0
    while hi - lo > 2:
        mid = lo + 2 * ((hi - lo) // 4)
        below = _even_up(at(hi).width_required)  # every even width below fails
        probe = mid
        if guesses < 8:
            guesses += 1
            probe = hi - 2 if below >= hi else below if below > lo else mid
        if at(probe).satisfied:
            hi = probe
            continue
        lo = probe
        above = _even_up(at(lo).width_required)  # meets B8
        if guesses < 8 and lo < above < hi:
            guesses += 1
            if at(above).satisfied:
                hi = above
            else:
                lo = above
    return at(hi)
