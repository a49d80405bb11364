"""The exhibit record and registry (THEORY section 9, X1-X7), beside the claims registry.

An exhibit asserts nothing beyond sanity: it measures on a sweep and draws a figure. It is
defined once, in four parts, so that the report can run its measurements as independent jobs
on any executor and assemble them afterwards:

* ``tasks(mode, seed)``: the jobs, each a JSON-serializable dict of options (``mode`` is
  ``smoke``, ``quick`` or ``thorough``);
* ``measure(options, seed, backend)``: one job's measurements, a JSON-serializable dict
  that depends only on its arguments (so that every executor gives the same numbers);
  ``seed`` is the report's seed, the same for every task, so that tasks which must share an
  initialization (X5: one per radius) do; a task that needs its own draws says which in its
  options (``seed_index``);
* ``summarize(records)``: the headline number and a table from the measurements of all jobs;
* ``draw(records, summary, directory)``: the figures, PNG files written into ``directory``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from verif.backends import Backend

Mode = Literal["smoke", "quick", "thorough"]
MODES: tuple[Mode, ...] = ("smoke", "quick", "thorough")

#: One job's measurement: the options it ran with and what it measured (JSON-serializable).
Measurement = dict[str, Any]


@dataclass(frozen=True)
class Summary:
    """What the report shows of an exhibit.

    Attributes:
        headline: one sentence with the exhibit's main number.
        value: that number (``None`` when there is none).
        columns: column names of ``rows``.
        rows: the exhibit's table, one list of cells per row.
        notes: further sentences (what is outside the theory, the teacher's error, fits).
    """

    headline: str
    value: float | None
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return {
            "headline": self.headline,
            "value": self.value,
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Figure:
    """A PNG written by an exhibit: its file name (inside the figure directory) and caption."""

    filename: str
    caption: str


TasksFn = Callable[[Mode, int], list[dict[str, Any]]]
MeasureFn = Callable[[dict[str, Any], int, Backend], Measurement]
SummarizeFn = Callable[[Sequence[Measurement]], Summary]
DrawFn = Callable[[Sequence[Measurement], Summary, Path], list[Figure]]


@dataclass(frozen=True)
class Exhibit:
    """An exhibit of THEORY section 9.

    Attributes:
        id: ``X1`` .. ``X6``.
        title: short statement.
        theory: the THEORY sections it illustrates.
        tasks, measure, summarize, draw: see the module docstring.
        outside_theory: whether it measures where the theorems do not apply (X3).
    """

    id: str
    title: str
    theory: str
    tasks: TasksFn
    measure: MeasureFn
    summarize: SummarizeFn
    draw: DrawFn
    outside_theory: bool = False


_REGISTRY: dict[str, Exhibit] = {}


def register(exhibit: Exhibit) -> Exhibit:
    """Add ``exhibit`` to the registry (a later one with the same id replaces it)."""
    _REGISTRY[exhibit.id] = exhibit
    return exhibit


def registry() -> dict[str, Exhibit]:
    """The registered exhibits by id (a copy)."""
    return dict(_REGISTRY)
