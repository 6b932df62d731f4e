"""The layout at 80x24 and 120x40: the Places pane, names readable in a narrow list, zoom, and
the small items of issue #15 (g/Home, focus through "too small", back's cursor, the history
modal's keys, the palette's Keys, no Ctrl+b)."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

from crisis_tui.db.records import EntityRow
from crisis_tui.db.schema import rebuild_search, renumber
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.help import HelpScreen
from crisis_tui.tui.screens.history import HistoryScreen
from crisis_tui.tui.screens.main import MainScreen
from crisis_tui.tui.screens.search import SearchScreen
from crisis_tui.tui.widgets.detail import DetailView
from crisis_tui.tui.widgets.entity_list import KIND_MAX, EntityList
from crisis_tui.tui.widgets.key_bar import KeyBar

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_app import settle, until
from .test_colours import unreadable_cells

CLAIM = "The Resistance Front claims the Pahalgam attack"  # events row 5: at 80 columns, cut at 20 cells
DENIAL = "The Resistance Front denies involvement"  # row 10
APPEAL = "event/pakistan-appeal-to-russia-2025"  # its first link is below the fold at 80x24


def lines(pane: EntityList) -> list[str]:
    """The text of each line the pane shows."""
    return [pane.render_line(y).text for y in range(pane.scrollable_content_region.height)]


def links(view: DetailView) -> list[int]:
    """The items of the detail that are links to an entity."""
    return [i for i, item in enumerate(view.items) if isinstance(item.target, EntityRow)]


async def cursor_to(pilot, view: DetailView, index: int) -> None:
    view.focus()
    await pilot.pause()
    while view.highlighted != index:
        await pilot.press("j" if (view.highlighted or 0) < index else "k")


# --- the Places pane ----------------------------------------------------------------

async def test_4_shows_the_places_pane_and_its_rows(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("4")
        await settle(pilot)
        places = app.main.lists["place"]
        assert app.main.active == "place" and app.focused is places
        assert places.count == app.kb.count("place") == 17 and places.size.height > 5
        assert all(app.main.lists[t].size.height == 0 for t in ("event", "actor", "agreement"))
        assert app.shown == "place/anantnag-district"  # its first row, previewed
        assert "4 Places" in str(app.main.tabs.text) and str(app.main.tabs.text).rstrip().endswith("1/17")
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.shown == "place/baisaran-meadow"
        assert app.main.lists["place"].cursor == 2


async def test_a_link_to_a_place_turns_to_the_places_pane(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.main.detail
        target = next(i for i in links(view) if "Shimla" in view.items[i].text)
        await cursor_to(pilot, view, target)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "place/shimla" and app.main.active == "place"
        assert app.main.lists["place"].current.ref == "place/shimla"


@pytest.mark.parametrize("size", [(120, 32), (120, 40)])
async def test_wide_stacks_four_panes(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 0.2)
        assert app.main.is_wide
        heights = {t: pane.size.height for t, pane in app.main.lists.items()}
        assert list(heights) == ["event", "actor", "agreement", "place"] and min(heights.values()) >= 3, heights
        await pilot.press("4")
        await settle(pilot)
        assert app.focused is app.main.lists["place"]


async def test_the_tabs_name_four_panes_and_the_crisis_at_60_columns(make_app):
    app = make_app()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, 0.2)
        text = str(app.main.tabs.text)
        assert all(f"{n} {title}" in text for n, title in enumerate(("Events", "Actors", "Agreements", "Places"), 1))
        assert len(text) <= 58 and text.rstrip().endswith("/22")


def test_the_places_key_is_remappable_and_in_the_help():
    from crisis_tui.tui.keymap import remappable

    ids = remappable()
    assert ids["pane.places"].key == "4" and ids["pane.zoom"].key == "z" and "history.search" in ids


async def test_help_lists_places_and_zoom(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.keys_text()
        assert "Show the places pane" in text and "Zoom" in text and "z or Esc" in text


# --- names readable at 80 columns ----------------------------------------------------

async def test_the_cursor_row_shows_its_whole_name_at_80_columns(make_app):
    """Two rows begin "The Resistance Front": the one under the cursor shows its whole name,
    wrapped under itself; the rows below move down a line and come back when it leaves."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        events = app.main.lists["event"]
        before = lines(events)
        assert any(line.strip().endswith("The Resistance Fron…") for line in before)  # cut where it fits
        await pilot.press(*"jjjjj")
        await settle(pilot)
        assert app.shown == "event/trf-claim-2025"
        shown = lines(events)
        at = next(y for y, line in enumerate(shown) if "22 Apr 2025  The Resistance" in line)
        name = " ".join(line[14:].strip() for line in shown[at:at + 3])
        assert name == CLAIM, shown
        assert shown[at + 1][:14].strip() == ""  # the date column is blank under it
        assert events.virtual_size.height == events.count + 2  # its two more lines
        assert "India's measures ag" in shown[at + 3]  # the next row, moved down
        await pilot.press(*"jjjjj")  # to the denial: one line again, the claim back to one
        await settle(pilot)
        shown = lines(events)
        assert events.virtual_size.height == events.count + 1  # the denial takes two
        assert any(line.strip().endswith("The Resistance Fron…") for line in shown)  # the claim, cut again
        assert " ".join(line[14:].strip() for line in shown if DENIAL[:20] in line or "involvement" in line) \
            .replace("  ", " ") == DENIAL


async def test_at_120_columns_the_name_takes_two_lines_and_a_short_one_one(make_app):
    app = make_app("event/trf-claim-2025")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        events = app.main.lists["event"]
        shown = lines(events)
        assert events.cursor == 5 and events.virtual_size.height == events.count + 1
        at = next(y for y, line in enumerate(shown) if "The Resistance Front claims" in line)
        assert " ".join(line[14:].strip() for line in shown[at:at + 2]) == CLAIM
        await pilot.press("k")
        await settle(pilot)
        assert events.virtual_size.height == events.count  # "Pahalgam attack" fits its line


async def test_the_kind_column_is_as_wide_as_the_widest_kind(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("2")
        await settle(pilot)
        shown = lines(app.main.lists["actor"])
        shown = [line.rstrip() for line in shown]
        assert " organisation  CRPF" in shown  # the widest kind: a space after it, one before the name
        assert " person        Lal Bahadur Shastri" in shown  # 20 cells, whole (14 cells of kind cut it before)
        await pilot.press("4")
        await settle(pilot)
        places = lines(app.main.lists["place"])
        assert any(line.startswith(" border cros… ") for line in places)  # 'border crossing' is past KIND_MAX
        assert KIND_MAX == 12


async def test_a_click_below_a_wrapped_row_opens_the_row_drawn_there(make_app):
    app = make_app("event/trf-claim-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        events = app.main.lists["event"]
        shown = lines(events)
        y = next(y for y, line in enumerate(shown) if "India's measures" in line)
        await pilot.click(EntityList, offset=(5, y + 1))  # +1: the border
        await settle(pilot)
        assert app.shown == "event/india-ccs-measures-2025"


async def test_a_click_on_a_link_in_the_detail_follows_that_link(make_app):
    """The line clicked, not the one below it (the pane's y counts its border)."""
    app = make_app("event/trf-claim-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.main.detail
        first, second = links(view)[:2]
        start, count = view._spans[first]
        assert view._spans[second][0] == start + count  # the first link's last line is right above the second's
        y = start + count - 1 - view.scroll_offset.y
        assert 0 <= y < view.scrollable_content_region.height
        target = view.items[first].target
        await pilot.click(DetailView, offset=(4, y + 1))  # +1: the border
        await settle(pilot)
        assert isinstance(target, EntityRow) and app.shown == target.ref


# --- zoom ------------------------------------------------------------------------------

async def test_z_zooms_the_focused_pane_and_z_or_escape_restores(make_app):
    app = make_app("agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("l", "z")
        await settle(pilot)
        assert main.maximized is main.detail and main.detail.size.width >= 76  # the whole width
        bar = main.query_one(KeyBar)
        assert bar.region.y == 23 and bar.region.height == 1  # the key bar stays
        assert "z Restore" in bar.render_line(0).text
        await pilot.press("z")
        await settle(pilot)
        assert main.maximized is None and main.detail.size.width < 50 and app.focused is main.detail
        assert "Restore" not in bar.render_line(0).text
        await pilot.press("z", "escape")
        await settle(pilot)
        assert main.maximized is None and app.focused is main.detail  # Esc restored, and did not move the focus


async def test_zoom_follows_the_focus_and_the_list_can_be_zoomed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        main = app.main
        await pilot.press("z")
        assert main.maximized is main.lists["event"]
        await pilot.press(*"jjjjj")
        await settle(pilot)
        events = main.lists["event"]
        assert any(line.strip().endswith(CLAIM) for line in lines(events))  # the whole width: one line
        await pilot.press("enter")  # opened: the detail takes the focus, and the zoom
        await settle(pilot)
        assert app.focused is main.detail and main.maximized is main.detail
        await pilot.press("4")
        await settle(pilot)
        assert main.maximized is main.lists["place"]


async def test_the_palette_offers_zoom_and_restore(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert "Zoom pane" in titles and "Restore panes" not in titles
        app.main.action_zoom()
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert "Restore panes" in titles and "Zoom pane" not in titles


# --- g / Home in the detail -------------------------------------------------------------

async def test_g_goes_to_the_top_of_the_detail_with_the_cursor_on_its_first_link(make_app):
    """The first link of this event is below the fold at 80x24: g showed it, not the top."""
    app = make_app(APPEAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.main.detail
        first = next(i for i, item in enumerate(view.items) if item.target is not None)
        assert view._spans[first][0] >= view.scrollable_content_region.height  # below the fold
        for key in ("g", "home"):
            await pilot.press("l", "G")
            assert view.scroll_offset.y > 0
            await pilot.press(key)
            await pilot.pause()
            assert view.scroll_offset.y == 0 and view.highlighted == first, key
        await pilot.press("j")  # Down reads on towards the cursor, as on a page just shown
        assert view.scroll_offset.y == 1 and view.highlighted == first


async def test_g_then_leaving_and_coming_back_keeps_the_top_in_view(make_app):
    app = make_app(APPEAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.main.detail
        await pilot.press("l", "G", "g")
        await pilot.press("slash")
        await pilot.press(*"simla")
        await until(pilot, lambda: "for 'simla'" in str(app.screen.query_one("#search-status").text))
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == APPEAL and view.scroll_offset.y == 0


# --- the focus through a terminal too small ----------------------------------------------

@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_focus_and_zoom_come_back_after_too_small(make_app, size):
    app = make_app("agreement/simla-1972")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        main = app.main
        await pilot.press("l")
        assert app.focused is main.detail
        for zoom in (False, True):
            if zoom:
                await pilot.press("z")
            for step in [(50, 12), (59, 30), (100, 13), size]:  # through several sizes too small
                await pilot.resize_terminal(*step)
                await pilot.pause()
            await settle(pilot)
            await pilot.pause(0.1)
            assert not main.is_tiny and app.focused is main.detail, (zoom, app.focused)
            assert main.maximized is (main.detail if zoom else None)


async def test_zoomed_and_too_small_shows_only_the_message(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("z")
        await pilot.resize_terminal(50, 12)
        await settle(pilot)
        assert app.main.is_tiny and app.main.maximized is None
        assert app.main.query_one("#too-small").region.height > 0


# --- back puts the link cursor where it was ----------------------------------------------

async def open_india(pilot, how: str) -> None:
    app = pilot.app
    if how == "search":
        await pilot.press("slash", *"india")
        await until(pilot, lambda: "for 'india'" in str(app.screen.query_one("#search-status").text))
        await pilot.press("enter")
    else:
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.focused, EntityList) and app.focused.entity_type == "actor"
                    and app.focused.count is not None)
        actors = app.focused
        assert isinstance(actors, EntityList) and actors.count is not None
        await pilot.press("G")  # to the last actor, once the pane knows how many there are
        await until(pilot, lambda: actors.cursor == actors.count - 1)
        await pilot.press(*"kkk")  # actor/india: the fourth from the end
        await until(pilot, lambda: actors.current is not None and actors.current.ref == "actor/india")
        if how == "enter":
            await pilot.press("enter")
    await settle(pilot)
    assert app.shown == "actor/india"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("how", ["enter", "preview", "search"])
async def test_back_puts_the_cursor_on_the_fifth_link_again(make_app, how, size):
    """Opened from a list (Enter), only previewed there, or found by search: follow the 5th
    link, go back, and the cursor is on the 5th link's line again, in view."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, 0.2)
        await open_india(pilot, how)
        view = app.main.detail
        fifth = links(view)[4]
        await cursor_to(pilot, view, fifth)
        label = view.items[fifth].text
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown != "actor/india"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "actor/india" and view.highlighted == fifth, (label, view.items[view.highlighted].text)
        start, _ = view._spans[fifth]
        assert view.scroll_offset.y <= start < view.scroll_offset.y + view.scrollable_content_region.height
        target = view.items[fifth].target
        await pilot.press("enter")  # and Enter follows that link again
        await settle(pilot)
        assert isinstance(target, EntityRow) and app.shown == target.ref


# --- the history modal -------------------------------------------------------------------

async def test_the_history_closes_with_q_and_slash_opens_the_search(make_app):
    app = make_app("agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("H")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.return_code is None  # closed, not quit
        await pilot.press("H")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("slash")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"tash")
        await until(pilot, lambda: "for 'tash'" in str(app.screen.query_one("#search-status").text))
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_an_empty_history_says_so_in_a_box_its_size(make_app):
    from textual.widgets import OptionList

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        box = app.screen.query_one(OptionList)
        text = str(box.get_option_at_index(0).prompt)
        assert "Nothing yet" in text and "listed here" in text
        assert box.region.height <= 6  # its words, not a tall empty box
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


# --- the palette's Keys, and no Ctrl+b ----------------------------------------------------

async def test_keys_in_the_palette_opens_our_help_and_nothing_opens_textuals_key_panel(make_app):
    from textual.binding import Binding

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        for key, active in app.main.active_bindings.items():  # Textual 8.2 binds no key to its panel
            assert "help_panel" not in active.binding.action, key
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"Keys")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, HelpScreen)
        assert not app.main.query("HelpPanel")
        assert all(isinstance(b, Binding) for b in app.main.BINDINGS)


async def test_ctrl_b_is_left_to_tmux(make_app):
    app = make_app(APPEAL)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for owner in (EntityList, DetailView, MainScreen, CrisisApp):
            assert all("ctrl+b" not in b.key.split(",") for b in owner.BINDINGS), owner
        view = app.main.detail
        await pilot.press("l", "pagedown", "pagedown")
        top = view.scroll_offset.y
        assert top > 0
        await pilot.press("ctrl+b")
        assert view.scroll_offset.y == top
        await pilot.press("pageup")
        assert view.scroll_offset.y < top


# --- on a real terminal: 80x24, 16 colours, no colour -------------------------------------

HOSTILE = "Attari [b]Check[/b] Post\x1b]0;pwned\x07 [@click=app.quit]x[/] with a long tail to wrap"


@pytest.fixture(scope="module")
def places_db(tmp_path_factory, bundled_db):
    path = tmp_path_factory.mktemp("places") / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'place/attari'", (HOSTILE,))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


def test_places_and_readable_names_on_a_pty_at_80x24_without_colour(places_db):
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM",)}
    env.update(TERM="xterm", NO_COLOR="1")
    t = PtyTerminal([CLI, "--db", str(places_db)], env=env)
    try:
        t.wait_for("1 Events")
        t.wait_for("1965 war between")
        t.send("jjjjj")
        screen = t.wait_for("claims the Pahalgam")
        rows = screen.splitlines()
        at = next(y for y, row in enumerate(rows) if "22 Apr 2025  The Resistance Front" in row)
        assert "claims the Pahalgam" in rows[at + 1] and "attack" in rows[at + 2]
        assert all(t.screen.buffer[y][20].reverse for y in (at, at + 1, at + 2))  # one cursor, three lines
        t.settle(0.3)
        assert unreadable_cells(t.screen) == [], t.text()
        t.send("4j")
        screen = t.wait_for("4 Places")
        screen = t.wait_for("Check[/b] Post")  # markup shown as written, the escape escaped
        assert "Attari [b]Check[/b]" in screen and "\\x1b" in screen
        assert "Anantnag district" in screen  # the row above, as it was
        t.settle(0.3)
        assert unreadable_cells(t.screen) == [], t.text()
        t.send("lz")
        screen = t.wait_for("z Restore")
        assert screen.splitlines()[-1].startswith(" z Restore")
        t.send("z")
        t.wait_for("1 Events")
        t.send("q")
        assert t.wait_exit() == 0
        assert b"pwned\x07" not in t.raw and b"Traceback" not in t.raw
    finally:
        t.close()


def test_enter_and_b_typed_together_go_there_and_back_to_the_fifth_link(bundled_db):
    """Sent in one write (pasted, or batched by SSH or tmux): `b` was handled before the link
    was followed, so it found nothing to go back to and the link was followed after it."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM",)}
    env.update(TERM="xterm", NO_COLOR="1")
    t = PtyTerminal([CLI, "--db", str(bundled_db), "open", "actor/india"], env=env)
    try:
        t.wait_for("Referred to by")
        t.settle(0.3)
        t.send("ljjjj")  # the fifth link: office-holders: Narendra Modi
        t.settle(0.3)
        t.send("\rb")
        t.wait_for("[b:- f:1]  India")
        t.settle(0.5)
        cursor = [t.screen.display[y][38:] for y in range(3, t.rows - 2) if t.screen.buffer[y][40].reverse]
        assert cursor and "office-holders: Narendra Modi" in cursor[0], t.text()
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()
