"""Bookmarks, personal notes and where the explorer was left, for the explorer (db/state.py).

The app holds one Keeper. Every read and write of the state database runs in a thread
worker. A state database that cannot be used is said in a notice (once; again whenever the
user asks for something that needs it) and the explorer goes on exploring without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..db.errors import CrisisError
from ..db.records import EntityRow
from . import shown

if TYPE_CHECKING:  # db/state.py is imported off the UI thread, at the first use of the state
    from ..db.state import Bookmark, Mine, Place, UserState
    from .app import CrisisApp
    from .screens.note import NoteScreen

NO_STATE = "No state database: bookmarks and notes are off"
THEIRS_THEN_YOURS = "--- and yours, kept as crisis-tui quit:"  # a note changed elsewhere, then quit with


class Keeper:
    """The explorer's side of the state database: `m`, `B`, `e`, and the place left."""

    def __init__(self, app: CrisisApp, state: UserState | Callable[[], UserState] | None) -> None:
        self.app = app
        self._state, self._opening = state, threading.Lock()
        self._told = False
        self.editing: NoteScreen | None = None  # the note editor open, if one is
        self.failure: str | None = None  # the last problem met (the command line repeats it at exit)
        self.kept_at_exit: str | None = None  # the entity whose changed note was saved as the explorer quit

    @property
    def state(self) -> UserState | None:
        """The state database of this knowledge base; given as a function, opened at its first use."""
        if callable(self._state):
            with self._opening:
                if callable(self._state):
                    try:
                        self._state = self._state()
                    except CrisisError as exc:  # (a StateError: a path that cannot be one)
                        self._state, self.failure = None, str(exc)
        return self._state

    def close(self) -> None:
        if self._state is not None and not callable(self._state):
            self._state.close()

    # --- problems ------------------------------------------------------------------------

    def _failed(self, exc: CrisisError, always: bool = False) -> None:
        """Say (off the UI thread) what is wrong with the state database: once, or `always`."""
        self.failure = str(exc)
        if always or not self._told:
            self._told = True
            self.app.call_from_thread(self._tell, str(exc))

    def _tell(self, message: str) -> None:
        self.app.notify(shown.line(message), title="Bookmarks and notes", severity="error", timeout=8, markup=False)

    def _run(self, work: Callable[[], Any]) -> None:
        self.app.run_worker(work, thread=True, group="state", exit_on_error=False)

    def _entity(self) -> EntityRow | None:
        """The entity shown, if there is a state database to keep things on it (else a notice)."""
        detail = self.app.main.detail.detail
        if self.app.shown is None or detail is None or detail.row.ref != self.app.shown:
            self.app.notify("No entity is shown", timeout=2)
            return None
        if self._state is None:
            self.app.notify(NO_STATE, severity="warning", timeout=4)
            return None
        return detail.row

    def _show_mine(self, ref: str, mine: Mine) -> None:
        detail = self.app.main.detail
        if self.app.shown == ref and detail.detail is not None and detail.detail.row.ref == ref:
            detail.show_mine(mine)

    # --- read with each entity (in the detail's worker) --------------------------------

    def mine(self, ref: str) -> Mine | None:
        """The user's bookmark and note on `ref` (call it off the UI thread); None without a state."""
        if self.state is None:
            return None
        try:
            return self.state.mine(ref)
        except CrisisError as exc:  # a StateError
            self._failed(exc)
            return None

    # --- m: bookmark or unbookmark the entity shown ---------------------------------------

    def toggle(self) -> None:
        """Bookmark the entity if the detail shows it unbookmarked, else remove its bookmark: what the
        user sees is what `m` changes (another explorer may have changed the file meanwhile)."""
        row = self._entity()
        if row is not None:
            shown_mine = self.app.main.detail.mine
            self._run(partial(self._toggle, row, not (shown_mine is not None and shown_mine.bookmarked)))

    def _toggle(self, row: EntityRow, on: bool) -> None:
        assert self.state is not None
        try:
            self.state.set_bookmark(row.ref, row.name, row.type, on)
            mine = self.state.mine(row.ref)
        except CrisisError as exc:  # a StateError
            self._failed(exc, always=True)
            return
        self.app.call_from_thread(self._toggled, row, on, mine)

    def _toggled(self, row: EntityRow, on: bool, mine: Mine) -> None:
        name = shown.line(row.name)
        self.app.notify(f"Bookmarked {name} (B lists the bookmarks)" if on else f"Removed the bookmark on {name}",
                        timeout=3, markup=False)
        self._show_mine(row.ref, mine)

    # --- B: the bookmarks list -----------------------------------------------------------

    def show_list(self) -> None:
        if self._state is None:
            self.app.notify(NO_STATE, severity="warning", timeout=4)
            return
        from .screens.bookmarks import BookmarksScreen

        def chosen(ref: str | None) -> None:
            if ref is not None:
                self.app.visit(ref, focus_detail=True)

        self.app.push_screen(BookmarksScreen(self), chosen)

    def read_list(self) -> list[tuple[Bookmark, EntityRow | None]] | None:
        """The bookmarks, each with its entity (None: gone from the knowledge base); None if the
        state database cannot be read (said). Off the UI thread."""
        assert self.state is not None
        try:
            marks = self.state.bookmarks()
        except CrisisError as exc:  # a StateError
            self._failed(exc, always=True)
            return None
        held = self.app.kb.rows([b.ref for b in marks])
        return [(b, held.get(b.ref)) for b in marks]

    def remove(self, ref: str) -> bool:
        """Remove a bookmark (off the UI thread); whether it was removed."""
        assert self.state is not None
        try:
            gone = self.state.remove_bookmark(ref)
            mine = self.state.mine(ref)
        except CrisisError as exc:  # a StateError
            self._failed(exc, always=True)
            return False
        self.app.call_from_thread(self._show_mine, ref, mine)
        return gone

    # --- e: the note on the entity shown ------------------------------------------------

    def edit_note(self) -> None:
        row = self._entity()
        if row is not None:
            self._run(partial(self._read_note, row))

    def _read_note(self, row: EntityRow) -> None:
        assert self.state is not None
        try:
            note = self.state.mine(row.ref).note
        except CrisisError as exc:  # a StateError
            self._failed(exc, always=True)
            return
        if self.state.read_only:  # nothing typed could be kept: said before typing, not after
            from ..db.state import StateError

            self._failed(StateError(f"{self.state.path}: the state database is read-only: notes are shown but "
                                    f"cannot be changed"), always=True)
            return
        self.app.call_from_thread(self._open_editor, row, note or "")

    def _open_editor(self, row: EntityRow, note: str) -> None:
        from .screens.note import NoteScreen

        def done(saved: bool | None) -> None:
            self.editing = None
            if not saved:
                self.app.notify("Note unchanged", timeout=2)

        if not self.app.main.is_tiny:
            self.editing = NoteScreen(row, note, self.save_note)
            self.app.push_screen(self.editing, done)

    def save_note(self, editor: NoteScreen, text: str, expected: str) -> None:
        """Save the editor's text over the note it knows (`expected`); the editor stays open until
        the write succeeds, and is told why it did not."""
        self._run(partial(self._save_note, editor, text, expected))

    def _save_note(self, editor: NoteScreen, text: str, expected: str) -> None:
        from ..db.state import NoteChanged

        assert self.state is not None
        try:
            note = self.state.set_note(editor.row.ref, text, expected)
            mine = self.state.mine(editor.row.ref)
        except NoteChanged as exc:  # another explorer saved one meanwhile: never overwritten unasked
            self.app.call_from_thread(editor.changed_elsewhere, exc.theirs)
            return
        except CrisisError as exc:  # a StateError: locked, not writable
            self._failed(exc, always=True)
            self.app.call_from_thread(editor.not_saved)
            return
        self.app.call_from_thread(self._noted, editor, text, note, mine)

    def _noted(self, editor: NoteScreen, text: str, note: str | None, mine: Mine) -> None:
        name = shown.line(editor.row.name)
        self.app.notify(f"Saved your note on {name}" if note else f"Deleted your note on {name}", timeout=3,
                        markup=False)
        self._show_mine(editor.row.ref, mine)
        editor.saved(text)

    def keep_open_note(self) -> None:
        """As the explorer quits (Ctrl+Q, or a keymap's quit) with a changed note open, save it (on the
        UI thread: one short write). If the note was changed elsewhere since the editor opened,
        theirs is kept and this text added below it. If it cannot be written, the failure the
        command line repeats at exit holds the text."""
        editor = self.editing
        if editor is None or not editor.changed or self.state is None:
            return
        from ..db.state import NoteChanged

        text = editor.text.rstrip()
        try:
            try:
                self.state.set_note(editor.row.ref, text, editor.expected)
            except NoteChanged as exc:
                theirs = (exc.theirs or "").rstrip()
                if theirs != text:  # (not this very text, saved as it quit)
                    self.state.set_note(editor.row.ref, f"{theirs}\n\n{THEIRS_THEN_YOURS}\n{text}" if theirs
                                        else text, theirs)
        except CrisisError as exc:  # a StateError, or changed yet again
            self.failure = f"{exc}; your note on {editor.row.name} was not saved, it read: {text}"
        else:
            self.kept_at_exit = editor.row.name

    # --- where the explorer was left -----------------------------------------------------

    def read_place(self) -> Place | None:
        """Where the explorer was left on this knowledge base, without the entities it no longer
        holds (off the UI thread); None if nothing is kept, or the state cannot be read (said)."""
        if self.state is None:
            return None
        try:
            place = self.state.place()
        except CrisisError as exc:  # a StateError
            self._failed(exc)
            return None
        if place is None:
            return None
        from ..db.state import Place

        held = self.app.kb.rows([*([place.ref] if place.ref else []), *(ref for ref, _ in place.history)])
        kept = tuple(entry for entry in place.history if entry[0] in held)
        before = sum(1 for entry in place.history[:place.cursor + 1] if entry[0] in held)
        cursor = max(before - 1, 0) if kept else -1
        return Place(place.ref if place.ref in held else None, place.pane, place.detail, kept, cursor)

    def save_place(self, place: Place) -> None:
        """Keep where the explorer is left (on the UI thread, as it closes: one short write)."""
        if self.state is None or place.ref is None:
            return
        try:
            self.state.save_place(place)
        except CrisisError as exc:  # a StateError
            self.failure = str(exc)
