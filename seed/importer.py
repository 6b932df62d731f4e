"""Merges crisis packs into a database, all or nothing.

The database's current content and the incoming packs are staged record by record in a
scratch file (`seed.staging`), merged there by the rules below, checked as a whole (so a pack
may refer to what the database already holds) while they are written into a new database
file, and that file is copied into the live database in one WAL transaction
(`db.build.install`). A failed, refused or killed import leaves the database as it was;
readers keep reading throughout.
Writers of one database take turns (`db.writers.write_lock`); one that waits longer than
`db.writers.lock_timeout()` gives up and says the database is locked.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from ..db.build import build_database, new_database
from ..db.constants import SCHEMA_VERSION
from ..db.errors import DatabaseError, PackError
from ..db.pack import SECTIONS, Pack, PackInfo, Relation, name_packs, record_label
from ..db.queries import KnowledgeBase
from ..db.writers import all_files, stage_path, write_lock
from . import records
from .checks import Checker
from .loader import (
    LISTED_PROBLEMS,
    Origin,
    Problems,
    header_pack,
    refuse,
    source_file_text,
    undeclared_pack,
)
from .migrations import migrate
from .reader import pack_files, read_file
from .staging import (
    ADDED,
    ALIKE,
    CHANGED,
    CONFLICT,
    DATABASE,
    KEEP,
    NO_PACK,
    PER_PACK,
    REMOVED,
    REPLACED,
    SECTION_NO,
    SECTION_OF,
    SKIPPED,
    STATED,
    UNSTATED,
    Stage,
    StagedTexts,
)
from .vocabulary import standard_relations

Progress = Callable[[str, int, int | None], None]  # (what is being done, how far, out of how much)

SINGULAR = {"relations": "relation", "sources": "source", "entities": "entity", "links": "link",
            "positions": "position", "packs": "pack"}


@dataclass
class ImportReport:
    """What an import did, per section."""

    added: Counter = field(default_factory=Counter)
    changed: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    unstated: Counter = field(default_factory=Counter)  # of a pack imported again, what it no longer states
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (where, what): records changed, no --replace
    packs: list[PackInfo] = field(default_factory=list)  # the packs the database holds after it, in order
    more_conflicts: int = 0  # conflicts past those listed (the first LISTED_PROBLEMS + 1 are worded)

    @property
    def wrote(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        def part(word: str, counts: Counter) -> str:
            items = ", ".join(f"{n} {section if n != 1 else SINGULAR[section]}" for section, n in counts.items() if n)
            return f"{word} {items or 'nothing'}"

        parts = [part("added", self.added), part("changed", self.changed)]
        if self.removed:
            parts.append(part("removed", self.removed))
        parts.append(part("skipped", self.skipped))
        if self.unstated:
            parts.append(part("kept", self.unstated) + " the pack no longer states (--replace removes them)")
        return "; ".join(parts)


UNKNOWN = Origin("?", None)


def first_difference(old: Any, new: Any, path: str = "") -> str:
    """Where two versions of a record first differ, and how: the innermost field, and for text
    the stretch around the first character that differs."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                return first_difference(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
    if isinstance(old, list) and isinstance(new, list):
        for n, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return first_difference(a, b, f"{path}.{n}")
        if len(old) != len(new):
            return f"field '{path}': database has {len(old)}, import has {len(new)}"
    if isinstance(old, str) and isinstance(new, str):
        at = next((n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        start = max(0, at - 20)

        def around(text: str) -> str:
            return repr(("..." if start else "") + text[start:at + 40] + ("..." if len(text) > at + 40 else ""))

        return f"field '{path}': database has {around(old)}, import has {around(new)} (from character {at + 1})"

    def show(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."

    return f"field '{path}': database has {show(old)}, import has {show(new)}"


def pack_infos(pack: Pack) -> list[PackInfo]:
    """The packs a document gives: its own (`pack:`), then those of `packs:`."""
    return ([pack.pack] if pack.pack is not None else []) + [info for info in pack.packs if info != pack.pack]


def stated_packs(pack: Pack) -> set[str]:
    """The packs a document states whole, which `--replace` replaces: its own (`pack:`) if it
    has one, the others (`packs:`) carrying only records of theirs it refers to; else those of
    `packs:` (an export of several)."""
    return {pack.pack.id} if pack.pack is not None else {info.id for info in pack.packs}


@dataclass
class Document:
    """One pack (folder or file) of an import, as staged: its header and where that was given."""

    header: Pack  # schema_version, pack, packs; no records
    where: str  # where its `pack:` or `packs:` was given

    @property
    def stated(self) -> set[str]:
        return stated_packs(self.header)


def import_packs(files: list[Path], path: Path, replace: bool = False,
                 progress: Progress | None = None) -> ImportReport:
    """Merge the packs in `files` into the database at `path` (made if missing)."""
    waiting = (lambda: progress("waiting for lock", 0, None)) if progress is not None else None
    with write_lock(path, waiting), _staged(path) as stage:
        existing = _stage_database(stage, path, progress)
        documents = [_stage_document(stage, n, Path(file), progress) for n, file in enumerate(files)]
        report = _merge(stage, existing, documents, replace, progress)
        _check_and_write(stage, report, path if report.wrote or not path.exists() else None, progress)
    return report


def build_packs(files: list[Path], path: Path, progress: Progress | None = None) -> dict[str, int]:
    """Build a new database at `path` from the packs in `files` together (one may refer to
    another's records); the caller holds the write lock."""
    with _staged(path) as stage:
        _stage_fresh(stage)
        documents = [_stage_document(stage, n, Path(file), progress) for n, file in enumerate(files)]
        report = _merge(stage, [], documents, False, progress)
        return _check_and_write(stage, report, path, progress)


@contextmanager
def _staged(path: Path) -> Iterator[Stage]:
    """A Stage for an import into `path`, removed afterwards; its own failures (a full disk) said as such."""
    stage = None
    try:
        stage = Stage(path)
        yield stage
    except OSError as exc:
        if stage is not None:
            raise
        raise DatabaseError(f"{path}: cannot stage the import beside it: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:  # the stage's: a build's own are DatabaseErrors already
        raise DatabaseError(f"{path}: staging the import failed: {exc} (is the disk full?); "
                            "the database is unchanged") from None
    finally:
        if stage is not None:
            stage.close()
        else:  # interrupted as it was made: the file of this process's name is this import's
            for leftover in all_files(stage_path(path)):
                leftover.unlink(missing_ok=True)


def _stage_fresh(stage: Stage) -> None:
    for relation in standard_relations():
        stage.add("relations", records.validate("relations", relation, pack_input=False)[0], False, -1, None, None)


def _stage_database(stage: Stage, path: Path, progress: Progress | None = None) -> list[PackInfo]:
    """Stage what the database at `path` holds (the standard vocabulary if there is none); its packs."""
    if not path.exists():
        _stage_fresh(stage)
        return []
    kb = KnowledgeBase("sqlite:///" + str(path))
    try:
        with kb.exported() as (header, items):
            return _stage_export(stage, path, header, items, progress)
    finally:
        kb.close()


def _stage_export(stage: Stage, path: Path | str, header: dict[str, Any], items: Iterator[tuple[str, Any]],
                  progress: Progress | None = None) -> list[PackInfo]:
    """Stage a database's export (its header, then its records as they are read); its packs."""
    one = (header.get("pack") or {}).get("id")
    infos = {"pack": [header["pack"]]} if "pack" in header else {"packs": list(header.get("packs", []))}
    packs = []
    for key, listed in infos.items():
        for n, info in enumerate(listed):
            try:
                packs.append(PackInfo.model_validate(info))
            except ValidationError as exc:
                _refused_by_format(path, exc, key if key == "pack" else f"{key}.{n}")
    standard = {r["name"]: r for r in standard_relations()}
    relations: list[dict[str, Any]] | None = []  # the standard vocabulary first (an export leaves it out)
    counted: dict[str, int] = {}
    for section, item in items:
        if one is not None and "pack" not in item:
            item["pack"] = one
        if section == "relations" and relations is not None:
            relations.append(item)
            continue
        if relations is not None:
            _stage_relations(stage, path, standard, relations)
            relations = None
        n = counted[section] = counted.get(section, -1) + 1
        _stage_exported(stage, path, section, item, n)
        if progress is not None and not n % 5000:
            progress("reading database", sum(counted.values()), None)
    if relations is not None:
        _stage_relations(stage, path, standard, relations)
    return packs


def _stage_relations(stage: Stage, path: Path | str, standard: dict[str, Any], relations: list[dict[str, Any]]) -> None:
    """The standard relations (as the database holds them), then the database's others."""
    held = {r["name"]: r for r in relations if r.get("pack") is None and r["name"] in standard}
    ordered = [held.get(name, r) for name, r in standard.items()] + [
        r for r in relations if not (r.get("pack") is None and r["name"] in standard)]
    for n, relation in enumerate(ordered):
        _stage_exported(stage, path, "relations", relation, n)


def _stage_exported(stage: Stage, path: Path | str, section: str, item: dict[str, Any], n: int) -> None:
    try:
        record, _ = records.validate(section, item, pack_input=False)
    except ValidationError as exc:
        _refused_by_format(path, exc, f"{section}.{n}")
    stage.add(section, record, True, -1, None, None)


def _refused_by_format(path: Path | str, exc: ValidationError, where: str) -> NoReturn:
    first = exc.errors()[0]
    at = ".".join([where, *(str(part) for part in first["loc"])])
    raise DatabaseError(f"{path}: the database holds a record the pack format refuses ({at}: {first['msg']})") from None


def _stage_document(stage: Stage, doc: int, path: Path, progress: Progress | None) -> Document:
    """Read, validate and stage the pack at `path` (a folder or a file) as document `doc`."""
    base = path if path.is_dir() else None
    problems = Problems()
    unreadable: list[tuple[str, str]] = []  # sources whose text_file cannot be read
    header: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    files = pack_files(path)
    total = sum(file.stat().st_size for file in files)
    done = 0
    for file in files:
        number = stage.file_no(str(file))
        name = str(file)
        counted = 0
        read = [0]  # bytes of the file read so far
        for key, value, line in read_file(file, read):
            if key not in SECTIONS:
                if key in header and header[key] != value:
                    raise PackError(name, f"'{key}' is given twice with different values")
                header[key], origins[key] = value, Origin(name, line)
                continue
            try:
                record, named = records.validate(key, value)
            except ValidationError as exc:
                problems.record(exc, key, value, Origin(name, line))
                continue
            if key == "sources" and record.text_file:
                try:
                    record.text, record.text_file = source_file_text(base, record.text_file), None
                except ValueError as exc:
                    unreadable.append((f"{Origin(name, line)}: source {record.id}", f"field 'text_file': {exc}"))
            stage.add(key, record, named, doc, number, line)
            counted += 1
            if progress is not None and counted % 2000 == 0:
                progress(f"reading {file.name}", done + read[0], total)
        done += read[0]
    if progress is not None:
        progress(f"reading {path.name}", done, total)
    problems.raise_any()
    pack = header_pack(header, origins, str(path))
    if pack.pack is not None:
        stage.name_packs(doc, pack.pack.id)
    declared = {info.id for info in pack_infos(pack)}
    undeclared = stage.undeclared(doc, declared, LISTED_PROBLEMS + 1)
    if undeclared:
        refuse([(f"{stage.where(seq)}: {record_label(section, stage.body(seq))}", undeclared_pack(name))
                for seq, section, name in undeclared])
    if unreadable:
        refuse(unreadable)
    where = origins.get("pack" if pack.pack else "packs", UNKNOWN)
    return Document(pack, str(where))


def _merge(stage: Stage, existing: list[PackInfo], documents: list[Document], replace: bool,
           progress: Progress | None = None) -> ImportReport:
    """Join the staged documents into the staged database content, each record as the pack that states it.

    A record another pack states too is kept as each states it (an entity's aliases, notes and
    citations; a relation's wording), not a conflict. A record the importing pack stated
    before and states differently now is refused unless `replace`, which replaces what that
    pack stated (and only that: another pack's version of a shared entity stays).
    """
    report = ImportReport()
    infos = {info.id: info for info in existing}
    importing: set[str] = set()
    for document in documents:
        stated = document.stated
        for info in pack_infos(document.header):
            old = infos.get(info.id)
            if info.id not in stated:  # a pack it refers to: known as the database has it
                if old is None:
                    infos[info.id] = info
                    report.added["packs"] += 1
                continue
            if old is not None and old != info and not replace:
                report.conflicts.append((f"{document.where}: pack {info.id}", "differs from the version in the "
                                         f"database ({first_difference(old.model_dump(), info.model_dump())}); "
                                         "use --replace to take the imported version"))
            if old is None:
                report.added["packs"] += 1
            elif old != info:
                report.changed["packs"] += 1
            infos[info.id] = info
            importing.add(info.id)
    report.packs = list(infos.values())
    if progress is not None:
        progress("merging", 0, None)
    stage.index()
    conn = stage.conn
    _given_twice(stage)
    keep = ",".join(str(s) for s in KEEP)
    marks = ",".join("?" * len(importing))
    ours = f"pack IN ({marks})" if importing else "0"
    packs = tuple(sorted(importing))
    # A document of no pack cannot add its own version of what a pack states (links, entities, relations).
    conn.execute(f"""
        UPDATE rec SET status = {NO_PACK}, partner = (
            SELECT f.seq FROM rec f WHERE f.section = rec.section AND f.name = rec.name ORDER BY f.seq LIMIT 1)
        WHERE from_db = 0 AND pack = '' AND section IN {PER_PACK}
          AND NOT EXISTS (SELECT 1 FROM rec d WHERE d.section = rec.section AND d.name = rec.name AND d.pack = ''
                          AND d.from_db = 1)
          AND (SELECT f.pack FROM rec f WHERE f.section = rec.section AND f.name = rec.name
               ORDER BY f.seq LIMIT 1) != ''
    """)
    of_packs = len(report.conflicts)  # the packs' own, above; the records' are counted, and the first worded
    differing = f"FROM rec r JOIN rec f ON f.seq = r.partner WHERE r.status = {NO_PACK} AND r.digest != f.digest"
    report.more_conflicts += conn.execute(f"SELECT count(*) {differing}").fetchone()[0]
    for seq, other in conn.execute(f"SELECT r.seq, r.partner {differing} ORDER BY r.seq LIMIT ?",
                                   (LISTED_PROBLEMS + 1,)).fetchall():
        section = SECTION_OF[conn.execute("SELECT section FROM rec WHERE seq = ?", (seq,)).fetchone()[0]]
        mine, theirs = stage.body(seq), stage.body(other)
        (other_pack,) = conn.execute("SELECT pack FROM rec WHERE seq = ?", (other,)).fetchone()
        report.conflicts.append((
            f"{stage.where(seq)}: {record_label(section, mine)}",
            f"pack {other_pack} states it otherwise ({first_difference(theirs, mine)}); a document of no pack "
            "cannot add its own version: give it a `pack:` header (docs/pack-format.md)"))
    # Each imported record against the database's statement of it by the same pack, if any.
    with_db = [n for (n,) in conn.execute("SELECT DISTINCT section FROM rec WHERE from_db = 1")]
    if with_db:
        conn.execute(f"""
            UPDATE rec SET partner = (SELECT d.seq FROM rec d WHERE d.section = rec.section AND d.name = rec.name
                                      AND d.pack = rec.pack AND d.from_db = 1)
            WHERE from_db = 0 AND status IS NULL AND section IN ({",".join(map(str, with_db))})
        """)
    changed = f"({int(replace)} AND ({ours} OR pack = ''))"
    conn.execute(f"""
        UPDATE rec SET status = CASE
            WHEN partner IS NULL THEN {ADDED}
            WHEN digest = (SELECT d.digest FROM rec d WHERE d.seq = rec.partner) THEN {SKIPPED}
            WHEN {changed} THEN {CHANGED}
            ELSE {CONFLICT} END
        WHERE from_db = 0 AND status IS NULL
    """, packs)
    conn.execute(f"UPDATE rec SET place = partner WHERE status IN ({CHANGED}, {CONFLICT})")
    conn.execute(f"UPDATE rec SET status = {REPLACED} WHERE seq IN "
                 f"(SELECT partner FROM rec WHERE status IN ({CHANGED}, {CONFLICT}))")
    conn.execute(f"UPDATE rec SET status = {STATED} WHERE seq IN (SELECT partner FROM rec WHERE status = {SKIPPED})")
    conn.execute(f"CREATE INDEX rec_partner ON rec (partner) WHERE status = {SKIPPED}")  # Stage.where of a STATED
    # What the importing packs stated before and do not state now: removed with --replace, else kept.
    conn.execute(f"UPDATE rec SET status = {REMOVED if replace else UNSTATED} "
                 f"WHERE from_db = 1 AND status = 0 AND {ours}", packs)
    report.more_conflicts += conn.execute(f"SELECT count(*) FROM rec WHERE status = {CONFLICT}").fetchone()[0]
    for seq, other in conn.execute(f"SELECT seq, partner FROM rec WHERE status = {CONFLICT} ORDER BY seq LIMIT ?",
                                   (LISTED_PROBLEMS + 1,)).fetchall():
        section = SECTION_OF[conn.execute("SELECT section FROM rec WHERE seq = ?", (seq,)).fetchone()[0]]
        mine = stage.body(seq)
        report.conflicts.append((
            f"{stage.where(seq)}: {record_label(section, mine)}",
            f"differs from the version in the database ({first_difference(stage.body(other), mine)}); "
            "use --replace to take the imported version"))
    report.more_conflicts -= len(report.conflicts) - of_packs  # those worded
    report.more_conflicts += max(0, len(report.conflicts) - (LISTED_PROBLEMS + 1))
    del report.conflicts[LISTED_PROBLEMS + 1:]
    conn.execute("CREATE INDEX rec_place ON rec (section, place)")
    for section in ("sources", "positions"):
        _one_each(stage, section, report)
    counted = {ADDED: report.added, CHANGED: report.changed, SKIPPED: report.skipped, NO_PACK: report.skipped,
               REMOVED: report.removed, UNSTATED: report.unstated}
    for section, status, from_db, n in conn.execute(
            "SELECT section, status, from_db, count(*) FROM rec GROUP BY section, status, from_db"):
        counts = report.skipped if status == ALIKE and not from_db else counted.get(status)
        if counts is not None:
            counts[SECTION_OF[section]] += n
    conn.execute(f"""
        UPDATE rec SET owner = 1 WHERE seq IN (
            SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY name ORDER BY place) AS n
                             FROM rec WHERE section = 2 AND status IN ({keep})) WHERE n = 1)
    """)
    stage.merged_sources()
    conn.execute("COMMIT")
    _compatible(dict(stage.merged("relations")), stage.where)
    return report


class _At:
    """Where a staged record came from, worded only if a problem is found in it."""

    __slots__ = ("seq", "stage")

    def __init__(self, stage: Stage, seq: int) -> None:
        self.stage, self.seq = stage, seq

    def __str__(self) -> str:
        return self.stage.where(self.seq)


def _given_twice(stage: Stage) -> None:
    """Refuse a record the import gives twice (the same key and pack)."""
    conn = stage.conn
    found = conn.execute("""
        SELECT section, name FROM rec WHERE from_db = 0 GROUP BY section, name HAVING count(*) > count(DISTINCT pack)
    """).fetchall()
    twice = []
    for section, name in found:
        rows = conn.execute("SELECT seq, pack FROM rec WHERE from_db = 0 AND section = ? AND name = ? ORDER BY seq",
                            (section, name)).fetchall()
        first: dict[str, int] = {}
        for seq, pack in rows:
            if pack in first:
                twice.append((seq, first[pack], SECTION_OF[section]))
                break
            first[pack] = seq
    if twice:
        seq, first_seq, section = min(twice)
        raise PackError(f"{stage.where(seq)}: {record_label(section, stage.body(seq))}",
                        f"given twice in this import (duplicate {'link' if section == 'links' else 'id'}; "
                        f"also at {stage.where(first_seq)})")


def _one_each(stage: Stage, section: str, report: ImportReport) -> None:
    """A source or a position is one record whichever pack gives it (ids are global): another
    pack's statement of it must be alike (kept, as that pack's too); a different one is
    refused, saying which pack has the id. A statement of no pack alike adds nothing."""
    conn = stage.conn
    keep = ",".join(str(s) for s in KEEP)
    number = SECTION_NO[section]
    names = [name for (name,) in conn.execute(
        f"SELECT name FROM rec INDEXED BY rec_key WHERE section = ? AND status IN ({keep}) GROUP BY name "
        "HAVING count(*) > 1", (number,))]
    refused = []
    for name in names:
        rows = conn.execute(f"SELECT seq, pack, digest, place FROM rec INDEXED BY rec_key WHERE section = ? "
                            f"AND name = ? AND status IN ({keep}) ORDER BY place", (number, name)).fetchall()
        first_seq, first_pack, first_digest, _ = rows[0]
        for seq, pack, digest, place in rows[1:]:
            if digest != first_digest:
                refused.append((place, seq, first_seq, first_pack, pack))
            elif pack == "":
                conn.execute(f"UPDATE rec SET status = {ALIKE} WHERE seq = ?", (seq,))
    if refused:
        _, seq, first_seq, other_pack, pack = min(refused)
        singular = SINGULAR[section]
        mine, theirs = stage.body(seq), stage.body(first_seq)
        raise PackError(
            f"{stage.where(seq)}: {record_label(section, mine)}",
            f"pack {other_pack or '(none)'} already has a {singular} with this id "
            f"({first_difference(theirs, mine)}); {singular} ids are shared by "
            f"every pack in a database: give this one an id of its own "
            f"(e.g. {pack or 'mypack'}/{mine['id'].split('/')[-1]})")


def _check_and_write(stage: Stage, report: ImportReport, path: Path | None,
                     progress: Progress | None) -> dict[str, int]:
    """Check the merged records, writing them into a new database at `path` as they go (None:
    nothing to write); refuse, leaving the database as it was, on what is wrong in the files
    imported (a quote not found, an unknown id), then on records they change without
    --replace, then on what a change would break in the database's own records."""
    if report.conflicts or path is None:
        _check(stage, stage.entity_ids(), progress).refuse(report)
        return {}
    with new_database(path) as writer:
        writer.texts = StagedTexts(stage)
        writer.meta([info.model_dump() for info in report.packs])
        _check(stage, writer.ids, progress, writer).refuse(report)
        if progress is not None:
            progress("indexing", 0, None)  # indexes, search, the check of the new file, putting it in place
    return writer.counts


class _Found:
    """Problems found in the merged records, the files' and the database's apart: the first
    LISTED_PROBLEMS + 1 of each worded, the rest counted (a pack of a million bad links is
    refused in the memory of a few)."""

    def __init__(self) -> None:
        self.own: list[tuple[str, str]] = []
        self.database: list[tuple[str, str]] = []
        self.counted = {"own": 0, "database": 0}

    def extend(self, problems: list[tuple[str, str]]) -> None:
        for where, what in problems:
            kind = "database" if where.startswith(f"{DATABASE}:") else "own"
            self.counted[kind] += 1
            listed = self.database if kind == "database" else self.own
            if len(listed) <= LISTED_PROBLEMS:
                listed.append((where, what))

    def refuse(self, report: ImportReport) -> None:
        """Refuse on the files' own problems, else the conflicts, else the database's problems."""
        if self.own:
            refuse(self.own, self.counted["own"])
        if report.conflicts:
            refuse(report.conflicts, len(report.conflicts) + report.more_conflicts)
        if self.database:
            refuse(self.database, self.counted["database"])


def _check(stage: Stage, entity_ids: Any, progress: Progress | None, writer: Any = None) -> _Found:
    """Every merged record checked (and handed to `writer`, if given), section by section in order."""
    relations = [r for _, r in stage.merged("relations")]
    typed = any("/" in spec for r in relations for spec in (*r.source_types, *r.target_types))
    kinds = stage.kinds() if typed else (lambda ref, pack: None)
    checker = Checker(relations, stage.source, entity_ids, kinds)
    problems = _Found()
    total = sum(stage.count(section) for section in ("sources", "entities", "links", "positions"))
    done = 0

    def each(section: str, check: Callable[[Any, Any], list]) -> Any:
        nonlocal done
        for seq, record in stage.merged(section):
            found = check(record, _At(stage, seq))
            if found:  # refused at the end; not written (it may name what is not there)
                problems.extend(found)
                continue
            done += 1
            if progress is not None and done % 5000 == 0:
                progress("writing" if writer else "checking", done, total)
            yield record

    if writer is not None:
        writer.relation_records(relations)
        writer.source_records(each("sources", checker.source))
        writer.entity_owners(record for _, record in stage.merged("entities", "AND owner = 1"))
        writer.entity_further((record, owner) for _, record, owner in stage.further_statements())
        writer.entity_statements(each("entities", checker.entity))
        writer.link_records(each("links", checker.link))
        writer.position_records(each("positions", checker.position))
    else:
        for section, check in (("sources", checker.source), ("entities", checker.entity), ("links", checker.link),
                               ("positions", checker.position)):
            for _ in each(section, check):
                pass
    if progress is not None:
        progress("writing" if writer else "checking", done, total)
    return problems


def _compatible(relations: dict[Any, Any], where: Callable[[Any], str]) -> None:
    """Refuse a pack's wording of a relation that reads the other way round from the first
    wording of it (its label the other's inverse, or its ends the other's ends swapped): links
    of the two packs would mean opposite things under one name."""
    first: dict[str, Any] = {}
    for key, r in relations.items():
        other = first.setdefault(r.name, r)
        if other is r:
            continue
        flipped = r.label != r.inverse and (r.label, r.inverse) == (other.inverse, other.label)
        disjoint = any(mine and theirs and not _overlap(mine, theirs)
                       for mine, theirs in ((r.source_types, other.source_types), (r.target_types, other.target_types)))
        if flipped or disjoint:
            why = (f"its label {r.label!r} is the inverse {other.label!r} is read by" if flipped else
                   f"it joins {r.source_types or 'any'} -> {r.target_types or 'any'}, where it joins "
                   f"{other.source_types or 'any'} -> {other.target_types or 'any'}")
            raise PackError(f"{where(key)}: relation {r.name}",
                            f"means something else than relation {r.name!r} of "
                            f"{'pack ' + other.pack if other.pack else 'the standard vocabulary'} ({why}); "
                            "word it the same way round, or give it a name of its own")


def _overlap(mine: list[str], theirs: list[str]) -> bool:
    """Whether two lists of `type` or `type/kind` share an entity type."""
    return bool({t.split("/", 1)[0] for t in mine} & {t.split("/", 1)[0] for t in theirs})


def fresh() -> Pack:
    """What a new database holds before any pack: the standard vocabulary."""
    return Pack(relations=[Relation.model_validate(r) for r in standard_relations()])


def upgrade_database(path: Path) -> int:
    """Rebuild a database of an older schema from its own content; return the old version."""
    import sqlite3
    from urllib.parse import quote as urlquote

    from ..db.export import export_document

    with write_lock(path):
        try:
            conn = sqlite3.connect(f"file:{urlquote(str(path))}?mode=ro", uri=True)
            try:
                found = int(conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
                if found > SCHEMA_VERSION:
                    raise DatabaseError(f"{path}: made by a newer crisis-tui (schema {found}); upgrade crisis-tui")
                if found == SCHEMA_VERSION:
                    return found
                document = export_document(conn)
            finally:
                conn.close()
            migrate(document, found)
        except (sqlite3.Error, TypeError, ValueError, KeyError) as exc:
            raise DatabaseError(f"{path}: cannot read it to upgrade: {exc}") from None
        build_database(_as_pack(document, path), path)
    return found


def _as_pack(document: dict[str, Any], path: Path) -> Pack:
    """A database's exported content as a Pack; a record the pack format refuses is a database error."""
    from pydantic import ValidationError

    try:
        pack = name_packs(Pack.model_validate(document))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DatabaseError(f"{path}: the database holds a record the pack format refuses "
                            f"({where}: {first['msg']})") from None
    # the standard vocabulary, which an export leaves out (every database holds it), first
    standard = fresh().relations
    named = {r.name for r in standard}
    held = {r.name: r for r in pack.relations if r.pack is None and r.name in named}
    relations = [held.get(r.name, r) for r in standard] + [r for r in pack.relations
                                                           if not (r.pack is None and r.name in named)]
    return pack.model_copy(update={"pack": None, "packs": pack_infos(pack), "relations": relations})
