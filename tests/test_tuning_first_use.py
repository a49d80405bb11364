"""The one-time autotune on first use (:func:`verif.backends.tuning.first_use`).

The child process is the real ``python -m verif.backends.tuning --autotune --if-missing``
except for its timer, which takes no time and records each timing in a file (the real timer
compiles and runs target 1's gradient for every candidate, about 10 s); the parent side, the
lock, the cache and the backend's trigger are the real ones.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import pytest

from tests.conftest import child_env
from verif.backends import jax_backend, tuning

#: The tuning module's command with a timer that prefers 64 KiB, 4 at a time, and appends one
#: line per timing to ``$FAKE_TIMINGS`` (after ``$FAKE_PAUSE`` seconds, so that two children
#: overlap).
CHILD = textwrap.dedent(
    """
    import os, sys, time
    from verif.backends import tuning

    def fake_kernel(dtype, repeat=2):
        def timer(choice):
            time.sleep(float(os.environ.get("FAKE_PAUSE", "0")))
            with open(os.environ["FAKE_TIMINGS"], "a") as f:
                f.write(f"{choice.block_bytes} {choice.parallel_blocks}\\n")
            return abs(choice.block_bytes - 65536) / 65536 + abs(choice.parallel_blocks - 4)
        return timer

    tuning._time_kernel = fake_kernel
    if os.environ.get("FAKE_PID"):
        with open(os.environ["FAKE_PID"], "w") as f:
            f.write(str(os.getpid()))
    sys.exit(tuning.main(sys.argv[1:]))
    """
)
PREFERRED = (64 * 2**10, 4)
BIG = (256, 32, 1024, 8)  # n T m = 2^23 values, 8 sequences a block under the rule
CANDIDATES = len(tuning.AUTOTUNE_BLOCK_BYTES) * len(tuning.AUTOTUNE_PARALLEL)


@pytest.fixture
def first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """First use switched on, a fresh cache folder, the fake child, the backend's memory of a
    first use and its machine choice forgotten (and forgotten again afterwards)."""
    monkeypatch.setenv("VERIF_AUTOTUNE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("FAKE_TIMINGS", str(tmp_path / "timings"))
    for name in ("VERIF_BLOCK_BYTES", "VERIF_PARALLEL_BLOCKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tuning, "CHILD_COMMAND", (sys.executable, "-c", CHILD))
    monkeypatch.setattr(jax_backend, "_FIRST_USE_ASKED", set())
    jax_backend._machine_blocks.cache_clear()
    yield tmp_path / "timings"
    jax_backend._machine_blocks.cache_clear()


def timings(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def trace_gradient(n: int, T: int, m: int, d: int) -> None:
    """Trace the reverse pass at a shape (abstract values: nothing of that size is allocated)."""
    f64 = jnp.float64
    with jax_backend.enable_x64():
        shapes = [((m,), f64), ((m, d), f64), ((m,), f64), ((n, T, d), f64), ((n, T), f64)]
        args = [jax.ShapeDtypeStruct(s, t) for s, t in shapes]
        jax.eval_shape(lambda *a: jax_backend._value_grad_outputs(*a, act_name="tanh"), *args)


def test_the_first_large_problem_times_the_blocks_once(
    first_use: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace_gradient(*BIG)
    assert len(timings(first_use)) == CANDIDATES * tuning.AUTOTUNE_ROUNDS
    choice = jax_backend._machine_blocks("float64")
    assert (choice.block_bytes, choice.parallel_blocks) == PREFERRED and "autotuned" in choice.source
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1
        and "timing the JAX reverse pass's block sizes" in err[0]
        and "VERIF_AUTOTUNE=0" in err[0]
    )
    # once per process and machine: neither another large shape nor a new process times again
    trace_gradient(512, 32, 1024, 8)
    jax_backend._FIRST_USE_ASKED.clear()
    trace_gradient(*BIG)
    assert len(timings(first_use)) == CANDIDATES * tuning.AUTOTUNE_ROUNDS
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("why", "env", "shape"),
    [
        ("switched off", {"VERIF_AUTOTUNE": "off"}, BIG),
        ("an override", {"VERIF_PARALLEL_BLOCKS": "2"}, BIG),
        ("too small", {}, (64, 8, 1024, 8)),  # 2^19 values, below FIRST_USE_VALUES
        ("one block", {}, (2, 2**19, 1, 1)),  # 2^20 values, every sequence in one block
    ],
)
def test_no_timing_where_it_is_not_wanted(
    first_use: Path, monkeypatch: pytest.MonkeyPatch, why: str, env: dict[str, str], shape: tuple[int, ...]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    trace_gradient(*shape)
    assert timings(first_use) == [], why
    assert "autotuned" not in jax_backend._machine_blocks("float64").source


def test_a_cached_choice_is_used_untimed(first_use: Path) -> None:
    path = tuning.cache_file()
    assert path is not None
    tuning.update_cache(path, tuning.machine_key(), "float64", {"block_bytes": 32768, "parallel_blocks": 2})
    assert tuning.first_use("float64") is False
    assert timings(first_use) == []
    assert jax_backend._machine_blocks("float64").block_bytes == 32768


def test_a_failed_timing_says_why_and_keeps_the_rule(
    first_use: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # no folder can be made under a file
    assert tuning.first_use("float64") is False
    assert timings(first_use) == []  # the lock comes first: nothing was timed in vain
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err
    assert err[1].startswith("verif: the block sizes were not timed: autotune: cannot write ")
    assert err[1].endswith(f"; {tuning.from_caches().source} applies")
    monkeypatch.setattr(tuning, "CHILD_COMMAND", (sys.executable, "-c", "import sys; sys.exit(9)"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert tuning.first_use("float64") is False
    assert "not timed: exit status 9;" in capsys.readouterr().err


def child(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    full = child_env(**env)
    cmd = [sys.executable, "-c", CHILD, "--autotune", *args]
    return subprocess.Popen(cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_first_uses_at_once_time_once(tmp_path: Path) -> None:
    env = {
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "FAKE_TIMINGS": str(tmp_path / "t"),
        "FAKE_PAUSE": "0.01",
    }
    runs = [child(["--if-missing"], env) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert len(timings(tmp_path / "t")) == CANDIDATES * tuning.AUTOTUNE_ROUNDS
    table = json.loads((tmp_path / "cache" / "verif" / "blocks.json").read_text())
    (entry,) = table.values()
    assert (entry["float64"]["block_bytes"], entry["float64"]["parallel_blocks"]) == PREFERRED


def test_the_timing_stops_when_the_asker_has_ended(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "FAKE_TIMINGS": str(tmp_path / "t")}
    run = child(["--if-missing", "--parent", "1" if os.getpid() != 1 else "2"], env)  # not its parent
    _, err = run.communicate(timeout=120)
    assert run.returncode == 3
    assert err.strip().splitlines() == [
        "error: autotune: the process that asked for it has ended; nothing was changed"
    ]
    assert timings(tmp_path / "t") == []
    assert not (tmp_path / "cache" / "verif" / "blocks.json").exists()


@pytest.mark.parametrize(
    ("text", "on"), [("", True), ("1", True), (" ON ", True), ("0", False), ("off", False)]
)
def test_the_switch(text: str, on: bool) -> None:
    assert tuning.autotune_on_first_use({"VERIF_AUTOTUNE": text}) is on


def test_a_bad_switch_is_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=r"^VERIF_AUTOTUNE must be 1 \(on, the default\) or 0 \(off\) \(got 'sometimes'\)$"
    ):
        tuning.choose("float64", {"VERIF_AUTOTUNE": "sometimes"})


def test_the_real_timer_times_a_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "AUTOTUNE_SHAPE", (4, 3, 8, 2))
    built: list[tuning.BlockChoice] = []
    real = jax_backend.value_and_grad_with

    def recording(blocks: tuning.BlockChoice) -> object:
        built.append(blocks)
        return real(blocks)

    monkeypatch.setattr(jax_backend, "value_and_grad_with", recording)
    timer = tuning._time_kernel("float64", repeat=1)
    choice = tuning.BlockChoice(64, 2, "test")  # one sequence of m=8 a block, two at a time
    other = tuning.BlockChoice(128, 1, "test")
    assert 0 < timer(choice) < 10
    assert 0 < timer(choice) < 10  # compiled once, timed again
    assert 0 < timer(other) < 10
    assert built == [choice, other]  # each candidate's own blocks, each built once


#: A process that meets its first large problem: ``first_use`` with the fake child.
ASKER = textwrap.dedent(
    """
    import sys
    from verif.backends import tuning

    tuning.CHILD_COMMAND = (sys.executable, "-c", sys.argv[1])
    tuning.first_use("float64")
    """
)


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie waiting for its reaper counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_asker_stopped_by_a_signal_leaves_no_timing_behind(tmp_path: Path, sig: signal.Signals) -> None:
    t, pid_file = tmp_path / "t", tmp_path / "pid"
    env = child_env(
        tmp_path / "cache",
        VERIF_AUTOTUNE="1",
        FAKE_TIMINGS=str(t),
        FAKE_PAUSE="0.2",  # 36 timings: about 7 s, far longer than the test waits
        FAKE_PID=str(pid_file),
    )
    asker = subprocess.Popen([sys.executable, "-c", ASKER, CHILD], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not timings(t) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert timings(t), "the child never started timing"
    timer_pid = int(pid_file.read_text())
    asker.send_signal(sig)
    asker.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while not gone(timer_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(timer_pid), f"the timing child outlived its asker ({sig.name})"
    assert len(timings(t)) < CANDIDATES * tuning.AUTOTUNE_ROUNDS
    assert not (tmp_path / "cache" / "verif" / "blocks.json").exists()
