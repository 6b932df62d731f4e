"""The search modal: type a few letters, see ranked hits of every kind with what matched, and
the sources' passages holding the words; Enter goes there. A word no entry holds is taken for
a typo: the hits of the closest known words are shown, and the status line says so."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input

from ...db.queries import SEARCH_SECONDS, KnowledgeBase
from ...db.readers import Cancel, QueryCancelled, QueryTimeout
from ...db.records import PassageHit, SearchHit
from .. import shown
from ..latest_query import LatestQuery
from ..messages import Failed
from ..widgets.hit_list import HitList
from ..widgets.key_bar import KeyBar
from ..widgets.line import Line

LIMIT = 50
PASSAGES = 20  # passage hits shown after the entity hits
PROMPT = "Type to search names, notes, links and the sources' text"  # fits the box at 80 columns
HOLD = 0.03  # seconds a typed letter may wait for its hits, so that both are drawn in one frame


# The box's own editing keys (Backspace, Left, Home, ...), each with its action.
EDITING_KEYS = {key.strip(): binding.action for binding in Input.BINDINGS if isinstance(binding, Binding)
                for key in binding.key.split(",")}


class SearchInput(Input):
    """The query box. Its cursor does not blink: a blink is a frame every half second (over
    SSH, for as long as the search is open) whose drawing can hold up the next key.

    Its editing keys act as they arrive. As Textual binds them, such a key first travels up
    to the app and back, while a letter typed after it goes straight into the box: a burst
    of keys (a paste, or SSH batching them) came out of order (Backspace then x gave x, then
    Backspace took it away).
    """

    def on_mount(self) -> None:
        self.cursor_blink = False

    async def on_key(self, event: events.Key) -> None:
        action = EDITING_KEYS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)


@dataclass(frozen=True)
class Found:
    """What one search found (on the query thread): the entity hits, the source passages, and
    the text they are for when it is not what was typed (a typo's closest known words)."""

    hits: list[SearchHit] = field(default_factory=list)
    passages: list[PassageHit] = field(default_factory=list)
    instead: str | None = None


@dataclass(frozen=True)
class SearchChoice:
    """What the search screen hands back: the text typed and the entity hits it found (for `/`
    to recall and n/N to step through), and the hit chosen, if one was: an entity's index among
    `hits`, or a source passage."""

    text: str
    hits: tuple[SearchHit, ...] = ()
    index: int | None = None
    passage: PassageHit | None = None

    @property
    def ref(self) -> str | None:
        return self.hits[self.index].row.ref if self.index is not None else None


class SearchScreen(ModalScreen[SearchChoice | None]):
    """Returns what was typed and found, and the hit chosen (None if the box was left empty)."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="search.close"),
        Binding("down", "move(1)", "Next hit", id="search.next"),
        Binding("up", "move(-1)", "Previous hit", id="search.previous"),
        Binding("pagedown", "move(10)", "Ten hits down", show=False, id="search.page_down"),
        Binding("pageup", "move(-10)", "Ten hits up", show=False, id="search.page_up"),
    ]

    def __init__(self, kb: KnowledgeBase, query: str = "", recalled: bool = False) -> None:
        """`query` is typed in the box; with `recalled` (the last search's text, brought back by
        `/`) it is shown selected, so that typing replaces it, as in a browser's address bar."""
        super().__init__()
        self.kb = kb
        self._initial = query
        self._recalled = recalled
        self._hold: AbstractContextManager | None = None
        self._hold_timer: Timer | None = None
        self._searcher: LatestQuery[Found] | None = None
        self._hits_for: str | None = None  # the text the hits on show were found for
        self._open_when_shown = False

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield SearchInput(self._initial, placeholder="Search events, actors, agreements, places…",
                              id="search-input")
            yield Line(id="search-status")
            yield HitList(id="search-hits")
        yield KeyBar()  # the search's own keys, over the panes' (whose letters type here)

    def on_mount(self) -> None:
        box = self.query_one(SearchInput)
        self.set_focus(box)  # at once: letters typed with the `/` follow it
        if self._recalled and self._initial:
            box.select_all()
        self.query_one("#search-status", Line).text = PROMPT
        self._searcher = LatestQuery(self._ask, self._answered, finished=self.kb.release_thread)
        # Called as the value changes, inside the key's handling: the query starts at once, and
        # no frame shows the new text before its hits (or HOLD) come.
        self.watch(self.query_one("#search-input", Input), "value", self._value_changed, init=False)
        if self._initial:
            self._searcher.submit(self._initial)

    def on_key(self, event: events.Key) -> None:
        """Keys typed with the `/` that reach the screen before its box has the focus go into it."""
        self.type_ahead(event)

    def type_ahead(self, event: events.Key) -> None:
        """Put a key typed ahead of the search box into it (a letter, or a backspace)."""
        box = self.query_one(SearchInput)
        if event.is_printable and event.character:
            if self._recalled and box.value == self._initial and self._hits_for in (None, self._initial):
                box.value = ""  # the recalled query (selected, or about to be): typing replaces it
            elif not box.selection.is_empty:
                box.delete_selection()
            box.insert_text_at_cursor(event.character)
        elif event.key == "backspace":
            box.action_delete_left()
        elif event.key == "enter":
            self._submitted()
        else:
            return
        event.stop()

    def _value_changed(self, value: str) -> None:
        self._open_when_shown = False  # an Enter before this letter was for the text before it
        self._hold_frame()
        if self._searcher is not None:
            self._searcher.submit(value)

    def _hold_frame(self) -> None:
        """Hold repaints until the hits come (at most HOLD): the letter and its hits in one frame.

        Otherwise each key is two frames, the letter over the old hits and then the new hits.
        """
        if self._hold is None:
            self._hold = self.app.batch_update()
            self._hold.__enter__()
            self._hold_timer = self.set_timer(HOLD, self._release)

    def _release(self) -> None:
        if self._hold_timer is not None:
            self._hold_timer.stop()
            self._hold_timer = None
        if self._hold is not None:
            hold, self._hold = self._hold, None
            hold.__exit__(None, None, None)

    def on_unmount(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._release()

    def _ask(self, text: str, cancel: Cancel) -> Found:  # on the query thread
        if not text.strip():
            return Found()
        kb = self.kb
        hits = kb.search(text, limit=LIMIT, cancel=cancel)
        passages = kb.search_passages(text, limit=PASSAGES, cancel=cancel)
        if hits or passages:
            return Found(hits, passages)
        instead = kb.suggest(text, cancel=cancel)
        if instead is None:
            return Found()
        return Found(kb.search(instead, limit=LIMIT, cancel=cancel),
                     kb.search_passages(instead, limit=PASSAGES, cancel=cancel), instead)

    def _answered(self, text: str, hits: Found | None, error: Exception | None) -> None:  # query thread
        if isinstance(error, QueryCancelled):
            return  # the user typed on: the newer text's answer follows
        if error is not None:
            self.app.call_from_thread(self._failed, text, error)
        else:
            self.app.call_from_thread(self._show, text, hits or Found())

    def _failed(self, text: str, error: Exception) -> None:
        if not isinstance(error, QueryTimeout):
            self._release()
            self.post_message(Failed(error))
        elif self._searcher is not None and self.query_one("#search-input", Input).value == text:
            self._release()  # only for the text on show: a newer key's hold is its own
            self._open_when_shown = False
            self.query_one(HitList).set_hits([])
            self._hits_for = None
            self.query_one("#search-status", Line).text = Content(
                f"Search stopped after {SEARCH_SECONDS:g} s: too slow for {shown.quoted(text.strip())}; "
                "try fewer words")

    def _show(self, text: str, found: Found) -> None:
        if self._searcher is None or self.query_one("#search-input", Input).value != text:
            return  # an older search finishing late
        hits, passages = found.hits, found.passages
        hit_list = self.query_one(HitList)
        hit_list.set_hits(hits, passages)
        self._hits_for = text
        if self._open_when_shown:
            self._open_when_shown = False
            if hit_list.current is not None:
                self._choose(hit_list.cursor)
                return
        self.query_one("#search-status", Line).text = Content(status_line(text, found))  # as typed: never markup
        self._release()

    def action_move(self, delta: int) -> None:
        self.query_one(HitList).move(delta)

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        value = self.query_one(SearchInput).value
        if not value.strip():
            return
        if self._hits_for != value:
            self._open_when_shown = True  # typed faster than the hits came: Enter opens the text's own first hit
            return
        hit_list = self.query_one(HitList)
        if hit_list.current is not None:
            self._choose(hit_list.cursor)

    @on(HitList.Chosen)
    def _clicked(self, event: HitList.Chosen) -> None:
        self._choose(self.query_one(HitList).cursor)

    def _choose(self, index: int | None) -> None:
        """Close, handing back the text, its hits and the one at `index` (of hits then passages)."""
        hit_list = self.query_one(HitList)
        text = self.query_one(SearchInput).value
        hits = tuple(hit_list.hits) if self._hits_for == text else ()
        if index is not None and index >= len(hits):
            passages = hit_list.passages if self._hits_for == text else []
            at = index - len(hits)
            self.dismiss(SearchChoice(text, hits, None, passages[at] if at < len(passages) else None))
        else:
            self.dismiss(SearchChoice(text, hits, index))

    def action_dismiss_none(self) -> None:
        """Close without going anywhere; the text typed (and its hits) are kept for `/` and n/N."""
        if self.query_one(SearchInput).value.strip():
            self._choose(None)
        else:
            self.dismiss(None)


def status_line(text: str, found: Found) -> str:
    """What the status line says of a search: how many hits and passages, and the typo taken."""
    typed = text.strip()
    if not typed:
        return PROMPT
    hits, passages = found.hits, found.passages
    count = f"{len(hits)}{'+' if len(hits) == LIMIT else ''} match{'es' if len(hits) != 1 else ''}"
    if passages:
        more = "+" if len(passages) == PASSAGES else ""
        count += f", {len(passages)}{more} passage{'s' if len(passages) != 1 else ''}"
    if found.instead is not None:
        meant = shown.quoted(found.instead)
        return shown.line(f"No match for {shown.quoted(typed)}: did you mean {meant}? {count} for that")
    how = "  -  Enter opens, Up/Down choose" if hits or passages else ""
    return shown.line(f"{count} for {shown.quoted(typed)}{how}")
