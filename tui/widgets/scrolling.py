"""Scrolling shared by the one-line-per-row lists."""

from __future__ import annotations

from textual.scroll_view import ScrollView


def keep_in_view(view: ScrollView, index: int) -> None:
    """Scroll `view` the least that shows row `index`, at once (no animation)."""
    height = view.scrollable_content_region.height or 1
    top = view.scroll_offset.y
    if index < top:
        view.scroll_to(y=index, animate=False, immediate=True)
    elif index >= top + height:
        view.scroll_to(y=index - height + 1, animate=False, immediate=True)
