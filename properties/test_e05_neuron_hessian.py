"""E5 (THEORY 8, B4): finite-difference ``||Hess_theta h_t||_op <= beta_t (1 + 1e-3)`` for one neuron.

The neurons are those of a point of ``Omega`` (so ``|w| <= alpha + rho_w/sqrt(m)``); the tight
case (``t = 0``, ``||x_0|| = 1``, ``z`` at the argmax of ``|sigma''|``) is a unit test in
``tests/claims/test_bound_claims_bite.py``.
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
def test_e05_neuron_hessian(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    res = claims.get("E5").check(config, backend_name, seed, kind=kind, X=X)
    hypothesis.target(min(res.ratio, TARGET_CAP), label="E5 ratio")
    assert res.passed, res.describe()
