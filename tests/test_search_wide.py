"""Search everything (#15, item 2): every field found and said, snippets with the match's
offsets, ranking, typos, source passages; in the explorer: snippets, `/` recall, n/N, a
passage opening its source, and the search's own key bar."""

from __future__ import annotations

import os
import sqlite3

import pytest
from textual.widgets import Input

from crisis_tui.db.queries import KnowledgeBase, distance, index_form, snippet_of
from crisis_tui.db.records import PassageHit
from crisis_tui.tui.output import hits_text, marked
from crisis_tui.tui.screens.search import SearchScreen
from crisis_tui.tui.screens.source import SourceScreen
from crisis_tui.tui.widgets.hit_list import HitList
from crisis_tui.tui.widgets.key_bar import KeyBar

from .conftest import CLI
from .ptyterm import PtyTerminal
from .test_app import searched, settle, until

ESC = "\x1b"


def marked_words(snippet: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    return [snippet[start:end] for start, end in spans]


# --- the query layer ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "ref", "field"), [
    ("Simla Agreement", "agreement/simla-1972", "name"),
    ("Simla Pact", "agreement/simla-1972", "alias"),
    ("1972", "agreement/simla-1972", "date"),
    ("moscow referenced", "agreement/tashkent-declaration-1966", "summary"),
    ("spells", "actor/khalid-jamali", "note"),
    ("notified", "agreement/simla-1972", "link note"),
    ("strictly bilateral", "actor/s-jaishankar", "position"),
])
def test_each_field_is_found_and_said(any_kb, text, ref, field):
    hits = {h.row.ref: h for h in any_kb.search(text)}
    assert ref in hits, [h for h in hits]
    hit = hits[ref]
    assert hit.field == field
    words = [index_form(w) for w in text.split()]
    found = [index_form(w) for w in marked_words(hit.snippet, hit.spans)]
    assert found and all(any(f.startswith(w) for w in words) for f in found)


def test_a_link_note_and_a_note_are_found_where_nothing_else_says_it(any_kb):
    """`requested` is in the Lavrov-Dar talks' summary, and only in a link note of Pakistan's appeal."""
    hits = {h.row.ref: h for h in any_kb.search("requested")}
    assert hits["event/lavrov-dar-call-2025"].field == "summary"
    appeal = hits["event/pakistan-appeal-to-russia-2025"]
    assert appeal.field == "link note" and appeal.snippet == "Pakistan requested the call."
    assert marked_words(appeal.snippet, appeal.spans) == ["requested"]
    readout = {h.row.ref: h for h in any_kb.search("readout")}["event/lavrov-dar-call-2025"]
    assert readout.field == "note" and "readout" in readout.snippet


def test_snippets_are_cut_around_the_match_and_marked_by_offsets(any_kb):
    hit = next(h for h in any_kb.search("bilateral") if h.row.ref == "actor/russia")
    assert hit.field == "summary" and hit.snippet.startswith("\u2026") and len(hit.snippet) <= 110
    assert marked_words(hit.snippet, hit.spans) == ["bilateral"]
    assert "[" not in hit.snippet or "]" in hit.snippet  # text as it is: no markup added


def test_snippet_of_hostile_text_is_inert_and_its_offsets_still_right():
    text = "An [b]evil[/b] name \x1b[31mwith red\x1b[0m and [@click=app.quit]red again\u202e"
    snippet, spans = snippet_of(text, ["red"])
    assert "\x1b" not in snippet and "\u202e" not in snippet and "\\x1b" in snippet
    assert marked_words(snippet, spans) == ["red", "red"]
    assert "[@click=app.quit]" in snippet  # kept as text: the UI draws it as data


def test_a_long_text_is_cut_with_ellipses_on_both_sides():
    text = " ".join(["filler"] * 40 + ["needle"] + ["tail"] * 40)
    snippet, spans = snippet_of(text, ["needle"])
    assert snippet.startswith("\u2026") and snippet.endswith("\u2026") and len(snippet) <= 102
    assert marked_words(snippet, spans) == ["needle"]


@pytest.mark.parametrize("text", ["1972", "simla 1972", "Simla"])
def test_the_simla_agreement_comes_first(any_kb, text):
    assert any_kb.search(text)[0].row.ref == "agreement/simla-1972"


def test_name_outranks_summary_and_summary_outranks_notes(any_kb):
    hits = any_kb.search("cornerstone")
    fields = [h.field for h in hits]
    assert fields.index("summary") < fields.index("note")


@pytest.mark.parametrize(("typo", "meant", "ref"), [
    ("lavorv", "lavrov", "actor/sergei-lavrov"),
    ("bhuto", "bhutto", "actor/zulfikar-ali-bhutto"),
    ("sindur", "sindoor", "event/operation-sindoor-2025"),
    ("operation sindur", "operation sindoor", "event/operation-sindoor-2025"),
])
def test_did_you_mean(any_kb, typo, meant, ref):
    assert any_kb.search(typo) == [] and any_kb.search_passages(typo) == []
    assert any_kb.suggest(typo) == meant
    assert ref in [h.row.ref for h in any_kb.search(meant)]


def test_known_words_and_short_words_are_not_corrected(any_kb):
    assert any_kb.suggest("lavrov") is None
    assert any_kb.suggest("lav") is None  # a prefix being typed
    assert any_kb.suggest("xqzzyw") is None  # nothing close


def test_edit_distance():
    assert distance("lavorv", "lavrov") == 1  # a swap of neighbours is one edit
    assert distance("bhuto", "bhutto") == 1 and distance("sindur", "sindoor") == 2
    assert distance("a", "abcdef") == 3  # too far to bother


def test_passages_of_the_sources(any_kb):
    passages = any_kb.search_passages("bilateral")
    assert {p.source_id for p in passages} == {"article", "fact-sheet"}
    for p in passages:
        source = any_kb.source(p.source_id)
        assert source is not None and source.text is not None
        assert source.text.split("\n")[p.line - 1] == p.text  # the line as stored: a quote to open it at
        assert p.title == source.title
        assert all(index_form(w).startswith("bilateral") for w in marked_words(p.snippet, p.spans))
    article = [p for p in passages if p.source_id == "article"]
    assert any("direct bilateral engagement" in p.text for p in article)


@pytest.mark.parametrize("text", ['"', '"Simla', "AND(", "*", "NEAR(a b", "title:Simla", "a\x00b", "\x00",
                                  "x" * 100_000, "lavrov " * 2000, "\u202e\u2066", "-", "%_", "'"])
def test_hostile_queries(any_kb, text):
    hits = any_kb.search(text)
    passages = any_kb.search_passages(text)
    assert isinstance(hits, list) and isinstance(passages, list)
    any_kb.suggest(text)  # no exception
    for h in hits:
        assert "\x00" not in h.snippet and all(0 <= s < e <= len(h.snippet) for s, e in h.spans)


def test_upgraded_schema_6_database_is_searched_whole(db_copy):
    """A database of schema 6 (its search index as schema 6 made it: names, aliases and summaries
    through a view; no passages, no words for typos) is rebuilt by `upgrade` with the wider one."""
    conn = sqlite3.connect(db_copy)
    conn.executescript("""
        DROP TABLE passage_fts_vocab; DROP TABLE passage_fts; DROP TABLE search_word;
        DROP TABLE entity_fts_cols; DROP TABLE entity_fts_vocab; DROP TABLE entity_fts;
        CREATE VIEW entity_search (id, name, aliases, summary) AS
            SELECT e.id, e.name, coalesce((SELECT group_concat(a.alias, ' | ') FROM alias a
                                           WHERE a.entity_id = e.id), ''), e.summary FROM entity e;
        CREATE VIRTUAL TABLE entity_fts USING fts5 (name, aliases, summary, content = 'entity_search',
            content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO entity_fts (entity_fts) VALUES ('rebuild');
        CREATE VIRTUAL TABLE entity_fts_vocab USING fts5vocab (entity_fts, 'row');
        UPDATE meta SET value = '6' WHERE key = 'schema_version';""")
    conn.commit()
    conn.close()
    import subprocess

    result = subprocess.run([CLI, "--db", str(db_copy), "upgrade"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    base = KnowledgeBase("sqlite:///" + str(db_copy))
    try:
        assert base.search_passages("cornerstone")
        assert base.suggest("lavorv") == "lavrov"
        assert [h.field for h in base.search("notified")] == ["link note", "link note"]
    finally:
        base.close()


# --- the command line -----------------------------------------------------------------------

def test_cli_marks_matches_so_that_they_survive_a_pipe(kb):
    hits = kb.search("notified")
    text = hits_text(hits, kb.search_passages("notified"))
    assert "    link note: A reserved right, not a \u00abnotified\u00bb suspension." in text
    assert "Passages of the sources:" in text and "line 30" in text
    assert marked("a \\x1b b", ((5, 6),)) == "a \\x1\u00abb\u00bb b"


def test_cli_search_prints_what_matched_and_offers_a_typo(bundled_db):
    import subprocess

    result = subprocess.run([CLI, "--db", str(bundled_db), "search", "lavorv"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert "did you mean 'lavrov'" in result.stderr
    assert result.stdout.splitlines()[0].startswith("Sergei Lavrov  [actor/sergei-lavrov]")
    assert "    alias: \u00abLavrov\u00bb" in result.stdout


# --- the explorer ---------------------------------------------------------------------------

def hit_lines(screen) -> list[str]:
    hits = screen.query_one(HitList)
    return [hits.render_line(y).text for y in range(hits.scrollable_content_region.height)]


async def test_the_search_screen_shows_what_matched_and_a_snippet(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"notified")
        await searched(pilot, "notified")
        lines = hit_lines(app.screen)
        assert lines[0].lstrip().startswith("agreement") and "Simla Agreement" in lines[0]
        assert "link note: A reserved right, not a notified suspension" in lines[1]
        status = str(app.screen.query_one("#search-status").text)
        assert "2 matches" in status and "passage" in status
        hit_list = app.screen.query_one(HitList)
        assert len(hit_list.passages) >= 1 and "source" in lines[2 * len(hit_list.hits)]
        # the matched word is drawn bold and underlined (no colour needed)
        strip = hit_list.render_line(1)
        styled = [seg for seg in strip if seg.text == "notified"]
        assert styled and styled[0].style is not None and styled[0].style.underline and styled[0].style.bold


async def test_the_search_prompt_fits_its_line_at_80_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash")
        await settle(pilot)
        status = app.screen.query_one("#search-status")
        assert str(status.text).startswith("Type to search")
        assert len(str(status.text)) <= status.content_size.width  # not cut


async def test_the_status_quotes_the_text_as_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"it's")
        await searched(pilot, "it's")  # not "it's" in double quotes, as Python would write it
        await pilot.press(*["backspace"] * 4, *'%%"\\')
        await until(pilot, lambda: "for '%%\"\\'" in str(app.screen.query_one("#search-status").text))
        assert "\\\\" not in str(app.screen.query_one("#search-status").text)  # one backslash, not two


async def test_a_typo_shows_the_hits_of_what_was_meant(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"bhuto")
        await searched(pilot, "bhuto")
        status = str(app.screen.query_one("#search-status").text)
        assert "did you mean 'bhutto'" in status
        assert app.screen.query_one(HitList).hits[0].row.ref == "actor/zulfikar-ali-bhutto"
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "actor/zulfikar-ali-bhutto"


async def test_slash_recalls_the_last_search_selected_and_typing_replaces_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"moscow")
        await searched(pilot, "moscow")
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == "actor/russia"
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        box = app.screen.query_one("#search-input", Input)
        await searched(pilot, "moscow")  # its hits are back as well
        assert box.value == "moscow" and (box.selection.start, box.selection.end) == (0, 6)
        await pilot.press("p")
        assert box.value == "p"
        await pilot.press("escape")  # kept for the next `/`, though nothing was chosen
        await pilot.pause()
        await pilot.press("slash")
        assert app.screen.query_one("#search-input", Input).value == "p"


async def test_keys_typed_with_the_slash_replace_the_recalled_query(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"moscow", "enter")
        await settle(pilot)
        await pilot.press("slash", *"pulwama")  # all at once, as a paste or SSH sends them
        await searched(pilot, "pulwama")
        assert app.screen.query_one("#search-input", Input).value == "pulwama"


async def test_n_and_shift_n_step_through_the_hits_from_the_detail_and_the_lists(make_app):
    app = make_app()
    notices: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("slash", *"bilateral")
        await searched(pilot, "bilateral")
        refs = [h.row.ref for h in app.screen.query_one(HitList).hits]
        assert len(refs) >= 3
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown == refs[0] and app.focused is app.main.detail
        original = app.notify

        def record(message, *args, **kwargs):
            notices.append(str(message))
            return original(message, *args, **kwargs)

        app.notify = record  # type: ignore[method-assign]
        await pilot.press("n")
        await settle(pilot)
        assert app.shown == refs[1] and app.history.current == refs[1]
        assert notices[-1].startswith(f"Hit 2 of {len(refs)} for 'bilateral'")
        await pilot.press("h")  # the list has the focus now: n works there too
        await pilot.press("n")
        await settle(pilot)
        assert app.shown == refs[2]
        await pilot.press("N", "N")
        await settle(pilot)
        assert app.shown == refs[0] and notices[-1].startswith(f"Hit 1 of {len(refs)}")
        await pilot.press("b")
        await settle(pilot)
        assert app.shown == refs[1]  # each step is a visit: back retraces them


async def test_n_without_a_search_says_so(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        shown = app.shown
        await pilot.press("n")
        await settle(pilot)
        assert app.shown == shown
        assert any("press / to search" in str(n.message) for n in app._notifications)


async def test_a_passage_hit_opens_the_source_there(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        await pilot.press("slash", *"cornerstone")
        await searched(pilot, "cornerstone")
        hit_list = app.screen.query_one(HitList)
        passage = hit_list.passages[0]
        assert isinstance(passage, PassageHit) and passage.source_id == "article"
        await pilot.press(*["down"] * len(hit_list.hits))
        assert hit_list.current is passage
        opened: list = []
        original = app._open_source

        def open_source(*args, **kwargs):  # the source viewer's one entry point, as a citation opens it
            opened.append(kwargs.get("citation"))
            return original(*args, **kwargs)

        app._open_source = open_source  # type: ignore[method-assign]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SourceScreen))
        assert isinstance(app.screen, SourceScreen)
        (citation,) = opened
        assert (citation.source_id, citation.quote, citation.line) == ("article", passage.text, passage.line)
        assert citation.source_title == passage.title


async def test_the_key_bar_while_typing_shows_the_search_keys_not_the_panes(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, 0.2)
        main_keys = {key for key, *_ in app.main.query_one(KeyBar)._keys}
        assert {"b", "f", "t", "q"} <= main_keys
        await pilot.press("slash", *"bq")
        await pilot.pause()
        bar = app.screen.query_one(KeyBar)
        keys = {key for key, *_ in bar._keys}
        assert keys and not keys & {"b", "f", "t", "q"}
        assert "escape" in keys
        bottom = bar.render_line(0).text
        assert "Close" in bottom and "Back" not in bottom and "Quit" not in bottom
        assert bar.region.y == 23  # the last line: over the panes' own key bar


# --- a real terminal ------------------------------------------------------------------------

def test_search_on_a_terminal_at_80x24(bundled_db):
    env = dict(os.environ, TERM="xterm", NO_COLOR="1")
    env.pop("COLORTERM", None)
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=env)
    try:
        t.wait_for("1 Events")
        t.send("/")
        t.wait_for("Search events, actors")
        t.send("notified")
        screen = t.wait_for("link note: A reserved right")
        assert "Esc Close" in screen or "esc Close" in screen.replace("Esc", "esc")
        assert "Back" not in screen.splitlines()[-1]
        t.send("\r")
        t.wait_for("Simla Agreement")
        t.settle()
        t.send("n")
        t.wait_for("Hit 2 of 2")
        t.send("/")
        screen = t.wait_for("notified")
        t.send("lavorv")
        screen = t.wait_for("did you mean 'lavrov'")
        assert "Sergei Lavrov" in screen
        t.send(ESC)
    finally:
        t.close()
