"""A one-line label whose updates repaint only itself (a Static update re-lays out the screen)."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


class Line(Widget):
    """Shows `text` (markup allowed) on one line, cut to the width.

    Drawn from one strip made when the text, width or style changes: through Textual's
    general text rendering a line took 0.5-2.5 ms, and the breadcrumb and the tabs line
    change on every visit and every cursor move.
    """

    text: reactive[str] = reactive("", layout=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._content = Content("")
        self._strip: tuple[tuple, Strip] | None = None

    def watch_text(self, text: str) -> None:
        self._content = Content.from_markup(text)
        self._strip = None

    def render_line(self, y: int) -> Strip:
        width, base = self.content_region.width, self.rich_style
        if y:
            return Strip.blank(width, base)
        key = (width, base)
        if self._strip is None or self._strip[0] != key:
            segments = self._content.render_segments(Style.from_rich_style(base))
            self._strip = key, Strip(segments).crop_extend(0, width, base)
        return self._strip[1]
