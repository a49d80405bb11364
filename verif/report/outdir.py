"""The output directory of ``verif report``: what it may touch, the lock, the swap, leftovers.

For ``--out DIR`` in the parent folder ``P`` (``DIR`` with symbolic links resolved):

* ``DIR`` is replaced only when it is missing, empty, or a verif report: it holds the marker
  :data:`MARKER` listing every path verif wrote there (or, for a report from before the
  marker, a ``results.json`` with a ``verif-report/...`` schema id) and nothing else. Any other
  ``DIR``, the current directory and its ancestors are refused (``ValueError``) before
  anything is written or any job runs.
* One run per ``DIR`` at a time: ``P/.DIR.verif-lock`` is locked with ``flock`` (non-blocking)
  and holds the pid and the command of its holder; a second run stops at once with
  :class:`~verif.exit_status.EnvironmentFailure` naming that pid. The lock file is removed
  when the run ends, however it ends.
* The new report is written in ``P/.DIR.verif-staging-PID`` (created with the user's umask;
  given the mode of the ``DIR`` it replaces) and exchanged with ``DIR`` in one step
  (``renameat2(RENAME_EXCHANGE)`` on Linux), so that ``DIR`` holds the previous complete report
  or the new one at every instant. Where the exchange is not available it falls back to two
  renames through ``P/.DIR.verif-old-PID``, undone on failure.
* A run killed outright may leave ``.DIR.verif-staging-PID`` or ``.DIR.verif-old-PID``; the
  next run on ``DIR`` removes them, or restores ``.DIR.verif-old-PID`` as ``DIR`` when ``DIR``
  is missing. No other entry of ``P`` is ever touched.
* A write that fails (a full disk, a quota) raises ``EnvironmentFailure`` in one line saying
  what ran out and where; the staging folder is removed and ``DIR`` is left as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verif.exit_status import EnvironmentFailure
from verif.validation import parse_json

#: The file, inside a report, that lists every path verif wrote there.
MARKER = ".verif-report"
#: What :data:`MARKER` says it is.
MARKER_KIND = "verif-report-directory/1"
#: The schema ids of ``results.json`` start with this (recognises reports without a marker).
SCHEMA_PREFIX = "verif-report/"
#: The files of a report without a marker, besides the figures its ``results.json`` lists.
LEGACY_FILES = ("index.html", "report.md", "results.json", "figures")
#: ``errno`` values that mean the disk (or the user's share of it) is full.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)

_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
#: ``renameat2`` answers these when the system or the filesystem cannot do what was asked.
_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP)


# --- names beside ``out`` -------------------------------------------------------------------


def lock_path(target: Path) -> Path:
    """``P/.DIR.verif-lock``, the lock file of the report directory ``target`` = ``P/DIR``."""
    return target.with_name(f".{target.name}.verif-lock")


def staging_path(target: Path, pid: int | None = None) -> Path:
    """``P/.DIR.verif-staging-PID``, where the run ``pid`` (default: this one) builds its report."""
    return target.with_name(f".{target.name}.verif-staging-{os.getpid() if pid is None else pid}")


def old_path(target: Path, pid: int | None = None) -> Path:
    """``P/.DIR.verif-old-PID``, the previous report during a two-rename replacement."""
    return target.with_name(f".{target.name}.verif-old-{os.getpid() if pid is None else pid}")


def leftovers(target: Path) -> tuple[list[Path], list[Path]]:
    """The staging and old folders beside ``target`` named by verif's scheme (any pid)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.verif-(staging|old)-[0-9]+")
    stages: list[Path] = []
    olds: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return stages, olds
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and entry.is_dir(follow_symlinks=False):
            (stages if match.group(1) == "staging" else olds).append(Path(entry.path))
    return sorted(stages), sorted(olds)


# --- what ``out`` may be ---------------------------------------------------------------------


def resolve(out: Path) -> Path:
    """``out`` as an absolute path with symbolic links resolved."""
    return Path(os.path.realpath(out))


def _raise(exc: OSError) -> None:
    raise exc


def _walk(directory: Path) -> Iterator[str]:
    """Every path under ``directory``, relative and with ``/``, top level first; ``OSError`` on
    a folder that cannot be read (it could hide anything)."""
    for root, dirs, files in os.walk(directory, onerror=_raise):
        rel = Path(root).relative_to(directory)
        for name in sorted([*dirs, *files]):
            yield (rel / name).as_posix()


def _written_paths(directory: Path) -> list[str]:
    """Every path under ``directory`` (see :func:`_walk`), sorted."""
    return sorted(_walk(directory))


def _legacy_files(doc: Any) -> set[str] | None:
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(SCHEMA_PREFIX):
        return None
    figures = [*doc.get("claim_figures", []), *(f for x in doc.get("exhibits", []) for f in x["figures"])]
    return {*LEGACY_FILES, *(str(f["file"]) for f in figures)}


def report_files(target: Path) -> set[str] | None:
    """The paths verif wrote in ``target`` when it is a verif report; ``None`` otherwise."""
    try:
        mark = parse_json((target / MARKER).read_text())
    except FileNotFoundError:
        mark = None
    except (OSError, ValueError):
        return None
    if mark is not None:
        if not isinstance(mark, dict) or mark.get("kind") != MARKER_KIND:
            return None
        files = mark.get("files")
        return {MARKER, *map(str, files)} if isinstance(files, list) else None
    try:
        return _legacy_files(parse_json((target / "results.json").read_text()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def foreign_entries(target: Path, limit: int | None = None) -> list[str]:
    """What in the directory ``target`` verif did not write (empty: it may be replaced).

    Stops after ``limit`` entries: a directory that is not a report at all is told by its
    first entry, however large it is.
    """
    ours = report_files(target)
    found: list[str] = []
    for path in _walk(target):
        if ours is None or path not in ours:
            found.append(path)
            if limit is not None and len(found) >= limit:
                break
    return found


def check_target(out: Path) -> Path:
    """The resolved ``out`` when a report may be written there; ``ValueError`` otherwise.

    Writes nothing. Refused: a path that is not a directory, the current directory or one of
    its ancestors, and a directory holding anything verif did not write.
    """
    try:
        os.path.realpath(out, strict=True)
    except OSError as exc:  # a missing folder is fine (it is made); a loop of links never resolves
        if exc.errno == errno.ELOOP:
            raise ValueError(f"out: {out} is or passes through a loop of symbolic links") from None
    target = resolve(out)
    if target.exists() and not target.is_dir():
        raise ValueError(f"out: {out} exists and is not a directory")
    cwd = resolve(Path.cwd())
    if target == cwd or target in cwd.parents:
        raise ValueError(
            f"out: {out} is the current directory or contains it; a report directory is replaced "
            "as a whole, so give a folder of its own (e.g. --out verif-report)"
        )
    if target.is_dir():
        try:
            foreign = foreign_entries(target, limit=4)
        except OSError as exc:
            raise ValueError(f"out: cannot read {out} ({exc.strerror})") from exc
        if foreign:
            shown = ", ".join(repr(p) for p in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ValueError(
                f"out: {out} is not empty and is not a verif report (it holds {shown}); give a new "
                "or empty directory, or the directory of an earlier report"
            )
    return target


# --- errors ----------------------------------------------------------------------------------


def _where(exc: OSError, target: Path) -> str:
    name = exc.filename
    if name is None:
        return f"under {target.parent}"
    path = Path(os.fsdecode(name))
    for base in (staging_path(target), target.parent):
        with contextlib.suppress(ValueError):
            return f"writing {path.relative_to(base).as_posix()} under {target.parent}"
    return f"writing {path}"


def write_failure(exc: OSError, target: Path) -> EnvironmentFailure:
    """One line for a write that failed: what ran out (or what went wrong), where, what is kept."""
    what = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    if not target.exists():
        kept = "no report was written"
    elif report_files(target) is not None:
        kept = f"the previous report in {target} is kept"
    else:
        kept = f"{target} is left as it was"
    return EnvironmentFailure(f"out: {what} {_where(exc, target)}; {kept}")


def _setup_failure(exc: OSError, target: Path) -> Exception:
    """Preparing ``out`` failed: a full disk is the environment, anything else a bad ``out``."""
    if exc.errno in DISK_FULL:
        return write_failure(exc, target)
    return ValueError(f"out: cannot write a report under {target.parent} ({exc.strerror})")


@contextlib.contextmanager
def writing(target: Path) -> Iterator[None]:
    """Turn an ``OSError`` raised while the report is written into :func:`write_failure`."""
    try:
        yield
    except OSError as exc:
        raise write_failure(exc, target) from exc


# --- renames ---------------------------------------------------------------------------------


def _load_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    result: Callable[..., int] = fn
    return result


#: ``renameat2`` of the C library, or ``None`` where there is none.
RENAMEAT2 = _load_renameat2()


def rename2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; ``False`` when this system or filesystem cannot do it."""
    if RENAMEAT2 is None:
        return False
    if RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


def exchange(stage: Path, target: Path) -> None:
    """Put the directory ``stage`` at ``target``; the previous ``target`` is left at ``stage``
    (atomic exchange) or removed (two renames).

    One atomic exchange where the system allows it; otherwise ``target`` is renamed to
    :func:`old_path` and ``stage`` to ``target``, and the first rename is undone when the
    second fails or is interrupted (a run killed in between is restored by :func:`recover`).
    """
    if rename2(stage, target, _RENAME_EXCHANGE):
        return
    old = old_path(target)
    try:
        os.rename(target, old)
        os.rename(stage, target)
    except BaseException:
        if old.exists() and not os.path.lexists(target):
            os.rename(old, target)
        raise
    _remove(old)


def move_new(stage: Path, target: Path) -> None:
    """Rename ``stage`` to the missing ``target`` without replacing anything made meanwhile."""
    if not rename2(stage, target, _RENAME_NOREPLACE):
        os.rename(stage, target)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def recover(target: Path) -> None:
    """Clean up after a killed run on ``target`` (call with the lock held).

    Staging folders are removed; an old report is restored as ``target`` when ``target`` is
    missing (the run died between two renames), removed otherwise.
    """
    stages, olds = leftovers(target)
    for path in stages:
        _remove(path)
    if olds and not os.path.lexists(target):
        newest = max(olds, key=lambda p: p.stat().st_mtime)
        os.rename(newest, target)
        olds.remove(newest)
    for path in olds:
        _remove(path)


# --- the lock --------------------------------------------------------------------------------


def _holder(fd: int) -> str:
    """Who holds the lock, from what the holder wrote in the lock file."""
    for _ in range(20):  # the holder writes its line right after taking the lock
        text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if text:
            return " ".join(text.split())
        time.sleep(0.05)
    return "pid unknown"


def _acquire(path: Path, target: Path, command: Sequence[str]) -> int:
    """A descriptor of ``path`` locked by this process, holding ``pid PID: COMMAND``."""
    for _ in range(100):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise EnvironmentFailure(
                    f"out: {target} is in use by another verif run ({_holder(fd)}); wait for it "
                    "to finish or give another --out"
                ) from None
            mine = os.fstat(fd)
            try:
                now = os.stat(path)
            except FileNotFoundError:
                now = None
            held = now is not None and (now.st_ino, now.st_dev) == (mine.st_ino, mine.st_dev)
        except BaseException:
            os.close(fd)
            raise
        if not held:
            os.close(fd)  # the holder before us removed this file: lock the new one
            continue
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}: {' '.join(command)}\n".encode(), 0)
        except BaseException:
            _release(fd, path)  # a full disk: no lock file is left behind
            raise
        return fd
    raise EnvironmentFailure(f"out: could not take the lock {path}")


def _release(fd: int, path: Path) -> None:
    try:
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                os.unlink(path)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(target: Path, command: Sequence[str]) -> Iterator[None]:
    """Hold the lock of ``target`` (see the module docstring) while the block runs."""
    path = lock_path(target)
    try:
        fd = _acquire(path, target, command)
    except OSError as exc:
        raise _setup_failure(exc, target) from exc
    try:
        yield
    finally:
        _release(fd, path)


# --- one run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """A run's place: the resolved ``target`` and the folder ``stage`` its report is built in."""

    target: Path
    stage: Path

    def writing(self) -> contextlib.AbstractContextManager[None]:
        """Report write errors as :func:`write_failure`."""
        return writing(self.target)

    def publish(self) -> None:
        """Write the marker and put the staged report at ``target`` in one step."""
        with writing(self.target):
            (self.stage / MARKER).write_text(
                json.dumps({"kind": MARKER_KIND, "files": _written_paths(self.stage)}, indent=1) + "\n"
            )
            foreign = foreign_entries(self.target, limit=1) if self.target.is_dir() else []
            if foreign:
                raise EnvironmentFailure(
                    f"out: {self.target} was given files verif did not write during the run "
                    f"({foreign[0]!r}); it is left as it is and the new report is discarded"
                )
            if self.target.is_dir():
                os.chmod(self.stage, stat.S_IMODE(self.target.stat().st_mode))
                exchange(self.stage, self.target)
            else:
                move_new(self.stage, self.target)


def _make_parents(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; the ones created, deepest first."""
    missing = [p for p in [directory, *directory.parents] if not p.exists()]
    directory.mkdir(parents=True, exist_ok=True)
    return missing


@contextlib.contextmanager
def staged(out: Path, command: Sequence[str]) -> Iterator[Staged]:
    """Check ``out``, lock it, clean leftovers and give a fresh staging folder beside it.

    On leaving, however the block ends (an exception, ``KeyboardInterrupt``), the staging
    folder is removed and the lock released; folders made for the parent of ``out`` are
    removed again when the run did not publish.
    """
    target = check_target(out)
    try:
        created = _make_parents(target.parent)
    except OSError as exc:
        raise _setup_failure(exc, target) from exc
    done = False
    try:
        with locked(target, command):
            try:
                recover(target)
                check_target(target)
                stage = staging_path(target)
                os.mkdir(stage, 0o777)
            except OSError as exc:
                raise _setup_failure(exc, target) from exc
            try:
                run = Staged(target, stage)
                yield run
                done = True
            finally:
                _remove(stage)  # after an exchange it holds the previous report
    finally:
        if not done:
            for path in created:
                with contextlib.suppress(OSError):
                    path.rmdir()
