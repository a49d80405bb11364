"""pytest plugin of the conformance run: one backend for every property, a verdict per claim.

    pytest -p verif.testing.plugin --verif-backend mypkg.module:MyBackend properties/

Every test that asks for the ``backend_name`` fixture runs once, with that backend (loaded and
checked against the protocol first), instead of once per built-in backend; claims that compare
two backends use the NumPy backend as the reference; tests without ``backend_name`` are
deselected. A test counts for the claims it checked (see :class:`ConformancePlugin`). At the end
a table gives each claim's verdict and the worst ratio ``measured / bound`` of the checks made
with the backend (``<= 1`` holds; checks inside strict-xfail tests, the known gaps of the
theory, are left out), then one line per failed claim on the kind of defect it points to
(``E6 defect: model structure (not the theory's model): ...``, :mod:`verif.claims.defects`).
``--verif-max-examples N`` caps the examples per property, ``--verif-claims E1,E2`` runs the
tests of those claims only, ``--verif-no-shrink`` reports the first counterexample Hypothesis
finds instead of shrinking it. ``VERIF_BACKEND`` is the default of ``--verif-backend``.

Tests run claim by claim (E1 first, then E2, ...; tests of no claim last), so that pytest's
``-x`` stops at the first failing claim. A backend that declares the activations or dtypes it
computes (:mod:`verif.backends.capabilities`) is not run outside them: an example outside is
rejected (Hypothesis draws another), a test with no example inside is skipped (at once when its
strategy's activations or dtypes all lie outside, :func:`verif.testing.strategies.drawn_for`),
and the table lists, per claim, what was skipped and why (``sigmoid: not supported by the backend``).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.backends import capabilities
from verif.claims import ClaimResult, defects
from verif.conform import parse_claims
from verif.testing.recording import observing
from verif.testing.strategies import drawn_for

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
        skipped_examples: examples left out because the backend does not compute them, by reason.
        skipped_tests: tests skipped whole for that reason: node id -> reason.
        error: the first line of the first failure that recorded no violated result (an
            exception rather than a measurement).
    """

    claim_id: str
    nodes: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    worst: ClaimResult | None = None
    worst_violation: ClaimResult | None = None
    checks: int = 0
    skipped_examples: Counter[str] = field(default_factory=Counter)
    skipped_tests: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def status(self) -> str:
        """``pass``, ``FAIL``, ``skipped`` (every test outside the backend's capabilities) or ``not run``."""
        if self.failed:
            return "FAIL"
        if self.nodes:
            return "pass"
        return "skipped" if self.skipped_tests else "not run"

    @property
    def label(self) -> str:
        """The verdict as printed: :attr:`status`, for a failed claim with the test that decided its
        worst violation where that is not the ratio (``FAIL (model check: neurons coupled)``,
        :func:`verif.claims.verdict`)."""
        res = self.worst_violation
        if self.status != "FAIL" or res is None:
            return self.status
        return claims.verdict(res.passed, res.ratio, res.details, fail="FAIL")

    def skips(self) -> list[str]:
        """What was left out and why: ``"12 examples (float32: not supported by the backend)"``."""
        tests = Counter(self.skipped_tests.values())
        out = [f"{k} test{'s' * (k > 1)} ({why})" for why, k in sorted(tests.items())]
        out += [f"{k} example{'s' * (k > 1)} ({why})" for why, k in sorted(self.skipped_examples.items())]
        return out

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

    @property
    def defect(self) -> str:
        """One line on the kind of defect a failed claim points to (``''`` unless it failed).

        The kind of its worst violation (:func:`verif.claims.defects.defect_kind`), followed by
        the claim's own explanation (``details['defect']``) where it gives one; a failure that
        measured nothing is an error, with its first line.
        """
        if not self.failed:
            return ""
        res = self.worst_violation
        if res is None:
            return f"error, not a measurement: {self.error or 'see the failure above'}"
        why = res.details.get("defect")
        kind = defects.defect_kind(res)
        return f"{kind}: {why}" if isinstance(why, str) and why else kind

    def observe(self, res: ClaimResult) -> None:
        """Count ``res`` and keep it if it is the worst so far."""
        self.checks += 1
        if self.worst is None or res.ratio > self.worst.ratio:
            self.worst = res
        if not res.passed and (self.worst_violation is None or res.ratio > self.worst_violation.ratio):
            self.worst_violation = res


def _nothing() -> None:
    pass


def claim_of(path_name: str) -> str | None:
    """The claim a property module checks, from its file name (``test_e07_...`` -> ``E7``)."""
    match = _CLAIM_MODULE.match(path_name)
    return f"E{int(match.group(1))}" if match else None


def item_claim(item: pytest.Item) -> str | None:
    """The claim a test checks: its ``claim_id`` (or ``key``, ``"E3 part"``) parameter, else its module's."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    for name in ("claim_id", "key"):
        value = params.get(name)
        if isinstance(value, str) and value.split(" ")[0] in claims.ids():
            return value.split(" ")[0]
    return claim_of(os.path.basename(str(getattr(item, "path", ""))))


class ConformancePlugin:
    """Runs the ``backend_name`` tests with ``spec`` and keeps a :class:`Verdict` per claim.

    A test counts for the claims it checked (those it violated, when it fails); a test that
    checked none (it failed before, or checks something else) counts for the claim its module
    is named after, else under the module's name. Tests that do not take ``backend_name`` do
    not involve the backend and are deselected.
    """

    def __init__(
        self,
        spec: str,
        max_examples: int | None = None,
        selected: tuple[str, ...] | None = None,
        shrink: bool = True,
    ) -> None:
        self.spec = spec
        self.max_examples = max_examples
        self.selected = selected
        self.shrink = shrink
        self.verdicts: dict[str, Verdict] = {cid: Verdict(cid) for cid in selected or claims.ids()}
        #: Claims with at least one test collected (after the selection).
        self.collected: set[str] = set()
        self.capabilities = capabilities.declared(None)
        self._backend_name = ""
        self._in_test: list[ClaimResult] = []
        self._skips: Counter[str] = Counter()
        self._observer = observing(self._observe)
        self._undo_handler: Callable[[], None] = _nothing
        self._undo_drawn_for: Callable[[], None] = _nothing
        self._item_key = ""

    def _verdict(self, key: str) -> Verdict:
        return self.verdicts.setdefault(key, Verdict(key))

    def _observe(self, res: ClaimResult) -> None:
        if res.backend == self._backend_name:
            self._in_test.append(res)

    def pytest_configure(self, config: pytest.Config) -> None:
        from verif.backends import backend

        try:
            be = backend(self.spec)
        except ValueError as exc:  # names what is missing or misshapen
            raise pytest.UsageError(str(exc)) from exc
        self._backend_name = be.name
        self.capabilities = capabilities.declared(be)
        self._observer.__enter__()
        self._undo_handler = capabilities.on_unsupported(self._unsupported)
        self._undo_drawn_for = drawn_for(self.capabilities)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._undo_drawn_for()
        self._undo_handler()
        self._observer.__exit__(None, None, None)

    def _unsupported(self, reason: str) -> None:
        """Inside a Hypothesis example: reject it (another is drawn); elsewhere the test is skipped."""
        from hypothesis import currently_in_test_context, reject

        self._skips[reason] += 1
        if currently_in_test_context():
            reject()

    # Before pytest's own fixture parametrization, which then leaves ``backend_name`` alone.
    @pytest.hookimpl(tryfirst=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "backend_name" in metafunc.fixturenames:
            metafunc.parametrize("backend_name", [self.spec], ids=[self.spec], scope="session")

    # Hypothesis fixes a test's settings when ``@given`` decorates it: change them after the
    # suite's conftest has loaded its profile and before each property module is imported.
    @pytest.hookimpl(tryfirst=True)
    def pytest_pycollect_makemodule(self, module_path: Path, parent: pytest.Collector) -> None:
        from hypothesis import HealthCheck, Phase, settings

        current = settings()
        changes: dict[str, Any] = {}
        if self.max_examples is not None and current.max_examples != self.max_examples:
            changes["max_examples"] = self.max_examples
        if not self.shrink and Phase.shrink in current.phases:
            changes["phases"] = [p for p in current.phases if p is not Phase.shrink]
        if (
            not self.capabilities.everything
            and HealthCheck.filter_too_much not in current.suppress_health_check
        ):
            # Examples outside the declared capabilities are rejected, as a filter would.
            changes["suppress_health_check"] = [*current.suppress_health_check, HealthCheck.filter_too_much]
        if changes:
            settings.register_profile("verif-conform", parent=current, **changes)
            settings.load_profile("verif-conform")

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        keep = [
            item
            for item in items
            if "backend_name" in getattr(item, "fixturenames", ())
            and (self.selected is None or item_claim(item) in self.selected)
        ]
        keep.sort(key=lambda item: _order(item_claim(item) or "~"))  # stable: claim by claim
        self.collected = {cid for cid in map(item_claim, keep) if cid is not None}
        kept = set(map(id, keep))
        dropped = [item for item in items if id(item) not in kept]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        from hypothesis.errors import Unsatisfiable

        try:
            return (yield)
        except capabilities.Unsupported as exc:  # outside Hypothesis: the whole test is outside
            pytest.skip(exc.reason)
        except Unsatisfiable:
            if not self._skips:
                raise
            pytest.skip("every example: " + ", ".join(sorted(self._skips)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        self._in_test = []
        self._skips = Counter()
        self._item_key = item_claim(item) or item.path.stem
        try:
            return (yield)
        finally:
            self._in_test = []
            self._skips = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not report.failed:
            return
        module_key = self._item_key or os.path.splitext(os.path.basename(report.location[0]))[0]
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = (
                str(report.longrepr[-1]).removeprefix("Skipped: ")
                if isinstance(report.longrepr, tuple)
                else ""
            )
            self._verdict(module_key).skipped_tests[report.nodeid] = reason
            self._skips = Counter()
            return
        if self._skips:  # some examples were outside the capabilities, the others ran
            self._verdict(module_key).skipped_examples.update(self._skips)
            self._skips = Counter()
        violated = {r.claim_id for r in self._in_test if not r.passed}
        keys = (violated if report.failed else set()) or {r.claim_id for r in self._in_test}
        if not keys:
            keys = {module_key}
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
                if not violated and not verdict.error:
                    verdict.error = _first_line(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_sep("=", f"conformance of {self.spec}")
        terminalreporter.write_line(format_table(self.verdicts.values()))


def _first_line(report: pytest.TestReport) -> str:
    """The first line of a failed report's exception (``TypeError: ...``), at most 200 characters."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = str(getattr(crash, "message", "") or report.longrepr or "")
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."


def _order(key: str) -> tuple[int, int, str]:
    match = re.fullmatch(r"E(\d+)", key)
    return (0, int(match.group(1)), "") if match else (1, 0, key)


def format_table(verdicts: Iterable[Verdict]) -> str:
    """The verdict table (claims, then other tests by module), the kind of defect of each failed claim
    (:attr:`Verdict.defect`), then how to reproduce each failure."""
    known = set(claims.ids())
    ordered = sorted(verdicts, key=lambda v: _order(v.claim_id))
    width = max([5, *(len(v.claim_id) for v in ordered)])
    rows = [f"{'claim':<{width}} {'verdict':<8} {'tests':>5} {'checks':>6} {'worst ratio':>12}  statement"]
    notes = []
    skipped = []
    kinds = []
    for v in ordered:
        title = claims.get(v.claim_id).title if v.claim_id in known else "(tests of this module)"
        ratio = "-" if math.isnan(v.ratio) else f"{v.ratio:.4g}"
        rows.append(f"{v.claim_id:<{width}} {v.label:<8} {v.tests:>5} {v.checks:>6} {ratio:>12}  {title}")
        if v.skips():
            skipped.append(f"{v.claim_id} skipped: {'; '.join(v.skips())}")
        if v.failed:
            kinds.append(f"{v.claim_id} defect: {v.defect}")
            why = v.worst_violation.describe() if v.worst_violation else f"failed: {', '.join(v.failed)}"
            notes.append(f"{v.claim_id} FAILS: {why}")
    return "\n".join(rows + skipped + kinds + notes)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verif", "conformance run of a backend against the claims")
    group.addoption(
        "--verif-backend",
        default=os.environ.get("VERIF_BACKEND"),
        help="run the properties with this backend only: 'package.module:Name' or a registered name "
        "(default: $VERIF_BACKEND)",
    )
    group.addoption("--verif-max-examples", type=int, default=None, help="cap on the examples per property")
    group.addoption("--verif-claims", default=None, help="run the tests of these claims only: 'E1,E2'")
    group.addoption(
        "--verif-no-shrink", action="store_true", help="report the first counterexample, unshrunk"
    )


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--verif-backend", default=None)
    if spec and not config.pluginmanager.has_plugin("verif-conformance"):
        text = config.getoption("--verif-claims", default=None)
        try:
            selected = parse_claims(text) if text is not None else None
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from exc
        plugin = ConformancePlugin(
            spec,
            config.getoption("--verif-max-examples", default=None),
            selected,
            shrink=not config.getoption("--verif-no-shrink", default=False),
        )
        config.pluginmanager.register(plugin, "verif-conformance")
