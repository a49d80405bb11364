"""Which tests share one worker process when the suite runs in parallel (pytest-xdist).

``tox -e py`` runs ``pytest -n auto --dist loadgroup``: a test is sent to any free worker unless
it carries ``xdist_group(name)``, and every test of one group runs in the same worker. A fixture
wider than a function (or a cache kept by a module) is built once per process, so the tests that
share one are grouped here, by what they share; without the group each worker would build it
again. The groups only place tests: each test runs exactly as it does without pytest-xdist (the
marker is registered either way, so a plain ``pytest`` run ignores it).

* :data:`SHARED_FIXTURES`: tests that request one of these fixtures form one group per fixture
  (per module for a module-scoped one);
* :data:`CACHED_MODULES`: the tests of these modules form one group (a cache kept by the module).

The property suite groups its corpus tests by backend itself (``properties/conftest.py``), so
that it needs nothing from ``tests/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: Fixture name -> ``True`` where its scope is the module (the group is then per module).
SHARED_FIXTURES: dict[str, bool] = {
    "tiny_report": False,  # tests/report/conftest.py, session scope: one tiny report
    "earlier": True,  # tests/report/test_outdir.py: one earlier report
}
#: Modules whose tests share a ``functools.cache`` of compiled problems.
CACHED_MODULES = frozenset({"test_kernels.py"})


def register(config: pytest.Config) -> None:
    """Declare the ``xdist_group`` marker (pytest-xdist declares it too; ``--strict-markers``)."""
    config.addinivalue_line("markers", "xdist_group(name): run every test of the group in one worker")


def group_of(item: pytest.Item) -> str | None:
    """The group of ``item``, or ``None`` where it may run in any worker."""
    module = item.path.name
    if module in CACHED_MODULES:
        return module
    for name in getattr(item, "fixturenames", ()):
        if name in SHARED_FIXTURES:
            return f"{item.nodeid.split('::')[0]}:{name}" if SHARED_FIXTURES[name] else name
    return None


def assign(items: list[pytest.Item], root: Path) -> None:
    """Mark each of ``items`` below the folder ``root`` with its group."""
    for item in items:
        if root in item.path.parents:
            group = group_of(item)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))
