"""The real `crisis-tui` command on a pseudo-terminal at 80x24, read as a user reads the screen."""

from __future__ import annotations

import os

import pyte
import pytest

from .conftest import CLI
from .ptyterm import PtyTerminal

ENTER, ESC = "\r", "\x1b"


@pytest.fixture
def terminal(bundled_db):
    terminals: list[PtyTerminal] = []

    def start(*args: str, term: str = "xterm", extra_env: dict | None = None) -> PtyTerminal:
        env = dict(os.environ, TERM=term, **(extra_env or {}))
        env.pop("COLORTERM", None)
        t = PtyTerminal([CLI, "--db", str(bundled_db), *args], env=env)
        terminals.append(t)
        return t

    yield start
    for t in terminals:
        t.close()


def test_the_done_when_walk(terminal):
    """Find the Lavrov-Jaishankar talks by typing, follow to Simla, read its citation, go back, search pulwama."""
    t = terminal()
    t.wait_for("1 Events")
    t.wait_for("1965 war between India and Pakistan")
    t.send("/")
    t.wait_for("Search events, actors")
    t.send("lavrov jaishankar")
    t.wait_for("alias: Lavrov Jaisha")
    t.send(ENTER)
    t.wait_for("invokes: Simla Agreement")
    t.send(ENTER)  # the cursor starts on the first link: invokes Simla Agreement
    screen = t.wait_for("Lavrov–Jaishankar talks > Simla Agreement")
    assert "Signed in Shimla" in t.wait_for("Signed in Shimla")
    t.send("G")  # last line of the detail: a citation
    t.settle()
    t.send(ENTER)
    t.wait_for("o open - Esc closes")
    t.send(ESC)
    t.settle()
    assert "o open - Esc closes" not in t.text()
    t.send("b")
    screen = t.wait_for("Sergei Lavrov's talks with S.")
    assert "[b:- f:1]" in screen
    t.send("/")
    t.wait_for("for 'lavrov jaishankar'")  # the last search, recalled (selected: typing replaces it)
    t.send("pulwama")
    t.wait_for("Pulwama attack")
    t.send(ENTER)
    screen = t.wait_for("Jaish-e-Mohammed suicide car bomb")
    assert "Pulwama attack" in screen.splitlines()[0]
    t.send("q")
    assert t.wait_exit() == 0
    # the terminal is given back: alternate screen left, cursor shown again
    tail = bytes(t.raw[-400:])
    assert b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail


def test_plain_keys_in_a_linux_console_with_no_colour(terminal):
    t = terminal(term="linux", extra_env={"NO_COLOR": "1"})
    t.wait_for("1965 war between India and Pakistan")
    t.send("3")
    t.wait_for("Indus Waters Treaty")
    t.send("jj" + ENTER)
    t.wait_for("located in: Shimla")
    t.send("?")
    t.wait_for("Help - Esc closes")
    t.send(ESC)
    t.settle()
    t.send("q")
    assert t.wait_exit() == 0


def test_open_starts_on_an_entity(terminal):
    t = terminal("open", "Subrahmanyam")
    t.wait_for("External Affairs Minister of India")
    t.send("q")
    assert t.wait_exit() == 0


def test_open_unknown_entity_fails_before_the_screen(terminal):
    t = terminal("open", "zzzz-nothing")
    assert t.wait_exit() == 1
    assert b"nothing matches 'zzzz-nothing'" in bytes(t.raw)


SYNC_QUERY, SYNC_END = b"\x1b[?2026$p", b"\x1b[?2026l"


def test_each_typed_letter_is_drawn_with_its_hits(terminal):
    """A key in the search box is one frame: the letter with its own hits, not first over the old ones.

    The harness says it supports synchronized output, so that Textual marks where each frame
    ends; every frame is then read on its own. A query slower than the hold (30 ms) may show
    the letter first by design, so a loaded machine is allowed a stray key; the two-frame
    drawing this replaced failed every key.
    """
    t = terminal()
    t.wait_for("1 Events")
    assert SYNC_QUERY in t.raw, "Textual no longer asks whether the terminal can synchronize output"
    t.send("\x1b[?2026;2$y")  # DECRPM: mode 2026 known, currently reset
    t.wait_for("1965 war between India and Pakistan")
    t.send("/")
    t.wait_for("Search events, actors")
    t.settle()
    screen = pyte.Screen(t.cols, t.rows)
    stream = pyte.ByteStream(screen)
    stream.feed(bytes(t.raw))
    word, whole = "tashkent", 0
    for n in range(1, len(word) + 1):
        typed, start = word[:n], len(t.raw)
        t.send(word[n - 1])
        t.wait_for(f"for {typed!r}")
        t.settle(0.2)
        frames = bytes(t.raw[start:]).split(SYNC_END)
        assert len(frames) > 1, "no synchronized frames: the check below would see nothing"
        stale = 0
        for frame in frames:
            stream.feed(frame + SYNC_END)
            text = "\n".join(screen.display)
            if typed in text and f"for {typed!r}" not in text:
                stale += 1
        whole += stale == 0
    assert whole >= len(word) - 2, f"only {whole} of {len(word)} keys were drawn with their hits"


def test_focus_shows_in_the_pane_titles_and_cursors_as_it_moves(terminal):
    """The focused pane's title is reversed and its cursor bold; Enter, Esc, l and h move both.

    Only the title row and the cursor rows are repainted on a focus change: a stale title or
    cursor would show here.
    """
    t = terminal()
    t.wait_for("1965 war between India and Pakistan")
    t.settle()

    def look() -> tuple[bool, bool, bool, bool]:
        title_row = t.screen.buffer[2]
        list_cursor = next(y for y in range(3, 22) if t.screen.buffer[y][5].reverse)
        detail_cursor = next(y for y in range(3, 22) if t.screen.buffer[y][55].reverse)  # past the bold label
        return (title_row[3].reverse, title_row[39].reverse,
                t.screen.buffer[list_cursor][5].bold, t.screen.buffer[detail_cursor][55].bold)

    assert look() == (True, False, True, False)
    for key, focus_on_detail in ((ENTER, True), (ESC, False), ("l", True), ("h", False)):
        t.send(key)
        t.settle()
        on_list = not focus_on_detail
        assert look() == (on_list, focus_on_detail, on_list, focus_on_detail), key


def test_an_idle_explorer_writes_nothing_also_with_the_search_open(terminal):
    """Over SSH every frame is traffic: nothing on the screen changes while the user reads,
    so nothing is sent (the search box's cursor does not blink)."""
    import time

    t = terminal()
    t.wait_for("1965 war between India and Pakistan")
    for keys, shown in (("", "1 Events"), ("/", "Type to search"), ("pak", "for 'pak'")):
        t.send(keys)
        t.wait_for(shown)
        t.settle(0.3)
        before = len(t.raw)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            t.read(0.1)
        assert len(t.raw) == before, (keys, bytes(t.raw[before:]))


@pytest.mark.parametrize("key, shown", [("e", "My note on"), ("t", "Timeline"), ("a", "Neighbourhood")])
def test_an_idle_screen_of_issue_16_writes_nothing(terminal, key, shown):
    """The note editor (its cursor does not blink), the timeline and the neighbourhood send
    nothing while the user reads or thinks."""
    import time

    t = terminal()
    t.wait_for("1965 war between India and Pakistan")
    t.send(key)
    t.wait_for(shown)
    t.settle(0.5)
    before = len(t.raw)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        t.read(0.1)
    assert len(t.raw) == before, (key, bytes(t.raw[before:]))


# Keys that arrive together: pasted, or batched by SSH on a slow link. Each goes where the
# one before it sent the focus, as it does when typed one by one.

def test_search_typed_together_with_its_slash_keeps_every_letter(terminal):
    t = terminal()
    t.wait_for("1965 war between India and Pakistan")
    t.settle(0.3)
    t.send("/bhutto")  # `b` and `h` are keys of the panes (back, focus the list): here, letters
    t.wait_for("for 'bhutto'")
    t.wait_for("Zulfikar Ali Bhutto")
    t.send(ESC)
    t.settle(0.2)
    t.send("q")
    assert t.wait_exit() == 0


def test_a_key_right_after_l_goes_to_the_detail(terminal):
    t = terminal("open", "agreement/simla-1972")
    t.wait_for("more below")  # a long entity: the detail scrolls
    t.settle(0.3)
    t.send("lG")  # into the detail, and to its last line, at once
    t.settle(0.5)
    assert "3/4" in t.text(), "G went to the list"
    assert "end" in t.screen.display[22], t.text()  # the detail's bottom border: scrolled to its end
    t.send("q")
    assert t.wait_exit() == 0



def test_enter_typed_right_after_new_letters_opens_their_hit_not_the_old_one(terminal):
    t = terminal()
    t.wait_for("1965 war between India and Pakistan")
    t.settle(0.3)
    t.send("/la")
    t.wait_for("for 'la'")  # Lahore first
    t.settle(0.3)
    t.send("hore d" + ENTER)  # more letters and Enter at once, before their hits came
    t.wait_for("[b:- f:-]  Lahore Declaration")
    t.send("/indu" + ENTER)  # with the `/`, all in one go
    t.wait_for("Lahore Declaration > Indus Waters Treaty")
    t.send("q")
    assert t.wait_exit() == 0


def test_editing_keys_in_a_burst_act_in_the_order_typed(terminal):
    """Backspace or Left sent in one write with the letters after it (a paste, SSH batching
    keys) edits the search text in that order, not after the letters."""
    t = terminal()
    t.wait_for("1 Events")
    t.settle()
    t.send("/")
    t.wait_for("Type to search")
    t.send("abcdefghij")
    t.wait_for("for 'abcdefghij'")
    t.send("\x7fx")  # Backspace, then x
    t.wait_for("for 'abcdefghix'")
    t.send("\x1b[Dy")  # Left, then y
    t.wait_for("for 'abcdefghiyx'")
    t.send("\x7f\x7f\x7fq")  # the three before the cursor gone, q typed where they were
    t.wait_for("for 'abcdefgqx'")


def test_keys_sent_together_in_the_help_each_scroll_a_line(terminal):
    """Ten j in one write scroll ten lines (a scroll left for the next frame lost all but one)."""
    t = terminal()
    t.wait_for("1 Events")
    t.settle()
    t.send("?")
    t.wait_for("Help - Esc closes")
    t.settle()
    before = [line[5:72] for line in t.text().splitlines()[3:20]]  # the text, not the scrollbar (72-73)
    t.send("j" * 10)
    t.settle()
    after = [line[5:72] for line in t.text().splitlines()[3:20]]
    assert after[0] == before[10] and after[6] == before[16], (before, after)


def test_the_explorer_starts_where_it_was_left(terminal):
    """Leave it on an entity, start it again: it is there (db/state.py); `open` still wins."""
    t = terminal("open", "Simla Agreement")
    t.wait_for("Simla Agreement")
    t.send("q")
    assert t.wait_exit() == 0
    again = terminal()
    again.wait_for("(precision: day)")
    again.settle()  # the whole frame: under load, one frame's bytes can come in two reads
    assert "Simla Agreement" in again.text().splitlines()[0]  # the breadcrumb: where it was left
    again.send("q")
    assert again.wait_exit() == 0
    other = terminal("open", "Subrahmanyam")
    other.wait_for("External Affairs Minister of India")
    other.send("q")
    assert other.wait_exit() == 0
