"""Writes crisis knowledge into a SQLite database, all or nothing.

The database is written to a temporary file beside the target, with no journal; rows go in
with `executemany`, and the display order and full-text indexes are built once at the end
(TECH-NOTES: row-by-row ORM inserts with FTS triggers are 5x slower). Only when it is
complete is it put in place: moved there if there is no database yet, otherwise copied
into the live database in one WAL transaction (SQLite's backup API), so readers keep
reading the old content until the commit, and a failed or killed write leaves it as it was.
"""

from __future__ import annotations

import json
import os
from bisect import bisect_left
from itertools import accumulate
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from .constants import SCHEMA_VERSION
from .errors import DatabaseError
from .pack import Pack, Source, parse_date
from .schema import create_schema, drop_indexes, rebuild_search, renumber


class EntityIn(NamedTuple):
    ref: str
    type: str
    kind: str | None
    name: str
    summary: str = ""
    date: str | None = None
    date_end: str | None = None
    date_precision: str | None = None
    date_uncertain: bool = False
    date_note: str | None = None
    attributes: str = "{}"


class CiteIn(NamedTuple):
    source: str
    quote: str


def source_texts(sources: Iterable[Source]) -> dict[str, str]:
    """The text each source's quotes are checked against: its own, or that of its `via`."""
    by_id = {s.id: s for s in sources}
    texts: dict[str, str] = {}
    for source in by_id.values():
        holder = source if source.text is not None else by_id.get(source.via or "")
        if holder is not None and holder.text is not None:
            texts[source.id] = holder.text
    return texts


class Writer:
    """Bulk inserts into an open, empty database; ids are given out in insertion order."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.ids: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.counts = {"sources": 0, "entities": 0, "links": 0, "positions": 0, "citations": 0}
        self._next = {"note": 1, "link": 1, "position": 1}
        self._newlines: dict[str, list[int]] = {}

    def meta(self, packs: list[dict]) -> None:
        self.conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("packs", json.dumps(packs)),
             ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))],
        )

    def relations(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        self.conn.executemany("INSERT INTO relation (name, label, inverse, description) VALUES (?, ?, ?, ?)", rows)

    def sources(self, sources: list[Source]) -> None:
        self.texts.update(source_texts(sources))
        self.conn.executemany(
            "INSERT INTO source (id, title, publisher, date, address, text, via) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(s.id, s.title, s.publisher, s.date, s.address, s.text, s.via) for s in sources],
        )
        self.counts["sources"] += len(sources)

    def entities(self, rows: Iterable[EntityIn]) -> None:
        ids = self.ids

        def numbered():
            for e in rows:
                ids[e.ref] = n = len(ids) + 1
                yield (n, *e, 0)

        before = len(ids)
        self.conn.executemany(
            """INSERT INTO entity (id, ref, type, kind, name, summary, date, date_end, date_precision,
                                   date_uncertain, date_note, attributes, pos)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            numbered(),
        )
        self.counts["entities"] += len(ids) - before

    def aliases(self, rows: Iterable[tuple[str, str]]) -> None:
        ids = self.ids
        self.conn.executemany("INSERT INTO alias (entity_id, alias) VALUES (?, ?)",
                              ((ids[ref], alias) for ref, alias in rows))

    def links(self, rows: Iterable[tuple[str, str, str, str | None, Iterable[CiteIn]]]) -> None:
        """Links as (source ref, relation, target ref, note, citations), written in batches."""
        ids, n = self.ids, self._next["link"]
        batch: list[tuple] = []
        cites: list[tuple[str, int, CiteIn]] = []
        for subject, relation, target, note, cited in rows:
            batch.append((n, ids[subject], relation, ids[target], note))
            cites.extend(("link", n, c) for c in cited)
            n += 1
            if len(batch) >= 20000:
                self._flush_links(batch, cites)
        self._flush_links(batch, cites)
        self.counts["links"] += n - self._next["link"]
        self._next["link"] = n

    def _flush_links(self, batch: list[tuple], cites: list[tuple[str, int, CiteIn]]) -> None:
        self.conn.executemany("INSERT INTO link (id, subject_id, relation, object_id, note) VALUES (?, ?, ?, ?, ?)", batch)
        self.citations(cites)
        batch.clear()
        cites.clear()

    def notes(self, ref: str, text: str, cited: Iterable[CiteIn]) -> None:
        n = self._next["note"]
        self._next["note"] = n + 1
        self.conn.execute("INSERT INTO note (id, entity_id, text) VALUES (?, ?, ?)", (n, self.ids[ref], text))
        self.citations(("note", n, c) for c in cited)

    def position(self, ref: str, actor: str, topic: str, about: str | None, stance: str, statement: str,
                 date: str | None, cited: Iterable[CiteIn]) -> None:
        n = self._next["position"]
        self._next["position"] = n + 1
        self.conn.execute(
            """INSERT INTO position (id, ref, actor_id, topic, topic_id, stance, statement, date, date_precision)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (n, ref, self.ids[actor], topic, self.ids[about] if about else None, stance, statement, date,
             parse_date(date) if date else None),
        )
        self.counts["positions"] += 1
        self.citations(("position", n, c) for c in cited)

    def citations(self, rows: Iterable[tuple[str, int | str, CiteIn]]) -> None:
        """Citations as (subject kind, subject id or entity ref, citation); where each quote sits is found here."""
        texts, ids, newlines = self.texts, self.ids, self._newlines
        batch: list[tuple] = []
        for subject, subject_id, (source, quote) in rows:
            text = texts.get(source, "")
            offset = text.find(quote)
            line = None
            if offset >= 0:
                starts = newlines.get(source)
                if starts is None:
                    starts = newlines[source] = list(accumulate(len(part) + 1 for part in text.split("\n")))[:-1]
                line = bisect_left(starts, offset) + 1
            batch.append((subject, ids[subject_id] if subject_id.__class__ is str else subject_id, source, quote,
                          offset if offset >= 0 else None, line))
        self.conn.executemany(
            "INSERT INTO citation (subject, subject_id, source_id, quote, offset, line) VALUES (?, ?, ?, ?, ?, ?)",
            batch,
        )
        self.counts["citations"] += len(batch)

    def pack(self, pack: Pack) -> None:
        """Everything in one validated pack."""
        self.relations((r.name, r.label, r.inverse, r.description) for r in pack.relations)
        self.sources(pack.sources)
        self.entities(
            EntityIn(e.id, e.type, e.kind, e.name, e.summary, e.date, e.date_end, e.date_precision,
                     e.date_uncertain, e.date_note, json.dumps(e.attributes, ensure_ascii=False))
            for e in pack.entities
        )
        self.aliases((e.id, alias) for e in pack.entities for alias in e.aliases)
        self.citations(("entity", e.id, CiteIn(c.source, c.quote)) for e in pack.entities for c in e.citations)
        for e in pack.entities:
            for note in e.notes:
                self.notes(e.id, note.text, [CiteIn(c.source, c.quote) for c in note.citations])
        self.links((k.source, k.relation, k.target, k.note, [CiteIn(c.source, c.quote) for c in k.citations])
                   for k in pack.links)
        for q in pack.positions:
            self.position(q.id, q.actor, q.topic, q.about, q.stance, q.statement, q.date,
                          [CiteIn(c.source, c.quote) for c in q.citations])


@contextmanager
def new_database(path: Path) -> Iterator[Writer]:
    """A Writer on a fresh database that replaces `path` only if the block completes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        create_schema(str(tmp))
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A scratch file until it is moved into place: no journal, no syncs, indexes made last.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -200000")
            conn.execute("BEGIN")
            deferred = drop_indexes(conn)
            yield Writer(conn)
            renumber(conn)
            for sql in deferred:
                conn.execute(sql)
            rebuild_search(conn)
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
        finally:
            conn.close()
        install(tmp, path)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot write the database: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        hint = " (is the disk full?)" if "disk" in str(exc) or "full" in str(exc) else ""
        raise DatabaseError(f"{path}: building the database failed: {exc}{hint}; the old database is unchanged") from exc
    finally:
        for leftover in (tmp, *side_files(tmp)):
            leftover.unlink(missing_ok=True)


def side_files(path: Path) -> tuple[Path, Path]:
    """The WAL and shared-memory files SQLite keeps beside a database."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def install(tmp: Path, path: Path) -> None:
    """Put the finished database `tmp` in place of `path`, atomically for every reader."""
    if not path.exists():
        for orphan in side_files(path):  # a WAL without its database would be applied to the new one
            orphan.unlink(missing_ok=True)
        os.replace(tmp, path)
        return
    source = sqlite3.connect(tmp)
    live = sqlite3.connect(path, timeout=30)
    try:
        try:
            live.execute("PRAGMA schema_version").fetchone()
        except sqlite3.DatabaseError:  # not a database at all: nothing to keep, nobody reading it
            live.close()
            for orphan in side_files(path):
                orphan.unlink(missing_ok=True)
            os.replace(tmp, path)
            return
        source.backup(live)  # one write transaction on the live file; rolled back if it fails
        try:  # committed: what follows only gives the disk back, and may wait for readers
            live.execute("PRAGMA busy_timeout = 2000")
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # a reader still holds the old pages; the next writer checkpoints
    finally:
        source.close()
        live.close()


def build_database(packs: list[Pack], path: Path, pack_infos: list[dict] | None = None) -> dict[str, int]:
    """Build the database at `path` from validated packs; return row counts per table."""
    with new_database(path) as writer:
        writer.meta(pack_infos if pack_infos is not None else [p.pack.model_dump() for p in packs if p.pack])
        for pack in packs:
            writer.pack(pack)
    return writer.counts
