"""Writes validated crisis packs into a new SQLite database, all or nothing.

The database is written to a temporary file beside the target and moved into place
only when complete, so a failed or killed build never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from .errors import DatabaseError
from .constants import SCHEMA_VERSION
from .pack import Pack, Source
from .schema import create_schema, reindex


def source_texts(sources: Iterable[Source]) -> dict[str, str]:
    """The text each source's quotes are checked against: its own, or that of its `via`."""
    by_id = {s.id: s for s in sources}
    texts: dict[str, str] = {}
    for source in by_id.values():
        holder = source if source.text is not None else by_id.get(source.via or "")
        if holder is not None and holder.text is not None:
            texts[source.id] = holder.text
    return texts


def build_database(packs: list[Pack], path: Path) -> dict[str, int]:
    """Build the database at `path` from validated packs; return row counts per table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        create_schema(str(tmp))
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN")
            counts = _write(conn, packs)
            reindex(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()
        os.replace(tmp, path)
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot write the database: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: building the database failed: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def _write(conn: sqlite3.Connection, packs: list[Pack]) -> dict[str, int]:
    sources = [s for p in packs for s in p.sources]
    texts = source_texts(sources)
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [
            ("schema_version", str(SCHEMA_VERSION)),
            ("packs", json.dumps([p.pack.model_dump() for p in packs if p.pack])),
            ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
        ],
    )
    conn.executemany(
        "INSERT INTO relation (name, label, inverse, description) VALUES (?, ?, ?, ?)",
        [(r.name, r.label, r.inverse, r.description) for p in packs for r in p.relations],
    )
    conn.executemany(
        "INSERT INTO source (id, title, publisher, date, address, text, via) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(s.id, s.title, s.publisher, s.date, s.address, s.text, s.via) for s in sources],
    )
    entities = [e for p in packs for e in p.entities]
    ids = {e.id: n for n, e in enumerate(entities, start=1)}
    conn.executemany(
        """INSERT INTO entity (id, ref, type, kind, name, summary, date, date_end, date_precision,
                               date_uncertain, date_note, attributes, pos)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)""",
        [
            (ids[e.id], e.id, e.type, e.kind, e.name, e.summary, e.date, e.date_end, e.date_precision,
             e.date_uncertain, e.date_note, json.dumps(e.attributes, ensure_ascii=False))
            for e in entities
        ],
    )
    conn.executemany(
        "INSERT INTO alias (entity_id, alias) VALUES (?, ?)",
        [(ids[e.id], alias) for e in entities for alias in e.aliases],
    )
    citations: list[tuple] = []

    def cite(subject: str, subject_id: int, cited) -> None:
        for c in cited:
            text = texts.get(c.source, "")
            offset = text.find(c.quote)
            line = text.count("\n", 0, offset) + 1 if offset >= 0 else None
            citations.append((subject, subject_id, c.source, c.quote, offset if offset >= 0 else None, line))

    note_id = 0
    for e in entities:
        cite("entity", ids[e.id], e.citations)
        for note in e.notes:
            note_id += 1
            conn.execute("INSERT INTO note (id, entity_id, text) VALUES (?, ?, ?)", (note_id, ids[e.id], note.text))
            cite("note", note_id, note.citations)
    links = [link for p in packs for link in p.links]
    conn.executemany(
        "INSERT INTO link (id, subject_id, relation, object_id, note) VALUES (?, ?, ?, ?, ?)",
        [(n, ids[k.source], k.relation, ids[k.target], k.note) for n, k in enumerate(links, start=1)],
    )
    for n, k in enumerate(links, start=1):
        cite("link", n, k.citations)
    positions = [q for p in packs for q in p.positions]
    conn.executemany(
        """INSERT INTO position (id, ref, actor_id, topic, topic_id, stance, statement, date, date_precision)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (n, q.id, ids[q.actor], q.topic, ids[q.about] if q.about else None, q.stance, q.statement,
             q.date, _precision(q.date))
            for n, q in enumerate(positions, start=1)
        ],
    )
    for n, q in enumerate(positions, start=1):
        cite("position", n, q.citations)
    conn.executemany(
        "INSERT INTO citation (subject, subject_id, source_id, quote, offset, line) VALUES (?, ?, ?, ?, ?, ?)",
        citations,
    )
    return {
        "sources": len(sources),
        "entities": len(entities),
        "links": len(links),
        "positions": len(positions),
        "citations": len(citations),
    }


def _precision(date: str | None) -> str | None:
    from .pack import parse_date

    return parse_date(date) if date else None
