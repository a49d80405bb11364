"""``verif conform``: the property suite against backends written outside the package.

``tests/outside/looprnn`` is a user's package: ``LoopRNN`` (correct, neuron-major, one loop over
time, gradients forward in time) must conform; ``StaleTangentRNN`` (``dh/dw`` carried with the
initial weights ``w0``) must fail, and the table must name E2 as the claim that catches it.
Each run is a fresh ``verif`` process with the ``ci`` profile capped at a few examples.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import verif
from verif import claims
from verif.testing.plugin import Verdict, claim_of, format_table

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = ROOT / "tests" / "outside"
EXAMPLES = "5"
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


def table_rows(out: str) -> dict[str, tuple[str, str]]:
    """``{claim: (verdict, worst ratio)}`` from the verdict table."""
    rows = re.findall(r"^(E\d+)\s+(pass|FAIL|not run)\s+\d+\s+\d+\s+(\S+)", out, flags=re.M)
    return {cid: (verdict, ratio) for cid, verdict, ratio in rows}


@pytest.fixture(scope="module")
def correct() -> subprocess.CompletedProcess[str]:
    return run(["conform", "looprnn:LoopRNN", "--max-examples", EXAMPLES])


@pytest.fixture(scope="module")
def buggy() -> subprocess.CompletedProcess[str]:
    return run(["conform", "looprnn.buggy:StaleTangentRNN", "--max-examples", EXAMPLES])


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
def test_backend_that_cannot_be_loaded_exits_2(target: str, message: str) -> None:
    proc = run(["conform", target])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"verif conform: error: backend {target!r}")
    assert message in proc.stderr
    assert "passed" not in proc.stdout  # nothing ran


def test_missing_suite_exits_2(tmp_path: Path) -> None:
    proc = run(["conform", "looprnn:LoopRNN", "--suite", str(tmp_path)])
    assert proc.returncode == 2
    assert "suite must be a directory with the property suite" in proc.stderr


def test_pytest_plugin_runs_the_suite_with_the_backend() -> None:
    args = ["-p", "verif.testing.plugin", "--verif-backend", "looprnn:LoopRNN", "--verif-max-examples", "2"]
    proc = run([*args, "-q", "-p", "no:cacheprovider", "properties/test_e01_zero_output.py"], module="pytest")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "2 passed" in proc.stdout  # the two E1 properties, once each: with this backend only
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
