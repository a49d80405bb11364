"""The report read back against its own records: what it prints is derived again from the numbers.

Every verdict, ratio, count and state word that ``verif report`` prints (the claim table of
``report.md`` and ``index.html``, the findings, the terminal summary, the header) and its exit
status are parsed back and compared with what the records of ``results.json`` say:

* a claim row says ``VIOLATED`` exactly when one of its sweep records failed, ``holds`` when
  every one held, and ``, N failed`` when N of its jobs raised;
* its largest ratio is the largest ratio of its sweep records, and its worst record is a
  failing one whenever one failed (the record ``--replay`` re-runs);
* the report is complete exactly when no job failed and every exhibit was assembled;
* the exit status is 0 exactly when it is complete and no claim is violated.

The checks run on the shared tiny report (every claim holds) and on a report of a few claims
registered here whose records fail in known ways: by a side condition at a ratio below that of
a record that holds, by a ratio above 1, by a job that raises, and an exhibit that cannot be
assembled.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from verif import claims
from verif.claims import base as claims_base
from verif.cli import main
from verif.exhibits import base as exhibits_base
from verif.report.build import Report
from verif.report.cli import summary
from verif.report.jobs import restore_floats
from verif.report.render import fmt

#: The claims registered for :func:`mixed_report`, and how each fails.
SIDE, HOLDS, RAISES, ABOVE = "E100", "E101", "E102", "E103"
#: ``memory_alpha`` of the smoke sweep's long-memory configuration (short: 0.5).
LONG = 1.5


def _side(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    """Holds at ratio 0.9 (short memory); fails a side condition at ratio 0.2 (long memory)."""
    if config.memory_alpha < LONG:
        return claims_base.result(SIDE, 0.9, 1.0, config, seed, backend)
    return claims_base.result(
        SIDE, 0.2, 1.0, config, seed, backend, passed=False, verdict_by="side condition: coupled"
    )


def _holds(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    return claims_base.result(HOLDS, 0.1 * config.memory_alpha, 1.0, config, seed, backend)


def _raises(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    if config.memory_alpha >= LONG:
        raise RuntimeError("this configuration cannot be measured")
    return claims_base.result(RAISES, 0.3, 1.0, config, seed, backend)


def _above(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
    return claims_base.result(ABOVE, 2.0 if config.memory_alpha >= LONG else 0.4, 1.0, config, seed, backend)


@dataclasses.dataclass(frozen=True)
class Written:
    """A report as written: the exit status, what ``verif report`` printed, the directory, the document."""

    status: int
    stdout: str
    out: Path
    doc: dict[str, Any]


def _report(out: Path, claim_ids: str, exhibit_ids: str) -> Written:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = main(
            [
                *("report", "--smoke", "--claims", claim_ids, "--exhibits", exhibit_ids),
                *("--jobs", "1", "--seed", "1", "--out", str(out)),
            ]
        )
    return Written(status, buf.getvalue(), out, json.loads((out / "results.json").read_text()))


@contextlib.contextmanager
def _registered() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        for cid, fn in ((SIDE, _side), (HOLDS, _holds), (RAISES, _raises), (ABOVE, _above)):
            mp.setitem(claims_base._REGISTRY, cid, claims.Claim(cid, f"{cid} test claim", "B0", "bound", fn))
        yield mp


@pytest.fixture(scope="module")
def mixed_report(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """A complete report with violated claims (module docstring); exhibit X1 assembled."""
    with _registered():
        return _report(tmp_path_factory.mktemp("mixed") / "r", f"{SIDE},{HOLDS},{ABOVE}", "X1")


# --- what the records say ---------------------------------------------------------------------


def _ratio(record: dict[str, Any]) -> float:
    return float(restore_floats(record["result"]["ratio"]))


@dataclasses.dataclass(frozen=True)
class Expected:
    """A claim's verdict as its records give it."""

    verdict: str
    largest: float | None
    failing: list[str]
    errors: int


def expected(doc: dict[str, Any], cid: str) -> Expected:
    mine = [r for r in doc["records"] if r["kind"] == "claim" and r["id"] == cid]
    sweep = [r for r in mine if r["role"] == "sweep" and r["status"] == "ok"]
    failing = [r["key"] for r in sweep if not r["result"]["passed"]]
    verdict = ("VIOLATED" if failing else "holds") if sweep else "not measured"
    largest = max(map(_ratio, sweep)) if sweep else None
    return Expected(verdict, largest, failing, sum(1 for r in mine if r["status"] != "ok"))


def expected_complete(doc: dict[str, Any]) -> bool:
    return all(r["status"] == "ok" for r in doc["records"]) and all(
        x["error"] is None for x in doc["exhibits"]
    )


# --- what the report prints -------------------------------------------------------------------


def md_claim_table(md: str) -> dict[str, dict[str, str]]:
    """The rows of report.md's claim table by id, each a dict column -> cell text."""
    lines = _claim_block(md)

    def cells(line: str) -> list[str]:
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]

    head = cells(lines[0])
    rows = [dict(zip(head, cells(ln), strict=True)) for ln in lines[2:] if not ln.startswith("|---")]
    return {r["id"]: r for r in rows}


class _Rows(HTMLParser):
    """The ``<tr id="claim-...">`` rows of index.html: their cells' text and class."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self._row: str | None = None
        self._cls: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and a.get("id", "").startswith("claim-"):
            self._row = a["id"][len("claim-") :]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cls = a.get("class", "")
            self.rows[self._row].append((self._cls, ""))

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._cls is not None:
            cls, text = self.rows[self._row][-1]
            self.rows[self._row][-1] = (cls, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cls = None
        elif tag in ("tr", "table"):
            self._row = None


def summary_claim_lines(text: str) -> dict[str, tuple[str, str, list[str]]]:
    """The claim lines of the terminal summary: id -> (largest ratio, verdict text, indented lines)."""
    out: dict[str, tuple[str, str, list[str]]] = {}
    last: str | None = None
    for line in text.splitlines():
        m = re.match(r"^(E\d+)\s+(\S+)\s+(\S.*)$", line)
        if m:
            last = m.group(1)
            out[last] = (m.group(2), m.group(3), [])
        elif line.startswith("      ") and last is not None:
            out[last][2].append(line.strip())
        else:
            last = None
    return out


def assert_reads_back(w: Written) -> None:
    """Every printed verdict, ratio, count, state and the exit status against the records."""
    doc = w.doc
    by_key = {r["key"]: r for r in doc["records"]}
    md = (w.out / "report.md").read_text()
    table = md_claim_table(md)
    page = _Rows()
    page.feed((w.out / "index.html").read_text())
    text = w.stdout or summary(Report(w.out, doc))
    lines = summary_claim_lines(text)
    assert set(table) == set(page.rows) == set(lines) == {c["id"] for c in doc["claims"]}
    for row in doc["claims"]:
        cid, want = row["id"], expected(doc, row["id"])
        assert row["verdict"] == want.verdict, cid
        assert row["errors"] == want.errors, cid
        assert (row["largest_ratio"] is None) == (want.largest is None), cid
        if want.largest is not None:
            assert float(restore_floats(row["largest_ratio"])) == want.largest, cid
        if want.failing:  # the record a reader replays is one that failed
            assert row["worst_record"] in want.failing, cid
        elif want.largest is not None:
            assert _ratio(by_key[row["worst_record"]]) == want.largest, cid
        # The printed verdict: the worst record's (with why), and the failed jobs.
        failed = f", {want.errors} failed" if want.errors else ""
        if want.largest is None:
            printed = want.verdict
        else:
            res = by_key[row["worst_record"]]["result"]
            printed = claims.verdict(res["passed"], restore_floats(res["ratio"]), res.get("details", {}))
        assert printed.split(" (")[0] == want.verdict or want.largest is None, cid
        cell = table[cid]
        assert cell["verdict"] == printed + failed, cid
        assert cell["largest ratio"] == fmt(want.largest), cid
        html_cells = dict(zip(_claim_cols(md), page.rows[cid], strict=True))
        cls, html_verdict = html_cells["verdict"]
        assert html_verdict == printed + failed, cid
        # Red for a violation, green only for a claim that held on every job, plain otherwise.
        colour = "bad" if want.failing else "ok" if want.verdict == "holds" and not want.errors else ""
        assert cls == colour, cid
        ratio_text, verdict_text, extra = lines[cid]
        assert ratio_text == fmt(want.largest) or (want.largest is None and ratio_text == printed), cid
        assert verdict_text.startswith(printed) or want.largest is None, cid
        assert (f"({want.errors} failed)" in verdict_text) == bool(want.errors), cid
        assert any(e.startswith("reproduce: verif check " + cid + " ") for e in extra) == bool(want.failing)
        assert any(f"--record {row['worst_record']}" in e for e in extra) == bool(want.failing), cid
        violated_note = f"**{cid} violated**, reproduce with"
        assert (violated_note in md) == bool(want.failing), cid
    # Findings: each printed with its own record's verdict and ratio.
    for f in doc["findings"]:
        res = by_key[f["record"]]["result"]
        word = "holds" if res["passed"] else "violated"
        assert f"* {f['id']}: {f['note']}; ratio {fmt(res['ratio'])} ({word}):" in md
        assert f"finding {f['id']}: ratio {fmt(res['ratio'])} ({word})" in text
    # The state and the exit status.
    complete = expected_complete(doc)
    assert doc["complete"] is complete
    header = md.split("## Claims", 1)[0]
    assert ("; complete." in header) == complete and ("INCOMPLETE" in header) == (not complete)
    last = text.strip().splitlines()[-1]
    assert last.startswith("report complete " if complete else "report INCOMPLETE ")
    assert len(doc["failures"]) == sum(1 for r in doc["records"] if r["status"] != "ok")
    violated = any(expected(doc, c["id"]).failing for c in doc["claims"])
    assert w.status == (0 if complete and not violated else 1)


def _claim_block(md: str) -> list[str]:
    """The lines of the claim table: the first run of table lines after ``## Claims``."""
    section = md.split("## Claims", 1)[1].lstrip("\n").splitlines()
    return section[: next((k for k, ln in enumerate(section) if not ln.startswith("|")), len(section))]


def _claim_cols(md: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", _claim_block(md)[0])[1:-1]]


# --- the tests --------------------------------------------------------------------------------


def test_the_tiny_report_reads_back(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    status, out, doc = tiny_report
    assert_reads_back(Written(status, "", out, doc))


def test_a_report_with_failures_reads_back(mixed_report: Written) -> None:
    assert_reads_back(mixed_report)


def test_the_failures_of_the_mixed_report_are_the_planned_ones(mixed_report: Written) -> None:
    """The report above does hold what it is meant to test: a side-condition failure below the
    ratio of a record that holds, a ratio above 1, a claim that holds, and no failed job."""
    doc = mixed_report.doc
    side, above = expected(doc, SIDE), expected(doc, ABOVE)
    assert len(side.failing) == 1 and side.largest == pytest.approx(0.9)
    assert len(above.failing) == 1 and above.largest == pytest.approx(2.0)
    assert expected(doc, HOLDS).verdict == "holds"
    assert doc["complete"] and mixed_report.status == 1


def test_a_report_with_a_failed_job_and_no_violation_reads_back(tmp_path: Path) -> None:
    with _registered():
        w = _report(tmp_path / "r", f"{RAISES},{HOLDS}", "X1")
    assert expected(w.doc, RAISES).errors == 1 and not expected(w.doc, RAISES).failing
    assert_reads_back(w)
    assert w.status == 1 and not w.doc["complete"]


def test_a_report_whose_exhibit_fails_is_incomplete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def cannot(records: Any) -> Any:
        raise RuntimeError("cannot summarize")

    x1 = exhibits_base._REGISTRY["X1"]
    monkeypatch.setitem(exhibits_base._REGISTRY, "X1", dataclasses.replace(x1, summarize=cannot))
    with _registered():
        w = _report(tmp_path / "r", HOLDS, "X1")
    assert w.doc["exhibits"][0]["error"] == "RuntimeError: cannot summarize"
    assert "X1: RuntimeError: cannot summarize" in w.stdout
    assert_reads_back(w)
    assert w.status == 1 and not w.doc["complete"]
