"""The strategies themselves: what they draw satisfies the contracts the properties rely on."""

from __future__ import annotations

import numpy as np
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from properties import strategies as S
from verif import bounds
from verif.config import RNNConfig


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_inputs_stay_in_the_unit_ball(data: st.DataObject) -> None:
    config = data.draw(S.configs())
    X = data.draw(S.inputs(config))
    assert X.shape[1:] == (config.seq_len, config.input_dim)
    assert np.all(np.linalg.norm(X, axis=-1) <= 1.0 + 1e-12)


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(config=S.configs())
def test_configs_use_the_fixed_shape_sets(config: RNNConfig) -> None:
    assert config.width in S.WIDTHS
    assert config.input_dim in S.INPUT_DIMS
    assert config.seq_len in S.SEQ_LENS


def test_every_regime_is_reachable() -> None:
    search = settings(database=None, phases=[Phase.generate])  # reached: not shrunk
    for regime in ("short memory", "cutoff", "long memory"):
        found = find(S.configs(), lambda c, r=regime: bounds.regime(c) == r, settings=search)
        assert bounds.regime(found) == regime


def test_regime_restriction_is_respected() -> None:
    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(config=S.configs(regimes=("short",)))
    def only_short(config: RNNConfig) -> None:
        assert bounds.regime(config) == "short memory"

    only_short()


@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(case=S.configs_with_inputs())
def test_default_draws_take_the_joint_shapes(case: tuple[RNNConfig, np.ndarray]) -> None:
    config, X = case
    assert S.THOROUGH or (config.width, config.input_dim, config.seq_len, len(X)) in S.SHAPES


def test_joint_shapes_hold_every_value_of_every_set() -> None:
    sets = ({m for m in S.WIDTHS if m <= 256}, S.INPUT_DIMS, S.SEQ_LENS, S.N_SEQUENCES)
    for axis, values in enumerate(sets):
        assert {shape[axis] for shape in S.SHAPES} == set(values)
    assert (min(S.WIDTHS), 1, 1, 1) in S.SHAPES


def test_bound_configs_reach_the_edges_of_the_bounds() -> None:
    """``T = 1``, ``T`` past the running sums, ``m/2`` odd, each regime, ``a = 1`` exactly, sigmoid."""
    edges = {
        "T = 1": lambda c: c.seq_len == 1,
        "T > SHORT_SUMS": lambda c: c.seq_len > bounds.SHORT_SUMS,
        "m/2 odd, m > 2": lambda c: c.width > 2 and c.half % 2 == 1,
        "short memory": lambda c: bounds.regime(c) == "short memory",
        "cutoff": lambda c: bounds.regime(c) == "cutoff",
        "long memory": lambda c: bounds.regime(c) == "long memory",
        "a = 1": lambda c: bounds.gain(c) == 1.0,
        "sigmoid, rho = 4": lambda c: c.activation == "sigmoid" and c.rho_u == 4.0,
    }
    # Reached is all this asks: the first draw on an edge, not shrunk to the simplest one.
    search = settings(database=None, max_examples=2000, phases=[Phase.generate])
    for name, edge in edges.items():
        found = find(S.bound_configs(), edge, settings=search)
        assert edge(found), name
