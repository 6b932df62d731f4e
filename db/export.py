"""Writes the database back out as one pack document: the format pack files and `import` use."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from .constants import PACK_FORMAT_VERSION
from .errors import DatabaseError


def _citations(conn: sqlite3.Connection) -> dict[tuple[str, int], list[dict[str, str]]]:
    cited: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for subject, subject_id, source, quote in conn.execute(
        "SELECT subject, subject_id, source_id, quote FROM citation ORDER BY subject, subject_id, id"  # stored order
    ):
        cited[(subject, subject_id)].append({"source": source, "quote": quote})
    return cited


def _drop_empty(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v not in (None, [], {}, "") or k in ("citations",)}


def _json(text: str | None, what: str, kind: type) -> Any:
    try:
        value = json.loads(text) if text else kind()
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise DatabaseError(f"{what} is not valid JSON {'object' if kind is dict else 'list'}: {text!r:.60}")
    return value


class _Refs(dict):
    """Entity ids to refs; an id with no entity (a database written by another tool) is an error."""

    def __missing__(self, key: int) -> str:
        raise DatabaseError(f"a record refers to entity id {key!r}, which is not in the database")


def export_document(conn: sqlite3.Connection, path: Path | str | None = None) -> dict[str, Any]:
    """The whole knowledge base, in the pack format (docs/pack-format.md).

    Content no pack could hold (attributes that are not JSON, a link to a missing entity)
    is a DatabaseError, prefixed with `path` when given.
    """
    try:
        return _document(conn)
    except DatabaseError as exc:
        raise DatabaseError(f"{path}: {exc}" if path else str(exc)) from None


def _document(conn: sqlite3.Connection) -> dict[str, Any]:
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    packs = _json(meta.get("packs"), "meta 'packs'", list)
    cited = _citations(conn)
    refs = _Refs(conn.execute("SELECT id, ref FROM entity"))
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
            "attributes": _json(attrs, f"entity {ref}: field 'attributes'", dict), "notes": notes[eid], "citations": cited[("entity", eid)],
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


def write_file(path: Path, text: str) -> None:
    """Write `text` to the file `path` whole or not at all, through a new file beside it.

    What is at `path` is replaced only if it is a regular file: a symlink, a FIFO or a
    device is refused, and the new file is made with O_EXCL under a name of its own, so a
    symlink planted beside it is never followed.
    """
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot write: {exc.strerror or exc}") from None
    if found is not None and stat.S_ISLNK(found.st_mode):
        raise DatabaseError(f"{path}: is a symlink; refusing to replace it")
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise DatabaseError(f"{path}: is not a regular file; refusing to replace it")
    if found is not None:
        mode = stat.S_IMODE(found.st_mode)
    else:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # O_EXCL, O_NOFOLLOW
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fchmod(out.fileno(), mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise DatabaseError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
