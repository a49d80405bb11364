"""The claims E14 (NTK == autodiff) and E15 (kernel stability, B9) can fail.

Each holds on a configuration first, then a wrong NTK, a wrong linearized model or a bound that
is too small must make it report ``passed=False``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from verif import bounds, claims, ntk, search
from verif.backends import backend as get_backend
from verif.backends.numpy_backend import NumpyBackend
from verif.config import RNNConfig
from verif.params import FloatArray, Params, symmetric_init

E14_CONFIG = RNNConfig(width=4, input_dim=2, seq_len=4, memory_alpha=0.9, rho_w=1.0, rho_u=1.0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("kind", ["interior", "corner"])
def test_e14_holds(backend_name: str, activation: str, kind: str) -> None:
    res = claims.get("E14").check(E14_CONFIG.replace(activation=activation), backend_name, 3, kind=kind)
    assert res.passed, res.describe()
    assert res.details["gram_rel_error"] < 1e-13 and res.details["linearized_rel_error"] < 1e-13


def test_e14_bites_on_a_gram_without_w_features(backend_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = ntk.gram

    def broken(p: Params, X: Any, backend: Any = "numpy", at: Any = "init") -> FloatArray:
        g, _ = get_backend(backend).tangent_features(p.at_init(), X)
        phi = g.reshape(-1, g.shape[-1])
        return original(p, X, backend, at) - (phi @ phi.T) / p.width

    monkeypatch.setattr(ntk, "gram", broken)
    res = claims.get("E14").check(E14_CONFIG, backend_name, 3)
    assert not res.passed and res.details["gram_rel_error"] > 1e-3, res.describe()


def test_e14_bites_on_a_wrong_linearized_model(backend_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = ntk.linearized_outputs
    monkeypatch.setattr(
        ntk, "linearized_outputs", lambda p, X, backend="numpy": 1.001 * original(p, X, backend)
    )
    res = claims.get("E14").check(E14_CONFIG, backend_name, 3, kind="corner")
    assert not res.passed and res.details["gram_rel_error"] < 1e-13, res.describe()


class WrongPartnerFeatures(NumpyBackend):
    """Right outputs, but the partner half's ``w``-features (neurons ``m/2 .. m-1``) off by 1%."""

    name = "wrong-partner-features"

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        g, G = super().tangent_features(params, X)
        g = np.array(g, copy=True)
        if params.width == E14_CONFIG.width:  # the whole layer, not a block of it
            g[..., params.width // 2 :] *= 1.01
        return g, G


def test_e14_bites_on_wrong_features_of_the_partner_half() -> None:
    """ntk.gram sums the first m/2 neurons at a symmetric Theta_0; E14 still sees the other half."""
    assert ntk.paired_half(symmetric_init(E14_CONFIG, 3))
    res = claims.get("E14").check(E14_CONFIG, WrongPartnerFeatures(), 3)
    assert not res.passed and res.details["gram_rel_error_all_neurons"] > 1e-4, res.describe()
    assert claims.get("E14").check(E14_CONFIG, NumpyBackend(), 3).passed


def test_e14_refuses_a_jacobian_too_large() -> None:
    with pytest.raises(ValueError, match="m \\(1 \\+ d\\)"):
        claims.get("E14").check(E14_CONFIG.replace(width=512, input_dim=3), "numpy", 0)


# --------------------------------------------------------------------------- E15 and B9


def test_b9_formula() -> None:
    config = RNNConfig(width=16, input_dim=2, seq_len=5, memory_alpha=0.7, rho_w=0.6, rho_u=0.8)
    b, g = bounds.beta(config), bounds.grad_norm_bound(config)
    B = bounds.kernel_stability_bound(config)
    assert B.shape == (5, 5)
    t, s = 3, 1
    assert B[t, s] == pytest.approx((b[t] * g[s] + g[t] * b[s]) * 1.0 / 4.0, rel=1e-14)
    assert np.array_equal(B, B.T)
    assert np.all(bounds.kernel_stability_bound(config.replace(rho_w=0.0, rho_u=0.0)) == 0.0)


def _tightest_e15() -> dict[str, Any]:
    return search.load_corpus()["E15"][0]


def test_e15_holds_at_its_tightest_known_case_then_bites_on_a_smaller_bound(
    backend_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _tightest_e15()
    res = search.replay(item, backend_name)
    assert res.passed and res.ratio > 0.6, res.describe()
    original = bounds.kernel_stability_bound
    monkeypatch.setattr(bounds, "kernel_stability_bound", lambda c: 0.6 * original(c))
    res = search.replay(item, backend_name)
    # B9 scaled: its whole-shift ratio scales with it (the claim's ratio may be one of B9's terms).
    whole = item["parts"]["ratio_b9"]
    assert not res.passed and res.details["ratio_b9"] == pytest.approx(whole / 0.6, rel=1e-6), res.describe()


def test_e15_bites_when_the_kernel_moves_too_much(backend_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Gram matrix at the current point that is 10 % too large exceeds B9 at small radii."""
    config = RNNConfig(width=16, input_dim=2, seq_len=4, memory_alpha=0.5, rho_w=0.05, rho_u=0.05)
    assert claims.get("E15").check(config, backend_name, 1).passed
    original = ntk.gram

    def broken(p: Params, X: Any, backend: Any = "numpy", at: Any = "init") -> FloatArray:
        K = original(p, X, backend, at)
        return K * 1.1 if at == "current" else K

    monkeypatch.setattr(ntk, "gram", broken)
    assert not claims.get("E15").check(config, backend_name, 1).passed


def test_e15_at_zero_radius_measures_nothing(backend_name: str) -> None:
    config = RNNConfig(width=4, input_dim=1, seq_len=3, memory_alpha=0.5, rho_w=0.0, rho_u=0.0)
    res = claims.get("E15").check(config, backend_name, 0, kind="corner")
    assert res.passed and res.ratio == 0.0 and res.bound == 0.0


def test_e15_refuses_bad_options() -> None:
    config = RNNConfig(width=4, input_dim=1, seq_len=3, memory_alpha=0.5)
    with pytest.raises(ValueError, match="points"):
        claims.get("E15").check(config, "numpy", 0, points=0)
    with pytest.raises(ValueError, match="kind"):
        claims.get("E15").check(config, "numpy", 0, kind="edge")
    assert math.isfinite(claims.get("E15").check(config, "numpy", 0).ratio)
