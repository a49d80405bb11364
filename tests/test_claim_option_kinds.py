"""Every claim's count and real options (``verif.claims.base.COUNT_OPTIONS``, ``REAL_OPTIONS``)
are refused in one line naming the option and the claim when of the wrong kind, before any work:
a float count would be cut (``n=3.5`` ran with 3 sequences), ``1e400`` ended in an
``OverflowError`` of ``int()``, ``nan`` in one of ``int("nan")``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import small_config
from verif import claims
from verif.claims.base import COUNT_OPTIONS, REAL_OPTIONS

BAD_COUNTS: tuple[Any, ...] = (3.5, 2.0, float("inf"), float("nan"), True, 0, -1, 10**30, "3", None, [3])
BAD_REALS: tuple[Any, ...] = (float("nan"), float("inf"), -float("inf"), True, "0.1", [0.1], 10**400)

CASES = [
    (cid, key, value)
    for cid in claims.ids()
    for key in sorted(claims.get(cid).options)
    for value in (BAD_COUNTS if key in COUNT_OPTIONS else BAD_REALS if key in REAL_OPTIONS else ())
]


#: The options that are neither a count nor a real number nor a choice among listed values:
#: arrays (``X``, ``Y``, ``theta``), a backend, a list of widths, a flag.
FREE_OPTIONS = {"X", "Y", "theta", "teacher_backend", "widths", "linear_state"}


def test_every_count_and_real_option_of_a_claim_is_covered() -> None:
    """The kinds name options that exist, and every scalar option a claim declares has a kind or
    a list of allowed values: a new count or real option without one fails here."""
    declared = {key for cid in claims.ids() for key in claims.get(cid).options}
    assert COUNT_OPTIONS <= declared and REAL_OPTIONS <= declared
    unkinded = {
        key
        for cid in claims.ids()
        for key, allowed in claims.get(cid).options.items()
        if allowed is None and key not in COUNT_OPTIONS | REAL_OPTIONS
    }
    assert unkinded == FREE_OPTIONS, sorted(unkinded ^ FREE_OPTIONS)


@pytest.mark.parametrize(("claim_id", "key", "value"), CASES, ids=lambda v: repr(v)[:12])
def test_a_bad_count_or_real_option_is_refused_naming_it(claim_id: str, key: str, value: Any) -> None:
    claim = claims.get(claim_id)
    with pytest.raises((ValueError, TypeError)) as info:
        claim.check_options({key: value})
    message = str(info.value)
    assert "\n" not in message and f"option {key} of {claim_id}" in message, message


def test_good_counts_pass_the_check() -> None:
    for cid in claims.ids():
        claim = claims.get(cid)
        for key in claim.options:
            if key in COUNT_OPTIONS:
                claim.check_options({key: 2})
            elif key in REAL_OPTIONS:
                claim.check_options({key: 0.25})


def test_a_float_count_from_the_command_line_is_exit_2_before_any_work() -> None:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    for option in ("n=3.5", "n=1e400", "points=nan"):
        out = subprocess.run(
            [sys.executable, "-m", "verif", "check", "E4", "--option", option],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert out.returncode == 2, (option, out.stderr)
        assert out.stdout == "" and out.stderr.count("\n") == 1, (option, out.stderr)
        assert f"option {option.split('=')[0]} of E4" in out.stderr


def test_claim_check_refuses_a_float_count_directly() -> None:
    with pytest.raises(TypeError, match="option n of E1"):
        claims.get("E1").check(small_config(), "numpy", 0, n=3.5)
