"""Writes crisis knowledge into a SQLite database, all or nothing.

The database is written to a temporary file beside the target, `.NAME.PID.tmp`, with no
journal; rows go in in batches on a thread of their own while Python makes the next ones
(`_Sink`), and the secondary indexes, display order and full-text indexes are built once at
the end (row by row, with full-text triggers, was several times slower). When it
is complete and has passed its check (`_verify`) it is put in place: moved there if there is
no database yet, otherwise copied into the live database in one WAL transaction (SQLite's
backup API), so readers keep reading the old content until the commit, and a failed or
killed write leaves it as it was.

The temporary file and the lock writers take turns through are `writers.py`'s.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import sqlite3
import stat
import threading
import time
import uuid
from bisect import bisect_right
from collections import namedtuple
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote as urlquote

from .constants import SCHEMA_VERSION
from .errors import DatabaseError
from .pack import PACK_NAMES, Entity, Pack, Source, parse_date
from .schema import count_packs, create_schema, drop_indexes, rebuild_search, renumber
from .tables import TABLES, names
from .writers import (
    all_files,
    check_same_file,
    claim_temporary,
    lock_timeout,
    locked_error,
    make_folder,
    side_files,
    temporary_path,
)


def _row_type(name: str, table: str) -> type[Any]:
    """A named tuple of a table's columns but its integer id (the writer gives ids out), in
    table order; the columns after the last one without a default may be left out."""
    columns = [c for c in TABLES[table] if not (c.name == "id" and c.type is int)]
    defaults: list[object] = []
    for column in reversed(columns):
        if column.default is ...:
            break
        defaults.insert(0, column.default)
    return namedtuple(name, [c.name for c in columns], defaults=defaults)


EntityIn = _row_type("EntityIn", "entity")
EntityIn.__doc__ = "One entity as the writer takes it: the entity table's columns (db/tables.py) but `id`."
_ENTITY_COLUMNS = ("id", *EntityIn._fields)
# Each EntityIn field from a pack Entity: the pack's name for it, and attributes made JSON text.
_ENTITY_FROM_PACK = attrgetter(*(PACK_NAMES.get(name, name) for name in EntityIn._fields))
_ATTRIBUTES = EntityIn._fields.index("attributes")
_ENTITY_PACK = EntityIn._fields.index("pack_id")
# An entity's own fields (what each pack stating it may word its own way): not its id, pack or lists.
ENTITY_FIELDS = tuple(PACK_NAMES.get(name, name) for name in EntityIn._fields if name not in ("ref", "pack_id"))


def entity_in(entity: Entity, pack_ids: dict[str | None, int | None] | None = None) -> tuple:
    """The entity table's row (an EntityIn) of a pack entity; `pack_ids` numbers packs by id."""
    values = list(_ENTITY_FROM_PACK(entity))
    values[_ATTRIBUTES] = json.dumps(values[_ATTRIBUTES], ensure_ascii=False)
    values[_ENTITY_PACK] = (pack_ids or {}).get(values[_ENTITY_PACK])
    return EntityIn._make(values)


def entity_fields(entity: Entity) -> dict[str, Any]:
    """An entity's own fields as a pack states them (compared between the packs that state it)."""
    return {name: getattr(entity, name) for name in ENTITY_FIELDS}


class Texts(Protocol):
    """Source texts by source id: a dict, or texts a build looks up elsewhere (then `update` adds nothing)."""

    def get(self, key: str, default: str, /) -> str: ...

    def update(self, texts: dict[str, str], /) -> None: ...


class CiteIn(NamedTuple):
    source: str
    quote: str
    pack_id: int | None = None  # the pack that cites it


def source_texts(sources: Iterable[Source]) -> dict[str, str]:
    """The text each source's quotes are checked against: its own, or that of its `via`."""
    by_id = {s.id: s for s in sources}
    texts: dict[str, str] = {}
    for source in by_id.values():
        holder = source if source.text is not None else by_id.get(source.via or "")
        if holder is not None and holder.text is not None:
            texts[source.id] = holder.text
    return texts


class _Sink:
    """Runs a Writer's INSERTs on a thread of its own, so SQLite stores rows while Python makes more.

    A batch goes over as JSON text and in as one `INSERT ... SELECT ... FROM json_each(?)`,
    during which SQLite holds no GIL; `executemany` takes the GIL back for every row, and the
    two threads would wait on each other. A batch JSON cannot carry whole (a NUL) goes in
    with `executemany`. Batches are stored in the order they are given.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.error: BaseException | None = None
        self._queue: queue.Queue[tuple[str, Any, bool] | None] = queue.Queue(maxsize=4)
        self._sql: dict[tuple[str, tuple[str, ...]], tuple[str, str]] = {}
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="crisis-tui-writer", daemon=True)
        self._thread.start()

    def put(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Queue `rows` (tuples in the order of `columns`) for insertion into `table`."""
        if self.error is not None:
            raise self.error
        if not rows:
            return
        if len(rows[0]) != len(columns):  # a column left out would be stored as NULL, unseen
            raise ValueError(f"{table}: rows of {len(rows[0])} values for {len(columns)} columns {columns}")
        key = (table, columns)
        if key not in self._sql:
            names = ", ".join(f'"{c}"' for c in columns)
            picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            self._sql[key] = (f"INSERT INTO {table} ({names}) SELECT {picks} FROM json_each(?)",
                              f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})")
        by_json, by_rows = self._sql[key]
        payload = json.dumps(rows, ensure_ascii=False)
        if "\\u0000" in payload:  # SQLite's JSON strings end at a NUL
            self._queue.put((by_rows, rows, True))  # callers hand over each batch, never reuse it
        else:
            self._queue.put((by_json, payload, False))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self.error is not None or self._abandoned:
                continue  # keep taking batches, so that the producer never blocks on a full queue
            sql, data, many = item
            try:
                if many:
                    self.conn.executemany(sql, data)
                else:
                    self.conn.execute(sql, (data,))
            except Exception as exc:  # handed to the producer at its next put, or at close
                self.error = exc

    def close(self) -> None:
        """Wait for every queued batch; raise what went wrong in any of them."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Make sure the writing thread has ended (whatever happened before)."""
        if self._thread.is_alive():
            self.abandon()

    def abandon(self) -> None:
        """Skip the batches still queued and stop (the build failed elsewhere)."""
        self._abandoned = True
        self._queue.put(None)
        self._thread.join()


# The columns of the tables a pack record goes into whole, as they are named in both; the
# writer's other rows join ids and are listed where they are made (tests/test_schema.py
# checks that every column of every table is written).
_SOURCE_COLUMNS, _RELATION_COLUMNS = names("source"), names("relation")
_WORDING_COLUMNS = names("relation_wording")

_RELATION_FROM_PACK = attrgetter(*(PACK_NAMES.get(name, name) for name in _RELATION_COLUMNS))
_RELATION_LISTS = [n for n, name in enumerate(_RELATION_COLUMNS) if name in ("source_types", "target_types")]
_RELATION_PACK = _RELATION_COLUMNS.index("pack_id")
_SOURCE_FROM_PACK = attrgetter(*(PACK_NAMES.get(name, name) for name in _SOURCE_COLUMNS))
_SOURCE_PACK = _SOURCE_COLUMNS.index("pack_id")


def relation_row(relation: Any, pack_ids: dict[str | None, int | None] | None = None) -> tuple:
    """The relation table's row of a pack relation: its lists of entity types made JSON text."""
    values = list(_RELATION_FROM_PACK(relation))
    for n in _RELATION_LISTS:
        values[n] = json.dumps(values[n], ensure_ascii=False)
    values[_RELATION_PACK] = (pack_ids or {}).get(values[_RELATION_PACK])
    return tuple(values)


_CITATION_COLUMNS = ("id", "subject", "subject_id", "source_id", "quote", "offset", "line", "pack_id")
BATCH = 20000  # rows per batch handed to the sink
BATCH_TEXT = 4_000_000  # characters of text per batch, at most (a pack of long summaries is not held in batches)
TEXTS_HELD = 64  # sources whose line starts are kept at hand to place quotes


# The id the builds in this context stamp their database with (`meta.build_id`): a caller that
# sets it can tell afterwards, by `database_stamp`, whether its build was committed.
next_build_id: ContextVar[str | None] = ContextVar("next_build_id", default=None)


class Writer:
    """Bulk inserts into an empty database through a `_Sink`; ids are given out in insertion order."""

    def __init__(self, sink: _Sink) -> None:
        self.sink = sink
        self.ids: dict[str, int] = {}
        self.texts: Texts = {}  # what quotes are placed in, by source id
        self.counts = {"sources": 0, "entities": 0, "links": 0, "positions": 0, "citations": 0}
        self._next = {"note": 1, "link": 1, "position": 1, "citation": 1}
        self._newlines: dict[str, list[int]] = {}
        self.build_id = next_build_id.get() or uuid.uuid4().hex  # this build's content, told from any other
        self.pack_ids: dict[str | None, int | None] = {None: None}  # a pack's id -> its number

    def meta(self, packs: list[dict]) -> None:
        """The database's own facts, and the packs it holds (dicts of id, title, description), in order."""
        self.sink.put("meta", names("meta"), [
            ("schema_version", str(SCHEMA_VERSION)),
            ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())), ("build_id", self.build_id)])
        self.meta_packs(packs)

    def meta_packs(self, packs: list[dict]) -> None:
        """Number the packs (dicts of id, title, description) in order and write them."""
        rows = []
        for info in packs:
            self.pack_ids[info["id"]] = n = len(self.pack_ids)
            rows.append((n, info["id"], info["title"], info.get("description") or "", 0, 0, 0, 0))
        # what each pack states is counted once all is written (schema.count_packs)
        self.sink.put("pack", ("id", "ref", "title", "description", "entities", "links", "positions", "sources"),
                      rows)

    def relations(self, rows: Iterable[tuple]) -> None:
        """Relations as tuples of the relation table's columns (name, label, inverse, description, …)."""
        self.sink.put("relation", _RELATION_COLUMNS, list(rows))

    def relation_wordings(self, rows: Iterable[tuple]) -> None:
        """Other packs' wordings, as tuples of the relation_wording table's columns."""
        self.sink.put("relation_wording", _WORDING_COLUMNS, list(rows))

    def sources(self, sources: list[Source]) -> None:
        self.texts.update(source_texts(sources))
        pack_ids = self.pack_ids
        rows = []
        for source in sources:
            row = list(_SOURCE_FROM_PACK(source))
            row[_SOURCE_PACK] = pack_ids[row[_SOURCE_PACK]]
            rows.append(tuple(row))
        for at in range(0, len(rows), 1000):
            self.sink.put("source", _SOURCE_COLUMNS, rows[at:at + 1000])
        self.counts["sources"] += len(sources)

    def entity_packs(self, rows: Iterable[tuple[str, int | None, str | None]]) -> None:
        """Further packs stating an entity: (ref, pack number, its own fields as JSON or None)."""
        ids = self.ids
        self.sink.put("entity_pack", ("entity_id", "pack_id", "fields"),
                      [(ids[ref], pack_id, fields) for ref, pack_id, fields in rows])

    def entities(self, rows: Iterable[Any]) -> None:
        """Entities as EntityIn tuples; each is given the next id."""
        ids, put = self.ids, self.sink.put
        before = len(ids)
        batch: list[tuple] = []
        size = 0
        for e in rows:
            ids[e.ref] = n = len(ids) + 1
            batch.append((n, *e))
            size += len(e.summary) + len(e.attributes)
            if len(batch) >= BATCH or size >= BATCH_TEXT:
                put("entity", _ENTITY_COLUMNS, batch)
                batch, size = [], 0
        put("entity", _ENTITY_COLUMNS, batch)
        self.counts["entities"] += len(ids) - before

    def aliases(self, rows: Iterable[tuple[str, str] | tuple[str, str, int | None]]) -> None:
        """Aliases as (entity ref, alias) or (entity ref, alias, pack number)."""
        ids = self.ids
        self.sink.put("alias", ("entity_id", "alias", "pack_id"),
                      [(ids[row[0]], row[1], row[2] if len(row) > 2 else None) for row in rows])

    _LINK_COLUMNS = ("id", "subject_id", "relation", "object_id", "note", "pack_id")

    def links(self, rows: Iterable[tuple]) -> None:
        """Links as (source ref, relation, target ref, note, citations[, pack number]), written in batches."""
        ids, n, put = self.ids, self._next["link"], self.sink.put
        batch: list[tuple] = []
        cites: list[tuple[str, int, CiteIn]] = []
        for subject, relation, target, note, cited, *pack in rows:
            batch.append((n, ids[subject], relation, ids[target], note, pack[0] if pack else None))
            for c in cited:
                cites.append(("link", n, c))
            n += 1
            if len(batch) >= BATCH:
                put("link", self._LINK_COLUMNS, batch)
                self.citations(cites)
                batch, cites = [], []
        put("link", self._LINK_COLUMNS, batch)
        self.citations(cites)
        self.counts["links"] += n - self._next["link"]
        self._next["link"] = n

    def notes(self, ref: str, text: str, cited: Iterable[CiteIn], pack_id: int | None = None) -> None:
        n = self._next["note"]
        self._next["note"] = n + 1
        self.sink.put("note", ("id", "entity_id", "text", "pack_id"), [(n, self.ids[ref], text, pack_id)])
        self.citations(("note", n, c) for c in cited)

    def position(self, ref: str, actor: str, topic: str, about: str | None, stance: str, statement: str,
                 date: str | None, cited: Iterable[CiteIn], date_uncertain: bool = False,
                 pack_id: int | None = None) -> int:
        """One position; returns the id it is given."""
        n = self._next["position"]
        self._next["position"] = n + 1
        self.sink.put(
            "position", ("id", "ref", "actor_id", "topic", "topic_id", "stance", "statement", "date", "date_precision",
                         "date_uncertain", "pack_id"),
            [(n, ref, self.ids[actor], topic, self.ids[about] if about else None, stance, statement, date,
              parse_date(date) if date else None, date_uncertain, pack_id)],
        )
        self.counts["positions"] += 1
        self.citations(("position", n, c) for c in cited)
        return n

    def citations(self, rows: Iterable[tuple[str, int | str, CiteIn]]) -> None:
        """Citations as (subject kind, subject id or entity ref, citation); where each quote sits is found here."""
        texts, ids, newlines, put = self.texts, self.ids, self._newlines, self.sink.put
        batch: list[tuple] = []
        size = 0
        first = n = self._next["citation"]
        for subject, subject_id, (source, quote, pack_id) in rows:
            text = texts.get(source, "")
            found = text.find(quote)
            offset: int | None = found if found >= 0 else None
            line = None
            if offset is not None:
                starts = newlines.get(source)
                if starts is None:
                    if len(newlines) >= TEXTS_HELD:
                        newlines.clear()
                    starts = newlines[source] = list(accumulate(len(part) + 1 for part in text.split("\n")))[:-1]
                line = bisect_right(starts, offset) + 1  # a quote at a line's start is on that line
            batch.append((n, subject, ids[subject_id] if subject_id.__class__ is str else subject_id, source, quote,
                          offset, line, pack_id))
            n += 1
            size += len(quote)
            if len(batch) >= BATCH or size >= BATCH_TEXT:
                put("citation", _CITATION_COLUMNS, batch)
                batch, size = [], 0
        put("citation", _CITATION_COLUMNS, batch)
        self._next["citation"] = n
        self.counts["citations"] += n - first

    def pack(self, pack: Pack) -> None:
        """Everything in one validated pack document, whose records each name the pack stating them
        (`seed.importer` joins packs into one)."""
        if len(self.pack_ids) == 1:  # meta() was given no packs: the document's are the database's
            self.meta_packs([info.model_dump() for info in ([pack.pack] if pack.pack else pack.packs)])
        self.relation_records(pack.relations)
        self.texts.update(source_texts(pack.sources))  # a via's holder may come in another batch
        self.source_records(pack.sources)
        owners: dict[str, Entity] = {}
        further = []
        for e in pack.entities:
            if e.id in owners:
                further.append((e, owners[e.id]))
            else:
                owners[e.id] = e
        self.entity_owners(owners.values())
        self.entity_further(further)
        self.entity_statements(pack.entities)
        self.link_records(pack.links)
        self.position_records(pack.positions)

    def relation_records(self, relations: Iterable[Any]) -> None:
        """Relations as pack records: the first of each name is its row (the standard's comes
        first), a further pack's wording of it a relation_wording row."""
        ids = self.pack_ids
        first: dict[str, Any] = {}
        wordings = []
        for r in relations:
            if r.name in first and r.pack is not None:
                row = relation_row(r, ids)
                wordings.append((r.name, row[_RELATION_PACK], *row[1:_RELATION_PACK], *row[_RELATION_PACK + 1:]))
            else:
                first.setdefault(r.name, r)
        self.relations(relation_row(r, ids) for r in first.values())
        self.relation_wordings(wordings)

    def source_records(self, sources: Iterable[Any]) -> None:
        """Sources as pack records: the first given of each id is its row; a further pack giving
        it alike (the importer refused any other) is a source_pack row."""
        given: dict[str, str | None] = {}
        alike: set[tuple[str, int | None]] = set()
        batch: list[Any] = []
        for source in sources:
            if source.id not in given:
                given[source.id] = source.pack
                batch.append(source)
                if len(batch) >= 1000:
                    self.sources(batch)
                    batch = []
            elif source.pack is not None and source.pack != given[source.id]:
                alike.add((source.id, self.pack_ids[source.pack]))
        self.sources(batch)
        self.sink.put("source_pack", ("source_id", "pack_id"), sorted(alike))

    def entity_owners(self, entities: Iterable[Any]) -> None:
        """The first statement of each entity: its row."""
        ids = self.pack_ids
        self.entities(entity_in(e, ids) for e in entities)

    def entity_further(self, statements: Iterable[tuple[Any, Any]]) -> None:
        """Further packs' statements of entities, each with the first statement (its row): an
        entity_pack row holding the fields it words otherwise."""
        ids = self.pack_ids
        rows = []
        for e, owner in statements:
            mine, theirs = entity_fields(e), entity_fields(owner)
            differ = {k: v for k, v in mine.items() if v != theirs[k]}
            rows.append((e.id, ids[e.pack], json.dumps(differ, ensure_ascii=False) if differ else None))
            if len(rows) >= BATCH:
                self.entity_packs(rows)
                rows = []
        self.entity_packs(rows)

    def entity_statements(self, entities: Iterable[Any]) -> None:
        """What each statement of an entity adds, in its pack: aliases, citations and notes."""
        ids = self.pack_ids
        aliases: list[tuple[str, str, int | None]] = []
        cites: list[tuple[str, str, CiteIn]] = []
        for e in entities:
            pack = ids[e.pack]
            for alias in e.aliases:
                aliases.append((e.id, alias, pack))
            for c in e.citations:
                cites.append(("entity", e.id, CiteIn(c.source, c.quote, pack)))
            for note in e.notes:
                self.notes(e.id, note.text, [CiteIn(c.source, c.quote, pack) for c in note.citations], pack)
            if len(cites) >= BATCH or len(aliases) >= BATCH:
                self.aliases(aliases)
                self.citations(cites)
                aliases, cites = [], []
        self.aliases(aliases)
        self.citations(cites)

    def link_records(self, links: Iterable[Any]) -> None:
        ids = self.pack_ids
        self.links((k.source, k.relation, k.target, k.note,
                    [CiteIn(c.source, c.quote, ids[k.pack]) for c in k.citations], ids[k.pack])
                   for k in links)

    def position_records(self, positions: Iterable[Any]) -> None:
        """Positions as pack records: the first given of each id is its row; a further pack giving
        it alike is a position_pack row."""
        ids = self.pack_ids
        numbers: dict[str, tuple[int, str | None]] = {}
        alike = set()
        for q in positions:
            if q.id in numbers:
                number, pack = numbers[q.id]
                if q.pack is not None and q.pack != pack:
                    alike.add((number, ids[q.pack]))
                continue
            numbers[q.id] = (self.position(q.id, q.actor, q.topic, q.about, q.stance, q.statement, q.date,
                                           [CiteIn(c.source, c.quote, ids[q.pack]) for c in q.citations],
                                           q.date_uncertain, ids[q.pack]), q.pack)
        self.sink.put("position_pack", ("position_id", "pack_id"), sorted(alike))


_BUSY, _LOCKED = 5, 6  # what a backup step reports when the live database is locked
_COUNTED = (("source", "sources"), ("entity", "entities"), ("link", "links"), ("position", "positions"),
            ("citation", "citations"))


@contextmanager
def new_database(path: Path) -> Iterator[Writer]:
    """A Writer on a fresh database that replaces `path` only if the block completes and the result checks out."""
    make_folder(path)
    tmp = temporary_path(path)
    fd: int | None = None
    conn: sqlite3.Connection | None = None
    sink: _Sink | None = None
    collecting = gc.isenabled()
    try:
        fd = claim_temporary(tmp)
        create_schema(str(tmp))
        # mode=rw: opening a file that is gone is an error, never a new empty database
        conn = sqlite3.connect(f"file:{urlquote(str(tmp))}?mode=rw", uri=True, isolation_level=None,
                               check_same_thread=False)
        check_same_file(fd, tmp)
        gc.disable()  # millions of row tuples: automatic collections would walk them again and again
        # A scratch file until it is put in place: no journal, no syncs, indexes made last.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -64000")
        conn.execute("PRAGMA threads = 2")  # index and display-order sorts on both cores
        conn.execute("BEGIN")
        deferred = drop_indexes(conn)
        sink = _Sink(conn)
        writer = Writer(sink)
        try:
            yield writer
        except BaseException:
            sink.abandon()
            raise
        sink.close()
        renumber(conn)
        count_packs(conn)
        for sql in deferred:
            conn.execute(sql)
        rebuild_search(conn)
        conn.execute("COMMIT")
        if collecting:
            gc.enable()
        _verify(conn, writer, path)
        install(conn, fd, tmp, path)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot write the database: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        hint = " (is the disk full?)" if "disk" in str(exc) or "full" in str(exc) else ""
        raise DatabaseError(f"{path}: building the database failed: {exc}{hint}; "
                            "the old database is unchanged") from exc
    finally:
        if collecting:
            gc.enable()
        if sink is not None:
            sink.stop()  # interrupted while it wrote (Ctrl-C in close()): its thread leaves the connection first
        if conn is not None:
            conn.close()
        if fd is not None:  # only what this build made: a temporary another process holds is not touched
            for leftover in all_files(tmp):
                try:
                    leftover.unlink(missing_ok=True)
                except OSError:
                    pass
            os.close(fd)  # after the connection: closing any descriptor of a file ends this process's locks on it


def _verify(conn: sqlite3.Connection, writer: Writer, path: Path) -> None:
    """Check the finished database before it replaces anything: whole, of this schema, every row written in it."""
    problems = []
    check = conn.execute("PRAGMA quick_check").fetchone()
    if check != ("ok",):
        problems.append(f"quick_check: {check[0] if check else 'no answer'}")
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if version != (str(SCHEMA_VERSION),):
        problems.append(f"meta.schema_version is {version[0] if version else 'missing'!r}, not {SCHEMA_VERSION}")
    for table, key in _COUNTED:
        (found,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        if found != writer.counts[key]:
            problems.append(f"{table} holds {found} rows, {writer.counts[key]} were written")
    if problems:
        raise DatabaseError(f"{path}: the new database failed its check ({'; '.join(problems)}); "
                            "the old database is unchanged")


class _Busy(Exception):
    """The live database stayed locked by another connection past the deadline."""


def install(conn: sqlite3.Connection, fd: int, tmp: Path, path: Path) -> None:
    """Put the finished database (open on `conn`, the file `tmp` held as `fd`) in place of `path`,
    atomically for every reader. Waits at most `lock_timeout()` for another writer of `path`.
    """
    check_same_file(fd, tmp)
    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    conn.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer (a backup carries it over)
    live = _open_live(path, deadline, timeout)
    if live is None:  # nothing there to keep: move the new file in
        conn.close()  # the last connection folds its WAL back: the file is whole by itself
        check_same_file(fd, tmp)
        os.fsync(fd)  # on the disk before its name is (it was written without syncs)
        for orphan in side_files(path):  # a WAL without its database would be applied to the new one
            orphan.unlink(missing_ok=True)
        os.replace(tmp, path)
        _sync_folder(path.parent)
        return

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (_BUSY, _LOCKED) and time.monotonic() >= deadline:
            raise _Busy  # ends the backup, rolled back (Python's own loop would retry forever)

    try:
        live.execute("PRAGMA busy_timeout = 250")
        try:
            conn.backup(live, progress=progress)  # one write transaction on the live file
        except _Busy:
            raise locked_error(path, timeout) from None
        try:  # committed: what follows only gives the disk back, and may wait for readers
            live.execute("PRAGMA busy_timeout = 2000")
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # a reader still holds the old pages; the next writer checkpoints
    finally:
        live.close()


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the system allows opening a folder)."""
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


SQLITE_HEADER = b"SQLite format 3\x00"


def _open_live(path: Path, deadline: float, timeout: float) -> sqlite3.Connection | None:
    """A connection to the database at `path`; None where there is nothing to keep (no file, an empty
    file, or a damaged SQLite database, which nobody can be reading). Any other file is not
    ours to replace (`--db notes.txt build`)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(found.st_mode):
        raise DatabaseError(f"{path}: is a folder; refusing to replace it")
    if not stat.S_ISREG(found.st_mode):
        raise DatabaseError(f"{path}: is not a regular file; refusing to replace it")
    if found.st_size == 0:
        return None
    with open(path, "rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DatabaseError(f"{path}: is not a SQLite database; refusing to replace it "
                                "(remove it, or choose another --db)")
    live = sqlite3.connect(f"file:{urlquote(str(path))}?mode=rw", uri=True, isolation_level=None)
    try:
        live.execute(f"PRAGMA busy_timeout = {max(0, int((deadline - time.monotonic()) * 1000))}")
        live.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        live.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise locked_error(path, timeout) from None
        raise
    except sqlite3.DatabaseError:
        live.close()
        for orphan in side_files(path):
            orphan.unlink(missing_ok=True)
        return None
    return live


def database_stamp(path: Path) -> str | None:
    """The id of the build whose content the database at `path` holds now ('' if it has none,
    None if it cannot be read): an interrupted write compares it with its own to tell whether it committed."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        conn = sqlite3.connect(f"file:{urlquote(str(path))}?mode=ro", uri=True, timeout=2)
    except (OSError, ValueError, sqlite3.Error):
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
        return str(row[0]) if row else ""
    except sqlite3.Error:
        return None
    finally:
        conn.close()

def build_database(pack: Pack, path: Path) -> dict[str, int]:
    """Build the database at `path` from one validated pack document (of one pack or several, as
    `seed.importer` joins them); return row counts per table."""
    with new_database(path) as writer:
        writer.meta([])
        writer.pack(pack)
    return writer.counts
