"""The crisis pack format: what pack files hold, what `export` writes and `import` reads.

Field-level rules live here (types, dates, required fields); rules across records
(unknown ids, duplicates, quotes found in their source) are checked by `seed.loader`.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .constants import ENTITY_TYPES, PACK_FORMAT_VERSION

__all__ = ["ENTITY_TYPES"]
EntityType = Literal["event", "actor", "agreement", "place"]
Precision = Literal["year", "month", "day"]
Ref = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[a-z]+/[a-z0-9][a-z0-9._-]*$")]

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


IsoDate = Annotated[str, AfterValidator(_checked_date)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Citation(_Record):
    """A passage that states the fact, quoted verbatim from a source."""

    source: str = Field(min_length=1)
    quote: str = Field(min_length=3)


Cited = Annotated[list[Citation], Field(min_length=1)]


class Relation(_Record):
    """One relation of the link vocabulary, with how to read it both ways."""

    name: str = Field(pattern=r"^[a-z][a-z-]*$")
    label: str
    inverse: str
    description: str = ""


class Source(_Record):
    """A document; `text` (or `text_file` in a pack folder) holds what quotes are checked against."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")
    title: str
    publisher: str | None = None
    date: IsoDate | None = None
    address: str | None = None
    text: str | None = None
    text_file: str | None = None
    via: str | None = None


class Note(_Record):
    """A cited remark, e.g. another source's wording or date."""

    text: str = Field(min_length=1)
    citations: Cited


class Entity(_Record):
    """An event, actor, agreement or place."""

    id: Ref
    type: EntityType
    kind: str | None = None
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list, json_schema_extra={"default": []})  # `= []` is deep-copied per record
    date: IsoDate | None = None
    date_end: IsoDate | None = None
    date_precision: Precision | None = None
    date_uncertain: bool = False
    date_note: str | None = None
    summary: str = ""
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict, json_schema_extra={"default": {}})
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
    relation: str = Field(min_length=1)
    target: Ref
    note: str | None = None
    citations: Cited


class Position(_Record):
    """A stated position of an actor on a topic, optionally tied to an entity (`about`)."""

    id: str = Field(pattern=r"^position/[a-z0-9][a-z0-9._-]*$")
    actor: Ref
    topic: str = Field(min_length=1)
    about: Ref | None = None
    stance: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    date: IsoDate | None = None
    citations: Cited


class PackInfo(_Record):
    """What the pack is."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    description: str = ""


class Pack(_Record):
    """A whole crisis pack, as one document."""

    schema_version: int = Field(default=1, ge=1, le=PACK_FORMAT_VERSION,
                                description="Pack format version; newer than this crisis-tui reads is refused")
    pack: PackInfo | None = None
    relations: list[Relation] = []
    sources: list[Source] = []
    entities: list[Entity] = []
    links: list[Link] = []
    positions: list[Position] = []


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


def record_label(section: str, item: Any) -> str:
    """How an error names a record: its id, or `source -relation-> target` for a link."""
    if not isinstance(item, dict):
        return f"{section} item"
    if section == "links":
        return f"link {item.get('source')} -{item.get('relation')}-> {item.get('target')}"
    key = item.get("id") or item.get("name")
    singular = {"entities": "entity"}.get(section, section[:-1])
    return f"{singular} {key}" if key else f"{section} item"
