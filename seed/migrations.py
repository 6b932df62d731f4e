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


# A schema version -> what takes the export of a database of that version to the next. None
# so far: schema 4 added entity.pack and 6 each record's pack, and an older database's export
# names its one pack in its header, which the records that name none take on
# (db.pack.name_packs); a database of several packs from before schema 6 did not keep which
# record came from which, so its records stay of no pack.
STEPS: dict[int, Callable[[Document], None]] = {}


def migrate(document: Document, version: int) -> None:
    """Take the export of a database of schema `version` to the current schema."""
    for step in range(version, SCHEMA_VERSION):
        if step in STEPS:
            STEPS[step](document)
