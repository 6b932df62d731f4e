"""Copy a SQLite crisis database into an empty PostgreSQL database, table by table (COPY), then
make what PostgreSQL adds (pane order, search): a fast way to put a large database on a server
for a benchmark, and the tests' way to have one database on both engines.

(`crisis-tui export` from one engine and `import` into the other moves data the way a user
does; this skips the checks an import makes, for data that passed them once already.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote as urlquote

from ..tables import names
from .connect import connect
from .ddl import create_schema, drop_schema, model_tables
from .pane_rows import add_rows
from .search_index import index_entities, index_sources, index_words

_SEQUENCES = {"pack": "id", "entity": "id", "alias": "id", "note": "id", "link": "id", "position": "id"}


def copy_database(source: Path, url: str) -> None:
    """Replace the crisis-tui tables of the database at `url` with a copy of the SQLite file `source`."""
    lite = sqlite3.connect(f"file:{urlquote(str(source))}?mode=ro", uri=True)
    conn = connect(url, readonly=False, autocommit=False)
    try:
        drop_schema(conn)
        create_schema(conn)
        for table in model_tables():
            columns = names(table)
            quoted = ", ".join(f'"{c}"' for c in columns)
            flags = [n for n, c in enumerate(columns) if _boolean(table, c)]
            with conn.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for row in lite.execute(f'SELECT {quoted} FROM "{table}"'):
                    if flags:
                        row = tuple(bool(v) if n in flags and v is not None else v for n, v in enumerate(row))
                    copy.write_row(row)
        for table, column in _SEQUENCES.items():
            conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                         f"coalesce((SELECT max({column}) FROM \"{table}\"), 0) + 1, false)")
        conn.execute("SELECT setval('citation_id_seq', coalesce((SELECT max(id) FROM citation), 0) + 1, false)")
        add_rows(conn, "true")
        index_entities(conn, "true")
        index_words(conn, "true")
        index_sources(conn, [r[0] for r in conn.execute("SELECT id FROM source WHERE text IS NOT NULL")])
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    finally:
        conn.close()
        lite.close()


def _boolean(table: str, column: str) -> bool:
    from ..tables import TABLES

    return any(c.name == column and c.type is bool for c in TABLES[table])


if __name__ == "__main__":
    import sys

    copy_database(Path(sys.argv[1]), sys.argv[2])
