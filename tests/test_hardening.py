"""What a review of #15 found, each pinned: failed reads said, a search's passage opened at its
line, completion offering no control characters, a repeated paste searched as one word, and
text that is not Unicode refused in one line."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import CitationView, PaneFilter
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.source import SourceScreen, read_source

from .conftest import CLI
from .test_app import put_cursor_on, record_notices, settle, until


async def test_a_pane_read_that_fails_is_said_not_left_loading(db_copy, monkeypatch):
    """A worker of a pane (not of the app) that fails reaches the app as a notice: the
    event saying so goes to the pane only, and the pane said "loading…" for good."""
    kb = KnowledgeBase(f"sqlite:///{db_copy}")
    app = CrisisApp(kb)
    notices: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, 0.4)
        monkeypatch.setattr(app, "notify", lambda message, **_: notices.append(str(message)))

        def broken(*args, **kwargs):
            raise DatabaseError(f"{db_copy}: the database is damaged (a test)")

        monkeypatch.setattr(kb, "match", broken)
        app.main.filter_pane("event", PaneFilter(kind="talks"))
        await until(pilot, lambda: notices)
    assert any("the database is damaged (a test)" in n for n in notices)
    kb.close()


@pytest.mark.parametrize("word", ["bundled", "precedents", "Tashkent", "mediation", "Simla"])
def test_a_passage_hit_opens_the_reader_at_its_line(kb, word):
    """Opened from a line a search found, the reader shows that line: a passage cited in it is
    current, or, where none is, no passage is and the reader opens at the line (it opened at the
    next cited passage, lines further on)."""
    hits = kb.search_passages(word, limit=10)
    assert hits
    for hit in hits:
        reading = read_source(kb, CitationView(hit.source_id, hit.title, hit.address, hit.text, hit.line))
        text = reading.source.text
        at = text.find(hit.text)
        assert reading.at == at
        if reading.current is not None:
            offset = reading.passages.passages[reading.current].offset
            assert at <= offset < at + len(hit.text), (word, hit.line)
        else:
            assert not any(at <= p.offset < at + len(hit.text) for p in reading.passages.passages)


async def test_the_reader_opened_at_an_uncited_line_shows_it(kb):
    """The fact sheet's first lines are cited by nothing: opened there, its text is in view."""
    hit = next(h for h in kb.search_passages("bundled", limit=10) if h.source_id == "fact-sheet")
    reading = read_source(kb, CitationView(hit.source_id, hit.title, hit.address, hit.text, hit.line))
    assert reading.current is None
    app = CrisisApp(kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        app.push_screen(SourceScreen(kb, reading))
        await settle(pilot, 0.3)
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        view = screen.view
        shown = "\n".join(view.text_lines[view.scroll_offset.y:view.scroll_offset.y + 12])
        assert "bundled" in shown
        await pilot.press("n")  # from there, the first passage after the line
        await settle(pilot)
        first_after = min(p.offset for p in reading.passages.passages if p.offset > reading.at)
        assert reading.passages.passages[view.current].offset == first_after


def test_completion_offers_no_name_holding_a_control_character(db_copy):
    """A name written by another tool with an escape sequence is not put into the filter prompt."""
    with sqlite3.connect(db_copy) as conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/india'", ("Zed\x1b]0;pwned\x07 \x1b[2J",))
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/pakistan'", ("Zebra",))
    kb = KnowledgeBase(f"sqlite:///{db_copy}")
    try:
        assert kb.names_starting("Ze") == ("Zebra",)
    finally:
        kb.close()


def test_a_paste_of_one_word_many_times_is_searched_as_that_word(kb):
    """`india ` pasted 20,000 times: a MATCH of 20,000 terms ran 54 s (past the time limit,
    which SQLite does not check while it parses); words given again count once."""
    twice = [h.row.ref for h in kb.search("india india")]  # as words (not the name India itself)
    assert twice and [h.row.ref for h in kb.search("india " * 20_000)] == twice
    assert [h.source_id for h in kb.search_passages("india " * 20_000)] == \
        [h.source_id for h in kb.search_passages("india")]


def test_many_different_words_keep_the_last_as_a_prefix(kb):
    """Past 32 words the first ones are kept, and the last word still matches as typed so far."""
    words = " ".join(f"zz{n}" for n in range(100))
    assert kb.search(words + " sim") == []  # every word must match: none does
    assert kb.search_passages(words) == []


def test_text_that_is_not_unicode_is_refused_in_one_line(kb):
    """Bytes that are not UTF-8 reach Python as lone surrogates, which SQLite cannot take."""
    assert kb.search("\udcffsimla") == kb.search("\ufffdsimla")  # search replaces them
    with pytest.raises(DatabaseError, match="not valid Unicode"):
        kb.row("actor/\udcff")


def test_the_cli_refuses_a_filter_id_that_is_not_utf8(bundled_db, tmp_path):
    db = tmp_path / "c.db"
    shutil.copy(bundled_db, db)
    done = subprocess.run([CLI, "--db", str(db), "search", "--related-to", b"actor/\xff"],
                          capture_output=True, text=True, errors="replace")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not valid Unicode" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "unexpected" not in done.stderr


@pytest.mark.parametrize("text", ["bilateral", "1972", "simla 1972", "mediate", "abeyance"])
def test_a_snippet_shows_its_match_where_a_row_at_80_columns_shows_it(kb, text):
    """A hit's first match is within the snippet's first 50 characters, what a hit row shows at
    80 columns after its label (a match near the end of a summary was cut off the row)."""
    hits = kb.search(text)
    assert hits
    for hit in hits:
        if hit.spans:
            assert hit.spans[0][1] <= 50, (hit.row.name, hit.snippet)


# --- from a newcomer's walk ----------------------------------------------------------------

async def test_a_record_gone_to_from_the_reader_comes_back_to_the_previewed_page(make_app):
    """A list's row previewed, its citation read, a record citing it gone to: back returns to that
    page (a previewed page was skipped: back went to the last page opened with Enter)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("3")  # the agreements: the first row is previewed, not opened
        await until(pilot, lambda: (app.shown or "").startswith("agreement/"))
        previewed = app.shown
        assert app.history.current != previewed
        put_cursor_on(app, "[1] ")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SourceScreen))
        screen = app.screen
        await until(pilot, lambda: screen.view.citing() is not None)
        for _ in range(12):  # a record of another entity than the page's own
            if screen.view.citing().ref != previewed:
                break
            await pilot.press("tab")
        gone_to = screen.view.citing().ref
        assert gone_to != previewed
        await pilot.press("enter")
        await until(pilot, lambda: app.shown == gone_to)
        await pilot.press("b")
        await until(pilot, lambda: app.shown == previewed)


async def test_a_search_closed_with_esc_is_recalled_but_n_steps_through_the_last_one_gone_to(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("slash", *"simla")
        await settle(pilot, 0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.shown == "agreement/simla-1972")
        await pilot.press("slash", *"lavr")
        await settle(pilot, 0.3)
        await pilot.press("escape")
        await settle(pilot)
        notices = record_notices(app, monkeypatch)
        await pilot.press("n")
        await until(pilot, lambda: notices)
        assert "for 'simla'" in notices[-1] and notices[-1].startswith("Hit 2 of ")
        await pilot.press("slash")
        await settle(pilot, 0.3)
        assert app.screen.query_one("#search-input").value == "lavr"  # `/` brings back what was typed


async def test_clearing_a_filter_keeps_the_cursor_on_the_entity_shown(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("1", "F")
        await settle(pilot)
        await pilot.press(*"participant: Russia +members", "enter")
        await until(pilot, lambda: app.main.lists["event"].count == 4)
        await pilot.press("j", "j")
        pane = app.main.lists["event"]
        await until(pilot, lambda: pane.current is not None and app.shown == pane.current.ref)
        talks = app.shown
        await pilot.press("x")
        await until(pilot, lambda: pane.pane_filter is None and pane.count == 22 and pane.current is not None
                    and pane.current.ref == talks)
        await settle(pilot, 0.3)
        assert app.shown == talks and pane.current.ref == talks


async def test_an_entity_shown_that_the_filter_leaves_out_is_said(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("2", "F")
        await settle(pilot)
        await pilot.press(*"related: event/pakistan-appeal-to-russia-2025", "enter")
        pane = app.main.lists["actor"]
        await until(pilot, lambda: pane.pane_filter is not None and pane.count == 3)
        notices = record_notices(app, monkeypatch)
        app.visit("actor/s-jaishankar")
        await until(pilot, lambda: app.shown == "actor/s-jaishankar" and notices)
        assert "S. Jaishankar is not among the rows the filter of 2 Actors lets through" in notices[-1]
        assert pane.current is not None and pane.current.ref != "actor/s-jaishankar"


async def test_the_recalled_search_reads_as_selected_without_colour(make_app, monkeypatch):
    """With NO_COLOR the selection's background is dropped: it is reversed instead."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.4)
        await pilot.press("slash", *"simla", "escape")
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot, 0.3)
        box = app.screen.query_one("#search-input")
        assert box.selection.start == 0 and box.selection.end == 5
        first = next(iter(box.render_line(0)))
        assert first.text == "simla" and first.style is not None and first.style.reverse


@pytest.mark.parametrize("size", [(80, 24), (130, 40)])
async def test_a_start_where_it_was_left_focuses_that_entity_s_pane(bundled_db, size, tmp_path):
    """Wide, all four panes show: the events pane kept the focus, and the first j replaced the
    actor shown with an event. (Where it was left comes from the state database, as crisis-tui gives it.)"""
    from crisis_tui.db.state import Place, StateStore, UserState

    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    store = StateStore(tmp_path / "state.db")
    store.save_place(kb.url, Place("actor/pakistan"))
    app = CrisisApp(kb, state=UserState(store, kb.url))
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: app.shown == "actor/pakistan")
            await settle(pilot)
            actors = app.main.lists["actor"]
            assert app.focused is actors and actors.current is not None and actors.current.ref == "actor/pakistan"
            await pilot.press("j")
            await until(pilot, lambda: (app.shown or "").startswith("actor/") and app.shown != "actor/pakistan")
    finally:
        kb.close()
        store.close()


@pytest.mark.parametrize("pane, typed, completed", [
    ("agreement", "par", "party: "),  # not part-of, which joins events
    ("event", "parti", "participant: "),
    ("event", "part-", "part-of: "),
    ("actor", "sig", "signatory: "),
])
def test_a_filter_key_completes_to_a_relation_of_the_pane_first(kb, pane, typed, completed):
    from crisis_tui.db.filters import complete

    assert complete(kb, typed, pane) == completed
