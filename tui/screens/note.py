"""The note editor (`e`): the user's own note on an entity, in Textual's TextArea.

Saving must work with plain keys over SSH, tmux and PuTTY, where Ctrl+S is often flow
control (XOFF: the terminal stops until Ctrl+Q). So the editor has two modes, as vi has:
typing, and keys. Esc (or Tab) leaves the text for the keys: `s` saves, `c` cancels, `e`,
`i` or Enter goes back to typing, and Esc again closes if nothing was changed. Ctrl+S also
saves where the terminal lets it through; Alt+S and Alt+C (Esc and the letter sent
together, as a fast typist over SSH may) save and cancel. The key bar shows the keys of the
mode. Saving empty text deletes the note.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import TextArea

from ...db.records import EntityRow
from .. import shown
from ..widgets.key_bar import KeyBar
from ..widgets.line import Line

TYPING_HINT = "Typing. Esc, then s saves or c cancels."
KEYS_HINT = "Keys. s saves (empty text deletes the note), c cancels, e types."
TYPING_ACTIONS = {"leave_text", "save_typing"}
KEY_ACTIONS = {"save", "cancel", "type", "close"}


class NoteScreen(ModalScreen[str | None]):
    """Returns the note's new text (empty: delete it), or None if cancelled."""

    BINDINGS = [
        Binding("escape", "leave_text", "Keys (s save, c cancel)", id="note.keys",
                tooltip="Leave the text for the editor's keys: s saves, c cancels, e types again"),
        Binding("ctrl+s", "save_typing", "Save", id="note.save_now",
                tooltip="Save the note while typing (where the terminal does not take Ctrl+S for flow control)"),
        Binding("s", "save", "Save", id="note.save", tooltip="Save the note (empty text deletes it)"),
        Binding("c", "cancel", "Cancel", id="note.cancel", tooltip="Close without saving"),
        Binding("e,i,enter", "type", "Type", id="note.type", tooltip="Go back to typing"),
        Binding("escape", "close", "Close", id="note.close", tooltip="Close, if nothing was changed"),
        # priority: a TextArea types Alt+S as "s" (Esc and s sent together arrive as Alt+S)
        Binding("alt+s", "save_now", "Save", show=False, priority=True, id="note.alt_save",
                tooltip="Save (Esc and s sent together)"),
        Binding("alt+c", "cancel_now", "Cancel", show=False, priority=True, id="note.alt_cancel",
                tooltip="Cancel (Esc and c sent together)"),
    ]

    def __init__(self, row: EntityRow, note: str) -> None:
        super().__init__()
        self.row, self.original = row, note
        self.hint = Line(id="note-hint")
        self.editor = TextArea(note, id="note-text", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)

    def compose(self) -> ComposeResult:
        with Vertical(id="note-box") as box:
            box.border_title = Content(f"My note on {shown.line(self.row.name)}")  # a Content: never markup
            box.border_subtitle = "your own words, not a cited fact"
            yield self.editor
            yield self.hint
            yield KeyBar()

    def on_mount(self) -> None:
        self.editor.move_cursor(self.editor.document.end)
        self.set_focus(self.editor)
        self._hint()

    @property
    def typing(self) -> bool:
        return self.focused is self.editor

    @property
    def text(self) -> str:
        return self.editor.text

    def _hint(self) -> None:
        self.hint.text = Content(TYPING_HINT if self.typing else KEYS_HINT)
        self.refresh_bindings()

    @on(events.DescendantFocus)
    @on(events.DescendantBlur)
    def _mode_changed(self) -> None:
        self._hint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in TYPING_ACTIONS:
            return self.typing
        if action in KEY_ACTIONS:
            return not self.typing
        return True

    def action_leave_text(self) -> None:
        self.set_focus(None)
        self._hint()

    def action_type(self) -> None:
        self.set_focus(self.editor)
        self._hint()

    def action_save(self) -> None:
        self.dismiss(self.text)

    def action_save_typing(self) -> None:
        self.dismiss(self.text)

    def action_save_now(self) -> None:
        self.dismiss(self.text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_cancel_now(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        if self.text.rstrip() == self.original.rstrip():
            self.dismiss(None)
        else:
            self.notify("The note has changes: s saves them, c drops them", timeout=3)
