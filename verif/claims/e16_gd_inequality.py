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
roundoff of ``config.dtype``). Each bound is compared with the allowance this adds
(:func:`rounding_allowances`): ``s u`` times the largest ``|w_i|`` (``sqrt(m)`` scaled) for
``D_w(s)``, likewise for ``D_u`` and ``D_F``, and for the inequality the change of the
telescoped distance, ``(2 e d + e^2) / (2 eta)`` with ``e = u max_s ||Theta_s||`` and ``d`` the largest
distance to ``Theta_bar``. These are below ``1e-12`` of the bounds unless the iterates barely move
(a target of order ``1e-16``, whose updates fall below ``u``), where they keep rounding from being
called a violation (``details['rounding_*']``).
GD does not use ``config``'s radii ``rho_w, rho_u``: they play no role in the run or the bound.

**Step size.** B10 (a) and (b) hold for every ``eta``. As in E11, the default is
``eta = step_scale / lambda_max`` (``lambda_max`` the top eigenvalue of ``K_m / (nT)``, THEORY 6),
the step at which GD makes progress; ``step_size`` sets ``eta`` directly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, gd_bounds, projection, transport
from verif import params as params_mod
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result, safe_ratio
from verif.claims.e10_approximation import realizable_problem
from verif.claims.e11_pgd_inequality import OPTIONS, ntk_step
from verif.config import RNNConfig
from verif.train import train

#: Teacher draws by default: B10 holds for any target, so the Monte Carlo error does not matter.
DRAWS = 2**15
PARTS = ("inequality", "drift_w", "drift_u", "drift_F")


def rounding_allowances(
    config: RNNConfig,
    p0: params_mod.Params,
    bounds_wuF: tuple[Any, Any, Any],
    dist_bar: float,
    step_size: float,
) -> dict[str, Any]:
    """What rounding the updates can add to ``D_w(s)``, ``D_u(s)``, ``D_F(s)`` and to B8's right side.

    With ``u`` the unit roundoff, every coordinate of ``fl(Theta_s - eta g_s)`` is within ``u`` times
    its magnitude of the exact update, and the magnitudes are at most those at ``Theta_0`` plus the
    drift bounds (B10 a). Over ``s`` steps: ``D_w`` gains at most ``sqrt(m) s u max_i |w_i|``, ``D_u``
    ``sqrt(m) s u max_i ||u_i||``, ``D_F`` ``s u max ||Theta||``. In the inequality each step's squared
    distance to ``Theta*`` changes by at most ``2 e d + e^2`` (``e = u max ||Theta||``, ``d`` the largest
    distance), which the telescoped sum divides by ``2 eta tau`` per step.
    """
    u = float(np.finfo(np.dtype(config.dtype)).eps) / 2.0
    bw, bu, bF = (np.asarray(b, dtype=float) for b in bounds_wuF)
    sqrt_m = math.sqrt(config.width)
    s = np.arange(bw.shape[0], dtype=float)
    scale_w = float(np.max(np.abs(p0.w0))) + float(bw[-1]) / sqrt_m
    scale_u = float(np.max(np.linalg.norm(p0.U0, axis=1))) + float(bu[-1]) / sqrt_m
    e = u * (math.hypot(float(np.linalg.norm(p0.w0)), float(np.linalg.norm(p0.U0))) + float(bF[-1]))
    d = float(bF[-1]) + float(s[-1]) * e + dist_bar
    return {
        "drift_w": sqrt_m * s * u * scale_w,
        "drift_u": sqrt_m * s * u * scale_u,
        "drift_F": float(s[-1]) * e,
        "inequality": (2.0 * e * d + e * e) / (2.0 * step_size),
    }


def _worst_over_steps(measured: Any, bound: Any) -> tuple[float, float, float]:
    """``(ratio, measured, bound)`` at the step with the largest ``measured / bound``."""
    ratios = [safe_ratio(float(a), float(b)) for a, b in zip(measured, bound, strict=True)]
    k = int(np.argmax(ratios))
    return ratios[k], float(measured[k]), float(bound[k])


@register(
    "E16", title="GD inequality on the ball the run reaches", theory="B10", kind="bound", options=OPTIONS
)
def check(
    config: RNNConfig,
    backend: Backend,
    seed: int,
    n: int = 3,
    steps: int = 50,
    step_size: float | None = None,
    step_scale: float = 1.0,
    draws: int = DRAWS,
    X: Any = None,
    teacher_backend: str | Backend = "numpy",
    **options: Any,
) -> ClaimResult:
    """Run GD on a realizable target; compare its drift with B10 (a) and its average risk with B10 (b).

    Options:
        n: number of random sequences (ignored when ``X`` is given).
        steps: ``tau``.
        step_size: ``eta``; ``None`` (default) for ``step_scale / lambda_max`` (module docstring).
        step_scale: multiplier of the NTK step when ``step_size`` is ``None``.
        draws: Monte Carlo draws of the teacher target.
        X: inputs ``(n, T, d)`` to use instead of random ones.
        teacher_backend: backend that evaluates the teacher target.
    """
    if options:
        raise TypeError(f"unknown options for E16: {sorted(options)}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    X, tmap, Y, rng = realizable_problem(config, seed, n, draws, X, teacher_backend)
    p0 = params_mod.symmetric_init(config, int(rng.integers(0, 2**32)))
    p_bar = transport.transported_params(p0, tmap)
    lam = math.nan
    if step_size is None:
        step_size, lam = ntk_step(p0, X, step_scale)
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
    allow = rounding_allowances(config, p0, (bound_w, bound_u, bound_F), p_bar.distance_to_init(), step_size)
    parts = {
        "drift_w": _worst_over_steps(traj.drift_w, bound_w + allow["drift_w"]),
        "drift_u": _worst_over_steps(traj.drift_u, bound_u + allow["drift_u"]),
    }
    dist_final = traj.final.distance_to_init()
    bound_final = float(bound_F[-1]) + allow["drift_F"]
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
    rhs = bounds.pgd_rhs(risk_star, dist_sq, step_size, steps, max_grad_sq, max_res) + allow["inequality"]
    parts["inequality"] = (safe_ratio(lhs, rhs), lhs, rhs)

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
        rounding_inequality=allow["inequality"],
        rounding_drift_u=float(allow["drift_u"][-1]),
    )
