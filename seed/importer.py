"""Merges crisis packs into a database, all or nothing.

The database's current content and the incoming packs are joined in memory, checked as a
whole (so a pack may refer to what the database already holds), built into a scratch file
and copied into the live database in one WAL transaction (`db.build.install`). A failed,
refused or killed import leaves the database as it was; readers keep reading throughout.
Writers of one database take turns (`db.writers.write_lock`); one that waits longer than
`db.writers.lock_timeout()` gives up and says the database is locked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db.build import build_database
from ..db.constants import SCHEMA_VERSION
from ..db.errors import DatabaseError, PackError
from ..db.pack import Pack, PackInfo, Relation, name_packs, record_label
from ..db.queries import KnowledgeBase
from ..db.writers import write_lock
from .loader import Origin, Origins, read_pack, reference_problems, refuse
from .migrations import migrate
from .vocabulary import standard_relations

KEYS = {
    "relations": lambda r: r.name,
    "sources": lambda r: r.id,
    "entities": lambda r: r.id,
    "links": lambda r: (r.source, r.relation, r.target),
    "positions": lambda r: r.id,
}
# Records each pack states its own way (its own version of an entity, its own wording of a
# relation, its own links); a source or a position is one record, whichever pack states it.
PER_PACK = ("relations", "entities", "links")

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
DATABASE = "database"  # where a record already in the database comes from, in a problem's place


def canonical(record: Any) -> dict[str, Any]:
    """What a record says, to compare with another version of it; not the pack it came in."""
    return record.model_dump(mode="json", exclude_defaults=True, exclude={"text_file", "pack"})


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


def merge(existing: Pack, incoming: list[tuple[Pack, Origins]], replace: bool) -> tuple[Pack, Origins, ImportReport]:
    """Join incoming packs into the existing content, each record as the pack that states it.

    A record another pack states too is kept as each states it (an entity's aliases, notes and
    citations; a relation's wording), not a conflict. A record the importing pack stated
    before and states differently now is refused unless `replace`, which replaces what that
    pack stated (and only that: another pack's version of a shared entity stays).
    """
    report = ImportReport()
    infos = {info.id: info for info in pack_infos(existing)}
    importing: set[str] = set()
    for pack, origins in incoming:
        stated = stated_packs(pack)
        for info in pack_infos(pack):
            old = infos.get(info.id)
            if info.id not in stated:  # a pack it refers to: known as the database has it
                if old is None:
                    infos[info.id] = info
                    report.added["packs"] += 1
                continue
            if old is not None and old != info and not replace:
                header = origins.get(("pack" if pack.pack else "packs", -1), UNKNOWN)
                report.conflicts.append((f"{header}: pack {info.id}", "differs from the version in the database "
                                         f"({first_difference(old.model_dump(), info.model_dump())}); "
                                         "use --replace to take the imported version"))
            if old is None:
                report.added["packs"] += 1
            elif old != info:
                report.changed["packs"] += 1
            infos[info.id] = info
            importing.add(info.id)
    merged: dict[str, dict[Any, Any]] = {}
    where: dict[str, dict[Any, Origin]] = {}
    stale: dict[str, set[Any]] = {}  # what a pack imported with --replace stated before and may not state now
    for section, key_of in KEYS.items():
        merged[section] = {(key_of(r), r.pack): r for r in getattr(existing, section)}
        where[section] = {key: Origin(DATABASE, None) for key in merged[section]}
        stale[section] = {key for key in merged[section] if replace and key[1] in importing}
    from_import: dict[str, set[Any]] = {section: set() for section in KEYS}
    first: dict[str, dict[Any, Any]] = {section: {} for section in PER_PACK}  # each record's first statement
    for section in PER_PACK:
        for (name, _), record in merged[section].items():
            first[section].setdefault(name, record)
    for pack, origins in incoming:
        for section, key_of in KEYS.items():
            for n, record in enumerate(getattr(pack, section)):
                key = (key_of(record), record.pack)
                origin = origins.get((section, n), UNKNOWN)
                if key in from_import[section]:
                    raise PackError(f"{origin}: {record_label(section, canonical(record))}",
                                    f"given twice in this import (duplicate {'link' if section == 'links' else 'id'}; "
                                    f"also at {where[section][key]})")
                if section == "relations" and key[0] in first[section]:  # what it leaves out, it means as defined
                    defined = first[section][key[0]]
                    kept = {name: getattr(defined, name) for name in ("description", "source_types", "target_types")
                            if not getattr(record, name)}
                    if kept:
                        record = record.model_copy(update=kept)
                old = merged[section].get(key)
                other = first[section].get(key[0]) if section in PER_PACK and key[1] is None else None
                if old is None and other is not None and other.pack is not None:  # no pack: no statement of its own
                    if canonical(other) != canonical(record):
                        report.conflicts.append((
                            f"{origin}: {record_label(section, canonical(record))}",
                            f"pack {other.pack} states it otherwise "
                            f"({first_difference(canonical(other), canonical(record))}); a document of no pack "
                            "cannot add its own version: give it a `pack:` header (docs/pack-format.md)"))
                    report.skipped[section] += 1
                    continue
                if section in PER_PACK:
                    first[section].setdefault(key[0], record)
                if old is None:
                    report.added[section] += 1
                elif canonical(old) == canonical(record):
                    report.skipped[section] += 1
                    record = old
                elif key in stale[section] or (replace and key[1] is None):  # of no pack: what it restates
                    report.changed[section] += 1
                else:  # checked as imported (check_references) before it is refused for this
                    report.conflicts.append((
                        f"{origin}: {record_label(section, canonical(record))}",
                        "differs from the version in the database "
                        f"({first_difference(canonical(old), canonical(record))}); "
                        "use --replace to take the imported version"))
                stale[section].discard(key)
                merged[section][key] = record  # in its old place, if it had one: the first pack stays first
                where[section][key] = origin
                from_import[section].add(key)
    for section in KEYS:
        for key in stale[section]:
            del merged[section][key]
            report.removed[section] += 1
        if not replace:
            unstated = sum(1 for key in merged[section] if key[1] in importing and key not in from_import[section])
            if unstated:
                report.unstated[section] += unstated
    for section in ("sources", "positions"):
        _one_each(section, merged[section], where[section], report)
    _compatible(merged["relations"], where["relations"])
    pack = Pack(schema_version=existing.schema_version, packs=list(infos.values()),
                relations=list(merged["relations"].values()), sources=list(merged["sources"].values()),
                entities=list(merged["entities"].values()), links=list(merged["links"].values()),
                positions=list(merged["positions"].values()))
    origins = {(section, n): where[section][key]
               for section in KEYS for n, key in enumerate(merged[section])}
    return pack, origins, report


def _one_each(section: str, records: dict[Any, Any], where: dict[Any, Origin], report: ImportReport) -> None:
    """A source or a position is one record whichever pack gives it (ids are global): another
    pack's statement of it must be alike (kept, as that pack's too); a different one is
    refused, saying which pack has the id. A statement of no pack alike adds nothing."""
    first: dict[str, tuple[Any, Any]] = {}
    for key, record in list(records.items()):
        name, pack = key
        if name not in first:
            first[name] = (key, record)
            continue
        (_, other_pack), other = first[name]
        if canonical(other) != canonical(record):
            singular = SINGULAR[section]
            raise PackError(
                f"{where[key]}: {record_label(section, canonical(record))}",
                f"pack {other_pack or '(none)'} already has a {singular} with this id "
                f"({first_difference(canonical(other), canonical(record))}); {singular} ids are shared by "
                f"every pack in a database: give this one an id of its own "
                f"(e.g. {pack or 'mypack'}/{name.split('/')[-1]})")
        if pack is None:
            del records[key]
            if where[key].file != DATABASE:  # counted as added by the import: it adds nothing
                report.added[section] -= 1
                report.skipped[section] += 1


def _compatible(relations: dict[Any, Any], where: dict[Any, Origin]) -> None:
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
            raise PackError(f"{where[key]}: relation {r.name}",
                            f"means something else than relation {r.name!r} of "
                            f"{'pack ' + other.pack if other.pack else 'the standard vocabulary'} ({why}); "
                            "word it the same way round, or give it a name of its own")


def _overlap(mine: list[str], theirs: list[str]) -> bool:
    """Whether two lists of `type` or `type/kind` share an entity type."""
    return bool({t.split("/", 1)[0] for t in mine} & {t.split("/", 1)[0] for t in theirs})


def fresh() -> Pack:
    """What a new database holds before any pack: the standard vocabulary."""
    return Pack(relations=[Relation.model_validate(r) for r in standard_relations()])


def import_packs(files: list[Path], path: Path, replace: bool = False) -> ImportReport:
    """Merge the packs in `files` into the database at `path` (made if missing)."""
    incoming = [read_pack(file) for file in files]
    with write_lock(path):
        existing = _current(path)
        pack, origins, report = merge(existing, incoming, replace)
        _check(pack, origins, report)
        if report.wrote or not path.exists():
            build_database(pack, path)
    return report


def build_packs(files: list[Path], path: Path) -> dict[str, int]:
    """Build a new database at `path` from the packs in `files` together (one may refer to
    another's records); the caller holds the write lock."""
    incoming = [read_pack(file) for file in files]
    pack, origins, report = merge(fresh(), incoming, replace=False)
    _check(pack, origins, report)
    return build_database(pack, path)


def _check(pack: Pack, origins: Origins, report: ImportReport) -> None:
    """Refuse a merge that does not hold together: first for what is wrong in the files imported
    (a quote not found, an unknown id), then for records they change without --replace, then
    for what a change would break in the database's own records."""
    problems = reference_problems(pack, origins)
    own = [problem for problem in problems if not problem[0].startswith(f"{DATABASE}:")]
    for found in (own, report.conflicts, problems):
        if found:
            refuse(found)


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


def _current(path: Path) -> Pack:
    """The database's content as one document of the packs it holds (the standard vocabulary if new)."""
    if not path.exists():
        return fresh()
    kb = KnowledgeBase("sqlite:///" + str(path))
    try:
        document = kb.export()
    finally:
        kb.close()
    return _as_pack(document, path)


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
