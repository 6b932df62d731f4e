"""The graph (issue #16): an entity's neighbourhood (`a`) and the paths between two (`p`,
`crisis-tui path`): the query layer against the bundled pack, both screens driven by Pilot,
80x24 snapshots, the real explorer on a pseudo-terminal, and the command line."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from crisis_tui.db import graph
from crisis_tui.db.build import source_texts
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.schema import rebuild_search, renumber

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_colours import colour_escapes, unreadable_cells

LAVROV, SIMLA, TALKS = "actor/sergei-lavrov", "agreement/simla-1972", "event/lavrov-jaishankar-call-2025"
INDUS, PAHALGAM, TRF = "agreement/indus-waters-treaty-1960", "event/pahalgam-attack-2025", "actor/the-resistance-front"
LONE = "event/kashmir-conflict"  # the bundled pack links it to nothing
ENTER, ESC = "\r", "\x1b"
OSC_TITLE = "\x1b]0;pwned\x07"
HOSTILE = f"Sergei [b]Lavrov[/b] [@click=app.quit]x{OSC_TITLE}"


def pack_links(pack) -> set[tuple[str, str, str]]:
    """(subject, relation, object) of every link the pack states."""
    return {(k.source, k.relation, k.target) for k in pack.links}


def assert_cited(citations, pack) -> None:
    """Every citation quotes its source's text word for word."""
    texts = source_texts(pack.sources)
    assert citations
    for c in citations:
        assert c.quote in texts[c.source_id], c


# --- the query layer -----------------------------------------------------------------

def test_the_path_from_lavrov_to_simla_is_the_packs_two_links_each_cited(any_kb, bundled_pack):
    kb = any_kb
    found = kb.paths(LAVROV, SIMLA)
    assert found.outcome == graph.FOUND and found.length == 2
    assert found.explain() == "The shortest path from Sergei Lavrov to Simla Agreement: 2 links"
    [route] = found.routes
    assert [row.ref for row in route.rows] == [LAVROV, TALKS, SIMLA]
    first, second = route.steps
    # Lavrov is the link's object (the talks' participant): walked backwards, it reads as the inverse
    assert (first.relation, first.label, first.forward) == ("participant", "took part in", False)
    assert (second.relation, second.label, second.forward) == ("invokes", "invokes", True)
    links = pack_links(bundled_pack)
    for step in route.steps:
        subject, obj = (step.start, step.end) if step.forward else (step.end, step.start)
        assert (subject.ref, step.relation, obj.ref) in links
        assert_cited(step.citations, bundled_pack)
        assert step.citations == kb.link_citations(step.link)


def test_paths_are_all_as_short_and_limited_to_the_number_asked_for(any_kb, bundled_pack):
    kb = any_kb
    found = kb.paths("actor/india", "actor/pakistan", limit=2)
    assert len(found.routes) == 2 and found.more
    assert {len(r.steps) for r in found.routes} == {found.length}
    links = pack_links(bundled_pack)
    for route in found.routes:
        assert route.rows[0].ref == "actor/india" and route.rows[-1].ref == "actor/pakistan"
        for step in route.steps:
            subject, obj = (step.start, step.end) if step.forward else (step.end, step.start)
            assert (subject.ref, step.relation, obj.ref) in links
    assert len(kb.paths("actor/india", "actor/pakistan", limit=50).routes) > 2


def shortest_counts(conn, start: int) -> tuple[dict[int, int], dict[int, int]]:
    """Brute force over every link of the database, either way: each entity's distance in
    links from `start`, and how many shortest chains of links (a link stated twice: two) reach it."""
    around: dict[int, list[int]] = {}
    for subject, obj in conn.execute("SELECT subject_id, object_id FROM link WHERE subject_id != object_id"):
        around.setdefault(subject, []).append(obj)
        around.setdefault(obj, []).append(subject)
    distance, count, queue = {start: 0}, {start: 1}, [start]
    for here in queue:
        for there in around.get(here, ()):
            if there not in distance:
                distance[there], count[there] = distance[here] + 1, 0
                queue.append(there)
            if distance[there] == distance[here] + 1:
                count[there] += count[here]
    return distance, count


@pytest.mark.parametrize("bridged", [False, True], ids=["walked", "bridged"])
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_more_says_whether_there_are_more_shortest_paths_for_every_pair(any_kb, bundled_db, monkeypatch, limit,
                                                                       bridged):
    """Every pair of the bundled pack: the routes are shortest chains of links, as many as
    asked for (or all there are), and `more` is True exactly when there are more; also when
    every entity counts as a hub (paths of one or two links then found by graph._bridge)."""
    kb = any_kb
    if bridged:
        monkeypatch.setattr(graph, "PROBE_LIMIT", 1)
    conn = sqlite3.connect(bundled_db)
    try:
        ids = dict(conn.execute("SELECT id, ref FROM entity"))
        ends = dict(conn.execute("SELECT id, subject_id || ' ' || object_id FROM link"))
        for a in sorted(ids):
            distance, count = shortest_counts(conn, a)
            for b in sorted(ids):
                if a == b:
                    continue
                found = kb.paths(ids[a], ids[b], limit=limit)
                if b not in distance or distance[b] > graph.PATH_DEPTH:
                    assert found.outcome != graph.FOUND, (ids[a], ids[b])
                    continue
                said = (ids[a], ids[b], count[b])
                assert found.outcome == graph.FOUND and found.length == distance[b], said
                assert len(found.routes) == min(count[b], limit), said
                assert found.more == (count[b] > limit), said
                chains = {tuple(s.link for s in route.steps) for route in found.routes}
                assert len(chains) == len(found.routes), said
                for route in found.routes:
                    assert route.rows[0].ref == ids[a] and route.rows[-1].ref == ids[b]
                    for step in route.steps:
                        assert set(ends[step.link].split()) == {str(step.start.id), str(step.end.id)}, said
    finally:
        conn.close()


@pytest.mark.parametrize(("a", "b"), [("actor/india", "actor/pakistan"), (LAVROV, SIMLA), (LAVROV, "actor/russia")])
def test_between_two_hubs_sqlite_joins_them_with_the_same_result(any_kb, monkeypatch, a, b):
    """Two hubs (each end's links past PROBE_LIMIT) are joined by one or two links in SQL
    (graph._bridge) rather than by reading their links: the paths are those of the walk."""
    kb = any_kb
    walked = kb.paths(a, b, limit=50)
    monkeypatch.setattr(graph, "PROBE_LIMIT", 1)  # every entity a hub
    bridged = kb.paths(a, b, limit=50)
    assert bridged.read == 0 and bridged.outcome == graph.FOUND
    assert walked.length == bridged.length <= 2

    def chains(found):
        return sorted(tuple((s.start.ref, s.link, s.end.ref) for s in route.steps) for route in found.routes)

    assert chains(bridged) == chains(walked)


def test_every_way_a_path_search_can_end_is_said_in_words(kb):
    lone = kb.paths(LAVROV, LONE)
    assert lone.outcome == graph.UNCONNECTED and not lone.routes
    assert lone.explain() == "No path: no chain of links joins Sergei Lavrov and Kashmir conflict"
    far = graph.paths(kb, LAVROV, SIMLA, depth=1)
    assert far.outcome == graph.TOO_FAR
    assert far.explain() == "No path of up to 1 link joins Sergei Lavrov and Simla Agreement"
    busy = graph.paths(kb, LAVROV, SIMLA, read_limit=1)
    assert busy.outcome == graph.TOO_MUCH and busy.read == 1
    assert busy.explain().startswith("No path found after reading 1 link (the limit)")
    same = kb.paths(LAVROV, LAVROV)
    assert same.outcome == graph.SAME and "two different entities" in same.explain()
    assert kb.paths(LAVROV, "actor/nobody") is None


def test_the_neighbourhood_groups_links_by_relation_and_direction(any_kb, bundled_pack):
    kb = any_kb
    found = kb.neighbourhood(LAVROV)
    assert found.centre.ref == LAVROV and found.hops == 2
    assert [(g.label, g.outgoing, g.total) for g in found.groups] == [
        ("office-holder of", True, 1), ("took part in", False, 2)]
    took_part = found.groups[1]
    assert [h.other.ref for h in took_part.hops] == [TALKS, "event/lavrov-dar-call-2025"]  # by date
    talks = took_part.hops[0]
    # one hop further: the talks' own links, without the one back to Lavrov
    assert ("participant", True) in {(g.relation, g.outgoing) for g in talks.groups}
    participants = next(g for g in talks.groups if g.relation == "participant")
    assert LAVROV not in [h.other.ref for h in participants.hops]
    assert [h.other.ref for h in next(g for g in talks.groups if g.relation == "invokes").hops] == [
        SIMLA, "agreement/lahore-declaration-1999"]
    links = pack_links(bundled_pack)
    for row, group, hop in found.walk():
        subject, obj = (row, hop.other) if group.outgoing else (hop.other, row)
        assert (subject.ref, group.relation, obj.ref) in links
    assert found.refs()[0] == LAVROV and len(found.refs()) == len(set(found.refs()))
    assert {TALKS, SIMLA, "actor/russia"} <= set(found.refs())
    assert len(found.link_ids()) == len({hop.link for _, _, hop in found.walk()})


def test_a_neighbourhood_cites_every_link_when_asked(any_kb, bundled_pack):
    kb = any_kb
    found = kb.neighbourhood(LAVROV, cited=True)
    hops = [hop for _, _, hop in found.walk()]
    assert hops
    for hop in hops:
        assert_cited(hop.citations, bundled_pack)
    assert all(not hop.citations for _, _, hop in kb.neighbourhood(LAVROV).walk())  # read on request otherwise


def test_a_neighbourhood_lists_the_first_links_of_a_group_and_counts_the_rest(any_kb):
    kb = any_kb
    one = kb.neighbourhood("actor/india", hops=1, limit=1)
    assert all(len(g.hops) <= 1 and g.more == g.total - len(g.hops) for g in one.groups)
    assert any(g.more > 0 for g in one.groups)
    assert all(not hop.groups for _, _, hop in one.walk())  # one hop: nothing further out
    assert kb.neighbourhood(LONE).groups == () and kb.neighbourhood(LONE).refs() == (LONE,)
    assert kb.neighbourhood("actor/nobody") is None


def test_a_hubs_groups_are_counted_up_to_the_cap(any_kb, monkeypatch):
    kb = any_kb
    full = {(g.relation, g.outgoing): g.total for g in kb.neighbourhood("actor/india").groups}
    monkeypatch.setattr(graph, "FEW", 1)  # every entity a hub: relations found by index seeks
    monkeypatch.setattr(graph, "CENTRE_COUNT_LIMIT", 2)
    monkeypatch.setattr(graph, "COUNT_LIMIT", 1)
    found = kb.neighbourhood("actor/india")
    assert {(g.relation, g.outgoing) for g in found.groups} == set(full)
    for g in found.groups:
        assert g.total == min(full[(g.relation, g.outgoing)], 2)
        assert g.counted_all == (full[(g.relation, g.outgoing)] <= 2)
    assert any(not g.counted_all for g in found.groups)


def test_a_neighbourhood_of_one_crisis_holds_that_crisis_links_only(tmp_path_factory):
    from crisis_tui.seed.importer import build_packs
    from crisis_tui.seed.loader import bundled_pack_path

    from .test_crisis_filter import BERLIN, BERLIN_PACK

    path = tmp_path_factory.mktemp("two-graph") / "crises.db"
    build_packs([bundled_pack_path(), BERLIN_PACK], path)
    kb = KnowledgeBase(f"sqlite:///{path}")
    try:
        every = set(kb.neighbourhood("actor/soviet-union", hops=1).refs())
        berlin = set(kb.neighbourhood("actor/soviet-union", hops=1, pack=BERLIN).refs())
        assert berlin == {"actor/soviet-union", "event/berlin-border-closed-1961", "actor/united-states-berlin"}
        assert "event/tashkent-talks-1966" in every - berlin
        assert kb.neighbourhood("actor/soviet-union", pack=BERLIN).pack == BERLIN
    finally:
        kb.close()


# --- the explorer --------------------------------------------------------------------

async def until(pilot, condition, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the condition never held")


async def opened(pilot, ref: str) -> None:
    """The explorer shows `ref` in its detail."""
    await until(pilot, lambda: pilot.app.shown == ref and pilot.app.main.shown_row is not None
                and pilot.app.main.shown_row.ref == ref)
    await pilot.pause(0.1)


async def cursor_to(pilot, text: str, top: bool = False) -> None:
    """Move the tree's cursor down (j) to the first line whose label holds `text` (with `top`,
    one right under the root)."""
    tree = pilot.app.screen.graph
    for _ in range(tree.last_line + 1):
        node = tree.cursor_node
        if node is not None and text in node.label.plain and (not top or node.parent is tree.root):
            return
        await pilot.press("j")
    raise AssertionError(f"no line holds {text!r}")


async def test_a_opens_the_neighbourhood_a_tree_that_folds_and_opens_with_enter(make_app):
    from crisis_tui.tui.screens.neighbourhood import NeighbourhoodScreen

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, NeighbourhoodScreen)
        await until(pilot, lambda: screen.ready)
        tree = screen.graph
        groups = [node.label.plain for node in tree.root.children]
        assert groups == ["office-holder of  (1)", "took part in  (2)"]
        await cursor_to(pilot, "took part in", top=True)
        group = tree.cursor_node
        assert group.is_expanded and [c.label.plain.split("  ")[0] for c in group.children] == [
            "Lavrov–Jaishankar talks", "Lavrov–Dar talks"]
        await pilot.press("space")
        assert not group.is_expanded
        await pilot.press("l")
        assert group.is_expanded
        await pilot.press("j")  # the talks: the link's citation shows below the tree
        await until(pilot, lambda: "held separate talks" in str(screen.cited.render()))
        cited = str(screen.cited.render())
        assert "Sergei Lavrov \u2014took part in\u2192 Lavrov\u2013Jaishankar talks" in cited
        assert "Primary article" in cited
        await pilot.press("h")  # folds the talks' own links
        assert not tree.cursor_node.is_expanded
        await pilot.press("enter")
        await opened(pilot, TALKS)
        assert app.screen is app.main and app.focused is app.main.detail
        await pilot.press("b")  # the neighbourhood's entity is in the history: back returns to Lavrov
        await opened(pilot, LAVROV)


async def test_s_in_the_neighbourhood_shows_the_links_passage_in_its_source(make_app):
    from crisis_tui.tui.screens.source import SourceScreen

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("a")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        await cursor_to(pilot, "Lavrov–Jaishankar talks")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SourceScreen))
        assert "Russian Foreign Minister Sergei Lavrov held separate talks" in app.screen.current_quote
        await pilot.press("escape")
        await pilot.press("a")  # `a` there: the neighbourhood of the entity under the cursor
        await until(pilot, lambda: app.screen.ready and app.screen.row.ref == TALKS)
        assert app.screen.graph.root.label.plain.startswith("Lavrov–Jaishankar talks")
        await pilot.press("escape")
        assert app.screen is app.main and app.shown == LAVROV


@pytest.mark.parametrize("screen", ["neighbourhood", "paths"])
async def test_going_to_a_record_from_the_source_reader_closes_the_graph_screen(make_app, screen):
    """The reader opened with `s` over a neighbourhood or paths: going to a record citing the
    passage (Tab, Enter) lands on that record's detail, not behind the graph screen."""
    from crisis_tui.tui.screens.source import SourceScreen

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        if screen == "paths":
            await pilot.press("p")
            app.visit(SIMLA)
            await opened(pilot, SIMLA)
            await pilot.press("p")
        else:
            await pilot.press("a")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        await cursor_to(pilot, "Lavrov–Jaishankar talks")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SourceScreen))
        reader = app.screen
        await pilot.press("tab")
        await until(pilot, lambda: reader.view.citing() is not None)
        record = reader.view.citing().ref
        await pilot.press("enter")
        await opened(pilot, record)
        assert app.screen is app.main and app.focused is app.main.detail
        assert [type(s).__name__ for s in app.screen_stack][-1] == "MainScreen"


async def test_a_on_a_group_centres_on_its_entity_and_on_the_centre_says_so(make_app):
    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("a")
        screen = app.screen
        await until(pilot, lambda: screen.ready)
        await cursor_to(pilot, "took part in", top=True)  # Lavrov's own group: he is the centre
        await pilot.press("a")
        assert any("Sergei Lavrov is the centre already" in n.message for n in app._notifications)
        assert screen.row.ref == LAVROV
        await cursor_to(pilot, "invokes")  # the talks' group of agreements: the talks become the centre
        await pilot.press("a")
        await until(pilot, lambda: screen.ready and screen.row.ref == TALKS)


async def test_p_marks_then_p_elsewhere_shows_the_paths_each_step_openable(make_app):
    from crisis_tui.tui.screens.paths import PathsScreen

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("p")
        assert app.main.path_mark.row.ref == LAVROV
        assert any("Marked Sergei Lavrov as the start of a path" in n.message for n in app._notifications)
        app.visit(SIMLA)
        await opened(pilot, SIMLA)
        await pilot.press("p")
        screen = app.screen
        assert isinstance(screen, PathsScreen)
        await until(pilot, lambda: screen.ready)
        assert "The shortest path from Sergei Lavrov to Simla Agreement: 2 links" in str(screen.head.render())
        [path] = screen.graph.root.children
        assert [c.label.plain.split("  ")[0] for c in path.children] == [
            "Sergei Lavrov", "\u2014took part in\u2192 Lavrov\u2013Jaishankar talks",
            "\u2014invokes\u2192 Simla Agreement"]
        assert screen.graph.cursor_node.label.plain.startswith("Sergei Lavrov")
        await pilot.press("j", "j")  # the second step: its citations are below
        cited = str(screen.cited.render())
        assert "Lavrov\u2013Jaishankar talks \u2014invokes\u2192 Simla Agreement" in cited
        assert "Lavrov urged a bilateral settlement under the Simla Agreement" in cited
        await pilot.press("k")
        await pilot.press("enter")
        await opened(pilot, TALKS)
        assert app.main.path_mark.row.ref == LAVROV  # the mark stays: paths to another end may follow
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PathsScreen) and app.screen.ready)
        assert "1 link" in str(app.screen.head.render())
        await pilot.press("escape")  # Esc: back where p was pressed, nothing opened
        assert app.screen is app.main and app.shown == TALKS


async def test_p_on_the_marked_entity_clears_the_mark(make_app):
    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("p", "p")
        assert app.main.path_mark.row is None
        assert any("Cleared the path mark on Sergei Lavrov" in n.message for n in app._notifications)
        assert app.screen is app.main


async def test_no_path_is_said_in_words(make_app):
    from crisis_tui.tui.screens.paths import PathsScreen

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        await pilot.press("p")
        app.visit(LONE)
        await opened(pilot, LONE)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PathsScreen) and app.screen.ready)
        assert "No path: no chain of links joins Sergei Lavrov and Kashmir conflict." in str(app.screen.head.render())
        assert not app.screen.graph.root.children[0].children  # one line saying what to do
        await pilot.press("enter")  # nothing to open: the screen stays
        assert isinstance(app.screen, PathsScreen)


async def test_the_palette_offers_neighbourhood_and_path_and_help_lists_the_keys(make_app):
    from crisis_tui.tui.keymap import remappable

    app = make_app(start=LAVROV)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, LAVROV)
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert "Neighbourhood" in titles and "Path: mark the start" in titles
        command = next(c for c in app.get_system_commands(app.main) if c.title == "Neighbourhood")
        command.callback()
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        await pilot.press("escape")
        app.main.action_path()
        assert "Path" in [c.title for c in app.get_system_commands(app.main)]
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        from textual.widgets import Static

        shown = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert "Neighbourhood (a)" in shown and "Paths (p, then p on another entity)" in shown
    ids = remappable()
    for binding_id in ("pane.neighbourhood", "pane.path", "neighbourhood.close", "neighbourhood.source",
                       "paths.close", "paths.source", "graph.down", "graph.fold"):
        assert binding_id in ids, binding_id
    assert ids["pane.neighbourhood"].key == "a" and ids["pane.path"].key == "p"


def pane_lines(pane) -> list[str]:
    """The lines of a Static (the pane under the tree, the head above it) as the terminal shows
    them; fails if some are past its height (cut off)."""
    width, height = pane.content_size
    assert width > 0 and height > 0
    lines = [line.plain for line in pane.render().wrap(width)]
    assert len(lines) <= height, f"{len(lines) - height} lines are cut off: {lines}"
    return lines


@pytest.mark.parametrize("long", [False, True], ids=["plain", "long-name"])
async def test_the_pane_under_the_tree_says_when_citations_do_not_fit(long_named_db, long):
    """At 80x24 the pane shows what it holds and says how many citations more `s` shows, also
    under an entity of a 5,000-character name (cut there)."""
    from crisis_tui.tui.app import CrisisApp

    kb = KnowledgeBase("sqlite:///" + str(long_named_db if long else long_named_db.with_name("plain.db")))
    app = CrisisApp(kb, start=INDUS)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await opened(pilot, INDUS)
            await pilot.press("a")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            await cursor_to(pilot, "P" * 50 if long else "Pakistan")
            pane = app.screen.cited
            await until(pilot, lambda: "\u2014" in str(pane.render()) and "reading" not in str(pane.render()))
            await pilot.pause(0.1)
            text = "\n".join(pane_lines(pane))
            assert kb.link_citations(app.screen.graph.cursor_node.data.link)[2]  # three citations
            assert ("[3]" in text and "s shows it in its source" in text) or "more: s shows" in text, text
            if long:
                assert "[3]" not in text and " more: s shows them]" in text, text  # the name takes the room
                assert "P" * 60 + "\u2026" in text and "P" * 61 not in text
    finally:
        kb.close()


async def test_the_heads_say_the_outcome_whatever_the_length_of_the_names(long_named_db):
    """Pakistan named with 5,000 characters: each head's three lines still say what was found."""
    from crisis_tui.tui.app import CrisisApp

    kb = KnowledgeBase("sqlite:///" + str(long_named_db))
    app = CrisisApp(kb, start="actor/pakistan")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await opened(pilot, "actor/pakistan")
            await pilot.press("a")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            await pilot.pause(0.1)
            head = " ".join(pane_lines(app.screen.head))
            assert "P" * 40 + "\u2026: " in head and "links, two hops out" in head and "space folds." in head
            await pilot.press("escape", "p")
            app.visit(INDUS)
            await opened(pilot, INDUS)
            await pilot.press("p")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            await pilot.pause(0.1)
            head = " ".join(pane_lines(app.screen.head))
            assert "from " + "P" * 40 + "\u2026 to Indus Waters Treaty: 1 link." in head, head
    finally:
        kb.close()


def test_the_neighbourhood_head_says_plus_when_a_group_was_not_all_counted(any_kb, monkeypatch):
    kb = any_kb
    from crisis_tui.tui.screens.neighbourhood import head_text

    full = kb.neighbourhood("actor/india")
    assert f": {sum(g.total for g in full.groups):,} links, two hops" in head_text(full).plain
    monkeypatch.setattr(graph, "FEW", 1)
    monkeypatch.setattr(graph, "CENTRE_COUNT_LIMIT", 2)
    capped = kb.neighbourhood("actor/india")
    assert f": {sum(g.total for g in capped.groups):,}+ links, two hops" in head_text(capped).plain


async def test_a_links_note_shows_in_the_pane_of_both_screens(make_app):
    app = make_app(start=PAHALGAM)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot, PAHALGAM)
        await pilot.press("a")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        await cursor_to(pilot, "claimed by", top=True)
        await cursor_to(pilot, "The Resistance Front")
        await until(pilot, lambda: "[1]" in str(app.screen.cited.render()))
        await pilot.pause(0.1)
        assert "Note: TRF denied involvement on 26 April." in "\n".join(pane_lines(app.screen.cited))
        await pilot.press("escape", "p")
        app.visit(TRF)
        await opened(pilot, TRF)
        await pilot.press("p")
        await until(pilot, lambda: getattr(app.screen, "ready", False))
        await cursor_to(pilot, "claimed by")
        assert "Note: TRF denied involvement on 26 April." in "\n".join(pane_lines(app.screen.cited))


@pytest.fixture(scope="module")
def long_named_db(tmp_path_factory, bundled_db):
    """The bundled database (plain.db), and a copy in which Pakistan has a 5,000-character name."""
    folder = tmp_path_factory.mktemp("long-name")
    shutil.copy(bundled_db, folder / "plain.db")
    path = folder / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'actor/pakistan'", ("P" * 5000,))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


@pytest.mark.parametrize(("text", "problem"), [
    ('"graph.down" = "s"\n', "graph.down takes 's', which neighbourhood.source has too"),
    ('"graph.up" = "a"\n', "graph.up takes 'a', which neighbourhood.recentre has too"),
    ('"graph.top" = "b"\n', "graph.top takes 'b', which app.back has too"),
    ('"neighbourhood.source" = "enter"\n', "neighbourhood.source: 'enter' is the tree's own"),
    ('"paths.source" = "space"\n', "paths.source: 'space' is the tree's own"),
    ('"neighbourhood.recentre" = "shift+down"\n', "neighbourhood.recentre: 'shift+down' is the tree's own"),
])
def test_a_keymap_cannot_hide_a_graph_screens_keys(tmp_path, text, problem):
    from crisis_tui.tui.keymap import KeymapError, load_keymap

    path = tmp_path / "keymap.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeymapError) as raised:
        load_keymap(path)
    assert problem in str(raised.value), raised.value


def test_every_key_of_textuals_tree_is_reserved_on_the_graph_screens():
    from textual.binding import Binding
    from textual.scroll_view import ScrollView
    from textual.widgets import Tree

    from crisis_tui.tui.keymap import remappable, reserved_for
    from crisis_tui.tui.widgets.link_tree import LinkTree

    own = {key.strip() for b in LinkTree.BINDINGS if isinstance(b, Binding) for key in b.key.split(",")}
    tree = {key.strip() for b in (*Tree.BINDINGS, *ScrollView.BINDINGS) if isinstance(b, Binding)
            for key in b.key.split(",")}
    for key in tree - own:  # LinkTree's own (h/left, l/right...) are checked as graph.* bindings
        for binding_id in ("neighbourhood.source", "paths.close"):
            assert reserved_for(binding_id, key), (binding_id, key)
    assert reserved_for("neighbourhood.source", "x") is None and reserved_for("list.down", "enter") is None
    ids = remappable()
    assert all(b.key for i, b in ids.items() if i.split(".")[0] in ("graph", "neighbourhood", "paths"))


def test_a_keymap_moving_the_graph_keys_apart_is_accepted(tmp_path):
    from crisis_tui.tui.keymap import load_keymap

    path = tmp_path / "keymap.toml"
    path.write_text('"graph.down" = "s"\n"neighbourhood.source" = "o"\n"paths.source" = "o"\n'
                    '"neighbourhood.close" = "escape,q,x"\n', encoding="utf-8")
    assert load_keymap(path)["graph.down"] == "s"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, bundled_db):
    path = tmp_path_factory.mktemp("hostile-graph") / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = ?", (HOSTILE, LAVROV))
        renumber(conn)
        rebuild_search(conn)
    conn.close()
    return path


def drawn_segments(widget) -> list[tuple[str, dict]]:
    """What a widget draws on the terminal: each segment's text and its style's meta (where a
    `[@click=...]` read as markup would put its action)."""
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [(seg.text, dict(seg.style.meta) if seg.style else {}) for strip in strips for seg in strip]


async def test_hostile_names_are_shown_as_text_in_both_screens(hostile_db):
    from crisis_tui.tui.app import CrisisApp

    kb = KnowledgeBase("sqlite:///" + str(hostile_db))
    app = CrisisApp(kb, start=LAVROV)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await opened(pilot, LAVROV)
            await pilot.press("a")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            label = app.screen.graph.root.label.plain
            assert label.startswith("Sergei [b]Lavrov[/b] [@click=app.quit]x\\x1b]0;pwned\\x07")
            assert "\x1b" not in label
            await cursor_to(pilot, "Lavrov–Jaishankar talks")
            assert "Sergei [b]Lavrov[/b]" in str(app.screen.cited.render())
            await pilot.press("escape", "p")
            app.visit(SIMLA)
            await opened(pilot, SIMLA)
            await pilot.press("p")
            await until(pilot, lambda: getattr(app.screen, "ready", False))
            head = str(app.screen.head.render())
            assert "from Sergei [b]Lavrov[/b] [@click=app.quit]x\\x1b\u2026 to Simla" in head  # cut at 40
            for widget in (app.screen.head, app.screen.graph):
                drawn = drawn_segments(widget)
                assert "[@click=app.quit]" in "".join(text for text, _ in drawn)  # drawn as written, no link
                assert all("@click" not in meta for _, meta in drawn), drawn
    finally:
        kb.close()


# --- snapshots at 80x24 ---------------------------------------------------------------

class TestGraphSnapshots:
    @pytest.fixture(autouse=True)
    def _fixed_colours(self, monkeypatch):
        monkeypatch.setenv("TERM", "xterm-256color")
        monkeypatch.setenv("COLORTERM", "truecolor")

    def test_neighbourhood(self, snap_compare, make_app):
        async def before(pilot):
            await opened(pilot, LAVROV)
            await pilot.press("a")
            await until(pilot, lambda: getattr(pilot.app.screen, "ready", False))
            await cursor_to(pilot, "Lavrov–Jaishankar talks")
            await until(pilot, lambda: "held separate talks" in str(pilot.app.screen.cited.render()))
            await pilot.pause(0.1)

        assert snap_compare(make_app(start=LAVROV), terminal_size=(80, 24), run_before=before)

    def test_paths(self, snap_compare, make_app):
        async def before(pilot):
            await opened(pilot, LAVROV)
            await pilot.press("p")
            pilot.app.visit(SIMLA)
            await opened(pilot, SIMLA)
            await pilot.press("p")
            await until(pilot, lambda: getattr(pilot.app.screen, "ready", False))
            await pilot.press("j", "j")  # the second step: its citations show below
            pilot.app.clear_notifications()  # the mark's notice, which would cover them
            await pilot.pause(0.3)

        assert snap_compare(make_app(start=LAVROV), terminal_size=(80, 24), run_before=before)


# --- the real explorer on a pseudo-terminal: 16 colours, no colour ---------------------

@pytest.mark.parametrize("no_colour", [True, False], ids=["nocolor", "16-colours"])
def test_both_screens_on_a_terminal_of_16_colours_or_none(bundled_db, no_colour):
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
    env.update(TERM="xterm", **({"NO_COLOR": "1"} if no_colour else {}))
    t = PtyTerminal([CLI, "--db", str(bundled_db), "open", LAVROV], env=env)
    try:
        t.wait_for("[b:")
        t.settle(0.3)
        t.send("a")
        screen = t.wait_for("two hops out")
        assert "Neighbourhood: Sergei Lavrov" in screen and "took part in  (2)" in screen
        t.settle(0.3)
        assert unreadable_cells(t.screen) == [], t.text()
        cursor = [y for y in range(t.rows) if "Sergei Lavrov  actor/person" in t.screen.display[y]]
        x = t.screen.display[cursor[0]].index("Sergei")
        assert t.screen.buffer[cursor[0]][x].reverse, "the tree's cursor does not show"
        t.send("j")
        t.send(" ")  # folds "office-holder of": Russia's line goes
        t.wait_gone("Russia  actor/state")
        t.send(ESC)
        t.wait_gone("two hops out")
        t.send("p")
        t.wait_for("Marked Sergei Lavrov")
        t.send("/")
        t.wait_for("Search events, actors")
        t.send("simla agreement")
        t.wait_for("for 'simla agreement'")
        t.settle(0.3)
        t.send(ENTER)
        t.wait_for("> Simla Agreement")
        t.settle(0.3)
        t.send("p")
        screen = t.wait_for("Path 1")
        assert "\u2014took part in\u2192 Lavrov\u2013Jaishankar talks" in screen
        assert "\u2014invokes\u2192 Simla Agreement" in screen
        t.settle(0.3)
        assert unreadable_cells(t.screen) == [], t.text()
        t.send(ESC)
        t.settle(0.3)
        t.send("q")
        assert t.wait_exit() == 0
        assert (colour_escapes(bytes(t.raw)) == []) == no_colour
    finally:
        t.close()


# --- the command line ------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


def test_path_prints_each_step_with_its_wording_and_citation(bundled_db):
    result = run("--db", str(bundled_db), "path", "Lavrov", "Simla")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "The shortest path from Sergei Lavrov to Simla Agreement: 2 links."
    assert lines[2] == ("Path 1: Sergei Lavrov \u2014took part in\u2192 Lavrov\u2013Jaishankar talks "
                        "\u2014invokes\u2192 Simla Agreement")
    assert lines[3] == ("  1. Sergei Lavrov [actor/sergei-lavrov] \u2014took part in\u2192 "
                        "Lavrov\u2013Jaishankar talks [event/lavrov-jaishankar-call-2025]")
    assert ("\u201cRussian Foreign Minister Sergei Lavrov held separate talks with Pakistan\u2019s Deputy Prime "
            "Minister and Foreign Minister, Ishaq Dar, as well as his Indian colleague, S. Jaishankar.\u201d "
            "\u2014 Primary article") in lines[4]
    assert "(article, line 5)" in lines[4]
    assert "\u201cLavrov urged a bilateral settlement under the Simla Agreement and the Lahore Declaration\u201d" \
        in result.stdout
    assert "<https://www.newindianexpress.com/" in result.stdout


def test_path_json_and_max(bundled_db, bundled_pack):
    result = run("--db", str(bundled_db), "path", "actor/india", "Pakistan", "--max", "4", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["outcome"] == "found" and found["length"] == 2 and len(found["routes"]) == 4
    texts = source_texts(bundled_pack.sources)
    for route in found["routes"]:
        for step in route["steps"]:
            assert step["citations"] and all(c["quote"] in texts[c["source_id"]] for c in step["citations"])
    assert found["says"].startswith("The 4 shortest paths from India to Pakistan: 2 links")


def test_path_with_no_path_says_so(bundled_db):
    result = run("--db", str(bundled_db), "path", "Lavrov", LONE)
    assert result.returncode == 0
    assert result.stdout.strip() == "No path: no chain of links joins Sergei Lavrov and Kashmir conflict."


@pytest.mark.parametrize(("start", "end", "said"), [
    ("talks", "Simla", "'talks' is ambiguous: Tashkent negotiations [event/tashkent-talks-1966]; "),
    ("Lavrov", "zzzz-nothing", "nothing matches 'zzzz-nothing'"),
    ("Lavorv", "Simla", "nothing matches 'Lavorv'; did you mean Sergei Lavrov [actor/sergei-lavrov]?"),
    ("Lavrov", "Sergei Lavrov", "are both Sergei Lavrov [actor/sergei-lavrov]: give two different entities"),
])
def test_path_errors_are_one_line_and_exit_1(bundled_db, start, end, said):
    result = run("--db", str(bundled_db), "path", start, end)
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and said in result.stderr, result.stderr
    assert result.stderr.startswith("crisis-tui: error: ")


def test_path_names_are_printed_inert(hostile_db):
    result = run("--db", str(hostile_db), "path", LAVROV, SIMLA)
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "Sergei [b]Lavrov[/b] [@click=app.quit]x\\x1b]0;pwned\\x07" in result.stdout
