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
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import ntk, projection, transport
from verif import params as params_mod
from verif.backends import Backend
from verif.claims.base import ClaimResult, claim_inputs, register, result
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
    inside = projection.in_omega(pbar, cfg_omega, atol=tol)
    parts["in_omega"] = excess / tol if inside else math.inf

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
    parts["norm_identity"] = id_err / (tol * scale) if scale > 0 else 0.0
    nu_sq = config.nu_w**2 + config.nu_u**2
    parts["norm_bound"] = (
        dist_sq / (nu_sq * (1.0 + tol)) if nu_sq > 0 else (0.0 if dist_sq == 0 else math.inf)
    )

    # F_lin(Theta_bar) == feature average.
    F_lin = np.asarray(ntk.linearized_outputs(pbar, X, backend), dtype=np.float64)
    F_avg = np.asarray(transport.feature_average(p0, X, tmap, backend), dtype=np.float64)
    lin_err = float(np.max(np.abs(F_lin - F_avg)))
    lin_scale = max(1.0, float(np.max(np.abs(F_avg))))
    parts["linearized"] = lin_err / (tol * lin_scale)

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
        worst_part=worst,
        omega_radii_raised=raised,
        max_excess=excess,
        dist_sq=dist_sq,
        norm_identity_rel_err=id_err / max(dist_sq, identity) if max(dist_sq, identity) > 0 else 0.0,
        nu_sq=nu_sq,
        linearized_max_abs_err=lin_err,
        tol=tol,
    )
