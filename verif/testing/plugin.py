"""pytest plugin of the conformance run: one backend for every property, a verdict per claim.

    pytest -p verif.testing.plugin --verif-backend mypkg.module:MyBackend properties/

Every test that asks for the ``backend_name`` fixture runs once, with that backend (loaded and
checked against the protocol first), instead of once per built-in backend; claims that compare
two backends use the NumPy backend as the reference. A test belongs to the claim its module is
named after (``test_e02_...`` is E2). At the end a table gives each claim's verdict and the
worst ratio ``measured / bound`` that :func:`verif.testing.assert_claim` saw (``<= 1`` holds).
``--verif-max-examples N`` caps the examples per property of the loaded Hypothesis profile.
``VERIF_BACKEND`` is the default of ``--verif-backend``.
"""

from __future__ import annotations

import math
import os
import re
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
        claim_id: ``E1`` .. ``E13``.
        tests: tests run for the claim (each property, each expected failure).
        failed: node ids of the tests that failed.
        worst: the result with the largest ratio.
        worst_violation: the violated result with the largest ratio.
        checks: how many results were recorded.
    """

    claim_id: str
    tests: int = 0
    failed: list[str] = field(default_factory=list)
    worst: ClaimResult | None = None
    worst_violation: ClaimResult | None = None
    checks: int = 0

    @property
    def passed(self) -> bool:
        """No test of the claim failed (and at least one ran)."""
        return self.tests > 0 and not self.failed

    @property
    def ratio(self) -> float:
        """The worst ratio seen (``nan`` when no result was recorded)."""
        return self.worst.ratio if self.worst is not None else math.nan

    def observe(self, res: ClaimResult) -> None:
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
    """Runs the ``backend_name`` tests with ``spec`` and keeps a :class:`Verdict` per claim."""

    def __init__(self, spec: str, max_examples: int | None = None) -> None:
        self.spec = spec
        self.max_examples = max_examples
        self.verdicts: dict[str, Verdict] = {cid: Verdict(cid) for cid in claims.ids()}
        self._observer = observing(self._observe)

    def _observe(self, res: ClaimResult) -> None:
        self.verdicts.setdefault(res.claim_id, Verdict(res.claim_id)).observe(res)

    def pytest_configure(self, config: pytest.Config) -> None:
        from verif.backends import backend

        try:
            backend(self.spec)
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

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        claim_id = claim_of(os.path.basename(report.location[0]))
        if claim_id is None:
            return
        verdict = self.verdicts.setdefault(claim_id, Verdict(claim_id))
        if report.when == "call" or (report.when == "setup" and not report.passed):
            verdict.tests += 1
        if report.failed and report.nodeid not in verdict.failed:
            verdict.failed.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("=", f"conformance of {self.spec}")
        terminalreporter.write_line(format_table(self.verdicts.values()))


def format_table(verdicts: Any) -> str:
    """The per-claim verdict table, then one line per violated claim saying how to reproduce it."""
    known = set(claims.ids())
    rows = [f"{'claim':<6} {'verdict':<8} {'tests':>5} {'checks':>6} {'worst ratio':>12}  statement"]
    notes = []
    for v in sorted(verdicts, key=lambda v: int(v.claim_id.lstrip("E"))):
        status = "pass" if v.passed else ("FAIL" if v.failed else "not run")
        title = claims.get(v.claim_id).title if v.claim_id in known else ""
        ratio = "-" if math.isnan(v.ratio) else f"{v.ratio:.4g}"
        rows.append(f"{v.claim_id:<6} {status:<8} {v.tests:>5} {v.checks:>6} {ratio:>12}  {title}")
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
