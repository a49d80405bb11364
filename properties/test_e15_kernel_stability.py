"""E15 (THEORY 8, B9): the NTK barely moves inside ``Omega``.

``|K_Theta - K_Theta_0| <= (beta_t G_t' + G_t beta_t') sqrt(rho_w^2 + rho_u^2) / sqrt(m)``

Entrywise over every pair of rows of the Gram matrix, at points of ``Omega`` of every kind
(interior, boundary, corner), every regime, continuous radii and ``alpha``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(), seed=seeds, kind=point_kinds)
def test_e15_kernel_stability(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E15", config, backend_name, seed, kind=kind, X=X)
