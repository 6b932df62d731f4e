"""The user's keymap: binding id -> keys, read from a TOML file and given to `App.set_keymap`.

The file is `keymap.toml` in the user's config directory, or the one `--keymap` (or
`CRISIS_TUI_KEYMAP`) names. Either form of TOML key works:

    "list.down" = "down,j,d"

    [detail]
    source = "s,o"

A file that cannot be used stops the explorer before it starts, with one line naming the
file and what is wrong (`KeymapError`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..db.errors import CrisisError
from ..db.location import APP_NAME
from ..db.text import LINE_CONTROL

if TYPE_CHECKING:
    from textual.binding import Binding

ENV_VAR = "CRISIS_TUI_KEYMAP"
MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
NAMED_KEYS = {"escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup", "pagedown",
              "up", "down", "left", "right", "space", *(f"f{n}" for n in range(1, 25))}
# Which bindings a key given to another can hide: while a list or the detail has the focus,
# its keys come before the main screen's (pane.*) and the app's; those before the app's.
# The tree of a neighbourhood or paths screen (graph.*) comes before its screen's keys and the
# app's; a screen's own keys (q closes it) are meant to come before the app's.
REACHES = {"list": {"pane", "app"}, "detail": {"pane", "app"}, "pane": {"app"},
           "graph": {"neighbourhood", "paths", "app"}}
# Textual's Tree keys (and its scrolling's), which the tree of those screens takes first
TREE_KEYS = {"enter", "space", "shift+space", "up", "down", "shift+up", "shift+down", "shift+left", "shift+right",
             "home", "end", "pageup", "pagedown", "ctrl+pageup", "ctrl+pagedown"}
FILE_NAME = "keymap.toml"
TOML_TYPES = {bool: "true or false", int: "a number", float: "a number", list: "a list", dict: "a table"}


class KeymapError(CrisisError):
    """A keymap file that cannot be used: names the file and what is wrong (exit code 1)."""


def default_path() -> Path:
    """`keymap.toml` in the user's config directory (on Linux `~/.config/crisis-tui/`)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / FILE_NAME


def remappable() -> dict[str, Binding]:
    """Every binding a keymap can remap, by id: the app's, then its screens' and panes'."""
    from textual.binding import Binding

    from .app import CrisisApp
    from .screens.bookmarks import BookmarksScreen
    from .screens.filter import FilterScreen
    from .screens.help import HelpScreen
    from .screens.history import HistoryScreen
    from .screens.main import MainScreen
    from .screens.neighbourhood import NeighbourhoodScreen
    from .screens.note import NoteScreen
    from .screens.paths import PathsScreen
    from .screens.search import SearchScreen
    from .screens.source import SourceScreen
    from .screens.timeline import TimelineScreen
    from .widgets.bookmark_list import BookmarkList
    from .widgets.detail import DetailView
    from .widgets.entity_list import EntityList
    from .widgets.link_tree import LinkTree

    owners = (CrisisApp, MainScreen, EntityList, DetailView, SearchScreen, SourceScreen, HistoryScreen, HelpScreen,
              FilterScreen, NeighbourhoodScreen, PathsScreen, LinkTree, BookmarksScreen, BookmarkList,
              NoteScreen, TimelineScreen)
    return {b.id: b for owner in owners for b in owner.BINDINGS if isinstance(b, Binding) and b.id}


def load_keymap(path: Path | None) -> dict[str, str]:
    """The keymap in `path`, or in the default file if there is one ({} if not), checked
    against the bindings; a KeymapError says what is wrong with it."""
    import tomllib

    named, path = path is not None, path or default_path()
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        if not named:
            return {}  # no keymap of one's own: every binding keeps its keys
        raise KeymapError(f"{path}: no such keymap file") from None
    except IsADirectoryError:
        raise KeymapError(f"{path}: a folder, not a keymap file") from None
    except OSError as exc:
        raise KeymapError(f"{path}: cannot read the keymap ({exc.strerror or exc})") from None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise KeymapError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as exc:
        raise KeymapError(f"{path}: not valid TOML: {exc}") from None
    keymap: dict[str, str] = {}
    ids = remappable() if document else {}
    for binding_id, value in _flat(document):
        where = f"{path}: {binding_id}"
        if binding_id not in ids:
            import difflib

            close = difflib.get_close_matches(binding_id, list(ids), n=3)
            hint = f"did you mean {' or '.join(close)}?" if close else "`crisis-tui keys` lists them"
            raise KeymapError(f"{where}: no binding has this id ({hint})")
        if binding_id in keymap:
            raise KeymapError(f"{where}: given twice")
        if not isinstance(value, str):
            kind = TOML_TYPES.get(type(value), "a date")
            raise KeymapError(f'{where}: keys are a string such as "down,j", not {kind}')
        keys = [key.strip() for key in value.split(",")]
        if keys == [""]:
            raise KeymapError(f"{where}: no keys (leave the id out to keep its own keys)")
        for key in keys:
            if not is_key(key):
                raise KeymapError(f'{where}: {key!r} is not a key (keys are names such as "j", "down", '
                                  f'"pagedown", "escape", "enter", "ctrl+f", "f5", separated by commas)')
            taken = reserved_for(binding_id, key)
            if taken:
                raise KeymapError(f"{where}: {key!r} {taken}, so it would never reach this binding")
        keymap[binding_id] = ",".join(keys)
    _refuse_clashes(path, keymap, ids)
    return keymap


def is_key(key: str) -> bool:
    """Whether a terminal key can ever arrive as `key` (Textual's names: `j`, `G`, `?`,
    `question_mark`, `pagedown`, `ctrl+f`, `f5`); `ctrl-n`, `esc` or `return` never do."""
    from textual.keys import KEY_NAME_REPLACEMENTS, key_to_character

    *modifiers, base = key.split("+") if key != "+" else [key]
    if not base or any(m not in MODIFIERS for m in modifiers) or LINE_CONTROL.search(base) or base.isspace():
        return False
    if len(base) == 1:
        return base.isprintable() and not unicodedata.category(base).startswith("M")  # not a combining mark
    if base in NAMED_KEYS or base in KEY_NAME_REPLACEMENTS.values():
        return True
    character = key_to_character(base)
    return character is not None and len(character) == 1 and character.isprintable()


def reserved_for(binding_id: str, key: str) -> str | None:
    """What takes `key` before the binding `binding_id` could (a reason), or None.

    Textual's own keys (quit, the palette) come first everywhere; Tab moves between panes;
    the search box types every printable key and edits with its own; the history's list
    moves and chooses with the arrows and Enter, as the tree of a neighbourhood or paths does.
    """
    from .screens.search import EDITING_KEYS

    owner = binding_id.split(".")[0]
    if key in ("ctrl+q", "ctrl+c", "ctrl+p"):
        return "is Textual's own (quit, copy, the command palette)"
    if owner in ("app", "pane", "list", "detail") and key in ("tab", "shift+tab"):
        return "moves between the panes"
    typed = len(key) == 1 or key == "space" or ("+" not in key and key not in NAMED_KEYS)  # `?`, `slash`
    if owner == "search" and (typed or key in EDITING_KEYS):
        return "is typed or used by the search box"
    if owner == "history" and key in ("enter", "up", "down", "pageup", "pagedown", "home", "end"):
        return "is the history list's own"
    if owner in ("neighbourhood", "paths") and key in TREE_KEYS:
        return "is the tree's own (it moves, folds and opens with it)"
    return None


def _refuse_clashes(path: Path, keymap: dict[str, str], bindings: dict[str, Binding]) -> None:
    """Refuse a key that the keymap gives to a binding while another that can take it first,
    or that it would hide, keeps it: one of the same pane, or a list's key that would hide the
    app's (`"list.up" = "up,q"` would stop q quitting while a list has the focus). Textual
    would take it without a word; its own clash report, in 8.2, also names every remapped
    binding that had two keys."""
    from textual.keys import key_to_character

    def keys(binding_id: str) -> set[str]:
        written = keymap.get(binding_id, bindings[binding_id].key).split(",")
        return {key_to_character(key.strip()) or key.strip() for key in written}

    def related(a: str, b: str) -> bool:
        first, second = a.split(".")[0], b.split(".")[0]
        return first == second or second in REACHES.get(first, ()) or first in REACHES.get(second, ())

    for binding_id in keymap:
        for other in bindings:
            if other != binding_id and related(binding_id, other):
                both = keys(binding_id) & keys(other)
                if both:
                    key = sorted(both)[0]
                    raise KeymapError(f"{path}: {binding_id} takes {key!r}, which {other} has too "
                                      f"(give {other} its own keys in the keymap as well)")


def _flat(table: dict[str, object], prefix: str = "") -> Iterator[tuple[str, object]]:
    """(id, value) pairs: `[list]` with `down = ...` gives `list.down`, as `"list.down" = ...` does."""
    for key, value in table.items():
        if isinstance(value, dict) and not prefix:
            yield from _flat(value, f"{key}.")
        else:
            yield prefix + key, value
