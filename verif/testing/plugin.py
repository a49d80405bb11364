"""pytest plugin of the conformance run: one backend for every property, a verdict per claim.

    pytest -p verif.testing.plugin --verif-backend mypkg.module:MyBackend properties/

Every test that asks for the ``backend_name`` fixture runs once, with that backend (loaded and
checked against the protocol first), instead of once per built-in backend; claims that compare
two backends use the NumPy backend as the reference; tests without ``backend_name`` are
deselected. A test counts for the claims it checked (see :class:`ConformancePlugin`). At the end
a table gives each claim's verdict and the worst ratio ``measured / bound`` of the checks made
with the backend (``<= 1`` holds; checks inside strict-xfail tests, the known gaps of the
theory, are left out). ``--verif-max-examples N`` caps the examples per property.
``VERIF_BACKEND`` is the default of ``--verif-backend``.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.claims import ClaimResult
from verif.testing.recording import observing

_CLAIM_MODULE = re.compile(r"test_e(\d+)_")


@dataclass
class Verdict:
    """What the run found for one claim.

    Attributes:
        claim_id: ``E1``, ``E2``, ... (or the name of a property module that checks no claim).
        nodes: node ids of the tests run for the claim (properties, corpus replays, expected failures).
        failed: node ids of the tests that failed.
        worst: the result with the largest ratio.
        worst_violation: the violated result with the largest ratio.
        checks: how many results were recorded.
    """

    claim_id: str
    nodes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    worst: ClaimResult | None = None
    worst_violation: ClaimResult | None = None
    checks: int = 0

    @property
    def tests(self) -> int:
        """How many tests ran for the claim."""
        return len(self.nodes)

    @property
    def passed(self) -> bool:
        """No test of the claim failed (and at least one ran)."""
        return bool(self.nodes) and not self.failed

    @property
    def ratio(self) -> float:
        """The worst ratio seen (``nan`` when no result was recorded)."""
        return self.worst.ratio if self.worst is not None else math.nan

    def observe(self, res: ClaimResult) -> None:
        """Count ``res`` and keep it if it is the worst so far."""
        self.checks += 1
        if self.worst is None or res.ratio > self.worst.ratio:
            self.worst = res
        if not res.passed and (self.worst_violation is None or res.ratio > self.worst_violation.ratio):
            self.worst_violation = res


def claim_of(path_name: str) -> str | None:
    """The claim a property module checks, from its file name (``test_e07_...`` -> ``E7``)."""
    match = _CLAIM_MODULE.match(path_name)
    return f"E{int(match.group(1))}" if match else None


class ConformancePlugin:
    """Runs the ``backend_name`` tests with ``spec`` and keeps a :class:`Verdict` per claim.

    A test counts for the claims it checked (those it violated, when it fails); a test that
    checked none (it failed before, or checks something else) counts for the claim its module
    is named after, else under the module's name. Tests that do not take ``backend_name`` do
    not involve the backend and are deselected.
    """

    def __init__(self, spec: str, max_examples: int | None = None) -> None:
        self.spec = spec
        self.max_examples = max_examples
        self.verdicts: dict[str, Verdict] = {cid: Verdict(cid) for cid in claims.ids()}
        self._backend_name = ""
        self._in_test: list[ClaimResult] = []
        self._observer = observing(self._observe)

    def _verdict(self, key: str) -> Verdict:
        return self.verdicts.setdefault(key, Verdict(key))

    def _observe(self, res: ClaimResult) -> None:
        if res.backend == self._backend_name:
            self._in_test.append(res)

    def pytest_configure(self, config: pytest.Config) -> None:
        from verif.backends import backend

        try:
            self._backend_name = backend(self.spec).name
        except ValueError as exc:  # names what is missing or misshapen
            raise pytest.UsageError(str(exc)) from exc
        self._observer.__enter__()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._observer.__exit__(None, None, None)

    # Before pytest's own fixture parametrization, which then leaves ``backend_name`` alone.
    @pytest.hookimpl(tryfirst=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "backend_name" in metafunc.fixturenames:
            metafunc.parametrize("backend_name", [self.spec], ids=[self.spec], scope="session")

    # Hypothesis fixes a test's settings when ``@given`` decorates it: cap the examples after the
    # suite's conftest has loaded its profile and before each property module is imported.
    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> None:
        if self.max_examples is not None:
            from hypothesis import settings

            if settings().max_examples != self.max_examples:
                settings.register_profile("verif-conform", parent=settings(), max_examples=self.max_examples)
                settings.load_profile("verif-conform")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [item for item in items if "backend_name" in getattr(item, "fixturenames", ())]
        dropped = [item for item in items if item not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self._in_test = []
        try:
            return (yield)
        finally:
            self._in_test = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not report.failed:
            return
        violated = {r.claim_id for r in self._in_test if not r.passed}
        keys = (violated if report.failed else set()) or {r.claim_id for r in self._in_test}
        if not keys:
            path = os.path.basename(report.location[0])
            keys = {claim_of(path) or os.path.splitext(path)[0]}
        # An expected failure (a known gap of the theory, kept as a strict xfail) reproduced as
        # expected: it counts as a passed test, and its ratios are not the claim's worst.
        if not hasattr(report, "wasxfail"):
            for res in self._in_test:
                self._verdict(res.claim_id).observe(res)
        self._in_test = []
        for key in keys:
            verdict = self._verdict(key)
            if report.nodeid not in verdict.nodes:
                verdict.nodes.append(report.nodeid)
            if report.failed and report.nodeid not in verdict.failed:
                verdict.failed.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("=", f"conformance of {self.spec}")
        terminalreporter.write_line(format_table(self.verdicts.values()))


def _order(key: str) -> tuple[int, int, str]:
    match = re.fullmatch(r"E(\d+)", key)
    return (0, int(match.group(1)), "") if match else (1, 0, key)


def format_table(verdicts: Iterable[Verdict]) -> str:
    """The verdict table (claims, then other tests by module), then how to reproduce each failure."""
    known = set(claims.ids())
    ordered = sorted(verdicts, key=lambda v: _order(v.claim_id))
    width = max([5, *(len(v.claim_id) for v in ordered)])
    rows = [f"{'claim':<{width}} {'verdict':<8} {'tests':>5} {'checks':>6} {'worst ratio':>12}  statement"]
    notes = []
    for v in ordered:
        status = "pass" if v.passed else ("FAIL" if v.failed else "not run")
        title = claims.get(v.claim_id).title if v.claim_id in known else "(tests of this module)"
        ratio = "-" if math.isnan(v.ratio) else f"{v.ratio:.4g}"
        rows.append(f"{v.claim_id:<{width}} {status:<8} {v.tests:>5} {v.checks:>6} {ratio:>12}  {title}")
        if v.failed:
            why = v.worst_violation.describe() if v.worst_violation else f"failed: {', '.join(v.failed)}"
            notes.append(f"{v.claim_id} FAILS: {why}")
    return "\n".join(rows + notes)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verif", "conformance run of a backend against the claims")
    group.addoption(
        "--verif-backend",
        default=os.environ.get("VERIF_BACKEND"),
        help="run the properties with this backend only: 'package.module:Name' or a registered name "
        "(default: $VERIF_BACKEND)",
    )
    group.addoption("--verif-max-examples", type=int, default=None, help="cap on the examples per property")


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--verif-backend", default=None)
    if spec and not config.pluginmanager.has_plugin("verif-conformance"):
        plugin = ConformancePlugin(spec, config.getoption("--verif-max-examples", default=None))
        config.pluginmanager.register(plugin, "verif-conformance")
