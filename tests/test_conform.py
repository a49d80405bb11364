"""``verif conform``: the property suite against backends written outside the package.

``tests/outside/looprnn`` is a user's package: ``LoopRNN`` (correct, neuron-major, one loop over
time, gradients forward in time) must conform; ``StaleTangentRNN`` (``dh/dw`` carried with the
initial weights ``w0``) must fail, and the table must name E2 as the claim that catches it;
``BiasedRNN`` (a bias left on) must fail E1 first, and ``--fail-fast`` stops there;
``TanhFloat64RNN`` declares tanh and float64 only and is never run outside them.
Each run of the suite is a fresh ``verif`` process with the ``ci`` profile capped at a few examples;
the refusals that come before the suite runs (exit status 2) are checked in this process.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import verif
from verif import claims
from verif.backends import capabilities
from verif.cli import main
from verif.conform import summary
from verif.testing.plugin import ConformancePlugin, Verdict, claim_of, format_table, parse_claims

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ROOT / "tests" / "outside"
EXAMPLES = "5"
#: How many claims a full conformance run checks.
N = len(claims.ids())
HOOK = "verif.testing._hypothesis:_hypothesis_setup_hook"


def run(args: list[str], module: str | None = "verif.cli") -> subprocess.CompletedProcess[str]:
    """``python -m module args`` (``python args`` without a module) from the repository root,
    with the outside package importable."""
    paths = [str(OUTSIDE), str(Path(verif.__file__).resolve().parents[1])]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT"):
        env.pop(key, None)
    cmd = [sys.executable, *(("-m", module) if module else ()), *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def conform_here(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """``verif conform args`` in this process: exit status, stdout, stderr (for the refusals that
    come before the suite runs, which need no fresh interpreter)."""
    monkeypatch.syspath_prepend(str(OUTSIDE))
    monkeypatch.chdir(ROOT)
    status = main(["conform", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def table_rows(out: str) -> dict[str, tuple[str, str]]:
    """``{claim: (verdict, worst ratio)}`` from the verdict table (a verdict's ``(why)`` left out)."""
    rows = re.findall(
        r"^(E\d+)\s+(pass|FAIL|skipped|not run)(?: \(.*?\))?\s+\d+\s+\d+\s+(\S+)", out, flags=re.M
    )
    return {cid: (verdict, ratio) for cid, verdict, ratio in rows}


@pytest.fixture(scope="module")
def correct() -> subprocess.CompletedProcess[str]:
    return run(["conform", "looprnn:LoopRNN", "--max-examples", EXAMPLES])


@pytest.fixture(scope="module")
def buggy() -> subprocess.CompletedProcess[str]:
    # The first counterexample names the claim as well as a shrunk one would (shrinking is most of
    # a failing run's time).
    return run(["conform", "looprnn.buggy:StaleTangentRNN", "--max-examples", EXAMPLES, "--no-shrink"])


def test_correct_outside_backend_conforms(correct: subprocess.CompletedProcess[str]) -> None:
    assert correct.returncode == 0, correct.stdout[-3000:] + correct.stderr[-2000:]
    rows = table_rows(correct.stdout)
    assert sorted(rows) == sorted(claims.ids())
    assert all(verdict == "pass" for verdict, _ in rows.values()), rows
    # Every claim was measured on the backend; known gaps of the theory (strict xfails) do not
    # count toward the worst ratio.
    assert all(0.0 <= float(ratio) <= 1.0 for _, ratio in rows.values()), rows
    last = correct.stdout.rstrip().splitlines()[-1]
    assert re.fullmatch(r"looprnn:LoopRNN conforms: (\d+) of \1 pass \(profile ci\)", last), last


def test_buggy_outside_backend_fails_and_names_the_claim(buggy: subprocess.CompletedProcess[str]) -> None:
    assert buggy.returncode == 1, buggy.stdout[-3000:] + buggy.stderr[-2000:]
    rows = table_rows(buggy.stdout)
    assert rows["E2"][0] == "FAIL"
    # Only the derivatives are wrong: hidden states, outputs and risks conform.
    assert {cid for cid, (verdict, _) in rows.items() if verdict != "pass"} == {"E2"}
    assert re.search(r"^E2 FAILS: ", buggy.stdout, flags=re.M)
    assert re.search(r"^E2 defect: derivative code: the neurons are separable ", buggy.stdout, flags=re.M)
    assert float(rows["E2"][1]) > 1e6
    assert "looprnn.buggy:StaleTangentRNN does not conform: E2 failed, " in buggy.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("looprnn:NoSuchRNN", "module 'looprnn' has no attribute 'NoSuchRNN'"),
        ("no_such_package:RNN", "cannot import 'no_such_package'"),
        (
            "verif.config:DTYPES",
            "missing methods: hidden_states, outputs, tangent_features, risk, risk_and_grad",
        ),
    ],
)
def test_backend_that_cannot_be_loaded_exits_2(
    target: str, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = conform_here([target], capsys, monkeypatch)
    assert status == 2, out + err
    assert err.startswith(f"verif conform: error: backend {target!r}")
    assert message in err
    assert "passed" not in out  # nothing ran


def test_missing_suite_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = conform_here(["looprnn:LoopRNN", "--suite", str(tmp_path)], capsys, monkeypatch)
    assert status == 2
    assert "suite must be a directory with the property suite" in err


def test_pytest_plugin_runs_the_suite_with_the_backend() -> None:
    args = ["-p", "verif.testing.plugin", "--verif-backend", "looprnn:LoopRNN", "--verif-max-examples", "2"]
    proc = run([*args, "-q", "-p", "no:cacheprovider", "properties/test_e01_zero_output.py"], module="pytest")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "3 passed" in proc.stdout  # the three E1 properties, once each: with this backend only
    rows = table_rows(proc.stdout)
    assert rows["E1"][0] == "pass" and rows["E2"][0] == "not run"


def test_hypothesis_entry_point_registers_rnnconfig() -> None:
    """Declared in pyproject.toml; installed, Hypothesis registers the strategy itself."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["hypothesis"]
    assert list(declared.values()) == [HOOK]
    if not any(ep.value == HOOK for ep in metadata.entry_points(group="hypothesis")):
        pytest.skip("verif is not installed: its entry points exist only in an installed package")
    code = (
        "import sys, verif\n"
        "from hypothesis import find, strategies as st\n"
        "config = find(st.from_type(verif.RNNConfig), lambda c: c.width >= 16)\n"
        "print(type(config).__name__, config.width, 'verif.testing' in sys.modules)"
    )
    proc = run(["-c", code], module=None)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["RNNConfig", "16", "True"]


def test_claim_of_module_names() -> None:
    assert claim_of("test_e02_gradients.py") == "E2"
    assert claim_of("test_e13_cutoff.py") == "E13"
    assert claim_of("test_cli.py") is None


def test_table_names_the_failure() -> None:
    res = claims.get("E1").check(
        verif.RNNConfig(width=2, input_dim=1, seq_len=2, memory_alpha=0.5), "numpy", 0
    )
    failing = Verdict("E1", nodes=["t.py::x"], failed=["t.py::x"])
    failing.observe(res)
    other = Verdict("test_training_recursion", nodes=["r.py::y"])
    text = format_table([other, Verdict("E2"), failing])
    lines = text.splitlines()
    assert re.match(r"E1\s+FAIL\s+1\s+1\s+0\s+zero output", lines[1])
    assert re.match(r"E2\s+not run\s+0\s+0\s+-", lines[2])
    assert re.match(r"test_training_recursion\s+pass\s+1\s+0\s+-\s+\(tests of this module\)", lines[3])
    assert lines[-1] == "E1 FAILS: failed: t.py::x"


def test_recorded_sees_every_check() -> None:
    from verif.testing import recorded

    config = verif.RNNConfig(width=2, input_dim=1, seq_len=2, memory_alpha=0.5)
    with recorded() as results:
        res = claims.get("E1").check(config, "numpy", 0)
    claims.get("E1").check(config, "numpy", 1)
    assert results == [res]


def test_fail_fast_stops_at_the_first_failing_claim() -> None:
    proc = run(["conform", "looprnn.biased:BiasedRNN", "--fail-fast", "--no-shrink"])
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = table_rows(proc.stdout)
    assert rows["E1"][0] == "FAIL" and rows["E1"][1] == "inf"
    assert {cid for cid, (verdict, _) in rows.items() if verdict != "not run"} == {"E1"}
    others = ", ".join(c for c in claims.ids() if c != "E1")
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last == (
        f"looprnn.biased:BiasedRNN does not conform: E1 failed, 0 passed "
        f"({others} not run: stopped at the first failure; profile ci)"
    )
    assert "1 failed" in proc.stdout and "passed" not in proc.stdout.splitlines()[-2]


def test_claims_runs_a_subset_and_never_says_conforms() -> None:
    proc = run(["conform", "looprnn:LoopRNN", "--claims", "e2,E1", "--max-examples", "3"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert sorted(table_rows(proc.stdout)) == ["E1", "E2"]
    last = proc.stdout.rstrip().splitlines()[-1]
    assert last == (
        f"looprnn:LoopRNN: E2, E1 pass (subset: 2 of {N} claims run; not a conformance verdict; profile ci)"
    )
    assert "conforms" not in proc.stdout
    assert "test_corpus" not in proc.stdout and "test_training_recursion" not in proc.stdout


def test_failing_subset_exits_1() -> None:
    proc = run(
        ["conform", "looprnn.biased:BiasedRNN", "--claims", "E1", "--no-shrink", "--max-examples", "3"]
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.rstrip().splitlines()[-1] == (
        "looprnn.biased:BiasedRNN does not conform: E1 failed, 0 passed "
        f"(subset: 1 of {N} claims run; not a conformance verdict; profile ci)"
    )


@pytest.mark.parametrize("value", ["E1,nope", "1"])  # a blank value: tests/test_faults_values.py
def test_unknown_claims_exit_2(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, err = conform_here(["looprnn:LoopRNN", "--claims", value], capsys, monkeypatch)
    assert status == 2, out + err
    assert err.strip().splitlines() == [
        f"verif conform: error: --claims must be a comma-separated list of claims among "
        f"{', '.join(claims.ids())}, got {value!r}"
    ]


def test_suite_with_some_claims_is_a_subset(tmp_path: Path) -> None:
    suite = tmp_path / "properties"
    suite.mkdir()
    for name in ("__init__.py", "conftest.py", "checking.py", "strategies.py", "test_e01_zero_output.py"):
        (suite / name).write_text((ROOT / "properties" / name).read_text())
    proc = run(["conform", "looprnn:LoopRNN", "--suite", str(suite), "--max-examples", "2"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "conforms" not in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1] == (
        f"looprnn:LoopRNN: E1 pass (subset: 1 of {N} claims run; not a conformance verdict; profile ci)"
    )


def test_declared_backend_conforms_inside_its_capabilities_and_lists_the_rest() -> None:
    """tanh and float64 only: every other example or test is skipped, with its reason, never run."""
    proc = run(["conform", "looprnn.declared:TanhFloat64RNN", "--max-examples", "4"])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rows = table_rows(proc.stdout)
    assert sorted(rows) == sorted(claims.ids())
    assert all(verdict == "pass" for verdict, _ in rows.values()), rows
    skips = dict(re.findall(r"^(E\d+) skipped: (.*)$", proc.stdout, flags=re.M))
    assert "float32: not supported by the backend" in skips["E1"]  # the float32-only property
    assert re.search(r"\d+ tests? \(sigmoid: not supported by the backend\)", skips["E3"])
    assert all("sigmoid: not supported by the backend" in text for cid, text in skips.items() if cid != "E13")
    assert "NotImplementedError" not in proc.stdout  # never called outside its declaration
    assert proc.stdout.rstrip().splitlines()[-1] == (
        f"looprnn.declared:TanhFloat64RNN conforms: {N} of {N} pass "
        "(declared activations=('tanh',), dtypes=('float64',); profile ci)"
    )


def _plugin(selected: tuple[str, ...] | None, caps: capabilities.Capabilities) -> ConformancePlugin:
    plugin = ConformancePlugin("mine:RNN", selected=selected)
    plugin.capabilities = caps
    return plugin


def _ran(plugin: ConformancePlugin, cid: str, failed: bool = False, skipped: bool = False) -> None:
    plugin.collected.add(cid)
    verdict = plugin.verdicts[cid]
    if skipped:
        verdict.skipped_tests[f"{cid}::t"] = "sigmoid: not supported by the backend"
        return
    verdict.nodes.append(f"{cid}::t")
    if failed:
        verdict.failed.append(f"{cid}::t")


def test_summary_of_a_declared_backend() -> None:
    caps = capabilities.Capabilities(("sigmoid",), ("float64",))
    plugin = _plugin(None, caps)
    for cid in claims.ids():
        _ran(plugin, cid, skipped=cid == "E13")
    line, code = summary(plugin, "mine:RNN", "ci")
    assert code == 0
    assert line == (
        f"mine:RNN conforms: {N - 1} of {N} pass (E13 skipped: outside the backend's declared capabilities; "
        "declared activations=('sigmoid',), dtypes=('float64',); profile ci)"
    )
    assert re.search(r"^E13\s+skipped\s+0\s+0\s+-", format_table(plugin.verdicts.values()), flags=re.M)
    assert "E13 skipped: 1 test (sigmoid: not supported by the backend)" in format_table(
        plugin.verdicts.values()
    )


def test_summary_of_full_failing_and_incomplete_runs() -> None:
    everything = capabilities.declared(None)
    plugin = _plugin(None, everything)
    for cid in claims.ids():
        _ran(plugin, cid)
    assert summary(plugin, "mine:RNN", "ci") == (f"mine:RNN conforms: {N} of {N} pass (profile ci)", 0)
    plugin.verdicts["E7"].failed.append("E7::t")
    assert summary(plugin, "mine:RNN", "thorough") == (
        f"mine:RNN does not conform: E7 failed, {N - 1} passed (profile thorough)",
        1,
    )
    selected = _plugin(("E1", "E2"), everything)
    _ran(selected, "E1")
    line, code = summary(selected, "mine:RNN", "ci")
    assert code == 1  # a selected claim that did not run: not a pass
    assert line.startswith(
        f"mine:RNN: E1 pass (E2 not run; subset: 1 of {N} claims run; not a conformance verdict"
    )


def test_parse_claims() -> None:
    assert parse_claims(" e3, E1,E3 ") == ("E3", "E1")
    with pytest.raises(ValueError, match=r"--claims must be a comma-separated list of claims among E1, E2, "):
        parse_claims(",")


def _dot_readout() -> Any:
    sys.path.insert(0, str(OUTSIDE))
    from looprnn import LoopRNN

    class DotReadout(LoopRNN):  # type: ignore[misc]
        """``F = H @ c / sqrt(m)``: right in exact arithmetic, not exactly zero at Theta_0."""

        name = "dot-readout"

        def outputs(self, params: Any, X: Any) -> Any:
            return self.hidden_states(params, X) @ params.c / np.sqrt(params.width)

    return DotReadout()


def test_e1_failure_says_what_the_backend_must_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(OUTSIDE))
    from looprnn.biased import BiasedRNN

    config = verif.RNNConfig(width=64, input_dim=3, seq_len=8, memory_alpha=0.5)
    dot = claims.get("E1").check(config, _dot_readout(), 0)
    assert not dot.passed and dot.ratio == math.inf
    assert "defect='the read-out must add the partner pairs (i, i + m/2) first: " in dot.describe()
    biased = claims.get("E1").check(config, BiasedRNN(), 0)
    assert not biased.passed
    assert "defect='partner states differ in " in biased.describe()
    assert "H[..., i] and H[..., i + 32] must be bit-identical" in biased.describe()
    assert "defect" not in claims.get("E1").check(config, "numpy", 0).details


def test_e14_holds_where_the_linearized_output_is_exactly_zero() -> None:
    """Partner-symmetric displacements make ``F_lin = 0`` exactly: the rounding of a correct
    backend's sum is measured against ``sqrt(tr K) ||Theta - Theta_0||``, not against zero."""
    config = verif.RNNConfig(
        width=8,
        input_dim=1,
        seq_len=5,
        memory_alpha=1.2,
        rho_w=0.0,
        rho_u=1.548952483369591,
        nu_w=1.548952483369591,
        nu_u=2.0,
        w_init="rademacher",
    )
    res = claims.get("E14").check(config, "numpy", 9878, kind="corner")
    assert res.passed, res.describe()
    assert res.details["linearized_rel_error"] < 1e-14


def test_pytest_plugin_selects_claims(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["-p", "verif.testing.plugin", "--verif-backend", "looprnn:LoopRNN", "--verif-max-examples", "2"]
    args += ["--verif-claims", "E1", "--verif-no-shrink", "-q", "-p", "no:cacheprovider", "properties"]
    proc = run(args, module="pytest")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert re.search(r"^3 passed, \d+ deselected", proc.stdout, flags=re.M), proc.stdout[-2000:]
    assert sorted(table_rows(proc.stdout)) == ["E1"]
    # Refused while pytest configures, before the backend is loaded or a test collected: in
    # this process (a fresh interpreter would only import pytest and the plugin again).
    monkeypatch.syspath_prepend(str(OUTSIDE))
    monkeypatch.chdir(ROOT)
    bad = [*args[:6], "--verif-claims", "E0", "-p", "no:cacheprovider", "properties/test_e01_zero_output.py"]
    assert pytest.main(bad) == pytest.ExitCode.USAGE_ERROR
    assert "--claims must be a comma-separated list of claims among E1, " in capsys.readouterr().err


def test_a_strategy_wholly_outside_the_declaration_refuses_before_it_draws() -> None:
    """Drawn for a tanh/float64 backend, a float32-only strategy refuses once, before drawing, and
    Hypothesis gives up at once (the conformance run then skips the test); a strategy partly
    inside draws its examples outside too, for the backend's gate to refuse and count."""
    from hypothesis import HealthCheck, Phase, find, given, reject, settings
    from hypothesis.errors import Unsatisfiable

    from verif.testing import strategies

    reasons: list[str] = []
    first = settings(database=None, derandomize=True, phases=[Phase.generate])  # no shrinking

    def refused(reason: str) -> None:
        reasons.append(reason)
        reject()

    @settings(max_examples=6, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(case=strategies.configs_with_inputs(dtypes=("float32",)), seed=strategies.seeds)
    def float32_only(case: tuple[verif.RNNConfig, Any], seed: int) -> None:
        raise AssertionError(f"drawn outside the declaration: {case[0]}")

    @settings(max_examples=6, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(config=strategies.configs(activation_names=("sigmoid",)))
    def sigmoid_only(config: verif.RNNConfig) -> None:
        raise AssertionError(f"drawn outside the declaration: {config}")

    undo_handler = capabilities.on_unsupported(refused)
    undo_drawn_for = strategies.drawn_for(capabilities.Capabilities(("tanh",), ("float64",)))
    try:
        with pytest.raises(Unsatisfiable):
            float32_only()
        assert reasons == ["float32: not supported by the backend, sigmoid: not supported by the backend"]
        reasons.clear()
        with pytest.raises(Unsatisfiable):
            sigmoid_only()
        assert reasons == ["sigmoid: not supported by the backend"]
        reasons.clear()
        mixed = strategies.configs_with_inputs(dtypes=("float64", "float32"))
        case = find(mixed, lambda c: c[0].dtype == "float32" and c[0].activation == "sigmoid", settings=first)
        assert case[0].dtype == "float32" and not reasons
    finally:
        undo_drawn_for()
        undo_handler()
    assert (
        find(strategies.configs_with_inputs(dtypes=("float32",)), bool, settings=first)[0].dtype == "float32"
    )
