"""Stages an import in a scratch SQLite file: every record, the database's and the files', a row.

Each record is validated as it is read and stored as its canonical body (`seed.records`) with
its key, its pack and where it came from; nothing of a pack stays in memory. The merge rules of
`seed.importer` are then a few queries over the rows (a record the import gives twice, what it
adds, changes, restates or no longer states), and the merged records are read back one at a
time, in order, to be checked and written. Memory grows with the ids the checks look up, not
with the size of the pack.

The file is `.NAME.PID.stage.tmp` beside the database, held locked while it exists and removed
when the import ends; a killed import's is removed by the next writer (`db.writers`).
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..db.writers import all_files, claim_temporary, stage_path
from . import records

SECTION_NO = {"relations": 0, "sources": 1, "entities": 2, "links": 3, "positions": 4}
SECTION_OF = {n: section for section, n in SECTION_NO.items()}
PER_PACK = (0, 2, 3)  # relations, entities, links: each pack states them its own way

# What became of a staged record (`status`).
KEPT = 0  # a database record no import row touched
ADDED, CHANGED, SKIPPED, NO_PACK, CONFLICT = 1, 2, 3, 4, 5  # an imported record
REPLACED, REMOVED, UNSTATED, STATED, ALIKE = 6, 7, 8, 9, 10  # a database record (ALIKE: either)
KEEP = (KEPT, ADDED, CHANGED, CONFLICT, UNSTATED, STATED)  # in the merged content
DATABASE = "database"  # where a record already in the database comes from, in a problem's place

_SCHEMA = """
CREATE TABLE rec (
    seq INTEGER PRIMARY KEY,      -- the order records came in: the database's, then each file's
    section INTEGER NOT NULL,     -- SECTION_NO
    name TEXT NOT NULL,           -- the record's key: an id, a relation's name, a link's ends
    pack TEXT NOT NULL,           -- the pack stating it; '' for none
    named INTEGER NOT NULL,       -- whether it names its pack (else its document's header does)
    doc INTEGER NOT NULL,         -- which document (-1: the database)
    file INTEGER,                 -- Stage.files
    line INTEGER,
    from_db INTEGER NOT NULL,
    place INTEGER NOT NULL,       -- where it goes in the merged order
    digest BLOB NOT NULL,
    a TEXT, b TEXT, kind TEXT,    -- a link's or a position's ends; an entity's kind
    status INTEGER,
    partner INTEGER,              -- the database record an imported one restates
    owner INTEGER                 -- 1: an entity's first statement (its row)
);
-- What each record says (apart, so that the merge's updates of `rec` rewrite small rows).
CREATE TABLE body (seq INTEGER PRIMARY KEY, body BLOB NOT NULL);
"""
_BATCH = 5000  # rows staged at a time
_BATCH_BYTES = 8_000_000  # or fewer, of this many bytes of records
SOURCES_HELD = 64 * 1024**2  # characters of sources held decoded while the merged records are checked and written


class Stage:
    """The scratch file of one import into the database at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = stage_path(path)
        self.fd = claim_temporary(self.path)
        conn = None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -32768", "temp_store = FILE"):
                conn.execute(f"PRAGMA {pragma}")
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
        except BaseException:  # Ctrl-C as it starts, too: nothing is left behind
            if conn is not None:
                conn.close()
            self._remove()
            raise
        self.conn = conn
        self.files: list[str] = []
        self._rows: list[tuple] = []
        self._bodies: list[tuple[int, bytes]] = []
        self._size = 0
        self._seq = 0
        self.first_relation: dict[str, Any] = {}  # each relation's first wording, as staged
        self._held: OrderedDict[str, Any] = OrderedDict()  # the sources last asked for, by id
        self._held_size = 0

    def close(self) -> None:
        """Close and remove the file."""
        try:
            self.conn.close()
        finally:
            self._remove()

    def _remove(self) -> None:
        for leftover in all_files(self.path):
            try:
                leftover.unlink(missing_ok=True)
            except OSError:
                pass
        os.close(self.fd)

    def number_from(self, seq: int) -> None:
        """Number the records staged from now on after `seq`: an import into PostgreSQL stages
        its files before the database's content (it must know which packs to lock first), and
        numbers them after any the database can hold, so that the merge sees the database's
        records first, as it does when they are staged first."""
        self.flush()
        self._seq = seq

    def file_no(self, name: str) -> int:
        self.files.append(name)
        return len(self.files) - 1

    def add(self, section: str, record: Any, named: bool, doc: int, file: int | None, line: int | None) -> None:
        """Stage one validated record (of the database where `doc` is -1)."""
        n = SECTION_NO[section]
        a = b = kind = None
        if n == 0:
            first = self.first_relation.get(record.name)
            if first is None:
                self.first_relation[record.name] = record
            elif doc >= 0:  # what a wording leaves out, it means as the first has it
                kept = {name: getattr(first, name) for name in ("description", "source_types", "target_types")
                        if not getattr(record, name)}
                if kept:
                    record = records.replace(record, **kept)
            key = record.name
        elif n == 3:
            key, a, b = f"{record.source}\x1f{record.relation}\x1f{record.target}", record.source, record.target
        elif n == 4:
            key, a, b = record.id, record.actor, record.about
        else:
            key = record.id
            if n == 2:
                kind = record.kind
        self._seq += 1
        text = records.body(record)
        self._rows.append((self._seq, n, key, record.pack or "", int(named), doc, file, line, int(doc < 0),
                           self._seq, records.digest(record), a, b, kind, KEPT if doc < 0 else None))
        self._bodies.append((self._seq, text))
        self._size += len(text)
        if len(self._rows) >= _BATCH or self._size >= _BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany("INSERT INTO rec (seq, section, name, pack, named, doc, file, line, from_db, place, "
                              "digest, a, b, kind, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", self._rows)
        self.conn.executemany("INSERT INTO body (seq, body) VALUES (?, ?)", self._bodies)
        self._rows, self._bodies, self._size = [], [], 0

    def name_packs(self, doc: int, pack: str) -> None:
        """Give the records of document `doc` that name no pack the document's own."""
        self.flush()
        self.conn.execute("UPDATE rec SET pack = ? WHERE doc = ? AND named = 0", (pack, doc))

    def undeclared(self, doc: int, declared: set[str], limit: int) -> list[tuple[int, str, str]]:
        """Records of `doc` naming a pack the document does not give: (seq, section, pack)."""
        marks = ",".join("?" * len(declared))
        rows = self.conn.execute(f"SELECT seq, section, pack FROM rec WHERE doc = ? AND pack != '' "
                                 f"AND pack NOT IN ({marks}) ORDER BY section, seq LIMIT ?",
                                 (doc, *sorted(declared), limit)).fetchall()
        return [(seq, SECTION_OF[section], pack) for seq, section, pack in rows]

    def index(self) -> None:
        """Index the staged rows by key, once all are in."""
        self.flush()
        self.conn.execute("CREATE INDEX rec_key ON rec (section, name, seq)")

    # -- reading rows back ------------------------------------------------------------------------

    def where(self, seq: int) -> str:
        """Where the staged record `seq` came from: file and line, or the database (a database
        record the import restates as it is comes from where the import restates it)."""
        file, line, status = self.conn.execute("SELECT file, line, status FROM rec WHERE seq = ?", (seq,)).fetchone()
        if status == STATED:
            file, line = self.conn.execute(f"SELECT file, line FROM rec WHERE partner = ? AND status = {SKIPPED} "
                                           "ORDER BY seq LIMIT 1", (seq,)).fetchone()
        if file is None:
            return DATABASE
        return f"{self.files[file]}:{line}" if line else self.files[file]

    def body(self, seq: int) -> dict[str, Any]:
        (body,) = self.conn.execute("SELECT body FROM body WHERE seq = ?", (seq,)).fetchone()
        return records.as_dict(body)

    def merged(self, section: str, where: str = "") -> Iterator[tuple[int, Any]]:
        """The merged records of `section` in order, as (seq, record) (`where`: a further condition),
        on a connection of their own (so that other queries may run while they are read)."""
        keep = ",".join(str(s) for s in KEEP)
        decode = records.decode
        for seq, body, pack in self._read(f"SELECT seq, body, pack FROM rec JOIN body USING (seq) WHERE section = ? "
                                          f"AND status IN ({keep}) {where} ORDER BY place", (SECTION_NO[section],)):
            yield seq, decode(section, body, pack or None)

    def further_statements(self) -> Iterator[tuple[int, Any, Any]]:
        """Each merged entity statement but the first of its entity, as (seq, it, the first)."""
        keep = ",".join(str(s) for s in KEEP)
        decode = records.decode
        for seq, body, pack, owner_body, owner_pack in self._read(
                f"SELECT f.seq, fb.body, f.pack, ob.body, o.pack FROM rec f JOIN rec o ON o.section = 2 "
                f"AND o.name = f.name AND o.owner = 1 JOIN body fb ON fb.seq = f.seq JOIN body ob ON ob.seq = o.seq "
                f"WHERE f.section = 2 AND f.status IN ({keep}) AND f.owner IS NULL ORDER BY f.place"):
            yield seq, decode("entities", body, pack or None), decode("entities", owner_body, owner_pack or None)

    def _read(self, sql: str, parameters: tuple = ()) -> Iterator[tuple]:
        conn = sqlite3.connect(self.path, check_same_thread=False)
        try:
            conn.execute("PRAGMA cache_size = -16384")
            yield from conn.execute(sql, parameters)
        finally:
            conn.close()

    def count(self, section: str) -> int:
        keep = ",".join(str(s) for s in KEEP)
        (n,) = self.conn.execute(f"SELECT count(*) FROM rec WHERE section = ? AND status IN ({keep})",
                                 (SECTION_NO[section],)).fetchone()
        return int(n)

    def merged_sources(self) -> None:
        """Put each merged source (its first statement) where `source` finds it in one probe."""
        keep = ",".join(str(s) for s in KEEP)
        self.conn.execute("CREATE TABLE source (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID")
        self.conn.execute(f"""
            INSERT INTO source (name, seq)
            SELECT name, seq FROM (
                SELECT name, seq, row_number() OVER (PARTITION BY name ORDER BY place) AS n
                FROM rec INDEXED BY rec_key WHERE section = 1 AND status IN ({keep}))
            WHERE n = 1""")

    def source(self, source_id: str) -> Any | None:
        """The merged source `source_id` (its first statement), or None; the last asked for,
        up to SOURCES_HELD characters of them, are held (a record's checks and its writing
        a batch later ask for the same)."""
        held = self._held
        if source_id in held:
            held.move_to_end(source_id)
            return held[source_id]
        source = held[source_id] = self._source(source_id)
        self._held_size += _size(source)
        while self._held_size > SOURCES_HELD and len(held) > 1:
            _, dropped = held.popitem(last=False)
            self._held_size -= _size(dropped)
        return source

    def _source(self, source_id: str) -> Any | None:
        """The merged source `source_id` (its first statement), or None."""
        row = self.conn.execute("SELECT body, pack FROM source JOIN rec USING (seq) JOIN body USING (seq) "
                                "WHERE source.name = ?", (source_id,)).fetchone()
        return records.decode("sources", row[0], row[1] or None) if row else None

    def text(self, source_id: str, default: str = "") -> str:
        """The text quotes of source `source_id` are placed in: its own, or its `via`'s."""
        source = self.source(source_id)
        if source is None:
            return default
        if source.text is None and source.via:
            source = self.source(source.via)
        return source.text if source is not None and source.text is not None else default

    def entity_ids(self) -> set[str]:
        keep = ",".join(str(s) for s in KEEP)
        return {name for (name,) in self.conn.execute(
            f"SELECT DISTINCT name FROM rec WHERE section = 2 AND status IN ({keep})")}

    def kinds(self) -> Callable[[str, str | None], str | None]:
        """The kind of an entity as the pack of a link sees it: that pack's statement's, else the first's."""
        keep = ",".join(str(s) for s in KEEP)
        first: dict[str, str | None] = {}
        by_pack: dict[tuple[str, str | None], str | None] = {}
        for name, pack, kind, owner in self.conn.execute(
                f"SELECT name, pack, kind, owner FROM rec WHERE section = 2 AND status IN ({keep}) "
                "AND (kind IS NOT NULL OR owner IS NULL)"):
            if owner:
                first[name] = kind
            else:
                by_pack[(name, pack or None)] = kind

        def kind_of(ref: str, pack: str | None) -> str | None:
            return by_pack[(ref, pack)] if (ref, pack) in by_pack else first.get(ref)

        return kind_of


def _size(source: Any) -> int:
    return 100 + len(source.text or "") if source is not None else 100


class StagedTexts:
    """Source texts a build places quotes in, looked up in the stage (`db.build.Texts`)."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage

    def get(self, key: str, default: str, /) -> str:
        return self.stage.text(key, default)

    def update(self, texts: dict[str, str], /) -> None:
        """Nothing to add: the stage holds every source."""
