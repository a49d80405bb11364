"""Activations and their constants (THEORY section 3).

Each activation carries ``sigma_0 = sup|sigma|``, ``sigma_1 = sup|sigma'|`` (the Lipschitz
constant) and ``sigma_2 = sup|sigma''|``. The functions take an array namespace ``xp``
(``numpy`` or ``jax.numpy``) so that one definition serves both backends.

ReLU is neither C^2 nor bounded: it is kept for exhibit X3 ("outside the theory") and every
bound refuses it through :meth:`Activation.require_smooth`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Array = Any
ElementwiseFn = Callable[[Array, Any], Array]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``sigma`` with its first two derivatives.

    Attributes:
        name: registry name.
        fn: ``sigma(z, xp)``.
        d1: ``sigma'(z, xp)``.
        d2: ``sigma''(z, xp)``.
        sigma_0: ``sup|sigma|`` (None when unbounded).
        sigma_1: ``sup|sigma'|`` (None when not Lipschitz-smooth in the theory's sense).
        sigma_2: ``sup|sigma''|`` (None when not C^2).
        d1_from_output: ``sigma'(z)`` written as a function of ``h = sigma(z)`` (tanh:
            ``1 - h^2``, sigmoid: ``h(1 - h)``), so that a reverse pass can recompute
            ``sigma'`` from the stored hidden states; None when ``sigma'`` is not a function
            of ``sigma`` alone (a backend then falls back to autodiff).
    """

    name: str
    fn: ElementwiseFn
    d1: ElementwiseFn
    d2: ElementwiseFn
    sigma_0: float | None
    sigma_1: float | None
    sigma_2: float | None
    d1_from_output: ElementwiseFn | None = None

    @property
    def smooth(self) -> bool:
        """True when the activation is C^2 and bounded, so that THEORY 8 applies."""
        return None not in (self.sigma_0, self.sigma_1, self.sigma_2)

    @property
    def cutoff(self) -> float:
        """The memory cutoff ``1/sigma_1`` (THEORY 4)."""
        return 1.0 / self.require_smooth()[1]

    def require_smooth(self) -> tuple[float, float, float]:
        """Return ``(sigma_0, sigma_1, sigma_2)`` or refuse an activation outside the theory."""
        if self.sigma_0 is None or self.sigma_1 is None or self.sigma_2 is None:
            raise ValueError(
                f"activation {self.name!r} is outside the theory (not C^2 and bounded): "
                f"the bounds of THEORY section 8 need one of {sorted(smooth_names())}"
            )
        return self.sigma_0, self.sigma_1, self.sigma_2


def _tanh(z: Array, xp: Any) -> Array:
    return xp.tanh(z)


def _tanh_d1(z: Array, xp: Any) -> Array:
    t = xp.tanh(z)
    return 1.0 - t * t


def _tanh_d2(z: Array, xp: Any) -> Array:
    t = xp.tanh(z)
    return -2.0 * t * (1.0 - t * t)


def _tanh_d1_from_output(h: Array, xp: Any) -> Array:
    return 1.0 - h * h


def _sigmoid(z: Array, xp: Any) -> Array:
    # 0.5 (1 + tanh(z/2)) equals 1/(1+e^{-z}) and never overflows.
    return 0.5 * (1.0 + xp.tanh(0.5 * z))


def _sigmoid_d1(z: Array, xp: Any) -> Array:
    s = _sigmoid(z, xp)
    return s * (1.0 - s)


def _sigmoid_d2(z: Array, xp: Any) -> Array:
    s = _sigmoid(z, xp)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _sigmoid_d1_from_output(h: Array, xp: Any) -> Array:
    return h * (1.0 - h)


def _relu(z: Array, xp: Any) -> Array:
    return xp.maximum(z, 0.0)


def _relu_d1(z: Array, xp: Any) -> Array:
    return xp.where(z > 0, 1.0, 0.0).astype(z.dtype)


def _relu_d1_from_output(h: Array, xp: Any) -> Array:
    # h = max(z, 0) > 0 exactly when z > 0
    return xp.where(h > 0, 1.0, 0.0).astype(h.dtype)


def _relu_d2(z: Array, xp: Any) -> Array:
    return xp.zeros_like(z)


tanh = Activation(
    name="tanh",
    fn=_tanh,
    d1=_tanh_d1,
    d2=_tanh_d2,
    sigma_0=1.0,
    sigma_1=1.0,
    sigma_2=4.0 / (3.0 * math.sqrt(3.0)),
    d1_from_output=_tanh_d1_from_output,
)

sigmoid = Activation(
    name="sigmoid",
    fn=_sigmoid,
    d1=_sigmoid_d1,
    d2=_sigmoid_d2,
    sigma_0=1.0,
    sigma_1=0.25,
    sigma_2=1.0 / (6.0 * math.sqrt(3.0)),
    d1_from_output=_sigmoid_d1_from_output,
)

relu = Activation(
    name="relu",
    fn=_relu,
    d1=_relu_d1,
    d2=_relu_d2,
    sigma_0=None,
    sigma_1=None,
    sigma_2=None,
    d1_from_output=_relu_d1_from_output,
)

_REGISTRY: dict[str, Activation] = {a.name: a for a in (tanh, sigmoid, relu)}


def names() -> list[str]:
    """All registered activation names."""
    return sorted(_REGISTRY)


def smooth_names() -> list[str]:
    """Names of the activations inside the theory (C^2 and bounded)."""
    return sorted(n for n, a in _REGISTRY.items() if a.smooth)


def get(name: str | Activation) -> Activation:
    """Look an activation up by name (an :class:`Activation` passes through)."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"activation must be one of {names()}, got {name!r}")
    return _REGISTRY[name]


def register(activation: Activation) -> None:
    """Add an activation (its constants should be checked by sampling, THEORY 3)."""
    _REGISTRY[activation.name] = activation
