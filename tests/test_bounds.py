"""Bounds of THEORY sections 4 and 8: S_t, mu_T, regimes, B1-B8, checked against hand values."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import verif
from tests.conftest import BACKENDS, rel_fro
from verif import bounds
from verif.config import RNNConfig
from verif.params import Params

TANH_S2 = 4.0 / (3.0 * math.sqrt(3.0))
SIGMOID_S2 = 1.0 / (6.0 * math.sqrt(3.0))


def S(a: float, t: int) -> float:
    """Hand partial sum: sum_{k=0}^{t} a^k, zero for t < 0."""
    return float(sum(a**k for k in range(t + 1))) if t >= 0 else 0.0


def cfg(**kw: Any) -> RNNConfig:
    base: dict[str, Any] = {"width": 4, "input_dim": 2, "seq_len": 5, "memory_alpha": 0.5}
    base.update(kw)
    return RNNConfig(**base)


# A: tanh, a = 1 * (0.5 + 1/sqrt(4)) = 1 exactly; B: sigmoid, a = 0.25 * (2 + 2/2) = 0.75.
CFG_A = cfg(activation="tanh", memory_alpha=0.5, rho_w=1.0)
CFG_B = cfg(activation="sigmoid", memory_alpha=2.0, rho_w=2.0, rho_u=0.5, nu_w=0.3, nu_u=0.7)
HAND = {"A": (CFG_A, 1.0, 1.0, 1.0, TANH_S2, 0.5), "B": (CFG_B, 0.75, 1.0, 0.25, SIGMOID_S2, 0.5)}


# --------------------------------------------------------------------------- THEORY 4


def test_partial_sum_closed_form() -> None:
    for a in (0.0, 0.3, 0.8, 1.2, 2.5):
        for t in range(8):
            expected = (1 - a ** (t + 1)) / (1 - a)
            assert bounds.partial_sum(a, t) == pytest.approx(expected, rel=1e-13)
            assert bounds.partial_sum(a, t) == pytest.approx(S(a, t), rel=1e-14)


def test_partial_sum_at_one_and_negative_t() -> None:
    for t in range(10):
        assert bounds.partial_sum(1.0, t) == t + 1
    for a in (0.0, 0.5, 1.0, 3.0):
        assert bounds.partial_sum(a, -1) == 0.0
        assert bounds.partial_sum(a, -2) == 0.0
        assert bounds.partial_sum(a, 0) == 1.0
    assert bounds.partial_sum(0.0, 5) == 1.0


def test_partial_sum_arrays_keep_shape() -> None:
    t = np.array([[-2, -1, 0], [1, 2, 3]])
    out = bounds.partial_sum(0.5, t)
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)
    np.testing.assert_allclose(out, [[0, 0, 1], [1.5, 1.75, 1.875]], rtol=1e-15)
    assert isinstance(bounds.partial_sum(0.5, 3), float)
    assert isinstance(bounds.partial_sum(0.5, np.int64(3)), float)


def test_partial_sum_continuous_near_one() -> None:
    t = np.arange(-2, 30)
    at_one = bounds.partial_sum(1.0, t)
    for delta in (1e-12, 1e-9, 1e-6):
        for a in (1 - delta, 1 + delta):
            # |S_t(a) - (t+1)| <= t(t+1)/2 * delta (first order) with room for rounding
            diff = np.abs(bounds.partial_sum(a, t) - at_one)
            assert np.all(diff <= 0.6 * np.maximum(t, 0) * (np.maximum(t, 0) + 1) * delta + 1e-13)
    # the closed form loses digits next to 1; the running sum must still agree with it there
    a = 1 + 1e-3
    closed = (a ** (t[2:] + 1) - 1) / (a - 1)
    assert rel_fro(bounds.partial_sum(a, t[2:]), closed) <= 1e-11


def test_partial_sum_large_t_is_reported_beyond_float() -> None:
    # S_400(10) = (10^401 - 1)/9: beyond float64, reported with its log10, never inf
    with pytest.raises(bounds.BeyondFloat, match=r"S_t\(a\) exceeds floating point .*10\^400\.0") as info:
        bounds.partial_sum(10.0, 400)
    assert info.value.log10 == pytest.approx(401 - math.log10(9), rel=1e-12)
    assert bounds.partial_sum(10.0, 400, log10=True) == pytest.approx(401 - math.log10(9), rel=1e-12)
    assert bounds.partial_sum(0.5, 10_000) == pytest.approx(2.0, rel=1e-15)
    assert bounds.partial_sum(0.5, 2**63) == pytest.approx(2.0, rel=1e-15)


@pytest.mark.parametrize("key", ["A", "B"])
def test_gains_and_mu_T(key: str) -> None:
    config, a, cut_s1, s1, _, a0 = HAND[key]
    assert bounds.gain(config) == pytest.approx(a, rel=1e-15)
    assert bounds.gain_at_init(config) == pytest.approx(a0, rel=1e-15)
    assert bounds.cutoff(config) == pytest.approx(1.0 / s1, rel=1e-15)
    for T in (1, 2, 5, 6):
        assert bounds.mu_T(config.replace(seq_len=T)) == pytest.approx(S(a, T - 1), rel=1e-14)
    assert cut_s1 == 1.0


def test_mu_T_regimes() -> None:
    # short memory: bounded by 1/(1-a) for every T
    short = cfg(memory_alpha=0.3, rho_w=0.4, width=16)  # a = 0.4
    for T in (1, 5, 50, 500):
        mu = bounds.mu_T(short.replace(seq_len=T))
        assert mu <= 1.0 / (1.0 - 0.4) + 1e-12
    assert bounds.mu_T(short.replace(seq_len=500)) == pytest.approx(1 / 0.6, rel=1e-12)
    # cutoff, rho_w = 0: a = 1 exactly, mu_T = T
    at = cfg(memory_alpha=1.0, rho_w=0.0)
    for T in (1, 7, 40):
        assert bounds.mu_T(at.replace(seq_len=T)) == T
    # long memory: (a^T - 1)/(a - 1)
    long = cfg(memory_alpha=6.0, rho_w=0.0, activation="sigmoid")  # a = 1.5
    for T in (1, 5, 20):
        assert bounds.mu_T(long.replace(seq_len=T)) == pytest.approx((1.5**T - 1) / 0.5, rel=1e-13)


@pytest.mark.parametrize(
    ("act", "alpha", "expected"),
    [
        ("tanh", 0.0, "short memory"),
        ("tanh", 0.99, "short memory"),
        ("tanh", 1.0, "cutoff"),
        ("tanh", 1.0 + 1e-14, "cutoff"),
        ("tanh", 1.0 + 1e-9, "long memory"),
        ("tanh", 1.5, "long memory"),
        ("sigmoid", 1.0, "short memory"),
        ("sigmoid", 3.99, "short memory"),
        ("sigmoid", 4.0, "cutoff"),
        ("sigmoid", 4.01, "long memory"),
        ("sigmoid", 9.0, "long memory"),
    ],
)
def test_regime(act: str, alpha: float, expected: str) -> None:
    # the regime depends on alpha alone, not on rho_w or m
    for rho_w in (0.0, 3.0):
        assert bounds.regime(cfg(activation=act, memory_alpha=alpha, rho_w=rho_w)) == expected


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize(
    ("alpha", "printed"), [(0.8, (4.46, 4.94)), (1.0, (10.0, 20.0)), (1.2, (25.96, 186.5))]
)
def test_linear_regime_attains_the_memory_factor(
    alpha: float, printed: tuple[float, float], backend_name: str
) -> None:
    # THEORY 4: tanh, x_t = eps e_1, u = e_1, w = alpha, d = 1: |dh_t/du| / eps = S_t(alpha)
    eps, T = 1e-4, 20
    p = Params(
        w=np.full(2, alpha),
        U=np.ones((2, 1)),
        c=np.array([1.0, -1.0]),
        w0=np.full(2, alpha),
        U0=np.ones((2, 1)),
        activation="tanh",
    )
    X = np.full((1, T, 1), eps)
    _, G = verif.backend(backend_name).tangent_features(p, X)
    measured = np.abs(G[0, :, 0, 0]) / eps
    np.testing.assert_array_equal(G[0, :, 0, 0], G[0, :, 1, 0])
    S_t = bounds.partial_sum(alpha, np.arange(T))
    assert np.all(np.abs(measured / S_t - 1.0) <= 0.01)
    # the numbers printed in THEORY 4, at t = 9 and t = 19
    assert round(measured[9], 2) == pytest.approx(printed[0], abs=1e-9)
    assert measured[19] == pytest.approx(printed[1], rel=1e-3)
    assert round(measured[19], 1 if alpha == 1.2 else 2) == pytest.approx(printed[1], abs=1e-9)


# --------------------------------------------------------------------------- THEORY 8: B1-B5


@pytest.mark.parametrize("key", ["A", "B"])
def test_lipschitz_and_gradient_spot_values(key: str) -> None:
    config, a, s0, s1, _, _ = HAND[key]
    T = config.seq_len
    L_w = np.array([s0 * s1 * S(a, t - 1) for t in range(T)])
    L_u = np.array([s1 * S(a, t) for t in range(T)])
    assert rel_fro(bounds.lipschitz_w(config), L_w) <= 1e-14
    assert rel_fro(bounds.lipschitz_u(config), L_u) <= 1e-14
    assert bounds.lipschitz_w(config)[0] == 0.0
    assert rel_fro(bounds.grad_norm_bound(config), np.sqrt(L_w**2 + L_u**2)) <= 1e-14
    assert rel_fro(bounds.lipschitz_bound(config, 0.3, 0.2), 0.3 * L_w + 0.2 * L_u) <= 1e-14
    assert rel_fro(bounds.output_bound(config), L_w * config.rho_w + L_u * config.rho_u) <= 1e-14
    for arr in (bounds.lipschitz_w(config), bounds.lipschitz_u(config), bounds.grad_norm_bound(config)):
        assert arr.shape == (T,)


def test_lipschitz_literal_values() -> None:
    # a = 1: L_w,t = t, L_u,t = t + 1, G_t = sqrt(t^2 + (t+1)^2)
    np.testing.assert_array_equal(bounds.lipschitz_w(CFG_A), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(bounds.lipschitz_u(CFG_A), [1, 2, 3, 4, 5])
    assert bounds.grad_norm_bound(CFG_A)[3] == pytest.approx(5.0, rel=1e-15)
    # a = 0.75, sigma_1 = 1/4: L_u,2 = 0.25 (1 + 0.75 + 0.5625)
    assert bounds.lipschitz_u(CFG_B)[2] == pytest.approx(0.578125, rel=1e-15)
    assert bounds.lipschitz_w(CFG_B)[2] == pytest.approx(0.4375, rel=1e-15)


def _beta_reference(a: float, s0: float, s1: float, s2: float, T: int) -> np.ndarray:
    """B4 as closed sums: X_t = sum_{k<=t} a^(t-k) src_k."""
    out = []
    for t in range(T):
        total = 0.0
        for k in range(t + 1):
            A = s2 * s0**2 * S(a, k - 1) ** 2 + 2 * s0 * s1**2 * S(a, k - 2)
            B = s2 * s0 * S(a, k - 1) * S(a, k) + s1**2 * S(a, k - 1)
            C = s2 * S(a, k) ** 2
            total += a ** (t - k) * (A + B + C)
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("key", ["A", "B"])
def test_beta_spot_values(key: str) -> None:
    config, a, s0, s1, s2, _ = HAND[key]
    A, B, C = bounds.hessian_terms(config)
    beta = bounds.beta(config)
    # beta_0 = sigma_2 exactly (the Hessian at t = 0 is sigma''(z) x x^T)
    assert beta[0] == s2
    assert A[0] == 0.0 and B[0] == 0.0 and C[0] == s2
    # t = 1 by hand
    assert A[1] == pytest.approx(s2 * s0**2, rel=1e-15)
    assert B[1] == pytest.approx(s2 * s0 * (1 + a) + s1**2, rel=1e-15)
    assert C[1] == pytest.approx(s2 * (1 + a) ** 2 + a * s2, rel=1e-15)
    assert rel_fro(beta, A + B + C) <= 1e-15
    assert rel_fro(beta, _beta_reference(a, s0, s1, s2, config.seq_len)) <= 1e-13
    assert np.all(np.diff(beta) > 0)


def test_beta_literal_value_at_a_equal_one() -> None:
    # tanh, a = 1, t = 1: A = s2, B = 2 s2 + 1, C = 5 s2 -> beta_1 = 8 s2 + 1
    assert bounds.beta(CFG_A)[1] == pytest.approx(8 * TANH_S2 + 1, rel=1e-15)


@pytest.mark.parametrize("key", ["A", "B"])
def test_B5_B6_formulas(key: str) -> None:
    config = HAND[key][0]
    beta = bounds.beta(config)
    m = config.width
    rho_sq = config.rho_w**2 + config.rho_u**2
    assert rel_fro(bounds.curvature_bound(config), beta / math.sqrt(m)) <= 1e-15
    assert rel_fro(bounds.linearization_bound(config), beta * rho_sq / (2 * math.sqrt(m))) <= 1e-15
    assert rel_fro(bounds.pgd_epsilon(config), 2 * beta * rho_sq / math.sqrt(m)) <= 1e-15


def test_B6_literal_value() -> None:
    # tanh, a = 1, m = 4, rho = (1, 1): B6 at t = 0 is sigma_2 * 2 / (2 * 2)
    assert bounds.linearization_bound(CFG_A)[0] == pytest.approx(TANH_S2 / 2, rel=1e-15)


def test_bounds_independent_of_width_except_through_gain() -> None:
    # B3 gradient bound does not depend on m once rho_w = 0 (a = a_0)
    c = cfg(rho_w=0.0, memory_alpha=0.9)
    g4 = bounds.grad_norm_bound(c)
    g64 = bounds.grad_norm_bound(c.replace(width=64))
    np.testing.assert_array_equal(g4, g64)
    # with rho_w > 0, the gain and every bound shrink as m grows
    c = cfg(rho_w=1.0, memory_alpha=0.9)
    assert np.all(bounds.beta(c.replace(width=64))[1:] < bounds.beta(c)[1:])
    assert bounds.mu_T(c.replace(width=64)) < bounds.mu_T(c)


# --------------------------------------------------------------------------- THEORY 8: B7


@pytest.mark.parametrize("key", ["A", "B"])
def test_B7_formulas(key: str) -> None:
    config, _, s0, s1, _, a0 = HAND[key]
    T, m = config.seq_len, config.width
    K = config.nu_w * s0 * s1 * S(a0, T - 2) + config.nu_u * s1 * S(a0, T - 1)
    assert bounds.approximation_constant(config) == pytest.approx(K, rel=1e-14)
    n, delta = 7, 0.1
    approx = 2 * K * math.sqrt(math.log(2 * n * T / delta) / m)
    assert bounds.approximation_bound(config, n, delta) == pytest.approx(approx, rel=1e-14)
    nu_sq = config.nu_w**2 + config.nu_u**2
    delta_m = float(np.max(bounds.beta(config))) * nu_sq / (2 * math.sqrt(m)) + approx
    assert bounds.transport_error_bound(config, n, delta) == pytest.approx(delta_m, rel=1e-14)


def test_B7_uses_gain_at_init() -> None:
    # K does not depend on rho_w (it uses a_0, not a)
    c = cfg(memory_alpha=0.5)
    assert bounds.approximation_constant(c) == bounds.approximation_constant(c.replace(rho_w=5.0))
    # tanh, a_0 = 0.5, T = 5, nu = (1, 1): K = S_3(0.5) + S_4(0.5) = 1.875 + 1.9375
    assert bounds.approximation_constant(c) == pytest.approx(3.8125, rel=1e-15)


def test_B7_grows_like_log_n() -> None:
    c = cfg()
    b = [bounds.approximation_bound(c, n, 0.05) ** 2 for n in (10, 100, 1000)]
    # squared bound is affine in log n: equal increments per decade
    assert b[2] - b[1] == pytest.approx(b[1] - b[0], rel=1e-12)


# --------------------------------------------------------------------------- THEORY 8: B8


def test_pgd_rhs_and_residual_term() -> None:
    rhs = bounds.pgd_rhs(
        risk_star=0.1, dist_sq=2.0, step_size=0.5, steps=4, max_grad_sq=3.0, max_residual_term=0.2
    )
    assert rhs == pytest.approx(0.1 + 2.0 / (2 * 0.5 * 4) + 0.25 * 3.0 + 0.2, rel=1e-15)
    eps_t = bounds.pgd_epsilon(CFG_A)
    r = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [1.0, 0.0, 0.0, 0.0, 0.0]])
    out = bounds.residual_term(CFG_A, r)
    assert out.shape == (2,)
    np.testing.assert_allclose(out, [np.mean(r[0] * eps_t), eps_t[0] / 5], rtol=1e-15)


def _requirements_by_hand(config: RNNConfig, eps: float, n: int, delta: float, y_max: float | None) -> dict:
    s0, s1, s2 = config.act.require_smooth()
    a = s1 * (config.memory_alpha + config.rho_w / math.sqrt(config.width))
    a0 = s1 * config.memory_alpha
    T = config.seq_len
    L_w = [s0 * s1 * S(a, t - 1) for t in range(T)]
    L_u = [s1 * S(a, t) for t in range(T)]
    K = config.nu_w * s0 * s1 * S(a0, T - 2) + config.nu_u * s1 * S(a0, T - 1)
    y = K if y_max is None else y_max
    R_max = y + max(lw * config.rho_w + lu * config.rho_u for lw, lu in zip(L_w, L_u, strict=True))
    G = max(math.hypot(lw, lu) for lw, lu in zip(L_w, L_u, strict=True))
    beta_max = float(np.max(_beta_reference(a, s0, s1, s2, T)))
    nu_sq = config.nu_w**2 + config.nu_u**2
    rho_sq = config.rho_w**2 + config.rho_u**2
    tau = math.ceil(9 * nu_sq * R_max**2 * G**2 / eps**2)
    return {
        "iterations": tau,
        "step_size": math.sqrt(nu_sq) / (R_max * G * math.sqrt(tau)),
        "width_linearization": (6 * R_max * beta_max * rho_sq / eps) ** 2,
        "width_curvature": 1.5 * beta_max**2 * nu_sq**2 / eps,
        "width_approximation": 24 * K**2 * math.log(2 * n * T / delta) / eps,
        "R_max": R_max,
        "G": G,
        "beta_max": beta_max,
        "K": K,
        "y_max": y,
    }


@pytest.mark.parametrize("y_max", [None, 0.0, 2.5])
@pytest.mark.parametrize("key", ["A", "B"])
def test_requirements_formulas(key: str, y_max: float | None) -> None:
    config = HAND[key][0].replace(width=64)
    eps, n, delta = 0.2, 10, 0.05
    req = bounds.requirements(config, eps, n, delta, y_max)
    hand = _requirements_by_hand(config, eps, n, delta, y_max)
    assert req.width == 64
    assert req.iterations == hand["iterations"]
    for name, value in hand.items():
        if name != "iterations":
            assert getattr(req, name) == pytest.approx(value, rel=1e-12), name
    m_req = max(hand["width_linearization"], hand["width_curvature"], hand["width_approximation"])
    assert req.width_required == pytest.approx(m_req, rel=1e-12)
    assert req.satisfied == (64 >= req.width_required)
    d = req.to_dict()
    assert d["iterations"] == req.iterations and set(d) >= {"width_required", "satisfied", "K"}


@pytest.mark.parametrize(
    ("act", "alpha", "eps"),
    [
        ("tanh", 0.5, 0.5),
        ("tanh", 0.2, 2.0),
        ("sigmoid", 2.0, 0.3),
        ("tanh", 1.0, 5.0),
        ("sigmoid", 4.5, 3.0),
    ],
)
def test_required_width_is_the_smallest_even_width(act: str, alpha: float, eps: float) -> None:
    base = cfg(activation=act, memory_alpha=alpha, seq_len=3, width=2)
    n, delta = 20, 0.1
    for start in (2, 1000, 2**40):
        req = bounds.required_width(base.replace(width=start), eps, n, delta)
        m = req.width
        assert m % 2 == 0 and m >= 2
        assert req.satisfied
        assert bounds.requirements(base.replace(width=m), eps, n, delta).satisfied
        if m > 2:
            assert not bounds.requirements(base.replace(width=m - 2), eps, n, delta).satisfied
        assert m >= req.width_required


def test_required_width_grows_with_n() -> None:
    # small rho: the approximation term 24 K^2 log(2nT/delta)/eps dominates, so the required
    # width is affine in log n (equal increments per factor 100 in n)
    base = cfg(memory_alpha=0.5, seq_len=3, rho_w=0.1, rho_u=0.1)
    widths = [bounds.required_width(base, 0.5, n, 0.1).width for n in (10, 1000, 100_000)]
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] - widths[1] == pytest.approx(widths[1] - widths[0], rel=0.01)


def test_required_width_gives_up_beyond_max_width() -> None:
    hopeless = cfg(memory_alpha=3.0, seq_len=60, width=2)
    with pytest.raises(ValueError, match="no width"):
        bounds.required_width(hopeless, 0.1, 10, 0.1)


# --------------------------------------------------------------------------- ReLU


RELU_CALLS: list[tuple[str, Callable[[RNNConfig], object]]] = [
    ("gain", bounds.gain),
    ("gain_at_init", bounds.gain_at_init),
    ("cutoff", bounds.cutoff),
    ("regime", bounds.regime),
    ("mu_T", bounds.mu_T),
    ("lipschitz_w", bounds.lipschitz_w),
    ("lipschitz_u", bounds.lipschitz_u),
    ("lipschitz_bound", lambda c: bounds.lipschitz_bound(c, 1.0, 1.0)),
    ("grad_norm_bound", bounds.grad_norm_bound),
    ("output_bound", bounds.output_bound),
    ("hessian_terms", bounds.hessian_terms),
    ("beta", bounds.beta),
    ("curvature_bound", bounds.curvature_bound),
    ("linearization_bound", bounds.linearization_bound),
    ("approximation_constant", bounds.approximation_constant),
    ("approximation_bound", lambda c: bounds.approximation_bound(c, 10, 0.1)),
    ("transport_error_bound", lambda c: bounds.transport_error_bound(c, 10, 0.1)),
    ("pgd_epsilon", bounds.pgd_epsilon),
    ("residual_term", lambda c: bounds.residual_term(c, np.ones(c.seq_len))),
    ("requirements", lambda c: bounds.requirements(c, 0.1, 10, 0.1)),
    ("required_width", lambda c: bounds.required_width(c, 0.1, 10, 0.1)),
]


@pytest.mark.parametrize(("name", "call"), RELU_CALLS, ids=[n for n, _ in RELU_CALLS])
def test_every_bound_refuses_relu(name: str, call: Callable[[RNNConfig], object]) -> None:
    with pytest.raises(ValueError, match=r"activation 'relu' is outside the theory"):
        call(cfg(activation="relu"))
