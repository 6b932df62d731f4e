"""A citation in context: the source's text with the quoted passage marked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...db.records import CitationView, SourceText
from ...db.text import inert
from .. import shown


def header(source: SourceText | None, citation: CitationView) -> Content:
    parts: list = [(shown.line(citation.source_id), "bold")]
    if source is not None and source.title:
        parts.append(f"  {shown.line(source.title)}")
    if citation.address:
        parts.append(f"\n{shown.line(citation.address)}")
    if citation.via:
        parts.append((f"\nQuoted via {shown.line(citation.via)}, which records this page's facts.", "italic"))
    return Content.assemble(*parts)


def split_passage(text: str, quote: str) -> tuple[str, Content, str]:
    """The text before the quote's paragraph, that paragraph with the quote marked, and the rest.

    Pack text, shown as text: controls escaped; the whole source is kept (it is read here).
    """
    at = text.find(quote)
    if at < 0:
        return "", Content.assemble(("Quote (not found in the stored text): ", "bold"), inert(quote)), ""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at + len(quote))
    end = len(text) if end < 0 else end
    paragraph = Content.assemble(inert(text[start:at]), (inert(quote), "bold reverse"),
                                 inert(text[at + len(quote):end]))
    return inert(text[:start].rstrip("\n")), paragraph, inert(text[end:].lstrip("\n"))


class SourceScreen(ModalScreen[bool]):
    """Shows where a quoted passage sits in its source, scrolled to it.

    Given `of` (this passage's number and how many a link has), `s` closes it asking for
    the next one (the result is True).
    """

    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close", id="source.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="source.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="source.up"),
        Binding("s,n", "next", "Next passage", show=False, id="source.next"),
        Binding("g,home", "edge(0)", "Top", show=False, id="source.top"),
        Binding("G,end", "edge(1)", "Bottom", show=False, id="source.bottom"),
    ]

    def __init__(self, source: SourceText | None, citation: CitationView, of: tuple[int, int] | None = None) -> None:
        super().__init__()
        self._of = of
        self._header = header(source, citation)
        self._parts = split_passage((source.text if source else None) or "", citation.quote)

    def compose(self) -> ComposeResult:
        before, paragraph, after = self._parts
        with VerticalScroll(id="source-box") as box:
            box.border_title = "Source - Esc closes"
            if self._of is not None and self._of[1] > 1:
                box.border_title = f"Source, passage {self._of[0]} of {self._of[1]} - s next, Esc closes"
            yield Static(self._header, id="source-header")
            yield Static(before, id="source-before", markup=False)
            yield Static(paragraph, id="source-passage")
            yield Static(after, id="source-after", markup=False)

    def on_mount(self) -> None:
        self.call_after_refresh(self._scroll_to_passage)

    def _scroll_to_passage(self) -> None:
        box = self.query_one("#source-box", VerticalScroll)
        box.scroll_to_widget(self.query_one("#source-passage"), top=True, animate=False)

    def action_next(self) -> None:
        if self._of is not None and self._of[1] > 1:
            self.dismiss(True)
        else:
            self.notify("No other passage: this is the only one cited here", timeout=3)

    def action_edge(self, end: int) -> None:
        """To the top of the source (its title), or to its end; as g and G do in the panes."""
        box = self.query_one("#source-box", VerticalScroll)
        box.scroll_end(animate=False) if end else box.scroll_home(animate=False)

    def action_scroll(self, delta: int) -> None:
        self.query_one("#source-box").scroll_relative(y=delta, animate=False, immediate=True)
