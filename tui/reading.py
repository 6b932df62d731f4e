"""A source's text as the reader lays it out: paragraphs as they are, Markdown tables as records.

Every piece of text keeps its offset in the source's text, so that the cited passages (by
offset, `db.records.Passage`) can be marked wherever they end up, in a paragraph or in a
record's field. Addresses (http, https) are found here too, to be drawn unbroken and linked.
It imports no Textual and no Rich: the pane (`widgets/source_view.py`) styles and wraps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An address as a link may carry it: no space, no control, no bidirectional mark, no quote or
# angle bracket (it goes into an OSC 8 sequence, where a control could end it early).
URL = re.compile("https?://[^\\s\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069<>\"'|\\\\`]+")
URL_TRAILING = ".,;:!?)]}"  # punctuation after an address ends the sentence, not the address
_CELL = re.compile(r"(?<!\\)\|")
_DELIMITER = re.compile(r"^\s*:?-{1,}:?\s*$")
# A legend in the text: `V = found in a public page; GK = general knowledge only (...)`.
_LEGEND = re.compile(r"(?:^|[\s:;,(])([A-Z][A-Za-z]{0,3})\s+=\s+((?:\([^)]*\)|[^;.()\n])+)")
_CODE = re.compile(r"\b[A-Z][A-Za-z]{0,3}\b")


@dataclass(frozen=True, slots=True)
class Piece:
    """Text to show: `start` is its offset in the source's text (None: words the reader adds);
    `role` says how to show it: text, label, heading, meaning (a code explained), note."""

    text: str
    start: int | None = None
    role: str = "text"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the layout before wrapping: it starts `indent` cells in, and the lines it
    wraps onto `hang` cells further."""

    pieces: tuple[Piece, ...]
    indent: int = 0
    hang: int = 0


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (a line of the text) or a table's record, and the stretch of text it shows."""

    start: int
    end: int
    rows: tuple[Row, ...]


def urls(text: str) -> list[tuple[int, int]]:
    """Where the addresses in `text` are, as (start, end)."""
    found = []
    for match in URL.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in URL_TRAILING:
            if text[end - 1] == ")" and text[start:end].count("(") >= text[start:end].count(")"):
                break  # a bracket the address opened (wikipedia's `..._(film)`)
            end -= 1
        if end - start > len("https://"):
            found.append((start, end))
    return found


def legend(text: str) -> dict[str, str]:
    """The codes a text explains (`V = found in a public page`), each with its meaning."""
    found: dict[str, str] = {}
    for paragraph in text.split("\n\n"):
        flat = " ".join(paragraph.split())
        if " = " not in flat:
            continue
        for match in _LEGEND.finditer(flat):
            found.setdefault(match.group(1), match.group(2).strip())
    return found


def _cells(line: str, at: int) -> list[tuple[str, int]]:
    """A table line's cells, stripped, each with its offset (`at` is the line's own)."""
    bars = [m.start() for m in _CELL.finditer(line)]
    if not bars:
        return []
    cells = []
    edges = [*bars, len(line)] if line.rstrip()[-1:] != "|" else bars
    first = 0 if line.lstrip().startswith("|") else -1
    if first < 0:
        edges = [-1, *edges]
    for left, right in zip(edges, edges[1:], strict=False):
        raw = line[left + 1:right]
        stripped = raw.strip()
        offset = left + 1 + (len(raw) - len(raw.lstrip()))
        cells.append((stripped, at + offset))
    return cells


def _is_table_start(lines: list[str], n: int) -> bool:
    if n + 1 >= len(lines) or "|" not in lines[n]:
        return False
    cells = [c for c in _CELL.split(lines[n + 1].strip().strip("|"))]
    return bool(cells) and all(_DELIMITER.match(c) for c in cells) and len(cells) >= 2


def layout(text: str) -> list[Block]:
    """The blocks of a source's text: each line a paragraph, each Markdown table a run of records."""
    lines = text.split("\n")
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    codes = legend(text) if " = " in text else {}
    markdown = any(line.startswith("# ") for line in lines) or any(
        _is_table_start(lines, n) for n in range(len(lines) - 1) if lines[n].lstrip().startswith("|"))
    blocks: list[Block] = []
    n = 0
    while n < len(lines):
        if _is_table_start(lines, n):
            end = n + 2
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            blocks += _table(lines, starts, n, end, codes)
            n = end
            continue
        line, start = lines[n], starts[n]
        pieces = [Piece(line, start)] if line else []
        n += 1
        # Markdown wraps a paragraph over several lines: read as one, it wraps to the screen
        while markdown and line.strip() and n < len(lines) and _flows(lines[n]) \
                and not line.lstrip().startswith(("#", "|")) and not _is_table_start(lines, n):
            bare = lines[n].lstrip()
            pieces += [Piece(" "), Piece(bare, starts[n] + len(lines[n]) - len(bare))]
            line = lines[n]
            n += 1
        end = starts[n - 1] + len(lines[n - 1])
        blocks.append(Block(start, end, (Row(tuple(pieces)),)))
    return blocks


def _flows(line: str) -> bool:
    """A Markdown line that is part of a paragraph (not blank, a heading, an item, a quote or a table row)."""
    bare = line.strip()
    return bool(bare) and not re.match(r"(#|[-*+] |\d+[.)] |>|\|)", bare)


def _table(lines: list[str], starts: list[int], head: int, end: int, codes: dict[str, str]) -> list[Block]:
    """A Markdown table's rows as records: each cell under the name its column has in the header."""
    names = [name for name, _ in _cells(lines[head], starts[head])]
    rows = [_cells(lines[n], starts[n]) for n in range(head + 2, end)]
    coded = set()
    for column in range(len(names)):
        values = [row[column][0] for row in rows if column < len(row) and row[column][0]]
        if codes and values and all((m := _CODE.match(v)) and m.group() in codes for v in values):
            coded.add(column)
    blocks = [Block(starts[head], starts[head + 1] + len(lines[head + 1]), (
        Row((Piece(f"A table of {len(rows)} rows, each shown as a record:", role="note"),)),))]
    for n, cells in zip(range(head + 2, end), rows, strict=True):
        out: list[Row] = []
        for column, (value, at) in enumerate(cells):
            name = names[column] if column < len(names) else f"column {column + 1}"
            if not value:
                continue
            pieces = [Piece(f"{name}: ", role="label"), Piece(value, at, "heading" if column == 0 else "text")]
            if column in coded:
                meanings = [f"{code} = {codes[code]}" for code in dict.fromkeys(_CODE.findall(value)) if code in codes]
                pieces.append(Piece(f"  ({'; '.join(meanings)})", role="meaning"))
            out.append(Row(tuple(pieces), indent=2 if out else 0, hang=2))
        blocks.append(Block(starts[n], starts[n] + len(lines[n]), tuple(out)))
        blocks.append(Block(starts[n] + len(lines[n]), starts[n] + len(lines[n]), (Row(()),)))
    return blocks
