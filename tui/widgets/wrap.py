"""Word-wrapping of styled text straight into segments.

The detail pane wraps every line of an entity when it arrives; through Textual's Content
each line paid for style parsing and spans divided per line (benchmarks/README.md). Here a
line is a few string operations.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from .. import shown

Span = tuple[str, Style | None]
_WORD = re.compile(r"\S+\s*|\s+")


def wrap_spans(spans: list[Span], width: int) -> list[list[Segment]]:
    """Lines of at most `width` cells; breaks at spaces and newlines, folds longer words.

    The text is pack text: controls come out escaped, never as themselves (`shown.text`).
    """
    width = max(width, 1)
    lines: list[list[Segment]] = [[]]
    used = 0

    def break_line() -> None:
        nonlocal used
        line = lines[-1]
        if line and line[-1].text != line[-1].text.rstrip():  # no trailing spaces where it breaks
            last = line.pop()
            if last.text.rstrip():
                line.append(Segment(last.text.rstrip(), last.style))
        lines.append([])
        used = 0

    for text, style in spans:
        for part_no, part in enumerate(shown.text(text).split("\n")):
            if part_no:
                break_line()
            for word in _WORD.findall(part):
                size = cell_len(word)
                if used + size > width and used:
                    bare = word.rstrip()
                    if bare and used + cell_len(bare) <= width:  # fits once its trailing space goes
                        lines[-1].append(Segment(bare, style))
                        break_line()
                        continue
                    break_line()
                    if not bare:
                        continue  # spaces that end a line are dropped
                while size > width:  # a word longer than the line: fold it
                    head, word = _split_cells(word, width - used)
                    lines[-1].append(Segment(head, style))
                    break_line()
                    size -= cell_len(head)  # not measured again: a long word would cost its length per line
                if word:
                    lines[-1].append(Segment(word, style))
                    used += size
    return lines


def _split_cells(text: str, cells: int) -> tuple[str, str]:
    """The longest start of `text` that fits in `cells` (at least one character), and the rest."""
    used = 0
    for i, ch in enumerate(text):
        used += cell_len(ch)
        if used > cells:
            return (text[:i], text[i:]) if i else (text[:1], text[1:])
    return text, ""
