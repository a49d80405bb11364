"""``verif report`` end to end on a tiny sweep: files, schema, HTML content, summary, faults."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from verif import claims, exhibits
from verif.claims import base as claims_base
from verif.report import schema, sweep
from verif.report.build import SCHEMA_ID, ReportRequest, make_report
from verif.report.cli import summary
from verif.report.jobs import Job
from verif.report.outdir import MARKER

from .conftest import TINY_CLAIMS, run_cli


def test_report_writes_every_file(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    status, out, doc = tiny_report
    assert status == 0
    assert {p.name for p in out.iterdir()} == {"index.html", "report.md", "results.json", "figures", MARKER}
    assert doc["complete"] and not doc["failures"]
    assert [c["id"] for c in doc["claims"]] == TINY_CLAIMS.split(",")
    assert [x["id"] for x in doc["exhibits"]] == exhibits.ids()
    assert all(x["error"] is None and x["figures"] for x in doc["exhibits"])
    drawn = {f["file"] for x in doc["exhibits"] for f in x["figures"]} | {
        f["file"] for f in doc["claim_figures"]
    }
    assert drawn == {f"figures/{p.name}" for p in (out / "figures").iterdir()}
    assert {"E7"} == {f["id"] for f in doc["claim_figures"]}  # the only claim with a width axis
    # Every record says what reproduces it.
    for r in doc["records"]:
        assert r["status"] == "ok", r
        assert {"seed", "backend", "options"} <= set(r)
    assert doc["versions"]["numpy"] and doc["command"][:2] == ["verif", "report"]


def test_results_json_validates(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    doc = tiny_report[2]
    assert schema.errors(doc) == []


def test_schema_validator_rejects_broken_documents(
    tiny_report: tuple[int, Path, dict[str, Any]],
) -> None:
    doc = json.loads(json.dumps(tiny_report[2]))
    del doc["records"][0]["seed"]
    doc["claims"][0]["verdict"] = "fine"
    doc["complete"] = "yes"
    doc["surprise"] = 1
    errs = schema.errors(doc)
    assert "$.records[0]: 'seed' is a required property" in errs
    assert any(e.startswith("$.claims[0].verdict: 'fine' is not one of") for e in errs)
    assert "$.complete: 'yes' is not of type 'boolean'" in errs
    assert "$: Additional properties are not allowed ('surprise' was unexpected)" in errs


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.images: list[dict[str, str]] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.images.append(a)
        for key in ("src", "href"):
            if key in a and not a[key].startswith(("data:", "#")):
                self.external.append(a[key])


def test_html_holds_every_figure_and_id(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    _, out, doc = tiny_report
    page = _Page()
    page.feed((out / "index.html").read_text())
    figures = {f["file"] for x in doc["exhibits"] for f in x["figures"]} | {
        f["file"] for f in doc["claim_figures"]
    }
    assert {img["data-file"] for img in page.images} == figures
    for img in page.images:  # embedded, so that the page opens from disk with no server
        assert img["src"].startswith("data:image/png;base64,")
        assert len(img["src"]) > 1000
    assert page.external == []
    assert {f"claim-{c}" for c in TINY_CLAIMS.split(",")} <= page.ids
    assert {f"exhibit-{x}" for x in exhibits.ids()} <= page.ids
    md = (out / "report.md").read_text()
    assert all(f"]({f})" in md for f in figures)


def test_summary_names_ratios_headlines_and_place(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    _, out, doc = tiny_report
    from verif.report.build import Report

    text = summary(Report(out, doc))
    for c in doc["claims"]:
        assert f"{c['id']} " in text
    for x in doc["exhibits"]:
        assert f"{x['id']}: {x['summary']['headline']}" in text
    assert str(out / "index.html") in text
    assert len(text.splitlines()) <= 40


def test_findings_are_measured_and_shown(tiny_report: tuple[int, Path, dict[str, Any]]) -> None:
    doc = tiny_report[2]
    found = {f["id"]: f for f in doc["findings"]}
    assert set(found) == {"E7", "E13"}
    assert not found["E13"]["passed"] and float(found["E13"]["ratio"]) > 1
    assert found["E13"]["check_line"].startswith("verif check E13 ")


def test_same_seed_same_results(tmp_path: Path) -> None:
    def records(out: Path, seed: int) -> dict[str, Any]:
        req = ReportRequest(
            out=out, mode="smoke", claim_ids=("E3", "E9"), exhibit_ids=("X1", "X3"), seed=seed
        )
        doc = make_report(req).doc
        return {k: v for k, v in doc.items() if k not in ("created", "wall_s")}

    first = records(tmp_path / "a", 5)
    assert first == records(tmp_path / "a", 5)
    again = json.loads((tmp_path / "a" / "results.json").read_text())
    assert {k: v for k, v in again.items() if k not in ("created", "wall_s")} == first
    assert records(tmp_path / "b", 6)["records"] != first["records"]


def test_a_new_claim_appears_without_report_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def check(config: Any, backend: Any, seed: int, **options: Any) -> claims.ClaimResult:
        return claims_base.result("E100", float(config.width), 1000.0, config, seed, backend)

    monkeypatch.setitem(
        claims_base._REGISTRY, "E100", claims.Claim("E100", "width below 1000", "B0", "bound", check)
    )
    doc = make_report(
        ReportRequest(out=tmp_path / "r", mode="smoke", claim_ids=("E100",), exhibit_ids=("X1",))
    ).doc
    row = doc["claims"][0]
    assert row["id"] == "E100" and row["verdict"] == "holds" and row["measurements"] > 0
    assert "claim-E100" in (tmp_path / "r" / "index.html").read_text()


def test_a_job_that_raises_is_reported_and_the_report_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sweep.OVERRIDES, "E3", {"all": {"options": ({"pairs": 0},)}})
    out = tmp_path / "r"
    status, text, _ = run_cli(
        ["report", "--smoke", "--claims", "E3,E9", "--exhibits", "X1", "--jobs", "1", "--out", str(out)],
        capsys,
    )
    assert status == 1
    doc = json.loads((out / "results.json").read_text())
    assert not doc["complete"] and doc["failures"]
    assert all(
        f["id"] == "E3" and "pairs" in f["error"] and f["config"]["width"] == 16 for f in doc["failures"]
    )
    assert [c["verdict"] for c in doc["claims"]] == ["not measured", "holds"]
    assert "INCOMPLETE" in text and "FAILED claim E3" in text and "'width': 16" in text
    assert "Failed jobs" in (out / "index.html").read_text()
    assert schema.errors(doc) == []


class _Exploding:
    def run(self, jobs: list[Job], on_done: Any) -> list[dict[str, Any]]:
        raise RuntimeError("worker lost")

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "jobs": 1}

    def close(self) -> None:
        pass


def test_a_failed_run_leaves_the_previous_report_intact(tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    previous = json.dumps({"schema": SCHEMA_ID})  # recognised as a report (from before the marker)
    (out / "results.json").write_text(previous)
    with pytest.raises(RuntimeError, match="worker lost"):
        make_report(
            ReportRequest(out=out, mode="smoke", claim_ids=("E1",), exhibit_ids=("X1",)),
            executor=_Exploding(),
        )
    assert (out / "results.json").read_text() == previous
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no staging directory left behind


def test_a_new_report_replaces_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "results.json").write_text(json.dumps({"schema": SCHEMA_ID}))
    (out / "report.md").write_text("old")
    make_report(ReportRequest(out=out, mode="smoke", claim_ids=("E1",), exhibit_ids=("X1",)))
    assert (out / "report.md").read_text() != "old" and (out / "index.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_progress_bar_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from verif.report.cli import progress_bar

    tick = progress_bar(2)
    tick()
    tick()
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    tick = progress_bar(2)
    tick()
    tick()
    assert "0/2 [" in capsys.readouterr().err  # the bar was drawn (and cleared when done)
