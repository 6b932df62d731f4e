"""Search on PostgreSQL: the stored tsvector `entity.search` (GIN), unaccent, pg_trgm.

The same tiers and the same `SearchHit`s as SQLite's `KnowledgeBase._search` (db/queries.py):
0 a name or alias equal to the text in any case (ASCII, as SQLite's NOCASE: `lower()` in the
C collation), 1 a name or alias beginning with it (an index range on `lower(name)`, in that
order then id), 2 every word (the last as a prefix) in the entity's fields, 3 the text inside
a name or alias (pg_trgm's index, ILIKE). What matched is explained by the shared `_explain`.

Where the engines differ, and why:
- **Words.** A tsquery of the typed words, each quoted (letters and digits only) and
  normalised by the `crisis_tui` configuration (unaccent), the last a prefix (`'dar':*`): it
  matches every word the prefix begins, where SQLite's stands for the PREFIX_TERMS commonest
  (so a one- or two-letter prefix may find more here). The vectors are made of the same words
  as SQLite's (db/pg/search_index.py: punctuation is a separator, as for SQLite's tokenizer).
- **Ranking** of a small hit set: `ts_rank` with the fields' weights (RANK_WEIGHTS: name 1,
  aliases and years 0.75, summary 0.1, the rest 0.05, as FIELD_WEIGHTS) rather than bm25, then
  the id: the same hits, the tiers in the same order, a word in a name before a word only in a
  summary; among hits of one field the order may differ (bm25 weighs rare words and short
  fields up; ts_rank does not).
- **Large hit sets** are never counted: one statement reads the first PG_RANK_LIMIT + 1 hits
  as the server finds them (a GIN bitmap for a rarer word, the table in order for a common
  one) and ranks them if that is all there are; else, of those, the ones whose own fields
  (name, aliases, years, summary) hold the words come first, then by id. SQLite ranks up to
  RANK_LIMIT (1000) and puts own-field hits first across the whole set: a GIN index cannot be
  read in id order, walking the table for own-field hits took 110 ms at 1M where the first
  130,000 rows hold the word in links only, and reading 1,000 rows (their vectors) costs more
  than a key's time. A typed prefix is first read as the known words it begins (`search_word`,
  at most PREFIX_TERMS): GIN finds a whole word about three times faster than a prefix; the
  prefix itself is searched when those words make a small set.
- **Did you mean** takes the words of `search_word` that share trigrams with the typo
  (`<%`, word_similarity at least SUGGEST_SIMILARITY, set per query), most similar first, then
  ranks them by edit distance as SQLite does. pg_trgm pads words, so a typo sharing no inner
  trigram with its word (`aybu`, `ayub`) is still offered it, where SQLite offers nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..queries import (
    _ROW,
    _ROW_FIELDS,
    _TOKEN,
    _WIDTH,
    _WORD,
    MATCH_WORDS,
    PASSAGE_HITS,
    PREFIX_TERMS,
    SEARCH_SECONDS,
    SUGGEST_CANDIDATES,
    _printable,
    _row,
    _select,
    index_form,
    readable,
    snippet_of,
)
from ..records import EntityRow, PassageHit, SearchHit
from .ddl import TS_CONFIG

if TYPE_CHECKING:
    from ..readers import Cancel

# ts_rank's weights of the classes {D, C, B, A}: FIELD_WEIGHTS (20, 15, 2, 1) over 20.
RANK_WEIGHTS = "{0.05, 0.1, 0.75, 1.0}"
# Hit sets up to this size are ranked; the first PG_RANK_LIMIT + 1 hits are what a search reads
# of a larger one (SQLite ranks up to RANK_LIMIT, 1000: reading that many rows here costs more
# than a key's time at 1M entities).
PG_RANK_LIMIT = 250
OWN_CLASSES = "ABC"  # name (A), aliases and years (B), summary (C): an entity's own fields
SUGGEST_SIMILARITY = 0.2  # pg_trgm word_similarity a "did you mean" candidate needs (dpeuty ~ deputy: 0.29)
_TSQUERY = f"to_tsquery('{TS_CONFIG}', ?1)"
_HIGHEST = "\U0010ffff"


class Words(NamedTuple):
    """A search's words as a tsquery: its text (for `to_tsquery`), and the nodes it has when
    every word gave its lexeme (a word PostgreSQL's parser drops, `½`, would match anything)."""

    text: str
    nodes: int


def query_words(text: str, prefix: bool = True, classes: str = "", instead: tuple[str, ...] = ()) -> Words | None:
    """The words of user text as SQLite's `_words_match` takes them: once each, at most
    MATCH_WORDS (the last kept: it is the prefix), each quoted (letters and digits only), in the
    weight `classes` if given; a word of several (`Simla_Pact`) is a phrase, and the last word
    must be one, whole (SQLite's words hold no `_`). With `instead`, the last word is any of
    those words rather than a prefix. None where no entity can match."""
    words = list(dict.fromkeys(_WORD.findall(text)))
    if len(words) > MATCH_WORDS:
        words = [*words[:MATCH_WORDS - 1], words[-1]]
    parts = [_TOKEN.findall(w) for w in words]
    if not parts or not all(parts) or (prefix and parts[-1] != [words[-1]]):
        return None
    weight = classes and ":" + classes
    terms = [" <-> ".join(f"'{p}'{weight}" for p in word) for word in parts[:-1]]
    if instead and prefix:
        terms.append(" | ".join(f"'{w}'{weight}" for w in instead))
        nodes = sum(2 * len(word) - 1 for word in parts[:-1]) + 2 * len(instead) - 1 + len(parts) - 1
        return Words(" & ".join(f"({t})" if "<->" in t or "|" in t else t for t in terms), nodes)
    terms.append(f"'{parts[-1][0]}'" + (":*" + classes if prefix else weight) if len(parts[-1]) == 1
                 else " <-> ".join(f"'{p}'{weight}" for p in parts[-1]))
    nodes = sum(2 * len(word) - 1 for word in parts) + len(parts) - 1
    return Words(" & ".join(f"({t})" if "<->" in t else t for t in terms), nodes)


def matches(column: str, words: Words) -> str:
    """SQL: the tsvector `column` holds `words` (whose text is the statement's ?1)."""
    return f"{column} @@ {_TSQUERY} AND numnode({_TSQUERY}) = {int(words.nodes)}"


if TYPE_CHECKING:
    from ..queries import KnowledgeBase as _Base
else:
    _Base = object


class SearchMixin(_Base):
    """Overrides of `KnowledgeBase`'s search for PostgreSQL."""

    def resolve(self, text: str) -> list[EntityRow]:
        """As `KnowledgeBase.resolve`; text PostgreSQL cannot take (a NUL, a lone surrogate) is
        cleaned first, as search cleans it (no id holds either)."""
        return super().resolve(_printable(text))

    def _search(self, text: str, entity_type: str | None, limit: int) -> list[SearchHit]:
        hits: dict[int, SearchHit] = {}

        def add(rows: list[tuple], matched: str, tier: int) -> None:
            for r in rows:
                if len(hits) >= limit:
                    return
                row = _row(r)
                if row.id not in hits and (entity_type is None or row.type == entity_type):
                    hits[row.id] = SearchHit(row, matched, r[_WIDTH], tier)

        typed = "AND e.type = ?3" if entity_type else ""
        # 0. exact name or alias, 1. a name or alias beginning with the text: ASCII case folded
        #    as SQLite's NOCASE (lower() in the C collation), an index range on lower(name)
        #    (one statement: four index ranges, each in SQLite's order)
        folded = 'lower(?1::text COLLATE "C")'
        upper = 'lower(?2::text COLLATE "C")'
        alias = "FROM alias a JOIN entity e ON e.id = a.entity_id"
        rows = self._all(
            f"""SELECT * FROM (
                    (SELECT {_ROW}, e.name AS matched, 0 AS part, '' AS k1, e.id AS k2 FROM entity e
                     WHERE lower(e.name) = {folded} {typed} ORDER BY e.id LIMIT {limit})
                    UNION ALL
                    (SELECT {_ROW}, a.alias, 1, '', a.id {alias}
                     WHERE lower(a.alias) = {folded} {typed} ORDER BY a.id LIMIT {limit})
                    UNION ALL
                    (SELECT {_ROW}, e.name, 2, lower(e.name), e.id FROM entity e
                     WHERE lower(e.name) >= {folded} AND lower(e.name) < {upper} {typed}
                     ORDER BY lower(e.name), e.id LIMIT {limit})
                    UNION ALL
                    (SELECT {_ROW}, a.alias, 3, lower(a.alias), a.id {alias}
                     WHERE lower(a.alias) >= {folded} AND lower(a.alias) < {upper} {typed}
                     ORDER BY lower(a.alias), a.id LIMIT {limit})) x
                ORDER BY part, k1, k2""",
            (text, text + _HIGHEST, entity_type) if entity_type else (text, text + _HIGHEST))
        for part, (matched, tier) in enumerate((("name", 0), ("alias", 0), ("name", 1), ("alias", 1))):
            add([r for r in rows if r[_WIDTH + 1] == part], matched, tier)
        # 2. words
        if len(hits) < limit:
            self._words(text, entity_type, limit, add)
        # 3. the text inside a name or alias ("rov-D"): pg_trgm's index, in name order
        if len(hits) < limit and len(text) >= 3:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params = (pattern, entity_type) if entity_type else (pattern,)
            typed2 = typed.replace("?3", "?2")
            add(self._all(f"""SELECT * FROM (SELECT {_ROW}, e.name AS matched FROM entity e
                                  WHERE e.name ILIKE ?1 {typed2} LIMIT {limit * 2}) x
                              ORDER BY lower(x.matched), x.id""", params), "name", 3)
            add(self._all(f"""SELECT * FROM (SELECT {_ROW}, a.alias AS matched, a.id AS alias_id
                                  FROM alias a JOIN entity e ON e.id = a.entity_id
                                  WHERE a.alias ILIKE ?1 {typed2} LIMIT {limit * 2}) x
                              ORDER BY lower(x.matched), x.alias_id""", params), "alias", 3)
        return self._explain(list(hits.values()), text)

    def _words(self, text: str, entity_type: str | None, limit: int, add) -> None:
        """Entities whose fields hold the words, in one statement: the first PG_RANK_LIMIT + 1
        of them as the server finds them (never all: a word in most rows would cost a pass over
        them), ranked by field weight (ts_rank) if that is all there are, else those whose own
        fields hold the words first, then by id.

        A prefix is first read as the known words it begins (`search_word`, at most
        PREFIX_TERMS): GIN finds whole words several times faster than a prefix. If those make a
        large set, it is read from them; else the prefix itself is searched (a word of a field
        found only once is in no list of words)."""
        instead = self._completions(text)
        if instead:
            rows = self._window(text, entity_type, limit, instead)
            if rows and rows[0][-1] > PG_RANK_LIMIT:
                add(rows, "text", 2)
                return
        add(self._window(text, entity_type, limit), "text", 2)

    def _completions(self, text: str) -> tuple[str, ...]:
        """The words of `search_word` the last word of `text` begins, if there are at most
        PREFIX_TERMS of them (none: search the prefix)."""
        words = _WORD.findall(text)
        if not words or len(words[-1]) < 2:
            return ()
        last = index_form(words[-1])
        found = tuple(w for (w,) in self._all(
            f"SELECT word FROM search_word WHERE word >= ?1 AND word < ?2 ORDER BY word LIMIT {PREFIX_TERMS + 1}",
            (last, last + _HIGHEST)))
        return found if len(found) <= PREFIX_TERMS and all(_TOKEN.fullmatch(w) for w in found) else ()

    def _window(self, text: str, entity_type: str | None, limit: int, instead: tuple[str, ...] = ()) -> list[tuple]:
        """The hits of one search of the words (the last as `instead`'s words, if given), each
        row ending with how many were read (at most PG_RANK_LIMIT + 1)."""
        words = query_words(text, instead=instead)
        own = query_words(text, classes=OWN_CLASSES, instead=instead)
        if words is None or own is None:
            return []
        typed = "AND e.type = ?3" if entity_type else ""
        return self._all(
            f"""WITH m AS MATERIALIZED (SELECT {_ROW}, e.summary, e.search FROM entity e
                                        WHERE {matches('e.search', words)} {typed} LIMIT {PG_RANK_LIMIT + 1}),
                     n AS (SELECT count(*) AS n FROM m)
                SELECT {_select("m", _ROW_FIELDS)}, m.summary, n.n FROM m, n
                ORDER BY CASE WHEN n.n <= {PG_RANK_LIMIT} THEN ts_rank('{RANK_WEIGHTS}', m.search, {_TSQUERY}) END DESC,
                         CASE WHEN n.n > {PG_RANK_LIMIT} THEN m.search @@ to_tsquery('{TS_CONFIG}', ?2) END DESC,
                         m.id
                LIMIT {limit * 2}""",
            (words.text, own.text, entity_type) if entity_type else (words.text, own.text))

    # --- source passages -----------------------------------------------------------

    def search_passages(self, text: str, limit: int = PASSAGE_HITS, cancel: Cancel | None = None,
                        seconds: float | None = SEARCH_SECONDS) -> list[PassageHit]:
        """The lines of the sources' texts holding every word (the last as a prefix), best first
        (ts_rank; in id order past RANK_LIMIT); any text is safe to pass. Stopped as `search` is."""
        text = " ".join(_printable(text).split())
        if not text or limit <= 0:
            return []
        words = query_words(text)
        if words is None:
            return []
        with self._readers.limited(cancel, seconds), self._snapshot():
            rows = self._all(
                f"""WITH m AS MATERIALIZED (SELECT p.id, p.source_id, p.line, p.text, p.search FROM passage p
                                            WHERE {matches('p.search', words)} LIMIT {PG_RANK_LIMIT + 1}),
                         n AS (SELECT count(*) AS n FROM m),
                         best AS (SELECT m.* FROM m, n
                                  ORDER BY CASE WHEN n.n <= {PG_RANK_LIMIT} THEN ts_rank(m.search, {_TSQUERY}) END DESC,
                                           m.id
                                  LIMIT {int(limit)})
                    SELECT b.source_id, s.title, s.address, b.line, b.text FROM best b
                    JOIN source s ON s.id = b.source_id
                    ORDER BY CASE WHEN (SELECT n FROM n) <= {PG_RANK_LIMIT} THEN ts_rank(b.search, {_TSQUERY}) END DESC,
                             b.id""", (words.text,))
        forms = [index_form(w) for w in _TOKEN.findall(text)]
        found = []
        for source_id, title, address, line, passage in rows:
            snippet, spans = snippet_of(readable(passage), forms)
            found.append(PassageHit(source_id, title, address, line, passage, snippet, spans))
        return found

    # --- did you mean ------------------------------------------------------------------

    def _known(self, form: str, prefix: bool) -> bool:
        """Whether a word (or, with `prefix`, a word it begins) is in any entity or passage."""
        words = query_words(form, prefix=prefix)
        if words is None:
            return False
        return bool(self._all(f"""SELECT 1 WHERE EXISTS (SELECT 1 FROM entity e WHERE {matches('e.search', words)})
                                  OR EXISTS (SELECT 1 FROM passage p WHERE {matches('p.search', words)})""",
                              (words.text,)))

    def _closest(self, form: str) -> str | None:
        from difflib import SequenceMatcher

        from ..queries import distance

        self._all(f"SET LOCAL pg_trgm.word_similarity_threshold = {SUGGEST_SIMILARITY}")
        rows = self._all(f"""SELECT word FROM search_word WHERE ?1 <% word
                             ORDER BY word_similarity(?1, word) DESC, word LIMIT {SUGGEST_CANDIDATES}""", (form,))
        allowed = 1 if len(form) <= 4 else 2
        scored = [(distance(form, word), word[:1] != form[:1], -SequenceMatcher(None, form, word).ratio(), n, word)
                  for n, (word,) in enumerate(rows)]
        scored = [s for s in scored if s[0] <= allowed]
        return min(scored)[-1] if scored else None
