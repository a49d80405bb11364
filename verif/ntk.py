"""Tangent features, the empirical NTK and the linearized model (THEORY section 6).

Everything here is built from the per-neuron tangent features ``g = dh/dw`` and
``G = dh/du`` of a backend: the diagonal structure makes the NTK a sum over neurons, so no
generic Jacobian is ever formed.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.params import FloatArray, Params


def _features_at(
    params: Params, X: Any, be: Backend, at: Literal["init", "current"]
) -> tuple[FloatArray, FloatArray]:
    if at not in ("init", "current"):
        raise ValueError(f"at must be 'init' or 'current', got {at!r}")
    p = params.at_init() if at == "init" else params
    return be.tangent_features(p, X)


def gram(
    params: Params,
    X: Any,
    backend: str | Backend = "numpy",
    at: Literal["init", "current"] = "init",
) -> FloatArray:
    """Empirical NTK Gram matrix, shape ``(nT, nT)``, rows ordered ``j*T + t``.

    .. math::

        K_m((X,t),(X',t')) = \\frac{1}{m}\\sum_i \\big[g_t(X) g_{t'}(X')
            + \\langle G_t(X), G_{t'}(X')\\rangle\\big]

    evaluated at ``Theta_0`` (``at="init"``, THEORY 6) or at the current parameters.
    """
    g, G = _features_at(params, X, get_backend(backend), at)
    n, T, m, d = G.shape
    phi = np.concatenate([g[..., None], G], axis=-1).reshape(n * T, m * (d + 1))
    return np.asarray((phi @ phi.T) / m)


def linearized_outputs(params: Params, X: Any, backend: str | Backend = "numpy") -> FloatArray:
    """The linearized model ``F_lin_t(X; Theta) = <grad F_t(X; Theta_0), Theta - Theta_0>``.

    With ``grad F_t = (1/sqrt(m)) (c_i g_{t,i}, c_i G_{t,i})_i`` at ``Theta_0``:

    .. math::

        F^{lin}_t = \\frac{1}{\\sqrt m}\\sum_i c_i\\big(g_{t,i}(w_i - w_i(0))
            + \\langle G_{t,i}, u_i - u_i(0)\\rangle\\big)

    Shape ``(n, T)``. ``F_t(Theta_0) = 0`` (THEORY 2), so there is no constant term.
    """
    g, G = _features_at(params, X, get_backend(backend), "init")
    dw, dU = params.displacement()
    c = params.c
    lin = np.einsum("ntm,m->nt", g, c * dw) + np.einsum("ntmd,md->nt", G, c[:, None] * dU)
    return np.asarray(lin / math.sqrt(params.width))
