"""Writing crisis knowledge into PostgreSQL, inside the caller's one transaction.

`PgWriter` is `db.build.Writer` with rows going in by COPY (`CopySink`) and ids taken from the
sequences (`Ids`, a block of `nextval`s at a time), never from counters of its own: imports
running at once on several hosts never hand out one id twice. A build or an import into an
empty database hands it every merged record, as the SQLite build does; an import into a
database that holds records hands it only what changes (`seed.pg_import`), and updates in place
the rows whose first statement changed (so that other packs' links keep pointing at them).

What a write leaves to its end: `finish()` adds the pane rows and search columns of the
entities and sources it touched (`pane_rows`, `search_index`), counts the packs it touched,
stamps `meta` and notifies the explorers listening (`ddl.NOTIFY_CHANNEL`) as it commits.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Any

from ..build import _CITATION_COLUMNS, _ENTITY_COLUMNS, BATCH, BATCH_TEXT, TEXTS_HELD, CiteIn, Writer
from ..constants import SCHEMA_VERSION
from ..pack import parse_date
from ..tables import names
from .ddl import NOTIFY_CHANNEL

# pg_advisory_xact_lock(class, key): one class for crisis-tui's locks, keys below and per pack.
LOCK_CLASS = 0x0C7151  # "crisis"
PACK_LOCK_CLASS = LOCK_CLASS + 1
GLOBAL_KEY = 0  # a build takes it exclusively, an import shared
PUBLISH_KEY = 1  # the last steps of a write (pane counts, search words, meta), one import at a time

_POSITION_COLUMNS = ("id", "ref", "actor_id", "topic", "topic_id", "stance", "statement", "date", "date_precision",
                     "date_uncertain", "pack_id")
_LINK_COLUMNS = ("id", "subject_id", "relation", "object_id", "note", "pack_id")


def pack_key(pack: str) -> int:
    """The advisory lock key of a pack id (a signed 32-bit number; a collision only serialises more)."""
    import zlib

    key = zlib.crc32(pack.encode("utf-8"))
    return key - (1 << 32) if key >= 1 << 31 else key


# Tables in the order their rows may refer to earlier ones' (foreign keys are checked as rows go in).
_TABLE_ORDER = ("meta", "pack", "relation", "relation_wording", "source", "source_pack", "entity", "entity_pack",
                "alias", "note", "link", "position", "position_pack", "citation")
_HELD_ROWS = 20000  # rows held per table before they go in


class CopySink:
    """`db.build._Sink`'s interface over COPY on one psycopg connection (in its transaction).

    Rows are held per table and go in by one COPY per few thousand (a COPY per note or
    position cost a round trip each); `flush()` sends them all, in `_TABLE_ORDER`, before any
    statement that must see them."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._held: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}

    def put(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if len(rows[0]) != len(columns):  # a column left out would be stored as NULL, unseen
            raise ValueError(f"{table}: rows of {len(rows[0])} values for {len(columns)} columns {columns}")
        held = self._held.setdefault((table, columns), [])
        held.extend(rows)
        if len(held) >= _HELD_ROWS:
            self.flush(upto=table)

    def flush(self, upto: str | None = None) -> None:
        """Send the rows held (of `upto` and the tables before it), in an order foreign keys accept."""
        last = _TABLE_ORDER.index(upto) if upto is not None else len(_TABLE_ORDER)
        for (table, columns), rows in sorted(self._held.items(), key=lambda item: _TABLE_ORDER.index(item[0][0])):
            if not rows or _TABLE_ORDER.index(table) > last:
                continue
            quoted = ", ".join(f'"{c}"' for c in columns)
            with self.conn.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
            rows.clear()

    def close(self) -> None:
        self.flush()

    def abandon(self) -> None:
        """Drop what is held (the transaction is rolled back by the caller)."""
        self._held.clear()

    def stop(self) -> None:
        """Nothing runs on a thread of its own."""


class Ids:
    """Ids of one sequence, fetched a block at a time: increasing, unique across sessions."""

    def __init__(self, conn: Any, sequence: str, block: int = 20000) -> None:
        self.conn, self.sequence, self.block = conn, sequence, block
        self._ids: list[int] = []
        self._at = 0

    def take(self) -> int:
        if self._at >= len(self._ids):
            self._ids = [row[0] for row in self.conn.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", (self.sequence, self.block))]
            self._at = 0
        self._at += 1
        return self._ids[self._at - 1]


class EntityIds(dict):
    """Entity refs to ids: those the write gives out, and (looked up as asked, or `prefetch`ed in
    batches) those the database holds."""

    def __init__(self, conn: Any) -> None:
        super().__init__()
        self.conn = conn

    def prefetch(self, refs: Iterable[str]) -> None:
        wanted = [ref for ref in set(refs) if ref not in self]
        for at in range(0, len(wanted), 20000):
            self.update(self.conn.execute("SELECT ref, id FROM entity WHERE ref = ANY(%s)",
                                          (wanted[at:at + 20000],)).fetchall())

    def __missing__(self, ref: str) -> int:
        row = self.conn.execute("SELECT id FROM entity WHERE ref = %s", (ref,)).fetchone()
        if row is None:
            raise KeyError(ref)
        self[ref] = row[0]
        return int(row[0])

    def __contains__(self, ref: object) -> bool:  # the checker's "is this id known" (before prefetch)
        return dict.__contains__(self, ref)


class PgWriter(Writer):
    """`db.build.Writer` writing by COPY into PostgreSQL, ids from the sequences.

    `sort_new`: new entity rows go in sorted by ref (their ids given in merged order before), so
    that two imports adding the same ones at once wait on each other in one order (the second
    then fails on the first one's key, rather than both deadlocking). Sources go in in merged
    order: their `seq` is the order they export in.
    """

    def __init__(self, conn: Any, sort_new: bool = False) -> None:
        self.copies = CopySink(conn)
        super().__init__(self.copies)  # type: ignore[arg-type]
        self.conn = conn
        self.sort_new = sort_new
        self.ids: dict[str, int] = EntityIds(conn)
        self._seq = {name: Ids(conn, f"{name}_id_seq") for name in ("entity", "link", "note", "position",
                                                                    "citation", "pack")}
        self.touched_sources: set[str] = set()  # sources added or changed: their passages remade

    def meta_packs(self, packs: list[dict]) -> None:
        rows = []
        for info in packs:
            self.pack_ids[info["id"]] = n = self._seq["pack"].take()
            rows.append((n, info["id"], info["title"], info.get("description") or "", 0, 0, 0, 0))
        self.sink.put("pack", ("id", "ref", "title", "description", "entities", "links", "positions", "sources"),
                      rows)

    def sources(self, sources: list[Any]) -> None:
        self.touched_sources.update(s.id for s in sources if s.text is not None)
        super().sources(sources)

    def entities(self, rows: Iterable[Any]) -> None:
        ids, put, take = self.ids, self.sink.put, self._seq["entity"].take
        batch: list[tuple] = []
        size = 0

        def flush() -> None:
            put("entity", _ENTITY_COLUMNS, sorted(batch, key=lambda row: row[1]) if self.sort_new else batch)

        for e in rows:
            ids[e.ref] = n = take()
            batch.append((n, *e))
            self.counts["entities"] += 1
            size += len(e.summary) + len(e.attributes)
            if (len(batch) >= BATCH or size >= BATCH_TEXT) and not self.sort_new:  # sorted: all at once
                flush()
                batch, size = [], 0
        flush()

    def links(self, rows: Iterable[tuple]) -> list[int]:  # type: ignore[override]
        """Links as (source ref, relation, target ref, note, citations[, pack number]); their ids."""
        ids, put, take = self.ids, self.sink.put, self._seq["link"].take
        batch: list[tuple] = []
        cites: list[tuple[str, int, CiteIn]] = []
        given = []
        for subject, relation, target, note, cited, *pack in rows:
            n = take()
            given.append(n)
            batch.append((n, ids[subject], relation, ids[target], note, pack[0] if pack else None))
            for c in cited:
                cites.append(("link", n, c))
            if len(batch) >= BATCH:
                put("link", _LINK_COLUMNS, batch)
                self.citations(cites)
                batch, cites = [], []
        put("link", _LINK_COLUMNS, batch)
        self.citations(cites)
        self.counts["links"] += len(given)
        return given

    def notes(self, ref: str, text: str, cited: Iterable[CiteIn], pack_id: int | None = None) -> None:
        n = self._seq["note"].take()
        self.sink.put("note", ("id", "entity_id", "text", "pack_id"), [(n, self.ids[ref], text, pack_id)])
        self.citations(("note", n, c) for c in cited)

    def position(self, ref: str, actor: str, topic: str, about: str | None, stance: str, statement: str,
                 date: str | None, cited: Iterable[CiteIn], date_uncertain: bool = False,
                 pack_id: int | None = None) -> int:
        n = self._seq["position"].take()
        self.sink.put("position", _POSITION_COLUMNS, [self.position_row(n, ref, actor, topic, about, stance,
                                                                        statement, date, date_uncertain, pack_id)])
        self.counts["positions"] += 1
        self.citations(("position", n, c) for c in cited)
        return n

    def position_row(self, n: int, ref: str, actor: str, topic: str, about: str | None, stance: str,
                     statement: str, date: str | None, date_uncertain: bool, pack_id: int | None) -> tuple:
        ids = self.ids
        return (n, ref, ids[actor], topic, ids[about] if about else None, stance, statement, date,
                parse_date(date) if date else None, date_uncertain, pack_id)

    def citations(self, rows: Iterable[tuple[str, int | str, CiteIn]]) -> None:
        ids, put, take = self.ids, self.sink.put, self._seq["citation"].take
        batch: list[tuple] = []
        size = 0
        for subject, subject_id, (source, quote, pack_id) in rows:
            offset, line = self.place(source, quote)
            batch.append((take(), subject, ids[subject_id] if subject_id.__class__ is str else subject_id,
                          source, quote, offset, line, pack_id))
            self.counts["citations"] += 1
            size += len(quote)
            if len(batch) >= BATCH or size >= BATCH_TEXT:
                put("citation", _CITATION_COLUMNS, batch)
                batch, size = [], 0
        put("citation", _CITATION_COLUMNS, batch)

    def place(self, source: str, quote: str) -> tuple[int | None, int | None]:
        """Where `quote` sits in the text of `source`: (offset, line), or (None, None)."""
        text = self.texts.get(source, "")
        found = text.find(quote)
        if found < 0:
            return None, None
        newlines = self._newlines
        starts = newlines.get(source)
        if starts is None:
            if len(newlines) >= TEXTS_HELD:
                newlines.clear()
            starts = newlines[source] = list(accumulate(len(part) + 1 for part in text.split("\n")))[:-1]
        return found, bisect_right(starts, found) + 1

    # -- what a write does last ------------------------------------------------------------------

    def finish(self, entity_ids: list[int] | None, pack_ids: list[int] | None,
               removed: list[int] | None = None, rekeyed: list[int] | None = None) -> None:
        """Search, pane rows and pack counts of what was written (None: of everything), then meta.

        The search vectors and passages are this import's own rows and are made first, while
        other imports go on; then, under the publish lock, what is shared by every import
        (bucket counts, search words, meta), one import at a time, so that it cannot deadlock:
        the rows of `rekeyed` entities (whose sort keys changed) and `removed` ones taken out,
        those of `entity_ids` put in."""
        from .pane_rows import add_rows, remove_rows
        from .search_index import index_entities, index_sources, index_words

        conn = self.conn
        self.copies.flush()
        if entity_ids is None:
            index_entities(conn, "true")
        elif entity_ids:
            index_entities(conn, "e.id = ANY(%s)", (entity_ids,))
        index_sources(conn, sorted(self.touched_sources))
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, PUBLISH_KEY))
        if rekeyed:
            remove_rows(conn, "e.id = ANY(%s)", (list(rekeyed),))
        if removed:
            remove_rows(conn, "e.id = ANY(%s)", (list(removed),))
            delete_entities(conn, list(removed))
        if entity_ids is None:
            add_rows(conn, "true")
            index_words(conn, "true")
        elif entity_ids:
            add_rows(conn, "e.id = ANY(%s)", (entity_ids,))
            index_words(conn, "e.id = ANY(%s)", (entity_ids,))
        count_packs(conn, pack_ids)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conn.execute(
            """INSERT INTO meta (key, value) VALUES ('schema_version', %s), ('built_at', %s), ('build_id', %s)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value""",
            (str(SCHEMA_VERSION), now, self.build_id))
        conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, self.build_id))

    def meta(self, packs: list[dict]) -> None:
        """The packs, numbered from their sequence (meta's rows are written by `finish`)."""
        self.meta_packs(packs)


def delete_entities(conn: Any, ids: list[int]) -> None:
    """Delete entities whole: their pane rows are gone already; what they state, then their rows."""
    conn.execute("DELETE FROM citation WHERE subject = 'note' AND subject_id IN "
                 "(SELECT id FROM note WHERE entity_id = ANY(%s))", (ids,))
    conn.execute("DELETE FROM citation WHERE subject = 'entity' AND subject_id = ANY(%s)", (ids,))
    for table in ("note", "alias", "entity_pack"):
        conn.execute(f"DELETE FROM {table} WHERE entity_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM entity WHERE id = ANY(%s)", (ids,))


def count_packs(conn: Any, pack_ids: list[int] | None) -> None:
    """`db.schema.count_packs` for the packs `pack_ids` (None: every pack)."""
    where = "" if pack_ids is None else "WHERE pack.id = ANY(%(packs)s)"
    params = {} if pack_ids is None else {"packs": pack_ids}
    conn.execute(
        f"""UPDATE pack SET
               entities = (SELECT count(*) FROM entity WHERE pack_id = pack.id)
                          + (SELECT count(*) FROM entity_pack WHERE pack_id = pack.id),
               links = (SELECT count(*) FROM link WHERE pack_id = pack.id),
               positions = (SELECT count(*) FROM position WHERE pack_id = pack.id)
                           + (SELECT count(*) FROM position_pack WHERE pack_id = pack.id),
               sources = (SELECT count(*) FROM source WHERE pack_id = pack.id)
                         + (SELECT count(*) FROM source_pack WHERE pack_id = pack.id),
               latest = (SELECT max(date) FROM entity WHERE pack_id = pack.id AND type = 'event')
            {where}""", params)


def column_names(table: str) -> tuple[str, ...]:
    return names(table)
