"""Pack text is inert in the explorer: markup shows as written, controls show escaped.

Imports refuse control characters (test_hostile_packs.py), but a database can be written
by another tool: these tests write hostile text straight into a copy of the bundled
database and use the real explorer on a pty, reading what reaches the terminal byte by
byte and what it shows cell by cell.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time

import pytest

from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.schema import rebuild_search, renumber

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_app import slow_to_read

ENTER, ESC = "\r", "\x1b"
OSC_TITLE = "\x1b]0;pwned\x07"  # would retitle the user's terminal window
CLEAR = "\x1b[2J"  # would clear the screen
BIDI = "\u202e"  # right-to-left override: shows text reversed ("Trojan Source")
C1_CSI = "\x9b"  # the one-byte CSI of 8-bit terminals

WAR = "event/indo-pakistani-war-1965"  # the first event: shown when the explorer starts
WAR_NAME = "1965 war [/] [@click=app.quit]quit[/] [b]x [$accent]y [B]z"
WAR_SUMMARY = f"Ended {BIDI}by{BIDI} the [red]Tashkent[/red] Declaration{OSC_TITLE} and{C1_CSI}31m then"
LAVROV_NAME = f"Sergei Lavrov{OSC_TITLE}{CLEAR}"
SOURCE_TITLE = f"[/]Tashkent{OSC_TITLE} page"
ALIAS = f"Warzone{CLEAR}alias"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, bundled_db):
    path = tmp_path_factory.mktemp("hostile") / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ?, summary = ? WHERE ref = ?", (WAR_NAME, WAR_SUMMARY, WAR))
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/sergei-lavrov'", (LAVROV_NAME,))
        conn.execute("UPDATE source SET title = ? WHERE id = 'web/wikipedia-tashkent-declaration'", (SOURCE_TITLE,))
        conn.execute("INSERT INTO alias (entity_id, alias) SELECT id, ? FROM entity WHERE ref = ?",
                     (ALIAS, "place/lahore"))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


@pytest.fixture
def explorer(hostile_db):
    started: list[PtyTerminal] = []

    def start(*args: str) -> PtyTerminal:
        env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
        env["TERM"] = "xterm-256color"
        t = PtyTerminal([CLI, "--db", str(hostile_db), *args], env=env)
        started.append(t)
        t.wait_for("1 Events")
        return t

    yield start
    for t in started:
        assert b"pwned\x07" not in t.raw and CLEAR.encode() not in t.raw, "pack text reached the terminal as control"
        assert BIDI.encode() not in t.raw and C1_CSI.encode() not in t.raw
        t.close()


def quit_cleanly(t: PtyTerminal) -> None:
    t.send("q")
    assert t.wait_exit() == 0
    assert b"Traceback" not in t.raw and b"MarkupError" not in t.raw


def test_markup_in_a_name_is_shown_literally_in_the_list(explorer):
    t = explorer()
    t.wait_for("1965 war [/] [@click")
    quit_cleanly(t)


def test_markup_in_a_name_is_shown_literally_in_the_detail_title_and_first_line(explorer):
    t = explorer()
    screen = t.wait_for("[b]x [$accent]y [B]z")  # the end of the name, wrapped in the detail
    assert "1965 war [/] [@click=app" in screen.splitlines()[2]  # the detail pane's title
    quit_cleanly(t)


def test_a_click_action_in_a_name_is_not_run(explorer):
    t = explorer()
    t.wait_for("[@click=app.quit]")
    t.send(ENTER)  # focus the detail, whose title and first line carry the would-be action
    t.settle(0.5)
    assert os.waitpid(t.pid, os.WNOHANG)[0] == 0, "the explorer quit"
    quit_cleanly(t)


def test_markup_in_the_breadcrumb_is_literal(explorer):
    t = explorer()
    t.wait_for("Tashkent")
    t.send(ENTER)  # opened: into the history, and the breadcrumb
    t.settle(0.3)
    crumb = t.text().splitlines()[0]  # its start gives way when it is long: the end is there
    assert "[@click=app.quit]quit[/] [b]x [$accent]y [B]z" in crumb, crumb
    quit_cleanly(t)


def test_escape_sequences_in_a_name_are_shown_escaped(explorer):
    t = explorer("open", "actor/sergei-lavrov")
    screen = t.wait_for("Sergei Lavrov\\x1b]0;pwned\\x07\\x1b[2J")
    assert "Sergei Lavrov\\x1b]0;pwned" in screen.splitlines()[0]  # in the breadcrumb too
    quit_cleanly(t)


def test_bidi_override_and_c1_control_in_a_summary_are_shown_escaped(explorer):
    t = explorer()
    t.wait_for("\\u202eby\\u202e")
    t.wait_for("\\x9b31m")
    assert "[red]Tashkent[/red]" in t.text()
    quit_cleanly(t)


def test_control_in_an_alias_is_shown_escaped_in_search(explorer):
    t = explorer()
    t.send("/")
    t.wait_for("Search events, actors")
    t.send("warzone")
    t.wait_for("alias: Warzone\\x1b[2Jalias")
    t.send(ESC)
    t.settle(0.2)
    quit_cleanly(t)


def test_markup_and_controls_in_history_are_literal(explorer):
    t = explorer("open", "actor/sergei-lavrov")
    t.wait_for("Sergei Lavrov\\x1b")
    t.send("H")
    t.wait_for("History - Enter jumps")
    assert "Sergei Lavrov\\x1b]0;pwned" in t.text()
    t.send(ESC)
    t.settle(0.2)
    quit_cleanly(t)


def test_markup_in_the_command_palette_is_literal(explorer):
    t = explorer()
    t.wait_for("Tashkent")
    t.send("\x10")  # ctrl+p
    t.settle(0.5)
    t.send("1965 war")
    t.wait_for("1965 war [/] [@click=app.quit]quit[/]")
    t.send(ESC)
    t.settle(0.3)
    quit_cleanly(t)


def test_markup_and_controls_in_a_source_title_are_literal(explorer):
    t = explorer()
    t.wait_for("Tashkent")
    t.send(ENTER)  # into the detail
    t.settle(0.3)
    t.send("G")  # its last line: its citation
    t.settle(0.3)
    t.send(ENTER)
    t.wait_for("o open - Esc closes")
    t.send("k" * 400)  # up to its header (it opens scrolled to the passage)
    t.wait_for("[/]Tashkent\\x1b]0;pwned\\x07")
    t.settle(0.3)  # the 400 keys taken: an Escape sent while they are is read with the next key
    t.send(ESC)
    t.wait_gone("o open - Esc closes")  # closed: `q` now quits rather than arriving as Alt+q
    quit_cleanly(t)


async def test_an_error_notice_with_markup_and_controls_is_literal(make_app):
    """A database error names what it was about (an id, a file): shown as written, as one line."""
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause(0.2)
        app.report_error(DatabaseError(f"x.db: [/]no [@click=app.quit]such[/] table{OSC_TITLE}\nsecond line"))
        await pilot.pause(0.3)
        assert app.is_running
        toasts = [str(toast.render()) for toast in app.screen.query("Toast")]  # by name: its module is private
        shown = "[/]no [@click=app.quit]such[/] table\\x1b]0;pwned\\x07\\x0asecond line"
        assert any(shown in t for t in toasts), toasts


def test_a_fifty_megabyte_name_does_not_freeze_the_explorer(tmp_path, bundled_db):
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = ?", ("1965 war " + "x" * 50_000_000, WAR))
    conn.close()
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    t = PtyTerminal([CLI, "--db", str(path)], env=dict(env, TERM="xterm"))
    try:
        t.wait_for("1965 war xxxx", timeout=30)
        t.send("j")  # the next event, and back: each key answers
        t.wait_for("Tashkent negotiations", timeout=30)
        t.send("k")
        t.wait_for("1/22", timeout=30)
        t.send(ENTER + "G")
        t.settle(0.3)
        quit_cleanly(t)
    finally:
        t.close()


async def test_a_slow_entity_does_not_replace_the_one_moved_to(make_app, monkeypatch):
    """A huge or locked entity read slowly at start: the user's move wins, and stays shown."""
    app = make_app()
    slow_to_read(app, monkeypatch, WAR, 0.6)
    async with app.run_test(size=(80, 24)) as pilot:
        events = app.main.lists["event"]
        for _ in range(100):  # the rows are there (a move before them only places the cursor)
            if events.count:
                break
            await pilot.pause(0.05)
        await pilot.press("j")
        await pilot.pause(1.2)
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.shown == "event/tashkent-talks-1966"
        assert app.main.lists["event"].cursor == 1


async def test_a_key_before_the_rows_come_is_previewed_when_they_do(make_app, monkeypatch):
    """A slow first page (a huge row, a busy database): `j` pressed before it moves the cursor,
    and the row it lands on is shown once the rows are there."""
    app = make_app()
    page = app.kb.page

    def slow_page(entity_type, start, limit, pack=None):
        if entity_type == "event" and limit > 1:  # the list's page, not the first-entity probe
            time.sleep(0.5)
        return page(entity_type, start, limit, pack)

    monkeypatch.setattr(app.kb, "page", slow_page)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert app.main.lists["event"].count is None
        await pilot.press("j")
        await pilot.pause(1.2)
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert app.main.lists["event"].cursor == 1
        assert app.shown == "event/tashkent-talks-1966"
