"""The bottom line: the keys of the screen, drawn as one line.

Textual's Footer is a container of a widget per key, each drawn through Textual's text
rendering on every full repaint of the screen (closing the search or the help, a resize):
a third of such a repaint (benchmarks/README.md). This draws the same `key description`
pairs as one strip, and redraws when the screen's bindings change.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.screen import Screen
from textual.strip import Strip

from .line import OneLine

ZOOM_ID = "pane.zoom"  # while a pane is zoomed, its key is shown first, as Restore


class KeyBar(OneLine):
    """Each binding the screen shows, as `key description`; the command palette's at the right.

    A click on a key presses it.
    """

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}

    def __init__(self, app_keys: Collection[str] | None = None, **kwargs) -> None:
        """With `app_keys` (binding ids), the app's own bindings shown are only those: a screen
        with many keys of its own (the timeline) shows them first and whole at 80 columns."""
        super().__init__(**kwargs)
        self._app_keys = app_keys
        self._keys: list[tuple[str, str, str, bool]] = []  # (key, shown as, description, enabled)
        self._palette: tuple[str, str, str, bool] | None = None
        self._spans: list[tuple[int, int, str]] = []  # (first cell, end cell, key) for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is not self.screen:
            return
        display = self.app.get_key_display
        keys: list[tuple[str, str, str, bool]] = []
        palette, actions = None, set()
        zoomed = screen.maximized is not None
        for node, binding, enabled, _ in screen.active_bindings.values():
            if node is self.app and self._app_keys is not None and binding.id not in self._app_keys:
                continue
            if zoomed and binding.id == ZOOM_ID and binding.action not in actions:  # how to give the panes back
                actions.add(binding.action)
                keys.insert(0, (binding.key, display(binding), "Restore", enabled))
            elif binding.show and binding.action not in actions:  # `b,backspace`: shown once, as b
                actions.add(binding.action)
                keys.append((binding.key, display(binding), binding.description, enabled))
        if self.app.ENABLE_COMMAND_PALETTE:
            found = screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                palette = (found.binding.key, display(found.binding), found.binding.description, found.enabled)
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.redraw()

    def draw(self, width: int, base) -> Strip:
        key_style = base + self.get_component_rich_style("key-bar--key")
        text_style = base + self.get_component_rich_style("key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")
        segments: list[Segment] = []
        spans: list[tuple[int, int, str]] = []
        at = 0  # cells drawn so far: where a click lands

        def add(entry: tuple[str, str, str, bool], pad: str = " ") -> None:
            nonlocal at
            key, shown, description, enabled = entry
            parts = [(f"{pad}{shown} ", key_style), (f"{description} " if description else "", text_style)]
            start = at
            for text, style in parts:
                segments.append(Segment(text, style if enabled else style + dim))
                at += cell_len(text)
            spans.append((start, at, key))

        for entry in self._keys:
            add(entry)
        if self._palette is not None:
            _, shown, description, _ = self._palette
            room = width - at - cell_len(f"▏{shown} {description} ")
            if room >= 1:
                segments.append(Segment(" " * room, base))
                at += room
                segments.append(Segment("▏", base + dim))
                at += 1
                add(self._palette, pad="")
        self._spans = spans
        return Strip(segments).crop_extend(0, width, base)

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
