"""``verif conform``'s work in a forked child, so that no adapter can end ``verif`` with a verdict.

An adapter's import, constructor and methods run inside the process that reports on them. A
``sys.exit`` there is an exception and is caught (:data:`verif.backends.external.LOAD_ERRORS`),
but ``os._exit``, a crash (a segfault, ``abort()``) or a signal that kills the process cannot be:
the process then ended with the adapter's status, and ``os._exit(0)`` read as "conforms".

:func:`run_isolated` runs the work in a child forked from the command (a copy of the process:
no second interpreter, nothing imported twice; a few milliseconds), which sends its result (the
summary and exit status, or the one-line error) through a pipe. Only a result that arrived
counts: a child that ended without one is refused with :class:`ProcessEnded` (a ``ValueError``,
exit status 2) naming the backend and how the child ended (``exit status 0``, ``killed by
SIGSEGV``).

Signals: Ctrl-C reaches both processes; a SIGINT or SIGTERM sent to the command alone is passed
on to the child. Either way the command waits for the child to end (:data:`GRACE_S`, then
SIGKILL) and exits 130 or 143. On Linux the child ends with its parent (``PR_SET_PDEATHSIG``), so
a command killed with SIGKILL leaves no child running the suite.

Where a fork would not be safe (no ``os.fork``; JAX imported already, whose threads do not
survive a fork; other Python threads running), the work runs in this process, as before.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from verif import interrupts
from verif.exit_status import EnvironmentFailure, environment_failure

#: Seconds the command waits for the child to end after passing it a signal, before SIGKILL.
GRACE_S = 10.0
#: ``prctl`` option: the signal the child gets when its parent ends (``<linux/prctl.h>``).
_PR_SET_PDEATHSIG = 1


class ProcessEnded(ValueError):
    """The child ended without sending its result: the adapter ended the process."""


def can_fork() -> bool:
    """Whether the work can run in a forked child (see the module docstring)."""
    return hasattr(os, "fork") and threading.active_count() == 1 and "jax" not in sys.modules


def run_isolated(work: Callable[[], Any], who: str) -> Any:
    """``work()`` (whose result is JSON data) in a forked child; its result here.

    ``ValueError``/``TypeError``, :class:`EnvironmentFailure`, ``BrokenPipeError`` and
    :class:`verif.interrupts.Interrupted` raised by ``work`` in the child are raised here again
    with the same message; any other exception has its traceback printed by the child and ends
    this process with status 1, as it would in one process.

    Raises:
        ProcessEnded: the child ended without a result; ``who`` (``"backend 'm:C'"``) is named.
    """
    if not can_fork():
        return work()
    _flush_std()  # else what is buffered now would be written twice
    r, w = os.pipe()
    interrupted: interrupts.Interrupted | None = None
    try:
        with interrupts.deferred():  # a signal now is raised once the pid is known
            pid = os.fork()
    except interrupts.Interrupted as exc:
        interrupted = exc
    except OSError as exc:
        os.close(r)
        os.close(w)
        raise EnvironmentFailure(f"cannot start the process that runs {who}: {exc.strerror or exc}") from None
    if pid == 0:
        os.close(r)
        _child(work, w, os.getppid(), interrupted)
    os.close(w)
    try:
        if interrupted is not None:
            raise interrupted
        data, status = _collect(r, pid)
    except interrupts.Interrupted as exc:
        _stop(pid, exc.signum)
        raise
    finally:
        os.close(r)
    return _result(data, status, who)


def _result(data: bytes, status: int, who: str) -> Any:
    try:
        message = json.loads(data.decode("utf-8"))
    except ValueError:
        message = None
    if not isinstance(message, dict) or "kind" not in message:
        raise ProcessEnded(
            f"{who} ended the process before the verdict ({_how(status)}): an os._exit, a crash or a "
            "signal in its import, constructor or methods; nothing was checked"
        )
    kind = message["kind"]
    if kind == "done":
        return message["value"]
    if kind == "usage":
        raise ValueError(message["message"])
    if kind == "environment":
        raise EnvironmentFailure(message["message"])
    if kind == "broken pipe":
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))
    if kind == "interrupted":
        raise interrupts.Interrupted(int(message["signum"]))
    raise SystemExit(1)  # "crashed": the child printed the traceback


def _how(status: int) -> str:
    """``exit status 0`` or ``killed by SIGSEGV``, from a ``waitpid`` status."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"killed by {name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _collect(r: int, pid: int) -> tuple[bytes, int]:
    """Everything the child sends, and its ``waitpid`` status once it has ended.

    The pipe is read until its end, or until the child has ended (a process the adapter forked
    may hold the pipe open for longer).
    """
    chunks: list[bytes] = []
    status: int | None = None
    while status is None:
        ready, _, _ = select.select([r], [], [], 0.25)
        if ready:
            chunk = os.read(r, 1 << 16)
            if chunk:
                chunks.append(chunk)
                continue
            _, status = os.waitpid(pid, 0)
        else:
            done, found = os.waitpid(pid, os.WNOHANG)
            if done:
                status = found
    os.set_blocking(r, False)
    try:
        while chunk := os.read(r, 1 << 16):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    return b"".join(chunks), status


def _stop(pid: int, signum: int) -> None:
    """Pass ``signum`` to the child and wait for it to end: :data:`GRACE_S`, then SIGKILL."""
    try:
        os.kill(pid, signum)
        deadline = time.monotonic() + GRACE_S
        while time.monotonic() < deadline:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already
        pass
    except ProcessLookupError:  # ended already; reap it
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _child(
    work: Callable[[], Any], w: int, parent: int, interrupted: interrupts.Interrupted | None
) -> NoReturn:
    """Run ``work``, send its result through ``w`` and end the child, never returning into the
    caller's stack (which is the parent's)."""
    code = 0
    try:
        _end_with_parent(parent)
        message: dict[str, Any]
        try:
            try:
                if interrupted is not None:
                    raise interrupted
                message = {"kind": "done", "value": work()}
            except interrupts.Interrupted as exc:
                message = {"kind": "interrupted", "signum": exc.signum}
            except EnvironmentFailure as exc:
                message = {"kind": "environment", "message": str(exc)}
            except (ValueError, TypeError) as exc:
                message = {"kind": "usage", "message": str(exc)}
            except BrokenPipeError:
                message = {"kind": "broken pipe"}
            except Exception as exc:  # the environment's (a full disk, no memory), else a fault
                environment = environment_failure(exc)
                if environment is None:  # of verif itself: its traceback, as in one process
                    traceback.print_exc()
                    message = {"kind": "crashed"}
                else:
                    message = {"kind": "environment", "message": str(environment)}
            except BaseException:  # SystemExit and the like: a fault of verif itself
                traceback.print_exc()
                message = {"kind": "crashed"}
        except interrupts.Interrupted as exc:  # the first signal, after the work had ended
            message = {"kind": "interrupted", "signum": exc.signum}
        # Only the first signal raises (verif.interrupts): none can come between here and the end.
        _flush_std()  # the suite's output is on stdout before the summary the parent prints
        data = memoryview(json.dumps(message).encode("utf-8"))
        while data:
            data = data[os.write(w, data) :]
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _end_with_parent(parent: int) -> None:
    """Have the kernel send SIGTERM to this process when ``parent`` ends (Linux; else nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the request
        os.kill(os.getpid(), signal.SIGTERM)


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
