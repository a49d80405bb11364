"""E16 and E17 (B10) can fail: a halved GD drift bound, a broken gradient, a wrong power of eps.

Each claim first holds where its ratio is large (E16) or where the fit is exact (E17), then a
deliberately wrong bound, backend or requirement must make it report ``passed=False``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.claims.test_e11_e12_e16_training_problem import TINY, TINY_X
from verif import claims, gd_bounds
from verif.backends import backend as get_backend
from verif.config import RNNConfig
from verif.params import FloatArray, Params

#: T = 1: ``||G_0|| = sigma'(z_0) ||x_0||`` nearly reaches ``L_u,0 = sigma_1`` for a neuron with
#: ``z_0`` near 0, and the residuals keep their sign: the ``u`` drift bound is nearly attained.
E16_CASE = RNNConfig(
    width=16, input_dim=1, seq_len=1, memory_alpha=0.5, rho_w=0.5, rho_u=0.5, nu_w=0.5, nu_u=1.0
)


class DoubledGradient:
    """A backend whose risk gradient is twice the true one (GD then runs with the step ``2 eta``)."""

    def __init__(self, name: str) -> None:
        self.inner = get_backend(name)
        self.name = f"{name}-doubled-gradient"

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        value, (dw, dU) = self.inner.risk_and_grad(params, X, Y)
        return value, (2.0 * dw, 2.0 * dU)


def test_e16_holds_then_bites_on_halved_drift_bound(
    backend_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = claims.get("E16").check(E16_CASE, backend_name, 0)
    assert res.passed and res.details["ratio_drift_u"] > 0.6, res.describe()
    original = gd_bounds.drift_bounds
    monkeypatch.setattr(gd_bounds, "drift_bounds", lambda *a: tuple(0.5 * b for b in original(*a)))
    bad = claims.get("E16").check(E16_CASE, backend_name, 0)
    assert not bad.passed and bad.details["worst_part"] == "drift_u", bad.describe()


def test_e16_bites_on_a_wrong_gradient() -> None:
    bad = claims.get("E16").check(E16_CASE, DoubledGradient("numpy"), 0)
    assert not bad.passed, bad.describe()


def test_e16_does_not_call_rounding_a_violation() -> None:
    """A target of order 1e-16: the updates fall below the unit roundoff and the iterates do not move.

    The exact recursion would move; the computed one cannot. Without the rounding allowance the
    average risk was 2.36 times B8's right side here (found by the thorough profile).
    """
    res = claims.get("E16").check(TINY, "numpy", 0, X=TINY_X, step_scale=0.1)
    assert res.details["risk_final"] == res.details["risk_init"], res.describe()  # frozen by rounding
    assert res.passed, res.describe()
    # At the scale of an ordinary run the allowance is negligible against the bound.
    ok = claims.get("E16").check(E16_CASE, "numpy", 0)
    rhs = ok.details["average_risk"] / ok.details["ratio_inequality"]
    assert ok.details["rounding_inequality"] < 1e-12 * rhs, ok.describe()


def test_e16_refuses_unknown_options_and_no_steps() -> None:
    with pytest.raises(ValueError, match="E16 has no option 'kind'"):
        claims.get("E16").check(E16_CASE, "numpy", 0, kind="corner")
    with pytest.raises(ValueError, match="steps"):
        claims.get("E16").check(E16_CASE, "numpy", 0, steps=0)


E17_CASES = [
    RNNConfig(width=16, input_dim=2, seq_len=8, memory_alpha=alpha, rho_w=0.25, rho_u=0.5, nu_w=0.5, nu_u=1.0)
    for alpha in (0.5, 1.0, 1.5)
]


@pytest.mark.parametrize("config", E17_CASES, ids=["short", "cutoff", "long"])
def test_e17_holds_with_the_derived_exponents(config: RNNConfig) -> None:
    res = claims.get("E17").check(config, "numpy", 0)
    assert res.passed and res.details["leading_regime_found"], res.describe()
    assert abs(res.details["width_exponent_fitted"] - 1.0) < 1e-5, res.describe()
    assert abs(res.details["iteration_exponent_fitted"] + 1.0) < 1e-5, res.describe()


@pytest.mark.parametrize("config", E17_CASES, ids=["short", "cutoff", "long"])
def test_e17_bites_on_a_drift_term_with_the_wrong_power(
    config: RNNConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GD's radius growing like ``eps^-3/4`` instead of ``eps^-1/2``: the width ratio goes like ``eps^-2``."""
    original = gd_bounds._radius_map

    def broken(
        cfg: RNNConfig, eps: float, rho_w: float, *args: Any
    ) -> tuple[float, float, int, float, float]:
        w, u, tau, eta, r = original(cfg, eps, rho_w, *args)
        return w * eps**-0.25, u * eps**-0.25, tau, eta, r

    monkeypatch.setattr(gd_bounds, "_radius_map", broken)
    res = claims.get("E17").check(config, "numpy", 0)
    assert not res.passed, res.describe()
    assert abs(res.details["width_exponent_fitted"] - 2.0) < 1e-3, res.describe()


def test_e17_bites_on_a_wrong_constant(monkeypatch: pytest.MonkeyPatch) -> None:
    """B10's step ``1/(4 G^2)`` taken as ``1/(2 G^2)``: the exponents hold, the constants do not."""
    monkeypatch.setattr(gd_bounds, "STEP_FACTOR", 0.5)
    res = claims.get("E17").check(E17_CASES[0], "numpy", 0)
    assert not res.passed and res.details["worst_part"] == "iteration_constant", res.describe()
    assert res.details["ratio_width"] < 1 and res.details["ratio_iterations"] < 1, res.describe()


def test_e17_refuses_a_zero_target_and_bad_options() -> None:
    with pytest.raises(ValueError, match="nu_w"):
        claims.get("E17").check(E17_CASES[0].replace(nu_w=0.0, nu_u=0.0), "numpy", 0)
    with pytest.raises(ValueError, match="points"):
        claims.get("E17").check(E17_CASES[0], "numpy", 0, points=2)
    with pytest.raises(ValueError, match="decades"):
        claims.get("E17").check(E17_CASES[0], "numpy", 0, decades=0.5)
    with pytest.raises(ValueError, match="E17 has no option 'X'"):
        claims.get("E17").check(E17_CASES[0], "numpy", 0, X=np.zeros((1, 8, 2)))
