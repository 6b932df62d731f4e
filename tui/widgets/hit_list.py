"""The search results: two lines per hit, drawn straight from the hits (no per-row widgets).

An OptionList rebuilt on every keystroke measured and wrapped 50 rows and re-rendered them
through Content. These rows are drawn as segments: a hit's first line says what it is (an
entity's kind, name and date; a source's title and line), its second what matched and a
snippet of it, the matched words bold and underlined (offsets from the query layer, never
markup: they show without colour too).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip

from ...db.records import PassageHit, SearchHit
from .. import shown
from ..outline import hit_parts
from .row_view import RowView, fit, keep_in_view, set_rows

TYPE_WIDTH = 10
INDENT = 3  # the second line's, under the kind
LINES = 2  # rows a hit takes
DIM, BOLD = Style(dim=True), Style(bold=True)
MATCH = Style(bold=True, underline=True)

Found = SearchHit | PassageHit


def snippet_segments(label: str, snippet: str, spans: tuple[tuple[int, int], ...], style: Style) -> list[Segment]:
    """`label: snippet` with the spans of the snippet marked (the snippet is inert already)."""
    segments = [Segment(" " * INDENT + (f"{label}: " if label else ""), style + DIM)]
    at = 0
    for start, end in spans:
        if start < at or end > len(snippet):
            continue
        if start > at:
            segments.append(Segment(snippet[at:start], style))
        segments.append(Segment(snippet[start:end], style + MATCH))
        at = end
    if at < len(snippet):
        segments.append(Segment(snippet[at:], style))
    return segments


def passage_label(hit: PassageHit) -> str:
    return f"passage, line {hit.line}"


class HitList(RowView, can_focus=False):
    """Hits with a cursor; the search input keeps the focus and moves the cursor."""

    COMPONENT_CLASSES = {"hit-list--cursor"}

    @dataclass
    class Chosen(Message):
        """A hit was clicked."""

        hit: Found

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[SearchHit] = []
        self.passages: list[PassageHit] = []
        self.items: list[Found] = []  # the hits, then the passages: what the rows show
        self.cursor = 0

    def set_hits(self, hits: list[SearchHit], passages: list[PassageHit] | None = None) -> None:
        """Show entity `hits`, then source `passages`, the cursor on the first."""
        self.hits, self.passages = hits, list(passages or ())
        self.items = [*hits, *self.passages]
        self.cursor = 0
        set_rows(self, len(self.items) * LINES)
        self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.refresh()  # as many rows as before is no new size, and no repaint of its own

    @property
    def current(self) -> Found | None:
        return self.items[self.cursor] if self.items else None

    def move(self, delta: int) -> None:
        """Move the cursor by `delta` hits, keeping it in view."""
        if not self.items:
            return
        old, self.cursor = self.cursor, max(0, min(self.cursor + delta, len(self.items) - 1))
        keep_in_view(self, self.cursor * LINES + LINES - 1)
        keep_in_view(self, self.cursor * LINES)
        for line in range(LINES):
            self.refresh_line(old * LINES + line)
            self.refresh_line(self.cursor * LINES + line)

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        index, part = divmod(row, LINES)
        width = self.scrollable_content_region.width
        style = self.base_style
        if index >= len(self.items):
            return Strip.blank(width, style)
        if index == self.cursor:
            style = style + self.get_component_rich_style("hit-list--cursor")
        hit = self.items[index]
        dim, bold = style + DIM, style + BOLD
        if isinstance(hit, PassageHit):
            if part == 0:
                segments = [Segment(" " + f"{'source':<{TYPE_WIDTH - 1}}", dim), Segment(shown.line(hit.title), bold)]
            else:
                segments = snippet_segments(passage_label(hit), hit.snippet, hit.spans, style)
        elif part == 0:
            (kind, _), *rest = hit_parts(hit, TYPE_WIDTH - 1)
            segments = [Segment(" " + kind, dim),
                        *(Segment(text, bold if role == "name" else dim) for text, role in rest
                          if role != "alias")]  # the second line says which alias
        else:
            segments = snippet_segments(hit.field, hit.snippet, hit.spans, style)
        return fit(segments, width, style)

    def on_resize(self) -> None:
        set_rows(self, len(self.items) * LINES)

    def on_click(self, event: events.Click) -> None:
        index = (self.scroll_offset.y + event.y) // LINES
        if 0 <= index < len(self.items):
            self.move(index - self.cursor)
            self.post_message(self.Chosen(self.items[index]))
