"""``verif conform TARGET``: every claim's property against a backend written elsewhere.

    verif conform mypkg.module:MyBackend [--profile ci|thorough] [--claims E1,E2] [--fail-fast] [--no-shrink]

The backend is loaded and checked against the protocol (exit status 2 when it cannot be
loaded or returns the wrong types, shapes or dtypes), then the property suite runs once with it
in place of the built-in backends (:mod:`verif.testing.plugin`; the NumPy backend is the
reference where a claim compares two), claim by claim. The output ends with a table of each
claim's verdict and the worst ratio ``measured / bound`` found, what was skipped because the
backend does not declare it (:mod:`verif.backends.capabilities`), one line per failed claim on
the kind of defect it points to (``E2 defect: derivative code: ...``, :mod:`verif.claims.defects`),
and one line:

* ``... conforms: 15 of 15 pass`` (exit 0) only when every claim of the suite ran and held;
* ``... does not conform: E1 failed, ...`` (exit 1) when one failed;
* ``E1, E2 pass (subset: 2 of 15 claims run; not a conformance verdict)`` (exit 0) when only
  some claims ran and held: ``--claims``, or a ``--suite`` holding only some claims;
* exit 1 also when a selected claim did not run at all, or when no claim ran (every one outside
  the backend's declared capabilities): ``... is not checked: no claim ran``.

An environment that would fail every claim whatever the backend is refused before the suite
runs, exit status 3: a ``VERIF_RATIO_LOG`` (:mod:`verif.testing.checking`) that cannot be
appended to; a write that meets a full or read-only disk while the suite runs stops it, also
with exit status 3, instead of failing the claim it was made in. Output that cannot be written
(stdout full or closed) is exit status 3, a reader gone away (``| head``) 141. There is no time
limit on a backend's methods: one that hangs is stopped by Ctrl-C or SIGTERM (exit 130 or 143).

``--fail-fast`` stops at the first failing claim; ``--no-shrink`` reports the first
counterexample Hypothesis finds instead of shrinking it (a failing property is otherwise shrunk,
which takes most of a failing run's time). The suite is the ``properties/`` directory of the
source tree (the working directory's, or the one beside the imported package).
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verif import conform_isolation, interrupts
from verif.exit_status import EnvironmentFailure, environment_failure
from verif.validation import COUNT_MAX, int_option

if TYPE_CHECKING:
    from verif.testing.plugin import ConformancePlugin

PROFILES = ("ci", "thorough")
#: The variable :mod:`verif.testing.checking` appends every checked ratio to.
RATIO_LOG = "VERIF_RATIO_LOG"
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
    p.add_argument(
        "--max-examples",
        type=int_option(1, COUNT_MAX),
        default=None,
        help=f"cap on the examples per property, an integer in [1, {COUNT_MAX:_}]",
    )
    p.add_argument(
        "--suite", default=None, help="the property suite (default: properties/ of the source tree)"
    )
    p.add_argument(
        "--claims",
        default=None,
        help="run these claims only, e.g. E1,E2 (a subset: the verdict is not a conformance verdict)",
    )
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failing claim")
    p.add_argument(
        "--no-shrink",
        action="store_true",
        help="report the first counterexample found instead of shrinking it (a failing run ends sooner)",
    )
    p.set_defaults(handler=run)


def parse_claims(text: str) -> tuple[str, ...]:
    """``"E1,e2"`` -> ``("E1", "E2")``.

    Raises:
        ValueError: an empty list or a name that is not a claim (the message lists the claims).
    """
    from verif import claims

    names = [part.strip().upper() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in claims.ids()]
    if not names or unknown:
        raise ValueError(
            f"--claims must be a comma-separated list of claims among {', '.join(claims.ids())}, got {text!r}"
        )
    return tuple(dict.fromkeys(names))


def find_suite(explicit: str | None = None) -> Path:
    """The property suite: ``explicit``, else ``./properties``, else ``properties/`` beside the package."""
    import verif

    candidates = [Path(explicit)] if explicit else [Path.cwd() / "properties"]
    if not explicit:
        candidates.append(Path(verif.__file__).resolve().parents[1] / "properties")
    for path in candidates:
        try:
            if (path / "conftest.py").is_file() and any(path.glob("test_e*.py")):
                return path.resolve()
        except OSError as exc:  # a folder this user may not read
            raise ValueError(f"suite: cannot read {path} ({exc.strerror or exc})") from None
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


def _check_ratio_log() -> None:
    """:class:`EnvironmentFailure` unless ``VERIF_RATIO_LOG`` is unset or a file that can be
    appended to (else every claim's test would fail on it, and the backend be blamed)."""
    log = os.environ.get(RATIO_LOG, "")
    if not log:
        return
    try:
        with open(log, "a"):
            pass
    except OSError as exc:
        raise EnvironmentFailure(
            f"{RATIO_LOG}={log!r} cannot be appended to ({exc.strerror or exc}): "
            "name a writable file or unset it"
        ) from None


#: ``errno`` values of a disk that cannot take the run's writes: the environment, whoever wrote.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


class _WatchedStream:
    """``stream`` as it is, except that the first ``OSError`` of its ``write`` or ``flush`` is kept
    in :attr:`error` (and raised as before).

    pytest meets a stdout that cannot be written (a full disk, a closed pipe) wherever its
    buffer happens to fill: raised out of :func:`pytest.main` in one run, caught inside it and
    turned into exit status 3 ("internal error") in another, depending on how much was written
    before. What was kept says which, whatever pytest made of it.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.error: OSError | None = None

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def _watched_stdout() -> Iterator[_WatchedStream]:
    """``sys.stdout`` replaced by a :class:`_WatchedStream` of it for the ``with`` block."""
    before = sys.stdout
    watched = _WatchedStream(before)
    sys.stdout = watched
    try:
        yield watched
    finally:
        sys.stdout = before


def _raise_unwritable(error: OSError) -> None:
    """A reader gone away: ``BrokenPipeError`` (exit 141); any other failed write: exit 3."""
    if isinstance(error, BrokenPipeError):
        raise error
    raise EnvironmentFailure(f"cannot write the output to stdout ({error.strerror or error})") from None


class _StopOutsideTheBackend:
    """A pytest plugin that ends the session at the first SIGINT/SIGTERM or full disk and keeps it.

    pytest reports an exception raised in a test, its setup or the collection as a failure and
    goes on with the next test: a :class:`verif.interrupts.Interrupted` (the run went on, hanging
    again in the same adapter method, with later signals ignored) and a write to a full or
    read-only disk (``VERIF_RATIO_LOG`` on a disk that filled up) both became claims the
    backend "failed". :func:`_run_suite` raises the signal again, or an
    :class:`EnvironmentFailure` (exit status 3), once pytest has returned.
    """

    def __init__(self) -> None:
        self.stopped: interrupts.Interrupted | EnvironmentFailure | None = None

    def _check(self, call: Any) -> None:
        excinfo = getattr(call, "excinfo", None)
        if excinfo is None or self.stopped is not None:
            return
        exc = excinfo.value
        if isinstance(exc, interrupts.Interrupted):
            self.stopped = exc
        else:
            disk = _disk_error(exc)
            if disk is not None:
                log = os.environ.get(RATIO_LOG, "")
                where = f" ({RATIO_LOG}={log!r})" if log else ""
                self.stopped = EnvironmentFailure(
                    f"the suite stopped on a write it could not make{where}: {disk.strerror or disk}"
                )
            else:
                found = _environment_error(exc)
                if found is None:
                    return
                self.stopped = EnvironmentFailure(f"the suite could not run: {found}")
        import pytest

        pytest.exit(str(self.stopped) if isinstance(self.stopped, EnvironmentFailure) else "interrupted")

    def pytest_runtest_makereport(self, item: Any, call: Any) -> None:
        self._check(call)

    def pytest_collectreport(self, report: Any) -> None:
        self._check(getattr(report, "call", None))  # pytest keeps the collection's call there


def _environment_error(exc: BaseException) -> EnvironmentFailure | None:
    """The environment's failure in ``exc`` or, for Hypothesis's groups of errors, in one of its
    members (:func:`verif.exit_status.environment_failure`: JAX without a platform, XLA or the
    host out of memory, a missing dependency), not a claim the backend failed. An ``OSError``
    other than a full or read-only disk (:func:`_disk_error`) stays the backend's own failure."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _environment_error(inner)
            if found is not None:
                return found
        return None
    return None if isinstance(exc, OSError) else environment_failure(exc)


def _disk_error(exc: BaseException) -> OSError | None:
    """The ``OSError`` of a full or read-only disk in ``exc`` or, for Hypothesis's groups of
    failures, in one of its exceptions."""
    if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
        return exc
    for inner in exc.exceptions if isinstance(exc, BaseExceptionGroup) else ():
        found = _disk_error(inner)
        if found is not None:
            return found
    return None


def run(args: argparse.Namespace) -> tuple[str, int]:
    """Run the suite with ``args.target``; return the summary line and the exit status.

    The backend is loaded and the suite run in a child process (:mod:`verif.conform_isolation`):
    an adapter that ends the process (``os._exit``, a crash, a signal) is refused, exit status 2,
    instead of ending ``verif`` with its own status.
    """
    missing = [name for name in ("pytest", "hypothesis") if importlib.util.find_spec(name) is None]
    if missing:
        raise ValueError(f"verif conform needs {' and '.join(missing)}: pip install 'verif[testing]'")
    if args.max_examples is not None and args.max_examples < 1:
        raise ValueError(f"--max-examples must be a positive integer, got {args.max_examples}")
    _check_ratio_log()
    if sys.stdout is None:  # started with stdout closed: pytest could not report a single test
        raise EnvironmentFailure("cannot write the output to stdout (stdout is closed)")
    text, status = conform_isolation.run_isolated(lambda: _run_suite(args), f"backend {args.target!r}")
    return str(text), int(status)


def pytest_main(pytest_args: list[str], plugins: list[Any]) -> int:
    """``pytest.main(pytest_args, plugins=plugins)``, with stdout watched (:class:`_WatchedStream`):
    a stdout that cannot be written is ``BrokenPipeError`` (a reader gone away, exit 141) or
    :class:`EnvironmentFailure` (exit 3), wherever pytest met it and whatever it returned."""
    import pytest

    with _watched_stdout() as out:
        try:
            code = int(pytest.main(pytest_args, plugins=plugins))
        except OSError as exc:  # pytest's own output (a test's error is a failed test, not raised)
            _raise_unwritable(out.error or exc)
    if out.error is not None:  # met inside pytest, whatever exit status it made of it
        _raise_unwritable(out.error)
    return code


def _run_suite(args: argparse.Namespace) -> tuple[str, int]:
    """Load the backend and run the suite with it, in this process.

    The backend is loaded and probed before pytest and Hypothesis are imported: a refused one
    (exit status 2) costs no more than its own import and probe.
    """
    with _environment(args.profile):
        from verif.backends import backend

        selected = parse_claims(args.claims) if args.claims is not None else None
        backend(args.target)  # BackendError (exit 2) names what is missing or misshapen
        import pytest

        from verif.testing.plugin import ConformancePlugin

        suite = find_suite(args.suite)
        plugin = ConformancePlugin(args.target, args.max_examples, selected, shrink=not args.no_shrink)
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
        pytest_args += ["--exitfirst"] if args.fail_fast else []
        stop = _StopOutsideTheBackend()
        code = pytest_main(pytest_args, [plugin, stop])
    if stop.stopped is not None:
        raise stop.stopped
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise ValueError(
            f"the property suite in {suite} did not run to the end (pytest exit status {int(code)})"
        )
    return summary(plugin, args.target, args.profile, stopped=args.fail_fast)


def summary(plugin: ConformancePlugin, target: str, profile: str, stopped: bool = False) -> tuple[str, int]:
    """The last line of a run and its exit status (see the module docstring).

    Args:
        stopped: the run stopped at the first failure (``--fail-fast``).
    """
    from verif import claims
    from verif.testing.plugin import Verdict

    wanted = plugin.selected or tuple(claims.ids())
    verdicts = {cid: plugin.verdicts.get(cid, Verdict(cid)) for cid in wanted}
    ran = [cid for cid in wanted if cid in plugin.collected]
    failed = [cid for cid, v in verdicts.items() if v.failed]
    # Asked for (collected, or named by --claims) and yet no test ran; a claim the suite does not hold is
    # only outside the subset.
    asked = plugin.collected | set(plugin.selected or ())
    not_run = [cid for cid, v in verdicts.items() if v.status == "not run" and cid in asked]
    skipped = [cid for cid, v in verdicts.items() if v.status == "skipped"]
    held = [cid for cid, v in verdicts.items() if v.passed]
    subset = plugin.selected is not None or len(ran) < len(claims.ids())
    extra = [f"{', '.join(skipped)} skipped: outside the backend's declared capabilities"] if skipped else []
    if not_run:
        extra.append(f"{', '.join(not_run)} not run" + (": stopped at the first failure" if stopped else ""))
    if subset:
        extra.append(f"subset: {len(ran)} of {len(claims.ids())} claims run; not a conformance verdict")
    caps = plugin.capabilities
    if not caps.everything:
        extra.append(f"declared {caps.describe()}")
    tail = f" ({'; '.join([*extra, f'profile {profile}'])})"
    if failed:
        return f"{target} does not conform: {', '.join(failed)} failed, {len(held)} passed{tail}", EXIT_FAILED
    if subset:
        which = ", ".join(held) if held else "no claim"
        return f"{target}: {which} pass{tail}", EXIT_FAILED if (not_run or not held) else 0
    if not_run:
        return f"{target} is not checked in full: {', '.join(not_run)} did not run{tail}", EXIT_FAILED
    if not held:  # every claim outside the declared capabilities: nothing was checked
        return f"{target} is not checked: no claim ran{tail}", EXIT_FAILED
    return f"{target} conforms: {len(held)} of {len(verdicts)} pass{tail}", 0
