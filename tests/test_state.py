"""Bookmarks, personal notes and reopening where the user left off (db/state.py, tui/keeping.py):
the state database, the explorer's keys m, B and e, the note editor's plain keys on a real
terminal, and `crisis-tui bookmarks`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from crisis_tui.db import state
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.state import Bookmark, Mine, Place, StateError, StateStore, UserState, bookmarked_refs
from crisis_tui.tui.app import CrisisApp

from .conftest import CLI
from .ptyterm import PtyTerminal

A, B = "sqlite:///a.db", "sqlite:///b.db"
SIMLA, INDIA, PAKISTAN = "agreement/simla-1972", "actor/india", "actor/pakistan"
PULWAMA, FIRST_EVENT = "event/pulwama-attack-2019", "event/indo-pakistani-war-1965"
WHEN = "2026-05-01T10:00:00+00:00"
HOSTILE = "[b]not bold[/b] [@click=app.quit]x[/] \x1b[31mred\x1b[0m"


# --- the state database -----------------------------------------------------------------

def test_records_are_kept_per_knowledge_base(tmp_path):
    store = StateStore(tmp_path / "state.db")
    assert not store.exists() and store.bookmarks(A) == [] and store.mine(A, SIMLA) == Mine()  # reading makes no file
    assert not store.exists()
    store.add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement"), (INDIA, "India", "actor")], when=WHEN)
    store.set_note(A, SIMLA, "  first line\nsecond line  \n")
    store.set_note(B, SIMLA, "of b")
    assert store.bookmarked_refs(A) == [SIMLA, INDIA] and store.bookmarked_refs(B) == []
    assert store.bookmarks(A)[0] == Bookmark(SIMLA, "Simla Agreement", "agreement", WHEN, "  first line\nsecond line")
    assert store.bookmarks(A)[0].note_line == "first line"
    assert store.mine(A, SIMLA) == Mine(WHEN, "  first line\nsecond line")
    assert store.mine(B, SIMLA) == Mine(None, "of b")
    assert store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", False) is True  # removed
    assert store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", False) is False  # already
    assert store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", True) is True  # again: now the last
    assert store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", True) is False  # already
    assert store.bookmarked_refs(A) == [INDIA, SIMLA]
    assert store.set_note(A, SIMLA, " \n\t ") is None and store.mine(A, SIMLA).note is None  # empty deletes it
    assert store.remove_bookmark(A, "actor/nobody") is False
    store.close()
    assert bookmarked_refs(A, tmp_path / "state.db") == [INDIA, SIMLA]  # the function `report --bookmarks` calls


def test_the_state_database_is_where_the_option_or_environment_says(tmp_path, monkeypatch):
    assert state.state_path() == state.default_path() and state.default_path().name == "state.db"
    assert str(state.default_path()).startswith(os.environ["XDG_STATE_HOME"])  # the user's state folder
    monkeypatch.setenv("CRISIS_TUI_STATE", str(tmp_path / "env.db"))
    assert state.state_path() == tmp_path / "env.db"
    assert state.state_path(tmp_path / "option.db") == tmp_path / "option.db"


def test_a_write_that_fails_halfway_leaves_nothing_of_it(tmp_path):
    store = StateStore(tmp_path / "state.db")
    store.add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")])
    with pytest.raises(RuntimeError), store._writing() as conn:
        conn.execute("DELETE FROM bookmark")
        conn.execute("INSERT INTO note VALUES (?, ?, 'half', 'now')", (A, INDIA))
        raise RuntimeError("crash in the middle")
    assert store.bookmarked_refs(A) == [SIMLA] and store.mine(A, INDIA) == Mine()


def test_a_process_killed_in_the_middle_of_a_write_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "state.db"
    StateStore(path).add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")])
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from crisis_tui.db.state import StateStore
        store = StateStore(Path({str(path)!r}))
        with store._writing() as conn:
            conn.execute("DELETE FROM bookmark")
            conn.executemany("INSERT INTO note VALUES ('a', ?, 'x', 'now')", [(str(n),) for n in range(5000)])
            os._exit(9)  # killed before the commit
    """)
    assert subprocess.run([sys.executable, "-c", script], timeout=60).returncode == 9
    store = StateStore(path)
    assert store.bookmarked_refs(A) == [SIMLA] and store.mine("a", "1") == Mine()


def hostile_files(tmp_path):
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + os.urandom(64) + b"not really" * 500)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"my shopping list\n" * 100)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.close()
    newer = tmp_path / "newer.db"
    StateStore(newer).add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")])
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    conn.close()
    return [corrupt, garbage, foreign, newer]


def test_a_file_that_is_not_a_state_database_is_one_line_and_left_untouched(tmp_path):
    paths = hostile_files(tmp_path)
    names = sorted(os.listdir(tmp_path))
    for path in paths:
        before = path.read_bytes()
        store = StateStore(path)
        with pytest.raises(StateError) as read:
            store.bookmarks(A)
        with pytest.raises(StateError):
            store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", True)
        with pytest.raises(StateError):
            store.save_place(A, Place(SIMLA))
        store.close()
        message = str(read.value)
        assert message.startswith(f"{path}: ") and "\n" not in message, message
        assert "left as it is" in message, message
        assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == names  # no journal left either


def test_a_locked_state_database_is_one_line_and_works_again_once_free(tmp_path, monkeypatch):
    monkeypatch.setattr(state, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "state.db"
    StateStore(path).add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program writing, and taking its time
    other.execute("DELETE FROM bookmark")
    store = StateStore(path)
    assert store.bookmarked_refs(A) == [SIMLA]  # reading never waits for a writer (WAL): a visit is not held up
    with pytest.raises(StateError, match="locked by another program") as raised:
        store.set_bookmark(A, INDIA, "India", "actor", True)
    assert str(raised.value) == (f"{path}: the state database is locked by another program (bookmarks and notes "
                                 f"wait until it is not)")
    other.execute("ROLLBACK")
    other.close()
    assert store.set_bookmark(A, INDIA, "India", "actor", True) is True
    assert store.bookmarked_refs(A) == [SIMLA, INDIA]


def test_a_state_database_that_cannot_be_written_is_one_line(tmp_path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("x")
    store = StateStore(blocked / "state.db")
    assert store.bookmarks(A) == [] and store.place(A) is None  # nothing to read: no error
    with pytest.raises(StateError, match="cannot write the state database") as raised:
        store.set_bookmark(A, SIMLA, "Simla Agreement", "agreement", True)
    assert "\n" not in str(raised.value) and blocked.read_text() == "x"
    with pytest.raises(StateError, match="a folder, not a state database"):
        StateStore(tmp_path).bookmarks(A)


# --- the explorer -----------------------------------------------------------------------

@pytest.fixture
def explorer(bundled_db, tmp_path):
    """Explorers keeping their state in one state database of the test's own."""
    opened = []

    def make(start=None, path=None, db=None, notices=None):
        url = "sqlite:///" + str(db or bundled_db)
        kb = KnowledgeBase(url)
        store = StateStore(path or tmp_path / "state.db")
        opened.append((kb, store))
        app = CrisisApp(kb, start=start, state=UserState(store, url))
        if notices is not None:
            notify = app.notify

            def recorded(message, **kwargs):
                notices.append(str(message))
                return notify(message, **kwargs)

            app.notify = recorded  # type: ignore[method-assign]
        return app

    yield make
    for kb, store in opened:
        kb.close()
        store.close()


async def until(pilot, check, tries=100):
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.05)
    assert check()


async def settle(pilot):
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


def detail_text(app) -> str:
    return "\n".join(item.text for item in app.main.detail.items)


async def test_m_bookmarks_and_unbookmarks_the_entity_shown_and_its_head_says_so(explorer, tmp_path):
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        assert "Bookmarked" not in detail_text(app)
        await pilot.press("m")
        await until(pilot, lambda: "Bookmarked" in detail_text(app))
        assert notices[-1] == "Bookmarked Simla Agreement (B lists the bookmarks)"
        assert app.main.detail.items[1].text.startswith(" Bookmarked ")  # in the head, under the name
        await pilot.press("m")
        await until(pilot, lambda: "Bookmarked" not in detail_text(app))
        assert notices[-1] == "Removed the bookmark on Simla Agreement"
    assert StateStore(tmp_path / "state.db").bookmarked_refs(app.kb.url) == []


async def bookmark(app, *refs):
    app.keeper.state.store.add_bookmarks(app.kb.url, [(r, app.kb.row(r).name, app.kb.row(r).type) for r in refs],
                                         when=WHEN)


async def test_the_bookmarks_list_opens_removes_and_closes(explorer):
    notices: list[str] = []
    app = explorer(notices=notices)
    await bookmark(app, SIMLA, INDIA, PULWAMA)
    app.keeper.state.store.add_bookmarks(app.kb.url, [("actor/gone-since", "Gone Since", "actor")], when=WHEN)
    app.keeper.state.set_note(INDIA, "watch the\nwater talks")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == FIRST_EVENT)
        await pilot.press("B")
        await until(pilot, lambda: type(app.screen).__name__ == "BookmarksScreen")
        rows = app.screen.rows
        await until(pilot, lambda: rows.loaded)
        assert [(b.ref, row is not None) for b, row in rows.entries] == [
            (SIMLA, True), (INDIA, True), (PULWAMA, True), ("actor/gone-since", False)]
        assert str(app.screen.query_one("#bookmarks-box").border_title) == "Bookmarks (4)"
        lines = [rows.render_line(y).text for y in range(4)]
        assert lines[1].split() == ["India", "actor", "2026-05-01", "watch", "the"]  # the note's first line
        assert "Gone Since (missing)" in lines[3]
        await pilot.press("G", "enter")  # a bookmark the knowledge base no longer holds: said, not opened
        await pilot.pause(0.1)
        assert "no longer in this knowledge base" in notices[-1] and type(app.screen).__name__ == "BookmarksScreen"
        await pilot.press("g", "j", "d")  # remove India
        await until(pilot, lambda: len(rows.entries) == 3)
        assert [b.ref for b, _ in rows.entries] == [SIMLA, PULWAMA, "actor/gone-since"] and rows.cursor == 1
        assert app.keeper.state.bookmarked_refs() == [SIMLA, PULWAMA, "actor/gone-since"]
        await pilot.press("enter")  # Pulwama, through visit(): in the history
        await until(pilot, lambda: app.shown == PULWAMA)
        assert type(app.screen).__name__ == "MainScreen" and app.history.current == PULWAMA
        assert app.focused is app.main.detail
        for close in ("q", "escape", "B"):
            await pilot.press("B")
            await until(pilot, lambda: type(app.screen).__name__ == "BookmarksScreen")
            await pilot.press(close)
            await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert app.shown == PULWAMA


async def test_the_palette_has_a_bookmarks_command(explorer):
    app = explorer()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown is not None)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Bookmarks"].callback()
        await until(pilot, lambda: type(app.screen).__name__ == "BookmarksScreen")


async def test_a_terminal_made_too_small_keeps_the_note_editor_and_its_text(explorer):
    app = explorer(start=SIMLA)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await pilot.press("e")
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        await pilot.press(*"half a thought")
        await pilot.resize_terminal(40, 10)
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "half a thought"
        await pilot.resize_terminal(80, 24)
        await pilot.press("escape", "s")
        await until(pilot, lambda: app.keeper.state.mine(SIMLA).note == "half a thought")


async def test_e_edits_the_note_saves_cancels_and_empty_deletes(explorer):
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await pilot.press("e")
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        assert app.screen.typing
        await pilot.press(*"ask about s and c", "enter", *"line two")  # s, c and Enter are typed while typing
        await pilot.press("escape")
        assert not app.screen.typing
        await pilot.press("s")
        await until(pilot, lambda: "My note" in detail_text(app))
        assert app.keeper.state.mine(SIMLA).note == "ask about s and c\nline two"
        assert notices[-1] == "Saved your note on Simla Agreement"
        text = detail_text(app)
        assert "yours, not a cited fact" in text and "ask about s and c\nline two" in text
        assert text.index("My note") < text.index("Signed in Shimla")  # above the summary, seen first

        await pilot.press("e")  # cancel keeps the note as it was
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        assert app.screen.text == "ask about s and c\nline two"
        await pilot.press(*" more", "escape", "escape")  # Esc again does not drop changes
        assert type(app.screen).__name__ == "NoteScreen" and "s saves them, c drops them" in notices[-1]
        await pilot.press("e", *"!", "escape", "c")  # back to typing, then cancel: with changes, asked once more
        assert type(app.screen).__name__ == "NoteScreen" and notices[-1] == "c again drops your changes"
        await pilot.press("c")
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert app.keeper.state.mine(SIMLA).note == "ask about s and c\nline two" and notices[-1] == "Note unchanged"

        await pilot.press("e")  # Ctrl+S saves while typing, where the terminal lets it through
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        await pilot.press(*"!", "ctrl+s")
        await until(pilot, lambda: app.keeper.state.mine(SIMLA).note == "ask about s and c\nline two!")

        await pilot.press("e")  # emptied and saved: deleted
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        app.screen.editor.text = ""
        await pilot.press("escape", "s")
        await until(pilot, lambda: "My note" not in detail_text(app))
        assert app.keeper.state.mine(SIMLA).note is None and notices[-1] == "Deleted your note on Simla Agreement"

        await pilot.press("e")  # Esc and nothing changed: closes
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")


async def test_a_note_is_data_never_markup_nor_terminal_control(explorer):
    app = explorer(start=SIMLA)
    app.keeper.state.set_note(SIMLA, HOSTILE)
    app.keeper.state.store.add_bookmarks(app.kb.url, [(SIMLA, HOSTILE, "agreement")], when=WHEN)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "My note" in detail_text(app))
        text = detail_text(app)
        assert "[b]not bold[/b] [@click=app.quit]x[/] \\x1b[31mred\\x1b[0m" in text and "\x1b" not in text
        await pilot.press("B")
        await until(pilot, lambda: type(app.screen).__name__ == "BookmarksScreen" and app.screen.rows.loaded)
        row = app.screen.rows.render_line(0).text
        assert "Simla Agreement" in row and "[b]not bold[/b]" in row and "\x1b" not in row
        await pilot.press("escape", "e")
        await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")
        assert app.screen.text == HOSTILE  # edited as it is: the user's own text comes back whole
        await pilot.press("escape", "c")
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert app.is_running  # the [@click=app.quit] did nothing


async def test_the_explorer_reopens_where_it_was_left_entity_pane_focus_and_history(explorer):
    app = explorer(start=INDIA)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == INDIA)
        app.visit(SIMLA)
        await until(pilot, lambda: app.shown == SIMLA)
        app.visit(PULWAMA)
        await until(pilot, lambda: app.shown == PULWAMA)
        await pilot.press("b")  # back to Simla: Pulwama is forward
        await until(pilot, lambda: app.shown == SIMLA)
        await pilot.press("2")  # the actors pane, its row previewed (not a history entry)
        await until(pilot, lambda: app.shown != SIMLA)
        await pilot.press("j")
        await settle(pilot)
        left, entries, cursor = app.shown, app.history.entries, app.history.cursor
        await pilot.press("l")  # the detail has the focus
    assert entries == (INDIA, SIMLA, PULWAMA) and cursor == 1 and left not in entries
    again = explorer()
    async with again.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: again.shown == left)
        await settle(pilot)
        assert again.history.entries == entries and again.history.cursor == cursor
        assert again.main.active == "actor" and again.focused is again.main.detail
        await pilot.press("b")
        await until(pilot, lambda: again.shown == SIMLA)  # back: from the preview to the entry it covered
        await pilot.press("f")
        await until(pilot, lambda: again.shown == PULWAMA)
        await pilot.press("b", "b")
        await until(pilot, lambda: again.shown == INDIA)


async def test_open_ref_wins_and_keeps_the_history_behind_it(explorer):
    first = explorer(start=INDIA)
    async with first.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: first.shown == INDIA)
        first.visit(SIMLA)
        await until(pilot, lambda: first.shown == SIMLA)
    opened = explorer(start=PULWAMA)
    async with opened.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: opened.shown == PULWAMA)
        await settle(pilot)
        assert opened.shown == PULWAMA and opened.history.entries == (INDIA, SIMLA, PULWAMA)
        await pilot.press("b")
        await until(pilot, lambda: opened.shown == SIMLA)  # back: to where it was left


async def test_entities_gone_from_the_knowledge_base_are_left_out_of_the_history_not_fatal(explorer, tmp_path):
    store = StateStore(tmp_path / "state.db")
    app = explorer()
    store.save_place(app.kb.url, Place("agreement/gone", "agreement", False,
                                       ((INDIA, "India"), ("event/gone", "Gone"), (SIMLA, "Simla")), 1))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == FIRST_EVENT)  # the place left is gone: the first event
        await settle(pilot)
        assert app.history.entries == (INDIA, SIMLA) and app.history.current == INDIA


async def test_a_shared_read_only_knowledge_base_takes_bookmarks_and_notes(explorer, bundled_db, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    db = shared / "crisis.db"
    shutil.copy(bundled_db, db)
    before = db.read_bytes()
    db.chmod(0o444)
    shared.chmod(0o555)
    try:
        app = explorer(start=SIMLA, db=db)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.shown == SIMLA)
            await pilot.press("m", "e", *"mine", "escape", "s")
            await until(pilot, lambda: "My note" in detail_text(app) and "Bookmarked" in detail_text(app))
        assert StateStore(tmp_path / "state.db").bookmarks("sqlite:///" + str(db)) == [
            Bookmark(SIMLA, "Simla Agreement", "agreement", app.keeper.state.mine(SIMLA).bookmarked or "", "mine")]
        assert db.read_bytes() == before  # nothing of the user's went into the knowledge base
        assert not [name for name in os.listdir(shared) if "state" in name]
        assert stat.S_IMODE(db.stat().st_mode) == 0o444
    finally:
        shared.chmod(0o755)


async def test_a_damaged_state_database_is_a_notice_and_the_explorer_still_explores(explorer, tmp_path):
    path = tmp_path / "damaged.db"
    path.write_bytes(b"my shopping list\n" * 100)
    before = path.read_bytes()
    notices: list[str] = []
    app = explorer(path=path, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == FIRST_EVENT)  # no place to come back to: the first event
        await until(pilot, lambda: any("left as it is" in n for n in notices))
        assert [n for n in notices if "left as it is" in n] == [
            f"{path}: not a crisis-tui state database, or damaged: left as it is (move it away, or choose "
            f"another with --state)"]  # said once, not at every visit
        await pilot.press("j")
        await until(pilot, lambda: app.shown != FIRST_EVENT)
        await pilot.press("m")
        await until(pilot, lambda: len([n for n in notices if "left as it is" in n]) == 2)  # asked: said again
    assert path.read_bytes() == before and app.keeper.failure is not None


# --- 80x24 snapshots --------------------------------------------------------------------

class TestSnapshot:
    @pytest.fixture(autouse=True)
    def _fixed_colours(self, monkeypatch):
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("COLORTERM", "truecolor")

    def test_bookmarks_list(self, snap_compare, explorer):
        app = explorer()
        store, url = app.keeper.state.store, app.kb.url
        store.add_bookmarks(url, [(SIMLA, "Simla Agreement", "agreement"), (INDIA, "India", "actor"),
                                  (PULWAMA, "Pulwama attack", "event"), ("actor/gone", "An actor since gone", "actor")],
                            when=WHEN)
        store.set_note(url, SIMLA, "Compare with the 2025 statements\nsecond line")
        store.set_note(url, "actor/gone", "still kept")

        async def before(pilot):
            await settle(pilot)
            await pilot.press("B")
            await settle(pilot)
            await pilot.press("j")

        assert snap_compare(app, terminal_size=(80, 24), run_before=before)

    def test_note_editor(self, snap_compare, explorer):
        app = explorer(start=SIMLA)
        app.keeper.state.set_note(SIMLA, "Bilateralism: cited by both sides in May 2025.")

        async def before(pilot):
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            app.screen.editor.cursor_blink = False
            await pilot.press(*" Check.")
            await pilot.pause(0.1)

        assert snap_compare(app, terminal_size=(80, 24), run_before=before)


# --- a real terminal: plain keys save the note ------------------------------------------

def test_a_note_typed_and_saved_with_plain_keys_on_a_real_terminal(bundled_db, tmp_path):
    path = tmp_path / "state.db"
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "CRISIS_TUI_STATE")}
    env.update(TERM="xterm", NO_COLOR="1")
    t = PtyTerminal([CLI, "--db", str(bundled_db), "--state", str(path), "open", "Simla Agreement"], env=env)
    try:
        t.wait_for("Shimla Agreement")
        t.send("e")
        t.wait_for("Typing. Esc, then s saves")
        t.send("bilateral, per both")
        t.wait_for("bilateral, per both")
        t.send("\x1b")  # Esc alone: the editor's keys
        t.wait_for("Keys. s saves")
        t.wait_for(" s Save ")  # and the key bar says so
        t.send("s")
        t.wait_for(" My note ")
        t.wait_for("bilateral, per both")
        t.send("e")
        t.wait_for("Typing. Esc, then s saves")
        t.send(" sides")
        t.wait_for("per both sides")
        t.send("\x1bs")  # Esc and s sent together (a fast typist over SSH): saves as well
        t.wait_gone("Typing. Esc")
        t.wait_for("per both sides")
        t.send("m")
        t.wait_for(" Bookmarked ")
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()
    store = StateStore(path)
    url = "sqlite:///" + str(bundled_db.resolve())
    assert store.mine(url, SIMLA).note == "bilateral, per both sides" and store.bookmarked_refs(url) == [SIMLA]


# --- the command line -------------------------------------------------------------------

def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60)


def test_bookmarks_lists_them_with_their_notes_as_text_and_json(bundled_db, tmp_path):
    path = tmp_path / "state.db"
    url = "sqlite:///" + str(bundled_db.resolve())
    store = StateStore(path)
    store.add_bookmarks(url, [(SIMLA, "Simla Agreement", "agreement"), ("actor/gone", "Gone", "actor"),
                              (INDIA, "India", "actor")], when=WHEN)
    store.set_note(url, SIMLA, "first\n" + HOSTILE)
    store.add_bookmarks("sqlite:///elsewhere.db", [(PAKISTAN, "Pakistan", "actor")])  # another database's
    result = run("--db", str(bundled_db), "--state", str(path), "bookmarks")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Simla Agreement  [{SIMLA}]  agreement  added 2026-05-01",
        "  my note: first",
        "    [b]not bold[/b] [@click=app.quit]x[/] \\x1b[31mred\\x1b[0m",
        "Gone  [actor/gone]  actor  added 2026-05-01  (missing)",
        f"India  [{INDIA}]  actor  added 2026-05-01",
    ]
    env = dict(os.environ, CRISIS_TUI_STATE=str(path))
    as_json = run("--db", str(bundled_db), "bookmarks", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    found = json.loads(as_json.stdout)
    assert [(b["ref"], b["missing"]) for b in found] == [(SIMLA, False), ("actor/gone", True), (INDIA, False)]
    assert found[0]["note"] == "first\n" + HOSTILE and found[0]["added"] == WHEN and "\x1b" not in as_json.stdout


def test_no_bookmarks_is_said_and_makes_no_state_file(bundled_db, tmp_path):
    path = tmp_path / "state.db"
    result = run("--db", str(bundled_db), "--state", str(path), "bookmarks")
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.startswith("no bookmarks")
    assert not path.exists()


def test_a_state_database_that_cannot_be_read_is_an_error_line_and_exit_1(bundled_db, tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"my shopping list\n" * 100)
    result = run("--db", str(bundled_db), "--state", str(path), "bookmarks")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (f"crisis-tui: error: {path}: not a crisis-tui state database, or damaged: left as it is "
                             f"(move it away, or choose another with --state)\n")
    assert path.read_bytes() == b"my shopping list\n" * 100


async def test_the_help_lists_the_keys_of_bookmarks_and_notes(explorer):
    app = explorer()
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown is not None)
        await pilot.press("question_mark")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        text = app.screen.keys_text()
    for line in ("  m                     Bookmark the entity shown, or remove its bookmark",
                 "  B                     List the bookmarks: Enter opens one, d removes one",
                 "  e                     Write your own note on the entity shown",
                 "  d, del                Remove the bookmark under the cursor",
                 "  s                     Save the note (empty text deletes it)",
                 "  c                     Close without saving"):
        assert line in text, line
    assert "Bookmarks (B)" in text and "Note editor (e): Esc leaves the text for the keys" in text


@pytest.mark.parametrize("no_colour", [False, True], ids=["16-colours", "no-colour"])
def test_bookmarks_and_the_note_editor_are_readable_in_16_colours_and_without_colour(bundled_db, tmp_path, no_colour):
    from .test_colours import modal_box, unreadable_cells

    path = tmp_path / "state.db"
    url = "sqlite:///" + str(bundled_db.resolve())
    store = StateStore(path)
    store.add_bookmarks(url, [(SIMLA, "Simla Agreement", "agreement"), (INDIA, "India", "actor")], when=WHEN)
    store.set_note(url, SIMLA, "a note of mine")
    store.close()
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "CRISIS_TUI_STATE")}
    env["TERM"] = "xterm"
    if no_colour:
        env["NO_COLOR"] = "1"
    t = PtyTerminal([CLI, "--db", str(bundled_db), "--state", str(path), "open", SIMLA], env=env)
    try:
        t.wait_for(" My note ")
        t.settle()
        mark = next(y for y, line in enumerate(t.screen.display) if " Bookmarked " in line)
        x = t.screen.display[mark].index(" Bookmarked ") + 2
        assert t.screen.buffer[mark][x].reverse and not unreadable_cells(t.screen)  # the marks stand out, readable
        t.send("B")
        t.wait_for("Bookmarks (2)")
        t.settle()
        assert not unreadable_cells(t.screen, modal_box(t.screen))
        rows = [y for y, line in enumerate(t.screen.display) if "Simla Agreement" in line and "2026-05-01" in line]
        assert rows and t.screen.buffer[rows[0]][4].reverse  # the cursor's row
        t.send("q")
        t.wait_gone("Bookmarks (2)")
        t.send("e")
        t.wait_for("Typing. Esc")
        t.settle()
        assert not unreadable_cells(t.screen, modal_box(t.screen))
        line = next(y for y, text in enumerate(t.screen.display) if "a note of mine" in text)
        end = t.screen.display[line].index("a note of mine") + len("a note of mine")

        def cursor_shows() -> bool:  # the text cursor, after the text: a cell that shows (in a blink's on phase)
            cell = t.screen.buffer[line][end]
            return cell.reverse or cell.bg not in ("default", "black")

        for _ in range(40):
            if cursor_shows():
                break
            t.read(0.05)
        assert cursor_shows(), t.screen.buffer[line][end]
        t.send("\x1b")
        t.wait_for("Keys. s saves")
        t.send("c")
        t.wait_gone("Keys. s saves")
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


async def test_a_state_database_that_cannot_be_written_is_a_notice_when_asked_and_exploring_goes_on(explorer, tmp_path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("x")
    notices: list[str] = []
    app = explorer(start=SIMLA, path=blocked / "state.db", notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await pilot.press("m")
        await until(pilot, lambda: any("cannot write the state database" in n for n in notices))
        app.visit(INDIA)
        await until(pilot, lambda: app.shown == INDIA)
    assert blocked.read_text() == "x" and "cannot write the state database" in (app.keeper.failure or "")


# --- typed note text is never lost (review of #16) -----------------------------------------

async def open_editor(pilot, app):
    await pilot.press("e")
    await until(pilot, lambda: type(app.screen).__name__ == "NoteScreen")


async def test_a_note_that_cannot_be_saved_stays_in_the_editor_with_its_text(explorer, tmp_path, monkeypatch):
    monkeypatch.setattr(state, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "state.db"
    StateStore(path).add_bookmarks("sqlite:///elsewhere.db", [(INDIA, "India", "actor")])
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await open_editor(pilot, app)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program writing, and taking its time
        await pilot.press(*"keep me", "escape", "s")
        await until(pilot, lambda: any("locked by another program" in n for n in notices))
        await settle(pilot)
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "keep me"  # not thrown away
        hint = str(app.screen.hint.text)
        assert "Not saved" in hint and "s tries again" in hint and app.screen.hint.size.width >= len(hint)  # whole
        other.execute("ROLLBACK")
        other.close()
        await pilot.press("s")
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert app.keeper.state.mine(SIMLA).note == "keep me" and notices[-1] == "Saved your note on Simla Agreement"


async def test_with_changes_c_and_alt_c_ask_once_more_before_dropping_them(explorer):
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await open_editor(pilot, app)
        await pilot.press(*"my note", "escape", *"cool")  # an Esc by accident, then "cool"
        await settle(pilot)
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "my note"
        assert notices[-1] == "c again drops your changes" and app.shown == SIMLA
        await pilot.press("e", *"!", "alt+c")  # Esc and c sent together, while typing
        await settle(pilot)
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "my note!"
        await pilot.press(*"?")  # typing on: the question is forgotten
        await pilot.press("escape", "c")
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "my note!?"
        await pilot.press("c")  # the second c drops them
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert app.keeper.state.mine(SIMLA).note is None and notices[-1] == "Note unchanged"
        await open_editor(pilot, app)  # without changes, one c closes
        await pilot.press("escape", "c")
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")


async def test_quitting_with_a_changed_note_open_saves_it(explorer, tmp_path):
    app = explorer(start=SIMLA)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await open_editor(pilot, app)
        await pilot.press(*"typed, never saved", "ctrl+q")  # Textual's quit, while typing
        await pilot.pause(0.2)
    assert StateStore(tmp_path / "state.db").mine(app.kb.url, SIMLA).note == "typed, never saved"
    assert app.keeper.kept_at_exit == "Simla Agreement"  # the command line says so after the exit
    # changed elsewhere while the editor was open: theirs is kept, and this text below it
    again = explorer(start=SIMLA)
    async with again.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: again.shown == SIMLA)
        await open_editor(pilot, again)
        StateStore(tmp_path / "state.db").set_note(again.kb.url, SIMLA, "theirs")
        await pilot.press(*" and more", "ctrl+q")
        await pilot.pause(0.2)
    assert StateStore(tmp_path / "state.db").mine(again.kb.url, SIMLA).note == (
        "theirs\n\n--- and yours, kept as crisis-tui quit:\ntyped, never saved and more")


async def test_quitting_with_a_changed_note_that_cannot_be_saved_repeats_its_text_at_exit(explorer, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setattr(state, "BUSY_TIMEOUT", 0.1)
    path = tmp_path / "state.db"
    StateStore(path).add_bookmarks("sqlite:///elsewhere.db", [(INDIA, "India", "actor")])
    app = explorer(start=SIMLA)
    other = sqlite3.connect(path, isolation_level=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await open_editor(pilot, app)
        other.execute("BEGIN IMMEDIATE")
        await pilot.press(*"line one", "enter", *"line two", "ctrl+q")
        await pilot.pause(0.2)
    other.execute("ROLLBACK")
    other.close()
    assert "locked by another program" in (app.keeper.failure or "")
    said = app.keeper.failure or ""
    assert said.endswith("your note on Simla Agreement was not saved, it read: line one\nline two")


def test_a_note_is_saved_only_over_the_text_the_editor_read(tmp_path):
    store = StateStore(tmp_path / "state.db")
    assert store.set_note(A, SIMLA, "mine", expected="") == "mine"
    store.set_note(A, SIMLA, "theirs")  # another explorer
    with pytest.raises(state.NoteChanged) as changed:
        store.set_note(A, SIMLA, "mine, more", expected="mine")
    assert changed.value.theirs == "theirs" and store.mine(A, SIMLA).note == "theirs"
    assert store.set_note(A, SIMLA, "mine, more", expected="theirs") == "mine, more"


async def test_a_note_changed_elsewhere_since_the_editor_opened_is_not_overwritten_unasked(explorer, tmp_path):
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    app.keeper.state.set_note(SIMLA, "first")
    other = StateStore(tmp_path / "state.db")  # a second explorer on the same state file
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA)
        await open_editor(pilot, app)
        other.set_note(app.kb.url, SIMLA, "theirs")
        await pilot.press(*", mine", "escape", "s")
        await until(pilot, lambda: "changed elsewhere since you opened it" in notices[-1])
        assert notices[-1] == ("Your note was changed elsewhere since you opened it: s again overwrites it, "
                               "c keeps theirs")
        assert type(app.screen).__name__ == "NoteScreen" and app.screen.text == "first, mine"
        assert other.mine(app.kb.url, SIMLA).note == "theirs"
        await pilot.press("c")  # keeps theirs
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert other.mine(app.kb.url, SIMLA).note == "theirs"

        await open_editor(pilot, app)
        assert app.screen.text == "theirs"
        other.set_note(app.kb.url, SIMLA, "theirs, again")
        await pilot.press(*"!", "escape", "s")
        await until(pilot, lambda: "changed elsewhere" in notices[-1])
        await pilot.press("s")  # s again overwrites it
        await until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
        assert other.mine(app.kb.url, SIMLA).note == "theirs!"
    other.close()


# --- state files the first version could not use (review of #16) ---------------------------

def read_only_state(bundled_db, tmp_path):
    """A state file with a bookmark and a note that can be read but not opened for writing: its
    WAL `-shm` cannot be made (as on a read-only filesystem, where SQLite fails the same way)."""
    path = tmp_path / "ro" / "state.db"
    path.parent.mkdir()
    url = "sqlite:///" + str(bundled_db.resolve())
    store = StateStore(path)
    store.add_bookmarks(url, [(SIMLA, "Simla Agreement", "agreement")], when=WHEN)
    store.set_note(url, SIMLA, "read me")
    store.close()
    assert sorted(os.listdir(path.parent)) == ["state.db"]  # closed: no -wal, no -shm
    os.symlink(tmp_path / "no-such-folder" / "shm", path.parent / "state.db-shm")
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):  # the failure it is, with SQLite alone
        sqlite3.connect(path).execute("SELECT * FROM bookmark")
    return path, url


def test_a_state_database_that_can_only_be_read_is_read(bundled_db, tmp_path):
    path, url = read_only_state(bundled_db, tmp_path)
    store = StateStore(path)
    assert store.bookmarks(url) == [Bookmark(SIMLA, "Simla Agreement", "agreement", WHEN, "read me")]
    assert store.read_only and store.mine(url, SIMLA) == Mine(WHEN, "read me")
    with pytest.raises(StateError, match="the state database is read-only") as raised:
        store.set_bookmark(url, INDIA, "India", "actor", True)
    assert str(raised.value).startswith(f"{path}: ")
    store.close()
    result = run("--db", str(bundled_db), "--state", str(path), "bookmarks")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"Simla Agreement  [{SIMLA}]  agreement  added 2026-05-01",
                                          "  my note: read me"]


def test_a_state_database_that_cannot_be_opened_at_all_is_said_as_a_read(tmp_path):
    path = tmp_path / "state.db"
    error = sqlite3.OperationalError("unable to open database file")
    assert state.problem(path, error, reading=True) == (
        f"{path}: cannot read the state database (unable to open database file): bookmarks and notes are not shown")
    assert "cannot write" in state.problem(path, error)


async def test_in_a_read_only_state_database_m_and_e_say_so(explorer, bundled_db, tmp_path):
    path, _ = read_only_state(bundled_db, tmp_path)
    notices: list[str] = []
    app = explorer(start=SIMLA, path=path, notices=notices)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "read me" in detail_text(app))  # the note shows
        await pilot.press("m")
        await until(pilot, lambda: any("read-only" in n for n in notices))
        assert notices[-1] == f"{path}: the state database is read-only: bookmarks and notes are shown but cannot " \
                              f"be changed"
        await pilot.press("e")
        await until(pilot, lambda: "notes are shown but cannot be changed" in notices[-1])
        await settle(pilot)
        assert type(app.screen).__name__ == "MainScreen"  # no editor to type into for nothing


def test_an_empty_state_file_is_laid_out_at_the_first_write(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"")
    store = StateStore(path)
    assert store.bookmarks(A) == [] and store.mine(A, SIMLA) == Mine() and store.place(A) is None
    store.add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")], when=WHEN)
    store.set_note(A, SIMLA, "kept")
    store.save_place(A, Place(SIMLA))
    assert store.mine(A, SIMLA) == Mine(WHEN, "kept") and store.place(A) == Place(SIMLA)
    store.close()
    assert StateStore(path).bookmarked_refs(A) == [SIMLA]


async def test_m_sets_what_the_detail_shows_whatever_another_explorer_did(explorer, tmp_path):
    notices: list[str] = []
    app = explorer(start=SIMLA, notices=notices)
    other = StateStore(tmp_path / "state.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.shown == SIMLA and app.main.detail.mine is not None)
        assert not app.main.detail.mine.bookmarked
        other.add_bookmarks(app.kb.url, [(SIMLA, "Simla Agreement", "agreement")])  # B bookmarks it
        await pilot.press("m")  # A, still showing it unbookmarked, bookmarks it
        await until(pilot, lambda: "Bookmarked" in detail_text(app))
        assert other.bookmarked_refs(app.kb.url) == [SIMLA] and notices[-1].startswith("Bookmarked Simla")
        other.remove_bookmark(app.kb.url, SIMLA)  # B removes it
        await pilot.press("m")  # A, still showing it bookmarked, removes it
        await until(pilot, lambda: "Bookmarked" not in detail_text(app))
        assert other.bookmarked_refs(app.kb.url) == [] and notices[-1] == "Removed the bookmark on Simla Agreement"
    other.close()


def test_a_knowledge_base_given_as_the_state_database_is_not_one(bundled_db, tmp_path):
    kb_file = tmp_path / "kb.db"
    shutil.copy(bundled_db, kb_file)
    with sqlite3.connect(kb_file) as conn:
        assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] > 0  # it has a meta table of its own
    conn.close()
    with pytest.raises(StateError) as raised:
        StateStore(kb_file).bookmarks(A)
    assert str(raised.value) == (f"{kb_file}: not a crisis-tui state database: left as it is (choose another with "
                                 f"--state)")


def test_the_state_file_is_readable_by_its_owner_only(tmp_path):
    """Bookmarks and personal notes: the file, its -wal and -shm 0600, a folder made for it 0700,
    whatever the umask lets others read; a mode the user chose for an existing file is kept."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "made" / "state.db"
        store = StateStore(path)
        store.add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")], when=WHEN)
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        for made in (path, path.with_name("state.db-wal"), path.with_name("state.db-shm")):
            assert made.exists() and stat.S_IMODE(made.stat().st_mode) == 0o600, made
        store.close()
        chosen = tmp_path / "chosen.db"
        chosen.touch(mode=0o640)
        chosen.chmod(0o640)
        other = StateStore(chosen)
        other.add_bookmarks(A, [(SIMLA, "Simla Agreement", "agreement")], when=WHEN)
        other.close()
        assert stat.S_IMODE(chosen.stat().st_mode) == 0o640
    finally:
        os.umask(old)
