"""The filter prompt (`F`): type a filter for the active pane, with completion; Enter applies it.

`participant: Russia +members kind: talks from: 2025-05 to: 2025-06 crisis: india-pakistan-2025`
(db/filters.py reads it). A filter that cannot be applied says why in one line and stays to be
corrected; an empty one clears the pane's filter.
"""

from __future__ import annotations

import asyncio

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, Static
from textual.worker import Worker

from ...db.errors import CrisisError
from ...db.filters import FilterError, complete, parse
from ...db.queries import KnowledgeBase
from ...db.records import PaneFilter
from .. import shown
from ..messages import worker_failed

HINT = ("relation: entity [+members]  kind: K  from: 2025-05  to: 2025-06  crisis: PACK  "
        "(Tab completes; Enter applies; empty clears; Esc cancels)")


class FilterSuggester(Suggester):
    """Completes the key, the entity's name, the kind or the crisis being typed (read off the UI thread)."""

    def __init__(self, kb: KnowledgeBase, entity_type: str) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.kb = kb
        self.entity_type = entity_type

    def _complete(self, value: str) -> str | None:
        try:
            return complete(self.kb, value, self.entity_type)
        except CrisisError:
            return None  # a database gone or busy: no suggestion, the filter still parses on Enter

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(self._complete, value)


class FilterInput(Input):
    """The filter box: the completing key (Tab, or what the keymap gives `filter.complete`) acts as
    it arrives. Were it left to the screen's binding, a key bubbles up after the letters typed
    with it (a paste, SSH batching keys) have gone into the box: Tab then completed the wrong text."""

    def __init__(self, *args, complete_keys: tuple[str, ...] = ("tab",), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.complete_keys = complete_keys

    def on_mount(self) -> None:
        self.cursor_blink = False  # a blink is a frame every half second, over SSH too

    def on_key(self, event: events.Key) -> None:
        if event.key in self.complete_keys:
            event.stop()
            event.prevent_default()
            self.action_end()
            self.action_cursor_right()  # at the end, Right takes the suggestion


class FilterScreen(ModalScreen[PaneFilter | None]):
    """Returns the filter to apply (an empty one clears), or None when cancelled."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Cancel", id="filter.cancel", tooltip="Close without changing the filter"),
        Binding("tab", "accept", "Complete", id="filter.complete", tooltip="Take the suggested completion"),
    ]

    def __init__(self, kb: KnowledgeBase, entity_type: str, title: str, text: str = "") -> None:
        super().__init__()
        self.kb = kb
        self.entity_type = entity_type
        self.title_text = title
        self.initial = text

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-box"):
            keys = getattr(self.app, "keymap", {}).get("filter.complete", "tab")
            yield FilterInput(self.initial, placeholder="participant: Russia +members", id="filter-input",
                              suggester=FilterSuggester(self.kb, self.entity_type),
                              complete_keys=tuple(k.strip() for k in keys.split(",")))
            yield Static(Content(HINT), id="filter-status")

    def on_mount(self) -> None:
        box = self.query_one("#filter-box")
        box.border_title = Content(f"Filter {self.title_text}")
        self.set_focus(self.query_one("#filter-input", Input))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_accept(self) -> None:
        """Tab: the suggestion, as Right at the end of the text takes it."""
        box = self.query_one("#filter-input", Input)
        box.action_end()
        box.action_cursor_right()

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._parse(event.value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)  # its workers' errors reach the app (the event does not bubble)

    @work(thread=True, exclusive=True, group="filter-parse", exit_on_error=False)
    def _parse(self, text: str) -> None:
        try:
            flt = parse(self.kb, text, self.entity_type)
        except FilterError as exc:
            self.app.call_from_thread(self._refused, str(exc))
            return
        self.app.call_from_thread(self.dismiss, flt)

    def _refused(self, problem: str) -> None:
        self.query_one("#filter-status", Static).update(
            Content.assemble(("Cannot filter: ", "bold"), shown.line(problem)))
