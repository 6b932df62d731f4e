"""The timeline (`t`, `crisis-tui timeline`): lanes, dates drawn at their precision, keys, the
palette's lanes, hostile names, 80x24, a pty with NO_COLOR, and the command line."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.worker import WorkerCancelled

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import PaneFilter
from crisis_tui.db.schema import rebuild_search, renumber
from crisis_tui.db.timeline import TimelineReader, boundary, day_range, union, window
from crisis_tui.seed.importer import build_packs
from crisis_tui.tui import timeline_text as timeline_text_module
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.main import MainScreen
from crisis_tui.tui.screens.timeline import TimelineScreen
from crisis_tui.tui.timeline_chart import LABEL_WIDTH, ZOOMS, Frame, chart, label_cells, plain, zoom_named
from crisis_tui.tui.timeline_text import timeline_text
from crisis_tui.tui.widgets.timeline import TimelineView

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_cli import run
from .test_crisis_filter import BERLIN, two_crises_db  # noqa: F401  (a fixture)

LAVROV_DAR = "event/lavrov-dar-call-2025"
APPEAL = "event/pakistan-appeal-to-russia-2025"  # May 2025, month precision, uncertain
AIRSPACE = "event/india-airspace-closure-2025"  # a span: 30 Apr .. 23 May 2025
HOSTILE_ACTOR = "India [b]x[/] [@click=app.quit]q\x1b]0;pwned\x07"
HOSTILE_EVENT = "Talks [/] [@click=app.quit]quit\x1b[2J done"


def day(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


# --- the query layer -----------------------------------------------------------------


def test_main_parties_of_the_bundled_crisis_are_india_pakistan_russia(any_kb):
    kb = any_kb
    assert TimelineReader(kb).parties() == [("actor/india", "India"), ("actor/pakistan", "Pakistan"),
                                            ("actor/russia", "Russia")]


def test_a_lane_rolls_up_members_as_pane_filters_do(any_kb):
    kb = any_kb
    reader = TimelineReader(kb)
    lane = reader.lane("actor/russia", "Russia")
    rolled = kb.match("event", PaneFilter(related_to="actor/russia", through_members=True))
    direct = kb.match("event", PaneFilter(related_to="actor/russia"))
    assert rolled.ids is not None and direct.ids is not None
    assert [kb.position(i) for i in rolled.ids] == list(lane.positions)
    assert len(lane.positions) > len(direct.ids)  # Lavrov's talks are Russia's through him
    assert reader.position_of("event/lavrov-jaishankar-call-2025") in lane.positions


def test_dates_cover_their_precision():
    assert day_range("2025-05-04") == (day("2025-05-04"), day("2025-05-04"))
    assert day_range("2025-05", "month") == (day("2025-05-01"), day("2025-05-31"))
    assert day_range("1965", "year") == (day("1965-01-01"), day("1965-12-31"))
    assert day_range("soon") is None and day_range("") is None
    # dates the pack check lets through but the calendar has not are read clamped to it
    assert day_range("2025-02-30") == (day("2025-02-28"), day("2025-02-28"))
    assert day_range("0000") == (day("0001-01-01"), day("0001-12-31"))
    assert day_range("9999-12", "month") == (day("9999-12-01"), day("9999-12-31"))
    assert day_range("9999") == (day("9999-01-01"), day("9999-12-31"))
    # every date of a day or later sorts at or after its boundary, every earlier one before it
    assert "2025-04-30" < boundary(day("2025-05-01")) <= "2025-05" < "2025-05-01"
    assert "2024-12-31" < boundary(day("2025-01-01")) <= "2025" < "2025-01"


def test_window_draws_events_or_counts_them(any_kb):
    kb = any_kb
    reader = TimelineReader(kb)
    lanes = [reader.lane(ref, name) for ref, name in reader.parties()]
    frame = Frame.around(day("2025-05-04"), zoom_named("week"), 60)
    drawn = window(reader, lanes, union(lanes), frame.edges())
    assert len(drawn) == 4 and all(lane.events is not None for lane in drawn)
    counted = window(reader, lanes, union(lanes), frame.edges(), draw_limit=0)
    india = counted[0]
    assert india.events is None and sum(india.counts) == india.total > 0
    assert sum(counted[-1].counts) == counted[-1].total  # the other lane, counted from positions


def test_glyphs_tell_day_span_month_and_uncertain_apart(any_kb):
    kb = any_kb
    reader = TimelineReader(kb)
    lanes = [reader.lane(ref, name) for ref, name in reader.parties()]
    frame = Frame.starting(day("2025-04-28"), zoom_named("week"), 40)
    lines = chart(frame, ["India", "Pakistan", "Russia", "Other"], window(reader, lanes, union(lanes), frame.edges()))
    roles = {role for line in lines for _, role in line}
    assert {"point", "span", "imprecise"} <= roles
    text = plain(lines)
    russia = text.splitlines()[3]
    assert russia.count("▒") >= 25  # May 2025 (month precision) covers its month, not a day
    assert "?" in russia  # and is uncertain
    assert "├" in text and "┤" in text  # the airspace closure, a span
    counted = chart(frame, ["India", "Pakistan", "Russia", "Other"],
                    window(reader, lanes, union(lanes), frame.edges(), draw_limit=0))
    assert any(role == "count" for line in counted for _, role in line)


# --- the explorer ------------------------------------------------------------------------


def status(app: CrisisApp) -> str:
    return str(app.screen.query_one("#timeline-status").text)


def title(app: CrisisApp) -> str:
    return str(app.screen.query_one("#timeline-title").text)


def chart_text(app: CrisisApp) -> str:
    return plain(app.screen.query_one(TimelineView).chart_lines)


async def settle(pilot) -> None:
    """Wait for the app's workers. An exclusive worker (the view's read) cancelled by a newer
    one while it is waited for is no failure: the newer one is waited for next."""
    for _ in range(3):
        await pilot.pause(0.05)
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)


async def opened(pilot) -> TimelineScreen:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TimelineScreen)
    return screen


async def test_search_and_back_from_the_timeline_show_where_they_go(make_app):
    """The app's keys work on the timeline (a plain screen); a search chosen there, or back,
    closes it, so the entity is seen in the detail rather than behind the chart."""
    from .test_app import searched

    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("slash", *"simla")
        await searched(pilot, "simla")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.shown == "agreement/simla-1972"
        await opened(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.shown == LAVROV_DAR


async def test_t_in_a_terminal_too_small_opens_nothing_over_its_message(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(40, 10)) as pilot:
        await settle(pilot)
        from crisis_tui.tui.widgets.key_bar import KeyBar

        assert "t" not in {key for key, *_ in app.main.query_one(KeyBar)._keys}  # not offered there
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.main.is_tiny


async def test_t_opens_the_timeline_centred_on_the_event_shown(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        assert [lane.name for lane in screen.lanes] == ["India", "Pakistan", "Russia"]
        assert "Lavrov" in status(app) and "4 May 2025?" in status(app)
        lines = chart_text(app).splitlines()
        assert [line[1:9].strip() for line in lines[1:]] == ["India", "Pakistan", "Russia", "Other"]
        assert lines[2].startswith(">Pakistan")  # the lane of the event opened on (Dar: Pakistan's)
        assert "zoom week" in title(app)
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_the_status_cuts_a_long_name_never_the_date(make_app):
    app = make_app(start="event/india-airspace-closure-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        said = status(app)
        assert said.endswith(" · 30 Apr 2025 – 23 May 2025") and "India closes its airspace" in said
        line = app.screen.query_one("#timeline-status")
        assert len(said) <= line.content_size.width and "…" in said  # within the padding: all of it seen
        await pilot.press("minus")  # another zoom, the same line
        await settle(pilot)
        assert status(app).endswith(" · 30 Apr 2025 – 23 May 2025")


async def test_a_selected_month_bar_does_not_hide_the_days_on_it(make_app):
    app = make_app(start="event/pakistan-appeal-to-russia-2025")  # May 2025?, opened in Pakistan's lane
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert status(app).startswith("Pakistan ") and "Pakistan's appeal to Russia" in status(app)
        pakistan = next(line for line in chart_text(app).splitlines() if line[1:].startswith("Pakistan"))
        # the Lavrov–Dar talks (4 May?) and Operation Bunyan-um-Marsoos (10 May) stay drawn on its bar
        assert pakistan.count("?") >= 2 and "●" in pakistan and "▒" in pakistan, pakistan


async def test_zoom_in_and_out(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("minus")
        await settle(pilot)
        assert "zoom month" in title(app)
        await pilot.press("plus", "equals_sign")
        await settle(pilot)
        assert "zoom day" in title(app)
        await pilot.press("minus", "minus", "minus")
        await settle(pilot)
        assert "zoom year" in title(app)
        assert "Lavrov" in status(app)  # the selection stays, centred


async def test_moving_between_events_and_lanes(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        first = status(app)
        await pilot.press("l")
        await settle(pilot)
        assert status(app) != first and "Pakistan" in status(app)
        await pilot.press("h")
        await settle(pilot)
        assert status(app) == first
        await pilot.press("k")
        await settle(pilot)
        assert status(app).startswith("India")
        assert screen.lane_at == 0
        await pilot.press("j", "j", "j")
        await settle(pilot)
        assert status(app).startswith("Other")
        await pilot.press("g")
        await settle(pilot)
        assert "1965 war" in status(app)
        await pilot.press("right")
        await settle(pilot)
        assert "Tashkent" in status(app)


async def test_enter_opens_the_event_in_the_detail(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("l", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.shown == "event/ceasefire-2025-05-10"  # Pakistan's event after the Lavrov-Dar talks
        assert app.history.current == "event/ceasefire-2025-05-10"


@pytest.mark.parametrize("typed", ["add lane lashkar", "Add lane Lashkar"])  # as typed, and as the palette shows it
async def test_lanes_from_the_palette(make_app, typed):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*typed)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert [lane.ref for lane in screen.lanes][-1] == "actor/lashkar-e-taiba"
        assert "Lashkar" in chart_text(app)


async def test_the_timeline_follows_the_crisis_chosen(two_crises_db):  # noqa: F811
    kb = KnowledgeBase("sqlite:///" + str(two_crises_db))
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await opened(pilot)
            assert "all crises" in title(app)
            await pilot.press("c")
            await settle(pilot)
            assert app.crisis == "india-pakistan-2025" and "India–Pakistan crisis" in title(app)
            assert [lane.name for lane in screen.lanes] == ["India", "Pakistan", "Russia"]
            await pilot.press("c")
            await settle(pilot)
            assert app.crisis == BERLIN and "Berlin" in title(app)
            assert "India" not in [lane.name for lane in screen.lanes]
            await pilot.press("q", "t")  # t in the explorer opens it on the crisis the panes show
            await settle(pilot)
            assert "Berlin" in title(app)
    finally:
        kb.close()


async def test_help_lists_the_timeline_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = app.screen.keys_text()
        assert "Timeline (t)" in text and "Zoom in" in text and "Remove lane" in text and "▒▒" in text


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, bundled_db):
    path = tmp_path_factory.mktemp("hostile-timeline") / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/india'", (HOSTILE_ACTOR,))
        conn.execute("UPDATE entity SET name = ? WHERE ref = ?", (HOSTILE_EVENT, LAVROV_DAR))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


async def test_hostile_names_are_inert(hostile_db):
    kb = KnowledgeBase("sqlite:///" + str(hostile_db))
    app = CrisisApp(kb, start=LAVROV_DAR)
    try:
        async with app.run_test(size=(100, 24)) as pilot:
            await opened(pilot)
            assert "[@click=app.quit]quit\\x1b[2J done" in status(app)  # as written, the escape shown
            assert "India [b]" in chart_text(app)
            assert "\x1b" not in chart_text(app) + status(app)
            await pilot.press("k")
            await settle(pilot)
            assert app.is_running and isinstance(app.screen, TimelineScreen)
    finally:
        kb.close()
    result = run("--db", str(hostile_db), "timeline", "--from", "2025-05", "--to", "2025-05", "--width", "120")
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "India [b]x[/]" in result.stdout


async def test_more_lanes_than_fit_scroll_with_the_current_one(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 14)) as pilot:  # room for 8 lanes under the axis
        screen = await opened(pilot)
        for ref in ("actor/lashkar-e-taiba", "actor/sergei-lavrov", "actor/narendra-modi", "actor/shehbaz-sharif",
                    "actor/s-jaishankar", "actor/ishaq-dar"):
            screen.add_lane(ref, ref)
            await settle(pilot)
        assert len(screen.lanes) == 9 and "lanes 1-8 of 10" in title(app)
        await pilot.press(*"jjjjjjjjj")
        await settle(pilot)
        assert status(app).startswith("Other") and "lanes 3-10 of 10" in title(app)
        assert chart_text(app).splitlines()[-1].startswith(">Other")


class TestSnapshot:
    def test_bundled_timeline(self, snap_compare, bundled_db, monkeypatch):
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("COLORTERM", "truecolor")
        kb = KnowledgeBase("sqlite:///" + str(bundled_db))

        async def before(pilot):
            await opened(pilot)

        try:
            assert snap_compare(CrisisApp(kb, start=LAVROV_DAR), terminal_size=(80, 24), run_before=before)
        finally:
            kb.close()


@pytest.mark.parametrize("no_colour", [True, False])
def test_pty_sixteen_colours(bundled_db, no_colour):
    env = dict(os.environ, TERM="xterm", **({"NO_COLOR": "1"} if no_colour else {}))
    env.pop("COLORTERM", None)
    if not no_colour:
        env.pop("NO_COLOR", None)
    t = PtyTerminal([CLI, "--db", str(bundled_db), "open", LAVROV_DAR], env=env)
    try:
        t.wait_for("Lavrov")
        t.settle()
        t.send("t")
        screen = t.wait_for("Timeline ·")
        screen = t.wait_for("Other")
        assert "India" in screen and "Pakistan" in screen and "Russia" in screen
        assert "●" in screen and "▒" in screen
        assert "4 May 2025?" in screen
        # the selected event (Lavrov–Dar, 4 May, in Pakistan's lane) stands out without colour: its own
        # cell, not the lane's name, is in reverse video
        text = ["".join(t.screen.buffer[y][x].data for x in range(80)) for y in range(24)]
        lanes = {name: next(y for y in range(24) if name in text[y]) for name in ("India", ">Pakistan", "Russia",
                                                                                   "Other")}
        left = text[lanes[">Pakistan"]].index(">Pakistan") + LABEL_WIDTH  # where the chart's cells begin
        reversed_cells = {name: [t.screen.buffer[y][x].data for x in range(left, 80) if t.screen.buffer[y][x].reverse]
                          for name, y in lanes.items()}
        assert reversed_cells == {"India": [], ">Pakistan": ["?"], "Russia": [], "Other": []}
        cells = [t.screen.buffer[y][x] for y in range(24) for x in range(80)]
        assert not any(c.fg == c.bg and c.fg != "default" for c in cells)  # no black on black
        t.send("q")
        t.wait_gone("Timeline ·")
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


# --- the command line ------------------------------------------------------------------------


def test_cli_prints_the_lanes_and_the_legend(bundled_db):
    result = run("--db", str(bundled_db), "timeline", "--from", "2025-04", "--to", "2025-05")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "lanes: India, Pakistan, Russia" in lines[0] and "zoom week" in lines[0]
    assert any(line.startswith(" India") for line in lines)
    assert any(line.startswith(" Other") for line in lines)
    assert "├" in result.stdout and "▒" in result.stdout and "?" in result.stdout
    assert all(len(line) <= 80 for line in lines[4:])


def test_cli_lanes_zoom_and_width(bundled_db):
    result = run("--db", str(bundled_db), "timeline", "--lane", "Lavrov", "--lane", "actor/pakistan",
                 "--zoom", "day", "--from", "2025-05-01", "--to", "2025-05-10", "--width", "60")
    assert result.returncode == 0, result.stderr
    assert "lanes: Sergei Lavrov, Pakistan" in result.stdout and "zoom day" in result.stdout
    assert all(len(line) <= 60 for line in result.stdout.splitlines()[4:])


@pytest.mark.parametrize(("args", "says"), [
    (("--lane", "nobody-at-all"), "no entity matches 'nobody-at-all'"),
    (("--lane", "Simla Agreement"), "not an actor"),
    (("--from", "2025-13"), "--from '2025-13' is not a date"),
    (("--from", "2025-05", "--to", "2025-04"), "ends (2025-04) before it begins"),
    (("--crisis", "nope"), "no crisis (pack) 'nope'"),
])
def test_cli_errors_are_one_line_and_exit_1(bundled_db, args, says):
    result = run("--db", str(bundled_db), "timeline", *args)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr
    assert result.stderr.startswith("crisis-tui: error: ")


# --- the reviewer's defects (issue #16 review) ------------------------------------------------

BERLIN_YAML = Path(__file__).parent / "data" / "packs" / "berlin-1961.yaml"
INDIA_LANE = ["event/crisis-2025", "event/india-ccs-measures-2025", "event/india-revokes-visas-2025",
              "event/india-airspace-closure-2025", "event/lavrov-jaishankar-call-2025", "event/operation-sindoor-2025",
              "event/ceasefire-2025-05-10", "event/jaishankar-rejects-mediation-2025"]
PAKISTAN_LANE = ["event/crisis-2025", "event/pakistan-nsc-measures-2025", "event/pakistan-appeal-to-russia-2025",
                 "event/lavrov-dar-call-2025", "event/ceasefire-2025-05-10", "event/operation-bunyan-um-marsoos-2025"]
RUSSIA_LANE = ["event/pakistan-appeal-to-russia-2025", "event/russia-mediation-offer-2025",
               "event/lavrov-jaishankar-call-2025", "event/lavrov-dar-call-2025"]
OTHER_LANE = ["event/indo-pakistani-war-1965", "event/tashkent-talks-1966", "event/pulwama-attack-2019",
              "event/pahalgam-attack-2025", "event/trf-claim-2025", "event/loc-firing-2025", "event/trf-denial-2025",
              "event/dgmo-hotline-2025-04-29"]


def lane_line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line[1:].startswith(name))


def test_lanes_are_the_ones_worked_out_by_hand_from_the_pack(any_kb):
    """Links in seed/packs/india-pakistan-2025/links.yaml: India's lane holds what India, its CCS
    (member-of) and Jaishankar (office-holder-of) take part in; Russia's holds Lavrov's calls."""
    kb = any_kb
    reader = TimelineReader(kb)
    lanes = [reader.lane(ref, name) for ref, name in reader.parties()]
    got = [[e.ref for e in reader.events(list(lane.positions))] for lane in lanes]
    assert got == [INDIA_LANE, PAKISTAN_LANE, RUSSIA_LANE]
    in_lanes = union(lanes)
    other = [e.ref for e in reader.events(range(reader.scope.dated)) if e.pos not in in_lanes]
    assert other == OTHER_LANE


async def test_an_import_elsewhere_reads_the_lanes_again(db_copy):
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    app = CrisisApp(kb, start=LAVROV_DAR)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await opened(pilot)
            await pilot.press("j")  # Russia, on Lavrov–Dar
            await settle(pilot)
            assert status(app).startswith("Russia 4/4")
            result = run("--db", str(db_copy), "import", str(BERLIN_YAML))  # another terminal
            assert result.returncode == 0, result.stderr
            app._watch_database()  # what the app's timer does every 2 s
            await settle(pilot)
            assert status(app).startswith("Russia 4/4") and "Lavrov–Dar" in status(app)
            await pilot.press("h")
            await settle(pilot)
            assert status(app).startswith("Russia 3/4") and "Lavrov–Jaishankar" in status(app)
            fresh = TimelineReader(kb)
            assert [lane.positions for lane in screen.lanes] == [
                fresh.lane(ref, name).positions for ref, name in fresh.parties()]
            await pilot.press("enter")
            await settle(pilot)
            assert app.shown == "event/lavrov-jaishankar-call-2025"
    finally:
        kb.close()


async def test_keys_back_to_back_with_c_do_not_crash(two_crises_db):  # noqa: F811
    kb = KnowledgeBase("sqlite:///" + str(two_crises_db))
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await opened(pilot)
            # as `tmux send-keys -l "lc"`: the move's read starts after c has dropped the reader
            screen.action_event(1)
            screen.action_next_crisis()
            screen.action_lane(-1)
            screen.add_lane("actor/sergei-lavrov", "Sergei Lavrov")  # the palette, before the reader
            screen.reset_lanes()
            screen.add_lane("actor/sergei-lavrov", "Sergei Lavrov")
            screen.action_event(-1)
            screen.action_open_event()
            await settle(pilot)
            assert app.is_running and app.return_code is None
            assert isinstance(app.screen, TimelineScreen) or isinstance(app.screen, MainScreen)
            if isinstance(app.screen, TimelineScreen):
                assert app.crisis == "india-pakistan-2025" and "India–Pakistan" in title(app)
                assert [lane.name for lane in screen.lanes][-1] == "Sergei Lavrov"
    finally:
        kb.close()


async def test_a_lane_added_while_the_crisis_is_read_is_added_after(two_crises_db):  # noqa: F811
    kb = KnowledgeBase("sqlite:///" + str(two_crises_db))
    app = CrisisApp(kb)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await opened(pilot)
            screen.action_next_crisis()
            screen.add_lane("actor/sergei-lavrov", "Sergei Lavrov")
            await settle(pilot)
            assert app.is_running and app.return_code is None
            assert [lane.name for lane in screen.lanes] == ["India", "Pakistan", "Russia", "Sergei Lavrov"]
            assert "Sergei La…" in chart_text(app)
    finally:
        kb.close()


@pytest.fixture(scope="module")
def far_db(tmp_path_factory):
    """The Berlin test pack with its events dated 9999 and December 9999 (the pack check takes them)."""
    folder = tmp_path_factory.mktemp("far")
    pack = folder / "berlin-9999.yaml"
    pack.write_text(BERLIN_YAML.read_text().replace("date: 1961-08", 'date: "9999-12"')
                    .replace("date: 1961-10", 'date: "9999"'))
    build_packs([pack], folder / "crisis.db")
    return folder / "crisis.db"


def test_year_9999_on_the_command_line(far_db):
    result = run("--db", str(far_db), "timeline", "--crisis", "berlin-1961")
    assert result.returncode == 0, result.stderr
    assert "Standoff" not in result.stdout  # names are not drawn; the lanes are
    assert "Dec 9999" in result.stdout and "▒" in result.stdout
    for zoom in ZOOM_NAMES_ALL:
        result = run("--db", str(far_db), "timeline", "--zoom", zoom, "--from", "9999-12-20")
        assert result.returncode == 0, result.stderr


ZOOM_NAMES_ALL = ("year", "month", "week", "day")


async def test_year_9999_in_the_explorer(far_db):
    kb = KnowledgeBase("sqlite:///" + str(far_db))
    app = CrisisApp(kb, start="event/checkpoint-charlie-1961")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await opened(pilot)
            assert "9999" in status(app)
            for key in ("G", "g", "G", "h", "l", "minus", "minus", "minus", "plus", "plus", "plus", "plus", "k", "G"):
                await pilot.press(key)
                await settle(pilot)
                assert app.is_running and app.return_code is None, key
            lane = screen.lanes[screen.lane_at].positions if screen.lane_at < len(screen.lanes) else None
            if lane:
                assert "no events in this lane" not in status(app)
    finally:
        kb.close()


def cli_lines(bundled_db, *args: str) -> list[str]:
    result = run("--db", str(bundled_db), "timeline", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_year_zoom_columns_are_calendar_months(bundled_db):
    lines = cli_lines(bundled_db, "--zoom", "year", "--from", "2025", "--to", "2025", "--lane", "Russia")
    text = "\n".join(lines)
    assert "│2025" in lines[4]  # a single year's block says which
    russia = lane_line(text, "Russia")
    assert russia.index("?") - LABEL_WIDTH == 4  # May 2025 (the appeal) in May's column (Jan is 0)
    other = lane_line(text, "Other")
    assert other[LABEL_WIDTH:].rstrip() == "   ●●"  # Pahalgam (22 Apr) in April's, the DGMO call... May
    lines = cli_lines(bundled_db, "--zoom", "year", "--from", "1965", "--to", "1966")
    assert lane_line("\n".join(lines), "Other")[LABEL_WIDTH:].count("▒") == 12  # 1965 covers 12 months
    lines = cli_lines(bundled_db, "--zoom", "month", "--from", "2025-04", "--to", "2025-05")
    assert lines[4][LABEL_WIDTH:].startswith("│Apr")


def test_frame_columns_at_year_zoom():
    frame = Frame.starting(day("2025-01-01"), zoom_named("year"), 36)
    assert [frame.column(day(f"2025-{m:02d}-01")) for m in range(1, 13)] == list(range(12))
    assert [frame.column(day(f"2025-{m:02d}-28")) for m in range(1, 13)] == list(range(12))
    assert frame.column(day("2026-01-01")) == 12 and frame.last_column(day("2025-12-31")) == 11


def test_the_cli_stops_at_to(bundled_db):
    lines = cli_lines(bundled_db, "--zoom", "year", "--from", "2025-01", "--to", "2025-04-25", "--lane", "India")
    india = lane_line("\n".join(lines), "India")[LABEL_WIDTH:]
    assert india.rstrip() == "   ●"  # 23 April's measures; not the 2 May call, past --to


@pytest.fixture(scope="module")
def busy_db(tmp_path_factory, bundled_db):
    """The bundled crisis, a three-month span in no lane from 1 April, and 250 more events on 2 May."""
    path = tmp_path_factory.mktemp("busy") / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        pack = conn.execute("SELECT pack_id FROM entity WHERE ref = ?", (LAVROV_DAR,)).fetchone()[0]
        rows = [(f"event/busy-{n}", "event", f"Busy {n}", "2025-05-02", None, pack) for n in range(250)]
        rows.append(("event/long-watch-2025", "event", "Long watch", "2025-04-01", "2025-06-30", pack))
        conn.executemany("INSERT INTO entity (ref, type, name, summary, date, date_end, date_uncertain, attributes, "
                         "pack_id) VALUES (?, ?, ?, '', ?, ?, 0, '{}', ?)", rows)
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


def test_a_busy_window_start_keeps_spans_and_month_dates(busy_db):
    window_args = ("--from", "2025-05-10", "--to", "2025-05-20", "--zoom", "week")
    lines = cli_lines(busy_db, "--lane", "India", *window_args)  # Pakistan's and Russia's events are Other's
    other = lane_line("\n".join(lines), "Other")[LABEL_WIDTH:]
    assert other.count("▒") >= 10  # the appeal to Russia, dated May 2025
    lines = cli_lines(busy_db, *window_args)  # the main parties: Other holds the long watch and the busy day
    other = lane_line("\n".join(lines), "Other")[LABEL_WIDTH:]
    assert other.strip() and set(other.strip()) <= {"─", "┤", "●"} and other.count("─") >= 9  # begun 1 April


def test_the_cli_jumps_empty_stretches(bundled_db, monkeypatch):
    calls = []
    real = timeline_text_module.window

    def counted(*args, **kwargs):
        calls.append(1)
        assert len(calls) < 1000, "walking an empty stretch block by block"
        return real(*args, **kwargs)

    monkeypatch.setattr(timeline_text_module, "window", counted)
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    try:
        text = timeline_text(kb, zoom="day", date_from="0001")
        assert "(no events from 1 Jan 0001 to 31 Dec 1964)" in text
        assert "(no events from" in text.split("1966", 1)[1]  # the years to 2019 in one line
        calls.clear()
        timeline_text(kb, zoom="day")
        assert len(calls) < 200
    finally:
        kb.close()


def test_a_range_with_no_events_says_so(bundled_db):
    for args in (("--from", "2030"), ("--from", "1970", "--to", "1980")):
        result = run("--db", str(bundled_db), "timeline", *args)
        assert result.returncode == 0 and result.stdout == ""
        assert result.stderr.strip() == "crisis-tui: no events in this range"


async def test_typing_add_lane_says_how_and_lanes_and_zoom_stay_for_the_next_t(make_app):
    from textual.command import CommandPalette
    from textual.widgets import OptionList

    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("ctrl+p", *"add lane")
        await pilot.pause(0.5)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        hits = palette.query_one(OptionList)
        prompts = [str(hits.get_option_at_index(n).prompt) for n in range(hits.option_count)]
        assert any("Add lane: type an actor's name after it (add lane lavrov)" in p for p in prompts), prompts
        await pilot.press(*" lashk")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert [lane.ref for lane in screen.lanes][-1] == "actor/lashkar-e-taiba"
        await pilot.press("minus")
        await settle(pilot)
        await pilot.press("q")
        again = await opened(pilot)
        assert again is not screen and "zoom month" in title(app)
        assert [lane.ref for lane in again.lanes][-1] == "actor/lashkar-e-taiba"


def test_wide_names_keep_the_bar_in_place():
    for name in ("中国中国中国中国", "中国x", "India", "ｗｉｄｅ ｎａｍｅ ｈｅｒｅ"):
        cells = label_cells(name, False)
        assert cell_len("".join(ch for ch, _ in cells)) == LABEL_WIDTH and cells[-1] == ("│", "bar")


def test_the_cli_merges_a_lane_asked_twice_and_caps_a_long_name(bundled_db, tmp_path):
    lines = cli_lines(bundled_db, "--lane", "India", "--lane", "actor/india", "--from", "2025-05", "--to", "2025-05")
    assert "lanes: India · zoom" in lines[0]
    assert len([line for line in lines if line.startswith(" India")]) == 1
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/india'", ("Republic of India " * 30,))
    conn.close()
    lines = cli_lines(path, "--lane", "actor/india", "--from", "2025-05", "--to", "2025-05")
    assert len(lines[0]) < 200 and "zoom week" in lines[0]


async def test_zooms_run_from_years_to_days(make_app):
    assert [z.name for z in ZOOMS] == ["year", "month", "week", "day"]
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        seen = []
        for key in ("minus", "minus", "minus", "plus", "plus", "plus", "plus"):
            await pilot.press(key)
            await settle(pilot)
            seen.append(title(app).split("zoom ")[1].split(" ")[0])
        assert seen == ["month", "year", "year", "month", "week", "day", "day"]
        assert "4 columns = 1 day" in title(app) and "Lavrov" in status(app)
