"""Imports and builds on PostgreSQL: the SQLite import's staging, merge rules and checks, and one
transaction that writes only what changes, so that imports from several hosts run at once.

An import stages its files first (to learn which packs it states), then takes its locks:
the global advisory lock shared (a build takes it exclusively) and one exclusive lock per pack
it states, in sorted order. Only then does it read the database's content (its export, in a
snapshot taken after the locks) into the stage: two imports of one pack run one after the
other, the second merging with the first's result by the usual rules; imports of other packs
run at once. The merged records are checked as the SQLite import checks them, then the delta
is written (`db.pg.writer`): statements added or changed inserted, those replaced or removed
deleted, an entity's, source's, position's or relation's row updated in place when its first
statement changes. Pane rows, search, pack counts and `meta` are kept for what the import
touched only, and the explorers listening are notified as it commits.

Two imports of different packs that both add one new entity (source, position, relation) at
once: the second to commit fails, saying which record another import added meanwhile and to
import again (the merge then states it as that pack's further statement). Merging it blindly
would skip the checks its records were held to against the content it read.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..db.build import entity_fields, entity_in, next_build_id, relation_row
from ..db.errors import DatabaseError
from ..db.location import shown
from . import records
from .importer import (
    Document,
    ImportReport,
    Progress,
    _check,
    _merge,
    _stage_document,
    _stage_export,
    _stage_fresh,
)
from .staging import ADDED, CHANGED, KEEP, REMOVED, REPLACED, SECTION_NO, Stage, StagedTexts

DOCUMENTS_FROM = 1 << 40  # the files' records are numbered after any the database can hold
NEW, GONE = (ADDED, CHANGED), (REPLACED, REMOVED)
_LABELS = {"entity": "entity", "source": "source", "position": "position", "relation": "relation", "pack": "pack"}


def import_packs_pg(files: list[Path], url: str, replace: bool = False,
                    progress: Progress | None = None) -> ImportReport:
    """Merge the packs in `files` into the PostgreSQL database at `url` (its schema made if it has none)."""
    from ..db.pg.ddl import create_schema
    from ..db.pg.writer import GLOBAL_KEY, LOCK_CLASS

    with _transaction(url) as conn, _staged() as stage:
        fresh = not _has_schema(conn)
        if fresh:  # made under the global lock, as SQLite's import makes a missing file
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, GLOBAL_KEY))
            fresh = not _has_schema(conn)
            if fresh:
                create_schema(conn)
        else:
            conn.execute("UPDATE meta SET value = value WHERE false")  # a role that cannot write fails here
        stage.number_from(DOCUMENTS_FROM)
        documents = [_stage_document(stage, n, Path(file), progress) for n, file in enumerate(files)]
        stage.number_from(0)
        if fresh:
            _stage_fresh(stage)
            existing = []
        else:
            _lock(conn, documents, progress)
            existing = _stage_database(stage, url, progress)
        report = _merge(stage, existing, documents, replace, progress)
        if fresh:
            _write_all(conn, stage, report, progress)
        else:
            _check(stage, stage.entity_ids(), progress).refuse(report)
            if report.wrote:
                _write_delta(conn, stage, report, progress)
        conn.commit()
    return report


def build_packs_pg(files: list[Path], url: str, progress: Progress | None = None,
                   force: bool = False) -> dict[str, int]:
    """Replace the crisis-tui tables of the database at `url` with the packs in `files`, in one
    transaction under the global lock; row counts per table, as the SQLite build returns them.

    A database that holds any pack is a team's: it is replaced only with `force` (else a
    DatabaseError says so), checked under the lock, so an import committed just before is counted."""
    from ..db.pg.ddl import create_schema, drop_schema
    from ..db.pg.writer import GLOBAL_KEY, LOCK_CLASS

    with _transaction(url, "build") as conn, _staged() as stage:
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, GLOBAL_KEY))
        held = conn.execute("SELECT count(*) FROM pack").fetchone()[0] if _has_schema(conn) else 0
        if held and not force:
            raise DatabaseError(f"{shown(url)} already holds {held} pack{'s' if held != 1 else ''} (a build "
                                "replaces everything); use `import` to add a pack; `build --force` replaces them all")
        drop_schema(conn)
        create_schema(conn)
        _stage_fresh(stage)
        documents = [_stage_document(stage, n, Path(file), progress) for n, file in enumerate(files)]
        report = _merge(stage, [], documents, False, progress)
        counts = _write_all(conn, stage, report, progress)
        conn.commit()
    return counts


def database_stamp_pg(url: str) -> str | None:
    """The build id of the content the database at `url` holds as committed ('' if none; None if
    it cannot be read): an interrupted import compares it with its own."""
    from ..db.pg.connect import connect

    try:
        conn = connect(url, readonly=True)
    except DatabaseError:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'build_id'").fetchone()
        return str(row[0]) if row else ""
    except Exception:  # noqa: BLE001  (no meta table, a lost connection: not known)
        return None
    finally:
        conn.close()


# -- the transaction, the stage and the locks ---------------------------------------------------

@contextlib.contextmanager
def _transaction(url: str, what: str = "import") -> Iterator[Any]:
    """A writing connection in one transaction, rolled back unless committed; the server's
    errors as one line each."""
    import psycopg

    from ..db.pg.connect import connect

    conn = connect(url, readonly=False, autocommit=False)
    try:
        yield conn
    except psycopg.Error as exc:
        raise _problem(url, exc, what) from None
    finally:
        try:
            if not conn.closed:
                conn.rollback()  # nothing, after a commit
        except psycopg.Error:
            pass
        conn.close()


def _problem(url: str, exc: Any, what: str = "import") -> DatabaseError:
    """One line for a failed write: what a concurrent import did, or `statement_problem`'s."""
    import psycopg.errors as e

    from ..db.pg.connect import statement_problem

    where = shown(url)
    if isinstance(exc, e.UniqueViolation):
        table = getattr(exc.diag, "table_name", None) or "record"
        detail = getattr(exc.diag, "message_detail", None) or ""
        key = detail.split("=(", 1)[1].rsplit(") already", 1)[0] if "=(" in detail else "?"
        return DatabaseError(f"{where}: {_LABELS.get(table, table)} {key}: another import added it meanwhile; "
                             "import again (its records then merge by the usual rules)")
    if isinstance(exc, e.ForeignKeyViolation):
        return DatabaseError(f"{where}: another import removed a record this one refers to meanwhile "
                             f"({' '.join(str(exc.diag.message_detail or exc).split())}); import again")
    if isinstance(exc, e.DeadlockDetected | e.SerializationFailure):
        return DatabaseError(f"{where}: another import changed the same records meanwhile; import again")
    return statement_problem(url, exc, f"cannot {what}")


@contextlib.contextmanager
def _staged() -> Iterator[Stage]:
    folder = Path(tempfile.mkdtemp(prefix="crisis-tui-import-"))
    try:
        stage = Stage(folder / "postgresql")
        try:
            yield stage
        finally:
            stage.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _has_schema(conn: Any) -> bool:
    return bool(conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0])


def _lock(conn: Any, documents: list[Document], progress: Progress | None) -> None:
    """The global lock shared, then each pack the import states exclusively, in order."""
    from ..db.pg.writer import GLOBAL_KEY, LOCK_CLASS, PACK_LOCK_CLASS, pack_key

    if progress is not None:
        progress("waiting for lock", 0, None)
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (LOCK_CLASS, GLOBAL_KEY))
    for key in sorted({pack_key(pack) for document in documents for pack in document.stated}):
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PACK_LOCK_CLASS, key))


def _stage_database(stage: Stage, url: str, progress: Progress | None) -> list:
    """Stage the database's content as committed now (a snapshot taken after the locks)."""
    from ..db.pg.queries import PgKnowledgeBase

    kb = PgKnowledgeBase(url)
    try:
        with kb.exported() as (header, items):
            return _stage_export(stage, shown(url), header, items, progress)
    finally:
        kb.close()


# -- writing ------------------------------------------------------------------------------------

def _writer(conn: Any, stage: Stage, sort_new: bool) -> Any:
    from ..db.pg.writer import PgWriter

    writer = PgWriter(conn, sort_new=sort_new)
    writer.texts = StagedTexts(stage)
    return writer


def _write_all(conn: Any, stage: Stage, report: ImportReport, progress: Progress | None) -> dict[str, int]:
    """Every merged record, into an empty schema (a build, or an import into no tables), checked
    as it is written (`importer._check`); refused, the transaction is rolled back."""
    writer = _writer(conn, stage, sort_new=False)
    if report.conflicts:
        _check(stage, stage.entity_ids(), progress).refuse(report)
    writer.meta([info.model_dump() for info in report.packs])
    _check(stage, writer.ids, progress, writer).refuse(report)
    if progress is not None:
        progress("indexing", 0, None)
    writer.finish(None, None)
    return writer.counts


class _Rec:
    __slots__ = ("seq", "pack", "from_db", "status")

    def __init__(self, seq: int, pack: str, from_db: int, status: int) -> None:
        self.seq, self.pack, self.from_db, self.status = seq, pack or None, from_db, status


def _touched(stage: Stage, section: str) -> Iterator[tuple[str, list[_Rec], list[_Rec]]]:
    """Each key of `section` the import adds, changes or removes a statement of: (key, the
    database's statements, the merged ones), each in order (the first is the row)."""
    number = SECTION_NO[section]
    marks = ",".join(str(s) for s in (*NEW, *GONE))
    rows = stage.conn.execute(
        f"SELECT name, seq, pack, from_db, status FROM rec WHERE section = ? AND name IN "
        f"(SELECT name FROM rec WHERE section = ? AND status IN ({marks})) ORDER BY name, place",
        (number, number)).fetchall()
    at = 0
    while at < len(rows):
        name = rows[at][0]
        group = []
        while at < len(rows) and rows[at][0] == name:
            group.append(_Rec(*rows[at][1:]))
            at += 1
        yield name, [r for r in group if r.from_db], [r for r in group if r.status in KEEP]


def _decode(stage: Stage, section: str, seq: int) -> Any:
    body, pack = stage.conn.execute("SELECT body, pack FROM rec JOIN body USING (seq) WHERE seq = ?",
                                    (seq,)).fetchone()
    return records.decode(section, body, pack or None)


def _by_pack(recs: list[_Rec]) -> dict[str | None, int]:
    return {r.pack: r.seq for r in recs}


def _write_delta(conn: Any, stage: Stage, report: ImportReport, progress: Progress | None) -> None:
    """Write what the merge changed: rows added, updated in place or deleted."""
    if progress is not None:
        progress("writing", 0, None)
    writer = _writer(conn, stage, sort_new=True)
    packs_touched = _write_packs(conn, writer, report)
    ids = writer.ids
    ids_of_pack = writer.pack_ids

    def pid(pack: str | None) -> int | None:
        return ids_of_pack[pack]

    # relations: the first wording is the row, others relation_wording rows
    dropped_relations, new_relations = [], []
    for name, old, new in _touched(stage, "relations"):
        if (old[0].seq if old else None) != (new[0].seq if new else None):
            if not new:
                dropped_relations.append(name)
            else:
                row = relation_row(_decode(stage, "relations", new[0].seq), ids_of_pack)
                if old:
                    _update(conn, "relation", "name", names_of("relation"), row)
                else:
                    new_relations.append((new[0].seq, row))
        old_further, new_further = _by_pack(old[1:]), _by_pack(new[1:])
        for pack in sorted(set(old_further) | set(new_further), key=str):
            if old_further.get(pack) != new_further.get(pack) or (old and new and old[0].seq != new[0].seq):
                conn.execute("DELETE FROM relation_wording WHERE name = %s AND pack_id = %s", (name, pid(pack)))
                if pack in new_further:
                    row = relation_row(_decode(stage, "relations", new_further[pack]), ids_of_pack)
                    p = len(row) - 1
                    writer.relation_wordings([(name, row[p], *row[1:p])])
        packs_touched.update(r.pack for r in old + new)
    writer.relations(row for _, row in sorted(new_relations))  # in merged order: the order they export in

    # sources: the first statement is the row (updated in place), further alike ones source_pack rows
    dropped_sources, changed_sources, new_sources = [], [], []
    for name, old, new in _touched(stage, "sources"):
        packs_touched.update(r.pack for r in old + new)
        first_old, first_new = (old[0].seq if old else None), (new[0].seq if new else None)
        if first_old != first_new:
            if not new:
                dropped_sources.append(name)
            else:
                source = _decode(stage, "sources", new[0].seq)
                if old:
                    cols = names_of("source")
                    values = [getattr(source, "pack" if c == "pack_id" else c) for c in cols]
                    values[cols.index("pack_id")] = pid(source.pack)
                    _update(conn, "source", "id", cols, values)
                    changed_sources.append(name)
                    writer.touched_sources.add(name)
                else:
                    new_sources.append((new[0].seq, source))
        first_pack = new[0].pack if new else None
        old_alike = {p for p in _by_pack(old[1:]) if p is not None and p != (old[0].pack if old else None)}
        new_alike = {p for p in _by_pack(new[1:]) if p is not None and p != first_pack}
        for pack in old_alike - new_alike:
            conn.execute("DELETE FROM source_pack WHERE source_id = %s AND pack_id = %s", (name, pid(pack)))
        writer.sink.put("source_pack", ("source_id", "pack_id"),
                        [(name, pid(p)) for p in sorted(new_alike - old_alike)])

    writer.sources([source for _, source in sorted(new_sources, key=lambda pair: pair[0])])

    # entities: the first statement is the row (updated in place: links point at its id)
    entity_plan = list(_touched(stage, "entities"))
    ids.prefetch(name for name, old, _ in entity_plan if old)
    removed_entities: list[int] = []
    touched_entities: set[str] = set()
    new_owners = []
    for name, old, new in entity_plan:
        packs_touched.update(r.pack for r in old + new)
        if not new:
            removed_entities.append(ids[name])
        elif not old:
            new_owners.append((new[0].seq, _decode(stage, "entities", new[0].seq)))
        touched_entities.add(name)
    new_owners.sort(key=lambda pair: pair[0])
    writer.entity_owners(e for _, e in new_owners)  # ids in merged order; rows sorted by ref
    for name, old, new in entity_plan:
        if not new:
            continue
        entity_id = ids[name]
        owner = _decode(stage, "entities", new[0].seq)
        first_changed = bool(old) and old[0].seq != new[0].seq
        if first_changed:
            row = entity_in(owner, ids_of_pack)
            _update(conn, "entity", "id", ("id", *names_of("entity")[1:]), (entity_id, *row))
        old_further, new_further = _by_pack(old[1:]), _by_pack(new[1:])
        for pack in sorted(set(old_further) | set(new_further), key=str):
            if first_changed or old_further.get(pack) != new_further.get(pack):
                if pack in old_further:
                    conn.execute("DELETE FROM entity_pack WHERE entity_id = %s AND pack_id = %s",
                                 (entity_id, pid(pack)))
                if pack in new_further:
                    mine, theirs = entity_fields(_decode(stage, "entities", new_further[pack])), entity_fields(owner)
                    differ = {k: v for k, v in mine.items() if v != theirs[k]}
                    writer.sink.put("entity_pack", ("entity_id", "pack_id", "fields"), [
                        (entity_id, pid(pack), json.dumps(differ, ensure_ascii=False) if differ else None)])
        # what each pack's statement adds (aliases, notes, citations), where that statement changed
        old_stated, new_stated = _by_pack(old), _by_pack(new)
        restated = []
        for pack in sorted(set(old_stated) | set(new_stated), key=str):
            if old_stated.get(pack) == new_stated.get(pack):
                continue
            if pack in old_stated:
                _delete_statement(conn, entity_id, pid(pack))
            if pack in new_stated:
                restated.append(_decode(stage, "entities", new_stated[pack]))
        writer.entity_statements(restated)

    # links: each pack's own row per (source, relation, target)
    link_plan = list(_touched(stage, "links"))
    link_ends: set[str] = set()
    decoded = {}
    for _, old, new in link_plan:
        for r in new:
            if r.status in NEW:
                decoded[r.seq] = _decode(stage, "links", r.seq)
        for r in old:
            if r.status in GONE:
                decoded[r.seq] = _decode(stage, "links", r.seq)
    ids.prefetch(ref for k in decoded.values() for ref in (k.source, k.target))
    old_ids = _link_ids(conn, ids, ids_of_pack, [decoded[r.seq] for _, old, _ in link_plan for r in old
                                                  if r.status in GONE])
    new_links = []
    for _, old, new in link_plan:
        packs_touched.update(r.pack for r in old + new)
        gone = {r.pack: decoded[r.seq] for r in old if r.status in GONE}
        came = {r.pack: decoded[r.seq] for r in new if r.status in NEW}
        for pack, link in gone.items():
            link_ends.update((link.source, link.target))
            link_id = old_ids[(link.source, link.relation, link.target, pack)]
            conn.execute("DELETE FROM citation WHERE subject = 'link' AND subject_id = %s", (link_id,))
            if pack in came:  # changed: in place
                mine = came.pop(pack)
                conn.execute("UPDATE link SET note = %s WHERE id = %s", (mine.note, link_id))
                writer.citations(("link", link_id, _cite(c, pid(pack))) for c in mine.citations)
            else:
                conn.execute("DELETE FROM link WHERE id = %s", (link_id,))
        for r in new:
            if r.status in NEW and r.pack in came:
                link_ends.update((came[r.pack].source, came[r.pack].target))
                new_links.append((r.seq, came[r.pack]))
    new_links.sort(key=lambda pair: pair[0])
    writer.link_records(link for _, link in new_links)

    # positions: the first statement is the row (updated in place), further alike ones position_pack rows
    position_plan = list(_touched(stage, "positions"))
    position_ids = dict(conn.execute("SELECT ref, id FROM position WHERE ref = ANY(%s)",
                                     ([name for name, old, _ in position_plan if old],)).fetchall())
    dropped_positions, new_positions, alike = [], [], []
    for name, old, new in position_plan:
        packs_touched.update(r.pack for r in old + new)
        first_old, first_new = (old[0].seq if old else None), (new[0].seq if new else None)
        number = position_ids.get(name)
        if first_old != first_new:
            if old:
                was = _decode(stage, "positions", old[0].seq)
                link_ends.update(ref for ref in (was.actor, was.about) if ref)
            if not new:
                dropped_positions.append(number)
            else:
                q = _decode(stage, "positions", new[0].seq)
                link_ends.update(ref for ref in (q.actor, q.about) if ref)
                if old:
                    row = writer.position_row(number, q.id, q.actor, q.topic, q.about, q.stance, q.statement,
                                              q.date, q.date_uncertain, pid(q.pack))
                    conn.execute("UPDATE position SET (ref, actor_id, topic, topic_id, stance, statement, date, "
                                 "date_precision, date_uncertain, pack_id) = (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                                 "WHERE id = %s", (*row[1:], number))
                    conn.execute("DELETE FROM citation WHERE subject = 'position' AND subject_id = %s", (number,))
                    writer.citations(("position", number, _cite(c, pid(q.pack))) for c in q.citations)
                else:
                    new_positions.append((new[0].seq, q))
        first_pack = new[0].pack if new else None
        old_alike = {p for p in _by_pack(old[1:]) if p is not None and p != (old[0].pack if old else None)}
        new_alike = {p for p in _by_pack(new[1:]) if p is not None and p != first_pack}
        if number is not None:
            for pack in old_alike - new_alike:
                conn.execute("DELETE FROM position_pack WHERE position_id = %s AND pack_id = %s", (number, pid(pack)))
        alike.append((name, new_alike - old_alike))
    new_positions.sort(key=lambda pair: pair[0])
    for _, q in new_positions:
        position_ids[q.id] = writer.position(q.id, q.actor, q.topic, q.about, q.stance, q.statement, q.date,
                                             [_cite(c, pid(q.pack)) for c in q.citations], q.date_uncertain,
                                             pid(q.pack))
    writer.sink.put("position_pack", ("position_id", "pack_id"),
                    sorted((position_ids[name], pid(p)) for name, packs in alike for p in packs))

    # what is gone whole: positions, sources, relations (entities under the publish lock)
    for number in dropped_positions:
        conn.execute("DELETE FROM citation WHERE subject = 'position' AND subject_id = %s", (number,))
        conn.execute("DELETE FROM position_pack WHERE position_id = %s", (number,))
        conn.execute("DELETE FROM position WHERE id = %s", (number,))
    if dropped_sources:
        for table, column in (("passage", "source_id"), ("source_pack", "source_id")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s)", (dropped_sources,))
        conn.execute("DELETE FROM source WHERE id = ANY(%s)", (dropped_sources,))
    if dropped_relations:
        conn.execute("DELETE FROM relation_wording WHERE name = ANY(%s)", (dropped_relations,))
        conn.execute("DELETE FROM relation WHERE name = ANY(%s)", (dropped_relations,))
    writer.copies.flush()
    _replace_quotes(conn, writer, changed_sources)

    removed = set(removed_entities)
    ids.prefetch(link_ends)
    searched = sorted({ids[ref] for ref in touched_entities | link_ends if ref in ids} - removed)
    counted = sorted(ids_of_pack[p] for p in packs_touched if p is not None and p in ids_of_pack)
    writer.copies.flush()
    existing = [ids[name] for name, old, new in entity_plan if old and new]
    writer.finish(searched, counted, sorted(removed), existing)


def _update(conn: Any, table: str, key: str, columns: tuple[str, ...], values: Any) -> None:
    """Update the row of `table` whose `key` (the first column) is values[0], in place."""
    listed = ", ".join(f'"{c}"' for c in columns[1:])
    marks = ", ".join(["%s"] * (len(columns) - 1))
    conn.execute(f'UPDATE "{table}" SET ({listed}) = ({marks}) WHERE "{key}" = %s', (*values[1:], values[0]))



def names_of(table: str) -> tuple[str, ...]:
    from ..db.tables import names

    return names(table)


def _cite(citation: Any, pack_id: int | None) -> Any:
    from ..db.build import CiteIn

    return CiteIn(citation.source, citation.quote, pack_id)


def _delete_statement(conn: Any, entity_id: int, pack_id: int | None) -> None:
    """Delete what one pack's statement of an entity adds: its aliases, notes and citations."""
    conn.execute("DELETE FROM citation WHERE subject = 'note' AND subject_id IN "
                 "(SELECT id FROM note WHERE entity_id = %s AND pack_id IS NOT DISTINCT FROM %s)",
                 (entity_id, pack_id))
    conn.execute("DELETE FROM citation WHERE subject = 'entity' AND subject_id = %s "
                 "AND pack_id IS NOT DISTINCT FROM %s", (entity_id, pack_id))
    for table in ("note", "alias"):
        conn.execute(f"DELETE FROM {table} WHERE entity_id = %s AND pack_id IS NOT DISTINCT FROM %s",
                     (entity_id, pack_id))


def _link_ids(conn: Any, ids: Any, pack_ids: dict, links: list[Any]) -> dict[tuple, int]:
    """The ids of the database's links (source, relation, target, pack) of `links`."""
    found: dict[tuple, int] = {}
    for at in range(0, len(links), 10000):
        part = links[at:at + 10000]
        rows = conn.execute(
            """SELECT x.n, l.id FROM unnest(%s::int[], %s::text[], %s::int[], %s::int[]) WITH ORDINALITY
                   AS x(s, r, o, p, n)
               JOIN link l ON l.subject_id = x.s AND l.relation = x.r AND l.object_id = x.o
                          AND l.pack_id IS NOT DISTINCT FROM x.p""",
            ([ids[k.source] for k in part], [k.relation for k in part], [ids[k.target] for k in part],
             [pack_ids[k.pack] for k in part])).fetchall()
        for n, link_id in rows:
            k = part[n - 1]
            found[(k.source, k.relation, k.target, k.pack)] = link_id
    return found


def _write_packs(conn: Any, writer: Any, report: ImportReport) -> set[str | None]:
    """Add the packs the database lacks (in order) and update those the import states anew; the
    pack ids written."""
    held = {ref: (n, title, description) for n, ref, title, description in
            conn.execute("SELECT id, ref, title, description FROM pack ORDER BY id").fetchall()}
    touched: set[str | None] = set()
    for info in report.packs:
        description = info.description or ""
        if info.id in held:
            n, title, was = held[info.id]
            if (title, was) != (info.title, description):
                conn.execute("UPDATE pack SET title = %s, description = %s WHERE id = %s",
                             (info.title, description, n))
            writer.pack_ids[info.id] = n
            continue
        row = conn.execute(
            """INSERT INTO pack (ref, title, description, entities, links, positions, sources)
               VALUES (%s, %s, %s, 0, 0, 0, 0)
               ON CONFLICT (ref) DO UPDATE SET ref = excluded.ref RETURNING id""",
            (info.id, info.title, description)).fetchone()
        writer.pack_ids[info.id] = row[0]
        touched.add(info.id)
    return touched


def _replace_quotes(conn: Any, writer: Any, sources: list[str]) -> None:
    """Place again the quotes of the sources whose text changed (and of those quoted via them)."""
    if not sources:
        return
    rows = conn.execute(
        """SELECT c.subject, c.subject_id, c.id, c.source_id, c.quote FROM citation c
           JOIN source s ON s.id = c.source_id WHERE s.id = ANY(%s) OR s.via = ANY(%s)""",
        (sources, sources)).fetchall()
    writer._newlines.clear()
    with conn.cursor() as cursor:
        cursor.executemany("UPDATE citation SET \"offset\" = %s, line = %s WHERE subject = %s AND subject_id = %s "
                           "AND id = %s", [(*writer.place(source, quote), subject, subject_id, n)
                                           for subject, subject_id, n, source, quote in rows])


def new_build_id() -> str:
    return next_build_id.get() or uuid.uuid4().hex
