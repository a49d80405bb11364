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

Floors (:mod:`verif.floors`), in the relative units of each part and added to its tolerance:
``S_t`` from the closed form or the recursion is ``t + 1`` products and sums plus a power and a
division, each relative ``u``, and the closed form's subtraction magnifies them by the
conditioning ``c_t``, so two evaluations differ by at most ``f_t = 2 gamma_{t+6} c_t``
(``closed_form``, ``mu_T``, array against scalar; the recursion adds one product and one sum,
``2 gamma_{t+8} max(c_t, c_{t-1})``). ``S_{-1} = S_{-2} = 0`` are assignments: floor ``0``. The
demo's ``|G_t| / eps`` is within ``E^G_t / eps`` of the exact value
(:func:`verif.floors.recurrence_floors` for the neuron ``w = alpha``, ``||u|| = 1``), relative
``E^G_t / (eps S_t)``. ``details['floor']`` is the worst part's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result, safe_ratio
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


def _floor(t: int, cond: float, extra: int = 0) -> float:
    """``2 gamma_{t+6+extra} c_t``: two evaluations of ``S_t`` differ by at most this, relatively."""
    return floors.SAFETY * floors.gamma(max(t, 0) + 6 + extra) * cond


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
    part_floor = {"closed_form": 0.0, "recursion": 0.0}
    for value in gains.values():
        scalar = [bounds.partial_sum(value, t) for t in ts]
        array = np.asarray(bounds.partial_sum(value, np.array(ts)), dtype=np.float64)
        for t, s in zip(ts, scalar, strict=True):
            cond = _conditioning(value, t)
            fl = _floor(t, cond) if t >= 0 else 0.0
            part_floor["closed_form"] = max(part_floor["closed_form"], fl)
            closed = max(closed, safe_ratio(_rel(s, closed_form(value, t)), RTOL * cond + fl))
        for k, t in enumerate(ts):
            if t < 0:
                err = abs(scalar[k]) + abs(array[k])
                recursion = max(recursion, 0.0 if err == 0 else math.inf)
                continue
            cond = max(_conditioning(value, t), _conditioning(value, t - 1))
            fl_rec = _floor(t, cond, extra=2)
            fl_arr = _floor(t, _conditioning(value, t))
            part_floor["recursion"] = max(part_floor["recursion"], fl_rec, fl_arr)
            recursion = max(recursion, _rel(scalar[k], 1.0 + value * scalar[k - 1]) / (RTOL + fl_rec))
            recursion = max(recursion, _rel(float(array[k]), scalar[k]) / (RTOL + fl_arr))
    parts = {"closed_form": closed, "recursion": recursion}
    mu = bounds.mu_T(config)
    cond_mu = _conditioning(a, T - 1)
    part_floor["mu_T"] = _floor(T - 1, cond_mu)
    parts["mu_T"] = max(_rel(mu, closed_form(a, T - 1)), _rel(mu, bounds.partial_sum(a, T - 1))) / (
        RTOL * cond_mu + part_floor["mu_T"]
    )
    details: dict[str, Any] = {"gain": a, "gain_at_init": gains["a0"], "mu_T": mu}

    if config.activation == "tanh":
        measured, expected = demo_ratios(config, backend, eps)
        state = eps * expected
        mask = np.ones_like(state, dtype=bool) if linear_state is None else state <= float(linear_state)
        rel = np.abs(measured - expected) / expected
        n_t = len(expected)
        _, _, EG = floors.recurrence_floors(
            [config.memory_alpha], [1.0], "tanh", n_t, config.input_dim, config.dtype
        )
        rel_floor = EG[:, 0] / (eps * expected)
        demo_ratio = rel / (DEMO_RTOL + rel_floor)
        demo_err = float(np.max(rel[mask])) if np.any(mask) else 0.0
        parts["demo"] = float(np.max(demo_ratio[mask])) if np.any(mask) else 0.0
        part_floor["demo"] = float(np.max(rel_floor[mask])) if np.any(mask) else 0.0
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
    details["part_floor"] = part_floor
    return result(
        "E13",
        measured=parts[worst],
        bound=1.0,
        config=config,
        seed=seed,
        backend=backend,
        floor=0.0,
        **details,
    )
