"""Backends: one small protocol, a registry by name.

``numpy`` is the reference recursion; ``jax`` uses ``lax.scan`` and autodiff. They are each
other's oracle. The JAX module is imported only when asked for, so ``numpy`` works without JAX.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from verif.params import FloatArray, Params

__all__ = ["Backend", "backend", "names"]


@runtime_checkable
class Backend(Protocol):
    """What every backend computes (THEORY sections 1, 5, 6); all results are NumPy arrays."""

    name: str

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        """``H``, shape ``(n, T, m)``."""
        ...

    def outputs(self, params: Params, X: Any) -> FloatArray:
        """``F_t(X)``, shape ``(n, T)``."""
        ...

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        """``g = dh/dw`` ``(n, T, m)`` and ``G = dh/du`` ``(n, T, m, d)`` per neuron."""
        ...

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        """``R(Theta)``."""
        ...

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``R(Theta)`` and ``(dR/dw, dR/dU)``."""
        ...


_MODULES = {
    "numpy": ("verif.backends.numpy_backend", "NumpyBackend"),
    "jax": ("verif.backends.jax_backend", "JaxBackend"),
}
_INSTANCES: dict[str, Backend] = {}


def names() -> list[str]:
    """Names of the registered backends."""
    return list(_MODULES)


def backend(name: str | Backend = "numpy") -> Backend:
    """The backend called ``name`` (a :class:`Backend` instance passes through).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if not isinstance(name, str):
        if isinstance(name, Backend):
            return name
        raise TypeError(f"backend must be a name in {names()} or a Backend, got {name!r}")
    if name not in _MODULES:
        raise ValueError(f"backend must be one of {names()}, got {name!r}")
    if name not in _INSTANCES:
        module_name, cls_name = _MODULES[name]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ValueError(f"backend {name!r} is not available: {exc}") from exc
        _INSTANCES[name] = getattr(module, cls_name)()
    return _INSTANCES[name]
