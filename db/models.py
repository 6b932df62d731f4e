"""SQLModel tables of the knowledge base; SCHEMA_VERSION changes whenever they do."""

from __future__ import annotations

from sqlalchemy import Index, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

from .constants import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION"]


class Meta(SQLModel, table=True):
    """Key/value facts about the database itself (schema version, build id)."""

    key: str = Field(primary_key=True)
    value: str


class Pack(SQLModel, table=True):
    """A crisis pack the database holds (one crisis); `id` orders them as they came."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)  # the pack's own id (`india-pakistan-2025`)
    title: str
    description: str = ""
    # counted once per write (db.schema.count_packs), so that listing packs reads no other table
    entities: int = 0  # that it states: its own and those of other packs it adds to
    links: int = 0
    positions: int = 0
    sources: int = 0
    latest: str | None = None  # the date of its latest event


class Relation(SQLModel, table=True):
    """One name of the link vocabulary; adding a relation is a row, not a schema change."""

    name: str = Field(primary_key=True)
    label: str
    inverse: str
    description: str = ""
    # which entities it joins: JSON lists of `type` or `type/kind` (["actor/person"]); empty: any
    source_types: str = "[]"
    target_types: str = "[]"
    pack_id: int | None = Field(default=None, foreign_key="pack.id")  # whose wording this is; None: the standard


class RelationWording(SQLModel, table=True):
    """Another pack's definition of a relation of the same name and meaning, kept as it worded it."""

    __tablename__ = "relation_wording"
    __table_args__ = {"sqlite_with_rowid": False}

    name: str = Field(primary_key=True, foreign_key="relation.name")
    pack_id: int = Field(primary_key=True, foreign_key="pack.id")
    label: str
    inverse: str
    description: str = ""
    source_types: str = "[]"
    target_types: str = "[]"


class Source(SQLModel, table=True):
    """A document facts are cited to; `via` names the source whose text holds its passages."""

    id: str = Field(primary_key=True)
    title: str
    publisher: str | None = None
    date: str | None = None
    address: str | None = None
    text: str | None = None
    via: str | None = Field(default=None, index=True)  # indexed: the sources quoted via one (the source reader)
    pack_id: int | None = Field(default=None, foreign_key="pack.id")  # the pack that states it


class SourcePack(SQLModel, table=True):
    """Another pack that gives a source, alike (a source is one record, whichever pack gives it)."""

    __tablename__ = "source_pack"
    __table_args__ = {"sqlite_with_rowid": False}

    source_id: str = Field(primary_key=True, foreign_key="source.id")
    pack_id: int = Field(primary_key=True, foreign_key="pack.id")


class Entity(SQLModel, table=True):
    """An event, actor, agreement or place."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True)  # a unique index, not a constraint: made after a bulk load
    type: str
    kind: str | None = None
    name: str
    summary: str = ""
    date: str | None = None
    date_end: str | None = None
    date_precision: str | None = None
    date_uncertain: bool = False
    date_note: str | None = None
    attributes: str = "{}"
    pack_id: int | None = Field(default=None, foreign_key="pack.id")  # the first pack that states it: its fields


class EntityPack(SQLModel, table=True):
    """Another pack that states an entity (with its own aliases, notes and citations); `fields`
    holds, as JSON, the entity's fields as that pack gives them where they differ."""

    __tablename__ = "entity_pack"
    __table_args__ = {"sqlite_with_rowid": False}

    entity_id: int = Field(primary_key=True, foreign_key="entity.id")
    pack_id: int = Field(primary_key=True, foreign_key="pack.id")
    fields: str | None = None


class EntityOrder(SQLModel, table=True):
    """Each pane's display order: `pos` is an entity's row number in the pane of its type.

    A narrow table of its own, numbered once per build, so that a list pages rows by an index
    range at any size without the build rewriting every entity row to number it.
    """

    __tablename__ = "entity_order"
    __table_args__ = {"sqlite_with_rowid": False}

    pack_id: int = Field(primary_key=True)  # the crisis the pane shows (0: all of them)
    type: str = Field(primary_key=True)
    pos: int = Field(primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)


class Alias(SQLModel, table=True):
    """Another name people type for an entity (Shimla, USSR, EAM)."""

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    alias: str
    pack_id: int | None = Field(default=None, foreign_key="pack.id")


class Note(SQLModel, table=True):
    """A cited remark on an entity, e.g. where two sources word or date a thing differently."""

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    text: str
    pack_id: int | None = Field(default=None, foreign_key="pack.id")


class Link(SQLModel, table=True):
    """A typed, directed link: `subject relation object` (talks invokes Simla Agreement).

    Indexed from each end by relation and then the other end, so that a pane filter
    (`participant: Russia`, rolled up through members) reads index entries only; an entity's
    links are a prefix of the same indexes.
    """

    __table_args__ = (Index("ix_link_subject", "subject_id", "relation", "object_id"),
                      Index("ix_link_object", "object_id", "relation", "subject_id"))

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="entity.id")
    relation: str = Field(foreign_key="relation.name")
    object_id: int = Field(foreign_key="entity.id")
    note: str | None = None
    pack_id: int | None = Field(default=None, foreign_key="pack.id")  # each pack states its own links


class Position(SQLModel, table=True):
    """A stated position: what an actor says about a topic (India rejects mediation)."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True)
    actor_id: int = Field(foreign_key="entity.id", index=True)
    topic: str
    topic_id: int | None = Field(default=None, foreign_key="entity.id", index=True)
    stance: str
    statement: str
    date: str | None = None
    date_precision: str | None = None
    date_uncertain: bool = False
    pack_id: int | None = Field(default=None, foreign_key="pack.id")


class PositionPack(SQLModel, table=True):
    """Another pack that gives a position, alike (a position is one record, whichever pack gives it)."""

    __tablename__ = "position_pack"
    __table_args__ = {"sqlite_with_rowid": False}

    position_id: int = Field(primary_key=True, foreign_key="position.id")
    pack_id: int = Field(primary_key=True, foreign_key="pack.id")


class Citation(SQLModel, table=True):
    """A passage that states a fact: the quote, its source and where it sits in the source text.

    Stored in the order of what it cites (subject, subject_id, id), so that a record's
    citations sit together and need no index of their own (5M rows at 1M events). The
    index by source and offset is the source reader's: every passage of a source and what
    cites each, read from the index alone (it holds the key: subject, subject_id, id).
    """

    __table_args__ = (PrimaryKeyConstraint("subject", "subject_id", "id"),
                      Index("ix_citation_source_offset", "source_id", "offset"),
                      {"sqlite_with_rowid": False})

    id: int
    subject: str  # "entity", "link", "position" or "note"
    subject_id: int
    source_id: str = Field(foreign_key="source.id")
    quote: str
    offset: int | None = None
    line: int | None = None
    pack_id: int | None = None  # the pack that cites it (an entity's citations come from each pack stating it)
