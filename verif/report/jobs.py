"""Jobs: one measurement of a claim or an exhibit, independent of every other job.

A job is plain data (picklable, JSON-serializable); :func:`run_job` turns it into a record and
never raises: a job that fails comes back with ``status = "error"`` and its message, so that
the rest of a report still completes. A record depends only on its job, never on the
executor or the process that ran it.

Every record carries its identity, ``key`` (:func:`job_key`): the claim or exhibit id and a
digest of what the job measures (``kind``, ``id``, ``seed``, ``backend``, ``config``,
``options``, ``role``), so that a pointer to a record (the claims table's ``worst_record``, a
finding's ``record``, a failure's ``record``, ``verif check --record KEY``) names that
measurement whatever the records' order, and a record whose content was changed no longer
matches its key.
"""

from __future__ import annotations

import hashlib
import json
import math
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from verif.exit_status import EnvironmentFailure, environment_failure

JobKind = Literal["claim", "exhibit"]

#: The fields of a job (and of its record) that :func:`job_key` digests; ``note`` is prose.
KEY_FIELDS = ("kind", "id", "seed", "backend", "config", "options", "role")
#: Hex digits of the SHA-256 digest in a key (48 bits: collisions are not a concern at report sizes).
KEY_DIGITS = 12


@dataclass(frozen=True)
class Job:
    """One measurement.

    Attributes:
        kind: ``claim`` or ``exhibit``.
        id: the claim (``E7``) or exhibit (``X1``) id.
        seed: the seed the measurement uses.
        backend: backend name.
        config: for a claim, ``RNNConfig.to_dict()``; ``None`` for an exhibit.
        options: the claim's options, or the exhibit task's options (JSON-serializable).
        role: ``sweep`` for the report's sweep, ``finding`` for a known violation of the
            property suite that the report measures again.
        note: what a finding is about (empty otherwise).
    """

    kind: JobKind
    id: str
    seed: int
    backend: str
    config: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    role: str = "sweep"
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form."""
        return asdict(self)

    @property
    def key(self) -> str:
        """The identity of this job's record (:func:`job_key`)."""
        return job_key(self.to_dict())


def job_key(fields: dict[str, Any]) -> str:
    """``"<id>-<digest>"``: the first :data:`KEY_DIGITS` hex digits of the SHA-256 of the
    canonical JSON (sorted keys, :func:`jsonable` values) of the :data:`KEY_FIELDS` of a job or
    a record, so that a record read back from ``results.json`` gives the key of its job.

    Raises:
        ValueError: a field of :data:`KEY_FIELDS` is missing.
    """
    missing = [k for k in KEY_FIELDS if k not in fields]
    if missing:
        raise ValueError(f"a job key needs the fields {list(KEY_FIELDS)}; missing {missing}")
    content = json.dumps(jsonable({k: fields[k] for k in KEY_FIELDS}), sort_keys=True, default=repr)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:KEY_DIGITS]
    return f"{fields['id']}-{digest}"


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays as Python numbers/lists and tuples as lists.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (strict JSON has
    no such numbers); :func:`restore_floats` turns them back.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def restore_floats(value: Any) -> Any:
    """Inverse of the non-finite encoding of :func:`jsonable` for ``"inf"``/``"-inf"``/``"nan"``."""
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def record_ratio(record: dict[str, Any]) -> float:
    """The measured/bound ratio of a claim record (``result.ratio``, non-finite values restored)."""
    return float(restore_floats(record["result"]["ratio"]))


def run_job(job: Job) -> dict[str, Any]:
    """Measure ``job``; the record holds ``key``, the job, ``status`` (``ok``/``error``) and ``result``."""
    try:
        result = jsonable(_measure(job))
    except Exception as exc:  # a failing job is reported, never fatal
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}"
        failure = environment_failure(exc) or exc  # the environment's is named so (exit status 3)
        return error_record(job, f"{type(failure).__name__}: {failure} ({where})")
    return {"key": job.key, **job.to_dict(), "status": "ok", "result": result, "error": None}


def environment_error(record: dict[str, Any]) -> str | None:
    """The message of a failed record whose job met an environment failure
    (:func:`verif.exit_status.environment_failure`), else ``None``."""
    error = record.get("error") if record.get("status") == "error" else None
    prefix = f"{EnvironmentFailure.__name__}: "
    return error[len(prefix) :] if isinstance(error, str) and error.startswith(prefix) else None


def error_record(job: Job, error: str) -> dict[str, Any]:
    """The record of a job that failed with the one-line message ``error``."""
    return {"key": job.key, **job.to_dict(), "status": "error", "result": None, "error": error}


def _measure(job: Job) -> dict[str, Any]:
    if job.kind == "claim":
        from verif import claims
        from verif.config import RNNConfig

        if job.config is None:
            raise ValueError(f"claim job {job.id} has no config")
        res = claims.get(job.id).check(RNNConfig(**job.config), job.backend, job.seed, **job.options)
        return res.to_dict()
    from verif import exhibits
    from verif.backends import backend as get_backend

    return exhibits.get(job.id).measure(dict(job.options), job.seed, get_backend(job.backend))
