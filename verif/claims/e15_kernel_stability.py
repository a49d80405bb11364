"""E15: the empirical NTK barely moves inside ``Omega`` (THEORY 8, B9).

With ``phi_{t,i} = (g_{t,i}, G_{t,i})`` the tangent features of neuron ``i`` at ``Theta`` and
``K_Theta((X,t),(X',t')) = (1/m) sum_i <phi_{t,i}(X), phi_{t',i}(X')>`` (so ``K_{Theta_0} = K_m``
of THEORY 6), for every ``Theta`` in ``Omega``, entrywise,

.. math::

    |K_\\Theta((X,t),(X',t')) - K_{\\Theta_0}((X,t),(X',t'))| \\le
        \\frac{(\\beta_t G_{t'} + G_t \\beta_{t'}) \\sqrt{\\rho_w^2 + \\rho_u^2}}{\\sqrt m}

(:func:`verif.bounds.kernel_stability_bound`): ``Omega`` is convex, so each feature moves by at
most ``beta_t ||theta_i - theta_i(0)||`` (B4) and has norm at most ``G_t`` (B1, B3).

Measured: for ``points`` points of ``Omega`` of the requested ``kind`` around one symmetric
initialization, ``|K_Theta - K_Theta_0|`` over every pair of rows ``(j, t), (j', t')`` of the Gram
matrix (:func:`verif.ntk.gram` at ``"current"`` and ``"init"``), divided entrywise by the bound;
the reported ratio is the largest.

Floor (:mod:`verif.floors`). B9 vanishes linearly with the radii, while the difference of two
nearly equal Gram matrices keeps the rounding of each, so each entry carries the floor
``f_K(Theta) + f_K(Theta_0) + u |K_Theta - K_Theta_0| + gamma_k B9`` with
:func:`verif.floors.kernel_floor`, ``(1/m) sum_i (E_{t,i} M_{t',i} + M_{t,i} E_{t',i})
+ gamma_{m(1+d)+1} (1/m) sum_i M_{t,i} M_{t',i}`` (``M`` the B1 sizes of the features at the
neuron's own gain, ``E`` their recursion floors), and the bound's relative floor
:func:`verif.floors.bound_floor`; ``details['floor']`` is the floor at the worst entry.

Parts: ``K_Theta - K_Theta_0 = (1/m)[(Phi - Phi_0) Phi^T + Phi_0 (Phi - Phi_0)^T]`` (feature
rows ``phi_{(j,t)}``), and B9 is the sum of the bounds of the two terms, ``beta_t G_{t'} r`` and
``G_t beta_{t'} r`` (:func:`moved_feature_bounds`). Each term is measured against its own bound
(``ratio_moved_left``, ``ratio_moved_right``; :func:`kernel_shift_parts`) and every part counts
in the ratio (``ratio_b9`` is the whole shift against B9), so a term of B9 made smaller shows
even where the other dominates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors, ntk
from verif.backends import Backend
from verif.claims import sampling
from verif.claims.base import ClaimResult, count_option, init_and_inputs, per_time, register, result
from verif.claims.e03_lipschitz import worst_over_time
from verif.config import RNNConfig
from verif.params import Params


def kernel_shift(backend: Backend, point: Params, X: Any) -> Any:
    """``|K_Theta - K_Theta_0|``, shape ``(nT, nT)``, rows ordered ``j*T + t``."""
    K = ntk.gram(point, X, backend, at="current")
    K0 = ntk.gram(point, X, backend, at="init")
    return np.abs(np.asarray(K, dtype=float) - np.asarray(K0, dtype=float))


def _features(backend: Backend, p: Params, X: Any) -> Any:
    """The tangent features ``phi_{t,i} = (g_{t,i}, G_{t,i})`` flattened to ``(nT, m (1 + d))``."""
    g, G = backend.tangent_features(p, X)
    phi = np.concatenate([np.asarray(g, dtype=float)[..., None], np.asarray(G, dtype=float)], axis=-1)
    n, T, m, k = phi.shape
    return phi.reshape(n * T, m * k)


def kernel_shift_parts(backend: Backend, point: Params, X: Any) -> dict[str, Any]:
    """The two terms of ``K_Theta - K_Theta_0 = (1/m) [(Phi - Phi_0) Phi^T + Phi_0 (Phi - Phi_0)^T]``.

    ``moved_left``: the feature at ``(j, t)`` moved, ``(1/m) sum_i <phi_{t,i} - phi_{t,i}(0), phi_{s,i}>``;
    ``moved_right``: the feature at ``(k, s)`` moved; each ``(nT, nT)``, rows ordered ``j*T + t``.
    """
    phi = _features(backend, point, X)
    phi0 = _features(backend, point.at_init(), X)
    m = point.w.shape[0]
    delta = phi - phi0
    return {"moved_left": delta @ phi.T / m, "moved_right": phi0 @ delta.T / m}


def moved_feature_bounds(config: RNNConfig) -> dict[str, Any]:
    """The two terms of B9, ``(T, T)``: ``beta_t G_s r`` and ``G_t beta_s r`` (``r``: B9's radius term).

    A feature moves by at most ``beta_t ||theta_i - theta_i(0)||`` (B4) and has norm at most
    ``G_s`` (B3), and ``(1/m) sum_i ||theta_i - theta_i(0)|| <= r``: each term of
    :func:`kernel_shift_parts` has its own bound, and B9 is their sum.
    """
    beta, G = bounds.beta(config), bounds.grad_norm_bound(config)
    radius = math.hypot(config.rho_w, config.rho_u) / math.sqrt(config.width)
    return {"moved_left": np.outer(beta, G) * radius, "moved_right": np.outer(G, beta) * radius}


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "points", "X", "n")


@register("E15", title="kernel stability inside Omega", theory="B9", kind="bound", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Largest ``|K_Theta - K_Theta_0| / B9`` over entries and points of ``Omega``.

    Options:
        kind: where the points lie in ``Omega`` (``interior``, ``boundary``, ``corner``).
        points: number of points of ``Omega`` (default 3).
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 3).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    points = count_option(options, "points", 3)
    rng, params, X = init_and_inputs(config, seed, options)
    n = X.shape[0]
    T, dtype = config.seq_len, config.dtype
    bound = np.tile(bounds.kernel_stability_bound(config), (n, n))
    init_floor = floors.kernel_floor(params.at_init(), T, dtype)
    worst = (-1.0, 0.0, 0.0, 0.0)
    shifts, shift_floors = [], []
    part_bounds = {part: np.tile(b, (n, n)) for part, b in moved_feature_bounds(config).items()}
    part_worst = {part: (-1.0, 0.0, 0.0, 0.0) for part in part_bounds}
    u = floors.unit_roundoff(dtype)
    for _ in range(points):
        point = sampling.point_in_omega(params, config, rng, kind)
        shift = kernel_shift(backend, point, X)
        own = np.tile(floors.kernel_floor(point, T, dtype) + init_floor, (n, n))
        fl = own + u * shift + floors.bound_floor(bound, T)
        shifts.append(shift)
        shift_floors.append(fl)
        worst = max(worst, worst_over_time(shift, bound, fl))
        # Each term is a product of the same features: the same rounding floor, with its bound's own.
        for part, term in kernel_shift_parts(backend, point, X).items():
            b = part_bounds[part]
            fl_part = own + u * np.abs(term) + floors.bound_floor(b, T)
            part_worst[part] = max(part_worst[part], worst_over_time(np.abs(term), b, fl_part))
    # Every part counts in the ratio: the whole shift against B9, each term against its own.
    part_ratios: dict[str, Any] = {f"ratio_{part}": v[0] for part, v in part_worst.items()}
    _, measured, b9, floor = max([worst, *part_worst.values()])
    return result(
        "E15",
        measured,
        b9,
        config,
        seed,
        backend,
        floor=floor,
        ratio_b9=worst[0],
        **part_ratios,
        kind=kind,
        points=points,
        **per_time(*by_later_time(np.stack(shifts), bound, np.stack(shift_floors), T)),
    )


def by_later_time(shift: Any, bound: Any, floor: Any, T: int) -> tuple[Any, Any, Any]:
    """``|K_Theta - K_Theta_0|``, B9 and the floor arranged by the later time of each entry, ``(..., T)``.

    The entry ``(j T + t, k T + s)`` depends on both times; for the per-time ratios
    (:func:`verif.claims.base.per_time`) it counts at ``max(t, s)``: the ratio at ``t`` is the
    largest over the entries whose later time is ``t``. Entries at other times are given
    ``measured = 0`` (ratio 0) in the column of ``t``.
    """
    shift = np.asarray(shift, dtype=float)
    nT = shift.shape[-1]
    times = np.arange(nT) % T
    later = np.maximum(times[:, None], times[None, :])  # (nT, nT)
    onehot = later[..., None] == np.arange(T)  # (nT, nT, T)
    b = np.broadcast_to(np.asarray(bound, dtype=float), shift.shape)
    f = np.broadcast_to(np.asarray(floor, dtype=float), shift.shape)
    measured_t = np.where(onehot, shift[..., None], 0.0)
    bound_t = np.where(onehot, b[..., None], 1.0)
    floor_t = np.where(onehot, f[..., None], 0.0)
    return measured_t.reshape(-1, T), bound_t.reshape(-1, T), floor_t.reshape(-1, T)
