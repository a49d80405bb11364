"""SIGINT and SIGTERM stop a ``verif`` command through its ordinary cleanup.

While :func:`stop_on_signals` is active (``verif.cli.main`` holds it for the whole command),
the first SIGINT or SIGTERM raises :class:`Interrupted` in the main thread. It is a
``BaseException``, so that no ``except Exception`` takes it for a failed job, and every
``finally``/``except BaseException`` on the way out runs: pending jobs are cancelled, the
workers are ended and partial output is removed. Later signals are ignored until the command
returns, and after an interruption until the process exits, so that a second Ctrl-C can
neither break the cleanup half-way nor turn the exit status into a traceback. The command then
exits with :data:`verif.exit_status.INTERRUPTED` (130) or :data:`verif.exit_status.TERMINATED`
(143).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from verif import exit_status

#: The signals that stop a command, and the exit status each one gives.
STATUS: dict[int, int] = {
    signal.SIGINT: exit_status.INTERRUPTED,
    signal.SIGTERM: exit_status.TERMINATED,
}


#: Delay before a signal whose :class:`Interrupted` Python swallowed is sent again.
REDELIVER_S = 0.01


class Interrupted(BaseException):
    """Raised in the main thread by the first SIGINT/SIGTERM.

    Attributes:
        signum: the signal.
        progress: ``(finished, total)`` jobs, set by the executor that was running them.
        details: further clauses for the one line ``verif`` prints (``"nothing written"``).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.progress: tuple[int, int] | None = None
        self.details: list[str] = []

    @property
    def name(self) -> str:
        """``SIGINT`` or ``SIGTERM``."""
        return signal.Signals(self.signum).name

    @property
    def status(self) -> int:
        """The exit status: 130 for SIGINT, 143 for SIGTERM."""
        return STATUS.get(self.signum, 128 + self.signum)

    def line(self, prog: str) -> str:
        """``verif report: interrupted (SIGINT); 5 of 64 jobs had finished; nothing written``."""
        parts = [f"{prog}: interrupted ({self.name})"]
        if self.progress is not None:
            parts.append(f"{self.progress[0]} of {self.progress[1]} jobs had finished")
        return "; ".join([*parts, *self.details])


#: While positive (:func:`deferred`), the first signal is recorded instead of raised.
_defer_depth = 0
#: The signal that came inside :func:`deferred`, raised when the outermost block ends.
_pending: int | None = None


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block the first SIGINT/SIGTERM is held back and raised as :class:`Interrupted`
    when the (outermost) block ends, so that it never lands half-way through code whose state
    the cleanup relies on (a process pool starting its workers and threads). Python runs signal
    handlers in the main thread whichever thread the kernel delivered the signal to, so blocking
    the signal in the main thread alone cannot do this. Without :func:`stop_on_signals` the block
    changes nothing.
    """
    global _defer_depth, _pending
    _defer_depth += 1
    try:
        yield
    finally:
        _defer_depth -= 1
        if _defer_depth == 0 and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM raises :class:`Interrupted`; later ones are ignored.

    Where Python swallows the exception (raised inside a gc callback, a ``__del__``: "Exception
    ignored in ..."), the signal is sent again, so that the stop is seen at the next point that
    can raise rather than lost.

    Outside the main thread (where Python cannot install handlers) the block runs unchanged.
    The previous handlers are restored on exit, unless a signal came: then both stay ignored
    (the process is on its way out with 130/143).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if fired:  # cleanup of the first one is running: let it finish
            return
        fired.append(signum)
        if _defer_depth:
            global _pending
            _pending = signum
            return
        raise Interrupted(signum)

    def swallowed(unraisable: Any) -> None:
        # Raised where Python cannot propagate it (a gc callback such as Hypothesis's, a
        # ``__del__``, a weakref callback): "Exception ignored", and the stop would be lost.
        # The signal is sent again from a thread, to be raised at the next point that can.
        exc = unraisable.exc_value
        if isinstance(exc, Interrupted) and fired == [exc.signum]:
            fired.clear()
            timer = threading.Timer(REDELIVER_S, os.kill, (os.getpid(), exc.signum))
            timer.daemon = True
            timer.start()
            return
        previous_hook(unraisable)

    previous = {sig: signal.signal(sig, handler) for sig in STATUS}
    previous_hook, sys.unraisablehook = sys.unraisablehook, swallowed
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, old in previous.items():
            signal.signal(sig, signal.SIG_IGN if fired else old)
