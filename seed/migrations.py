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

Document = dict[str, Any]  # a pack document, as db/export.py writes it


def _record_packs(document: Document) -> None:
    """Schema 6 records the pack of every record, where schema 4 and 5 recorded an entity's
    only. The export of an older database names its one pack in its header, which records
    that name none take on (db.pack.name_packs); but a link, a position or a source that only
    records of no pack touch (an ACLED file imported beside the pack) was of no pack: say so."""
    header = (document.get("pack") or {}).get("id")
    if header is None:
        return
    loose = {e["id"] for e in document["entities"] if "pack" in e and e["pack"] is None}
    quoted_by_pack: set[str] = set()
    for section, ends in (("links", ("source", "target")), ("positions", ("actor",))):
        for record in document.get(section, []):
            if "pack" not in record and all(record.get(end) in loose for end in ends):
                record["pack"] = None
    for section in ("entities", "links", "positions"):
        for record in document.get(section, []):
            if record.get("pack", header) is not None:
                quoted_by_pack |= {c["source"] for c in record.get("citations", [])}
                quoted_by_pack |= {c["source"] for note in record.get("notes", []) for c in note["citations"]}
    vias = {s["via"] for s in document.get("sources", []) if s.get("via") and s["id"] in quoted_by_pack}
    for source in document.get("sources", []):
        if "pack" not in source and source["id"] not in quoted_by_pack | vias:
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
