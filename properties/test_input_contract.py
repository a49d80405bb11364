"""THEORY 8: every bound assumes ``||x_t||_2 <= 1``; a claim that evaluates one refuses inputs beyond.

B1-B9 are stated for inputs in the unit ball (the ``<u, x_t>`` term is bounded by ``||u||``); an
input beyond it can make a correct bound fail, or a wrong one pass, so every claim that
compares with a bound (the ``bound`` and ``statistical`` claims taking inputs ``X``) must refuse
it with a ``ValueError`` that names the unit ball, before measuring anything. The inputs are a
valid batch with one ``x_t`` (any sequence, any time) scaled to a norm ``1 + delta``, ``delta``
from just above the rounding slack (:data:`verif.data.UNIT_BALL_SLACK`) to far beyond; a batch
with every ``x_t`` on the sphere is accepted (the contract is ``<=``, not ``<``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from properties.strategies import configs, inputs
from verif import claims, data
from verif.config import RNNConfig

#: Claims that compare with a bound of THEORY 8 and take inputs.
BOUND_CLAIMS = [c.id for c in claims.all() if c.kind in ("bound", "statistical") and "X" in c.options]
#: Small option values that keep an accepted check quick.
QUICK = {"E10": {"draws": 2**12, "init_seeds": 2}, "E11": {"steps": 1, "draws": 2**10}}


@st.composite
def outside_the_ball(draw: st.DrawFn) -> tuple[RNNConfig, Any]:
    config = draw(configs(widths=(2, 4), input_dims=(1, 2, 3), seq_lens=(1, 2, 4), regimes=("short",)))
    X = np.array(draw(inputs(config)), dtype=np.float64)
    j = draw(st.integers(0, X.shape[0] - 1))
    t = draw(st.integers(0, X.shape[1] - 1))
    delta = draw(st.sampled_from((1e3 * data.UNIT_BALL_SLACK, 1e-6, 1e-2, 1.0, 100.0)))
    x = X[j, t]
    norm = float(np.linalg.norm(x))
    X[j, t] = (x / norm if norm > 0 else np.eye(X.shape[2])[0]) * (1.0 + delta)
    return config, X


@pytest.mark.parametrize("claim_id", BOUND_CLAIMS)
@given(case=outside_the_ball())
def test_inputs_beyond_the_unit_ball_are_refused(
    backend_name: str, claim_id: str, case: tuple[RNNConfig, Any]
) -> None:
    config, X = case
    with pytest.raises(ValueError, match=r"\|\|x_t\|\|_2 = .* > 1"):
        claims.get(claim_id).check(config, backend_name, 0, X=X, **QUICK.get(claim_id, {}))


def test_every_bound_of_theory_8_is_covered() -> None:
    assert {"E3", "E4", "E5", "E6", "E7", "E10", "E11", "E12", "E15"} <= set(BOUND_CLAIMS)


@pytest.mark.parametrize("claim_id", ["E3", "E5", "E7", "E15"])
def test_inputs_on_the_sphere_are_accepted(backend_name: str, claim_id: str) -> None:
    rng = np.random.default_rng(0)
    config = RNNConfig(width=4, input_dim=3, seq_len=3, memory_alpha=0.5)
    X = rng.standard_normal((2, 3, 3))
    X /= np.linalg.norm(X, axis=-1, keepdims=True)
    assert claims.get(claim_id).check(config, backend_name, 0, X=X).passed
