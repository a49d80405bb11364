"""The floating-point floors of :mod:`verif.floors`: they bound real rounding, and they are small.

Three kinds of test: (1) each floor is an upper bound of the rounding it describes, measured by
running the same computation in float32 against a float64 reference (float32's ``u`` is
``2^29`` times float64's, so the float64 result is exact at float32's scale); (2) the false
violations the floors fix (a bound that vanishes with the radii, a relative error over a
reference that cancels to 0) stay fixed on both backends; (3) the floors hide no violation: a
bound made smaller than the truth by a realistic factor still fails, at ordinary sizes and at
radii far below 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from verif import bounds, claims, floors, ntk
from verif import params as params_mod
from verif.backends import backend as get_backend
from verif.claims import base, sampling
from verif.config import RNNConfig
from verif.params import Params

U64 = 2.0**-53

# --------------------------------------------------------------------------- the model


def test_unit_roundoff_and_gamma() -> None:
    assert floors.unit_roundoff("float64") == U64
    assert floors.unit_roundoff("float32") == 2.0**-24
    assert floors.gamma(0) == 0.0
    assert floors.gamma(10) == pytest.approx(10 * U64, rel=1e-12)
    assert floors.gamma(2**24, "float32") == math.inf
    with pytest.raises(ValueError, match="k must be"):
        floors.gamma(-1)


def test_sum_floor_bounds_a_cancelling_sum() -> None:
    """``sum x_i`` that cancels to nearly 0 is within ``sum_floor(sum |x_i|)`` in float32."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.standard_normal(1000)
        x = np.concatenate([x, -x * (1 + 1e-7 * rng.standard_normal(1000))])
        exact = float(np.sum(x.astype(np.float64)))
        computed = float(np.sum(x.astype(np.float32), dtype=np.float32))
        assert abs(computed - exact) <= floors.sum_floor(np.sum(np.abs(x)), x.size, "float32")


def test_bound_floor_is_relative_and_tiny() -> None:
    b = np.array([0.0, 1.0, 1e-300])
    fl = floors.bound_floor(b, seq_len=12)
    assert fl[0] == 0.0 and 0 < fl[1] < 1e-13 and fl[2] < 1e-310


def _config(**kw: Any) -> RNNConfig:
    fields: dict[str, Any] = {
        "width": 8,
        "input_dim": 3,
        "seq_len": 12,
        "memory_alpha": 1.5,
        "activation": "tanh",
        "rho_w": 1.0,
        "rho_u": 1.0,
    }
    fields.update(kw)
    return RNNConfig(**fields)


def _as(p: Params, dtype: str) -> Params:
    cast = {k: np.asarray(getattr(p, k), dtype=dtype) for k in ("w", "U", "c", "w0", "U0")}
    return Params(**cast, activation=p.activation)


CASES = [
    _config(),
    _config(activation="sigmoid", memory_alpha=4.0 * 1.2, width=16, input_dim=1),
    _config(memory_alpha=0.5, seq_len=4, input_dim=5),
    _config(memory_alpha=1.0, rho_w=2.0, rho_u=2.0),
]


@pytest.mark.parametrize("config", CASES, ids=lambda c: f"{c.activation}-a{c.memory_alpha}-d{c.input_dim}")
@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_recurrence_floors_bound_float32_rounding(config: RNNConfig, name: str) -> None:
    """``|h32 - h64| <= E^h``, ``|g32 - g64| <= E^g``, ``||G32 - G64|| <= E^G``, ``|F32 - F64| <= f``."""
    be = get_backend(name)
    rng = np.random.default_rng(1)
    p0 = params_mod.symmetric_init(config, 3)
    X = rng.standard_normal((4, config.seq_len, config.input_dim))
    X /= np.maximum(1.0, np.linalg.norm(X, axis=-1, keepdims=True))
    for kind in sampling.POINT_KINDS:
        p64 = sampling.point_in_omega(p0, config, rng, kind)
        p32 = _as(p64, "float32")
        p64 = _as(p32, "float64")  # the same (float32-representable) point in float64
        X32 = X.astype(np.float32)
        X64 = X32.astype(np.float64)
        Eh, Eg, EG = floors.recurrence_floors(
            np.abs(p64.w),
            np.linalg.norm(p64.U, axis=1),
            config.activation,
            config.seq_len,
            config.input_dim,
            "float32",
        )
        H32 = np.asarray(be.hidden_states(p32, X32), dtype=np.float64)
        H64 = be.hidden_states(p64, X64)
        assert np.all(np.abs(H32 - H64) <= Eh), (kind, float(np.max(np.abs(H32 - H64) / Eh)))
        g32, G32 = (np.asarray(a, dtype=np.float64) for a in be.tangent_features(p32, X32))
        g64, G64 = be.tangent_features(p64, X64)
        assert np.all(np.abs(g32 - g64) <= Eg), kind
        assert np.all(np.linalg.norm(G32 - G64, axis=-1) <= EG), kind
        F32 = np.asarray(be.outputs(p32, X32), dtype=np.float64)
        assert np.all(np.abs(F32 - be.outputs(p64, X64)) <= floors.output_floor(p32, H32, "float32")), kind
        lin32 = np.asarray(ntk.linearized_outputs(p32, X32, be), dtype=np.float64)
        lin64 = ntk.linearized_outputs(p64, X64, be)
        assert np.all(np.abs(lin32 - lin64) <= floors.linearized_floor(p32, config.seq_len, "float32")), kind


def test_recurrence_floors_are_not_vacuous() -> None:
    """The floor is within a few hundred of the rounding it bounds, and ``E^g_0 = 0`` (``g_0 = 0``)."""
    config = _config(memory_alpha=0.5, seq_len=4)
    p = sampling.point_in_omega(
        params_mod.symmetric_init(config, 0), config, np.random.default_rng(0), "interior"
    )
    Eh, Eg, _ = floors.recurrence_floors(np.abs(p.w), np.linalg.norm(p.U, axis=1), "tanh", 4, 3, "float64")
    assert np.all(Eg[0] == 0.0)
    assert np.all(Eh < 500 * U64)


# --------------------------------------------------------------------------- result()


def test_result_compares_with_bound_plus_floor() -> None:
    config, be = _config(), get_backend("numpy")
    res = base.result("E7", 3e-17, 1e-33, config, 0, be, floor=1e-15)
    assert res.passed and res.ratio == pytest.approx(3e-17 / (1e-33 + 1e-15))
    assert res.details["floor"] == 1e-15
    assert not base.result("E7", 3e-15, 1e-33, config, 0, be, floor=1e-15).passed
    assert base.result("E7", 0.5, 1.0, config, 0, be).details["floor"] == 0.0
    with pytest.raises(ValueError, match="floor"):
        base.result("E7", 0.5, 1.0, config, 0, be, floor=-1.0)


# --------------------------------------------------------------------------- the false violations

E7_TINY = RNNConfig(
    width=2,
    input_dim=1,
    seq_len=1,
    memory_alpha=0.0,
    activation="sigmoid",
    rho_w=0.0,
    rho_u=2.220446049250313e-16,
    nu_w=0.0,
    nu_u=0.0,
)
E14_ZERO = RNNConfig(
    width=8,
    input_dim=1,
    seq_len=5,
    memory_alpha=4.0,
    activation="sigmoid",
    rho_w=0.0,
    rho_u=0.25,
    nu_w=0.0,
    nu_u=0.0,
)


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_e07_bound_below_rounding_is_no_violation(name: str) -> None:
    """B6 = 1.7e-33 at rho_u = 2.2e-16 against an error of 1.8e-17: within the floor."""
    res = claims.get("E7").check(E7_TINY, name, 0, kind="interior")
    assert res.passed, res.describe()
    assert res.bound < 1e-32 and 0 < res.details["floor"] < 1e-13, res.describe()


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_e14_reference_of_exact_zero_is_no_violation(name: str) -> None:
    """``F_lin = 0`` exactly (every pair moved alike): the denominator is the summation scale."""
    res = claims.get("E14").check(E14_ZERO, name, 18567, kind="boundary")
    assert res.passed, res.describe()
    assert res.details["linearized_denominator"] > 1e-3, res.describe()


@pytest.mark.parametrize("claim", ["E3", "E4", "E7", "E15"])
@pytest.mark.parametrize("rho", [0.0, 5e-324, 2.220446049250313e-16, 1e-12])
def test_bounds_that_vanish_with_the_radii(claim: str, rho: float) -> None:
    """The same pattern in every claim whose bound scales with rho (B2, B3, B6, B9)."""
    config = _config(width=4, seq_len=4, memory_alpha=1.2, rho_w=rho, rho_u=rho)
    for kind in sampling.POINT_KINDS:
        res = claims.get(claim).check(config, "numpy", 7, kind=kind)
        assert res.passed, res.describe()


@pytest.mark.parametrize("nu", [1e-300, 1e-17])
def test_tiny_targets_are_no_violation(nu: float) -> None:
    """Risks at the rounding level (nu -> 0): E9, E11, E12 compare them with their floors."""
    config = _config(width=8, seq_len=4, memory_alpha=0.5, nu_w=nu, nu_u=nu)
    assert claims.get("E9").check(config, "numpy", 1).passed
    assert claims.get("E11").check(config, "numpy", 1, steps=5).passed
    res = claims.get("E12").check(config, "numpy", 1, steps=5, widths=(8, 32), width_seeds=4)
    assert res.passed, res.describe()


# --------------------------------------------------------------------------- the floors hide nothing


@pytest.mark.parametrize("rho", [1.0, 1e-4])
def test_e07_shrunk_bound_still_fails_at_small_radii(rho: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """A B6 ten times too small fails at rho = 1 and at rho = 1e-4 (bound ~1e-9, floor ~1e-16)."""
    config = RNNConfig(
        width=2,
        input_dim=3,
        seq_len=4,
        memory_alpha=0.0,
        activation="sigmoid",
        rho_w=2.0 * rho,
        rho_u=2.0 * rho,
    )
    res = claims.get("E7").check(config, "numpy", 0, kind="boundary")
    assert res.passed and res.ratio > 0.1, res.describe()
    assert res.details["floor"] < 1e-5 * res.bound, res.describe()
    original = bounds.linearization_bound
    monkeypatch.setattr(bounds, "linearization_bound", lambda c: original(c) / 10.0)
    assert not claims.get("E7").check(config, "numpy", 0, kind="boundary").passed


@pytest.mark.parametrize("rho", [1.0, 1e-6])
def test_e03_and_e15_shrunk_bounds_still_fail(rho: float, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(width=2, input_dim=1, memory_alpha=1.5, rho_w=2.0 * rho, rho_u=2.0 * rho)
    e3 = claims.get("E3").check(config, "numpy", 1, kind="boundary")
    e15 = claims.get("E15").check(config, "numpy", 1, kind="corner")
    assert e3.passed and e15.passed
    assert e3.details["floor"] < 1e-6 * e3.bound and e15.details["floor"] < 1e-6 * e15.bound
    lip, kern = bounds.lipschitz_bound, bounds.kernel_stability_bound
    monkeypatch.setattr(bounds, "lipschitz_bound", lambda c, dw, du: lip(c, dw, du) * 0.9 * e3.ratio)
    # E15's ratio may be one of B9's terms (its parts); B9 itself is shrunk below its whole-shift ratio.
    monkeypatch.setattr(bounds, "kernel_stability_bound", lambda c: kern(c) * 0.9 * e15.details["ratio_b9"])
    assert not claims.get("E3").check(config, "numpy", 1, kind="boundary").passed
    assert not claims.get("E15").check(config, "numpy", 1, kind="corner").passed


def test_e14_still_bites_over_a_zero_reference() -> None:
    """Features 1% off are caught even where ``F_lin`` cancels to 0."""

    class Scaled:
        def __init__(self) -> None:
            self.inner = get_backend("numpy")
            self.name = "scaled"

        def __getattr__(self, attr: str) -> Any:
            return getattr(self.inner, attr)

        def tangent_features(self, p: Params, X: Any) -> Any:
            g, G = self.inner.tangent_features(p, X)
            return 1.01 * g, 1.01 * G

    res = claims.get("E14").check(E14_ZERO, Scaled(), 18567, kind="boundary")  # type: ignore[arg-type]
    assert not res.passed, res.describe()
