"""E6 (THEORY 8, B5): ``||Hess_Theta F_t||_op <= beta_t / sqrt(m)`` for the whole network.

The claim forms the full finite-difference Hessian in all ``m (1 + d)`` coordinates (it would
see coupling between neurons), so this property keeps ``m <= 64``, ``d <= 3`` and ``n <= 3``
sequences: ``2 m (1 + d)`` backend calls and ``n T`` eigenvalue problems of size
``m (1 + d) <= 256`` per example.
"""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import configs, inputs, point_kinds, seeds
from verif import claims
from verif.config import RNNConfig

#: Ratios above this are reported to Hypothesis as this value (``target`` needs a finite number).
TARGET_CAP = 1e6
#: Widths and input dimensions of the strategy sets that keep the full Hessian small.
E6_WIDTHS = (2, 4, 8, 16, 64)
E6_INPUT_DIMS = (1, 2, 3)


@st.composite
def cases(draw: st.DrawFn) -> tuple[RNNConfig, Any]:
    config = draw(configs(widths=E6_WIDTHS, input_dims=E6_INPUT_DIMS))
    return config, draw(inputs(config, n=draw(st.sampled_from((1, 3)))))


@given(case=cases(), seed=seeds, kind=point_kinds)
def test_e06_curvature(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    res = claims.get("E6").check(config, backend_name, seed, kind=kind, X=X)
    hypothesis.target(min(res.ratio, TARGET_CAP), label="E6 ratio")
    assert res.passed, res.describe()
