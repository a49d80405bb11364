"""Argument checks shared by the library: one clear message naming the field and its range.

NumPy scalars count as numbers (``np.float32(0.1)`` is a valid step size); ``bool`` does not.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


class ArgumentTypeError(TypeError, ValueError):
    """A value of the wrong type; a ``TypeError`` that callers catching ``ValueError`` also see."""


def require_int(name: str, value: Any, minimum: int, rule: str | None = None) -> int:
    """``value`` as an ``int`` >= ``minimum``; ``rule`` overrides the range text of the message."""
    text = rule or f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be {text}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {text}, got {value!r}")
    return int(value)


def require_real(
    name: str,
    value: Any,
    minimum: float | None = None,
    *,
    strict: bool = False,
    below: float | None = None,
    rule: str | None = None,
) -> float:
    """``value`` as a finite ``float`` with ``value >= minimum`` (``>`` if ``strict``), ``< below``."""
    if rule is None:
        parts = []
        if minimum is not None:
            parts.append(f"{'>' if strict else '>='} {minimum:g}")
        if below is not None:
            parts.append(f"< {below:g}")
        rule = "a finite number" + (" " + " and ".join(parts) if parts else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be {rule}, got {value!r}")
    v = float(value)
    ok = math.isfinite(v)
    if ok and minimum is not None:
        ok = v > minimum if strict else v >= minimum
    if ok and below is not None:
        ok = v < below
    if not ok:
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return v
