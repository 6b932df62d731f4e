"""The bulk writer: what goes in comes back whole, and a failure inside it loses nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crisis_tui.db.build import CiteIn, EntityIn, new_database
from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.pack import Source
from crisis_tui.db.queries import KnowledgeBase


def write(path, names: list[str], summary: str) -> None:
    with new_database(path) as writer:
        writer.meta([])
        writer.relations([("party", "party", "party to", "", "[]", "[]", None)])
        writer.sources([Source(id="s", title="S", text=summary)])
        writer.entities(EntityIn(f"actor/{i}", "actor", None, name, summary) for i, name in enumerate(names))
        writer.citations(("entity", f"actor/{i}", CiteIn("s", summary)) for i in range(len(names)))
        writer.links([("actor/0", "party", f"actor/{len(names) - 1}", summary, [CiteIn("s", summary)])])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(names=["a\x00b", "Simla"], summary='x\x00y\n"é😀\u2028')
@given(names=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5),
       summary=st.text(min_size=1, max_size=200))
def test_text_comes_back_whole(tmp_path_factory, names, summary):
    """Rows travel to SQLite as JSON batches; NULs, quotes, emoji and line breaks survive (a NUL goes the slow way)."""
    path = tmp_path_factory.mktemp("writer") / "w.db"
    write(path, names, summary)
    kb = KnowledgeBase(f"sqlite:///{path}")
    try:
        assert sorted(r.name for r in kb.page("actor", 0, len(names) + 1)) == sorted(names)
        first = kb.detail("actor/0")
        assert first.row.name == names[0] and first.summary == summary
        assert first.citations[0].quote == summary and first.citations[0].line == 1
        assert first.links_out[0].note == summary
    finally:
        kb.close()


def test_a_row_sqlite_refuses_fails_the_build_and_leaves_no_database(tmp_path):
    """The INSERTs run on the writer's own thread; what fails there is reported here, and nothing is installed."""
    path = tmp_path / "w.db"
    with pytest.raises(DatabaseError, match="(?i)building the database failed.*unique"):
        with new_database(path) as writer:
            writer.meta([])
            writer.sources([Source(id="s", title="S", text="x"), Source(id="s", title="again", text="x")])
            writer.entities(EntityIn(f"actor/{i}", "actor", None, f"A{i}") for i in range(50000))
    assert list(tmp_path.iterdir()) == []


def test_a_citation_is_on_the_line_its_quote_starts(tmp_path):
    """The line of a quote that starts a line is that line, not the one before (bisect_left was one short)."""
    text = "First line here.\nSecond line starts here.\nThird line, with a middle part.\n"
    path = tmp_path / "w.db"
    quotes = {"actor/0": "First line", "actor/1": "Second line starts", "actor/2": "with a middle", "actor/3": "Third"}
    with new_database(path) as writer:
        writer.meta([])
        writer.relations([])
        writer.sources([Source(id="s", title="S", text=text)])
        writer.entities(EntityIn(ref, "actor", None, ref) for ref in quotes)
        writer.citations(("entity", ref, CiteIn("s", quote)) for ref, quote in quotes.items())
    kb = KnowledgeBase(f"sqlite:///{path}")
    try:
        assert {ref: kb.detail(ref).citations[0].line for ref in quotes} == {
            "actor/0": 1, "actor/1": 2, "actor/2": 3, "actor/3": 3}
    finally:
        kb.close()
