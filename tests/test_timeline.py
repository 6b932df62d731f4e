"""The timeline (`t`, `crisis-tui timeline`): lanes, dates drawn at their precision, keys, the
palette's lanes, hostile names, 80x24, a pty with NO_COLOR, and the command line."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3

import pytest

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import PaneFilter
from crisis_tui.db.schema import rebuild_search, renumber
from crisis_tui.db.timeline import TimelineReader, boundary, day_range, union, window
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.main import MainScreen
from crisis_tui.tui.screens.timeline import TimelineScreen
from crisis_tui.tui.timeline_chart import ZOOMS, Frame, chart, plain, zoom_named
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


def test_main_parties_of_the_bundled_crisis_are_india_pakistan_russia(kb):
    assert TimelineReader(kb).parties() == [("actor/india", "India"), ("actor/pakistan", "Pakistan"),
                                            ("actor/russia", "Russia")]


def test_a_lane_rolls_up_members_as_pane_filters_do(kb):
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


def test_window_draws_events_or_counts_them(kb):
    reader = TimelineReader(kb)
    lanes = [reader.lane(ref, name) for ref, name in reader.parties()]
    frame = Frame.around(day("2025-05-04"), zoom_named("week"), 60)
    drawn = window(reader, lanes, union(lanes), frame.edges())
    assert len(drawn) == 4 and all(lane.events is not None for lane in drawn)
    counted = window(reader, lanes, union(lanes), frame.edges(), draw_limit=0)
    india = counted[0]
    assert india.events is None and sum(india.counts) == india.total > 0
    assert sum(counted[-1].counts) == counted[-1].total  # the other lane, counted from positions


def test_glyphs_tell_day_span_month_and_uncertain_apart(kb):
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
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.05)


async def opened(pilot) -> TimelineScreen:
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TimelineScreen)
    return screen


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


async def test_lanes_from_the_palette(make_app):
    app = make_app(start=LAVROV_DAR)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"add lane lashkar")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert [lane.ref for lane in screen.lanes][-1] == "actor/lashkar-e-taiba"
        assert "Lashkar" in chart_text(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"remove lane russia")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert [lane.name for lane in screen.lanes] == ["India", "Pakistan", "Lashkar-e-Taiba"]
        assert "Russia" not in chart_text(app)


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
        # the selected event stands out without colour: reverse video
        cells = [t.screen.buffer[y][x] for y in range(24) for x in range(80)]
        assert any(c.reverse for c in cells)
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


def test_zooms_run_from_years_to_days():
    assert [z.name for z in ZOOMS] == ["year", "month", "week", "day"]
    assert ZOOMS[0].per_column > ZOOMS[-1].per_column
