"""Keeping PostgreSQL's search columns and tables as imports write: `entity.search`,
`passage` and `search_word` (db/pg/ddl.py), for the entities and sources an import touches only.

An entity's vector gathers its name (weight A), aliases and the years of its dates (B),
summary (C), and its notes, the notes of its links (either end) and the positions of or about
it (D): the fields SQLite's entity_fts has, in the order of FIELD_WEIGHTS.
"""

from __future__ import annotations

import re
from typing import Any

from .ddl import TS_CONFIG

_HAS_WORD = re.compile(r"[^\W_]")  # a line worth searching holds a letter or a digit (db/schema.py)
# ASCII punctuation (the ranges !-/ :-@ [-` {-~), made spaces before PostgreSQL's parser reads a
# text: it would read `brecorder.com` as a host, `3.5` as a number, `2025-05-10` as 2025, -05,
# -10 and `<b>` as a tag, where SQLite's tokenizer (and the query's words) see letters and
# digits between separators. (A regular expression: translate() with the 32 characters cost
# twice as much; no `%` or quote is written, as the statements take psycopg parameters.)
_PUNCTUATION = "[!-/:-@[-`{-~]+"


def plain(text: str) -> str:
    """SQL for the text `text` (an SQL expression) with ASCII punctuation made spaces."""
    return f"regexp_replace({text}, '{_PUNCTUATION}', ' ', 'g')"


def words_sql(text: str) -> str:
    """SQL for the tsvector of the text `text` (an SQL expression), its words cut as SQLite's cut them."""
    return f"to_tsvector('{TS_CONFIG}', {plain(text)})"


def vector_sql(name: str, aliases: str, dated: str, summary: str, rest: str) -> str:
    """The search vector of an entity's texts (SQL expressions)."""
    def part(text: str, weight: str) -> str:
        return f"setweight({words_sql(text)}, '{weight}')"

    return " || ".join((part(name, "A"), part(aliases, "B"), part(dated, "B"), part(summary, "C"), part(rest, "D")))


def index_entities(conn: Any, where: str, params: tuple | dict = ()) -> None:
    """Compute the search vector of the entities `e` that `where` selects (SQL over entity `e`)."""
    conn.execute(
        f"""WITH ids AS MATERIALIZED (SELECT e.id FROM entity e WHERE {where}),
            a AS (SELECT entity_id AS id, string_agg(alias, ' | ' ORDER BY id) AS t FROM alias
                  WHERE entity_id IN (SELECT id FROM ids) GROUP BY entity_id),
            n AS (SELECT entity_id AS id, string_agg(text, ' | ' ORDER BY id) AS t FROM note
                  WHERE entity_id IN (SELECT id FROM ids) GROUP BY entity_id),
            k AS (SELECT x.id, string_agg(x.note, ' | ') AS t FROM (
                      SELECT subject_id AS id, note FROM link WHERE note IS NOT NULL
                             AND subject_id IN (SELECT id FROM ids)
                      UNION ALL SELECT object_id, note FROM link WHERE note IS NOT NULL
                             AND object_id IN (SELECT id FROM ids)) x GROUP BY x.id),
            p AS (SELECT x.id, string_agg(x.t, ' | ') AS t FROM (
                      SELECT actor_id AS id, stance || ': ' || statement AS t FROM position
                             WHERE actor_id IN (SELECT id FROM ids)
                      UNION ALL SELECT topic_id, stance || ': ' || statement FROM position
                             WHERE topic_id IN (SELECT id FROM ids) AND topic_id <> actor_id) x GROUP BY x.id)
            UPDATE entity e SET search = {vector_sql(
                "e.name", "coalesce(a.t, '')",
                "trim(coalesce(substr(e.date, 1, 4), '') || ' ' || coalesce(substr(e.date_end, 1, 4), ''))",
                "e.summary", "coalesce(n.t, '') || ' ' || coalesce(k.t, '') || ' ' || coalesce(p.t, '')")}
            FROM ids LEFT JOIN a ON a.id = ids.id LEFT JOIN n ON n.id = ids.id LEFT JOIN k ON k.id = ids.id
                 LEFT JOIN p ON p.id = ids.id
            WHERE e.id = ids.id""",
        params)


def index_words(conn: Any, where: str, params: tuple | dict = ()) -> None:
    """Add to `search_word` (what "did you mean" offers) the words of the entities `e` that
    `where` selects: every word of a name or alias, and each word of their other fields that more
    than one of them holds (a word once in the data is as likely a typo as a word); three letters
    or more, no digits. Reads `entity.search`: call it after `index_entities`.

    SQLite counts a word's entities over the whole database at each build; an import here counts
    them among the entities it touches (no pass over the rest): a word of a summary found once in
    each of two imports is not offered."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.search_touched")
    conn.execute(f"CREATE TEMP TABLE search_touched AS SELECT e.id FROM entity e WHERE {where}",
                 params)
    conn.execute(
        f"""INSERT INTO search_word (word)
            SELECT DISTINCT w FROM (
                SELECT unnest(tsvector_to_array({words_sql('e.name')})) AS w
                FROM entity e JOIN search_touched t ON t.id = e.id
                UNION ALL
                SELECT unnest(tsvector_to_array({words_sql('a.alias')})) FROM alias a
                JOIN search_touched t ON t.id = a.entity_id
                UNION ALL
                SELECT word FROM ts_stat('SELECT e.search FROM entity e JOIN pg_temp.search_touched t ON t.id = e.id')
                WHERE ndoc > 1) words
            WHERE length(w) >= 3 AND w !~ '[0-9]'
            ORDER BY w
            ON CONFLICT DO NOTHING""")
    conn.execute("DROP TABLE pg_temp.search_touched")


def index_sources(conn: Any, source_ids: list[str]) -> None:
    """(Re)make the passages of these sources' own texts: each line holding a word, numbered from 1."""
    if not source_ids:
        return
    conn.execute("DELETE FROM passage WHERE source_id = ANY(%s)", (source_ids,))
    for at in range(0, len(source_ids), 200):
        chunk = source_ids[at:at + 200]
        texts_of = dict(conn.execute("SELECT id, text FROM source WHERE id = ANY(%s) AND text IS NOT NULL",
                                     (chunk,)).fetchall())
        rows = [(i, texts_of[i]) for i in dict.fromkeys(chunk) if i in texts_of]  # numbered in the order given
        ids: list[str] = []
        lines: list[int] = []
        texts: list[str] = []
        for source_id, text in rows:
            for number, line in enumerate(text.split("\n"), start=1):
                if _HAS_WORD.search(line):
                    ids.append(source_id)
                    lines.append(number)
                    texts.append(line)
        if ids:
            conn.execute(
                f"""INSERT INTO passage (source_id, line, text, search)
                    SELECT s, n, t, {words_sql('t')}
                    FROM unnest(%s::text[], %s::int[], %s::text[]) AS x(s, n, t)""",
                (ids, lines, texts))
