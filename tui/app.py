"""The explorer app: composes the main screen and routes every navigation through `visit()`."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from ..db.errors import DatabaseError
from ..db.location import is_postgres
from ..db.queries import KnowledgeBase
from ..db.records import CitationView, PackView
from . import shown
from .history import History
from .keeping import Keeper
from .messages import DetailLoaded, Failed
from .screens.main import MainScreen, too_small
from .widgets.detail import DetailView, Spot
from .widgets.entity_list import EntityList

if TYPE_CHECKING:  # the modal screens are imported as they open: none is needed for the first frame
    from ..db.state import Place, UserState
    from .screens.search import SearchChoice

PREVIEW_DELAY = 0.06  # seconds the cursor rests on a row before the detail pane follows it
COLLECT_EVERY = 1.0  # seconds between collections of the young generations (see calm_collector)
TINY_BLOCKED = {"search", "step_hit", "go_back", "forward", "history", "help", "command_palette", "crisis",
                "copy_item", "open_address", "bookmark", "bookmarks", "note", "timeline"}
WATCH_EVERY = 2.0  # seconds between looks at whether another process changed the database (SQLite)
LISTEN_SLICE = 0.25  # PostgreSQL: longest wait for a notification before looking whether the app is quitting


def entity_provider():
    """The command palette's entity search, imported when the palette first opens.

    The modal screens are imported where they open, too: none is needed for the first frame.
    """
    from .commands import EntityProvider

    return EntityProvider


def crisis_provider():
    """The command palette's "Show crisis: ..." commands, imported when the palette first opens."""
    from .commands import CrisisProvider

    return CrisisProvider


# Timer callbacks are Python functions: Textual inspects a callback's signature when it
# fires, and a built-in such as `gc.collect` made that raise 30 s after every launch.
def collect_young() -> None:
    """Collect the young generations (most cycles die young)."""
    gc.collect(1)


def collect_all() -> None:
    """Collect everything, now and then."""
    gc.collect()


def calm_collector(app: App) -> None:
    """Keep Python's cycle collector out of key presses.

    Everything made up to the first frame (Textual's widgets, styles, the modules) lives as
    long as the app, yet collections walked it again and again, and the automatic ones fell
    inside key presses (the pauses that set the p95 of following a link). So: freeze
    what exists, turn automatic collection off, and collect on a timer instead, where a
    key rarely lands (the lines and strips of each visit are freed by reference counting;
    only cycles wait for the timer).
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    app.set_interval(COLLECT_EVERY, collect_young, name="collect-young")
    app.set_interval(COLLECT_EVERY * 30, collect_all, name="collect-all")


def no_colour() -> bool:
    """True when the user asked for no colour (NO_COLOR set, as Textual reads it: even empty)."""
    return "NO_COLOR" in os.environ


def few_colours() -> bool:
    """True on terminals that show 16 colours (TERM=xterm, TERM=linux) rather than 256 or more."""
    term = os.environ.get("TERM", "")
    return os.environ.get("COLORTERM", "") not in ("truecolor", "24bit") and "256" not in term


class CrisisApp(App[None]):
    """Explore one crisis database by keyboard."""

    TITLE = "crisis-tui"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {entity_provider, crisis_provider}
    BINDINGS = [
        Binding("slash", "search", "Search", id="app.search",
                tooltip="Search everything, sources too; the last search comes back selected (typing replaces it)"),
        Binding("n", "step_hit(1)", "Next hit", show=False, id="app.next_hit",
                tooltip="Go to the next hit of the last search"),
        Binding("N", "step_hit(-1)", "Previous hit", show=False, id="app.previous_hit",
                tooltip="Go to the previous hit of the last search"),
        Binding("b,backspace", "go_back", "Back", id="app.back", tooltip="Go back to the previous entity"),
        Binding("f", "forward", "Forward", id="app.forward", tooltip="Go forward again"),
        Binding("H", "history", "History", show=False, id="app.history", tooltip="Show where you have been"),
        Binding("c", "crisis", "Crisis", show=False, id="app.crisis",
                tooltip="Show one crisis in every pane; again for the next, then all (back keeps it)"),
        Binding("y", "copy_item", "Copy", show=False, id="app.copy",
                tooltip="Copy the focused thing by OSC 52: an id, a link, a quote with its citation "
                        "(tmux needs set-clipboard on; some terminals, e.g. macOS Terminal, ignore it)"),
        Binding("o", "open_address", "Open", show=False, id="app.open",
                tooltip="Open the address of the source under the cursor in the browser (over SSH: copy it)"),
        Binding("m", "bookmark", "Bookmark", show=False, id="app.bookmark",
                tooltip="Bookmark the entity shown, or remove its bookmark"),
        Binding("B", "bookmarks", "Bookmarks", show=False, id="app.bookmarks",
                tooltip="List the bookmarks: Enter opens one, d removes one"),
        Binding("e", "note", "Note", show=False, id="app.note",
                tooltip="Write your own note on the entity shown (shown in its detail, marked as yours)"),
        Binding("t", "timeline", "Timeline", id="app.timeline",
                tooltip="The crisis's events on a date axis, a lane per main party (opens on the event shown)"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="List every key"),
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave crisis-tui"),
        # Textual's own Ctrl+C names only ctrl+q: say how this app quits (q, which a keymap may move)
        Binding("ctrl+c", "quit_hint", "Say how to quit", show=False, system=True, id="app.quit_hint"),
    ]

    def __init__(self, kb: KnowledgeBase, start: str | None = None, keymap: dict[str, str] | None = None,
                 state: UserState | Callable[[], UserState] | None = None, served: str | None = None) -> None:
        # With NO_COLOR, Textual picks its colour filter when the app is made: for a theme of
        # true colours it greys them (Monochrome), which a 16-colour terminal turns into black
        # on black; with `ansi_color` it drops every colour instead (NoColor), leaving the
        # terminal's own and the reverse/bold/underline the styles give focus and cursors.
        super().__init__(ansi_color=True if no_colour() else None)
        self.kb = kb
        self.start = start
        self.served = served  # "ssh"/"web": started by `crisis-tui serve` for a remote user, on the server's files
        # bookmarks, notes, where it was left (db/state.py); `state` may be a function opening it, called off the
        # UI thread at its first use (neither its import nor its file is on the way to the first frame)
        self.keeper = Keeper(self, state)
        self.keymap = dict(keymap or {})  # binding id -> keys, from the user's keymap file (tui/keymap.py)
        if self.keymap:
            self.set_keymap(self.keymap)
        self.history = History()
        self.packs: tuple[PackView, ...] = ()  # the crises the database holds, in the order they came
        self.crisis: str | None = None  # the one every pane shows (its pack id), or None for all
        self.shown: str | None = None
        self._wanted: str | None = None  # the entity the last visit asked for
        self._arriving: str | None = None  # a history entry whose page has not come yet
        self._names: dict[str, str] = {}
        self._preview_timer: Timer | None = None
        self._focus_detail = False
        self._detail_focused = False  # on the main screen (see _focus_moved)
        self._main_screen: MainScreen | None = None
        self._focus_its_pane: bool | str = False  # the entity shown at start: its pane (or this one) takes the focus
        self._returning: str | None = None  # a page gone back (or forward) to, its cursor put back
        # Where the detail's cursor was on each history entry left (by its serial, with its ref),
        # as a browser keeps a place per entry; and the entry shown now, if it is not a preview.
        self._spots: dict[int, tuple[str, Spot]] = {}
        self._stand_in: tuple[str, str] | None = None  # (row shown, entity it stands in for) under a crisis without it
        self._outside_noted = False  # said that the entity shown is not in the crisis shown
        self._entry_shown: tuple[int, str] | None = None
        self.last_search: SearchChoice | None = None  # what `/` brings back and n/N step through
        self._hit_at: int | None = None  # the hit of the last search shown last
        self._search_text = ""  # the text last typed in the search (closed with a choice or not)
        self.timeline_kept: tuple[list[tuple[str, str]] | None, int] = (None, 2)  # lanes chosen, zoom (week)
        if few_colours():
            self.theme = "ansi-dark"

    def on_unmount(self) -> None:
        self.keeper.save_place(self.place_left())
        self.keeper.keep_open_note()  # quit (Ctrl+Q) with a changed note open: saved (its failure said last)
        gc.unfreeze()  # the process may go on (tests, a caller of run()): collect as usual again
        gc.enable()

    def on_mount(self) -> None:
        self._main_screen = MainScreen(self.kb)  # kept: where it was left is read from it as the app closes
        self.push_screen(self._main_screen)
        if self.start:
            self.visit(self.start)
        self._read_packs(first=not self.start)
        self.set_timer(COLLECT_EVERY, lambda: calm_collector(self))  # after start-up, not in its way
        self._data_version: int | None = None
        if is_postgres(self.kb.url):  # a server tells of each import as it commits (db/pg/watch.py)
            self._listen_database()
        else:
            self._watch_database()  # the version the lists are read at
            self.set_interval(WATCH_EVERY, self._watch_database)

    # --- the database changing under us (an import in another terminal) ---------------

    @work(thread=True, exclusive=True, group="listen", exit_on_error=False)
    def _listen_database(self) -> None:
        """PostgreSQL: wait up to LISTEN_SLICE for an import's notification (or a connection made
        again after a loss) and reload if one came. Each wait is a short worker of its own, started
        again as the last ends (`_listened`): the app quits, and a test settles, without waiting on
        a worker that never ends; a notification still wakes the wait at once."""
        from ..db.pg.queries import PgKnowledgeBase

        kb = self.kb
        assert isinstance(kb, PgKnowledgeBase)  # started for a PostgreSQL database only
        if kb.wait_change(LISTEN_SLICE):
            self.call_from_thread(self._database_changed)

    @on(Worker.StateChanged)
    def _listened(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "listen" and event.state == WorkerState.SUCCESS and self.is_running:
            self._listen_database()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_database(self) -> None:
        """SQLite: look at the database's commit counter (every WATCH_EVERY seconds)."""
        version = self.kb.data_version()
        if self._data_version is not None and version != self._data_version:
            self.call_from_thread(self._database_changed)
        self._data_version = version

    def _database_changed(self) -> None:
        """Another process committed: read the lists and the shown entity again."""
        if not self._has_main():
            return  # closing
        for entity_list in self.main.lists.values():
            entity_list.reload()
        self._read_packs()  # a crisis imported, or one gone
        if self.shown is not None:
            # a page on its way is read again too; the one shown keeps its cursor where it was
            self.visit(self._wanted or self.shown, remember=False, return_to=True)
        if is_postgres(self.kb.url):  # only a committed import notifies the channel the explorer listens on
            self.notify("An import was committed: lists and detail reloaded", timeout=4)
        else:
            self.notify("The database changed (an import?): lists and detail reloaded", timeout=4)
        self._timeline_data_changed()

    def _timeline_data_changed(self) -> None:
        """An open timeline's lanes are display positions, which an import moves: read them again."""
        from .screens.timeline import TimelineScreen

        for screen in self.screen_stack:
            if isinstance(screen, TimelineScreen):
                screen.data_changed()

    # --- the crises (packs) the database holds, and the one shown -------------------

    @work(thread=True, group="packs", exit_on_error=False)
    def _read_packs(self, first: bool | None = None) -> None:
        """Read the crises the database holds; with `first` (a start without a start entity),
        preview the entity the database was last left on, if it is still there, else the most
        recent crisis's first event, with every crisis shown (or whatever the first pane holds);
        with `first` false (a start on an entity), keep the history it was left with."""
        packs = self.kb.packs()
        self.call_from_thread(self._packs_read, packs)
        place = self.keeper.read_place() if first is not None else None
        if not first:
            if place is not None and place.history:  # started on an entity (`open`): the history is kept
                self.call_from_thread(self._restore_history, place, self.start)
            return
        if place is not None and place.ref is not None:  # where it was left
            self.call_from_thread(self._resume, place)
            return
        if place is not None and place.history:
            self.call_from_thread(self._restore_history, place)
        latest = self.kb.latest_pack() if len(packs) > 1 else None
        scopes = [latest.id, None] if latest is not None else [None]
        for pack in scopes:
            for entity_type in ("event", "actor", "agreement", "place"):
                rows = self.kb.page(entity_type, 0, 1, pack)
                if rows:
                    self.call_from_thread(self._visit_first_found, rows[0].ref)
                    return

    def _packs_read(self, packs: tuple[PackView, ...]) -> None:
        self.packs = packs
        if self.crisis is not None and all(p.id != self.crisis for p in packs):
            self.show_crisis(None)  # the crisis shown is no longer in the database
        else:
            self.main.show_crisis(self._pack(self.crisis), len(packs))

    def _pack(self, pack_id: str | None) -> PackView | None:
        return next((p for p in self.packs if p.id == pack_id), None) if pack_id is not None else None

    def action_crisis(self) -> None:
        """Show the next crisis in every pane: all, then each in the order they came, then all again."""
        if len(self.packs) < 2:
            held = f"one crisis ({shown.line(self.packs[0].title)})" if self.packs else "no crisis pack"
            self.notify(f"This database holds {held}: there is no other to show", timeout=4, markup=False)
            return
        ids = [None, *(p.id for p in self.packs)]
        at = ids.index(self.crisis) if self.crisis in ids else 0
        self.show_crisis(ids[(at + 1) % len(ids)])

    def show_crisis(self, pack_id: str | None) -> None:
        """Narrow every pane to one crisis (a pack id), or show them all (None).

        The entity shown stays, as that crisis states it, if the crisis states it; if not, the
        first row of the pane in view is shown instead (a preview: back returns to the entity).
        The history holds entities, not crises: back and forward keep the crisis shown.
        """
        pack = self._pack(pack_id)
        if pack_id is not None and pack is None:
            self.notify("No such crisis in this database", severity="warning", timeout=4)
            return
        if pack_id == self.crisis:
            return
        self.crisis = pack_id
        self._outside_noted = False
        self.main.show_crisis(pack, len(self.packs))
        ref = self._wanted or self.shown
        if self._stand_in is not None and self._stand_in[0] == ref:
            ref = self._stand_in[1]  # a crisis without it showed its first row: the entity comes back where it is
        if ref is not None:
            self._refilter(ref, pack_id, self.main.active)

    @work(thread=True, exclusive=True, group="refilter", exit_on_error=False)
    def _refilter(self, ref: str, crisis: str | None, entity_type: str) -> None:
        """Which entity to show now that `crisis` is shown: `ref`, if the crisis states it, else the
        first row of the pane in view (or of the first pane that has one)."""
        row = self.kb.row(ref) if crisis is not None else None
        if row is not None and self.kb.position(row.id, crisis) is None:
            for kind in (entity_type, "event", "actor", "agreement", "place"):
                rows = self.kb.page(kind, 0, 1, crisis)
                if rows:
                    self.call_from_thread(self._refiltered, ref, crisis, rows[0].ref)
                    return
        self.call_from_thread(self._refiltered, ref, crisis, ref)

    def _refiltered(self, ref: str, crisis: str | None, show: str) -> None:
        if crisis != self.crisis or self._wanted not in (ref, None, self._stand_in and self._stand_in[0]):
            return  # the crisis changed again, or the user went elsewhere (shown under this crisis)
        self._stand_in = (show, ref) if show != ref else None
        self.visit(show, remember=False, return_to=show == ref)

    def _visit_first_found(self, ref: str) -> None:
        if self._wanted is None:  # unless the user has moved on already (a slow first read)
            self._focus_its_pane = True  # the first key moves in the pane of the entity shown
            self.visit(ref, remember=False)

    # --- bookmarks, notes, and where the explorer was left (tui/keeping.py) --------------

    def action_bookmark(self) -> None:
        self.keeper.toggle()

    def action_bookmarks(self) -> None:
        self.keeper.show_list()

    def action_note(self) -> None:
        self.keeper.edit_note()

    def _resume(self, place: Place) -> None:
        """Come back to where the explorer was left: its history, the entity shown, the pane and the focus."""
        if self._wanted is not None:
            return  # the user has moved on already (a slow first read)
        self._restore_history(place)
        assert place.ref is not None
        self._focus_its_pane = place.pane or True
        self.visit(place.ref, remember=False, focus_detail=place.detail)

    def _restore_history(self, place: Place, start: str | None = None) -> None:
        """Take back the history the explorer was left with; with `start` (`open REF`), the entity
        opened comes after the entry it was left on (back goes there)."""
        entries, cursor = [ref for ref, _ in place.history], place.cursor
        if start is not None:
            if self.history.entries not in ((), (start,)):
                return  # the user has moved on already: this session's history stands
            entries = entries[:cursor + 1]
            if entries[-1] != start:
                entries.append(start)
            cursor = len(entries) - 1
        self.history = History.restored(entries, cursor)
        for ref, name in place.history:
            self._names.setdefault(ref, shown.line(name))
        self._spots.clear()
        current = self.history.current
        self._entry_shown = (self.history.serial, current) if current is not None and self.shown == current else None
        self._update_crumbs()

    def place_left(self) -> Place:
        """Where the explorer is: the entity shown, the pane in view, the focus, the history."""
        from ..db.state import Place

        main = self._main_screen
        history = tuple((ref, self._names.get(ref, "")) for ref in self.history.entries)
        return Place(self.shown, main.active if main is not None else None, self._detail_focused, history,
                     self.history.cursor)

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        """Whether the detail pane has the focus on the main screen (kept with where it was left:
        the focus is gone by the time the app closes)."""
        main = self._main_screen
        if main is not None and event.widget.screen is main:
            self._detail_focused = event.widget is main.detail

    def _has_main(self) -> bool:
        return any(isinstance(screen, MainScreen) for screen in self.screen_stack)

    @property
    def main(self) -> MainScreen:
        """The main screen, also while a modal is on top of it."""
        return next(screen for screen in self.screen_stack if isinstance(screen, MainScreen))

    # --- navigation: everything goes through visit() -------------------------------

    def visit(self, ref: str, remember: bool = True, focus_detail: bool = False, return_to: bool = False) -> None:
        """Show an entity; `remember` records it in the history (links, search, Enter).

        With `focus_detail`, the detail pane takes the focus in the same frame that shows it;
        with `return_to` (back, forward, history), its cursor goes where it was when it was left.
        """
        self._returning = ref if return_to else None
        if remember:
            h = self.history
            if self._arriving is not None and self._arriving == h.current and h.can_back:
                h.back()  # the page still on its way is left before it came: not kept, as a browser does
            h.visit(ref)
        self._arriving = ref if remember else None
        if focus_detail:  # kept until a detail arrives: a preview landing first must not drop it
            self._focus_detail = True
        self._wanted = ref
        self._load_detail(ref, self.crisis)

    def _uncover(self) -> None:
        """Close the screens over the main one, but for the note editor: back, forward, the
        history and a search go somewhere the user must see, also when asked for from the
        timeline (a plain screen, where the app's keys work) or a screen opened over it."""
        from .screens.note import NoteScreen

        if not any(isinstance(screen, MainScreen) for screen in self.screen_stack):
            return  # starting: the main screen is not pushed yet
        while self.screen is not self.main and not isinstance(self.screen, NoteScreen):
            self.pop_screen()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load_detail(self, ref: str, crisis: str | None) -> None:
        """Read an entity as `crisis` states it (its links in that crisis only), if it does;
        one the crisis does not state is read as every crisis states it."""
        kb, pack, position = self.kb, None, None
        if crisis is not None:
            row = kb.row(ref)
            position = kb.position(row.id, crisis) if row is not None else None
            pack = crisis if position is not None else None
        detail = kb.detail(ref, link_citations=False, pack=pack)  # a link's passage is read when asked for
        if detail is None:
            raise DatabaseError(f"{ref}: no such entity in {self.kb.path}")
        if crisis is None:
            position = kb.position(detail.row.id)
        self.post_message(DetailLoaded(detail, position, crisis, self.keeper.mine(ref)))

    @on(DetailLoaded)
    def _detail_loaded(self, message: DetailLoaded) -> None:
        detail = message.detail
        if detail.row.ref != self._wanted or message.crisis != self.crisis:
            return  # an older visit's detail, slower than the newer one (a thread cannot be stopped)
        if not self._has_main():
            return  # closing: the main screen is gone (a reload's detail came back as the app quit)
        ref, h = detail.row.ref, self.history
        if self._entry_shown is not None:  # where the cursor was on the history entry being left
            self._spots[self._entry_shown[0]] = (self._entry_shown[1], self.main.detail.spot)
        saved = self._spots.get(h.serial) if self._returning == ref else None
        spot = saved[1] if saved is not None and saved[0] == ref else None
        self._entry_shown = (h.serial, ref) if h.current == ref else None  # a preview is no entry
        kept = h.serials()
        for serial in [s for s in self._spots if s not in kept]:
            del self._spots[serial]  # entries dropped by a new visit after going back, or off the front
        self.shown = ref
        self._arriving = None
        self._names[ref] = shown.line(detail.row.name)
        with self.batch_update():  # one frame for the detail, the crumbs, the cursor and the focus
            self.main.show_detail(detail, message.position, spot, message.mine)
            self._update_crumbs()
            if self._focus_detail:
                self._focus_detail = False
                self.main.action_focus_detail()
            elif isinstance(self._focus_its_pane, str):  # the pane it was left on
                self.main.focus_pane(self._focus_its_pane)
            elif self._focus_its_pane and self.main.is_wide and isinstance(self.focused, EntityList):
                # wide, all panes show and the events kept the focus (narrow, show_detail turned the pane)
                self.main.focus_pane(detail.row.type)
            self._focus_its_pane = False
        pack = self._pack(message.crisis)
        outside = pack is not None and message.position is None and not message.detail.row.type == "place"
        if pack is not None and outside and not self._outside_noted:  # once, until one of the crisis is shown
            self.notify(f"{shown.line(detail.row.name)} is not in {shown.line(pack.title)}: shown with what every "
                        "crisis says of it", timeout=3, markup=False)
        self._outside_noted = outside

    def _update_crumbs(self) -> None:
        h = self.history
        trail = [self._names.get(ref) or shown.line(ref) for ref in h.entries[max(h.cursor - 2, 0): h.cursor + 1]]
        if self.shown and self.shown != h.current:
            trail = [*trail, f"({self._names.get(self.shown) or shown.line(self.shown)})"]
        back = f"b:{h.cursor}" if h.cursor > 0 else "b:-"
        forward = f"f:{len(h.entries) - h.cursor - 1}" if h.can_forward else "f:-"
        more = "... > " if h.cursor > 2 else ""
        self.main.set_crumbs(f"crisis-tui  [{back} {forward}]  ", more + " > ".join(trail))

    @on(EntityList.Highlighted)
    def _preview(self, message: EntityList.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        ref = message.row.ref
        if ref == self._wanted:
            return  # back on the row that is shown (or on its way: a slow first entity)
        self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self.visit(ref, remember=False))

    @on(EntityList.Opened)
    def _opened(self, message: EntityList.Opened) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()  # the open shows the same row: no second load and frame
        self.visit(message.row.ref, focus_detail=True)

    @on(DetailView.Follow)
    def _follow(self, message: DetailView.Follow) -> None:
        self._keep_preview()
        self.visit(message.ref)

    def _keep_preview(self) -> None:
        """A previewed page (a list's row the cursor rests on) left by a link, or by a record the
        source reader opened from it, becomes a history entry: back comes to it."""
        if self.shown is not None and self.shown == self._wanted != self.history.current:
            self.history.visit(self.shown)
            self._entry_shown = (self.history.serial, self.shown)  # and to where its cursor was

    def act_now(self, message: Message) -> bool:
        """Act on a pane's Enter at once, before the keys typed after it (tui/messages.py)."""
        if isinstance(message, DetailView.Follow):
            self._follow(message)
        elif isinstance(message, EntityList.Opened):
            self._opened(message)
        else:
            return False
        return True

    @on(DetailView.ShowCitation)
    def _citation(self, message: DetailView.ShowCitation) -> None:
        self._open_source(message.citation)

    @on(DetailView.ShowLinkSource)
    def _link_source(self, message: DetailView.ShowLinkSource) -> None:
        self._open_source(link=message.link)

    @work(thread=True, group="source", exit_on_error=False)
    def _open_source(self, citation: CitationView | None = None, link: int | None = None, index: int = 0) -> None:
        """Show a passage in its source: `citation`, or passage `index` of those `link` is cited to
        (`s` there goes on to the next)."""
        of = None
        if citation is None:
            if link is None:
                return
            cited = self.kb.link_citations(link)
            if not cited:
                self.call_from_thread(self.notify, "This link cites no passage", severity="warning", timeout=4)
                return
            index %= len(cited)
            citation, of = cited[index], (index + 1, len(cited))
        from .screens.source import SourceScreen, read_source

        reading = read_source(self.kb, citation)

        def closed(result: bool | str | None) -> None:
            if result is True:
                self._open_source(link=link, index=index + 1)
            elif isinstance(result, str):  # a record citing the passage: go to it (back comes here)
                self._uncover()  # read from a neighbourhood, paths or the timeline: close them first
                self._keep_preview()
                self.visit(result, focus_detail=True)

        links = os.environ.get("TERM", "") not in ("linux", "dumb")  # consoles that print OSC 8 as text
        self.call_from_thread(self._show_source, SourceScreen(self.kb, reading, of, links=links), closed)

    def _show_source(self, screen: Screen, closed: Callable[[bool | str | None], None]) -> None:
        if not self.main.is_tiny:  # the terminal shrank while the passage was read: nothing over its message
            self.push_screen(screen, closed)

    def go_to(self, ref: str | None) -> None:
        """Open `ref` (chosen on a screen over the panes: a neighbourhood, a path), if any, keeping
        the page it was chosen from in the history."""
        if ref is not None:
            self._keep_preview()
            self.visit(ref, focus_detail=True)

    # --- copy and open (tui/copying.py) ---------------------------------------------

    def action_copy_item(self) -> None:
        from . import copying

        text = copying.focused_text(self.focused)
        if text is None:
            self.notify("Nothing to copy here", timeout=2)
        else:
            copying.copy(self, text)

    def action_open_address(self) -> None:
        from . import copying

        address, link = copying.focused_address(self.focused)
        if link is not None:
            self._open_link_address(link)
        else:
            copying.open_address(self, address)

    @work(thread=True, group="source", exit_on_error=False)
    def _open_link_address(self, link: int) -> None:
        from . import copying

        address = next((c.address for c in self.kb.link_citations(link) if c.address), None)
        self.call_from_thread(copying.open_address, self, address)

    def action_quit_hint(self) -> None:
        keys = self.keymap.get("app.quit", "q").replace(",", " or ")
        self.notify(f"Press {keys} (or Ctrl+q) to quit", timeout=3, markup=False)  # a key may be `[`

    def action_go_back(self) -> None:
        self._uncover()
        h = self.history
        # What was last asked for, not what is shown: a followed link still loading is not a preview.
        if self._wanted != h.current and h.current is not None:
            self.visit(h.current, remember=False, return_to=True)  # leave a preview for the page it covered
        elif (before := h.back()) is not None:
            self.visit(before, remember=False, return_to=True)
        else:
            self.notify("Nothing to go back to", timeout=2)

    def action_forward(self) -> None:
        self._uncover()
        if (after := self.history.forward()) is not None:
            self.visit(after, remember=False, return_to=True)
        else:
            self.notify("Nothing to go forward to", timeout=2)

    def action_history(self) -> None:
        names = [self._names.get(ref) or shown.line(ref) for ref in self.history.entries]

        def jump(index: int | None) -> None:
            ref = self.history.go(index) if index is not None else None
            if ref is not None:
                self._uncover()
                self.visit(ref, remember=False, return_to=True)

        from .screens.history import HistoryScreen

        self.push_screen(HistoryScreen(names, self.history.cursor), jump)

    def on_resize(self, event: events.Resize) -> None:
        """A terminal too small for the panes closes whatever is open over them (search, help,
        a source, the palette): the main screen's one line saying so is all there is to see.
        The note editor stays: closing it would lose what was typed."""
        from .screens.note import NoteScreen

        if too_small(event.size) and any(isinstance(screen, MainScreen) for screen in self.screen_stack):
            while not isinstance(self.screen, (MainScreen, NoteScreen)):
                self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TINY_BLOCKED and self.main.is_tiny:
            return False  # a terminal too small for the panes shows one line saying so, nothing over it
        return True

    def on_key(self, event: events.Key) -> None:
        """Keys typed with the `/` (pasted, or batched by SSH) went to the panes before the search
        opened; they come here past its bindings (a modal's hide the app's: `b` is not back there)."""
        from .screens.search import SearchScreen

        if isinstance(self.screen, SearchScreen):
            self.screen.type_ahead(event)

    # --- search: `/` (the last text recalled), n/N through its hits ---------------------

    def action_search(self) -> None:
        def chosen(choice: SearchChoice | None) -> None:
            if choice is None:
                return
            self._search_text = choice.text  # what `/` brings back, even closed with Esc
            if choice.index is None and choice.passage is None:
                return  # closed without choosing: n/N keep stepping through the last search gone to
            self.last_search, self._hit_at = choice, choice.index
            if choice.passage is not None:
                p = choice.passage
                self._open_source(citation=CitationView(p.source_id, p.title, p.address, p.text, p.line))
            elif choice.ref is not None:
                self._uncover()
                self.visit(choice.ref, focus_detail=True)

        from .screens.search import SearchScreen

        self.push_screen(SearchScreen(self.kb, self._search_text, recalled=True), chosen)

    def action_step_hit(self, delta: int) -> None:
        """Go to the next (`delta` 1) or previous (-1) entity hit of the last search, saying which."""
        last = self.last_search
        if last is None or not last.hits:
            self.notify("No search to step through: press / to search" if last is None
                        else f"The last search ({shown.quoted(last.text)}) found no entity", timeout=3, markup=False)
            return
        at = self._hit_at
        if at is None:
            at = 0 if delta > 0 else len(last.hits) - 1
        else:
            at = (at + delta) % len(last.hits)  # past the last comes the first again, as in a pager
        self._hit_at = at
        hit = last.hits[at]
        self._uncover()
        self.visit(hit.row.ref)
        self.notify(f"Hit {at + 1} of {len(last.hits)} for {shown.quoted(last.text)}: {shown.line(hit.row.name)} "
                    f"({hit.field or hit.matched})", timeout=3, markup=False)

    def action_help(self) -> None:
        def keyed(bindings: Iterable[BindingType]) -> list[Binding]:
            """`bindings` with the keys the user's keymap gives them."""
            return [b.with_key(keys) if (keys := self.keymap.get(b.id or "")) else b
                    for b in bindings if isinstance(b, Binding)]

        from .screens.source import SourceScreen

        sections = [
            ("Anywhere", keyed([*self.BINDINGS, Binding("ctrl+p", "command_palette", "Command palette"),
                                Binding("tab,shift+tab", "focus_next", "Next / previous pane")])),
            ("Panes", keyed(MainScreen.BINDINGS)),
            ("Lists", keyed(EntityList.BINDINGS)),
            ("Detail", keyed(DetailView.BINDINGS)),
            ("Source reader (Enter or s on a citation)", keyed(SourceScreen.BINDINGS)),
            ("Search", [Binding("/", "search", "Open, the last search selected (typing replaces it); Up/Down "
                                "choose, Enter goes (a passage opens its source), Esc closes; n/N step "
                                "through its hits from the lists and the detail")]),
            *self._filter_help(keyed),
            *self._graph_help(keyed),
            *self._state_help(keyed),
            *self._timeline_help(keyed),
        ]
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(sections))

    @staticmethod
    def _filter_help(keyed: Callable[[Iterable[BindingType]], list[Binding]]) -> list[tuple[str, list[Binding]]]:
        """The filter prompt's keys and syntax, for the help screen (F and x are with the panes)."""
        from .screens.filter import FilterScreen

        syntax = [
            Binding("participant: Russia", "filter_syntax(0)", "Rows linked to Russia by that relation (either way); "
                    "related: for any relation"),
            Binding("+members", "filter_syntax(1)", "Also through its office-holders and members (rows say via whom)"),
            Binding("kind: talks", "filter_syntax(2)", "Rows of one kind"),
            Binding("from: 2025-05 to: 2025-06", "filter_syntax(3)",
                    "Dates, inclusive (2025, 2025-05 or 2025-05-10)"),
            Binding("crisis: PACK", "filter_syntax(4)", "Rows of one crisis (pack id)"),
        ]
        return [("Filter prompt (F)", [*keyed(FilterScreen.BINDINGS), *syntax])]

    @staticmethod
    def _graph_help(keyed: Callable[[Iterable[BindingType]], list[Binding]]) -> list[tuple[str, list[Binding]]]:
        """The keys of the neighbourhood (a) and paths (p) screens, for the help screen."""
        from .screens.neighbourhood import NeighbourhoodScreen
        from .screens.paths import PathsScreen
        from .widgets.link_tree import LinkTree

        tree = [Binding("enter", "select", "Open the entity under the cursor (on a relation: fold or unfold)"),
                Binding("space", "toggle", "Fold or unfold the line under the cursor"),
                Binding("up,down", "move", "Move (shift+Up/Down: to the previous/next line at the same depth)")]
        paths = [Binding("enter", "select", "Open the entity under the cursor; the other keys of the tree as above")]
        return [("Neighbourhood (a)", [*keyed(NeighbourhoodScreen.BINDINGS), *tree, *keyed(LinkTree.BINDINGS)]),
                ("Paths (p, then p on another entity)", [*keyed(PathsScreen.BINDINGS), *paths])]

    @staticmethod
    def _state_help(keyed: Callable[[Iterable[BindingType]], list[Binding]]) -> list[tuple[str, list[Binding]]]:
        """The keys of the bookmarks list and of the note editor, for the help screen."""
        from .screens.bookmarks import BookmarksScreen
        from .screens.note import NoteScreen
        from .widgets.bookmark_list import BookmarkList

        return [("Bookmarks (B)", keyed([*BookmarksScreen.BINDINGS, *BookmarkList.BINDINGS])),
                ("Note editor (e): Esc leaves the text for the keys", keyed(NoteScreen.BINDINGS))]

    # --- the timeline: `t` ------------------------------------------------------------

    def action_timeline(self) -> None:
        """Open the timeline of the crisis shown (or all), on the event shown if there is one."""
        from .screens.timeline import TimelineScreen

        if isinstance(self.screen, TimelineScreen) or self.main.is_tiny:
            return
        pack = self._pack(self.crisis)
        lanes, zoom = self.timeline_kept  # as the timeline was left, this session
        self.push_screen(TimelineScreen(self.kb, self.crisis, pack.title if pack else None, self.shown, lanes, zoom))

    @staticmethod
    def _timeline_help(keyed: Callable[[Iterable[BindingType]], list[Binding]]) -> list[tuple[str, list[Binding]]]:
        """The timeline's keys and glyphs, for the help screen."""
        from .screens.timeline import TimelineScreen
        from .timeline_chart import LEGEND

        more = [Binding("ctrl+p", "lanes", "Lanes: Add lane <actor> / Remove lane <name> / Lanes: main parties"),
                Binding("glyphs", "legend", LEGEND)]
        return [("Timeline (t)", [*keyed(TimelineScreen.BINDINGS), *more])]

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Open `url` in a browser; served over SSH, copy it instead: a browser started here
        would be the server's (a console one would take over the session's terminal)."""
        if self.served == "ssh":
            self.copy_to_clipboard(url)
            self.notify(f"Over SSH the browser here is not yours: copied the address {shown.quoted(url)}",
                        timeout=4, markup=False)
            return
        super().open_url(url, new_tab=new_tab)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's commands: ours, and Textual's Theme and Screenshot. Its Keys panel
        (a second key list beside the panes, which squeezes them) and Maximize (which hides
        the key bar) are left out: `?` lists every key. A served explorer has no Screenshot:
        it would write a file on the server, where its user has no files."""
        kept = ("Theme",) if self.served else ("Theme", "Screenshot")
        for command in super().get_system_commands(screen):
            if command.title in kept:
                yield command
        yield SystemCommand("Quit", "Leave crisis-tui", self.action_quit)
        yield SystemCommand("Search entities", "Find any event, actor, agreement or place", self.action_search)
        yield SystemCommand("Back", "Go back to the previous entity", self.action_go_back)
        yield SystemCommand("Forward", "Go forward again", self.action_forward)
        yield SystemCommand("History", "Show where you have been", self.action_history)
        yield SystemCommand("Bookmarks", "List your bookmarks, with the first line of your notes (B)",
                            self.action_bookmarks)
        yield SystemCommand("Help", "List every key", self.action_help)
        yield SystemCommand("Timeline", "The crisis's events on a date axis, a lane per main party (t)",
                            self.action_timeline)
        yield from self._layout_commands(screen)
        yield from self._graph_commands(screen)

    def _layout_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette's Keys is our help (the same list as `?`, not Textual's panel beside the
        panes); Zoom and Restore are `z`'s (the key bar stays, unlike Textual's Maximize)."""
        yield SystemCommand("Keys", "List every key (as ? does)", self.action_help)
        if isinstance(screen, MainScreen) and not screen.is_tiny:
            if screen.maximized is not None:
                yield SystemCommand("Restore panes", "Give the zoomed pane's neighbours back (z)", screen.action_zoom)
            elif screen.focused is not None:
                yield SystemCommand("Zoom pane", "The focused pane alone, to read (z)", screen.action_zoom)

    def _graph_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The neighbourhood (a) and the path (p) of the entity shown (screens/neighbourhood.py, paths.py)."""
        if isinstance(screen, MainScreen) and not screen.is_tiny and screen.shown_row is not None:
            yield SystemCommand("Neighbourhood", "The entity shown's links out to two hops, as a tree (a)",
                                screen.action_neighbourhood)
            marked = screen.path_mark.row is not None
            yield SystemCommand("Path" if marked else "Path: mark the start",
                                "The shortest paths from the marked entity to the one shown, or clear the mark (p)"
                                if marked else "Mark the entity shown as the start of a path (p)", screen.action_path)

    # --- errors ------------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.report_error(message.error)

    def report_error(self, error: BaseException) -> None:
        """What failed off the UI thread: a database problem is a notice, anything else a bug that ends the app."""
        if isinstance(error, DatabaseError):
            import time

            # a server gone fails every key's read alike: one notice, not one more per key
            line, at = shown.line(str(error)), time.monotonic()
            said: dict[str, float] = getattr(self, "_errors_said", {})
            self._errors_said = {text: when for text, when in said.items() if at - when < 8}
            if line in self._errors_said:
                return
            self._errors_said[line] = at
            self.notify(line, title="Database", severity="error", timeout=8, markup=False)
        else:
            from rich.text import Text  # a Text, so that the message is not read as markup

            self.exit(return_code=1, message=Text(shown.line(f"crisis-tui: error: {type(error).__name__}: {error}")))
