"""E14 (THEORY 6): ``ntk.gram`` == ``J J^T`` and ``F_lin`` == the directional derivative of ``F``.

``J`` is the generic ``jax.jacrev`` Jacobian of the outputs (with their ``1/sqrt(m)``), written
from THEORY 1 alone; the Gram matrix comes from each backend's tangent features. Small shapes:
``J`` has ``m (1 + d)`` columns, and every shape compiles the reference once (8 shapes).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif.config import RNNConfig

#: Shapes small enough for the generic Jacobian (few compiles of the reference).
E14_CASES = configs_with_inputs(widths=(2, 8), input_dims=(1, 3), seq_lens=(1, 5), n=2)


@given(case=E14_CASES, seed=seeds, kind=point_kinds)
def test_e14_ntk_is_autodiff(backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E14", config, backend_name, seed, kind=kind, X=X)
