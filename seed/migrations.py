"""What `crisis-tui upgrade` does to a database's content on its way to the current schema.

An upgrade exports the old database (db/export.py reads the columns its tables have), takes
the document through the steps below from the database's schema version on, and builds the
current schema from it (seed/importer.py). A new column that old rows may leave at its
default needs no step; one that they should fill from what the database knows needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..db.constants import SCHEMA_VERSION
from .vocabulary import standard_relations

Document = dict[str, Any]  # a pack document, as db/export.py writes it


def _record_packs(document: Document) -> None:
    """Schema 6 records the pack of every record, where schema 4 and 5 recorded an entity's
    only. Each other record's is worked out from the entities it joins: under one `pack:`
    header records take the header's (db.pack.name_packs), but a link, position or source
    that only records of no pack touch (an ACLED file imported beside the pack) is of no
    pack; under a `packs:` list (several packs), a link is of the pack both its ends are of,
    a position of its actor's, a source of the one pack whose records cite it; where that
    cannot be told, of no pack."""
    header = (document.get("pack") or {}).get("id")
    if header is None and not document.get("packs"):
        return
    pack_of = {e["id"]: e.get("pack", header) for e in document["entities"]}
    for link in document.get("links", []):
        if "pack" not in link:
            ends = {pack_of.get(link["source"]), pack_of.get(link["target"])}
            if header is None or ends == {None}:
                link["pack"] = ends.pop() if len(ends) == 1 else None
    for position in document.get("positions", []):
        if "pack" not in position:
            actor = pack_of.get(position["actor"])
            if header is None or actor is None:
                position["pack"] = actor
    if header is None:  # a relation of its own that only one pack's links use is that pack's
        standard = {r["name"] for r in standard_relations()}
        users: dict[str, set[str | None]] = {}
        for link in document.get("links", []):
            users.setdefault(link["relation"], set()).add(link.get("pack"))
        for relation in document.get("relations", []):
            used_by = users.get(relation["name"], set())
            if "pack" not in relation and relation["name"] not in standard and len(used_by) == 1:
                relation["pack"] = next(iter(used_by))
    citing: dict[str, set[str | None]] = {}
    for section in ("entities", "links", "positions"):
        for record in document.get(section, []):
            quoted = [c["source"] for c in record.get("citations", [])]
            quoted += [c["source"] for note in record.get("notes", []) for c in note["citations"]]
            for source in quoted:
                citing.setdefault(source, set()).add(record.get("pack", header))
    for source in document.get("sources", []):  # a source quoted `via` another: that one's text is cited too
        if source.get("via"):
            citing.setdefault(source["via"], set()).update(citing.get(source["id"], set()))
    for source in document.get("sources", []):
        if "pack" not in source:
            packs = citing.get(source["id"], set())
            if header is None:
                source["pack"] = packs.pop() if len(packs) == 1 else None
            elif packs and header not in packs:  # only records of no pack cite it
                source["pack"] = None


# A schema version -> what takes the export of a database of that version to the next.
# Schema 4 added entity.pack: the export of a schema-3 database names its one pack in its
# header, which its entities take on (db.pack.name_packs); a database of several packs did not
# keep which entity came from which, so its records stay of no pack.
STEPS: dict[int, Callable[[Document], None]] = {5: _record_packs}


def migrate(document: Document, version: int) -> None:
    """Take the export of a database of schema `version` to the current schema."""
    for step in range(version, SCHEMA_VERSION):
        if step in STEPS:
            STEPS[step](document)
