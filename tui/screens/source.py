"""The source reader: a source's text, every passage the knowledge base cites from it marked,
and under the current one the records citing it (what the knowledge base takes from it)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.worker import Worker

from ...db.queries import KnowledgeBase
from ...db.records import CitationView, PassageCiters, SourcePassages, SourceText
from .. import copying, shown
from ..messages import worker_failed
from ..reading import Block, Piece, Row, layout
from ..widgets.source_view import SourceView


@dataclass(frozen=True)
class Reading:
    """What the reader shows, read off the UI thread: the source, its text laid out, its
    passages, the one asked for and the records citing it."""

    source: SourceText | None
    citation: CitationView
    blocks: list[Block]
    passages: SourcePassages
    current: int | None
    citers: PassageCiters | None
    found: bool  # the quote asked for is in the stored text
    at: int = 0  # where in the text it is (what the reader opens at when no passage is cited there)


def read_source(kb: KnowledgeBase, citation: CitationView) -> Reading:
    """Read a citation's source, lay its text out and find its passages (runs in a worker)."""
    source = kb.source(citation.source_id)
    text = (source.text if source else None) or ""
    passages = kb.source_passages(source.document) if source is not None else SourcePassages((), 0)
    at = text.find(citation.quote) if citation.quote else -1
    offsets = [p.offset for p in passages.passages]
    current = None
    if offsets:
        n = bisect_left(offsets, max(at, 0))
        if at < 0:  # the quote is not in the text: the first passage
            current = 0
        elif n < len(offsets) and offsets[n] < at + max(len(citation.quote), 1):
            current = n  # the passage asked for, or the first cited within the line a search found
        # else: nothing cited there (a line a search found): the reader opens at the line, no passage current
    citers = kb.passage_citers(list(passages.sources), offsets[current]) if current is not None else None
    return Reading(source, citation, layout(text), passages, current, citers, at >= 0, max(at, 0))


def header_rows(reading: Reading, of: tuple[int, int] | None = None) -> list[Row]:
    """The reader's head: the source's title, publisher, date and address, and what is marked."""
    source, c = reading.source, reading.citation
    rows = [Row((Piece(shown.line(source.title if source else c.source_title), role="title"),))]
    if source is not None:
        said = [shown.line(part) for part in (source.publisher, source.date) if part]
        if said:
            rows.append(Row((Piece(", ".join(said)),)))
        if source.address:
            rows.append(Row((Piece("address: ", role="label"), Piece(shown.line(source.address))), hang=2))
        rows.append(Row((Piece("source id: ", role="label"), Piece(shown.line(source.id)))))
        if source.via:
            via = shown.line(source.via_title or source.via)
            rows.append(Row((Piece(f"Quoted via {via} ({shown.line(source.via)}), which records this page's "
                                   "facts: its text is shown.", role="note"),)))
    else:
        rows.append(Row((Piece(f"{shown.line(c.source_id)}: this source is not in the database", role="note"),)))
    p = reading.passages
    if p.passages:
        more = f" (the first {len(p.passages)} marked; {p.more} more)" if p.more else ""
        rows.append(Row((Piece(f"{len(p.passages) + p.more} passages cited {p.citations} times{more}: "
                               "n and N go from one to the next; under each, the records citing it.",
                               role="note"),)))
    if p.not_found:
        rows.append(Row((Piece(f"{p.not_found} citations quote text not found here.", role="note"),)))
    if not reading.found:
        rows.append(Row((Piece("Quote (not found in the stored text): ", role="label"),
                         Piece(shown.line(c.quote))), hang=2))
    if of is not None and of[1] > 1:
        rows.append(Row((Piece(f"Passage {of[0]} of the {of[1]} this link is cited to: s shows the next.",
                               role="note"),)))
    return rows


class SourceScreen(ModalScreen[bool | str]):
    """A source's text with its passages marked, scrolled to the one asked for.

    Closes with True (`s`: the next passage the link is cited to, given `of`), with an entity
    id (Enter on a record citing the passage: go there), or with nothing.
    """

    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="source.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="source.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="source.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="source.page_down"),
        Binding("pageup,b", "page(-1)", "Page up", show=False, id="source.page_up"),
        Binding("g,home", "edge(0)", "Top", show=False, id="source.top", tooltip="To the top: the source's title"),
        Binding("G,end", "edge(1)", "Bottom", show=False, id="source.bottom"),
        Binding("n", "passage(1)", "Next passage", id="source.next_passage",
                tooltip="To the next passage cited from this source"),
        Binding("N", "passage(-1)", "Previous passage", id="source.previous_passage",
                tooltip="To the previous passage cited from this source"),
        Binding("tab", "citer(1)", "Next record", show=False, id="source.next_record",
                tooltip="Mark the next record citing this passage (shift+Tab: the previous)"),
        Binding("shift+tab", "citer(-1)", "Previous record", show=False, id="source.previous_record"),
        Binding("enter", "go", "Go to record", id="source.go",
                tooltip="Close the source and go to the marked record citing this passage"),
        Binding("s", "next", "Next of link", show=False, id="source.next",
                tooltip="The next passage the link is cited to (from a link's s)"),
        Binding("y", "copy_passage", "Copy", id="source.copy",
                tooltip="Copy the passage with its citation (by OSC 52: see the README for tmux)"),
        Binding("o", "open_address", "Open", id="source.open",
                tooltip="Open the source's address in the browser (over SSH: copy it)"),
    ]

    def __init__(self, kb: KnowledgeBase, reading: Reading, of: tuple[int, int] | None = None,
                 links: bool = True) -> None:
        super().__init__()
        self.kb, self.reading, self._of = kb, reading, of
        self.view = SourceView(header_rows(reading, of), reading.blocks, reading.passages.passages,
                               reading.current, links=links, at=reading.at, id="source-view")
        if reading.current is not None and reading.citers is not None:
            self.view.citers[reading.current] = reading.citers

    def compose(self) -> ComposeResult:
        with Vertical(id="source-box") as box:
            source = self.reading.source
            title = source.title if source else self.reading.citation.source_title
            publisher = f" - {shown.line(source.publisher)}" if source and source.publisher else ""
            # the publisher before the title, which a narrow box cuts: pages checked for one fact share a title
            box.border_title = Content(f"Source{publisher}: {shown.line(title)}")
            yield self.view

    def on_mount(self) -> None:
        self._subtitle()
        self.view.focus()
        self.call_after_refresh(self.view.show_current)

    @property
    def current_quote(self) -> str:
        """The text of the current passage ('' where none is cited)."""
        view, source = self.view, self.reading.source
        if view.current is None or source is None or not source.text:
            return ""
        passage = self.reading.passages.passages[view.current]
        return source.text[passage.offset:passage.offset + passage.length]

    def _subtitle(self) -> None:
        box = self.query_one("#source-box")
        passages = self.reading.passages.passages
        where = f"passage {self.view.current + 1}/{len(passages)} - n N - " if self.view.current is not None else ""
        box.border_subtitle = Content(f"{where}y copy - o open - Esc closes")

    # --- moving ------------------------------------------------------------------

    def action_scroll(self, delta: int) -> None:
        self.view.scroll_to(y=self.view.scroll_y + delta, animate=False, immediate=True, force=True)

    def action_page(self, direction: int) -> None:
        height = max(self.view.scrollable_content_region.height - 1, 1)
        self.view.scroll_to(y=self.view.scroll_y + direction * height, animate=False, immediate=True, force=True)

    def action_edge(self, end: int) -> None:
        """To the top of the source (its title), or to its end; as g and G do in the panes."""
        self.view.scroll_to(y=self.view.max_scroll_y if end else 0, animate=False, immediate=True, force=True)

    def action_passage(self, delta: int) -> None:
        passages = self.reading.passages.passages
        if not passages:
            self.notify("No passage of this source is cited", timeout=3)
            return
        current = self.view.current
        if current is None:  # opened at a line no passage is cited in: the nearest one after (or before) it
            after = bisect_left([p.offset for p in passages], self.reading.at)
            index = (after if delta > 0 else after - 1) % len(passages)
        else:
            index = (current + delta) % len(passages)
        if current is not None and (current + delta) // len(passages):
            self.notify("Back to the first passage" if delta > 0 else "To the last passage", timeout=2)
        self.view.set_current(index)
        self._subtitle()
        if index not in self.view.citers:
            self._read_citers(index)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)  # its workers' errors reach the app (the event does not bubble)

    @work(thread=True, group="citers", exit_on_error=False)
    def _read_citers(self, index: int) -> None:
        passages = self.reading.passages
        found = self.kb.passage_citers(list(passages.sources), passages.passages[index].offset)
        self.app.call_from_thread(self.view.set_citers, index, found)

    def action_citer(self, delta: int) -> None:
        if not self.view.move_citer(delta):
            self.notify("No record to mark here", timeout=2)

    def action_go(self) -> None:
        record = self.view.citing()
        if record is None:
            self.notify("No record cites a passage here (or they are still being read)", timeout=3)
            return
        self.dismiss(record.ref)

    def action_next(self) -> None:
        if self._of is not None and self._of[1] > 1:
            self.dismiss(True)
        else:
            self.notify("No other passage: this is the only one cited here", timeout=3)

    # --- copy and open -------------------------------------------------------------

    def action_copy_passage(self) -> None:
        reading, view = self.reading, self.view
        source = reading.source
        text = (source.text if source else None) or ""
        if view.current is None or source is None:
            copied = copying.citation_text(reading.citation)
        else:
            passage = reading.passages.passages[view.current]
            cited_by = reading.passages.sources.get(passage.source_id)
            quote = text[passage.offset:passage.offset + passage.length]
            document = reading.passages.sources.get(source.document)
            line = text.count("\n", 0, passage.offset) + 1
            copied = copying.passage_text(quote, cited_by or source, line, document)
        copying.copy(self.app, copied)

    def action_open_address(self) -> None:
        reading, view = self.reading, self.view
        address = None
        if view.current is not None:
            passage = reading.passages.passages[view.current]
            cited_by = reading.passages.sources.get(passage.source_id)
            address = cited_by.address if cited_by is not None else None
        if not address and reading.source is not None:
            address = reading.source.address
        copying.open_address(self.app, address)
