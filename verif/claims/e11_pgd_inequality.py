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
which PGD barely leaves ``Theta_0``. The default is the step at which training makes progress:
``eta = step_scale / lambda_max``, with ``lambda_max`` the largest eigenvalue of the Hessian
``K_m / (nT)`` of the linearized risk (``K_m`` the NTK Gram matrix at ``Theta_0``, THEORY 6);
``step_scale = 1`` is the classical choice (half the stability limit ``2/lambda_max``), and larger
``step_scale`` exercises the ``(eta/2) ||grad R||^2`` term. ``step_size`` sets ``eta`` directly.

**Floor** (:mod:`verif.floors`). Both sides are computed; with a tiny target (``nu -> 0``) the
risks are of the order of the outputs' rounding. Every iterate and ``Theta_bar`` lie in
``Omega``, where each output is within ``f`` of the exact one
(:func:`verif.floors.omega_output_floor`), so each risk is within
``r_f(R) = 2 (sqrt(2R) f + f^2/2) + gamma_{nT+3} R`` (:func:`verif.floors.risk_floor`, with
``mean|r| <= sqrt(2R)``). The floor is ``max_s r_f(R_s) + r_f(R(Theta_bar))`` plus the rounding
of the gradient term, ``eta (||grad R|| e + e^2/2)`` with
``e = sqrt(2 R_max) E + f G_max`` (``E`` the features' floor ``(1/sqrt m) ||(E^g, E^G)||`` over
``Omega``, ``G_max`` the largest B3 bound), of the residual term, ``f max_t eps_t``, and
``gamma_{tau+8}`` of both sides. It is stated as ``details['floor']``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors, ntk, projection, transport
from verif import params as params_mod
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result
from verif.claims.e10_approximation import realizable_problem
from verif.config import RNNConfig
from verif.params import Params
from verif.train import train

#: Teacher draws by default: B8 holds for any target, so the Monte Carlo error does not matter.
DRAWS = 2**15


def omega_for_comparator(config: RNNConfig) -> tuple[RNNConfig, bool]:
    """``config`` with ``rho >= nu`` (so that ``Theta_bar`` is in ``Omega``), and whether it changed."""
    raised = config.rho_w < config.nu_w or config.rho_u < config.nu_u
    if not raised:
        return config, False
    return config.replace(rho_w=max(config.rho_w, config.nu_w), rho_u=max(config.rho_u, config.nu_u)), True


def ntk_step(
    params: Params, X: Any, scale: float = 1.0, backend: str | Backend = "numpy"
) -> tuple[float, float]:
    """``(scale / lambda_max, lambda_max)``; ``lambda_max`` is the top eigenvalue of ``K_m / (nT)``.

    ``K_m`` is the NTK Gram matrix at ``Theta_0`` (THEORY 6), so ``K_m / (nT)`` has the nonzero
    eigenvalues of the Hessian of the linearized risk. The step is a choice, not a measurement:
    it is computed with the NumPy reference by default, so that every backend trains with the
    same ``eta``.

    Falls back to ``eta = scale`` when ``lambda_max`` is not positive (a target-free problem).
    """
    K = np.asarray(ntk.gram(params, X, backend, at="init"), dtype=np.float64)
    lam = float(np.linalg.eigvalsh(K)[-1]) / K.shape[0] if K.size else 0.0
    return (scale / lam if lam > 0 else scale), lam


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


def _pgd_floor(
    cfg: RNNConfig,
    p0: Params,
    X: Any,
    risks: Any,
    risk_star: float,
    step_size: float,
    max_grad_sq: float,
    both_sides: float,
) -> float:
    """The floor of the comparison ``lhs <= rhs`` of B8 (module docstring)."""
    dtype, T = cfg.dtype, cfg.seq_len
    count = int(np.shape(X)[0]) * T
    f = floors.omega_output_floor(p0, projection.radii(cfg), T, dtype)
    risks = np.asarray(risks, dtype=np.float64)

    def r_f(R: float) -> float:
        return floors.risk_floor(math.sqrt(2.0 * max(R, 0.0)), f, R, count, dtype)

    r_w, r_u = projection.radii(cfg)
    w = np.abs(np.asarray(p0.w0, dtype=np.float64)) + r_w
    un = np.linalg.norm(np.asarray(p0.U0, dtype=np.float64), axis=1) + r_u
    _, Eg, EG = floors.recurrence_floors(w, un, p0.activation, T, cfg.input_dim, dtype)
    E = float(np.max(np.sqrt(np.sum(Eg * Eg + EG * EG, axis=-1) / cfg.width)))
    G_max = float(np.max(bounds.grad_norm_bound(cfg)))
    e = math.sqrt(2.0 * float(np.max(risks))) * E + f * G_max
    grad = step_size * (math.sqrt(max_grad_sq) * e + 0.5 * e * e)
    residual = f * float(np.max(bounds.pgd_epsilon(cfg)))
    lhs_floor = max(r_f(float(R)) for R in risks)
    return float(
        lhs_floor + r_f(risk_star) + grad + residual + floors.sum_floor(both_sides, len(risks) + 8, dtype)
    )


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = ("n", "steps", "step_size", "step_scale", "draws", "X", "teacher_backend")


@register(
    "E11", title="PGD inequality with the transported comparator", theory="B8", kind="bound", options=OPTIONS
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
    """Run PGD on a realizable target and compare its average risk with B8's right side.

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
        raise TypeError(f"unknown options for E11: {sorted(options)}")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    cfg, raised = omega_for_comparator(config)
    X, tmap, Y, rng = realizable_problem(cfg, seed, n, draws, X, teacher_backend)
    p0 = params_mod.symmetric_init(cfg, int(rng.integers(0, 2**32)))
    p_bar = transport.transported_params(p0, tmap)
    lam = math.nan
    if step_size is None:
        step_size, lam = ntk_step(p0, X, step_scale)
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
    floor = _pgd_floor(cfg, p0, X, traj.risks[:steps], risk_star, step_size, max_grad_sq, lhs + rhs)
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
        omega_radii_raised=raised,
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
    )
