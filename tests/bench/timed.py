"""Time the pytest-benchmark groups, save the run, and compare it with the last saved run.

``python -m tests.bench.timed STORAGE [pytest options]`` (what ``tox -e bench-pytest`` runs):
the groups are timed and saved under ``STORAGE`` (``--benchmark-autosave``); when a saved run
exists already, the new one is compared with the latest (``--benchmark-compare``) and the
command fails on a slowdown of the median beyond 25%. The first run becomes the baseline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

#: A slowdown of the median beyond this fails the comparison.
COMPARE_FAIL = "median:25%"


def main(argv: list[str]) -> int:
    storage, extra = Path(argv[0]), argv[1:]
    args = [
        str(Path(__file__).resolve().parent),
        "-p",
        "no:cacheprovider",
        "--benchmark-enable",
        "--benchmark-autosave",
        f"--benchmark-storage={storage}",
        "--benchmark-columns=min,median,mean,stddev,rounds",
    ]
    if any(storage.glob("*/*.json")):
        args += ["--benchmark-compare", f"--benchmark-compare-fail={COMPARE_FAIL}"]
    else:
        print(f"no saved run in {storage}: this run becomes the baseline")
    return int(pytest.main(args + extra))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
