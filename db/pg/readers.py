"""Read connections of one PostgreSQL database, as `db/readers.py` has them for SQLite.

A shared server counts connections (`max_connections`, 100 by default), and an explorer reads
on a handful of worker threads: so a knowledge base holds at most POOL connections, each lent
to one thread at a time, for one statement or for a whole REPEATABLE READ transaction
(`transaction()`: every statement in it sees one state of the database, an import committing
meanwhile whole or not at all), never used by two threads at once. A query is stopped from
another thread by a cancel request to the server (`Cancel.on_cancel`), and one that runs past
its time limit by `statement_timeout`. A connection the server dropped (a restart) is let go
and the statement tried once more on a new one, where nothing of a transaction was read on it
yet: an explorer outlives a server restart without failing the first reads after it.
"""

from __future__ import annotations

import contextlib
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


POOL = 3  # connections a knowledge base reads on (an explorer: a page, a detail and a search at once)


class _Limits(threading.local):
    reader: _Reader | None = None  # the connection lent to this thread for a transaction or locked()
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
    """The read connections of one database: at most POOL, each lent to one thread at a time."""

    def __init__(self, url: str, readonly: bool, first: psycopg.Connection) -> None:
        self.url, self.path, self._readonly = url, shown(url), readonly
        self._local = _Limits()
        self._idle: list[_Reader] = [_Reader(first)]
        self._busy: set[_Reader] = set()
        self._open = 1
        self._ready = threading.Condition()
        self._closed = False

    def _closed_error(self) -> DatabaseError:
        return DatabaseError(f"{self.path}: the database is closed")

    # --- lending connections ---------------------------------------------------------------

    def _take(self) -> _Reader:
        """An idle connection, a new one if fewer than POOL are open, else the first given back."""
        with self._ready:
            while True:
                if self._closed:
                    raise self._closed_error()
                if self._idle:
                    reader = self._idle.pop()
                    self._busy.add(reader)
                    return reader
                if self._open < POOL:
                    self._open += 1
                    break
                self._ready.wait()
        try:
            reader = _Reader(connect(self.url, self._readonly))
        except BaseException:
            with self._ready:
                self._open -= 1
                self._ready.notify()
            raise
        with self._ready:
            if self._closed:
                self._open -= 1
                reader.conn.close()
                raise self._closed_error()
            self._busy.add(reader)
        return reader

    def _give(self, reader: _Reader) -> None:
        """A connection back from its thread: idle again, or closed if it is lost or we are closing."""
        with self._ready:
            if reader not in self._busy:  # given back already (replaced after a loss)
                return
            self._busy.discard(reader)
            lost = reader.closed or reader.conn.closed or reader.conn.broken
            if lost or self._closed:
                self._open -= 1
                reader.closed = True
                with contextlib.suppress(Exception):
                    reader.conn.close()
            else:
                self._idle.append(reader)
            self._ready.notify()

    @contextmanager
    def _lent(self) -> Iterator[_Reader]:
        """This thread's connection: the one lent to it for a transaction or locked(), else one
        lent for the block."""
        bound = self._local.reader
        if bound is not None:
            yield bound
            return
        reader = self._take()
        self._local.reader = reader
        try:
            yield reader
        finally:
            current, self._local.reader = self._local.reader or reader, None  # (replaced, if it was lost)
            self._give(current)

    def _renew(self, reader: _Reader) -> _Reader:
        """A lost connection replaced by a new one, in place of it for this thread."""
        reader.closed = True
        self._give(reader)
        fresh = self._take()
        self._local.reader = fresh
        return fresh

    # --- the Readers API ---------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[Connection]:
        """A connection lent to this thread for the block, for a caller that reads with it
        directly (the export)."""
        with self._lent() as reader, reader.lock:
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
        """All rows of one statement (SQLite-style, translated) on this thread's connection; a
        statement outside a transaction whose connection the server dropped is tried again once."""
        local = self._local
        if local.cancel is not None and local.cancel.cancelled:
            raise self._stopped()
        if local.deadline is not None and time.monotonic() > local.deadline:
            raise self._stopped()
        text, numbered = translate(sql)
        arguments_ = arguments(params, numbered) if params else None
        alone = local.reader is None  # not in a transaction: a lost connection may be replaced
        with self._lent() as reader:
            try:
                return self._execute(reader, text, arguments_)
            except _Lost as lost:
                if not alone:
                    raise lost.error from None
                return self._execute(self._renew(reader), text, arguments_, lost_again=True)

    def _execute(self, reader: _Reader, text: str, args: Any, lost_again: bool = False) -> list[tuple]:
        import psycopg

        local = self._local
        with reader.lock:
            if reader.closed:
                raise self._closed_error()
            forget = local.cancel.on_cancel(reader.conn.cancel_safe) if local.cancel is not None else None
            try:
                self._time_limit(reader)
                cursor = reader.conn.execute(text, args)
                return cursor.fetchall() if cursor.description is not None else []
            except psycopg.errors.QueryCanceled:
                raise self._stopped() from None
            except psycopg.OperationalError as exc:
                error = statement_problem(self.url, exc)
                if reader.conn.closed or reader.conn.broken:
                    reader.closed = True
                    if not lost_again and not self._closed:
                        raise _Lost(error) from None
                raise error from None
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
        """One REPEATABLE READ transaction on a connection lent to this thread for the block (or
        the one it is in already): every statement in it sees the database as it was at its first."""
        from psycopg.pq import TransactionStatus

        if self._local.reader is not None:
            yield
            return
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ" + (" READ ONLY" if self._readonly else "")
        with self._lent() as reader:
            try:
                self._execute(reader, begin, None)
            except _Lost:  # lost before anything was read in it: begin on a new connection
                reader = self._renew(reader)
                self._execute(reader, begin, None, lost_again=True)
            try:
                yield
            finally:
                reader = self._local.reader or reader
                with reader.lock:
                    if not reader.closed and not reader.conn.closed:
                        try:
                            failed = reader.conn.info.transaction_status == TransactionStatus.INERROR
                            reader.conn.execute("ROLLBACK" if failed else "COMMIT")
                            if failed:
                                reader.timeout = None  # a SET in the failed transaction is undone
                        except Exception:  # noqa: BLE001  (the connection is gone: given back, it is closed)
                            reader.closed = True

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
        """Nothing to do: a thread holds a connection only while it reads (SQLite's readers keep one per thread)."""

    def close(self) -> None:
        """Stop what is being read and close every connection (those in use as they are given back)."""
        with self._ready:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = list(self._busy)
            self._open -= len(idle)
            self._ready.notify_all()
        for reader in busy:
            with contextlib.suppress(Exception):
                reader.conn.cancel_safe(timeout=1)
        for reader in idle:
            reader.closed = True
            with contextlib.suppress(Exception):
                reader.conn.close()


class _Lost(Exception):
    """A statement's connection was lost (the server restarted): `error` says so if it is not tried again."""

    def __init__(self, error: DatabaseError) -> None:
        super().__init__(str(error))
        self.error = error
