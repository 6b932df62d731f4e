"""The columns of the tables in db/models.py, as plain data for code that must not import SQLModel.

Written from the models with schema.sql by `python -m crisis_tui.db.schema`: do not edit.
Each column as the model declares it: its Python type, whether None is a value of it, and
its default (`...` where it has none), in the order of the table.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Column(NamedTuple):
    name: str
    type: type
    nullable: bool
    default: Any


def names(table: str) -> tuple[str, ...]:
    """The column names of `table`, in order."""
    return tuple(c.name for c in TABLES[table])


TABLES: dict[str, tuple[Column, ...]] = {
    "meta": (
        Column("key", str, False, ...),
        Column("value", str, False, ...),
    ),
    "pack": (
        Column("id", int, True, None),
        Column("ref", str, False, ...),
        Column("title", str, False, ...),
        Column("description", str, False, ""),
        Column("entities", int, False, 0),
        Column("links", int, False, 0),
        Column("positions", int, False, 0),
        Column("sources", int, False, 0),
        Column("latest", str, True, None),
    ),
    "relation": (
        Column("name", str, False, ...),
        Column("label", str, False, ...),
        Column("inverse", str, False, ...),
        Column("description", str, False, ""),
        Column("source_types", str, False, "[]"),
        Column("target_types", str, False, "[]"),
        Column("pack_id", int, True, None),
    ),
    "relation_wording": (
        Column("name", str, False, ...),
        Column("pack_id", int, False, ...),
        Column("label", str, False, ...),
        Column("inverse", str, False, ...),
        Column("description", str, False, ""),
        Column("source_types", str, False, "[]"),
        Column("target_types", str, False, "[]"),
    ),
    "source": (
        Column("id", str, False, ...),
        Column("title", str, False, ...),
        Column("publisher", str, True, None),
        Column("date", str, True, None),
        Column("address", str, True, None),
        Column("text", str, True, None),
        Column("via", str, True, None),
        Column("pack_id", int, True, None),
    ),
    "source_pack": (
        Column("source_id", str, False, ...),
        Column("pack_id", int, False, ...),
    ),
    "entity": (
        Column("id", int, True, None),
        Column("ref", str, False, ...),
        Column("type", str, False, ...),
        Column("kind", str, True, None),
        Column("name", str, False, ...),
        Column("summary", str, False, ""),
        Column("date", str, True, None),
        Column("date_end", str, True, None),
        Column("date_precision", str, True, None),
        Column("date_uncertain", bool, False, False),
        Column("date_note", str, True, None),
        Column("attributes", str, False, "{}"),
        Column("pack_id", int, True, None),
    ),
    "entity_pack": (
        Column("entity_id", int, False, ...),
        Column("pack_id", int, False, ...),
        Column("fields", str, True, None),
    ),
    "entity_order": (
        Column("pack_id", int, False, ...),
        Column("type", str, False, ...),
        Column("pos", int, False, ...),
        Column("entity_id", int, False, ...),
    ),
    "alias": (
        Column("id", int, True, None),
        Column("entity_id", int, False, ...),
        Column("alias", str, False, ...),
        Column("pack_id", int, True, None),
    ),
    "note": (
        Column("id", int, True, None),
        Column("entity_id", int, False, ...),
        Column("text", str, False, ...),
        Column("pack_id", int, True, None),
    ),
    "link": (
        Column("id", int, True, None),
        Column("subject_id", int, False, ...),
        Column("relation", str, False, ...),
        Column("object_id", int, False, ...),
        Column("note", str, True, None),
        Column("pack_id", int, True, None),
    ),
    "position": (
        Column("id", int, True, None),
        Column("ref", str, False, ...),
        Column("actor_id", int, False, ...),
        Column("topic", str, False, ...),
        Column("topic_id", int, True, None),
        Column("stance", str, False, ...),
        Column("statement", str, False, ...),
        Column("date", str, True, None),
        Column("date_precision", str, True, None),
        Column("date_uncertain", bool, False, False),
        Column("pack_id", int, True, None),
    ),
    "position_pack": (
        Column("position_id", int, False, ...),
        Column("pack_id", int, False, ...),
    ),
    "citation": (
        Column("id", int, False, ...),
        Column("subject", str, False, ...),
        Column("subject_id", int, False, ...),
        Column("source_id", str, False, ...),
        Column("quote", str, False, ...),
        Column("offset", int, True, None),
        Column("line", int, True, None),
        Column("pack_id", int, True, None),
    ),
}
