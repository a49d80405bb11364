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
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verif import bounds, floors, ntk
from verif.backends import Backend
from verif.claims import sampling
from verif.claims.base import ClaimResult, count_option, init_and_inputs, register, result
from verif.claims.e03_lipschitz import worst_over_time
from verif.config import RNNConfig
from verif.params import Params


def kernel_shift(backend: Backend, point: Params, X: Any) -> Any:
    """``|K_Theta - K_Theta_0|``, shape ``(nT, nT)``, rows ordered ``j*T + t``."""
    K = ntk.gram(point, X, backend, at="current")
    K0 = ntk.gram(point, X, backend, at="init")
    return np.abs(np.asarray(K, dtype=float) - np.asarray(K0, dtype=float))


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
    for _ in range(points):
        point = sampling.point_in_omega(params, config, rng, kind)
        shift = kernel_shift(backend, point, X)
        own = np.tile(floors.kernel_floor(point, T, dtype) + init_floor, (n, n))
        fl = own + floors.unit_roundoff(dtype) * shift + floors.bound_floor(bound, T)
        worst = max(worst, worst_over_time(shift, bound, fl))
    return result("E15", worst[1], worst[2], config, seed, backend, floor=worst[3], kind=kind, points=points)
