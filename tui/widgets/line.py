"""A one-line label whose updates repaint only itself (a Static update re-lays out the screen)."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class Line(Widget):
    """Shows `text` (markup allowed) on one line."""

    text: reactive[str] = reactive("", layout=False)

    def render(self) -> RenderResult:
        return Content.from_markup(self.text)
