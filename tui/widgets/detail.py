"""The detail view: one entity as lines where every link, position and citation can be
reached by keyboard and opened with Enter.

Each item is wrapped to the pane's width once, when the entity arrives (or the pane is
resized), and drawn from those lines; the cursor restyles only its own item. An OptionList
measured, wrapped and re-rendered every item through Content on each visit, most of what a
followed link cost (benchmarks/README.md); wrapping is `wrap.py`'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.strip import Strip

from ...db.records import CitationView, EntityDetail, EntityRow
from .. import shown
from ..messages import act_now
from ..outline import (
    Citation,
    Facts,
    Field,
    Line,
    Link,
    Note,
    Paragraph,
    Position,
    Title,
    citation_place,
    outline,
    row_date,
)
from .row_view import RowView, set_rows
from .wrap import Span, wrap_spans

if TYPE_CHECKING:  # db/state.py is read off the UI thread, after the first frame
    from ...db.state import Mine

DIM, BOLD, ITALIC = Style(dim=True), Style(bold=True), Style(italic=True)
MARK = Style(bold=True, reverse=True)  # the user's own: a bookmark, a note (reads without colour too)
HEADING = Style(bold=True, underline=True)
Target = EntityRow | CitationView


def row_label(row: EntityRow) -> str:
    date = row_date(row)
    return f"{shown.line(row.name)} ({row.type}{', ' + date if date else ''})"


@dataclass(frozen=True)
class Item:
    """One entry of the view: styled text, or a rule, and what Enter on it opens (if anything)."""

    spans: tuple[Span, ...] | None  # None draws a rule
    target: Target | None = None
    link: int | None = None  # on a link's line: the link, whose passage `s` shows
    line: Line | None = None  # the outline's line it draws (what `y` copies)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.spans or ())


def item(*parts: str | Span, target: Target | None = None, link: int | None = None) -> Item:
    return Item(tuple((p, None) if isinstance(p, str) else p for p in parts), target, link)


RULE = Item(None)


class Spot(NamedTuple):
    """Where a detail was left: the item under the cursor, the line at the top of the view, and
    whether the cursor was in view (after `g` it may not be: the top of the page is)."""

    item: int | None
    top: int
    in_view: bool = True


class DetailView(RowView, can_focus=True):
    """Shows an EntityDetail; Enter follows a link or opens a citation's source passage."""

    COMPONENT_CLASSES = {"detail--cursor"}

    BINDINGS = [
        Binding("down,j", "move(1)", "Down", show=False, id="detail.down"),
        Binding("up,k", "move(-1)", "Up", show=False, id="detail.up"),
        Binding("pagedown,space,ctrl+f", "page(1)", "Page down", show=False, id="detail.page_down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="detail.page_up"),
        Binding("home,g", "first", "Top", show=False, id="detail.first",
                tooltip="To the top of the page, the cursor on its first line that opens something"),
        Binding("end,G", "last", "End", show=False, id="detail.last",
                tooltip="To the end of the page, the cursor on its last line that opens something"),
        Binding("enter", "select", "Open", show=False, id="detail.select",
                tooltip="Follow the link, or show the quoted passage in its source"),
        Binding("s", "source", "Source", show=False, id="detail.source",
                tooltip="Show the passage in its source that the link (or citation) under the cursor is cited to"),
    ]

    @dataclass
    class Follow(Message):
        """Go to this entity."""

        ref: str

    @dataclass
    class ShowCitation(Message):
        """Show this passage in its source."""

        citation: CitationView

    @dataclass
    class ShowLinkSource(Message):
        """Show the passage this link is cited to."""

        link: int

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.items: list[Item] = []
        self.detail: EntityDetail | None = None  # the entity shown
        self.mine: Mine | None = None  # the user's bookmark and note on it (db/state.py)
        self.highlighted: int | None = None
        self._lines: list[tuple[int, Strip]] = []  # (item index, the line drawn without the cursor)
        self._spans: list[tuple[int, int]] = []  # first line and line count of each item
        self._width = 0

    # --- content -----------------------------------------------------------------

    def show(self, detail: EntityDetail, spot: Spot | None = None, mine: Mine | None = None) -> None:
        """Replace the view with `detail` (and the user's `mine` on it), the cursor on its first
        link, or where `spot` says (the line it was on and the top of the view when this entity
        was last left)."""
        self.border_title = Content(shown.line(detail.row.name))  # a Content: never read as markup
        self.detail, self.mine = detail, mine
        self.items = list(build_items(detail, mine))
        self.highlighted = next((i for i, item in enumerate(self.items) if item.target is not None), None)
        self._layout_lines()
        self.scroll_to(y=spot.top if spot else 0, animate=False, immediate=True, force=True)
        if spot is not None and spot.item is not None and spot.item < len(self.items) \
                and self.items[spot.item].target is not None:
            self.highlighted = spot.item
            if spot.in_view:  # (another width may have wrapped it elsewhere)
                self._keep_in_view(spot.item)
        self.refresh()
        self._show_extent()

    def show_mine(self, mine: Mine | None) -> None:
        """Show the entity again with the user's bookmark and note as they are now, the cursor
        kept on its line (the user's lines come before any line that opens something)."""
        if self.detail is None:
            return
        shift = len(mine_items(mine)) - len(mine_items(self.mine))
        spot = self.spot
        item = spot.item + shift if spot.item is not None else None
        self.show(self.detail, Spot(item, max(spot.top + (shift if spot.top else 0), 0), spot.in_view), mine)

    @property
    def spot(self) -> Spot:
        """Where the cursor and the view are, to come back to (`show`)."""
        top = round(self.scroll_y)
        return Spot(self.highlighted, top, self.highlighted is None or self._in_view(self.highlighted))

    def _in_view(self, index: int) -> bool:
        start, count = self._spans[index]
        top = self.scroll_offset.y
        return start < top + max(self.scrollable_content_region.height, 1) and start + count > top

    def _layout_lines(self) -> None:
        """Wrap every item to the current width (a hidden pane lays out for 80 columns)."""
        width = self.scrollable_content_region.width
        if width < 2:  # hidden (a terminal too small to show the panes): lay out for later
            width = 80
        self._width = width
        rule = Strip([Segment("─" * width, DIM)], width)
        lines: list[tuple[int, Strip]] = []
        spans: list[tuple[int, int]] = []
        for index, entry in enumerate(self.items):
            start = len(lines)
            if entry.spans is None:
                lines.append((index, rule))
            else:
                for segments in wrap_spans(list(entry.spans), width):
                    lines.append((index, Strip(segments).extend_cell_length(width)))
            spans.append((start, len(lines) - start))
        self._lines, self._spans = lines, spans
        set_rows(self, len(lines))

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if self.items and width >= 2 and width != self._width:
            self._layout_lines()
            if self.highlighted is not None:
                self._keep_in_view(self.highlighted)
        self._show_extent()

    # --- drawing -----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        base = self.base_style
        if index >= len(self._lines):
            return Strip.blank(self.scrollable_content_region.width, base)
        item, strip = self._lines[index]
        style = base
        if item == self.highlighted:
            style = base + self.get_component_rich_style("detail--cursor")
        return strip.apply_style(style)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._show_extent()

    def _show_extent(self) -> None:
        """Say in the bottom border whether there is more below (the pane has no scrollbar)."""
        most = self.virtual_size.height - self.scrollable_content_region.height
        top = round(self.scroll_y)
        if most <= 0:
            text = ""
        else:
            text = "more below" if top <= 0 else "end" if top >= most else f"{round(100 * top / most)}%"
        if self.border_subtitle != text:
            self.border_subtitle = text

    # --- moving ------------------------------------------------------------------

    def _selectable(self) -> list[int]:
        return [i for i, item in enumerate(self.items) if item.target is not None]

    def _highlight(self, index: int | None) -> None:
        old, self.highlighted = self.highlighted, index
        for item in (old, index):
            if item is not None:
                start, count = self._spans[item]
                for line in range(start, start + count):
                    self.refresh_line(line)
        if index is not None:
            self._keep_in_view(index)

    def _keep_in_view(self, index: int) -> None:
        start, count = self._spans[index]
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        if start < top:
            self.scroll_to(y=start, animate=False, immediate=True, force=True)
        elif start + count > top + height:
            self.scroll_to(y=min(start, start + count - height), animate=False, immediate=True, force=True)

    def action_move(self, delta: int) -> None:
        """To the next (or previous) line that opens something; past the last, scroll on."""
        choices = self._selectable()
        if self.highlighted is None or not choices:
            self.scroll_to(y=self.scroll_y + delta, animate=False, immediate=True, force=True)
            return
        start, count = self._spans[self.highlighted]
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        if (delta > 0 and start >= top + height) or (delta < 0 and start + count <= top):
            # the cursor is out of view (below a long summary): read on towards it first
            self.scroll_to(y=self.scroll_y + delta, animate=False, immediate=True, force=True)
            return
        at = choices.index(self.highlighted)
        if 0 <= at + delta < len(choices):
            self._highlight(choices[at + delta])
        else:  # text below the last link or above the first one stays reachable
            self.scroll_to(y=self.scroll_y + delta, animate=False, immediate=True, force=True)

    def action_page(self, direction: int) -> None:
        """Scroll a page and put the cursor on the first openable line in view."""
        height = max(self.scrollable_content_region.height - 1, 1)
        self.scroll_to(y=self.scroll_y + direction * height, animate=False, immediate=True, force=True)
        top = round(self.scroll_y)
        visible = [i for i in self._selectable() if top <= self._spans[i][0] < top + height + 1]
        if visible:
            old, self.highlighted = self.highlighted, visible[0] if direction > 0 else visible[-1]
            if old != self.highlighted:
                self.refresh()

    def action_first(self) -> None:
        """To the top of the page (the title, the summary), the cursor on its first openable line,
        as a page first shows: below a long summary that line is out of view until Down reads on."""
        self._to_edge(0)

    def action_last(self) -> None:
        """To the end of the page, the cursor on its last openable line."""
        self._to_edge(-1)

    def _to_edge(self, end: int) -> None:
        choices = self._selectable()
        old, self.highlighted = self.highlighted, choices[end] if choices else None
        bottom = max(len(self._lines) - self.scrollable_content_region.height, 0)
        self.scroll_to(y=0 if end == 0 else bottom, animate=False, immediate=True, force=True)
        if old != self.highlighted:
            self.refresh()

    def action_select(self) -> None:
        if self.highlighted is not None:
            self._open(self.items[self.highlighted].target)

    def action_source(self) -> None:
        """The source passage behind the line under the cursor: a link's, or a citation's own."""
        if self.highlighted is None:
            return
        entry = self.items[self.highlighted]
        if entry.link is not None:
            self.post_message(self.ShowLinkSource(entry.link))
        elif isinstance(entry.target, CitationView):
            self._open(entry.target)
        else:
            self.notify("Its sources are the numbered lines under it", timeout=3)

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)  # inside the border and padding (the pane's y counts the border)
        line = self.scroll_offset.y + at.y if at is not None else -1
        if 0 <= line < len(self._lines):
            item = self._lines[line][0]
            if self.items[item].target is not None:
                self._highlight(item)
                self._open(self.items[item].target)

    def _open(self, target: Target | None) -> None:
        if isinstance(target, EntityRow):
            act_now(self, self.Follow(target.ref))
        elif isinstance(target, CitationView):
            self.post_message(self.ShowCitation(target))


def mark_items(mine: Mine | None) -> list[Item]:
    """The bookmark's mark, under the entity's name."""
    if mine is None or not mine.bookmarked:
        return []
    return [item((" Bookmarked ", MARK), (f"  {mine.bookmarked[:10]}", DIM))]


def note_items(mine: Mine | None) -> list[Item]:
    """The user's note, said to be theirs, not a cited fact (after the head)."""
    if mine is None or not mine.note:
        return []
    return [RULE, item((" My note ", MARK), ("  yours, not a cited fact (e edits)", DIM)),
            item((shown.text(mine.note), ITALIC))]


def mine_items(mine: Mine | None) -> list[Item]:
    """Every line of the user's own (all before the first line that opens something)."""
    return mark_items(mine) + note_items(mine)


def build_items(d: EntityDetail, mine: Mine | None = None) -> Iterator[Item]:
    """The lines of one entity, as `outline` lays them out, styled for the pane; the user's own
    (`mine`): the bookmark's mark under the name, the note after the head."""
    for number, section in enumerate(outline(d)):
        if number == 1:
            yield from note_items(mine)
        if number:
            yield RULE
        if section.title:
            yield item((f"{section.title} ({section.total})" if section.total else section.title, HEADING))
            if section.total > section.shown:
                yield item((f"showing the first {section.shown}", ITALIC))
        for line in section.lines:
            entry = line_item(line)
            yield Item(entry.spans, entry.target, entry.link, line)
            if isinstance(line, Title):
                yield from mark_items(mine)


def line_item(line: Line) -> Item:
    """One line of the outline as an entry of the view."""
    if isinstance(line, Link):
        link = line.link
        note = f"  - {link.note}" if link.note else ""
        crisis = f"  [{line.crisis}]" if line.crisis else ""
        return item((f"{link.label}: ", BOLD), row_label(link.other), (note, DIM), (crisis, DIM), target=link.other,
                    link=link.id)
    if isinstance(line, Citation):
        return citation_item(line.n, line.citation, indent=line.nested)
    if isinstance(line, Position):
        p = line.position
        head = f"{p.actor.name} {p.stance}: {p.topic}" + (f" ({line.date})" if line.date else "")
        return item((head, BOLD), "\n" + p.statement, ("\n-> " + line.target.name, DIM), target=line.target)
    if isinstance(line, Title):
        return item((shown.line(line.name), BOLD))
    if isinstance(line, Facts):
        return item((line.kind + (f"  {line.when}  ({line.precision})" if line.when else ""), ITALIC))
    if isinstance(line, Field):
        return item(f"{line.label}: {line.value}")
    if isinstance(line, Paragraph):
        return item(line.text)
    if isinstance(line, Note):
        return item("* " + line.text)
    raise TypeError(f"no entry for {line!r}")


def citation_item(n: int, c: CitationView, indent: bool = False) -> Item:
    mark = f"  [{n}] " if indent else f"[{n}] "
    return item((mark, BOLD), f'"{c.quote}"', (f" -- {citation_place(c)}", DIM), target=c)
