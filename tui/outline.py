"""The outline of one entity: what `show` prints and the detail pane draws, in which order,
and what each line opens.

Two renderers read it: `output.detail_text` (plain text) and `widgets/detail.build_items`
(the pane). It imports no Textual and no Rich, and holds pack text as it is: each renderer
makes it inert (`db/text.py`) on its way out. A row's date and a search hit's line are here
too, for the lists and the palette.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..db.dates import format_date, format_span
from ..db.records import CitationView, EntityDetail, EntityRow, LinkView, PositionView, SearchHit
from . import shown


def row_date(row: EntityRow) -> str:
    """A row's date at its precision (`4 May 2025?`), '' when it has none."""
    return format_date(row.date, row.date_precision, row.date_uncertain)


def hit_parts(hit: SearchHit, type_width: int = 9) -> list[tuple[str, str]]:
    """A search hit as the hit list and the palette show it: (text, role) with roles `type`,
    `name`, `date` and `alias`; its pack text already inert (`shown.line`)."""
    row = hit.row
    parts = [(f"{row.type:<{type_width}} ", "type"), (shown.line(row.name), "name")]
    date = row_date(row)
    if date:
        parts.append((f"  {date}", "date"))
    if hit.matched == "alias":
        parts.append((f"  alias: {shown.line(hit.text)}", "alias"))
    return parts


# --- the lines of an outline ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Title:
    name: str
    ref: str


@dataclass(frozen=True, slots=True)
class Facts:
    """`kind` reads `event / talks`; `when` is the date or span, `precision` says how sure it is."""

    kind: str
    when: str
    precision: str


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value: the date note, the aliases, an attribute."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link to or from the entity; opens the entity at its other end. `crisis` names the pack
    stating it where the entity is stated by several and every crisis is shown."""

    link: LinkView
    crisis: str | None = None

    @property
    def target(self) -> EntityRow:
        return self.link.other


@dataclass(frozen=True, slots=True)
class Position:
    """A stated position; opens `target`, the end of it that is not this entity."""

    position: PositionView
    date: str
    target: EntityRow


@dataclass(frozen=True, slots=True)
class Note:
    text: str


@dataclass(frozen=True, slots=True)
class Citation:
    """Citation `n` of the section (`nested`: of the position or note above it); opens its passage."""

    n: int
    citation: CitationView
    nested: bool = False

    @property
    def target(self) -> CitationView:
        return self.citation


Line = Title | Facts | Field | Paragraph | Link | Position | Note | Citation


@dataclass(frozen=True, slots=True)
class Section:
    """A run of lines; `title` None for the head and the summary, which have no heading.

    `shown` of `total` entries are listed (links are read up to a limit; the rest are counted).
    """

    title: str | None
    lines: tuple[Line, ...]
    shown: int = 0
    total: int = 0


FEW_ATTRIBUTES = 4  # up to this many attributes go with the head; more, after the summary


def outline(d: EntityDetail) -> Iterator[Section]:
    """The sections of one entity: its head, summary, links both ways, positions, notes, sources."""
    r = d.row
    head: list[Line] = [Title(r.name, r.ref)]
    span = format_span(r.date, d.date_end, r.date_precision, r.date_uncertain)
    precision = f"precision: {r.date_precision}{', uncertain' if r.date_uncertain else ''}" if span else ""
    head.append(Facts(r.type + (f" / {r.kind}" if r.kind else ""), span, precision))
    if d.packs and d.crises > 1:  # the crises stating it, its own (whose fields these are) first
        head.append(Field("Crisis" if len(d.packs) == 1 else "Crises", "; ".join(p.title for p in d.packs)))
    if d.date_note:
        head.append(Field("Date", d.date_note))
    if d.aliases:
        head.append(Field("Also", ", ".join(d.aliases)))
    attributes = tuple(Field(key.replace("_", " "), _value(value)) for key, value in d.attributes.items())
    if len(attributes) <= FEW_ATTRIBUTES:
        head += attributes
    yield Section(None, tuple(head))
    if d.summary:
        yield Section(None, (Paragraph(d.summary),))
    if len(attributes) > FEW_ATTRIBUTES:  # after the summary, not before it (an ACLED event has a dozen)
        yield Section(None, attributes)
    for statement in d.statements:  # where another crisis's pack words it its own way
        words: list[Line] = [Paragraph(str(statement.fields["summary"]))] if statement.fields.get("summary") else []
        words += [Field(key.replace("_", " "), _value(value)) for key, value in statement.fields.items()
                  if key != "summary" and value not in (None, "", {}, [])]
        if words:
            yield Section(f"As {statement.title} states it", tuple(words))
    shared = len(d.packs) > 1 and d.crises > 1 and d.shown_as is None  # which crisis states a link needs saying
    for title, links, total in (("Links", d.links_out, d.links_out_total),
                                ("Referred to by", d.links_in, d.links_in_total)):
        if links:
            yield Section(title, tuple(Link(link, link.pack if shared else None) for link in links),
                          len(links), total)
    if d.positions:
        lines: list[Line] = []
        for p in d.positions:
            target = p.actor if p.actor.ref != r.ref else (p.about or p.actor)
            lines.append(Position(p, format_date(p.date, p.date_precision, p.date_uncertain), target))
            lines += [Citation(j, c, nested=True) for j, c in enumerate(p.citations, start=1)]
        yield Section("Stated positions", tuple(lines), len(d.positions), len(d.positions))
    if d.notes:
        lines = []
        for note in d.notes:
            lines.append(Note(note.text))
            lines += [Citation(j, c, nested=True) for j, c in enumerate(note.citations, start=1)]
        yield Section("Notes", tuple(lines), len(d.notes), len(d.notes))
    cited = tuple(Citation(j, c) for j, c in enumerate(d.citations, start=1))
    yield Section("Sources", cited, len(cited), len(cited))


def _value(value: object) -> str:
    """A field's value as a person reads it: yes/no, `key: value; …` for attributes."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {_value(item)}" for key, item in value.items())
    return str(value)


def citation_place(c: CitationView) -> str:
    """Where a quoted passage is: `source, line 12` or `source, via other`."""
    return c.source_id + (f", line {c.line}" if c.line and not c.via else "") + (f", via {c.via}" if c.via else "")
