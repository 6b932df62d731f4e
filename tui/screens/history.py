"""The history modal: where you have been; Enter jumps there."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

EMPTY = ("Nothing yet: the entities you open (Enter on a row, a followed link, a search hit) "
         "are listed here; back and forward step through them.")


class HistoryScreen(ModalScreen[int | None]):
    """Returns the index of the chosen history entry."""

    BINDINGS = [
        Binding("escape,H,q", "dismiss_none", "Close", id="history.close"),
        Binding("slash", "search", "Search", id="history.search", tooltip="Close the history and search"),
        Binding("j", "cursor(1)", "Down", show=False, id="history.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="history.up"),
    ]

    def __init__(self, names: list[str], cursor: int) -> None:
        super().__init__()
        self._names = names
        self._cursor = cursor

    def compose(self) -> ComposeResult:
        options = [
            Option(Content(("> " if i == self._cursor else "  ") + f"{i + 1:>3}  {name}"), id=str(i))
            for i, name in enumerate(self._names)
        ] or [Option(Content(EMPTY), disabled=True)]
        history = OptionList(*options, id="history-list")
        history.border_title = "History - Enter jumps, Esc or q closes"
        history.set_class(not self._names, "-empty")
        yield history

    def on_mount(self) -> None:
        history = self.query_one(OptionList)
        if self._names:
            history.highlighted = max(self._cursor, 0)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_cursor(self, delta: int) -> None:
        history = self.query_one(OptionList)
        history.action_cursor_down() if delta > 0 else history.action_cursor_up()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    async def action_search(self) -> None:
        """Close, and open the search (as `/` does everywhere else)."""
        self.dismiss(None)
        await self.app.run_action("app.search")
