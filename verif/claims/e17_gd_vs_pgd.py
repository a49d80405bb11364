"""E17: B10's requirements against B8's as ``eps -> 0`` (THEORY 8, the comparison under B10).

The comparison derived under B10 says ``m_GD / m_PGD ~ C eps^-1`` and
``tau_GD / tau_PGD ~ C' eps^{+1}``: exponents ``+1`` and ``-1`` in ``1/eps``
(:data:`verif.gd_bounds.WIDTH_EXPONENT`, :data:`verif.gd_bounds.ITERATION_EXPONENT`).

The check, for one configuration (PGD with radii raised to ``rho >= nu`` where needed, B8's
premise, as in E11; ``details['omega_radii_raised']``):

1. the constants are taken at the limiting gain ``a_0``, the limit of both methods' gains as their
   required widths grow without bound: GD's exactly (``gd_bounds.requirements(...,
   limit_gain=True)``: its radius grows like ``eps^-1/2``, so a fixed width would not do), PGD's at
   the width :data:`LIMIT_WIDTH` ``= 2^62`` (its radius is fixed; the gain is within
   ``sigma_1 rho_w 2^-31`` of ``a_0``);
2. the top of the grid, ``eps_top``, is found by going down from ``K^2`` (the scale of the risk,
   B7) by factors of 10 until both requirements are in their leading terms (:func:`leading`):
   the first width condition is the largest, ``tau >= MIN_ITERATIONS``, and GD's radius exceeds
   ``nu`` by a factor ``1/sqrt(RADIUS_FLOOR)``; at most :data:`MAX_DECADES_DOWN` decades, and as
   many more as ``nu^4`` lies below ``K^2`` (the leading terms need ``eps`` of order ``nu^4``);
3. on ``points`` values of ``eps`` log-spaced over ``decades`` decades below ``eps_top``, the
   least-squares slope of ``log(m_GD/m_PGD)`` and of ``log(tau_GD/tau_PGD)`` against ``log(1/eps)``.

Tolerance: on that grid each requirement is a pure power of ``eps`` times a constant, up to the
rounding of ``tau`` to an integer (relative ``<= 1/MIN_ITERATIONS = 1e-6``, entering ``r^2`` and so
``rho^4`` at most four times) and ``nu^2 / rho^2 <= RADIUS_FLOOR = 1e-6``; the maximum in each width
requirement is exactly its leading term. Each log-ratio is thus within ``~1e-5`` of a straight
line, and a least-squares slope over ``decades * ln 10 >= 6.9`` in ``log(1/eps)`` within
``~3e-6`` of the exponent. :data:`EXPONENT_TOL` ``= 1e-4`` leaves a factor of about 30; a wrong
power of ``eps`` anywhere in a requirement moves a slope by ``1/2`` or more (a ratio of 5000).

Domain. ``K > 0`` (``K = 0`` exactly when ``nu_u = 0`` and ``nu_w = 0`` or ``T = 1``: every
realizable target is 0 and the grid has no top), and a leading regime inside float64 and the
range of radii :class:`RNNConfig` allows (for ``nu`` below about ``1e-70``, depending on ``G``, it
or GD's drift scale lies below float64's normal range, for ``nu`` near ``1e75`` GD's radius
leaves the range: :func:`_in_float`). Elsewhere the check
refuses with a ``ValueError`` naming the fields, before it fits anything; so it does where
``rho_w`` (raised to ``nu_w``) is so large that PGD's gain at :data:`LIMIT_WIDTH` is not ``a_0``
to :data:`GAIN_RESIDUE_MAX` in ``G`` and ``beta`` (roughly ``rho_w`` above ``10^3 / (T sigma_1)``);
the comparison's own refusals (``nu = 0``, ``rho = 0``, ``R_max = 0``) are those of
:func:`verif.gd_bounds.asymptotic_ratios`.
A leading regime not found within float64's range is a failure (``measured = inf``).

The grid also gives the constants: with the derived exponent ``e``,
``exp(mean(log ratio - e log(1/eps)))`` against ``C`` and ``C'`` of
:func:`verif.gd_bounds.asymptotic_ratios`; its relative error is the mean deviation from the
pure power, ``~1e-5`` at most, within :data:`CONSTANT_RTOL` ``= 1e-4``. Four parts
(``ratio_width``, ``ratio_iterations``, ``ratio_width_constant``, ``ratio_iteration_constant``),
each error over its tolerance; ``measured`` and ``bound`` are those of the largest. The
backend is not used (the requirements are closed forms).
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from verif import bounds, gd_bounds
from verif.backends import Backend
from verif.claims.base import ClaimResult, register, result
from verif.claims.e11_pgd_inequality import omega_for_comparator
from verif.config import RNNConfig
from verif.validation import require_int, require_real

#: The width at which both requirements are evaluated (PGD's gain is ``a_0`` to ``rho_w 2^-31``).
LIMIT_WIDTH = bounds.MAX_WIDTH
#: Allowed ``|fitted - derived|`` for each exponent (module docstring).
EXPONENT_TOL = 1e-4
#: Allowed ``|fitted / derived - 1|`` for each constant ``C``, ``C'`` (module docstring).
CONSTANT_RTOL = 1e-4
#: Leading regime: both iteration counts at least this (the rounding of ``tau`` is ``<= 1e-6``).
MIN_ITERATIONS = 10**6
#: Leading regime: ``nu^2 <= RADIUS_FLOOR (rho_w^2 + rho_u^2)`` for GD's radius.
RADIUS_FLOOR = 1e-6
#: How many factors of 10 below ``K^2`` the search for the leading regime may go.
MAX_DECADES_DOWN = 60
#: Largest relative change of PGD's ``G`` and ``beta`` between the gain at :data:`LIMIT_WIDTH` and
#: ``a_0`` (the fit's constants are then within ``~1e-5`` of the limit's, module docstring).
GAIN_RESIDUE_MAX = 1e-6
#: Largest log of a constant's fitted/derived ratio reported (a ratio beyond ``e^700`` is as wrong).
LN_RATIO_MAX = 700.0


def leading(gd: gd_bounds.GDRequirements, pgd: bounds.Requirements, nu_sq: float) -> bool:
    """Whether both requirements are in their leading terms (module docstring, step 2)."""
    return (
        gd.converged
        and gd.width_required == gd.width_linearization
        and pgd.width_required == pgd.width_linearization
        and min(gd.iterations, pgd.iterations) >= MIN_ITERATIONS
        and nu_sq <= RADIUS_FLOOR * (gd.radius_w**2 + gd.radius_u**2)
    )


def slope(x: Any, y: Any) -> float:
    """The least-squares slope of ``y`` against ``x``."""
    return float(np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 1)[0])


def constant(x: Any, y: Any, exponent: float) -> float:
    """``C`` of ``exp(y) ~ C exp(exponent x)``, fitted on the grid: ``exp(mean(y - exponent x))``."""
    return math.exp(float(np.mean(np.asarray(y, dtype=float) - exponent * np.asarray(x, dtype=float))))


def _ln(x: float) -> float:
    """``log x`` for ``x > 0``, a :class:`verif.bounds.Huge` included; ``-inf`` for 0 (below float64)."""
    if isinstance(x, bounds.Huge):
        return x.log10 * math.log(10.0)
    return math.log(x) if x > 0 else -math.inf


def _constant_ratio(x: Any, y: Any, exponent: float, ln_derived: float) -> float:
    """The fitted constant (:func:`constant`) over the derived one given by its log, formed in logs."""
    fitted = float(np.mean(np.asarray(y, dtype=float) - exponent * np.asarray(x, dtype=float)))
    return math.exp(min(fitted - ln_derived, LN_RATIO_MAX))


def _in_float(gd: gd_bounds.GDRequirements) -> bool:
    """Whether GD's requirements were evaluated inside float64: a radius fixed point (at the limiting
    gain it is missing only beyond float64 or RNNConfig's range) and a drift scale whose square
    ``r^2 = 2 eta tau nu^2 + (4/3) (eta tau)^2 eps`` is a normal float (below, its terms were
    rounded in the subnormal range: tiny ``nu`` with a gradient bound ``G`` beyond ``1e80``)."""
    return gd.converged and gd.drift_scale * gd.drift_scale >= sys.float_info.min


def _beyond_float(config: RNNConfig, scale: float, decades: float) -> ValueError:
    """The refusal where the leading regime lies outside float64 (or GD's radius outside RNNConfig)."""
    return ValueError(
        "E17 evaluates both requirements in float64 and finds no eps within it (and GD radii within "
        f"RNNConfig's range) where they are in their leading terms, of order nu^4 below the scale K^2 "
        f"= {scale:.3g} of the risk (THEORY 8, comparison under B10), over decades={decades!r}; "
        f"got nu_w={config.nu_w!r}, nu_u={config.nu_u!r}, rho_w={config.rho_w!r}, "
        f"rho_u={config.rho_u!r}, memory_alpha={config.memory_alpha!r}, seq_len={config.seq_len}"
    )


def _gain_residue(limit: RNNConfig) -> float:
    """How far PGD's constants at :data:`LIMIT_WIDTH` are from their limit at ``a_0``: the largest
    relative change of ``max_t G_t`` (B3) and ``max_t beta_t`` (B4) between the gain
    ``sigma_1 (alpha + rho_w / 2^31)`` and ``a_0``."""
    at_a0 = limit.replace(rho_w=0.0)
    diffs = [
        abs(float(np.max(f(limit, log10=True))) - float(np.max(f(at_a0, log10=True))))
        for f in (bounds.grad_norm_bound, bounds.beta)
    ]
    return math.expm1(min(max(diffs) * math.log(10.0), LN_RATIO_MAX))  # a change beyond e^700 is as far


def _search_decades(scale: float, config: RNNConfig) -> int:
    """How many factors of 10 below ``scale = K^2`` the search may go: :data:`MAX_DECADES_DOWN`, and
    as many more as ``nu^4`` lies below ``K^2`` (the leading terms need ``eps`` of order ``nu^4``
    times constants, module docstring)."""
    log10_nu4 = 4.0 * math.log10(math.hypot(config.nu_w, config.nu_u))
    return MAX_DECADES_DOWN + max(0, math.ceil(math.log10(scale) - log10_nu4))


def _risk_scale(config: RNNConfig) -> float:
    """``K^2`` (B7), the top of the search for the leading regime; a ``ValueError`` naming the
    fields where it is 0 or beyond float64."""
    why = bounds._zero_K_reason(config)
    if why is not None:
        raise ValueError(
            f"E17 compares requirements that grow as eps -> 0 from the scale K^2 of the risk and needs "
            f"K > 0 (B7; every realizable target is 0 otherwise): {why}"
        )
    try:
        K = bounds.approximation_constant(config)
        scale = K * K
    except bounds.BeyondFloat:
        scale = math.inf
    if not sys.float_info.min <= scale < math.inf:
        log10_K = bounds.approximation_constant(config, log10=True)
        raise ValueError(
            f"E17 starts its eps grid at K^2 (B7), which is 10^{2.0 * log10_K:.1f} here, outside float64; "
            f"got nu_w={config.nu_w!r}, nu_u={config.nu_u!r}, memory_alpha={config.memory_alpha!r}, "
            f"seq_len={config.seq_len}"
        )
    return scale


#: The options ``check`` accepts (each checked by ``check`` itself).
OPTIONS = ("n", "delta", "decades", "points", "y_max")


@register(
    "E17", title="GD against PGD requirements as eps goes to 0", theory="B10", kind="exact", options=OPTIONS
)
def check(
    config: RNNConfig,
    backend: Backend,
    seed: int,
    n: int = 10,
    delta: float = 0.1,
    decades: float = 3.0,
    points: int = 7,
    y_max: float | None = None,
    **options: Any,
) -> ClaimResult:
    """Fitted exponents of ``m_GD/m_PGD`` and ``tau_GD/tau_PGD`` in ``1/eps`` against the derived ones.

    Options:
        n, delta: the number of sequences and failure probability of B7 in both requirements.
        decades: the span of the ``eps`` grid (``>= 1``).
        points: the number of ``eps`` values (``>= 3``).
        y_max: the bound on ``|y_t|`` B8 uses (default ``K``).
    """
    if options:
        raise TypeError(f"unknown options for E17: {sorted(options)}")
    decades = require_real("decades", decades, 1.0)
    points = require_int("points", points, 3)
    cfg, raised = omega_for_comparator(config)
    limit = cfg.replace(width=LIMIT_WIDTH)
    scale = _risk_scale(limit)
    if not scale * 10.0**-decades >= sys.float_info.min:
        raise ValueError(
            f"option decades of E17 spans its eps grid from at most K^2 = {scale:.3g} (B7) down by that many "
            f"factors of 10, below float64's smallest normal number; got decades={decades!r}"
        )
    residue = _gain_residue(limit)
    if residue > GAIN_RESIDUE_MAX:
        raise ValueError(
            "E17 takes PGD's constants at width 2^62 for their limit at a_0, which needs rho_w / 2^31 to "
            f"move G and beta by at most {GAIN_RESIDUE_MAX:g} (relative); rho_w = {cfg.rho_w!r} (at least "
            f"nu_w) moves them by {residue:.2g}; got rho_w={config.rho_w!r}, nu_w={config.nu_w!r}"
        )
    derived = gd_bounds.asymptotic_ratios(limit, y_max)  # refuses nu = 0 and R_max = 0
    nu_sq = cfg.nu_w**2 + cfg.nu_u**2

    def both(eps: float) -> tuple[gd_bounds.GDRequirements, bounds.Requirements]:
        gd = gd_bounds.requirements(limit, eps, n, delta, y_max, limit_gain=True)
        return gd, bounds.requirements(limit, eps, n, delta, y_max)

    eps_top, found, representable = scale, False, True
    for _ in range(_search_decades(scale, cfg)):
        representable = eps_top * 10.0**-decades >= sys.float_info.min
        gd, pgd = both(eps_top) if representable else (None, None)
        representable = representable and gd is not None and _in_float(gd)
        if not representable or gd is None or pgd is None:
            break
        if leading(gd, pgd, nu_sq):
            found = True
            break
        eps_top /= 10.0
    ln_derived = {k: _ln(getattr(derived, k)) for k in ("width_constant", "iteration_constant")}
    if not representable or not all(math.isfinite(v) for v in ln_derived.values()):
        raise _beyond_float(config, scale, decades)
    grid = eps_top * 10.0 ** (-decades * np.arange(points) / (points - 1))
    log_inv_eps, log_width, log_iter = [], [], []
    in_leading = True
    for eps in grid:
        gd, pgd = both(float(eps))
        if not _in_float(gd):
            raise _beyond_float(config, scale, decades)
        in_leading = in_leading and leading(gd, pgd, nu_sq)
        ratios = (gd.width_required / pgd.width_required, gd.iterations / pgd.iterations)
        if not all(0.0 < r < math.inf for r in ratios):  # a requirement rounded to 0 or beyond float64
            raise _beyond_float(config, scale, decades)
        log_inv_eps.append(-math.log(eps))
        log_width.append(math.log(ratios[0]))
        log_iter.append(math.log(ratios[1]))
    width_slope = slope(log_inv_eps, log_width)
    iter_slope = slope(log_inv_eps, log_iter)
    width_constant = _constant_ratio(
        log_inv_eps, log_width, derived.width_exponent, ln_derived["width_constant"]
    )
    iter_constant = _constant_ratio(
        log_inv_eps, log_iter, derived.iteration_exponent, ln_derived["iteration_constant"]
    )
    errors = {
        "width": (abs(width_slope - derived.width_exponent), EXPONENT_TOL),
        "iterations": (abs(iter_slope - derived.iteration_exponent), EXPONENT_TOL),
        "width_constant": (abs(width_constant - 1.0), CONSTANT_RTOL),
        "iteration_constant": (abs(iter_constant - 1.0), CONSTANT_RTOL),
    }
    worst = max(errors, key=lambda k: errors[k][0] / errors[k][1])
    measured, tol = errors[worst]
    if not (found and in_leading):
        measured = math.inf
    part_ratios: dict[str, Any] = {f"ratio_{k}": err / t for k, (err, t) in errors.items()}
    return result(
        "E17",
        measured=measured,
        bound=tol,
        config=config,
        seed=seed,
        backend=backend,
        worst_part=worst,
        **part_ratios,
        width_exponent_fitted=width_slope,
        width_exponent_derived=derived.width_exponent,
        iteration_exponent_fitted=iter_slope,
        iteration_exponent_derived=derived.iteration_exponent,
        width_constant_ratio=width_constant,
        iteration_constant_ratio=iter_constant,
        leading_regime_found=found and in_leading,
        eps_top=float(eps_top),
        eps_bottom=float(grid[-1]),
        omega_radii_raised=raised,
        regime=bounds.regime(cfg),
    )
