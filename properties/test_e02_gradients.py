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

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig

#: About one example in four is float32 (dtype-scaled tolerances).
DTYPES = ("float64", "float64", "float64", "float32")


@given(case=configs_with_inputs(dtypes=DTYPES), seed=seeds, kind=point_kinds)
def test_e02_gradients(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E2", config, backend_name, seed, kind=kind, X=X)
