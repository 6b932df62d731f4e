"""Files beside a database that writers share: the write lock and each build's temporary.

Writers of one database (build, import, upgrade) take turns through `.NAME.lock`
(`write_lock`); every wait ends after `lock_timeout()` seconds. Each build writes to
`.NAME.PID.tmp`, holds an flock on it for as long as it exists, and never opens it again
by name; a temporary is removed by another process only if its owner is gone and its lock
is free (`remove_stale_temporaries`).
"""

from __future__ import annotations

import fcntl
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import DatabaseError

LOCK_TIMEOUT_VAR = "CRISIS_TUI_LOCK_TIMEOUT"
LOCK_TIMEOUT = 10.0  # seconds a writer waits for another one to finish before it gives up


def lock_timeout() -> float:
    """Seconds to wait for a database another process is writing: $CRISIS_TUI_LOCK_TIMEOUT, else 10."""
    value = os.environ.get(LOCK_TIMEOUT_VAR, "").strip()
    if not value:
        return LOCK_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise DatabaseError(f"{LOCK_TIMEOUT_VAR}={value!r}: not a number of seconds")
    return seconds


def locked_error(path: Path, waited: float) -> DatabaseError:
    return DatabaseError(f"{path}: locked by another process (waited {waited:g} s); the database is unchanged")


def make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"{path.parent}: cannot make the folder: {exc.strerror or exc}") from None


def _try_flock(fd: int, where: Path) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        raise DatabaseError(f"{where}: cannot lock it: {exc.strerror or exc}") from None
    return True


@contextmanager
def write_lock(path: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One writer (build, import, upgrade) at a time per database, through `.NAME.lock` beside it.

    Waits at most `lock_timeout()` seconds for another writer (calling `waiting` once, as it
    starts to wait), then says the database is locked; once held, removes what killed builds
    of this database left behind.
    """
    make_folder(path)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise DatabaseError(f"{lock_path}: cannot create the import lock: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DatabaseError(f"{lock_path}: the import lock is not a regular file; remove it")
        timeout = lock_timeout()
        deadline = time.monotonic() + timeout
        while not _try_flock(fd, lock_path):
            if time.monotonic() >= deadline:
                raise locked_error(path, timeout)
            if waiting is not None:
                waiting()
                waiting = None
            time.sleep(0.05)
        remove_stale_temporaries(path)
        yield
    finally:
        os.close(fd)


def temporary_path(path: Path, pid: int | str | None = None) -> Path:
    """Where a build of `path` by process `pid` (by default this one) writes: `.NAME.PID.tmp` beside it."""
    return path.with_name(f".{path.name}.{os.getpid() if pid is None else pid}.tmp")


def stage_path(path: Path) -> Path:
    """Where an import into `path` by this process stages what it reads: `.NAME.PID.stage.tmp` beside it."""
    return temporary_path(path, f"{os.getpid()}.stage")


def side_files(path: Path) -> tuple[Path, Path]:
    """The WAL and shared-memory files SQLite keeps beside a database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def all_files(tmp: Path) -> tuple[Path, ...]:
    """A temporary database's side files, then the file itself."""
    return (tmp.with_name(tmp.name + "-journal"), *side_files(tmp), tmp)


def remove_stale_temporaries(path: Path) -> None:
    """Remove what killed builds of `path` left: `.NAME.PID.tmp` and an import's staging file
    `.NAME.PID.stage.tmp` (with their -journal, -wal and -shm)
    whose process PID is gone and whose lock nobody holds.

    Only names of exactly that form count, so another database's temporaries (those of
    `NAME.9` are `.NAME.9.PID.tmp`) are never taken for this one's.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.([1-9][0-9]*)(\.stage)?\.tmp(?:-journal|-wal|-shm)?")
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for pid, stage in {(m.group(1), m.group(2) or "") for m in map(pattern.fullmatch, names) if m}:
        if int(pid) != os.getpid() and not _alive(int(pid)):
            _discard(temporary_path(path, pid + stage))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False  # no process has such a number
    except OSError:
        return True  # someone else's process (EPERM), or we cannot tell
    return True


def _discard(tmp: Path) -> bool:
    """Remove the temporary `tmp` and its side files unless a process holds its lock; say whether it did.

    A symlink or anything but a regular file at that name is not a temporary of ours: it stays.
    """
    try:
        fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        fd = None
    except OSError:
        return False
    try:
        if fd is not None and not (stat.S_ISREG(os.fstat(fd).st_mode) and _try_flock(fd, tmp)):
            return False
        for leftover in all_files(tmp):  # the file itself last, while its lock is held
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                return False
        return True
    finally:
        if fd is not None:
            os.close(fd)


def claim_temporary(tmp: Path) -> int:
    """Make `tmp` afresh and hold its lock; return the descriptor (closed once the file is gone)."""
    if tmp.is_symlink():
        tmp.unlink()  # not ours, and in the way of our own name; the link goes, not what it points to
    if not _discard(tmp):  # a leftover of a process that had this one's number
        raise DatabaseError(f"{tmp}: in use by another process; the database is unchanged")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def check_same_file(fd: int, tmp: Path) -> None:
    """Check that the name `tmp` still leads to the file this build holds open as `fd`."""
    held = os.fstat(fd)
    try:
        now = os.stat(tmp, follow_symlinks=False)
    except FileNotFoundError:
        now = None
    if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
        raise DatabaseError(f"{tmp}: the temporary database was removed or replaced by another process; "
                            "the database is unchanged")
