"""E5 (THEORY 8, B4): finite-difference ``||Hess_theta h_t||_op <= beta_t (1 + 1e-3)`` for one neuron.

The neurons are those of a point of ``Omega`` (so ``|w| <= alpha + rho_w/sqrt(m)``); the tight
case (``t = 0``, ``||x_0|| = 1``, ``z`` at the argmax of ``|sigma''|``) is a unit test in
``tests/claims/test_bound_claims_bite.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(), seed=seeds, kind=point_kinds)
def test_e05_neuron_hessian(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E5", config, backend_name, seed, kind=kind, X=X)
