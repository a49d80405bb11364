"""Counts on the command line (``conform --max-examples``, ``search --budget``): plausible but
wrong values are exit status 2 with one line naming the option and the allowed range.

``10**30`` used to be taken (the run then never ended), ``1e400``, ``nan`` and ``0x10`` were
refused without the range. The bound, :data:`verif.validation.COUNT_MAX`, is in ``--help``.
"""

from __future__ import annotations

import pytest

from verif import cli, exit_status
from verif.validation import COUNT_MAX, int_option

COMMANDS = {
    "--max-examples": ["conform", "nosuch.module:Name"],
    "--budget": ["search", "--claims", "E7"],
}
WRONG = ["1e400", str(10**30), str(COUNT_MAX + 1), "-0", "0", "-3", "nan", "inf", "0x10", "1.5", "ten"]


@pytest.mark.parametrize("option", sorted(COMMANDS))
@pytest.mark.parametrize("value", WRONG)
def test_a_wrong_count_is_usage_naming_the_option_and_range(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main([*COMMANDS[option], f"{option}={value}"])
    assert stop.value.code == exit_status.USAGE
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert option in last and f"[1, {COUNT_MAX:_}]" in last and repr(value) in last, last


@pytest.mark.parametrize(("text", "value"), [("1_000", 1000), ("7", 7), (str(COUNT_MAX), COUNT_MAX)])
def test_a_count_in_range_is_read_as_python_reads_it(text: str, value: int) -> None:
    assert int_option(1, COUNT_MAX)(text) == value


@pytest.mark.parametrize("option", sorted(COMMANDS))
def test_the_bound_is_in_the_help(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main([COMMANDS[option][0], "--help"])
    assert f"{COUNT_MAX:_}" in " ".join(capsys.readouterr().out.split())
