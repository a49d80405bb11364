"""E5: the Hessian of one neuron's state is bounded (THEORY 8, B4).

One neuron ``theta = (w, u)`` in ``R^{1+d}`` runs ``h_t = sigma(w h_{t-1} + <u, x_t>)``. For
``sigma_1 |w| <= a`` (every neuron of a point of ``Omega`` has ``|w| <= alpha + rho_w/sqrt(m)``) and
``||x_t||_2 <= 1``,

.. math::

    \\|\\nabla^2_\\theta h_t\\|_{op} \\le \\beta_t = A_t + B_t + C_t

with the recursions ``A_t, B_t, C_t`` of B4 (:func:`verif.bounds.hessian_terms`). The bound is
tight at ``t = 0``, where ``h_0 = sigma(<u, x_0>)`` and the Hessian is ``sigma''(z) x_0 x_0^T``
(``beta_0 = sigma_2``): at ``||x_0|| = 1`` and ``z`` at the argmax of ``|sigma''|`` the two agree.

Measured: the first derivatives ``(g_t, G_t)`` of THEORY 6 come from the backend's tangent
features; the Hessian is their central difference in each coordinate of ``theta`` (step
``h = eps^(1/3)`` of the dtype), symmetrized, and its operator norm is the largest
``|eigenvalue|``. The selected neurons are laid side by side in a :class:`~verif.params.Params`
of width ``2k`` (each neuron twice, signs ``+1, -1``), so one backend call per difference
serves them all: neurons of a diagonal RNN do not interact. Because the central difference is
not exact and the bound is attained at ``t = 0``, the claim allows the relative tolerance that
THEORY states for it: ``||Hess||_op <= beta_t (1 + FD_RTOL)``.

Floor (:mod:`verif.floors`). ``FD_RTOL`` allows for truncation; rounding has its own floor,
added to the bound: :func:`verif.floors.central_difference_floor` with the features' floors
``E^g_t + E^G_t`` (:func:`verif.floors.recurrence_floors` at the perturbed neurons), the step
``h`` and ``dim = 1 + d``: ``(1 + d)(E^g_t + E^G_t)/h + 2 (u (|theta| + h)/h + gamma_{d+5}) ||Hess||``,
about ``1e-9`` of ``beta_t`` (``h = 6e-6``). ``details['floor']``.

Parts (:func:`hessian_blocks`): the derivation bounds the ``ww`` block by ``A_t``, the ``wu``
block by ``B_t`` and the ``uu`` block by ``C_t``; each block is measured against its own
recursion (``ratio_ww``, ``ratio_wu``, ``ratio_uu``, with the same tolerance) and every part
counts in the ratio (``ratio_beta_part`` is the whole Hessian against ``beta_t``). At ``t = 0``
``A_0 = B_0 = 0`` and the ``ww`` and ``wu`` blocks vanish exactly (``h_0`` does not depend on
``w``), so those parts are measured where memory acts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verif import bounds, floors
from verif import params as params_mod
from verif.backends import Backend
from verif.claims import sampling
from verif.claims.base import ClaimResult, claim_inputs, per_time, register, result
from verif.claims.e03_lipschitz import worst_over_time
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: Relative tolerance of a finite-difference Hessian against ``beta_t`` (THEORY 8, B4).
FD_RTOL = 1e-3


def fd_step(dtype: Any) -> float:
    """Central-difference step ``eps^(1/3)`` of ``dtype`` (balances truncation and rounding)."""
    return float(np.finfo(np.dtype(dtype)).eps ** (1.0 / 3.0))


def neuron_params(w: Any, U: Any, config: RNNConfig) -> Params:
    """The ``k`` neurons ``(w_j, u_j)`` side by side, each twice: a :class:`Params` of width ``2k``."""
    dtype = np.dtype(config.dtype)
    w2 = np.concatenate([w, w]).astype(dtype)
    U2 = np.concatenate([U, U]).astype(dtype)
    c = np.concatenate([np.ones(len(w)), -np.ones(len(w))]).astype(dtype)
    return params_mod.Params(w=w2, U=U2, c=c, w0=w2.copy(), U0=U2.copy(), activation=config.activation)


def neuron_hessians(backend: Backend, w: Any, U: Any, X: Any, config: RNNConfig) -> FloatArray:
    """Hessians of ``h_t`` in ``theta_j = (w_j, u_j)`` by central differences, ``(n, T, k, 1+d, 1+d)``.

    Column ``l`` is ``(J(theta + h e_l) - J(theta - h e_l)) / (2h)`` with ``J = (g_t, G_t)`` the
    backend's tangent features; coordinate 0 is ``w``, coordinates ``1..d`` are ``u``. The result
    is symmetrized.
    """
    w = np.asarray(w, dtype=float)
    U = np.asarray(U, dtype=float)
    k, d = U.shape
    step = fd_step(config.dtype)

    def jac(dw: float, dU: FloatArray) -> FloatArray:
        g, G = backend.tangent_features(neuron_params(w + dw, U + dU, config), X)
        return np.concatenate([g[..., :k, None], G[..., :k, :]], axis=-1).astype(float)

    cols = []
    for col in range(1 + d):
        dU = np.zeros((k, d))
        dw = 0.0
        if col == 0:
            dw = step
        else:
            dU[:, col - 1] = step
        cols.append((jac(dw, dU) - jac(-dw, -dU)) / (2.0 * step))
    hess = np.stack(cols, axis=-1)
    return np.asarray(0.5 * (hess + np.swapaxes(hess, -1, -2)))


def hessian_blocks(hess: FloatArray) -> dict[str, FloatArray]:
    """The blocks of ``Hess_theta h_t`` (``theta = (w, u)``) that B4's recursions bound; ``(..., 1+d, 1+d)``.

    ``ww``: ``|d^2 h_t / dw^2| <= A_t``; ``wu``: ``||d^2 h_t / dw du||_2 <= B_t``; ``uu``:
    ``||d^2 h_t / du^2||_op <= C_t``. The derivation of B4 bounds each block by its recursion
    and the operator norm by their sum (``||[[a, b^T], [b, C]]||_op <= |a| + ||b|| + ||C||_op``),
    so each block is a check of its own term (a term made smaller shows even where another
    dominates ``beta_t``).
    """
    return {
        "ww": np.abs(hess[..., 0, 0]),
        "wu": np.linalg.norm(hess[..., 0, 1:], axis=-1),
        "uu": op_norm(hess[..., 1:, 1:]),
    }


def op_norm(sym: FloatArray) -> FloatArray:
    """Operator norm of symmetric matrices (largest ``|eigenvalue|``) over the last two axes."""
    return np.asarray(np.max(np.abs(np.linalg.eigvalsh(sym)), axis=-1))


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "neurons", "theta", "X", "n")


@register("E5", title="neuron Hessian bounded by beta_t", theory="B4", kind="bound", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Largest ``||Hess_theta h_t||_op / (beta_t (1 + FD_RTOL))`` over neurons, sequences and ``t``.

    Options:
        kind: where the point of ``Omega`` lies (``interior``, ``boundary``, ``corner``); its
            neurons are the ones measured.
        neurons: number of neurons of the point, drawn with replacement (default 4).
        theta: an explicit neuron ``(w, u)`` (``u`` of shape ``(d,)``) instead of a point of
            ``Omega``; needs ``|w| <= alpha + rho_w/sqrt(m)``.
        X: inputs ``(n, T, d)`` with ``||x_t|| <= 1``; drawn from ``seed`` when omitted.
        n: number of sequences drawn when ``X`` is omitted (default 3).
    """
    kind: sampling.PointKind = options.get("kind", "interior")
    rng = np.random.default_rng(seed)
    init_seed, data_seed = (int(s) for s in rng.integers(2**32, size=2))
    X = claim_inputs(config, options.get("X"), int(options.get("n", 3)), data_seed)
    theta = options.get("theta")
    if theta is None:
        k = int(options.get("neurons", 4))
        if k < 1:
            raise ValueError(f"neurons must be >= 1, got {k}")
        point = sampling.point_in_omega(params_mod.symmetric_init(config, init_seed), config, rng, kind)
        idx = rng.integers(config.width, size=k)
        w, U = point.w[idx], point.U[idx]
    else:
        w = np.atleast_1d(np.asarray(theta[0], dtype=float))
        U = np.asarray(theta[1], dtype=float).reshape(1, config.input_dim)
        w_max = config.memory_alpha + config.rho_w / math.sqrt(config.width)
        if abs(float(w[0])) > w_max * (1.0 + 1e-12):
            raise ValueError(f"theta needs |w| <= alpha + rho_w/sqrt(m) = {w_max:.6g} for B4, got w={w[0]}")
    hess = neuron_hessians(backend, w, U, X, config)  # (n, T, k, 1+d, 1+d)
    norms = op_norm(hess)  # (n, T, k)
    beta = bounds.beta(config)
    per_t = np.max(norms, axis=(0, 2))
    T, d, step = config.seq_len, config.input_dim, fd_step(config.dtype)
    w_abs = np.abs(np.asarray(w, dtype=float)) + step
    u_norm = np.linalg.norm(np.asarray(U, dtype=float), axis=1) + step * math.sqrt(d)
    _, Eg, EG = floors.recurrence_floors(w_abs, u_norm, config.activation, T, d, config.dtype)
    theta_max = float(max(np.max(w_abs), np.max(np.abs(U)) + step))
    fl = floors.central_difference_floor(
        np.max(Eg + EG, axis=-1), step, theta_max, per_t, 1 + d, config.dtype
    )
    fl = fl + floors.bound_floor(beta, T)
    whole = worst_over_time(per_t, beta * (1.0 + FD_RTOL), fl)
    ratio_beta = worst_over_time(per_t, beta, fl)[0]
    blocks = {part: np.max(b, axis=(0, 2)) for part, b in hessian_blocks(hess).items()}
    terms = dict(zip(("ww", "wu", "uu"), bounds.hessian_terms(config), strict=True))
    # Each block's rounding is at most the whole Hessian's: the same floor, with its term's own.
    worst = {
        part: worst_over_time(
            blocks[part], terms[part] * (1.0 + FD_RTOL), fl + floors.bound_floor(terms[part], T)
        )
        for part in blocks
    }
    # Every part counts in the ratio: beta_t, and each block against its own recursion.
    _, measured, bound, floor = max([whole, *worst.values()])
    part_ratios: dict[str, Any] = {f"ratio_{part}": worst[part][0] for part in worst}
    return result(
        "E5",
        measured,
        bound,
        config,
        seed,
        backend,
        floor=floor,
        ratio_beta_part=whole[0],
        **part_ratios,
        kind=kind if theta is None else "theta",
        neurons=len(w),
        ratio_to_beta=ratio_beta,
        worst_t=int(np.argmax(per_t / np.where(beta > 0, beta, 1.0))),
        **per_time(per_t, beta * (1.0 + FD_RTOL), fl),
    )
