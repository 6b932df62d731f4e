"""Readable in every terminal: the real explorer on a pty, read cell by cell with pyte.

A matrix of TERM x NO_COLOR x COLORTERM: no text is drawn in its own background colour,
the focused pane and both cursors show, and with NO_COLOR not one colour escape is
written, so focus and cursors show by reverse and bold alone. (The pty tests once read
text only, and NO_COLOR on a 16-colour TERM drew black on black unnoticed.)
"""

from __future__ import annotations

import os
import re

import pytest

from .conftest import CLI
from .ptyterm import PtyTerminal

TERMS = ("xterm-256color", "xterm", "screen", "screen-256color", "tmux-256color", "linux", "vt100")
ENTER = "\r"
SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def colour_escapes(raw: bytes) -> list[str]:
    """The SGR parameters in `raw` that set a colour: 30-37, 40-47, 90-97, 100-107, 38;..., 48;..."""
    found = []
    for match in SGR.finditer(raw):
        params = [p for p in re.split(r"[;:]", match.group(1).decode()) if p]
        for p in params:
            n = int(p)
            if n in (38, 48):
                found.append(match.group(1).decode())  # what follows is the colour itself
                break
            if 30 <= n <= 37 or 40 <= n <= 47 or 90 <= n <= 97 or 100 <= n <= 107:
                found.append(match.group(1).decode())
                break
    return found


def luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


HEX = re.compile(r"^[0-9a-f]{6}$")


def modal_box(screen) -> tuple[int, int, int, int]:
    """The region (x0, y0, x1, y1) of the modal box whose top border is on the second row."""
    top = screen.display[1]
    x0, x1 = top.index("╭"), top.rindex("╮")
    y1 = max(y for y in range(screen.lines) if screen.display[y][x0] == "╰")
    return x0, 1, x1, y1


def shown_colours(cell) -> tuple[str, str]:
    """The colours a cell shows in a dark terminal (light text on black, as the dark themes
    assume): reverse applied, the terminal's defaults made concrete."""
    fg, bg = (cell.bg, cell.fg) if cell.reverse else (cell.fg, cell.bg)
    fg = "white" if fg == "default" and not cell.reverse else "black" if fg == "default" else fg
    bg = "black" if bg == "default" and not cell.reverse else "white" if bg == "default" else bg
    return fg, bg


def unreadable_cells(screen, read: tuple[int, int, int, int] | None = None) -> list[tuple[int, int, str, str, str]]:
    """Cells with text in their own background's colour (as a dark terminal shows them), or
    letters below a 3:1 contrast where both colours are known, within `read` if given (what
    is behind a modal is dimmed on purpose)."""
    bad = []
    x0, y0, x1, y1 = read or (0, 0, screen.columns, screen.lines)
    for y in range(screen.lines):
        for x in range(screen.columns):
            cell = screen.buffer[y][x]
            if not cell.data.strip() or cell.data in BOX:
                continue
            fg, bg = shown_colours(cell)
            if fg == bg:
                bad.append((y, x, cell.data, fg, bg))
            elif (cell.data.isalnum() and x0 <= x <= x1 and y0 <= y <= y1
                  and HEX.match(fg) and HEX.match(bg) and contrast(fg, bg) < 3.0):
                bad.append((y, x, cell.data, fg, bg))
    return bad


BOX = set("─│╭╮╯╰▔▁▏▎▌▐▄▀▇▆▅")


def stands_out(screen, y: int, x: int, other_y: int) -> bool:
    """Whether cell (x, y) looks different from cell (x, other_y) (its background as shown, or
    an underline): a cursor against a row without one."""
    a, b = screen.buffer[y][x], screen.buffer[other_y][x]
    return (shown_colours(a)[1], a.underscore) != (shown_colours(b)[1], b.underscore)


def cursor_row(screen, x: int) -> int | None:
    """The first row of the one block of rows whose cell at column `x` is reversed (the cursor,
    which a wrapped item spans), between the borders; None if there is no such block or several."""
    rows = [y for y in range(3, screen.lines - 2) if screen.buffer[y][x].reverse]
    return rows[0] if rows and rows == list(range(rows[0], rows[0] + len(rows))) else None


def look(screen) -> dict[str, object]:
    """What shows focus: each pane's title reversed, each cursor's row reversed, the focused one bold."""
    title = screen.buffer[2]
    list_row, detail_row = cursor_row(screen, 5), cursor_row(screen, 55)
    return {
        "list title": title[3].reverse,
        "detail title": title[39].reverse,
        "list cursor": list_row is not None,
        "detail cursor": detail_row is not None,
        "list cursor bold": list_row is not None and screen.buffer[list_row][5].bold,
        "detail cursor bold": detail_row is not None and screen.buffer[detail_row][55].bold,
    }


COMBINATIONS = [(term, no_colour, colorterm)
                for term in TERMS for no_colour in (False, True) for colorterm in (None, "truecolor")]


@pytest.mark.parametrize(("term", "no_colour", "colorterm"), COMBINATIONS,
                         ids=[f"{t}-{'nocolor' if n else 'color'}-{c or 'nocolorterm'}" for t, n, c in COMBINATIONS])
def test_readable_with_focus_and_cursors_shown(bundled_db, term, no_colour, colorterm):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env["TERM"] = term
    if no_colour:
        env["NO_COLOR"] = "1"
    if colorterm:
        env["COLORTERM"] = colorterm
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=env)
    try:
        t.wait_for("1965 war between India and Pakistan")
        t.settle(0.3)
        assert unreadable_cells(t.screen) == [], t.text()
        assert look(t.screen) == {"list title": True, "detail title": False, "list cursor": True,
                                  "detail cursor": True, "list cursor bold": True, "detail cursor bold": False}
        t.send(ENTER)  # the detail takes the focus: its title and cursor show it, the list's let go
        t.settle(0.3)
        assert look(t.screen) == {"list title": False, "detail title": True, "list cursor": True,
                                  "detail cursor": True, "list cursor bold": False, "detail cursor bold": True}
        assert unreadable_cells(t.screen) == [], t.text()
        t.send("/")
        t.wait_for("Search events, actors")
        t.send("simla")
        t.wait_for("for 'simla'")
        t.settle(0.2)
        assert unreadable_cells(t.screen, read=modal_box(t.screen)) == [], t.text()
        hit_rows = [y for y in range(t.rows) if "Simla Agreement" in t.screen.display[y]]
        assert any(t.screen.buffer[y][10].reverse for y in hit_rows), "the search hit cursor does not show"
        box_row = next(y for y in range(t.rows) if "simla" in t.screen.display[y] and "for" not in t.screen.display[y])
        after = t.screen.display[box_row].index("simla") + len("simla")
        # against the second hit's first line (a hit takes two lines; the first hit has the cursor)
        assert stands_out(t.screen, box_row, after, box_row + 4), "the search box's text cursor does not show"
        t.send("\x1b")
        t.settle(0.2)

        t.send("H")  # the history, its cursor on the one entry
        t.wait_for("History - Enter jumps")
        t.settle(0.2)
        entry = next(y for y in range(t.rows) if "1965 war" in t.screen.display[y] and "  1  " in t.screen.display[y])
        assert stands_out(t.screen, entry, 12, entry + 2), "the history's cursor does not show"
        assert unreadable_cells(t.screen, read=modal_box(t.screen)) == [], t.text()
        t.send("\x1b")
        t.settle(0.2)

        t.send("\x10")  # ctrl+p: the command palette, its cursor moved down one hit
        t.settle(0.5)
        t.send("simla")
        t.wait_for("Simla Agreement")
        t.settle(0.3)
        t.send("\x1b[B")
        t.settle(0.3)
        assert unreadable_cells(t.screen, read=(0, 0, 0, 0)) == [], t.text()
        hits = [y for y in range(t.rows)
                if t.screen.display[y].split()[:1] in (["agreement"], ["actor"], ["place"], ["event"])]
        column = 12
        looks = [(shown_colours(t.screen.buffer[y][column])[1], t.screen.buffer[y][column].underscore) for y in hits]
        odd = [y for y, bg in zip(hits, looks, strict=True) if looks.count(bg) == 1]
        assert len(hits) >= 3 and len(odd) == 1, f"the palette's cursor does not show: {looks}\n{t.text()}"
        t.send("\x1b")
        t.settle(0.3)
        t.send("q")
        assert t.wait_exit() == 0
        if no_colour:
            assert colour_escapes(bytes(t.raw)) == []
        else:
            assert colour_escapes(bytes(t.raw)), "no colour at all: the check above would prove nothing"
    finally:
        t.close()


def test_colour_escapes_are_recognised():
    """The NO_COLOR check above can fail: it finds each kind of colour escape, and no other."""
    assert colour_escapes(b"\x1b[1;30;40mx\x1b[0m") == ["1;30;40"]
    assert colour_escapes(b"\x1b[38;5;214mx") == ["38;5;214"]
    assert colour_escapes(b"\x1b[48;2;1;2;3mx") == ["48;2;1;2;3"]
    assert colour_escapes(b"\x1b[91mx\x1b[105m") == ["91", "105"]
    assert colour_escapes(b"\x1b[1;7;39;49mx\x1b[0m\x1b[2;3;4m\x1b[m") == []


@pytest.mark.parametrize("term", ["xterm", "linux"])
def test_a_notice_in_16_colours_is_readable_on_a_light_terminal_too(bundled_db, term):
    """A newcomer's: a notice was drawn on black under the terminal's own text colour, which a
    light terminal shows as black on black."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env["TERM"] = term
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=env)
    try:
        t.wait_for("1965 war between India and Pakistan")
        t.send("b")  # nothing to go back to: a notice
        t.wait_for("Nothing to go back to")
        row = next(y for y in range(t.screen.lines) if "Nothing to go back to" in t.screen.display[y])
        x0 = t.screen.display[row].index("Nothing")
        for x in range(x0, x0 + len("Nothing to go back to")):
            cell = t.screen.buffer[row][x]
            fg, bg = (cell.bg, cell.fg) if cell.reverse else (cell.fg, cell.bg)
            light = ("black" if fg == "default" else fg, "white" if bg == "default" else bg)  # a light terminal
            dark = shown_colours(cell)
            assert light[0] != light[1] and dark[0] != dark[1], (x, cell)
    finally:
        t.close()
