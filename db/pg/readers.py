"""Read connections of one PostgreSQL database, as `db/readers.py` has them for SQLite.

Each thread reads on a connection of its own (psycopg connections are not to be shared by
threads running statements at once), in autocommit mode: a read that must see one state of
the database opens a REPEATABLE READ transaction (`transaction()`), so that an import
committing meanwhile is seen whole or not at all. A query is stopped from another thread by a
cancel request to the server (`Cancel.on_cancel`), and one that runs past its time limit by
`statement_timeout`. A connection the server dropped is let go, and the thread's next read
opens another: an explorer outlives a server restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseError
from ..location import shown
from ..readers import Cancel, QueryCancelled, QueryTimeout
from .connect import connect, statement_problem
from .sql import arguments, translate

if TYPE_CHECKING:
    import psycopg


class _Reader:
    __slots__ = ("conn", "lock", "closed", "timeout")

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn, self.lock, self.closed = conn, threading.Lock(), False
        self.timeout: int | None = 0  # statement_timeout in ms as set on the connection (None: not known)


class _Limits(threading.local):
    reader: _Reader | None = None
    cancel: Cancel | None = None
    deadline: float | None = None


class Rows:
    """A cursor's rows as sqlite3's `execute()` gives them (for code written against sqlite3:
    the export), with the statement translated (`db/pg/sql.py`)."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    def __iter__(self) -> Iterator[tuple]:
        return iter(self._cursor)


STREAM_ROWS = 5000  # rows a server-side cursor hands over at a time (an export of millions of rows)


class Connection:
    """A psycopg connection that takes the query layer's SQLite-style statements (`execute`).

    In a transaction (an export's snapshot) a SELECT runs on a server-side cursor, read
    STREAM_ROWS at a time as it is iterated, as sqlite3 steps through rows: an export of
    millions of links never holds a table in memory."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.raw = conn
        self._cursors = 0

    def execute(self, sql: str, params: tuple | list | dict[str, Any] = ()) -> Rows:
        from psycopg.pq import TransactionStatus

        text, numbered = translate(sql)
        streamed = (self.raw.info.transaction_status == TransactionStatus.INTRANS
                    and text.lstrip()[:6].upper() == "SELECT")
        if streamed:
            self._cursors += 1
            cursor: Any = self.raw.cursor(name=f"crisis_tui_{self._cursors}")
            cursor.itersize = STREAM_ROWS
        else:
            cursor = self.raw.cursor()
        cursor.execute(text, arguments(params, numbered) if params else None)
        return Rows(cursor)

    def cursor(self) -> Connection:  # `conn.cursor().execute(...)`, as sqlite3 code writes it
        return self


class PgReaders:
    """The read connections of one database, one per thread that reads."""

    def __init__(self, url: str, readonly: bool, first: psycopg.Connection) -> None:
        self.url, self.path, self._readonly = url, shown(url), readonly
        self._local = _Limits()
        self._all: list[_Reader] = []
        self._guard = threading.Lock()
        self._closed = False
        self._adopt(first)

    def _adopt(self, conn: psycopg.Connection) -> _Reader:
        reader = _Reader(conn)
        with self._guard:
            if self._closed:
                conn.close()
                raise self._closed_error()
            self._all.append(reader)
        self._local.reader = reader
        return reader

    def _closed_error(self) -> DatabaseError:
        return DatabaseError(f"{self.path}: the database is closed")

    def _reader(self) -> _Reader:
        if self._closed:
            raise self._closed_error()
        reader = self._local.reader
        if reader is not None and not reader.conn.closed:
            return reader
        if reader is not None:  # the server dropped it: forget it, open another
            self._drop(reader)
        return self._adopt(connect(self.url, self._readonly))

    def _drop(self, reader: _Reader) -> None:
        self._local.reader = None
        with self._guard:
            if reader in self._all:
                self._all.remove(reader)
        reader.closed = True
        try:
            reader.conn.close()
        except Exception:  # noqa: BLE001  (gone already)
            pass

    def connection(self) -> Connection:
        return Connection(self._reader().conn)

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """This thread's connection, for a caller that reads with it directly (the export)."""
        reader = self._reader()
        with reader.lock:
            if reader.closed:
                raise self._closed_error()
            yield Connection(reader.conn)

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

    def run(self, sql: str, params: tuple | list | dict = ()) -> list[tuple]:
        """All rows of one statement (SQLite-style, translated) on this thread's connection."""
        import psycopg

        local = self._local
        if local.cancel is not None and local.cancel.cancelled:
            raise self._stopped()
        if local.deadline is not None and time.monotonic() > local.deadline:
            raise self._stopped()
        reader = self._reader()
        text, numbered = translate(sql)
        with reader.lock:
            if reader.closed:
                raise self._closed_error()
            forget = local.cancel.on_cancel(reader.conn.cancel_safe) if local.cancel is not None else None
            try:
                self._time_limit(reader)
                cursor = reader.conn.execute(text, arguments(params, numbered) if params else None)
                return cursor.fetchall() if cursor.description is not None else []
            except psycopg.errors.QueryCanceled:
                raise self._stopped() from None
            except psycopg.OperationalError as exc:
                if reader.conn.closed or reader.conn.broken:
                    self._drop(reader)
                raise statement_problem(self.url, exc) from None
            except psycopg.Error as exc:
                raise statement_problem(self.url, exc) from None
            except UnicodeEncodeError:
                raise DatabaseError("the text given is not valid Unicode (a lone surrogate); "
                                    "give it as UTF-8") from None
            except ValueError as exc:  # a NUL in a string: PostgreSQL's text cannot hold one
                raise DatabaseError(f"{self.path}: {exc}") from None
            finally:
                if forget is not None:
                    forget()

    def _time_limit(self, reader: _Reader) -> None:
        """Set statement_timeout to what is left of this thread's time limit (0: none)."""
        deadline = self._local.deadline
        wanted = 0 if deadline is None else max(1, int((deadline - time.monotonic()) * 1000))
        if reader.timeout == wanted == 0:
            return
        reader.conn.execute(f"SET statement_timeout = {int(wanted)}")
        reader.timeout = wanted

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One REPEATABLE READ transaction on this thread's connection (or the one it is in
        already): every statement in it sees the database as it was at its first."""
        from psycopg.pq import TransactionStatus

        reader = self._reader()
        if reader.conn.info.transaction_status != TransactionStatus.IDLE:
            yield
            return
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ" + (" READ ONLY" if self._readonly else ""))
        try:
            yield
        finally:
            with reader.lock:
                if not reader.closed and not reader.conn.closed:
                    try:
                        failed = reader.conn.info.transaction_status == TransactionStatus.INERROR
                        reader.conn.execute("ROLLBACK" if failed else "COMMIT")
                        if failed:
                            reader.timeout = None  # a SET in the failed transaction is undone
                    except Exception:  # noqa: BLE001  (the connection is gone: the next read opens another)
                        self._drop(reader)

    def _stopped(self) -> DatabaseError:
        if self._closed:
            return self._closed_error()
        cancel, deadline = self._local.cancel, self._local.deadline
        if cancel is not None and cancel.cancelled:
            return QueryCancelled(f"{self.path}: the query was cancelled")
        if deadline is not None and time.monotonic() > deadline - 0.001:
            return QueryTimeout(f"{self.path}: the query took too long and was stopped")
        return DatabaseError(f"{self.path}: the query was interrupted")

    @property
    def closed(self) -> bool:
        return self._closed

    def release(self) -> None:
        """Close this thread's connection (a thread that reads no more)."""
        reader = self._local.reader
        if reader is None:
            return
        with reader.lock:
            self._drop(reader)

    def close(self) -> None:
        """Stop what is being read and close every connection."""
        with self._guard:
            self._closed = True
            readers, self._all = self._all, []
        for reader in readers:
            try:
                reader.conn.cancel_safe(timeout=1)
            except Exception:  # noqa: BLE001  (idle, or gone)
                pass
        for reader in readers:
            with reader.lock:
                if not reader.closed:
                    reader.closed = True
                    try:
                        reader.conn.close()
                    except Exception:  # noqa: BLE001
                        pass
