"""One-line widgets drawn from one cached strip: a label, and the base they share."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


class OneLine(Widget):
    """A widget one line high, drawn by `draw` once per text, width and style.

    The breadcrumb and the tabs line change on every visit and every cursor move, and
    Textual's general text rendering of a line costs more than drawing it once per text.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._strip: tuple[tuple, Strip] | None = None

    def draw(self, width: int, base) -> Strip:
        """The line for this width and base (rich) style."""
        raise NotImplementedError

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strip = None  # a new theme may restyle parts the base style does not show

    def redraw(self) -> None:
        """What `draw` shows has changed."""
        self._strip = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, base = self.content_region.width, self.rich_style
        if y:
            return Strip.blank(width, base)
        key = (width, base)
        if self._strip is None or self._strip[0] != key:
            self._strip = key, self.draw(width, base)
        return self._strip[1]


class Line(OneLine):
    """Shows `text` on one line, cut to the width: markup in a str, as it is in a `Content` (give
    text that holds data as a Content); updates repaint only itself (a Static's update re-lays
    out the screen)."""

    text: reactive[str | Content] = reactive("", layout=False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._content = Content("")

    def watch_text(self, text: str | Content) -> None:
        self._content = text if isinstance(text, Content) else Content.from_markup(text)
        self._strip = None  # the reactive repaints

    def draw(self, width: int, base) -> Strip:
        return Strip(self._content.render_segments(Style.from_rich_style(base))).crop_extend(0, width, base)
