"""The note editor (`e`): the user's own note on an entity, in Textual's TextArea.

Saving must work with plain keys over SSH, tmux and PuTTY, where Ctrl+S is often flow
control (XOFF: the terminal stops until Ctrl+Q). So the editor has two modes, as vi has:
typing, and keys. Esc (or Tab) leaves the text for the keys: `s` saves, `c` cancels, `e`,
`i` or Enter goes back to typing, and Esc again closes if nothing was changed. Ctrl+S also
saves where the terminal lets it through; Alt+S and Alt+C (Esc and the letter sent
together, as a fast typist over SSH may) save and cancel. The key bar shows the keys of the
mode. Saving empty text deletes the note.

Typed text is never lost unasked: the editor stays open, with the text, until the save has
succeeded (a locked file: it says why, and s tries again); with changes, `c` asks once more
(a second `c` drops them); a note another explorer saved since the editor opened is not
overwritten unless `s` is pressed again; quitting with changes saves them (tui/keeping.py).
"""

from __future__ import annotations

from collections.abc import Callable

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
SAVING_HINT = "Saving..."
NOT_SAVED_HINT = "Not saved (see the notice). s tries again; c twice drops it."
DROP_HINT = "c again drops your changes; s saves them, e types."
THEIRS_HINT = "Changed elsewhere: s again overwrites theirs, c keeps theirs."
THEIRS_NOTICE = "Your note was changed elsewhere since you opened it: s again overwrites it, c keeps theirs"


class NoteScreen(ModalScreen[bool]):
    """The note editor: dismissed with True once the note is saved (by `save`, which calls back
    `saved`, `not_saved` or `changed_elsewhere`), False if closed without saving."""

    BINDINGS = [
        Binding("escape", "leave_text", "Keys (s save, c cancel)", id="note.keys",
                tooltip="Leave the text for the editor's keys: s saves, c cancels, e types again"),
        Binding("ctrl+s", "save_typing", "Save", id="note.save_now",
                tooltip="Save the note while typing (where the terminal does not take Ctrl+S for flow control)"),
        Binding("s", "save", "Save", id="note.save", tooltip="Save the note (empty text deletes it)"),
        Binding("c", "cancel", "Cancel", id="note.cancel",
                tooltip="Close without saving (with changes, asks once more: a second c drops them)"),
        Binding("e,i,enter", "type", "Type", id="note.type", tooltip="Go back to typing"),
        Binding("escape", "close", "Close", id="note.close", tooltip="Close, if nothing was changed"),
        # priority: a TextArea types Alt+S as "s" (Esc and s sent together arrive as Alt+S)
        Binding("alt+s", "save_now", "Save", show=False, priority=True, id="note.alt_save",
                tooltip="Save (Esc and s sent together)"),
        Binding("alt+c", "cancel_now", "Cancel", show=False, priority=True, id="note.alt_cancel",
                tooltip="Cancel (Esc and c sent together)"),
    ]

    def __init__(self, row: EntityRow, note: str, save: Callable[[NoteScreen, str, str], None]) -> None:
        super().__init__()
        self.row, self.original = row, note
        self.expected = note  # the note kept, as the editor knows it: a save over any other is refused
        self._save_with = save
        self.saving = False  # a save is under way
        self.dropping = False  # `c` pressed with changes: a second `c` drops them
        self.theirs_known = False  # told the note was changed elsewhere: `s` overwrites it, `c` keeps it
        self.problem: str | None = None  # what the hint says in keys mode instead of the keys
        self.hint = Line(id="note-hint")
        self.editor = TextArea(note, id="note-text", soft_wrap=True, tab_behavior="focus", show_line_numbers=False)
        self.editor.cursor_blink = False  # a blink is a frame every half second, over SSH too

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

    @property
    def changed(self) -> bool:
        return self.text.rstrip() != self.original.rstrip()

    def _hint(self) -> None:
        keys_hint = SAVING_HINT if self.saving else self.problem or KEYS_HINT
        self.hint.text = Content(TYPING_HINT if self.typing else keys_hint)
        self.refresh_bindings()

    @on(TextArea.Changed)
    def _typed(self) -> None:
        if self.dropping:
            self.dropping, self.problem = False, None
            self._hint()

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
        self.dropping = False
        self.set_focus(self.editor)
        self._hint()

    def _save(self) -> None:
        if self.saving:
            return
        if not self.changed:
            self.dismiss(False)
            return
        self.saving, self.dropping, self.problem = True, False, None
        self._hint()
        self._save_with(self, self.text, self.expected)

    def action_save(self) -> None:
        self._save()

    def action_save_typing(self) -> None:
        self._save()

    def action_save_now(self) -> None:
        self._save()

    def _cancel(self) -> None:
        if self.saving:
            return
        if not self.changed or self.dropping or self.theirs_known:
            self.dismiss(False)
            return
        self.dropping, self.problem = True, DROP_HINT
        self.notify("c again drops your changes", timeout=3)
        self._hint()

    def action_cancel(self) -> None:
        self._cancel()

    def action_cancel_now(self) -> None:
        self._cancel()

    def action_close(self) -> None:
        if not self.changed and not self.saving:
            self.dismiss(False)
        else:
            self.notify("The note has changes: s saves them, c drops them", timeout=3)

    # --- what the save came to (called by the keeper, on the UI thread) ---------------------

    def saved(self, text: str) -> None:
        """Saved `text`: closed, unless more was typed meanwhile (then that is the change)."""
        self.saving, self.theirs_known = False, False
        if self.text.rstrip() == text.rstrip():
            self.dismiss(True)
            return
        self.original = self.expected = text.rstrip()
        self._hint()

    def not_saved(self) -> None:
        """The write failed (the keeper's notice says why): the text stays, for another try."""
        self.saving, self.problem = False, NOT_SAVED_HINT
        self._hint()

    def changed_elsewhere(self, theirs: str | None) -> None:
        """Another explorer saved a note on the entity since this editor opened: `s` again
        overwrites it, `c` keeps it."""
        self.saving, self.theirs_known, self.problem = False, True, THEIRS_HINT
        self.expected = theirs or ""
        self.notify(THEIRS_NOTICE, severity="warning", timeout=8)
        self._hint()
