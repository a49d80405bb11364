"""E8: the projection onto ``Omega`` and projected gradient descent (THEORY sections 5, 9).

.. math::

    \\Omega = \\{(w, U) : \\max_i |w_i - w_i(0)| \\le \\rho_w/\\sqrt{m},\\;
                         \\max_i \\|u_i - u_i(0)\\|_2 \\le \\rho_u/\\sqrt{m}\\}

Four parts, each an error divided by its tolerance (``measured`` is the worst, ``bound = 1``):

* ``pgd_in_omega``: every PGD iterate ``Theta_{s+1} = Proj_Omega(Theta_s - eta grad R(Theta_s))``
  of :func:`verif.train.train` lies in ``Omega``: the recorded per-neuron drifts
  ``sqrt(m) max_i |w_i(s) - w_i(0)|`` and ``sqrt(m) max_i ||u_i(s) - u_i(0)||`` exceed
  ``rho_w`` and ``rho_u`` by at most ``sqrt(m) * 1e-12`` (``atol = 1e-12`` per neuron, THEORY 9),
  and :func:`verif.projection.in_omega` holds for the last iterate. The step ``eta`` is chosen
  so that the neuron with the largest gradient moves four times its radius in the first
  step: the projection is active (``details['pgd_projection_active']``).
* ``idempotent``: ``P(P(x)) = P(x)``.
* ``non_expansive``: ``||P(x) - P(y)||_2 <= ||x - y||_2`` on random pairs.
* ``reference``: ``P(x)`` equals a reference projection written here, neuron by neuron:
  ``w_i <- min(max(w_i, w_i(0) - r_w), w_i(0) + r_w)`` and
  ``u_i <- u_i(0) + r_u (u_i - u_i(0)) / max(r_u, ||u_i - u_i(0)||)`` (``r = rho/sqrt(m)``);
  the projected points also lie in ``Omega``.

The test points have per-neuron displacements of ``0`` to ``3`` radii (a mix of neurons
inside and outside ``Omega``) and one point with every neuron outside; the displacement scale is
at least ``1/sqrt(m)`` so that a zero radius still moves the points. The projection is called
as ``projection.project`` (a module attribute) so that a replaced projection is what is checked.

Tolerances: ``1e-12`` (absolute, times ``max(1, max|theta|)``) in float64; ``16 eps`` times the same
scale in float32.

Floors (:mod:`verif.floors`), added to the tolerances (``details['floor']`` is the per-coordinate
one). Projecting one coordinate, ``w(0) + clip(w - w(0), -r, r)`` or
``u(0) + (u - u(0)) min(1, r / ||u - u(0)||)``, rounds by at most
``p = 2 gamma_{d+5} s`` with ``s = max(1, max|theta|)`` (a ``d``-term norm, a division, a product,
two sums). Hence: iterates in ``Omega`` and the reference match, ``p``; idempotence, ``2p`` (the
outer projection moves a point at most ``p`` outside ``Omega`` by at most ``p``);
non-expansiveness, ``2 sqrt(D) p + gamma_{D+1} (||x - y|| + ||P(x) - P(y)||)`` with
``D = m (1 + d)`` (both projected points off by ``sqrt(D) p``, two ``D``-term norms).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import data, floors, projection
from verif import params as params_mod
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result
from verif.config import RNNConfig
from verif.params import FloatArray, Params
from verif.train import train

#: THEORY 9: iterates in Omega to 1e-12.
ATOL_FLOAT64 = 1e-12
#: Cap on the automatic PGD step (a vanishing first gradient must not give an overflowing step).
MAX_STEP = 1e6


def exact_tolerance(dtype: str) -> float:
    """``1e-12`` in float64, ``16 eps`` in float32 (absolute, before scaling)."""
    return max(ATOL_FLOAT64, 16.0 * float(np.finfo(np.dtype(dtype)).eps))


def reference_projection(params: Params, config: RNNConfig) -> tuple[FloatArray, FloatArray]:
    """``Proj_Omega`` neuron by neuron: an interval clip for ``w_i``, a ball for ``u_i``."""
    s = math.sqrt(config.width)
    r_w, r_u = config.rho_w / s, config.rho_u / s
    w = np.array(params.w, dtype=np.float64)
    U = np.array(params.U, dtype=np.float64)
    w0 = np.asarray(params.w0, dtype=np.float64)
    U0 = np.asarray(params.U0, dtype=np.float64)
    for i in range(config.width):
        w[i] = min(max(w[i], w0[i] - r_w), w0[i] + r_w)
        diff = U[i] - U0[i]
        dist = float(np.sqrt(np.dot(diff, diff)))
        U[i] = U0[i] if r_u == 0.0 else U0[i] + r_u * diff / max(r_u, dist)
    return w, U


def _flat(p: Params) -> FloatArray:
    return np.concatenate([np.ravel(p.w), np.ravel(p.U)]).astype(np.float64)


def _scale(*ps: Params) -> float:
    return max(1.0, *(float(np.max(np.abs(_flat(p)))) for p in ps))


def _test_point(p0: Params, config: RNNConfig, rng: np.random.Generator, far: bool) -> Params:
    """A point around ``Theta_0``: per-neuron displacement of 0-3 radii (``far``: 2-3 radii)."""
    m, d = config.width, config.input_dim
    s = math.sqrt(m)
    unit_w = max(config.rho_w / s, 1.0 / s)
    unit_u = max(config.rho_u / s, 1.0 / s)
    low = 2.0 if far else 0.0
    sign = rng.choice(np.array([-1.0, 1.0]), size=m)
    dw = sign * unit_w * rng.uniform(low, 3.0, size=m)
    direction = rng.standard_normal((m, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    dU = direction * unit_u * rng.uniform(low, 3.0, size=(m, 1))
    return p0.with_weights(p0.w0 + dw, p0.U0 + dU)


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = ("steps", "n", "X", "Y", "step_size", "pairs")


@register("E8", title="projection and PGD stay in Omega", theory="section 5", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Measure PGD drift beyond ``Omega``, idempotence, non-expansiveness and the reference match.

    Options:
        steps: PGD steps (default 3).
        n: number of random sequences for the PGD run (default 3).
        X, Y: inputs ``(n, T, d)`` and targets ``(n, T)`` for the PGD run.
        step_size: PGD step ``eta`` (default: four radii over the largest per-neuron gradient).
        pairs: number of random pairs (default 4; one of each pair has every neuron outside).
    """
    steps = int(options.get("steps", 3))
    n = int(options.get("n", 3))
    pairs = int(options.get("pairs", 4))
    rng = np.random.default_rng(seed)
    init_seed, data_seed = (int(s) for s in rng.integers(0, 2**32, size=2))
    p0 = params_mod.symmetric_init(config, init_seed)
    sqrt_m = math.sqrt(config.width)
    r_w, r_u = projection.radii(config)
    tol = exact_tolerance(config.dtype)
    D = config.width * (1 + config.input_dim)
    coord_floor = floors.SAFETY * 2.0 * floors.gamma(config.input_dim + 5, config.dtype)
    parts: dict[str, float] = {}
    details: dict[str, Any] = {}

    # --- PGD iterates stay in Omega.
    X = options.get("X")
    if X is None:
        X = data.random_inputs(config, n, data_seed)
    Y = options.get("Y")
    if Y is None:
        Y = rng.standard_normal(np.shape(X)[:2])
    Y = np.asarray(Y, dtype=np.dtype(config.dtype))
    eta = options.get("step_size")
    if eta is None:
        _, (gw, gU) = backend.risk_and_grad(p0, X, Y)
        g_max = max(float(np.max(np.abs(gw))), float(np.max(np.linalg.norm(gU, axis=1))))
        eta = min(4.0 * max(r_w, r_u, 1.0 / sqrt_m) / g_max, MAX_STEP) if g_max > 0 else 1.0
    traj = train(config, p0, X, Y, method="pgd", step_size=float(eta), steps=steps, backend=backend)
    excess_w = float(np.max(traj.drift_w - config.rho_w)) / sqrt_m
    excess_u = float(np.max(traj.drift_u - config.rho_u)) / sqrt_m
    excess = max(excess_w, excess_u, 0.0)
    pgd_atol = tol + coord_floor * _scale(traj.final)
    final_in = projection.in_omega(traj.final, config, atol=pgd_atol)
    parts["pgd_in_omega"] = excess / pgd_atol if final_in else math.inf
    active = bool(
        np.any(np.isclose(traj.drift_w[1:], config.rho_w, rtol=1e-9, atol=1e-12))
        or np.any(np.isclose(traj.drift_u[1:], config.rho_u, rtol=1e-9, atol=1e-12))
    )
    details.update(
        pgd_step_size=float(eta),
        pgd_max_excess=excess,
        pgd_final_in_omega=final_in,
        pgd_projection_active=active,
    )

    # --- Idempotent, non-expansive, equal to the reference projection.
    idem = nonexp = ref = 0.0
    outside = 0
    for k in range(pairs):
        x = _test_point(p0, config, rng, far=(k == 0))
        y = _test_point(p0, config, rng, far=True)
        px = projection.project(x, config)
        py = projection.project(y, config)
        ppx = projection.project(px, config)
        scale = _scale(x, y, px, py)
        p_floor = coord_floor * scale
        atol = tol * scale + p_floor
        idem = max(idem, float(np.max(np.abs(_flat(ppx) - _flat(px)))) / (atol + p_floor))
        d_proj = float(np.linalg.norm(_flat(px) - _flat(py)))
        d_orig = float(np.linalg.norm(_flat(x) - _flat(y)))
        gap_floor = 2.0 * math.sqrt(D) * p_floor + float(
            floors.sum_floor(d_proj + d_orig, D + 1, config.dtype)
        )
        nonexp = max(nonexp, max(d_proj - d_orig, 0.0) / (tol * scale + gap_floor))
        for q, pq in ((x, px), (y, py)):
            w_ref, U_ref = reference_projection(q, config)
            err = max(float(np.max(np.abs(pq.w - w_ref))), float(np.max(np.abs(pq.U - U_ref))))
            inside = projection.in_omega(pq, config, atol=atol)
            ref = max(ref, err / atol if inside else math.inf)
            dw_q, du_q = projection.neuron_drift(q)
            outside += int(np.count_nonzero((dw_q > r_w) | (du_q > r_u)))
    parts["idempotent"] = idem
    parts["non_expansive"] = nonexp
    parts["reference"] = ref
    details["neurons_outside_before_projection"] = outside

    worst = max(parts, key=lambda k: parts[k])
    details.update({f"{k}_ratio": v for k, v in parts.items()})
    details["worst_part"] = worst
    details["tol"] = tol
    return result(
        "E8",
        measured=parts[worst],
        bound=1.0,
        config=config,
        seed=seed,
        backend=backend,
        floor=coord_floor,
        **details,
    )
