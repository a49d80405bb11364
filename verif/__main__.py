"""``python -m verif`` and the ``verif`` console script.

SIGINT and SIGTERM are handled from the first line: a signal while the command's modules are
still being imported (NumPy, JAX: a second or more) ends the process at once with 130 or 143
(:mod:`verif.exit_status`) and one line, rather than a ``KeyboardInterrupt`` traceback or
Python's default death by SIGTERM. Nothing has run and nothing is written by then. Once the
command starts, :func:`verif.interrupts.stop_on_signals` takes over (its cleanup, its line);
once it has returned, both are ignored, so that the interpreter's teardown keeps its status.
"""

import os
import signal
import sys
from types import FrameType

from verif import exit_status

#: The signals handled while starting, and the exit status each one gives.
_STATUS: dict[int, int] = {signal.SIGINT: exit_status.INTERRUPTED, signal.SIGTERM: exit_status.TERMINATED}


#: Whether :func:`verif.cli.main` has been called (its own handlers are restored to these when
#: it ends: a signal then comes after the command's work, before its exit status).
_command_started = False


def _stop_while_starting(signum: int, frame: FrameType | None) -> None:
    how = "after the command" if _command_started else "while starting; nothing ran"
    line = f"verif: interrupted ({signal.Signals(signum).name}) {how}\n"
    try:
        os.write(2, line.encode())
    except OSError:  # stderr closed or full: the status alone says it
        pass
    os._exit(_STATUS[signum])


def run() -> int:
    """Install the early handlers, then import and run the command (:func:`verif.cli.main`)."""
    for sig in _STATUS:
        signal.signal(sig, _stop_while_starting)
    from verif.cli import main

    global _command_started
    _command_started = True
    try:
        return main()
    finally:  # the command is over: a signal now must not turn its status into a death by signal
        for sig in _STATUS:
            signal.signal(sig, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(run())
