"""Read connections of one database: one per thread, and every query can be stopped.

As Datasette does: each thread reads on a connection of its own, so a slow search never
holds up a page or a detail read on another thread (one shared connection behind a lock
did); a query can be cancelled from another thread (`Cancel`: a search the user has typed
past) and one that runs past its time limit is stopped, both through SQLite's progress
handler, which `Connection.interrupt()` alone cannot replace (it does nothing between the
statements of a search).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote as urlquote

from .errors import DatabaseError

CHECK_EVERY = 5000  # SQLite virtual-machine steps between two looks at the cancel flag and the clock


class Cancel:
    """A flag for one query: `cancel()`, from any thread, stops it at its next check (SQLite's
    progress handler), and calls what an engine that must be told asked for (`on_cancel`:
    PostgreSQL's cancel request to the server)."""

    __slots__ = ("cancelled", "_hooks", "_lock")

    def __init__(self) -> None:
        self.cancelled = False
        self._hooks: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    def on_cancel(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Call `hook` when cancelled (now, if it is already); returns what forgets it again."""
        with self._lock:
            if not self.cancelled:
                self._hooks.append(hook)
                return lambda: self._forget(hook)
        hook()
        return lambda: None

    def _forget(self, hook: Callable[[], None]) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)


class QueryCancelled(DatabaseError):
    """The query was cancelled (a newer one replaced it); nobody needs its answer."""


class QueryTimeout(DatabaseError):
    """The query ran past its time limit and was stopped."""


def problem(path: Path, exc: sqlite3.Error, what: str = "") -> str:
    """One line for a SQLite error, saying plainly when another process holds the database."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"{path}: locked by another process ({text})"
    return f"{path}: {what + ': ' if what else ''}{text}"


def open_connection(path: Path, options: str, readonly: bool) -> sqlite3.Connection:
    """A connection to `path` with URI `options` (`mode=ro`, ...), read-only if told."""
    conn = sqlite3.connect(f"file:{urlquote(str(path))}?{options}", uri=True, check_same_thread=False,
                           isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 3000")
        conn.execute("PRAGMA query_only = 1" if readonly else "PRAGMA query_only = 0")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


class _Reader:
    """One thread's connection, with a lock that `close()` takes before closing it (a
    sqlite3 connection used by two threads at once can crash the interpreter)."""

    __slots__ = ("conn", "lock", "closed")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.lock, self.closed = conn, threading.Lock(), False


class _Limits(threading.local):
    """This thread's reader, and what may stop its current query."""

    reader: _Reader | None = None
    cancel: Cancel | None = None
    deadline: float | None = None


class Readers:
    """The read connections of one database, opened as `first` was, one per thread that reads."""

    def __init__(self, path: Path, options: str, readonly: bool, first: sqlite3.Connection) -> None:
        self.path, self._options, self._readonly = path, options, readonly
        self._local = _Limits()
        self._all: list[_Reader] = []
        self._guard = threading.Lock()
        self._closed = False
        self._adopt(first)

    def _adopt(self, conn: sqlite3.Connection) -> _Reader:
        local = self._local

        def check() -> int:
            cancel, deadline = local.cancel, local.deadline
            if cancel is not None and cancel.cancelled:
                return 1
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        conn.set_progress_handler(check, CHECK_EVERY)
        reader = _Reader(conn)
        with self._guard:
            if self._closed:  # closed while this one was being opened
                conn.close()
                raise self._closed_error()
            self._all.append(reader)
        local.reader = reader
        return reader

    def _closed_error(self) -> DatabaseError:
        return DatabaseError(f"{self.path}: the database is closed")

    def _reader(self) -> _Reader:
        """This thread's reader (its connection opened on its first read)."""
        if self._closed:
            raise self._closed_error()
        reader = self._local.reader
        if reader is not None:
            return reader
        try:
            conn = open_connection(self.path, self._options, self._readonly)
        except sqlite3.Error as exc:
            raise DatabaseError(problem(self.path, exc, "cannot open the database")) from None
        return self._adopt(conn)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._reader().conn

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, for a caller that reads with it directly (the export)."""
        reader = self._reader()
        with reader.lock:
            if reader.closed:
                raise self._closed_error()
            yield reader.conn

    @contextmanager
    def limited(self, cancel: Cancel | None = None, seconds: float | None = None) -> Iterator[None]:
        """Stop the queries this thread runs in the block when `cancel` is set or after `seconds`."""
        local = self._local
        before = local.cancel, local.deadline
        local.cancel = cancel
        local.deadline = None if seconds is None else time.monotonic() + seconds
        try:
            yield
        finally:
            local.cancel, local.deadline = before

    def run(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """All rows of one statement on this thread's connection; any SQLite error as one line."""
        reader = self._reader()
        local = self._local
        if local.cancel is not None and local.cancel.cancelled:  # between statements: the handler is not asked
            raise self._stopped()
        if local.deadline is not None and time.monotonic() > local.deadline:
            raise self._stopped()
        with reader.lock:
            if reader.closed:
                raise self._closed_error()
            try:
                return reader.conn.execute(sql, params).fetchall()
            except (sqlite3.Error, OverflowError) as exc:
                raise self._error(exc) from None
            except UnicodeEncodeError:  # a lone surrogate (bytes that were not UTF-8, as Python keeps them)
                raise DatabaseError("the text given is not valid Unicode (a lone surrogate); "
                                    "give it as UTF-8") from None

    def _error(self, exc: Exception) -> DatabaseError:
        """One line for what stopped a statement."""
        if self._closed:  # interrupted by close(), wherever it was (a table being opened, say)
            return self._closed_error()
        if isinstance(exc, sqlite3.OperationalError):
            return self._stopped() if "interrupted" in str(exc) else DatabaseError(problem(self.path, exc))
        if isinstance(exc, sqlite3.ProgrammingError | OverflowError):  # a value SQLite cannot take
            return DatabaseError(f"{self.path}: {exc}")
        if isinstance(exc, sqlite3.DatabaseError):
            return DatabaseError(f"{self.path}: the database is damaged ({exc})")
        return DatabaseError(f"{self.path}: {exc}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One read transaction on this thread's connection (or the one it is in already); it
        ends however the block ends, a cancelled or timed-out query included."""
        reader = self._reader()
        if reader.conn.in_transaction:
            yield
            return
        self.run("BEGIN")
        try:
            yield
        finally:
            with reader.lock:  # the limits do not apply: the handler must not stop the end
                local = self._local
                before, local.cancel, local.deadline = (local.cancel, local.deadline), None, None
                try:
                    if not reader.closed:
                        reader.conn.execute("COMMIT")
                except sqlite3.Error:
                    try:  # never left inside a transaction, reading an old snapshot for good
                        reader.conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # nothing open any more
                finally:
                    local.cancel, local.deadline = before

    def _stopped(self) -> DatabaseError:
        if self._closed:
            return self._closed_error()
        cancel, deadline = self._local.cancel, self._local.deadline
        if cancel is not None and cancel.cancelled:
            return QueryCancelled(f"{self.path}: the query was cancelled")
        if deadline is not None and time.monotonic() > deadline:
            return QueryTimeout(f"{self.path}: the query took too long and was stopped")
        return DatabaseError(f"{self.path}: the query was interrupted")

    @property
    def closed(self) -> bool:
        return self._closed

    def release(self) -> None:
        """Close this thread's connection (a thread that reads no more: each search has one)."""
        reader, self._local.reader = self._local.reader, None
        if reader is None:
            return
        with self._guard:
            if reader in self._all:
                self._all.remove(reader)
        with reader.lock:
            if not reader.closed:
                reader.closed = True
                reader.conn.close()

    def close(self) -> None:
        """Stop every query under way and close every connection, each once its thread has let go."""
        with self._guard:
            self._closed = True
            readers, self._all = self._all, []
        for reader in readers:
            try:
                reader.conn.interrupt()  # safe from any thread: the query under way ends now
            except sqlite3.Error:
                pass  # closed already
        for reader in readers:
            with reader.lock:
                if not reader.closed:
                    reader.closed = True
                    reader.conn.close()
