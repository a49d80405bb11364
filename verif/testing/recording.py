"""Listening to claim results: every :meth:`verif.claims.Claim.check` hands its result on.

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
from verif.claims.base import add_observer, remove_observer

Observer = Callable[[ClaimResult], None]


@contextmanager
def observing(observer: Observer) -> Iterator[None]:
    """Call ``observer`` with the result of each claim checked inside the ``with`` block."""
    add_observer(observer)
    try:
        yield
    finally:
        remove_observer(observer)


@contextmanager
def recorded() -> Iterator[list[ClaimResult]]:
    """Collect the results of the claims checked inside the ``with`` block into the list it yields."""
    results: list[ClaimResult] = []
    with observing(results.append):
        yield results
