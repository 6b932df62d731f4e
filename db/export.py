"""Writes the database back out as one pack document: the format pack files and `import` use.

Relations, sources and entities are read by the names of their columns (db/tables.py), of
those the database's tables have: a database of an older schema, which lacks a newer
column, exports too (`crisis-tui upgrade` rebuilds from its export). The statements are
shared SQL: on PostgreSQL they run through the query layer's `db.pg.readers.Connection`, and
a database exports the same document on either engine.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .constants import PACK_FORMAT_VERSION
from .errors import DatabaseError
from .pack import PACK_NAMES, Entity
from .tables import TABLES, names

Readable = Any  # a sqlite3 connection, or the query layer's PostgreSQL one (db.pg.readers.Connection)
_NO_PACK = object()  # a table of an older schema names no pack: the record's pack is not known


def _citations(conn: Readable, packs: dict[int, str], subject: str) -> Iterator[tuple[int, tuple]]:
    """The citations of one kind of subject, in stored order (by subject id): (subject id,
    (the citing pack's id, or _NO_PACK, the citation))."""
    pack = "pack_id" if "pack_id" in _columns(conn, "citation") else "NULL"
    for subject_id, source, quote, pack_id in conn.execute(
            f"SELECT subject_id, source_id, quote, {pack} FROM citation WHERE subject = ? ORDER BY subject_id, id",
            (subject,)):
        yield subject_id, (packs.get(pack_id) if pack != "NULL" else _NO_PACK, {"source": source, "quote": quote})


class _Grouped:
    """Rows `(key, value)` in ascending key order, taken a key at a time by a reader going
    through the keys in the same order (a merge join: nothing is held but the next row)."""

    def __init__(self, rows: Iterable[tuple[Any, Any]]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, key: Any) -> list[Any]:
        """The values of `key` (those of smaller keys, which no reader asked for, are passed over)."""
        found = []
        while self._next is not None and self._next[0] <= key:
            if self._next[0] == key:
                found.append(self._next[1])
            self._next = next(self._rows, None)
        return found


def _of(items: list[tuple[Any, Any]], pack: Any, owner: bool) -> list[Any]:
    """The items `pack` states (all of them, for the owner, where packs are not known)."""
    return [item for of, item in items if of == pack or (owner and of is _NO_PACK)]


def _drop_empty(record: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """`record` without empty values and values equal to their field's default (`defaults`)."""
    defaults = defaults or {}
    return {k: v for k, v in record.items()
            if k in ("citations", "pack") or (v not in (None, [], {}, "") and not (k in defaults and v == defaults[k]))}


def present_columns(conn: Any, table: str) -> set[str]:
    """The names of the columns the database's `table` has (none if it has no such table), on
    SQLite (a sqlite3 connection) or PostgreSQL (the query layer's `db.pg.readers.Connection`)."""
    if isinstance(conn, sqlite3.Connection):
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return {row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ?", (table,))}


def _columns(conn: Any, table: str) -> list[str]:
    """The columns of `table` (db/tables.py) that the database's table has, in table order."""
    present = present_columns(conn, table)
    return [name for name in names(table) if name in present]


# The order rows were written in, of the tables an export lists in that order: SQLite's rowid;
# on PostgreSQL the entity's id, and the `seq` column a relation and a source have there
# (db/pg/ddl.py): an import updates a changed row in place, which keeps its place.
_PG_ORDER = {"entity": "id", "relation": "seq", "source": "seq"}


def _order(conn: Any, table: str) -> str:
    return "rowid" if isinstance(conn, sqlite3.Connection) else _PG_ORDER[table]


def _select(conn: Any, table: str, columns: list[str]) -> Any:
    listed = ", ".join('"' + c + '"' for c in columns)
    return conn.execute(f"SELECT {listed} FROM {table} ORDER BY {_order(conn, table)}")


def _json(text: str | None, what: str, kind: type) -> Any:
    try:
        value = json.loads(text) if text else kind()
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise DatabaseError(f"{what} is not valid JSON {'object' if kind is dict else 'list'}: {text!r:.60}")
    return value


def _entities(conn: Readable, packs: dict[int, str]) -> Iterator[dict[str, Any]]:
    """Every entity as pack records: its first pack's statement (its columns under their pack names,
    then what a pack adds), then each further pack's (entity_pack), with that pack's own fields."""
    columns = [c for c in _columns(conn, "entity") if c != "id"]
    if "pack_id" not in columns and "pack" in present_columns(conn, "entity"):
        columns.append("pack")  # schema 4 and 5: the pack's id as text
    keys = [PACK_NAMES.get(c, c) for c in columns]  # in the order of the pack's fields
    flags = [PACK_NAMES.get(c.name, c.name) for c in TABLES["entity"] if c.type is bool and c.name in columns]
    defaults = {name: field.get_default(call_default_factory=True)
                for name, field in Entity.model_fields.items() if not field.is_required()}
    further = _Grouped(())
    if _has_table(conn, "entity_pack"):
        further = _Grouped((entity_id, (packs.get(pack_id), fields)) for entity_id, pack_id, fields in conn.execute(
            "SELECT entity_id, pack_id, fields FROM entity_pack ORDER BY entity_id, pack_id"))
    column = "pack_id" if "pack_id" in _columns(conn, "alias") else "NULL"
    aliases = _Grouped((entity_id, (packs.get(pack_id) if column != "NULL" else _NO_PACK, alias))
                       for entity_id, alias, pack_id in conn.execute(
                           f"SELECT entity_id, alias, {column} FROM alias ORDER BY entity_id, id"))
    noted: dict[int, list] = defaultdict(list)  # notes are few: their citations are held
    for note_id, citation in _citations(conn, packs, "note"):
        noted[note_id].append(citation)
    column = "pack_id" if "pack_id" in _columns(conn, "note") else "NULL"
    notes = _Grouped((entity_id, (packs.get(pack_id) if column != "NULL" else _NO_PACK,
                                  {"text": text, "citations": [c for _, c in noted.get(note_id, ())]}))
                     for note_id, entity_id, text, pack_id in conn.execute(
                         f"SELECT id, entity_id, text, {column} FROM note ORDER BY entity_id, id"))
    cited = _Grouped(_citations(conn, packs, "entity"))
    for eid, *values in _select(conn, "entity", ["id", *columns]):
        record = dict(zip(keys, values, strict=True))
        for key in flags:  # SQLite gives booleans as 0 and 1
            record[key] = bool(record[key])
        record["attributes"] = _json(record.get("attributes"), f"entity {record['id']}: field 'attributes'", dict)
        if "pack_id" in columns:
            record["pack"] = packs.get(record["pack"])
        owner = record.get("pack", _NO_PACK)
        statements = [(owner, record)]
        for pack, fields in further.take(eid):
            theirs = {**record, "pack": pack}
            theirs.update(_json(fields, f"entity {record['id']}: the fields of pack {pack}", dict) if fields else {})
            statements.append((pack, theirs))
        its_aliases, its_notes, its_citations = aliases.take(eid), notes.take(eid), cited.take(eid)
        for n, (pack, statement) in enumerate(statements):
            statement.update(aliases=_of(its_aliases, pack, n == 0), notes=_of(its_notes, pack, n == 0),
                             citations=_of(its_citations, pack, n == 0))
            yield _drop_empty(statement, defaults)


class _Refs(dict):
    """Entity ids to refs; an id with no entity (a database written by another tool) is an error."""

    def __missing__(self, key: int) -> str:
        raise DatabaseError(f"a record refers to entity id {key!r}, which is not in the database")


def export_document(conn: Readable, path: Path | str | None = None,
                    pack: str | None = None) -> dict[str, Any]:
    """The whole knowledge base, in the pack format (docs/pack-format.md); with `pack`, what that
    pack states, with the records of other packs it refers to.

    Content no pack could hold (attributes that are not JSON, a link to a missing entity)
    is a DatabaseError, prefixed with `path` when given.
    """
    try:
        document = _document(conn)
        return document if pack is None else one_pack(document, pack)
    except DatabaseError as exc:
        raise DatabaseError(f"{path}: {exc}" if path else str(exc)) from None


def _has_table(conn: Any, table: str) -> bool:
    return bool(present_columns(conn, table))


def _pack_infos(conn: Readable) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """The packs the database holds, in order, and their ids by number (an older schema listed them in meta)."""
    if _has_table(conn, "pack"):
        rows = conn.execute("SELECT id, ref, title, description FROM pack ORDER BY id").fetchall()
        infos = [_drop_empty({"id": ref, "title": title, "description": description})
                 for _, ref, title, description in rows]
        return infos, {n: ref for n, ref, _, _ in rows}
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    return _json(meta.get("packs"), "meta 'packs'", list), {}


def _with_pack(record: dict[str, Any], pack_id: Any, packs: dict[int, str], known: bool) -> dict[str, Any]:
    if known:
        record["pack"] = packs.get(pack_id)
    return record


def iter_document(conn: Readable) -> tuple[dict[str, Any], Iterator[tuple[str, dict[str, Any]]]]:
    """The whole knowledge base in the pack format as its header (`schema_version`, `pack` or
    `packs`) and its records, `(section, record)`, read as they are taken (a database of any size
    in flat memory, but for its entity ids)."""
    infos, packs = _pack_infos(conn)
    header: dict[str, Any] = {"schema_version": PACK_FORMAT_VERSION}
    if len(infos) == 1:
        header["pack"] = infos[0]
    elif infos:
        header["packs"] = infos
    one = infos[0]["id"] if len(infos) == 1 else None

    def records() -> Iterator[tuple[str, dict[str, Any]]]:
        for section, rows in (("relations", _relations(conn, packs)), ("sources", _sources(conn, packs)),
                              ("entities", _entities(conn, packs)), ("links", _links(conn, packs)),
                              ("positions", _positions(conn, packs))):
            for record in rows:
                yield section, _named(record, one)

    return header, records()


def _document(conn: Readable) -> dict[str, Any]:
    header, records = iter_document(conn)
    document: dict[str, Any] = {**header, **{section: [] for section in SECTIONS}}
    for section, record in records:
        document[section].append(record)
    return document


def _packed(conn: Readable, table: str) -> tuple[str, bool]:
    """The select expression of a table's pack column, and whether the table has one."""
    known = "pack_id" in _columns(conn, table)
    return ("pack_id" if known else "NULL"), known


def _relations(conn: Readable, packs: dict[int, str]) -> Iterator[dict[str, Any]]:
    for record in _rows(conn, "relation"):
        yield _relation(record, packs)
    if _has_table(conn, "relation_wording"):
        for record in _rows(conn, "relation_wording", "name, pack_id"):
            yield _relation(record, packs)


def _sources(conn: Readable, packs: dict[int, str]) -> Iterator[dict[str, Any]]:
    also = _given_alike(conn, "source_pack", "source_id", packs)
    for record in _rows(conn, "source"):
        if "pack_id" in record:
            record["pack"] = packs.get(record.pop("pack_id"))
        record = _drop_empty(record)
        yield record
        for pack in also.get(record["id"], ()):
            yield {**record, "pack": pack}


def _links(conn: Readable, packs: dict[int, str]) -> Iterator[dict[str, Any]]:
    refs = _Refs(conn.execute("SELECT id, ref FROM entity"))
    column, known = _packed(conn, "link")
    cited = _Grouped(_citations(conn, packs, "link"))
    for lid, s, rel, o, note, pack_id in conn.execute(
            f"SELECT id, subject_id, relation, object_id, note, {column} FROM link ORDER BY id"):
        yield _drop_empty(_with_pack({"source": refs[s], "relation": rel, "target": refs[o], "note": note}, pack_id,
                                     packs, known) | {"citations": [c for _, c in cited.take(lid)]})


def _positions(conn: Readable, packs: dict[int, str]) -> Iterator[dict[str, Any]]:
    refs = _Refs(conn.execute("SELECT id, ref FROM entity WHERE id IN (SELECT actor_id FROM position "
                              "UNION SELECT topic_id FROM position)"))
    column, known = _packed(conn, "position")
    alike = _given_alike(conn, "position_pack", "position_id", packs)
    cited = _Grouped(_citations(conn, packs, "position"))
    for pid, ref, actor, topic, about, stance, statement, date, uncertain, pack_id in conn.execute(
            "SELECT id, ref, actor_id, topic, topic_id, stance, statement, date, "
            + ("date_uncertain" if "date_uncertain" in _columns(conn, "position") else "0")  # before schema 5
            + f", {column} FROM position ORDER BY id"):
        fields = {"id": ref, "actor": refs[actor], "topic": topic, "about": refs[about] if about is not None else None,
                  "stance": stance, "statement": statement, "date": date, "date_uncertain": bool(uncertain)}
        record = _drop_empty(_with_pack(fields, pack_id, packs, known) | {"citations": [c for _, c in cited.take(pid)]})
        yield record
        for pack in alike.get(pid, ()):
            yield {**record, "pack": pack}


def _given_alike(conn: Readable, table: str, key: str, packs: dict[int, str]) -> dict[Any, list[str]]:
    """The further packs giving each source or position alike (none before schema 6)."""
    found: dict[Any, list[str]] = defaultdict(list)
    if _has_table(conn, table):
        for record, pack_id in conn.execute(f"SELECT {key}, pack_id FROM {table} ORDER BY {key}, pack_id"):
            found[record].append(packs[pack_id])
    return found


def _rows(conn: Any, table: str, order: str | None = None) -> list[dict[str, Any]]:
    columns = _columns(conn, table)
    listed = ", ".join('"' + c + '"' for c in columns)
    rows = conn.execute(f"SELECT {listed} FROM {table} ORDER BY {order or _order(conn, table)}")
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _relation(record: dict[str, Any], packs: dict[int, str]) -> dict[str, Any]:
    """A relation (or another pack's wording of it) as a pack record, in the order of the relation's fields."""
    relation = {name: record[name] for name in names("relation") if name in record}
    for key in ("source_types", "target_types"):  # JSON lists in their columns (schema 5 on)
        if key in relation:
            relation[key] = _json(relation[key], f"relation {relation['name']}: field '{key}'", list)
            if not relation[key]:
                del relation[key]
    if "pack_id" in relation:
        relation["pack"] = packs.get(relation.pop("pack_id"))
    return relation


SECTIONS = ("relations", "sources", "entities", "links", "positions")


def _name_packs(document: dict[str, Any]) -> None:
    """`_named` for every record of a whole document, by its header."""
    one = document.get("pack", {}).get("id")
    for section in SECTIONS:
        for record in document[section]:
            _named(record, one)


def _named(record: dict[str, Any], one: str | None) -> dict[str, Any]:
    """Say a record's pack the way the document's header lets it: under one `pack:` (`one`), a
    record of that pack says nothing and one of no pack says `pack: null`; under `packs:` or
    none, a record of no pack says nothing."""
    if "pack" in record and (record["pack"] == one if one is not None else record["pack"] is None):
        del record["pack"]
    return record


def one_pack(document: dict[str, Any], pack: str) -> dict[str, Any]:
    """What pack `pack` states, from a whole export: its records, and the records of other packs
    it refers to (entities its links and positions name, the sources its citations quote, the
    relations its links use), so that it imports into a fresh database."""
    infos = document.get("packs") or ([document["pack"]] if "pack" in document else [])
    if pack not in [info["id"] for info in infos]:
        known = ", ".join(info["id"] for info in infos) or "none"
        raise DatabaseError(f"no pack {pack!r} in the database (it holds: {known})")
    one = document.get("pack", {}).get("id")

    def of(record: dict[str, Any]) -> Any:
        return record.get("pack", one) if one is not None else record.get("pack")

    mine = {section: [r for r in document[section] if of(r) == pack] for section in SECTIONS}
    needed = {ref for k in mine["links"] for ref in (k["source"], k["target"])}
    needed |= {ref for q in mine["positions"] for ref in (q["actor"], q.get("about")) if ref}
    needed -= {e["id"] for e in mine["entities"]}
    borrowed = [e for e in document["entities"] if e["id"] in needed and of(e) != pack]
    first: dict[str, dict[str, Any]] = {}
    for e in borrowed:  # the first statement of each
        first.setdefault(e["id"], e)
    borrowed = list(first.values())
    entities = borrowed + mine["entities"]
    quoted = {c["source"] for r in [*entities, *mine["links"], *mine["positions"]] for c in r.get("citations", [])}
    quoted |= {c["source"] for e in entities for note in e.get("notes", []) for c in note["citations"]}
    quoted |= {s["via"] for s in document["sources"] if s.get("via") and (s["id"] in quoted or of(s) == pack)}
    chosen: dict[str, dict[str, Any]] = {s["id"]: s for s in document["sources"] if of(s) == pack}
    for s in document["sources"]:  # one it quotes but does not give: as the first pack gives it
        if s["id"] in quoted:
            chosen.setdefault(s["id"], s)
    sources = [s for s in document["sources"] if chosen.get(s["id"]) is s]
    relations = [r for r in document["relations"] if of(r) == pack]
    stated = {r["name"] for r in relations}
    for r in document["relations"]:  # one it uses but does not define: the first definition (the standard's)
        if r["name"] in {k["relation"] for k in mine["links"]} - stated:
            relations.append(r)
            stated.add(r["name"])
    records = {"relations": relations, "sources": sources, "entities": entities, "links": mine["links"],
               "positions": mine["positions"]}
    others = {of(r) for section in SECTIONS for r in records[section]} - {pack, None}
    result: dict[str, Any] = {"schema_version": document["schema_version"]}
    for section in SECTIONS:
        records[section] = [{**r, "pack": of(r)} for r in records[section]]
    result["pack"] = next(info for info in infos if info["id"] == pack)
    if others:  # packs it refers to: an import adds their records it lacks, never replaces them
        result["packs"] = [info for info in infos if info["id"] in others]
    result.update(records)
    _name_packs(result)
    return result


def write_file(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, written as they come) to the file `path` whole or not at
    all, through a new file beside it.

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
            if isinstance(text, str):
                out.write(text)
            else:
                for piece in text:
                    out.write(piece)
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
