"""The main screen: a breadcrumb, the entity panes, the detail view and the key bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ...db.queries import KnowledgeBase
from ...db.records import EntityDetail, EntityRow, PackView, PaneFilter
from .. import shown
from ..path_mark import PathMark
from ..widgets.detail import DetailView, Spot
from ..widgets.entity_list import EntityList
from ..widgets.key_bar import KeyBar
from ..widgets.line import Line

if TYPE_CHECKING:  # db/state.py is read off the UI thread, after the first frame
    from ...db.state import Mine

PANES = (("event", "Events"), ("actor", "Actors"), ("agreement", "Agreements"), ("place", "Places"))
MIN_WIDTH, MIN_HEIGHT = 60, 14
WIDE_WIDTH, WIDE_HEIGHT = 120, 32


def too_small(size: Size) -> bool:
    """A terminal of this size cannot show the panes (the main screen says so, alone)."""
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def collapse(widget: Widget, collapsed: bool) -> None:
    """Fold a pane to nothing, or give it back its style sheet's size and border.

    Inline styles, not a class: see app.tcss.
    """
    if collapsed:
        widget.styles.height = 0
        widget.styles.border = ("none", "black")
    else:
        widget.styles.height = None
        widget.styles.border = None


class MainScreen(Screen):
    """Lists on the left (tabs when narrow, stacked when wide), the detail on the right."""

    BINDINGS = [
        Binding("1", "pane('event')", "Events", show=False, id="pane.events", tooltip="Show the events pane"),
        Binding("2", "pane('actor')", "Actors", show=False, id="pane.actors", tooltip="Show the actors pane"),
        Binding("3", "pane('agreement')", "Agreements", show=False, id="pane.agreements",
                tooltip="Show the agreements pane"),
        Binding("4", "pane('place')", "Places", show=False, id="pane.places", tooltip="Show the places pane"),
        Binding("l,right", "focus_detail", "Detail", show=False, id="pane.detail",
                tooltip="Move to the detail pane"),
        Binding("h,left,escape", "focus_list", "Lists", show=False, id="pane.list",
                tooltip="Move back to the list"),
        Binding("z", "zoom", "Zoom", show=False, id="pane.zoom",
                tooltip="Zoom: the focused pane alone on the screen, to read (z or Esc gives the others back)"),
        Binding("F", "filter", "Filter", show=False, id="pane.filter",
                tooltip="Filter the pane: participant: Russia +members, kind:, from:, to:, crisis:"),
        Binding("x", "clear_filter", "Clear filter", show=False, id="pane.clear_filter",
                tooltip="Show every row of the pane again"),
        Binding("r", "related", "Related", show=False, id="pane.related",
                tooltip="Filter the other panes to what is linked to the entity shown"),
        Binding("a", "neighbourhood", "Around", show=False, id="pane.neighbourhood",
                tooltip="The neighbourhood of the entity shown: its links out to two hops, as a tree"),
        Binding("p", "path", "Path", show=False, id="pane.path",
                tooltip="Mark the entity shown as the start of a path; p on another shows the paths from the mark "
                        "to it (p on the marked one clears the mark)"),
    ]
    # What a zoomed pane leaves on the screen (Textual's maximized view): the key bar (docked; the
    # breadcrumb and tabs lines would be laid out under the pane, not above it).
    ALLOW_IN_MAXIMIZED_VIEW = "KeyBar"

    crisis: var[str | None] = var(None, init=False)
    """The crisis (pack id) every pane shows, or None for all of them (the panes follow it)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        super().__init__()
        self.active = "event"
        self._crisis_label: tuple[str, bool] = ("", False)  # what the tabs line says of the crisis shown
        self._crumb_parts: tuple[str, str] | None = None
        self._focus_before_tiny: Widget | None = None
        self._zoom_before_tiny: Widget | None = None
        self._positions: dict[str, tuple[int, int]] = {}
        self.shown_row: EntityRow | None = None
        self.kb = kb
        self.path_mark = PathMark()  # the start of a path (`p`)
        # Kept at hand: a DOM query matches selectors against every node, several per visit.
        self.crumbs, self.tabs, self.detail = Line(id="crumbs"), Line(id="tabs"), DetailView(id="detail")
        self.lists = {entity_type: EntityList(entity_type, f"{n} {title}", kb, id=f"list-{entity_type}")
                      for n, (entity_type, title) in enumerate(PANES, start=1)}

    def compose(self) -> ComposeResult:
        yield self.crumbs
        yield self.tabs
        with Horizontal(id="body"):
            with Vertical(id="lists"):
                for entity_list in self.lists.values():
                    yield entity_list.data_bind(pack=MainScreen.crisis)
            yield self.detail
        yield Static(id="too-small")
        yield KeyBar()

    def on_mount(self) -> None:
        for entity_list in self.lists.values():
            entity_list.moved_signal.subscribe(self, self._moved, immediate=True)
        self._show_pane("event", focus=True)
        self.detail.border_title = "Detail"

    # --- panes -------------------------------------------------------------------

    def list_for(self, entity_type: str) -> EntityList | None:
        return self.lists.get(entity_type)

    def focus_pane(self, entity_type: str) -> None:
        """Show a pane (an entity type's) and give it the focus, without previewing its row."""
        if entity_type in self.lists:
            self._show_pane(entity_type, focus=True)

    def _show_pane(self, entity_type: str, focus: bool) -> None:
        self.active = entity_type
        for entity_list in self.lists.values():
            shown = entity_list.entity_type == entity_type or self.is_wide
            if shown != entity_list.can_focus:  # restyled only when it changes: each restyle repaints
                collapse(entity_list, not shown)
                entity_list.can_focus = shown  # collapsed panes are skipped by Tab
        self._render_tabs()
        hidden_has_focus = isinstance(self.focused, EntityList) and not self.focused.can_focus
        if focus or hidden_has_focus:  # a collapsed pane never keeps the focus
            self.set_focus(self.list_for(entity_type))  # at once, like every focus move here

    def show_crisis(self, pack: PackView | None, packs: int) -> None:
        """Narrow every pane to `pack`'s crisis, or show all (None) of the `packs` the database
        holds; the tabs line names it (with one crisis or none, it says nothing)."""
        if pack is not None:
            self._crisis_label = (shown.line(pack.title), True)
        else:
            self._crisis_label = ("All crises" if packs > 1 else "", False)
        self.crisis = pack.id if pack is not None else None
        self._render_tabs()

    def _render_tabs(self) -> None:
        """The pane tabs, the crisis shown, and where the cursor is in the active pane (the lists
        have no scrollbar). The crisis's title is data: a Content, never markup."""
        parts: list[str | tuple[str, str]] = []
        for n, (t, title) in enumerate(PANES, start=1):
            if parts:
                parts.append(" ")  # with the spaces inside each tab: three between titles
            parts.append((f" {n} {title} ", "reverse bold") if t == self.active else f" {n} {title} ")
        width = sum(len(title) + 4 for _, title in PANES) + (len(PANES) - 1)
        cursor, count = self._positions.get(self.active, (0, None))
        where = "" if count is None else f"{cursor + 1:,}/{count:,}" if count else "empty"
        room = self.size.width - 2 - width
        if len(where) >= room:
            where = ""
        label, narrowed = self._crisis_label
        gap = 2 if where else 0
        label_room = room - 1 - len(where) - gap  # a space after the last tab's own: two in all
        crisis = Content(label).truncate(label_room, ellipsis=True) if label and label_room >= 6 else Content("")
        if narrowed:
            crisis = crisis.stylize("bold")
        used = crisis.cell_length + (gap if crisis else 0) + len(where)
        self.tabs.text = Content.assemble(
            *parts, " " * max(room - used, 0), crisis,
            " " * gap if crisis else "", where,
        )

    def _moved(self, position: tuple[str, int, int]) -> None:
        entity_type, cursor, count = position
        self._positions[entity_type] = (cursor, count)
        if entity_type == self.active:
            self._render_tabs()

    def action_pane(self, entity_type: str) -> None:
        self._show_pane(entity_type, focus=True)
        self.lists[entity_type].announce()

    # Focus moves at once (`set_focus`), not after the next refresh (`focus()`): a key that
    # arrives with the one that moved it (pasted, or batched by SSH) goes where it was sent.
    def _refocus(self) -> None:
        """Give the focus back where it was before the terminal was too small (else to the list),
        and the zoom, if a pane was zoomed."""
        before, self._focus_before_tiny = self._focus_before_tiny, None
        zoomed, self._zoom_before_tiny = self._zoom_before_tiny, None
        if self.focused is None:
            self.set_focus(before if before is not None and before.focusable else self.list_for(self.active))
        if zoomed is not None and zoomed is self.focused and not self.is_tiny:
            self.maximize(zoomed, container=False)

    def action_focus_detail(self) -> None:
        self.set_focus(self.detail)

    def action_focus_list(self) -> None:
        self.set_focus(self.list_for(self.active))

    @on(EntityList.Highlighted)
    def _highlighted(self, message: EntityList.Highlighted) -> None:
        if message.entity_list.entity_type != self.active:
            self._show_pane(message.entity_list.entity_type, focus=False)

    # --- zoom: the focused pane alone (Textual's maximize), the key bar kept --------

    def action_zoom(self) -> None:
        """Zoom the focused pane to the whole screen, or give the others back."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is self.detail or isinstance(self.focused, EntityList):
            self.maximize(self.focused, container=False)

    def watch_maximized(self) -> None:
        self.refresh_bindings()  # the key bar says how to restore

    @on(events.DescendantFocus)
    def _zoom_follows_focus(self, event: events.DescendantFocus) -> None:
        """A pane given the focus while another is zoomed (l, h, a number, Enter) is zoomed instead."""
        widget = event.widget
        if self.maximized is not None and widget is not self.maximized \
                and (widget is self.detail or isinstance(widget, EntityList)):
            self.maximize(widget, container=False)

    # --- filters (issue #15): each pane keeps its own ----------------------------------

    def action_filter(self) -> None:
        """Open the filter prompt for the active pane, holding its filter to edit."""
        from ...db.filters import describe
        from .filter import FilterScreen

        pane = self.lists[self.active]
        text = describe(pane.pane_filter, names=False) if pane.pane_filter is not None else ""

        def chosen(flt: PaneFilter | None) -> None:
            if flt is not None:
                self.filter_pane(pane.entity_type, flt)

        self.app.push_screen(FilterScreen(pane.kb, pane.entity_type, pane.title, text), chosen)

    def action_clear_filter(self) -> None:
        pane = self.lists[self.active]
        row = self.shown_row
        if pane.pane_filter is None:
            self.notify("This pane has no filter to clear", timeout=2)
        elif row is not None and row.type == pane.entity_type:
            pane.set_filter(None)  # the whole pane again, its cursor on the entity shown (not its first row)
            self._show_pane(pane.entity_type, focus=True)
            self.app.visit(row.ref, remember=False, return_to=True)  # type: ignore[attr-defined]
        else:
            self.filter_pane(pane.entity_type, None)

    def action_related(self) -> None:
        """Filter the panes of the other types to what the entity shown links to, or is linked
        from (any relation), and show one of them: the pane in view, unless it is the entity's own."""
        row = self.shown_row
        if row is None:
            self.notify("No entity is shown", timeout=2)
            return
        others = [t for t in self.lists if t != row.type]
        flt = PaneFilter(related_to=row.ref, related_name=row.name)
        for entity_type in others:
            self.lists[entity_type].set_filter(flt)
        target = self.active if self.active in others else others[0]
        self._show_pane(target, focus=True)
        self.lists[target].move_to(0)
        self.notify(f"Every other pane shows what {shown.line(row.name)} is linked to: x clears a pane's filter",
                    timeout=4, markup=False)

    def filter_pane(self, entity_type: str, flt: PaneFilter | None) -> None:
        """Narrow a pane to `flt` (None: clear it), show it, and put the focus on it."""
        pane = self.lists[entity_type]
        pane.set_filter(flt)
        self._show_pane(entity_type, focus=True)
        pane.move_to(0)  # the detail follows to the first row let through, once it is read

    # --- the graph (issue #16): the neighbourhood (a), the paths between two (p) ------

    def action_neighbourhood(self) -> None:
        """Open the neighbourhood of the entity shown (under the crisis shown, if it states it)."""
        from .neighbourhood import NeighbourhoodScreen

        if self.shown_row is None:
            self.notify("No entity is shown", timeout=2)
            return
        self.app.push_screen(NeighbourhoodScreen(self.kb, self.shown_row, self.crisis),
                             self.app.go_to)  # type: ignore[attr-defined]

    def action_path(self) -> None:
        """Mark the entity shown as a path's start, clear the mark, or show the paths from it."""
        from .paths import PathsScreen

        done = self.path_mark.press(self.shown_row)
        if isinstance(done, str):
            self.notify(done, timeout=4, markup=False)
        elif self.shown_row is not None:
            self.app.push_screen(PathsScreen(self.kb, done, self.shown_row), self.app.go_to)  # type: ignore[attr-defined]

    # --- showing -----------------------------------------------------------------

    def show_detail(self, detail: EntityDetail, position: int | None, spot: Spot | None = None,
                    mine: Mine | None = None) -> None:
        """Show an entity (its cursor at `spot`, if given; the user's bookmark and note, `mine`)
        and put its pane's cursor on it, without another preview."""
        self.detail.show(detail, spot, mine)
        self.shown_row = detail.row  # what `r` relates the other panes to
        entity_list = self.list_for(detail.row.type)
        if entity_list is not None:
            position = entity_list.index_of(detail.row.id, position)  # its row under the pane's filter
            if position is None and entity_list.filtered_out(detail.row.id):  # its cursor stays elsewhere: say why
                self.notify(f"{shown.line(detail.row.name)} is not among the rows the filter of "
                            f"{entity_list.title} lets through (x there clears it)", timeout=4, markup=False)
        if entity_list is not None and position is not None:
            if not self.is_wide and entity_list.entity_type != self.active:
                self._show_pane(entity_list.entity_type, focus=False)
            entity_list.move_to(position, announce=False)

    def set_crumbs(self, prefix: str, trail: str) -> None:
        """Show where we are; when it does not fit, the start of the trail gives way."""
        self._crumb_parts = (prefix, trail)  # cut again to the width after a resize
        room = max(self.size.width - 2 - len(prefix), 10)
        if len(trail) > room:
            trail = "..." + trail[-(room - 3):]
        self.crumbs.text = Content(prefix + trail)  # names as written: never read as markup

    # --- size --------------------------------------------------------------------

    @property
    def is_wide(self) -> bool:
        return self.has_class("-wide")

    @property
    def is_tiny(self) -> bool:
        """The terminal is too small to show the panes (only a line saying so is shown)."""
        return self.has_class("-tiny")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.is_tiny  # keys that would act on panes nobody can see do nothing

    def on_resize(self) -> None:
        width, height = self.size
        tiny = too_small(self.size)
        if tiny and not self.is_tiny:
            if self.focused is not None:
                self._focus_before_tiny = self.focused  # the panes are hidden, and lose the focus
            if self.maximized is not None:  # the line saying it is too small shows alone
                self._zoom_before_tiny = self.maximized
                self.minimize()
        self.set_class(tiny, "-tiny")
        wide = not tiny and width >= WIDE_WIDTH and height >= WIDE_HEIGHT
        if wide != self.is_wide:
            self.set_class(wide, "-wide")
            self._show_pane(self.active, focus=False)
        if not tiny:
            self._render_tabs()
            if self._crumb_parts is not None:
                self.set_crumbs(*self._crumb_parts)
        if not tiny and (self.focused is None or self._zoom_before_tiny is not None):
            self.call_after_refresh(self._refocus)
        if tiny:
            self.query_one("#too-small", Static).update(
                f"Terminal too small ({width}x{height}): crisis-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}. "
                "Enlarge the window, or press q to quit."
            )
