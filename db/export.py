"""Writes the database back out as one pack document: the format pack files and `import` use.

Relations, sources and entities are read by the names of their columns (db/tables.py), of
those the database's tables have: a database of an older schema, which lacks a newer
column, exports too (`crisis-tui upgrade` rebuilds from its export).
"""

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
from .pack import ENTITY_PACK_NAMES, Entity
from .tables import TABLES, names


def _citations(conn: sqlite3.Connection) -> dict[tuple[str, int], list[dict[str, str]]]:
    cited: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    for subject, subject_id, source, quote in conn.execute(
        "SELECT subject, subject_id, source_id, quote FROM citation ORDER BY subject, subject_id, id"  # stored order
    ):
        cited[(subject, subject_id)].append({"source": source, "quote": quote})
    return cited


def _drop_empty(record: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """`record` without empty values and values equal to their field's default (`defaults`)."""
    defaults = defaults or {}
    return {k: v for k, v in record.items()
            if k == "citations" or (v not in (None, [], {}, "") and not (k in defaults and v == defaults[k]))}


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The columns of `table` (db/tables.py) that the database's table has, in table order."""
    present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return [name for name in names(table) if name in present]


def _select(conn: sqlite3.Connection, table: str, columns: list[str]) -> sqlite3.Cursor:
    listed = ", ".join('"' + c + '"' for c in columns)
    return conn.execute(f"SELECT {listed} FROM {table} ORDER BY rowid")


def _json(text: str | None, what: str, kind: type) -> Any:
    try:
        value = json.loads(text) if text else kind()
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise DatabaseError(f"{what} is not valid JSON {'object' if kind is dict else 'list'}: {text!r:.60}")
    return value


def _entities(conn: sqlite3.Connection, aliases: dict[int, list[str]], notes: dict[int, list[dict[str, Any]]],
              cited: dict[tuple[str, int], list[dict[str, str]]]) -> list[dict[str, Any]]:
    """Every entity as a pack record: its columns under their pack names, then what a pack adds."""
    columns = [c for c in _columns(conn, "entity") if c != "id"]
    keys = [ENTITY_PACK_NAMES.get(c, c) for c in columns]  # in the order of the pack's fields
    flags = [ENTITY_PACK_NAMES.get(c.name, c.name) for c in TABLES["entity"] if c.type is bool and c.name in columns]
    defaults = {name: field.get_default(call_default_factory=True)
                for name, field in Entity.model_fields.items() if not field.is_required()}
    entities = []
    for eid, *values in _select(conn, "entity", ["id", *columns]):
        record = dict(zip(keys, values, strict=True))
        for key in flags:  # SQLite gives booleans as 0 and 1
            record[key] = bool(record[key])
        record["attributes"] = _json(record.get("attributes"), f"entity {record['id']}: field 'attributes'", dict)
        record.update(aliases=aliases[eid], notes=notes[eid], citations=cited[("entity", eid)])
        entities.append(_drop_empty(record, defaults))
    return entities


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
    entities = _entities(conn, aliases, notes, cited)
    links = [
        _drop_empty({"source": refs[s], "relation": rel, "target": refs[o], "note": note,
                     "citations": cited[("link", lid)]})
        for lid, s, rel, o, note in conn.execute(
            "SELECT id, subject_id, relation, object_id, note FROM link ORDER BY id")
    ]
    positions = [
        _drop_empty({"id": ref, "actor": refs[actor], "topic": topic,
                     "about": refs[about] if about is not None else None, "stance": stance,
                     "statement": statement, "date": date, "date_uncertain": bool(uncertain),
                     "citations": cited[("position", pid)]})
        for pid, ref, actor, topic, about, stance, statement, date, uncertain in conn.execute(
            "SELECT id, ref, actor_id, topic, topic_id, stance, statement, date, "
            + ("date_uncertain" if "date_uncertain" in _columns(conn, "position") else "0")  # before schema 5
            + " FROM position ORDER BY id")
    ]
    columns = _columns(conn, "relation")
    relations = [dict(zip(columns, row, strict=True)) for row in _select(conn, "relation", columns)]
    for relation in relations:  # JSON lists in their columns (schema 5 on)
        for key in ("source_types", "target_types"):
            if key in relation:
                relation[key] = _json(relation[key], f"relation {relation['name']}: field '{key}'", list)
                if not relation[key]:
                    del relation[key]
    columns = _columns(conn, "source")
    sources = [_drop_empty(dict(zip(columns, row, strict=True))) for row in _select(conn, "source", columns)]
    document: dict[str, Any] = {"schema_version": PACK_FORMAT_VERSION}
    if len(packs) == 1:
        document["pack"] = packs[0]
        if "pack" in _columns(conn, "entity"):  # an older database has no such column: an upgrade fills it
            for entity in entities:
                entity.setdefault("pack", None)  # of no pack (an import without one): not the header's
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
