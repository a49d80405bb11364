"""The flags of ``verif bounds`` and ``verif check`` on wide and wrong values.

Every outcome is exit 0 or 1 with output on stdout and nothing on stderr, or exit 2 with
stdout empty and exactly one line on stderr (``verif <command>: error: ...``); never a
traceback, never a warning (warnings are errors inside the test), never ``inf`` or ``nan``
printed for a bound. ``verif.cli.main`` runs in this process; a few subprocess runs check the
exit status and stderr of the real command. The ``check`` fuzz uses E1 (cheap) on tiny sizes.
Values are passed as ``--flag=value`` so that argparse reads a value such as ``-inf`` as a value.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from verif.cli import main

#: CI runs the fuzz derandomized (the same examples every run); elsewhere each run draws afresh.
IN_CI = bool(os.environ.get("CI"))

#: Text that a user might type for a number: numbers, extremes, and things that are not numbers.
ODD_TEXT = [
    "0",
    "-1",
    "1.5",
    "-0.0",
    "1e308",
    "1e400",
    "-1e5",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "5e-324",
    "1e-300",
    str(2**63),
    str(10**13),
    "9" * 400,
    "1_000",
    "0x10",
    " 4 ",
    "",
    "abc",
    "1j",
    "True",
    "4.0",
    "1,5",
    "∞",
]
TEXT = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.integers(min_value=-10, max_value=10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)


def _good_real(lo: float, hi: float) -> st.SearchStrategy[str]:
    return st.floats(min_value=lo, max_value=hi).map(repr)


BOUNDS_FLAGS: dict[str, st.SearchStrategy[str]] = {
    "--width": st.integers(min_value=1, max_value=32).map(lambda k: str(2 * k)),
    "--memory-alpha": _good_real(0.0, 6.0),
    "--seq-len": st.integers(min_value=1, max_value=60).map(str),
    "--input-dim": st.just("1"),
    "--activation": st.sampled_from(["tanh", "sigmoid"]),
    "--rho-w": _good_real(0.0, 20.0),
    "--rho-u": _good_real(0.0, 20.0),
    "--nu-w": _good_real(0.0, 5.0),
    "--nu-u": _good_real(0.0, 5.0),
    "--w-init": st.sampled_from(["uniform", "constant"]),
    "--eps": _good_real(1e-6, 10.0),
    "--n": st.integers(min_value=1, max_value=10**6).map(str),
    "--delta": _good_real(1e-6, 0.99),
    "--y-max": _good_real(0.0, 10.0),
}
REQUIRED = ("--width", "--memory-alpha", "--seq-len")


@st.composite
def bounds_argv(draw: st.DrawFn) -> list[str]:
    """The required flags and some others, good values except for up to two flags."""
    flags = [*REQUIRED, *draw(st.sets(st.sampled_from(sorted(set(BOUNDS_FLAGS) - set(REQUIRED)))))]
    wrong = draw(st.sets(st.sampled_from(flags), max_size=2)) if draw(st.booleans()) else set()
    argv = ["bounds"]
    for flag in flags:
        argv.append(f"{flag}={draw(TEXT if flag in wrong else BOUNDS_FLAGS[flag])}")
    if draw(st.booleans()):
        argv.append("--json")
    return argv


CHECK_FLAGS: dict[str, tuple[st.SearchStrategy[str], list[str]]] = {
    "--width": (st.sampled_from(["2", "4"]), ["0", "3", "-2", "4.0", "x", str(2**62), str(2**63)]),
    "--input-dim": (st.sampled_from(["1", "2"]), ["0", "1.5", "", str(10**7)]),
    "--seq-len": (st.sampled_from(["1", "3"]), ["0", str(10**13), "nan"]),
    "--memory-alpha": (_good_real(0.0, 5.0), ["-1", "inf", "1e308", "x"]),
    "--activation": (st.sampled_from(["tanh", "sigmoid", "relu"]), ["softplus", ""]),
    "--dtype": (st.sampled_from(["float64", "float32"]), ["float16"]),
    "--seed": (st.integers(min_value=0, max_value=2**63 - 1).map(str), ["1.5", "-1", str(2**63), "x", ""]),
    "--backend": (st.just("numpy"), ["torch", ""]),
}
#: E1's options: good values and typos, wrong names, wrong values.
E1_OPTIONS = [
    "n=1",
    "n=2",
    "n=0",
    "n=-1",
    "n=1.5",
    "n=null",
    'n="2"',
    "n=[1]",
    "knd=boundary",
    "kind=interior",
    "n",
    "=3",
    "seed=1",
    "X=[[[0.5]]]",
    "X=[[[2.0]]]",
    "X=1",
]


@st.composite
def check_argv(draw: st.DrawFn) -> list[str]:
    flags = draw(st.sets(st.sampled_from(sorted(CHECK_FLAGS))))
    wrong = (
        draw(st.sets(st.sampled_from(sorted(flags)), max_size=1)) if flags and draw(st.booleans()) else set()
    )
    argv = ["check", draw(st.sampled_from(["E1"] * 8 + ["E100", "e1"]))]
    for flag in sorted(flags):
        good, bad = CHECK_FLAGS[flag]
        argv.append(f"{flag}={draw(st.sampled_from(bad)) if flag in wrong else draw(good)}")
    for option in draw(st.lists(st.sampled_from(E1_OPTIONS), max_size=2)):
        argv.append(f"--option={option}")
    if draw(st.booleans()):
        argv.append("--json")
    return argv


_NONFINITE = re.compile(r"(?<![\w.])-?(inf|nan|Infinity|NaN)(?![\w])")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse: only for flags it owns (--help, a missing flag)
            status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def _assert_outcome(argv: list[str], status: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err and "Warning" not in err, (argv, err)
    if status == 2:
        assert out == "", argv
        assert err.endswith("\n") and err.count("\n") == 1, (argv, err)
        assert err.startswith(f"verif {argv[0]}: error: "), (argv, err)
        return
    assert status in (0, 1), (argv, status, err)
    assert out.strip() and err == "", (argv, err)
    if "--json" in argv:

        def refuse(name: str) -> Any:
            raise AssertionError(f"{argv}: JSON holds {name}")

        json.loads(out, parse_constant=refuse)
    elif argv[0] == "bounds":
        assert not _NONFINITE.search(out.replace("sigma=", "")), (argv, out)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
    derandomize=IN_CI,
)
@given(argv=bounds_argv())
# Found by the fuzz: R_max G underflows at rho_u = 5e-324 and eta = nu / (R_max G sqrt(tau)) was inf.
@example(
    argv=[
        "bounds",
        "--width=2",
        "--memory-alpha=0.0",
        "--seq-len=1",
        "--delta=0.5",
        "--input-dim=1",
        "--eps=1.0",
        "--nu-u=0.0",
        "--n=1",
        "--rho-u=5e-324",
        "--nu-w=1.0",
        "--activation=tanh",
    ]
)
def test_bounds_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(argv, capsys)
    _assert_outcome(argv, status, out, err)
    assert status in (0, 2)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
    derandomize=IN_CI,
)
@given(argv=check_argv())
def test_check_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(argv, capsys)
    _assert_outcome(argv, status, out, err)
    if any(o in argv for o in ("--option=knd=boundary", "--option=kind=interior", "--option=seed=1")):
        assert status == 2  # an option E1 does not declare is refused, never ignored


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed=1.5"], "seed must be a non-negative integer in [0, 2**63 - 1], got 1.5"),
        (["--seed=-1"], "seed must be a non-negative integer in [0, 2**63 - 1], got -1"),
        (["--seed", str(2**63)], f"got {2**63}"),
        (
            ["--option", "n=1", "--option", "knd=boundary"],
            "E1 has no option 'knd'; its options are ['X', 'n']",
        ),
    ],
)
def test_check_refuses_bad_seeds_and_options(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(["check", "E1", "--width", "2", "--seq-len", "2", *args], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert needle in err, err


def test_check_refuses_an_option_value_outside_its_set(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["check", "E7", "--width", "4", "--seq-len", "2", "--option", "kind=edge"], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "option kind of E7 must be one of ['interior', 'boundary', 'corner'], got 'edge'" in err


def _verif(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHONWARNINGS": "error"}
    return subprocess.run(
        [sys.executable, "-m", "verif", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_the_command_exits_with_the_documented_status() -> None:
    long = _verif("bounds", "--width", "8", "--memory-alpha", "1.5", "--seq-len", "64")
    assert long.returncode == 0 and long.stderr == ""
    assert "mu_T        1.66378e+17" in long.stdout and "B4  beta_t = " in long.stdout
    assert "smallest width that meets B8: none up to m = 2^62 (not met" in long.stdout
    huge = _verif("bounds", "--width", "8", "--memory-alpha", "0.5", "--rho-w", "10", "--seq-len", "400")
    assert huge.returncode == 0 and huge.stderr == ""
    assert re.search(r"B4  beta_t = 10\^483\.\d\n", huge.stdout) and not _NONFINITE.search(huge.stdout)
    for argv, needle in [
        (("bounds", "--width", "8", "--memory-alpha", "1e308", "--seq-len", "4"), "memory_alpha must be"),
        (("bounds", "--width", "8", "--memory-alpha", "0.5", "--seq-len", str(2**63)), "seq_len must be"),
        (("check", "E7", "--option", "knd=boundary"), "E7 has no option 'knd'"),
        (("check", "E1", "--seed", "1.5"), "seed must be a non-negative integer"),
    ]:
        done = _verif(*argv)
        assert done.returncode == 2 and done.stdout == "", argv
        assert done.stderr.count("\n") == 1 and needle in done.stderr, (argv, done.stderr)
