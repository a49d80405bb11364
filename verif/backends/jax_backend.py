"""JAX backend: ``lax.scan`` over time, autodiff for every derivative, jit-compiled.

Tangent features come from ``jax.jvp`` (not from the recursions of THEORY 6), so that this
backend is an independent oracle for the NumPy one. Compiled functions live at module level
(``jax.jit`` caches one executable per shape, dtype and activation), so repeated calls of one
shape never recompile. float64 is enabled on import (``jax_enable_x64``); float32 parameters
stay float32. Results are returned as NumPy arrays.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from verif import activations
from verif.backends.common import prepare_inputs, prepare_targets, readout, risk_from_outputs
from verif.params import FloatArray, Params

jax.config.update("jax_enable_x64", True)


def _input_term(x_t: jax.Array, U: jax.Array) -> jax.Array:
    """``U x_t`` for every sequence, shape ``(n, m)``, summed over ``k = 0..d-1`` in a fixed order.

    Written as ``d`` elementwise products rather than a matrix product: XLA's CPU dot kernels
    may round two identical rows of ``U`` differently (seen with ``n = 1``), which breaks the
    bit-for-bit equality of partner neurons that THEORY 2's exact zero output rests on.
    Elementwise operations treat every neuron alike.
    """
    acc = x_t[:, 0:1] * U[:, 0]
    for k in range(1, U.shape[1]):
        acc = acc + x_t[:, k : k + 1] * U[:, k]
    return acc


def _hidden_tnm(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    """``H`` laid out ``(T, n, m)``, by ``lax.scan`` over ``t`` (THEORY 1).

    ``U x_t`` is formed inside the scan: materializing ``U x_t`` for all ``t`` up front costs
    an extra ``(n, T, m)`` array and its cotangent, which made the gradient about 1.5x slower.
    """
    act = activations.get(act_name)

    def step(h: jax.Array, x_t: jax.Array) -> tuple[jax.Array, jax.Array]:
        h_next = act.fn(w * h + _input_term(x_t, U), jnp)
        return h_next, h_next

    h0 = jnp.zeros((X.shape[0], w.shape[0]), dtype=X.dtype)
    _, H = lax.scan(step, h0, jnp.swapaxes(X, 0, 1))
    return H


def _hidden(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    """``H`` of shape ``(n, T, m)``."""
    return jnp.swapaxes(_hidden_tnm(w, U, X, act_name), 0, 1)


def _risk(w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, Y: jax.Array, act_name: str) -> jax.Array:
    F_tn = readout(_hidden_tnm(w, U, X, act_name), c, jnp)
    return risk_from_outputs(F_tn, Y.T, jnp)


@partial(jax.jit, static_argnames=("act_name",))
def _hidden_jit(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    return _hidden(w, U, X, act_name)


@partial(jax.jit, static_argnames=("act_name",))
def _outputs_jit(w: jax.Array, U: jax.Array, c: jax.Array, X: jax.Array, act_name: str) -> jax.Array:
    return readout(_hidden(w, U, X, act_name), c, jnp)


@partial(jax.jit, static_argnames=("act_name",))
def _features_jit(w: jax.Array, U: jax.Array, X: jax.Array, act_name: str) -> tuple[jax.Array, jax.Array]:
    """``g = dH/dw`` and ``G = dH/du`` per neuron by forward-mode autodiff.

    Neuron ``i``'s state depends on ``(w_i, u_i)`` only, so a tangent of ones in ``w`` gives every
    ``g_{t,i}`` at once and a tangent ``e_k`` in every row of ``U`` gives ``G_{t,i,k}``.
    """

    def f(w_: jax.Array, U_: jax.Array) -> jax.Array:
        return _hidden(w_, U_, X, act_name)

    _, g = jax.jvp(f, (w, U), (jnp.ones_like(w), jnp.zeros_like(U)))

    def column(k: jax.Array) -> jax.Array:
        e_k = jnp.zeros_like(U).at[:, k].set(1.0)
        return jax.jvp(f, (w, U), (jnp.zeros_like(w), e_k))[1]

    G = jax.vmap(column, out_axes=-1)(jnp.arange(U.shape[1]))
    return g, G


_risk_jit = jax.jit(_risk, static_argnames=("act_name",))
_risk_and_grad_jit = jax.jit(jax.value_and_grad(_risk, argnums=(0, 1)), static_argnames=("act_name",))


class JaxBackend:
    """THEORY sections 1, 5 and 6 in JAX (scan + autodiff), returning NumPy arrays."""

    name = "jax"

    @staticmethod
    def _args(params: Params, X: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
        Xn = prepare_inputs(params, X)
        return jnp.asarray(params.w), jnp.asarray(params.U), jnp.asarray(Xn)

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        """``H``, shape ``(n, T, m)``."""
        w, U, Xj = self._args(params, X)
        return np.asarray(_hidden_jit(w, U, Xj, params.activation))

    def outputs(self, params: Params, X: Any) -> FloatArray:
        """``F_t(X)``, shape ``(n, T)`` (paired sum)."""
        w, U, Xj = self._args(params, X)
        return np.asarray(_outputs_jit(w, U, jnp.asarray(params.c), Xj, params.activation))

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        """``g`` ``(n, T, m)`` and ``G`` ``(n, T, m, d)`` by ``jax.jvp``."""
        w, U, Xj = self._args(params, X)
        g, G = _features_jit(w, U, Xj, params.activation)
        return np.asarray(g), np.asarray(G)

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        """``R(Theta)`` (THEORY 5)."""
        w, U, Xj = self._args(params, X)
        Yj = jnp.asarray(prepare_targets(params, Xj.shape, Y))
        return float(_risk_jit(w, U, jnp.asarray(params.c), Xj, Yj, params.activation))

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``R(Theta)`` and ``(dR/dw, dR/dU)`` by ``jax.value_and_grad``."""
        w, U, Xj = self._args(params, X)
        Yj = jnp.asarray(prepare_targets(params, Xj.shape, Y))
        value, (dw, dU) = _risk_and_grad_jit(w, U, jnp.asarray(params.c), Xj, Yj, params.activation)
        return float(value), (np.asarray(dw), np.asarray(dU))
