"""E11: the PGD inequality B8 holds for every initialization (THEORY 5, 7, 8, 9).

For any comparator ``Theta*`` in ``Omega`` and any step ``eta > 0``, the PGD iterates
``Theta_{s+1} = Proj_Omega(Theta_s - eta grad R(Theta_s))`` satisfy (B8, deterministic given
``Theta_0``)

.. math::

    \\frac{1}{\\tau}\\sum_{s<\\tau} R(\\Theta_s) \\le R(\\Theta^*)
        + \\frac{\\|\\Theta_0 - \\Theta^*\\|^2}{2\\eta\\tau}
        + \\frac{\\eta}{2}\\max_{s<\\tau}\\|\\nabla R(\\Theta_s)\\|^2
        + \\max_{s<\\tau}\\frac{1}{nT}\\sum_{j,t}|r_{j,t}(\\Theta_s)|\\,\\epsilon_t,
    \\qquad \\epsilon_t = \\frac{2\\beta_t(\\rho_w^2+\\rho_u^2)}{\\sqrt m}.

The check uses a realizable target ``Y = F*(X)`` (a teacher, THEORY 7) and the comparator
``Theta* = Theta_bar``, the transported parameter. ``Theta_bar`` lies in ``Omega`` only when
``rho_w >= nu_w`` and ``rho_u >= nu_u``; for a configuration with ``rho < nu`` the check runs on
``config.replace(rho_w=max(rho_w, nu_w), rho_u=max(rho_u, nu_u))``
(``details['omega_radii_raised']``; ``details['rho_w_used']``, ``details['rho_u_used']`` are the
radii PGD and the bound ran with). The inequality holds for any target, so the teacher's Monte
Carlo error plays no role here.

``measured`` is the left side (:meth:`Trajectory.average_risk`), ``bound`` the right side
(:func:`verif.bounds.pgd_rhs` with :func:`verif.bounds.residual_term`); maxima run over
``s = 0..tau-1``, the iterates the average covers.

**Parts.** For each of the three optimization terms of the right side (``dist``: the distance
term, ``grad``: the gradient term, ``residual``: the linearization-residual term),
``ratio_<term>`` is the fraction of that term the inequality needs, ``(lhs - (rhs - term)) /
term`` (:func:`term_use`): it is ``<= 1`` exactly when B8 holds, and above ``c`` exactly when
B8 with that term multiplied by ``c`` fails. The claim's ratio stays ``lhs / rhs`` (every part
ratio is at most it while the bound holds).

**Step size.** B8 holds for every ``eta``. The step B8 uses to reach a target risk
(``bounds.requirements(...).step_size``, ``~ nu / (R_max G sqrt(tau))``) is ``~1e-2`` or less, at
which PGD barely leaves ``Theta_0``. The default is the NTK step at which training makes progress
(:func:`verif.claims.training_problem.ntk_step`, ``eta = step_scale / lambda_max``); larger
``step_scale`` exercises the ``(eta/2) ||grad R||^2`` term. ``step_size`` sets ``eta`` directly.
The problem, the options and their defaults are :mod:`verif.claims.training_problem`'s.

**Floor** (:mod:`verif.floors`). Both sides are computed; with a tiny target (``nu -> 0``) the
risks are of the order of the outputs' rounding. The floor is the sum of two:
:func:`verif.floors.b8_inequality_floor`, the rounding of evaluating both sides (every iterate
and ``Theta_bar`` lie in ``Omega``, where each output is within ``f`` of the exact one), and
:func:`verif.floors.telescoped_update_floor`, what rounding the updates adds to the telescoped
distance (as in E16: at a target of order ``1e-16`` the updates fall below the unit roundoff
and the computed iterates do not move where the exact ones would), with updates within
``u (||Theta_0|| + sqrt(rho_w^2 + rho_u^2))`` of the exact ones and distances to ``Theta_bar`` at
most ``2 sqrt(rho_w^2 + rho_u^2)``. It is stated as ``details['floor']``, the update part as
``details['rounding_inequality']``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors, projection
from verif.backends import Backend
from verif.claims import training_problem
from verif.claims.base import ClaimResult, register, result
from verif.claims.training_problem import DRAWS as DRAWS
from verif.claims.training_problem import OPTIONS, TrainingOptions
from verif.claims.training_problem import ntk_step as ntk_step
from verif.claims.training_problem import omega_for_comparator as omega_for_comparator
from verif.config import RNNConfig
from verif.train import train


def term_use(lhs: float, rhs: float, term: float) -> float:
    """The fraction of one term of B8's right side that the inequality needs: ``(lhs - (rhs - term)) / term``.

    ``lhs <= rhs`` exactly when this is ``<= 1``; it is above ``c`` exactly when the bound with that
    term multiplied by ``c < 1`` fails, so a term made smaller shows even where another term
    dominates the right side (negative: the other terms alone cover ``lhs``). A zero term gives
    ``0`` when the rest covers ``lhs`` and ``inf`` otherwise.
    """
    rest = rhs - term
    if term > 0:
        return (lhs - rest) / term
    return 0.0 if lhs <= rest else math.inf


@register(
    "E11", title="PGD inequality with the transported comparator", theory="B8", kind="bound", options=OPTIONS
)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Run PGD on a realizable target and compare its average risk with B8's right side.

    Options:
        n, steps, step_size, step_scale, draws, X, teacher_backend: the training options
            (:class:`verif.claims.training_problem.TrainingOptions`; ``steps`` defaults to 50).
    """
    opts = TrainingOptions.read("E11", options)
    prob = training_problem.problem_for(config, seed, opts)
    cfg, X, Y, p0, p_bar = prob.config, prob.X, prob.Y, prob.params, prob.comparator
    step_size, lam = prob.step(opts)
    steps = opts.steps
    traj = train(
        cfg, p0, X, Y, method="pgd", step_size=step_size, steps=steps, backend=backend, record_residuals=True
    )
    assert traj.mean_abs_residuals is not None
    risk_star = float(backend.risk(p_bar, X, Y))
    dist_sq = p_bar.distance_to_init() ** 2
    max_grad_sq = float(np.max(traj.grad_norms[:steps] ** 2))
    max_res = float(np.max(bounds.residual_term(cfg, traj.mean_abs_residuals[:steps])))
    lhs = traj.average_risk()
    rhs = bounds.pgd_rhs(risk_star, dist_sq, step_size, steps, max_grad_sq, max_res)
    radius = math.hypot(cfg.rho_w, cfg.rho_u)
    rounding = floors.telescoped_update_floor(
        floors.update_size(p0, radius, cfg.dtype), 2.0 * radius, step_size
    )
    floor = rounding + floors.b8_inequality_floor(
        p0,
        projection.radii(cfg),
        cfg.seq_len,
        int(np.shape(X)[0]),
        traj.risks[:steps],
        risk_star,
        step_size,
        max_grad_sq,
        float(np.max(bounds.grad_norm_bound(cfg))),
        float(np.max(bounds.pgd_epsilon(cfg))),
        lhs + rhs,
        cfg.dtype,
    )
    without_residual = bounds.pgd_rhs(risk_star, dist_sq, step_size, steps, max_grad_sq, 0.0)
    terms = {
        "dist": dist_sq / (2.0 * step_size * steps),
        "grad": 0.5 * step_size * max_grad_sq,
        "residual": max_res,
    }
    part_ratios: dict[str, Any] = {f"ratio_{k}": term_use(lhs, rhs, v) for k, v in terms.items()}
    return result(
        "E11",
        measured=lhs,
        bound=rhs,
        config=config,
        seed=seed,
        backend=backend,
        floor=floor,
        omega_radii_raised=prob.omega_radii_raised,
        rho_w_used=cfg.rho_w,
        rho_u_used=cfg.rho_u,
        step_size=float(step_size),
        lambda_max=lam,
        steps=steps,
        risk_init=float(traj.risks[0]),
        risk_final=float(traj.risks[-1]),
        risk_comparator=risk_star,
        dist_term=terms["dist"],
        grad_term=terms["grad"],
        residual_term=terms["residual"],
        **part_ratios,
        ratio_without_residual_term=lhs / without_residual if without_residual > 0 else 0.0,
        rounding_inequality=rounding,
    )
