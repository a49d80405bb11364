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
from typing import Any

import numpy as np

from verif.config import RNNConfig
from verif.params import FloatArray, Params, require_params
from verif.validation import require_real


def radii(config: RNNConfig) -> tuple[float, float]:
    """Per-neuron radii ``(rho_w/sqrt(m), rho_u/sqrt(m))`` of ``Omega``."""
    s = math.sqrt(config.width)
    return config.rho_w / s, config.rho_u / s


def neuron_drift(params: Params) -> tuple[FloatArray, FloatArray]:
    """Per-neuron drift ``(|w_i - w_i(0)|, ||u_i - u_i(0)||_2)``, each of shape ``(m,)``."""
    return drift_arrays(params.w, params.U, params.w0, params.U0)


def drift_arrays(w: Any, U: Any, w0: Any, U0: Any, xp: Any = np) -> tuple[Any, Any]:
    """:func:`neuron_drift` on bare arrays of the namespace ``xp`` (``numpy`` or ``jax.numpy``)."""
    return xp.abs(w - w0), xp.linalg.norm(U - U0, axis=1)


def in_omega(params: Params, config: RNNConfig, atol: float = 1e-12) -> bool:
    """Whether ``params`` lie in ``Omega`` (up to ``atol`` on each per-neuron radius)."""
    require_params(params).check(config)
    atol = require_real("atol", atol, 0.0)
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
    require_params(params).check(config)
    w, U = project_arrays(params.w, params.U, params.w0, params.U0, *radii(config))
    return params.with_weights(w, U)


def project_arrays(w: Any, U: Any, w0: Any, U0: Any, rw: Any, ru: Any, xp: Any = np) -> tuple[Any, Any]:
    """:func:`project` on bare arrays of the namespace ``xp`` (``numpy`` or ``jax.numpy``), with
    the per-neuron radii ``rw = rho_w/sqrt(m)`` and ``ru = rho_u/sqrt(m)``; returns ``(w, U)``."""
    dw, dU = w - w0, U - U0
    w_new = w0 + xp.clip(dw, -rw, rw)
    norms = xp.linalg.norm(dU, axis=1, keepdims=True)
    outside = norms > ru
    scale = xp.where(outside, ru / xp.where(outside, norms, 1.0), 1.0)
    return w_new, U0 + dU * scale
