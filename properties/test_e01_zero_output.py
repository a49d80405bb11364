"""E1 (THEORY 2): ``F(X; Theta_0) == 0.0`` exactly (paired sum), the plain dot product ``<= 1e-12``
and ``H_{t,i} == H_{t,i+m/2}`` bit for bit, on every configuration and input law.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(), seed=seeds)
def test_e01_zero_output(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    assert_claim("E1", config, backend_name, seed, X=X)


# float32: the same exactness (the paired sum is exact in any precision); a few examples suffice.
@settings(max_examples=6)
@given(case=configs_with_inputs(dtypes=("float32",)), seed=seeds)
def test_e01_zero_output_float32(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    assert_claim("E1", config, backend_name, seed, X=X)


# Widths that are no power of two: a partner pair then falls on both sides of the end of an
# elementwise kernel's vectorized body (torch.sigmoid computes its tail apart, in the last bit).
# Few shapes (the JAX backend compiles once for each), both dtypes and activations.
@settings(max_examples=12)
@given(
    case=configs_with_inputs(
        dtypes=("float64", "float32"), widths=(6, 14), input_dims=(3,), seq_lens=(12,), n=3
    ),
    seed=seeds,
)
def test_e01_zero_output_widths_no_power_of_two(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int
) -> None:
    config, X = case
    assert_claim("E1", config, backend_name, seed, X=X)
