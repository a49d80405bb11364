"""Backends: one small protocol, a registry by name.

``numpy`` is the reference recursion; ``jax`` uses ``lax.scan`` and autodiff. They are each
other's oracle. The JAX module is imported only when asked for, so ``numpy`` works without JAX.

A backend from outside the package is named ``"mypkg.module:MyBackend"`` (a class is
instantiated without arguments) or by an entry point of the ``verif.backends`` group; it is
checked against the protocol, shapes included, before first use (:mod:`verif.backends.external`).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, runtime_checkable

from verif.backends import external
from verif.backends.external import BackendError
from verif.params import FloatArray, Params

__all__ = ["Backend", "BackendError", "backend", "names"]


@runtime_checkable
class Backend(Protocol):
    """What every backend computes (THEORY sections 1, 5, 6).

    Results are NumPy arrays, except that the JAX backend given device-resident input
    (``Params`` holding ``jax.Array``s and a ``jax.Array`` ``X``) returns ``jax.Array``s.
    """

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
    """Names of the built-in backends and of those registered by entry points."""
    return list(_MODULES) + sorted(set(external.entry_points()) - set(_MODULES))


def backend(name: str | Backend = "numpy") -> Backend:
    """The backend called ``name``: built-in, ``"module:Name"`` or an entry point.

    A :class:`Backend` instance passes through. A backend from outside the package is loaded,
    instantiated and checked against the protocol (:func:`verif.backends.external.check`) once.

    Raises:
        ValueError: unknown name (the message lists the known ones), or
            :class:`BackendError` (a ``ValueError``) when an outside backend cannot be loaded
            or does not satisfy the protocol (the message names what is missing or misshapen).
        TypeError: ``name`` is neither a string nor an object with the protocol's methods.
    """
    if not isinstance(name, str):
        if isinstance(name, Backend):
            return name
        missing = [m for m in external.METHODS if not callable(getattr(name, m, None))]
        raise TypeError(
            f"backend must be a name in {names()}, 'module:Name' or a Backend, got {name!r}"
            + (f" (missing methods: {', '.join(missing)})" if missing else " (no 'name' attribute)")
        )
    if name not in _INSTANCES:
        if name in _MODULES:
            module_name, cls_name = _MODULES[name]
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ValueError(f"backend {name!r} is not available: {exc}") from exc
            _INSTANCES[name] = getattr(module, cls_name)()
        elif ":" in name or name in external.entry_points():
            _INSTANCES[name] = external.load(name)
        else:
            raise ValueError(
                f"backend must be one of {names()}, got {name!r} "
                "(or 'package.module:Name' for one of another package)"
            )
    return _INSTANCES[name]
