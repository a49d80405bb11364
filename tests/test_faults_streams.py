"""argparse's own output (``--help``, a usage error) under the rules of every other output.

Before, ``verif --help > /dev/full`` exited 0 (argparse drops the write error) and a usage error
with stderr closed (``2>&-``) wrote its usage, and an error of a handler its one line, to stdout,
where a reader takes them for the command's output. Now help into a full or closed stdout is exit
status 3 with one line on stderr, as for any other output, and with stderr closed nothing is
written to stdout and the status stays 2.
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import verif
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]
BOUNDS = ["bounds", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5"]


CONFORM = ["conform", "looprnn:LoopRNN", "--claims", "E1", "--max-examples", "2"]


def _env() -> dict[str, str]:
    """The environment of a ``verif`` process, with the outside package ``looprnn`` importable."""
    paths = [str(ROOT), str(ROOT / "tests" / "outside")]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths), JAX_PLATFORMS="cpu")
    for key in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND", "VERIF_MUTANT", "VERIF_RATIO_LOG", "XLA_FLAGS"):
        env.pop(key, None)
    return env


def run_shell(
    redirect: str, args: list[str], module: str = "verif", **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m verif args`` with the shell redirection ``redirect`` (``>/dev/full``, ``2>&-``)."""
    script = f'exec "$0" -m {module} "$@" {redirect}'
    return subprocess.run(
        ["sh", "-c", script, sys.executable, *args],
        cwd=ROOT,
        env={**_env(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    ("redirect", "args", "why"),
    [
        (">/dev/full", ["--help"], "No space left on device"),
        (">&-", ["check", "--help"], "stdout is closed"),
    ],
)
def test_help_that_cannot_be_written_is_the_environment(redirect: str, args: list[str], why: str) -> None:
    proc = run_shell(redirect, args)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert proc.stderr.strip() == f"verif: error: cannot write the output to stdout ({why})"


@pytest.mark.parametrize(
    "args",
    [BOUNDS[:3], [*BOUNDS[:2], "3", *BOUNDS[3:]], ["nosuchcommand"]],
    ids=["missing flag", "bad value", "unknown command"],
)
def test_with_stderr_closed_an_error_writes_nothing_to_stdout(args: list[str]) -> None:
    proc = run_shell("2>&-", args)
    assert proc.returncode == exit_status.USAGE
    assert proc.stdout == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    ("redirect", "why"), [(">/dev/full", "No space left on device"), (">&-", "stdout is closed")]
)
def test_conform_into_a_full_or_closed_stdout_is_the_environment(redirect: str, why: str) -> None:
    """Before, pytest's failed writes ended in tracebacks and exit status 1 or 2."""
    proc = run_shell(redirect, CONFORM)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stderr
    assert proc.stderr.strip() == f"verif conform: error: cannot write the output to stdout ({why})"


def test_conform_into_a_pipe_closed_early_is_a_broken_pipe() -> None:
    """``verif conform ... | head -1``: exit status 141 and no traceback (before: one, and exit 1).

    The reader goes away before the first line, so that every write of the run meets the closed pipe."""
    cmd = [sys.executable, "-m", "verif", *CONFORM]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == exit_status.BROKEN_PIPE, err
    assert err == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_ratio_log_on_a_full_disk_is_the_environment_not_the_backend() -> None:
    """``VERIF_RATIO_LOG`` opens but cannot take a line (a disk that filled up): before, every claim
    failed on the write and a correct backend "did not conform" (exit 1)."""
    cmd = [sys.executable, "-m", "verif", *CONFORM, "--no-shrink"]  # no shrinking of the first failure
    env = dict(_env(), VERIF_RATIO_LOG="/dev/full")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout[-2000:] + proc.stderr
    assert proc.stderr.strip() == (
        "verif conform: error: the suite stopped on a write it could not make "
        "(VERIF_RATIO_LOG='/dev/full'): No space left on device"
    )
    assert "does not conform" not in proc.stdout


def test_a_report_with_stderr_closed_is_written(tmp_path: Path) -> None:
    """Before, the progress bar's check of stderr raised and the run ended with exit status 1."""
    out = tmp_path / "rep"
    proc = run_shell("2>&-", ["report", "--out", str(out), "--smoke", "--claims", "E1", "--exhibits", "X1"])
    assert proc.returncode == 0, proc.stdout
    assert (out / "results.json").is_file()


def _tiny_suite(root: Path) -> Path:
    suite = root / "suite"
    suite.mkdir()
    body = "".join(f"def test_{i}():\n    assert True\n\n\n" for i in range(60))
    (suite / "test_tiny_output.py").write_text(body + "def test_fails():\n    assert 1 == 2\n")
    return suite


def _unwritable_stdout(kind: str, buffer: int) -> Any:
    """A real text stream that cannot be written, with a buffer of ``buffer`` bytes: ``/dev/full``
    or a pipe whose reader has gone. The buffer decides where in a run the first write fails."""
    if kind == "full":
        return open("/dev/full", "w", buffering=buffer)
    read, write = os.pipe()
    os.close(read)
    return os.fdopen(write, "w", buffering=buffer)


@contextlib.contextmanager
def _earlier_objects_frozen() -> Iterator[None]:
    """The objects alive before the block are out of the cyclic garbage collector's reach inside it
    (:func:`gc.freeze`): each run of pytest below allocates enough for full collections, which
    would otherwise walk the whole heap of the test process (in a worker that ran other test
    files first, four times the runs' own time)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("kind", ["full", "pipe"])
def test_stdout_failing_at_any_point_of_the_suite_is_never_a_verdict(tmp_path: Path, kind: str) -> None:
    """Wherever pytest's writes start to fail (its header, the progress, a failure's report, the
    summary: buffers of 2 bytes to 64 KiB), ``verif conform``'s run of pytest ends in exit 3 or
    141, or returns its verdict for the final flush to fail, never in pytest's "internal error":
    which of these pytest makes of it depends on how much it wrote before (seen as exit 2, "did
    not run to the end (pytest exit status 3)", in one run of the test command)."""
    from verif.conform import pytest_main

    suite = _tiny_suite(tmp_path)
    args = [str(suite), "-q", "--tb=line", "-p", "no:cacheprovider", "-p", "no:xdist"]
    args += ["--rootdir", str(suite), "--import-mode=importlib"]
    expected = BrokenPipeError if kind == "pipe" else exit_status.EnvironmentFailure
    outcomes = {}
    with _earlier_objects_frozen():
        for buffer in (2, 16, 64, 256, 1024, 2048, 4096, 8192, 2**16):
            stream, before = _unwritable_stdout(kind, buffer), sys.stdout
            sys.stdout = stream
            try:
                outcomes[buffer] = pytest_main(args, [])
            except expected:
                outcomes[buffer] = "refused"
            finally:
                sys.stdout = before
                with contextlib.suppress(OSError):
                    stream.close()
    assert all(o in ("refused", pytest.ExitCode.TESTS_FAILED) for o in outcomes.values()), outcomes


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_the_block_size_tool_under_the_same_rules() -> None:
    """``python -m verif.backends.tuning``: stdout full was a traceback and exit 1; with stderr
    closed a bad override's error line went to stdout."""
    tool = "verif.backends.tuning"
    full = run_shell(">/dev/full", [], tool)
    assert full.returncode == exit_status.ENVIRONMENT, full.stderr
    assert full.stderr.strip() == "error: cannot write the output to stdout (No space left on device)"
    closed = run_shell("2>&-", [], tool, VERIF_BLOCK_BYTES="big")
    assert closed.returncode == exit_status.USAGE
    assert "cache file:" in closed.stdout and "error" not in closed.stdout
    bad = run_shell("", [], tool, VERIF_BLOCK_BYTES="big")
    assert bad.returncode == exit_status.USAGE and bad.stderr.startswith("error: VERIF_BLOCK_BYTES must be")
