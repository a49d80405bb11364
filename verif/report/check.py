"""``verif check``: measure one claim on one configuration, or replay a recorded one.

A record here is the report's claim record (:func:`verif.report.jobs.run_job`): the job (claim
id, configuration, seed, backend, options) and its ``result`` (``ClaimResult.to_dict()``), so
that ``verif check --json`` output, a record of ``results.json`` and a failing property's
``describe()`` line can all be replayed.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import shlex
from pathlib import Path
from typing import Any

from verif import claims
from verif.backends import backend as get_backend
from verif.backends import names as backend_names
from verif.config import RNNConfig
from verif.config_flags import CONFIG_FLAGS, add_config_arguments, config_from_args
from verif.exit_status import EnvironmentFailure
from verif.report.jobs import Job, environment_error, job_key, record_ratio, restore_floats, run_job
from verif.validation import parse_json, parse_number, require_seed

#: Defaults of ``verif check`` (a small configuration below the cutoff).
CHECK_DEFAULTS: dict[str, Any] = {"width": 16, "input_dim": 2, "seq_len": 8, "memory_alpha": 0.5}


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``verif check``."""
    rule = (
        "With --replay the record gives the claim, the configuration, the seed, the backend and "
        "the options: giving any of them too is refused (exit status 2); --record and --json apply."
    )
    p.epilog = f"{p.epilog}\n\n{rule}" if p.epilog else rule
    p.add_argument("claim", nargs="?", help=f"claim id, one of {claims.ids()}")
    add_config_arguments(p, RNNConfig(**CHECK_DEFAULTS).to_dict())
    p.add_argument(
        "--seed", type=parse_number, default=0, help="seed of the measurement, in [0, 2**63 - 1] (default 0)"
    )
    p.add_argument("--backend", default="numpy", help=f"one of {backend_names()} (default numpy)")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a claim option (VALUE read as JSON when it parses, else a string); repeatable",
    )
    p.add_argument(
        "--json", action="store_true", help="print the record as JSON (with --replay: the replayed one)"
    )
    p.add_argument(
        "--replay",
        metavar="FILE",
        help="re-run a record: results.json, a record, or a describe() line",
    )
    p.add_argument(
        "--record",
        default=None,
        metavar="KEY",
        help="with --replay of a results.json: the record's key (the claims table's worst_record, "
        "a finding's record)",
    )


#: The flags ``verif check --replay`` takes besides the file (every other one is the record's).
WITH_REPLAY = ("--replay", "--record", "--json", "--help")


def flags_beside_replay(args: argparse.Namespace) -> list[str]:
    """The claim and the flags on ``args.argv`` (``verif check``'s command line) that a replay
    would ignore: all but :data:`WITH_REPLAY` (or an abbreviation argparse took for one)."""
    given = [f"the claim {args.claim!r}"] if args.claim else []
    for token in getattr(args, "argv", []):
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if not name.startswith("-") or len(name) < 2 or _is_number(name):
            continue
        if name == "-h" or (
            name.startswith("--") and len(name) > 2 and any(f.startswith(name) for f in WITH_REPLAY)
        ):
            continue
        if name not in given:
            given.append(name)
    return given


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_options(items: list[str]) -> dict[str, Any]:
    """``["kind=boundary", "points=5"]`` -> ``{"kind": "boundary", "points": 5}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"option must be KEY=VALUE with an identifier KEY, got {item!r}")
        try:
            out[key] = parse_json(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def check_line(
    claim_id: str, config: dict[str, Any], seed: int, backend: str, options: dict[str, Any]
) -> str:
    """The ``verif check`` command that reproduces a claim record."""
    parts = ["verif", "check", claim_id]
    for name, flag in CONFIG_FLAGS.items():
        if name in config:
            parts += [flag, str(config[name])]
    parts += ["--seed", str(seed), "--backend", backend]
    for key, value in options.items():
        parts += ["--option", f"{key}={_option_text(value)}"]
    return " ".join(shlex.quote(p) for p in parts)


def replay_line(key: str, results: str = "results.json") -> str:
    """The ``verif check`` command that replays the record ``key`` of a report's ``results.json``."""
    return " ".join(shlex.quote(p) for p in ["verif", "check", "--replay", results, "--record", key])


def _option_text(value: Any) -> str:
    """``value`` as :func:`parse_options` reads it back: a plain word when it is a string that is
    not JSON (``boundary``), JSON otherwise (``3``, ``null``, ``[16, 64]``, ``"3"``)."""
    if isinstance(value, str):
        try:
            parse_json(value)
        except json.JSONDecodeError:
            return value
    return json.dumps(value)


def _job_from_args(args: argparse.Namespace) -> Job:
    if not args.claim:
        raise ValueError("claim: give a claim id (or --replay FILE)")
    claim = claims.get(args.claim)
    seed = require_seed(args.seed)
    if args.backend not in backend_names():
        raise ValueError(f"backend must be one of {backend_names()}, got {args.backend!r}")
    get_backend(args.backend)  # one that cannot start is the environment (exit 3), not the job
    config = config_from_args(args)
    options = parse_options(args.option)
    claim.check_options(options)
    return Job("claim", args.claim, seed, args.backend, config.to_dict(), options)


def run_check(args: argparse.Namespace) -> tuple[str, int]:
    """Handler of ``verif check``: exit 0 when the claim holds, 1 when violated, 2 on bad input."""
    if args.replay:
        beside = flags_beside_replay(args)
        if beside:
            raise ValueError(
                f"--replay: the record gives the claim, configuration, seed, backend and options; "
                f"{', '.join(beside)} would be ignored: drop {'it' if len(beside) == 1 else 'them'}, "
                "or drop --replay to run the flags' claim"
            )
        return run_replay(Path(args.replay), args.record, as_json=args.json)
    if args.record is not None:  # else ignored: the claim of the flags would run instead
        raise ValueError("--record: a key of the results.json given to --replay; give --replay FILE too")
    job = _job_from_args(args)
    record = checked(run_job(job))
    if args.json:
        return json.dumps(record, indent=2), _status(record)
    res = record["result"]
    text = (
        _describe(record)
        + "\nreproduce: "
        + check_line(job.id, res["config"], job.seed, job.backend, job.options)
    )
    return text, _status(record)


def checked(record: dict[str, Any]) -> dict[str, Any]:
    """``record``; for a failed job an :class:`EnvironmentFailure` when the environment failed
    it (JAX cannot start, a dependency or the disk: exit status 3), else a ``ValueError`` with
    the job's error (bad options reach the claim only)."""
    if record["status"] != "ok":
        environment = environment_error(record)
        if environment is not None:
            raise EnvironmentFailure(f"{record['id']}: {environment}")
        raise ValueError(f"{record['id']}: {record['error']}")
    return record


def _status(record: dict[str, Any]) -> int:
    return 0 if record["result"]["passed"] else 1


def _describe(record: dict[str, Any]) -> str:
    res = record["result"]
    status = claims.verdict(res["passed"], restore_floats(res["ratio"]), res.get("details", {}))
    numbers = " ".join(f"{k}={float(restore_floats(res[k])):.6g}" for k in ("ratio", "measured", "bound"))
    # The per-time ratios of a bound claim (verif.claims.base.per_time): at t = T-1, over t >= T/2.
    late = "".join(
        f" {k}={float(restore_floats(res['details'][k])):.6g}"
        for k in ("ratio_last", "ratio_late")
        if k in res.get("details", {})
    )
    return f"{res['claim_id']} {status}: {numbers}{late} backend={res['backend']} seed={res['seed']}"


# --- replay ---------------------------------------------------------------------------------


def run_replay(path: Path, key: str | None, as_json: bool = False) -> tuple[str, int]:
    """Re-run the record in ``path`` and print both side by side (``as_json``: the replayed
    record, as ``verif check --json`` prints one); exit status of the replay."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"replay: cannot read {path} ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise ValueError(f"replay: {path} is not UTF-8 text") from None
    job, recorded = load_record(text, key)
    get_backend(job.backend)
    record = checked(run_job(job))
    replayed = record["result"]
    if as_json:
        return json.dumps(record, indent=2), 0 if replayed["passed"] else 1
    lines = [
        f"replay of {job.id} (seed {job.seed}, backend {job.backend}) from {path}",
        side_by_side(recorded, replayed),
    ]
    if "X" in job.options or recorded.get("inputs_given"):
        lines.append("note: the recorded inputs were given explicitly; the replay draws them from the seed")
    lines.append("reproduce: " + check_line(job.id, job.config or {}, job.seed, job.backend, job.options))
    return "\n".join(lines), 0 if replayed["passed"] else 1


def load_record(text: str, key: str | None = None) -> tuple[Job, dict[str, Any]]:
    """The job and the recorded result in ``text`` (JSON record, ``results.json`` or ``describe()`` line).

    In a ``results.json``, ``key`` names the record (its ``key``, :func:`verif.report.jobs.job_key`);
    without it, the first violated claim record, else the one with the largest ratio.

    Raises:
        ValueError: ``key`` is given for a file that is not a ``results.json``, names no record
            or one that is not a measured claim record, or the record's content no longer
            matches its key.
    """
    try:
        doc = parse_json(text)
    except json.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and "records" in doc:
        doc = _pick_record(doc["records"], key)
    elif key is not None:
        raise ValueError("record: --record KEY needs --replay of a results.json (a file with 'records')")
    if doc is None:
        return _from_describe(text)
    if isinstance(doc, dict) and "result" in doc and "id" in doc:
        res = doc["result"]
        job = Job(
            "claim",
            doc["id"],
            require_seed(doc["seed"]),
            doc["backend"],
            dict(doc["config"]),
            dict(doc.get("options", {})),
        )
    elif isinstance(doc, dict) and "claim_id" in doc:
        res = doc
        seed = require_seed(doc["seed"])
        job = Job("claim", doc["claim_id"], seed, doc["backend"], dict(doc["config"]), {})
    else:
        raise ValueError("replay: the file is neither a results.json, a claim record nor a describe() line")
    claims.get(job.id).check_options(job.options)
    RNNConfig(**(job.config or {}))
    return job, res


def _pick_record(records: Any, key: str | None) -> dict[str, Any]:
    """The record ``key`` of a ``results.json``'s ``records`` (module docstring of :func:`load_record`)."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("replay: 'records' of the results file must be a list of records")
    measured = [r for r in records if r.get("kind") == "claim" and r.get("status") == "ok"]
    if key is None:
        if not measured:
            raise ValueError("replay: the results file holds no measured claim record")
        failing = [r for r in measured if not r["result"]["passed"]]
        return failing[0] if failing else max(measured, key=record_ratio)
    matches = [r for r in records if r.get("key") == key]
    if not matches:
        hint = " (records are named by key, not by index)" if key.isdigit() else ""
        raise ValueError(
            f"record: no record with key {key!r} in the results file{hint}; "
            "the claims table's worst_record and the findings' record name them"
        )
    if len(matches) > 1:
        raise ValueError(f"record: {len(matches)} records share the key {key!r}: the results file is damaged")
    pick: dict[str, Any] = matches[0]
    try:
        content_key = job_key(pick)
    except ValueError as exc:
        raise ValueError(f"record {key}: {exc}") from exc
    if content_key != key:
        raise ValueError(
            f"record {key}: its content has the key {content_key!r}: the results file was changed "
            "(kind, id, seed, backend, config, options or role)"
        )
    if pick.get("kind") != "claim" or pick.get("status") != "ok":
        raise ValueError(f"record {key} is not a measured claim record")
    return pick


_DESCRIBE = re.compile(
    r"\b(E\d+) (?:holds|VIOLATED)(?: \(.*?\))?: "  # a verdict's (why), verif.claims.verdict
    r"ratio=(\S+) measured=(\S+) bound=(\S+) (.*) config=RNNConfig\((.*)\)"
)
_PAIR = re.compile(r"(\w+)=((?:'[^']*'|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|[^ ,]+))")


def _from_describe(text: str) -> tuple[Job, dict[str, Any]]:
    match = next((m for m in map(_DESCRIBE.search, text.splitlines()) if m), None)
    if match is None:
        raise ValueError(
            "replay: no JSON and no line like 'E7 holds: ratio=... config=RNNConfig(...)' in the file"
        )
    cid, ratio, measured, bound, middle, config_text = match.groups()
    config = {k: _literal(v) for k, v in _PAIR.findall(config_text)}
    details = {k: _literal(v) for k, v in _PAIR.findall(middle)}
    backend = str(details.pop("backend", "numpy"))
    seed = require_seed(details.pop("seed", 0))
    claim = claims.get(cid)
    accepted = option_names(claim.check_fn)
    options = {k: v for k, v in details.items() if k in accepted}
    recorded = {
        "claim_id": cid,
        "ratio": float(ratio),
        "measured": float(measured),
        "bound": float(bound),
        "passed": "VIOLATED" not in match.group(0).split(":")[0],
        "backend": backend,
        "seed": seed,
        "details": details,
        "inputs_given": True,
    }
    return Job("claim", cid, seed, backend, RNNConfig(**config).to_dict(), options), recorded


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def option_names(fn: Any) -> set[str]:
    """Option names a claim's ``check`` accepts: keyword parameters and its docstring's ``Options:``."""
    names = {
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD or p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    doc = inspect.getdoc(fn) or ""
    section = doc.split("Options:", 1)[1] if "Options:" in doc else ""
    for line in section.splitlines():
        # "    kind: ..." or "    widths, trials, margin: ..." (one indent level: a new entry)
        entry = re.match(r"^ {4}(\w+(?:, \w+)*):", line)
        if entry:
            names.update(entry.group(1).split(", "))
    return names - {"config", "backend", "seed", "X", "Y", "teacher_backend"}


def side_by_side(recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    """Two columns, recorded and replayed, for the headline fields and every detail."""
    keys = ["claim_id", "passed", "ratio", "measured", "bound", "backend", "seed"]
    rec_d, rep_d = recorded.get("details", {}), replayed.get("details", {})
    detail_keys = list(dict.fromkeys([*rep_d, *rec_d]))
    rows = [(k, recorded.get(k, ""), replayed.get(k, "")) for k in keys]
    rows += [(k, rec_d.get(k, _ABSENT), rep_d.get(k, _ABSENT)) for k in detail_keys]
    cells = [(k, _cell(a), _cell(b), _flag(a, b)) for k, a, b in rows]
    w0 = max(len(c[0]) for c in cells)
    w1 = max(len("recorded"), *(len(c[1]) for c in cells))
    head = f"{'field':<{w0}}  {'recorded':<{w1}}  replayed"
    return "\n".join([head] + [f"{k:<{w0}}  {a:<{w1}}  {b}{flag}" for k, a, b, flag in cells])


#: A detail one side does not have (a record of an older or newer version of the claim).
_ABSENT = object()


def _flag(recorded: Any, replayed: Any) -> str:
    if recorded is _ABSENT:
        return "  <- not in the record (a newer field)"
    if replayed is _ABSENT:
        return "  <- not computed by this version"
    return "" if _same(recorded, replayed) else "  <- differs"


def _cell(v: Any) -> str:
    if v is _ABSENT:
        return "-"
    v = restore_floats(v)
    text = f"{v:.6g}" if isinstance(v, float) else str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _same(a: Any, b: Any) -> bool:
    a, b = restore_floats(a), restore_floats(b)
    if isinstance(a, float) or isinstance(b, float):
        try:
            return f"{float(a):.6g}" == f"{float(b):.6g}"
        except (TypeError, ValueError):
            return False
    return bool(a == b)
