"""E2: the gradients are right (THEORY sections 5, 6, 9).

At a point ``Theta`` of ``Omega`` (THEORY 5) and on random inputs ``X`` (``||x_t|| <= 1``) and
targets ``Y``, three independent computations of the same derivatives must agree:

* the backend's tangent features ``g_t = dh_t/dw``, ``G_t = dh_t/du`` (THEORY 6) against the
  *other* backend's (the NumPy backend runs the forward-mode recursions
  ``g_t = sigma'(z_t)(h_{t-1} + w g_{t-1})``, ``G_t = sigma'(z_t)(x_t + w G_{t-1})`` and BPTT for
  ``grad R``; the JAX backend uses ``jax.jvp`` and its own reverse scan), together with the hidden states
  ``H``, the outputs ``F``, the risk ``R`` and ``grad R`` (THEORY 5). Tolerance: relative
  Frobenius error ``<= 1e-12`` in float64 (THEORY 9).
* the backend's ``grad R`` against ``jax.value_and_grad`` of the plain risk (autodiff), when
  JAX is one of the two backends: both backends' ``grad R`` are hand-written reverse passes.
* the backend's ``g``, ``G`` and ``grad R`` against central differences.

Central differences. Neuron ``i`` depends on ``(w_i, u_i)`` only, so shifting *every* ``w_i``
by ``+-h`` at once gives ``D_h g = (H(w + h) - H(w - h)) / (2h)`` for all neurons, and shifting
column ``k`` of ``U`` gives ``D_h G[..., k]``. For the risk, moving one coordinate ``theta_i``
changes ``F`` by ``delta^+-_i = c_i (H^+-_i - H_i)/sqrt(m)``, hence exactly

.. math::

    \\frac{R(\\theta + h e_i) - R(\\theta - h e_i)}{2h}
      = \\frac{1}{2h}\\cdot\\frac{1}{2nT}\\sum_{j,t}(\\delta^+_i - \\delta^-_i)
        \\big(2 r_{j,t} + \\delta^+_i + \\delta^-_i\\big),\\qquad r = F - y,

for every coordinate from the same forward passes (no cancellation of two nearly equal risks).

What they assume. Both identities hold for the theory's model only: ``W`` diagonal, so moving
``w_i`` or ``u_i`` moves neuron ``i`` alone (THEORY 1). For a model with coupled neurons the
separable differences are sums over neurons of derivatives that the backend rightly does not
include, and a correct backend fails them. A failed E2 therefore moves the few coordinates
where ``grad R`` disagrees most one at a time (:func:`diagnose`), with no assumption on the
model: when other neurons' states move, the model is not the theory's and the result says
"assumes neurons are separable (THEORY 1); see E6" (``defect_kind`` "model structure",
:mod:`verif.claims.defects`), and whether the backend's derivatives are right for its own
model; states that differ from the other backend's in a separable model are another model too
(a bias); otherwise the derivative code is wrong (``derivative code``). A passing E2 does not
pay for these differences.

Step and tolerance. The reference is computed in float64 (on a float64 copy of the
parameters) as the Richardson combination ``(4 D_{h/2} - D_h)/3`` of two central differences
with ``h = 1e-4`` (``4(d + 1)`` forward passes), repeated with the step halved until two
successive combinations agree to ``1e-9`` (at most six halvings). Since
``D_h = f' + h^2 f^(3)/6 + h^4 f^(5)/120 + ...``, the combination has truncation error
``h^4 |f^(5)| / 480 ~ 2e-19 |f^(5)|`` and rounding error about ``3 eps |f| / h ~ 7e-12 |f|``.
In the long-memory regime plain central differences meet ratios ``|f^(3)|/|f'|`` of ``1e4``
(a relative error of ``2.6e-6`` was seen with ``h = 1e-5``); even ``|f^(5)|/|f'| ~ 1e8`` leaves
the combination at ``~1e-11``. Long memory with long sequences goes further: at ``T = 32``,
``alpha = 1.5``, ``m = 256`` the combination at ``h = 1e-4`` was off by ``5.5e-6`` (its error
falling like ``h^4``: ``4.4e-8`` at ``3e-5``, ``2.5e-11`` at ``3e-6``), hence the halving.
The tolerance ``1e-6`` (relative Frobenius) keeps five orders
of magnitude of margin, while a wrong derivative (a wrong ``sigma'``, a missing ``w g_{t-1}``
term) gives relative errors of ``1e-3`` to ``1``. An absolute floor ``3 sqrt(N) eps s / h``
(the rounding level of ``N`` differences of quantities of size ``s``) keeps an all-but-zero
reference from failing on rounding alone.

Sums that cancel. ``F_t = (1/sqrt m) sum_i c_i H_{t,i}`` nearly cancels near ``Theta_0`` (it is
exactly ``0`` there), and ``grad R = (1/(nT)) sum_{j,t} r_{j,t} grad F_t`` can cancel too, so a
relative error of the result would measure the cancellation rather than a disagreement. These
two are compared relative to the larger of their own norm and the norm of the sum of the
absolute terms, ``(1/sqrt m) sum_i |H_{t,i}|`` and ``(1/(nT sqrt m)) sum_{j,t} |r_{j,t}|
(|g_{t,i}|, |G_{t,i,k}|)``: the usual scale of a summation's rounding error.

float32 configurations: the backends run in float32 and are compared with each other at
``4 sqrt(eps32) ~ 1.4e-3`` (DESIGN: dtype-scaled ``rtol``) and with the float64 central
differences at the same ``rtol``.

Floors (:mod:`verif.floors`). Each cross-backend part adds to its tolerance the sum of both
computations' rounding floors (``details['<part>_floor']``): ``2 ||E^h||_F``, ``2 ||E^g||_F``,
``2 ||E^G||_F`` for the states and features (:func:`verif.floors.recurrence_floors`), twice the
output floor (:func:`verif.floors.output_floor`) for ``F``, twice
:func:`verif.floors.risk_floor` for ``R``, and for ``grad R`` twice
``mean|r| max_t E_t + f max_t ||grad F_t||`` (``E_t = (1/sqrt m) ||(E^g_t, E^G_t)||``, ``f`` the
largest output floor). The central differences use :func:`verif.floors.richardson_floor`. The
floors are inside the part ratios, so the result's own ``floor`` is ``0``.

``measured`` is the worst ``error / tolerance`` over the parts, ``bound = 1``; per-part ratios and
errors are in ``details``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from verif import floors
from verif import params as params_mod
from verif.backends import Backend
from verif.backends import backend as get_backend
from verif.claims import defects, sampling
from verif.claims.base import ClaimResult, claim_inputs, register, result, safe_ratio
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: THEORY 9: NumPy == JAX to this relative Frobenius error in float64.
CROSS_RTOL_FLOAT64 = 1e-12
#: Central-difference step ``h`` (the Richardson combination also uses ``h/2``).
FD_STEP = 1e-4
#: Successive Richardson values (steps ``s`` and ``s/2``) must agree to this relative error
#: before the finer one is used as the reference; at most this many halvings of ``h``.
FD_AGREE = 1e-9
FD_HALVINGS = 6
#: Relative Frobenius tolerance of the central-difference comparison in float64.
FD_RTOL_FLOAT64 = 1e-6


def tolerances(dtype: str) -> tuple[float, float]:
    """``(cross-backend rtol, central-difference rtol)`` for ``dtype``."""
    if np.dtype(dtype) == np.float64:
        return CROSS_RTOL_FLOAT64, FD_RTOL_FLOAT64
    r = 4.0 * math.sqrt(float(np.finfo(np.dtype(dtype)).eps))
    return r, r


def _norm(a: Any) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).ravel()))


def _err_ratio(a: Any, ref: Any, rtol: float, atol: float = 0.0, scale: float = 0.0) -> tuple[float, float]:
    """``(err / ||ref||, err / (rtol max(||ref||, scale) + atol))`` with ``err = ||a - ref||_F``."""
    err = _norm(np.asarray(a, dtype=np.float64) - np.asarray(ref, dtype=np.float64))
    size = _norm(ref)
    rel = err / size if size > 0 else (0.0 if err == 0 else math.inf)
    tol = rtol * max(size, scale) + atol
    ratio = err / tol if tol > 0 else (0.0 if err == 0 else math.inf)
    return rel, ratio


def other_backend(backend: Backend) -> Backend:
    """The oracle for ``backend``: JAX for NumPy, NumPy for everything else."""
    return get_backend("jax" if backend.name == "numpy" else "numpy")


def autodiff_backend(*candidates: Backend) -> Any:
    """The first of ``candidates`` with a ``risk_and_grad_autodiff`` (the JAX backend), else None.

    The JAX backend's ``risk_and_grad`` is a hand-written reverse pass, like the NumPy
    backend's BPTT; ``jax.value_and_grad`` of the plain risk stays the autodiff oracle of both.
    """
    for be in candidates:
        if callable(getattr(be, "risk_and_grad_autodiff", None)):
            return be
    return None


def _as_float64(params: Params) -> Params:
    return Params(
        w=np.asarray(params.w, dtype=np.float64),
        U=np.asarray(params.U, dtype=np.float64),
        c=np.asarray(params.c, dtype=np.float64),
        w0=np.asarray(params.w0, dtype=np.float64),
        U0=np.asarray(params.U0, dtype=np.float64),
        activation=params.activation,
    )


def _extrapolate(
    coarse: tuple[FloatArray, FloatArray], fine: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Richardson's ``(4 D_{s/2} - D_s)/3`` of each part of ``coarse = D_s`` and ``fine = D_{s/2}``."""
    return (4.0 * fine[0] - coarse[0]) / 3.0, (4.0 * fine[1] - coarse[1]) / 3.0


def _richardson(
    differences: Callable[[float], tuple[FloatArray, FloatArray]], h: float
) -> tuple[tuple[FloatArray, FloatArray], float]:
    """``(4 D_{s/2} - D_s)/3`` for ``s = h, h/2, ...`` until two successive ones agree, and the
    smallest step used; ``differences(s)`` is ``D_s`` of two quantities.

    Their difference estimates the error of the coarser one (its ``s^4`` term shrinks 16x
    per halving), so the finer one is returned once they agree to :data:`FD_AGREE`, or after
    :data:`FD_HALVINGS` halvings of ``s``.
    """
    s = h / 2.0
    coarse, fine = differences(h), differences(s)
    best = _extrapolate(coarse, fine)
    for _ in range(FD_HALVINGS):
        s /= 2.0
        coarse, fine = fine, differences(s)
        finer = _extrapolate(coarse, fine)
        change = max(_norm(a - b) / max(_norm(a), 1e-300) for a, b in zip(finer, best, strict=True))
        best = finer
        if change <= FD_AGREE:
            break
    return best, s


def central_differences(
    backend: Backend, params: Params, X: Any, Y: Any, h: float = FD_STEP
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """``g``, ``G``, ``dR/dw``, ``dR/dU`` by Richardson-extrapolated central differences (float64),
    and the smallest step used (it sets the rounding level).

    Uses the neuron separability of the diagonal RNN (see the module docstring): ``4(d + 1)``
    forward passes of ``backend.hidden_states``, two more per halving of the step.
    """
    p = _as_float64(params)
    X64 = np.asarray(X, dtype=np.float64)
    Y64 = np.asarray(Y, dtype=np.float64)
    n, T, _ = X64.shape
    m, d = p.width, p.input_dim
    H = backend.hidden_states(p, X64)
    r = backend.outputs(p, X64) - Y64  # (n, T)
    cs = p.c / math.sqrt(m)

    def differences(dw: FloatArray, dU: FloatArray, step: float) -> tuple[FloatArray, FloatArray]:
        """``D_step`` of ``H`` along ``(dw, dU)`` and of ``R`` along each coordinate it moves."""
        Hp = backend.hidden_states(p.with_weights(p.w + step * dw, p.U + step * dU), X64)
        Hm = backend.hidden_states(p.with_weights(p.w - step * dw, p.U - step * dU), X64)
        dp = cs * (Hp - H)  # change of F when one coordinate moves by +step, (n, T, m)
        dm = cs * (Hm - H)
        dR = np.sum((dp - dm) * (2.0 * r[..., None] + dp + dm), axis=(0, 1)) / (2.0 * n * T)
        return (Hp - Hm) / (2.0 * step), np.asarray(dR / (2.0 * step))

    def richardson(dw: FloatArray, dU: FloatArray) -> tuple[FloatArray, FloatArray]:
        best, s = _richardson(lambda step: differences(dw, dU, step), h)
        steps.append(s)
        return best

    steps: list[float] = []
    g, grad_w = richardson(np.ones(m), np.zeros((m, d)))
    G = np.empty((n, T, m, d))
    grad_U = np.empty((m, d))
    for k in range(d):
        shift = np.zeros((m, d))
        shift[:, k] = 1.0
        G[..., k], grad_U[:, k] = richardson(np.zeros(m), shift)
    return g, G, grad_w, grad_U, min(steps)


def coordinate_differences(
    backend: Backend, params: Params, X: Any, Y: Any, coords: Any, h: float = FD_STEP
) -> tuple[FloatArray, FloatArray, float]:
    """Central differences moving one coordinate ``theta_k`` at a time (no separability assumed).

    ``coords`` index ``theta = (w, vec U)`` (``k < m``: ``w_k``; else ``U`` in row-major order).
    Returns ``D H`` of every neuron ``(K, n, T, m)`` and ``dR/dtheta_k`` ``(K,)``, Richardson
    combinations in float64 as in :func:`central_differences`, and the smallest step used. The
    risk's difference is formed from the backend's own outputs,
    ``delta^+- = F(theta +- h e_k) - F(theta)``, so it holds for any model.
    """
    p = _as_float64(params)
    X64 = np.asarray(X, dtype=np.float64)
    Y64 = np.asarray(Y, dtype=np.float64)
    n, T, _ = X64.shape
    m, d = p.width, p.input_dim
    F = backend.outputs(p, X64)
    r = F - Y64

    def differences(k: int, step: float) -> tuple[FloatArray, FloatArray]:
        e = np.zeros(m * (1 + d))
        e[k] = step
        plus = p.with_weights(p.w + e[:m], p.U + e[m:].reshape(m, d))
        minus = p.with_weights(p.w - e[:m], p.U - e[m:].reshape(m, d))
        dp = backend.outputs(plus, X64) - F
        dm = backend.outputs(minus, X64) - F
        dR = np.sum((dp - dm) * (2.0 * r + dp + dm)) / (2.0 * n * T)
        dH = backend.hidden_states(plus, X64) - backend.hidden_states(minus, X64)
        return dH / (2.0 * step), np.asarray(dR / (2.0 * step))

    DH, DR, steps = [], [], []
    for k in coords:
        (dH, dR), s = _richardson(functools.partial(differences, int(k)), h)
        DH.append(dH)
        DR.append(float(dR))
        steps.append(s)
    return np.asarray(DH), np.asarray(DR), min(steps)


#: How many coordinates a failed E2 moves one at a time to tell coupling from wrong derivatives.
PROBE_COORDS = 3
#: Parts that compare the forward pass (states, outputs, risk) with the other backend's.
FORWARD_PARTS = ("hidden_vs_other", "outputs_vs_other", "risk_vs_other")
#: What the separable central differences assume, said when E2 fails on a model that breaks it.
ASSUMES = (
    "E2's central differences shift every w_i (every column of U) at once, which assumes neurons "
    "are separable (THEORY 1); see E6"
)


def diagnose(
    backend: Backend,
    params: Params,
    X: Any,
    Y: Any,
    parts: dict[str, float],
    derivatives: tuple[Any, Any, Any],
    grad_fd: FloatArray,
    grad_terms: FloatArray,
    sizes: tuple[float, float],
    fd_rtol: float,
    h: float,
) -> dict[str, Any]:
    """What kind of defect a failed E2 points to (:mod:`verif.claims.defects`), and why.

    The :data:`PROBE_COORDS` coordinates where the backend's ``grad R`` is farthest from the
    separable central differences are moved one at a time (:func:`coordinate_differences`):

    * ``coupling_ratio``: the largest ``|D h_j|`` of a neuron ``j`` other than the coordinate's
      own, over its rounding floor (:func:`verif.floors.richardson_floor` of one value). In the
      theory's model it is an exact ``0``; above ``1`` the neurons are coupled, the model is not
      the theory's and the separable differences do not apply (``model structure``);
    * ``own_model_ratio``: the backend's ``g_i`` / ``G_{i,l}`` and ``dR/dtheta_k`` against these
      differences of its own model, with E2's central-difference tolerance.

    An uncoupled model whose states, outputs or risk differ from the other backend's computes
    another model (a bias, another recurrence): ``model structure`` too. Otherwise the model is
    the theory's and the derivatives are wrong: ``derivative code``.

    Args:
        derivatives: the backend's ``(g, G, grad R)``, ``grad R`` flattened as ``(w, vec U)``.
        grad_terms: ``(1/(nT sqrt m)) sum_{j,t} |r_{j,t}| (|g_{t,i}|, |G_{t,i,l}|)`` per coordinate.
        sizes: the sizes that set the rounding floors of a difference of ``H`` and of ``R``, as in
            :func:`check` (``max |H|`` and ``max |r| max |H| / sqrt(m)``).
    """
    g, G, grad = (np.asarray(a, dtype=np.float64) for a in derivatives)
    m, d = params.width, params.input_dim
    coords = np.argsort(-np.abs(grad - grad_fd), kind="stable")[: min(PROBE_COORDS, grad.size)]
    DH, DR, s = coordinate_differences(backend, params, X, Y, coords, h)
    h_max, r_size = sizes
    fl_one = floors.richardson_floor(1, h_max, s)
    coupling, own, coupled_at = 0.0, 0.0, ""
    names = []
    for dH, dR, k in zip(DH, DR, coords, strict=True):
        i, col = (int(k), None) if k < m else divmod(int(k) - m, d)
        feature = g[..., i] if col is None else G[..., i, col]
        names.append(f"w_{i}" if col is None else f"U[{i}, {col}]")
        cross = safe_ratio(float(np.max(np.abs(np.delete(dH, i, axis=-1)), initial=0.0)), fl_one)
        if cross > coupling:
            coupling, coupled_at = cross, names[-1]
        own = max(
            own,
            _err_ratio(feature, dH[..., i], fd_rtol, floors.richardson_floor(feature.size, h_max, s))[1],
            _err_ratio(grad[k], dR, fd_rtol, floors.richardson_floor(1, r_size, s), grad_terms[k])[1],
        )
    out: dict[str, Any] = {"probed": ", ".join(names), "coupling_ratio": coupling, "own_model_ratio": own}
    failed = [k for k, v in parts.items() if v > 1.0]
    forward = [k for k in failed if k in FORWARD_PARTS]
    if coupling > 1.0:
        verdict = (
            f"its derivatives agree with per-coordinate differences of its own model (ratio {own:.3g}): "
            "they are right for it"
            if own <= 1.0
            else f"its derivatives disagree with per-coordinate differences of its own model too "
            f"(ratio {own:.3g}): derivative code as well"
        )
        out["defect_kind"] = defects.STRUCTURE
        out["defect"] = (
            f"{ASSUMES}: this model is not separable (moving {coupled_at} alone changes other neurons' "
            f"states, {coupling:.3g} times their rounding floor); {verdict}"
        )
    elif forward:
        out["defect_kind"] = defects.STRUCTURE
        out["defect"] = (
            f"the model is not the theory's: {', '.join(forward)} differ from the reference backend's "
            "(a bias, another activation or recurrence; THEORY 1), so its derivatives are compared with "
            "another model's; see E1"
        )
    else:
        out["defect_kind"] = defects.DERIVATIVE
        out["defect"] = (
            f"the neurons are separable (moving one coordinate changes no other neuron's "
            f"state) and the states agree with the reference, yet {', '.join(failed)} fail; "
            f"per-coordinate differences on {', '.join(names)}: ratio {own:.3g}"
        )
    return out


#: The options ``check`` accepts (values checked by ``Claim.check`` where listed).
OPTIONS = (("kind", sampling.POINT_KINDS), "n", "X", "Y", "step")


@register("E2", title="gradients are right", theory="section 6", kind="exact", options=OPTIONS)
def check(config: RNNConfig, backend: Backend, seed: int, **options: Any) -> ClaimResult:
    """Compare tangent features and ``grad R`` across backends and with central differences.

    Options:
        kind: where the point of ``Omega`` lies (``interior``, ``boundary``, ``corner``;
            default ``interior``), see :func:`verif.claims.sampling.point_in_omega`.
        n: number of random sequences (default 3).
        X: inputs ``(n, T, d)`` to use instead of random ones.
        Y: targets ``(n, T)`` (default standard normal).
        step: central-difference step ``h`` (default ``1e-4``).
    """
    kind = options.get("kind", "interior")
    n = int(options.get("n", 3))
    h = float(options.get("step", FD_STEP))
    rng = np.random.default_rng(seed)
    init_seed, data_seed = (int(s) for s in rng.integers(0, 2**32, size=2))
    p0 = params_mod.symmetric_init(config, init_seed)
    p = sampling.point_in_omega(p0, config, rng, kind)
    X = claim_inputs(config, options.get("X"), n, data_seed)
    Y = options.get("Y")
    if Y is None:
        Y = rng.standard_normal(X.shape[:2])
    Y = np.asarray(Y, dtype=np.dtype(config.dtype))

    cross_rtol, fd_rtol = tolerances(config.dtype)
    oracle = other_backend(backend)
    parts: dict[str, float] = {}
    details: dict[str, Any] = {"other_backend": oracle.name, "point_kind": kind, "step": h}

    def record(name: str, a: Any, ref: Any, rtol: float, atol: float = 0.0, scale: float = 0.0) -> None:
        rel, ratio = _err_ratio(a, ref, rtol, atol, scale)
        parts[name] = ratio
        details[f"{name}_rel_err"] = rel

    m = config.width
    g, G = backend.tangent_features(p, X)
    g_o, G_o = oracle.tangent_features(p, X)
    H = backend.hidden_states(p, X)
    F = backend.outputs(p, X)
    R, (dw, dU) = backend.risk_and_grad(p, X, Y)
    R_o, (dw_o, dU_o) = oracle.risk_and_grad(p, X, Y)
    grad = np.concatenate([np.ravel(dw), np.ravel(dU)])
    grad_o = np.concatenate([np.ravel(dw_o), np.ravel(dU_o)])
    # Scales of the sums that form F and grad R (see "Sums that cancel").
    H64 = np.abs(np.asarray(H, dtype=np.float64))
    F_scale = _norm(np.sum(H64, axis=-1) / math.sqrt(m))
    r_abs = np.abs(np.asarray(F, dtype=np.float64) - Y)
    nT = r_abs.size
    g_terms = np.einsum("nt,ntm->m", r_abs, np.abs(np.asarray(g_o, dtype=np.float64)))
    G_terms = np.einsum("nt,ntmd->md", r_abs, np.abs(np.asarray(G_o, dtype=np.float64)))
    grad_scale = _norm(np.concatenate([g_terms, G_terms.ravel()])) / (nT * math.sqrt(m))

    # Rounding floors of each computation (module docstring); two computations are compared.
    n_seq, T = X.shape[0], config.seq_len
    Eh, Eg, EG = floors.recurrence_floors(
        np.abs(p.w), np.linalg.norm(p.U, axis=1), p.activation, T, config.input_dim, config.dtype
    )
    f_F = floors.output_floor(p, H, config.dtype)
    f_max = float(np.max(f_F))
    r_mean = float(np.mean(r_abs))
    risk_fl = 2.0 * floors.risk_floor(r_mean, f_max, float(R), nT, config.dtype)
    E_t = np.sqrt(np.sum(Eg * Eg + EG * EG, axis=-1) / m)
    grad_F = np.sqrt((np.sum(g_o * g_o, axis=-1) + np.sum(G_o * G_o, axis=(-2, -1))) / m)
    grad_fl = 2.0 * (r_mean * float(np.max(E_t)) + f_max * float(np.max(grad_F)))
    sqrt_n = math.sqrt(n_seq)
    cross_floor = {
        "g_vs_other": 2.0 * sqrt_n * _norm(Eg),
        "G_vs_other": 2.0 * sqrt_n * _norm(EG),
        "hidden_vs_other": 2.0 * sqrt_n * _norm(Eh),
        "outputs_vs_other": 2.0 * _norm(f_F),
        "risk_vs_other": risk_fl,
        "risk_vs_risk_and_grad": risk_fl,
        "grad_vs_other": grad_fl,
        "grad_vs_autodiff": grad_fl,
    }
    details.update({f"{k}_floor": v for k, v in cross_floor.items()})
    record("g_vs_other", g, g_o, cross_rtol, cross_floor["g_vs_other"])
    record("G_vs_other", G, G_o, cross_rtol, cross_floor["G_vs_other"])
    record("hidden_vs_other", H, oracle.hidden_states(p, X), cross_rtol, cross_floor["hidden_vs_other"])
    record("outputs_vs_other", F, oracle.outputs(p, X), cross_rtol, cross_floor["outputs_vs_other"], F_scale)
    record("risk_vs_other", R, R_o, cross_rtol, risk_fl)
    record("risk_vs_risk_and_grad", backend.risk(p, X, Y), R, cross_rtol, risk_fl)
    record("grad_vs_other", grad, grad_o, cross_rtol, grad_fl, grad_scale)
    autodiff = autodiff_backend(backend, oracle)
    if autodiff is not None:
        _, (dw_ad, dU_ad) = autodiff.risk_and_grad_autodiff(p, X, Y)
        grad_ad = np.concatenate([np.ravel(dw_ad), np.ravel(dU_ad)])
        record("grad_vs_autodiff", grad, grad_ad, cross_rtol, grad_fl, grad_scale)
        details["autodiff_backend"] = autodiff.name

    g_fd, G_fd, dw_fd, dU_fd, h_used = central_differences(backend, p, X, Y, h)
    details["step_used"] = h_used
    grad_fd = np.concatenate([dw_fd.ravel(), dU_fd.ravel()])
    h_max = float(np.max(H64))
    r_max = float(np.max(r_abs)) + h_max

    def floor(size: int, s: float) -> float:
        return floors.richardson_floor(size, s, h_used)

    record("g_vs_fd", g, g_fd, fd_rtol, floor(g_fd.size, h_max))
    record("G_vs_fd", G, G_fd, fd_rtol, floor(G_fd.size, h_max))
    record(
        "grad_vs_fd", grad, grad_fd, fd_rtol, floor(grad_fd.size, r_max * h_max / math.sqrt(m)), grad_scale
    )

    worst = max(parts, key=lambda k: parts[k])
    details.update({f"{k}_ratio": v for k, v in parts.items()})
    if parts[worst] > 1.0:
        grad_terms = np.concatenate([g_terms, G_terms.ravel()]) / (nT * math.sqrt(m))
        sizes = (h_max, r_max * h_max / math.sqrt(m))
        details.update(
            diagnose(backend, p, X, Y, parts, (g, G, grad), grad_fd, grad_terms, sizes, fd_rtol, h)
        )
    details["worst_part"] = worst
    details["cross_rtol"] = cross_rtol
    details["fd_rtol"] = fd_rtol
    return result(
        "E2",
        measured=parts[worst],
        bound=1.0,
        config=config,
        seed=seed,
        backend=backend,
        floor=0.0,
        **details,
    )
