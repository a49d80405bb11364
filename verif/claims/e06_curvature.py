"""E6: the curvature of the network output decays like ``1/sqrt(m)`` (THEORY 8, B5).

For ``Theta`` in ``Omega`` and ``||x_t||_2 <= 1``,

.. math::

    \\|\\nabla^2_\\Theta F_t(\\Theta)\\|_{op} \\le \\beta_t / \\sqrt{m}

with ``beta_t`` of B4 (:func:`verif.bounds.curvature_bound`). In a diagonal RNN the Hessian is
block-diagonal by neuron with blocks ``c_i Hess_theta h_{t,i} / sqrt(m)``, so its norm is the
largest block norm over ``sqrt(m)``; the claim does not assume that structure.

Measured: the full Hessian in all ``D = m (1 + d)`` coordinates of ``Theta``, one column per
coordinate, as the central difference (step ``eps^(1/3)`` of the dtype) of the whole gradient
``grad_Theta F_t = (1/sqrt(m)) (c_i g_{t,i}, c_i G_{t,i})_i`` formed from the backend's tangent
features at the perturbed parameters. Any coupling between neurons would show up in the
off-diagonal blocks of that matrix, and the operator norm (largest ``|eigenvalue|`` of the
symmetrized matrix) sees them; their largest entry is reported as ``off_block_max``. This costs
``2 D`` backend calls and one ``D x D`` eigenvalue problem per sequence and time, so it is kept
to ``D <= max_dim`` (default 512: ``m <= 64`` at ``d <= 7``). Like E5 the finite difference is
compared with the relative tolerance that THEORY gives for it: ``<= (beta_t/sqrt(m)) (1 + FD_RTOL)``
(the bound is attained at ``t = 0`` in the limit of a neuron at the argmax of ``|sigma''|``).

Floor (:mod:`verif.floors`): :func:`verif.floors.central_difference_floor` with the entries of
``grad_Theta F_t`` within ``(E^g_t + E^G_t)/sqrt(m)`` (the features' recursion floors at the
perturbed point), the step ``h`` and ``dim = m (1 + d)``, plus the bound's relative floor;
added to the bound and stated as ``details['floor']``.

The theory's model (THEORY 1, B5). Neuron ``i`` depends on ``(w_i, u_i)`` only, so moving a
coordinate of neuron ``j != i`` leaves ``grad_{theta_i} F_t`` bit for bit unchanged and every
off-block entry of the measured Hessian is an exact ``0``. A backend whose neurons are coupled
(``W`` not diagonal) is another model, for which B5 says nothing: its off-block entries are
compared with the floor of one central-difference entry,
:func:`verif.floors.central_difference_floor` with ``dim = 1`` and the largest ``|entry|`` at
``t`` (``details['off_block_floor']``); ``off_block_ratio = max_t off_block_max_t / floor_t``.
Above ``1`` the claim fails with ``defect_kind`` "model structure" (:mod:`verif.claims.defects`)
and a ``defect`` that names the entries and the floor, whatever the curvature ratio; a
curvature ratio above ``1`` of a separable model is a violated bound.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from verif import bounds, floors
from verif import params as params_mod
from verif.backends import Backend
from verif.claims import defects, sampling
from verif.claims.base import ClaimResult, claim_inputs, per_time, register, result, time_ratios
from verif.claims.e03_lipschitz import worst_over_time
from verif.claims.e05_neuron_hessian import FD_RTOL, fd_step, op_norm
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: Largest number of coordinates ``m (1 + d)`` for which the full Hessian is formed.
MAX_DIM = 512


def output_gradient(backend: Backend, params: Params, X: Any) -> FloatArray:
    """``grad_Theta F_t`` for every sequence and ``t``, shape ``(n, T, m (1 + d))``.

    Coordinates are ordered by neuron: ``(w_i, u_i)`` occupy ``i (1 + d) .. i (1 + d) + d``.
    """
    g, G = backend.tangent_features(params, X)
    c = np.asarray(params.c, dtype=float)
    per_neuron = np.concatenate([g[..., None], G], axis=-1) * c[:, None]
    n, T, m, k = per_neuron.shape
    return np.asarray(per_neuron.reshape(n, T, m * k) / math.sqrt(m), dtype=float)


def output_hessians(backend: Backend, params: Params, X: Any, dtype: Any) -> FloatArray:
    """``Hess_Theta F_t`` by central differences of :func:`output_gradient`, ``(n, T, D, D)``, symmetrized."""
    m, d = params.U.shape
    dim = m * (1 + d)
    step = fd_step(dtype)
    hess: FloatArray | None = None
    for col in range(dim):
        i, j = divmod(col, 1 + d)
        dw = np.zeros(m)
        dU = np.zeros((m, d))
        if j == 0:
            dw[i] = step
        else:
            dU[i, j - 1] = step
        plus = output_gradient(backend, params.with_weights(params.w + dw, params.U + dU), X)
        minus = output_gradient(backend, params.with_weights(params.w - dw, params.U - dU), X)
        if hess is None:
            hess = np.empty((*plus.shape, dim))
        hess[..., col] = (plus - minus) / (2.0 * step)
    assert hess is not None
    return np.asarray(0.5 * (hess + np.swapaxes(hess, -1, -2)))


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "X", "n", "max_dim")


@register("E6", title="network curvature <= beta_t / sqrt(m)", theory="B5", kind="bound", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Largest ``||Hess_Theta F_t||_op / ((beta_t/sqrt(m)) (1 + FD_RTOL))`` over sequences and ``t``.

    Options:
        kind: where the point of ``Omega`` lies (``interior``, ``boundary``, ``corner``).
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 2).
        max_dim: refuse configurations with more than this many coordinates (default 512).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    dim = config.width * (1 + config.input_dim)
    max_dim = int(options.get("max_dim", MAX_DIM))
    if dim > max_dim:
        raise ValueError(
            f"E6 forms the full Hessian in m (1 + d) = {dim} coordinates; that exceeds max_dim={max_dim}"
        )
    rng = np.random.default_rng(seed)
    init_seed, data_seed = (int(s) for s in rng.integers(2**32, size=2))
    X = claim_inputs(config, options.get("X"), int(options.get("n", 2)), data_seed)
    point = sampling.point_in_omega(params_mod.symmetric_init(config, init_seed), config, rng, kind)
    hess = output_hessians(backend, point, X, config.dtype)
    per_t = np.max(operator_norms(hess, config.input_dim), axis=0)
    curvature = bounds.curvature_bound(config)
    T, d, step = config.seq_len, config.input_dim, fd_step(config.dtype)
    w_abs = np.abs(np.asarray(point.w, dtype=float)) + step
    u_norm = np.linalg.norm(np.asarray(point.U, dtype=float), axis=1) + step
    _, Eg, EG = floors.recurrence_floors(w_abs, u_norm, config.activation, T, d, config.dtype)
    theta_max = float(max(np.max(w_abs), np.max(np.abs(point.U)) + step))
    entry_floor = np.max(Eg + EG, axis=-1) / math.sqrt(config.width)
    fl = floors.central_difference_floor(entry_floor, step, theta_max, per_t, dim, config.dtype)
    fl = fl + floors.bound_floor(curvature, T)
    _, measured, bound, floor = worst_over_time(per_t, curvature * (1.0 + FD_RTOL), fl)
    ratio_curv = worst_over_time(per_t, curvature, fl)[0]
    off_t, off_floor_t = off_block_entries(hess, d, entry_floor, step, theta_max, config.dtype)
    off_ratio = float(np.max(time_ratios(off_t, 0.0, off_floor_t)))
    worst_t = int(np.argmax(off_t / off_floor_t))
    coupled = off_ratio > 1.0
    why: dict[str, str] = {}
    if coupled:
        why = {
            "defect_kind": defects.STRUCTURE,
            "verdict_by": "model check: neurons coupled",
            "defect": f"the model is not the theory's (neurons coupled: the Hessian has off-block entries "
            f"{float(off_t[worst_t]):.3g} above the floor {float(off_floor_t[worst_t]):.3g} at t={worst_t}); "
            "THEORY 1: W is "
            "diagonal and neuron i depends on (w_i, u_i) only",
        }
    elif measured > bound + floor:
        why = {"defect_kind": defects.BOUND}
    return result(
        "E6",
        measured,
        bound,
        config,
        seed,
        backend,
        passed=not coupled,
        floor=floor,
        kind=kind,
        dim=dim,
        ratio_to_curvature_bound=ratio_curv,
        off_block_max=float(np.max(off_t)),
        off_block_floor=float(off_floor_t[worst_t]),
        off_block_ratio=off_ratio,
        hessian_max=float(np.max(np.abs(hess))),
        **per_time(per_t, curvature * (1.0 + FD_RTOL), fl),
        **why,
    )


def _off_block(dim: int, input_dim: int) -> NDArray[np.bool_]:
    """``(D, D)``: true where row and column belong to different neurons (blocks of ``1 + d``)."""
    blocks = np.arange(dim) // (1 + input_dim)
    return np.asarray(blocks[:, None] != blocks[None, :])


def operator_norms(hess: FloatArray, input_dim: int) -> FloatArray:
    """``||Hess_Theta F_t||_op`` for each sequence and ``t``, ``(n, T)``.

    When every off-block entry is exactly zero (a separable model, THEORY 1) the Hessian is
    block diagonal and its eigenvalues are those of its ``m`` blocks of ``(1 + d) x (1 + d)``:
    the norm is the largest block norm, without the ``O((m (1 + d))^3)`` eigenvalues of the
    whole matrix. Any nonzero off-block entry: the eigenvalues of the whole matrix.
    """
    n, T, dim, _ = hess.shape
    if np.any(hess[..., _off_block(dim, input_dim)]):
        return op_norm(hess)
    k = 1 + input_dim
    neurons = np.arange(dim // k)
    blocks = hess.reshape(n, T, dim // k, k, dim // k, k)[:, :, neurons, :, neurons, :]  # (m, n, T, k, k)
    return np.asarray(np.max(op_norm(blocks), axis=0))


def off_block_entries(
    hess: FloatArray, input_dim: int, entry_floor: Any, step: float, theta_max: float, dtype: Any
) -> tuple[FloatArray, FloatArray]:
    """``(max |off-block entry|, its floor)`` at each ``t``, both ``(T,)``.

    ``hess`` is ``(n, T, D, D)`` with coordinates ordered by neuron (:func:`output_gradient`);
    an entry is off-block when its row and column belong to different neurons. The floor is
    that of one central-difference entry (:func:`verif.floors.central_difference_floor`,
    ``dim = 1``) whose values are within ``entry_floor`` ``(T,)``, scaled by the largest
    ``|entry|`` at ``t``.
    """
    off_block = _off_block(hess.shape[-1], input_dim)
    absolute = np.abs(hess)
    largest = np.max(absolute, axis=(0, 2, 3))
    off = np.max(absolute[..., off_block], axis=(0, 2)) if off_block.any() else np.zeros_like(largest)
    fl = floors.central_difference_floor(entry_floor, step, theta_max, largest, 1, dtype)
    return np.asarray(off, dtype=float), np.broadcast_to(np.asarray(fl, dtype=float), off.shape)
