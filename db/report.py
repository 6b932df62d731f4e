"""A report of entities as a format-neutral document: each entity's section and the footnotes
citing every fact in it (`crisis-tui report`).

`report_document(kb, refs)` reads the entities through the query layer and numbers the
footnotes in the order they are first cited; a passage cited by several facts (the same
source and quote) is one footnote. The renderers (`report_markdown.py`, `report_html.py`)
escape pack text on their way out: the document holds it as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .dates import format_date, format_span
from .errors import CrisisError
from .records import CitationView, EntityDetail, EntityRow, LinkView, SourceText

REPORT_ENTITIES = 500  # entities a neighbourhood report holds at most
REPORT_LINKS = 100  # links listed per entity and direction; the report says how many more there are


@dataclass(frozen=True, slots=True)
class Footnote:
    """A cited passage: its number, the quote and where it comes from."""

    n: int
    source_id: str
    title: str
    quote: str
    address: str | None = None
    publisher: str | None = None
    date: str | None = None  # the source's date, as shown (`4 May 2025`)
    via: str | None = None  # the title of the source whose text holds the passage, if not its own


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity named in the report; `anchor` is its section's, if it has one in this report."""

    ref: str
    name: str
    anchor: str | None


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled field of an entity (`Date`, `Also known as`)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class LinkItem:
    """A link read from the section's entity: `label` (the relation's wording) then `other`."""

    relation: str
    label: str
    other: Mention
    note: str | None
    notes: tuple[int, ...]  # footnote numbers


@dataclass(frozen=True, slots=True)
class PositionItem:
    actor: Mention
    stance: str
    topic: str
    about: Mention | None  # the entity the topic is, unless it is the section's own
    statement: str
    date: str
    notes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NoteItem:
    text: str
    notes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LinkGroup:
    """Links of one direction: those listed, and how many there are in all."""

    title: str
    links: tuple[LinkItem, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.links)


@dataclass(frozen=True, slots=True)
class EntitySection:
    ref: str
    name: str
    anchor: str
    facts: tuple[Fact, ...]  # type, kind, date, aliases, attributes...
    summary: str
    notes: tuple[int, ...]  # the footnotes of the entity's own citations (its fields and summary)
    links: tuple[LinkGroup, ...]
    positions: tuple[PositionItem, ...]
    remarks: tuple[NoteItem, ...]
    mine: str | None = None  # the reader's own note on the entity (the state database): not a cited fact


@dataclass(frozen=True, slots=True)
class ReportDocument:
    title: str
    sections: tuple[EntitySection, ...]
    footnotes: tuple[Footnote, ...]
    scope: str | None = None  # what the report covers and leaves out, said under the title


def anchor_of(ref: str, taken: set[str]) -> str:
    """An id for the section of `ref` made of letters, digits and dashes only, unique in `taken`."""
    base = "entity-" + (re.sub(r"[^a-z0-9]+", "-", ref.lower()).strip("-") or "x")
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


class _Footnotes:
    """Numbers the passages cited, one number per (source, quote)."""

    def __init__(self, kb) -> None:
        self._kb = kb
        self._numbers: dict[tuple[str, str], int] = {}
        self._cited: list[CitationView] = []

    def cite(self, citations: Sequence[CitationView]) -> tuple[int, ...]:
        found: list[int] = []
        for c in citations:
            key = (c.source_id, c.quote)
            if key not in self._numbers:
                self._cited.append(c)
                self._numbers[key] = len(self._cited)
            if self._numbers[key] not in found:
                found.append(self._numbers[key])
        return tuple(found)

    def footnotes(self) -> tuple[Footnote, ...]:
        wanted = {c.source_id for c in self._cited} | {c.via for c in self._cited if c.via}
        sources: dict[str, SourceText] = self._kb.source_facts(sorted(wanted)) if wanted else {}
        notes = []
        for n, c in enumerate(self._cited, start=1):
            s = sources.get(c.source_id)
            via = sources.get(c.via) if c.via else None
            notes.append(Footnote(n, c.source_id, c.source_title, c.quote, c.address,
                                  s.publisher if s else None, format_date(s.date) if s and s.date else None,
                                  (via.title if via else c.via) if c.via else None))
        return tuple(notes)


def _facts(d: EntityDetail) -> tuple[Fact, ...]:
    r = d.row
    facts = [Fact("Id", r.ref), Fact("Type", r.type + (f" ({r.kind})" if r.kind else ""))]
    when = format_span(r.date, d.date_end, r.date_precision, r.date_uncertain)
    if when:
        how = [f"to the {r.date_precision}"] if r.date_precision else []
        if r.date_uncertain:
            how.append("uncertain")
        facts.append(Fact("Date", when + (f" ({', '.join(how)})" if how else "")))
    if d.date_note:
        facts.append(Fact("Date note", d.date_note))
    if d.packs and d.crises > 1:
        facts.append(Fact("Crisis" if len(d.packs) == 1 else "Crises", "; ".join(p.title for p in d.packs)))
    if d.aliases:
        facts.append(Fact("Also known as", ", ".join(d.aliases)))
    for key, value in d.attributes.items():
        facts.append(Fact(key.replace("_", " ").capitalize(), _value(value)))
    return tuple(facts)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{key.replace('_', ' ')}: {_value(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value)
    return str(value)


def report_document(kb, refs: Sequence[str], title: str | None = None,
                    link_limit: int = REPORT_LINKS, scope: str | None = None,
                    mine: Mapping[str, str] | None = None) -> ReportDocument:
    """The report of the entities with ids `refs` (a KnowledgeBase's), in that order, each once.

    An id the database does not hold is a CrisisError (callers resolve names first). Each
    entity lists up to `link_limit` links per direction and says how many more it has; `mine`
    gives the reader's own notes by entity id, shown as theirs, never as cited facts.
    """
    unique = list(dict.fromkeys(refs))
    details: list[EntityDetail] = []
    for ref in unique:
        d = kb.detail(ref)
        if d is None:
            raise CrisisError(f"nothing matches {ref!r}")
        details.append(d)
    taken: set[str] = set()
    anchors = {d.row.ref: anchor_of(d.row.ref, taken) for d in details}

    def mention(row: EntityRow) -> Mention:
        return Mention(row.ref, row.name, anchors.get(row.ref))

    notes = _Footnotes(kb)
    sections = []
    for d in details:
        own = notes.cite(d.citations)
        groups = []
        for heading, links, total in (("Links", d.links_out, d.links_out_total),
                                      ("Referred to by", d.links_in, d.links_in_total)):
            shown: list[LinkView] = list(links[:link_limit])
            items = tuple(LinkItem(k.relation, k.label, mention(k.other), k.note, notes.cite(k.citations))
                          for k in shown)
            if total:
                groups.append(LinkGroup(heading, items, max(total, len(items))))
        positions = tuple(
            PositionItem(mention(p.actor), p.stance, p.topic,
                         mention(p.about) if p.about and p.about.ref != d.row.ref else None, p.statement,
                         format_date(p.date, p.date_precision, p.date_uncertain), notes.cite(p.citations))
            for p in d.positions)
        remarks = tuple(NoteItem(n.text, notes.cite(n.citations)) for n in d.notes)
        sections.append(EntitySection(d.row.ref, d.row.name, anchors[d.row.ref], _facts(d), d.summary, own,
                                      tuple(groups), positions, remarks, (mine or {}).get(d.row.ref)))
    if title is None:
        title = "Report: " + ", ".join(d.row.name for d in details[:3]) + (" and others" if len(details) > 3 else "")
    return ReportDocument(title, tuple(sections), notes.footnotes(), scope)


@dataclass(frozen=True, slots=True)
class Around:
    """The entities of a neighbourhood report: the ones asked for, then those around them."""

    refs: tuple[str, ...]
    unfollowed: int  # links not followed: groups longer than the limit list their first links
    beyond: int  # entities found but past the report's limit of entities

    def says(self, hops: int, group_limit: int) -> str:
        """The report's scope line."""
        line = (f"Each entity asked for and every entity linked to it, out to {hops} "
                f"link{'s' if hops != 1 else ''}: {len(self.refs)} entities.")
        if self.unfollowed:
            line += (f" A relation with more than {group_limit} links from one entity has its first {group_limit} "
                     f"followed: {self.unfollowed} links were not.")
        if self.beyond:
            line += f" {self.beyond} further entities are past this report's limit of {len(self.refs)}."
        return line


def around(kb, refs: Sequence[str], hops: int, group_limit: int = REPORT_LINKS,
           most: int = REPORT_ENTITIES) -> Around:
    """The entities `refs` and those linked to them out to `hops` links, each once, nearest
    first, at most `most`; each relation from one entity followed for its first `group_limit`
    links (KnowledgeBase.neighbourhood one hop at a time)."""
    found = dict.fromkeys(refs)
    frontier, unfollowed, beyond = list(found), 0, 0
    for _ in range(hops):
        reached: list[str] = []
        for ref in frontier:
            near = kb.neighbourhood(ref, hops=1, limit=group_limit)
            if near is None:
                continue
            unfollowed += sum(group.more for group in near.groups)
            reached += [other for other in near.refs()[1:] if other not in found]
        for other in dict.fromkeys(reached):
            if len(found) < most:
                found[other] = None
            else:
                beyond += 1
        frontier = [other for other in dict.fromkeys(reached) if other in found]
    return Around(tuple(found), unfollowed, beyond)
