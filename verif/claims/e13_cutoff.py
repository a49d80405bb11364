"""E13: the cutoff factor ``mu_T`` (THEORY sections 4, 9).

.. math::

    S_t(a) = \\sum_{k=0}^{t} a^k = \\frac{1 - a^{t+1}}{1 - a}\\ (a \\ne 1),\\quad
    S_t(1) = t + 1,\\quad S_{-1} = S_{-2} = 0,\\qquad \\mu_T = S_{T-1}(a).

Parts (``measured`` is the worst ``error / tolerance``, ``bound = 1``):

* ``closed_form``: :func:`verif.bounds.partial_sum` against the closed form for ``t = -2..T``
  and the gains ``a = sigma_1 (alpha + rho_w/sqrt(m))`` (:func:`verif.bounds.gain`),
  ``a_0 = sigma_1 alpha``, ``a = 1`` and ``a = 0``; relative ``1e-12`` times the conditioning
  ``max(1, a^{t+1}) / |1 - a^{t+1}|`` of the closed form (which loses digits near ``a = 1``;
  for the gains drawn by the property suite the factor is at most about 65).
* ``recursion``: ``S_t = 1 + a S_{t-1}`` for ``t >= 0``, ``S_{-1} = S_{-2} = 0`` exactly, and
  the array form equal to the scalar form; relative ``1e-12``.
* ``mu_T``: :func:`verif.bounds.mu_T` equals ``S_{T-1}(a)`` (closed form); relative ``1e-12``.
* ``demo`` (tanh only): THEORY 4's linear-regime example. A width-2 network with
  ``w = (alpha, alpha)``, ``u_1 = u_2 = e_1`` and ``c = (1, -1)`` (built directly as
  :class:`verif.params.Params`) reads the sequence ``x_t = eps e_1``, ``eps = 1e-4``; then
  ``G_t = dh_t/du = sigma'(z_t)(x_t + alpha G_{t-1}) ~ eps S_t(alpha) e_1`` and the backend's
  tangent features must give ``|G_t| / eps = S_t(alpha)`` within ``1%`` for
  ``t <= min(T - 1, 19)``. "Linear regime" is made explicit: only the times whose linearized
  state ``eps S_t(alpha)`` is at most ``0.02`` are checked (THEORY's own examples reach
  ``0.0187`` at ``alpha = 1.2``, ``t = 19``, with an error of ``0.1%``). At ``alpha = 1.5`` the
  state reaches ``0.66`` at ``t = 19``, tanh saturates and the ratio is off by ``48%``: outside
  the linear regime, as THEORY warns (the option ``linear_state=None`` checks every
  ``t <= min(T - 1, 19)`` anyway). For other activations the part is skipped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result
from verif.config import RNNConfig
from verif.params import Params

#: THEORY 9: exact identities to relative 1e-12.
RTOL = 1e-12
#: THEORY 4: the demo's input scale and its relative tolerance.
DEMO_EPS = 1e-4
DEMO_RTOL = 0.01
#: Largest time of the demo (THEORY 4: t <= 19).
DEMO_HORIZON = 19
#: Largest linearized state ``eps S_t(alpha)`` counted as the linear regime of tanh.
LINEAR_STATE = 0.02


def closed_form(a: float, t: int) -> float:
    """``S_t(a)`` by the closed form of THEORY 4 (``t >= -2``)."""
    if t < 0:
        return 0.0
    if a == 1.0:
        return float(t + 1)
    return (1.0 - a ** (t + 1)) / (1.0 - a)


def _conditioning(a: float, t: int) -> float:
    if t < 0 or a == 1.0:
        return 1.0
    p = a ** (t + 1)
    return max(1.0, max(1.0, p) / abs(1.0 - p))


def _rel(x: float, ref: float) -> float:
    err = abs(x - ref)
    if ref == 0:
        return 0.0 if err == 0 else math.inf
    return err / abs(ref)


def demo_ratios(
    config: RNNConfig, backend: Backend, eps: float = DEMO_EPS, horizon: int | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``|G_t| / eps`` and ``S_t(alpha)`` for ``t = 0..horizon`` on THEORY 4's width-2 network."""
    alpha = config.memory_alpha
    d = config.input_dim
    T = min(config.seq_len - 1, DEMO_HORIZON) + 1 if horizon is None else horizon + 1
    dtype = np.dtype(config.dtype)
    e1 = np.zeros(d, dtype=dtype)
    e1[0] = 1.0
    w = np.full(2, alpha, dtype=dtype)
    U = np.stack([e1, e1])
    p = Params(w=w, U=U, c=np.array([1.0, -1.0], dtype=dtype), w0=w.copy(), U0=U.copy(), activation="tanh")
    X = np.broadcast_to(eps * e1, (1, T, d)).astype(dtype)
    _, G = backend.tangent_features(p, X)
    measured = np.linalg.norm(np.asarray(G, dtype=np.float64)[0, :, 0, :], axis=-1) / eps
    expected = np.array([closed_form(alpha, t) for t in range(T)])
    return measured, expected


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = ("linear_state", "eps")


@register("E13", title="cutoff of mu_T", theory="section 4", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Measure the ``S_t`` identities, ``mu_T`` and THEORY 4's linear-regime demo.

    Options:
        linear_state: largest ``eps S_t(alpha)`` checked by the demo (default ``0.02``;
            ``None`` checks every ``t <= min(T - 1, 19)``).
        eps: the demo's input scale (default ``1e-4``).
    """
    linear_state = options.get("linear_state", LINEAR_STATE)
    eps = float(options.get("eps", DEMO_EPS))
    T = config.seq_len
    a = bounds.gain(config)
    gains = {"a": a, "a0": bounds.gain_at_init(config), "one": 1.0, "zero": 0.0}
    ts = list(range(-2, T + 1))
    closed = recursion = 0.0
    for value in gains.values():
        scalar = [bounds.partial_sum(value, t) for t in ts]
        array = np.asarray(bounds.partial_sum(value, np.array(ts)), dtype=np.float64)
        for t, s in zip(ts, scalar, strict=True):
            closed = max(closed, _rel(s, closed_form(value, t)) / (RTOL * _conditioning(value, t)))
        for k, t in enumerate(ts):
            if t < 0:
                err = abs(scalar[k]) + abs(array[k])
                recursion = max(recursion, 0.0 if err == 0 else math.inf)
            else:
                recursion = max(recursion, _rel(scalar[k], 1.0 + value * scalar[k - 1]) / RTOL)
            recursion = max(recursion, _rel(float(array[k]), scalar[k]) / RTOL)
    parts = {"closed_form": closed, "recursion": recursion}
    mu = bounds.mu_T(config)
    parts["mu_T"] = max(_rel(mu, closed_form(a, T - 1)), _rel(mu, bounds.partial_sum(a, T - 1))) / (
        RTOL * _conditioning(a, T - 1)
    )
    details: dict[str, Any] = {"gain": a, "gain_at_init": gains["a0"], "mu_T": mu}

    if config.activation == "tanh":
        measured, expected = demo_ratios(config, backend, eps)
        state = eps * expected
        mask = np.ones_like(state, dtype=bool) if linear_state is None else state <= float(linear_state)
        rel = np.abs(measured - expected) / expected
        demo_err = float(np.max(rel[mask])) if np.any(mask) else 0.0
        parts["demo"] = demo_err / DEMO_RTOL
        details.update(
            demo_times_checked=int(np.count_nonzero(mask)),
            demo_max_rel_err=demo_err,
            demo_last_G_over_eps=float(measured[mask][-1]) if np.any(mask) else float("nan"),
            demo_last_S=float(expected[mask][-1]) if np.any(mask) else float("nan"),
        )
    else:
        details["demo"] = f"skipped (activation {config.activation})"

    worst = max(parts, key=lambda k: parts[k])
    details.update({f"{k}_ratio": v for k, v in parts.items()})
    details["worst_part"] = worst
    return result(
        "E13", measured=parts[worst], bound=1.0, config=config, seed=seed, backend=backend, **details
    )
