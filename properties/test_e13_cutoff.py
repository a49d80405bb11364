"""E13 (THEORY 4): the ``S_t`` identities and ``mu_T = S_{T-1}(a)`` on every configuration, and the
linear-regime demo ``|G_t| / eps = S_t(alpha)`` within 1% for tanh (``t <= min(T - 1, 19)``).
"""

from __future__ import annotations

import pytest
from hypothesis import given

from properties.checking import assert_claim
from properties.strategies import SEQ_LENS, configs, seeds
from verif import claims
from verif.config import RNNConfig


@given(config=configs(), seed=seeds)
def test_e13_cutoff(backend_name: str, config: RNNConfig, seed: int) -> None:
    assert_claim("E13", config, backend_name, seed)


# The demo for tanh, with sequences long enough to reach THEORY's t = 19.
@given(config=configs(activation_names=("tanh",), seq_lens=(*SEQ_LENS, 20)), seed=seeds)
def test_e13_cutoff_demo_tanh(backend_name: str, config: RNNConfig, seed: int) -> None:
    assert_claim("E13", config, backend_name, seed)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "E13 demo outside the linear regime: tanh, alpha=1.5, eps=1e-4, t<=19: eps*S_19(1.5)=0.66, "
        "tanh saturates and |G_t|/eps misses S_t(alpha) by 48% (relative 0.4835 at t=19; 1% is "
        "first exceeded at t=14); the claim therefore checks only times with eps*S_t <= 0.02"
    ),
)
def test_e13_demo_literal_at_alpha_1_5(backend_name: str) -> None:
    config = RNNConfig(width=2, input_dim=3, seq_len=20, memory_alpha=1.5, activation="tanh")
    res = claims.get("E13").check(config, backend_name, 0, linear_state=None)
    assert res.passed, res.describe()
