"""The source reader (issue #15, item 3): its title names the source, the fact sheet's table
reads as records with its codes explained, addresses are whole and linked, every cited passage
is marked with n/N between them, and under each the records citing it, one key from each."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from textual.content import Content

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui.app import CrisisApp
from crisis_tui.tui.reading import layout, legend, urls
from crisis_tui.tui.screens.source import SourceScreen
from crisis_tui.tui.widgets.source_view import Key, wrap_row

from .test_app import put_cursor_on, settle

HINDUSTAN = ("https://www.hindustantimes.com/india-news/from-ht-archives-new-agreement-on-peace-ties-signed-by-"
             "india-pakistan-101719598672628.html")
WIKIPEDIA = "https://en.wikipedia.org/wiki/Tashkent_Declaration"


async def open_reader(pilot, line: str) -> SourceScreen:
    """Open the source of the detail's citation holding `line` (Enter on it) and wait for it."""
    put_cursor_on(pilot.app, line)
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SourceScreen)
    return screen


def lines(screen: SourceScreen) -> list[str]:
    return screen.view.text_lines


# --- the text laid out (no screen) -----------------------------------------------------

def test_a_markdown_table_is_records_under_its_header_names_and_its_codes_explained(bundled_pack):
    text = next(s.text for s in bundled_pack.sources if s.id == "fact-sheet")
    blocks = layout(text)
    shown = ["".join(p.text for p in row.pieces) for block in blocks for row in block.rows]
    assert "entity / fact: Tashkent Declaration" in shown
    assert "value: Signed 10 Jan 1966 in Tashkent (Uzbek SSR, USSR) after talks 4–10 Jan; ended the 1965 war" in shown
    assert f"source address: {WIKIPEDIA}" in shown
    assert "conf.: V  (V = found in a public page)" in shown
    both = "conf.: V (date U)  (V = found in a public page; U = sources disagree (say so in the data, e.g. in a note " \
           "or as an uncertain date))"
    assert both in shown
    assert not any(line.startswith("|") for line in shown)  # no raw Markdown row left
    for block in blocks:  # every piece of the source's own text is where it says it is
        for row in block.rows:
            for piece in row.pieces:
                if piece.start is not None:
                    assert text[piece.start:piece.start + len(piece.text)] == piece.text


def test_any_markdown_table_reads_as_records_and_other_text_stays_as_it_is():
    text = "Intro line\nsecond: line\n\n| who | what |\n|:--|--:|\n| A | one |\n| B | |\nafter"
    shown = [["".join(p.text for p in row.pieces) for row in block.rows] for block in layout(text)]
    assert shown[:2] == [["Intro line second: line"], [""]]  # Markdown: a paragraph's lines flow as one
    assert ["who: A", "what: one"] in shown and ["who: B"] in shown and ["after"] in shown


def test_lines_of_key_value_text_are_lines_without_blank_ones_between():
    """ACLED's sources are a `key: value` line each: shown as they are, no blank line between."""
    text = "event_id_cnty: IND10001\nevent_date: 2025-04-24\nnotes: On 24 April 2025, troops exchanged fire."
    shown = [["".join(p.text for p in row.pieces) for row in block.rows] for block in layout(text)]
    assert shown == [["event_id_cnty: IND10001"], ["event_date: 2025-04-24"],
                     ["notes: On 24 April 2025, troops exchanged fire."]]


def test_the_legend_and_addresses_are_found():
    assert legend("Confidence: V = found; GK = known only (not\nsourced); U = disputed.") == {
        "V": "found", "GK": "known only (not sourced)", "U": "disputed"}
    text = "see https://a.example/x_(y), and http://b.example/z. Then https:// alone"
    assert [text[a:b] for a, b in urls(text)] == ["https://a.example/x_(y)", "http://b.example/z"]
    hostile = "https://evil.example/a\x1b]0;pwned\x07b"
    assert [hostile[a:b] for a, b in urls(hostile)] == ["https://evil.example/a"]  # a control ends it


def test_an_address_is_never_broken_and_one_longer_than_a_line_carries_its_link_on_every_piece():
    key = Key("text")
    wrapped = wrap_row([("address: ", key), (WIKIPEDIA, Key("text", WIKIPEDIA)), (" and more words", key)], 52)
    assert ["".join(t for t, _ in line) for line in wrapped] == ["address:", WIKIPEDIA, "and more words"]
    wrapped = wrap_row([("see ", key), (HINDUSTAN, Key("text", HINDUSTAN))], 40, indent=2, hang=2)
    pieces = [(t, k) for line in wrapped for t, k in line if k.url]
    assert "".join(t for t, _ in pieces) == HINDUSTAN and len(pieces) > 1
    assert all(k.url == HINDUSTAN for _, k in pieces)
    assert all(len("".join(t for t, _ in line)) <= 40 for line in wrapped)


# --- queries ------------------------------------------------------------------------

def test_every_passage_of_a_text_and_the_records_citing_one(any_kb):
    kb = any_kb
    found = kb.source_passages("fact-sheet")
    assert found.citations == sum(p.citations for p in found.passages) + found.not_found
    assert [p.offset for p in found.passages] == sorted(p.offset for p in found.passages)
    assert "web/wikipedia-tashkent-declaration" in found.sources and "fact-sheet" in found.sources
    text = kb.source("fact-sheet").text
    at = text.index("Tashkent (Uzbek SSR")
    passage = next(p for p in found.passages if p.offset <= at < p.offset + p.length)
    citers = kb.passage_citers(list(found.sources), passage.offset)
    assert citers.total == passage.citations >= 1
    assert {r.kind for r in citers.records} <= {"entity", "link", "position", "note"}
    assert all(kb.row(r.ref) is not None for r in citers.records)
    limited = kb.passage_citers(list(found.sources), passage.offset, limit=1)
    assert len(limited.records) == 1 and limited.total == citers.total


def test_a_source_quoted_via_another_names_both(any_kb):
    kb = any_kb
    source = kb.source("web/wikipedia-tashkent-declaration")
    assert (source.publisher, source.address, source.via, source.document) == (
        "en.wikipedia.org", WIKIPEDIA, "fact-sheet", "fact-sheet")
    assert source.via_title.startswith("Fact sheet") and source.text.startswith("# Fact sheet")
    assert kb.source("article").via is None and kb.source("article").document == "article"


# --- the reader ----------------------------------------------------------------------

async def test_the_title_names_the_source_and_the_text_shows_the_records(make_app):
    app = make_app(start="actor/soviet-union")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, "web/wikipedia-tashkent-declaration")
        assert Content.from_markup(screen.query_one("#source-box").border_title).plain == \
            "Source - en.wikipedia.org: Page the fact sheet cites for: Tashkent Declaration"
        shown = lines(screen)
        head = shown[:shown.index(next(line for line in shown if line.startswith("\u2500")))]
        assert head[0] == "Page the fact sheet cites for: Tashkent Declaration"
        assert "en.wikipedia.org" in head and f"address: {WIKIPEDIA}" in head
        assert any(line.startswith("Quoted via Fact sheet: the 2025") for line in head)
        assert "entity / fact: Tashkent Declaration" in shown and "  conf.: V  (V = found in a public page)" in shown
        assert not any(line.startswith("| Tashkent") for line in shown)
        assert screen.current_quote == "Tashkent (Uzbek SSR, USSR)"  # the Soviet Union's citation


async def test_addresses_are_whole_on_their_lines_and_linked(make_app):
    app = make_app(start="actor/soviet-union")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, "web/wikipedia-tashkent-declaration")
        view = screen.view
        width = view.scrollable_content_region.width
        text = screen.reading.source.text
        whole = [text[a:b] for a, b in urls(text) if b - a <= width - 4]
        assert whole and all(any(url in line for line in lines(screen)) for url in whole)
        linked = {key.url for line, _ in view._lines for _, key in line if key.url}
        assert WIKIPEDIA in linked and HINDUSTAN in linked
        at = next(n for n, line in enumerate(lines(screen)) if WIKIPEDIA in line)
        view.scroll_to(y=at, animate=False, immediate=True, force=True)
        await pilot.pause()
        strip = view.render_line(0)
        assert any(s.style and s.style.link == WIKIPEDIA for s in strip)


async def test_every_passage_is_marked_and_n_and_N_go_through_them(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, '"in line with the 1972 Simla Agreement')
        view, passages = screen.view, screen.reading.passages.passages
        assert len(passages) > 5  # the article: every passage any record quotes
        marked = {i for line, _ in view._lines for _, key in line for i in key.cover}
        assert marked == set(range(len(passages)))
        opened = view.current
        assert "in line with the 1972 Simla Agreement" in screen.current_quote
        await pilot.press("n")
        await settle(pilot)
        assert view.current == (opened + 1) % len(passages)
        assert screen.current_quote == screen.reading.source.text[
            passages[view.current].offset:passages[view.current].offset + passages[view.current].length]
        assert view.scroll_offset.y <= view.current_line() < view.scroll_offset.y + view.size.height
        assert f"passage {view.current + 1}/{len(passages)}" in str(screen.query_one("#source-box").border_subtitle)
        await pilot.press("N", "N")
        assert view.current == (opened - 1) % len(passages)
        for _ in range(len(passages)):
            await pilot.press("n")
        assert view.current == (opened - 1) % len(passages)  # round the end and back


async def test_the_records_citing_a_passage_are_under_it_and_enter_goes_to_one(make_app):
    app = make_app(start="agreement/tashkent-declaration-1966")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = app.main.detail
        view.focus()
        await pilot.press("G", "enter")
        await settle(pilot)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SourceScreen)
        shown = lines(screen)
        head = next(n for n, line in enumerate(shown) if line.startswith("  \u25b8 cited by"))
        citers = screen.view.citers[screen.view.current]
        assert citers.total == len(citers.records) > 1
        assert [line.strip() for line in shown[head + 1:head + 1 + len(citers.records)]] == [
            f"{r.kind}: {r.label}" for r in citers.records]
        assert "entity: Tashkent Declaration (agreement)" in [line.strip() for line in shown]
        await pilot.press("tab")
        target = screen.view.citing()
        assert target == citers.records[1]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main and app.shown == target.ref and app.focused is app.main.detail
        assert app.history.current == target.ref


async def test_citers_of_another_passage_are_read_when_it_is_reached(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, '"in line with the 1972 Simla Agreement')
        assert set(screen.view.citers) == {screen.view.current}
        await pilot.press("n")
        await settle(pilot)
        current = screen.view.current
        assert current in screen.view.citers
        assert screen.view.citers[current].total == screen.reading.passages.passages[current].citations


async def test_g_G_pages_and_q(make_app):
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, '"in line with the 1972 Simla Agreement')
        view = screen.view
        opened = view.scroll_offset.y
        assert opened > 0
        await pilot.press("g")
        assert view.scroll_offset.y == 0
        await pilot.press("pagedown")
        page = view.scroll_offset.y
        assert page == view.scrollable_content_region.height - 1
        await pilot.press("pageup")
        assert view.scroll_offset.y == 0
        await pilot.press("j", "j")
        assert view.scroll_offset.y == 2
        await pilot.press("k")
        assert view.scroll_offset.y == 1
        await pilot.press("G")
        assert view.scroll_offset.y == view.max_scroll_y > page
        await pilot.press("home")
        assert view.scroll_offset.y == 0
        await pilot.press("end")
        assert view.scroll_offset.y == view.max_scroll_y
        await pilot.press("q")
        assert app.screen is app.main and app.is_running


async def test_the_help_lists_the_reader_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        text = app.screen.keys_text()
        reader = text[text.index("Source reader"):]
        for words in ("To the next passage cited", "Close the source and go to the marked record",
                      "Copy the passage with its citation", "Open the source's address"):
            assert words in reader
        assert "set-clipboard on" in text


# --- hostile text -----------------------------------------------------------------------

HOSTILE_TITLE = "[/]Tashkent[@click=app.quit]x[/]\x1b]0;pwned\x07 page"
HOSTILE_ADDRESS = "https://evil.example/[b]x[/b]\x1b]8;;https://other.example\x07y"


@pytest.fixture
def hostile_app(tmp_path, bundled_db):
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE source SET title = ?, address = ?, publisher = ? WHERE id = ?",
                     (HOSTILE_TITLE, HOSTILE_ADDRESS, "[red]pub\x1b[31m", "web/wikipedia-tashkent-declaration"))
    conn.close()
    kb = KnowledgeBase("sqlite:///" + str(path))
    yield CrisisApp(kb, start="actor/soviet-union")
    kb.close()


async def test_hostile_titles_and_addresses_are_shown_as_data_and_never_linked_whole(hostile_app):
    app = hostile_app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, "web/wikipedia-tashkent-declaration")
        title = Content.from_markup(screen.query_one("#source-box").border_title).plain
        # shown as written, never read as markup (Textual keeps a border title as escaped markup)
        assert title.startswith("Source - [red]pub\\x1b[31m: ") and title.endswith(
            "[/]Tashkent[@click=app.quit]x[/]\\x1b]0;pwned\\x07 page")
        shown = lines(screen)
        assert shown[0] == "[/]Tashkent[@click=app.quit]x[/]\\x1b]0;pwned\\x07 page"
        assert "[red]pub\\x1b[31m" in shown
        links = {key.url for line, _ in screen.view._lines for _, key in line if key.url}
        assert all("\x1b" not in url and "\x07" not in url for url in links)
        assert "https://evil.example/[b]x[/b]\\x1b]8;;https://other.example\\x07y" in "".join(shown)
        await pilot.press("q")
        assert app.is_running


def test_addresses_reach_the_terminal_as_osc_8_links(bundled_db):
    """On a real terminal: the reader's addresses are OSC 8 hyperlinks (one id per address)."""
    import os

    from .conftest import CLI
    from .ptyterm import PtyTerminal

    env = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
    t = PtyTerminal([CLI, "--db", str(bundled_db), "open", "actor/soviet-union"], env=dict(env, TERM="xterm"))
    try:
        t.wait_for("Soviet Union")
        t.settle()
        t.send("l")
        t.send("G")
        t.settle()
        t.send("\r")
        t.wait_for("o open - Esc closes")
        t.settle()
        raw = bytes(t.raw)
        assert f";{WIKIPEDIA}\x1b\\".encode() in raw and b"\x1b]8;id=" in raw
        t.send("\x1b")
        t.wait_gone("o open - Esc closes")
        t.send("q")
        assert t.wait_exit() == 0
    finally:
        t.close()


def test_a_text_with_more_passages_than_the_limit_says_how_many_more(any_kb):
    kb = any_kb
    every = kb.source_passages("fact-sheet")
    some = kb.source_passages("fact-sheet", limit=10)
    assert some.passages == every.passages[:10] and some.more == len(every.passages) - 10
    assert some.citations == every.citations


async def test_without_colour_the_current_passage_is_reversed_and_the_others_underlined(make_app,
                                                                                         monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm")
    app = make_app(start="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_reader(pilot, '"in line with the 1972 Simla Agreement')
        view = screen.view
        styles = {}
        for y in range(view.size.height):
            line, _ = view._lines[view.scroll_offset.y + y]
            for segment in view.render_line(y):
                piece = next(((t, k) for t, k in line if t and t in segment.text), None)
                if piece is not None and piece[1].cover:
                    styles[view.current in piece[1].cover] = segment.style
        assert styles[True].reverse and styles[True].bold
        assert styles[False].underline and not styles[False].reverse
