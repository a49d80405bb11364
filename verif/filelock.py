"""An exclusive lock around a read-change-write of a file that several processes may update.

``verif`` writes each file it keeps whole or not at all (a temporary file, then
``os.replace``), so a reader never sees half a file; two writers that each read the file,
change it and write it back would still lose one of the changes. :func:`exclusive` makes such
updates take turns: an ``flock`` (Linux, macOS) on a lock file beside the one updated, held for
the whole read-change-write and released when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock`` (created if missing, its folder too) inside the
    block, waiting for any other holder. Raises ``OSError`` when it cannot be created."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
