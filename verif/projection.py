"""The exact Euclidean projection onto the max-norm ball ``Omega`` (THEORY section 5).

.. math::

    \\Omega = \\{(w, U) : \\max_i |w_i - w_i(0)| \\le \\rho_w/\\sqrt{m},\\;
                         \\max_i \\|u_i - u_i(0)\\|_2 \\le \\rho_u/\\sqrt{m}\\}

``Omega`` is a product of per-neuron intervals and Euclidean balls, so its projection
separates by neuron: clip each ``w_i`` and shrink each ``u_i - u_i(0)`` radially. Written once,
in NumPy, for both backends.
"""

from __future__ import annotations

import math

import numpy as np

from verif.config import RNNConfig
from verif.params import FloatArray, Params


def radii(config: RNNConfig) -> tuple[float, float]:
    """Per-neuron radii ``(rho_w/sqrt(m), rho_u/sqrt(m))`` of ``Omega``."""
    s = math.sqrt(config.width)
    return config.rho_w / s, config.rho_u / s


def neuron_drift(params: Params) -> tuple[FloatArray, FloatArray]:
    """Per-neuron drift ``(|w_i - w_i(0)|, ||u_i - u_i(0)||_2)``, each of shape ``(m,)``."""
    dw, dU = params.displacement()
    return np.abs(dw), np.linalg.norm(dU, axis=1)


def in_omega(params: Params, config: RNNConfig, atol: float = 1e-12) -> bool:
    """Whether ``params`` lie in ``Omega`` (up to ``atol`` on each per-neuron radius)."""
    params.check(config)
    rw, ru = radii(config)
    dw, du = neuron_drift(params)
    return bool(np.all(dw <= rw + atol) and np.all(du <= ru + atol))


def project(params: Params, config: RNNConfig) -> Params:
    """Project ``(w, U)`` onto ``Omega`` around ``(w0, U0)``.

    .. math::

        w_i \\leftarrow w_i(0) + \\mathrm{clip}(w_i - w_i(0), \\pm\\rho_w/\\sqrt{m}),\\quad
        u_i \\leftarrow u_i(0) + (u_i - u_i(0))\\min(1, (\\rho_u/\\sqrt{m})/\\|u_i - u_i(0)\\|_2)

    Returns new parameters; the input is not modified.
    """
    params.check(config)
    rw, ru = radii(config)
    dw, dU = params.displacement()
    w = params.w0 + np.clip(dw, -rw, rw)
    norms = np.linalg.norm(dU, axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norms > ru, ru / norms, 1.0)
    U = params.U0 + dU * scale
    return params.with_weights(w, U)
