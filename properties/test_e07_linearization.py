"""E7 (THEORY 8, B6): ``|F_t - F_lin_t| <= beta_t (rho_w^2 + rho_u^2) / (2 sqrt(m))`` in ``Omega``,
and ``sqrt(m) * error`` (seed-averaged) does not grow over the widths 16, 64, 256.

The width trend is asserted below the cutoff and at it. Beyond the cutoff (long memory) the
seed average fails: a few seeds put a neuron near the threshold where ``h -> sigma(w h + .)``
becomes bistable, the perturbation flips its attractor and that seed's error is tens of times
the median, so an average over tens of seeds can rise several-fold from one width to the next.
``test_e07_trend_long_memory`` keeps such an example visible (strict xfail).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from properties.checking import assert_claim
from properties.strategies import configs_with_inputs, point_kinds, seeds
from verif import claims
from verif.config import RNNConfig

#: Short memory or cutoff; 3 sequences, d = 2, T in {4, 12} (each shape compiled at 3 widths).
TREND_CASES = configs_with_inputs(
    n=3, widths=(16,), input_dims=(2,), seq_lens=(4, 12), regimes=("short", "cutoff")
)


@given(case=configs_with_inputs(), seed=seeds, kind=point_kinds)
def test_e07_linearization_bound(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str
) -> None:
    config, X = case
    assert_claim("E7", config, backend_name, seed, kind=kind, X=X)


# Each example runs 3 widths x TREND_TRIALS seeds: half the profile's examples keep it within budget.
@settings(max_examples=max(1, settings.default.max_examples // 2))
@given(case=TREND_CASES, seed=seeds, kind=point_kinds)
def test_e07_sqrt_m_error_does_not_grow(
    backend_name: str, case: tuple[RNNConfig, Any], seed: int, kind: str
) -> None:
    config, X = case
    assert_claim("E7", config, backend_name, seed, label="trend ratio", kind=kind, X=X, mode="trend")


LONG_MEMORY = RNNConfig(
    width=16,
    input_dim=2,
    seq_len=12,
    memory_alpha=1.5,
    activation="tanh",
    rho_w=0.0,
    rho_u=0.25,
    nu_w=0.0,
    nu_u=0.0,
)


@pytest.mark.xfail(
    strict=True,
    reason=(
        "E7 trend violated in long memory: config=RNNConfig(width=16, input_dim=2, seq_len=12, "
        "memory_alpha=1.5, activation='tanh', rho_w=0.0, rho_u=0.25), seed=18, kind='interior', "
        "ratio=3.20 (48-seed mean of sqrt(m) * error 0.0120, 0.0481, 0.0194 at m = 16, 64, 256); "
        "with 2000 seeds the mean is 0.0344, 0.0311, 0.0264"
    ),
)
def test_e07_trend_long_memory(backend_name: str) -> None:
    res = claims.get("E7").check(LONG_MEMORY, backend_name, 18, kind="interior", mode="trend")
    assert res.passed, res.describe()
