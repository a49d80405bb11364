"""B10, the guarantee of plain gradient descent, and its comparison with B8 (THEORY 8).

GD never projects, so its iterates lie in no ball fixed in advance: B10 bounds the drift

``D_w(s) = sqrt(m) max_i |w_i(s) - w_i(0)|``, ``D_u(s) = sqrt(m) max_i ||u_i(s) - u_i(0)||``,
``D_F(s) = ||Theta_s - Theta_0||_2``

and evaluates the constants of B1-B8 on the ball ``Omega(rho)`` the iterates reach (every
bound of :mod:`verif.bounds` holds on any ``Omega(rho)``, at the gain
``a = sigma_1 (alpha + rho_w / sqrt(m))``). This module holds only what B10 adds; the B1-B8
functions it uses are imported from :mod:`verif.bounds`, never copied:

* :func:`drift_bounds`: B10 (a), the drift along a recorded run;
* :func:`requirements` / :func:`radii`: B10 (c), the width and iterations for average risk
  ``eps`` at the fixed-point radius ``rho``;
* :func:`asymptotic_ratios`: the comparison with B8 as ``eps -> 0`` (the exponents and
  constants of ``m_GD / m_PGD`` and ``tau_GD / tau_PGD``).

B10 (b), the inequality, is B8's right side (:func:`verif.bounds.pgd_rhs`) on ``Omega(rho)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from verif import bounds
from verif.config import MAX_MAGNITUDE, RNNConfig
from verif.validation import require_real

FloatArray = bounds.FloatArray

#: B10 (c): the step ``eta = STEP_FACTOR / G^2`` (the largest that the argument allows).
STEP_FACTOR = 0.25
#: Iterations of the fixed-point search for the radii before the width counts as too small.
RADIUS_ITERATIONS = 500
#: The fixed point is accepted once an iteration grows the radii by at most this (relative).
RADIUS_RTOL = 1e-9
#: THEORY 8, comparison under B10: ``m_GD / m_PGD ~ C eps^-WIDTH_EXPONENT`` and
#: ``tau_GD / tau_PGD ~ C' eps^-ITERATION_EXPONENT`` (exponents in ``1/eps``).
WIDTH_EXPONENT = 1.0
#: The smallest normal float64: below it a product has lost digits to underflow.
_NORMAL_MIN = float(np.finfo(np.float64).tiny)
ITERATION_EXPONENT = -1.0


def _nu_sq(config: RNNConfig) -> float:
    return config.nu_w**2 + config.nu_u**2


def _gain_config(config: RNNConfig, drift_w: float) -> RNNConfig:
    """``config`` with ``rho_w = drift_w``: the ball whose gain is that of a point at that drift."""
    return config.replace(rho_w=float(drift_w))


# --------------------------------------------------------------------------- B10 (a)


def drift_bounds(
    config: RNNConfig, step_size: float, mean_abs_residuals: ArrayLike, drift_w: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """B10 (a): bounds on ``D_w(s)``, ``D_u(s)``, ``D_F(s)`` for ``s = 0..tau``, each ``(tau + 1,)``.

    .. math::

        D_w(s) \\le \\eta \\sum_{k<s} \\frac{1}{nT}\\sum_{j,t}|r_{j,t}(\\Theta_k)|\\,L_{w,t},

    and likewise ``D_u`` with ``L_u,t`` and ``D_F`` with ``G_t``; the constants of the ``k``-th
    term are taken at the gain of ``Theta_k``, ``sigma_1 (alpha + D_w(k)/sqrt(m))``.

    Args:
        config: the configuration (its ``rho_w`` is not used: each term has its own gain).
        step_size: ``eta``.
        mean_abs_residuals: ``(1/n) sum_j |r_{j,t}(Theta_k)|``, shape ``(tau, T)`` or more rows
            (rows beyond ``tau`` are ignored; ``tau = len(drift_w) - 1``).
        drift_w: the measured ``D_w(k)``, ``k = 0..tau``.
    """
    step = require_real("step_size", step_size, 0.0, strict=True)
    dw = np.asarray(drift_w, dtype=float)
    res = np.asarray(mean_abs_residuals, dtype=float)
    steps = dw.shape[0] - 1
    if res.ndim != 2 or res.shape[0] < steps or res.shape[1] != config.seq_len:
        raise ValueError(
            f"mean_abs_residuals must have shape (>= {steps}, {config.seq_len}), got {res.shape}"
        )
    inc = np.zeros((3, steps))
    for k in range(steps):
        c = _gain_config(config, dw[k])
        L_w, L_u = bounds.lipschitz_w(c), bounds.lipschitz_u(c)
        inc[:, k] = [np.mean(res[k] * L) for L in (L_w, L_u, np.hypot(L_w, L_u))]
    out = np.zeros((3, steps + 1))
    out[:, 1:] = step * np.cumsum(inc, axis=1)
    return out[0], out[1], out[2]


# --------------------------------------------------------------------------- B10 (c)


@dataclass(frozen=True)
class GDRequirements:
    """B10 sufficient conditions for average GD risk ``<= eps`` at a given width.

    A number beyond float64 is a :class:`verif.bounds.Huge` (float value ``inf``, ``log10`` kept);
    a plain ``inf`` marks the conditions that do not exist without a radius fixed point.

    The fields shared with :class:`verif.bounds.Requirements` mean the same (a width, the
    iterations, the step, three width conditions, the largest, whether the width meets it).

    Attributes:
        width: ``m`` at which the gain (hence every constant) was evaluated.
        iterations: ``tau >= 12 (nu_w^2 + nu_u^2) G^2 / eps`` (rounded up).
        step_size: ``eta = 1 / (4 G^2)``.
        width_linearization: ``48 (max_t beta_t)^2 (rho_w^2 + rho_u^2)^2 / eps``.
        width_curvature: ``3 (max_t beta_t)^2 (nu_w^2 + nu_u^2)^2 / eps``.
        width_approximation: ``48 K^2 log(2 n T / delta) / eps``.
        width_required: the largest of the three (``inf`` when no radius fixed point exists).
        satisfied: whether ``width >= width_required``.
        radius_w, radius_u: the radii ``rho_w, rho_u`` the iterates reach (the fixed point).
        drift_scale: ``r = sqrt(2 eta tau nu^2 + (4/3) (eta tau)^2 eps)``.
        G, beta_max, K, y_max: the constants used (at the gain of ``Omega(rho)``).
        converged: whether the radius fixed point was found.
    """

    width: int
    iterations: int
    step_size: float
    width_linearization: float
    width_curvature: float
    width_approximation: float
    width_required: float
    satisfied: bool
    radius_w: float
    radius_u: float
    drift_scale: float
    G: float
    beta_max: float
    K: float
    y_max: float
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form: infinite values (no fixed point exists) are ``None``; a
        :class:`verif.bounds.Huge` stays one (``verif bounds --json`` writes its log10)."""
        return {
            k: None if isinstance(v, float) and not isinstance(v, bounds.Huge) and not math.isfinite(v) else v
            for k, v in asdict(self).items()
        }


@dataclass(frozen=True)
class _Radii:
    rho_w: float
    rho_u: float
    iterations: int
    step_size: float
    drift_scale: float
    converged: bool


def _iterations_and_step(config: RNNConfig, eps: float) -> tuple[int, float, float]:
    """``(tau, eta, G)`` of B10 (c) at ``config``'s gain.

    ``eta = 1/(4 G^2)`` and ``tau = ceil(12 nu^2 G^2 / eps)``, so that ``eta tau >= 3 nu^2 / eps``.
    """
    G = float(np.max(bounds.grad_norm_bound(config)))
    eta = STEP_FACTOR / (G * G)
    denominator = eta * eps
    if _nu_sq(config) == 0:
        tau_real = 0.0
    else:
        tau_real = 3.0 * _nu_sq(config) / denominator if denominator > 0 else math.inf
    tau = max(1, math.ceil(tau_real)) if math.isfinite(tau_real) else -1
    return tau, eta, G


def _at_gain(config: RNNConfig, rho_w: float, limit_gain: bool) -> RNNConfig:
    """The configuration whose constants hold on ``Omega(rho)``: gain ``sigma_1 (alpha + rho_w/sqrt(m))``,
    or ``a_0`` with ``limit_gain`` (the limit ``m -> infinity`` at fixed ``rho``)."""
    return config.replace(rho_w=0.0 if limit_gain else rho_w)


def _radius_map(
    config: RNNConfig, eps: float, rho_w: float, limit_gain: bool = False
) -> tuple[float, float, int, float, float]:
    """One application of B10 (c)'s radius map at ``rho_w``: ``(rho_w', rho_u', tau, eta, r)``.

    Infinite radii when the constants at ``rho_w`` exceed floating point (or the radius the
    range of :class:`RNNConfig`).
    """
    try:
        c = _at_gain(config, rho_w, limit_gain)
        with np.errstate(over="ignore", invalid="ignore"):
            tau, eta, _ = _iterations_and_step(c, eps)
        L_w = float(np.max(bounds.lipschitz_w(c)))
        L_u = float(np.max(bounds.lipschitz_u(c)))
    except ValueError:  # bounds.BeyondFloat, or a radius beyond the configuration's range
        return math.inf, math.inf, -1, 0.0, math.inf
    if tau < 0:
        return math.inf, math.inf, -1, 0.0, math.inf
    time = eta * tau
    # eta tau eps first: (eta tau)^2 alone underflows where G^2 is beyond 1e154 (long memory)
    r = math.sqrt(2.0 * time * _nu_sq(config) + 4.0 / 3.0 * time * (time * eps))
    return max(config.nu_w, L_w * r), max(config.nu_u, L_u * r), tau, eta, r


def radii(config: RNNConfig, eps: float, limit_gain: bool = False) -> _Radii:
    """B10 (c): radii ``rho`` with ``rho >= (max(nu_w, L_w r), max(nu_u, L_u r))`` evaluated at ``rho``.

    The map is increasing in ``rho_w`` (only ``rho_w`` enters the gain), so iterating it from
    ``rho = nu`` climbs to its least fixed point; each step is inflated by ``1 + RADIUS_RTOL`` so
    that the point returned satisfies the inequality strictly. No fixed point within
    :data:`RADIUS_ITERATIONS` steps (the width is too small, or the map grows faster than
    ``rho``), or radii beyond the range of :class:`RNNConfig` (``MAX_MAGNITUDE``), is reported as
    ``converged=False``.
    """
    eps = require_real("eps (target average risk)", eps, 0.0, strict=True)
    rho_w = config.nu_w
    for _ in range(RADIUS_ITERATIONS):
        new_w, new_u, tau, eta, r = _radius_map(config, eps, rho_w, limit_gain)
        if not (new_w <= MAX_MAGNITUDE and new_u <= MAX_MAGNITUDE):  # beyond float64 or RNNConfig's range
            break
        if new_w <= rho_w:
            return _Radii(rho_w, new_u, tau, eta, r, True)
        rho_w = new_w * (1.0 + RADIUS_RTOL)
    return _Radii(math.inf, math.inf, -1, 0.0, math.inf, False)


def _conditions(
    config: RNNConfig, at: RNNConfig | None, eps: float, log_term: float, rho_sq: float, log: bool
) -> dict[str, Any]:
    """B10 (c)'s constants and width conditions in the arithmetic of ``log`` (:mod:`verif.bounds`).

    ``K`` is taken at ``config`` (gains at initialization), ``beta`` and ``G`` at ``at``, the
    configuration of ``Omega(rho)``; ``at=None`` (no radius fixed point) gives ``K`` and the
    approximation condition only.
    """
    K = bounds._K(config, log)
    m_approx = 48.0 * K * K * log_term / eps
    if at is None:
        return {"K": K, "width_approximation": m_approx}
    beta_max = bounds._max(bounds._beta(at, log))
    m_lin = 48.0 * beta_max * beta_max * (rho_sq * rho_sq) / eps
    m_curv = 3.0 * beta_max * beta_max * _nu_sq(config) ** 2 / eps
    return {
        "K": K,
        "width_approximation": m_approx,
        "width_linearization": m_lin,
        "width_curvature": m_curv,
        "width_required": bounds._largest(m_lin, m_curv, m_approx),
        "beta_max": beta_max,
        "G": bounds._max(bounds._grad_norm(at, log)),
    }


def requirements(
    config: RNNConfig,
    eps: float,
    n: int,
    delta: float,
    y_max: float | None = None,
    limit_gain: bool = False,
) -> GDRequirements:
    """B10 (c) width and iteration requirements for GD, evaluated at ``config.width``.

    ``config``'s radii ``rho_w, rho_u`` are not used: GD's radii are those its iterates reach
    (:func:`radii`). ``y_max`` is recorded only (B10 bounds the residuals through the risk).
    With ``limit_gain`` every constant is taken at the gain ``a_0``, the limit of the gain as the
    width grows without bound (THEORY 8, the comparison under B10; used by E17).

    A constant or condition beyond float64 is a :class:`verif.bounds.Huge` (its ``log10`` kept),
    as in :func:`verif.bounds.requirements`: each is evaluated in float64 and, where that
    overflows, on logarithms. ``inf`` (not a ``Huge``) means that no radius fixed point exists.
    """
    eps = require_real("eps (target average risk)", eps, 0.0, strict=True)
    n, delta = bounds._check_n_delta(n, delta)
    log_term = bounds._log_term(n, config.seq_len, delta)
    y_given = None if y_max is None else require_real("y_max", y_max, 0.0)
    rad = radii(config, eps, limit_gain)
    at = _at_gain(config.replace(rho_u=rad.rho_u), rad.rho_w, limit_gain) if rad.converged else None
    rho_sq = rad.rho_w * rad.rho_w + rad.rho_u * rad.rho_u if rad.converged else 0.0
    values = bounds._evaluate(lambda log: _conditions(config, at, eps, log_term, rho_sq, log))
    out = {k: bounds._huge_or_float(v) for k, v in values.items()}
    y = out["K"] if y_given is None else y_given
    if not rad.converged:
        return GDRequirements(
            width=config.width,
            iterations=-1,
            step_size=0.0,
            width_linearization=math.inf,
            width_curvature=math.inf,
            width_approximation=out["width_approximation"],
            width_required=math.inf,
            satisfied=False,
            radius_w=math.inf,
            radius_u=math.inf,
            drift_scale=math.inf,
            G=math.inf,
            beta_max=math.inf,
            K=out["K"],
            y_max=y,
            converged=False,
        )
    return GDRequirements(
        width=config.width,
        iterations=rad.iterations,
        step_size=rad.step_size,
        satisfied=config.width >= out["width_required"],
        radius_w=rad.rho_w,
        radius_u=rad.rho_u,
        drift_scale=rad.drift_scale,
        y_max=y,
        converged=True,
        **out,
    )


# --------------------------------------------------------------------------- comparison with B8


@dataclass(frozen=True)
class AsymptoticRatios:
    """THEORY 8, comparison under B10: ``m_GD/m_PGD ~ width_constant * eps^-width_exponent``, and
    ``tau_GD/tau_PGD ~ iteration_constant * eps^-iteration_exponent`` (exponents in ``1/eps``).

    ``width_constant = 432 nu^8 G^4 / (R_max^2 (rho_w^2 + rho_u^2)^2)``,
    ``iteration_constant = 4 / (3 R_max^2)``, with ``G``, ``R_max`` of B8 at the gain ``a_0``.
    """

    width_exponent: float
    width_constant: float
    iteration_exponent: float
    iteration_constant: float


def _limit_constants(config: RNNConfig, y_max: float | None, log: bool) -> dict[str, Any]:
    """The two constants of :class:`AsymptoticRatios` in the arithmetic of ``log``
    (:mod:`verif.bounds`), with ``G`` and ``R_max`` of B8 at ``config``."""
    b8 = bounds._requirements(config, 1.0, 1, 0.5, y_max, log)
    R_sq = b8["R_max"] * b8["R_max"]
    # nu^2 and rho^2 from their norms, so that neither underflows to 0 nor overflows when squared
    nu_sq = bounds._num(math.hypot(config.nu_w, config.nu_u), log) ** 2
    rho_sq = bounds._num(math.hypot(config.rho_w, config.rho_u), log) ** 2
    return {
        "width_constant": 432.0 * nu_sq**4 * b8["G"] ** 4 / (R_sq * rho_sq**2),
        "iteration_constant": bounds._num(4.0, log) / (3.0 * R_sq),
    }


def asymptotic_ratios(config: RNNConfig, y_max: float | None = None) -> AsymptoticRatios:
    """The derived limits of B10's requirements over B8's as ``eps -> 0`` (PGD with ``config``'s radii).

    The constants are B8's (:func:`verif.bounds.requirements`) at the width
    :data:`verif.bounds.MAX_WIDTH`, whose gain is within ``sigma_1 rho_w / 2^31`` of ``a_0``, the
    limit of both methods' gains (both required widths grow without bound). Needs ``nu > 0``,
    ``rho > 0`` and ``R_max > 0``: where ``R_max = 0`` (``rho_u = 0`` with ``rho_w = 0`` or ``T = 1``,
    and ``Y_max = 0``) B8 asks for no iterations and its first width condition vanishes, so the
    leading terms the comparison divides are not there; each is refused with a ``ValueError``
    naming the fields. They are evaluated in float64 and, where that overflows, on logarithms, as in
    :func:`verif.bounds.requirements`: a constant beyond float64 is a :class:`verif.bounds.Huge`
    (its ``log10`` kept), never ``inf`` or ``nan``; where a factor (``nu^8``, ``rho^4``) or a
    constant falls below float64's normal range the constants are evaluated on logarithms too (0
    then means below float64's range).
    """
    bounds._constants(config)
    if (config.nu_w == 0 and config.nu_u == 0) or (config.rho_w == 0 and config.rho_u == 0):
        raise ValueError(
            "the comparison under B10 needs nu_w^2 + nu_u^2 > 0 and rho_w^2 + rho_u^2 > 0; got "
            f"nu_w={config.nu_w!r}, nu_u={config.nu_u!r}, rho_w={config.rho_w!r}, rho_u={config.rho_u!r}"
        )
    y = None if y_max is None else require_real("y_max", y_max, 0.0)
    why = bounds._zero_R_max_reason(config, y)
    if why is not None:
        raise ValueError(f"the comparison under B10 needs R_max > 0 (B8): {why}")
    at = config.replace(width=bounds.MAX_WIDTH)
    values = bounds._evaluate(lambda log: _limit_constants(at, y, log))
    # an intermediate (nu^8, rho^4, R_max^2) below the normal range loses digits: on logarithms
    ln_small = min(
        8.0 * math.log(math.hypot(config.nu_w, config.nu_u)),
        4.0 * math.log(math.hypot(config.rho_w, config.rho_u)),
    )
    if not isinstance(values["width_constant"], bounds._Log) and (
        ln_small < math.log(_NORMAL_MIN) or any(v < _NORMAL_MIN for v in values.values())
    ):
        values = _limit_constants(at, y, True)
    return AsymptoticRatios(
        width_exponent=WIDTH_EXPONENT,
        width_constant=bounds._huge_or_float(values["width_constant"]),
        iteration_exponent=ITERATION_EXPONENT,
        iteration_constant=bounds._huge_or_float(values["iteration_constant"]),
    )
