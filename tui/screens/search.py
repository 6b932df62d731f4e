"""The search modal: type a few letters, see ranked hits of every kind, Enter goes there."""

from __future__ import annotations

from contextlib import AbstractContextManager

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
from ...db.records import SearchHit
from ..latest_query import LatestQuery
from ..messages import Failed
from ..widgets.hit_list import HitList
from ..widgets.line import Line

LIMIT = 50
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


class SearchScreen(ModalScreen[str | None]):
    """Returns the id of the chosen entity, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="search.close"),
        Binding("down", "move(1)", "Next hit", show=False, id="search.next"),
        Binding("up", "move(-1)", "Previous hit", show=False, id="search.previous"),
        Binding("pagedown", "move(10)", "Ten hits down", show=False, id="search.page_down"),
        Binding("pageup", "move(-10)", "Ten hits up", show=False, id="search.page_up"),
    ]

    def __init__(self, kb: KnowledgeBase, query: str = "") -> None:
        super().__init__()
        self.kb = kb
        self._initial = query
        self._hold: AbstractContextManager | None = None
        self._hold_timer: Timer | None = None
        self._searcher: LatestQuery[list[SearchHit]] | None = None
        self._hits_for: str | None = None  # the text the hits on show were found for
        self._open_when_shown = False

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield SearchInput(self._initial, placeholder="Search events, actors, agreements, places…",
                              id="search-input")
            yield Line(id="search-status")
            yield HitList(id="search-hits")

    def on_mount(self) -> None:
        self.set_focus(self.query_one(SearchInput))  # at once: letters typed with the `/` follow it
        self.query_one("#search-status", Line).text = "Type to search names, aliases and summaries"
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

    def _ask(self, text: str, cancel: Cancel) -> list[SearchHit]:  # on the query thread
        return self.kb.search(text, limit=LIMIT, cancel=cancel) if text.strip() else []

    def _answered(self, text: str, hits: list[SearchHit] | None, error: Exception | None) -> None:  # query thread
        if isinstance(error, QueryCancelled):
            return  # the user typed on: the newer text's answer follows
        if error is not None:
            self.app.call_from_thread(self._failed, text, error)
        else:
            self.app.call_from_thread(self._show, text, hits or [])

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
                f"Search stopped after {SEARCH_SECONDS:g} s: too slow for {text.strip()!r}; try fewer words")

    def _show(self, text: str, hits: list[SearchHit]) -> None:
        if self._searcher is None or self.query_one("#search-input", Input).value != text:
            return  # an older search finishing late
        self.query_one(HitList).set_hits(hits)
        self._hits_for = text
        if self._open_when_shown:
            self._open_when_shown = False
            if hits:
                self.dismiss(hits[0].row.ref)
                return
        status = "Type to search names, aliases and summaries" if not text.strip() else (
            f"{len(hits)}{'+' if len(hits) == LIMIT else ''} match{'es' if len(hits) != 1 else ''} for {text.strip()!r}"
            + ("  -  Enter opens, Up/Down choose" if hits else "")
        )
        self.query_one("#search-status", Line).text = Content(status)  # what was typed, as typed
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
        hit = self.query_one(HitList).current
        if hit is not None:
            self.dismiss(hit.row.ref)

    @on(HitList.Chosen)
    def _clicked(self, event: HitList.Chosen) -> None:
        self.dismiss(event.hit.row.ref)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
