"""The property suite's strategies: they live in :mod:`verif.testing.strategies` (installed, public)."""

from verif.testing.strategies import *  # noqa: F403
from verif.testing.strategies import __all__  # noqa: F401
