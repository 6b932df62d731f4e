"""The search results: one line per hit, drawn straight from the hits (no per-row widgets).

An OptionList rebuilt on every keystroke measured and wrapped 50 rows and re-rendered them
through Content. These rows are one line each, drawn as segments.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip

from ...db.records import SearchHit
from ..outline import hit_parts
from .row_view import RowView, fit, keep_in_view, set_rows

TYPE_WIDTH = 10
DIM, BOLD = Style(dim=True), Style(bold=True)


class HitList(RowView, can_focus=False):
    """Hits with a cursor; the search input keeps the focus and moves the cursor."""

    COMPONENT_CLASSES = {"hit-list--cursor"}

    @dataclass
    class Chosen(Message):
        """A hit was clicked."""

        hit: SearchHit

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hits: list[SearchHit] = []
        self.cursor = 0

    def set_hits(self, hits: list[SearchHit]) -> None:
        """Show `hits`, the cursor on the first."""
        self.hits = hits
        self.cursor = 0
        set_rows(self, len(hits))
        self.scroll_to(y=0, animate=False, immediate=True, force=True)

    @property
    def current(self) -> SearchHit | None:
        return self.hits[self.cursor] if self.hits else None

    def move(self, delta: int) -> None:
        """Move the cursor by `delta` rows, keeping it in view."""
        if not self.hits:
            return
        old, self.cursor = self.cursor, max(0, min(self.cursor + delta, len(self.hits) - 1))
        keep_in_view(self, self.cursor)
        self.refresh_line(old)
        self.refresh_line(self.cursor)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        style = self.base_style
        if index >= len(self.hits):
            return Strip.blank(width, style)
        if index == self.cursor:
            style = style + self.get_component_rich_style("hit-list--cursor")
        dim, bold = style + DIM, style + BOLD
        (kind, _), *rest = hit_parts(self.hits[index], TYPE_WIDTH - 1)
        segments = [Segment(" " + kind, dim), *(Segment(text, bold if role == "name" else dim) for text, role in rest)]
        return fit(segments, width, style)

    def on_resize(self) -> None:
        set_rows(self, len(self.hits))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.hits):
            self.move(index - self.cursor)
            self.post_message(self.Chosen(self.hits[index]))
