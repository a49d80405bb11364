"""Run the property files of many broken variants, each in a process forked from one warm parent.

    python -m tests.meta.forked OUT_DIR NAME...

The parent imports pytest, its plugins (the ``pytest11`` entry points), Hypothesis, JAX and
:mod:`tests.meta.mutants` (with the library) once: what a fresh pytest process imports before
the properties' conftest installs a variant, and most of a short run's time. Then for each
variant ``NAME`` forks a child that sets ``VERIF_MUTANT=NAME``, runs
``pytest -x -q -p no:cacheprovider -k numpy FILES...`` on the variant's property files
(:data:`tests.meta.mutants.MUTANTS`; another ``-k`` selection where
:data:`tests.meta.mutants.KEYWORDS` names one) and exits with pytest's status.
The child's output goes to ``OUT_DIR/NAME.log``; the parent writes ``OUT_DIR/status.json``
(``{name: exit status}``, a negative status for a child ended by a signal). No variant is
installed in the parent: the properties' conftest installs it in the child, at collection, as in
a fresh interpreter. JAX is imported in the parent but not started: no backend is created there
(a started JAX is not safe to fork), and the library's JAX backend, which variants edit, is
imported by the child.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

import hypothesis  # noqa: F401  (imported once, before the forks)
import jax.numpy  # noqa: F401  (imported, not started: no backend before the forks)
import pytest

from tests.meta.mutants import KEYWORDS, MUTANTS

ROOT = Path(__file__).resolve().parents[2]

# pytest loads its plugins in each child; loaded once here, each child finds them imported.
for _plugin in entry_points(group="pytest11"):
    _plugin.load()


def pytest_args(files: tuple[str, ...], keyword: str = "numpy") -> list[str]:
    """The pytest command line of one variant's run (first failure only, the tests ``-k keyword``)."""
    args = ["-x", "-q", "-p", "no:cacheprovider", "-k", keyword]
    # No property uses pytest-benchmark or xdist; pytest-benchmark runs git and hg at startup.
    args += ["-p", "no:benchmark", "-p", "no:xdist"]
    # Hypothesis is imported already (before the forks), so pytest cannot rewrite its asserts.
    args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    return args + [str(ROOT / "properties" / f) for f in files]


def _child(name: str, log: Path) -> None:
    """In the forked child: run the variant's files with output to ``log``; never returns."""
    code = 70
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ["VERIF_MUTANT"] = name
        code = int(pytest.main(pytest_args(MUTANTS[name][1], KEYWORDS.get(name, "numpy"))))
    except BaseException as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def run(names: list[str], out: Path) -> dict[str, int]:
    """Each variant's exit status, its output in ``out/NAME.log``."""
    status: dict[str, int] = {}
    unknown = [name for name in names if name not in MUTANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}")
    # The imported modules' objects are shared by every child: out of the collector's reach, a
    # child's collections (pytest runs several at its end) walk its own objects only.
    gc.freeze()
    for name in names:
        pid = os.fork()
        if pid == 0:
            _child(name, out / f"{name}.log")
        _, wait_status = os.waitpid(pid, 0)
        status[name] = os.waitstatus_to_exitcode(wait_status)
    return status


def main(argv: list[str]) -> int:
    out, names = Path(argv[0]), argv[1:]
    os.chdir(ROOT)
    (out / "status.json").write_text(json.dumps(run(names, out)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
