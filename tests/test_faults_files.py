"""Files verif reads or keeps, damaged or out of reach.

* JSON nested deeper than the parser goes (a hostile or damaged file) is invalid JSON to every
  reader (:func:`verif.validation.parse_json`): the block-size cache, a ``--replay`` file, a
  corpus file, a report folder's marker, an ``--option`` value. Never a ``RecursionError``.
* The block-size cache (:mod:`verif.backends.tuning`): an entry of the wrong type is ignored;
  a relative ``XDG_CACHE_HOME`` is ignored (XDG base directory rule); without a home folder
  there is no cache file; two ``--autotune`` runs at once keep both entries; a cache folder
  that cannot be written (a file in its place, a full disk) is one line and exit status 3,
  with the previous table kept and no temporary file left.
"""

from __future__ import annotations

import errno
import json
import os
import pwd
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import child_env
from verif import exit_status, search
from verif.backends import tuning
from verif.cli import main
from verif.report import outdir
from verif.validation import parse_json

#: Deeper than CPython's JSON parser recurses (its limit is the interpreter's, 1000 by default).
DEEP = "[" * 5000 + "]" * 5000

#: ``python -m verif.backends.tuning --autotune`` with a timer that takes no time (the kernel's
#: own timing compiles and runs the JAX gradient ten times): the rest is the real command.
AUTOTUNE = textwrap.dedent(
    """
    import sys, time
    from verif.backends import tuning

    tuning._time_kernel = lambda dtype, repeat=5: (lambda choice: float(choice.block_bytes))
    pause = float(sys.argv[2])
    if pause:
        read = tuning.load_cache

        def slow(path):
            data = read(path)
            print("read", flush=True)
            time.sleep(pause)
            return data

        tuning.load_cache = slow
    sys.exit(tuning.main(["--autotune", "--dtype", sys.argv[1]]))
    """
)


def _env(cache: Path) -> dict[str, str]:
    return child_env(cache)


def autotune(cache: Path, dtype: str = "float64", pause: float = 0.0) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-c", AUTOTUNE, dtype, str(pause)]
    return subprocess.Popen(cmd, env=_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# --- deeply nested JSON -----------------------------------------------------------------------


def test_parse_json_reports_deep_nesting_as_invalid_json() -> None:
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        parse_json(DEEP)
    assert parse_json("[[1]]") == [[1]]


def test_deep_cache_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "blocks.json"
    path.write_text(DEEP)
    assert tuning.load_cache(path) == {}


def test_deep_corpus_file_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "E7.json").write_text(DEEP)
    entries, problems = search.read_corpus_file(tmp_path / "E7.json")
    assert entries == []
    assert len(problems) == 1
    assert "invalid JSON" in problems[0].message and "nested too deeply" in problems[0].message


def test_deep_report_marker_is_not_a_report(tmp_path: Path) -> None:
    (tmp_path / outdir.MARKER).write_text(DEEP)
    assert outdir.report_files(tmp_path) is None
    (tmp_path / outdir.MARKER).unlink()
    (tmp_path / "results.json").write_text(DEEP)
    assert outdir.report_files(tmp_path) is None


def test_deep_replay_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text(DEEP)
    proc = subprocess.run(
        [sys.executable, "-m", "verif", "check", "--replay", str(tmp_path / "deep.json")],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == exit_status.USAGE, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "verif check: error: replay: no JSON and no line like 'E7 holds: ratio=... config=RNNConfig(...)' "
        "in the file"
    ]


def test_replay_file_not_utf8_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "record.json"
    bad.write_bytes(b"\xff\xfe{")
    assert main(["check", "--replay", str(bad)]) == exit_status.USAGE
    assert capsys.readouterr().err.strip() == f"verif check: error: replay: {bad} is not UTF-8 text"


def test_deep_option_value_is_refused_as_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", "E1", "--width", "4", "--seq-len", "3", "--memory-alpha", "0.5", "--option", f"X={DEEP}"]
    assert main(argv) == exit_status.USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "verif check: error: E1: TypeError: X must be a real numeric array"
    )


# --- the block-size cache -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        {"block_bytes": True, "parallel_blocks": True},
        {"block_bytes": 65536, "parallel_blocks": False},
        {"block_bytes": 65536.0, "parallel_blocks": 1},
        {"block_bytes": None, "parallel_blocks": 1},
        {"block_bytes": [65536], "parallel_blocks": 1},
        {"block_bytes": 0, "parallel_blocks": 1},
    ],
)
def test_cache_entry_of_the_wrong_type_is_ignored(tmp_path: Path, entry: dict[str, object]) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    path = tuning.cache_file(env)
    assert path is not None
    tuning.save_cache(path, {tuning.machine_key(): {"float64": entry}})
    assert tuning.choose("float64", env) == tuning.from_caches()


def test_relative_xdg_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert (
        tuning.cache_file({"XDG_CACHE_HOME": "relative/cache"}) == tmp_path / "home/.cache/verif/blocks.json"
    )
    assert tuning.cache_file({"XDG_CACHE_HOME": ""}) == tmp_path / "home/.cache/verif/blocks.json"


@pytest.fixture
def no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``HOME`` and a user the password database does not know (a bare container's uid)."""

    def unknown(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", unknown)
    with pytest.raises(RuntimeError):
        Path.home()


@pytest.mark.usefixtures("no_home")
def test_without_a_home_folder_there_is_no_cache_file() -> None:
    assert tuning.cache_file({}) is None
    assert tuning.choose("float64", {}) == tuning.from_caches()
    with pytest.raises(exit_status.EnvironmentFailure, match="no folder to keep the choice in"):
        tuning.autotune("float64", lambda choice: 1.0, {})


def test_two_autotunes_at_once_keep_both_entries(tmp_path: Path) -> None:
    first = autotune(tmp_path, "float64", pause=1.5)  # holds the table it read for 1.5 s
    assert first.stdout is not None
    while first.stdout.readline().strip() != "read":  # the table is read, not yet written
        assert first.poll() is None, first.communicate()
    second = autotune(tmp_path, "float32")
    for proc in (first, second):
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    table = json.loads((tmp_path / "verif" / "blocks.json").read_text())
    (machine,) = table.values()
    assert sorted(machine) == ["float32", "float64"]
    assert sorted(p.name for p in (tmp_path / "verif").iterdir()) == ["blocks.json", "blocks.json.lock"]


def _fails_with_status_3(cache: Path, why: str) -> None:
    proc = autotune(cache)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == exit_status.ENVIRONMENT, out + err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: autotune: cannot write ") and line.endswith(
        f"({why}); nothing was changed"
    )


def test_a_file_where_the_cache_folder_should_be_exits_3(tmp_path: Path) -> None:
    (tmp_path / "verif").write_text("not a folder")
    _fails_with_status_3(tmp_path, "File exists")
    assert (tmp_path / "verif").read_text() == "not a folder"


def test_a_folder_where_the_cache_file_should_be_exits_3(tmp_path: Path) -> None:
    (tmp_path / "verif" / "blocks.json").mkdir(parents=True)
    _fails_with_status_3(tmp_path, "Is a directory")
    assert [p.name for p in (tmp_path / "verif").iterdir() if p.name.startswith(".blocks-")] == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """A tmpfs of ``size`` bytes mounted at ``tmp_path/disk`` (skip where mounting is refused)."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    mounted: list[bool] = []

    def mount(size: int) -> Path:
        cmd = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
        mounted.append(True)
        return mnt

    yield mount
    if mounted:
        subprocess.run(["umount", str(mnt)], check=True)


def test_a_real_full_disk_keeps_the_previous_table(tiny_disk: Callable[[int], Path]) -> None:
    disk = tiny_disk(4 * 4096)
    path = disk / "verif" / "blocks.json"
    tuning.save_cache(path, {"earlier": {"float64": {"block_bytes": 65536, "parallel_blocks": 1}}})
    before = path.read_text()
    try:
        with open(disk / "filler", "wb") as f:  # every block left
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    _fails_with_status_3(disk, "No space left on device")
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".blocks-")] == []


def test_an_injected_full_disk_is_an_environment_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    tuning.autotune("float64", lambda choice: float(choice.block_bytes), env)
    path = tmp_path / "verif" / "blocks.json"
    before = path.read_text()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tuning.json, "dump", full_disk)
    with pytest.raises(
        exit_status.EnvironmentFailure, match=r"No space left on device\); nothing was changed"
    ):
        tuning.autotune("float32", lambda choice: 1.0, env)
    assert path.read_text() == before


# --- the corpus that ``verif search --write`` rewrites ---------------------------------------------

SEARCH = ["search", "--claims", "E3", "--budget", "2", "--write"]


def _search(cwd: Path, corpus: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "verif", *SEARCH, "--corpus", str(corpus)]
    return subprocess.run(cmd, cwd=cwd, env=_env(cwd), capture_output=True, text=True, timeout=300)


def test_search_into_a_file_where_the_corpus_folder_should_be_exits_3(tmp_path: Path) -> None:
    (tmp_path / "corpus").write_text("not a folder")
    proc = _search(tmp_path, tmp_path / "corpus")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    assert (
        proc.stderr.strip()
        == f"verif search: error: cannot write the corpus in {tmp_path / 'corpus'} (File exists)"
    )


def test_search_onto_a_full_disk_keeps_the_corpus_file(tiny_disk: Callable[[int], Path]) -> None:
    disk = tiny_disk(64 * 4096)
    first = _search(disk.parent, disk / "corpus")
    assert first.returncode == 0, first.stderr
    before = (disk / "corpus" / "E3.json").read_text()
    try:
        with open(disk / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    proc = _search(disk.parent, disk / "corpus")
    assert proc.returncode == exit_status.ENVIRONMENT, proc.stdout + proc.stderr
    assert proc.stderr.strip().endswith("(No space left on device)")
    assert "Traceback" not in proc.stderr
    assert (disk / "corpus" / "E3.json").read_text() == before
    assert sorted(p.name for p in (disk / "corpus").iterdir()) == [".verif-corpus.lock", "E3.json"]


def test_search_seed_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "--claims", "E3", "--budget", "2", "--seed", "-1"]) == exit_status.USAGE
    assert capsys.readouterr().err.strip() == (
        "verif search: error: seed must be a non-negative integer in [0, 2**63 - 1], got -1"
    )


#: ``verif search --write`` whose search waits for the file ``sys.argv[1]`` to exist: a run that
#: has read the corpus and is still searching while another run writes it.
SLOW_SEARCH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from verif import cli, search

    go, search_for = Path(sys.argv[1]), search.worst_cases

    def waiting(*args, **kwargs):
        print("searching", flush=True)
        while not go.exists():
            time.sleep(0.05)
        return search_for(*args, **kwargs)

    search.worst_cases = waiting
    sys.exit(cli.main(sys.argv[2:]))
    """
)


def test_two_searches_writing_one_corpus_keep_both_results(tmp_path: Path) -> None:
    corpus, go = tmp_path / "corpus", tmp_path / "go"
    args = ["search", "--claims", "E3", "--budget", "2", "--top", "10", "--write", "--corpus", str(corpus)]
    cmd = [sys.executable, "-c", SLOW_SEARCH, str(go), *args, "--seed", "1"]
    slow = subprocess.Popen(
        cmd, cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert slow.stdout is not None and slow.stdout.readline().strip() == "searching"
        other = subprocess.run(
            [sys.executable, "-m", "verif", *args, "--seed", "2"],
            cwd=tmp_path,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert other.returncode == 0, other.stderr
        first = json.loads((corpus / "E3.json").read_text())
        go.touch()
        _, err = slow.communicate(timeout=300)
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait()
    assert slow.returncode == 0, err
    final = json.loads((corpus / "E3.json").read_text())
    keys = {json.dumps(e, sort_keys=True) for e in final}
    assert first and all(
        json.dumps(e, sort_keys=True) in keys for e in first
    )  # the other run's entries stayed
    assert len(final) > len(first)  # and the slow run's were added


@pytest.mark.parametrize("kind", ["fifo", "device", "too large"])
def test_a_cache_file_that_is_not_a_small_regular_file_is_not_read(tmp_path: Path, kind: str) -> None:
    """The cache is read on every run without being named: nothing in its place may block it
    (a FIFO without a writer) or fill memory (``/dev/zero``)."""
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    path = tuning.cache_file(env)
    assert path is not None
    path.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        entry = {"block_bytes": 65536, "parallel_blocks": 1}
        path.write_text(
            json.dumps({tuning.machine_key(): {"float64": entry}, "pad": "x" * tuning.MAX_CACHE_BYTES})
        )
    proc = subprocess.run(
        [sys.executable, "-c", "from verif.backends import tuning; print(tuning.choose('float64').source)"],
        env={**_env(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "autotuned" not in proc.stdout and "L2" in proc.stdout  # "L2 ... (sysfs)" or "no L2 reported"
