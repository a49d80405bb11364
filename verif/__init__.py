"""verif: property-based checks of gradient descent for diagonal RNNs.

Data flow: :class:`RNNConfig` -> :func:`symmetric_init` -> :func:`backend` -> claims -> front ends.
Section names (``THEORY 4``, ``B6``, ``E7``) refer to ``docs/theory.md``.
"""

from verif import activations, bounds, data, ntk
from verif.backends import Backend, backend
from verif.config import RNNConfig
from verif.params import Params, symmetric_init
from verif.projection import in_omega, project
from verif.train import Trajectory, train

__all__ = [
    "Backend",
    "Params",
    "RNNConfig",
    "Trajectory",
    "activations",
    "backend",
    "bounds",
    "data",
    "in_omega",
    "ntk",
    "project",
    "symmetric_init",
    "train",
]

__version__ = "0.1.0"
