"""Empirical NTK and the linearized model (THEORY section 6)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, perturbed, problem, rel_fro, small_config
from verif import ntk
from verif.backends import jax_backend
from verif.params import Params


def _setup(act: str = "tanh", n: int = 3, T: int = 5) -> tuple[Params, np.ndarray]:
    cfg = small_config(seq_len=T, memory_alpha=0.9, activation=act)
    params, X, _ = problem(cfg, n=n, seed=5)
    return params, X


def _direction(params: Params, seed: int = 9) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(params.w.shape), rng.standard_normal(params.U.shape)


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_gram_shape_symmetric_psd(act: str, backend_name: str) -> None:
    params, X = _setup(act)
    K = ntk.gram(params, X, backend=backend_name)
    assert K.shape == (15, 15)
    assert isinstance(K, np.ndarray)
    np.testing.assert_allclose(K, K.T, rtol=0, atol=1e-15 * np.max(np.abs(K)))
    eig = np.linalg.eigvalsh(0.5 * (K + K.T))
    assert eig[0] >= -1e-12 * eig[-1]
    assert eig[-1] > 0.0
    assert np.all(np.diag(K) > 0.0)


def test_gram_row_order_and_hand_entry() -> None:
    params, X = _setup()
    K = ntk.gram(params, X)
    g, G = verif.backend("numpy").tangent_features(params, X)
    m = params.width
    # row j*T + t is the pair (X^(j), t): entry ((j=1, t=2), (j'=2, t'=0))
    j, t, jp, tp = 1, 2, 2, 0
    hand = sum(g[j, t, i] * g[jp, tp, i] + G[j, t, i] @ G[jp, tp, i] for i in range(m)) / m
    assert K[j * 5 + t, jp * 5 + tp] == pytest.approx(hand, rel=1e-13)
    assert K[jp * 5 + tp, j * 5 + t] == pytest.approx(hand, rel=1e-13)
    # and every entry by the same loop
    full = np.empty((15, 15))
    for a in range(15):
        for b in range(15):
            ja, ta, jb, tb = a // 5, a % 5, b // 5, b % 5
            full[a, b] = (g[ja, ta] @ g[jb, tb] + np.sum(G[ja, ta] * G[jb, tb])) / m
    assert rel_fro(K, full) <= 1e-14


def test_gram_equals_jacobian_product_by_finite_differences() -> None:
    # K = J J^T with J = dF/dTheta at Theta_0: an oracle that never sees the tangent features.
    # Central differences with step 1e-6 (float64): error ~ 1e-10 per Jacobian entry of size ~0.1.
    params, X = _setup(n=2, T=3)
    be = verif.backend("numpy")
    theta = np.concatenate([params.w0, params.U0.ravel()])
    m = params.width
    h = 1e-6

    def F(vec: np.ndarray) -> np.ndarray:
        return be.outputs(params.with_weights(vec[:m], vec[m:].reshape(params.U.shape)), X).ravel()

    J = np.empty((6, theta.size))
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = h
        J[:, k] = (F(theta + e) - F(theta - e)) / (2 * h)
    assert rel_fro(ntk.gram(params, X), J @ J.T) <= 1e-7


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_gram_equal_on_both_backends(act: str) -> None:
    params, X = _setup(act)
    p = perturbed(params, scale=0.4)
    for at in ("init", "current"):
        K_np = ntk.gram(p, X, backend="numpy", at=at)
        K_jax = ntk.gram(p, X, backend="jax", at=at)
        assert rel_fro(K_np, K_jax) <= 1e-12


@pytest.mark.parametrize("row_blocks", [1, 4])
@pytest.mark.parametrize("chunk_bytes", [1, 3 * 5 * 4 * 8 * 3])
@pytest.mark.parametrize("block", [4, 6, None])
def test_jax_gram_in_chunks_of_neurons_equals_numpy(
    chunk_bytes: int, block: int | None, row_blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The JAX Gram's loop over chunks of 1 or 2 neurons (n T (d + 1) 8 = 480 bytes a neuron)
    # inside each neuron block of ntk.gram, at Theta_0 (half the neurons) and at a general point;
    # its 15 rows in one block or in four uneven ones (3, 4, 4, 4 rows, the upper blocks only)
    monkeypatch.setattr(jax_backend, "GRAM_CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(jax_backend, "GRAM_MIN_COLUMNS", 1)
    monkeypatch.setattr(jax_backend, "GRAM_MIN_ROWS", 1)
    monkeypatch.setattr(jax_backend, "GRAM_MAX_ROW_BLOCKS", row_blocks)
    assert jax_backend.gram_row_blocks(15) == row_blocks
    params, X = _setup()
    p = perturbed(params, scale=0.4)
    for at in ("init", "current"):
        K_jax = ntk.gram(p, X, backend="jax", at=at, block_size=block)
        assert rel_fro(K_jax, ntk.gram(p, X, backend="numpy", at=at)) <= 1e-12


def test_gram_at_init_ignores_the_current_weights() -> None:
    params, X = _setup()
    p = perturbed(params, scale=0.4)
    K0 = ntk.gram(params, X)
    np.testing.assert_array_equal(ntk.gram(p, X), K0)
    np.testing.assert_array_equal(ntk.gram(p, X, at="init"), K0)
    K_cur = ntk.gram(p, X, at="current")
    assert rel_fro(K_cur, K0) > 1e-3
    np.testing.assert_array_equal(ntk.gram(params, X, at="current"), K0)


def test_linearized_outputs_zero_at_init(backend_name: str) -> None:
    params, X = _setup()
    lin = ntk.linearized_outputs(params, X, backend=backend_name)
    assert lin.shape == (3, 5)
    assert np.all(lin == 0.0)


def test_linearized_outputs_formula(backend_name: str) -> None:
    params, X = _setup()
    dw, dU = _direction(params)
    p = params.with_weights(params.w0 + 0.1 * dw, params.U0 + 0.1 * dU)
    g, G = verif.backend("numpy").tangent_features(params, X)
    m = params.width
    hand = np.zeros((3, 5))
    for i in range(m):
        hand += params.c[i] * (g[:, :, i] * 0.1 * dw[i] + G[:, :, i] @ (0.1 * dU[i])) / math.sqrt(m)
    assert rel_fro(ntk.linearized_outputs(p, X, backend=backend_name), hand) <= 1e-13


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_linearization_is_first_order(act: str, backend_name: str) -> None:
    params, X = _setup(act)
    be = verif.backend(backend_name)
    dw, dU = _direction(params)
    scales = [1e-1, 1e-2, 1e-3]
    errors = []
    for s in scales:
        p = params.with_weights(params.w0 + s * dw, params.U0 + s * dU)
        F = be.outputs(p, X)  # F(Theta_0) = 0 exactly
        lin = ntk.linearized_outputs(p, X, backend=backend_name)
        # (F(Theta0 + sD) - F(Theta0))/s -> F_lin(D) = F_lin(Theta0 + sD)/s
        errors.append(float(np.linalg.norm(F / s - lin / s)) / float(np.linalg.norm(lin / s)))
    # the error ratio shrinks linearly in s (second-order remainder): each factor 10 in s
    # divides it by about 10
    for e_big, e_small in itertools.pairwise(errors):
        assert 0.05 <= e_small / e_big <= 0.2
    assert errors[-1] < 1e-2


def test_linearized_outputs_are_linear_in_displacement() -> None:
    params, X = _setup()
    dw, dU = _direction(params)
    dw2, dU2 = _direction(params, seed=10)

    def lin(a: float, b: float) -> np.ndarray:
        p = params.with_weights(params.w0 + a * dw + b * dw2, params.U0 + a * dU + b * dU2)
        return ntk.linearized_outputs(p, X)

    assert rel_fro(lin(2.0, -3.0), 2.0 * lin(1.0, 0.0) - 3.0 * lin(0.0, 1.0)) <= 1e-13


def test_linearized_outputs_match_central_difference_of_outputs() -> None:
    # (F(Theta0 + sD) - F(Theta0 - sD)) / (2s) = F_lin(D) + O(s^2); s = 1e-4: error ~ 1e-8
    params, X = _setup()
    be = verif.backend("numpy")
    dw, dU = _direction(params)
    s = 1e-4
    plus = be.outputs(params.with_weights(params.w0 + s * dw, params.U0 + s * dU), X)
    minus = be.outputs(params.with_weights(params.w0 - s * dw, params.U0 - s * dU), X)
    lin = ntk.linearized_outputs(params.with_weights(params.w0 + dw, params.U0 + dU), X)
    assert rel_fro((plus - minus) / (2 * s), lin) <= 1e-6


def _gram_from_full_features(params: Params, X: np.ndarray, backend_name: str) -> np.ndarray:
    """Today's reference: the whole ``(n, T, m, d + 1)`` feature tensor, one product."""
    g, G = verif.backend(backend_name).tangent_features(params, X)
    n, T, m, d = G.shape
    phi = np.concatenate([g[..., None], G], axis=-1).reshape(n * T, m * (d + 1))
    return (phi @ phi.T) / m


@pytest.mark.parametrize("block", [2, 4, 6, 16, None])
def test_gram_by_neuron_blocks_equals_full_feature_product(block: int | None, backend_name: str) -> None:
    params, X = _setup("sigmoid")
    p = perturbed(params, scale=0.4)
    for at in ("init", "current"):
        K = ntk.gram(p, X, backend=backend_name, at=at, block_size=block)
        ref = _gram_from_full_features(p.at_init() if at == "init" else p, X, backend_name)
        assert rel_fro(K, ref) <= 1e-14


def test_default_blocks_hold_bounded_features(monkeypatch: pytest.MonkeyPatch) -> None:
    # n T (d + 1) 8 = 480 bytes per neuron: a 1 KiB budget gives blocks of 2 neurons
    assert ntk.block_width(3, 5, 8, 3) == 8
    monkeypatch.setattr(ntk, "BLOCK_BYTES", 1024)
    assert ntk.block_width(3, 5, 8, 3) == 2
    assert ntk.block_width(1, 1, 1024, 1) == 64
    calls: list[int] = []
    be = verif.backend("numpy")
    original = be.tangent_features

    def spy(p: Params, X: object) -> tuple[np.ndarray, np.ndarray]:
        calls.append(p.width)
        return original(p, X)

    monkeypatch.setattr(be, "tangent_features", spy)
    params, X = _setup()
    p = perturbed(params, scale=0.3)
    K = ntk.gram(p, X, backend=be)
    assert calls == [2, 2]  # at Theta_0 the first m/2 neurons stand for their partners
    calls.clear()
    K_current = ntk.gram(p, X, backend=be, at="current")
    assert calls == [2, 2, 2, 2]
    monkeypatch.undo()
    assert rel_fro(K, _gram_from_full_features(p.at_init(), X, "numpy")) <= 1e-14
    assert rel_fro(K_current, _gram_from_full_features(p, X, "numpy")) <= 1e-14
    monkeypatch.setattr(ntk, "BLOCK_BYTES", 1024)
    g, G = verif.backend("numpy").tangent_features(p.at_init(), X)
    dw, dU = p.displacement()
    ref = np.einsum("ntm,m->nt", g, p.c * dw) + np.einsum("ntmd,md->nt", G, p.c[:, None] * dU)
    ref /= math.sqrt(8)
    assert rel_fro(ntk.linearized_outputs(p, X), ref) <= 1e-13


@pytest.mark.parametrize("bad", [0, 3, -2, 2.0, "4"])
def test_gram_refuses_bad_block_size(bad: object) -> None:
    params, X = _setup()
    with pytest.raises(ValueError, match="block_size must be an even integer >= 2"):
        ntk.gram(params, X, block_size=bad)  # type: ignore[arg-type]


def test_paired_half_only_where_partners_share_their_weights() -> None:
    params, _ = _setup()
    assert ntk.paired_half(params)
    assert not ntk.paired_half(perturbed(params, scale=0.3))
    U = params.U.copy()
    U[5, 1] = np.nextafter(U[5, 1], np.inf)  # neuron 5 = partner of neuron 1, one ulp apart
    assert not ntk.paired_half(params.with_weights(params.w, U))
    w = params.w.copy()
    w[0] = np.nextafter(w[0], -np.inf)
    assert not ntk.paired_half(params.with_weights(w, params.U))
    six = verif.symmetric_init(small_config(width=6, seq_len=5, memory_alpha=0.9), 1)
    assert not ntk.paired_half(six)  # m/2 = 3 neurons would make an odd block


@pytest.mark.parametrize("width", [6, 8, 12])
def test_gram_at_an_unpaired_or_odd_half_initialization_sums_every_neuron(
    width: int, backend_name: str
) -> None:
    cfg = small_config(width=width, seq_len=5, memory_alpha=0.9)
    params = verif.symmetric_init(cfg, 2)
    X = verif.data.random_inputs(cfg, 3, 4)
    rng = np.random.default_rng(0)
    # an initialization whose partners differ: every neuron counts
    unpaired = Params(
        w=params.w,
        U=params.U,
        c=params.c,
        w0=params.w0 + 0.1 * rng.standard_normal(width),
        U0=params.U0,
        activation=params.activation,
    )
    for p in (params, unpaired):
        ref = _gram_from_full_features(p.at_init(), X, backend_name)
        assert rel_fro(ntk.gram(p, X, backend=backend_name), ref) <= 1e-14
