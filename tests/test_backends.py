"""The two backends against each other, against hand recursions and against central differences
(THEORY sections 1, 5, 6; claim E2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, perturbed, problem, rel_fro, small_config
from verif import activations, data
from verif.backends import Backend, names
from verif.params import Params

# NumPy == JAX in float64: the same operations in (nearly) the same order, a few ulps apart.
CROSS_TOL = 1e-12


def _reference_hidden(params: Params, X: np.ndarray) -> np.ndarray:
    """THEORY 1 neuron by neuron, one scalar recurrence at a time."""
    act = activations.get(params.activation)
    n, T, _ = X.shape
    m = params.width
    H = np.zeros((n, T, m))
    for j in range(n):
        for i in range(m):
            h = 0.0
            for t in range(T):
                z = params.w[i] * h + float(params.U[i] @ X[j, t])
                h = float(act.fn(np.float64(z), np))
                H[j, t, i] = h
    return H


def _reference_features(params: Params, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """THEORY 6 forward recursions neuron by neuron."""
    act = activations.get(params.activation)
    n, T, d = X.shape
    m = params.width
    g_all = np.zeros((n, T, m))
    G_all = np.zeros((n, T, m, d))
    for j in range(n):
        for i in range(m):
            w, u = params.w[i], params.U[i]
            h, g, G = 0.0, 0.0, np.zeros(d)
            for t in range(T):
                z = w * h + float(u @ X[j, t])
                s1 = float(act.d1(np.float64(z), np))
                g = s1 * (h + w * g)
                G = s1 * (X[j, t] + w * G)
                h = float(act.fn(np.float64(z), np))
                g_all[j, t, i] = g
                G_all[j, t, i] = G
    return g_all, G_all


def test_registry() -> None:
    assert names() == ["numpy", "jax"]
    for name in names():
        be = verif.backend(name)
        assert isinstance(be, Backend)
        assert be.name == name
        assert verif.backend(name) is be
        assert verif.backend(be) is be


@pytest.mark.parametrize("act", [*SMOOTH_ACTIVATIONS, "relu"])
def test_hidden_states_match_scalar_recursion(act: str, backend_name: str) -> None:
    cfg = small_config(activation=act)
    params, X, _ = problem(cfg)
    params = perturbed(params)
    H = verif.backend(backend_name).hidden_states(params, X)
    assert H.shape == (3, 5, 8)
    assert isinstance(H, np.ndarray)
    assert rel_fro(H, _reference_hidden(params, X)) <= 1e-13


def test_hidden_states_start_from_zero_state() -> None:
    # H_{-1} = 0: at t = 0 only U x_0 enters, whatever w is
    cfg = small_config()
    params, X, _ = problem(cfg)
    p = params.with_weights(params.w + 5.0, params.U)
    for name in names():
        H = verif.backend(name).hidden_states(p, X)
        np.testing.assert_allclose(H[:, 0], np.tanh(X[:, 0] @ p.U.T), rtol=1e-14, atol=0)


@pytest.mark.parametrize("act", [*SMOOTH_ACTIVATIONS, "relu"])
@pytest.mark.parametrize("scale", [0.0, 0.3, 1.0])
def test_numpy_equals_jax(act: str, scale: float) -> None:
    cfg = small_config(memory_alpha=0.9, activation=act)
    params, X, Y = problem(cfg, seed=7)
    params = perturbed(params, scale=scale, seed=11)
    a, b = verif.backend("numpy"), verif.backend("jax")
    assert rel_fro(a.hidden_states(params, X), b.hidden_states(params, X)) <= CROSS_TOL
    F_np, F_jax = a.outputs(params, X), b.outputs(params, X)
    if scale == 0.0:
        assert np.all(F_np == 0.0) and np.all(F_jax == 0.0)
    else:
        assert rel_fro(F_np, F_jax) <= CROSS_TOL
    for x, y in zip(a.tangent_features(params, X), b.tangent_features(params, X), strict=True):
        assert x.shape == y.shape
        assert rel_fro(x, y) <= CROSS_TOL
    assert a.risk(params, X, Y) == pytest.approx(b.risk(params, X, Y), rel=CROSS_TOL)
    r_np, (dw_np, dU_np) = a.risk_and_grad(params, X, Y)
    r_jax, (dw_jax, dU_jax) = b.risk_and_grad(params, X, Y)
    assert r_np == pytest.approx(r_jax, rel=CROSS_TOL)
    assert rel_fro(dw_np, dw_jax) <= CROSS_TOL
    assert rel_fro(dU_np, dU_jax) <= CROSS_TOL


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_tangent_features_match_theory_recursions(act: str, backend_name: str) -> None:
    # JAX computes them with jax.jvp, NumPy with the vectorized recursions: both must equal a
    # neuron-by-neuron transcription of THEORY 6, at init and at perturbed parameters.
    cfg = small_config(memory_alpha=1.1, activation=act)
    params, X, _ = problem(cfg)
    for p in (params, perturbed(params, scale=0.5)):
        g, G = verif.backend(backend_name).tangent_features(p, X)
        g_ref, G_ref = _reference_features(p, X)
        assert g.shape == (3, 5, 8) and G.shape == (3, 5, 8, 3)
        assert rel_fro(g, g_ref) <= 1e-12
        assert rel_fro(G, G_ref) <= 1e-12


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_tangent_features_equal_central_differences(act: str, backend_name: str) -> None:
    cfg = small_config(memory_alpha=0.9, activation=act)
    params, X, _ = problem(cfg)
    params = perturbed(params, scale=0.4)
    be = verif.backend(backend_name)
    g, G = be.tangent_features(params, X)
    # Neuron i depends on (w_i, u_i) only, so moving every w_i by h at once differentiates every
    # neuron at once. Step 1e-6 in float64: truncation O(h^2) ~ 1e-12, rounding O(eps/h) ~ 1e-10,
    # against features of order 0.1-1, so 1e-7 relative is loose for a correct derivative and
    # far below the error of any wrong one.
    h = 1e-6
    ones = np.ones_like(params.w)

    def H_at(w: np.ndarray, U: np.ndarray) -> np.ndarray:
        return be.hidden_states(params.with_weights(w, U), X)

    g_fd = (H_at(params.w + h * ones, params.U) - H_at(params.w - h * ones, params.U)) / (2 * h)
    assert rel_fro(g, g_fd) <= 1e-7
    for k in range(cfg.input_dim):
        E = np.zeros_like(params.U)
        E[:, k] = h
        G_fd = (H_at(params.w, params.U + E) - H_at(params.w, params.U - E)) / (2 * h)
        assert rel_fro(G[..., k], G_fd) <= 1e-7


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_risk_gradient_equals_central_differences(act: str, backend_name: str) -> None:
    cfg = small_config(memory_alpha=0.8, activation=act)
    params, X, Y = problem(cfg, seed=3)
    params = perturbed(params, scale=0.5, seed=4)
    be = verif.backend(backend_name)
    value, (dw, dU) = be.risk_and_grad(params, X, Y)
    assert value == pytest.approx(be.risk(params, X, Y), rel=1e-14)
    # Central differences with step 1e-6 in float64: truncation O(h^2 |R'''|) ~ 1e-13 and rounding
    # O(eps |R| / h) ~ 1e-10 per entry, against gradient entries of order 1e-3-1e-1; a relative
    # Frobenius error of 1e-6 leaves two orders of margin and still catches any wrong term.
    h = 1e-6
    theta = np.concatenate([params.w, params.U.ravel()])
    m = params.width

    def risk_at(vec: np.ndarray) -> float:
        return be.risk(params.with_weights(vec[:m], vec[m:].reshape(params.U.shape)), X, Y)

    fd = np.empty_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        fd[k] = (risk_at(theta + e) - risk_at(theta - e)) / (2 * h)
    grad = np.concatenate([dw, dU.ravel()])
    assert dw.shape == (m,) and dU.shape == params.U.shape
    assert np.linalg.norm(grad) > 1e-3
    assert rel_fro(grad, fd) <= 1e-6


def test_risk_and_gradient_formulas() -> None:
    # R = (1/(2nT)) sum (F - y)^2 and grad R = (1/(nT)) sum r grad F_t, with
    # grad F_t = (1/sqrt(m)) (c g_t, c G_t) from the tangent features (THEORY 5, 6)
    cfg = small_config()
    params, X, Y = problem(cfg)
    params = perturbed(params)
    for name in names():
        be = verif.backend(name)
        F = be.outputs(params, X)
        r = F - Y
        assert be.risk(params, X, Y) == pytest.approx(np.sum(r**2) / (2 * 3 * 5), rel=1e-14)
        g, G = be.tangent_features(params, X)
        dw_ref = np.einsum("nt,ntm->m", r, g) * params.c / (3 * 5 * math.sqrt(8))
        dU_ref = np.einsum("nt,ntmd->md", r, G) * params.c[:, None] / (3 * 5 * math.sqrt(8))
        _, (dw, dU) = be.risk_and_grad(params, X, Y)
        assert rel_fro(dw, dw_ref) <= 1e-12
        assert rel_fro(dU, dU_ref) <= 1e-12


def test_risk_zero_at_own_outputs(backend_name: str) -> None:
    cfg = small_config()
    params, X, _ = problem(cfg)
    params = perturbed(params)
    be = verif.backend(backend_name)
    Y = be.outputs(params, X)
    value, (dw, dU) = be.risk_and_grad(params, X, Y)
    # exact for NumPy; JAX recomputes F inside another compiled function (ulps apart)
    assert value <= 1e-30
    assert np.max(np.abs(dw)) <= 1e-15 and np.max(np.abs(dU)) <= 1e-15
    if backend_name == "numpy":
        assert value == 0.0


def test_inputs_accept_lists_and_integers(backend_name: str) -> None:
    cfg = small_config()
    params = perturbed(verif.symmetric_init(cfg, 0))
    be = verif.backend(backend_name)
    X_list = np.tile([[1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]], (3, 1, 1)).tolist()
    assert isinstance(X_list[0][0][0], int)
    H = be.hidden_states(params, X_list)
    assert H.dtype == np.float64
    assert rel_fro(H, be.hidden_states(params, np.asarray(X_list, dtype=float))) == 0.0


def test_float32_backends_agree_loosely() -> None:
    cfg = small_config(dtype="float32")
    params, X, Y = problem(cfg)
    params = perturbed(params)
    params = params.with_weights(params.w.astype(np.float32), params.U.astype(np.float32))
    a, b = verif.backend("numpy"), verif.backend("jax")
    Ha, Hb = a.hidden_states(params, X), b.hidden_states(params, X)
    assert Ha.dtype == Hb.dtype == np.float32
    # float32 tier: a few ulps of 1.2e-7 accumulated over T = 5 steps
    assert rel_fro(Ha, Hb) <= 1e-5
    _, (dw_a, _) = a.risk_and_grad(params, X, Y)
    _, (dw_b, _) = b.risk_and_grad(params, X, Y)
    assert dw_a.dtype == dw_b.dtype == np.float32
    assert rel_fro(dw_a, dw_b) <= 1e-4


def test_results_are_numpy_arrays(backend_name: str) -> None:
    cfg = small_config()
    params, X, Y = problem(cfg)
    be = verif.backend(backend_name)
    assert type(be.hidden_states(params, X)) is np.ndarray
    assert type(be.outputs(params, X)) is np.ndarray
    g, G = be.tangent_features(params, X)
    assert type(g) is np.ndarray and type(G) is np.ndarray
    value, (dw, dU) = be.risk_and_grad(params, X, Y)
    assert type(value) is float and type(be.risk(params, X, Y)) is float
    assert type(dw) is np.ndarray and type(dU) is np.ndarray


def test_inputs_outside_unit_ball_are_accepted_by_backends() -> None:
    # the backends evaluate the network anywhere; only bounds need ||x_t|| <= 1
    cfg = small_config()
    params = verif.symmetric_init(cfg, 0)
    X = 3.0 * np.ones((1, 5, 3))
    H = verif.backend("numpy").hidden_states(params, X)
    assert np.all(np.isfinite(H))
    with pytest.raises(ValueError, match="X"):
        data.validate_inputs(X, unit_ball=True)


@pytest.mark.parametrize("rows", [1, 2, 3, 7])
def test_numpy_bptt_by_blocks_of_sequences(monkeypatch: pytest.MonkeyPatch, rows: int) -> None:
    from verif.backends import numpy_backend

    cfg = small_config(memory_alpha=1.1, activation="sigmoid")
    params, X, Y = problem(cfg, n=7, seed=2)
    params = perturbed(params, scale=0.4)
    be = verif.backend("numpy")
    r_one, (dw_one, dU_one) = be.risk_and_grad(params, X, Y)
    monkeypatch.setattr(numpy_backend, "BLOCK_BYTES", rows * params.width * 8)
    r, (dw, dU) = be.risk_and_grad(params, X, Y)
    assert r == pytest.approx(r_one, rel=1e-14)
    assert rel_fro(dw, dw_one) <= 1e-14 and rel_fro(dU, dU_one) <= 1e-14
    assert r == pytest.approx(be.risk(params, X, Y), rel=1e-14)
