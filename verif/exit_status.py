"""The exit statuses of the ``verif`` command, one home for every front end.

A CI script can tell these apart:

* ``OK`` (0): the command did what was asked and every claim it measured holds.
* ``VIOLATED`` (1): a claim was violated, or a report is incomplete (some jobs failed and are
  listed in it), or a backend does not conform. A finding about the theory or the code.
* ``USAGE`` (2): bad input: a flag, a value, a file the command was pointed at. Nothing ran,
  nothing was written. One line on stderr names the field and what is allowed.
* ``ENVIRONMENT`` (3): the run could not be carried out for a reason outside the theory and
  the input: the disk is full, a Dask scheduler cannot be reached or loses every worker, a job
  timed out, another run holds the output directory. One line on stderr says what.
* ``INTERRUPTED`` (130) and ``TERMINATED`` (143): stopped by SIGINT (Ctrl-C) or SIGTERM,
  after cancelling pending jobs, ending the workers and removing partial output.
* ``BROKEN_PIPE`` (141, 128 + SIGPIPE, as a shell reports a program killed by SIGPIPE): the
  reader of the output went away (``verif ... | head -1``). No traceback.
"""

from __future__ import annotations

import os
import re
import sys

OK = 0
VIOLATED = 1
USAGE = 2
ENVIRONMENT = 3
INTERRUPTED = 130
TERMINATED = 143
BROKEN_PIPE = 141


class EnvironmentFailure(Exception):
    """A run that cannot be carried out for a reason outside the theory and the input.

    ``verif`` prints ``str(exc)`` as one line and exits with :data:`ENVIRONMENT`.
    """


def say(line: str) -> None:
    """``line`` on stderr; nothing when stderr is closed (``print(file=None)`` would write it to
    stdout, among the command's output) or cannot be written to."""
    if sys.stderr is None:
        return
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def drop_stdout() -> None:
    """Point stdout at devnull, so that Python's final flush cannot fail again (after a write
    to a full disk or a closed pipe failed once).

    The recipe of the Python documentation (``signal`` module, "Note on SIGPIPE").
    """
    if sys.stdout is None:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


#: JAX's messages when it cannot start a platform (``jax._src.xla_bridge``: an unknown or
#: absent one in ``JAX_PLATFORMS``, a plugin that fails), and XLA's when a device is out of memory.
_JAX_PLATFORM = re.compile(
    r"Unable to initialize backend|not in the list of known backends|failed to initiali[sz]e"
    r"|Unknown backend|No supported devices found|no visible devices"
)
_XLA_EXHAUSTED = re.compile(r"^\s*RESOURCE_EXHAUSTED\b")


def environment_failure(exc: BaseException) -> EnvironmentFailure | None:
    """``exc`` as an :class:`EnvironmentFailure` when it comes from the environment, else ``None``.

    The environment, wherever in a run it shows: an :class:`EnvironmentFailure` itself; JAX
    that cannot start a platform (the line names ``JAX_PLATFORMS``); XLA out of device memory;
    a missing optional dependency (:class:`ImportError`); the operating system
    (:class:`OSError`: a full disk, a missing permission, no more processes); no more memory.
    A :class:`BrokenPipeError` is not (the reader went away: :data:`BROKEN_PIPE`), nor is
    anything else (a ``ValueError`` of bad input, a failing computation).
    """
    if isinstance(exc, EnvironmentFailure):
        return exc
    text = " ".join(str(exc).split())
    if isinstance(exc, RuntimeError) and _JAX_PLATFORM.search(text):
        platforms = os.environ.get("JAX_PLATFORMS")
        shown = "unset" if platforms is None else repr(platforms)
        return EnvironmentFailure(f"JAX cannot start a platform (JAX_PLATFORMS is {shown}): {text}")
    if isinstance(exc, RuntimeError) and _XLA_EXHAUSTED.search(text):
        return EnvironmentFailure(f"XLA ran out of device memory: {text}")
    if isinstance(exc, ImportError):
        missing = f"module {exc.name!r}" if exc.name else "a module"
        return EnvironmentFailure(f"{missing} cannot be imported (a missing dependency?): {text}")
    if isinstance(exc, MemoryError):
        return EnvironmentFailure(f"out of memory{': ' + text if text else ''}")
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):  # a closed reader: 141
        where = f" ({exc.filename})" if exc.filename else ""
        return EnvironmentFailure(
            f"the operating system refused{where}: {exc.strerror or text or type(exc).__name__}"
        )
    return None
