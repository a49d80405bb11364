"""The bounds of THEORY sections 4 and 8, as pure functions of the configuration.

Every per-time quantity is returned as an array over ``t = 0..T-1``. These are theorems about
the model of THEORY section 1 (a self-contained derivation), not the paper's printed
constants, and each function names the section that defines it. Every bound refuses an
activation outside the theory (ReLU) with a ``ValueError``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from verif.config import RNNConfig
from verif.validation import require_int, require_real

FloatArray = NDArray[np.float64]

if TYPE_CHECKING:
    from verif.gd_bounds import GDRequirements

#: The methods :func:`requirements` answers for: PGD (B8) and plain GD (B10, :mod:`verif.gd_bounds`).
REQUIREMENT_METHODS = ("pgd", "gd")

#: Relative tolerance within which ``alpha`` counts as sitting at the cutoff ``1/sigma_1``.
CUTOFF_RTOL = 1e-12


# --------------------------------------------------------------------------- THEORY 4


def partial_sum(a: float, t: ArrayLike) -> Any:
    """``S_t(a) = sum_{k=0}^{t} a^k`` (THEORY 4), with ``S_{-1} = S_{-2} = 0``.

    Equals ``(1 - a^{t+1})/(1 - a)`` for ``a != 1`` and ``t + 1`` for ``a = 1``; computed as a
    running sum of powers so that it is accurate at and near ``a = 1``. ``t`` may be an
    integer or an integer array (entries >= -2); the result has the shape of ``t``.
    """
    t_arr = np.asarray(t)
    if not np.issubdtype(t_arr.dtype, np.integer) or np.any(t_arr < -2):
        raise ValueError(f"t must be integers >= -2, got {t!r}")
    a = float(a)
    if not math.isfinite(a) or a < 0:
        raise ValueError(f"the gain a must be a finite number >= 0, got {a}")
    t_max = int(np.max(t_arr)) if t_arr.size else -1
    with np.errstate(over="ignore"):
        sums = np.concatenate([[0.0], np.cumsum(a ** np.arange(max(t_max, -1) + 1, dtype=float))])
    out = np.where(t_arr >= 0, sums[np.clip(t_arr, -1, None) + 1], 0.0)
    return float(out) if out.ndim == 0 else out


def _constants(config: RNNConfig) -> tuple[float, float, float]:
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


def mu_T(config: RNNConfig) -> float:
    """``mu_T = S_{T-1}(a)``, the factor that scales width and iterations (THEORY 4)."""
    return float(partial_sum(gain(config), config.seq_len - 1))


def _times(config: RNNConfig) -> NDArray[np.int64]:
    return np.arange(config.seq_len)


# --------------------------------------------------------------------------- THEORY 8: B1-B3


def lipschitz_w(config: RNNConfig) -> FloatArray:
    """B1: ``L_w,t = sigma_0 sigma_1 S_{t-1}(a)`` bounds ``|g_t| = |dh_t/dw|``; shape ``(T,)``."""
    s0, s1, _ = _constants(config)
    return np.asarray(s0 * s1 * partial_sum(gain(config), _times(config) - 1), dtype=float)


def lipschitz_u(config: RNNConfig) -> FloatArray:
    """B1: ``L_u,t = sigma_1 S_t(a)`` bounds ``||G_t|| = ||dh_t/du||``; shape ``(T,)``."""
    _, s1, _ = _constants(config)
    return np.asarray(s1 * partial_sum(gain(config), _times(config)), dtype=float)


def lipschitz_bound(config: RNNConfig, dist_w: float, dist_u: float) -> FloatArray:
    """B2: ``L_w,t ||w - w'||_2 + L_u,t ||U - U'||_F`` bounds ``|F_t - F'_t|`` and ``||H_t - H'_t||``."""
    return lipschitz_w(config) * dist_w + lipschitz_u(config) * dist_u


def grad_norm_bound(config: RNNConfig) -> FloatArray:
    """B3: ``G_t = sqrt(L_w,t^2 + L_u,t^2)`` bounds ``||grad_Theta F_t||_2`` (independent of m)."""
    return np.hypot(lipschitz_w(config), lipschitz_u(config))


def output_bound(config: RNNConfig) -> FloatArray:
    """B3: ``|F_t(Theta)| <= L_w,t rho_w + L_u,t rho_u`` for ``Theta`` in ``Omega``."""
    return lipschitz_w(config) * config.rho_w + lipschitz_u(config) * config.rho_u


# --------------------------------------------------------------------------- THEORY 8: B4-B6


def hessian_terms(config: RNNConfig) -> tuple[FloatArray, FloatArray, FloatArray]:
    """B4: the recursions ``A_t, B_t, C_t`` (``A_{-1} = B_{-1} = C_{-1} = 0``), each ``(T,)``.

    ``A_t = sigma_2 sigma_0^2 S_{t-1}^2 + 2 sigma_0 sigma_1^2 S_{t-2} + a A_{t-1}``
    ``B_t = sigma_2 sigma_0 S_{t-1} S_t + sigma_1^2 S_{t-1} + a B_{t-1}``
    ``C_t = sigma_2 S_t^2 + a C_{t-1}``
    """
    s0, s1, s2 = _constants(config)
    a = gain(config)
    t = _times(config)
    S_t, S_tm1, S_tm2 = (np.asarray(partial_sum(a, t - k), dtype=float) for k in (0, 1, 2))
    src_A = s2 * s0**2 * S_tm1**2 + 2.0 * s0 * s1**2 * S_tm2
    src_B = s2 * s0 * S_tm1 * S_t + s1**2 * S_tm1
    src_C = s2 * S_t**2
    out = []
    for src in (src_A, src_B, src_C):
        acc = np.empty_like(src)
        prev = 0.0
        for k, v in enumerate(src):
            prev = v + a * prev
            acc[k] = prev
        out.append(acc)
    return out[0], out[1], out[2]


def beta(config: RNNConfig) -> FloatArray:
    """B4: ``beta_t = A_t + B_t + C_t`` bounds ``||Hess_theta h_t||_op`` of one neuron; ``(T,)``."""
    A, B, C = hessian_terms(config)
    return A + B + C


def curvature_bound(config: RNNConfig) -> FloatArray:
    """B5: ``||Hess_Theta F_t||_op <= beta_t / sqrt(m)``; shape ``(T,)``."""
    return beta(config) / math.sqrt(config.width)


def linearization_bound(config: RNNConfig) -> FloatArray:
    """B6: ``|F_t - F_lin_t| <= beta_t (rho_w^2 + rho_u^2) / (2 sqrt(m))`` in ``Omega``; ``(T,)``."""
    return beta(config) * (config.rho_w**2 + config.rho_u**2) / (2.0 * math.sqrt(config.width))


# --------------------------------------------------------------------------- THEORY 8: B9


def kernel_stability_bound(config: RNNConfig) -> FloatArray:
    """B9: ``|K_Theta - K_Theta_0|`` entrywise in ``Omega``, shape ``(T, T)`` indexed ``(t, t')``.

    .. math::

        |K_\\Theta((X,t),(X',t')) - K_{\\Theta_0}((X,t),(X',t'))| \\le
            \\frac{(\\beta_t G_{t'} + G_t \\beta_{t'}) \\sqrt{\\rho_w^2 + \\rho_u^2}}{\\sqrt m}

    with ``beta_t`` of B4 and ``G_t`` of B3: each tangent feature moves by at most
    ``beta_t ||theta_i - theta_i(0)||`` and has norm at most ``G_t``.
    """
    b, g = beta(config), grad_norm_bound(config)
    radius = math.hypot(config.rho_w, config.rho_u) / math.sqrt(config.width)
    return np.asarray((np.outer(b, g) + np.outer(g, b)) * radius, dtype=float)


# --------------------------------------------------------------------------- THEORY 8: B7


def _check_n_delta(n: int, delta: float) -> None:
    require_int("n (number of sequences)", n, 1)
    require_real("delta (failure probability)", delta, 0.0, strict=True, below=1.0, rule="in (0, 1)")


def approximation_constant(config: RNNConfig) -> float:
    """B7: ``K = nu_w sigma_0 sigma_1 S_{T-2}(a_0) + nu_u sigma_1 S_{T-1}(a_0)``.

    ``K`` also bounds every realizable target: ``|F*_t| <= K`` (THEORY 7, B1 at ``a_0``).
    """
    s0, s1, _ = _constants(config)
    a0 = gain_at_init(config)
    T = config.seq_len
    return float(config.nu_w * s0 * s1 * partial_sum(a0, T - 2) + config.nu_u * s1 * partial_sum(a0, T - 1))


def approximation_bound(config: RNNConfig, n: int, delta: float) -> float:
    """B7: ``2 K sqrt(log(2 n T / delta) / m)``, w.p. ``>= 1 - delta`` over the initialization.

    Bounds ``max_{j, t} |F_lin_t(X^(j); Theta_bar) - F*_t(X^(j))|``.
    """
    _check_n_delta(n, delta)
    K = approximation_constant(config)
    return 2.0 * K * math.sqrt(math.log(2.0 * n * config.seq_len / delta) / config.width)


def transport_error_bound(config: RNNConfig, n: int, delta: float) -> float:
    """B7: ``Delta_m = max_t beta_t (nu_w^2 + nu_u^2)/(2 sqrt m) + 2 K sqrt(log(2nT/delta)/m)``.

    Bounds ``|F_t(Theta_bar) - F*_t|`` w.p. ``>= 1 - delta``.
    """
    nu_sq = config.nu_w**2 + config.nu_u**2
    lin = float(np.max(beta(config))) * nu_sq / (2.0 * math.sqrt(config.width))
    return lin + approximation_bound(config, n, delta)


# --------------------------------------------------------------------------- THEORY 8: B8


def pgd_epsilon(config: RNNConfig) -> FloatArray:
    """B8: ``eps_t = 2 beta_t (rho_w^2 + rho_u^2) / sqrt(m)``; shape ``(T,)``."""
    return 2.0 * beta(config) * (config.rho_w**2 + config.rho_u**2) / math.sqrt(config.width)


def pgd_rhs(
    risk_star: float,
    dist_sq: float,
    step_size: float,
    steps: int,
    max_grad_sq: float,
    max_residual_term: float,
) -> float:
    """B8: the right side of the PGD inequality for a comparator ``Theta*`` in ``Omega``.

    ``R(Theta*) + ||Theta_0 - Theta*||^2/(2 eta tau) + (eta/2) max_s ||grad R(Theta_s)||^2
    + max_s (1/(nT)) sum_{j,t} |r_{j,t}(Theta_s)| eps_t``; the last term is passed in as
    ``max_residual_term`` (see :func:`residual_term`).
    """
    if steps < 1 or step_size <= 0:
        raise ValueError(f"steps must be >= 1 and step_size > 0, got {steps}, {step_size}")
    return risk_star + dist_sq / (2.0 * step_size * steps) + 0.5 * step_size * max_grad_sq + max_residual_term


def residual_term(config: RNNConfig, mean_abs_residuals: ArrayLike) -> Any:
    """B8: ``(1/(nT)) sum_{j,t} |r_{j,t}| eps_t`` from ``(1/n) sum_j |r_{j,t}|``, shape ``(..., T)``."""
    return np.mean(np.asarray(mean_abs_residuals) * pgd_epsilon(config), axis=-1)


@dataclass(frozen=True)
class Requirements:
    """B8 sufficient conditions for average PGD risk ``<= eps`` at a given width.

    Attributes:
        width: ``m`` at which the gain ``a`` (hence ``beta``) was evaluated.
        iterations: ``tau >= 9 (nu_w^2 + nu_u^2) R_max^2 G^2 / eps^2`` (rounded up).
        step_size: ``eta = sqrt(nu_w^2 + nu_u^2) / (R_max G sqrt(tau))``.
        width_linearization: ``(6 R_max max_t beta_t (rho_w^2 + rho_u^2) / eps)^2``.
        width_curvature: ``1.5 (max_t beta_t)^2 (nu_w^2 + nu_u^2)^2 / eps``.
        width_approximation: ``24 K^2 log(2 n T / delta) / eps``.
        width_required: the largest of the three width conditions.
        satisfied: whether ``width >= width_required``.
        R_max, G, beta_max, K, y_max: the constants used.
    """

    width: int
    iterations: int
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
        """Plain-dict form (JSON-serializable)."""
        return asdict(self)


def _check_eps(eps: float) -> float:
    return require_real("eps (target average risk)", eps, 0.0, strict=True)


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
    eps = _check_eps(eps)
    _check_n_delta(n, delta)
    if method not in REQUIREMENT_METHODS:
        raise ValueError(f"method must be one of {list(REQUIREMENT_METHODS)}, got {method!r}")
    if method == "gd":
        from verif import gd_bounds

        return gd_bounds.requirements(config, eps, n, delta, y_max)
    K = approximation_constant(config)
    if y_max is None:
        y_max = K
    else:
        y_max = require_real("y_max", y_max, 0.0)
    R_max = float(y_max) + float(np.max(output_bound(config)))
    G = float(np.max(grad_norm_bound(config)))
    beta_max = float(np.max(beta(config)))
    nu_sq = config.nu_w**2 + config.nu_u**2
    rho_sq = config.rho_w**2 + config.rho_u**2
    tau_real = 9.0 * nu_sq * R_max**2 * G**2 / eps**2
    tau = max(1, math.ceil(tau_real)) if math.isfinite(tau_real) else math.inf
    m_lin = (6.0 * R_max * beta_max * rho_sq / eps) ** 2
    m_curv = 1.5 * beta_max**2 * nu_sq**2 / eps
    m_approx = 24.0 * K**2 * math.log(2.0 * n * config.seq_len / delta) / eps
    m_req = max(m_lin, m_curv, m_approx)
    eta = math.sqrt(nu_sq) / (R_max * G * math.sqrt(tau)) if math.isfinite(tau) and R_max * G > 0 else 0.0
    return Requirements(
        width=config.width,
        iterations=int(tau) if math.isfinite(tau) else -1,
        step_size=eta,
        width_linearization=m_lin,
        width_curvature=m_curv,
        width_approximation=m_approx,
        width_required=m_req,
        satisfied=config.width >= m_req,
        R_max=R_max,
        G=G,
        beta_max=beta_max,
        K=K,
        y_max=float(y_max),
    )


#: Largest width :func:`required_width` searches (beyond it the answer is reported as missing).
MAX_WIDTH = 2**62


def required_width(
    config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None = None, method: str = "pgd"
) -> Requirements | GDRequirements:
    """The smallest even ``m`` with ``m >= width_required(m)`` (B8, or B10 for ``method="gd"``).

    The gain ``a`` inside ``Omega`` depends on ``m`` (through ``rho_w/sqrt(m)``) and shrinks as
    ``m`` grows, so ``width_required(m)`` is non-increasing and the condition is monotone:
    doubling finds a feasible width, bisection the smallest. Raises ``ValueError`` when no
    width up to :data:`MAX_WIDTH` suffices.
    """

    def at(m: int) -> Requirements | GDRequirements:
        return requirements(config.replace(width=m), eps, n, delta, y_max, method)

    hi = max(2, config.width - config.width % 2)
    lo = 0
    while not at(hi).satisfied:
        lo = hi
        hi *= 2
        if hi > MAX_WIDTH:
            bound = "B10" if method == "gd" else "B8"
            raise ValueError(f"no width up to 2^62 meets the {bound} requirements for eps={eps}")
    while hi - lo > 2:
        mid = (lo + hi) // 2
        mid -= mid % 2
        if mid <= lo:
            break
        if at(mid).satisfied:
            hi = mid
        else:
            lo = mid
    return at(hi)
