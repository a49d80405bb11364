"""Formulas shared by every backend, written once over an array namespace ``xp``.

* the paired read-out ``F_t = (1/sqrt(m)) sum_i c_i H_{t,i}`` (THEORY 1-2),
* the empirical risk ``R = (1/(2nT)) sum_{j,t} (F_t - y_t)^2`` (THEORY 5),
* the forward-mode recursions of the tangent features and the NTK's sum over neurons of their
  products (THEORY 6),
* input checks, so that bad input is refused before any array code runs.

The cell ``z_t = w * H_{t-1} + U x_t`` (THEORY 1) is the one piece each backend writes itself:
NumPy forms ``U x_t`` for all ``t`` in one product, JAX inside its scan, neuron by neuron.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif.data import validate_inputs, validate_targets
from verif.params import FloatArray, Params, require_params

Array = Any


def readout(H: Array, c: Array, xp: Any) -> Array:
    """``F_t = (1/sqrt(m)) sum_i c_i H_{t,i}``, summed in symmetric pairs.

    The pair ``(i, i + m/2)`` is added first: ``c_i H_{t,i} + c_{i+m/2} H_{t,i+m/2}``. At the
    symmetric initialization each pair is exactly ``0.0`` in floating point (THEORY 2), so the
    output is exactly zero; for any other ``c`` it is the same sum in another order.

    Args:
        H: hidden states, shape ``(..., m)``.
        c: output signs, shape ``(m,)``.
    """
    m = H.shape[-1]
    half = m // 2
    pairs = c[:half] * H[..., :half] + c[half:] * H[..., half:]
    # A product with ones (not xp.sum): the same exact zeros, and the faster JAX gradient.
    return xp.matmul(pairs, xp.ones(half, dtype=pairs.dtype), **_full_precision(xp)) / math.sqrt(m)


def _full_precision(xp: Any) -> dict[str, str]:
    """Keyword that asks JAX for full-precision products; nothing for NumPy.

    On GPUs JAX's default lets float32 products use TF32 (10-bit mantissa); with it the plain
    JAX float32 risk gradient was 1.8e-3 (relative) away from NumPy's on an H100.
    """
    return {} if xp is np else {"precision": "highest"}


def risk_from_outputs(F: Array, Y: Array, xp: Any) -> Array:
    """``R = (1/(2 n T)) sum_{j,t} (F_t(X^(j)) - y^(j)_t)^2`` (THEORY 5)."""
    r = F - Y
    return 0.5 * xp.mean(r * r)


def tangent_step(
    s1: Array, h_prev: Array, x_t: Array, w: Array, g_prev: Array, G_prev: Array
) -> tuple[Array, Array]:
    """One step of the tangent-feature recursions (THEORY 6), for every sequence and neuron:

    .. math::

        g_t = \\sigma'(z_t)\\,(h_{t-1} + w\\, g_{t-1}), \\qquad
        G_t = \\sigma'(z_t)\\,(x_t + w\\, G_{t-1}),

    with ``s1 = sigma'(z_t)`` and ``h_prev = h_{t-1}`` of shape ``(n, m)``, ``x_t`` ``(n, d)``,
    ``g_prev`` ``(n, m)`` and ``G_prev`` ``(n, m, d)`` (zeros before the first step). Elementwise
    only, so it runs on NumPy and JAX arrays alike.
    """
    g = s1 * (h_prev + w * g_prev)
    G = s1[:, :, None] * (x_t[:, None, :] + w[:, None] * G_prev)
    return g, G


def feature_gram(g: Array, G: Array, xp: Any) -> Array:
    """``sum_i [g_{t,i}(X) g_{t',i}(X') + <G_{t,i}(X), G_{t',i}(X')>]`` over the neurons of
    ``g`` ``(n, T, b)`` and ``G`` ``(n, T, b, d)``: ``m K_m`` restricted to those ``b`` neurons
    (THEORY 6), shape ``(nT, nT)``, rows ``j*T + t``.

    The features are flattened to ``(nT, b)`` and ``(nT, b d)`` and each is multiplied by its
    own transpose (NumPy hands such a product to the BLAS's symmetric rank-k update).
    """
    n, T, b, d = G.shape
    g2 = xp.reshape(g, (n * T, b))
    G2 = xp.reshape(G, (n * T, b * d))
    precision = _full_precision(xp)
    return xp.matmul(g2, g2.T, **precision) + xp.matmul(G2, G2.T, **precision)


def prepare_inputs(params: Params, X: Any) -> FloatArray:
    """Validate ``X`` against ``params`` and cast it to the parameters' dtype."""
    arr = validate_inputs(X, input_dim=require_params(params).input_dim)
    return np.asarray(arr, dtype=params.dtype)


def prepare_targets(params: Params, X: Any, Y: Any) -> FloatArray:
    """Validate ``Y`` against ``X`` (an array or its shape ``(n, T, d)``) and cast it to the params' dtype."""
    n, T = (X if isinstance(X, tuple) else X.shape)[:2]
    arr = validate_targets(Y, n, T)
    return np.asarray(arr, dtype=params.dtype)
