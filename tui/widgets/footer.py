"""A footer that rebuilds only when the keys it shows change.

Textual's Footer recomposes on every focus change, which cost a visible ~50-100 ms on each
Enter that moves focus from a list to the detail pane.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class StableFooter(Footer):
    """Footer that skips recomposing when the shown bindings are the same as before."""

    _shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (binding.key, binding.description, enabled)
            for (_, binding, enabled, _) in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown and self._bindings_ready:
            return
        self._shown = shown
        super().bindings_changed(screen)
