"""A list pane that pages its rows from the database as they scroll into view.

It never holds more than a few pages of rows, so a million events open as fast as forty:
the built-in list widgets measure every row before their first frame (seconds at 100k
rows: benchmarks/README.md and TECH-NOTES).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from textual import events, on, work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.signal import Signal
from textual.strip import Strip

from ...db.filters import describe
from ...db.queries import KnowledgeBase
from ...db.records import EntityRow, FilterMatches, PaneFilter
from .. import shown
from ..outline import row_date
from .row_view import RowView, fit, keep_in_view, set_rows

PAGE = 256
MAX_PAGES = 32
DATE_WIDTH = 12
KIND_WIDTH = 14


def via_label(row: EntityRow) -> str:
    """How a rolled-up row names whom it came through: a person by the last word of the name
    ("via Lavrov", as people say it; the detail names them in full), anything else by its name."""
    name = " ".join(row.name.split())
    return name.rsplit(" ", 1)[-1] if row.kind == "person" and name else name


class EntityList(RowView, can_focus=True):
    """The rows of one entity type, in display order, with a cursor."""

    COMPONENT_CLASSES = {"entity-list--cursor", "entity-list--date", "entity-list--placeholder"}

    pack: var[str | None] = var(None, init=False)
    """The crisis (pack id) whose rows the pane shows, or None for every crisis's."""

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, id="list.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="list.up"),
        Binding("pagedown,ctrl+f,space", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("home,g", "jump(0)", "First", show=False, id="list.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("enter", "open", "Open", key_display="Enter", show=False, id="list.open",
                tooltip="Open the entity under the cursor"),
    ]

    @dataclass
    class Highlighted(Message):
        """The cursor rests on a row (the detail pane previews it)."""

        entity_list: EntityList
        row: EntityRow

    @dataclass
    class Opened(Message):
        """Enter was pressed on a row."""

        entity_list: EntityList
        row: EntityRow

    @dataclass
    class _Loaded(Message):
        entity_list: EntityList
        page: int
        rows: list[EntityRow]
        count: int | None
        generation: int
        matches: FilterMatches | None = None
        via: dict[int, str] | None = None

    def __init__(self, entity_type: str, title: str, kb: KnowledgeBase, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kb = kb
        self.entity_type = entity_type
        self.title = title
        self.border_title = title
        self.pane_filter: PaneFilter | None = None  # set_filter(): what the pane is narrowed to
        self._matches: FilterMatches | None = None  # the rows it lets through, once read
        self._via: dict[int, str] = {}  # a rolled-up row's id -> the name of whom it came through
        self.count: int | None = None
        self.cursor = 0
        self._pages: dict[int, list[EntityRow]] = {}
        self._pending: set[int] = set()
        self._announce = False
        self._generation = 0  # bumped by reload(): pages read before it are dropped
        self._stale_count = False  # reload() began: `count` is the old one until the new one comes
        self.moved_signal: Signal[tuple[str, int, int]] = Signal(self, "moved")

    # --- data --------------------------------------------------------------------

    def on_mount(self) -> None:
        self._fetch(0, self.pack, with_count=True, flt=self.pane_filter)

    def reload(self) -> None:
        """Forget every row and fetch again (after the database changed)."""
        self._generation += 1
        self._stale_count = self.count is not None
        self._pages.clear()
        self._pending.clear()
        self._matches = None
        self._via.clear()
        self._show_title()
        self._fetch(0, self.pack, with_count=True, flt=self.pane_filter)

    def set_filter(self, flt: PaneFilter | None) -> None:
        """Narrow the pane to what `flt` lets through (None, or an empty filter: every row), from
        its first row; the title says the filter and, once read, how many rows it lets through."""
        self.pane_filter = flt if flt is not None and not flt.empty else None
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.count = None
        set_rows(self, 0)
        self.reload()

    def _show_title(self) -> None:
        """`N Title (count) │ filter`: the filter's entity name is data, so a Content, never markup."""
        if self.pane_filter is None:
            self.border_title = self.title
            return
        count = f"{self.count:,}" if self.count is not None else "…"  # first: a narrow pane cuts the end
        self.border_title = Content.assemble(self.title, f" ({count}) \u2502 ", (describe(self.pane_filter), "italic"))

    def index_of(self, entity_id: int, position: int | None) -> int | None:
        """The row an entity is on in this pane: `position` (its place in the unfiltered pane), or
        under a filter its place among the rows let through (None if it is not one of them)."""
        if self.pane_filter is None:
            return position
        matches = self._matches
        if matches is None:
            return None
        if matches.ids is not None:
            try:
                return matches.ids.index(entity_id)
            except ValueError:
                return None
        self._locate(matches, entity_id)  # rows not held: the cursor goes there once it is known
        return None

    @work(thread=True, exclusive=True, group="locate", exit_on_error=False)
    def _locate(self, matches: FilterMatches, entity_id: int) -> None:
        index = self.kb.filtered_index(matches, entity_id)
        if index is not None:
            self.app.call_from_thread(self._located, matches, index)

    def _located(self, matches: FilterMatches, index: int) -> None:
        if matches is self._matches:  # not since filtered otherwise, or reloaded
            self.move_to(index, announce=False)

    def watch_pack(self) -> None:
        """Another crisis (or all): its rows, from the first (the app then puts the cursor on the
        entity shown, if the crisis holds it)."""
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True, force=True)
        self.count = None  # "loading…" until the new count comes, not the old rows under a new title
        set_rows(self, 0)
        self.reload()

    @work(thread=True, group="pages", exit_on_error=False)
    def _fetch(self, page: int, pack: str | None, with_count: bool = False, flt: PaneFilter | None = None,
               matches: FilterMatches | None = None) -> None:
        kb = self.kb
        generation = self._generation
        if flt is None:
            count = kb.count(self.entity_type, pack) if with_count else None
            rows = kb.page(self.entity_type, page * PAGE, PAGE, pack)
            self.post_message(self._Loaded(self, page, rows, count, generation))
            return
        if matches is None:
            matches = kb.match(self.entity_type, flt, pack)
        found = kb.filtered_page(matches, page * PAGE, PAGE)
        via = {f.row.id: via_label(f.via) for f in found if f.via is not None}
        self.post_message(self._Loaded(self, page, [f.row for f in found], matches.count if with_count else None,
                                       generation, matches, via))

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # rows read before the database changed
        if message.matches is not None:
            self._matches = message.matches
        if message.via:
            self._via.update(message.via)
        if message.count is not None:
            self._stale_count = False
            self.count = message.count
            set_rows(self, message.count)
            self.cursor = min(self.cursor, max(message.count - 1, 0))
            if self.cursor:  # scrolled to once laid out; where the cursor is then (a visit may move it first)
                self.call_after_refresh(lambda: self.move_to(self.cursor, False))
            self._show_position()
            self._show_title()
        self._pending.discard(message.page)
        self._pages[message.page] = message.rows
        while len(self._pages) > MAX_PAGES:
            del self._pages[next(iter(self._pages))]
        self.refresh()
        row = self.row_at(self.cursor) if self._announce else None
        if row is not None:
            self._announce = False
            self.post_message(self.Highlighted(self, row))

    def row_at(self, index: int) -> EntityRow | None:
        """The row at `index` if its page is loaded; asks for the page otherwise."""
        if self.count is None or not 0 <= index < self.count:
            return None
        page = index // PAGE
        rows = self._pages.get(page)
        if rows is None:
            if page not in self._pending and (self.pane_filter is None or self._matches is not None):
                self._pending.add(page)
                self._fetch(page, self.pack, flt=self.pane_filter, matches=self._matches)
            return None
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    @property
    def current(self) -> EntityRow | None:
        return self.row_at(self.cursor)

    # --- drawing -----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.base_style
        if self.count is None:
            return Strip([Segment(" loading…".ljust(width)[:width], base)]) if y == 0 else Strip.blank(width, base)
        if self.count == 0:
            return Strip([Segment(" (none)".ljust(width)[:width], base)]) if y == 0 else Strip.blank(width, base)
        if index >= self.count:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            style = base + self.get_component_rich_style("entity-list--placeholder")
            return Strip([Segment(" …".ljust(width), style)]).crop(0, width)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("entity-list--cursor")
        dim = style + self.get_component_rich_style("entity-list--date", partial=True)
        if self.entity_type == "actor":
            first = shown.line(row.kind).ljust(KIND_WIDTH)[:KIND_WIDTH]
        else:
            first = row_date(row).ljust(DATE_WIDTH)[:DATE_WIDTH]
        segments = [Segment(" " + first, dim), Segment(" " + shown.line(row.name), style)]
        via = self._via.get(row.id)
        if via is None:
            return fit(segments, width, style)
        # A row a filter's roll-up found through a member or office-holder says so at its end,
        # whatever the width: the name gives way first (up to 2/5 of the row for the mark).
        mark = f" via {shown.line(via)}"
        room = max(width * 2 // 5, 8)
        if cell_len(mark) > room:
            mark = Strip([Segment(mark)]).crop(0, room - 1).text + "\u2026"
        head = fit(segments, max(width - cell_len(mark), 0), style)
        return Strip.join([head, Strip([Segment(mark, dim)])]).crop(0, width)

    def _show_position(self) -> None:
        """Say where the cursor is (shown in place of a scrollbar: see app.tcss).

        A signal, not a message: subscribers update in the same frame as the cursor.
        """
        if self.count is not None:
            self.moved_signal.publish((self.entity_type, self.cursor, self.count))

    def on_resize(self) -> None:
        if self.count is not None:
            set_rows(self, self.count)
            keep_in_view(self, self.cursor)

    # --- moving ------------------------------------------------------------------

    def move_to(self, index: int, announce: bool = True) -> None:
        """Put the cursor on `index`, scroll it into view, and tell the app (unless told not to)."""
        if self.count is None or self._stale_count:
            # Placed and scrolled to when the count arrives. During a reload the old count must not
            # cut `index`: the entity shown may now sit past the old last row (rows added before it).
            self.cursor = max(index, 0)
            self._announce = self._announce or announce  # and told then (a key before the rows came)
            return
        if not self.count:
            return
        index = max(0, min(index, self.count - 1))
        old, self.cursor = self.cursor, index
        keep_in_view(self, index)
        self.refresh_line(old)
        self.refresh_line(index)
        self._show_position()
        if announce:
            row = self.row_at(index)
            if row is None:
                self._announce = True
            else:
                self.post_message(self.Highlighted(self, row))

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        height = max(self.scrollable_content_region.height - 1, 1)
        self.move_to(self.cursor + direction * height)

    def action_jump(self, index: int) -> None:
        self.move_to(index if index >= 0 else (self.count or 1) - 1)

    def action_open(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Opened(self, row))

    def on_click(self, event: events.Click) -> None:
        self.move_to(self.scroll_offset.y + event.y)

    def announce(self) -> None:
        """Tell the app which row the cursor is on (when the user turns to this pane)."""
        row = self.current
        if row is None:
            self._announce = True
        else:
            self.post_message(self.Highlighted(self, row))
