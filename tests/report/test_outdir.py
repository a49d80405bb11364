"""What ``verif report --out DIR`` may touch (``verif/report/outdir.py``), through the real CLI.

Foreign files are refused before any job runs and left as they were; a report replaces only an
earlier report, atomically and keeping the directory's mode; leftovers of a run killed with
SIGKILL are cleaned or restored by the next run; two runs on one ``DIR`` cannot both proceed;
a full disk (a real tiny tmpfs where it can be mounted, and an injected ``ENOSPC``) is one
line and exit 3 with the previous report kept.
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from verif.report import build, executors, jobs, outdir, schema

from .conftest import run_cli

#: The quickest report: one claim, one exhibit, in this process.
QUICK = ["report", "--smoke", "--claims", "E1", "--exhibits", "X1", "--jobs", "1"]


def tree(path: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry under ``path`` (``path`` included as ``.``): its mode and a file's bytes."""
    out: dict[str, tuple[int, bytes | None]] = {".": (path.stat().st_mode, None)}
    for p in sorted(path.rglob("*")):
        out[p.relative_to(path).as_posix()] = (p.stat().st_mode, p.read_bytes() if p.is_file() else None)
    return out


def names(path: Path) -> list[str]:
    return sorted(p.name for p in path.iterdir())


def assert_report(out: Path) -> dict[str, Any]:
    """``out`` is a complete verif report whose ``results.json`` validates; its document."""
    doc: dict[str, Any] = json.loads((out / "results.json").read_text())
    assert schema.errors(doc) == []
    assert outdir.foreign_entries(out) == [] and (out / outdir.MARKER).is_file()
    assert (out / "index.html").is_file() and (out / "report.md").is_file()
    return doc


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def no_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test when a job would run (a refusal must come before any)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an executor was made")

    monkeypatch.setattr(build, "make_executor", refuse)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report written once (X1), copied by the tests that need a previous report."""
    out = tmp_path_factory.mktemp("earlier") / "r"
    assert build.make_report(build.ReportRequest(out, "smoke", ("E1",), ("X1",), seed=1)).complete
    return out


def copy_report(earlier: Path, parent: Path) -> Path:
    out = parent / "r"
    shutil.copytree(earlier, out)
    return out


# --- what may be replaced ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["plain", "nested", "in-a-report", "foreign-marker"])
def test_foreign_directory_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_jobs: None, earlier: Path, where: str
) -> None:
    out = tmp_path / "mydir"
    if where == "in-a-report":  # a report the user added a file to is no longer only verif's
        copy_report(earlier, tmp_path).rename(out)
        (out / "notes.txt").write_text("precious\n")
    elif where == "foreign-marker":
        out.mkdir()
        (out / outdir.MARKER).write_text(json.dumps({"kind": "something else", "files": ["notes.txt"]}))
        (out / "notes.txt").write_text("precious\n")
    else:
        out.mkdir()
        target = out / "sub" if where == "nested" else out
        target.mkdir(exist_ok=True)
        (target / "notes.txt").write_text("precious\n")
    out.chmod(0o755)
    before, beside = tree(out), names(tmp_path)
    status, stdout, err = run_cli([*QUICK, "--out", str(out)], capsys)
    line = one_line(err)
    assert status == 2 and stdout == ""
    assert f"out: {out} is not empty and is not a verif report" in line and "notes.txt" in line
    assert tree(out) == before and names(tmp_path) == beside
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


@pytest.mark.parametrize("where", ["itself", "a parent", "two links"])
def test_a_loop_of_symbolic_links_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_jobs: None, where: str
) -> None:
    """Before, ``--out`` at a loop of links was exit 3 ("file exists") after the report ran."""
    loop = tmp_path / "loop"
    if where == "two links":
        (tmp_path / "other").symlink_to(loop)
        loop.symlink_to(tmp_path / "other")
    else:
        loop.symlink_to(loop)
    out = loop / "report" if where == "a parent" else loop
    beside = names(tmp_path)
    status, stdout, err = run_cli([*QUICK, "--out", str(out)], capsys)
    assert status == 2 and stdout == ""
    assert one_line(err) == f"verif report: error: out: {out} is or passes through a loop of symbolic links"
    assert names(tmp_path) == beside


@pytest.mark.parametrize("given", [".", "..", "ABS_PARENT", "./"])
def test_out_is_the_current_directory_or_an_ancestor(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_jobs: None,
    given: str,
) -> None:
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "mine.txt").write_text("x")
    monkeypatch.chdir(cwd)
    out = str(tmp_path) if given == "ABS_PARENT" else given
    before = tree(tmp_path)
    status, _, err = run_cli([*QUICK, "--out", out], capsys)
    assert status == 2 and "is the current directory or contains it" in one_line(err)
    assert f"out: {Path(out)} " in err
    assert tree(tmp_path) == before


def _refused_by_the_filesystem(*args: Any) -> int:
    ctypes.set_errno(errno.EINVAL)  # what renameat2 says on a filesystem without RENAME_EXCHANGE
    return -1


@pytest.mark.parametrize("exchange", ["renameat2", "two-renames", "refused-by-fs"])
def test_a_report_replaces_an_earlier_one(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    earlier: Path,
    exchange: str,
) -> None:
    calls: list[tuple[int, int]] = []
    if exchange == "renameat2":
        real = outdir.RENAMEAT2
        if real is None:
            pytest.skip("no renameat2 here")

        def counted(*args: Any) -> int:
            calls.append((args[-1], done := real(*args)))
            return done

        monkeypatch.setattr(outdir, "RENAMEAT2", counted)
    if exchange == "two-renames":
        monkeypatch.setattr(outdir, "RENAMEAT2", None)
    if exchange == "refused-by-fs":
        monkeypatch.setattr(outdir, "RENAMEAT2", _refused_by_the_filesystem)
    out = copy_report(earlier, tmp_path)
    out.chmod(0o751)
    status, _, _ = run_cli([*QUICK, "--exhibits", "X2", "--seed", "4", "--out", str(out)], capsys)
    assert status == 0
    doc = assert_report(out)
    assert doc["seed"] == 4 and [x["id"] for x in doc["exhibits"]] == ["X2"]
    assert names(out / "figures") == ["x2_width_vs_n.png"]  # the old X1 figure went with the old report
    assert stat.S_IMODE(out.stat().st_mode) == 0o751
    assert names(tmp_path) == ["r"]
    if exchange == "renameat2":
        assert calls == [(2, 0)]  # one RENAME_EXCHANGE, and it succeeded


@pytest.mark.parametrize("fault", ["OSError", "KeyboardInterrupt"])
def test_a_failed_second_rename_puts_the_previous_report_back(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    earlier: Path,
    fault: str,
) -> None:
    monkeypatch.setattr(outdir, "RENAMEAT2", None)  # the two-rename replacement
    out = copy_report(earlier, tmp_path)
    before = tree(out)
    real = os.rename

    def rename(src: Any, dst: Any) -> None:
        if ".verif-staging-" in str(src):
            assert not out.exists()  # the first rename moved the previous report aside
            if fault == "KeyboardInterrupt":
                raise KeyboardInterrupt
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(src))
        real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    if fault == "KeyboardInterrupt":
        status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
        assert status == 130 and "interrupted" in one_line(err)
    else:
        status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
        assert status == 3 and "input/output error" in one_line(err)
    assert tree(out) == before and names(tmp_path) == ["r"]


def test_a_report_without_marker_is_recognised_by_results_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], earlier: Path
) -> None:
    out = copy_report(earlier, tmp_path)
    (out / outdir.MARKER).unlink()
    status, _, _ = run_cli([*QUICK, "--seed", "2", "--out", str(out)], capsys)
    assert status == 0 and assert_report(out)["seed"] == 2
    assert names(tmp_path) == ["r"]


def test_a_new_report_keeps_the_umask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deep" / "r"
    old = os.umask(0o027)
    try:
        status, _, _ = run_cli([*QUICK, "--out", str(out)], capsys)
    finally:
        os.umask(old)
    assert status == 0
    assert_report(out)
    for p in [out.parent, out, *out.rglob("*")]:
        want = 0o750 if p.is_dir() else 0o640
        assert stat.S_IMODE(p.stat().st_mode) == want, p
    assert names(tmp_path) == ["deep"] and names(out.parent) == ["r"]


def test_an_empty_directory_is_used_and_keeps_its_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    out.mkdir(mode=0o700)
    out.chmod(0o701)
    assert run_cli([*QUICK, "--out", str(out)], capsys)[0] == 0
    assert_report(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o701 and names(tmp_path) == ["r"]


def test_files_added_to_out_during_the_run_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, earlier: Path
) -> None:
    out = copy_report(earlier, tmp_path)
    real = jobs.run_job

    def run_job(job: Any) -> Any:
        (out / "notes.txt").write_text("written while the report ran")
        return real(job)

    monkeypatch.setattr(executors, "run_job", run_job)
    before = tree(earlier)
    status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
    assert status == 3 and "was given files verif did not write during the run" in one_line(err)
    assert (out / "notes.txt").read_text() == "written while the report ran"
    after = tree(out)
    del after["notes.txt"]
    assert after == before and names(tmp_path) == ["r"]


# --- interrupted runs and their leftovers --------------------------------------------------


def test_an_interrupt_removes_staging_and_releases_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, earlier: Path
) -> None:
    out = copy_report(earlier, tmp_path)
    before = tree(out)

    def interrupted(job: Any) -> Any:
        assert outdir.lock_path(out).exists() and outdir.leftovers(out)[0]
        raise KeyboardInterrupt

    monkeypatch.setattr(executors, "run_job", interrupted)
    status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
    assert status == 130 and "interrupted" in one_line(err)
    assert tree(out) == before and names(tmp_path) == ["r"]
    monkeypatch.undo()
    assert run_cli([*QUICK, "--out", str(out)], capsys)[0] == 0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [root, env.get("PYTHONPATH")] if p)
    env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def _verif_with(patch: str, argv: list[str]) -> list[str]:
    """A ``python -c`` command line: ``patch`` (Python), then ``verif argv``."""
    code = "import os, signal, sys, time\nfrom pathlib import Path\n"
    code += "from verif.report import executors, jobs, outdir\nfrom verif.cli import main\n"
    code += textwrap.dedent(patch) + f"\nsys.exit(main({argv!r}))\n"
    return [sys.executable, "-c", code]


def _hold_until(waiting: Path, gate: Path) -> str:
    """A patch: the first job says so in ``waiting``, then waits until ``gate`` exists."""
    return f"""
        real = jobs.run_job
        def run_job(job):
            Path({str(waiting)!r}).touch()
            deadline = time.monotonic() + 240
            while not Path({str(gate)!r}).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            return real(job)
        executors.run_job = run_job
    """


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), proc.communicate()


def test_sigint_to_a_running_report_cleans_up(tmp_path: Path, earlier: Path) -> None:
    reports, ctl = tmp_path / "reports", tmp_path / "ctl"
    reports.mkdir()
    ctl.mkdir()
    out = copy_report(earlier, reports)
    before = tree(out)
    proc = subprocess.Popen(
        _verif_with(_hold_until(ctl / "waiting", ctl / "gate"), [*QUICK, "--out", str(out)]),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(ctl / "waiting", proc)
        assert outdir.lock_path(out).exists() and outdir.leftovers(out)[0]
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    finally:
        (ctl / "gate").touch()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert tree(out) == before and names(reports) == ["r"]  # no staging folder, no lock file


#: Where a run kills itself with SIGKILL (no cleanup can run), as a patch of the running process.
KILL_AT = {
    "during-jobs": """
        def run_job(job):
            os.kill(os.getpid(), signal.SIGKILL)
        executors.run_job = run_job
    """,
    "after-exchange": """
        real = outdir.exchange
        def exchange(stage, target):
            real(stage, target)
            os.kill(os.getpid(), signal.SIGKILL)
        outdir.exchange = exchange
    """,
    "between-renames": """
        outdir.RENAMEAT2 = None
        real = os.rename
        def rename(src, dst):
            if ".verif-staging-" in str(src):
                os.kill(os.getpid(), signal.SIGKILL)
            real(src, dst)
        os.rename = rename
    """,
}


@pytest.mark.parametrize("point", list(KILL_AT))
def test_leftovers_of_a_killed_run_are_cleaned_or_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], earlier: Path, point: str
) -> None:
    out = copy_report(earlier, tmp_path)
    foreign = [".r.backup", ".r.verif-old-x", ".r.verif-staging-12a", ".r.1234abcd", ".other.verif-old-1"]
    for name in foreign:
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text(name)
    previous = tree(out)
    proc = subprocess.run(
        _verif_with(KILL_AT[point], [*QUICK, "--exhibits", "X2", "--out", str(out)]),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    stages, olds = outdir.leftovers(out)
    if point == "between-renames":  # out is missing; the old report survives beside it
        assert not out.exists() and olds and tree(olds[0]) == previous and stages
    else:
        assert stages and not olds
        assert_report(out)
        if point == "during-jobs":
            assert tree(out) == previous
    # A run refused before it takes the lock (a bad scheduler) touches none of it.
    status, _, err = run_cli([*QUICK, "--scheduler", "localhost", "--out", str(out)], capsys)
    assert status == 2 and "scheduler must be an address" in one_line(err)
    assert outdir.leftovers(out) == (stages, olds)
    # What the next run does first, under the lock: restore and clean.
    with outdir.locked(out, ["verif", "report"]):
        outdir.recover(out)
    assert outdir.leftovers(out) == ([], [])
    if point != "after-exchange":
        assert tree(out) == previous
    status, _, _ = run_cli([*QUICK, "--seed", "5", "--out", str(out)], capsys)
    assert status == 0 and assert_report(out)["seed"] == 5
    assert names(tmp_path) == sorted(["r", *foreign])
    assert all((tmp_path / n / "keep.txt").read_text() == n for n in foreign)


# --- two runs at once -----------------------------------------------------------------------


def test_a_second_run_on_the_same_out_fails_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, gate, waiting = tmp_path / "reports" / "r", tmp_path / "gate", tmp_path / "waiting"
    first = subprocess.Popen(
        _verif_with(_hold_until(waiting, gate), [*QUICK, "--out", str(out)]),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(waiting, first)
        second = subprocess.run(
            [sys.executable, "-m", "verif", *QUICK, "--out", str(out)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        line = one_line(second.stderr)
        assert second.returncode == 3 and second.stdout == ""
        assert f"out: {out} is in use by another verif run (pid {first.pid}: verif report" in line
        assert not out.exists()
        # In this process too (flock is per open file): refused while the first run holds it.
        status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
        assert status == 3 and f"pid {first.pid}" in one_line(err)
        gate.touch()
        stdout, stderr = first.communicate(timeout=300)
    finally:
        gate.touch()
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, stderr
    assert "report complete" in stdout
    assert_report(out)
    assert names(out.parent) == ["r"]  # the lock file went with the run


def test_the_lock_is_refused_in_process_and_released(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r"
    with outdir.locked(outdir.resolve(out), ["verif", "report", "holding"]):
        status, _, err = run_cli([*QUICK, "--out", str(out)], capsys)
        assert status == 3
        assert f"(pid {os.getpid()}: verif report holding)" in one_line(err)
    assert names(tmp_path) == []
    assert run_cli([*QUICK, "--out", str(out)], capsys)[0] == 0


# --- a full disk ----------------------------------------------------------------------------


def _enospc(code: int) -> OSError:
    return OSError(code, os.strerror(code))


@pytest.mark.parametrize(
    ("writer", "code"),
    [("results.json", errno.ENOSPC), ("figure", errno.ENOSPC), ("marker", errno.EDQUOT)],
)
@pytest.mark.parametrize("previous", [True, False])
def test_an_injected_full_disk_is_one_line_and_exit_3(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    earlier: Path,
    writer: str,
    code: int,
    previous: bool,
) -> None:
    out = copy_report(earlier, tmp_path) if previous else tmp_path / "r"
    before = tree(out) if previous else None
    if writer == "figure":
        from matplotlib.figure import Figure

        def savefig(self: Figure, fname: Any, *args: Any, **kwargs: Any) -> None:
            Path(fname).write_bytes(b"\x89PNG half")
            raise OSError(code, os.strerror(code), str(fname))

        monkeypatch.setattr(Figure, "savefig", savefig)
    else:
        name = "results.json" if writer == "results.json" else outdir.MARKER
        real = Path.write_text

        def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
            if self.name == name:
                real(self, data[: len(data) // 2])
                raise OSError(code, os.strerror(code), str(self))
            return real(self, data, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", write_text)
    status, stdout, err = run_cli([*QUICK, "--out", str(out)], capsys)
    line = one_line(err)
    assert status == 3 and stdout == ""
    assert os.strerror(code).lower() in line and str(tmp_path) in line
    if previous:
        assert f"the previous report in {out} is kept" in line
        assert tree(out) == before and names(tmp_path) == ["r"]
    else:
        assert "no report was written" in line and names(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """A tmpfs mounted at ``tmp_path/disk`` sized by the test (skip where mounting is refused)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mounted: list[int] = []

    def mount(size: int) -> Path:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        mounted.append(size)
        return mnt

    yield mount
    if mounted:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("room", ["one-report", "nothing"])
def test_a_real_full_disk_keeps_the_previous_report(
    tiny_disk: Callable[[int], Path], capsys: pytest.CaptureFixture[str], earlier: Path, room: str
) -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    page = 4096
    pages = sum(math.ceil(p.stat().st_size / page) or 1 for p in earlier.rglob("*") if p.is_file())
    disk = tiny_disk((pages + pages // 2 + 4) * page)  # room for one report, not for two
    out = copy_report(earlier, disk)
    if room == "nothing":  # not even the lock file's line fits
        with pytest.raises(OSError, match="No space left"), (disk / "filler").open("wb") as f:
            while True:
                f.write(b"x" * page)
                f.flush()
    before, beside = tree(out), names(disk)
    status, stdout, err = run_cli([*QUICK, "--out", str(out)], capsys)
    line = one_line(err)
    assert status == 3 and stdout == ""
    assert line.startswith("verif report: error: out: no space left on device ") and str(disk) in line
    assert f"the previous report in {out} is kept" in line
    assert tree(out) == before and names(disk) == beside
