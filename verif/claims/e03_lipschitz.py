"""E3: the network is Lipschitz in its parameters inside ``Omega`` (THEORY 8, B2).

For ``Theta = (w, U)`` and ``Theta' = (w', U')`` in ``Omega`` and inputs with ``||x_t||_2 <= 1``,

.. math::

    |F_t(\\Theta) - F_t(\\Theta')| \\le L_{w,t}\\|w - w'\\|_2 + L_{u,t}\\|U - U'\\|_F,\\qquad
    \\|H_t(\\Theta) - H_t(\\Theta')\\|_2 \\le L_{w,t}\\|w - w'\\|_2 + L_{u,t}\\|U - U'\\|_F

with ``L_w,t = sigma_0 sigma_1 S_{t-1}(a)`` and ``L_u,t = sigma_1 S_t(a)`` (B1). ``H_t`` is the whole
hidden vector and ``||.||_2`` the Euclidean norm over the ``m`` neurons. Why it holds: ``Omega`` is
convex and every point of it has ``sigma_1 |w_i| <= a``, so by the mean value theorem on the
segment ``|h_{t,i} - h'_{t,i}| <= L_w,t |w_i - w'_i| + L_u,t ||u_i - u'_i||`` (B1); the triangle
inequality in ``R^m`` gives the bound on ``||H_t - H'_t||_2``, and Cauchy-Schwarz
(``|F_t - F'_t| <= ||H_t - H'_t||_2``) the one on ``F_t``.

Measured: for ``pairs`` random pairs of points of ``Omega`` (around one symmetric
initialization, both of the requested ``kind``), the largest ``|F_t - F'_t|`` and
``||H_t - H'_t||_2`` over the sequences, against :func:`verif.bounds.lipschitz_bound` at each
``t``. The reported ratio is the largest over pairs, ``t`` and both quantities;
``ratio_last`` and ``ratio_late`` (:func:`verif.claims.base.per_time`) the same at ``t = T-1``
and over ``t >= T/2``, with the same floors.

Floor (:mod:`verif.floors`). The bound vanishes with the radii while the computed difference of
two nearly equal outputs keeps their rounding, so each side carries its own floor:
``f^F_t = max_j (f_t(Theta) + f_t(Theta')) + u |F_t - F'_t|`` with ``f`` the output floor
:func:`verif.floors.output_floor` (``(1/sqrt m) sum_i E^h_{t,i} + gamma_{m+2} (1/sqrt m) sum_i |h_{t,i}|``),
``f^H_t = ||E^h_t(Theta)||_2 + ||E^h_t(Theta')||_2 + gamma_{m+2} ||H_t - H'_t||_2``, and the
bound's own relative floor ``gamma_k B_t`` (:func:`verif.floors.bound_floor`, ``k`` counting the
``m (1 + d)`` terms of the distances). The largest floor is ``details['floor']``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verif import bounds, floors
from verif.backends import Backend
from verif.claims import sampling
from verif.claims.base import (
    ClaimResult,
    count_option,
    init_and_inputs,
    per_time,
    register,
    result,
    safe_ratio,
)
from verif.config import RNNConfig


def worst_over_time(measured: Any, bound: Any, floor: Any = 0.0) -> tuple[float, float, float, float]:
    """``(ratio, measured, bound, floor)`` at the ``t`` where ``measured_t / (bound_t + floor_t)`` is largest.

    Entrywise :func:`safe_ratio` (``0/0 = 0``, ``x/0 = inf``); arrays of any one shape (E15 passes
    ``(nT, nT)`` matrices; ``floor`` broadcasts), the first such entry in C order.
    """
    m_t = np.asarray(measured, dtype=float).ravel()
    b_t = np.asarray(bound, dtype=float).ravel()
    if m_t.shape != b_t.shape:
        raise ValueError(f"measured and bound must have one shape, got {m_t.shape} and {b_t.shape}")
    f_t = np.broadcast_to(np.asarray(floor, dtype=float), np.shape(measured)).ravel()
    allowed = b_t + f_t
    ratios = np.where(allowed > 0, m_t / np.where(allowed > 0, allowed, 1.0), np.where(m_t > 0, np.inf, 0.0))
    t = int(np.argmax(ratios))
    return safe_ratio(float(m_t[t]), float(allowed[t])), float(m_t[t]), float(b_t[t]), float(f_t[t])


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "pairs", "X", "n")


@register("E3", title="Lipschitz in the parameters inside Omega", theory="B2", kind="bound", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Largest ``|F_t - F'_t|`` and ``||H_t - H'_t||_2`` over bound B2, for random pairs in ``Omega``.

    Options:
        kind: where the points lie in ``Omega`` (``interior``, ``boundary``, ``corner``).
        pairs: number of random pairs ``(Theta, Theta')`` (default 3).
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 3).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    pairs = count_option(options, "pairs", 3)
    rng, params, X = init_and_inputs(config, seed, options)
    worst = {"outputs": (-1.0, 0.0, 0.0, 0.0), "hidden": (-1.0, 0.0, 0.0, 0.0)}
    u = floors.unit_roundoff(config.dtype)
    m, d, T = config.width, config.input_dim, config.seq_len
    series: list[tuple[Any, ...]] = []  # (measured_t, bound_t, floor_t) of every pair and part
    for _ in range(pairs):
        p = sampling.point_in_omega(params, config, rng, kind)
        q = sampling.point_in_omega(params, config, rng, kind)
        dist_w = float(np.linalg.norm(p.w - q.w))
        dist_u = float(np.linalg.norm(p.U - q.U))
        lip = bounds.lipschitz_bound(config, dist_w, dist_u)
        lip_floor = floors.bound_floor(lip, T, m * (1 + d))
        H_p, H_q = backend.hidden_states(p, X), backend.hidden_states(q, X)
        dF = np.abs(backend.outputs(p, X) - backend.outputs(q, X))
        dH = np.linalg.norm(np.asarray(H_p, dtype=float) - np.asarray(H_q, dtype=float), axis=-1)
        f_F = floors.output_floor(p, H_p, config.dtype) + floors.output_floor(q, H_q, config.dtype) + u * dF
        E_p = floors.recurrence_floors(
            np.abs(p.w), np.linalg.norm(p.U, axis=1), p.activation, T, d, config.dtype
        )[0]
        E_q = floors.recurrence_floors(
            np.abs(q.w), np.linalg.norm(q.U, axis=1), q.activation, T, d, config.dtype
        )[0]
        f_H = (
            np.linalg.norm(E_p, axis=-1)
            + np.linalg.norm(E_q, axis=-1)
            + floors.gamma(m + 2, config.dtype) * dH
        )
        diffs = {
            "outputs": (np.max(dF, axis=0), np.max(f_F, axis=0)),
            "hidden": (np.max(dH, axis=0), np.max(f_H, axis=0)),
        }
        for part, (diff, fl) in diffs.items():
            worst[part] = max(worst[part], worst_over_time(diff, lip, fl + lip_floor))
            series.append((diff, lip, fl + lip_floor))
    ratio_f, ratio_h = worst["outputs"][0], worst["hidden"][0]
    _, measured, bound, floor = max(worst.values())
    return result(
        "E3",
        measured,
        bound,
        config,
        seed,
        backend,
        floor=floor,
        kind=kind,
        pairs=pairs,
        ratio_outputs=ratio_f,
        ratio_hidden=ratio_h,
        **per_time(*(np.stack(s) for s in zip(*series, strict=True))),
    )
