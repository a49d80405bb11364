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
from verif.backends.common import feature_gram, prepare_inputs
from verif.params import FloatArray, Params, require_params
from verif.validation import require_int

#: Bytes of tangent features ``(n, T, b, d + 1)`` that :func:`gram` holds at once (one block).
BLOCK_BYTES = 64 * 2**20


def _params_at(params: Params, at: Literal["init", "current"]) -> Params:
    if not isinstance(at, str) or at not in ("init", "current"):
        raise ValueError(f"at must be 'init' or 'current', got {at!r}")
    return require_params(params).at_init() if at == "init" else params


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
        yield sl, _neurons(params, sl)


def _neurons(params: Params, sl: slice) -> Params:
    """The network of the neurons ``sl`` (an even number of them)."""
    return Params(
        w=params.w[sl],
        U=params.U[sl],
        c=params.c[sl],
        w0=params.w0[sl],
        U0=params.U0[sl],
        activation=params.activation,
    )


def _block(params: Params, X: FloatArray, block_size: int | None) -> int:
    if block_size is None:
        n, T, d = X.shape
        return block_width(n, T, params.width, d, params.dtype.itemsize)
    b = require_int("block_size", block_size, 2, rule="an even integer >= 2")
    if b % 2:
        raise ValueError(f"block_size must be an even integer >= 2, got {block_size!r}")
    return b


def paired_half(params: Params) -> bool:
    """Whether neuron ``i + m/2`` has the weights ``(w_i, u_i)`` of neuron ``i`` for every
    ``i <= m/2``, exactly, with ``m/2`` even: the symmetric initialization (THEORY 2) at ``Theta_0``.

    A neuron's tangent features depend on ``(w_i, u_i)`` and ``X`` only (THEORY 6), so partners
    then have the same features and contribute equal terms to the NTK.
    """
    half = params.width // 2
    return (
        half % 2 == 0
        and np.array_equal(params.w[:half], params.w[half:])
        and np.array_equal(params.U[:half], params.U[half:])
    )


def _block_gram(be: Backend, params: Params, X: FloatArray) -> FloatArray:
    """``m K_m`` over the neurons of ``params`` (:func:`verif.backends.common.feature_gram`): by
    the backend's own ``feature_gram`` where it has one (the JAX backend forms the features and
    their products in one compiled call), else from its ``tangent_features``."""
    own = getattr(be, "feature_gram", None)
    if callable(own):
        return np.asarray(own(params, X))
    g, G = be.tangent_features(params, X)
    return np.asarray(feature_gram(g, G, np))


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
    the peak memory is the Gram matrix plus one block's features. When partners share their
    weights (:func:`paired_half`: at a symmetric ``Theta_0`` whenever ``m/2`` is even), the
    sum runs over the first ``m/2`` neurons only, ``K = (2/m) sum_{i <= m/2} [...]``: half the
    features and half the products, the same ``K`` up to rounding.
    """
    p = _params_at(params, at)
    be = get_backend(backend)
    X = prepare_inputs(p, X)
    block = _block(p, X, block_size)
    terms = p.width
    if paired_half(p):
        terms = p.width // 2
        p = _neurons(p, slice(0, terms))
    K: FloatArray | None = None
    for _, pb in neuron_blocks(p, block):
        part = _block_gram(be, pb, X)
        K = part if K is None else K + part
    assert K is not None
    return np.asarray(K / terms)


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
