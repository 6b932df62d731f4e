"""The schema on PostgreSQL: SQLModel's tables (db/models.py), then what PostgreSQL adds.

Every text column sorts as SQLite's do (`COLLATE "C"`, code point order), so that a pane, a
link list or an export is in the same order on either engine.

What differs from SQLite's schema (db/schema.py):
- **Search.** `entity.search`, a stored tsvector the import maintains (name, aliases, the
  years of its dates, summary, notes, its links' notes and positions, weighted A to D), with
  a GIN index; the `crisis_tui` text search configuration folds diacritics (`unaccent`) and
  drops no stop words; `pg_trgm` indexes names and aliases for substring search and
  `search_word` for "did you mean". `passage` holds the sources' lines for passage search.
- **Display order.** No dense `entity_order`: an import would have to renumber the rows after
  each it adds. `pane_order` keeps each pane's sort key per entity (the pane of all, pack 0,
  and of each pack stating it), and `pane_count` how many rows each bucket of keys holds (a
  prefix of the key: `bucket()`), so that a row's position is the counts of the buckets
  before its own plus a short count inside it (db/pg/panes.py).
- **Ids** come from sequences (SERIAL, and `citation_id_seq`), never from Python counters, so
  that imports running at once on several hosts never hand out one id twice.
"""

from __future__ import annotations

from typing import Any

# A pane's sort key as three columns of `pane_order`, from an entity row aliased `e`: the
# same order as db/schema.py's PANE_ORDER (then the id) on SQLite.
PANE_KEYS: dict[str, tuple[str, str, str]] = {
    "event": ("e.date IS NULL", "coalesce(e.date, '')", "e.name"),
    "actor": ("e.kind IS NULL", "coalesce(e.kind, '')", "e.name"),
    "agreement": ("e.date IS NULL", "coalesce(e.date, '')", "e.name"),
    "place": ("false", "''", "e.name"),
}
# A bucket is (k1, the first CUT characters of k2, and the first 2 of k3 where k2 is shorter
# than CUT (a k2 of CUT characters shares the bucket of every longer one it begins): a prefix
# of the key, so that the order of buckets is the order of their keys.
# Dates are cut to the day (a bucket per day; a month's or a year's events by name as well):
# a timeline's lane reads a bucket per event it places, so buckets are kept small (~300 rows a
# day at 1M events over ten years: a lane of 400 events placed in 35 ms, not 247 with months);
# kinds are short words, kept whole.
BUCKET_CUT = {"event": 10, "agreement": 10, "actor": 64, "place": 64}
NAME_PREFIX = 2
NOTIFY_CHANNEL = "crisis_tui"  # an import notifies it as it commits; explorers LISTEN (db/pg/watch.py)
TS_CONFIG = "crisis_tui"
# Weights of the search vector (FIELD_WEIGHTS of db/queries.py, in PostgreSQL's four classes).
WEIGHTS = {"name": "A", "aliases": "B", "dated": "B", "summary": "C", "notes": "D", "links": "D", "positions": "D"}


def bucket(entity_type: str, k1: bool, k2: str, k3: str) -> tuple[bool, str, str]:
    """The bucket of a key of a pane of `entity_type` (as `bucket_sql` computes it)."""
    cut = BUCKET_CUT[entity_type]
    return k1, k2[:cut], k3[:NAME_PREFIX] if len(k2) < cut else ""


def bucket_sql(entity_type: str, alias: str = "o") -> str:
    """SQL for the bucket (k1, b2, b3) of `pane_order` rows aliased `alias`."""
    cut = BUCKET_CUT[entity_type]
    return (f"{alias}.k1, left({alias}.k2, {cut}), "
            f"CASE WHEN length({alias}.k2) < {cut} THEN left({alias}.k3, {NAME_PREFIX}) ELSE '' END")


EXTRA_DDL = f"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{TS_CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = simple);
        ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    END IF;
END $$;
ALTER TABLE entity ADD COLUMN search tsvector NOT NULL DEFAULT ''::tsvector;
-- The order relations and sources were written in (SQLite's rowid: the export's order); an
-- import updates a changed one in place, which keeps its place.
ALTER TABLE relation ADD COLUMN seq BIGSERIAL;
ALTER TABLE source ADD COLUMN seq BIGSERIAL;
CREATE INDEX ix_entity_search ON entity USING gin (search);
CREATE INDEX ix_entity_lower_name ON entity (lower(name));
CREATE INDEX ix_alias_lower ON alias (lower(alias));
CREATE INDEX ix_entity_name_trgm ON entity USING gin (name gin_trgm_ops);
CREATE INDEX ix_alias_trgm ON alias USING gin (alias gin_trgm_ops);
CREATE INDEX ix_entity_type_kind ON entity (type, kind, date);
CREATE INDEX ix_entity_pack ON entity (pack_id);
CREATE INDEX ix_link_pack ON link (pack_id);
CREATE INDEX ix_note_pack ON note (pack_id);
CREATE INDEX ix_alias_pack ON alias (pack_id);
CREATE INDEX ix_entity_pack_pack ON entity_pack (pack_id);
CREATE SEQUENCE citation_id_seq OWNED BY citation.id;
CREATE INDEX ix_citation_pack ON citation (pack_id);
CREATE TABLE passage (
    id BIGSERIAL PRIMARY KEY,
    source_id VARCHAR COLLATE "C" NOT NULL REFERENCES source (id),
    line INTEGER NOT NULL,
    text VARCHAR COLLATE "C" NOT NULL,
    search tsvector NOT NULL
);
CREATE INDEX ix_passage_search ON passage USING gin (search);
CREATE INDEX ix_passage_source ON passage (source_id);
CREATE TABLE search_word (word VARCHAR COLLATE "C" PRIMARY KEY);
CREATE INDEX ix_search_word_trgm ON search_word USING gin (word gin_trgm_ops);
CREATE TABLE pane_order (
    pack_id INTEGER NOT NULL,
    type VARCHAR COLLATE "C" NOT NULL,
    k1 BOOLEAN NOT NULL,
    k2 VARCHAR COLLATE "C" NOT NULL,
    k3 VARCHAR COLLATE "C" NOT NULL,
    entity_id INTEGER NOT NULL REFERENCES entity (id),
    PRIMARY KEY (pack_id, type, k1, k2, k3, entity_id)
);
CREATE INDEX ix_pane_order_entity ON pane_order (entity_id, pack_id);
CREATE TABLE pane_count (
    pack_id INTEGER NOT NULL,
    type VARCHAR COLLATE "C" NOT NULL,
    k1 BOOLEAN NOT NULL,
    b2 VARCHAR COLLATE "C" NOT NULL,
    b3 VARCHAR COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (pack_id, type, k1, b2, b3)
);
"""
SKIPPED_MODELS = ("entity_order",)  # SQLite's dense display order: pane_order and pane_count instead
OUR_TABLES = ("pane_count", "pane_order", "search_word", "passage")  # made here, dropped first


def model_statements() -> list[str]:
    """SQLModel's CREATE statements for the models' tables and indexes, for PostgreSQL, text
    columns in code point order."""
    from sqlalchemy import MetaData, String
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable
    from sqlmodel import AutoString, SQLModel

    from .. import models  # noqa: F401  (registers the tables)

    copy = MetaData()
    dialect = postgresql.dialect()
    statements = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in SKIPPED_MODELS:
            continue
        mine = table.to_metadata(copy)
        for column in mine.columns:
            if isinstance(column.type, String | AutoString):
                column.type = String(collation="C")
        statements.append(str(CreateTable(mine).compile(dialect=dialect)).strip())
        statements += [str(CreateIndex(index).compile(dialect=dialect)).strip()
                       for index in sorted(mine.indexes, key=lambda i: str(i.name))]
    return statements


def model_tables() -> list[str]:
    """The models' table names on PostgreSQL, in the order they are made."""
    from sqlmodel import SQLModel

    from .. import models  # noqa: F401

    return [t.name for t in SQLModel.metadata.sorted_tables if t.name not in SKIPPED_MODELS]


def create_schema(conn: Any) -> None:
    """Make every table, index and search configuration in the connection's transaction."""
    for statement in model_statements():
        conn.execute(statement)
    conn.execute(EXTRA_DDL)


def drop_schema(conn: Any) -> None:
    """Drop crisis-tui's tables (a build replaces them whole, in its one transaction)."""
    names = [*OUR_TABLES, *reversed(model_tables())]
    conn.execute("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE")
