"""What the row-drawing panes share: scrolling, sizing, and their base style per frame."""

from __future__ import annotations

from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


def keep_in_view(view: ScrollView, index: int) -> None:
    """Scroll `view` the least that shows row `index`, at once (no animation).

    A view not laid out yet (or collapsed) has no height: it is left alone, and calls this
    again when it is resized.
    """
    height = view.scrollable_content_region.height
    if height <= 0:
        return
    top = view.scroll_offset.y
    if index < top:
        view.scroll_to(y=index, animate=False, immediate=True)
    elif index >= top + height:
        view.scroll_to(y=index - height + 1, animate=False, immediate=True)


def set_rows(view: ScrollView, rows: int, repaint: bool = True) -> None:
    """Give `view` a new height in rows without a layout pass (and, if told, without a repaint).

    `virtual_size` is a layout reactive: setting it relays out the whole screen (~5 ms),
    though a pane of fixed size only needs its own repaint. Textual lets a view scroll only
    while it "shows" a vertical scrollbar (these panes draw none: its size is 0), which it
    decides in the layout pass skipped here; so it is decided here too.
    """
    region = view.scrollable_content_region
    view.set_reactive(ScrollView.virtual_size, Size(region.width, rows))
    view.set_reactive(ScrollView.show_vertical_scrollbar, rows > region.height)
    if repaint:
        view.refresh()


class RowView(ScrollView):
    """A ScrollView that draws its own rows; `base_style` is its style for this frame.

    `rich_style` walks every ancestor to blend backgrounds: asked once a row, it was a
    third of the time a list took to draw.
    """

    base_style = Style()
    FOCUSED_TITLE = ""  # a component class whose text style the title takes while focused

    def render_lines(self, crop: Region) -> list[Strip]:
        self.base_style = self.rich_style
        return super().render_lines(crop)

    def _on_focus(self, event: events.Focus) -> None:
        event.prevent_default()  # Textual's own handler repaints the whole pane: see watch_has_focus
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def watch_has_focus(self, focused: bool) -> None:
        """Show focus in the title and the cursor, repainting only those.

        Textual re-applies every rule to a widget and to each of its component classes when it
        gains or loses focus (1-2.5 ms a pane, twice per Enter), and a repaint of the whole
        pane cost 2-4 ms more. The two looks that depend on focus are component classes
        instead (`*--focused-title`, `*--focused-cursor`), styled once and picked here and
        when a cursor row is drawn; the title is set as an inline rule without a repaint, and
        only the top border and the cursor's rows are repainted.
        """
        title = self.get_component_styles(self.FOCUSED_TITLE).text_style if focused and self.FOCUSED_TITLE else None
        self.styles.inline.set_rule("border_title_style", title)
        offset = self.content_offset
        self.refresh(Region(-offset.x, -offset.y, self.outer_size.width, 1))  # the top border, with the title
        self.refresh_cursor()

    def refresh_cursor(self) -> None:
        """Repaint the rows whose look depends on focus (the cursor's)."""
        self.refresh()
