"""An environment failure met inside a job reaches the user as exit status 3, in real processes.

A job's exception used to be read as bad input (``check``: exit 2 with JAX's line), an
incomplete report (exit 1) or a bare traceback (``search``). Now
:func:`verif.exit_status.environment_failure` classifies it where it is caught: JAX that cannot
start a platform (``JAX_PLATFORMS`` named), XLA out of memory, a missing dependency, the
operating system (a full disk), no memory.
"""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.test_faults_env import one_line, verif_run
from verif import exit_status
from verif.exit_status import EnvironmentFailure, environment_failure
from verif.report import cli as report_cli
from verif.report.check import checked
from verif.report.jobs import Job, environment_error, run_job

#: A backend right at the protocol's probe (width 4) whose every call beyond it meets a full disk.
FULL_BACKEND = """
import errno
from verif.backends.numpy_backend import NumpyBackend

class Full(NumpyBackend):
    name = "full"

def _failing(method):
    def call(self, params, *args):
        if params.w.shape[0] != 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return getattr(NumpyBackend, method)(self, params, *args)
    return call

for _m in ("hidden_states", "outputs", "tangent_features", "risk", "risk_and_grad"):
    setattr(Full, _m, _failing(_m))
"""


def test_a_bogus_jax_platforms_inside_a_numpy_check_is_exit_3_naming_it(tmp_path: Path) -> None:
    # E14 uses JAX itself whatever the backend: JAX starts inside the job.
    proc = verif_run(["check", "E14", "--backend", "numpy"], tmp_path, JAX_PLATFORMS="nosuch")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    line = one_line(proc)
    assert "JAX_PLATFORMS" in line and "nosuch" in line, line
    assert proc.stdout == ""


def test_a_full_disk_inside_the_search_jobs_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "fullbackend.py").write_text(FULL_BACKEND)
    proc = verif_run(["search", "--claims", "E7", "--budget", "1", "--backend", "fullbackend:Full"], tmp_path)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert "No space left on device" in one_line(proc)
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (
            RuntimeError("Unable to initialize backend 'nosuch': not in the list of known backends"),
            "JAX_PLATFORMS",
        ),
        (RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate"), "device memory"),
        (ModuleNotFoundError("No module named 'scipy'", name="scipy"), "'scipy'"),
        (OSError(errno.ENOSPC, "No space left on device"), "No space left"),
        (MemoryError(), "out of memory"),
        (EnvironmentFailure("a scheduler went away"), "scheduler"),
    ],
)
def test_the_environment_is_recognised_wherever_it_is_raised(exc: BaseException, words: str) -> None:
    found = environment_failure(exc)
    assert isinstance(found, EnvironmentFailure) and words in str(found)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("width must be even"),
        RuntimeError("a bug"),
        KeyError("x"),
        BrokenPipeError(32, "Broken pipe"),
    ],
)
def test_anything_else_is_not_the_environment(exc: BaseException) -> None:
    assert environment_failure(exc) is None


def test_a_job_record_keeps_the_environment_and_check_and_report_read_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def full_disk(job: Job) -> dict[str, object]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("verif.report.jobs._measure", full_disk)
    job = Job("claim", "E1", 0, "numpy", {})
    record = run_job(job)
    assert record["status"] == "error" and "No space left" in (environment_error(record) or "")
    with pytest.raises(EnvironmentFailure, match="No space left"):
        checked(record)
    report = SimpleNamespace(complete=False, doc={"claims": [], "records": [record]})
    assert report_cli.exit_status(report) == exit_status.ENVIRONMENT  # type: ignore[arg-type]

    monkeypatch.setattr("verif.report.jobs._measure", lambda job: (_ for _ in ()).throw(ArithmeticError("x")))
    other = run_job(job)
    assert environment_error(other) is None
    with pytest.raises(ValueError):
        checked(other)
    assert (
        report_cli.exit_status(SimpleNamespace(complete=False, doc={"claims": [], "records": [other]})) == 1
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("Unable to initialize backend 'nosuch': not in the list of known backends"),
        ExceptionGroup("two errors", [AssertionError("E1"), MemoryError()]),
    ],
    ids=["jax platform", "group with MemoryError"],
)
def test_conform_stops_on_the_environment_instead_of_failing_the_backend(exc: BaseException) -> None:
    from verif.conform import _StopOutsideTheBackend

    plugin = _StopOutsideTheBackend()
    with pytest.raises(pytest.exit.Exception):
        plugin.pytest_runtest_makereport(None, SimpleNamespace(excinfo=SimpleNamespace(value=exc)))
    assert isinstance(plugin.stopped, EnvironmentFailure)


@pytest.mark.parametrize(
    "exc",
    [AssertionError("E7 violated"), OSError(errno.ENOENT, "adapter's own file")],
    ids=["claim", "oserror"],
)
def test_conform_still_fails_the_backend_on_its_own_errors(exc: BaseException) -> None:
    from verif.conform import _StopOutsideTheBackend

    plugin = _StopOutsideTheBackend()
    plugin.pytest_runtest_makereport(None, SimpleNamespace(excinfo=SimpleNamespace(value=exc)))
    assert plugin.stopped is None
