"""Display order on PostgreSQL: pages, positions and pane filters from keys and bucket counts.

SQLite numbers each pane densely (`entity_order.pos`); a shared server cannot, since every
import would renumber the rows after those it adds. Here a pane is `pane_order`'s rows of one
(pack, type) in key order (db/pg/ddl.py: the order of SQLite's PANE_ORDER, then the id), and
`pane_count` counts its rows per bucket, a prefix of the key. A row's position is computed
as it is read: the counts of the buckets before its own, plus the rows of its bucket with a
smaller key (one short index range). A page is read from the first key of the bucket holding
its first row, skipping the rows of that bucket before it. Positions of many rows at once
(a timeline's lane) number the rows of each bucket involved once, not one count per row.

The pane filters are `KnowledgeBase`'s, over `pane_order` in key order (the class attributes
below); a date range of a pane in date order is a range of keys, its size two ranks.
Every read of several statements runs in one snapshot (`_snapshot`): nothing is cached
across them, so an import committing between two reads is seen whole by the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..queries import _ROW, _row
from ..records import EntityRow, PaneFilter
from .ddl import BUCKET_CUT, bucket

if TYPE_CHECKING:
    from ..queries import KnowledgeBase

    _Base = KnowledgeBase
else:
    _Base = object

# Index ranges are said with plain comparisons of columns: PostgreSQL 15 reads a comparison of
# rows, (k1, k2) < (a, b), as a range that does not end where it should (a scan past it, 100x slower).
_KEY = "o.pack_id, o.type, o.k1, o.k2, o.k3, o.entity_id"  # pane_order's primary key: the order of a pane
_PANE = "o.pack_id = :scope AND o.type = :type"
# The rows from the first key of a bucket (:k1, :b2, :b3) on, in key order, at most :ahead of them:
# the rest of its k2, the rest of its k1, the rest of the pane (each an index range), each row
# numbered as read, in key order (`arm`, `r`: two numbers to sort, not six columns).
_FROM = "\nUNION ALL\n".join(
    f"""SELECT {arm} AS arm, row_number() OVER () AS r, a.*
        FROM (SELECT o.* FROM pane_order o WHERE {_PANE} AND {where} ORDER BY {_KEY} LIMIT :ahead) a"""
    for arm, where in enumerate(("o.k1 = :k1 AND o.k2 = :b2 AND o.k3 >= :b3", "o.k1 = :k1 AND o.k2 > :b2",
                                 "o.k1 > :k1")))
# The buckets of a pane, each with the rows before it (`base`).
_BUCKETS = """SELECT k1, b2, b3, n, (sum(n) OVER (ORDER BY k1, b2, b3) - n)::bigint AS base
              FROM pane_count WHERE pack_id = :scope AND type = :type"""
# Rows of the wanted buckets `w` (k1, b2, b3, base, n) numbered from each bucket's first (`r`).
# Rows of the pane before each row `h` (its bucket's `base` plus a count inside the bucket).
_COUNTED = f"""SELECT h.id, c.base
                 + (SELECT count(*) FROM pane_order o WHERE h.long AND {_PANE} AND o.k1 = h.k1 AND o.k2 >= h.b2
                           AND o.k2 <= h.k2 AND (o.k2 < h.k2 OR o.k3 < h.k3 OR (o.k3 = h.k3 AND o.entity_id < h.id)))
                 + (SELECT count(*) FROM pane_order o WHERE NOT h.long AND {_PANE} AND o.k1 = h.k1 AND o.k2 = h.k2
                           AND o.k3 >= h.b3 AND o.k3 <= h.k3 AND (o.k3 < h.k3 OR o.entity_id < h.id))
               FROM unnest(CAST(:h1 AS integer[]), CAST(:h2 AS boolean[]), CAST(:h3 AS text[]), CAST(:h4 AS text[]),
                           CAST(:h5 AS text[]), CAST(:h6 AS text[]), CAST(:h7 AS boolean[]))
                    AS h(id, k1, k2, k3, b2, b3, long)
               JOIN c ON (c.k1, c.b2, c.b3) = (h.k1, h.b2, h.b3)"""
# The entity of each row read, looked up by its id: the planner, not knowing how few rows a
# bucket gives (LIMIT w.n), would otherwise hash the whole entity table.
_ENTITY = "CROSS JOIN LATERAL (SELECT * FROM entity e WHERE e.id = {0}.entity_id LIMIT 1) e"  # LIMIT: not flattened
FEW_HITS = 2  # rows of one bucket whose positions are counted one by one; more number the bucket once
# A bucket of a name prefix (b3) is a range of k3 in one k2; one of a k2 prefix (b3 ''), of k2;
# one arm runs, and its rows are numbered as read, in key order.
_NUMBERED = f"""SELECT w.base + x.r AS pos, x.entity_id FROM w CROSS JOIN LATERAL (
                    SELECT i.entity_id, row_number() OVER () - 1 AS r
                    FROM ((SELECT o.entity_id, o.k1, o.k2, o.k3 FROM pane_order o
                           WHERE w.b3 <> '' AND {_PANE} AND o.k1 = w.k1 AND o.k2 = w.b2 AND o.k3 >= w.b3
                           ORDER BY {_KEY} LIMIT w.n)
                          UNION ALL
                          (SELECT o.entity_id, o.k1, o.k2, o.k3 FROM pane_order o
                           WHERE w.b3 = '' AND {_PANE} AND o.k1 = w.k1 AND o.k2 >= w.b2
                           ORDER BY {_KEY} LIMIT w.n)) i) x"""


def _nul_free(text: str) -> str:
    """A bound `v >= text` as PostgreSQL can take it: its text holds no NUL, and for text
    without one, `v >= t + NUL + rest` is `v > t`, that is `v >= t + U+0001`."""
    at = text.find("\x00")
    return text if at < 0 else text[:at] + "\x01"


class PanesMixin(_Base):
    """Overrides of `KnowledgeBase`'s reads by display position."""

    _PANE = "pane_order o"
    _ORDER = "o.k1, o.k2, o.k3, o.entity_id"
    _ANCHOR = "o.entity_id"
    _CROSS = "JOIN"  # PostgreSQL's planner chooses the order; it has no CROSS JOIN ... ON

    def _numbered(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        """A statement numbering buckets' rows, without JIT compilation: the planner, not knowing how
        few rows a bucket gives (LIMIT w.n), costs it high enough to compile it (150 ms, for 20 of work)."""
        with self._snapshot():
            self._all("SET LOCAL jit = off")
            return self._all(sql, params)

    # --- ranks -----------------------------------------------------------------------------

    def _rank(self, scope: int, entity_type: str, key: tuple[bool, str, str, int]) -> int:
        """How many rows of a pane sort before `key` (k1, k2, k3, entity id): the buckets before
        its own, counted, plus the rows of its bucket before it (an index range)."""
        k1, k2, k3, entity_id = key
        if entity_type not in BUCKET_CUT:
            return 0
        b1, b2, b3 = bucket(entity_type, k1, k2, k3)
        if len(k2) >= BUCKET_CUT[entity_type]:  # a bucket of k2's beginning: rows from it to k2
            inside = """o.k1 = :key1 AND o.k2 >= :b2 AND o.k2 <= :key2
                        AND (o.k2 < :key2 OR o.k3 < :key3 OR (o.k3 = :key3 AND o.entity_id < :id))"""
        else:  # a bucket of names' beginning in one k2: rows from it to k3
            inside = """o.k1 = :key1 AND o.k2 = :key2 AND o.k3 >= :b3 AND o.k3 <= :key3
                        AND (o.k3 < :key3 OR o.entity_id < :id)"""
        return int(self._all(
            f"""SELECT (SELECT coalesce(sum(n), 0)::bigint FROM pane_count
                        WHERE pack_id = :scope AND type = :type
                              AND (k1 < :k1 OR (k1 = :k1 AND (b2 < :b2 OR (b2 = :b2 AND b3 < :b3)))))
                     + (SELECT count(*) FROM pane_order o WHERE {_PANE} AND {inside})""",
            {"scope": scope, "type": entity_type, "k1": b1, "b2": b2, "b3": b3, "key1": k1, "key2": k2,
             "key3": k3, "id": entity_id})[0][0])

    def _positions_of(self, scope: int, entity_type: str, entity_ids: Sequence[int]) -> dict[int, int]:
        """The positions of many rows of a pane at once: each bucket holding one of them numbered once."""
        wanted = list(dict.fromkeys(entity_ids))
        if not wanted or entity_type not in BUCKET_CUT:
            return {}
        keys = self._all("SELECT entity_id, k1, k2, k3 FROM pane_order WHERE entity_id = ANY(:ids) "
                         "AND pack_id = :scope AND type = :type", {"ids": wanted, "scope": scope, "type": entity_type})
        if not keys:
            return {}
        hits: dict[tuple[bool, str, str], list[tuple]] = {}
        for key in keys:
            hits.setdefault(bucket(entity_type, *key[1:]), []).append(key)
        few = [k for found in hits.values() if len(found) <= FEW_HITS for k in found]
        many = sorted(b for b, found in hits.items() if len(found) > FEW_HITS)
        cut = BUCKET_CUT[entity_type]
        params: dict[str, Any] = {"scope": scope, "type": entity_type}
        parts = []
        if few:
            parts.append(f"SELECT * FROM ({_COUNTED}) f")
            columns = list(zip(*[(i, k1, k2, k3, *bucket(entity_type, k1, k2, k3)[1:], len(k2) >= cut)
                                 for i, k1, k2, k3 in few], strict=True))
            params.update({f"h{n + 1}": list(column) for n, column in enumerate(columns)})
        if many:
            parts.append(f"""SELECT t.entity_id, t.pos FROM (
                                 WITH w AS (SELECT c.* FROM c JOIN unnest(CAST(:w1 AS boolean[]), CAST(:w2 AS text[]),
                                                                          CAST(:w3 AS text[])) AS u(k1, b2, b3)
                                                          ON (c.k1, c.b2, c.b3) = (u.k1, u.b2, u.b3))
                                 {_NUMBERED}) t WHERE t.entity_id = ANY(:ids)""")
            params.update(ids=[k[0] for b in many for k in hits[b]], w1=[b[0] for b in many],
                          w2=[b[1] for b in many], w3=[b[2] for b in many])
        rows = self._numbered(f"WITH c AS ({_BUCKETS}) " + " UNION ALL ".join(parts), params)
        return {entity_id: int(pos) for entity_id, pos in rows}

    def _rows_at(self, scope: int, entity_type: str, positions: Sequence[int], columns: str) -> list[tuple]:
        """(position, `columns` of entity `e`) of the rows at these positions of a pane, in order:
        each bucket holding one read once, to the last wanted."""
        wanted = sorted({p for p in positions if p >= 0})
        if not wanted:
            return []
        buckets = self._all(f"SELECT k1, b2, b3, base, n FROM ({_BUCKETS}) c WHERE n > 0 ORDER BY k1, b2, b3",
                            {"scope": scope, "type": entity_type})
        chosen: list[tuple[bool, str, str, int, int]] = []
        at = 0
        for pos in wanted:
            while at < len(buckets) and buckets[at][3] + buckets[at][4] <= pos:
                at += 1
            if at == len(buckets):
                break
            k1, b2, b3, base, _ = buckets[at]
            if chosen and chosen[-1][:3] == (k1, b2, b3):
                chosen[-1] = (k1, b2, b3, base, pos - base + 1)
            else:
                chosen.append((k1, b2, b3, base, pos - base + 1))
        if not chosen:
            return []
        return self._numbered(
            f"""WITH w AS (SELECT * FROM unnest(CAST(:w1 AS boolean[]), CAST(:w2 AS text[]), CAST(:w3 AS text[]),
                                                CAST(:w4 AS bigint[]), CAST(:w5 AS bigint[])) AS u(k1, b2, b3, base, n))
                SELECT t.pos, {columns} FROM ({_NUMBERED}) t {_ENTITY.format("t")}
                WHERE t.pos = ANY(CAST(:wanted AS bigint[])) ORDER BY t.pos""",
            {"scope": scope, "type": entity_type, "wanted": wanted, **{f"w{n + 1}": [c[n] for c in chosen]
                                                                       for n in range(5)}})

    def _slice_sql(self, scope: int, entity_type: str, start: int, stop: int) -> tuple[str, dict[str, Any]]:
        """A statement selecting the pane's rows `start` to `stop` (`o`, in key order), and its
        parameters: from the first key of the bucket holding `start`."""
        start = max(start, 0)
        found = self._all(f"""SELECT k1, b2, b3, base FROM ({_BUCKETS}) c WHERE base + n > :start
                              ORDER BY k1, b2, b3 LIMIT 1""", {"scope": scope, "type": entity_type, "start": start})
        if not found or stop <= start:
            return "SELECT o.* FROM pane_order o WHERE false", {}
        k1, b2, b3, base = found[0]
        return (f"""SELECT o.* FROM ({_FROM}) o ORDER BY o.arm, o.r OFFSET :skip LIMIT :rows""",  # two numbers sorted
                {"scope": scope, "type": entity_type, "k1": k1, "b2": b2, "b3": b3, "skip": start - base,
                 "rows": stop - start, "ahead": stop - base})

    # --- a pane ----------------------------------------------------------------------------

    def count(self, entity_type: str, pack: str | None = None) -> int:
        """How many entities of a type there are, of one pack or all (the buckets' counts summed)."""
        with self._snapshot():
            scope = self._scope(pack)
            return int(self._all("SELECT coalesce(sum(n), 0) FROM pane_count WHERE pack_id = ? AND type = ?",
                                 (scope, entity_type))[0][0])

    def page(self, entity_type: str, start: int, limit: int, pack: str | None = None) -> list[EntityRow]:
        """Rows `start` to `start + limit` of a pane, in display order."""
        stop = start + limit
        if stop <= max(start, 0):
            return []
        with self._snapshot():
            rows, params = self._slice_sql(self._scope(pack), entity_type, start, stop)
            found = self._all(f"SELECT {_ROW} FROM ({rows}) o {_ENTITY.format('o')} "
                              f"ORDER BY o.k1, o.k2, o.k3, o.entity_id", params)
        return [_row(r) for r in found]

    def position(self, entity_id: int, pack: str | None = None) -> int | None:
        """An entity's row number in its pane (of one pack or all); None if not there."""
        with self._snapshot():
            scope = self._scope(pack)
            key = self._all("SELECT type, k1, k2, k3 FROM pane_order WHERE entity_id = ? AND pack_id = ?",
                            (entity_id, scope))
            if not key:
                return None
            entity_type, k1, k2, k3 = key[0]
            return self._rank(scope, entity_type, (k1, k2, k3, entity_id))

    # --- pane filters ----------------------------------------------------------------------

    def _date_rows(self, entity_type: str, flt: PaneFilter, where: list[str], params: dict[str, Any]) -> int | None:
        """A date range of a pane kept in date order is a range of keys; its size, two ranks."""
        for name in ("date_from", "date_to"):  # text PostgreSQL can hold, compared alike
            if name in params:
                params[name] = _nul_free(params[name])
        if entity_type not in ("event", "agreement"):
            return None
        scope = params["scope"]
        where[:] = [w for w in where if not w.startswith("e.date")]  # the range of keys says it alone
        low = _nul_free(flt.date_from) if flt.date_from else ""
        high = _nul_free(flt.date_to + "\x7f") if flt.date_to else "\U0010ffff"
        where.append("o.k1 = false AND o.k2 >= :key_from AND o.k2 < :key_to")
        params.update(key_from=low, key_to=high)
        first = self._rank(scope, entity_type, (False, low, "", -1))
        return max(first, self._rank(scope, entity_type, (False, high, "", -1))) - first

    def _beyond(self, params: dict[str, Any], anchor: int, op: str) -> tuple[str, dict[str, Any]]:
        key = self._all("SELECT k1, k2, k3 FROM pane_order WHERE entity_id = ? AND pack_id = ? AND type = ?",
                        (anchor, params["scope"], params["type"]))
        if not key:
            return "false", {}
        k1, k2, k3 = key[0]
        k = {"<": ("<", "<="), ">": (">", ">=")}[op]
        return (f"""o.k1 {k[1]} :anchor1 AND (o.k1 {k[0]} :anchor1 OR o.k2 {k[0]} :anchor2 OR (o.k2 = :anchor2
                    AND (o.k3 {k[0]} :anchor3 OR (o.k3 = :anchor3 AND o.entity_id {k[0]} :anchor))))""",
                {"anchor1": k1, "anchor2": k2, "anchor3": k3, "anchor": anchor})

    def related_positions(self, flt: PaneFilter, pack: str | None = None) -> list[int]:
        """The display positions, in the events pane of `pack` (or all), of the events a filter of a
        relation lets through, in order (positions of many rows at once)."""
        with self._snapshot():
            where = self._where("event", flt, pack)
            ids = self._related(flt, where)[0]
            found = self._positions_of(where.params["scope"], "event", ids)
        return sorted(found[i] for i in ids if i in found)

    def first_dated_at(self, scope: int, entity_type: str, date: str, lo: int, hi: int) -> int:
        """The first position in lo..hi of a pane kept in date order whose date is `date` or later,
        or undated: the rank of the date's first key."""
        return min(max(self._rank(scope, entity_type, (False, _nul_free(date), "", -1)), lo), hi)

    def _starting_sql(self) -> str:
        """As SQLite's NOCASE: `lower` in code point order ("C") folds ASCII letters only (the
        text typed taken in that collation too, not the database's default)."""
        names = """SELECT name FROM entity WHERE lower(name) >= lower(?1 COLLATE "C")
                   AND lower(name) < lower(?2 COLLATE "C") ORDER BY lower(name) LIMIT ?3"""
        aliases = """SELECT alias FROM alias WHERE lower(alias) >= lower(?1 COLLATE "C")
                     AND lower(alias) < lower(?2 COLLATE "C") ORDER BY lower(alias) LIMIT ?3"""
        return f"""SELECT name FROM (SELECT name FROM ({names}) n UNION SELECT alias FROM ({aliases}) a) u
                   ORDER BY length(name), name LIMIT ?3"""

    # --- the timeline (db/timeline.py) -------------------------------------------------------

    def _pane_slice(self, scope: int, entity_type: str, start: int, stop: int) -> tuple[str, dict[str, Any]]:
        rows, params = self._slice_sql(scope, entity_type, start, stop)
        return f"SELECT s.entity_id FROM ({rows}) s", params

    def _events_at(self, scope: int, positions: range | list[int]) -> list[tuple]:
        columns = "e.ref, e.name, e.date, e.date_end, e.date_precision, e.date_uncertain"
        if isinstance(positions, range):
            if positions.stop <= positions.start:
                return []
            rows, params = self._slice_sql(scope, "event", positions.start, positions.stop)
            found = self._all(f"SELECT o.entity_id, {columns} FROM ({rows}) o {_ENTITY.format('o')} "
                              "ORDER BY o.k1, o.k2, o.k3, o.entity_id", params)
            return [(positions.start + n, *r[1:]) for n, r in enumerate(found)]
        return self._rows_at(scope, "event", positions, columns)

    def _spans(self, scope: int, dated: int) -> list[tuple[int, str]]:
        rows = self._all("""SELECT o.entity_id, e.date_end FROM pane_order o JOIN entity e ON e.id = o.entity_id
                            WHERE o.pack_id = ? AND o.type = 'event' AND NOT o.k1 AND e.date_end IS NOT NULL""",
                         (scope,))
        found = self._positions_of(scope, "event", [r[0] for r in rows])
        return sorted((found[i], end) for i, end in rows if i in found and found[i] < dated)
