"""The ``results.json`` schema (``schema.json`` beside this module) and its validator.

:func:`errors` checks a document in two steps:

1. its structure against ``schema.json`` (JSON Schema draft 2020-12, checked by ``jsonschema``);
2. when the structure is sound, the cross-references between its parts (:func:`reference_errors`):
   every record's ``key`` is the key of its content (:func:`verif.report.jobs.job_key`) and no
   two records share one; every pointer (a claim's ``worst_record``, a finding's ``record``, a
   failure's ``record``) resolves to a record of that claim and role; the claims table agrees
   with the records (``measurements``, ``errors``, ``configurations``, ``largest_ratio``, the
   verdict, the ``verif check`` line of the pointed record); the exhibits' job counts, the
   failures and ``complete`` agree with the records.

Each problem is one string ``path: message`` (``$.claims[1] (E7): worst_record ...``).
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from importlib import resources
from typing import Any

import jsonschema

from verif.report import per_time
from verif.report.jobs import job_key, jsonable, restore_floats

#: Characters of a jsonschema message kept (its messages quote the instance, which may be large).
MESSAGE_CHARS = 240


def schema() -> dict[str, Any]:
    """The schema of ``results.json``."""
    text = resources.files("verif.report").joinpath("schema.json").read_text()
    out: dict[str, Any] = json.loads(text)
    return out


@functools.cache
def _validator() -> Any:
    root = schema()
    jsonschema.Draft202012Validator.check_schema(root)
    return jsonschema.Draft202012Validator(root)


def errors(doc: Any) -> list[str]:
    """Every place where ``doc`` breaks the schema or its own cross-references; empty when valid.

    The cross-references are checked only once the structure is sound (they read it).
    """
    found = schema_errors(doc)
    return found if found else reference_errors(doc)


def schema_errors(doc: Any) -> list[str]:
    """Where ``doc`` breaks ``schema.json``: ``path: message``, sorted by path."""
    out = []
    for err in sorted(_validator().iter_errors(doc), key=lambda e: (e.json_path, e.message)):
        message = err.message
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 3] + "..."
        out.append(f"{err.json_path}: {message}")
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal numbers (``"inf"``/``"nan"`` strings restored; NaN equals NaN)."""
    x, y = float(restore_floats(a)), float(restore_floats(b))
    return x == y or (math.isnan(x) and math.isnan(y))


def _ratio(record: dict[str, Any]) -> float:
    return float(restore_floats(record["result"]["ratio"]))


def reference_errors(doc: dict[str, Any]) -> list[str]:
    """The cross-reference problems of a document whose structure is valid (module docstring)."""
    records: list[dict[str, Any]] = doc["records"]
    out: list[str] = []
    by_key: dict[str, int] = {}
    for i, r in enumerate(records):
        expected = job_key(r)
        if r["key"] != expected:
            out.append(
                f"$.records[{i}] ({r['id']}): key {r['key']!r} is not the key of its content "
                f"(kind, id, seed, backend, config, options, role): {expected!r}"
            )
        if r["key"] in by_key:
            out.append(
                f"$.records[{i}] ({r['id']}): duplicate key {r['key']!r} (also records[{by_key[r['key']]}])"
            )
        else:
            by_key[r["key"]] = i
        if (r["status"] == "ok") != (r["error"] is None) or (r["status"] == "ok") != (
            r["result"] is not None
        ):
            out.append(f"$.records[{i}] ({r['id']}): status {r['status']!r} disagrees with result/error")
        elif r["kind"] == "claim" and r["status"] == "ok" and r["result"].get("claim_id") != r["id"]:
            out.append(
                f"$.records[{i}] ({r['id']}): result.claim_id {r['result'].get('claim_id')!r} is not the id"
            )
    if out:
        return out  # the pointers below need sound, unique keys
    refs = _Refs(records, by_key)
    _claim_rows(doc, refs)
    _findings(doc, refs)
    _failures(doc, refs)
    out += refs.out
    out += _exhibit_rows(doc, records)
    complete = not doc["failures"] and all(x["error"] is None for x in doc["exhibits"])
    if doc["complete"] != complete:
        out.append(
            f"$.complete: {doc['complete']} disagrees with the failures and exhibit errors ({complete})"
        )
    return out


class _Refs:
    """The records by key, and the problems found so far."""

    def __init__(self, records: list[dict[str, Any]], by_key: dict[str, int]) -> None:
        self.records = records
        self.by_key = by_key
        self.out: list[str] = []

    def resolve(
        self, path: str, name: str, key: str, *, kind: str, id: str, role: str | None, status: str
    ) -> dict[str, Any] | None:
        """The record ``key`` points at when it is of that kind, id, role and status; else a problem."""
        if key not in self.by_key:
            self.out.append(f"{path}: {name} {key!r} resolves to no record")
            return None
        r = self.records[self.by_key[key]]
        want = {"kind": kind, "id": id, "status": status} | ({} if role is None else {"role": role})
        wrong = {k: r[k] for k, v in want.items() if r[k] != v}
        if wrong:
            self.out.append(f"{path}: {name} {key!r} points at a record with {wrong}, expected {want}")
            return None
        return r


def _claim_rows(doc: dict[str, Any], refs: _Refs) -> None:
    from verif.report.check import check_line

    records, out = refs.records, refs.out
    ids = Counter(c["id"] for c in doc["claims"])
    out += [f"$.claims: claim {cid} has {n} rows" for cid, n in ids.items() if n > 1]
    measured = {r["id"] for r in records if r["kind"] == "claim"}
    out += [f"$.claims: no row for claim {cid}, which has records" for cid in sorted(measured - set(ids))]
    for k, row in enumerate(doc["claims"]):
        cid, path = row["id"], f"$.claims[{k}] ({row['id']})"
        mine = [r for r in records if r["kind"] == "claim" and r["id"] == cid]
        sweep = [r for r in mine if r["role"] == "sweep" and r["status"] == "ok"]
        counts = {
            "measurements": len(sweep),
            "errors": sum(1 for r in mine if r["status"] != "ok"),
            "configurations": len({json.dumps(r["config"], sort_keys=True) for r in sweep}),
        }
        for name, value in counts.items():
            if row[name] != value:
                out.append(f"{path}: {name} is {row[name]}, the records give {value}")
        for name, value in jsonable(per_time.columns(sweep)).items():
            if json.dumps(row.get(name)) != json.dumps(value):
                out.append(f"{path}: {name} is {row.get(name)}, the records give {value}")
        if not sweep:
            if row["worst_record"] is not None or row["verdict"] != "not measured":
                out.append(
                    f"{path}: no measured sweep record, yet worst_record {row['worst_record']!r} and "
                    f"verdict {row['verdict']!r} (expected null and 'not measured')"
                )
            continue
        if row["worst_record"] is None or row["largest_ratio"] is None:
            out.append(f"{path}: worst_record and largest_ratio must be set: {len(sweep)} sweep records")
            continue
        largest = max(_ratio(r) for r in sweep)
        if not _same(row["largest_ratio"], largest):
            out.append(
                f"{path}: largest_ratio {row['largest_ratio']} is not the largest sweep ratio {largest} "
                f"(worst_record {row['worst_record']!r})"
            )
        verdict = "VIOLATED" if any(not r["result"]["passed"] for r in sweep) else "holds"
        if row["verdict"] != verdict:
            out.append(f"{path}: verdict {row['verdict']!r}, the sweep records give {verdict!r}")
        pointer = f"worst_record {row['worst_record']!r}"
        worst = refs.resolve(
            path, "worst_record", row["worst_record"], kind="claim", id=cid, role="sweep", status="ok"
        )
        if worst is None:
            continue
        if row["verdict"] == "VIOLATED" and worst["result"]["passed"]:
            out.append(f"{path}: {pointer} is a record that holds, but the claim is VIOLATED")
        if row["verdict"] == "holds" and not _same(row["largest_ratio"], worst["result"]["ratio"]):
            out.append(
                f"{path}: largest_ratio {row['largest_ratio']} is not the ratio {worst['result']['ratio']} "
                f"of {pointer}"
            )
        line = check_line(cid, worst["config"], worst["seed"], worst["backend"], worst["options"])
        if row["check_line"] != line:
            out.append(f"{path}: check_line does not reproduce {pointer} ({line})")


def _findings(doc: dict[str, Any], refs: _Refs) -> None:
    from verif.report.check import check_line

    out = refs.out
    pointed = Counter(f["record"] for f in doc["findings"])
    out += [f"$.findings: record {key!r} is listed {n} times" for key, n in pointed.items() if n > 1]
    kept = [
        r["key"]
        for r in refs.records
        if r["kind"] == "claim" and r["role"] == "finding" and r["status"] == "ok"
    ]
    out += [f"$.findings: finding record {key!r} is not listed" for key in kept if key not in pointed]
    for k, f in enumerate(doc["findings"]):
        path = f"$.findings[{k}] ({f['id']})"
        r = refs.resolve(path, "record", f["record"], kind="claim", id=f["id"], role="finding", status="ok")
        if r is None:
            continue
        if not _same(f["ratio"], r["result"]["ratio"]) or f["passed"] != r["result"]["passed"]:
            out.append(
                f"{path}: ratio {f['ratio']} / passed {f['passed']} are not those of record {f['record']!r} "
                f"({r['result']['ratio']} / {r['result']['passed']})"
            )
        if f["check_line"] != check_line(f["id"], r["config"], r["seed"], r["backend"], r["options"]):
            out.append(f"{path}: check_line does not reproduce record {f['record']!r}")


def _failures(doc: dict[str, Any], refs: _Refs) -> None:
    out = refs.out
    listed = Counter(f["record"] for f in doc["failures"])
    out += [f"$.failures: record {key!r} is listed {n} times" for key, n in listed.items() if n > 1]
    failed = [r["key"] for r in refs.records if r["status"] != "ok"]
    out += [f"$.failures: failed record {key!r} is not listed" for key in failed if key not in listed]
    for k, f in enumerate(doc["failures"]):
        path = f"$.failures[{k}] ({f['id']})"
        r = refs.resolve(path, "record", f["record"], kind=f["kind"], id=f["id"], role=None, status="error")
        if r is None:
            continue
        wrong = [name for name in ("seed", "config", "options", "error") if f[name] != r[name]]
        if wrong:
            out.append(f"{path}: {', '.join(wrong)} differ from those of record {f['record']!r}")


def _exhibit_rows(doc: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for k, x in enumerate(doc["exhibits"]):
        mine = [r for r in records if r["kind"] == "exhibit" and r["id"] == x["id"]]
        counts = {"jobs": len(mine), "failed_jobs": sum(1 for r in mine if r["status"] != "ok")}
        for name, value in counts.items():
            if x[name] != value:
                out.append(f"$.exhibits[{k}] ({x['id']}): {name} is {x[name]}, the records give {value}")
    return out
