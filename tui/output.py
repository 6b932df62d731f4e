"""Plain-text renderings of query-layer records for the command line (no colour, any terminal).

Every piece of database text passes through `db.text.inert` on its way out: a database
written by another tool may hold escape sequences or bidirectional overrides.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from ..db.graph import Paths
from ..db.records import CitationView, EntityDetail, EntityRow, FilteredRow, PackView, PassageHit, SearchHit
from ..db.text import CONTROL, inert
from .outline import (
    Citation,
    Facts,
    Field,
    Line,
    Link,
    Note,
    Paragraph,
    Position,
    Title,
    citation_place,
    outline,
    row_date,
)

if TYPE_CHECKING:
    from ..db.state import Bookmark


def _one(text: object) -> str:
    """One-line text (a name, an id, a title): newlines and tabs escaped too."""
    return inert(str(text), one_line=True)


def _block(text: object) -> str:
    """Text that may run over lines (a summary, a quote, a note)."""
    return inert("" if text is None else str(text))


def json_text(value: object, indent: int | None = 2) -> str:
    """JSON with every control character escaped (`\\u202e`): the same value, nothing a terminal acts on.

    `json.dumps` escapes C0 controls itself; DEL, C1 controls and bidirectional marks it
    leaves raw under `ensure_ascii=False`. Outside strings JSON holds none of them.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def row_line(row: EntityRow) -> str:
    date = row_date(row)
    kind = f"{row.type}/{row.kind}" if row.kind else row.type
    return _one(f"{row.name}  [{row.ref}]  {kind}" + (f"  {date}" if date else ""))


def citation_line(n: int, c: CitationView, indent: str = "  ", titled: bool = False) -> str:
    """`[n] “quote” — where` (with `titled`, `— source title (where)`), its address after it."""
    where = _one(citation_place(c) + (f" <{c.address}>" if c.address else ""))
    said = f"{_one(c.source_title)} ({where})" if titled else where
    return f"{indent}[{n}] \u201c{_block(c.quote)}\u201d \u2014 {said}"


def detail_text(d: EntityDetail) -> str:
    """`crisis-tui show`: the entity, its links both ways, positions, notes and citations
    (the outline's, less the citations of positions and notes)."""
    lines: list[str] = []
    for number, section in enumerate(outline(d)):
        if number:
            lines.append("")
        if section.title:
            more = f" (first {section.shown} of {section.total})" if section.total > section.shown else ""
            lines.append(f"{section.title}{more}:")
        for links, run in groupby(section.lines, key=lambda line: isinstance(line, Link)):
            if links:  # one line a relation
                shown = [line for line in run if isinstance(line, Link)]
                for label, group in groupby(shown, key=lambda line: line.link.label):
                    names = ", ".join(f"{line.link.other.name} [{line.link.other.ref}]"
                                      + (f" (in {line.crisis})" if line.crisis else "") for line in group)
                    lines.append(_one(f"  {label}: {names}"))
            else:
                for line in run:
                    lines += _text_lines(line)
    return "\n".join(lines)


def _text_lines(line: Line) -> list[str]:
    if isinstance(line, Title):
        return [_one(f"{line.name}  [{line.ref}]")]
    if isinstance(line, Facts):
        return [_one(line.kind + (f" \u00b7 {line.when} ({line.precision})" if line.when else ""))]
    if isinstance(line, Field):
        return [_one(f"{line.label}: {line.value}")]
    if isinstance(line, Paragraph):
        return [_block(line.text)]
    if isinstance(line, Position):
        p = line.position
        date = f" ({line.date})" if line.date else ""
        return [_one(f"  {p.actor.name} {p.stance} \u2014 {p.topic}{date}"), f"    {_block(p.statement)}"]
    if isinstance(line, Note):
        return [f"  - {_block(line.text)}"]
    if isinstance(line, Citation):
        return [] if line.nested else [citation_line(line.n, line.citation)]
    raise TypeError(f"no text for {line!r}")


MARK_OPEN, MARK_CLOSE = "\u00ab", "\u00bb"  # «the match» in a snippet: plain text, survives a pipe


def marked(snippet: str, spans: tuple[tuple[int, int], ...]) -> str:
    """A snippet (inert already) with each matched span between « and »."""
    out, at = [], 0
    for start, end in spans:
        if start < at or end > len(snippet):
            continue
        out += [snippet[at:start], MARK_OPEN, snippet[start:end], MARK_CLOSE]
        at = end
    out.append(snippet[at:])
    return _one("".join(out))


def hits_text(hits: list[SearchHit], passages: Sequence[PassageHit] = ()) -> str:
    """Each hit on two lines: the entity, then what matched and a snippet of it («match»);
    then the source passages holding the words, likewise."""
    lines = []
    for h in hits:
        lines.append(row_line(h.row) + (f"  (alias: {_one(h.text)})" if h.matched == "alias" else ""))
        if h.snippet:
            lines.append(f"    {_one(h.field)}: {marked(h.snippet, h.spans)}")
    if passages:
        if lines:
            lines.append("")
        lines.append("Passages of the sources:")
        for p in passages:
            lines.append(_one(f"{p.title}  [{p.source_id}]  line {p.line}"))
            lines.append(f"    {marked(p.snippet, p.spans)}")
    return "\n".join(lines)


def packs_text(packs: Sequence[PackView]) -> str:
    """The packs a database holds, one line each: id, title, then what it states."""
    if not packs:
        return "no packs (the database was built from records of no pack)"
    lines = []
    for p in packs:
        counts = f"{p.entities} entities, {p.links} links, {p.positions} positions, {p.sources} sources"
        lines.append(_one(f"{p.id}  {p.title}  ({counts}{', latest ' + p.latest if p.latest else ''})"))
    return "\n".join(lines)


def filtered_text(rows: Sequence[FilteredRow]) -> str:
    """`search` with a filter and no text: a line a row, a rolled-up one saying via whom."""
    return "\n".join(row_line(r.row) + (_one(f"  (via {r.via.name} [{r.via.ref}])") if r.via else "") for r in rows)


# --- paths between two entities (`crisis-tui path`) -----------------------------------

def paths_text(found: Paths) -> str:
    """The paths found, each as one line of names and wordings, then step by step with every
    passage each link is cited to; or the sentence saying why there is none."""
    lines = [_one(found.explain()) + "."]
    for n, route in enumerate(found.routes, start=1):
        chain = _one(route.steps[0].start.name) + "".join(
            f" \u2014{_one(step.label)}\u2192 {_one(step.end.name)}" for step in route.steps)
        lines += ["", f"Path {n}: {chain}"]
        for k, step in enumerate(route.steps, start=1):
            lines.append(f"  {k}. {_one(step.start.name)} [{_one(step.start.ref)}] \u2014{_one(step.label)}\u2192 "
                         f"{_one(step.end.name)} [{_one(step.end.ref)}]")
            if step.note:
                lines.append(f"     note: {_one(step.note)}")
            lines += [citation_line(j, c, indent="     ", titled=True) for j, c in enumerate(step.citations, start=1)]
            if not step.citations:
                lines.append("     (this link cites no passage)")
    return "\n".join(lines)


def bookmarks_text(marks: Sequence[Bookmark], held: dict[str, EntityRow]) -> str:
    """`bookmarks`: a line a bookmark (name, id, type, date added; `missing` if the database no longer
    holds it), then the note on it, indented, marked as the user's own."""
    lines = []
    for b in marks:
        row = held.get(b.ref)
        name, kind = (row.name, row.type) if row is not None else (b.name, b.type)
        lines.append(_one(f"{name}  [{b.ref}]  {kind}  added {b.added[:10]}") + ("  (missing)" if row is None else ""))
        if b.note:
            lines += ["  my note: " + line if n == 0 else "    " + line
                      for n, line in enumerate(_block(b.note).splitlines())]
    return "\n".join(lines)
