"""Transport maps, the transported parameter Theta_bar and teacher targets (THEORY section 7, E9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verif
from tests.conftest import SMOOTH_ACTIVATIONS, W_INIT_LAWS, rel_fro, small_config
from verif import bounds, data, ntk, transport
from verif.params import Params


def _cfg(**kw: object) -> verif.RNNConfig:
    base: dict[str, object] = {"width": 8, "input_dim": 3, "seq_len": 5, "memory_alpha": 0.7}
    base.update(kw)
    return small_config(**base)


def test_transport_map_is_bounded() -> None:
    cfg = _cfg(nu_w=0.8, nu_u=1.3)
    v = transport.random_transport(cfg, 0)
    rng = np.random.default_rng(1)
    w = rng.uniform(-3, 3, size=5000)
    U = 3 * rng.standard_normal((5000, 3))
    vw, vu = v.v_w(w, U), v.v_u(w, U)
    assert vw.shape == (5000,) and vu.shape == (5000, 3)
    assert np.max(np.abs(vw)) <= 0.8 + 1e-15
    assert np.max(np.linalg.norm(vu, axis=1)) <= 1.3 + 1e-15
    # and the sup is nearly attained (cosine and sine of a spread argument)
    assert np.max(np.abs(vw)) > 0.79 and np.max(np.linalg.norm(vu, axis=1)) > 1.29
    # reproducible from the seed
    v2 = transport.random_transport(cfg, 0)
    np.testing.assert_array_equal(v2.v_w(w, U), vw)
    assert not np.array_equal(transport.random_transport(cfg, 1).v_w(w, U), vw)


@pytest.mark.parametrize("law", W_INIT_LAWS)
@pytest.mark.parametrize(
    ("rho", "nu"), [((1.0, 1.0), (1.0, 1.0)), ((2.0, 0.5), (0.7, 0.5)), ((0.3, 3.0), (0.3, 2.0))]
)
def test_theta_bar_in_omega_when_rho_at_least_nu(
    law: str, rho: tuple[float, float], nu: tuple[float, float]
) -> None:
    cfg = _cfg(rho_w=rho[0], rho_u=rho[1], nu_w=nu[0], nu_u=nu[1], w_init=law)
    for seed in range(3):
        params = verif.symmetric_init(cfg, seed)
        bar = transport.transported_params(params, transport.random_transport(cfg, seed + 7))
        assert verif.in_omega(bar, cfg)
        dist_sq = bar.distance_to_init() ** 2
        assert dist_sq <= nu[0] ** 2 + nu[1] ** 2 + 1e-12
        # per neuron: |w_bar_i - w_i(0)| = |v_w| / sqrt(m) <= nu_w / sqrt(m)
        dw, dU = bar.displacement()
        assert np.max(np.abs(dw)) <= nu[0] / math.sqrt(8) + 1e-15
        assert np.max(np.linalg.norm(dU, axis=1)) <= nu[1] / math.sqrt(8) + 1e-15
        np.testing.assert_array_equal(bar.w0, params.w0)
        np.testing.assert_array_equal(bar.c, params.c)


def test_theta_bar_leaves_small_omega() -> None:
    # with rho far below nu the transported parameter is outside Omega (the condition matters)
    cfg = _cfg(rho_w=0.01, rho_u=0.01, nu_w=1.0, nu_u=1.0)
    params = verif.symmetric_init(cfg, 0)
    bar = transport.transported_params(params, transport.random_transport(cfg, 0))
    assert not verif.in_omega(bar, cfg)


def test_theta_bar_formula() -> None:
    cfg = _cfg()
    params = verif.symmetric_init(cfg, 2)
    v = transport.random_transport(cfg, 3)
    bar = transport.transported_params(params, v)
    for i in range(cfg.width):
        theta_w, theta_u = params.w0[i : i + 1], params.U0[i : i + 1]
        w_i = params.w0[i] + params.c[i] * v.v_w(theta_w, theta_u)[0] / math.sqrt(8)
        u_i = params.U0[i] + params.c[i] * v.v_u(theta_w, theta_u)[0] / math.sqrt(8)
        assert bar.w[i] == pytest.approx(w_i, rel=1e-15, abs=1e-16)
        np.testing.assert_allclose(bar.U[i], u_i, rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("act", SMOOTH_ACTIVATIONS)
def test_linearized_output_of_theta_bar_is_the_feature_average(act: str, backend_name: str) -> None:
    cfg = _cfg(activation=act, nu_w=0.8, nu_u=1.1)
    params = verif.symmetric_init(cfg, 4)
    X = data.random_inputs(cfg, 3, 5)
    v = transport.random_transport(cfg, 6)
    bar = transport.transported_params(params, v)
    lin = ntk.linearized_outputs(bar, X, backend=backend_name)
    avg = transport.feature_average(params, X, v, backend=backend_name)
    assert avg.shape == (3, 5)
    assert np.min(np.abs(avg)) > 0
    assert rel_fro(lin, avg) <= 1e-12
    # feature_average only uses the initialization: the same from Theta_bar
    np.testing.assert_array_equal(transport.feature_average(bar, X, v, backend=backend_name), avg)


def test_feature_average_by_hand() -> None:
    cfg = _cfg(width=4, seq_len=3)
    params = verif.symmetric_init(cfg, 0)
    X = data.random_inputs(cfg, 2, 1)
    v = transport.random_transport(cfg, 2)
    g, G = verif.backend("numpy").tangent_features(params, X)
    vw, vu = v.v_w(params.w0, params.U0), v.v_u(params.w0, params.U0)
    hand = np.zeros((2, 3))
    for i in range(4):
        hand += vw[i] * g[:, :, i] + G[:, :, i] @ vu[i]
    assert rel_fro(transport.feature_average(params, X, v), hand / 4) <= 1e-14


def test_teacher_outputs_by_hand_and_bounded_by_K() -> None:
    cfg = _cfg(seq_len=4, nu_w=0.6, nu_u=0.9)
    X = data.random_inputs(cfg, 2, 1)
    v = transport.random_transport(cfg, 2)
    draws = 200
    F_star = transport.teacher_outputs(cfg, v, X, draws=draws, seed=3)
    assert F_star.shape == (2, 4)
    rng = np.random.default_rng(3)
    w, U = transport.sample_theta(cfg, draws, rng)
    p = Params(w=w, U=U, c=np.ones(draws), w0=w, U0=U, activation=cfg.activation)
    g, G = verif.backend("numpy").tangent_features(p, X)
    hand = (np.einsum("ntm,m->nt", g, v.v_w(w, U)) + np.einsum("ntmd,md->nt", G, v.v_u(w, U))) / draws
    assert rel_fro(F_star, hand) <= 1e-13
    # every realizable target is bounded by K of B7 (THEORY 7 with B1 at a_0)
    assert np.max(np.abs(F_star)) <= bounds.approximation_constant(cfg)
    jax_star = transport.teacher_outputs(cfg, v, X, draws=draws, seed=3, backend="jax")
    assert rel_fro(jax_star, F_star) <= 1e-12


def test_teacher_outputs_converge_in_draws() -> None:
    # Monte Carlo error ~ K/sqrt(draws): 2e4 draws against 1.6e5 draws agree to a few 1e-2 K
    cfg = _cfg(input_dim=2, seq_len=3)
    X = data.random_inputs(cfg, 2, 1)
    v = transport.random_transport(cfg, 2)
    small = transport.teacher_outputs(cfg, v, X, draws=20_000, seed=1)
    large = transport.teacher_outputs(cfg, v, X, draws=160_000, seed=2)
    K = bounds.approximation_constant(cfg)
    assert np.max(np.abs(small - large)) <= 5 * K / math.sqrt(20_000)


@pytest.mark.parametrize("law", W_INIT_LAWS)
def test_sample_theta_follows_the_law(law: str) -> None:
    cfg = _cfg(memory_alpha=0.6, w_init=law)
    w, U = transport.sample_theta(cfg, 4000, np.random.default_rng(0))
    assert w.shape == (4000,) and U.shape == (4000, 3)
    assert np.all(np.abs(w) <= 0.6)
    if law == "constant":
        assert np.all(w == 0.6)
    elif law == "rademacher":
        assert set(np.unique(w)) == {-0.6, 0.6}
    else:
        assert np.var(w) == pytest.approx(0.36 / 3, rel=0.1)
    assert np.var(U) == pytest.approx(1.0, rel=0.1)


def test_teacher_outputs_refuse_bad_draws() -> None:
    cfg = _cfg()
    X = data.random_inputs(cfg, 1, 0)
    v = transport.random_transport(cfg, 0)
    for draws in (0, 1, 2.5, True):
        with pytest.raises(ValueError, match="draws"):
            transport.teacher_outputs(cfg, v, X, draws=draws)  # type: ignore[arg-type]
