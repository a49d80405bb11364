"""The ``hypothesis`` entry point: ``st.from_type(verif.RNNConfig)`` draws :func:`configs`.

Hypothesis calls :func:`_hypothesis_setup_hook` while it is itself being imported, possibly in
the middle of importing :mod:`verif.testing` (which imports Hypothesis): so this module imports
nothing from the package at its top, and the strategy is built only when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from verif.config import RNNConfig


def _configs_for(_: type[RNNConfig]) -> SearchStrategy[RNNConfig]:
    from verif.testing.strategies import configs

    return configs()


def _hypothesis_setup_hook() -> None:
    """Register :func:`verif.testing.strategies.configs` as the strategy of :class:`RNNConfig`."""
    from hypothesis import strategies as st

    from verif.config import RNNConfig

    st.register_type_strategy(RNNConfig, _configs_for)
