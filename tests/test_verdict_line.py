"""A printed verdict explains itself where the ratio does not (``verif.claims.verdict``).

A claim that fails on a side condition (E6's coupling check, E1's pair symmetry, E4's
monotonicity, E10's frequency test) can have ``ratio <= 1``; ``E6 VIOLATED ratio 0.3`` reads as
a contradiction. Every front end (``verif check``, the conformance table, the report's claim
table and summary) prints the verdict through the one function, which adds the test that
decided it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_conform_coupled import CoupledRNN, config
from verif import claims
from verif.claims import ClaimResult, defects
from verif.claims.base import verdict
from verif.report import check as report_check
from verif.report.render import _claim_table, claim_verdict
from verif.testing.plugin import Verdict, format_table

COUPLED = "model check: neurons coupled"


@pytest.mark.parametrize(
    ("passed", "ratio", "details", "expected"),
    [
        (True, 0.3, {}, "holds"),
        (False, 1.7, {}, "VIOLATED"),
        (False, "inf", {}, "VIOLATED"),
        (False, 0.3, {"verdict_by": COUPLED}, f"VIOLATED ({COUPLED})"),
        (False, 1.7, {"verdict_by": COUPLED}, f"VIOLATED ({COUPLED})"),  # decided by it anyway
        (False, 0.3, {"defect_kind": defects.INITIALIZATION}, f"VIOLATED ({defects.INITIALIZATION})"),
        (False, 0.0, {}, "VIOLATED (side condition, not the ratio)"),
        (True, 1.2, {"verdict_by": "frequency test: 1 of 20"}, "holds (frequency test: 1 of 20)"),
        (True, 1.2, {}, "holds (by its own test, not the ratio)"),
        (True, 0.3, {"verdict_by": "frequency test: 0 of 20"}, "holds"),  # the ratio says it already
        (False, "nan", {}, "VIOLATED"),
    ],
)
def test_the_verdict_names_the_deciding_test_where_the_ratio_does_not(
    passed: bool, ratio: Any, details: dict[str, Any], expected: str
) -> None:
    assert verdict(passed, ratio, details) == expected


def test_the_fail_word_is_the_front_ends() -> None:
    assert verdict(False, 0.3, {"verdict_by": COUPLED}, fail="FAIL") == f"FAIL ({COUPLED})"


@pytest.fixture(scope="module")
def coupled() -> ClaimResult:
    res = claims.get("E6").check(config(), CoupledRNN(), 0)
    assert not res.passed and res.ratio <= 1.0, res.describe()
    return res


def test_verif_check_line_of_a_coupled_model_says_why(coupled: ClaimResult) -> None:
    line = coupled.describe()
    assert line.startswith(f"E6 VIOLATED ({COUPLED}): ratio={coupled.ratio:.6g} "), line
    record = {"result": coupled.to_dict()}
    assert report_check._describe(record).startswith(f"E6 VIOLATED ({COUPLED}): ratio="), record
    # the line still reads back as a record (verif check --replay of a describe() line)
    _, recorded = report_check._from_describe(line)
    assert recorded["passed"] is False and recorded["ratio"] == pytest.approx(coupled.ratio, rel=1e-5)


def test_a_claim_that_holds_reads_as_before() -> None:
    res = claims.get("E6").check(config(), "numpy", 0)
    assert res.passed and res.describe().startswith("E6 holds: ratio="), res.describe()


def test_the_conformance_table_says_why(coupled: ClaimResult) -> None:
    e6 = Verdict("E6", nodes=["b::y"], failed=["b::y"])
    e6.observe(coupled)
    assert e6.status == "FAIL" and e6.label == f"FAIL ({COUPLED})"
    row = next(line for line in format_table([e6]).splitlines() if line.startswith("E6 "))
    assert row.split()[1:5] == ["FAIL", "(model", "check:", "neurons"], row
    assert f"{coupled.ratio:.4g}" in row
    crashed = Verdict("E7", nodes=["c::z"], failed=["c::z"], error="TypeError: x")
    assert crashed.label == "FAIL"  # nothing measured: no reason to give but the defect line


def _doc(res: ClaimResult) -> dict[str, Any]:
    return {
        "claims": [
            {
                "id": res.claim_id,
                "title": "t",
                "theory": "B5",
                "configurations": 1,
                "measurements": 1,
                "errors": 0,
                "largest_ratio": res.ratio,
                "verdict": "holds" if res.passed else "VIOLATED",
                "worst_record": "k1",
            }
        ],
        "records": [{"key": "k1", "result": res.to_dict()}],
    }


def test_the_report_claim_table_says_why(coupled: ClaimResult) -> None:
    doc = _doc(coupled)
    cols, rows = _claim_table(doc)
    cell = rows[0][cols.index("verdict")]
    assert cell == f"VIOLATED ({COUPLED})"
    assert claim_verdict(doc, doc["claims"][0]) == cell
    held = _doc(claims.get("E6").check(config(), "numpy", 0))
    assert _claim_table(held)[1][0][cols.index("verdict")] == "holds"
    unmeasured = {**held["claims"][0], "verdict": "not measured", "worst_record": None}
    assert claim_verdict(held, unmeasured) == "not measured"


def test_e1_names_the_side_condition_it_fails() -> None:
    from verif.claims.e01_zero_output import side_check

    assert side_check(False, 0) == {}
    assert side_check(False, 3) == {"verdict_by": "initialization check: 3 partner entries differ"}
    both = side_check(True, 2)["verdict_by"]
    assert both.startswith("initialization check") and "read-out check" in both


def test_e10_records_its_frequency_test() -> None:
    res = claims.get("E10").check(config(width=8, seq_len=3), "numpy", 0, init_seeds=4, draws=256)
    assert res.details["verdict_by"] == (
        f"frequency test: {res.details['violations']} of 4 initializations above B7, "
        f"at most {round(res.details['frequency_bound'] * 4)} allowed"
    )


def test_the_html_table_colours_an_explained_verdict() -> None:
    from verif.report.render import _cell_class

    assert _cell_class(f"VIOLATED ({COUPLED})") == "bad"
    assert _cell_class("holds (frequency test: 1 of 20 initializations above B7, at most 2 allowed)") == "ok"
    assert _cell_class("holds") == "ok" and _cell_class("holds, 2 failed") == ""
