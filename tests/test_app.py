"""The explorer driven with Pilot: moving, opening, following links, history, search, help, quit."""

from __future__ import annotations

import asyncio
import time

import pytest
from textual.widgets import Input, Static

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.help import HelpScreen
from crisis_tui.tui.screens.history import HistoryScreen
from crisis_tui.tui.screens.main import MainScreen
from crisis_tui.tui.screens.search import SearchScreen
from crisis_tui.tui.screens.source import SourceScreen
from crisis_tui.tui.widgets.detail import DetailView
from crisis_tui.tui.widgets.entity_list import EntityList
from crisis_tui.tui.widgets.hit_list import HitList


@pytest.fixture
def make_app(make_any_app):
    """Every explorer test here runs on SQLite and on PostgreSQL (issue #18): the same keys, the
    same screens, through the one query layer."""
    return make_any_app


async def settle(pilot, delay: float = 0.12) -> None:
    """Let timers fire and database workers finish."""
    await pilot.pause(delay)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()  # the workers' result messages
    await pilot.pause()  # and what handling them set off


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Wait for a condition the app reaches on its own (a focus change lands a frame later)."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)


async def searched(pilot, text: str) -> None:
    """Wait until the search screen reports the hits for `text` (they come from a query thread)."""
    await until(pilot, lambda: f"for '{text.strip()}'" in str(pilot.app.screen.query_one("#search-status").text))
    assert f"for '{text.strip()}'" in str(pilot.app.screen.query_one("#search-status").text)


def slow_to_read(app: CrisisApp, monkeypatch, ref: str, seconds: float) -> None:
    """Reading `ref`'s detail takes `seconds` (a huge entity, a busy database)."""
    read = app.kb.detail

    def slow(wanted: str, **kwargs):
        if wanted == ref:
            time.sleep(seconds)
        return read(wanted, **kwargs)

    monkeypatch.setattr(app.kb, "detail", slow)


def detail(app: CrisisApp) -> DetailView:
    return app.main.query_one(DetailView)


def option_index(view: DetailView, text: str) -> int:
    for i, item in enumerate(view.items):
        if item.target is not None and text in item.text:
            return i
    raise AssertionError(f"no line with {text!r} in the detail view")


def put_cursor_on(app: CrisisApp, text: str) -> None:
    """Focus the detail pane with its cursor on the line holding `text`."""
    view = detail(app)
    view.focus()
    view._highlight(option_index(view, text))


def record_notices(app: CrisisApp, monkeypatch) -> list[str]:
    """The notices the app gives from now on, kept in the list returned (not shown)."""
    notices: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kwargs: notices.append(message))
    return notices


async def follow(pilot, text: str) -> None:
    """Move the detail cursor to the line holding `text` with the keyboard, then press Enter."""
    view = detail(pilot.app)
    view.focus()
    target = option_index(view, text)
    while view.highlighted != target:
        await pilot.press("j" if (view.highlighted or 0) < target else "k")
    await pilot.press("enter")
    await settle(pilot)


async def test_starts_on_the_events_pane_with_a_preview(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        events = app.main.list_for("event")
        assert app.focused is events
        assert events.count == app.kb.count("event")
        assert app.shown == "event/indo-pakistani-war-1965"
        assert app.history.entries == ()


async def test_moving_previews_without_history(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.main.list_for("event").cursor == 2
        assert app.shown == "event/pulwama-attack-2019"
        await pilot.press("G")
        await settle(pilot)
        assert app.main.list_for("event").cursor == app.kb.count("event") - 1
        await pilot.press("g")
        await settle(pilot)
        assert app.shown == "event/indo-pakistani-war-1965"
        assert app.history.entries == ()


async def test_enter_opens_and_records_history(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.history.entries == ("event/tashkent-talks-1966",)
        await until(pilot, lambda: isinstance(app.focused, DetailView))
        assert isinstance(app.focused, DetailView)
        assert "Tashkent negotiations" in str(app.main.query_one("#crumbs").text)


async def test_follow_link_to_simla_then_back_and_forward(make_app):
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.shown == "event/lavrov-jaishankar-call-2025"
        await follow(pilot, "invokes: Simla Agreement")
        assert app.shown == "agreement/simla-1972"
        # the agreements pane now shows where Simla sits
        assert app.main.active == "agreement"
        assert app.main.list_for("agreement").current.ref == "agreement/simla-1972"
        await follow(pilot, "signatory: Indira Gandhi")
        assert app.shown == "actor/indira-gandhi"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "event/lavrov-jaishankar-call-2025"
        await pilot.press("b")  # nothing before the start
        await settle(pilot)
        assert app.shown == "event/lavrov-jaishankar-call-2025"
        await pilot.press("f", "f")
        await settle(pilot)
        assert app.shown == "actor/indira-gandhi"


async def test_back_returns_to_a_previewed_page_a_link_was_followed_from(make_app):
    """Lavrov-Jaishankar -> Lahore Declaration, then the cursor moves up the agreements pane to preview
    the Simla Agreement, and a link is followed from it: back comes to the Simla Agreement,
    the page the link was on, not to the Lahore Declaration."""
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, "invokes: Lahore Declaration")
        assert app.shown == "agreement/lahore-declaration-1999"
        await pilot.press("escape", "k")  # to the list, one row up: a preview
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"
        assert app.history.current == "agreement/lahore-declaration-1999"
        await follow(pilot, "signatory: Indira Gandhi")
        assert app.shown == "actor/indira-gandhi"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/lahore-declaration-1999"


async def test_a_visit_after_back_drops_forward(make_app):
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, "invokes: Simla Agreement")
        await pilot.press("backspace")
        await settle(pilot)
        await follow(pilot, "participant: S. Jaishankar")
        assert app.history.entries == ("event/lavrov-jaishankar-call-2025", "actor/s-jaishankar")
        assert not app.history.can_forward


async def test_back_from_a_preview_returns_to_the_page(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("1", "j")
        await settle(pilot)
        assert app.shown != "agreement/simla-1972"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"


async def test_referred_to_by_links_are_followable(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, "invoked by: Lavrov–Jaishankar talks")
        assert app.shown == "event/lavrov-jaishankar-call-2025"


async def test_citation_opens_the_passage_in_its_source(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, '"in line with the 1972 Simla Agreement')
        assert isinstance(app.screen, SourceScreen)
        assert "in line with the 1972 Simla Agreement" in app.screen.current_quote
        box = app.screen.view
        await settle(pilot)
        opened_at = box.scroll_y
        await pilot.press("g")  # to the top: the source's title
        assert box.scroll_y == 0 < opened_at
        await pilot.press("G")
        assert box.scroll_y == box.max_scroll_y > 0
        await pilot.press("escape")
        assert not isinstance(app.screen, SourceScreen)


async def test_s_on_a_link_shows_the_passage_the_link_is_cited_to(make_app, monkeypatch):
    """Russia's offer to mediate invokes the Simla Agreement: `s` on that line shows the
    article's sentence saying so, marked in the article."""
    app = make_app(start="event/russia-mediation-offer-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SourceScreen)
        assert "in line with the 1972 Simla Agreement" in app.screen.current_quote
        assert not any("this link is cited to" in line for line in app.screen.view.text_lines)
        notices = record_notices(app, monkeypatch)
        await pilot.press("s")  # one passage only: nothing next, and it says so
        assert isinstance(app.screen, SourceScreen) and notices == ["No other passage: this is the only one cited here"]
        await pilot.press("escape")
        assert app.screen is app.main


async def test_s_goes_through_each_passage_of_a_link_cited_twice(make_app):
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        seen = []
        for _ in range(3):
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, SourceScreen)
            seen.append((next(line for line in app.screen.view.text_lines if "this link is cited to" in line),
                         app.screen.current_quote))
        assert [title for title, _ in seen] == [
            "Passage 1 of the 2 this link is cited to: s shows the next.",
            "Passage 2 of the 2 this link is cited to: s shows the next.",
            "Passage 1 of the 2 this link is cited to: s shows the next."]
        assert seen[0][1] != seen[1][1] and seen[2][1] == seen[0][1]


async def test_search_by_alias_and_enter_goes_there(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"shimla")
        await searched(pilot, "shimla")
        hits = app.screen.query_one("#search-hits", HitList)
        ids = [hit.row.ref for hit in hits.hits]
        assert ids[:2] == ["place/shimla", "agreement/simla-1972"]
        await pilot.press("down")
        assert hits.current.row.ref == "agreement/simla-1972"
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972"
        assert app.history.current == "agreement/simla-1972"
        assert app.focused is app.main.detail  # in another pane than the one that had the focus


@pytest.mark.parametrize("text", ["Subrahmanyam", "moscow", "pulwama"])
async def test_search_first_hit(make_app, text):
    expected = {
        "Subrahmanyam": "actor/s-jaishankar",
        "moscow": "actor/russia",
        "pulwama": "event/pulwama-attack-2019",
    }[text]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *text)
        await searched(pilot, text)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == expected


async def test_hostile_search_strings(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash")
        search_input = app.screen.query_one("#search-input", Input)
        for text in ['"Simla', "AND(", "NEAR(a b", "*", "title:x", "ü∂ß", "[[", "'", "%_"]:
            search_input.value = text
            await searched(pilot, text)
            assert isinstance(app.screen, SearchScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, SearchScreen)
        assert app.return_code is None


async def test_a_palette_search_the_database_stops_is_a_notice(make_app, monkeypatch):
    """Textual's palette drops what a provider raises: a search past its time limit would show nothing."""
    from crisis_tui.db.readers import QueryTimeout

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)

        def stopped(*args, **kwargs):
            raise QueryTimeout("crisis.db: the query took too long and was stopped")

        monkeypatch.setattr(app.kb, "search", stopped)
        notices = record_notices(app, monkeypatch)
        await pilot.press("ctrl+p")
        await pilot.press(*"Lahore")
        await until(pilot, lambda: bool(notices))
        assert notices[0] == "crisis.db: the query took too long and was stopped" and app.return_code is None


async def test_command_palette_finds_entities(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("ctrl+p")
        await pilot.press(*"Lahore Decl")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "agreement/lahore-declaration-1999"


async def test_the_palette_offers_our_commands_and_not_textuals_key_panel_or_maximize(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Search entities", "Back", "Forward", "History", "Help", "Quit", "Theme", "Screenshot"} <= set(titles)
        assert "Maximize" not in titles and titles.count("Quit") == 1
        keys = next(c for c in app.get_system_commands(app.screen) if c.title == "Keys")  # ours: the help, not
        assert keys.callback == app.action_help  # Textual's key panel beside the panes
        quit_help = next(c.help for c in app.get_system_commands(app.screen) if c.title == "Quit")
        assert quit_help == "Leave crisis-tui"


async def test_ctrl_c_says_how_this_app_quits(make_app, monkeypatch):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        notices = record_notices(app, monkeypatch)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert notices == ["Press q (or Ctrl+q) to quit"] and app.return_code is None


async def test_number_keys_switch_panes(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("2")
        await settle(pilot)
        assert app.main.active == "actor" and app.focused is app.main.list_for("actor")
        await pilot.pause()
        assert app.main.list_for("actor").size.height > 5 and app.main.list_for("event").size.height == 0
        assert app.shown == app.main.list_for("actor").current.ref
        await pilot.press("3")
        await settle(pilot)
        assert app.shown == "agreement/indus-waters-treaty-1960"
        await pilot.press("tab")
        assert isinstance(app.focused, DetailView)
        await pilot.press("escape")
        assert isinstance(app.focused, EntityList)


async def test_a_long_description_in_the_help_wraps_beside_its_keys(make_app):
    """A description too long for one line goes on under itself, not back at the keys' column."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("question_mark")
        await settle(pilot)
        texts = list(app.screen.query(".help-text"))
        keys = list(app.screen.query(".help-key"))
        assert texts and {t.region.x for t in texts} == {texts[0].region.x}
        assert texts[0].region.x >= keys[0].region.x + 20
        assert any(t.region.height > 1 for t in texts)  # at 80 columns some do wrap


async def test_help_lists_every_binding(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.keys_text()
        for binding in [*CrisisApp.BINDINGS, *EntityList.BINDINGS]:
            if binding.description:
                assert (binding.tooltip or binding.description) in text
        for key in ("/", "b, Backspace", "Ctrl+p", "Down, j", "Enter", "1", "?", "Esc"):
            assert key in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_history_before_anything_is_opened_says_so(make_app):
    from textual.widgets import OptionList

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("H")
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        assert isinstance(app.screen, HistoryScreen) and options.option_count == 1
        assert "Nothing yet" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen) and app.history.entries == ()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HistoryScreen)


async def test_history_screen_jumps(make_app):
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, "invokes: Simla Agreement")
        await pilot.press("H")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("k", "enter")
        await settle(pilot)
        assert app.shown == "event/lavrov-jaishankar-call-2025" and app.history.can_forward


async def test_bindings_carry_ids():
    for binding in [*CrisisApp.BINDINGS, *EntityList.BINDINGS]:
        assert binding.id, binding


async def test_quit(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_tiny_terminal_says_so_and_recovers(make_app):
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot, 0.2)
        message = str(app.main.query_one("#too-small", Static).render())
        assert "too small" in message and "40x12" in message
        assert app.main.has_class("-tiny")
        for size in [(30, 5), (200, 60), (10, 3), (81, 25), (1, 1), (80, 24)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
        await settle(pilot)
        assert not app.main.has_class("-tiny")
        await pilot.press("j")
        await settle(pilot)
        assert app.shown == "event/tashkent-talks-1966"
        view = detail(app)  # its lines were wrapped again for the final width, not a hidden one
        width = view.scrollable_content_region.width
        assert width > 20 and {strip.cell_length for _, strip in view._lines} == {width}


@pytest.mark.parametrize("key", ["slash", "question_mark", "H", "ctrl+p"])
async def test_a_terminal_made_too_small_closes_what_is_open_over_the_panes(make_app, key):
    """Search, help, history or the palette open when the terminal shrinks: closed, so that
    the one line saying it is too small shows and keys do not act in a box nobody sees."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert not isinstance(app.screen, MainScreen)
        await pilot.resize_terminal(50, 12)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.main.is_tiny
        shown_before = app.shown
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.shown == shown_before and isinstance(app.screen, MainScreen)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert app.shown == "event/tashkent-talks-1966"


async def test_back_and_forward_put_the_detail_cursor_where_it_was(make_app):
    """Simla -> a signatory -> back: the cursor is on that signatory's line again (as a
    browser returns to the place on a page), and forward returns to where it was there."""
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = detail(app)
        await follow(pilot, "Indira Gandhi")
        assert app.shown == "actor/indira-gandhi"
        await follow(pilot, "Simla Agreement")  # the signatory's link back to the agreement
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "actor/indira-gandhi" and "Simla Agreement" in view.items[view.highlighted].text
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972" and "Indira Gandhi" in view.items[view.highlighted].text
        top = view.scroll_offset.y
        start, count = view._spans[view.highlighted]
        assert top <= start < top + view.scrollable_content_region.height  # and in view
        await pilot.press("f")
        await settle(pilot)
        assert app.shown == "actor/indira-gandhi" and "Simla Agreement" in view.items[view.highlighted].text
        await follow(pilot, "Simla Agreement")  # a link followed anew starts at the first line
        first = next(i for i, item in enumerate(view.items) if item.target is not None)
        assert app.shown == "agreement/simla-1972" and view.highlighted == first


async def test_back_to_a_previewed_page_puts_its_cursor_where_it_was(make_app):
    """The page a link was followed from was only a preview (the list cursor showed it): it
    joins the history with its place, as one opened with Enter does."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.visit("agreement/simla-1972", remember=False)
        await settle(pilot)
        view = detail(app)
        await follow(pilot, "party: India")
        assert app.shown == "actor/india"
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972" and "party: India" in view.items[view.highlighted].text


async def test_wide_terminal_shows_every_pane(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, 0.2)
        assert app.main.is_wide
        assert all(entity_list.size.height > 5 for entity_list in app.main.query(EntityList))


async def test_growing_and_shrinking_the_terminal_folds_the_panes_that_do_not_fit(make_app):
    """Narrow: only the active pane has rows (and the focus); wide: all three; narrow again:
    the pane chosen while wide stays, the others fold (and Tab skips them)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def heights() -> dict[str, int]:
            return {t: entity_list.size.height for t, entity_list in app.main.lists.items()}

        assert heights()["event"] > 5 and heights()["actor"] == heights()["agreement"] == 0
        await pilot.resize_terminal(140, 40)
        await settle(pilot)
        assert all(h > 5 for h in heights().values())
        await pilot.press("3")
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert heights()["agreement"] > 5 and heights()["event"] == heights()["actor"] == 0
        assert [t for t, entity_list in app.main.lists.items() if entity_list.can_focus] == ["agreement"]


async def test_damaged_database_is_reported_not_raised(tmp_path, bundled_db):
    import shutil
    import sqlite3

    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    kb = KnowledgeBase("sqlite:///" + str(path))
    app = CrisisApp(kb)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        conn = sqlite3.connect(path)
        conn.execute("DROP TABLE link")
        conn.commit()
        conn.close()
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.return_code is None  # still running, the error was shown
        assert any("no such table" in n.message for n in app._notifications)
    kb.close()


async def test_starting_on_an_actor_moves_the_focus_to_the_actors_pane(make_app):
    app = make_app(start="actor/india")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.main.active == "actor"
        assert app.focused is app.main.list_for("actor")
        assert app.main.list_for("event").size.height == 0  # collapsed, not a stray border
        await pilot.press("j")
        await settle(pilot)
        assert app.shown != "actor/india" and app.shown.startswith("actor/")


async def test_down_reads_a_long_summary_before_the_first_link(make_app):
    """At 16 lines the Pahalgam attack's first link is below the fold: j scrolls the text into
    view before it moves the cursor past a link the reader has not seen."""
    app = make_app(start="event/pahalgam-attack-2025")
    async with app.run_test(size=(80, 16)) as pilot:
        await settle(pilot)
        view = detail(app)
        view.focus()
        first = view.highlighted
        first_line = view._spans[first][0]
        assert view.scroll_offset.y == 0 and first_line >= view.scrollable_content_region.height
        await pilot.press("j")
        assert view.highlighted == first and view.scroll_offset.y == 1
        while view._spans[first][0] >= view.scroll_offset.y + view.scrollable_content_region.height:
            await pilot.press("j")
        assert view.highlighted == first  # in view now, still on the first link
        await pilot.press("j")
        assert view.highlighted != first and view.items[view.highlighted].target is not None


async def test_a_long_detail_is_wrapped_whole_and_scrolls_to_its_end(make_app):
    """Opening an entity wraps every item to the pane's width, so End, paging and the extent
    note see every line, and the view can scroll to its last one."""
    from crisis_tui.tui.widgets.wrap import wrap_spans

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = detail(app)
        view.show(app.kb.detail("event/russia-mediation-offer-2025"))
        await pilot.pause()
        width, height = view.scrollable_content_region.size
        every = sum(len(wrap_spans(list(i.spans), width)) if i.spans else 1 for i in view.items)
        assert height < len(view._lines) == every == view.virtual_size.height
        assert view.border_subtitle == "more below"
        view.focus()
        await pilot.pause()
        await pilot.press("G")
        last = max(i for i, item in enumerate(view.items) if item.target is not None)
        assert view.highlighted == last and view.scroll_offset.y == every - height
        assert view.border_subtitle == "end"


async def test_the_key_bar_names_the_keys_and_a_click_presses_one(make_app):
    """The bottom line lists each shown binding once (`b`, not also Backspace) and the
    palette's key at the right; clicking `? Help` opens the help."""
    from crisis_tui.tui.widgets.key_bar import KeyBar

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bar = app.main.query_one(KeyBar)
        text = "".join(segment.text for segment in bar.render_line(0))
        assert text.startswith(" / Search  b Back  f Forward  t Timeline  ? Help  q Quit ")
        assert text.rstrip().endswith("▏^p palette") and len(text) == 80
        await pilot.click(KeyBar, offset=(text.index("? Help") + 1, 0))
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_the_one_line_widgets_take_a_new_theme(make_app):
    """The key bar and the breadcrumb keep a drawn line; a theme change draws them again."""
    from crisis_tui.tui.widgets.key_bar import KeyBar

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = [app.main.query_one(KeyBar), app.main.crumbs]
        before = [{seg.style for seg in line.render_line(0)} for line in lines]
        app.theme = "textual-light"
        await settle(pilot)
        after = [{seg.style for seg in line.render_line(0)} for line in lines]
        assert all(a != b for a, b in zip(before, after, strict=True))


async def test_the_cycle_collector_runs_on_a_timer_and_is_given_back(make_app):
    """Inside the explorer automatic collection is off (it collects on a timer, between keys);
    whoever ran the app gets the collector back as it was."""
    import gc

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 1.2)
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


async def test_an_import_in_another_process_shows_up_in_an_open_explorer(db_copy, tmp_path):
    """The explorer reads on while an import runs, then reloads its lists and detail."""
    import yaml

    from crisis_tui.seed.importer import import_packs

    from .test_import import small_pack

    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, 0.3)
            events = app.main.list_for("event")
            before = events.count
            pack = tmp_path / "demo.yaml"
            pack.write_text(yaml.safe_dump(small_pack()), encoding="utf-8")
            await asyncio.to_thread(import_packs, [pack], db_copy)  # as `crisis-tui import` would
            await until(pilot, lambda: events.count == before + 1, timeout=8)
            assert events.count == before + 1
            await settle(pilot)
            names = [events.row_at(i).name for i in range(events.count) if events.row_at(i)]
            assert "Port Vell meeting" in names
            assert app.shown == "event/indo-pakistani-war-1965"  # the detail was read again, same entity
    finally:
        kb.close()


async def test_after_an_import_renames_the_shown_entity_the_cursor_stays_on_it(db_copy, tmp_path):
    """A rename moves the shown entity up its pane: the cursor goes with it, not stays on its old row."""
    import copy

    import yaml

    from crisis_tui.seed.importer import import_packs

    from .test_import import small_pack

    def pack(name: str):
        doc = small_pack(name)
        other = dict(copy.deepcopy(doc["entities"][0]), id="event/market-day-2024", name="Market day")
        doc["entities"].append(other)  # the same day: the two are ordered by name
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        return path

    import_packs([pack("Port Vell meeting")], db_copy)
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    app = CrisisApp(kb, start="event/port-vell-2024")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, 0.3)
            events = app.main.list_for("event")
            assert events.current.ref == "event/port-vell-2024"
            before = events.cursor
            await asyncio.to_thread(import_packs, [pack("Anchor meeting")], db_copy, True)  # --replace
            await until(pilot, lambda: app.main.detail.border_title == "Anchor meeting", timeout=8)
            await settle(pilot, 0.3)
            assert events.cursor == before - 1
            assert events.current.ref == "event/port-vell-2024" and app.shown == "event/port-vell-2024"
    finally:
        kb.close()


async def test_a_list_coming_back_into_view_scrolls_no_more_than_needed(make_app):
    """Back from the Simla Agreement puts the events cursor on the talks while that pane is
    still collapsed (no height): it must not scroll as if it were one row high."""
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await follow(pilot, "invokes: Simla Agreement")
        assert app.main.active == "agreement"
        await pilot.press("b")
        await settle(pilot)
        events = app.main.list_for("event")
        assert app.main.active == "event" and events.cursor == 15
        assert events.scroll_offset.y == 0  # 22 rows, 19 in view: row 15 shows without scrolling


async def test_a_search_the_database_refuses_is_a_notice_not_a_crash(make_app, monkeypatch):
    """Search runs on its own thread; a database error there reaches the user as one notice."""
    from crisis_tui.db.errors import DatabaseError

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)

        def broken(*args, **kwargs):
            raise DatabaseError("crisis.db: database disk image is malformed")

        monkeypatch.setattr(app.kb, "search", broken)
        notices = record_notices(app, monkeypatch)
        await pilot.press("slash", "s")
        await until(pilot, lambda: bool(notices))
        assert notices == ["crisis.db: database disk image is malformed"]
        assert isinstance(app.screen, SearchScreen) and app.return_code is None
        monkeypatch.undo()
        await pilot.press("i")  # the query thread is still there, and the held frame was let go
        await searched(pilot, "si")


async def test_a_search_past_its_time_limit_says_so_in_the_search_and_the_next_key_searches(make_app, monkeypatch):
    """The real time limit stops the query (here made endless); the status line says so,
    the old hits go, and typing on searches again."""
    from crisis_tui.db import queries

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        real = queries.KnowledgeBase.search

        def endless(self, text, *args, **kwargs):
            if text == "sx":
                kwargs["seconds"] = 0.3
                with self._readers.limited(kwargs.get("cancel"), kwargs["seconds"]):
                    self._all("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n")
            return real(self, text, *args, **kwargs)

        monkeypatch.setattr(queries.KnowledgeBase, "search", endless)
        await pilot.press("slash", "s")
        await searched(pilot, "s")
        await pilot.press("x")
        status = lambda: str(pilot.app.screen.query_one("#search-status").text)  # noqa: E731
        await until(pilot, lambda: "Search stopped" in status())
        assert "Search stopped after 5 s" in status() and "'sx'" in status()
        assert not pilot.app.screen.query_one(HitList).hits and app.return_code is None
        await pilot.press("backspace")
        await searched(pilot, "s")


async def test_back_pressed_before_a_followed_page_arrives_goes_back(make_app, monkeypatch):
    """A slow page: `b` pressed while it loads goes back from it, not on to it."""
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    slow_to_read(app, monkeypatch, "agreement/simla-1972", 0.4)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        await pilot.press("enter", "b")  # b before the Simla Agreement has come
        await pilot.pause(0.8)
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.shown == "event/lavrov-jaishankar-call-2025"
        assert app.history.current == "event/lavrov-jaishankar-call-2025" and app.history.can_forward


async def test_a_second_link_followed_before_the_first_page_came_replaces_it(make_app, monkeypatch):
    """Enter on one link, then (its page slow to come) on another: the history holds the second,
    not a page that was never shown."""
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    slow_to_read(app, monkeypatch, "agreement/simla-1972", 0.5)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "invokes: Simla Agreement")
        await pilot.press("enter")
        put_cursor_on(app, "invokes: Lahore Declaration")  # the talks are still shown
        await pilot.press("enter")
        await pilot.pause(0.8)
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert app.shown == "agreement/lahore-declaration-1999"
        assert app.history.entries == ("event/lavrov-jaishankar-call-2025", "agreement/lahore-declaration-1999")


async def test_a_terminal_too_small_for_a_while_takes_no_pane_keys_and_gives_the_focus_back(make_app):
    """Shrunk below 60x14 and grown again: keys pressed meanwhile act on nothing unseen, the
    detail that had the focus has it again, and the breadcrumb is cut to the new width."""
    app = make_app(start="event/lavrov-jaishankar-call-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await follow(pilot, "invokes: Simla Agreement")
        await follow(pilot, "signatory: Indira Gandhi")
        assert app.focused is app.main.detail
        await pilot.resize_terminal(50, 12)
        await settle(pilot)
        assert app.main.is_tiny
        await pilot.press("1", "slash", "question_mark")
        await settle(pilot)
        assert app.screen is app.main and app.main.active == "actor"
        await pilot.resize_terminal(60, 14)
        await settle(pilot)
        crumb = str(app.main.crumbs.text)
        assert crumb.startswith("crisis-tui  [b:2 f:-]  ...") and crumb.endswith("> Indira Gandhi")  # 60 columns
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert app.focused is app.main.detail
        # whole
        assert str(app.main.crumbs.text).endswith("  Lavrov–Jaishankar talks > Simla Agreement > Indira Gandhi")


# --- notices on PostgreSQL (issue #18) ------------------------------------------------------------

async def test_a_database_error_said_again_within_8_seconds_is_one_notice(make_app, monkeypatch):
    """A server gone fails every key's read alike: the same line is not stacked again and again."""
    from crisis_tui.db.errors import DatabaseError

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notices = record_notices(app, monkeypatch)
        lost = "postgresql://me@db/crisis: lost the connection to the server (server closed the connection)"
        for _ in range(3):
            app.report_error(DatabaseError(lost))
            await pilot.pause()
        assert notices == [lost]
        app.report_error(DatabaseError("postgresql://me@db/crisis: another problem"))
        assert len(notices) == 2
        clock = time.monotonic()
        monkeypatch.setattr(time, "monotonic", lambda: clock + 9)  # 8 seconds on: said again
        app.report_error(DatabaseError(lost))
        assert notices[-1] == lost and len(notices) == 3


async def test_the_notice_after_a_reload_says_an_import_was_committed_on_postgresql(pg_url, tmp_path, monkeypatch):
    import json

    from crisis_tui.db.engines import open_knowledge_base
    from crisis_tui.seed.pg_import import import_packs_pg

    text = "On 3 March 2024 the Harbour Council met at Port Vell."
    pack = tmp_path / "mine.json"
    pack.write_text(json.dumps({
        "schema_version": 1, "pack": {"id": "mine", "title": "Mine"},
        "sources": [{"id": "note", "title": "A field note", "text": text}],
        "entities": [{"id": "event/port-vell-2024", "type": "event", "name": "Port Vell meeting", "date": "2024-03-03",
                      "citations": [{"source": "note", "quote": "the Harbour Council met"}]}]}))
    kb = open_knowledge_base(pg_url)
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, 0.3)
            notices = record_notices(app, monkeypatch)
            await asyncio.to_thread(import_packs_pg, [pack], pg_url)
            for _ in range(50):
                if notices:
                    break
                await pilot.pause(0.1)
            assert notices == ["An import was committed: lists and detail reloaded"]
            await pilot.pause()  # closed at once: the reload's reads may come back as it closes
    finally:
        kb.close()


async def test_the_notice_after_a_reload_on_sqlite_keeps_its_words(bundled_db, monkeypatch):
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            notices = record_notices(app, monkeypatch)
            app._database_changed()
            assert notices == ["The database changed (an import?): lists and detail reloaded"]
            await settle(pilot)
    finally:
        kb.close()
