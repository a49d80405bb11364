"""E9 (THEORY 7): ``Theta_bar`` lies in ``Omega`` (radii raised to ``nu`` where ``rho < nu``),
``||Theta_bar - Theta_0||^2 = (1/m) sum_i (v_w^2 + ||v_u||^2) <= nu_w^2 + nu_u^2`` and
``F_lin(Theta_bar)`` equals the feature average (1e-12).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(dtypes=("float64", "float32")), seed=seeds)
def test_e09_comparator(backend_name: str, case: tuple[RNNConfig, Any], seed: int) -> None:
    config, X = case
    assert_claim("E9", config, backend_name, seed, X=X)
