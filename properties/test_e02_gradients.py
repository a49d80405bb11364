"""E2 (THEORY 6): tangent features and ``grad R`` agree across backends (NumPy recursions and BPTT
against JAX autodiff, relative Frobenius ``<= 1e-12`` in float64) and with central differences.

Every drawn configuration is checked on both backends (differential testing): the claim runs the
other backend as the oracle, and the ``backend_name`` fixture swaps their roles. About one
example in four is float32 (dtype-scaled tolerances, ``4 sqrt(eps32)``); float32 and float64
share the property so that the JAX compilations stay within the time budget.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import configs, inputs, point_kinds, seeds
from verif import claims
from verif.config import RNNConfig

DTYPES = ("float64", "float64", "float64", "float32")


@st.composite
def cases(draw: st.DrawFn) -> tuple[RNNConfig, Any]:
    config = draw(configs(dtype=draw(st.sampled_from(DTYPES))))
    return config, draw(inputs(config))


@given(case=cases(), seed=seeds, kind=point_kinds)
def test_e02_gradients(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    res = claims.get("E2").check(config, backend_name, seed, kind=kind, X=X)
    assert res.passed, res.describe()
