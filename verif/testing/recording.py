"""Observers of claim results: every :func:`verif.testing.assert_claim` reports its result here.

The conformance run (:mod:`verif.testing.plugin`) listens to keep the worst ratio per claim; a
user's own harness can listen the same way::

    with recorded() as results:
        run_my_properties()
    worst = max(r.ratio for r in results)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from verif.claims import ClaimResult

Observer = Callable[[ClaimResult], None]

_OBSERVERS: list[Observer] = []


def record(res: ClaimResult) -> None:
    """Hand ``res`` to every observer."""
    for observer in list(_OBSERVERS):
        observer(res)


@contextmanager
def observing(observer: Observer) -> Iterator[None]:
    """Call ``observer`` with each result recorded inside the ``with`` block."""
    _OBSERVERS.append(observer)
    try:
        yield
    finally:
        _OBSERVERS.remove(observer)


@contextmanager
def recorded() -> Iterator[list[ClaimResult]]:
    """Collect the results recorded inside the ``with`` block into the list it yields."""
    results: list[ClaimResult] = []
    with observing(results.append):
        yield results
