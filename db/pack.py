"""The crisis pack format: what pack files hold, what `export` writes and `import` reads.

Field-level rules live here (types, dates, required fields); rules across records
(unknown ids, duplicates, quotes found in their source) are checked by `seed.loader`.

A relation, a source and an entity hold one field per column of their table (db/tables.py,
from db/models.py), so that a new column is in the pack format, the export and
docs/pack.schema.json without an edit here; a record declares a field again to check it more
closely than its column type says, and adds the fields only a pack has (aliases, citations).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    model_validator,
)

from .constants import ENTITY_TYPES, PACK_FORMAT_VERSION, REF_PATTERN
from .tables import TABLES
from .text import CONTROL, LINE_CONTROL, inert

__all__ = ["ENTITY_TYPES"]
EntityType = Literal["event", "actor", "agreement", "place"]
Precision = Literal["year", "month", "day"]

# Limits on what a pack may hold (docs/pack-format.md, "Limits and refused input").
MAX_LINE = 500  # one-line text: names, aliases, titles, labels, kinds, keys, ids
MAX_ADDRESS = 2000  # a source's URL
MAX_TEXT = 100_000  # summaries, quotes, notes, statements, descriptions, attribute values
MAX_SOURCE = 20 * 1024**2  # a source's text, inline (characters) or in its text_file (bytes)
MAX_DIGITS = 18  # an integer in a pack file (checked by the parsers in seed.loader)

# `model_validate(data, context=PACK_INPUT)`: the data comes from a pack file, and the limits
# and the control-character rule apply. Without it (records made in code, or read back from a
# database that an older crisis-tui or another tool wrote) they do not: what is shown is made
# inert on the way out (db.text), and a database that holds such text still merges and upgrades.
PACK_INPUT = {"pack_input": True}


def control_problem(text: str, one_line: bool = False) -> str | None:
    """Why `text` may not be pack text (it holds a control character), or None."""
    match = (LINE_CONTROL if one_line else CONTROL).search(text)
    if match is None:
        return None
    if match.group() == "\n":
        return "a newline is not allowed in this one-line field"
    if match.group() == "\t":
        return "a tab is not allowed in this one-line field"
    return f"control character {inert(match.group())} is not allowed (pack text is shown as text)"


def _checked(limit: int, one_line: bool) -> AfterValidator:
    """A check that, in pack input, text holds at most `limit` characters and no control
    character (with `one_line`, no newline or tab either)."""
    controls = LINE_CONTROL if one_line else CONTROL

    def check(value: str, info: ValidationInfo) -> str:
        if info.context is not None and info.context.get("pack_input"):
            if len(value) > limit:
                raise ValueError(f"String should have at most {limit} characters")
            if controls.search(value):  # one search for text that passes; the message only when refused
                raise ValueError(control_problem(value, one_line))
        return value

    return AfterValidator(check)


def _most(limit: int, pattern: str | None = None) -> Any:
    return Field(pattern=pattern, json_schema_extra={"maxLength": limit})


Line = Annotated[str, _most(MAX_LINE), _checked(MAX_LINE, one_line=True)]
Text = Annotated[str, _most(MAX_TEXT), _checked(MAX_TEXT, one_line=False)]
Address = Annotated[str, _most(MAX_ADDRESS), _checked(MAX_ADDRESS, one_line=True)]
SourceText = Annotated[str, _most(MAX_SOURCE), _checked(MAX_SOURCE, one_line=False)]
RelationName = Annotated[str, _most(MAX_LINE, r"^[a-z][a-z-]*$"), _checked(MAX_LINE, one_line=True)]
SourceId = Annotated[str, _most(MAX_LINE, r"^[a-z0-9][a-z0-9._/-]*$"), _checked(MAX_LINE, one_line=True)]
PositionId = Annotated[str, _most(MAX_LINE, r"^position/[a-z0-9][a-z0-9._-]*$"), _checked(MAX_LINE, one_line=True)]
PackId = Annotated[str, _most(MAX_LINE, r"^[a-z0-9][a-z0-9._-]*$"), _checked(MAX_LINE, one_line=True)]
Ref = Annotated[str, Field(min_length=1, max_length=200, pattern=REF_PATTERN)]


def _attribute(value: Any, info: ValidationInfo) -> Any:
    """In pack input an attribute is text (as `Text`), a finite number, or true or false."""
    if info.context is None or not info.context.get("pack_input"):
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValueError(f"String should have at most {MAX_TEXT} characters")
        if CONTROL.search(value):
            raise ValueError(control_problem(value))
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not allowed (a number must be finite)")
    elif not isinstance(value, int | float):  # bool is an int
        raise ValueError("an attribute is text, a number, true or false")
    return value


Attribute = Annotated[str | int | float | bool, BeforeValidator(_attribute)]

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@lru_cache(maxsize=1 << 16)  # dates repeat: a 1M-event pack has ~4k distinct ones, each checked twice
def parse_date(value: str) -> Precision:
    """Check an ISO date of year, month or day precision and return that precision."""
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None
    return "day" if day else "month" if month else "year"


def _checked_date(value: str) -> str:
    parse_date(value)
    return value


IsoDate = Annotated[str, Field(max_length=10), AfterValidator(_checked_date)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# The entity columns a pack calls by another name: an entity's `ref` is its `id` in a pack.
ENTITY_PACK_NAMES = {"ref": "id"}
# Every column a pack calls by another name: a record names its pack by id where the table numbers it.
PACK_NAMES = {**ENTITY_PACK_NAMES, "pack_id": "pack"}
_COLUMN_TYPES: dict[type, Any] = {str: Line, int: int, float: float, bool: bool}


def _columns(table: str, renamed: dict[str, str] | None = None) -> Any:
    """A record with a field for each column of `table`, named as in `renamed` if there, but an
    integer `id` the database gives out: text is `Line`, None is allowed where the column
    takes it, and the column's default is the field's."""
    renamed = renamed or {}
    fields: dict[str, Any] = {}
    for column in TABLES[table]:
        if column.name == "id" and column.type is int:
            continue
        if column.name == "pack_id":  # the database numbers packs; a record names its pack by its id
            fields["pack"] = (PackId | None, None)
            continue
        kind = _COLUMN_TYPES[column.type]
        fields[renamed.get(column.name, column.name)] = (kind | None if column.nullable else kind, column.default)
    return create_model(f"_{table.title()}Columns", __base__=_Record, **fields)


# Made when this module is imported, from the tables' columns: a type checker sees them as
# Any, and the fields each record declares below (those checked more closely) as declared.
_RelationColumns: Any = _columns("relation")
_SourceColumns: Any = _columns("source")
_EntityColumns: Any = _columns("entity", ENTITY_PACK_NAMES)


class Citation(_Record):
    """A passage that states the fact, quoted verbatim from a source."""

    source: Line = Field(min_length=1)
    quote: Text = Field(min_length=3)


Cited = Annotated[list[Citation], Field(min_length=1)]


TypeSpec = Annotated[str, _most(MAX_LINE, r"^(event|actor|agreement|place)(/.+)?$"), _checked(MAX_LINE, one_line=True)]


class Relation(_RelationColumns):
    """One relation of the link vocabulary, with how to read it both ways, and optionally which
    entities it joins: each of `source_types` and `target_types` lists `type` or `type/kind`
    (`actor/person`); a link's end must match one of them (none listed: any entity)."""

    name: RelationName
    label: Line
    inverse: Line
    description: Text = ""
    # JSON text in their columns
    source_types: list[TypeSpec] = Field(default_factory=list, json_schema_extra={"default": []})
    target_types: list[TypeSpec] = Field(default_factory=list, json_schema_extra={"default": []})
    pack: PackId | None = None


class Source(_SourceColumns):
    """A document; `text` (or `text_file` in a pack folder) holds what quotes are checked against."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: SourceId
    title: Line
    publisher: Line | None = None
    date: IsoDate | None = None
    address: Address | None = None
    text: SourceText | None = None
    text_file: Line | None = None
    pack: PackId | None = None


class Note(_Record):
    """A cited remark, e.g. another source's wording or date."""

    text: Text = Field(min_length=1)
    citations: Cited


class Entity(_EntityColumns):
    """An event, actor, agreement or place."""

    id: Ref
    type: EntityType
    kind: Line | None = None
    name: Line = Field(min_length=1)
    summary: Text = ""
    date: IsoDate | None = None
    date_end: IsoDate | None = None
    date_precision: Precision | None = None
    date_note: Text | None = None
    # JSON text in its column
    attributes: dict[Line, Attribute] = Field(default_factory=dict, json_schema_extra={"default": {}})
    pack: PackId | None = None
    # `= []` is deep-copied per record
    aliases: list[Line] = Field(default_factory=list, json_schema_extra={"default": []})
    notes: list[Note] = Field(default_factory=list, json_schema_extra={"default": []})
    citations: Cited

    @model_validator(mode="after")
    def _precision(self) -> Entity:
        if not self.id.startswith(self.type + "/"):
            raise ValueError(f"id {self.id!r} must start with its type {self.type + '/'!r}")
        if self.date is None:
            if self.date_precision or self.date_end:
                raise ValueError("date_precision and date_end need a date")
            return self
        precision = parse_date(self.date)
        if self.date_precision is None:
            self.date_precision = precision
        elif self.date_precision != precision:
            raise ValueError(f"date_precision {self.date_precision!r} does not match date {self.date!r}")
        if self.date_end is not None and self.date_end < self.date:
            raise ValueError(f"date_end {self.date_end!r} is before date {self.date!r}")
        return self


class Link(_Record):
    """`source relation target`: the talks invokes the Simla Agreement."""

    source: Ref
    relation: Line = Field(min_length=1)
    target: Ref
    note: Text | None = None
    pack: PackId | None = None
    citations: Cited


class Position(_Record):
    """A stated position of an actor on a topic, optionally tied to an entity (`about`)."""

    id: PositionId
    actor: Ref
    topic: Line = Field(min_length=1)
    about: Ref | None = None
    stance: Line = Field(min_length=1)
    statement: Text = Field(min_length=1)
    date: IsoDate | None = None
    date_uncertain: bool = False
    pack: PackId | None = None
    citations: Cited


class PackInfo(_Record):
    """What the pack is."""

    id: PackId
    title: Line
    description: Text = ""


class Pack(_Record):
    """A whole crisis pack, as one document."""

    schema_version: int = Field(default=1, ge=1, le=PACK_FORMAT_VERSION,
                                description="Pack format version; newer than this crisis-tui reads is refused")
    pack: PackInfo | None = None
    packs: list[PackInfo] = Field(default=[], description="Other packs whose records it holds, each record naming "
                                  "its own in `pack`: with `pack`, packs it refers to (an import never replaces "
                                  "them); without, the packs of an export of several")
    relations: list[Relation] = []
    sources: list[Source] = []
    entities: list[Entity] = []
    links: list[Link] = []
    positions: list[Position] = []


def name_packs(pack: Pack) -> Pack:
    """Give each record of a one-pack document that names no pack the document's own (in place);
    a record that says `pack: null` stays of no pack."""
    if pack.pack is not None:
        for section in SECTIONS:
            for record in getattr(pack, section):
                if "pack" not in record.model_fields_set:
                    record.pack = pack.pack.id
    return pack


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a pack document (docs/pack.schema.json is this, kept current by a test)."""
    schema = Pack.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "crisis-tui pack"
    return schema


SECTIONS: dict[str, type[BaseModel]] = {
    "relations": Relation,
    "sources": Source,
    "entities": Entity,
    "links": Link,
    "positions": Position,
}


def shown(value: Any, limit: int = 80) -> str:
    """`value` as an error line may show it: one line, inert, at most `limit` characters."""
    return inert(str(value), one_line=True, limit=limit)


def record_label(section: str, item: Any) -> str:
    """How an error names a record: its id, or `source -relation-> target` for a link."""
    if not isinstance(item, dict):
        return f"{section} item"
    if section == "links":
        return f"link {shown(item.get('source'))} -{shown(item.get('relation'))}-> {shown(item.get('target'))}"
    key = item.get("id") or item.get("name")
    singular = {"entities": "entity"}.get(section, section[:-1])
    return f"{singular} {shown(key)}" if key else f"{section} item"
