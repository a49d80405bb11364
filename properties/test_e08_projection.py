"""E8 (THEORY 5): PGD iterates stay in ``Omega`` (1e-12), and the projection is idempotent,
non-expansive and equal to an independent per-neuron reference projection.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import configs, inputs, seeds
from verif import claims
from verif.config import RNNConfig


@st.composite
def cases(draw: st.DrawFn) -> tuple[RNNConfig, Any]:
    config = draw(configs(dtype=draw(st.sampled_from(("float64", "float32")))))
    return config, draw(inputs(config))


@given(case=cases(), seed=seeds)
def test_e08_projection(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    res = claims.get("E8").check(config, backend_name, seed, X=X)
    assert res.passed, res.describe()
