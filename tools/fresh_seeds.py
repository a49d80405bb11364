"""Run the property suite over many fresh Hypothesis seeds and print one line per seed.

    python tools/fresh_seeds.py                      # 20 seeds from a drawn first seed, dev profile
    python tools/fresh_seeds.py --seed 20261201 --count 40 --profile thorough -- -k e07
    tox -e seeds -- --count 40

Seeds ``S, S+1, ..., S+N-1`` (``S`` given by ``--seed`` or drawn and printed, so a run can be
repeated). Each seed runs ``pytest properties -p no:cacheprovider --hypothesis-seed=<seed>`` in
its own interpreter with ``HYPOTHESIS_PROFILE`` set and a fresh, empty Hypothesis example
database (``HYPOTHESIS_STORAGE_DIRECTORY``), so that no seed replays a failure another seed
found. Arguments after ``--`` go to pytest. The output is one line per seed, ``passed`` or
``FAILED`` with the failing test ids (or ``ERROR`` with pytest's exit status when pytest did not
run the tests), then the summary ``N passed, M failed``.

Exit status (``verif.exit_status``): 0 every seed passed, 1 some seed failed, 2 bad arguments,
130 on SIGINT and 143 on SIGTERM (the running pytest processes are stopped first).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ("dev", "ci", "thorough")
#: At most this many pytest processes at once.
MAX_JOBS = 8
_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)")

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 0, 1, 2, 130, 143


@dataclass
class SeedResult:
    """The outcome of the property suite under one seed."""

    seed: int
    returncode: int
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.returncode == 0

    def line(self) -> str:
        head = f"seed {self.seed}: "
        if self.passed:
            return f"{head}passed ({self.seconds:.0f}s)"
        if self.returncode == 1:
            return f"{head}FAILED ({self.seconds:.0f}s): {', '.join(self.failures) or '(no ids)'}"
        return f"{head}ERROR exit {self.returncode} ({self.seconds:.0f}s): {', '.join(self.failures)}"


class Runner:
    """Starts one pytest process per seed and stops them all on a signal."""

    def __init__(self, profile: str, pytest_args: Sequence[str], log_dir: Path | None) -> None:
        self.profile = profile
        self.pytest_args = list(pytest_args)
        self.log_dir = log_dir
        self.lock = threading.Lock()
        self.running: set[subprocess.Popen[str]] = set()
        self.stopping = False

    def run(self, seed: int) -> SeedResult:
        args = [sys.executable, "-m", "pytest", "properties", "-p", "no:cacheprovider"]
        args += [f"--hypothesis-seed={seed}", "-q", "-rfE", "--no-header", *self.pytest_args]
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="verif-seed-") as storage:
            env = dict(os.environ, HYPOTHESIS_PROFILE=self.profile, HYPOTHESIS_STORAGE_DIRECTORY=storage)
            env.setdefault("JAX_PLATFORMS", "cpu")
            env["COLUMNS"] = "1000"
            with self.lock:
                if self.stopping:
                    return SeedResult(seed, EXIT_SIGINT, 0.0, ["not run"])
                proc = subprocess.Popen(
                    args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                self.running.add(proc)
            out, _ = proc.communicate()
            with self.lock:
                self.running.discard(proc)
        if self.log_dir is not None:
            (self.log_dir / f"seed-{seed}.log").write_text(out)
        failures = [m.group(2) for m in map(_FAILED.match, out.splitlines()) if m]
        if proc.returncode not in (0, 1) and not failures:
            failures = [line for line in out.splitlines()[-3:] if line.strip()]
        return SeedResult(seed, proc.returncode, time.monotonic() - start, failures)

    def stop(self) -> None:
        """Terminate every running pytest process and wait for it."""
        with self.lock:
            self.stopping = True
            procs = list(self.running)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    argv = list(argv)
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20, help="number of seeds (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: drawn and printed)")
    parser.add_argument(
        "--profile", default="dev", help=f"Hypothesis profile, one of {PROFILES} (default dev)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help=f"pytest processes at once, 1..{MAX_JOBS} (default 1)"
    )
    parser.add_argument("--log-dir", type=Path, default=None, help="write each seed's pytest output here")
    ns = parser.parse_args(argv)
    if ns.count < 1:
        parser.error(f"--count must be >= 1, got {ns.count}")
    if ns.seed is not None and not 0 <= ns.seed < 2**32:
        parser.error(f"--seed must be in [0, 2**32), got {ns.seed}")
    if ns.profile not in PROFILES:
        parser.error(f"--profile must be one of {list(PROFILES)}, got {ns.profile!r}")
    if not 1 <= ns.jobs <= MAX_JOBS:
        parser.error(f"--jobs must be in 1..{MAX_JOBS}, got {ns.jobs}")
    return ns, pytest_args


def main(argv: Sequence[str] | None = None) -> int:
    ns, pytest_args = parse_args(sys.argv[1:] if argv is None else argv)
    first = ns.seed if ns.seed is not None else secrets.randbelow(2**32 - ns.count)
    seeds = [(first + k) % 2**32 for k in range(ns.count)]
    if ns.log_dir is not None:
        ns.log_dir.mkdir(parents=True, exist_ok=True)
    runner = Runner(ns.profile, pytest_args, ns.log_dir)
    extra = f" -- {shlex.join(pytest_args)}" if pytest_args else ""
    print(
        f"fresh seeds: {ns.count} seeds from {first}, profile {ns.profile}, {ns.jobs} at once "
        f"(repeat: python tools/fresh_seeds.py --seed {first} --count {ns.count} "
        f"--profile {ns.profile}{extra})",
        flush=True,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(EXIT_SIGTERM)

    signal.signal(signal.SIGTERM, on_signal)
    results: list[SeedResult] = []
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=ns.jobs)
    try:
        for res in pool.map(runner.run, seeds):
            results.append(res)
            print(res.line(), flush=True)
    except KeyboardInterrupt:
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        print(f"interrupted after {len(results)} seeds", flush=True)
        return EXIT_SIGINT
    except SystemExit:
        runner.stop()
        pool.shutdown(wait=True, cancel_futures=True)
        print(f"terminated after {len(results)} seeds", flush=True)
        return EXIT_SIGTERM
    pool.shutdown(wait=True)
    passed = sum(r.passed for r in results)
    print(f"wall time {time.monotonic() - start:.0f}s", flush=True)
    print(f"{passed} passed, {len(results) - passed} failed", flush=True)
    return EXIT_OK if passed == len(results) else EXIT_VIOLATED


if __name__ == "__main__":
    sys.exit(main())
