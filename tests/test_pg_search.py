"""Search on PostgreSQL equals search on SQLite for the bundled crisis (db/pg/search.py).

Same entities, tiers, fields, snippets and spans for every name, alias and word of the data and
the prefixes a person types on the way to them; the same order wherever SQLite's is fixed (tiers
0, 1 and 3: by id, by name then id). Tier 2 is ranked by ts_rank on PostgreSQL and bm25 on
SQLite: the same hits, and what must hold of the order is tested (tiers in order, a word in a
name before a word only in a summary). A prefix that SQLite widens to more than PREFIX_TERMS
words is left out (PostgreSQL matches every word it begins: more hits).
"""

from __future__ import annotations

import re

import pytest

from crisis_tui.db.queries import PREFIX_TERMS, index_form
from crisis_tui.db.readers import Cancel, QueryCancelled, QueryTimeout

_WORDS = re.compile(r"\w+")


def _texts(kb) -> list[str]:
    """Every name and alias and each prefix of it; every word of the data, and each prefix of
    every seventh word (a person typing)."""
    texts: set[str] = set()
    for (name,) in kb._all("SELECT name FROM entity UNION SELECT alias FROM alias"):
        texts.update(name[:n] for n in range(1, len(name) + 1))
    words: set[str] = set()
    for (text,) in kb._all(
            "SELECT summary FROM entity UNION ALL SELECT text FROM note UNION ALL SELECT note FROM link "
            "UNION ALL SELECT statement FROM position UNION ALL SELECT text FROM source"):
        words.update(_WORDS.findall(text or ""))
    for n, word in enumerate(sorted(words)):
        texts.add(word)
        if n % 7 == 0:
            texts.update(word[:k] for k in range(1, len(word)))
    return sorted(t for t in texts if "_" not in t)  # `_` separates words on PostgreSQL (db/pg/search.py)


def _widened(kb, text: str) -> bool:
    words = re.findall(r"[^\W_]+", text)
    if not words:
        return False
    last = index_form(words[-1])
    return kb._all("SELECT count(*) FROM search_term WHERE term >= ? AND term < ?",
                   (last, last + "\U0010ffff"))[0][0] > PREFIX_TERMS


def _hit(h):
    return h.row, h.matched, h.text, h.tier, h.field, h.snippet, h.spans


def test_every_name_word_and_typed_prefix_finds_the_same_hits_on_both_engines(kb, pg_kb):
    differ = []
    for text in _texts(kb):
        if _widened(kb, text):
            continue
        lite, pg = kb.search(text, limit=1000), pg_kb.search(text, limit=1000)
        if sorted(map(_hit, lite), key=repr) != sorted(map(_hit, pg), key=repr):
            differ.append(text)
            continue
        for tier in (0, 1, 3):  # SQLite's order is fixed: by id, by name (ASCII case folded) then id
            assert [h.row.ref for h in lite if h.tier == tier] == [h.row.ref for h in pg if h.tier == tier], text
        assert [h.tier for h in pg] == sorted(h.tier for h in pg), text
    assert differ == []


def test_passages_are_the_same_lines_on_both_engines(kb, pg_kb):
    for text in _texts(kb)[::5]:
        if _widened(kb, text):
            continue
        lite, pg = kb.search_passages(text, limit=5000), pg_kb.search_passages(text, limit=5000)
        assert sorted(lite, key=repr) == sorted(pg, key=repr), text


@pytest.mark.parametrize("text", ["simla", "india", "lavrov", "kashmir", "tashkent", "agreement", "pak"])
def test_a_word_in_a_name_ranks_above_a_word_only_in_a_summary(pg_kb, text):
    hits = [h for h in pg_kb.search(text, limit=1000) if h.tier == 2]
    named = [n for n, h in enumerate(hits) if h.field == "name"]
    summary_only = [n for n, h in enumerate(hits) if h.field in ("summary", "note", "link note", "position")]
    assert not named or not summary_only or max(named) < min(summary_only)


@pytest.mark.parametrize(("text", "ref"), [
    ("tashkent", "place/tashkent"), ("Tāshkent", "place/tashkent"), ("TASHKENT", "place/tashkent"),
    ("rov-D", "event/lavrov-dar-call-2025"), ("mla Pa", "agreement/simla-1972"),
    ("Lavrov Dar", "event/lavrov-dar-call-2025"), ("baseless allegations", "event/lavrov-dar-call-2025"),
    ("shimla", "agreement/simla-1972"), ("Subrahmanyam", "actor/s-jaishankar"),
])
def test_search_finds_on_postgresql(pg_kb, text, ref):
    assert ref in [h.row.ref for h in pg_kb.search(text)][:5]


def test_diacritics_both_ways(any_kb):
    """Typed with a diacritic, the data's plain `Tashkent` is found (the other way below)."""
    assert "place/tashkent" in [h.row.ref for h in any_kb.search("Tāshkent")][:3]
    assert "place/tashkent" in [h.row.ref for h in any_kb.search("Tāshk")][:3]


def test_a_word_written_with_diacritics_is_found_typed_without_them(pg_url):
    """An import adds an alias with diacritics; the vectors it keeps find it typed plainly."""
    from crisis_tui.db.engines import open_knowledge_base
    from crisis_tui.db.pg.connect import connect
    from crisis_tui.db.pg.search_index import index_entities, index_words

    conn = connect(pg_url, readonly=False, autocommit=False)
    try:
        conn.execute("""INSERT INTO alias (entity_id, alias, pack_id)
                        SELECT id, 'Kāzimköy Çarşi', pack_id FROM entity WHERE ref = 'place/tashkent'""")
        index_entities(conn, "e.ref = %s", ("place/tashkent",))
        index_words(conn, "e.ref = %s", ("place/tashkent",))
        conn.commit()
    finally:
        conn.close()
    kb = open_knowledge_base(pg_url)
    try:
        hits = kb.search("kazimkoy carsi")
        assert [h.row.ref for h in hits] == ["place/tashkent"]
        assert hits[0].field == "alias" and hits[0].snippet == "Kāzimköy Çarşi"
        assert kb.search("kazim")[0].row.ref == "place/tashkent"
        assert kb.suggest("kazimkoi") == "kazimkoy"
    finally:
        kb.close()


def test_a_typo_is_offered_its_word(any_kb):
    assert any_kb.suggest("lavorv") == "lavrov"
    assert any_kb.suggest("Lavrov") is None  # a known word: nothing to offer


@pytest.mark.parametrize(
    "text", ['"Simla', "AND(", "Simla OR", "NEAR(a b", "*", "'; DROP TABLE entity; --", "'", "\\", "%", "_",
             ":*", "a:*", "& | ! ( ) <->", "a <-> b", "!simla", "\x00", "ab\x00cd", "\ud800", "x\udfffy",
             "𝔖𝔦𝔪𝔩𝔞", "シムラ", "½", "x²", "[b]India[/b]", "[red]x[/red]", "a" * 10_000, "simla " * 2000]
)
def test_hostile_text_never_raises_on_postgresql(pg_kb, text):
    assert isinstance(pg_kb.search(text), list)
    assert isinstance(pg_kb.search_passages(text), list)
    pg_kb.suggest(text)
    pg_kb.resolve(text)
    assert pg_kb.search("simla")  # the connection is fine afterwards


def test_resolve_on_postgresql(pg_kb):
    assert [r.ref for r in pg_kb.resolve("Lavrov Dar")] == ["event/lavrov-dar-call-2025"]
    assert [r.ref for r in pg_kb.resolve("simla")] == ["agreement/simla-1972"]
    assert len(pg_kb.resolve("Sharif")) > 1
    assert pg_kb.resolve("[b]India[/b]") == []


def test_a_search_by_type_on_postgresql(pg_kb):
    hits = pg_kb.search("simla", entity_type="place")
    assert hits and all(h.row.type == "place" for h in hits)


def test_a_cancelled_search_and_one_past_its_time_limit_stop_with_their_errors(any_kb):
    cancel = Cancel()
    cancel.cancel()
    with pytest.raises(QueryCancelled):
        any_kb.search("pakistan india simla", cancel=cancel)
    with pytest.raises(QueryCancelled):
        any_kb.search_passages("pakistan", cancel=cancel)
    with pytest.raises(QueryTimeout):
        any_kb.search("pakistan india simla", seconds=0)
    assert any_kb.search("simla")


def test_a_search_running_on_the_server_is_cancelled_by_a_cancel_request(pg_kb):
    """A cancel from another thread reaches the statement running on the server (PgReaders)."""
    import threading

    cancel, outcome = Cancel(), []

    def slow():
        try:
            with pg_kb._readers.limited(cancel):
                pg_kb._all("SELECT pg_sleep(10)")
        except QueryCancelled as exc:
            outcome.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    threading.Timer(0.3, cancel.cancel).start()
    worker.join(5)
    assert not worker.is_alive() and len(outcome) == 1
    assert pg_kb.search("simla")


@pytest.mark.parametrize("text", ["pak", "india", "kashmir", "ru"])
def test_a_large_hit_set_is_read_not_ranked_own_fields_first_then_by_id(pg_kb, monkeypatch, text):
    """Past PG_RANK_LIMIT hits (5 here), the first 6 read are given own-field hits first, each
    group by id: every one a hit of the whole set."""
    from crisis_tui.db.pg import search

    whole = {h.row.ref: h for h in pg_kb.search(text, limit=1000)}
    monkeypatch.setattr(search, "PG_RANK_LIMIT", 5)
    hits = [h for h in pg_kb.search(text, limit=1000) if h.tier == 2]
    assert 0 < len(hits) <= 6 and all(h.row.ref in whole for h in hits)  # less those found by name first
    own = [h.field in ("name", "alias", "date", "summary") for h in hits]
    assert own == sorted(own, reverse=True)
    for group in (True, False):
        ids = [h.row.id for h, o in zip(hits, own, strict=True) if o is group]
        assert ids == sorted(ids)
