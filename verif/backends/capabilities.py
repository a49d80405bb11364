"""What a backend declares it computes: its activations and dtypes, and the gate that holds it to them.

A backend may declare, as class or instance attributes::

    activations = ("tanh",)      # names of verif.activations; default: every activation
    dtypes = ("float64",)        # among verif.config.DTYPES; default: ("float64", "float32")

The probe (:mod:`verif.backends.external`) runs the backend on each declared dtype with a
declared activation, and checks that the results come back in that dtype: a backend that
declares ``float32`` and silently computes in ``float64`` is refused. A backend from outside
the package that declares less than everything is wrapped in :class:`Gated`, which refuses a
call with ``Params`` outside the declaration by raising :class:`Unsupported` (a ``ValueError``)
instead of computing something else. ``verif conform`` turns those refusals into skipped
examples and skipped tests, and lists them with their reasons in its verdict table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from verif import activations
from verif.config import DTYPES

__all__ = ["Capabilities", "Gated", "Unsupported", "declared", "on_unsupported", "refuse"]

#: The methods a gate checks (the protocol's; each takes ``params`` first).
_METHODS = ("hidden_states", "outputs", "tangent_features", "risk", "risk_and_grad")

#: Called with the reason before :class:`Unsupported` is raised (``verif conform`` registers one).
_HANDLERS: list[Callable[[str], None]] = []


class Unsupported(ValueError):
    """A call outside what the backend declares (an activation or a dtype it does not compute).

    Attributes:
        reason: ``"sigmoid: not supported by the backend"`` or ``"float32: ..."``.
    """

    def __init__(self, backend: str, reason: str, declared: str) -> None:
        super().__init__(f"backend {backend!r}: {reason} (it declares {declared})")
        self.reason = reason


@dataclass(frozen=True)
class Capabilities:
    """The activations and dtypes a backend computes.

    Attributes:
        activations: names of :mod:`verif.activations`.
        dtypes: floating dtypes, among :data:`verif.config.DTYPES`.
    """

    activations: tuple[str, ...]
    dtypes: tuple[str, ...]

    @property
    def everything(self) -> bool:
        """Whether every activation and every dtype is declared (the default)."""
        return set(self.activations) == set(activations.names()) and set(self.dtypes) == set(DTYPES)

    def unsupported(self, activation: str, dtype: str) -> str | None:
        """Why a call with ``activation`` and ``dtype`` is outside the declaration (``None``: it is not)."""
        if activation not in self.activations:
            return f"{activation}: not supported by the backend"
        if dtype not in self.dtypes:
            return f"{dtype}: not supported by the backend"
        return None

    def describe(self) -> str:
        """``activations=('tanh',), dtypes=('float64',)``."""
        return f"activations={self.activations!r}, dtypes={self.dtypes!r}"


def declared(obj: Any) -> Capabilities:
    """The capabilities ``obj`` declares (its ``activations`` and ``dtypes`` attributes; default: all).

    Raises:
        ValueError: a declaration that is not a non-empty tuple or list of known names.
    """
    acts = _names(obj, "activations", tuple(activations.names()))
    dtypes = _names(obj, "dtypes", DTYPES)
    return Capabilities(acts, dtypes)


def _names(obj: Any, attr: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    value = getattr(obj, attr, None)
    if value is None:
        return tuple(allowed)
    if isinstance(value, str) or not isinstance(value, tuple | list) or not value:
        raise ValueError(
            f"attribute {attr!r} must be a non-empty tuple of names in {list(allowed)}, got {value!r}"
        )
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"attribute {attr!r} names {unknown!r}; allowed: {list(allowed)}")
    return tuple(value)


def on_unsupported(handler: Callable[[str], None]) -> Callable[[], None]:
    """Call ``handler(reason)`` before each refusal of a :class:`Gated` backend; returns the undo."""
    _HANDLERS.append(handler)
    return lambda: _HANDLERS.remove(handler)


def refuse(reason: str) -> None:
    """Tell the handlers (:func:`on_unsupported`) of a refusal for ``reason``; a handler may raise
    (the conformance run rejects the Hypothesis example it is in)."""
    for handler in list(_HANDLERS):
        handler(reason)


class Gated:
    """``backend``, refusing calls outside ``caps`` with :class:`Unsupported`.

    Every attribute other than the protocol's methods is the backend's own (``name`` included).
    """

    def __init__(self, backend: Any, caps: Capabilities) -> None:
        self._backend = backend
        self.capabilities = caps
        self.name: str = backend.name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._backend, attr)
        if attr not in _METHODS:
            return value

        def gated(params: Any, *args: Any, **kwargs: Any) -> Any:
            reason = self.capabilities.unsupported(str(params.activation), str(params.dtype))
            if reason is not None:
                refuse(reason)
                raise Unsupported(self.name, reason, self.capabilities.describe())
            return value(params, *args, **kwargs)

        return gated
