"""The ``verif`` command line: ``verif bounds`` in text and JSON, and its handling of bad input."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verif import bounds
from verif.cli import EXIT_USAGE, main
from verif.config import RNNConfig

REGIMES = [
    ("tanh", 0.5, "short memory"),
    ("tanh", 1.0, "cutoff"),
    ("tanh", 1.2, "long memory"),
    ("sigmoid", 2.0, "short memory"),
    ("sigmoid", 4.0, "cutoff"),
    ("sigmoid", 5.0, "long memory"),
]

BOUND_KEYS = {
    "B1_L_w",
    "B1_L_u",
    "B3_grad_norm",
    "B3_output",
    "B4_beta",
    "B5_curvature",
    "B6_linearization",
    "B7_approximation",
    "B7_Delta_m",
}
B8_KEYS = {
    "width",
    "iterations",
    "step_size",
    "width_linearization",
    "width_curvature",
    "width_approximation",
    "width_required",
    "satisfied",
    "R_max",
    "G",
    "beta_max",
    "K",
    "y_max",
}


def _argv(act: str, alpha: float, *extra: str) -> list[str]:
    return [
        "bounds",
        "--width",
        "64",
        "--memory-alpha",
        str(alpha),
        "--seq-len",
        "5",
        "--activation",
        act,
        "--eps",
        "0.5",
        "--n",
        "100",
        *extra,
    ]


def _config(act: str, alpha: float) -> RNNConfig:
    return RNNConfig(width=64, input_dim=1, seq_len=5, memory_alpha=alpha, activation=act)


@pytest.mark.parametrize(("act", "alpha", "regime"), REGIMES)
def test_bounds_json(act: str, alpha: float, regime: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(act, alpha, "--json")) == 0
    out, err = capsys.readouterr()
    assert err == ""
    s = json.loads(out)
    assert set(s) == {
        "config",
        "regime",
        "cutoff",
        "gain_at_init",
        "gain",
        "mu_T",
        "t",
        "bounds",
        "target",
        "B8_at_width",
        "B8_required",
    }
    assert s["regime"] == regime
    config = _config(act, alpha)
    assert s["config"] == config.to_dict()
    assert s["cutoff"] == pytest.approx({"tanh": 1.0, "sigmoid": 4.0}[act], rel=1e-15)
    assert s["gain_at_init"] == pytest.approx(bounds.gain_at_init(config), rel=1e-15)
    assert s["gain"] == pytest.approx(bounds.gain(config), rel=1e-15)
    assert s["mu_T"] == pytest.approx(bounds.mu_T(config), rel=1e-15)
    assert s["t"] == 4
    assert set(s["bounds"]) == BOUND_KEYS
    assert s["bounds"]["B4_beta"] == pytest.approx(bounds.beta(config)[4], rel=1e-15)
    assert s["bounds"]["B1_L_u"] == pytest.approx(bounds.lipschitz_u(config)[4], rel=1e-15)
    assert s["bounds"]["B7_approximation"] == pytest.approx(
        bounds.approximation_bound(config, 100, 0.05), rel=1e-15
    )
    assert s["target"] == {"eps": 0.5, "n": 100, "delta": 0.05}
    assert set(s["B8_at_width"]) == B8_KEYS and set(s["B8_required"]) == B8_KEYS
    assert s["B8_at_width"]["width"] == 64
    need = bounds.required_width(config, 0.5, 100, 0.05)
    assert s["B8_required"]["width"] == need.width
    assert s["B8_required"]["satisfied"] is True


@pytest.mark.parametrize(("act", "alpha", "regime"), REGIMES)
def test_bounds_text(act: str, alpha: float, regime: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(act, alpha)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    config = _config(act, alpha)
    assert lines[0].startswith("config") and f"sigma={act}" in lines[0] and "m=64" in lines[0]
    assert lines[1].startswith(f"regime      {regime} (cutoff 1/sigma_1 = ")
    assert lines[2] == f"mu_T        {bounds.mu_T(config):.6g}"
    assert f"beta_t = {bounds.beta(config)[4]:.6g}" in out
    need = bounds.required_width(config, 0.5, 100, 0.05)
    assert f"smallest width that meets B8: m = {need.width} " in out
    for tag in ("B1", "B3", "B4", "B5", "B6", "B7", "B8"):
        assert tag in out


def test_regimes_differ_in_mu_T(capsys: pytest.CaptureFixture[str]) -> None:
    mus = []
    for alpha in (0.5, 1.0, 1.2):
        assert main(_argv("tanh", alpha, "--json", "--seq-len", "12")) == 0
        mus.append(json.loads(capsys.readouterr().out)["mu_T"])
    assert mus[0] < mus[1] < mus[2]
    assert mus[0] <= 1 / (1 - (0.5 + 1 / 8)) + 1e-12  # short memory: mu_T <= 1/(1-a)


def test_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bounds", "--width", "8", "--memory-alpha", "0.3", "--seq-len", "2", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["config"]["activation"] == "tanh"
    assert s["target"] == {"eps": 0.1, "n": 1000, "delta": 0.05}
    assert s["B8_at_width"]["y_max"] == pytest.approx(s["B8_at_width"]["K"], rel=1e-15)


def test_y_max_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_argv("tanh", 0.5, "--json"), "--y-max", "3.0"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["B8_at_width"]["y_max"] == 3.0
    assert s["B8_at_width"]["R_max"] == pytest.approx(3.0 + s["bounds"]["B3_output"], rel=1e-12)


BAD = [
    (["--width", "abc"], r"width must be an integer >= 2, got 'abc'"),
    (["--width", "4.5"], r"width must be an integer >= 2, got 4.5"),
    (["--seq-len", str(10**13)], r"seq_len must be an integer <= 1000000"),
    (["--memory-alpha", "1e308"], r"memory_alpha must be a finite real number in \[0, 1e\+75\]"),
    (["--memory-alpha", "x"], "memory_alpha"),
    (["--n", "1e3"], r"n \(number of sequences\) must be an integer >= 1, got 1000.0"),
    (["--width", "3"], "width"),
    (["--width", "0"], "width"),
    (["--width", "-4"], "width"),
    (["--memory-alpha", "-1"], "memory_alpha"),
    (["--memory-alpha", "nan"], "memory_alpha"),
    (["--memory-alpha", "inf"], "memory_alpha"),
    (["--seq-len", "0"], "seq_len"),
    (["--input-dim", "0"], "input_dim"),
    (["--rho-w", "-0.5"], "rho_w"),
    (["--rho-u", "nan"], "rho_u"),
    (["--nu-w", "-1"], "nu_w"),
    (["--nu-u", "inf"], "nu_u"),
    (["--activation", "relu"], "activation"),
    (["--activation", "softplus"], "activation"),
    (["--w-init", "normal"], "w_init"),
    (["--eps", "0"], "eps"),
    (["--eps", "-1"], "eps"),
    (["--eps", "nan"], "eps"),
    (["--n", "0"], r"n \(number of sequences\)"),
    (["--delta", "0"], "delta"),
    (["--delta", "1.5"], "delta"),
    (["--delta", "nan"], "delta"),
    (["--y-max", "-1"], "y_max"),
    (["--y-max", "nan"], "y_max"),
]


@pytest.mark.parametrize(("override", "field"), BAD, ids=[" ".join(o) for o, _ in BAD])
def test_bad_input_exit_2(override: list[str], field: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bounds", "--width", "8", "--memory-alpha", "0.5", "--seq-len", "3", "--n", "10", *override]
    assert main(argv) == EXIT_USAGE == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("verif bounds: error: ")

    assert re.search(field, err), err


def test_unknown_names_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv("softplus", 0.5)) == 2
    err = capsys.readouterr().err
    assert "sigmoid" in err and "tanh" in err and "softplus" in err
    assert main([*_argv("tanh", 0.5), "--w-init", "normal"]) == 2
    err = capsys.readouterr().err
    for law in ("uniform", "rademacher", "constant"):
        assert law in err


def test_infeasible_target_is_reported_as_not_met(capsys: pytest.CaptureFixture[str]) -> None:
    # no width up to 2^62 meets B8: every bound is still printed, and B8 says "not met"
    argv = ["bounds", "--width", "8", "--memory-alpha", "3", "--seq-len", "60"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "smallest width that meets B8: none up to m = 2^62 (not met" in out
    for tag in ("mu_T", "B1", "B3", "B4", "B5", "B6", "B7"):
        assert tag in out
    assert main([*argv, "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["B8_required"]["satisfied"] is False and s["B8_required"]["width"] == 2**62


@pytest.mark.parametrize(
    "argv",
    [
        ["bounds", "--memory-alpha", "0.5", "--seq-len", "3"],
        ["frobnicate"],
        [],
    ],
)
def test_argparse_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "error" in err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["bounds", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--width", "--memory-alpha", "--seq-len", "--activation", "--eps", "--json"):
        assert option in out


def _console_script() -> str:
    here = Path(sys.executable).parent / "verif"
    found = str(here) if here.exists() else shutil.which("verif")
    assert found, "the console script 'verif' is not installed"
    return found


def test_console_script_entry_point() -> None:
    script = _console_script()
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    argv = ["bounds", "--width", "16", "--memory-alpha", "0.5", "--seq-len", "4", "--json"]
    done = subprocess.run([script, *argv], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    s = json.loads(done.stdout)
    assert s["regime"] == "short memory"
    assert math.isclose(s["gain"], 0.5 + 1 / 4, rel_tol=1e-15)
    bad = subprocess.run(
        [script, "bounds", "--width", "5", "--memory-alpha", "0.5", "--seq-len", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "width" in bad.stderr and bad.stderr.count("\n") == 1
