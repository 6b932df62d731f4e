"""What the row-drawing panes share: scrolling to a row, and their base style per frame."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


def keep_in_view(view: ScrollView, index: int) -> None:
    """Scroll `view` the least that shows row `index`, at once (no animation).

    A view not laid out yet (or collapsed) has no height: it is left alone, and calls this
    again when it is resized. These views scroll with `force`: Textual lets a view scroll
    only once a layout pass has found it taller than its pane, and a view given new rows
    (a detail just shown, a list whose count just came) has not had that pass yet.
    """
    height = view.scrollable_content_region.height
    if height <= 0:
        return
    top = view.scroll_offset.y
    if index < top:
        view.scroll_to(y=index, animate=False, immediate=True, force=True)
    elif index >= top + height:
        view.scroll_to(y=index - height + 1, animate=False, immediate=True, force=True)


def set_rows(view: ScrollView, rows: int) -> None:
    """Give `view` a height of `rows` rows (its virtual size; Textual lays it out and repaints)."""
    size = Size(view.scrollable_content_region.width, rows)
    if view.virtual_size != size:
        view.virtual_size = size


def fit(segments: list[Segment], width: int, style: Style) -> Strip:
    """One row of `width` cells: padded with `style`, or cut with a `…` where it does not fit
    (else two names that differ only past the edge look alike)."""
    strip = Strip(segments)
    if strip.cell_length <= width:
        return strip.extend_cell_length(width, style)
    if width < 2:
        return strip.crop(0, width)
    cut = strip.crop(0, width - 1)
    last = segments[-1].style if segments else style
    return Strip([*cut, Segment("\u2026", last)]).extend_cell_length(width, style)


class RowView(ScrollView):
    """A ScrollView that draws its own rows; `base_style` is its style for this frame.

    `rich_style` walks every ancestor to blend backgrounds: asked once a row, it was a
    third of the time a list took to draw. Focus shows through `:focus` rules in app.tcss.
    """

    base_style = Style()

    def render_lines(self, crop: Region) -> list[Strip]:
        self.base_style = self.rich_style
        return super().render_lines(crop)
