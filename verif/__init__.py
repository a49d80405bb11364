"""verif: property-based checks of gradient descent for diagonal RNNs.

Data flow: :class:`RNNConfig` -> :func:`symmetric_init` -> :func:`backend` -> claims -> front ends.
Section names (``THEORY 4``, ``B6``, ``E7``) refer to ``docs/theory.md``.

The public names are imported on first use (module ``__getattr__``), so that importing the
package is cheap: ``python -m verif`` installs its SIGINT/SIGTERM handlers (:mod:`verif.__main__`)
before NumPy, JAX and the command's modules are imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verif import activations, bounds, data, ntk
    from verif.backends import Backend, backend
    from verif.config import RNNConfig
    from verif.params import Params, symmetric_init
    from verif.projection import in_omega, project
    from verif.train import Trajectory, train

#: Each public name and the module it comes from (a submodule is its own entry).
_HOMES = {
    "Backend": "verif.backends",
    "Params": "verif.params",
    "RNNConfig": "verif.config",
    "Trajectory": "verif.train",
    "activations": "verif.activations",
    "backend": "verif.backends",
    "bounds": "verif.bounds",
    "data": "verif.data",
    "in_omega": "verif.projection",
    "ntk": "verif.ntk",
    "project": "verif.projection",
    "symmetric_init": "verif.params",
    "train": "verif.train",
}

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


#: Public functions named like their own submodule (``verif.train`` the function, in
#: ``verif/train.py``): the import system's binding of the submodule never hides them.
_SHADOWED = frozenset({"train"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return  # the submodule being loaded: ``__getattr__`` gives the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # A submodule (``verif.backends``, ``verif.config``), as the eager imports of the public
        # names made available before.
        if not name.startswith("_") and importlib.util.find_spec(f"verif.{name}") is not None:
            return importlib.import_module(f"verif.{name}")
        raise AttributeError(f"module 'verif' has no attribute {name!r}")
    module = importlib.import_module(home)
    value = module if home == f"verif.{name}" and name not in _SHADOWED else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
