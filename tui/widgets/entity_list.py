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
from textual.worker import Worker

from ...db.filters import describe
from ...db.queries import KnowledgeBase
from ...db.records import EntityRow, FilterMatches, PaneFilter
from .. import shown
from ..messages import act_now, worker_failed
from ..outline import row_date
from .row_view import RowView, fit, set_rows
from .wrap import wrap_spans

PAGE = 256
MAX_PAGES = 32
DATE_WIDTH = 12
KIND_MAX = 12  # cells the kind column (actors, places) takes at most: the widest kind read, cut with …
KINDED = {"actor", "place"}  # panes whose first column is the kind (the others': the date)
NAME_LINES = 4  # lines the cursor row's name may wrap to (the rows below it move down)


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
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
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
        self._kind_width = 0  # the widest kind of the rows read (at most KIND_MAX): the kind column
        self._extra = 0  # lines the cursor row's name wraps to beyond its first (rows below move down)
        self._wrapped: tuple[tuple, list[str]] | None = None  # (row id, width, most, via) -> its name's lines
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
        self._kind_width = 0
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

    def filtered_out(self, entity_id: int) -> bool:
        """True when the pane's filter is known not to let the entity through."""
        matches = self._matches if self.pane_filter is not None else None
        return matches is not None and matches.ids is not None and entity_id not in matches.ids

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)  # its workers' errors reach the app (the event does not bubble)

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
        self._extra = 0
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
            self.cursor = min(self.cursor, max(message.count - 1, 0))
            self._extra = 0
            set_rows(self, message.count)
            if self.cursor:  # scrolled to once laid out; where the cursor is then (a visit may move it first)
                self.call_after_refresh(lambda: self.move_to(self.cursor, False))
            self._show_position()
            self._show_title()
        self._pending.discard(message.page)
        self._pages[message.page] = message.rows
        while len(self._pages) > MAX_PAGES:
            del self._pages[next(iter(self._pages))]
        if self.entity_type in KINDED:
            widest = max((cell_len(shown.line(row.kind)) for row in message.rows), default=0)
            self._kind_width = max(self._kind_width, min(widest, KIND_MAX))
        self._lay_out()  # the cursor's row may have come with this page
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
        line = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.base_style
        if self.count is None:
            return Strip([Segment(" loading…".ljust(width)[:width], base)]) if y == 0 else Strip.blank(width, base)
        if self.count == 0:
            return Strip([Segment(" (none)".ljust(width)[:width], base)]) if y == 0 else Strip.blank(width, base)
        index, part = self.row_of_line(line)
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
        first_width = self._first_width()
        if index == self.cursor and self._extra:  # its name wrapped under itself, the first column blank after
            names = self._name_lines(row)
            name = names[part] if part < len(names) else ""
            first = self._first(row, first_width) if part == 0 else " " * first_width
            return Strip([Segment(" " + first, dim), Segment(" " + name, style)]).extend_cell_length(width, style)
        segments = [Segment(" " + self._first(row, first_width), dim), Segment(" " + shown.line(row.name), style)]
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

    def _first_width(self) -> int:
        """Cells of the first column: a date, or (actors, places) the widest kind read and a space."""
        return self._kind_width + 1 if self.entity_type in KINDED else DATE_WIDTH

    def _first(self, row: EntityRow, width: int) -> str:
        """A row's first column: its kind (cut with … past the column), or its date."""
        if self.entity_type not in KINDED:
            return row_date(row).ljust(width)[:width]
        kind = shown.line(row.kind)
        if cell_len(kind) > width - 1:
            kind = kind[:max(width - 2, 0)] + "…"
        return kind.ljust(width)[:width]

    def _name_lines(self, row: EntityRow) -> list[str]:
        """The cursor row's name wrapped to the name column: one line if it fits, at most
        NAME_LINES (or half the pane's height), the last cut with … if it is longer still."""
        room = max(self.scrollable_content_region.width - 2 - self._first_width(), 1)
        most = min(NAME_LINES, max(self.scrollable_content_region.height // 2, 1))
        via = self._via.get(row.id)
        key = (row.id, room, most, via)
        if self._wrapped is not None and self._wrapped[0] == key:
            return self._wrapped[1]
        name = shown.line(row.name)
        mark = f"via {shown.line(via)}" if via is not None else ""  # whom a roll-up found it through: kept whole
        whole = f"{name} {mark}" if mark else name
        if cell_len(whole) <= room:
            lines = [whole]
        else:
            lines = ["".join(segment.text for segment in line) for line in wrap_spans([(name, None)], room)]
            if mark:
                if cell_len(lines[-1]) + 1 + cell_len(mark) <= room:
                    lines[-1] += " " + mark
                else:
                    lines.append(mark if cell_len(mark) <= room else mark[:max(room - 1, 0)] + "…")
            if len(lines) > most:
                last = lines[most - 1]
                while last and cell_len(last) > room - 1:
                    last = last[:-1]
                lines = [*lines[:most - 1], last + "…"]
        self._wrapped = key, lines
        return lines

    def _lay_out(self) -> None:
        """Give the cursor's row as many lines as its name needs (rows below it move down)."""
        if not self.count:
            return
        row = self.row_at(self.cursor)
        extra = len(self._name_lines(row)) - 1 if row is not None and self.scrollable_content_region.width else 0
        if extra != self._extra:
            self._extra = extra
            set_rows(self, self.count + extra)
            self.refresh()

    def row_of_line(self, line: int) -> tuple[int, int]:
        """Which row a line of the pane shows, and which of its lines (the cursor's name may wrap)."""
        if line <= self.cursor:
            return line, 0
        if line <= self.cursor + self._extra:
            return self.cursor, line - self.cursor
        return line - self._extra, 0

    def _keep_cursor_in_view(self) -> None:
        """Scroll the least that shows every line of the cursor's row (its first, if not all fit)."""
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top, first, last = self.scroll_offset.y, self.cursor, self.cursor + self._extra
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True, force=True)
        elif last >= top + height:
            self.scroll_to(y=min(first, last - height + 1), animate=False, immediate=True, force=True)

    def _show_position(self) -> None:
        """Say where the cursor is (shown in place of a scrollbar: see app.tcss).

        A signal, not a message: subscribers update in the same frame as the cursor.
        """
        if self.count is not None:
            self.moved_signal.publish((self.entity_type, self.cursor, self.count))

    def on_resize(self) -> None:
        if self.count is not None:
            self._lay_out()
            set_rows(self, self.count + self._extra)
            self._keep_cursor_in_view()

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
        old, old_extra, self.cursor = self.cursor, self._extra, index
        self._lay_out()
        self._keep_cursor_in_view()
        # Repaint what changed: from the upper of the two rows to the end of the lower (its name
        # wrapped); past it, rows stay on their lines unless the wrapped row's height changed.
        low, high = min(old, index), max(old, index) + self._extra
        if old_extra != self._extra:
            high = self.scroll_offset.y + self.scrollable_content_region.height
        if index == old or (not old_extra and not self._extra):
            self.refresh_line(old)
            self.refresh_line(index)
        else:
            self.refresh_lines(low, max(high - low + 1, 1))
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
            act_now(self, self.Opened(self, row))

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)  # inside the border (the pane's y counts it)
        if at is not None and self.count:
            index = self.row_of_line(self.scroll_offset.y + at.y)[0]
            if index < self.count:
                self.move_to(index)

    def announce(self) -> None:
        """Tell the app which row the cursor is on (when the user turns to this pane)."""
        row = self.current
        if row is None:
            self._announce = True
        else:
            self.post_message(self.Highlighted(self, row))
