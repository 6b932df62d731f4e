"""Plain frozen records the query layer returns; the CLI, the TUI and the tests read these."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One line of a list: enough to show and to open an entity."""

    id: int
    ref: str
    type: str
    kind: str | None
    name: str
    date: str | None
    date_precision: str | None
    date_uncertain: bool = False


@dataclass(frozen=True, slots=True)
class CitationView:
    """A quoted passage and where it comes from."""

    source_id: str
    source_title: str
    address: str | None
    quote: str
    line: int | None
    via: str | None = None
    pack: str | None = None  # the id of the pack that cites it


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link seen from one end: `label` reads from this entity to `other`."""

    relation: str
    label: str
    other: EntityRow
    note: str | None
    citations: tuple[CitationView, ...]  # empty when the detail was read without them
    id: int  # the link's own id (KnowledgeBase.link_citations)
    pack: str | None = None  # the id of the pack that states it


@dataclass(frozen=True, slots=True)
class NoteView:
    """A cited remark on an entity."""

    text: str
    citations: tuple[CitationView, ...]
    pack: str | None = None


@dataclass(frozen=True, slots=True)
class PackView:
    """A crisis pack the database holds, and how much of it there is."""

    id: str
    title: str
    description: str
    entities: int = 0  # the entities it states (its own and others' it adds to)
    links: int = 0
    positions: int = 0
    sources: int = 0
    latest: str | None = None  # the date of its latest event


@dataclass(frozen=True, slots=True)
class Statement:
    """How another pack states an entity: its id and title, and the fields it words its own way."""

    pack: str
    title: str
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class PositionView:
    """A stated position of an actor on a topic."""

    ref: str
    actor: EntityRow
    topic: str
    about: EntityRow | None
    stance: str
    statement: str
    date: str | None
    date_precision: str | None
    citations: tuple[CitationView, ...]
    date_uncertain: bool = False


@dataclass(frozen=True, slots=True)
class EntityDetail:
    """Everything the detail view and `show` print about one entity."""

    row: EntityRow
    summary: str
    aliases: tuple[str, ...]
    date_end: str | None
    date_note: str | None
    attributes: dict[str, object]
    citations: tuple[CitationView, ...]
    notes: tuple[NoteView, ...]
    links_out: tuple[LinkView, ...]
    links_in: tuple[LinkView, ...]
    positions: tuple[PositionView, ...] = field(default=())
    links_out_total: int = 0
    links_in_total: int = 0
    packs: tuple[PackView, ...] = ()  # the packs stating it, the first (whose fields these are) first
    crises: int = 0  # how many packs the database holds (with one, which it is goes without saying)
    shown_as: str | None = None  # the pack it was read as (KnowledgeBase.detail's `pack`), if one
    statements: tuple[Statement, ...] = ()  # other packs' own wording of its fields


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result: the entity, and what of it matched."""

    row: EntityRow
    matched: str
    text: str
    tier: int = 2  # 0 exact name or alias, 1 name or alias prefix, 2 words, 3 substring
    # What matched, as a user reads it: "name", "alias", "date", "summary", "note", "link note"
    # or "position"; `snippet` is that text (cut around the match, "…" where it is cut) and
    # `spans` the (start, end) offsets of the matched words in it, for the UI to style.
    field: str = ""
    snippet: str = ""
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class PassageHit:
    """A line (paragraph, table row) of a source's text that holds the words searched for.

    `text` is the line as stored (a citation's quote, to open the source there); `snippet`
    and `spans` as in SearchHit.
    """

    source_id: str
    title: str
    address: str | None
    line: int
    text: str
    snippet: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SourceText:
    """A source's text (its own, or that of the source it is quoted via)."""

    id: str
    title: str
    address: str | None
    text: str | None
    publisher: str | None = None
    date: str | None = None
    via: str | None = None  # the source whose text holds its passages, if not its own
    via_title: str | None = None

    @property
    def document(self) -> str:
        """The id of the source whose text this is (its `via`, or itself)."""
        return self.via or self.id


# --- the source reader: every passage of a text, and what cites each ---------------------

@dataclass(frozen=True, slots=True)
class Passage:
    """A cited stretch of a source's text: where it is, and how many citations quote it there."""

    offset: int  # where it starts in the text (as `text.find(quote)` placed it)
    length: int  # of its longest quote starting there
    citations: int  # how many records cite it
    source_id: str  # a source citing it (the document or one quoted via it)


@dataclass(frozen=True, slots=True)
class SourcePassages:
    """The passages of one text in order (up to a limit), and what is left out or not found."""

    passages: tuple[Passage, ...]
    citations: int  # citations of the text in all (each passage's and those whose quote is not found)
    more: int = 0  # passages past the limit, not listed
    not_found: int = 0  # citations whose quote is not in the stored text
    sources: dict[str, SourceText] = field(default_factory=dict)  # those citing it, without texts


@dataclass(frozen=True, slots=True)
class CitingRecord:
    """A record that cites a passage: what it is, a line saying it, and the entity to go to."""

    kind: str  # "entity", "link", "position" or "note"
    ref: str  # the entity it belongs to (a link's subject, a position's actor, a note's entity)
    label: str  # one line: the entity's name, "A - label - B", "actor stance: topic"
    record: str  # its id as packs write it: an entity id, "subject relation object", a position id
    source_id: str  # the source it cites


@dataclass(frozen=True, slots=True)
class PassageCiters:
    """The records citing one passage, up to a limit, and how many there are in all."""

    records: tuple[CitingRecord, ...]
    total: int


# --- pane filters (issue #15) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaneFilter:
    """What a pane is narrowed to; every part is optional and they all apply together.

    `related_to` is an entity id: rows linked to it either way, by `relation` (a relation
    name) or by any relation (None); with `through_members`, also rows linked to whoever is
    an `office-holder-of` or `member-of` it (and their members in turn): such a row is
    marked with the entity it came through. `date_from` and `date_to` are ISO dates or their
    beginnings (`2025`, `2025-05`), inclusive: `to 2025-05` takes all of May.
    """

    related_to: str | None = None
    relation: str | None = None
    through_members: bool = False
    kind: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    crisis: str | None = None  # a pack id
    related_name: str | None = None  # the entity's name, for saying what the filter is

    @property
    def empty(self) -> bool:
        return not (self.related_to or self.kind or self.date_from or self.date_to or self.crisis)


@dataclass(frozen=True, slots=True)
class FilterMatches:
    """The entities of one pane a filter lets through, in display order, and for each row
    found only through a member or office-holder, that entity's id (`via`)."""

    entity_type: str
    filter: PaneFilter
    pack: str | None
    count: int
    ids: tuple[int, ...] | None  # None: too many to hold; `filtered_page` reads them in display order
    via: dict[int, int] = field(default_factory=dict)
    # Where rows not held sit: row number -> display position, noted as pages are read (a cache the
    # query layer fills, so that the next page is read from there rather than from the first row).
    anchors: dict[int, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class FilteredRow:
    """A row of a filtered pane; `via` is the member or office-holder it came through, if any."""

    row: EntityRow
    via: EntityRow | None = None


@dataclass(frozen=True, slots=True)
class RelationView:
    """A relation of the vocabulary: its name and how a link of it reads each way."""

    name: str
    label: str
    inverse: str
    types: tuple[str, ...] = ()  # the entity types it joins, at either end (`event`, `actor`, ...)
