"""`KnowledgeBase` on PostgreSQL: the same typed reads, for a team's shared server.

The statements both engines read alike are `KnowledgeBase`'s own, translated (`db/pg/sql.py`)
and run on `PgReaders`. Where PostgreSQL needs its own SQL, a mixin overrides the method:
`PanesMixin` (display order kept as keys and bucket counts, not dense positions: pages,
positions, pane filters), `SearchMixin` (tsvector, pg_trgm and unaccent). The explorer hears
of an import through LISTEN/NOTIFY (`db/pg/watch.py`) rather than by polling.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseError
from ..location import shown
from ..queries import KnowledgeBase
from .connect import BUILD_HINT, connect, statement_problem
from .panes import PanesMixin
from .readers import PgReaders
from .search import SearchMixin

if TYPE_CHECKING:
    from .watch import Listener


class PgKnowledgeBase(PanesMixin, SearchMixin, KnowledgeBase):
    """A read-only (by default) view of one crisis database on a PostgreSQL server."""

    engine = "postgresql"

    def __init__(self, url: str, readonly: bool = True) -> None:
        import psycopg

        self.url = url
        self.path = shown(url)  # type: ignore[assignment]  # where messages name it: never with its password
        conn = connect(url, readonly)
        try:
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except psycopg.errors.UndefinedTable:
            conn.close()
            raise DatabaseError(f"{self.path}: not a crisis-tui database (no meta table){BUILD_HINT}") from None
        except psycopg.Error as exc:
            conn.close()
            raise statement_problem(url, exc, "cannot open the database") from None
        try:
            self._check_version(self.path, version)
        except DatabaseError:
            conn.close()
            raise
        self._readonly = readonly
        self._readers = PgReaders(url, readonly, conn)  # type: ignore[assignment]
        self._watch_lock = threading.Lock()
        self._listener: Listener | None = None

    def close(self) -> None:
        """Stop what is being read and close every connection."""
        self._readers.close()
        with self._watch_lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None

    def _listening(self) -> Listener:
        from .watch import Listener

        with self._watch_lock:
            if self._readers.closed:
                raise DatabaseError(f"{self.path}: the database is closed")
            if self._listener is None:
                self._listener = Listener(self.url)
            return self._listener

    def data_version(self) -> int:
        """A number that changes when an import commits (counted from the notifications heard)."""
        return self._listening().version()

    def wait_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for an import to commit; whether one did (or the
        connection was lost and made again: what it missed must be read again)."""
        return self._listening().wait(timeout)

    # --- the export: psycopg's errors said as the query layer's ------------------------------

    @contextmanager
    def _said(self, what: str) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            raise statement_problem(self.url, exc, what) from None

    @contextmanager
    def exported(self) -> Iterator[tuple[dict, Iterator[tuple[str, dict]]]]:
        with self._said("cannot export"), super().exported() as found:
            yield found

    @contextmanager
    def graphml(self) -> Iterator[Iterator[str]]:
        with self._said("cannot export"), super().graphml() as chunks:
            yield chunks

    def export(self, pack: str | None = None) -> dict[str, Any]:
        with self._said("cannot export"):
            return super().export(pack)
