"""Writers: ``results.json``, ``report.md`` and a self-contained ``index.html`` (figures embedded)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from verif.claims import verdict
from verif.report.check import replay_line
from verif.report.jobs import restore_floats


def write_all(doc: dict[str, Any], directory: Path) -> None:
    """Write the three documents of the report into ``directory`` (figures are already there)."""
    (directory / "results.json").write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    (directory / "report.md").write_text(markdown(doc))
    (directory / "index.html").write_text(to_html(doc, directory))


def fmt(v: Any) -> str:
    """A number to 4 significant digits; anything else as text."""
    v = restore_floats(v)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _claim_table(doc: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    cols = [
        "id",
        "statement",
        "theory",
        "configurations",
        "largest ratio",
        "at t = T-1",
        "over t >= T/2",
        "over t >= T/2: below / at / above the cutoff",
        "verdict",
        "worst record",
    ]
    rows = [
        [
            c["id"],
            c["title"],
            c["theory"],
            f"{c['configurations']} ({c['measurements']} runs)",
            fmt(c["largest_ratio"]),
            fmt(c.get("largest_ratio_last")),
            fmt(c.get("largest_ratio_late")),
            _by_regime(c.get("late_by_regime")),
            claim_verdict(doc, c) + (f", {c['errors']} failed" if c["errors"] else ""),
            c["worst_record"] or "",
        ]
        for c in doc["claims"]
    ]
    return cols, rows


def claim_verdict(doc: dict[str, Any], row: dict[str, Any]) -> str:
    """A claim row's verdict as printed: that of its worst record (:func:`verif.claims.verdict`), so
    that a claim violated by a side condition at a ratio below 1 says which, e.g.
    ``VIOLATED (model check: neurons coupled)``; the row's own verdict where no record is pointed."""
    record = next((r for r in doc["records"] if r.get("key") == row["worst_record"]), None)
    res = record.get("result") if record is not None else None
    if row["verdict"] not in ("holds", "VIOLATED") or not isinstance(res, dict):
        return str(row["verdict"])
    return verdict(res["passed"], restore_floats(res["ratio"]), res.get("details", {}))


def _by_regime(values: dict[str, Any] | None) -> str:
    """``0.8 / 0.2 / 0.1``: the late ratio per memory regime, ``-`` where the sweep has none."""
    if not values or all(v is None for v in values.values()):
        return ""
    return " / ".join("-" if v is None else fmt(v) for v in values.values())


def _header_lines(doc: dict[str, Any]) -> list[str]:
    state = "complete" if doc["complete"] else "INCOMPLETE (see failures)"
    return [
        f"Mode {doc['mode']}, seed {doc['seed']}, backend {doc['backend']}, executor "
        f"{doc['executor']['kind']}; "
        f"{len(doc['records'])} jobs in {doc['wall_s']:.1f} s; {state}.",
        f"Commit {doc['git_commit'] or 'unknown'}; created {doc['created']}; command: "
        f"`{' '.join(doc['command'])}`.",
    ]


# --- Markdown -------------------------------------------------------------------------------


def _md_table(cols: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(c.replace("|", "\\|") for c in cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(fmt(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return out


def markdown(doc: dict[str, Any]) -> str:
    """The report as Markdown (figures linked from ``figures/``)."""
    lines = ["# verif report", "", *_header_lines(doc), "", "## Claims", ""]
    lines += _md_table(*_claim_table(doc))
    for c in doc["claims"]:
        if c["verdict"] == "VIOLATED":
            lines += [
                "",
                f"**{c['id']} violated**, reproduce with: `{c['check_line']}` "
                f"(replay the record: `{replay_line(c['worst_record'])}`)",
            ]
    for f in doc["claim_figures"]:
        lines += ["", f"![{f['id']}]({f['file']})", "", f["caption"]]
    if doc["findings"]:
        lines += ["", "## Findings (known violations kept visible by the property suite)", ""]
        for f in doc["findings"]:
            verdict = "holds" if f["passed"] else "violated"
            lines.append(
                f"* {f['id']}: {f['note']}; ratio {fmt(f['ratio'])} ({verdict}): `{f['check_line']}` "
                f"(record {f['record']})"
            )
    lines += ["", "## Exhibits"]
    for x in doc["exhibits"]:
        lines += ["", f"### {x['id']}: {x['title']} ({x['theory']})", ""]
        if x["outside_theory"]:
            lines += ["**Outside the theorems**: the bounds of THEORY 8 do not apply here.", ""]
        if x["error"]:
            lines += [f"Not assembled: {x['error']}"]
            continue
        s = x["summary"]
        lines += [f"**{s['headline']}**", ""]
        lines += _md_table(s["columns"], s["rows"])
        lines += [""] + [f"* {n}" for n in s["notes"]]
        for f in x["figures"]:
            lines += ["", f"![{x['id']}]({f['file']})", "", f["caption"]]
    if doc["failures"]:
        lines += ["", "## Failed jobs", ""]
        lines += [
            f"* {f['kind']} {f['id']} (record {f['record']}) seed {f['seed']} config {f['config']} "
            f"options {f['options']}: "
            f"{f['error']}"
            for f in doc["failures"]
        ]
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2} .bad{color:#b00;font-weight:bold} .ok{color:#070}
.outside{background:#fff4e0;border-left:4px solid #e90;padding:.4em .8em}
code{background:#f5f5f5;padding:0 .2em;font-size:.85em} figure{margin:1em 0}
img{max-width:100%} figcaption{font-size:.85em;color:#444;max-width:60em}
.headline{font-size:1.05em;font-weight:600}
"""


def _h(v: Any) -> str:
    return html.escape(fmt(v))


def _cell_class(c: Any) -> str:
    text = fmt(c)
    return "bad" if text.startswith("VIOLATED") else "ok" if text.split(" (")[0] == "holds" else ""


def _html_table(cols: list[str], rows: list[list[Any]], row_ids: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    for k, r in enumerate(rows):
        rid = f' id="{row_ids[k]}"' if row_ids else ""
        cells = "".join(f'<td class="{_cell_class(c)}">{_h(c)}</td>' for c in r)
        body.append(f"<tr{rid}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _img(directory: Path, file: str, caption: str) -> str:
    data = base64.b64encode((directory / file).read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(file)}" data-file="{html.escape(file)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def to_html(doc: dict[str, Any], directory: Path) -> str:
    """The report as one HTML page with every figure embedded (opens from disk, no server)."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>verif report</title>",
        f"<style>{_CSS}</style></head><body><h1>verif report</h1>",
    ]
    parts += [f"<p>{html.escape(line).replace('`', '')}</p>" for line in _header_lines(doc)]
    parts.append(
        "<h2 id='claims'>Claims</h2><p>ratio = measured / bound; a claim holds when every ratio is at "
        "most 1. For exact claims the ratio is error / tolerance.</p>"
    )
    cols, rows = _claim_table(doc)
    parts.append(_html_table(cols, rows, [f"claim-{c['id']}" for c in doc["claims"]]))
    for c in doc["claims"]:
        if c["verdict"] == "VIOLATED":
            parts.append(
                f"<p class='bad'>{c['id']} violated; reproduce with "
                f"<code>{html.escape(c['check_line'])}</code> (replay the record: "
                f"<code>{html.escape(replay_line(c['worst_record']))}</code>)</p>"
            )
    for f in doc["claim_figures"]:
        parts.append(_img(directory, f["file"], f["caption"]))
    if doc["findings"]:
        parts.append(
            "<h2 id='findings'>Findings</h2><p>Known violations that the property suite keeps visible "
            "(strict xfail), measured again here.</p><ul>"
        )
        for f in doc["findings"]:
            verdict = "holds" if f["passed"] else "violated"
            parts.append(
                f"<li><b>{f['id']}</b>: {html.escape(f['note'])}; ratio {_h(f['ratio'])} "
                f"(<span class='{'ok' if f['passed'] else 'bad'}'>{verdict}</span>): "
                f"<code>{html.escape(f['check_line'])}</code> "
                f"(record <code>{html.escape(f['record'])}</code>)</li>"
            )
        parts.append("</ul>")
    parts.append("<h2 id='exhibits'>Exhibits</h2>")
    for x in doc["exhibits"]:
        parts.append(
            f"<section id='exhibit-{x['id']}'><h3>{x['id']}: {html.escape(x['title'])} "
            f"<small>({html.escape(x['theory'])})</small></h3>"
        )
        if x["outside_theory"]:
            parts.append(
                "<p class='outside'><b>Outside the theorems.</b> The smooth-activation bounds of THEORY 8 "
                "do not apply here; the ratios are against the bounds of the nearest model inside "
                "the theory, for orientation only.</p>"
            )
        if x["error"]:
            parts.append(f"<p class='bad'>Not assembled: {html.escape(x['error'])}</p></section>")
            continue
        s = x["summary"]
        parts.append(f"<p class='headline'>{html.escape(s['headline'])}</p>")
        parts.append(_html_table(s["columns"], s["rows"]))
        if s["notes"]:
            parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in s["notes"]) + "</ul>")
        for f in x["figures"]:
            parts.append(_img(directory, f["file"], f["caption"]))
        parts.append("</section>")
    if doc["failures"]:
        parts.append("<h2 id='failures' class='bad'>Failed jobs (report incomplete)</h2><ul>")
        parts += [
            f"<li>{f['kind']} {f['id']} (record {html.escape(f['record'])}) seed {f['seed']} "
            f"config {html.escape(str(f['config']))} "
            f"options {html.escape(str(f['options']))}: {html.escape(str(f['error']))}</li>"
            for f in doc["failures"]
        ]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
