"""E1 (THEORY 2): ``F(X; Theta_0) == 0.0`` exactly (paired sum), the plain dot product ``<= 1e-12``
and ``H_{t,i} == H_{t,i+m/2}`` bit for bit, on every configuration and input law.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from properties.strategies import configs, inputs, seeds
from verif import claims
from verif.config import RNNConfig


@st.composite
def cases(draw: st.DrawFn, dtype: str = "float64") -> tuple[RNNConfig, Any]:
    config = draw(configs(dtype=dtype))
    return config, draw(inputs(config))


@given(case=cases(), seed=seeds)
def test_e01_zero_output(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    res = claims.get("E1").check(config, backend_name, seed, X=X)
    assert res.passed, res.describe()


# float32: the same exactness (the paired sum is exact in any precision); a few examples suffice.
@settings(max_examples=6)
@given(case=cases(dtype="float32"), seed=seeds)
def test_e01_zero_output_float32(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    res = claims.get("E1").check(config, backend_name, seed, X=X)
    assert res.passed, res.describe()
