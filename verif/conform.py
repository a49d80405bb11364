"""``verif conform TARGET``: every claim's property against a backend written elsewhere.

    verif conform mypkg.module:MyBackend [--profile ci|thorough]

The backend is loaded and checked against the protocol (exit status 2 when it cannot be
loaded), then the property suite runs once with it in place of the built-in backends
(:mod:`verif.testing.plugin`; the NumPy backend is the reference where a claim compares two).
The output ends with a table of each claim's verdict and the worst ratio ``measured / bound``
found; the exit status is 1 when any claim fails. The suite is the ``properties/`` directory of
the source tree (the working directory's, or the one beside the imported package).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROFILES = ("ci", "thorough")
EXIT_FAILED = 1


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``conform`` subcommand to the ``verif`` parser."""
    p = sub.add_parser(
        "conform",
        help="run every claim's property against a backend of your own",
        description="Load TARGET, check it against the backend protocol, run the property suite "
        "with it and print a verdict per claim (exit 1 when one fails, 2 when TARGET cannot be loaded).",
    )
    p.add_argument("target", help="'package.module:Name' (a class or an instance) or an entry-point name")
    p.add_argument(
        "--profile", choices=PROFILES, default="ci", help="Hypothesis profile (default ci: derandomized)"
    )
    p.add_argument("--max-examples", type=int, default=None, help="cap on the examples per property")
    p.add_argument(
        "--suite", default=None, help="the property suite (default: properties/ of the source tree)"
    )
    p.set_defaults(handler=run)


def find_suite(explicit: str | None = None) -> Path:
    """The property suite: ``explicit``, else ``./properties``, else ``properties/`` beside the package."""
    import verif

    candidates = [Path(explicit)] if explicit else [Path.cwd() / "properties"]
    if not explicit:
        candidates.append(Path(verif.__file__).resolve().parents[1] / "properties")
    for path in candidates:
        if (path / "conftest.py").is_file() and any(path.glob("test_e*.py")):
            return path.resolve()
    raise ValueError(
        f"suite must be a directory with the property suite (conftest.py, test_e*.py); "
        f"looked in {', '.join(str(c) for c in candidates)}: run from the source tree or pass --suite"
    )


@contextmanager
def _environment(profile: str) -> Iterator[None]:
    """``HYPOTHESIS_PROFILE=profile`` and no ``VERIF_BACKEND`` inside the block.

    Set before anything imports the strategies, which size themselves by the profile.
    """
    saved = {k: os.environ.get(k) for k in ("HYPOTHESIS_PROFILE", "VERIF_BACKEND")}
    os.environ["HYPOTHESIS_PROFILE"] = profile
    os.environ.pop("VERIF_BACKEND", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run(args: argparse.Namespace) -> tuple[str, int]:
    """Run the suite with ``args.target``; return the summary line and the exit status."""
    missing = [name for name in ("pytest", "hypothesis") if importlib.util.find_spec(name) is None]
    if missing:
        raise ValueError(f"verif conform needs {' and '.join(missing)}: pip install 'verif[testing]'")
    if args.max_examples is not None and args.max_examples < 1:
        raise ValueError(f"--max-examples must be a positive integer, got {args.max_examples}")
    with _environment(args.profile):
        import pytest

        from verif.backends import backend
        from verif.testing.plugin import ConformancePlugin

        backend(args.target)  # BackendError (exit 2) names what is missing or misshapen
        suite = find_suite(args.suite)
        plugin = ConformancePlugin(args.target, args.max_examples)
        pytest_args = [
            str(suite),
            "-q",
            "--tb=line",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(suite.parent),
        ]
        # Hypothesis is imported already (for the plugin), so pytest cannot rewrite its asserts.
        pytest_args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        code = pytest.main(pytest_args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise ValueError(
            f"the property suite in {suite} did not run to the end (pytest exit status {int(code)})"
        )
    verdicts = list(plugin.verdicts.values())
    failed = [v.claim_id for v in verdicts if v.failed]
    not_run = [v.claim_id for v in verdicts if not v.tests]
    held = len(verdicts) - len(failed) - len(not_run)
    tail = f" ({', '.join(not_run)} not run)" if not_run else ""
    if failed:
        return (
            f"{args.target} does not conform: {', '.join(failed)} failed, {held} passed{tail} "
            f"(profile {args.profile})",
            EXIT_FAILED,
        )
    return f"{args.target} conforms: {held} of {len(verdicts)} pass{tail} (profile {args.profile})", 0
