"""E3 (THEORY 8, B2): ``|F_t - F'_t|`` and ``||H_t - H'_t||_2`` <= ``L_w,t ||w - w'|| + L_u,t ||U - U'||_F``.

Random pairs of points of ``Omega`` (interior, boundary or corner), inputs in the unit ball.
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


@st.composite
def cases(draw: st.DrawFn) -> tuple[RNNConfig, Any]:
    config = draw(configs())
    return config, draw(inputs(config))


@given(case=cases(), seed=seeds, kind=point_kinds)
def test_e03_lipschitz(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    res = claims.get("E3").check(config, backend_name, seed, kind=kind, X=X)
    hypothesis.target(min(res.ratio, TARGET_CAP), label="E3 ratio")
    assert res.passed, res.describe()
