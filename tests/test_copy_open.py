"""Copy and open (issue #15, item 4): `y` copies the focused thing by OSC 52, `o` opens a
source's address in the local browser, or over SSH copies it; each says what it did."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3

import pytest

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui import copying
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.source import SourceScreen

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_app import put_cursor_on, settle


@pytest.fixture
def clipboard(monkeypatch):
    """What the app copies, opens and says, kept (nothing reaches a terminal or a browser)."""
    kept: dict[str, list[str]] = {"copied": [], "opened": [], "said": []}

    def watch(app: CrisisApp) -> CrisisApp:
        monkeypatch.setattr(app, "copy_to_clipboard", kept["copied"].append)
        monkeypatch.setattr(app, "open_url", lambda url, **_: kept["opened"].append(url))
        monkeypatch.setattr(app, "notify", lambda message, **_: kept["said"].append(str(message)))
        return app

    kept_watch = kept | {"watch": watch}  # type: ignore[dict-item]
    return kept_watch


@pytest.fixture
def local(monkeypatch):
    """A desktop session here: no SSH, a display."""
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")


async def test_y_in_a_list_copies_the_entity_id(make_app, clipboard):
    app = clipboard["watch"](make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("j")
        await settle(pilot)
        row = app.main.list_for("event").current
        await pilot.press("y")
        assert clipboard["copied"] == [row.ref]
        assert clipboard["said"][-1] == f"Copied: {row.ref}"


async def test_y_on_a_link_copies_it_as_read_and_as_packs_write_it(make_app, clipboard):
    app = clipboard["watch"](make_app(start="event/lavrov-jaishankar-call-2025"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        await pilot.press("y")
        assert clipboard["copied"] == [
            "Lavrov–Jaishankar talks - invokes - Simla Agreement\n"
            "event/lavrov-jaishankar-call-2025 invokes agreement/simla-1972"]


async def test_y_on_a_link_from_the_other_end_names_its_subject_first_in_the_id(make_app, clipboard):
    app = clipboard["watch"](make_app(start="agreement/simla-1972"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invoked by: Lavrov–Jaishankar talks")
        await pilot.press("y")
        assert clipboard["copied"] == [
            "Simla Agreement - invoked by - Lavrov–Jaishankar talks\n"
            "event/lavrov-jaishankar-call-2025 invokes agreement/simla-1972"]


async def test_y_on_a_citation_copies_the_quote_with_its_citation(make_app, clipboard):
    app = clipboard["watch"](make_app(start="actor/soviet-union"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "web/wikipedia-tashkent-declaration")
        await pilot.press("y")
        assert clipboard["copied"] == [
            "\u201cTashkent (Uzbek SSR, USSR)\u201d\n\u2014 Page the fact sheet cites for: Tashkent Declaration. "
            "https://en.wikipedia.org/wiki/Tashkent_Declaration "
            "(source web/wikipedia-tashkent-declaration, quoted via fact-sheet, line 12)"]
        assert clipboard["said"][-1] == "Copied: \u201cTashkent (Uzbek SSR, USSR)\u201d"


async def test_y_in_the_reader_copies_the_current_passage_with_its_citation(make_app, clipboard):
    app = clipboard["watch"](make_app(start="agreement/simla-1972"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, '"in line with the 1972 Simla Agreement')
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        await pilot.press("y")
        passage = screen.reading.passages.passages[screen.view.current]
        title = screen.reading.source.title
        line = screen.reading.source.text.count("\n", 0, passage.offset) + 1
        assert line == 6  # the article's sixth paragraph
        assert clipboard["copied"] == [
            f"\u201c{screen.current_quote}\u201d\n\u2014 {title} (source article, line {line})"]
        await pilot.press("n", "y")
        assert clipboard["copied"][-1].startswith(f"\u201c{screen.current_quote}\u201d")
        assert len(clipboard["copied"]) == 2 and clipboard["copied"][0] != clipboard["copied"][1]


async def test_y_in_the_reader_of_a_page_quoted_via_the_fact_sheet_cites_the_page_via_it(make_app, clipboard):
    app = clipboard["watch"](make_app(start="actor/soviet-union"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "web/wikipedia-tashkent-declaration")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        assert clipboard["copied"] == [
            "\u201cTashkent (Uzbek SSR, USSR)\u201d\n\u2014 Page the fact sheet cites for: Tashkent Declaration. "
            "en.wikipedia.org. https://en.wikipedia.org/wiki/Tashkent_Declaration "
            "(source web/wikipedia-tashkent-declaration, quoted via Fact sheet: the 2025 India–Pakistan crisis and "
            "its precedents, line 12)"]


async def test_o_opens_the_address_in_the_local_browser(make_app, clipboard, local):
    app = clipboard["watch"](make_app(start="actor/soviet-union"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "web/wikipedia-tashkent-declaration")
        await pilot.press("o")
        assert clipboard["opened"] == ["https://en.wikipedia.org/wiki/Tashkent_Declaration"]
        assert clipboard["copied"] == []
        await pilot.press("enter")  # in the reader too
        await settle(pilot)
        await pilot.press("o")
        assert clipboard["opened"] == ["https://en.wikipedia.org/wiki/Tashkent_Declaration"] * 2


@pytest.mark.parametrize("variable", ["SSH_CONNECTION", "SSH_TTY"])
async def test_o_over_ssh_copies_the_address_and_says_so(make_app, clipboard, local, monkeypatch,
                                                         variable):
    monkeypatch.setenv(variable, "10.0.0.1 50000 10.0.0.2 22" if variable == "SSH_CONNECTION" else "/dev/pts/3")
    app = clipboard["watch"](make_app(start="actor/soviet-union"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "web/wikipedia-tashkent-declaration")
        await pilot.press("o")
        assert clipboard["opened"] == []
        assert clipboard["copied"] == ["https://en.wikipedia.org/wiki/Tashkent_Declaration"]
        assert clipboard["said"][-1].startswith("Over SSH the browser here is not yours: copied the address")


async def test_o_on_a_link_opens_the_address_of_its_passage(make_app, clipboard, local):
    app = clipboard["watch"](make_app(start="event/lavrov-jaishankar-call-2025"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        await pilot.press("o")
        await settle(pilot)
        addresses = [c.address for c in app.kb.link_citations(app.main.detail.items[
            app.main.detail.highlighted].link) if c.address]
        assert clipboard["opened"] == addresses[:1]


async def test_where_nothing_has_an_address_o_says_so(make_app, clipboard, local):
    app = clipboard["watch"](make_app(start="agreement/simla-1972"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("o")  # the events list has the focus: a list row has no address
        assert clipboard["said"][-1] == "Nothing here has an address to open"
        put_cursor_on(app, '"in line with the 1972 Simla Agreement')  # the article: no address
        await pilot.press("o")
        assert clipboard["said"][-1] == "Nothing here has an address to open"
        assert clipboard["opened"] == clipboard["copied"] == []


def test_only_a_web_address_is_opened():
    assert copying.web_address(" https://example.org/a?b=c ") == "https://example.org/a?b=c"
    for address in ("javascript:alert(1)", "file:///etc/passwd", "https://a.example/x y", "see https://a.example",
                    "https://a.example/\x1b]0;x\x07", ""):
        assert copying.web_address(address) is None


@pytest.fixture
def hostile_address_app(tmp_path, bundled_db):
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE source SET title = ?, address = ? WHERE id = ?",
                     ("[b]T[/b]\x1b[2J", "file:///etc/passwd\x1b]0;x\x07", "web/wikipedia-tashkent-declaration"))
    conn.close()
    kb = KnowledgeBase("sqlite:///" + str(path))
    yield CrisisApp(kb, start="actor/soviet-union")
    kb.close()


async def test_a_hostile_address_is_not_opened_and_is_copied_inert(hostile_address_app, clipboard, local):
    app = clipboard["watch"](hostile_address_app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "web/wikipedia-tashkent-declaration")
        await pilot.press("o")
        assert clipboard["opened"] == []
        assert clipboard["copied"] == ["file:///etc/passwd\\x1b]0;x\\x07"]
        assert clipboard["said"][-1].startswith("Not a web address, so not opened")
        await pilot.press("y")
        assert "[b]T[/b]\\x1b[2J" in clipboard["copied"][-1] and "\x1b" not in clipboard["copied"][-1]


def test_y_writes_osc_52_to_the_terminal(bundled_db):
    """On a real terminal: the id of the row under the cursor, base64 in an OSC 52 sequence."""
    env = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=dict(env, TERM="xterm"))
    try:
        t.wait_for("1 Events")
        t.wait_for("1965 war between India and Pakistan")
        t.settle()
        t.send("y")
        t.wait_for("Copied:")
        start = bytes(t.raw).index(b"\x1b]52;c;") + len(b"\x1b]52;c;")
        end = bytes(t.raw).index(b"\x07", start)
        copied = base64.b64decode(bytes(t.raw)[start:end]).decode()
        assert copied == "event/indo-pakistani-war-1965" and copied in t.text()  # and says so
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


async def test_o_without_a_display_copies_rather_than_say_it_opens(make_app, clipboard, monkeypatch):
    """A server's console: no display and no $BROWSER. Nothing opened and nothing said to be
    (webbrowser found no browser, and said nothing); the address is copied and that is said."""
    for variable in ("SSH_CONNECTION", "SSH_TTY", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(variable, raising=False)
    app = clipboard["watch"](make_app())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        copying.open_address(app, "https://en.wikipedia.org/wiki/Tashkent_Declaration")
        await settle(pilot)
    assert clipboard["opened"] == []
    assert clipboard["copied"][-1] == "https://en.wikipedia.org/wiki/Tashkent_Declaration"
    assert clipboard["said"][-1].startswith("No browser can open here (no display): copied the address")
