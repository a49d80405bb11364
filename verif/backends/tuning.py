"""Block sizes of the JAX backend's reverse pass, chosen for the machine it runs on.

The reverse pass (:func:`verif.backends.jax_backend._value_grad_outputs`) runs over blocks of
sequences whose time steps ``(rows, m)`` take ``block_bytes`` each, ``parallel_blocks`` blocks
per loop iteration. The best values depend on the CPU's caches, so they are chosen, in this
order of precedence:

1. ``VERIF_BLOCK_BYTES`` / ``VERIF_PARALLEL_BLOCKS`` in the environment (positive integers;
   ``VERIF_BLOCK_BYTES`` takes a ``K``/``M`` suffix, e.g. ``64K``), each on its own;
2. a choice measured on this machine and kept in :func:`cache_file`
   (``$XDG_CACHE_HOME/verif/blocks.json``, else ``~/.cache/verif/blocks.json``), per machine
   (:func:`machine_key`) and dtype: by ``python -m verif.backends.tuning --autotune``, or once,
   on first use (:func:`first_use`), when the JAX backend's reverse pass first meets a problem
   of at least :data:`FIRST_USE_VALUES` values ``n T m`` on the CPU that rule 3 splits into
   blocks (``VERIF_AUTOTUNE=0`` turns that off);
3. the L2 cache of one core as the OS reports it (Linux sysfs
   ``/sys/devices/system/cpu/cpu0/cache/index*/``, else ``os.sysconf``):
   ``block_bytes = L2 / 16`` rounded down to a power of two within
   ``[MIN_BLOCK_BYTES, MAX_BLOCK_BYTES]``, one block per iteration;
4. without a reported L2: :data:`FALLBACK_L2_BYTES`.

Rule 3 is a starting point, not the best choice everywhere, hence the autotune: in the sweeps
of ``tools/speed_targets.py --sweep`` (the scans not unrolled, ``jax_backend.SCAN_UNROLL = 1``)
the best per-step block on an AMD EPYC core with 1 MiB of L2 was 64 KiB, one block per
iteration (float64 at m=1024 and m=4096, float32 at m=1024; 64-128 KiB at m=256; 32 KiB 8-15%
slower), while on an Intel Xeon with 2 MiB of L2 per core L2/16 (128 KiB, one block) read
2.9-3.1x against 3.4-3.5x for 128 KiB two at a time or 64 KiB four at a time (2026-12-02):
where several blocks per iteration pay depends on the CPU, not only on its caches. A
cache file that cannot be read or parsed, is not a regular file of at most 1 MiB, or an entry
that is not two positive integers, is ignored (the rules below it apply); so is a relative
``XDG_CACHE_HOME`` (the XDG base directory rule), and without a home folder there is no cache
file. ``--autotune`` updates the file under
an exclusive lock (``blocks.json.lock`` beside it), so that two runs at once keep both entries,
and replaces it whole; when it cannot write it (a full disk, a read-only folder) it says so in
one line and exits with status 3.

``python -m verif.backends.tuning`` prints the choice and why.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from verif import filelock
from verif.exit_status import BROKEN_PIPE, ENVIRONMENT, USAGE, EnvironmentFailure, drop_stdout, say
from verif.validation import parse_json

#: Where Linux describes cpu0's caches, one ``index*`` folder per cache.
SYSFS_CACHE_DIR = Path("/sys/devices/system/cpu/cpu0/cache")
#: L2 bytes per core assumed when the OS reports none (a common size on current x86 cores).
FALLBACK_L2_BYTES = 1024 * 2**10
#: The per-step block is this fraction of one core's L2.
L2_FRACTION = 16
MIN_BLOCK_BYTES = 8 * 2**10
MAX_BLOCK_BYTES = 1024 * 2**10
#: Candidates that ``--autotune`` times: every block size with every count per iteration.
AUTOTUNE_BLOCK_BYTES = (32 * 2**10, 64 * 2**10, 128 * 2**10, 256 * 2**10)
AUTOTUNE_PARALLEL = (1, 2, 4)
#: Rounds of the autotune: each round times every candidate once, in turn, so that a change of
#: the machine's load falls on all of them alike; a candidate's time is its best round's.
AUTOTUNE_ROUNDS = 3
#: The problem the autotune times (n, T, m, d): speed target 1's.
AUTOTUNE_SHAPE = (256, 32, 1024, 8)
#: The first problem with at least this many values ``n T m`` (and more than one block under
#: rule 3) starts the one-time autotune of :func:`first_use`: below it the gradient takes a few
#: milliseconds and the choice matters little.
FIRST_USE_VALUES = 2**20
#: Seconds the first-use autotune may take before its child process is stopped.
FIRST_USE_TIMEOUT_S = 300.0
#: The command the first-use autotune runs (this module, in a fresh interpreter).
CHILD_COMMAND = (sys.executable, "-m", "verif.backends.tuning")
#: Largest cache file read (a table of a few machines is a few KiB).
MAX_CACHE_BYTES = 2**20
ENV_BLOCK_BYTES = "VERIF_BLOCK_BYTES"
ENV_PARALLEL_BLOCKS = "VERIF_PARALLEL_BLOCKS"
ENV_AUTOTUNE = "VERIF_AUTOTUNE"


@dataclass(frozen=True)
class BlockChoice:
    """The reverse pass's block sizes and where they come from (``source``, one line)."""

    block_bytes: int
    parallel_blocks: int
    source: str


def parse_size(text: str, name: str = "size") -> int:
    """Bytes from ``"1024K"``, ``"2M"``, ``"65536"`` (sysfs' and the variables' spelling).

    Raises ``ValueError`` naming ``name`` for anything else, or a size that is not positive.
    """
    match = re.fullmatch(r"\s*(\d+)\s*([KkMmGg]?)(i?[Bb])?\s*", text)
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"{name} must be a positive number of bytes, optionally with K/M/G (got {text!r})")
    scale: int = 1024 ** " KMG".index(match.group(2).upper() or " ")
    return int(match.group(1)) * scale


def sysfs_caches(root: Path = SYSFS_CACHE_DIR) -> dict[int, int]:
    """Bytes of each data or unified cache level of one core (``{1: ..., 2: ..., 3: ...}``).

    Reads ``index*/level``, ``type`` and ``size`` under ``root``; entries that are missing or
    unreadable are skipped, so a missing tree gives ``{}``.
    """
    sizes: dict[int, int] = {}
    for index in sorted(root.glob("index*")):
        try:
            kind = (index / "type").read_text().strip()
            level = int((index / "level").read_text().strip())
            size = parse_size((index / "size").read_text().strip())
        except (OSError, ValueError):
            continue
        if kind in ("Data", "Unified"):
            sizes[level] = size
    return sizes


def sysconf_caches() -> dict[int, int]:
    """The same from ``os.sysconf`` (glibc's ``_SC_LEVEL*_CACHE_SIZE``), where it answers."""
    sizes: dict[int, int] = {}
    for level, key in (
        (1, "SC_LEVEL1_DCACHE_SIZE"),
        (2, "SC_LEVEL2_CACHE_SIZE"),
        (3, "SC_LEVEL3_CACHE_SIZE"),
    ):
        try:
            value = os.sysconf(key)
        except (ValueError, OSError, AttributeError):
            continue
        if value > 0:
            sizes[level] = value
    return sizes


def cache_sizes(root: Path = SYSFS_CACHE_DIR) -> tuple[dict[int, int], str]:
    """One core's cache sizes by level and where they were read (``sysfs``, ``sysconf``, ``none``)."""
    sizes = sysfs_caches(root)
    if sizes:
        return sizes, "sysfs"
    sizes = sysconf_caches()
    return (sizes, "sysconf") if sizes else ({}, "none")


def block_bytes_for_l2(l2: int) -> int:
    """``L2 / L2_FRACTION`` rounded down to a power of two, clamped to ``[MIN, MAX]_BLOCK_BYTES``."""
    target = max(1, l2 // L2_FRACTION)
    return min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, 1 << (target.bit_length() - 1)))


def from_caches(root: Path = SYSFS_CACHE_DIR) -> BlockChoice:
    """Rules 3 and 4 of the module: the choice from the reported L2, or the fallback."""
    sizes, where = cache_sizes(root)
    if 2 in sizes:
        l2, why = sizes[2], f"L2 {sizes[2] // 1024} KiB per core ({where})"
    else:
        l2, why = FALLBACK_L2_BYTES, f"no L2 reported; assumed {FALLBACK_L2_BYTES // 1024} KiB"
    return BlockChoice(block_bytes_for_l2(l2), 1, f"{why}: L2/{L2_FRACTION}, one block per iteration")


def _positive_int(env: Mapping[str, str], name: str, sized: bool) -> int | None:
    text = env.get(name)
    if text is None or text.strip() == "":
        return None
    if sized:
        return parse_size(text, name)
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) <= 0:
        raise ValueError(f"{name} must be a positive integer (got {text!r})")
    return int(text)


def cache_file(env: Mapping[str, str] | None = None) -> Path | None:
    """``$XDG_CACHE_HOME/verif/blocks.json``, else ``~/.cache/verif/blocks.json``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG base directory specification asks;
    ``None`` when there is no home folder either (no ``HOME`` and a user unknown to the system).
    """
    env = os.environ if env is None else env
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "verif" / "blocks.json"
    try:
        home = Path.home()
    except (RuntimeError, KeyError, OSError):
        return None
    return home / ".cache" / "verif" / "blocks.json"


def machine_key(root: Path = SYSFS_CACHE_DIR) -> str:
    """What a cached choice is valid for: CPU model, core count and cache sizes."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    sizes, _ = cache_sizes(root)
    caches = ",".join(f"L{k}={v // 1024}K" for k, v in sorted(sizes.items()))
    return f"{model}|{os.cpu_count()} cpus|{caches}"


def load_cache(path: Path) -> dict[str, Any]:
    """The cache file's table, or ``{}`` when it is missing, unreadable or not such a table.

    Only a regular file of at most :data:`MAX_CACHE_BYTES` is read: the file is read on every
    run without being named, so a FIFO or a device in its place must not block or fill memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO's open would wait
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}
            raw = f.read(MAX_CACHE_BYTES + 1)
        if len(raw) > MAX_CACHE_BYTES:
            return {}
        data = parse_json(raw.decode("utf-8"))
    except (OSError, ValueError):  # missing, a folder, unreadable, not UTF-8, not JSON
        return {}
    return data if isinstance(data, dict) else {}


def save_cache(path: Path, data: Mapping[str, Any]) -> None:
    """Write the table whole or not at all (a temporary file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".blocks-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_cache(path: Path, key: str, dtype: str, entry: Mapping[str, Any]) -> None:
    """Set ``table[key][dtype] = entry`` in the cache file, keeping every other entry, even
    when another process updates the file at the same time (read, change and write under
    :func:`verif.filelock.exclusive` on ``blocks.json.lock``; the write is :func:`save_cache`'s,
    whole or not at all)."""
    with filelock.exclusive(lock_file(path)):
        _update_held(path, key, dtype, entry)


def lock_file(path: Path) -> Path:
    """The lock beside the cache file (``blocks.json.lock``) under which it is updated."""
    return path.with_name(path.name + ".lock")


def _update_held(path: Path, key: str, dtype: str, entry: Mapping[str, Any]) -> None:
    """:func:`update_cache`'s read-change-write, with its lock held by the caller."""
    data = load_cache(path)
    machine = data.get(key)
    machine = dict(machine) if isinstance(machine, dict) else {}
    machine[dtype] = dict(entry)
    data[key] = machine
    save_cache(path, data)


def _positive(value: Any) -> TypeGuard[int]:
    """A positive ``int`` (``true`` in a JSON file is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _cached(path: Path | None, key: str, dtype: str) -> BlockChoice | None:
    entry = load_cache(path).get(key, {}) if path is not None else None
    entry = entry.get(dtype) if isinstance(entry, dict) else None
    if not isinstance(entry, dict):
        return None
    bb, par = entry.get("block_bytes"), entry.get("parallel_blocks")
    if not (_positive(bb) and _positive(par)):
        return None
    return BlockChoice(bb, par, f"autotuned {entry.get('when', '')} ({path})".replace("  ", " "))


def choose(
    dtype: str,
    env: Mapping[str, str] | None = None,
    root: Path = SYSFS_CACHE_DIR,
) -> BlockChoice:
    """The block sizes for ``dtype`` (``"float64"``, ``"float32"``) by the module's rules.

    Raises ``ValueError`` naming the variable when an override is not a positive size, or
    ``VERIF_AUTOTUNE`` is neither on nor off.
    """
    env = os.environ if env is None else env
    autotune_on_first_use(env)  # a bad VERIF_AUTOTUNE is refused with the other variables
    bb = _positive_int(env, ENV_BLOCK_BYTES, sized=True)
    par = _positive_int(env, ENV_PARALLEL_BLOCKS, sized=False)
    base = _cached(cache_file(env), machine_key(root), dtype) or from_caches(root)
    if bb is None and par is None:
        return base
    overridden = [
        f"{name}={env[name].strip()}" for name, v in ((ENV_BLOCK_BYTES, bb), (ENV_PARALLEL_BLOCKS, par)) if v
    ]
    return BlockChoice(
        bb or base.block_bytes,
        par or base.parallel_blocks,
        f"{', '.join(overridden)} from the environment; otherwise {base.source}",
    )


def autotune_on_first_use(env: Mapping[str, str] | None = None) -> bool:
    """Whether :func:`first_use` may time the candidates: ``VERIF_AUTOTUNE`` unset, empty, ``1``,
    ``on``, ``yes`` or ``true`` (the default); ``0``, ``off``, ``no``, ``false`` turn it off.

    Raises ``ValueError`` naming the variable for any other value.
    """
    text = (os.environ if env is None else env).get(ENV_AUTOTUNE, "").strip().lower()
    if text in ("", "1", "on", "yes", "true"):
        return True
    if text in ("0", "off", "no", "false"):
        return False
    raise ValueError(f"{ENV_AUTOTUNE} must be 1 (on, the default) or 0 (off) (got {text!r})")


def autotune(
    dtype: str,
    time_choice: Callable[[BlockChoice], float],
    env: Mapping[str, str] | None = None,
    root: Path = SYSFS_CACHE_DIR,
    if_missing: bool = False,
    parent: int | None = None,
) -> BlockChoice:
    """Time every candidate with ``time_choice`` (seconds, smaller is better) in
    :data:`AUTOTUNE_ROUNDS` interleaved rounds, keep the fastest in :func:`cache_file` for this
    machine and ``dtype``, and return it.

    The cache's lock is held from before the first timing to the write, so that two autotunes
    at once take turns (each timing alone) and a lock that cannot be created fails before any
    timing. ``if_missing``: a choice already cached (by a run that held the lock first) is
    returned untimed. ``parent``: the process that asked for the timing (:func:`first_use`);
    when it has ended, the autotune stops between two timings and writes nothing.
    """
    path, key = cache_file(os.environ if env is None else env), machine_key(root)
    if path is None:
        raise EnvironmentFailure("autotune: no folder to keep the choice in: set XDG_CACHE_HOME or HOME")
    try:
        with filelock.exclusive(lock_file(path)):
            cached = _cached(path, key, dtype) if if_missing else None
            if cached is not None:
                return cached
            bb, par = _fastest(time_choice, parent)
            when = time.strftime("%Y-%m-%d %H:%M")
            _update_held(path, key, dtype, {"block_bytes": bb, "parallel_blocks": par, "when": when})
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise EnvironmentFailure(f"autotune: cannot write {path} ({why}); nothing was changed") from exc
    return BlockChoice(bb, par, f"autotuned {when} ({path})")


def _fastest(time_choice: Callable[[BlockChoice], float], parent: int | None) -> tuple[int, int]:
    """The candidate ``(block_bytes, parallel_blocks)`` with the smallest best time."""
    best: dict[tuple[int, int], float] = {}
    for _ in range(AUTOTUNE_ROUNDS):
        for bb in AUTOTUNE_BLOCK_BYTES:
            for par in AUTOTUNE_PARALLEL:
                if parent is not None and os.getppid() != parent:
                    raise EnvironmentFailure(
                        "autotune: the process that asked for it has ended; nothing was changed"
                    )
                seconds = time_choice(BlockChoice(bb, par, "candidate"))
                best[bb, par] = min(seconds, best.get((bb, par), seconds))
    return min(best, key=lambda k: best[k])


def first_use(dtype: str, env: Mapping[str, str] | None = None, root: Path = SYSFS_CACHE_DIR) -> bool:
    """The one-time autotune of ``dtype`` for this machine, in a child process, unless it is off
    (``VERIF_AUTOTUNE=0``), an override is set or a choice is cached already. Returns whether a
    choice was measured (or found measured by another process) and cached.

    The child (:data:`CHILD_COMMAND` ``--autotune --if-missing``) times the candidates in a
    fresh interpreter, away from the caller's traces, threads and settings (XLA's optimizations
    on), and under the cache's lock, so that processes meeting their first large problem at
    once (a report's workers) time it once between them and read the same choice. One line on
    stderr says that it runs; when it fails (the cache cannot be written, a timeout, the child
    killed) one line says why and rule 3 applies in this process.
    """
    env = os.environ if env is None else env
    if not autotune_on_first_use(env) or any(
        env.get(v, "").strip() for v in (ENV_BLOCK_BYTES, ENV_PARALLEL_BLOCKS)
    ):
        return False
    path, key = cache_file(env), machine_key(root)
    if path is None or _cached(path, key, dtype) is not None:
        return False
    say(
        f"verif: timing the JAX reverse pass's block sizes on this CPU for {dtype}, once (about 10 s; "
        f"kept in {path}; {ENV_AUTOTUNE}=0 skips it)"
    )
    child_env = {k: v for k, v in env.items() if k != "JAX_DISABLE_MOST_OPTIMIZATIONS"}
    package_root = str(Path(__file__).resolve().parents[2])
    if package_root not in _site_folders():  # a source tree: the child imports this copy too
        child_env["PYTHONPATH"] = os.pathsep.join([package_root, *filter(None, [env.get("PYTHONPATH")])])
    cmd = [*CHILD_COMMAND, "--autotune", "--if-missing", "--dtype", dtype, "--parent", str(os.getpid())]
    try:
        done = subprocess.run(
            cmd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=FIRST_USE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        why = f"it took longer than {FIRST_USE_TIMEOUT_S:.0f} s"
    except OSError as exc:
        why = f"it could not start ({exc.strerror or type(exc).__name__})"
    else:
        if done.returncode == 0 and _cached(path, key, dtype) is not None:
            return True
        last = (done.stderr or "").strip().splitlines()
        why = last[-1].removeprefix("error: ") if last else f"exit status {done.returncode}"
    say(f"verif: the block sizes were not timed: {why}; {from_caches(root).source} applies")
    return False


def _site_folders() -> set[str]:
    """The interpreter's site-packages folders (resolved), where an installed ``verif`` lies."""
    import site

    folders = [*site.getsitepackages(), site.getusersitepackages()]
    return {str(Path(f).resolve()) for f in folders}


def _time_kernel(dtype: str, repeat: int = 2) -> Callable[[BlockChoice], float]:
    """A timer of the JAX backend's gradient at :data:`AUTOTUNE_SHAPE` for one choice: the best
    of ``repeat`` runs, each choice compiled (and run once) the first time it is timed."""
    import timeit

    import jax
    import jax.numpy as jnp
    import numpy as np

    from verif.backends import jax_backend

    n, T, m, d = AUTOTUNE_SHAPE
    rng = np.random.default_rng(0)
    with jax_backend.enable_x64():
        args = [
            jnp.asarray(a, dtype=dtype)
            for a in (
                rng.uniform(0.2, 0.8, m),
                rng.standard_normal((m, d)) / np.sqrt(d),
                np.sign(rng.standard_normal(m)),
                rng.standard_normal((n, T, d)),
                rng.standard_normal((n, T)),
            )
        ]
    compiled: dict[tuple[int, int], Callable[[], None]] = {}

    def timer(choice: BlockChoice) -> float:
        key = (choice.block_bytes, choice.parallel_blocks)
        with jax_backend.enable_x64():
            if key not in compiled:
                fn = jax.jit(jax_backend.value_and_grad_with(choice), static_argnames=("act_name",))

                def run(fn: Any = fn) -> None:
                    jax.block_until_ready(fn(*args, act_name="tanh"))  # type: ignore[no-untyped-call]

                run()
                compiled[key] = run
            return min(timeit.repeat(compiled[key], number=1, repeat=repeat))

    return timer


class _StdoutFailed(Exception):
    """A line could not be written to stdout (``error``)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _emit(line: str) -> None:
    """``line`` on stdout, flushed; a failed write is :class:`_StdoutFailed`, told apart from an
    ``OSError`` of the work itself."""
    try:
        print(line, flush=True)
    except OSError as exc:
        raise _StdoutFailed(exc) from exc


def main(argv: list[str] | None = None) -> int:
    """``python -m verif.backends.tuning``: the choice and why; exit status 2 for a bad override,
    3 when the cache cannot be written or stdout cannot be (a full disk, closed), 141 when the
    reader of stdout went away."""
    try:
        return _main(argv)
    except _StdoutFailed as failed:
        drop_stdout()
        if isinstance(failed.error, BrokenPipeError):
            return BROKEN_PIPE
        say(f"error: cannot write the output to stdout ({failed.error.strerror or failed.error})")
        return ENVIRONMENT


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description="Show (or measure) the JAX reverse pass's block sizes.")
    parser.add_argument("--autotune", action="store_true", help="time the candidates and cache the fastest")
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument(
        "--if-missing", action="store_true", help="with --autotune: keep a choice cached already, untimed"
    )
    parser.add_argument(
        "--parent",
        type=int,
        default=None,
        metavar="PID",
        help="with --autotune: stop, writing nothing, once process PID is no longer this one's parent",
    )
    opts = parser.parse_args(argv)
    sizes, where = cache_sizes()
    shown = ", ".join(f"L{k} {v // 1024} KiB" for k, v in sorted(sizes.items())) or "none reported"
    _emit(f"caches per core ({where}): {shown}")
    _emit(f"machine key: {machine_key()}")
    _emit(f"cache file: {cache_file()}")
    try:
        if opts.autotune:
            autotune(opts.dtype, _time_kernel(opts.dtype), if_missing=opts.if_missing, parent=opts.parent)
        choice = choose(opts.dtype)
    except ValueError as e:
        say(f"error: {e}")
        return USAGE
    except EnvironmentFailure as e:
        say(f"error: {e}")
        return ENVIRONMENT
    _emit(
        f"{opts.dtype}: block_bytes {choice.block_bytes} ({choice.block_bytes // 1024} KiB per time step), "
        f"parallel_blocks {choice.parallel_blocks}; from {choice.source}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
