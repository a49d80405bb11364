"""``verif bounds``: the text read back says the numbers of ``--json``, slot by slot.

Every number of the text output is parsed back (a float, or ``10^x`` beyond float64) and
compared with the entry of the JSON output for the same command, to the digits the text
prints; every met/not met with the JSON's ``satisfied``. A slot that prints another bound's
number, a requirement at the wrong width or a stale verdict fails here whatever the numbers are.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from verif.cli import main

NUM = r"(10\^-?[0-9.]+|-?[0-9.]+(?:e[+-]?[0-9]+)?|inf)"

#: ``(regex over the text, JSON paths of its groups, significant digits printed)``.
SLOTS: list[tuple[str, tuple[str, ...], int]] = [
    (rf"cutoff 1/sigma_1 = {NUM}; a_0 = {NUM}, a = {NUM}\)", ("cutoff", "gain_at_init", "gain"), 6),
    (rf"^mu_T +{NUM}$", ("mu_T",), 6),
    (r"^bounds at t = T-1 = (\d+):$", ("t",), 12),
    (rf"B1  L_w,t = {NUM}   L_u,t = {NUM}$", ("bounds.B1_L_w", "bounds.B1_L_u"), 6),
    (rf"B3  \|\|grad F_t\|\| <= {NUM}   \|F_t\| <= {NUM}$", ("bounds.B3_grad_norm", "bounds.B3_output"), 6),
    (rf"B4  beta_t = {NUM}$", ("bounds.B4_beta",), 6),
    (rf"B5  \|\|Hess F_t\|\| <= {NUM}$", ("bounds.B5_curvature",), 6),
    (rf"B6  \|F_t - F_lin_t\| <= {NUM}$", ("bounds.B6_linearization",), 6),
    (rf"B7  approximation <= {NUM}   Delta_m = {NUM}$", ("bounds.B7_approximation", "bounds.B7_Delta_m"), 6),
    (
        rf"^B8 for average risk <= {NUM} \(n = (\d+), delta = {NUM}\):$",
        ("target.eps", "target.n", "target.delta"),
        6,
    ),
]


def _get(doc: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


def _log10(value: Any) -> float:
    """log10 of a JSON number (``{"log10": x}`` beyond float64) or of a printed one (``10^x``)."""
    if isinstance(value, dict):
        return float(value["log10"])
    if isinstance(value, str):
        if value.startswith("10^"):
            return float(value[3:])
        value = float(value)
    return math.log10(value) if value > 0 else -math.inf


def assert_same(printed: str, value: Any, digits: int, where: str) -> None:
    """``printed`` (the text's token) is ``value`` (the JSON's) to ``digits`` significant digits."""
    if printed.startswith("10^") or isinstance(value, dict):  # one decimal of log10 printed
        assert _log10(printed) == pytest.approx(_log10(value), abs=0.051), where
        return
    assert not isinstance(value, bool), where
    number = float(value)
    assert float(printed) == pytest.approx(number, rel=0.51 * 10.0 ** (1 - digits), abs=1e-300), where


def _met(word: str) -> bool:
    assert word in ("met", "not met")
    return word == "met"


ARGVS = [
    ["--width", "64", "--memory-alpha", "0.5", "--seq-len", "5", "--eps", "0.5", "--n", "100"],
    ["--width", "64", "--memory-alpha", "1.0", "--seq-len", "5", "--activation", "sigmoid", "--eps", "0.5"],
    ["--width", "4096", "--memory-alpha", "0.3", "--seq-len", "6", "--eps", "0.2", "--method", "gd"],
    ["--width", "64", "--memory-alpha", "1.5", "--seq-len", "400", "--method", "gd"],
    ["--width", "100000000000", "--memory-alpha", "0.3", "--seq-len", "6", "--eps", "0.2", "--method", "gd"],
    ["--width", "16", "--memory-alpha", "1.2", "--seq-len", "30", "--rho-w", "3", "--delta", "0.01"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a))
def test_the_text_says_the_numbers_of_the_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bounds", *argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert main(["bounds", *argv]) == 0
    text = capsys.readouterr().out
    for pattern, paths, digits in SLOTS:
        m = re.search(pattern, text, flags=re.M)
        assert m, f"no line matching {pattern!r} in\n{text}"
        for token, path in zip(m.groups(), paths, strict=True):
            assert_same(token, _get(doc, path), digits, path)
    assert f"regime      {doc['regime']} (" in text
    c = doc["config"]
    assert (
        f"config      m={c['width']} T={c['seq_len']} alpha={c['memory_alpha']:g} sigma={c['activation']}"
        in text
    )
    _check_b8(text, doc)
    if "B10_at_width" in doc:
        _check_b10(text, doc)
    else:
        assert "B10" not in text


def _check_b8(text: str, doc: dict[str, Any]) -> None:
    at, need = doc["B8_at_width"], doc["B8_required"]
    m = re.search(
        rf"^B8 for .*\n  at m = (\d+): needs m >= {NUM} \((met|not met)\), tau >= {NUM}, eta = {NUM}$",
        text,
        flags=re.M,
    )
    assert m, text
    assert int(m.group(1)) == at["width"] == doc["config"]["width"]
    assert_same(m.group(2), at["width_required"], 4, "B8_at_width.width_required")
    assert _met(m.group(3)) is at["satisfied"]
    assert_same(m.group(4), at["iterations"], 4, "B8_at_width.iterations")
    assert_same(m.group(5), at["step_size"], 4, "B8_at_width.step_size")
    if need["satisfied"]:
        m = re.search(
            rf"smallest width that meets B8: m = (\d+) \(tau >= {NUM}, eta = {NUM}\)$", text, flags=re.M
        )
        assert m, text
        assert int(m.group(1)) == need["width"]
        assert_same(m.group(2), need["iterations"], 4, "B8_required.iterations")
        assert_same(m.group(3), need["step_size"], 4, "B8_required.step_size")
    else:
        m = re.search(
            rf"smallest width that meets B8: none up to m = 2\^62 \(not met: there B8 needs m >= {NUM}, "
            rf"tau >= {NUM}\)$",
            text,
            flags=re.M,
        )
        assert m, text
        assert need["width"] == 2**62
        assert_same(m.group(1), need["width_required"], 4, "B8_required.width_required")
        assert_same(m.group(2), need["iterations"], 4, "B8_required.iterations")


def _check_b10(text: str, doc: dict[str, Any]) -> None:
    at, need = doc["B10_at_width"], doc["B10_required"]
    assert re.search(rf"^B10 \(plain GD\) for average risk <= {NUM}:$", text, flags=re.M)
    if at["converged"]:
        m = re.search(
            rf"^  at m = (\d+): needs m >= {NUM} \((met|not met)\), tau >= (\d+), eta = {NUM}, "
            rf"radii reached \({NUM}, {NUM}\)$",
            text.split("B10 (plain GD)", 1)[1],
            flags=re.M,
        )
        assert m, text
        assert int(m.group(1)) == at["width"]
        assert_same(m.group(2), at["width_required"], 4, "B10_at_width.width_required")
        assert _met(m.group(3)) is at["satisfied"]
        assert int(m.group(4)) == at["iterations"]
        assert_same(m.group(5), at["step_size"], 4, "B10_at_width.step_size")
        assert_same(m.group(6), at["radius_w"], 4, "B10_at_width.radius_w")
        assert_same(m.group(7), at["radius_u"], 4, "B10_at_width.radius_u")
    else:
        assert f"  at m = {at['width']}: not met, no radius holds the GD iterates" in text
    if need is None:
        assert "  no width up to 2^62 meets B10" in text
    else:
        m = re.search(
            rf"smallest width that meets B10: m = (\d+) \(tau >= (\d+), eta = {NUM}\)$", text, flags=re.M
        )
        assert m, text
        assert int(m.group(1)) == need["width"] and int(m.group(2)) == need["iterations"]
        assert_same(m.group(3), need["step_size"], 4, "B10_required.step_size")
