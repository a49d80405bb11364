"""Argument checks shared by the library: one clear message naming the field and its range.

NumPy scalars count as numbers (``np.float32(0.1)`` is a valid step size); ``bool`` does not.
A flag is a ``bool`` (or ``np.bool_``) only: ``"yes"`` or ``None`` is refused, not read as true
or false. An array given as nested lists must be rectangular.
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

#: Largest seed accepted everywhere (NumPy takes any integer >= 0; records keep it in int64).
SEED_MAX = 2**63 - 1


class ArgumentTypeError(TypeError, ValueError):
    """A value of the wrong type; a ``TypeError`` that callers catching ``ValueError`` also see."""


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, on one line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def require_int(name: str, value: Any, minimum: int, rule: str | None = None) -> int:
    """``value`` as an ``int`` >= ``minimum``; ``rule`` overrides the range text of the message."""
    text = rule or f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be {text}, got {shown(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be {text}, got {shown(value)}")
    return int(value)


def require_bool(name: str, value: Any) -> bool:
    """``value`` as a ``bool``: ``True``/``False`` or a NumPy bool; anything else is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be True or False, got {shown(value)}")
    return bool(value)


def as_array(name: str, value: Any, shape: str) -> np.ndarray[Any, Any]:
    """``np.asarray(value)``; nested lists that are not rectangular (ragged), or objects NumPy
    cannot make an array of, are refused naming ``name`` and its ``shape`` (e.g. ``"(n, T, d)"``)."""
    try:
        return np.asarray(value)
    except (ValueError, TypeError) as exc:
        ragged = "inhomogeneous" in str(exc)
        why = (
            "nested lists of unequal lengths"
            if ragged
            else f"{type(exc).__name__}: {str(exc).split('. ')[0]}"
        )
        raise ValueError(
            f"{name} must be a rectangular array of real numbers of shape {shape}, "
            f"got {shown(value, 40)} ({why})"
        ) from None


def require_seed(value: Any, name: str = "seed") -> int:
    """``value`` as a seed: an integer in ``[0, SEED_MAX]`` (``1.5``, ``True``, ``"3"`` are refused)."""
    rule = "a non-negative integer in [0, 2**63 - 1]"
    seed = require_int(name, value, 0, rule=rule)
    if seed > SEED_MAX:
        raise ValueError(f"{name} must be {rule}, got {shown(value)}")
    return seed


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
        raise ArgumentTypeError(f"{name} must be {rule}, got {shown(value)}")
    try:
        v = float(value)
    except OverflowError:  # an integer beyond float64
        raise ValueError(f"{name} must be {rule}, got {shown(value)}") from None
    ok = math.isfinite(v)
    if ok and minimum is not None:
        ok = v > minimum if strict else v >= minimum
    if ok and below is not None:
        ok = v < below
    if not ok:
        raise ValueError(f"{name} must be {rule}, got {shown(value)}")
    return v


#: Largest example count or search budget a command takes: beyond it a run cannot end in any
#: useful time (10**9 checks at a millisecond each are 11 days), and Hypothesis counts examples
#: in machine integers.
COUNT_MAX = 10**9


def require_count(name: str, value: Any) -> int:
    """``value`` as an ``int`` in ``[1, COUNT_MAX]`` (a number of sequences, points, steps ...)."""
    rule = f"an integer in [1, {COUNT_MAX:_}]"
    count = require_int(name, value, 1, rule=rule)
    if count > COUNT_MAX:
        raise ValueError(f"{name} must be {rule}, got {shown(value)}")
    return count


def int_option(minimum: int, maximum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a count: a decimal integer in ``[minimum, maximum]`` (``1_000``
    reads as Python reads it); anything else (``1e3``, ``0x10``, ``nan``, ``-0`` below 1, ``10**30``)
    is refused, and argparse names the option in the one line."""

    def parse(text: str) -> int:
        try:
            value: int | None = int(text, 10)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(
                f"must be an integer in [{minimum}, {maximum:_}], got {shown(text)}"
            )
        return value

    return parse


def parse_number(text: str) -> int | float | str:
    """A command-line value as an ``int`` or ``float`` when it reads as one, else the text itself,
    so that the library's own check names the field and what it allows (``width must be ...``)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_json(text: str) -> Any:
    """``json.loads(text)``, with nesting too deep for the parser reported as the
    ``json.JSONDecodeError`` (a ``ValueError``) of any other malformed text, not a ``RecursionError``.

    Every reader of a file or value given to verif uses it, so that a damaged or hostile file is
    refused like any other invalid JSON.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
