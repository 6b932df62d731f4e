"""The help screen: every key binding, generated from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "crisis-tui explores a crisis: events, actors, agreements and places, the typed links "
    "between them, and the source passage behind every fact. Move in a list and open an "
    "entity; in the detail pane, open a link to go there, or a source to read the passage. "
    "Going back and forward, search and every other key are listed below, as your keymap "
    "(crisis-tui keys) sets them."
)

# Plain names for keys that would otherwise show as symbols a plain terminal may lack.
KEY_NAMES = {
    "enter": "Enter", "escape": "Esc", "backspace": "Backspace", "space": "Space", "tab": "Tab",
    "shift+tab": "Shift+Tab", "pageup": "PgUp", "pagedown": "PgDn", "home": "Home", "end": "End",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right",
}


def key_name(key: str) -> str:
    key = key.strip()
    if key in KEY_NAMES:
        return KEY_NAMES[key]
    if key.startswith("ctrl+"):
        return "Ctrl+" + format_key(key[5:])
    return format_key(key)


def binding_rows(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding the help lists, each action once."""
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for b in bindings:
        if b.action in seen or not b.description:
            continue
        seen.add(b.action)
        rows.append((", ".join(key_name(k) for k in b.key.split(",")), b.tooltip or b.description))
    return rows


class KeyRow(Horizontal):
    """One binding: its keys in a column of their own, what it does wrapped beside them."""

    def __init__(self, keys: str, text: str) -> None:
        super().__init__(classes="help-row")
        self.keys, self.text = keys, text

    def compose(self) -> ComposeResult:
        yield Static(Content(self.keys), classes="help-key")
        yield Static(Content(self.text), classes="help-text")


class HelpScreen(ModalScreen[None]):
    """Lists the bindings of the app, the main screen and its panes."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="help.up"),
        Binding("g,home", "edge(0)", "Top", show=False, id="help.top"),
        Binding("G,end", "edge(1)", "Bottom", show=False, id="help.bottom"),
    ]

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help - Esc closes"
            yield Static(INTRO, id="help-intro")
            with Vertical(id="help-keys"):
                for title, bindings in self._sections:
                    yield Static(Content.styled(title, "bold underline"), classes="help-title")
                    for keys, text in binding_rows(bindings):
                        yield KeyRow(keys, text)

    def keys_text(self) -> str:
        """The key list as plain text, a line a binding (`keys  what it does`)."""
        lines = []
        for title, bindings in self._sections:
            lines += ["", title, *(f"  {keys:<22}{text}" for keys, text in binding_rows(bindings))]
        return "\n".join(lines)

    def action_scroll(self, delta: int) -> None:
        # at once: a scroll left for the next frame starts from where the last one began,
        # and keys held or sent together were lost
        self.query_one("#help-box").scroll_relative(y=delta, animate=False, immediate=True)

    def action_edge(self, end: int) -> None:
        box = self.query_one("#help-box")
        box.scroll_end(animate=False, immediate=True) if end else box.scroll_home(animate=False, immediate=True)
