"""Exhibits X1-X7 of THEORY section 9: one module each, and a registry beside the claims'.

>>> from verif import exhibits
>>> [x.id for x in exhibits.all()]   # doctest: +SKIP
['X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7']
"""

from __future__ import annotations

import importlib

from verif.exhibits.base import MODES, Exhibit, Figure, Mode, Summary, register, registry

__all__ = ["MODES", "Exhibit", "Figure", "Mode", "Summary", "all", "get", "ids", "register"]

_MODULES = (
    "x1_cutoff",
    "x2_width_vs_n",
    "x3_outside",
    "x4_regularization",
    "x4_factor",  # X4 again: adds the GD/PGD factor to x4_regularization's tasks
    "x5_radius",
    "x6_tightness",
    "x7_rates",
)

for _name in _MODULES:
    importlib.import_module(f"verif.exhibits.{_name}")


def ids() -> list[str]:
    """Registered exhibit ids in order (X1, X2, ...)."""
    return sorted(registry(), key=lambda i: int(i.lstrip("X")))


def all() -> list[Exhibit]:
    """Every registered exhibit, in id order."""
    reg = registry()
    return [reg[i] for i in ids()]


def get(exhibit_id: str) -> Exhibit:
    """The exhibit with id ``exhibit_id``; ``ValueError`` lists the known ids."""
    reg = registry()
    if exhibit_id not in reg:
        raise ValueError(f"exhibit must be one of {ids()}, got {exhibit_id!r}")
    return reg[exhibit_id]
