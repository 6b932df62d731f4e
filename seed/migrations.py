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


def _entity_pack(document: Document, packs: list[dict]) -> None:
    """Schema 4 added entity.pack: in a database made from one pack, every entity came from it.
    Of one made from several, which entity came from which was not kept: theirs stays empty."""
    if len(packs) == 1:
        for entity in document["entities"]:
            entity.setdefault("pack", packs[0].get("id"))


# A schema version -> what takes the export of a database of that version to the next.
STEPS: dict[int, Callable[[Document, list[dict]], None]] = {3: _entity_pack}


def migrate(document: Document, packs: list[dict], version: int) -> None:
    """Take the export of a database of schema `version`, made from `packs` (its meta), to the current schema."""
    for step in range(version, SCHEMA_VERSION):
        if step in STEPS:
            STEPS[step](document, packs)
