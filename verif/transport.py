"""Transportation mappings, the transported parameter and teacher targets (THEORY section 7).

A transport map ``v = (v_w, v_u)`` with ``sup|v_w| <= nu_w`` and ``sup||v_u|| <= nu_u`` defines the
target dynamical system

.. math::

    F^*_t(X) = \\mathbb{E}_{\\theta \\sim P_w \\times N(0, I_d)}
        \\big[v_w(\\theta) g_t(X;\\theta) + \\langle v_u(\\theta), G_t(X;\\theta)\\rangle\\big]

and, at finite width, the transported parameter
``w_bar_i = w_i(0) + c_i v_w(theta_i(0))/sqrt(m)``, ``u_bar_i = u_i(0) + c_i v_u(theta_i(0))/sqrt(m)``,
whose linearized output is the feature average ``(1/m) sum_i phi_t(X; theta_i(0))`` with
``phi_t = v_w g_t + <v_u, G_t>``.

The maps used here are smooth and bounded by construction:
``v_w(w, u) = nu_w cos(<a_w, u> + b_w w + p_w)`` and
``v_u(w, u) = nu_u sin(<a_u, u> + b_u w + p_u) e`` with a unit vector ``e``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.config import RNNConfig, require_config
from verif.params import FloatArray, Params, require_params
from verif.validation import require_int, require_seed

#: Teacher draws are processed in chunks of this many neurons to bound memory.
CHUNK = 4096


@dataclass(frozen=True, eq=False)
class TransportMap:
    """``v_w = nu_w cos(<a_w, u> + b_w w + p_w)``, ``v_u = nu_u sin(<a_u, u> + b_u w + p_u) e``."""

    nu_w: float
    nu_u: float
    a_w: FloatArray
    b_w: float
    p_w: float
    a_u: FloatArray
    b_u: float
    p_u: float
    e: FloatArray

    def v_w(self, w: FloatArray, U: FloatArray) -> FloatArray:
        """``v_w(theta)`` for rows ``theta_i = (w_i, u_i)``; shape ``(k,)``, ``|v_w| <= nu_w``."""
        return np.asarray(self.nu_w * np.cos(U @ self.a_w + self.b_w * w + self.p_w))

    def v_u(self, w: FloatArray, U: FloatArray) -> FloatArray:
        """``v_u(theta)``; shape ``(k, d)``, ``||v_u|| <= nu_u``."""
        amp = self.nu_u * np.sin(U @ self.a_u + self.b_u * w + self.p_u)
        return np.asarray(amp[:, None] * self.e[None, :])


def random_transport(config: RNNConfig, seed: int) -> TransportMap:
    """A transport map with the config's ``nu_w, nu_u`` and coefficients drawn from ``seed``."""
    config, seed = require_config(config), require_seed(seed)
    rng = np.random.default_rng(seed)
    d = config.input_dim
    e = rng.standard_normal(d)
    e /= np.linalg.norm(e)
    return TransportMap(
        nu_w=config.nu_w,
        nu_u=config.nu_u,
        a_w=rng.standard_normal(d) / np.sqrt(d),
        b_w=float(rng.standard_normal()),
        p_w=float(rng.uniform(0.0, 2.0 * np.pi)),
        a_u=rng.standard_normal(d) / np.sqrt(d),
        b_u=float(rng.standard_normal()),
        p_u=float(rng.uniform(0.0, 2.0 * np.pi)),
        e=e,
    )


def transported_params(params: Params, transport: TransportMap) -> Params:
    """``Theta_bar``: ``w_bar_i = w_i(0) + c_i v_w(theta_i(0))/sqrt(m)``, likewise ``u_bar_i`` (THEORY 7)."""
    s = np.sqrt(require_params(params).width)
    vw = transport.v_w(params.w0, params.U0)
    vu = transport.v_u(params.w0, params.U0)
    return params.with_weights(params.w0 + params.c * vw / s, params.U0 + params.c[:, None] * vu / s)


def feature_average(
    params: Params, X: Any, transport: TransportMap, backend: str | Backend = "numpy"
) -> FloatArray:
    """``(1/m) sum_i phi_t(X; theta_i(0))`` with ``phi_t = v_w g_t + <v_u, G_t>``; shape ``(n, T)``.

    Equals ``F_lin_t(X; Theta_bar)`` (THEORY 7), computed without the linearized model.
    """
    be = get_backend(backend)
    p0 = require_params(params).at_init()
    g, G = be.tangent_features(p0, X)
    vw = transport.v_w(p0.w, p0.U)
    vu = transport.v_u(p0.w, p0.U)
    phi = np.einsum("ntm,m->nt", g, vw) + np.einsum("ntmd,md->nt", G, vu)
    return np.asarray(phi / params.width)


def sample_theta(config: RNNConfig, draws: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """``draws`` independent ``theta = (w, u) ~ P_w x N(0, I_d)`` (THEORY 2, 7)."""
    alpha = config.memory_alpha
    if config.w_init == "uniform":
        w = rng.uniform(-alpha, alpha, size=draws)
    elif config.w_init == "rademacher":
        w = alpha * rng.choice(np.array([-1.0, 1.0]), size=draws)
    else:
        w = np.full(draws, alpha)
    return w, rng.standard_normal((draws, config.input_dim))


def teacher_outputs(
    config: RNNConfig,
    transport: TransportMap,
    X: Any,
    draws: int = 400_000,
    seed: int = 0,
    backend: str | Backend = "numpy",
) -> FloatArray:
    """Monte Carlo ``F*_t(X)`` over ``draws`` independent ``theta ~ P_w x N(0, I_d)``; ``(n, T)``.

    With the default ``4e5`` draws the Monte Carlo error is about ``K / 630`` (``K`` of B7).
    """
    config = require_config(config)
    draws = require_int("draws", draws, 2)
    be = get_backend(backend)
    rng = np.random.default_rng(require_seed(seed))
    X = np.asarray(X)
    total = np.zeros(X.shape[:2])
    done = 0
    while done < draws:
        k = min(CHUNK, draws - done)
        k += k % 2  # Params need an even width; one extra draw at most
        w, U = sample_theta(config, k, rng)
        p = Params(w=w, U=U, c=np.ones(k), w0=w, U0=U, activation=config.activation)
        g, G = be.tangent_features(p, X)
        total += np.einsum("ntm,m->nt", g, transport.v_w(w, U))
        total += np.einsum("ntmd,md->nt", G, transport.v_u(w, U))
        done += k
    return total / done
