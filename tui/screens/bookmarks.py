"""The bookmarks modal (`B`): Enter opens one, d removes one, q or Esc closes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.worker import Worker

from .. import shown
from ..messages import worker_failed
from ..widgets.bookmark_list import BookmarkList, Entry, head_text
from ..widgets.key_bar import KeyBar
from ..widgets.line import Line

if TYPE_CHECKING:
    from ..keeping import Keeper


class BookmarksScreen(ModalScreen[str | None]):
    """Returns the ref of the bookmark to open, or None."""

    BINDINGS = [
        Binding("enter", "open", "Open", key_display="Enter", id="bookmarks.open",
                tooltip="Open the bookmarked entity"),
        Binding("d,delete", "remove", "Remove", id="bookmarks.remove", tooltip="Remove the bookmark under the cursor"),
        Binding("escape,q,B", "close", "Close", id="bookmarks.close", tooltip="Close the bookmarks"),
    ]

    def __init__(self, keeper: Keeper) -> None:
        super().__init__()
        self.keeper = keeper
        self.rows = BookmarkList(id="bookmarks-list")
        self.head = Line(id="bookmarks-head")

    def compose(self) -> ComposeResult:
        with Vertical(id="bookmarks-box") as box:
            box.border_title = "Bookmarks"
            yield self.head
            yield self.rows
            yield KeyBar()

    def on_mount(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, group="bookmarks", exit_on_error=False)
    def _read(self) -> None:
        entries = self.keeper.read_list()
        if entries is not None:
            self.app.call_from_thread(self._show, entries)

    def _show(self, entries: list[Entry]) -> None:
        self.rows.set_entries(entries)
        self._titles()

    def _titles(self) -> None:
        count = len(self.rows.entries)
        self.query_one("#bookmarks-box").border_title = f"Bookmarks ({count:,})" if self.rows.loaded else "Bookmarks"
        self.head.text = Content.styled(head_text(self.rows.scrollable_content_region.width or 76), "bold")

    def on_resize(self, event: events.Resize) -> None:
        self._titles()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)

    def action_open(self) -> None:
        entry = self.rows.current
        if entry is None:
            return
        mark, row = entry
        if row is None:
            self.notify(f"{shown.line(mark.name)} ({shown.line(mark.ref)}) is no longer in this knowledge base "
                        "(d removes its bookmark)", severity="warning", timeout=4, markup=False)
            return
        self.dismiss(row.ref)

    def action_remove(self) -> None:
        entry = self.rows.current
        if entry is not None:
            self._remove(entry[0].ref, entry[0].name)

    @work(thread=True, group="bookmarks-remove", exit_on_error=False)
    def _remove(self, ref: str, name: str) -> None:
        if self.keeper.remove(ref):
            self.app.call_from_thread(self._removed, ref, name)

    def _removed(self, ref: str, name: str) -> None:
        current = self.rows.current
        if current is not None and current[0].ref == ref:
            self.rows.remove_current()
        else:
            self.rows.set_entries([e for e in self.rows.entries if e[0].ref != ref], self.rows.cursor)
        self._titles()
        self.notify(f"Removed the bookmark on {shown.line(name)}", timeout=2, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
