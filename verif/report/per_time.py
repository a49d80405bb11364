"""The claims table's per-time columns: how tight each bound is late in the sequence (THEORY 9).

Every bound claim's result carries ``ratio_last`` (the ratio at ``t = T-1``) and ``ratio_late``
(the largest ratio over ``t >= T/2``) in its details (:func:`verif.claims.base.per_time`). Over
a claim's sweep records, the table shows

* ``largest_ratio_last``: the largest ``ratio_last``;
* ``largest_ratio_late``: the largest ``ratio_late``;
* ``late_by_regime``: the largest ``ratio_late`` among the records in each memory regime
  (:data:`verif.search.REGIMES`: ``sigma_1 alpha`` below 1, at it, above it), ``None`` for a
  regime the sweep does not visit.

Each is ``None`` when no record of the claim reports it (exact claims, E11 and E12, whose
inequality is not stated per time step). :func:`columns` is the one home of these numbers:
the report builds its rows with it and the schema check compares the rows with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verif.config import RNNConfig

#: Row fields written by :func:`columns`.
FIELDS = ("largest_ratio_last", "largest_ratio_late", "late_by_regime")


def _value(record: dict[str, Any], key: str) -> float | None:
    value = record["result"]["details"].get(key)
    if value is None:
        return None
    return float(value)  # "inf" and "nan" (jsonable's encoding) parse as floats


def _largest(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def columns(sweep: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The per-time fields of a claim's row from its measured sweep records (module docstring)."""
    from verif import search

    by_regime: dict[str, list[float | None]] = {name: [] for name in search.REGIMES}
    for r in sweep:
        late = _value(r, "ratio_late")
        if late is not None:  # a claim with per-time ratios needs a smooth activation: it has a cutoff
            by_regime[search.regime(RNNConfig(**r["config"]))].append(late)
    return {
        "largest_ratio_last": _largest([_value(r, "ratio_last") for r in sweep]),
        "largest_ratio_late": _largest([_value(r, "ratio_late") for r in sweep]),
        "late_by_regime": {name: _largest(values) for name, values in by_regime.items()},
    }
