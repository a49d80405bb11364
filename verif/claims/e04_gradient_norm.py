"""E4: the parameter gradient of every output is bounded inside ``Omega``, uniformly in m (THEORY 8, B3).

For ``Theta`` in ``Omega`` and ``||x_t||_2 <= 1``, with the tangent features of THEORY 6
(``g_t = dh_t/dw``, ``G_t = dh_t/du`` per neuron) and ``c_i^2 = 1``,

.. math::

    \\|\\nabla_\\Theta F_t\\|_2 = \\frac{1}{\\sqrt m}\\Big(\\sum_i g_{t,i}^2 + \\|G_{t,i}\\|_2^2\\Big)^{1/2}
        \\le G_t := \\sqrt{L_{w,t}^2 + L_{u,t}^2},\\qquad
    |F_t(\\Theta)| \\le L_{w,t}\\rho_w + L_{u,t}\\rho_u .

They rest on the per-neuron bounds B1, ``|g_t| <= L_w,t = sigma_0 sigma_1 S_{t-1}(a)`` and
``||G_t|| <= L_u,t = sigma_1 S_t(a)``, which this claim measures too. All four parts count in the
ratio (the largest part ratio over sequences and ``t``).

"Independent of m": ``G_t`` has no factor of ``m``; it depends on ``m`` only through the gain
``a = sigma_1 (alpha + rho_w/sqrt(m))``, which decreases as ``m`` grows, so ``G_t`` is
non-increasing in ``m``. The claim measures the gradient norm again at the ``widths`` option
(same other parameters, seed, point kind and inputs; default ``4 m``), each against its own
bound, and requires the bound to be non-increasing from ``m`` to ``4 m`` and along the extra
widths: the measured norms at every width are then below the bound of the smallest one (a
bound uniform in ``m``). It does not assert how the measured norm itself moves with ``m``.

Floors (:mod:`verif.floors`), added to each part's bound: ``|g_t|`` and ``||G_t||`` carry the
recursion floors ``E^g_t``, ``E^G_t`` (:func:`verif.floors.recurrence_floors`, the largest over
neurons; ``E^g_0 = 0`` since ``g_0 = 0`` exactly, matching ``L_w,0 = 0``); the gradient norm
``(1/sqrt m) ||(E^g_t, E^G_t)||_2 + gamma_{m(1+d)+3} ||grad F_t||``; the output ``|F_t|`` the
output floor :func:`verif.floors.output_floor` (its bound ``L_w,t rho_w + L_u,t rho_u`` vanishes
as the radii do, while a point at distance ``~1e-16`` from ``Theta_0`` still has outputs of
rounding size); each bound its relative floor :func:`verif.floors.bound_floor`. The
monotonicity in ``m`` compares two bounds up to both their floors.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from verif import bounds, floors
from verif import params as params_mod
from verif.backends import Backend
from verif.claims import sampling
from verif.claims.base import ClaimResult, claim_inputs, count_option, per_time, register, result
from verif.claims.e03_lipschitz import worst_over_time
from verif.config import RNNConfig
from verif.params import Params


def _series(config: RNNConfig, backend: Backend, point: Params, X: Any) -> dict[str, tuple[Any, Any, Any]]:
    """``(measured_t, bound_t, floor_t)``, each ``(T,)``, of the parts of B1 and B3 at a point of Omega."""
    g, G = backend.tangent_features(point, X)
    m, d, T, dtype = config.width, config.input_dim, config.seq_len, config.dtype
    grad_sq = np.sum(g * g, axis=-1) + np.sum(G * G, axis=(-2, -1))
    grad_norm = np.sqrt(grad_sq / m)  # (n, T)
    F = backend.outputs(point, X)
    w_abs, u_norm = np.abs(point.w), np.linalg.norm(point.U, axis=1)
    _, Eg, EG = floors.recurrence_floors(w_abs, u_norm, point.activation, T, d, dtype)
    # ||grad F_t|| = (1/sqrt m) ||(g, G)||: the features' floors, then the norm of m (1 + d) squares.
    grad_floor = np.sqrt(np.sum(Eg * Eg + EG * EG, axis=-1) / m) + floors.gamma(
        m * (1 + d) + 3, dtype
    ) * np.max(grad_norm, axis=0)
    out_floor = np.max(floors.output_floor(point, backend.hidden_states(point, X), dtype), axis=0)
    G_norm = np.linalg.norm(G, axis=-1)
    G_floor = np.max(EG, axis=-1) + floors.gamma(d + 2, dtype) * np.max(G_norm, axis=(0, 2))
    parts = {
        "gradient": (np.max(grad_norm, axis=0), bounds.grad_norm_bound(config), grad_floor),
        "output": (np.max(np.abs(F), axis=0), bounds.output_bound(config), out_floor),
        "neuron_g": (np.max(np.abs(g), axis=(0, 2)), bounds.lipschitz_w(config), np.max(Eg, axis=-1)),
        "neuron_G": (np.max(G_norm, axis=(0, 2)), bounds.lipschitz_u(config), G_floor),
    }
    return {
        part: (measured, bound, fl + floors.bound_floor(bound, T))
        for part, (measured, bound, fl) in parts.items()
    }


def _measure(config: RNNConfig, backend: Backend, point: Params, X: Any) -> dict[str, tuple[float, ...]]:
    """``(ratio, measured, bound, floor)`` of each part of B1 and B3 at one point of ``Omega``."""
    return {part: worst_over_time(*mb) for part, mb in _series(config, backend, point, X).items()}


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "points", "widths", "X", "n")


@register("E4", title="gradient norm bounded uniformly in m", theory="B3", kind="bound", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Largest ``||grad F_t||/G_t``, ``|F_t|/(L_w,t rho_w + L_u,t rho_u)`` and B1 part ratios.

    Options:
        kind: where the points lie in ``Omega`` (``interior``, ``boundary``, ``corner``).
        points: number of points of ``Omega`` per width (default 2).
        widths: further widths at which to measure (default ``(4 m,)``; ``()`` for none).
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 3).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    points = count_option(options, "points", 2)
    widths = [config.width, *(int(w) for w in options.get("widths", (4 * config.width,)))]
    rng = np.random.default_rng(seed)
    init_seed, point_seed = (int(s) for s in rng.integers(2**32, size=2))
    X = claim_inputs(config, options.get("X"), int(options.get("n", 3)), rng)

    worst: dict[str, tuple[float, ...]] = {}
    per_width: dict[int, float] = {}
    series: list[tuple[Any, Any, Any]] = []  # (measured_t, bound_t, floor_t) of every width, point, part
    grad_bounds: dict[int, Any] = {}
    for m in widths:
        cfg = config.replace(width=m)
        params = params_mod.symmetric_init(cfg, init_seed)
        point_rng = np.random.default_rng(point_seed)
        for _ in range(points):
            point = sampling.point_in_omega(params, cfg, point_rng, kind)
            for part, triple in _series(cfg, backend, point, X).items():
                value = worst_over_time(*triple)
                series.append(triple)
                worst[part] = max(worst.get(part, value), value)
                per_width[m] = max(per_width.get(m, 0.0), value[0])
        grad_bounds[m] = bounds.grad_norm_bound(cfg)
    for m in (4 * config.width, *widths):
        grad_bounds.setdefault(m, bounds.grad_norm_bound(config.replace(width=m)))
    ordered = sorted(grad_bounds)
    # Bounds of two widths are equal up to their rounding when rho_w = 0: each carries its floor.
    T = config.seq_len
    monotone = all(
        bool(
            np.all(
                grad_bounds[hi]
                <= grad_bounds[lo]
                + floors.bound_floor(grad_bounds[lo], T)
                + floors.bound_floor(grad_bounds[hi], T)
            )
        )
        for lo, hi in itertools.pairwise(ordered)
    )
    _, measured, bound, floor = max(worst.values())
    part_ratios: dict[str, Any] = {f"ratio_{part}": worst[part][0] for part in worst}
    return result(
        "E4",
        measured,
        bound,
        config,
        seed,
        backend,
        passed=monotone,
        floor=floor,
        kind=kind,
        widths=widths,
        bound_nonincreasing_in_m=monotone,
        **({} if monotone else {"verdict_by": "bound check: B3 grows with m"}),
        max_grad_bound_by_width={m: float(np.max(grad_bounds[m])) for m in ordered},
        ratio_by_width={m: per_width[m] for m in sorted(per_width)},
        **part_ratios,
        **per_time(*(np.stack(s) for s in zip(*series, strict=True))),
    )
