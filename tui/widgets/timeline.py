"""The timeline's chart: lines of cells (`tui/timeline_chart.py`) drawn a strip a line.

The screen reads what a window holds off the UI thread and hands the cells here; drawing is
a strip per line, cached until the next chart, so a key costs only the lines it changes.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from ..timeline_chart import Cell

ROLES = ("axis", "label", "label-current", "bar", "point", "span", "imprecise", "uncertain", "count", "selected",
         "tick", "empty")


class TimelineView(Widget):
    """Lanes of events on a date axis; styled by role through its component classes."""

    COMPONENT_CLASSES = {f"timeline--{role}" for role in ROLES}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._lines: list[list[Cell]] = []
        self._strips: dict[int, Strip] = {}

    @property
    def chart_lines(self) -> list[list[Cell]]:
        return self._lines

    def show(self, lines: list[list[Cell]]) -> None:
        """Draw these lines (the axis, then a line a lane)."""
        self._lines = lines
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width, base = self.content_region.width, self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strips.get(y)
        if strip is None:
            segments: list[Segment] = []
            run, role = "", None
            for ch, cell_role in self._lines[y]:
                if cell_role != role and run:
                    segments.append(Segment(run, base + self.get_component_rich_style(f"timeline--{role}")))
                    run = ""
                run, role = run + ch, cell_role
            if run:
                segments.append(Segment(run, base + self.get_component_rich_style(f"timeline--{role}")))
            strip = self._strips[y] = Strip(segments)
        return strip.crop_extend(0, width, base)
