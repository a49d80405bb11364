"""The floating-point floor of a comparison: how far rounding alone can move a measured value.

A claim (THEORY section 9) compares a *computed* quantity ``q_hat`` with a bound ``b``. Where the
exact quantity satisfies ``q <= b`` the computed one satisfies ``q_hat <= b + f`` with ``f`` an
upper bound of ``|q_hat - q|``: the *floor* of the comparison. A claim holds when
``measured <= bound + floor`` (:func:`verif.claims.base.result`), so a value within rounding of a
true bound is never reported as a violation, and the floor is stated in every result
(``details['floor']``). The floor is a rigorous first-order forward-error bound, not a
tolerance: it is of order ``u`` times the size of the terms, so it only matters where the bound
itself is of that order (``rho -> 0``, ``nu -> 0``, a reference that is exactly zero), and a
bound made smaller than the truth by any factor that leaves it above ``u`` still fails.

Model (Higham, *Accuracy and Stability of Numerical Algorithms*, sections 2-3). ``u = eps/2`` is
the unit roundoff of the dtype the quantity is computed in, and every basic operation obeys
``fl(x op y) = (x op y)(1 + delta)``, ``|delta| <= u``. Then:

* **sums and inner products** of ``k`` terms, in any order (pairwise, blocked, BLAS, XLA):
  ``|fl(sum x_i) - sum x_i| <= gamma_k sum |x_i|`` with ``gamma_k = k u / (1 - k u)``
  (:func:`gamma`, :func:`sum_floor`). The scale is the sum of the *absolute* terms, which is
  what a difference that cancels (``F_t`` near ``Theta_0``, ``K_Theta - K_Theta_0``) keeps;
* **activations**: the library's ``sigma`` and ``sigma'`` are accurate to an absolute
  ``ACT_ULPS u`` and ``D1_ULPS u`` (measured over 2e6 points in float64: NumPy's ``tanh`` 0.9 u,
  XLA's ``tanh`` 6.9 u, the sigmoid ``0.5 (1 + tanh(z/2))`` 4.0 u; ``sigma' = 1 - h^2`` or
  ``h (1 - h)`` from a computed ``h`` adds ``2 sigma_0`` times that plus ``2u`` of its own);
* **the recursion of THEORY 1 and 6** for one neuron ``(w, u)``: with ``E^z_t, E^h_t, E^g_t,
  E^G_t`` bounds of the absolute errors of ``z_t, h_t, g_t, G_t`` (``E_{-1} = 0``) and
  ``||x_t|| <= 1``,

  .. math::

      E^z_t &= |w| E^h_{t-1} + \\gamma_{d+1} (|w| \\sigma_0 + \\|u\\|), \\qquad
      E^h_t = \\sigma_1 E^z_t + c_\\sigma u, \\\\
      E^g_t &= \\sigma_1 (E^h_{t-1} + |w| E^g_{t-1} + \\gamma_3 P_t)
              + (\\sigma_2 E^z_t + c_{\\sigma'} u) P_t, \\qquad P_t = \\sigma_0 + |w| \\bar g_{t-1}, \\\\
      E^G_t &= \\sigma_1 (|w| E^G_{t-1} + \\gamma_3 Q_t)
              + (\\sigma_2 E^z_t + c_{\\sigma'} u) Q_t, \\qquad Q_t = 1 + |w| \\bar G_{t-1},

  (the mean value theorem with ``|sigma'| <= sigma_1`` and ``|sigma''| <= sigma_2``, as in the
  derivations of B1 and B4), where ``bar g_t = sigma_0 sigma_1 S_{t-1}(sigma_1 |w|)`` and
  ``bar G_t = sigma_1 S_t(sigma_1 |w|)`` are B1 at the neuron's own gain
  (:func:`recurrence_floors`). The error of ``h`` thus grows like ``S_t(sigma_1 |w|)``, the same
  factor as the bounds.

Second-order terms (``O(u^2)``) are dropped, as in any first-order analysis; every floor is
multiplied by :data:`SAFETY` to cover them and the rounding of the floor's own evaluation.
Bounds are evaluated in float64 from a handful of operations per time step, so a bound carries
the relative floor :func:`bound_floor` (``gamma_k |b|``, ``k`` its operation count).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from verif import activations
from verif.params import FloatArray

__all__ = [
    "ACT_ULPS",
    "D1_ULPS",
    "SAFETY",
    "b8_inequality_floor",
    "bound_floor",
    "central_difference_floor",
    "drift_update_floors",
    "feature_average_floor",
    "feature_magnitudes",
    "gamma",
    "kernel_floor",
    "linearized_floor",
    "omega_output_floor",
    "output_floor",
    "recurrence_floors",
    "richardson_floor",
    "risk_floor",
    "sum_floor",
    "telescoped_update_floor",
    "underflow_floor",
    "unit_roundoff",
    "update_size",
]

#: ``|sigma_hat(z) - sigma(z)| <= ACT_ULPS u`` (measured: at most 6.9 u for XLA's tanh).
ACT_ULPS = 8.0
#: ``|sigma'_hat(z) - sigma'(z)| <= D1_ULPS u``: ``2 sigma_0 ACT_ULPS + 2`` plus margin.
D1_ULPS = 20.0
#: Factor on every first-order floor: covers the ``O(u^2)`` terms and the floor's own rounding.
SAFETY = 2.0
#: Operations per time step of a bound of :mod:`verif.bounds` (``S_t``, products, sums).
BOUND_OPS_PER_STEP = 8
#: Operations of a bound beside its time steps (constants, square roots, radii).
BOUND_OPS_BASE = 16


def unit_roundoff(dtype: Any = np.float64) -> float:
    """``u = eps / 2`` of ``dtype`` (``2^-53`` in float64, ``2^-24`` in float32)."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2.0


def gamma(k: int, dtype: Any = np.float64) -> float:
    """Higham's ``gamma_k = k u / (1 - k u)``; ``inf`` when ``k u >= 1`` (no accuracy left)."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    ku = k * unit_roundoff(dtype)
    return math.inf if ku >= 1.0 else ku / (1.0 - ku)


def sum_floor(abs_sum: ArrayLike, count: int, dtype: Any = np.float64) -> Any:
    """``SAFETY (gamma_count sum |x_i| + count denorm_min)``: the floor of a sum of ``count`` terms.

    ``abs_sum`` is the sum of the absolute values of the terms (an array of sums is fine); the
    second term is gradual underflow (:func:`underflow_floor`) in the products that formed them.
    """
    scaled = gamma(count, dtype) * np.asarray(abs_sum, dtype=np.float64)
    return SAFETY * (scaled + underflow_floor(count, dtype))


def underflow_floor(count: int, dtype: Any = np.float64) -> float:
    """``count`` times the smallest subnormal: the absolute error gradual underflow adds to
    ``count`` operations (``fl(x op y) = (x op y)(1 + delta) + eta``, ``|eta| <= denorm_min / 2``)."""
    return float(count) * float(np.finfo(np.dtype(dtype)).smallest_subnormal)


def bound_floor(bound: ArrayLike, seq_len: int, extra_ops: int = 0) -> Any:
    """Relative floor ``gamma_k |b|`` of a bound evaluated in float64 over ``seq_len`` time steps.

    ``k = BOUND_OPS_BASE + BOUND_OPS_PER_STEP T + extra_ops`` (``extra_ops`` for a distance or a
    norm that enters the bound, e.g. ``m (1 + d)`` terms of ``||Theta - Theta'||``).
    """
    k = BOUND_OPS_BASE + BOUND_OPS_PER_STEP * int(seq_len) + int(extra_ops)
    return SAFETY * gamma(k) * np.abs(np.asarray(bound, dtype=np.float64))


def _partial_sums(a: FloatArray, T: int) -> FloatArray:
    """``S_t(a)`` for ``t = -1 .. T-1`` (rows), per entry of ``a``: shape ``(T + 1, len(a))``."""
    out = np.zeros((T + 1, a.size))
    for t in range(T):
        out[t + 1] = 1.0 + a * out[t]
    return out


def recurrence_floors(
    w_abs: ArrayLike, u_norm: ArrayLike, activation: str, seq_len: int, input_dim: int, dtype: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(E^h, E^g, E^G)``: rounding floors of ``h_t``, ``g_t`` and ``||G_t||`` per neuron, ``(T, m)``.

    The first-order recursions of the module docstring for neurons with ``|w_i|`` (``w_abs``) and
    ``||u_i||_2`` (``u_norm``), any inputs with ``||x_t|| <= 1``, computed in ``dtype``; each is
    multiplied by :data:`SAFETY`.
    """
    s0, s1, s2 = activations.get(activation).require_smooth()
    w = np.abs(np.asarray(w_abs, dtype=np.float64)).ravel()
    un = np.abs(np.asarray(u_norm, dtype=np.float64)).ravel()
    u = unit_roundoff(dtype)
    g_dot, g3 = gamma(input_dim + 1, dtype), gamma(3, dtype)
    S = _partial_sums(s1 * w, seq_len + 1)  # S[k] = S_{k-1}
    shape = (seq_len, w.size)
    Eh, Eg, EG = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    eh = eg = eG = np.zeros(w.size)
    for t in range(seq_len):
        g_prev = s0 * s1 * S[t - 1] if t >= 1 else np.zeros(w.size)  # bar g_{t-1} = s0 s1 S_{t-2}
        G_prev = s1 * S[t]  # bar G_{t-1} = sigma_1 S_{t-1}
        P = s0 + w * g_prev if t >= 1 else np.zeros(w.size)  # p_0 = 0 exactly
        Q = 1.0 + w * G_prev
        ez = w * eh + g_dot * (w * s0 + un)
        deriv = s2 * ez + D1_ULPS * u
        eg = s1 * (eh + w * eg + g3 * P) + deriv * P
        eG = s1 * (w * eG + g3 * Q) + deriv * Q
        eh = s1 * ez + ACT_ULPS * u
        Eh[t], Eg[t], EG[t] = eh, eg, eG
    return SAFETY * Eh, SAFETY * Eg, SAFETY * EG


def feature_magnitudes(w_abs: ArrayLike, activation: str, seq_len: int) -> tuple[FloatArray, FloatArray]:
    """B1 at each neuron's own gain ``sigma_1 |w_i|``: ``(bar g, bar G)``, each ``(T, m)``."""
    s0, s1, _ = activations.get(activation).require_smooth()
    w = np.abs(np.asarray(w_abs, dtype=np.float64)).ravel()
    S = _partial_sums(s1 * w, seq_len + 1)  # S[k] = S_{k-1}, k = 0 .. T
    return s0 * s1 * S[:seq_len], s1 * S[1 : seq_len + 1]


def _neurons(params: Any) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    w = np.abs(np.asarray(params.w, dtype=np.float64))
    un = np.linalg.norm(np.asarray(params.U, dtype=np.float64), axis=1)
    dw = np.abs(np.asarray(params.w, dtype=np.float64) - np.asarray(params.w0, dtype=np.float64))
    du = np.linalg.norm(
        np.asarray(params.U, dtype=np.float64) - np.asarray(params.U0, dtype=np.float64), axis=1
    )
    return w, un, dw, du


def output_floor(params: Any, H: Any, dtype: Any, seq_len: int | None = None) -> FloatArray:
    """Floor of ``F_t = (1/sqrt m) sum_i c_i h_{t,i}`` at ``params``, shape ``(n, T)``.

    ``(1/sqrt m) sum_i E^h_{t,i}`` (the states' own rounding) plus the summation floor
    ``gamma_{m+2} (1/sqrt m) sum_i |h_{t,i}|`` (``m`` terms, the scaling by ``1/sqrt m``), with
    ``H`` the computed hidden states ``(n, T, m)``. With ``H = None`` (and ``seq_len`` given)
    ``|h_{t,i}| <= sigma_0`` stands in for the states and the result has shape ``(1, T)``.
    """
    w, un, _, _ = _neurons(params)
    m, d = params.U.shape
    if H is None:
        if seq_len is None:
            raise ValueError("output_floor needs H or seq_len")
        s0 = activations.get(params.activation).require_smooth()[0]
        absH = np.full((1, seq_len), m * s0)
    else:
        absH = np.sum(np.abs(np.asarray(H, dtype=np.float64)), axis=-1)
    Eh, _, _ = recurrence_floors(w, un, params.activation, absH.shape[1], d, dtype)
    own = np.sum(Eh, axis=-1) / math.sqrt(m)
    return np.asarray(own[None, :] + sum_floor(absH / math.sqrt(m), m + 2, dtype), dtype=np.float64)


def linearized_floor(point: Any, seq_len: int, dtype: Any) -> FloatArray:
    """Floor of ``F_lin_t = (1/sqrt m) sum_i c_i (g_{t,i} Dw_i + <G_{t,i}, Du_i>)``, shape ``(T,)``.

    Features at ``Theta_0`` (floors :func:`recurrence_floors`, sizes :func:`feature_magnitudes`)
    times the displacement ``Delta = Theta - Theta_0``, plus the floor of the ``m (1 + d)``-term
    inner product and of forming ``Delta`` (``+3`` operations).
    """
    w0 = np.abs(np.asarray(point.w0, dtype=np.float64))
    un0 = np.linalg.norm(np.asarray(point.U0, dtype=np.float64), axis=1)
    _, _, dw, du = _neurons(point)
    m, d = point.U.shape
    _, Eg, EG = recurrence_floors(w0, un0, point.activation, seq_len, d, dtype)
    gbar, Gbar = feature_magnitudes(w0, point.activation, seq_len)
    own = (Eg @ dw + EG @ du) / math.sqrt(m)
    terms = (gbar @ dw + Gbar @ du) / math.sqrt(m)
    return np.asarray(own + sum_floor(terms, m * (1 + d) + 3, dtype), dtype=np.float64)


def kernel_floor(params: Any, seq_len: int, dtype: Any) -> FloatArray:
    """Floor of ``K_Theta((X,t),(X',t')) = (1/m) sum_i <phi_{t,i}, phi_{t',i}>`` at ``params``, ``(T, T)``.

    With ``|phi_{t,i}| <= M_{t,i} = bar g + bar G`` and its floor ``E_{t,i} = E^g + E^G``:
    ``(1/m) sum_i (E_{t,i} M_{t',i} + M_{t,i} E_{t',i}) + gamma_{m(1+d)+1} (1/m) sum_i M_{t,i} M_{t',i}``.
    """
    w, un, _, _ = _neurons(params)
    m, d = params.U.shape
    _, Eg, EG = recurrence_floors(w, un, params.activation, seq_len, d, dtype)
    gbar, Gbar = feature_magnitudes(w, params.activation, seq_len)
    M, E = gbar + Gbar, Eg + EG
    own = (E @ M.T + M @ E.T) / m
    return np.asarray(own + sum_floor(M @ M.T / m, m * (1 + d) + 1, dtype), dtype=np.float64)


def central_difference_floor(
    value_floor: ArrayLike, step: float, theta_max: float, measured: ArrayLike, dim: int, dtype: Any
) -> Any:
    """Floor of the operator norm of a ``dim x dim`` matrix of central differences.

    Each entry is ``(J(theta + h e) - J(theta - h e)) / (2h)`` with ``J`` computed within
    ``value_floor``: the two values contribute ``value_floor / h``; forming ``theta +- h e``
    rounds by ``u (|theta| + h)``, so the effective step is off by that relative amount; the
    difference, the division and the symmetrization add ``4 u``. An entrywise error ``e`` moves
    the operator norm by at most ``||E||_F <= dim e``, and the eigenvalue solver (backward
    stable) by ``gamma_dim`` times the norm.
    """
    u = unit_roundoff(dtype)
    rel = u * (theta_max + step) / step + gamma(dim + 4, dtype)
    measured = np.asarray(measured, dtype=np.float64)
    return dim * np.asarray(value_floor, dtype=np.float64) / step + SAFETY * rel * measured


def omega_output_floor(params0: Any, radii: tuple[float, float], seq_len: int, dtype: Any) -> float:
    """Floor of ``F_t`` at any point of ``Omega`` around ``params0`` (the largest over ``t``).

    Every neuron of ``Omega`` has ``|w_i| <= |w_i(0)| + r_w`` and ``||u_i|| <= ||u_i(0)|| + r_u``
    (``radii = (r_w, r_u)``, per neuron), and ``|h| <= sigma_0``, so
    ``(1/sqrt m) sum_i E^h_{t,i} + gamma_{m+2} sqrt(m) sigma_0`` bounds the output floor of
    :func:`output_floor` at every iterate of projected gradient descent.
    """
    s0 = activations.get(params0.activation).require_smooth()[0]
    w = np.abs(np.asarray(params0.w0, dtype=np.float64)) + radii[0]
    un = np.linalg.norm(np.asarray(params0.U0, dtype=np.float64), axis=1) + radii[1]
    m, d = params0.U.shape
    Eh, _, _ = recurrence_floors(w, un, params0.activation, seq_len, d, dtype)
    own = float(np.max(np.sum(Eh, axis=-1))) / math.sqrt(m)
    return own + float(sum_floor(math.sqrt(m) * s0, m + 2, dtype))


def feature_average_floor(
    w_abs: ArrayLike,
    u_norm: ArrayLike,
    vw_abs: ArrayLike,
    vu_norm: ArrayLike,
    activation: str,
    seq_len: int,
    input_dim: int,
    dtype: Any,
) -> FloatArray:
    """Floor of ``(1/N) sum_i phi_t(theta_i)``, ``phi_t = v_w g_t + <v_u, G_t>``, shape ``(T,)``.

    ``(1/N) sum_i (|v_w,i| E^g_{t,i} + ||v_u,i|| E^G_{t,i})`` (the features' floors) plus
    ``gamma_{N+d+3} (1/N) sum_i (|v_w,i| bar g_{t,i} + ||v_u,i|| bar G_{t,i})`` (the ``d + 1``-term
    inner product, the ``N``-term sum, the division).
    """
    vw = np.abs(np.asarray(vw_abs, dtype=np.float64)).ravel()
    vu = np.abs(np.asarray(vu_norm, dtype=np.float64)).ravel()
    _, Eg, EG = recurrence_floors(w_abs, u_norm, activation, seq_len, input_dim, dtype)
    gbar, Gbar = feature_magnitudes(w_abs, activation, seq_len)
    N = vw.size
    own = (Eg @ vw + EG @ vu) / N
    terms = (gbar @ vw + Gbar @ vu) / N
    return np.asarray(own + sum_floor(terms, N + input_dim + 3, dtype), dtype=np.float64)


def richardson_floor(count: int, size: float, step: float, dtype: Any = np.float64) -> float:
    """``3 sqrt(count) eps s / h``: rounding of ``count`` Richardson values ``(4 D_{h/2} - D_h)/3``.

    Each value of size ``s`` is computed to about ``eps s``; ``D_h`` divides a difference of two
    by ``2h``, the combination weighs them ``(4 * 2 + 1)/3 = 3``; the Frobenius norm of ``count``
    independent such errors grows like ``sqrt(count)``. (A statistical level, not a worst case:
    the central-difference comparison of E2 keeps a relative tolerance of ``1e-6`` besides it.)
    """
    return 3.0 * math.sqrt(count) * float(np.finfo(np.dtype(dtype)).eps) * size / step


def risk_floor(
    abs_residual_mean: float, output_floor_max: float, risk: float, count: int, dtype: Any
) -> float:
    """Floor of ``R = (1/(2nT)) sum r^2`` when each ``F`` is within ``f`` of the exact one.

    ``|r_hat^2 - r^2| <= 2 |r| f + f^2``, so the outputs' rounding moves ``R`` by at most
    ``mean|r| f + f^2 / 2``; the ``count``-term sum adds ``gamma_count R`` and underflow
    ``count`` subnormals.
    """
    f = float(output_floor_max)
    own = SAFETY * (abs_residual_mean * f + 0.5 * f * f)
    return float(own + sum_floor(abs(risk), count + 3, dtype) + underflow_floor(count, dtype))


def b8_inequality_floor(
    params0: Any,
    radii: tuple[float, float],
    seq_len: int,
    n: int,
    risks: ArrayLike,
    risk_star: float,
    step_size: float,
    max_grad_sq: float,
    grad_bound: float,
    eps_max: float,
    both_sides: float,
    dtype: Any,
) -> float:
    """Floor of the comparison ``lhs <= rhs`` of B8 from evaluating both sides at the computed iterates
    (E11; and E16's B10 (b), B8's right side on the ball a GD run reaches).

    Every iterate and ``Theta_bar`` lie in the ball of per-neuron ``radii`` around ``params0``, where
    each output is within ``f`` of the exact one (:func:`omega_output_floor`), so each risk is within
    ``r_f(R) = 2 (sqrt(2R) f + f^2/2) + gamma_{nT+3} R`` (:func:`risk_floor`, with ``mean|r| <=
    sqrt(2R)``). The floor is ``max_s r_f(R_s) + r_f(R(Theta_bar))`` over the ``risks`` the average
    covers, plus the rounding of the gradient term, ``eta (||grad R|| e + e^2/2)`` with
    ``e = sqrt(2 R_max) E + f G_max`` (``E`` the features' floor ``(1/sqrt m) ||(E^g, E^G)||`` over the
    ball, ``G_max = grad_bound`` the largest B3 bound), of the residual term, ``f max_t eps_t``
    (``eps_max``), and ``gamma_{tau+8}`` of both sides (``both_sides = lhs + rhs``).
    """
    count = int(n) * int(seq_len)
    f = omega_output_floor(params0, radii, seq_len, dtype)
    r = np.asarray(risks, dtype=np.float64)

    def r_f(R: float) -> float:
        return risk_floor(math.sqrt(2.0 * max(R, 0.0)), f, R, count, dtype)

    m = int(np.shape(params0.U0)[0])
    w = np.abs(np.asarray(params0.w0, dtype=np.float64)) + radii[0]
    un = np.linalg.norm(np.asarray(params0.U0, dtype=np.float64), axis=1) + radii[1]
    _, Eg, EG = recurrence_floors(w, un, params0.activation, seq_len, int(np.shape(params0.U0)[1]), dtype)
    E = float(np.max(np.sqrt(np.sum(Eg * Eg + EG * EG, axis=-1) / m)))
    e = math.sqrt(2.0 * float(np.max(r))) * E + f * grad_bound
    grad = step_size * (math.sqrt(max_grad_sq) * e + 0.5 * e * e)
    residual = f * eps_max
    lhs_floor = max(r_f(float(R)) for R in r)
    return float(lhs_floor + r_f(risk_star) + grad + residual + sum_floor(both_sides, len(r) + 8, dtype))


def drift_update_floors(
    params0: Any, drift_bounds: tuple[Any, Any, Any], dtype: Any
) -> tuple[Any, Any, float]:
    """What rounding the updates of a GD run adds to its drift ``D_w(s)``, ``D_u(s)`` (``s = 0..tau``)
    and ``D_F(tau)`` (B10 (a); E16).

    The bounds of B10 (a) are about the exact recursion; a run computes ``fl(Theta_s - eta g_s)``,
    each coordinate within ``u`` times its magnitude of the exact update, and the magnitudes are at
    most those at ``Theta_0`` plus the drift bounds ``drift_bounds = (b_w, b_u, b_F)`` (arrays over
    ``s``). Over ``s`` steps ``D_w`` gains at most ``sqrt(m) s u max_i |w_i|``, ``D_u``
    ``sqrt(m) s u max_i ||u_i||``, and ``D_F`` ``tau e`` with ``e = u max_s ||Theta_s||``
    (:func:`update_size`). Below ``1e-12`` of the bounds unless the iterates barely move (a target
    of order ``1e-16``, whose updates fall below ``u``).
    """
    u = unit_roundoff(dtype)
    bw, bu, bF = (np.asarray(b, dtype=np.float64) for b in drift_bounds)
    sqrt_m = math.sqrt(int(np.shape(params0.U0)[0]))
    s = np.arange(bw.shape[0], dtype=np.float64)
    scale_w = float(np.max(np.abs(np.asarray(params0.w0, dtype=np.float64)))) + float(bw[-1]) / sqrt_m
    scale_u = (
        float(np.max(np.linalg.norm(np.asarray(params0.U0, dtype=np.float64), axis=1)))
        + float(bu[-1]) / sqrt_m
    )
    e = update_size(params0, float(bF[-1]), dtype)
    return sqrt_m * s * u * scale_w, sqrt_m * s * u * scale_u, float(s[-1]) * e


def update_size(params0: Any, drift: float, dtype: Any) -> float:
    """``e = u (||Theta_0|| + drift)``: how far one computed update can be from the exact one, for
    iterates within ``drift`` (Frobenius) of ``Theta_0``."""
    norm0 = math.hypot(
        float(np.linalg.norm(np.asarray(params0.w0, dtype=np.float64))),
        float(np.linalg.norm(np.asarray(params0.U0, dtype=np.float64))),
    )
    return unit_roundoff(dtype) * (norm0 + drift)


def telescoped_update_floor(update: float, distance: float, step_size: float) -> float:
    """What rounding the updates adds to B8's right side (E11, and E16's B10 (b)).

    B8 telescopes ``||Theta_s - Theta*||^2`` over the steps. A computed update within ``e = update``
    (:func:`update_size`) of the exact one changes each step's squared distance by at most
    ``2 e d + e^2`` (``d = distance``, the largest ``||Theta_s - Theta*||``), which the telescoped sum
    divides by ``2 eta tau`` per step: ``(2 e d + e^2) / (2 eta)`` over the run. Negligible unless
    the iterates barely move (a target of order ``1e-16``, whose updates fall below ``u``), where it
    keeps rounding from being called a violation.
    """
    return (2.0 * update * distance + update * update) / (2.0 * step_size)
