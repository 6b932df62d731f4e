"""Writes the database back out as one pack document: the format pack files and `import` use."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from typing import Any

from .constants import PACK_FORMAT_VERSION


def _citations(conn: sqlite3.Connection) -> dict[tuple[str, int], list[dict[str, str]]]:
    cited: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for subject, subject_id, source, quote in conn.execute(
        "SELECT subject, subject_id, source_id, quote FROM citation ORDER BY subject, subject_id, id"  # stored order
    ):
        cited[(subject, subject_id)].append({"source": source, "quote": quote})
    return cited


def _drop_empty(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, [], {}, "") or k in ("citations",)}


def export_document(conn: sqlite3.Connection) -> dict[str, Any]:
    """The whole knowledge base, in the pack format (docs/pack-format.md)."""
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    packs = json.loads(meta.get("packs", "[]"))
    cited = _citations(conn)
    refs = dict(conn.execute("SELECT id, ref FROM entity"))
    aliases: dict[int, list[str]] = defaultdict(list)
    for entity_id, alias in conn.execute("SELECT entity_id, alias FROM alias ORDER BY id"):
        aliases[entity_id].append(alias)
    notes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for note_id, entity_id, text in conn.execute("SELECT id, entity_id, text FROM note ORDER BY id"):
        notes[entity_id].append({"text": text, "citations": cited[("note", note_id)]})
    entities = []
    for row in conn.execute(
        """SELECT id, ref, type, kind, name, summary, date, date_end, date_precision,
                  date_uncertain, date_note, attributes FROM entity ORDER BY id"""
    ):
        (eid, ref, etype, kind, name, summary, date, date_end, precision, uncertain, date_note, attrs) = row
        record = {
            "id": ref, "type": etype, "kind": kind, "name": name, "aliases": aliases[eid],
            "date": date, "date_end": date_end, "date_precision": precision,
            "date_uncertain": bool(uncertain) or None, "date_note": date_note, "summary": summary,
            "attributes": json.loads(attrs or "{}"), "notes": notes[eid], "citations": cited[("entity", eid)],
        }
        entities.append(_drop_empty(record))
    links = [
        _drop_empty({"source": refs[s], "relation": rel, "target": refs[o], "note": note,
                     "citations": cited[("link", lid)]})
        for lid, s, rel, o, note in conn.execute(
            "SELECT id, subject_id, relation, object_id, note FROM link ORDER BY id")
    ]
    positions = [
        _drop_empty({"id": ref, "actor": refs[actor], "topic": topic,
                     "about": refs[about] if about is not None else None, "stance": stance,
                     "statement": statement, "date": date, "citations": cited[("position", pid)]})
        for pid, ref, actor, topic, about, stance, statement, date in conn.execute(
            "SELECT id, ref, actor_id, topic, topic_id, stance, statement, date FROM position ORDER BY id")
    ]
    relations = [
        {"name": n, "label": lab, "inverse": inv, "description": d}
        for n, lab, inv, d in conn.execute("SELECT name, label, inverse, description FROM relation ORDER BY rowid")
    ]
    sources = [
        _drop_empty({"id": i, "title": t, "publisher": p, "date": d, "address": a, "text": x, "via": v})
        for i, t, p, d, a, x, v in conn.execute(
            "SELECT id, title, publisher, date, address, text, via FROM source ORDER BY rowid")
    ]
    document: dict[str, Any] = {"schema_version": PACK_FORMAT_VERSION}
    if len(packs) == 1:
        document["pack"] = packs[0]
    document.update(relations=relations, sources=sources, entities=entities, links=links, positions=positions)
    return document
