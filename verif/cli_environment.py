"""Environment checks ``verif`` makes before a command that may start JAX.

XLA reads ``XLA_FLAGS`` when JAX starts its first platform, and ends the whole process (status 1,
a fatal log line) on a flag it does not know, a value it cannot read or a file name it cannot
open. Status 1 reads as "a claim was violated"; an environment failure is exit status 3
(:mod:`verif.exit_status`) with one line naming the variable. No Python code can catch XLA's exit,
so :func:`require_xla_flags` starts JAX once in a child process with the same environment and
reads how it ended. The child costs about a second (importing JAX), paid only when
``XLA_FLAGS`` is set.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from verif.exit_status import EnvironmentFailure

#: The variable XLA reads its flags from.
VARIABLE = "XLA_FLAGS"

#: Starts JAX's platform; a Python exception (no JAX, no platform: ``JAX_PLATFORMS`` is checked
#: where a backend starts) is not about the flags, so only XLA ending the process fails it.
_PROBE = """
try:
    import jax
    jax.devices()
except Exception:
    pass
"""

#: An error or fatal line of XLA's log: ``F1201 19:27:56.656447 4946 file.cc:234] message``.
_LOG_LINE = re.compile(r"^[EF]\d{4} [\d:.]+\s+\d+ [^\]]+\] (?P<message>.+)$")

#: Longest wait for the child (a platform that hangs is no reason to keep the command from running).
PROBE_TIMEOUT_S = 120.0


def xla_flags_problem(env: dict[str, str] | None = None) -> str | None:
    """Why XLA refuses ``XLA_FLAGS`` (its first error line), or ``None``: unset, blank or accepted."""
    env = dict(os.environ if env is None else env)
    if not env.get(VARIABLE, "").strip():
        return None
    try:
        proc = subprocess.run(
            [sys.executable, "-P", "-c", _PROBE],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PROBE_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode == 0:
        return None
    for line in proc.stderr.splitlines():
        match = _LOG_LINE.match(line.strip())
        if match:
            return " ".join(match.group("message").split())
    return f"starting JAX with it ended the process with status {proc.returncode}"


def require_xla_flags() -> None:
    """:class:`EnvironmentFailure` naming ``XLA_FLAGS`` when XLA would end the process on it."""
    problem = xla_flags_problem()
    if problem is not None:
        value = os.environ[VARIABLE]
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise EnvironmentFailure(
            f"{VARIABLE}={shown!r} is refused by XLA ({problem}): correct it or unset it"
        )
