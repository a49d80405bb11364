"""E9 (THEORY 7): ``Theta_bar`` lies in ``Omega`` (radii raised to ``nu`` where ``rho < nu``),
``||Theta_bar - Theta_0||^2 = (1/m) sum_i (v_w^2 + ||v_u||^2) <= nu_w^2 + nu_u^2`` and
``F_lin(Theta_bar)`` equals the feature average (1e-12).
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
def test_e09_comparator(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    res = claims.get("E9").check(config, backend_name, seed, X=X)
    assert res.passed, res.describe()
