"""Activations and their constants (THEORY section 3), checked by dense sampling."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from tests.conftest import SMOOTH_ACTIVATIONS, rel_fro
from verif import activations
from verif.backends import jax_backend

# Dense grid: spacing 1e-4 on [-40, 40]. The maxima of |sigma'| and |sigma''| are smooth
# interior extrema, so the grid misses each by O(spacing^2) ~ 1e-8 relative; sup|sigma| = 1 is
# approached at |z| = 40 to within 2e^-80 (tanh) or e^-40 (sigmoid).
GRID = np.linspace(-40.0, 40.0, 800_001)

EXPECTED = {
    "tanh": (1.0, 1.0, 4.0 / (3.0 * math.sqrt(3.0)), 1.0),
    "sigmoid": (1.0, 0.25, 1.0 / (6.0 * math.sqrt(3.0)), 4.0),
}


@pytest.mark.parametrize("name", SMOOTH_ACTIVATIONS)
def test_constants_match_table(name: str) -> None:
    act = activations.get(name)
    s0, s1, s2, cut = EXPECTED[name]
    assert act.smooth
    assert act.require_smooth() == pytest.approx((s0, s1, s2), rel=1e-15)
    assert act.cutoff == pytest.approx(cut, rel=1e-15)
    assert act.sigma_2 == pytest.approx({"tanh": 0.769800, "sigmoid": 0.096225}[name], abs=1e-6)


@pytest.mark.parametrize("name", SMOOTH_ACTIVATIONS)
def test_constants_equal_sampled_suprema(name: str) -> None:
    act = activations.get(name)
    s0, s1, s2 = act.require_smooth()
    sampled = [np.max(np.abs(f(GRID, np))) for f in (act.fn, act.d1, act.d2)]
    for value, const in zip(sampled, (s0, s1, s2), strict=True):
        assert value == pytest.approx(const, rel=1e-6)
        # never exceeded (rounding of one ulp allowed)
        assert value <= const * (1.0 + 1e-14)


@pytest.mark.parametrize("name", SMOOTH_ACTIVATIONS)
def test_derivatives_equal_finite_differences(name: str) -> None:
    act = activations.get(name)
    z = np.linspace(-8.0, 8.0, 4001)
    h = 1e-5
    # Central differences: truncation O(h^2 sup|sigma'''|) ~ 1e-10 plus rounding O(eps/h) ~ 1e-11,
    # so 1e-8 absolute separates a correct derivative from a wrong one by orders of magnitude.
    fd1 = (act.fn(z + h, np) - act.fn(z - h, np)) / (2 * h)
    fd2 = (act.d1(z + h, np) - act.d1(z - h, np)) / (2 * h)
    np.testing.assert_allclose(act.d1(z, np), fd1, rtol=0, atol=1e-8)
    np.testing.assert_allclose(act.d2(z, np), fd2, rtol=0, atol=1e-8)
    # sigma'' also as the second difference of sigma itself: step 1e-4 gives truncation
    # O(h^2) ~ 1e-8 and rounding O(eps/h^2) ~ 1e-8, hence 1e-6
    k = 1e-4
    fd2_fn = (act.fn(z + k, np) - 2 * act.fn(z, np) + act.fn(z - k, np)) / k**2
    np.testing.assert_allclose(act.d2(z, np), fd2_fn, rtol=0, atol=1e-6)


def test_functions_match_independent_formulas() -> None:
    z = np.linspace(-30.0, 30.0, 2001)
    np.testing.assert_allclose(activations.tanh.fn(z, np), np.tanh(z), rtol=1e-15, atol=0)
    logistic = 1.0 / (1.0 + np.exp(-z))
    # 0.5 (1 + tanh(z/2)) is accurate in absolute terms (a few 1e-17) but not relatively in
    # the far left tail, where 1 + tanh cancels: compare with an absolute floor of 1e-16.
    np.testing.assert_allclose(activations.sigmoid.fn(z, np), logistic, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(
        activations.sigmoid.d1(z, np), np.exp(-z) / (1.0 + np.exp(-z)) ** 2, rtol=1e-9, atol=1e-16
    )
    # 1 - tanh^2 cancels in the tails as well (exactly 0 beyond |z| ~ 19): absolute floor again
    np.testing.assert_allclose(activations.tanh.d1(z, np), 1.0 / np.cosh(z) ** 2, rtol=1e-9, atol=1e-15)


def test_sigmoid_does_not_overflow() -> None:
    z = np.array([-1000.0, -710.0, 0.0, 710.0, 1000.0])
    s = activations.sigmoid.fn(z, np)
    assert np.all(np.isfinite(s))
    np.testing.assert_array_equal(s, [0.0, 0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("name", [*SMOOTH_ACTIVATIONS, "relu"])
def test_numpy_and_jax_namespaces_agree(name: str) -> None:
    act = activations.get(name)
    z = np.linspace(-5.0, 5.0, 101)
    with jax_backend.enable_x64():
        assert jnp.asarray(z).dtype == np.float64
        for f in (act.fn, act.d1, act.d2):
            assert rel_fro(np.asarray(f(jnp.asarray(z), jnp)), f(z, np)) <= 1e-14
        assert act.d1_from_output is not None
        h = act.fn(z, np)
        assert rel_fro(np.asarray(act.d1_from_output(jnp.asarray(h), jnp)), act.d1(z, np)) <= 1e-14


@pytest.mark.parametrize("name", [*SMOOTH_ACTIVATIONS, "relu"])
def test_derivative_from_output(name: str) -> None:
    # sigma'(z) recomputed from h = sigma(z), what the reverse pass of the JAX backend uses
    act = activations.get(name)
    assert act.d1_from_output is not None
    z = np.concatenate([np.linspace(-8.0, 8.0, 161), [-0.0, 1e-300, -1e-300]])
    np.testing.assert_allclose(act.d1_from_output(act.fn(z, np), np), act.d1(z, np), rtol=1e-12, atol=1e-15)


def test_relu_is_outside_the_theory() -> None:
    relu = activations.get("relu")
    assert relu.smooth is False
    with pytest.raises(ValueError, match="relu") as info:
        relu.require_smooth()
    assert "sigmoid" in str(info.value) and "tanh" in str(info.value)
    with pytest.raises(ValueError, match="relu"):
        _ = relu.cutoff
    z = np.array([-2.0, -0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu.fn(z, np), [0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(relu.d1(z, np), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(relu.d2(z, np), [0.0, 0.0, 0.0, 0.0])


def test_registry() -> None:
    assert {"relu", "sigmoid", "tanh"} <= set(activations.names())
    assert {"sigmoid", "tanh"} <= set(activations.smooth_names())
    assert "relu" not in activations.smooth_names()
    assert activations.names() == sorted(activations.names())
    assert activations.get("tanh") is activations.tanh
    assert activations.get(activations.sigmoid) is activations.sigmoid
    with pytest.raises(ValueError, match="activation must be one of"):
        activations.get("softplus")
