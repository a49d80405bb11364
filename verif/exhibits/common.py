"""Small helpers the exhibits share: option access, grouping, medians, series by key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from verif.exhibits.base import Measurement

#: Seeds per task in each mode (exhibits that average over initializations).
SEEDS = {"smoke": 1, "quick": 2, "thorough": 6}


def group(records: Iterable[Measurement], key: Callable[[Measurement], Any]) -> dict[Any, list[Measurement]]:
    """``records`` grouped by ``key(record)``, groups in first-seen order."""
    out: dict[Any, list[Measurement]] = {}
    for r in records:
        out.setdefault(key(r), []).append(r)
    return out


def median(values: Sequence[float]) -> float:
    """The median of ``values`` as a float (NaN when empty)."""
    return float(np.median(np.asarray(values, dtype=float))) if len(values) else float("nan")


def first_at_most(values: Sequence[float], target: float) -> int | None:
    """The first index whose value is ``<= target``; ``None`` when none is."""
    for i, v in enumerate(values):
        if v <= target:
            return i
    return None
