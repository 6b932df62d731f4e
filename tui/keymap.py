"""The user's keymap: binding id -> keys, read from a TOML file and given to `App.set_keymap`.

The file is `keymap.toml` in the user's config directory, or the one `--keymap` (or
`CRISIS_TUI_KEYMAP`) names. Either form of TOML key works:

    "list.down" = "down,j,n"

    [detail]
    source = "s,o"

A file that cannot be used stops the explorer before it starts, with one line naming the
file and what is wrong (`KeymapError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..db.errors import CrisisError
from ..db.location import APP_NAME
from ..db.text import LINE_CONTROL

if TYPE_CHECKING:
    from textual.binding import Binding

ENV_VAR = "CRISIS_TUI_KEYMAP"
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
    from .screens.help import HelpScreen
    from .screens.history import HistoryScreen
    from .screens.main import MainScreen
    from .screens.search import SearchScreen
    from .screens.source import SourceScreen
    from .widgets.detail import DetailView
    from .widgets.entity_list import EntityList

    owners = (CrisisApp, MainScreen, EntityList, DetailView, SearchScreen, SourceScreen, HistoryScreen, HelpScreen)
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
            if not key or LINE_CONTROL.search(key) or any(c.isspace() for c in key):
                raise KeymapError(f'{where}: {key!r} is not a key (keys are names such as "j", "down", '
                                  f'"ctrl+f", separated by commas)')
        keymap[binding_id] = ",".join(keys)
    _refuse_clashes(path, keymap, ids)
    return keymap


def _refuse_clashes(path: Path, keymap: dict[str, str], bindings: dict[str, Binding]) -> None:
    """Refuse a key that the keymap gives to a binding while another of the same pane keeps it
    (Textual would take it from that one without a word; its own clash report, in 8.2, also
    names every remapped binding that had two keys)."""
    from textual.keys import key_to_character

    def keys(binding_id: str) -> set[str]:
        written = keymap.get(binding_id, bindings[binding_id].key).split(",")
        return {key_to_character(key.strip()) or key.strip() for key in written}

    for binding_id in keymap:
        pane = binding_id.split(".")[0]
        for other in bindings:
            if other != binding_id and other.split(".")[0] == pane:
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
