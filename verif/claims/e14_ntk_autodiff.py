"""E14: the NTK and the linearized model are what generic autodiff says (THEORY 6, section 9).

The library never forms a Jacobian: :func:`verif.ntk.gram` sums per-neuron tangent features of
a backend. Here the reference is the generic one, built from the model of THEORY 1 alone:
``F_t(X; Theta) = (1/sqrt(m)) sum_i c_i h_{t,i}`` with ``h_t = sigma(w * h_{t-1} + U x_t)``,
written directly in ``jax.numpy``, and ``J = jax.jacrev`` of the flattened outputs ``(nT,)``
with respect to ``Theta = (w, U)`` (so ``J`` carries the ``1/sqrt(m)``). Since ``c_i^2 = 1``,

.. math::

    K_m = J J^\\top, \\qquad F^{lin}(\\Theta) = J (\\Theta - \\Theta_0)
    = \\frac{d}{d\\epsilon} F(\\Theta_0 + \\epsilon (\\Theta - \\Theta_0))\\Big|_{\\epsilon=0}

(the directional derivative, by ``jax.jvp``). Measured: the relative Frobenius error of
``ntk.gram`` (the backend's features) against ``J J^T``, and of ``ntk.linearized_outputs`` at a
point of ``Omega`` against the ``jvp``, the larger of the two, against ``RTOL = 1e-10`` in
float64 (``4 sqrt(eps)`` in float32). At a symmetric ``Theta_0`` ``ntk.gram`` sums only the first
``m/2`` neurons (:func:`verif.ntk.paired_half`), so the Gram of every neuron's features is
compared as well (``gram_rel_error`` is the larger, ``gram_rel_error_all_neurons`` the latter):
a backend whose partner features are wrong is caught here, not only through E1. The reference
runs in float64 inside ``jax.enable_x64``, whatever the global flag. Small shapes only: ``J`` has
``m (1 + d)`` columns.

Relative to what (:mod:`verif.floors`). Both quantities are sums that can cancel exactly: with
``d = 1`` and ``rho_w = 0`` a boundary point moves partners ``i, i + m/2`` by the same
``+-rho_u/sqrt(m)``, and when every pair moves alike ``F_lin = 0`` exactly while the two
computations leave rounding of order ``u`` (seed 18567 at ``m = 8``, ``T = 5``: a relative
error of ``1e289`` over a reference of ``0``). The denominator is therefore the larger of
``||ref||_F`` and the Frobenius norm of the sum of the absolute terms, the scale of a
summation's rounding error: ``(1/m) sum_i |phi_i| |phi_i|^T`` for the Gram matrix (``phi`` the
backend's features at ``Theta_0``), ``(1/sqrt m) sum_i (|g_i| |Dw_i| + sum_k |G_{i,k}| |Du_{i,k}|)``
for ``F_lin``. The floor, in the same relative units, is the sum of both computations' absolute
floors over that denominator (:func:`verif.floors.kernel_floor`,
:func:`verif.floors.linearized_floor`, the reference's in float64): ``details['floor']``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from verif import activations, floors, ntk
from verif.backends import Backend
from verif.backends.common import feature_gram
from verif.claims import sampling
from verif.claims.base import ClaimResult, init_and_inputs, register, result
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: Relative Frobenius tolerance in float64.
RTOL = 1e-10
#: Largest ``m (1 + d)`` for which the generic Jacobian is formed.
MAX_PARAMS = 1024


def tolerance(config: RNNConfig) -> float:
    """``RTOL`` in float64, ``4 sqrt(eps_32)`` in float32."""
    return RTOL if config.dtype == "float64" else 4.0 * math.sqrt(float(np.finfo(np.float32).eps))


def rel_error(a: Any, b: Any, scale: float = 0.0) -> tuple[float, float]:
    """``(||a - b||_F / D, D)`` with ``D = max(||b||_F, scale, tiny)``.

    ``scale`` is the rounding scale of the sum that forms ``b`` (the norm of the sum of its
    absolute terms), so that a reference that cancels to ``0`` is not divided by.
    """
    a64, b64 = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(b64)), float(scale), float(np.finfo(np.float64).tiny))
    return float(np.linalg.norm(a64 - b64)) / denom, denom


@functools.cache
def _reference_fn(activation: str) -> Any:
    """The jitted generic reference for one activation (compiled once per shape)."""
    import jax
    import jax.numpy as jnp

    act = activations.get(activation)

    def outputs(theta: Any, X: Any, c: Any) -> Any:
        m, d = c.shape[0], X.shape[-1]
        w, U = theta[:m], theta[m:].reshape(m, d)

        def cell(h: Any, x_t: Any) -> tuple[Any, Any]:
            h = act.fn(w * h + x_t @ U.T, jnp)
            return h, h

        _, H = jax.lax.scan(cell, jnp.zeros((X.shape[0], m), dtype=X.dtype), jnp.swapaxes(X, 0, 1))
        return jnp.swapaxes(H @ c, 0, 1) / jnp.sqrt(m)  # (n, T)

    def reference(theta0: Any, direction: Any, X: Any, c: Any) -> tuple[Any, Any]:
        J = jax.jacrev(lambda th: outputs(th, X, c).reshape(-1))(theta0)
        _, lin = jax.jvp(lambda th: outputs(th, X, c), (theta0,), (direction,))
        return J @ J.T, lin

    return jax.jit(reference)


def autodiff_reference(params: Params, point: Params, X: Any) -> tuple[FloatArray, FloatArray]:
    """``(J J^T, J (Theta - Theta_0))`` from generic JAX autodiff at ``Theta_0``, in float64.

    ``J J^T`` has shape ``(nT, nT)`` (rows ``j*T + t``); the directional derivative ``(n, T)``.
    """
    import jax

    def flat(w: Any, U: Any) -> FloatArray:
        return np.concatenate([np.ravel(w), np.ravel(U)]).astype(np.float64)

    theta0 = flat(params.w0, params.U0)
    direction = flat(point.w, point.U) - flat(point.w0, point.U0)
    with jax.enable_x64(True):
        K, lin = _reference_fn(params.activation)(
            theta0, direction, np.asarray(X, dtype=np.float64), np.asarray(params.c, dtype=np.float64)
        )
        return np.asarray(K, dtype=np.float64), np.asarray(lin, dtype=np.float64)


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "X", "n")


@register("E14", title="the NTK is what autodiff says", theory="section 6", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Relative error of ``ntk.gram`` against ``J J^T`` and of ``F_lin`` against the ``jvp``.

    Options:
        kind: where the point of ``Omega`` for ``F_lin`` lies (``interior``, ``boundary``, ``corner``).
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 3).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    if config.width * (1 + config.input_dim) > MAX_PARAMS:
        raise ValueError(
            f"E14 forms the generic Jacobian: m (1 + d) must be <= {MAX_PARAMS}, "
            f"got {config.width * (1 + config.input_dim)}"
        )
    rng, params, X = init_and_inputs(config, seed, options)
    point = sampling.point_in_omega(params, config, rng, kind)
    K_ref, lin_ref = autodiff_reference(params, point, X)
    m, T, n = config.width, config.seq_len, X.shape[0]
    g, G = backend.tangent_features(params, X)
    phi = np.concatenate(
        [np.abs(np.asarray(g, dtype=np.float64))[..., None], np.abs(np.asarray(G, dtype=np.float64))], axis=-1
    )
    phi = phi.reshape(n * T, -1)  # rows j*T + t, columns (neuron, coordinate)
    gram_scale = float(np.linalg.norm(phi @ phi.T)) / m
    dw, dU = point.displacement()
    delta = np.concatenate(
        [np.abs(np.asarray(dw, dtype=np.float64))[:, None], np.abs(np.asarray(dU, dtype=np.float64))], axis=1
    )
    lin_scale = float(np.linalg.norm(phi @ delta.ravel())) / math.sqrt(m)
    # ntk.gram may sum only the first m/2 neurons at a symmetric Theta_0 (ntk.paired_half);
    # the Gram of every neuron's features, formed here from the same features, checks the
    # partners' features as well.
    K_all = feature_gram(np.asarray(g, dtype=np.float64), np.asarray(G, dtype=np.float64), np) / m
    err_lib, den_gram = rel_error(ntk.gram(params, X, backend), K_ref, gram_scale)
    err_all, _ = rel_error(K_all, K_ref, gram_scale)
    err_gram = max(err_lib, err_all)
    err_lin, den_lin = rel_error(ntk.linearized_outputs(point, X, backend), lin_ref, lin_scale)
    kf = np.tile(
        floors.kernel_floor(params, T, config.dtype) + floors.kernel_floor(params, T, np.float64), (n, n)
    )
    lf = np.tile(
        floors.linearized_floor(point, T, config.dtype) + floors.linearized_floor(point, T, np.float64), n
    )
    floor_gram = float(np.linalg.norm(kf)) / den_gram
    floor_lin = float(np.linalg.norm(lf)) / den_lin
    tol = tolerance(config)
    measured, floor = max((err_gram, floor_gram), (err_lin, floor_lin), key=lambda ef: ef[0] / (tol + ef[1]))
    return result(
        "E14",
        measured,
        tol,
        config,
        seed,
        backend,
        floor=floor,
        kind=kind,
        gram_rel_error=err_gram,
        gram_rel_error_all_neurons=err_all,
        linearized_rel_error=err_lin,
        gram_denominator=den_gram,
        linearized_denominator=den_lin,
    )
