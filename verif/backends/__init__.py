"""Backends: one small protocol, a registry by name.

``numpy`` is the reference recursion; ``jax`` uses ``lax.scan`` and autodiff. They are each
other's oracle. The JAX module is imported only when asked for, so ``numpy`` works without JAX.

A backend from outside the package is named ``"mypkg.module:MyBackend"`` (a class is
instantiated without arguments) or by an entry point of the ``verif.backends`` group; it is
checked against the protocol, types, shapes and dtypes included, before first use
(:mod:`verif.backends.external`); one that declares the activations or dtypes it computes is
not called outside them (:mod:`verif.backends.capabilities`).
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Protocol, runtime_checkable

from verif.backends import external
from verif.backends.external import BackendError
from verif.exit_status import EnvironmentFailure
from verif.params import FloatArray, Params

__all__ = ["Backend", "BackendError", "backend", "names"]


@runtime_checkable
class Backend(Protocol):
    """What every backend computes (THEORY sections 1, 2, 5, 6).

    A backend is an object with a ``name`` (a ``str``, used in results and tables) and the five
    methods below. ``params`` is a :class:`verif.Params`: ``w`` ``(m,)`` (the diagonal of ``W``),
    ``U`` ``(m, d)``, ``c`` ``(m,)`` (signs), ``w0``, ``U0`` (the initialization),
    ``activation`` (a name of :mod:`verif.activations`), all arrays of one dtype
    ``params.dtype`` (``float64`` or ``float32``). ``X`` is ``(n, T, d)``, ``Y`` ``(n, T)``.
    The model is THEORY 1 with ``h_{-1} = 0``: ``z_t = w * h_{t-1} + U x_t``,
    ``h_t = sigma(z_t)``, no bias and no coupling between neurons.

    Results are NumPy arrays of ``params.dtype`` (``R`` a Python or NumPy float), except that
    the JAX backend given device-resident input (``Params`` holding ``jax.Array``s and a
    ``jax.Array`` ``X``) returns ``jax.Array``s. A backend from outside the package is probed
    for exactly this before use (:func:`verif.backends.external.check`): a torch tensor, a JAX
    array, a list or a result in another dtype is refused with how to convert it.

    Optional attributes ``activations`` and ``dtypes`` (tuples of names) declare what a backend
    computes; by default everything (:mod:`verif.backends.capabilities`).
    """

    name: str

    def hidden_states(self, params: Params, X: Any) -> FloatArray:
        """``H``, shape ``(n, T, m)``: ``H[j, t, i] = h_{t,i}(X^(j))``.

        At the symmetric initialization partner neurons must be bit-identical,
        ``H[..., i] == H[..., i + m/2]`` (THEORY 2, E1): compute every neuron with the same
        operations.
        """
        ...

    def outputs(self, params: Params, X: Any) -> FloatArray:
        """``F_t(X) = (1/sqrt(m)) sum_i c_i H_{t,i}``, shape ``(n, T)``.

        The partner pairs ``(i, i + m/2)`` are added first,
        ``(c[:m//2] * H[..., :m//2] + c[m//2:] * H[..., m//2:]).sum(-1) / sqrt(m)``
        (:func:`verif.backends.common.readout`), so that ``F(Theta_0)`` is exactly ``0.0``
        (THEORY 2, E1); a plain ``H @ c`` leaves rounding and fails E1.
        """
        ...

    def tangent_features(self, params: Params, X: Any) -> tuple[FloatArray, FloatArray]:
        """``(g, G)``: ``g = dh_{t,i}/dw_i``, ``(n, T, m)``, and ``G = dh_{t,i}/du_i``, ``(n, T, m, d)``.

        Each neuron's derivatives with respect to its own parameters (THEORY 6).
        """
        ...

    def risk(self, params: Params, X: Any, Y: Any) -> float:
        """``R(Theta) = (1/(2 n T)) sum_{j,t} (F_t(X^(j)) - y^(j)_t)^2`` (THEORY 5), a ``float``."""
        ...

    def risk_and_grad(self, params: Params, X: Any, Y: Any) -> tuple[float, tuple[FloatArray, FloatArray]]:
        """``(R, (dR/dw, dR/dU))``: a ``float``, then arrays ``(m,)`` and ``(m, d)`` (THEORY 5)."""
        ...


_MODULES = {
    "numpy": ("verif.backends.numpy_backend", "NumpyBackend"),
    "jax": ("verif.backends.jax_backend", "JaxBackend"),
}
_INSTANCES: dict[str, Backend] = {}


def _require_jax_platform(jax: Any) -> None:
    """An :class:`~verif.exit_status.EnvironmentFailure` unless JAX can start a platform (an
    unknown or absent one in ``JAX_PLATFORMS``, e.g. ``cuda`` without a GPU, fails on first use)."""
    try:
        jax.devices()
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        platforms = os.environ.get("JAX_PLATFORMS", "")
        raise EnvironmentFailure(
            f"backend 'jax' cannot start a JAX platform (JAX_PLATFORMS={platforms!r}): {reason}"
        ) from None


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
        EnvironmentFailure: ``"jax"``, and JAX cannot start a platform (exit status 3); a
            ``ValueError`` names ``VERIF_BLOCK_BYTES``/``VERIF_PARALLEL_BLOCKS`` when one is bad.
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
            if name == "jax":
                _require_jax_platform(module.jax)
                module.tuning.choose("float64")  # a bad VERIF_BLOCK_BYTES is refused now, by name
            _INSTANCES[name] = getattr(module, cls_name)()
        elif ":" in name or name in external.entry_points():
            _INSTANCES[name] = external.load(name)
        else:
            raise ValueError(
                f"backend must be one of {names()}, got {name!r} "
                "(or 'package.module:Name' for one of another package)"
            )
    return _INSTANCES[name]
