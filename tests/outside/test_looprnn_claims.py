"""The tests a researcher writes for their own backend, with verif's public strategies.

Written as in another package: nothing from verif but ``verif.testing`` (and Hypothesis); the
backend is named by its import path. ``st.from_type(verif.RNNConfig)`` resolves to
``verif.testing.configs()``, registered by ``import verif.testing`` (and by Hypothesis's entry
point when verif is installed).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import verif.testing
from verif.testing import assert_claim, configs_with_inputs, point_kinds, seeds

BACKEND = "looprnn:LoopRNN"
FEW = settings(max_examples=10, deadline=None, derandomize=True, database=None)


@FEW
@given(config=st.from_type(verif.RNNConfig), seed=seeds)
def test_zero_output_at_init(config: verif.RNNConfig, seed: int) -> None:
    assert_claim("E1", config, BACKEND, seed)


@FEW
@given(case=configs_with_inputs(widths=(2, 4, 16), seq_lens=(1, 4, 8)), seed=seeds, kind=point_kinds)
def test_gradients_match_numpy_and_central_differences(case: tuple[Any, Any], seed: int, kind: str) -> None:
    config, X = case
    assert_claim("E2", config, BACKEND, seed, kind=kind, X=X)


@FEW
@given(config=st.from_type(verif.RNNConfig))
def test_from_type_draws_valid_configurations(config: verif.RNNConfig) -> None:
    assert isinstance(config, verif.RNNConfig)
    assert config.replace() == config  # validated again on construction
    assert config.act.smooth and config.width % 2 == 0
