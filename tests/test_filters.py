"""Pane filters (#15 item 1): the query layer, the typed filter and its completion, the CLI
options, the explorer's F / x and the pane title; and the list cursor after a reload."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from textual.content import Content

from crisis_tui.db import filters
from crisis_tui.db.filters import FilterError, build_filter, complete, describe, parse
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import PaneFilter
from crisis_tui.db.schema import rebuild_search, renumber
from crisis_tui.seed.importer import build_packs, import_packs
from crisis_tui.seed.loader import bundled_pack_path
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.screens.filter import FilterScreen

from .conftest import CLI
from .test_app import settle, until

BERLIN_PACK = Path(__file__).parent / "data" / "packs" / "berlin-1961.yaml"
ROLL_UP = {"office-holder-of", "member-of"}


def expected_related(pack, target: str, relation: str | None, entity_type: str, members: bool) -> dict[str, str | None]:
    """What the pack's own links say a filter should find: ref -> the member it came through (None: directly)."""
    targets = {target: None}
    if members:
        grew = True
        while grew:
            grew = False
            for k in pack.links:
                if k.relation in ROLL_UP and k.target in targets and k.source not in targets:
                    targets[k.source] = k.source
                    grew = True
    types = {e.id: e.type for e in pack.entities}
    found: dict[str, str | None] = {}
    for k in pack.links:
        if relation is not None and k.relation != relation:
            continue
        for this, other in ((k.source, k.target), (k.target, k.source)):
            if other in targets and this != target and types.get(this) == entity_type:
                via = targets[other]
                if this not in found or via is None:
                    found[this] = via
    return found


def matched(kb: KnowledgeBase, entity_type: str, flt: PaneFilter) -> dict[str, str | None]:
    matches = kb.match(entity_type, flt)
    rows = kb.filtered_page(matches, 0, 10_000)
    assert len(rows) == matches.count
    return {r.row.ref: (r.via.ref if r.via else None) for r in rows}


# --- the query layer ---------------------------------------------------------------


def test_agreements_india_is_party_to_are_those_the_pack_links(any_kb, bundled_pack):
    kb = any_kb
    flt = PaneFilter(related_to="actor/india", relation="party")
    found = matched(kb, "agreement", flt)
    assert found == expected_related(bundled_pack, "actor/india", "party", "agreement", False)
    assert set(found) == {"agreement/indus-waters-treaty-1960", "agreement/tashkent-declaration-1966",
                          "agreement/simla-1972", "agreement/lahore-declaration-1999"}
    assert all(via is None for via in found.values())
    # in display order (by date), as the unfiltered pane has them
    positions = [kb.position(kb.row(ref).id) for ref in found]
    assert positions == sorted(positions)


def test_events_russia_took_part_in_through_its_ministers_are_marked_via_them(any_kb, bundled_pack):
    kb = any_kb
    direct = matched(kb, "event", PaneFilter(related_to="actor/russia", relation="participant"))
    rolled = matched(kb, "event", PaneFilter(related_to="actor/russia", relation="participant", through_members=True))
    assert direct == expected_related(bundled_pack, "actor/russia", "participant", "event", False)
    assert rolled == expected_related(bundled_pack, "actor/russia", "participant", "event", True)
    assert set(direct) == {"event/pakistan-appeal-to-russia-2025", "event/russia-mediation-offer-2025"}
    assert rolled == {**direct, "event/lavrov-dar-call-2025": "actor/sergei-lavrov",
                      "event/lavrov-jaishankar-call-2025": "actor/sergei-lavrov"}


def test_a_link_counts_either_way_and_any_relation_without_one(any_kb, bundled_pack):
    kb = any_kb
    # the talks' participants are actors the event links to: seen from the actors' pane
    found = matched(kb, "actor", PaneFilter(related_to="event/lavrov-dar-call-2025", relation="participant"))
    assert "actor/sergei-lavrov" in found and "actor/ishaq-dar" in found
    anything = matched(kb, "actor", PaneFilter(related_to="actor/russia"))
    assert anything == expected_related(bundled_pack, "actor/russia", None, "actor", False)
    assert {"actor/sergei-lavrov", "actor/vladimir-putin"} <= set(anything)


def test_kind_and_dates_narrow_as_a_scan_would(any_kb):
    kb = any_kb
    everything = kb.page("event", 0, 1000)
    for date_from, date_to in (("2025-05", "2025-05"), ("1965", "1971"), (None, "1999-12-31"), ("2025-04-22", None),
                               ("1900", "1901"), ("2025-05-04", "2025-05-04")):
        flt = PaneFilter(date_from=date_from, date_to=date_to)
        want = [r.ref for r in everything if r.date and (not date_from or r.date >= date_from)
                and (not date_to or r.date[:len(date_to)] <= date_to)]
        assert list(matched(kb, "event", flt)) == want, (date_from, date_to)
    talks = matched(kb, "event", PaneFilter(kind="talks", date_from="2025"))
    assert talks and all(kb.row(ref).kind == "talks" for ref in talks)
    assert list(talks) == [r.ref for r in everything if r.kind == "talks" and (r.date or "") >= "2025"]


def test_kinds_and_relations_are_listed(any_kb):
    kb = any_kb
    assert "talks" in kb.kinds("event") and "state" in kb.kinds("actor")
    assert list(kb.kinds("event")) == sorted(kb.kinds("event"))
    assert {"participant", "party", "office-holder-of", "member-of"} <= {r.name for r in kb.relations()}


def test_a_filter_on_an_entity_the_database_lacks_matches_nothing(any_kb):
    kb = any_kb
    assert kb.match("event", PaneFilter(related_to="actor/nobody")).count == 0


@pytest.fixture(scope="module")
def two_crises_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("two") / "crises.db"
    build_packs([bundled_pack_path(), BERLIN_PACK], path)
    return path


def test_a_crisis_filter_keeps_that_crisis_rows(two_crises_db):
    kb = KnowledgeBase("sqlite:///" + str(two_crises_db))
    try:
        berlin = matched(kb, "event", PaneFilter(crisis="berlin-1961"))
        assert berlin and set(berlin) == {r.ref for r in kb.page("event", 0, 100, "berlin-1961")}
        # with the pane narrowed to one crisis, another crisis's filter leaves nothing
        assert kb.match("event", PaneFilter(crisis="berlin-1961"), pack="india-pakistan-2025").count == 0
        same = kb.match("event", PaneFilter(crisis="berlin-1961"), pack="berlin-1961")
        assert same.count == len(berlin)
        soviet = matched(kb, "event", PaneFilter(related_to="actor/soviet-union", crisis="berlin-1961"))
        assert soviet and all(ref in berlin for ref in soviet)
    finally:
        kb.close()


# --- the typed filter ------------------------------------------------------------------


def test_typed_filters_parse_to_what_they_say(kb):
    flt = parse(kb, "participant: Russia +members  from: 2025-05 to: 2025-06")
    assert flt == PaneFilter("actor/russia", "participant", True, None, "2025-05", "2025-06", None, "Russia")
    assert parse(kb, "party: actor/india").related_to == "actor/india"
    assert parse(kb, "related: Lavrov").relation is None
    assert parse(kb, "kind: talks", "event").kind == "talks"
    assert parse(kb, "").empty
    assert describe(flt) == "participant: Russia +members from: 2025-05 to: 2025-06"
    assert parse(kb, describe(flt, names=False)) == flt  # what the prompt is filled with reads back


@pytest.mark.parametrize(("text", "says"), [
    ("bogus: x", "unknown filter 'bogus:'"),
    ("Russia", "is not a filter"),
    ("participant: Nowhere Land", "no entity matches 'Nowhere Land'"),
    ("participant: actor/nobody", "no entity has the id 'actor/nobody'"),
    ("participant: Sharif", "is ambiguous"),
    ("+members kind: talks", "+members rolls up a relation"),
    ("from: 2025-13", "is not a date"),
    ("from: 2025 to: 2024", "ends (2024) before it begins"),
    ("participant: Russia related: India", "one relation at a time"),
    ("kind: nonsense", "no event is of kind 'nonsense'"),
    ("crisis: atlantis", "no crisis (pack) 'atlantis'"),
    ("participant:", "needs an entity"),
])
def test_a_bad_filter_says_what_is_wrong_in_one_line(kb, text, says):
    with pytest.raises(FilterError) as caught:
        parse(kb, text, "event")
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_completion_offers_keys_names_kinds_crises_and_the_roll_up(any_kb):
    kb = any_kb
    assert complete(kb, "partic", "event") == "participant: "
    assert complete(kb, "participant: Rus", "event") == "participant: Russia"
    assert complete(kb, "participant: Russia +m", "event") == "participant: Russia +members"
    assert complete(kb, "participant: Russia +members k", "event") == "participant: Russia +members kind: "
    assert complete(kb, "party: Ind", "agreement") == "party: India"
    assert complete(kb, "kind: ta", "event") == "kind: talks"
    assert complete(kb, "crisis: ind", "event") == "crisis: india-pakistan-2025"
    assert complete(kb, "participant: Zzzz", "event") is None
    assert complete(kb, "participant: Russia ", "event") == "participant: Russia +members"  # after a whole name
    assert complete(kb, "signatory: sergei", "agreement") == "signatory: sergei Lavrov"  # as typed, then the name


def test_names_starting_reads_names_and_aliases_shortest_first(any_kb):
    kb = any_kb
    assert kb.names_starting("rus")[0] == "Russia"
    assert "Lavrov" in kb.names_starting("LAV")  # an alias, in any case
    assert kb.names_starting("") == () and kb.names_starting("zzzz") == ()
    assert len(kb.names_starting("a", limit=3)) <= 3


def test_build_filter_checks_an_id_exactly(any_kb):
    kb = any_kb
    with pytest.raises(FilterError, match="no entity has the id 'Russia'"):
        build_filter(kb, related_to="Russia", exact_id=True)
    with pytest.raises(FilterError, match="unknown relation 'partner'"):
        build_filter(kb, related_to="actor/russia", relation="partner")
    assert filters.ANY == "related"


# --- the command line --------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def test_cli_lists_what_a_filter_lets_through(bundled_db):
    db = ("--db", str(bundled_db))
    plain = run(*db, "search", "--related-to", "actor/russia", "--relation", "participant", "--type", "event")
    assert plain.returncode == 0, plain.stderr
    assert [line.split("  [")[1].split("]")[0] for line in plain.stdout.splitlines()] == [
        "event/pakistan-appeal-to-russia-2025", "event/russia-mediation-offer-2025"]
    rolled = run(*db, "search", "--related-to", "actor/russia", "--relation", "participant", "--type", "event",
                 "--through-members")
    lines = rolled.stdout.splitlines()
    assert len(lines) == 4 and sum("(via Sergei Lavrov [actor/sergei-lavrov])" in line for line in lines) == 2
    party = run(*db, "search", "--related-to", "actor/india", "--relation", "party", "--type", "agreement", "--json")
    found = json.loads(party.stdout)
    assert [r["row"]["ref"] for r in found][2] == "agreement/simla-1972" and len(found) == 4
    assert all(r["via"] is None for r in found)


def test_cli_narrows_a_search_to_the_filter(bundled_db):
    db = ("--db", str(bundled_db))
    everywhere = run(*db, "search", "lavrov", "--json")
    narrowed = run(*db, "search", "lavrov", "--type", "event", "--from", "2025-05-03", "--json")
    assert narrowed.returncode == 0, narrowed.stderr
    refs = [h["row"]["ref"] for h in json.loads(narrowed.stdout)]
    assert refs == ["event/lavrov-dar-call-2025"]
    assert len(json.loads(everywhere.stdout)) > len(refs)
    kinds = run(*db, "search", "--kind", "talks", "--to", "2025-05-02")
    assert "Lavrov–Jaishankar talks" in kinds.stdout and "Lavrov–Dar talks" not in kinds.stdout


@pytest.mark.parametrize(("args", "says"), [
    (("--related-to", "actor/nobody"), "no entity has the id 'actor/nobody'"),
    (("--related-to", "actor/india", "--relation", "partner"), "unknown relation 'partner'"),
    (("--relation", "party"), "needs an entity"),
    (("--from", "May"), "is not a date"),
    (("--crisis", "atlantis"), "no crisis (pack) 'atlantis'"),
    (("--kind", "nonsense", "--type", "event"), "no event is of kind 'nonsense'"),
])
def test_cli_filter_errors_are_one_line_and_fail(bundled_db, args, says):
    result = run("--db", str(bundled_db), "search", *args)
    assert result.returncode == 1 and says in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_cli_search_without_text_or_filter_is_a_usage_error(bundled_db):
    result = run("--db", str(bundled_db), "search")
    assert result.returncode == 2 and "give TEXT to search for, or a filter" in result.stderr


# --- the explorer --------------------------------------------------------------------


@pytest.fixture
def make_app(bundled_db):
    opened: list[KnowledgeBase] = []

    def make(path: Path | None = None, start: str | None = None) -> CrisisApp:
        kb = KnowledgeBase("sqlite:///" + str(path or bundled_db))
        opened.append(kb)
        return CrisisApp(kb, start=start)

    yield make
    for kb in opened:
        kb.close()


def title(pane) -> str:
    """The pane's title as shown (Textual gives it back as markup: read back to its text)."""
    return Content.from_markup(pane.border_title or "").plain


def names(pane) -> list[str]:
    return [row.name for row in (pane.row_at(i) for i in range(pane.count or 0)) if row is not None]


def lines(pane) -> list[str]:
    # the pane's lines: one a row, and the cursor's row as many as its name wraps to
    return ["".join(seg.text for seg in pane.render_line(y)) for y in range(min(pane.virtual_size.height, 20))]


async def type_filter(pilot, text: str) -> None:
    await pilot.press("F")
    await until(pilot, lambda: isinstance(pilot.app.screen, FilterScreen))
    await pilot.press(*text)


async def apply_filter(pilot, text: str) -> None:
    await type_filter(pilot, text)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(pilot.app.screen, FilterScreen))
    await settle(pilot, 0.2)


async def test_filtering_the_agreements_india_is_party_to(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await pilot.press("3")
        await apply_filter(pilot, "party: India")
        pane = app.main.lists["agreement"]
        assert names(pane) == ["Indus Waters Treaty", "Tashkent Declaration", "Simla Agreement",
                               "Lahore Declaration"]
        assert title(pane) == "3 Agreements (4) \u2502 party: India"
        assert app.focused is pane and pane.cursor == 0
        assert app.shown == "agreement/indus-waters-treaty-1960"  # the detail follows to the first row
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.shown == "agreement/simla-1972" and pane.current.ref == app.shown


async def test_events_russia_took_part_in_through_its_ministers_say_via_whom(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await apply_filter(pilot, "participant: Russia +members")
        pane = app.main.lists["event"]
        assert pane.count == 4 and title(pane) == "1 Events (4) \u2502 participant: Russia +members"
        shown = lines(pane)
        assert sum("via Lavrov" in line for line in shown) == 2
        direct = [line for line in shown if "Pakistan's appeal" in line or "Russia's offer" in line]
        assert len(direct) == 2 and not any(" via " in line for line in direct)
        # the detail of a filtered row puts the cursor on its row in the filtered pane
        await pilot.press("G")
        await settle(pilot)
        assert app.shown == "event/lavrov-dar-call-2025" and pane.cursor == 3


async def test_x_clears_the_filter_and_each_pane_keeps_its_own(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        total = app.main.lists["event"].count
        await apply_filter(pilot, "kind: talks")
        await pilot.press("3")
        await apply_filter(pilot, "party: Pakistan")
        events, agreements = app.main.lists["event"], app.main.lists["agreement"]
        assert events.count == 4 and agreements.count == 4  # each its own
        await pilot.press("1")
        await pilot.press("x")
        await settle(pilot, 0.2)
        assert events.count == total and title(events) == "1 Events" and events.pane_filter is None
        assert agreements.pane_filter is not None and agreements.count == 4
        # F on a filtered pane holds its filter to edit; Esc leaves it as it was
        await pilot.press("3")
        await type_filter(pilot, "")
        assert app.screen.query_one("#filter-input").value == "party: actor/pakistan"
        await pilot.press("escape")
        await settle(pilot)
        assert agreements.count == 4


async def test_tab_takes_the_completion(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await type_filter(pilot, "participant: Rus")
        box = app.screen.query_one("#filter-input")
        await until(pilot, lambda: box._suggestion == "participant: Russia")  # noqa: SLF001 (read, to wait)
        await pilot.press("tab")
        assert box.value == "participant: Russia"
        await pilot.press(*" +me")
        await until(pilot, lambda: box._suggestion.endswith("+members"))  # noqa: SLF001
        await pilot.press("tab", "enter")
        await until(pilot, lambda: not isinstance(app.screen, FilterScreen))
        await settle(pilot)
        assert app.main.lists["event"].count == 4


async def test_a_bad_filter_says_why_and_stays_to_be_corrected(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await type_filter(pilot, "participant: Atlantis")
        await pilot.press("enter")
        status = app.screen.query_one("#filter-status")
        await until(pilot, lambda: "Cannot filter" in str(status.content))
        assert str(status.content) == "Cannot filter: no entity matches 'Atlantis'"
        assert isinstance(app.screen, FilterScreen) and app.main.lists["event"].pane_filter is None
        await pilot.press(*["backspace"] * 8, *"Russia", "enter")
        await until(pilot, lambda: not isinstance(app.screen, FilterScreen))
        await settle(pilot)
        assert app.main.lists["event"].count == 2


HOSTILE = "[b]Kremlin[/b] [@click=app.quit]x[/] \x1b]0;pwned\x07"


@pytest.fixture
def hostile_db(bundled_db, tmp_path) -> Path:
    path = tmp_path / "hostile.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/russia'", (HOSTILE,))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


async def test_a_hostile_entity_name_in_the_title_is_shown_as_written(make_app, hostile_db):
    app = make_app(hostile_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, 0.3)
        await apply_filter(pilot, "participant: actor/russia")
        pane = app.main.lists["event"]
        shown = title(pane)
        assert pane.count == 2 and app.is_running
        assert "[b]Kremlin[/b] [@click=app.quit]x[/]" in shown and "\x1b" not in shown and "\x07" not in shown
        assert "\\x1b" in shown  # the escape shown escaped, not sent


async def test_a_filter_stays_across_the_crisis_switch_and_a_reload(make_app, two_crises_db, tmp_path):
    path = tmp_path / "crises.db"
    shutil.copy(two_crises_db, path)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await apply_filter(pilot, "from: 1961 to: 1965")
        pane = app.main.lists["event"]
        both = names(pane)
        assert pane.count == len(both) and any("1965" in n for n in both) and pane.count >= 2
        await pilot.press("c")  # the latest crisis: the India-Pakistan one
        await settle(pilot, 0.3)
        assert app.crisis == "india-pakistan-2025" and pane.pane_filter is not None
        india = names(pane)
        assert india and len(india) < len(both) and set(india) <= set(both)
        assert title(pane) == f"1 Events ({len(india)}) \u2502 from: 1961 to: 1965"
        app._database_changed()  # noqa: SLF001  (as the watch does when another process commits)
        await settle(pilot, 0.3)
        assert names(pane) == india and pane.pane_filter is not None


async def test_after_a_reload_the_cursor_is_on_the_row_the_detail_shows(make_app, bundled_db, tmp_path):
    """The last event shown; an import adds events before it; the detail is read again before the
    lists: the cursor went to the new position cut to the old count, another row."""
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        pane = app.main.lists["event"]
        await pilot.press("end")
        await settle(pilot)
        last = pane.current.ref
        assert app.shown == last and pane.cursor == pane.count - 1
        await asyncio.to_thread(import_packs, [BERLIN_PACK], path)
        count = app.kb.count

        def slow_count(*args, **kwargs):  # the lists' count comes after the detail
            time.sleep(0.3)
            return count(*args, **kwargs)

        app.kb.count = slow_count  # type: ignore[method-assign]
        app._database_changed()  # noqa: SLF001
        await settle(pilot, 0.6)
        await settle(pilot)
        assert app.shown == last
        assert pane.cursor == app.kb.position(app.kb.row(last).id) and pane.current.ref == last


async def test_help_and_keymap_know_the_filter_keys(make_app):
    from crisis_tui.tui.keymap import remappable

    assert {"pane.filter", "pane.clear_filter", "filter.complete", "filter.cancel"} <= set(remappable())
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await pilot.press("question_mark")
        await settle(pilot)
        text = app.screen.keys_text()
        assert "Filter the pane" in text and "Show every row of the pane again" in text and "+members" in text


def test_many_rows_of_kind_and_dates_are_paged_in_display_order_not_held(any_kb, monkeypatch):
    """Past MATERIALIZE rows a filter of kind and dates holds no ids: its count comes from an index
    (or the positions), its pages and an entity's row are read in display order; all as held."""
    kb = any_kb
    from crisis_tui.db import queries

    cases = [PaneFilter(kind="talks"), PaneFilter(date_from="2025-04", date_to="2025-05"),
             PaneFilter(kind="talks", date_from="2025-05-03")]
    held = {flt: matched(kb, "event", flt) for flt in cases}
    monkeypatch.setattr(queries, "MATERIALIZE", 0)
    for flt in cases:
        matches = kb.match("event", flt)
        assert matches.ids is None and matches.count == len(held[flt]) >= 1
        pages = kb.filtered_page(matches, 0, 1) + kb.filtered_page(matches, 1, 100)
        assert [r.row.ref for r in pages] == list(held[flt])
        # rows read in any order (a jump to the end, back to the middle) are the rows held there
        fresh, want = kb.match("event", flt), list(held[flt])
        for start in (len(want) - 1, 0, len(want) // 2, len(want) - 2, 1, len(want) // 2 + 1, len(want)):
            got = [r.row.ref for r in kb.filtered_page(fresh, start, 2)]
            assert got == want[start:start + 2], (flt, start)
        for n, ref in enumerate(held[flt]):
            assert kb.filtered_index(matches, kb.row(ref).id) == n
        assert kb.filtered_index(matches, kb.row("actor/russia").id) is None
        ids = [kb.row(ref).id for ref in held[flt]]
        assert kb.admitted(matches, [*ids, kb.row("actor/russia").id]) == set(ids)


async def test_the_cursor_finds_its_row_in_a_pane_of_rows_not_held(make_app, monkeypatch):
    from crisis_tui.db import queries

    monkeypatch.setattr(queries, "MATERIALIZE", 0)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        await apply_filter(pilot, "kind: talks")
        pane = app.main.lists["event"]
        assert pane.count == 4 and pane._matches.ids is None  # noqa: SLF001
        app.visit("event/lavrov-dar-call-2025")
        await settle(pilot, 0.3)
        await settle(pilot)
        assert pane.current.ref == "event/lavrov-dar-call-2025"


@pytest.mark.parametrize("no_color", [False, True])
def test_the_two_questions_on_a_real_terminal_at_80x24(bundled_db, no_color):
    """On a pty (TERM=xterm, and NO_COLOR): agreements India is party to, then events Russia took
    part in through its ministers, each in a few keys; x gives every row back."""
    import os

    from .ptyterm import PtyTerminal

    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "COLUMNS", "LINES", "NO_COLOR")}
    env["TERM"] = "xterm"
    if no_color:
        env["NO_COLOR"] = "1"
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=env)
    try:
        t.wait_for("1 Events")
        t.settle()
        t.send("3F")
        t.wait_for("Filter 3 Agreements")
        t.send("party: India\r")
        t.wait_for("3 Agreements (4) \u2502 party: Ind")  # the pane is 34 columns: the title is cut
        t.settle()
        screen = t.text()
        for name in ("Indus Waters Treaty", "Tashkent Declaration", "Simla Agreement", "Lahore Declaration"):
            assert name in screen
        t.send("1F")
        t.wait_for("Filter 1 Events")
        t.send("participant: Rus")
        t.settle()
        t.send("\t +m")
        t.settle()
        t.send("\t\r")
        t.wait_for("1 Events (4) \u2502 participant: R")
        t.settle()
        screen = t.text()
        assert screen.count("via Lavrov") == 2 and "Pakistan's appeal t" in screen
        t.send("x")
        t.wait_gone("1 Events (4)")
        t.send("q")
        assert t.wait_exit() == 0
        assert b"Traceback" not in t.raw
        if no_color:  # not one colour escape (SGR 30-38, 40-48, 90-97, 100-107; 39 and 49 are the defaults)
            import re

            sgr = re.finditer(rb"\x1b\[([0-9;]*)m", bytes(t.raw))
            params = {int(p) for m in sgr for p in m.group(1).split(b";") if p}
            assert not {p for p in params if 30 <= p <= 38 or 40 <= p <= 48 or 90 <= p <= 107}
    finally:
        t.close()


async def test_r_filters_the_other_panes_to_what_the_entity_shown_links_to(make_app, kb, bundled_pack):
    app = make_app(start="actor/russia")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.3)
        assert app.main.active == "actor"
        await pilot.press("r")
        await settle(pilot, 0.3)
        events, agreements = app.main.lists["event"], app.main.lists["agreement"]
        assert app.main.active == "event" and app.focused is events
        assert app.main.lists["actor"].pane_filter is None  # its own pane is left as it was
        for pane in (events, agreements):
            want = expected_related(bundled_pack, "actor/russia", None, pane.entity_type, False)
            assert pane.count == len(want) and set(names(pane)) == {kb.row(ref).name for ref in want}
        assert title(events).startswith(f"1 Events ({events.count}) \u2502 related: Russia")
        assert events.count >= 2 and app.shown == events.current.ref
