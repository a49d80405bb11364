"""E3 (THEORY 8, B2): ``|F_t - F'_t|`` and ``||H_t - H'_t||_2`` <= ``L_w,t ||w - w'|| + L_u,t ||U - U'||_F``.

Random pairs of points of ``Omega`` (interior, boundary or corner), inputs in the unit ball.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(), seed=seeds, kind=point_kinds)
def test_e03_lipschitz(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E3", config, backend_name, seed, kind=kind, X=X)
