"""Creates the schema: SQLModel's tables, then the indexes and full-text tables SQLite adds.

`db/models.py` is the one definition of the tables. Two files are written from it ahead of
time by `python -m crisis_tui.db.schema`, so that neither a first launch nor the explorer
imports SQLAlchemy (a slow import): `schema.sql`, SQLModel's own DDL for the models, and
`tables.py`, each table's columns as plain data, from which the bulk writer, the query
layer, the export and the pack format take their column lists. tests/test_schema.py fails
when either differs from the models.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

MODEL_DDL = Path(__file__).with_name("schema.sql")
MODEL_TABLES = Path(__file__).with_name("tables.py")

# Display order of each pane; `entity_order.pos` is the row number in it.
PANE_ORDER = {
    "event": "date IS NULL, date, name",
    "actor": "kind IS NULL, kind, name",
    "agreement": "date IS NULL, date, name",
    "place": "name",
}

_EXTRA_DDL = """
CREATE INDEX IF NOT EXISTS ix_entity_name_nocase ON entity (name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS ix_alias_nocase ON alias (alias COLLATE NOCASE);
-- A pane filtered by kind, and the kinds a filter prompt offers (db/filters.py).
CREATE INDEX IF NOT EXISTS ix_entity_type_kind ON entity (type, kind, date);
CREATE VIEW IF NOT EXISTS entity_search (id, name, aliases, summary) AS
    SELECT e.id, e.name,
           coalesce((SELECT group_concat(a.alias, ' | ') FROM alias a WHERE a.entity_id = e.id), ''),
           e.summary
    FROM entity e;
CREATE VIRTUAL TABLE IF NOT EXISTS entity_fts USING fts5 (
    name, aliases, summary,
    content = 'entity_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS entity_fts_vocab USING fts5vocab (entity_fts, 'row');
-- The words of the index and how many entities hold each: a prefix typed in search becomes
-- an OR of whole words (FTS5 prefix queries materialise huge doclists at scale).
CREATE TABLE IF NOT EXISTS search_term (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
-- Every distinct name and alias once, for substring search ("rov-D"): names repeat at scale
-- ("Clashes in Kabul"), and a trigram index over each entity's name was a large part of a build.
CREATE VIRTUAL TABLE IF NOT EXISTS search_name USING fts5 (
    text, tokenize = 'trigram case_sensitive 0'
);
"""


def model_ddl() -> str:
    """SQLModel's CREATE statements for every table and index of the models, for SQLite."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable
    from sqlmodel import SQLModel

    from . import models  # noqa: F401  (registers the tables)

    dialect = sqlite.dialect()
    statements = []
    for table in SQLModel.metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements += [str(CreateIndex(index).compile(dialect=dialect)).strip()
                       for index in sorted(table.indexes, key=lambda i: str(i.name))]
    return "".join(f"{s};\n\n" for s in statements)


def create_schema(path: str) -> None:
    """Create every table of the models, plus indexes, the search view and FTS5 tables."""
    with sqlite3.connect(path) as conn:
        conn.executescript(MODEL_DDL.read_text(encoding="utf-8"))
        conn.executescript(_EXTRA_DDL)


def drop_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes (to load rows fast) and return the SQL that makes them again."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    for name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in rows]


def renumber(conn: sqlite3.Connection) -> None:
    """Number each pane's rows in display order (`entity_order`), once per write: of all the
    entities (pack_id 0) and, where the database holds several packs, of each pack's."""
    conn.execute("DELETE FROM entity_order")
    packs = [row[0] for row in conn.execute("SELECT id FROM pack ORDER BY id")]
    for entity_type, order in PANE_ORDER.items():
        conn.execute(
            f"""INSERT INTO entity_order (pack_id, type, pos, entity_id)
                SELECT 0, type, row_number() OVER (ORDER BY {order}, id) - 1, id FROM entity WHERE type = ?""",
            (entity_type,),
        )
        for pack in packs if len(packs) > 1 else ():
            conn.execute(
                f"""INSERT INTO entity_order (pack_id, type, pos, entity_id)
                    SELECT ?, type, row_number() OVER (ORDER BY {order}, id) - 1, id FROM entity
                    WHERE type = ? AND (pack_id = ? OR id IN (SELECT entity_id FROM entity_pack WHERE pack_id = ?))""",
                (pack, entity_type, pack, pack),
            )


def count_packs(conn: sqlite3.Connection) -> None:
    """Count what each pack states into its row of `pack`, once per write (a pass over each table)."""
    conn.execute(
        """UPDATE pack SET
               entities = (SELECT count(*) FROM entity WHERE pack_id = pack.id)
                          + (SELECT count(*) FROM entity_pack WHERE pack_id = pack.id),
               latest = (SELECT max(date) FROM entity WHERE pack_id = pack.id AND type = 'event')""")
    for table, column in (("link", "links"), ("position", "positions"), ("source", "sources")):
        conn.execute(f"""UPDATE pack SET {column} = coalesce((SELECT n FROM (SELECT pack_id, count(*) AS n
                         FROM {table} GROUP BY pack_id) WHERE pack_id = pack.id), 0)""")
    for table, column in (("position_pack", "positions"), ("source_pack", "sources")):  # given alike by further packs
        conn.execute(f"UPDATE pack SET {column} = {column} + (SELECT count(*) FROM {table} WHERE pack_id = pack.id)")


def rebuild_search(conn: sqlite3.Connection) -> None:
    """Rebuild the full-text, term and substring indexes from the tables, once per write."""
    # Terms gather in memory up to `hashsize` before a segment is written: 64 MB instead of 1
    # means far fewer segments to merge (benchmarks/README.md).
    conn.execute("INSERT INTO entity_fts (entity_fts, rank) VALUES ('hashsize', 67108864)")
    conn.execute("INSERT INTO entity_fts (entity_fts) VALUES ('rebuild')")
    conn.execute("DELETE FROM search_term")
    conn.execute("INSERT INTO search_term (term, docs) SELECT term, doc FROM entity_fts_vocab")
    conn.execute("DELETE FROM search_name")
    conn.execute(
        """INSERT INTO search_name (text) SELECT DISTINCT text COLLATE NOCASE
           FROM (SELECT name AS text FROM entity UNION ALL SELECT alias FROM alias)"""
    )


_TABLES_HEAD = '''"""The columns of the tables in db/models.py, as plain data for code that must not import SQLModel.

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
'''


def model_tables() -> str:
    """The text of `tables.py`: every model's columns, read from the models themselves."""
    from typing import get_args

    from pydantic_core import PydanticUndefined
    from sqlmodel import SQLModel

    from . import models

    lines = [_TABLES_HEAD]
    for model in vars(models).values():
        if not (isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__")):
            continue
        lines.append(f"    {_literal(model.__tablename__)}: (\n")
        for name, field in model.model_fields.items():
            kinds = set(get_args(field.annotation)) or {field.annotation}  # `str | None`, Optional[str] or `str`
            nullable = type(None) in kinds
            kind = next(iter(kinds - {type(None)})) if len(kinds - {type(None)}) == 1 else None
            if kind not in (str, int, float, bool):
                raise TypeError(f"{model.__tablename__}.{name}: a column is str, int, float or bool (or None), "
                                f"not {field.annotation}")
            default = "..." if field.default is PydanticUndefined else _literal(field.default)
            lines.append(f"        Column({_literal(name)}, {kind.__name__}, {nullable}, {default}),\n")
        lines.append("    ),\n")
    lines.append("}\n")
    return "".join(lines)


def _literal(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value)


if __name__ == "__main__":
    MODEL_DDL.write_text(model_ddl(), encoding="utf-8")
    MODEL_TABLES.write_text(model_tables(), encoding="utf-8")
    print(f"wrote {MODEL_DDL} and {MODEL_TABLES}")
