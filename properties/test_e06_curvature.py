"""E6 (THEORY 8, B5): ``||Hess_Theta F_t||_op <= beta_t / sqrt(m)`` for the whole network.

The claim forms the full finite-difference Hessian in all ``m (1 + d)`` coordinates (it would
see coupling between neurons), so this property keeps ``m <= 64``, ``d <= 3`` and ``n <= 3``
sequences: ``2 m (1 + d)`` backend calls and ``n T`` eigenvalue problems of size
``m (1 + d) <= 256`` per example.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig

#: Widths and input dimensions of the strategy sets that keep the full Hessian small.
E6_WIDTHS = (2, 4, 8, 16, 64)
E6_INPUT_DIMS = (1, 2, 3)


@given(
    case=configs_with_inputs(n_choices=(1, 3), widths=E6_WIDTHS, input_dims=E6_INPUT_DIMS),
    seed=seeds,
    kind=point_kinds,
)
def test_e06_curvature(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E6", config, backend_name, seed, kind=kind, X=X)
