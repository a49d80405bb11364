"""Benchmark noise across time: run one commit several times, compare consecutive runs at the gate's factor.

``python noise.py [--runs K] [--factor F] [-b REGEX] [--machine NAME]`` (from ``asv_bench``, in
an environment with asv and ``verif`` installed; ``tox -e bench-noise -- ...`` is that) runs
``asv run -E existing:python --set-commit-hash HEAD --record-samples`` ``K`` times on the
selected benchmarks, keeps each run's results file under ``.asv/noise/`` and compares every
pair of consecutive runs with asv's own comparison (``asv compare --factor F --split``, the
Mann-Whitney test on the recorded samples, then the factor): a benchmark of the same commit
that compares as changed is noise, here from the load changing between runs minutes apart.
The regression gate (``tox -e bench-compare``, ``asv continuous``) interleaves the rounds of
its two commits instead, so that such a change falls on both (README, Benchmarking).
Prints each pair's changed benchmarks, each run's wall time and the load average before and
after it, and ends with ``P of Q pairs compared as unchanged``. Exit status 0 when every pair
compared as unchanged, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asv.commands.compare import Compare
from asv.config import Config
from asv.results import Results

HERE = Path(__file__).resolve().parent
RUNS_DIR = HERE.parent / ".asv" / "noise"
#: The timed benchmarks of ``tox -e bench-history`` (tox.ini's [bench] history, without the tracks).
DEFAULT_SELECTION = "'float64', 'n=32 T=16|'float64', 'n=8 T=16"


def asv(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "asv", *args], cwd=HERE, check=True)


def run_once(k: int, machine: str, commit: str, selection: str) -> Path:
    """One ``asv run`` of ``commit`` in this environment; its results file moved to ``RUNS_DIR``."""
    machine_dir = HERE / "results" / machine
    for old in machine_dir.glob(f"{commit[:8]}-existing-*.json"):
        old.unlink()
    load = os.getloadavg()
    start = time.monotonic()
    asv("run", "-E", "existing:python", "--set-commit-hash", commit, "--record-samples", "--machine", machine,
        "-b", selection)  # fmt: skip
    wall = time.monotonic() - start
    (produced,) = machine_dir.glob(f"{commit[:8]}-existing-*.json")
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    target = RUNS_DIR / f"run{k}.json"
    shutil.move(produced, target)
    after = os.getloadavg()
    print(f"run {k}: {wall:.0f} s, load average {load[0]:.2f} before, {after[0]:.2f} after", flush=True)
    return target


def resultset(path: Path) -> Iterator[tuple[Any, ...]]:
    """A results file as ``Compare.print_table`` iterates it (one machine name for every run)."""
    result = Results.load(str(path))
    for key in result.get_all_result_keys():
        params = result.get_result_params(key)
        yield (
            key,
            params,
            result.get_result_value(key, params),
            result.get_result_stats(key, params),
            result.get_result_samples(key, params),
            result.benchmark_version.get(key),
            "noise",
            result.env_name,
        )


def compare(conf: Config, commit: str, a: Path, b: Path, factor: float) -> bool:
    """asv's comparison of two runs of ``commit``; True when no benchmark changed."""
    worsened, improved = Compare.print_table(
        conf, commit, commit, factor=factor, split=True, resultset_1=resultset(a), resultset_2=resultset(b),
        only_changed=True, commit_names={commit: "run"},
    )  # fmt: skip
    return not (worsened or improved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="asv runs of HEAD (>= 2)")
    parser.add_argument("--factor", type=float, default=1.25, help="the gate's factor")
    parser.add_argument("-b", "--bench", default=DEFAULT_SELECTION, help="asv's benchmark selection")
    parser.add_argument("--machine", default="noise", help="asv machine name of the runs")
    parser.add_argument("--compare-only", action="store_true", help="compare the kept runs again")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error("--runs must be at least 2")
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=HERE, check=True, capture_output=True, text=True
    ).stdout.strip()
    if args.compare_only:
        paths = [RUNS_DIR / f"run{k}.json" for k in range(1, args.runs + 1)]
    else:
        asv("machine", "--yes", "--machine", args.machine)
        paths = [run_once(k, args.machine, commit, args.bench) for k in range(1, args.runs + 1)]
    conf = Config.load(str(HERE / "asv.conf.json"))
    unchanged = 0
    for k, (a, b) in enumerate(itertools.pairwise(paths), start=1):
        print(f"\npair {k}: {a.name} -> {b.name}", flush=True)
        same = compare(conf, commit, a, b, args.factor)
        print("  unchanged" if same else "  CHANGED", flush=True)
        unchanged += same
    pairs = len(paths) - 1
    print(f"\n{unchanged} of {pairs} pairs compared as unchanged (factor {args.factor}, -b {args.bench!r})")
    return 0 if unchanged == pairs else 1


if __name__ == "__main__":
    sys.exit(main())
