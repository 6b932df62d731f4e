"""The user's own state: bookmarks, personal notes, and where the explorer was left.

One SQLite file per user, beside (never inside) the knowledge bases: `state.db` in the
user's state folder, or the file `--state PATH` or CRISIS_TUI_STATE names. A shared
knowledge base that is read-only takes bookmarks and notes all the same. Every record is
keyed by the knowledge base it belongs to (its URL, as `--db` resolves it: `state_key`; a
PostgreSQL URL without its password, so that none is stored and a new password keeps the
bookmarks) and an entity ref; a ref the knowledge base no longer holds is kept (shown as missing).

Every write is one transaction: a crash leaves the file as it was before or after, never
half. A file that cannot be used (locked, damaged, not a state database, not writable)
raises StateError, one line, and is never replaced or deleted. The file is made at the
first write (an empty file is laid out then too); a `last-viewed.json` of earlier versions
(where each database was left) is read into it then, once. A file that can be read but not
written (a read-only filesystem, where WAL cannot make its `-shm`) is opened read-only:
bookmarks and notes show, and a write says the file is read-only. A note is saved only
over the text the editor opened with (NoteChanged otherwise): two explorers on one file
never silently overwrite each other's note.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import CrisisError
from .location import APP_NAME, is_postgres, split_password

ENV_VAR = "CRISIS_TUI_STATE"
FILE_NAME = "state.db"
LEGACY_FILE = "last-viewed.json"  # where earlier versions kept the entity each database was left on
LEGACY_MAX_BYTES = 1 << 20
STATE_VERSION = 1
BUSY_TIMEOUT = 2.0  # seconds a write waits for another explorer's write to finish
HISTORY_LIMIT = 200  # history entries kept per knowledge base (tui/history.py keeps as many)
PANES = ("event", "actor", "agreement", "place")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE bookmark (
    id INTEGER PRIMARY KEY,           -- the order bookmarks were added in
    kb TEXT NOT NULL,                 -- the knowledge base's URL
    ref TEXT NOT NULL,                -- the entity's id, e.g. agreement/simla-1972
    name TEXT NOT NULL,               -- its name and type when bookmarked: shown if it is gone
    type TEXT NOT NULL,
    added TEXT NOT NULL,              -- ISO 8601, UTC
    UNIQUE (kb, ref)
);
CREATE TABLE note (
    kb TEXT NOT NULL,
    ref TEXT NOT NULL,
    text TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kb, ref)
) WITHOUT ROWID;
CREATE TABLE place (
    kb TEXT PRIMARY KEY,
    ref TEXT,                         -- the entity shown
    pane TEXT,                        -- the list pane in view: event, actor, agreement, place
    detail INTEGER NOT NULL DEFAULT 0,  -- 1 if the detail pane had the focus
    history TEXT NOT NULL DEFAULT '[]',  -- JSON: [[ref, name], ...]
    cursor INTEGER NOT NULL DEFAULT -1,
    updated TEXT NOT NULL
) WITHOUT ROWID;
"""


class StateError(CrisisError):
    """A state database that cannot be used: one line naming the file and what is wrong."""


class NoteChanged(CrisisError):
    """The note was changed elsewhere (another explorer) since the editor read it: `theirs`
    is the note now (None: deleted)."""

    def __init__(self, theirs: str | None) -> None:
        super().__init__("the note was changed elsewhere since it was opened")
        self.theirs = theirs


@dataclass(frozen=True, slots=True)
class Bookmark:
    """A bookmark, with the note on its entity if there is one. `name` and `type` are those the
    entity had when bookmarked (the knowledge base may no longer hold it)."""

    ref: str
    name: str
    type: str
    added: str
    note: str | None = None

    @property
    def note_line(self) -> str:
        """The first line of the note that holds anything ('' without a note)."""
        return next((line.strip() for line in (self.note or "").splitlines() if line.strip()), "")


@dataclass(frozen=True, slots=True)
class Mine:
    """What the user keeps on one entity: when it was bookmarked (None: it is not), and the note."""

    bookmarked: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """Where the explorer was left: the entity shown, the list pane in view, whether the detail had
    the focus, and the history (refs with their names) with its cursor."""

    ref: str | None
    pane: str | None = None
    detail: bool = False
    history: tuple[tuple[str, str], ...] = ()
    cursor: int = -1


def default_path() -> Path:
    """`state.db` in the user's state folder (on Linux `~/.local/state/crisis-tui/`)."""
    from platformdirs import user_state_path

    return user_state_path(APP_NAME, appauthor=False) / FILE_NAME


def state_path(option: str | Path | None = None) -> Path:
    """The state database: the `--state` option, else CRISIS_TUI_STATE, else the default."""
    value = str(option) if option is not None else os.environ.get(ENV_VAR)
    if not value or not value.strip():
        return default_path()
    if "\0" in value:
        raise StateError(f"{value!r}: a state database path cannot hold a NUL byte")
    return Path(value).expanduser()


def now() -> str:
    """The time now, UTC, ISO 8601 to the second."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def problem(path: Path, exc: BaseException, reading: bool = False) -> str:
    """One line saying what is wrong with the state database at `path` (met `reading` it, or writing)."""
    text = str(exc)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return f"{path}: the state database is locked by another program (bookmarks and notes wait until it is not)"
    if "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
        return (f"{path}: not a crisis-tui state database, or damaged: left as it is (move it away, "
                f"or choose another with --state)")
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered \
            or isinstance(exc, OSError) or "disk i/o" in lowered:
        if reading:
            return f"{path}: cannot read the state database ({text}): bookmarks and notes are not shown"
        return f"{path}: cannot write the state database ({text}): bookmarks and notes are not kept"
    return f"{path}: state database error: {text}"


def _make_private(path: Path) -> None:
    """Make the empty state file readable by its owner only (0600), and its folder (0700) if it
    must be made: bookmarks and notes are personal. SQLite gives its -wal and -shm the file's
    mode. A file made meanwhile (another explorer) is left as it is."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


class StateStore:
    """The state database at `path`: one connection, opened at first use, guarded by a lock so
    that any thread may call (each call is short)."""

    def __init__(self, path: Path, legacy: Path | None = None) -> None:
        self.path = path
        if legacy is None and path == default_path():  # a state file chosen elsewhere starts clean
            legacy = default_path().parent / LEGACY_FILE
        self.legacy = legacy
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.read_only = False  # opened read-only: it could be read but not opened for writing
        self._empty = False  # an empty file, opened to read: laid out at the first write

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- connection ----------------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The connection, checked to be a state database; None if the file does not exist and
        `create` is false. Never writes to a file it could not read as one of ours."""
        if self._conn is not None:
            if create and self.read_only:
                raise StateError(f"{self.path}: the state database is read-only: bookmarks and notes are shown but "
                                 f"cannot be changed")
            if create and self._empty:
                try:
                    self._make(self._conn)
                except sqlite3.Error as exc:
                    raise StateError(problem(self.path, exc)) from None
                self._empty = False
            return self._conn
        exists = self.path.exists()
        if not exists and not create:
            return None
        if self.path.is_dir():
            raise StateError(f"{self.path}: a folder, not a state database")
        try:
            if not exists:
                _make_private(self.path)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(problem(self.path, exc, reading=not create)) from None
        try:
            self._check(conn, create)
        except sqlite3.Error as exc:
            conn.close()
            if not (exists and "unable to open" in str(exc).lower()):
                raise StateError(problem(self.path, exc, reading=not create)) from None
            conn = self._open_read_only(exc)  # e.g. a read-only filesystem: WAL cannot make its -shm
            self._conn = conn
            return self._connect(create)  # (a write: says it is read-only)
        except StateError:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _open_read_only(self, first: sqlite3.Error) -> sqlite3.Connection:
        """The file opened read-only (`mode=ro`, else `immutable=1`: nothing can write to it meanwhile
        either), checked; a StateError saying it cannot be read if neither works."""
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{self.path.absolute().as_uri()}?{options}", uri=True, timeout=BUSY_TIMEOUT,
                                       isolation_level=None, check_same_thread=False)
            except sqlite3.Error:
                continue
            try:
                self._check(conn, create=False)
            except sqlite3.Error:
                conn.close()
                continue
            except StateError:
                conn.close()
                raise
            self.read_only = True
            return conn
        raise StateError(problem(self.path, first, reading=True))

    def _check(self, conn: sqlite3.Connection, create: bool) -> None:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:  # an empty file (or none): ours to lay out
            if create:
                self._make(conn)
            else:
                self._empty = True
            return
        if "meta" not in tables:
            raise StateError(f"{self.path}: not a crisis-tui state database: left as it is (choose another with "
                             f"--state)")
        found = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        version = int(found[0]) if found and str(found[0]).isdigit() else None
        if version is None:  # e.g. a knowledge base (it has a meta table too)
            raise StateError(f"{self.path}: not a crisis-tui state database: left as it is (choose another with "
                             f"--state)")
        if version > STATE_VERSION:
            raise StateError(f"{self.path}: a state database of another crisis-tui version ({version}): left as it "
                             f"is (upgrade crisis-tui, or choose another with --state)")

    def _make(self, conn: sqlite3.Connection) -> None:
        """Lay out an empty file, and take in where earlier versions left each database, at once.

        In WAL mode: a reader (the explorer reading a bookmark at each visit) never waits for a
        writer, not even one holding its transaction open; writes wait up to BUSY_TIMEOUT."""
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0:  # not made meanwhile
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO meta VALUES ('version', ?), ('made', ?)", (str(STATE_VERSION), now()))
                conn.executemany("INSERT INTO place (kb, ref, history, cursor, updated) VALUES (?, ?, '[]', -1, ?)",
                                 [(kb, ref, now()) for kb, ref in read_legacy(self.legacy).items()])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (made whole or not at all); a failure is a StateError."""
        with self._lock:
            conn = self._connect(create=True)
            assert conn is not None
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise StateError(problem(self.path, exc)) from None

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                conn = self._connect(create=False)
                return conn.execute(sql, params).fetchall() if conn is not None and not self._empty else []
            except sqlite3.Error as exc:
                raise StateError(problem(self.path, exc, reading=True)) from None

    def exists(self) -> bool:
        return self.path.exists()

    # --- bookmarks -----------------------------------------------------------------

    def bookmarks(self, kb: str) -> list[Bookmark]:
        """The bookmarks of knowledge base `kb`, in the order they were added, with their notes."""
        rows = self._read("SELECT b.ref, b.name, b.type, b.added, n.text FROM bookmark b "
                          "LEFT JOIN note n ON n.kb = b.kb AND n.ref = b.ref WHERE b.kb = ? ORDER BY b.id", (kb,))
        return [Bookmark(*row) for row in rows]

    def bookmarked_refs(self, kb: str) -> list[str]:
        """The refs bookmarked in `kb`, in the order they were added (what `report --bookmarks` reports)."""
        return [ref for (ref,) in self._read("SELECT ref FROM bookmark WHERE kb = ? ORDER BY id", (kb,))]

    def add_bookmarks(self, kb: str, entities: Iterable[tuple[str, str, str]], when: str | None = None) -> None:
        """Bookmark (ref, name, type) entities at the end of the list (one already bookmarked stays where it is)."""
        added = when or now()
        with self._writing() as conn:
            conn.executemany("INSERT INTO bookmark (kb, ref, name, type, added) VALUES (?, ?, ?, ?, ?) "
                             "ON CONFLICT (kb, ref) DO NOTHING",
                             [(kb, ref, name, kind, added) for ref, name, kind in entities])

    def remove_bookmark(self, kb: str, ref: str) -> bool:
        """Remove a bookmark; whether there was one."""
        with self._writing() as conn:
            return conn.execute("DELETE FROM bookmark WHERE kb = ? AND ref = ?", (kb, ref)).rowcount > 0

    def set_bookmark(self, kb: str, ref: str, name: str, kind: str, on: bool) -> bool:
        """Bookmark the entity (`on`), or remove its bookmark: what the user asked for, whatever another
        explorer did meanwhile. Whether anything changed."""
        with self._writing() as conn:
            if not on:
                return conn.execute("DELETE FROM bookmark WHERE kb = ? AND ref = ?", (kb, ref)).rowcount > 0
            return conn.execute("INSERT INTO bookmark (kb, ref, name, type, added) VALUES (?, ?, ?, ?, ?) "
                                "ON CONFLICT (kb, ref) DO NOTHING", (kb, ref, name, kind, now())).rowcount > 0

    # --- notes ---------------------------------------------------------------------

    def mine(self, kb: str, ref: str) -> Mine:
        """Whether (since when) the entity is bookmarked, and the note on it."""
        rows = self._read("SELECT (SELECT added FROM bookmark WHERE kb = ?1 AND ref = ?2), "
                          "(SELECT text FROM note WHERE kb = ?1 AND ref = ?2)", (kb, ref))
        return Mine(*rows[0]) if rows else Mine()

    def note(self, kb: str, ref: str) -> str | None:
        return self.mine(kb, ref).note

    def set_note(self, kb: str, ref: str, text: str, expected: str | None = None) -> str | None:
        """Keep `text` as the note on the entity; text of nothing but spaces deletes the note.
        With `expected` (the note the editor opened with; '' for none), raise NoteChanged rather
        than overwrite a note that is no longer that. The note now (None: there is none)."""
        kept = text.rstrip()
        with self._writing() as conn:
            if expected is not None:
                found = conn.execute("SELECT text FROM note WHERE kb = ? AND ref = ?", (kb, ref)).fetchone()
                if (found[0] if found else "").rstrip() != expected.rstrip():
                    raise NoteChanged(found[0] if found else None)
            if not kept.strip():
                conn.execute("DELETE FROM note WHERE kb = ? AND ref = ?", (kb, ref))
                return None
            conn.execute("INSERT INTO note (kb, ref, text, updated) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (kb, ref) DO UPDATE SET text = excluded.text, updated = excluded.updated",
                         (kb, ref, kept, now()))
            return kept

    # --- where the explorer was left ---------------------------------------------------

    def place(self, kb: str) -> Place | None:
        """Where the explorer was last left on `kb` (before the file exists: what last-viewed.json says)."""
        if not self.exists():
            ref = read_legacy(self.legacy).get(kb)
            return Place(ref) if ref else None
        rows = self._read("SELECT ref, pane, detail, history, cursor FROM place WHERE kb = ?", (kb,))
        if not rows:
            return None
        ref, pane, detail, history, cursor = rows[0]
        try:
            entries = tuple((str(r), str(n)) for r, n in json.loads(history) if isinstance(r, str) and r)
        except (ValueError, TypeError):
            entries = ()
        entries = entries[-HISTORY_LIMIT:]
        cursor = cursor if isinstance(cursor, int) and 0 <= cursor < len(entries) else len(entries) - 1
        return Place(ref if isinstance(ref, str) and ref else None, pane if pane in PANES else None, bool(detail),
                     entries, cursor)

    def save_place(self, kb: str, place: Place) -> None:
        kept = place.history[-HISTORY_LIMIT:]
        history = json.dumps([list(entry) for entry in kept], ensure_ascii=False)
        cursor = min(max(place.cursor - (len(place.history) - len(kept)), -1), len(kept) - 1)
        with self._writing() as conn:
            conn.execute("INSERT INTO place (kb, ref, pane, detail, history, cursor, updated) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (kb) DO UPDATE SET ref = excluded.ref, pane = excluded.pane, "
                         "detail = excluded.detail, history = excluded.history, cursor = excluded.cursor, "
                         "updated = excluded.updated",
                         (kb, place.ref, place.pane, int(place.detail), history, cursor, now()))


def read_legacy(path: Path | None) -> dict[str, str]:
    """database URL -> entity ref, from an earlier version's last-viewed.json ({} if none or unreadable)."""
    if path is None:
        return {}
    try:
        if path.stat().st_size > LEGACY_MAX_BYTES:
            return {}
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(k, str) and isinstance(v, str) and v}


def state_key(kb_url: str) -> str:
    """What a knowledge base's records are keyed by: a SQLite file's URL as it is; a PostgreSQL
    database by where it is only, `postgresql://HOST:PORT/DBNAME` (the host from the URL or a
    `host=` parameter, a Unix socket folder quoted; port 5432 if not given): whatever the role,
    password, `sslmode` or other parameters it is reached with, the same bookmarks."""
    if not is_postgres(kb_url):
        return kb_url
    from urllib.parse import parse_qsl, quote, unquote, urlsplit

    try:
        parts = urlsplit(split_password(kb_url)[0])
        params = {key.lower(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
        netloc = parts.netloc.rsplit("@", 1)[-1]
        user = unquote(parts.netloc.rsplit("@", 1)[0]) if "@" in parts.netloc else ""
    except ValueError:  # not a URL libpq could use either: keyed as written, without its password
        return split_password(kb_url)[0]
    host, _, port = netloc.rpartition(":") if not netloc.endswith("]") and ":" in netloc else (netloc, "", "")
    host = params.get("host") or unquote(host)
    port = params.get("port") or port or "5432"
    dbname = params.get("dbname") or unquote(parts.path.lstrip("/")) or params.get("user") or user
    host = host if host.startswith("/") else host.lower()
    return f"postgresql://{quote(host, safe='[]:')}:{quote(port, safe='')}/{quote(dbname, safe='')}"


class UserState:
    """The state database seen from one knowledge base (`kb`, its URL): what the explorer and the
    CLI call, so that no caller passes the key itself."""

    def __init__(self, store: StateStore, kb: str) -> None:
        self.store, self.kb = store, state_key(kb)

    @property
    def path(self) -> Path:
        return self.store.path

    def bookmarks(self) -> list[Bookmark]:
        return self.store.bookmarks(self.kb)

    def bookmarked_refs(self) -> list[str]:
        return self.store.bookmarked_refs(self.kb)

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    def set_bookmark(self, ref: str, name: str, kind: str, on: bool) -> bool:
        return self.store.set_bookmark(self.kb, ref, name, kind, on)

    def remove_bookmark(self, ref: str) -> bool:
        return self.store.remove_bookmark(self.kb, ref)

    def mine(self, ref: str) -> Mine:
        return self.store.mine(self.kb, ref)

    def set_note(self, ref: str, text: str, expected: str | None = None) -> str | None:
        return self.store.set_note(self.kb, ref, text, expected)

    def place(self) -> Place | None:
        return self.store.place(self.kb)

    def save_place(self, place: Place) -> None:
        self.store.save_place(self.kb, place)

    def close(self) -> None:
        self.store.close()


def bookmarked_refs(kb_url: str, path: str | Path | None = None) -> list[str]:
    """The refs bookmarked in the knowledge base at `kb_url` (as `--db` resolves it: `database_url`),
    in the order they were added, from the state database at `path` (default: `state_path()`).
    Raises StateError if the state database cannot be read."""
    store = StateStore(state_path(path))
    try:
        return store.bookmarked_refs(state_key(kb_url))
    finally:
        store.close()
