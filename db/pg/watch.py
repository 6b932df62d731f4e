"""LISTEN for the notification each import sends as it commits (`ddl.NOTIFY_CHANNEL`).

A `Listener` holds a connection of its own, idle but for LISTEN: `wait()` sleeps in
`select()` on its socket until a notification comes (no polling, no query), and `close()`
wakes it at once through a pipe. A connection the server drops (a restart, a network
fault) is made again, a little later each time (never a busy loop), and the first wait
after it says "changed": what was committed meanwhile went unheard and must be read again.
Nothing here raises but a DatabaseError after `close()`: a watcher outlives any server.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
from typing import TYPE_CHECKING

from ..errors import DatabaseError
from ..location import shown
from .connect import connect
from .ddl import NOTIFY_CHANNEL

if TYPE_CHECKING:
    import psycopg

FIRST_RETRY = 0.25  # seconds before the first attempt to connect again, doubled each failure...
LAST_RETRY = 5.0  # ...up to this: a restarted server is heard again within seconds
# A TCP connection whose peer vanished (a network cut) is found dead by keepalives within ~1 min.
KEEPALIVE = ((socket.SO_KEEPALIVE, 1, socket.SOL_SOCKET),
             (getattr(socket, "TCP_KEEPIDLE", None), 30, socket.IPPROTO_TCP),
             (getattr(socket, "TCP_KEEPINTVL", None), 10, socket.IPPROTO_TCP),
             (getattr(socket, "TCP_KEEPCNT", None), 3, socket.IPPROTO_TCP))


class Listener:
    """Notifications of commits to one database: `version()` counts them, `wait()` waits for one."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: psycopg.Connection | None = None
        self._version = 0
        self._lost = False  # a connection was lost (or could not be made): the next one is a change
        self._retry_at = 0.0
        self._backoff = FIRST_RETRY
        self._closed = False
        self._lock = threading.Lock()  # held while connecting or waiting
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)

    def version(self) -> int:
        """A number that grows with each notification heard (and each connection made again)."""
        self._check_open()
        if self._conn is None and self._lock.acquire(blocking=False):  # (a wait running holds it: listening)
            try:
                self._connected()
            finally:
                self._lock.release()
        return self._version

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a notification; whether one came (or a lost
        connection was made again: what it missed must be read again). False once closed."""
        deadline = time.monotonic() + max(timeout, 0.0)
        self._check_open()
        with self._lock:
            while not self._closed:
                before = self._version
                conn = self._connected()
                if self._version != before:  # made again after a loss
                    return True
                remaining = deadline - time.monotonic()
                if conn is None:  # the server is away: sleep until the next try (or the deadline)
                    pause = min(remaining, self._retry_at - time.monotonic())
                    if pause > 0 and self._sleep([], pause):
                        return False
                elif self._heard(conn, max(remaining, 0.0)):
                    return True
                if time.monotonic() >= deadline:
                    return False
        return False

    def close(self) -> None:
        """Stop listening, waking a `wait()` now; the connection is closed."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")
        with self._lock:  # the wait wakes and lets go at once
            self._drop()
            for fd in (self._wake_read, self._wake_write):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(f"{shown(self.url)}: the database is closed")

    def _connected(self) -> psycopg.Connection | None:
        """The listening connection, made now if there is none and a retry is due (None: not reachable)."""
        if self._conn is not None:
            return self._conn
        if time.monotonic() < self._retry_at:
            return None
        try:
            conn = connect(self.url, readonly=True, autocommit=True)
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except Exception:  # noqa: BLE001  (unreachable, refused, dropped again: tried again later, never raised)
            self._lost = True
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, LAST_RETRY)
            return None
        _keep_alive(conn)
        self._conn, self._backoff = conn, FIRST_RETRY
        if self._lost:
            self._lost = False
            self._version += 1
        return conn

    def _heard(self, conn: psycopg.Connection, seconds: float) -> bool:
        """Wait on the socket up to `seconds`; whether notifications came (a loss drops the connection)."""
        try:
            fd = conn.fileno()
        except Exception:  # noqa: BLE001  (closed under us)
            self._lose()
            return False
        if self._sleep([fd], seconds) or self._closed:
            return False
        try:
            heard = sum(1 for _ in conn.notifies(timeout=0))
        except Exception:  # noqa: BLE001  (the server went away: said as a change once connected again)
            self._lose()
            return False
        if conn.closed or conn.broken:
            self._lose()
        self._version += heard
        return heard > 0

    def _sleep(self, fds: list[int], seconds: float) -> bool:
        """select() on `fds` and the wake pipe; whether the pipe woke it (closing). Also True if
        the socket was ready: the caller reads it."""
        try:
            ready, _, _ = select.select([*fds, self._wake_read], [], [], max(seconds, 0.0))
        except (OSError, ValueError):
            return True
        if self._wake_read in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake_read, 64)
            return True
        return False

    def _lose(self) -> None:
        self._drop()
        self._lost = True
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, LAST_RETRY)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def _keep_alive(conn: psycopg.Connection) -> None:
    """TCP keepalives on the listening socket (a Unix socket has none: nothing to do)."""
    try:
        sock = socket.socket(fileno=os.dup(conn.fileno()))
    except OSError:
        return
    with sock:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        for option, value, level in KEEPALIVE:
            if option is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(level, option, value)
