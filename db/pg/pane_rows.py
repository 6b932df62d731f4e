"""Keeping `pane_order` and `pane_count` (db/pg/ddl.py) as imports add, change and remove entities.

An entity has a row in the pane of all (pack 0) and in the pane of each pack stating it (its
own, `entity.pack_id`, and each `entity_pack`), keyed as PANE_KEYS sorts it; `pane_count`
counts the rows of each bucket. Only the rows of the entities an import touches are written:
nothing is renumbered. Count rows are written in key order, so that two imports adding to the
same buckets take their row locks in one order and never deadlock; the second waits for the
first to commit.
"""

from __future__ import annotations

from typing import Any

from .ddl import BUCKET_CUT, NAME_PREFIX, PANE_KEYS


def _case(column: int) -> str:
    """The key column `column` (0, 1, 2) of an entity `e`, by its type."""
    arms = " ".join(f"WHEN '{t}' THEN {keys[column]}" for t, keys in PANE_KEYS.items())
    return f"CASE e.type {arms} END"


def _cut() -> str:
    arms = " ".join(f"WHEN '{t}' THEN {cut}" for t, cut in BUCKET_CUT.items())
    return f"CASE type {arms} END"


# The bucket of a row of columns (type, k1, k2, k3): ddl.bucket() in SQL.
_BUCKET = (f"k1, left(k2, {_cut()}) AS b2, "
           f"CASE WHEN length(k2) < {_cut()} THEN left(k3, {NAME_PREFIX}) ELSE '' END AS b3")


def add_rows(conn: Any, where: str, params: tuple | dict = (), only_pack: int | None = None) -> None:
    """Add the pane rows of the entities `e` that `where` selects (SQL over entity `e`, psycopg
    parameters): in the pane of all and of every pack stating each, or with `only_pack`, in that
    pack's pane only (a further pack stating an entity already shown elsewhere). Rows already
    there are left; only those added are counted."""
    if only_pack is None:
        scopes = f"""SELECT e.id, 0 AS pack_id FROM entity e WHERE {where}
                     UNION SELECT e.id, e.pack_id FROM entity e WHERE e.pack_id IS NOT NULL AND ({where})
                     UNION SELECT x.entity_id, x.pack_id FROM entity_pack x JOIN entity e ON e.id = x.entity_id
                           WHERE {where}"""
        params = _thrice(params)
    else:
        scopes = f"SELECT e.id, {int(only_pack)} AS pack_id FROM entity e WHERE {where}"
    conn.execute(
        f"""WITH added AS (
                INSERT INTO pane_order (pack_id, type, k1, k2, k3, entity_id)
                SELECT s.pack_id, e.type, {_case(0)}, {_case(1)}, {_case(2)}, e.id
                FROM ({scopes}) s JOIN entity e ON e.id = s.id
                ON CONFLICT DO NOTHING
                RETURNING pack_id, type, k1, k2, k3)
            INSERT INTO pane_count AS c (pack_id, type, k1, b2, b3, n)
            SELECT pack_id, type, {_BUCKET}, count(*) FROM added GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
            ON CONFLICT (pack_id, type, k1, b2, b3) DO UPDATE SET n = c.n + excluded.n""",
        params)


def remove_rows(conn: Any, where: str, params: tuple | dict = (), only_pack: int | None = None) -> None:
    """Remove the pane rows of the entities `e` that `where` selects (with `only_pack`, from that
    pack's pane only), counting them out of their buckets."""
    pack = "" if only_pack is None else f" AND o.pack_id = {int(only_pack)}"
    conn.execute(
        f"""WITH gone AS (
                DELETE FROM pane_order o USING entity e WHERE e.id = o.entity_id AND ({where}){pack}
                RETURNING o.pack_id, o.type, o.k1, o.k2, o.k3),
            counted AS (SELECT pack_id, type, {_BUCKET}, count(*) AS n FROM gone GROUP BY 1, 2, 3, 4, 5)
            UPDATE pane_count c SET n = c.n - counted.n FROM counted
            WHERE (c.pack_id, c.type, c.k1, c.b2, c.b3) = (counted.pack_id, counted.type, counted.k1, counted.b2,
                                                            counted.b3)""",
        params)


def rekey(conn: Any, where: str, params: tuple | dict = ()) -> None:
    """The entities `where` selects changed a field their panes sort by: move their rows."""
    remove_rows(conn, where, params)
    add_rows(conn, where, params)


def _thrice(params: tuple | dict) -> tuple | dict:
    return params if isinstance(params, dict) else tuple(params) * 3
