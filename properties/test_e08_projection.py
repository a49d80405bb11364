"""E8 (THEORY 5): PGD iterates stay in ``Omega`` (1e-12), and the projection is idempotent,
non-expansive and equal to an independent per-neuron reference projection.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(dtypes=("float64", "float32")), seed=seeds)
def test_e08_projection(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    assert_claim("E8", config, backend_name, seed, X=X)
