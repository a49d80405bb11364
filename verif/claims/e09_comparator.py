"""E9: the transported comparator ``Theta_bar`` (THEORY sections 7, 9).

For a transport map ``v = (v_w, v_u)`` with ``sup|v_w| <= nu_w``, ``sup||v_u|| <= nu_u`` and the
symmetric initialization ``Theta_0``,

.. math::

    \\bar w_i = w_i(0) + c_i v_w(\\theta_i(0))/\\sqrt m,\\qquad
    \\bar u_i = u_i(0) + c_i v_u(\\theta_i(0))/\\sqrt m .

Parts (``measured`` is the worst ``error / tolerance``, ``bound = 1``):

* ``in_omega``: ``Theta_bar`` lies in ``Omega`` (per-neuron drift ``<= rho/sqrt(m) + 1e-12``)
  when ``rho_w >= nu_w`` and ``rho_u >= nu_u``. For a configuration with ``rho < nu`` the check
  uses ``config.replace(rho_w=max(rho_w, nu_w), rho_u=max(rho_u, nu_u))``
  (``details['omega_radii_raised']``).
* ``norm_identity``: ``||Theta_bar - Theta_0||^2 = (1/m) sum_i (v_w(theta_i)^2 + ||v_u(theta_i)||^2)``
  (``c_i^2 = 1``) to relative ``1e-12``. Relative to the larger of the two sides and of the
  rounding scale ``(2/sqrt(m)) sum (|v_w| |w_bar| + |v_u| |u_bar|)``: forming
  ``w_bar = w(0) + c v_w/sqrt(m)`` rounds by ``eps |w_bar|``, which dominates when every ``v`` is
  tiny next to ``|w(0)|`` (found at ``m = 2``, sigmoid, ``alpha = 6``, ``nu_u = 0``, seed 151:
  relative error ``1.25e-12`` from rounding alone).
* ``norm_bound``: ``||Theta_bar - Theta_0||^2 <= nu_w^2 + nu_u^2`` (ratio of the two sides, with
  a relative ``1e-12`` allowance for rounding).
* ``linearized``: ``F_lin_t(X; Theta_bar)`` (:func:`verif.ntk.linearized_outputs`) equals the
  feature average ``(1/m) sum_i phi_t(X; theta_i(0))``, ``phi_t = v_w g_t + <v_u, G_t>``
  (:func:`verif.transport.feature_average`), to ``1e-12`` absolute, scaled by ``max(1, max|F|)``.

Tolerances are ``1e-12`` in float64; in float32 they are scaled by ``eps(float32)/eps(float64)``.

Floors (:mod:`verif.floors`), added to each part's tolerance (the worst part's is
``details['floor']``):

* ``in_omega``: ``2 (u max|theta_bar| + gamma_{d+3} r)``: forming ``w_bar`` rounds by
  ``u |w_bar|``, the drift ``||u_bar - u(0)||`` and the radius ``r = rho/sqrt(m)`` by
  ``gamma_{d+3}`` relative;
* ``norm_identity`` and ``norm_bound``: ``2 (u R + gamma_{m(1+d)+1} (||Theta_bar - Theta_0||^2 + I))``
  with ``R = (2/sqrt m) sum (|v_w| |w_bar| + |v_u| |u_bar|)`` the rounding scale above and ``I``
  the identity's right side (``m (1 + d)`` squares summed), plus ``2 m (1 + d)`` subnormals
  (:func:`verif.floors.underflow_floor`: squares of tiny ``v`` underflow);
* ``linearized``: the floor of ``F_lin(Theta_bar)`` (:func:`verif.floors.linearized_floor`) plus
  that of the feature average (:func:`verif.floors.feature_average_floor`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import floors, ntk, projection, transport
from verif import params as params_mod
from verif.backends import Backend
from verif.claims.base import ClaimResult, claim_inputs, register, result, safe_ratio
from verif.config import RNNConfig

#: THEORY 9: the comparator identities to 1e-12 in float64.
TOL_FLOAT64 = 1e-12


def tolerance(dtype: str) -> float:
    """``1e-12`` in float64, scaled by the machine-epsilon ratio otherwise."""
    return TOL_FLOAT64 * float(np.finfo(np.dtype(dtype)).eps / np.finfo(np.float64).eps)


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = ("n", "X")


@register("E9", title="transported comparator", theory="section 7", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Measure ``Theta_bar in Omega``, the norm identity and bound, and ``F_lin(Theta_bar)``.

    Options:
        n: number of random sequences (default 3).
        X: inputs ``(n, T, d)`` to use instead of random ones.
    """
    n = int(options.get("n", 3))
    rng = np.random.default_rng(seed)
    init_seed, data_seed, map_seed = (int(s) for s in rng.integers(0, 2**32, size=3))
    p0 = params_mod.symmetric_init(config, init_seed)
    tmap = transport.random_transport(config, map_seed)
    pbar = transport.transported_params(p0, tmap)
    X = claim_inputs(config, options.get("X"), n, data_seed)
    tol = tolerance(config.dtype)
    m = config.width
    parts: dict[str, float] = {}
    part_floor: dict[str, float] = {}
    u = floors.unit_roundoff(config.dtype)
    d, T = config.input_dim, config.seq_len

    # Theta_bar in Omega (radii raised to nu when the configuration has rho < nu).
    raised = config.rho_w < config.nu_w or config.rho_u < config.nu_u
    cfg_omega = (
        config.replace(rho_w=max(config.rho_w, config.nu_w), rho_u=max(config.rho_u, config.nu_u))
        if raised
        else config
    )
    r_w, r_u = projection.radii(cfg_omega)
    dev_w, dev_u = projection.neuron_drift(pbar)
    excess = max(float(np.max(dev_w)) - r_w, float(np.max(dev_u)) - r_u, 0.0)
    theta_max = max(float(np.max(np.abs(pbar.w))), float(np.max(np.abs(pbar.U))))
    part_floor["in_omega"] = floors.SAFETY * (
        u * theta_max + floors.gamma(d + 3, config.dtype) * max(r_w, r_u)
    )
    inside = projection.in_omega(pbar, cfg_omega, atol=tol + part_floor["in_omega"])
    parts["in_omega"] = excess / (tol + part_floor["in_omega"]) if inside else math.inf

    # ||Theta_bar - Theta_0||^2 against (1/m) sum_i (v_w^2 + ||v_u||^2) and nu_w^2 + nu_u^2.
    w0 = np.asarray(p0.w0, dtype=np.float64)
    U0 = np.asarray(p0.U0, dtype=np.float64)
    vw = np.asarray(tmap.v_w(w0, U0), dtype=np.float64)
    vu = np.asarray(tmap.v_u(w0, U0), dtype=np.float64)
    dist_sq = pbar.distance_to_init() ** 2
    identity = float(np.sum(vw * vw) + np.sum(vu * vu)) / m
    # Forming w_bar = w0 + c v_w/sqrt(m) rounds by up to eps |w_bar|, which moves dist_sq by up to
    # eps (2/sqrt(m)) sum |v_w| |w_bar| (likewise for U): the scale of its rounding error.
    wbar = np.abs(np.asarray(pbar.w, dtype=np.float64))
    Ubar = np.abs(np.asarray(pbar.U, dtype=np.float64))
    rounding = 2.0 * float(np.sum(np.abs(vw) * wbar) + np.sum(np.abs(vu) * Ubar)) / math.sqrt(m)
    scale = max(dist_sq, identity, rounding)
    id_err = abs(dist_sq - identity)
    norm_floor = floors.SAFETY * (
        u * rounding + floors.gamma(m * (1 + d) + 1, config.dtype) * (dist_sq + identity)
    ) + floors.underflow_floor(2 * m * (1 + d), config.dtype)
    part_floor["norm_identity"] = part_floor["norm_bound"] = norm_floor
    parts["norm_identity"] = safe_ratio(id_err, tol * scale + norm_floor)
    nu_sq = config.nu_w**2 + config.nu_u**2
    parts["norm_bound"] = safe_ratio(dist_sq, nu_sq * (1.0 + tol) + norm_floor)

    # F_lin(Theta_bar) == feature average.
    F_lin = np.asarray(ntk.linearized_outputs(pbar, X, backend), dtype=np.float64)
    F_avg = np.asarray(transport.feature_average(p0, X, tmap, backend), dtype=np.float64)
    lin_err = float(np.max(np.abs(F_lin - F_avg)))
    lin_scale = max(1.0, float(np.max(np.abs(F_avg))))
    vw_abs, vu_norm = np.abs(vw), np.linalg.norm(vu, axis=1)
    avg_floor = floors.feature_average_floor(
        np.abs(w0), np.linalg.norm(U0, axis=1), vw_abs, vu_norm, config.activation, T, d, config.dtype
    )
    part_floor["linearized"] = float(np.max(floors.linearized_floor(pbar, T, config.dtype) + avg_floor))
    parts["linearized"] = lin_err / (tol * lin_scale + part_floor["linearized"])

    worst = max(parts, key=lambda k: parts[k])
    details: dict[str, Any] = {f"{k}_ratio": v for k, v in parts.items()}
    return result(
        "E9",
        measured=parts[worst],
        bound=1.0,
        config=config,
        seed=seed,
        backend=backend,
        **details,
        part_floor=part_floor,
        worst_part=worst,
        omega_radii_raised=raised,
        max_excess=excess,
        dist_sq=dist_sq,
        norm_identity_rel_err=id_err / max(dist_sq, identity) if max(dist_sq, identity) > 0 else 0.0,
        nu_sq=nu_sq,
        linearized_max_abs_err=lin_err,
        tol=tol,
    )
