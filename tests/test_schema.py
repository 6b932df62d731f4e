"""One schema: the models' columns reach the writer, the query layer, the export and the pack format.

db/models.py is the one definition; db/tables.py is its columns as plain data for the code
that must not import SQLModel. These tests fail when a column is left out anywhere.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import asdict, fields

from crisis_tui.db.build import EntityIn, Writer, build_database
from crisis_tui.db.export import export_document
from crisis_tui.db.pack import PACK_NAMES, Entity, Link, Pack, Position, Relation, Source
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import EntityDetail, EntityRow
from crisis_tui.db.schema import MODEL_TABLES, model_tables
from crisis_tui.db.tables import TABLES, names


def test_tables_py_is_the_models_own():
    assert MODEL_TABLES.read_text(encoding="utf-8") == model_tables(), (
        "the models changed: run `python -m crisis_tui.db.schema` and bump SCHEMA_VERSION")


def test_the_explorer_and_the_build_import_no_orm():
    """The column lists come from db/tables.py: reading and building import no SQLAlchemy (~0.5 s)."""
    code = ("import sys\n"
            "import crisis_tui.db.queries, crisis_tui.db.build, crisis_tui.db.export, crisis_tui.seed.importer\n"
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


class _Recorder:
    """A sink that keeps which columns each table was given."""

    def __init__(self) -> None:
        self.columns: dict[str, set[str]] = {}

    def put(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        assert all(len(row) == len(columns) for row in rows), table
        self.columns.setdefault(table, set()).update(columns)


def test_the_writer_writes_every_column_of_every_table(bundled_pack):
    sink = _Recorder()
    writer = Writer(sink)
    writer.meta([])
    writer.pack(bundled_pack)
    numbered_by_sqlite = {("alias", "id")}
    counted = {("pack", "latest")}  # schema.count_packs
    made_from_the_others = {"entity_order"}  # schema.renumber
    for table, columns in TABLES.items():
        if table in made_from_the_others:
            continue
        numbered = {c for t, c in numbered_by_sqlite | counted if t == table}
        missing = {c.name for c in columns} - sink.columns.get(table, set()) - numbered
        assert not missing, f"the writer does not write {table}.{sorted(missing)}"
    assert EntityIn._fields == names("entity")[1:]


def test_the_pack_format_has_every_column():
    """Relations, sources and entities take their fields from the columns; links and positions name theirs."""
    assert {PACK_NAMES.get(n, n) for n in names("entity") if n != "id"} <= set(Entity.model_fields)
    assert {PACK_NAMES.get(n, n) for n in names("source")} <= set(Source.model_fields)
    assert {PACK_NAMES.get(n, n) for n in names("relation")} <= set(Relation.model_fields)
    pack_names = {
        Link: ({"subject_id": "source", "object_id": "target", "relation": "relation", "note": "note",
                "pack_id": "pack"}, "link"),
        Position: ({"ref": "id", "actor_id": "actor", "topic": "topic", "topic_id": "about", "stance": "stance",
                    "statement": "statement", "date": "date", "date_uncertain": "date_uncertain", "pack_id": "pack"},
                   "position"),
    }
    derived = {"id", "date_precision"}  # given out by the writer, or worked out from the date
    for model, (renamed, table) in pack_names.items():
        for column in names(table):
            assert column in derived or renamed.get(column) in model.model_fields, (
                f"{table}.{column} is not in the pack format ({model.__name__})")


def test_the_query_layer_reads_every_entity_column():
    """EntityRow and EntityDetail are read by field name; between them they hold every column."""
    row, detail = {f.name for f in fields(EntityRow)}, {f.name for f in fields(EntityDetail)}
    columns = set(names("entity")) - {"pack_id"}  # read as EntityDetail.packs: the first is the entity's pack
    assert "packs" in detail
    assert row <= columns, "an EntityRow field is not an entity column"
    assert columns <= row | detail, f"entity columns no record reads: {sorted(columns - row - detail)}"


# A value for each type of column, where the pack format checks no more than the type.
_BY_TYPE = {str: "value-1", int: 7, float: 1.5, bool: True}
_CHECKED = {"id": "event/every-field", "type": "event", "kind": "battle", "name": "Every field",
            "summary": "Every field set.", "date": "2025-05-07", "date_end": "2025-05-10", "date_precision": "day",
            "date_note": "The sources differ.", "attributes": {"killed": 3, "place": "Here"}, "pack": "every-pack"}


def _every_field() -> dict:
    """An entity with every field of the pack format set, none to its default."""
    record = {name: _CHECKED.get(name, _BY_TYPE[c.type]) for c in TABLES["entity"]
              if (name := PACK_NAMES.get(c.name, c.name)) in Entity.model_fields}
    note = {"text": "A note.", "citations": [{"source": "doc", "quote": "Every field"}]}
    record.update(aliases=["Every"], notes=[note],
                  citations=[{"source": "doc", "quote": "Every field set."}])
    assert set(record) == set(Entity.model_fields)
    for name, field in Entity.model_fields.items():
        assert field.is_required() or record[name] != field.get_default(call_default_factory=True), name
    return record


def test_every_entity_field_goes_in_and_comes_back_out(tmp_path):
    """Pack -> writer -> database -> query layer and export, for every column, whatever its name."""
    record = _every_field()
    pack = Pack.model_validate({
        "pack": {"id": "every-pack", "title": "Every field"}, "relations": [],
        "sources": [{"id": "doc", "title": "Doc", "text": "Every field set. Every field"}], "entities": [record]})
    path = tmp_path / "every.db"
    build_database(pack, path)
    conn = sqlite3.connect(path)
    try:
        document = export_document(conn)
    finally:
        conn.close()
    assert document["pack"]["id"] == "every-pack"  # the entity's own pack: the header's, so not said again
    assert document["entities"] == [{k: v for k, v in record.items() if k != "pack"}]
    kb = KnowledgeBase(f"sqlite:///{path}")
    try:
        detail = kb.detail("event/every-field")
    finally:
        kb.close()
    read = {**asdict(detail.row), **asdict(detail)}
    for column in names("entity"):
        if column not in ("id", "attributes", "pack_id"):
            assert read[column] == record[PACK_NAMES.get(column, column)], column
    assert [p.id for p in detail.packs] == [record["pack"]]
    assert detail.attributes == record["attributes"]


def test_the_export_reads_the_columns_an_older_table_has(db_copy):
    """A database of an older schema, without a column that came later, still exports (to upgrade)."""
    conn = sqlite3.connect(db_copy)
    try:
        conn.execute("ALTER TABLE entity DROP COLUMN date_note")
        entities = export_document(conn)["entities"]
    finally:
        conn.close()
    assert entities and not any("date_note" in e for e in entities)
    assert json.dumps(entities)  # plain data, as a pack file holds
