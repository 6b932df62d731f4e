"""The start of a path (`p`): what the next `p` does with it. No Textual here: the main
screen holds one from its first frame."""

from __future__ import annotations

from dataclasses import dataclass

from ..db.records import EntityRow
from . import shown


@dataclass
class PathMark:
    """The start of a path, marked with `p`: the next `p` on another entity shows the paths
    from it; `p` on the marked entity itself clears the mark. The mark stays after the paths
    are shown, so that paths from one start to several ends can be asked for in turn."""

    row: EntityRow | None = None

    def press(self, shown_row: EntityRow | None) -> EntityRow | str:
        """What `p` on `shown_row` does: the start to show paths from (a row), or a notice (str)."""
        if shown_row is None:
            return "No entity is shown to mark"
        name = shown.line(shown_row.name)
        if self.row is None:
            self.row = shown_row
            return f"Marked {name} as the start of a path: go to another entity and press p (p here clears the mark)"
        if self.row.id == shown_row.id:
            self.row = None
            return f"Cleared the path mark on {name}"
        return self.row
