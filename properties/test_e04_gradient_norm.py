"""E4 (THEORY 8, B3 with B1): ``||grad_Theta F_t||_2 <= G_t`` and ``|F_t| <= L_w,t rho_w + L_u,t rho_u``.

Points of ``Omega`` of every kind. The claim requires the bound ``G_t`` to be non-increasing in
``m`` (no factor of ``m``; see the claim's docstring); in half of the examples it also measures
the gradient at width ``4 m`` against that width's bound (the other half skip it to save a
JAX compilation per example).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig


@given(case=configs_with_inputs(), seed=seeds, kind=point_kinds, wider=st.booleans())
def test_e04_gradient_norm(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str, wider: bool
) -> None:
    config, X = case
    widths = (4 * config.width,) if wider else ()
    assert_claim("E4", config, backend_name, seed, kind=kind, X=X, widths=widths)
