"""Tangent features, the empirical NTK and the linearized model (THEORY section 6).

Everything here is built from the per-neuron tangent features ``g = dh/dw`` and
``G = dh/du`` of a backend: the diagonal structure makes the NTK a sum over neurons, so no
generic Jacobian is ever formed, and the sum runs over blocks of neurons, so that the
``(n, T, m, d)`` feature tensor is never held either.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.backends.common import prepare_inputs
from verif.params import FloatArray, Params
from verif.validation import require_int

#: Bytes of tangent features ``(n, T, b, d + 1)`` that :func:`gram` holds at once (one block).
BLOCK_BYTES = 64 * 2**20


def _params_at(params: Params, at: Literal["init", "current"]) -> Params:
    if at not in ("init", "current"):
        raise ValueError(f"at must be 'init' or 'current', got {at!r}")
    return params.at_init() if at == "init" else params


def block_width(n: int, T: int, m: int, d: int, itemsize: int = 8) -> int:
    """Neurons per block: a power of two (so that it divides the usual widths and each block
    shape compiles once), at most ``m``, with the block's features within :data:`BLOCK_BYTES`."""
    per_neuron = n * T * (d + 1) * itemsize
    b = 2
    while 2 * b <= m and 2 * b * per_neuron <= BLOCK_BYTES:
        b *= 2
    return b if b < m else m


def neuron_blocks(params: Params, block: int) -> Iterator[tuple[slice, Params]]:
    """``params`` restricted to consecutive blocks of ``block`` neurons (``block`` even).

    Neuron ``i`` of a diagonal RNN depends on ``(w_i, u_i)`` only (THEORY 1), so the tangent
    features of a block are the block's columns of the full features.
    """
    m = params.width
    for start in range(0, m, block):
        sl = slice(start, min(start + block, m))
        yield (
            sl,
            Params(
                w=params.w[sl],
                U=params.U[sl],
                c=params.c[sl],
                w0=params.w0[sl],
                U0=params.U0[sl],
                activation=params.activation,
            ),
        )


def _block(params: Params, X: FloatArray, block_size: int | None) -> int:
    if block_size is None:
        n, T, d = X.shape
        return block_width(n, T, params.width, d, params.dtype.itemsize)
    b = require_int("block_size", block_size, 2, rule="an even integer >= 2")
    if b % 2:
        raise ValueError(f"block_size must be an even integer >= 2, got {block_size!r}")
    return b


def gram(
    params: Params,
    X: Any,
    backend: str | Backend = "numpy",
    at: Literal["init", "current"] = "init",
    block_size: int | None = None,
) -> FloatArray:
    """Empirical NTK Gram matrix, shape ``(nT, nT)``, rows ordered ``j*T + t``.

    .. math::

        K_m((X,t),(X',t')) = \\frac{1}{m}\\sum_i \\big[g_t(X) g_{t'}(X')
            + \\langle G_t(X), G_{t'}(X')\\rangle\\big]

    evaluated at ``Theta_0`` (``at="init"``, THEORY 6) or at the current parameters.

    The sum runs over blocks of ``block_size`` neurons (default: :func:`block_width`),
    ``K = (1/m) sum_b (g_b g_b^T + G_b G_b^T)`` with the block's features flattened to
    ``(nT, b)`` and ``(nT, b d)``, so that the ``(n, T, m, d)`` feature tensor is never held:
    the peak memory is the Gram matrix plus one block's features.
    """
    p = _params_at(params, at)
    be = get_backend(backend)
    X = prepare_inputs(p, X)
    block = _block(p, X, block_size)
    K: FloatArray | None = None
    for _, pb in neuron_blocks(p, block):
        g, G = be.tangent_features(pb, X)
        n, T, b, d = G.shape
        g2 = np.reshape(g, (n * T, b))
        G2 = np.reshape(G, (n * T, b * d))
        part = g2 @ g2.T + G2 @ G2.T
        K = part if K is None else K + part
    assert K is not None
    return np.asarray(K / p.width)


def linearized_outputs(params: Params, X: Any, backend: str | Backend = "numpy") -> FloatArray:
    """The linearized model ``F_lin_t(X; Theta) = <grad F_t(X; Theta_0), Theta - Theta_0>``.

    With ``grad F_t = (1/sqrt(m)) (c_i g_{t,i}, c_i G_{t,i})_i`` at ``Theta_0``:

    .. math::

        F^{lin}_t = \\frac{1}{\\sqrt m}\\sum_i c_i\\big(g_{t,i}(w_i - w_i(0))
            + \\langle G_{t,i}, u_i - u_i(0)\\rangle\\big)

    Shape ``(n, T)``. ``F_t(Theta_0) = 0`` (THEORY 2), so there is no constant term. Summed
    over the same neuron blocks as :func:`gram`.
    """
    be = get_backend(backend)
    X = prepare_inputs(params, X)
    dw, dU = params.displacement()
    c = params.c
    lin: FloatArray | None = None
    for sl, pb in neuron_blocks(params.at_init(), _block(params, X, None)):
        g, G = be.tangent_features(pb, X)
        part = np.einsum("ntm,m->nt", g, c[sl] * dw[sl]) + np.einsum("ntmd,md->nt", G, c[sl, None] * dU[sl])
        lin = part if lin is None else lin + part
    assert lin is not None
    return np.asarray(lin / math.sqrt(params.width))
