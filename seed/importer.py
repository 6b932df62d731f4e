"""Merges crisis packs into a database, all or nothing.

The database's current content and the incoming packs are joined in memory, checked as a
whole (so a pack may refer to what the database already holds), built into a scratch file
and copied into the live database in one WAL transaction (`db.build.install`). A failed,
refused or killed import leaves the database as it was; readers keep reading throughout.
Writers of one database take turns (`db.writers.write_lock`); one that waits longer than
`db.writers.lock_timeout()` gives up and says the database is locked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..db.build import build_database
from ..db.constants import SCHEMA_VERSION
from ..db.errors import DatabaseError, PackError
from ..db.pack import Pack, record_label
from ..db.queries import KnowledgeBase
from ..db.writers import write_lock
from .loader import Origin, Origins, check_references, read_pack
from .migrations import migrate

KEYS = {
    "relations": lambda r: r.name,
    "sources": lambda r: r.id,
    "entities": lambda r: r.id,
    "links": lambda r: (r.source, r.relation, r.target),
    "positions": lambda r: r.id,
}


SINGULAR = {"relations": "relation", "sources": "source", "entities": "entity", "links": "link",
            "positions": "position"}


@dataclass
class ImportReport:
    """What an import did, per section."""

    added: Counter = field(default_factory=Counter)
    changed: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)

    @property
    def wrote(self) -> bool:
        return bool(self.added or self.changed)

    def summary(self) -> str:
        def part(word: str, counts: Counter) -> str:
            items = ", ".join(f"{n} {section if n != 1 else SINGULAR[section]}" for section, n in counts.items() if n)
            return f"{word} {items or 'nothing'}"

        return "; ".join((part("added", self.added), part("changed", self.changed), part("skipped", self.skipped)))


UNKNOWN = Origin("?", None)


def canonical(record: Any) -> dict[str, Any]:
    """What a record says, to compare with another version of it; not the pack it came in."""
    return record.model_dump(mode="json", exclude_defaults=True, exclude={"text_file", "pack"})


def first_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            def show(value: Any) -> str:
                text = repr(value)
                return text if len(text) <= 60 else text[:57] + "..."

            return f"field '{key}': database has {show(old.get(key))}, import has {show(new.get(key))}"
    return "content differs"


def merge(existing: Pack, incoming: list[tuple[Pack, Origins]], replace: bool) -> tuple[Pack, Origins, ImportReport]:
    """Join incoming packs into the existing content; refuse changed records unless `replace`."""
    report = ImportReport()
    merged: dict[str, dict[Any, Any]] = {}
    where: dict[str, dict[Any, Origin]] = {}
    from_import: dict[str, set[Any]] = {}
    for section, key_of in KEYS.items():
        merged[section] = {key_of(r): r for r in getattr(existing, section)}
        where[section] = {key: Origin("database", None) for key in merged[section]}
        from_import[section] = set()
    for pack, origins in incoming:
        for section, key_of in KEYS.items():
            for n, record in enumerate(getattr(pack, section)):
                key = key_of(record)
                origin = origins.get((section, n), UNKNOWN)
                if key in from_import[section]:
                    raise PackError(f"{origin}: {record_label(section, canonical(record))}",
                                    f"given twice in this import (also at {where[section][key]})")
                old = merged[section].get(key)
                if section == "relations" and old is not None:  # vocabulary, not facts: what it leaves out stays
                    kept = {key: getattr(old, key) for key in ("description", "source_types", "target_types")
                            if not getattr(record, key)}
                    if kept:
                        record = record.model_copy(update=kept)
                if old is None:
                    report.added[section] += 1
                elif canonical(old) == canonical(record):
                    report.skipped[section] += 1
                    record = old  # as it first came (an entity another pack gives alike stays of the first)
                elif replace:
                    report.changed[section] += 1
                else:
                    raise PackError(
                        f"{origin}: {record_label(section, canonical(record))}",
                        "differs from the version in the database "
                        f"({first_difference(canonical(old), canonical(record))}); "
                        "use --replace to take the imported version",
                    )
                merged[section][key] = record
                where[section][key] = origin
                from_import[section].add(key)
    pack = Pack(schema_version=existing.schema_version, relations=list(merged["relations"].values()),
                sources=list(merged["sources"].values()), entities=list(merged["entities"].values()),
                links=list(merged["links"].values()), positions=list(merged["positions"].values()))
    origins = {(section, n): where[section][key]
               for section in KEYS for n, key in enumerate(merged[section])}
    return pack, origins, report


def import_packs(files: list[Path], path: Path, replace: bool = False) -> ImportReport:
    """Merge the packs in `files` into the database at `path` (made if missing)."""
    incoming = [read_pack(file) for file in files]
    with write_lock(path):
        existing, infos = _current(path)
        pack, origins, report = merge(existing, incoming, replace)
        check_references(pack, origins)
        if report.wrote or not path.exists():
            infos += [p.pack.model_dump() for p, _ in incoming if p.pack and p.pack.model_dump() not in infos]
            build_database([pack], path, pack_infos=infos)
    return report


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
                infos = _pack_infos(dict(conn.execute("SELECT key, value FROM meta")), path)
            finally:
                conn.close()
            migrate(document, infos, found)
        except (sqlite3.Error, TypeError, ValueError, KeyError) as exc:
            raise DatabaseError(f"{path}: cannot read it to upgrade: {exc}") from None
        build_database([_as_pack(document, path)], path, pack_infos=infos)
    return found


def _current(path: Path) -> tuple[Pack, list[dict]]:
    if not path.exists():
        return Pack(), []
    kb = KnowledgeBase("sqlite:///" + str(path))
    try:
        document = kb.export()
        infos = _pack_infos(kb.meta(), path)
    finally:
        kb.close()
    return _as_pack(document, path), infos


def _pack_infos(meta: dict[str, str], path: Path) -> list[dict]:
    """The packs a database was made from, as its meta table lists them."""
    try:
        infos = json.loads(meta.get("packs") or "[]")
    except ValueError:
        infos = None
    if not isinstance(infos, list) or not all(isinstance(info, dict) for info in infos):
        raise DatabaseError(f"{path}: meta 'packs' is not a JSON list of packs")
    return infos


def _as_pack(document: dict[str, Any], path: Path) -> Pack:
    """A database's exported content as a Pack; a record the pack format refuses is a database error."""
    from pydantic import ValidationError

    document.pop("pack", None)
    try:
        return Pack.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DatabaseError(f"{path}: the database holds a record the pack format refuses "
                            f"({where}: {first['msg']})") from None
