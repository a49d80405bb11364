"""B1-B9 and the cutoff factor against a slow reference written from THEORY 4 and 8 alone.

The claims check that each bound holds; a bound made looser (an exponent ``S_t^3`` for
``S_t^2``, a lost ``1/2``, ``S_t`` for ``S_{t-1}``) still holds, and one made tighter is seen
only where the drawn cases come close to it. Here every bound of :mod:`verif.bounds` is
compared, at configurations of every memory regime (and exactly at the cutoff ``a = 1``), with
the same quantity computed the plain way: ``S_t(a) = sum_{k<=t} a^k`` term by term, the B4
recursions ``A_t, B_t, C_t`` step by step, and the other bounds from them as THEORY 8 writes
them. Agreement within ``1e-9`` (relative; ``1e-290`` absolute, below the normal range) is
required: the library's closed forms and logarithms differ from the loops by rounding only.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import bound_configs
from verif import activations, bounds
from verif.config import RNNConfig

RTOL = 1e-9
#: Results below the normal range (radii drawn as small as ``5e-324``) round to whole subnormals.
ATOL = 1e-290


def _S(a: float, t: int) -> float:
    """``S_t(a) = sum_{k=0}^{t} a^k``, ``S_{-1} = S_{-2} = 0`` (THEORY 4)."""
    return float(sum(a**k for k in range(t + 1)))


class Reference:
    """THEORY 8's bounds at one configuration, each ``(T,)`` array filled time step by time step."""

    def __init__(self, config: RNNConfig) -> None:
        act = activations.get(config.activation)
        s0, s1, s2 = act.sigma_0, act.sigma_1, act.sigma_2
        assert s0 is not None and s1 is not None and s2 is not None
        self.config, m, T = config, config.width, config.seq_len
        self.a0 = s1 * config.memory_alpha
        self.a = s1 * (config.memory_alpha + config.rho_w / math.sqrt(m))
        S = [_S(self.a, t) for t in range(-2, T)]  # S[t + 2] = S_t

        def s(t: int) -> float:
            return S[t + 2]

        self.L_w = np.array([s0 * s1 * s(t - 1) for t in range(T)])
        self.L_u = np.array([s1 * s(t) for t in range(T)])
        self.G = np.sqrt(self.L_w**2 + self.L_u**2)
        A = B = C = 0.0
        terms = []
        for t in range(T):
            A = s2 * s0**2 * s(t - 1) ** 2 + 2 * s0 * s1**2 * s(t - 2) + self.a * A
            B = s2 * s0 * s(t - 1) * s(t) + s1**2 * s(t - 1) + self.a * B
            C = s2 * s(t) ** 2 + self.a * C
            terms.append((A, B, C))
        self.A, self.B, self.C = (np.array(x) for x in zip(*terms, strict=True))
        self.beta = self.A + self.B + self.C
        rho_sq = config.rho_w**2 + config.rho_u**2
        self.curvature = self.beta / math.sqrt(m)
        self.linearization = self.beta * rho_sq / (2 * math.sqrt(m))
        self.eps = 2 * self.beta * rho_sq / math.sqrt(m)
        self.kernel = (
            (np.outer(self.beta, self.G) + np.outer(self.G, self.beta))
            * math.hypot(config.rho_w, config.rho_u)
            / math.sqrt(m)
        )
        self.K = config.nu_w * s0 * s1 * _S(self.a0, T - 2) + config.nu_u * s1 * _S(self.a0, T - 1)
        self.mu_T = s(T - 1)

    def approximation(self, n: int, delta: float) -> float:
        return 2 * self.K * math.sqrt(math.log(2 * n * self.config.seq_len / delta) / self.config.width)

    def transport(self, n: int, delta: float) -> float:
        nu_sq = self.config.nu_w**2 + self.config.nu_u**2
        return float(np.max(self.beta)) * nu_sq / (2 * math.sqrt(self.config.width)) + self.approximation(
            n, delta
        )


def _close(name: str, got: object, want: object, config: RNNConfig) -> None:
    got_a, want_a = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got_a.shape == want_a.shape, f"{name}: shape {got_a.shape}, THEORY {want_a.shape} at {config}"
    assert np.allclose(got_a, want_a, rtol=RTOL, atol=ATOL), (
        f"{name} differs from THEORY 8's formula at {config}: got {got_a.ravel()[:6]}, "
        f"THEORY gives {want_a.ravel()[:6]}"
    )


def _finite(ref: Reference) -> bool:
    """Whether every reference value is a float64 number (long memory at large ``T`` overflows)."""
    return bool(np.all(np.isfinite(ref.kernel)) and np.all(np.isfinite(ref.eps)) and ref.beta[-1] < 1e150)


def _variants(config: RNNConfig) -> list[RNNConfig]:
    """``config``, and the same at the cutoff with ``rho_w = 0`` (``a = 1`` exactly), for each
    smooth activation (its ``alpha`` scaled to that activation's cutoff)."""
    out = []
    c0 = activations.get(config.activation).cutoff
    for name in activations.smooth_names():
        cut = activations.get(name).cutoff
        out.append(config.replace(activation=name, memory_alpha=config.memory_alpha * cut / c0))
        out.append(config.replace(activation=name, memory_alpha=cut, rho_w=0.0))
    return out


@given(
    config=bound_configs(),
    dist=st.tuples(st.floats(0.0, 4.0), st.floats(0.0, 4.0)),
    n=st.integers(1, 10**6),
    delta=st.floats(1e-6, 0.5),
    pgd=st.tuples(st.floats(0.0, 10.0), st.floats(0.0, 10.0), st.floats(1e-3, 10.0), st.integers(1, 10**4)),
)
def test_bounds_follow_theory(
    config: RNNConfig,
    dist: tuple[float, float],
    n: int,
    delta: float,
    pgd: tuple[float, float, float, int],
) -> None:
    for cfg in _variants(config):
        ref = Reference(cfg)
        if not _finite(ref):
            continue
        _close("gain a_0", bounds.gain_at_init(cfg), ref.a0, cfg)
        _close("gain a", bounds.gain(cfg), ref.a, cfg)
        _close("mu_T", bounds.mu_T(cfg), ref.mu_T, cfg)
        _close("B1 L_w,t", bounds.lipschitz_w(cfg), ref.L_w, cfg)
        _close("B1 L_u,t", bounds.lipschitz_u(cfg), ref.L_u, cfg)
        _close("B2", bounds.lipschitz_bound(cfg, *dist), ref.L_w * dist[0] + ref.L_u * dist[1], cfg)
        _close("B3 G_t", bounds.grad_norm_bound(cfg), ref.G, cfg)
        _close("B3 output", bounds.output_bound(cfg), ref.L_w * cfg.rho_w + ref.L_u * cfg.rho_u, cfg)
        _close("B4 A_t, B_t, C_t", bounds.hessian_terms(cfg), (ref.A, ref.B, ref.C), cfg)
        _close("B4 beta_t", bounds.beta(cfg), ref.beta, cfg)
        _close("B5", bounds.curvature_bound(cfg), ref.curvature, cfg)
        _close("B6", bounds.linearization_bound(cfg), ref.linearization, cfg)
        _close("B7 K", bounds.approximation_constant(cfg), ref.K, cfg)
        _close("B7", bounds.approximation_bound(cfg, n, delta), ref.approximation(n, delta), cfg)
        _close("B7 Delta_m", bounds.transport_error_bound(cfg, n, delta), ref.transport(n, delta), cfg)
        _close("B8 eps_t", bounds.pgd_epsilon(cfg), ref.eps, cfg)
        risk_star, dist_sq, eta, tau = pgd
        grad_sq, residuals = dist[0] ** 2, np.full(cfg.seq_len, dist[1])
        res = float(np.mean(residuals * ref.eps))
        _close("B8 residual term", bounds.residual_term(cfg, residuals), res, cfg)
        want = risk_star + dist_sq / (2 * eta * tau) + eta / 2 * grad_sq + res
        _close("B8 right side", bounds.pgd_rhs(risk_star, dist_sq, eta, tau, grad_sq, res), want, cfg)
        _close("B9", bounds.kernel_stability_bound(cfg), ref.kernel, cfg)
