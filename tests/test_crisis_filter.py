"""The crisis filter (#13): `c` and the palette narrow every pane to one crisis or show all; the
detail under a filter is that crisis's; the first screen lands on the most recent crisis."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import EntityRow
from crisis_tui.seed.importer import build_packs
from crisis_tui.seed.loader import bundled_pack_path
from crisis_tui.tui.app import CrisisApp

from .test_app import detail, record_notices, settle

BERLIN = "berlin-1961"
BERLIN_PACK = Path(__file__).parent / "data" / "packs" / "berlin-1961.yaml"
BERLIN_SOVIET = "Backed the closing of the border in Berlin in 1961."


@pytest.fixture(scope="session")
def two_crises_db(tmp_path_factory) -> Path:
    """The bundled 2025 India–Pakistan crisis and the small 1961 Berlin test pack (they share
    actor/soviet-union)."""
    path = tmp_path_factory.mktemp("two") / "crises.db"
    build_packs([bundled_pack_path(), BERLIN_PACK], path)
    return path


@pytest.fixture
def make_app(two_crises_db, bundled_db):
    opened: list[KnowledgeBase] = []

    def make(start: str | None = None, one_crisis: bool = False) -> CrisisApp:
        kb = KnowledgeBase("sqlite:///" + str(bundled_db if one_crisis else two_crises_db))
        opened.append(kb)
        return CrisisApp(kb, start=start)

    yield make
    for kb in opened:
        kb.close()


def events(app: CrisisApp) -> list[str]:
    """The names in the events pane, as far as its loaded rows go."""
    pane = app.main.lists["event"]
    rows = [pane.row_at(i) for i in range(pane.count or 0)]
    return [row.name for row in rows if row is not None]


def shown_text(app: CrisisApp) -> str:
    return "\n".join(item.text for item in detail(app).items)


def linked(app: CrisisApp) -> list[str]:
    """The refs of the entities the detail shown links to (or is linked from)."""
    return [item.target.ref for item in detail(app).items if isinstance(item.target, EntityRow)]


def tabs(app: CrisisApp) -> str:
    return str(app.main.tabs.text)


async def test_the_first_screen_lands_on_the_latest_crisis_first_event_with_all_shown(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        latest = app.kb.latest_pack()
        assert latest is not None and latest.id == "india-pakistan-2025"
        first = app.kb.page("event", 0, 1, latest.id)[0]
        assert app.crisis is None and app.shown == first.ref
        pane = app.main.lists["event"]
        assert pane.count == 24 and pane.cursor == app.kb.position(first.id) and pane.cursor > 0
        assert "All crises" in tabs(app) and app.history.entries == ()  # a preview, not a visit


async def test_a_start_entity_wins_over_the_latest_crisis(make_app):
    app = make_app(start="event/checkpoint-charlie-1961")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        assert app.shown == "event/checkpoint-charlie-1961"


async def test_the_key_cycles_all_then_each_crisis_then_all(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        assert app.main.lists["event"].count == 24
        await pilot.press("c")  # the first crisis that came: India–Pakistan
        await settle(pilot)
        assert app.crisis == "india-pakistan-2025" and app.main.lists["event"].count == 22
        await pilot.press("c")
        await settle(pilot)
        assert app.crisis == BERLIN
        assert events(app) == ["Berlin border closed", "Standoff at Checkpoint Charlie"]
        assert "The Berlin crisis of 1961" in tabs(app) and "1/2" in tabs(app)
        assert app.main.lists["actor"].count == 2  # every pane, not only the one in view
        # the entity shown was not Berlin's: the pane's first row is shown instead
        assert app.shown == "event/berlin-border-closed-1961"
        await pilot.press("2")  # the filter survives moving between panes
        await settle(pilot)
        assert app.main.active == "actor" and app.main.lists["actor"].count == 2 and app.crisis == BERLIN
        await pilot.press("c")
        await settle(pilot)
        assert app.crisis is None and app.main.lists["event"].count == 24 and "All crises" in tabs(app)


async def test_the_palette_shows_one_crisis_and_all(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await pilot.press("ctrl+p")
        await pilot.press(*"Show crisis: The Berlin")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await settle(pilot)
        assert app.crisis == BERLIN and app.main.lists["event"].count == 2
        await pilot.press("ctrl+p")
        await pilot.press(*"Show all crises")
        await pilot.pause(0.6)
        await pilot.press("enter")
        await settle(pilot)
        assert app.crisis is None and app.main.lists["event"].count == 24


async def test_the_detail_under_the_filter_is_that_crisis_view(make_app):
    app = make_app(start="actor/soviet-union")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        own = app.kb.detail("actor/soviet-union")
        assert own is not None and own.summary and own.summary != BERLIN_SOVIET
        words = " ".join(own.summary.split()[:3])  # "Instrumental in bringing": the bundled pack's wording
        assert words in shown_text(app) and "event/tashkent-talks-1966" in linked(app)
        app.show_crisis(BERLIN)
        await settle(pilot)
        assert app.shown == "actor/soviet-union"  # Berlin states it: it stays, as Berlin words it
        text = shown_text(app)
        assert BERLIN_SOVIET in text.split("As The 2025")[0]  # Berlin's wording is the summary shown
        assert f"{own.summary.split()[0]}" in text.split("As The 2025")[1]  # the own pack's is kept beside it
        assert "states it" in text and text.index(BERLIN_SOVIET) < text.index(words)
        assert set(linked(app)) == {"event/berlin-border-closed-1961", "actor/united-states-berlin"}  # Berlin's links
        row = app.kb.row("actor/soviet-union")
        assert row is not None and app.main.lists["actor"].cursor == app.kb.position(row.id, BERLIN)
        await pilot.press("b")  # back keeps the crisis: the history holds entities, not filters
        await settle(pilot)
        assert app.crisis == BERLIN


async def test_back_across_a_filter_change_keeps_the_filter(make_app, monkeypatch):
    app = make_app(start="event/pahalgam-attack-2025")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        app.visit("actor/soviet-union")
        await settle(pilot)
        app.show_crisis(BERLIN)
        await settle(pilot)
        notices = record_notices(app, monkeypatch)
        await pilot.press("b")
        await settle(pilot)
        # Pahalgam is not Berlin's: shown as every crisis states it, and said so
        assert app.crisis == BERLIN and app.shown == "event/pahalgam-attack-2025"
        assert notices == [
            "Pahalgam attack is not in The Berlin crisis of 1961: shown with what every crisis says of it"]
        await pilot.press("f", "b")  # the Soviet Union (Berlin's), then Pahalgam again: said again
        await settle(pilot)
        assert len(notices) == 2
        app.visit("event/pulwama-attack-2019")  # outside again, straight after: not said again
        await settle(pilot)
        assert len(notices) == 2 and app.shown == "event/pulwama-attack-2019"
        assert app.main.lists["event"].count == 2


async def test_with_one_crisis_the_key_says_so(make_app, monkeypatch):
    app = make_app(one_crisis=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        notices = record_notices(app, monkeypatch)
        await pilot.press("c")
        await settle(pilot)
        assert app.crisis is None and len(notices) == 1
        assert notices[0].startswith("This database holds one crisis (The 2025 India–Pakistan crisis")
        assert "crises" not in tabs(app)  # nothing to say of a filter with one crisis
        assert not [c async for c in _crisis_commands(app)]


async def _crisis_commands(app: CrisisApp):
    from crisis_tui.tui.commands import CrisisProvider

    provider = CrisisProvider(app.screen)
    async for hit in provider.discover():
        yield hit


def test_the_key_is_listed_and_remappable():
    from crisis_tui.tui.keymap import remappable

    assert remappable()["app.crisis"].key == "c"


class TestSnapshot:
    def test_berlin_only(self, snap_compare, two_crises_db, monkeypatch):
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("COLORTERM", "truecolor")
        kb = KnowledgeBase("sqlite:///" + str(two_crises_db))

        async def before(pilot):
            await settle(pilot, 0.3)
            await pilot.press("c", "c")
            await settle(pilot, 0.2)

        try:
            assert snap_compare(CrisisApp(kb), terminal_size=(80, 24), run_before=before)
        finally:
            kb.close()


async def test_an_entity_comes_back_after_a_crisis_that_lacks_it(make_app):
    """A newcomer's: open an entity, press c through a crisis without it (its first row is shown
    in its place), and on: the entity comes back, where it was, in a crisis that has it."""
    app = make_app(start="actor/united-states-berlin")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        app.show_crisis("india-pakistan-2025")
        await settle(pilot)
        assert app.shown != "actor/united-states-berlin"  # a stand-in: the crisis does not have it
        app.show_crisis(BERLIN)
        await settle(pilot)
        assert app.shown == "actor/united-states-berlin"
        app.show_crisis("india-pakistan-2025")
        await settle(pilot)
        app.show_crisis(None)
        await settle(pilot)
        assert app.shown == "actor/united-states-berlin"


async def test_under_a_crisis_the_detail_holds_only_what_it_states(make_app):
    app = make_app(start="actor/soviet-union")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        everything = shown_text(app)
        assert "[berlin-1961]" in everything and "[india-pakistan-2025]" in everything  # whose links are whose
        app.show_crisis(BERLIN)
        await settle(pilot)
        berlin = shown_text(app)
        assert "berlin-1961/notes" in berlin and "article" not in berlin  # its own sources only
        assert "USSR" not in berlin and "[berlin-1961]" not in berlin  # its aliases; one crisis: no labels
