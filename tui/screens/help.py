"""The help screen: every key binding, generated from the bindings themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
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


def binding_rows(sections: list[tuple[str, list[Binding]]]) -> Content:
    parts: list[Content | str | tuple[str, str]] = []
    for title, bindings in sections:
        parts += ["\n", (title, "bold underline"), "\n"]
        seen: set[str] = set()
        for b in bindings:
            if b.action in seen or not b.description:
                continue
            seen.add(b.action)
            keys = ", ".join(key_name(k) for k in b.key.split(","))
            parts += [(f"  {keys:<22}", "bold"), b.tooltip or b.description, "\n"]
    return Content.assemble(*parts)


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
            yield Static(binding_rows(self._sections), id="help-keys")

    def action_scroll(self, delta: int) -> None:
        # at once: a scroll left for the next frame starts from where the last one began,
        # and keys held or sent together were lost
        self.query_one("#help-box").scroll_relative(y=delta, animate=False, immediate=True)

    def action_edge(self, end: int) -> None:
        box = self.query_one("#help-box")
        box.scroll_end(animate=False, immediate=True) if end else box.scroll_home(animate=False, immediate=True)
