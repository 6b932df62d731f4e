"""The source reader's pane: a source's text laid out (`reading.py`), every cited passage marked.

The text is wrapped once per width into lines of (text, key) pieces, where a key says the
piece's role, its address (an OSC 8 link) and which passages cover it; a frame draws only
the lines in view and styles them then, so that moving to another passage (`n`) restyles
without wrapping again. Under the current passage's paragraph (or record) go the records
citing it, one line each, with a cursor to go to one.

Addresses are never broken at a hyphen or a slash: one that does not fit on the rest of a
line starts the next; one longer than a whole line is cut at the edge into pieces, each of
which carries the whole address as its link (clicking any piece opens it; `y` and `o` take
it whole).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...db.records import CitingRecord, Passage, PassageCiters
from .. import shown
from ..reading import Block, Piece, Row, urls
from .row_view import RowView, fit, keep_in_view, set_rows
from .wrap import _split_cells

_WORD = re.compile(r"\S+")


class Key(NamedTuple):
    """How a piece of a line is drawn: its role, its address (if a link), the passages covering it."""

    role: str
    url: str | None = None
    cover: tuple[int, ...] = ()


Line = list[tuple[str, Key]]


def wrap_row(pieces: list[tuple[str, Key]], width: int, indent: int = 0, hang: int = 0) -> list[Line]:
    """Lines of at most `width` cells, broken between words only, unless a word is longer than a
    whole line (then at the edge). The first line begins `indent` cells in, the others `hang` more."""
    full = "".join(text for text, _ in pieces)
    room, rest = max(width - indent, 1), max(width - indent - hang, 1)
    bounds: list[tuple[int, int]] = []  # each line's (begin, end) in `full`
    begin = used = end = 0
    for match in _WORD.finditer(full):
        s, e = match.span()
        gap = cell_len(full[end:s]) if used or not bounds else 0  # the first line keeps its leading spaces
        if not used and bounds:
            begin = s
        size = cell_len(full[s:e])
        if used and used + gap + size > room:
            bounds.append((begin, end))
            begin, used, room, gap = s, 0, rest, 0
        used += gap
        while used + size > room:  # longer than a line: cut at the edge
            head, _ = _split_cells(full[s:e], room - used)
            s += len(head)
            bounds.append((begin, s))
            begin, used, room = s, 0, rest
            size = cell_len(full[s:e])
        used += size
        end = e
    bounds.append((begin, end))
    offsets, total = [], 0
    for text, _ in pieces:
        offsets.append(total)
        total += len(text)
    lines: list[Line] = []
    for number, (lo, hi) in enumerate(bounds):
        pad = indent if number == 0 else indent + hang
        line: Line = [(" " * pad, Key("text"))] if pad else []
        n = max(bisect_right(offsets, lo) - 1, 0)
        while n < len(pieces) and offsets[n] < hi:
            text, key = pieces[n]
            a, b = max(lo - offsets[n], 0), min(hi - offsets[n], len(text))
            if b > a:
                line.append((text[a:b], key))
            n += 1
        lines.append(line)
    return lines


class SourceView(RowView, can_focus=True, inherit_bindings=False):
    """A source's header and text with its passages marked; `current` is the passage shown.

    Its keys are the reader's (`SourceScreen`), not a scroll view's own."""

    COMPONENT_CLASSES = {
        "source-view--passage", "source-view--current", "source-view--label", "source-view--heading",
        "source-view--meaning", "source-view--note", "source-view--title", "source-view--citer",
        "source-view--cursor", "source-view--link",
    }

    def __init__(self, header: list[Row], blocks: list[Block], passages: tuple[Passage, ...],
                 current: int | None = None, links: bool = True, at: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.header, self.blocks, self.passages = header, blocks, passages
        self.current = current
        self.at = at  # the place in the text shown first when no passage is current
        self.citers: dict[int, PassageCiters] = {}  # by passage index, as they are read
        self.citer = 0  # the cursor among the current passage's citing records
        self.links = links
        self._link_styles: dict[str, Style] = {}
        self._width = 0
        self._body: list[Line] = []  # header and text, wrapped
        self._block_lines: list[int] = []  # where each block begins in _body
        self._text_top = 0  # the first line of the text (below the header)
        self._lines: list[tuple[Line, int | None]] = []  # what is drawn: (line, citing record number or None)
        self._passage_block = self._blocks_of_passages()

    # --- layout ------------------------------------------------------------------

    def _blocks_of_passages(self) -> list[int]:
        starts = [block.start for block in self.blocks]
        return [max(bisect_right(starts, p.offset) - 1, 0) for p in self.passages]

    def _covers(self) -> tuple[list[int], list[tuple[int, ...]]]:
        """The text's stretches between passage edges, and the passages covering each."""
        edges = sorted({e for p in self.passages for e in (p.offset, p.offset + p.length)})
        covering: list[list[int]] = [[] for _ in edges]
        for i, p in enumerate(self.passages):
            for n in range(bisect_left(edges, p.offset), bisect_left(edges, p.offset + p.length)):
                covering[n].append(i)
        return edges, [tuple(c) for c in covering]

    def _pieces(self, row: Row, edges: list[int], covers: list[tuple[int, ...]]) -> list[tuple[str, Key]]:
        """A row's pieces cut where passages and addresses begin and end, escaped, each with its key."""
        out: list[tuple[str, Key]] = []
        for piece in row.pieces:
            out += self._cut(piece, edges, covers)
        return out

    def _cut(self, piece: Piece, edges: list[int], covers: list[tuple[int, ...]]) -> list[tuple[str, Key]]:
        text = piece.text
        marks = {0, len(text)}
        found = urls(text)
        for lo, hi in found:
            marks |= {lo, hi}
        start = piece.start
        if start is not None and edges:
            lo_edge = bisect_right(edges, start)
            for e in edges[max(lo_edge - 1, 0):]:
                if e >= start + len(text):
                    break
                if e > start:
                    marks.add(e - start)
        points = sorted(marks)
        out = []
        for lo, hi in zip(points, points[1:], strict=False):
            url = next((text[a:b] for a, b in found if a <= lo < b), None)
            cover: tuple[int, ...] = ()
            if start is not None and edges:
                at = bisect_right(edges, start + lo) - 1
                cover = covers[at] if at >= 0 else ()
            out.append((shown.text(text[lo:hi]), Key(piece.role, url, cover)))
        return out

    def lay_out(self, width: int) -> None:
        """Wrap the header and the text to `width` cells."""
        width = max(width, 10)
        self._width = width
        edges, covers = self._covers()
        body: list[Line] = []
        for row in self.header:
            body += wrap_row(self._pieces(row, [], []), width, row.indent, row.hang)
        body.append([("\u2500" * width, Key("note"))])
        self._text_top = len(body)
        starts = []
        for block in self.blocks:
            starts.append(len(body))
            for row in block.rows:
                body += wrap_row(self._pieces(row, edges, covers), width, row.indent, row.hang) if row.pieces else [[]]
        self._body, self._block_lines = body, starts
        self._place_citers()

    def _place_citers(self) -> None:
        """The lines drawn: the text, with the current passage's citing records under its block."""
        lines: list[tuple[Line, int | None]] = [(line, None) for line in self._body]
        if self.current is not None and self.passages:
            block = self._passage_block[self.current]
            after = self._block_lines[block + 1] if block + 1 < len(self._block_lines) else len(self._body)
            lines[after:after] = self._citer_lines()
        self._lines = lines
        set_rows(self, len(lines))
        self.refresh()

    def _citer_lines(self) -> list[tuple[Line, int | None]]:
        assert self.current is not None
        passage = self.passages[self.current]
        found = self.citers.get(self.current)
        if found is None:
            return [([(f"  \u25b8 cited by {passage.citations} (reading which...)", Key("note"))], None)]
        lines: list[tuple[Line, int | None]] = [([(
            f"  \u25b8 cited by {found.total}: Enter goes to the one marked, Tab to the next", Key("note"))], None)]
        for n, record in enumerate(found.records):
            lines.append(([(f"    {record.kind}: ", Key("label")), (shown.line(record.label), Key("citer"))], n))
        if found.total > len(found.records):
            lines.append(([(f"    ... and {found.total - len(found.records)} more (the first "
                            f"{len(found.records)} shown)", Key("note"))], None))
        return lines

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width >= 2 and width != self._width:
            self.lay_out(width)
            self.show_current()

    # --- drawing -----------------------------------------------------------------

    def _link(self, url: str) -> Style:
        style = self._link_styles.get(url)
        if style is None:  # one Style per address: its pieces share a link id (one link, wrapped)
            style = self._link_styles[url] = Style(link=url) if self.links else Style()
        return style

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.base_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        line, citer = self._lines[index]
        styles = {role: self.get_component_rich_style(f"source-view--{role}", partial=True)
                  for role in ("label", "heading", "meaning", "note", "title", "citer")}
        passage = self.get_component_rich_style("source-view--passage", partial=True)
        current = self.get_component_rich_style("source-view--current", partial=True)
        link = self.get_component_rich_style("source-view--link", partial=True)
        segments = []
        for text, key in line:
            style = base + styles[key.role] if key.role in styles else base
            if key.url:
                style += link + self._link(key.url)
            if key.cover:
                style += current if self.current in key.cover else passage
            segments.append(Segment(text, style))
        if citer is not None and citer == self.citer:
            cursor = self.get_component_rich_style("source-view--cursor", partial=True)
            segments = [Segment(s.text, (s.style or base) + cursor) for s in segments]
        return fit(segments, width, base)

    # --- moving ------------------------------------------------------------------

    def current_line(self) -> int:
        """The line where the current passage begins; with none, where the block holding `at`
        begins (the top of the text for 0)."""
        if self.current is None or not self.passages:
            if not self.at or not self.blocks:
                return self._text_top
            block = max(bisect_right([b.start for b in self.blocks], self.at) - 1, 0)
            return self._block_lines[block] if block < len(self._block_lines) else self._text_top
        block = self._passage_block[self.current]
        start = self._block_lines[block] if block < len(self._block_lines) else self._text_top
        for n in range(start, len(self._lines)):
            if any(self.current in key.cover for _, key in self._lines[n][0]):
                return n
        return start

    def show_current(self) -> None:
        """Scroll the current passage near the top (a line of what comes before it above)."""
        top = max(self.current_line() - 1, 0)
        self.scroll_to(y=top, animate=False, immediate=True, force=True)

    def set_current(self, index: int | None) -> None:
        self.current, self.citer = index, 0
        self._place_citers()
        self.show_current()

    def set_citers(self, index: int, citers: PassageCiters) -> None:
        self.citers[index] = citers
        if index == self.current:
            top = self.scroll_offset.y
            self._place_citers()
            self.scroll_to(y=top, animate=False, immediate=True, force=True)

    def citing(self) -> CitingRecord | None:
        """The citing record under the cursor, if the current passage's have been read."""
        found = self.citers.get(self.current) if self.current is not None else None
        if found is None or not found.records:
            return None
        return found.records[min(self.citer, len(found.records) - 1)]

    def move_citer(self, delta: int) -> bool:
        found = self.citers.get(self.current) if self.current is not None else None
        if found is None or not found.records:
            return False
        self.citer = (self.citer + delta) % len(found.records)
        line = next((n for n, (_, c) in enumerate(self._lines) if c == self.citer), None)
        if line is not None:
            keep_in_view(self, line)
        self.refresh()
        return True

    @property
    def text_lines(self) -> list[str]:
        """The lines as shown, as plain text (for tests and copying)."""
        return ["".join(text for text, _ in line) for line, _ in self._lines]
