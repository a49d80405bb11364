"""Symmetric initialization and zero output at Theta_0 (THEORY section 2, claim E1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, W_INIT_LAWS, perturbed, rel_fro, small_config
from verif import data
from verif.config import RNNConfig
from verif.params import Params


@pytest.mark.parametrize("law", W_INIT_LAWS)
@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_zero_output_at_init_exactly(law: str, act: str, backend_name: str) -> None:
    # m = 16: with a plain dot product the pairs no longer cancel exactly (rounding remains);
    # only the paired sum gives 0.0 at every (j, t)
    cfg = small_config(width=16, memory_alpha=0.9, activation=act, w_init=law)
    be = verif.backend(backend_name)
    for seed in (0, 1, 2, 3):
        params = verif.symmetric_init(cfg, seed)
        X = data.random_inputs(cfg, 3, seed + 10)
        F = be.outputs(params, X)
        H = be.hidden_states(params, X)
        assert F.shape == (3, 5)
        # the paired sum is exactly zero, not merely small
        assert np.all(F == 0.0)
        half = cfg.half
        np.testing.assert_array_equal(H[..., :half], H[..., half:])
        # and the hidden states are not trivially zero
        assert np.min(np.abs(H)) > 0.0


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_output_not_zero_after_perturbation(act: str, backend_name: str) -> None:
    # the zero output is a property of the symmetric initialization, not of the read-out
    cfg = small_config(activation=act)
    params = perturbed(verif.symmetric_init(cfg, 0), scale=0.2)
    X = data.random_inputs(cfg, 3, 1)
    F = verif.backend(backend_name).outputs(params, X)
    assert np.min(np.abs(F)) > 1e-6


@pytest.mark.parametrize("law", W_INIT_LAWS)
def test_pairs_and_laws(law: str) -> None:
    alpha = 0.8
    cfg = small_config(width=16, input_dim=4, memory_alpha=alpha, w_init=law)
    p = verif.symmetric_init(cfg, 5)
    h = cfg.half
    assert set(np.unique(p.c)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(p.c[h:], -p.c[:h])
    np.testing.assert_array_equal(p.w0[h:], p.w0[:h])
    np.testing.assert_array_equal(p.U0[h:], p.U0[:h])
    assert np.all(np.abs(p.w0) <= alpha)
    if law == "constant":
        np.testing.assert_array_equal(p.w0, np.full(16, alpha))
    elif law == "rademacher":
        assert set(np.unique(p.w0)) <= {-alpha, alpha}
    else:
        assert len(np.unique(p.w0[:h])) == h
        assert np.all(np.abs(p.w0) < alpha)
    # Theta starts at Theta_0, as copies (not the same buffers)
    np.testing.assert_array_equal(p.w, p.w0)
    np.testing.assert_array_equal(p.U, p.U0)
    assert not np.shares_memory(p.w, p.w0)
    assert not np.shares_memory(p.U, p.U0)
    assert p.distance_to_init() == 0.0


def test_init_draws_are_random_gaussian_rows() -> None:
    cfg = small_config(width=16, input_dim=4)
    p = verif.symmetric_init(cfg, 0)
    q = verif.symmetric_init(cfg, 0)
    r = verif.symmetric_init(cfg, 1)
    np.testing.assert_array_equal(p.U0, q.U0)
    np.testing.assert_array_equal(p.c, q.c)
    assert not np.array_equal(p.U0, r.U0)
    # rows of U0 are not normalized or clipped: standard normal entries of both signs
    assert np.any(p.U0 > 1.0) or np.any(p.U0 < -1.0)


def test_uniform_law_covers_the_interval() -> None:
    alpha = 0.5
    cfg = small_config(width=2000, input_dim=1, memory_alpha=alpha)
    w = verif.symmetric_init(cfg, 0).w0[: cfg.half]
    assert np.all(np.abs(w) <= alpha)
    # mean 0, variance alpha^2/3: 1000 draws put both within a few standard errors
    assert abs(np.mean(w)) < 4 * alpha / math.sqrt(3 * 1000)
    assert np.var(w) == pytest.approx(alpha**2 / 3, rel=0.15)
    c = verif.symmetric_init(cfg, 0).c[: cfg.half]
    assert 400 < np.sum(c > 0) < 600


def test_alpha_zero_gives_zero_w() -> None:
    for law in W_INIT_LAWS:
        p = verif.symmetric_init(small_config(memory_alpha=0.0, w_init=law), 3)
        assert np.all(p.w0 == 0.0)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_dtype_follows_config(dtype: str, backend_name: str) -> None:
    cfg = small_config(dtype=dtype)
    p = verif.symmetric_init(cfg, 0)
    for name in ("w", "U", "c", "w0", "U0"):
        assert getattr(p, name).dtype == np.dtype(dtype)
    assert p.check(cfg) is p
    X = data.random_inputs(cfg, 2, 0)
    assert X.dtype == np.dtype(dtype)
    F = verif.backend(backend_name).outputs(p, X)
    assert F.dtype == np.dtype(dtype)
    assert np.all(F == 0.0)


def test_params_properties() -> None:
    cfg = small_config(width=6, input_dim=2)
    p = verif.symmetric_init(cfg, 0)
    assert p.width == 6 and p.input_dim == 2 and p.dtype == np.float64
    assert p.activation == "tanh"
    w_new = p.w + np.arange(6.0)
    U_new = p.U + 1.0
    q = p.with_weights(w_new, U_new)
    np.testing.assert_array_equal(q.w, w_new)
    np.testing.assert_array_equal(q.U, U_new)
    np.testing.assert_array_equal(q.w0, p.w0)
    np.testing.assert_array_equal(q.c, p.c)
    dw, dU = q.displacement()
    np.testing.assert_allclose(dw, np.arange(6.0), rtol=0, atol=1e-15)
    np.testing.assert_allclose(dU, np.ones((6, 2)), rtol=0, atol=1e-15)
    assert q.distance_to_init() == pytest.approx(math.sqrt(55.0 + 12.0), rel=1e-14)
    back = q.at_init()
    np.testing.assert_array_equal(back.w, p.w0)
    np.testing.assert_array_equal(back.U, p.U0)
    # p is unchanged
    np.testing.assert_array_equal(p.w, p.w0)


def test_integer_params_become_float64() -> None:
    p = Params(
        w=np.zeros(2, dtype=int),
        U=np.ones((2, 1), dtype=int),
        c=np.array([1, -1]),
        w0=np.zeros(2, dtype=int),
        U0=np.ones((2, 1), dtype=int),
    )
    assert p.w.dtype == np.float64 and p.c.dtype == np.float64
    X = np.full((1, 3, 1), 0.5)
    np.testing.assert_array_equal(verif.backend("numpy").outputs(p, X), np.zeros((1, 3)))


def test_readout_matches_plain_dot_product() -> None:
    cfg = small_config(width=16)
    p = perturbed(verif.symmetric_init(cfg, 0))
    X = data.random_inputs(cfg, 4, 1)
    be = verif.backend("numpy")
    H = be.hidden_states(p, X)
    plain = H @ p.c / math.sqrt(16)
    assert rel_fro(be.outputs(p, X), plain) <= 1e-14
    # at init the plain dot product is only small; the paired sum is exact
    p0 = p.at_init()
    assert np.max(np.abs(be.hidden_states(p0, X) @ p0.c / 4.0)) <= 1e-12


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("seq_len", [1, 3])
@pytest.mark.parametrize("d", [1, 3, 8])
@pytest.mark.parametrize("width", [2, 6])
def test_zero_output_for_single_sequences_and_small_widths(
    backend_name: str, width: int, d: int, seq_len: int, n: int
) -> None:
    # A matrix product U x_t on XLA's CPU rounded two identical rows of U differently for
    # m = 2, d = 3, T = 1, n = 1 (seed 0): the input term must treat partner neurons alike.
    cfg = RNNConfig(width=width, input_dim=d, seq_len=seq_len, memory_alpha=0.5)
    be = verif.backend(backend_name)
    for seed in range(8):
        p = verif.symmetric_init(cfg, seed)
        X = verif.data.random_inputs(cfg, n, seed)
        H = be.hidden_states(p, X)
        assert np.array_equal(H[..., : cfg.half], H[..., cfg.half :])
        assert np.all(be.outputs(p, X) == 0.0)
