"""The bookmarks as rows: name, type, date added, and the first line of the note.

Drawn row by row from the bookmarks held (a RowView, as the entity lists are): Textual's
list widgets measure every row before their first frame, seconds for 10,000 bookmarks.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...db.records import EntityRow
from ...db.state import Bookmark
from .. import shown
from .row_view import RowView, fit, keep_in_view, set_rows

TYPE_WIDTH, DATE_WIDTH = 10, 12
DIM, BOLD = Style(dim=True), Style(bold=True)
EMPTY = "No bookmarks yet: m bookmarks the entity shown."
Entry = tuple[Bookmark, EntityRow | None]  # a bookmark and its entity (None: gone from the knowledge base)


def name_width(width: int) -> int:
    """The name column's width in a row `width` cells wide (the note has the rest)."""
    return max(12, (width - TYPE_WIDTH - DATE_WIDTH - 1) * 11 // 20)


def head_text(width: int) -> str:
    """The column titles, over the rows."""
    return f" {'Name':<{name_width(width)}}{'Type':<{TYPE_WIDTH}}{'Added':<{DATE_WIDTH}}Note"


class BookmarkList(RowView, can_focus=True):
    """Bookmarks with a cursor; the screen holding it opens and removes them."""

    COMPONENT_CLASSES = {"bookmark-list--cursor"}
    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, id="bookmarks.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="bookmarks.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="bookmarks.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="bookmarks.page_up"),
        Binding("home,g", "edge(0)", "First", show=False, id="bookmarks.first"),
        Binding("end,G", "edge(1)", "Last", show=False, id="bookmarks.last"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.entries: list[Entry] = []
        self.cursor = 0
        self.loaded = False

    def set_entries(self, entries: list[Entry], cursor: int = 0) -> None:
        self.entries, self.loaded = entries, True
        self.cursor = max(0, min(cursor, len(entries) - 1))
        set_rows(self, max(len(entries), 1))
        keep_in_view(self, self.cursor)
        self.refresh()

    @property
    def current(self) -> Entry | None:
        return self.entries[self.cursor] if self.entries else None

    def remove_current(self) -> None:
        """Drop the row under the cursor (its bookmark removed), the cursor on the next one."""
        if self.entries:
            del self.entries[self.cursor]
            self.set_entries(self.entries, self.cursor)

    def action_move(self, delta: int) -> None:
        if not self.entries:
            return
        old, self.cursor = self.cursor, max(0, min(self.cursor + delta, len(self.entries) - 1))
        keep_in_view(self, self.cursor)
        self.refresh_line(old)
        self.refresh_line(self.cursor)

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(self.scrollable_content_region.height - 1, 1))

    def action_edge(self, end: int) -> None:
        self.action_move(len(self.entries) if end else -len(self.entries))

    def on_resize(self) -> None:
        set_rows(self, max(len(self.entries), 1))
        keep_in_view(self, self.cursor)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        style = self.base_style
        if not self.entries:
            text = (EMPTY if self.loaded else "Reading the bookmarks...") if index == 0 else ""
            return fit([Segment(" " + text, style + DIM)], width, style)
        if index >= len(self.entries):
            return Strip.blank(width, style)
        if index == self.cursor:
            style = style + self.get_component_rich_style("bookmark-list--cursor")
        mark, row = self.entries[index]
        names = name_width(width)
        name = shown.line(row.name if row is not None else mark.name)
        gone = " (missing)" if row is None else ""  # said whatever the name's length
        room = names - 1 - len(gone)
        if cell_len(name) > room:
            name = set_cell_size(name, room - 1) + "\u2026"
        name += gone
        segments = [
            Segment(" " + set_cell_size(name, names), style + (BOLD if row is not None else DIM)),
            Segment(f"{shown.line(row.type if row else mark.type):<{TYPE_WIDTH}}", style + DIM),
            Segment(f"{mark.added[:10]:<{DATE_WIDTH}}", style + DIM),
            Segment(shown.line(mark.note_line), style),
        ]
        return fit(segments, width, style)
