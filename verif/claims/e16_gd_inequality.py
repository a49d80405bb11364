"""E16: B10 holds along real GD runs, for every initialization (THEORY 5, 7, 8, 9).

Plain GD, ``Theta_{s+1} = Theta_s - eta grad R(Theta_s)``, on a realizable target ``Y = F*(X)``
(a teacher, THEORY 7), like E11 for PGD. Four parts, each ``measured / bound``:

* ``drift_w``, ``drift_u``: B10 (a) at every ``s = 0..tau``,
  ``D_w(s) <= eta sum_{k<s} (1/nT) sum_{j,t} |r_{j,t}(Theta_k)| L_w,t`` (and ``L_u,t``), with the
  constants of the ``k``-th term at the gain of ``Theta_k`` (:func:`verif.gd_bounds.drift_bounds`);
  the ratio is the largest over ``s``;
* ``drift_F``: the same with ``G_t`` for ``D_F(tau) = ||Theta_tau - Theta_0||_2``;
* ``inequality``: B10 (b), the average risk against B8's right side
  (:func:`verif.bounds.pgd_rhs`, :func:`verif.bounds.residual_term`) on the ball the run reaches,
  ``rho_w = max(max_{s<tau} D_w(s), D_w(Theta_bar))`` and likewise ``rho_u``, which holds every
  iterate the average covers and the comparator ``Theta_bar`` (``details['rho_w_reached']``,
  ``details['rho_u_reached']``).

``measured`` and ``bound`` are those of the part with the largest ratio (``details['worst_part']``).

**Rounding.** B10 is a statement about the exact recursion; the run computes
``fl(Theta_s - eta g_s)``, each coordinate within ``u |theta|`` of the exact update (``u`` the unit
roundoff of ``config.dtype``). Each drift bound is compared with the allowance this adds
(:func:`verif.floors.drift_update_floors`), and the inequality with what it adds to the
telescoped distance (:func:`verif.floors.telescoped_update_floor`, as in E11) plus the rounding
of evaluating both sides on the ball the run reaches (:func:`verif.floors.b8_inequality_floor`,
E11's floor). These are below ``1e-12`` of the bounds unless the iterates barely move (a target
of order ``1e-16``, whose updates fall below ``u``), where they keep rounding from being called a
violation (``details['rounding_*']``).
GD does not use ``config``'s radii ``rho_w, rho_u``: they play no role in the run or the bound.

**Step size and problem.** B10 (a) and (b) hold for every ``eta``. As in E11, the default is the
NTK step (:func:`verif.claims.training_problem.ntk_step`); ``step_size`` sets ``eta`` directly.
The problem (the same inputs, target and ``Theta_0`` as E11's), the options and their defaults
are :mod:`verif.claims.training_problem`'s.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors, gd_bounds, projection
from verif.backends import Backend
from verif.claims import training_problem
from verif.claims.base import ClaimResult, register, result, safe_ratio
from verif.claims.training_problem import DRAWS as DRAWS
from verif.claims.training_problem import OPTIONS, TrainingOptions
from verif.config import RNNConfig
from verif.train import train

PARTS = ("inequality", "drift_w", "drift_u", "drift_F")


def _worst_over_steps(measured: Any, bound: Any) -> tuple[float, float, float]:
    """``(ratio, measured, bound)`` at the step with the largest ``measured / bound``."""
    ratios = [safe_ratio(float(a), float(b)) for a, b in zip(measured, bound, strict=True)]
    k = int(np.argmax(ratios))
    return ratios[k], float(measured[k]), float(bound[k])


@register(
    "E16", title="GD inequality on the ball the run reaches", theory="B10", kind="bound", options=OPTIONS
)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Run GD on a realizable target; compare its drift with B10 (a) and its average risk with B10 (b).

    Options:
        n, steps, step_size, step_scale, draws, X, teacher_backend: the training options
            (:class:`verif.claims.training_problem.TrainingOptions`; ``steps`` defaults to 50).
    """
    opts = TrainingOptions.read("E16", options)
    # The problem does not depend on the radii; GD runs with ``config`` itself.
    prob = training_problem.problem_for(config, seed, opts)
    X, Y, p0, p_bar = prob.X, prob.Y, prob.params, prob.comparator
    step_size, lam = prob.step(opts)
    steps = opts.steps
    traj = train(
        config,
        p0,
        X,
        Y,
        method="gd",
        step_size=step_size,
        steps=steps,
        backend=backend,
        record_residuals=True,
    )
    assert traj.mean_abs_residuals is not None

    # B10 (a): the drift, at every step (w, u) and at the end (Frobenius).
    bound_w, bound_u, bound_F = gd_bounds.drift_bounds(
        config, step_size, traj.mean_abs_residuals, traj.drift_w
    )
    allow_w, allow_u, allow_F = floors.drift_update_floors(p0, (bound_w, bound_u, bound_F), config.dtype)
    parts = {
        "drift_w": _worst_over_steps(traj.drift_w, bound_w + allow_w),
        "drift_u": _worst_over_steps(traj.drift_u, bound_u + allow_u),
    }
    dist_final = traj.final.distance_to_init()
    bound_final = float(bound_F[-1]) + allow_F
    parts["drift_F"] = (safe_ratio(dist_final, bound_final), dist_final, bound_final)

    # B10 (b): B8's right side on the ball that holds Theta_0..Theta_{tau-1} and Theta_bar.
    sqrt_m = math.sqrt(config.width)
    bar_w, bar_u = projection.neuron_drift(p_bar)
    rho_w = max(float(np.max(traj.drift_w[:steps])), sqrt_m * float(np.max(bar_w)))
    rho_u = max(float(np.max(traj.drift_u[:steps])), sqrt_m * float(np.max(bar_u)))
    reached = config.replace(rho_w=rho_w, rho_u=rho_u)
    risk_star = float(backend.risk(p_bar, X, Y))
    dist_sq = p_bar.distance_to_init() ** 2
    max_grad_sq = float(np.max(traj.grad_norms[:steps] ** 2))
    max_res = float(np.max(bounds.residual_term(reached, traj.mean_abs_residuals[:steps])))
    lhs = traj.average_risk()
    rhs = bounds.pgd_rhs(risk_star, dist_sq, step_size, steps, max_grad_sq, max_res)
    e = floors.update_size(p0, float(bound_F[-1]), config.dtype)
    distance = float(bound_F[-1]) + steps * e + p_bar.distance_to_init()
    rounding = floors.telescoped_update_floor(e, distance, step_size)
    evaluation = floors.b8_inequality_floor(
        p0,
        projection.radii(reached),
        config.seq_len,
        int(np.shape(X)[0]),
        traj.risks[:steps],
        risk_star,
        step_size,
        max_grad_sq,
        float(np.max(bounds.grad_norm_bound(reached))),
        float(np.max(bounds.pgd_epsilon(reached))),
        lhs + rhs,
        config.dtype,
    )
    rhs_allowed = rhs + rounding + evaluation
    parts["inequality"] = (safe_ratio(lhs, rhs_allowed), lhs, rhs_allowed)

    worst = max(PARTS, key=lambda k: parts[k][0])
    _, measured, bound = parts[worst]
    part_ratios: dict[str, Any] = {f"ratio_{k}": parts[k][0] for k in PARTS}
    return result(
        "E16",
        measured=measured,
        bound=bound,
        config=config,
        seed=seed,
        backend=backend,
        worst_part=worst,
        **part_ratios,
        rho_w_reached=rho_w,
        rho_u_reached=rho_u,
        gain_reached=bounds.gain(reached),
        step_size=float(step_size),
        lambda_max=lam,
        steps=steps,
        risk_init=float(traj.risks[0]),
        risk_final=float(traj.risks[-1]),
        risk_comparator=risk_star,
        average_risk=lhs,
        residual_term=max_res,
        rounding_inequality=rounding,
        rounding_evaluation=evaluation,
        rounding_drift_u=float(allow_u[-1]),
    )
