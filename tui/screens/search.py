"""The search modal: type a few letters, see ranked hits of every kind, Enter goes there."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.markup import escape
from textual.widgets import Input

from ...db.records import SearchHit
from ..widgets.hit_list import HitList
from ..widgets.line import Line

LIMIT = 50


class SearchScreen(ModalScreen[str | None]):
    """Returns the id of the chosen entity, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Close", id="search.close"),
        Binding("down", "move(1)", "Next hit", show=False, id="search.next"),
        Binding("up", "move(-1)", "Previous hit", show=False, id="search.previous"),
        Binding("pagedown", "move(10)", show=False, id="search.page_down"),
        Binding("pageup", "move(-10)", show=False, id="search.page_up"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self._initial = query

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box"):
            yield Input(self._initial, placeholder="Search events, actors, agreements, places…", id="search-input")
            yield Line(id="search-status")
            yield HitList(id="search-hits")

    def on_mount(self) -> None:
        self.query_one("#search-status", Line).text = "Type to search names, aliases and summaries"
        if self._initial:
            self._search(self._initial)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, text: str) -> None:
        hits = self.app.kb.search(text, limit=LIMIT) if text.strip() else []
        self.app.call_from_thread(self._show, text, hits)

    def _show(self, text: str, hits: list[SearchHit]) -> None:
        if self.query_one("#search-input", Input).value != text:
            return  # an older search finishing late
        self.query_one(HitList).set_hits(hits)
        status = "Type to search names, aliases and summaries" if not text.strip() else (
            f"{len(hits)}{'+' if len(hits) == LIMIT else ''} match{'es' if len(hits) != 1 else ''} for {text.strip()!r}"
            + ("  -  Enter opens, Up/Down choose" if hits else "")
        )
        self.query_one("#search-status", Line).text = escape(status)

    def action_move(self, delta: int) -> None:
        self.query_one(HitList).move(delta)

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        hit = self.query_one(HitList).current
        if hit is not None:
            self.dismiss(hit.row.ref)

    @on(HitList.Chosen)
    def _clicked(self, event: HitList.Chosen) -> None:
        self.dismiss(event.hit.row.ref)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
