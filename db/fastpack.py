"""Pack records validated fast: msgspec Structs that mirror the models of `db.pack`.

An import at scale validates millions of records. The Structs here accept a subset of what the
models accept, and give the same values: a record the fast path refuses goes to its pydantic
model, which words the error or accepts it (a lax coercion such as "true" for a bool, or text
with whitespace around it to strip) and is copied into the Struct. The fast path always applies
the pack-input rules (limits, control characters), and refuses besides: text that starts or
ends with whitespace (the models strip it), a lone surrogate, a date in other than ASCII digits
(or with a newline after it), a number that is not finite and an integer outside 64 bits (an
attribute). tests/test_fastpack.py holds the two to the same verdicts; benchmarks/validate.py
measures them.
"""

from __future__ import annotations

import hashlib
import re
import sys
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct
from pydantic import BaseModel

from .constants import REF_PATTERN
from .pack import MAX_ADDRESS, MAX_LINE, MAX_SOURCE, MAX_TEXT, PACK_INPUT, SECTIONS, Precision, parse_date
from .text import CONTROL, LINE_CONTROL

# Line and text fields say only their lengths here: their characters (no control character,
# and in a record that strips, no whitespace at either end) are checked after conversion, over
# the record's strings at once (`_clean`), which costs a fraction of a regex per field.
Line = Annotated[str, Meta(max_length=MAX_LINE)]
Named = Annotated[str, Meta(min_length=1, max_length=MAX_LINE)]  # a Line that may not be empty
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Said = Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]
Quote = Annotated[str, Meta(min_length=3, max_length=MAX_TEXT)]
Address = Annotated[str, Meta(max_length=MAX_ADDRESS)]
SourceText = Annotated[str, Meta(max_length=MAX_SOURCE)]


def _exactly(pattern: str, limit: int = MAX_LINE) -> Meta:
    """An id's pattern, anchored at the very end (a model's `$` does not match before a final newline)."""
    assert pattern.startswith("^") and pattern.endswith("$")
    return Meta(max_length=limit, pattern=rf"\A{pattern[1:-1]}\Z")


# ids: no whitespace or control character matches these patterns
RelationName = Annotated[str, _exactly(r"^[a-z][a-z-]*$")]
SourceId = Annotated[str, _exactly(r"^[a-z0-9][a-z0-9._/-]*$")]
PositionId = Annotated[str, _exactly(r"^position/[a-z0-9][a-z0-9._-]*$")]
PackId = Annotated[str, _exactly(r"^[a-z0-9][a-z0-9._-]*$")]
Ref = Annotated[str, Meta(min_length=1, max_length=200)]  # and REF_PATTERN, checked after (faster than here)
TypeSpec = Annotated[str, _exactly(r"^(?:event|actor|agreement|place)(?:/.+)?$")]  # a Line besides
IsoDate = Annotated[str, Meta(max_length=10)]  # a real date in ASCII digits, checked after (`_date`)
Attribute = (Text | Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
             | Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)] | bool)


class _Record(Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """A pack record: its fields in the model's order, those at their default left out of its JSON."""


class Citation(_Record, kw_only=True):
    source: Named
    quote: Quote


class Note(_Record, kw_only=True):
    text: Said
    citations: Annotated[list[Citation], Meta(min_length=1)]


class Relation(_Record, kw_only=True):
    name: RelationName
    label: Line
    inverse: Line
    description: Text = ""
    source_types: list[TypeSpec] = []
    target_types: list[TypeSpec] = []
    pack: PackId | None = None


class Source(_Record, kw_only=True):
    id: SourceId
    title: Line
    publisher: Line | None = None
    date: IsoDate | None = None
    address: Address | None = None
    text: SourceText | None = None
    via: Line | None = None
    pack: PackId | None = None
    text_file: Line | None = None


class Entity(_Record, kw_only=True):
    id: Ref
    type: Literal["event", "actor", "agreement", "place"]
    kind: Line | None = None
    name: Named
    summary: Text = ""
    date: IsoDate | None = None
    date_end: IsoDate | None = None
    date_precision: Literal["year", "month", "day"] | None = None
    date_uncertain: bool = False
    date_note: Text | None = None
    attributes: dict[Line, Attribute] = {}
    pack: PackId | None = None
    aliases: list[Line] = []
    notes: list[Note] = []
    citations: Annotated[list[Citation], Meta(min_length=1)]


class Link(_Record, kw_only=True):
    source: Ref
    relation: Named
    target: Ref
    note: Text | None = None
    pack: PackId | None = None
    citations: Annotated[list[Citation], Meta(min_length=1)]


class Position(_Record, kw_only=True):
    id: PositionId
    actor: Ref
    topic: Named
    about: Ref | None = None
    stance: Named
    statement: Said
    date: IsoDate | None = None
    date_uncertain: bool = False
    pack: PackId | None = None
    citations: Annotated[list[Citation], Meta(min_length=1)]


STRUCTS: dict[str, type[Any]] = {
    "relations": Relation,
    "sources": Source,
    "entities": Entity,
    "links": Link,
    "positions": Position,
}
# the Struct of each nested record, by field
_NESTED: dict[type[Any], dict[str, type[Any]]] = {
    Entity: {"notes": Note, "citations": Citation},
    Note: {"citations": Citation},
    Link: {"citations": Citation},
    Position: {"citations": Citation},
}


class Refused(ValueError):
    """The fast path does not take this record (the pydantic model decides)."""


# What a model refuses in text: control characters (db.text), and lone surrogates (not Unicode).
_TEXT_BAD = re.compile(CONTROL.pattern[:-1] + "\ud800-\udfff]").search
_LINE_BAD = re.compile(LINE_CONTROL.pattern[:-1] + "\ud800-\udfff]").search
_IS_REF = re.compile(rf"\A{REF_PATTERN[1:-1]}\Z").match


def _clean(lines: list[str], texts: list[str], strip: bool = True) -> None:
    """Refuse a record whose one-line `lines` or `texts` hold a character a model refuses, or,
    with `strip`, start or end with whitespace (a model strips it; `str.strip` strips all it does)."""
    every = lines + texts
    # printable text holds no control character, surrogate, newline or tab: one pass in C for all
    if not "".join(every).isprintable() and (any(map(_LINE_BAD, lines)) or any(map(_TEXT_BAD, texts))):
        raise Refused("a control character")
    if strip and list(map(str.strip, every)) != every:
        raise Refused("whitespace to strip")


def _date(date: str | None) -> Precision | None:
    """The precision of `date` if it is a real date in ASCII digits (`parse_date` takes any digit,
    and a newline after the date)."""
    if date is None:
        return None
    if date.isascii() and not date.endswith("\n"):
        try:
            return parse_date(date)
        except ValueError:
            pass
    raise Refused(f"not a date: {date!r}")


def _check_relation(r: Relation) -> None:
    _clean([r.label, r.inverse, *r.source_types, *r.target_types], [r.description])


def _check_source(s: Source) -> None:
    lines = [s.title]
    for value in (s.publisher, s.address, s.via, s.text_file):
        if value is not None:
            lines.append(value)
    _clean(lines, [] if s.text is None else [s.text], strip=False)
    _date(s.date)


def _check_entity(e: Entity) -> None:
    """The text of an entity, and the rules of `db.pack.Entity._precision` (filling `date_precision` as it does)."""
    if not (_IS_REF(e.id) and e.id.startswith(e.type + "/")):
        raise Refused("not an entity id of its type")
    lines = [e.name]
    texts = [e.summary]
    if e.kind is not None:
        lines.append(e.kind)
    if e.aliases:
        lines += e.aliases
    if e.date_note is not None:
        texts.append(e.date_note)
    if e.attributes:
        lines += e.attributes
        texts += [v for v in e.attributes.values() if isinstance(v, str)]
    for note in e.notes:
        texts.append(note.text)
        for c in note.citations:
            lines.append(c.source)
            texts.append(c.quote)
    for c in e.citations:
        lines.append(c.source)
        texts.append(c.quote)
    _clean(lines, texts)
    _date(e.date_end)
    precision = _date(e.date)
    if precision is None:
        if e.date_precision or e.date_end:
            raise Refused("date_precision and date_end need a date")
    elif e.date_precision is None:
        e.date_precision = precision
    elif e.date_precision != precision:
        raise Refused("date_precision does not match date")
    if e.date_end is not None and e.date is not None and e.date_end < e.date:
        raise Refused("date_end is before date")


def _check_link(link: Link) -> None:
    if not (_IS_REF(link.source) and _IS_REF(link.target)):
        raise Refused("not an entity id")
    lines = [link.relation]
    texts = [] if link.note is None else [link.note]
    for c in link.citations:
        lines.append(c.source)
        texts.append(c.quote)
    _clean(lines, texts)


def _check_position(p: Position) -> None:
    if not (_IS_REF(p.actor) and (p.about is None or _IS_REF(p.about))):
        raise Refused("not an entity id")
    lines = [p.topic, p.stance]
    texts = [p.statement]
    for c in p.citations:
        lines.append(c.source)
        texts.append(c.quote)
    _clean(lines, texts)
    _date(p.date)


_CHECKS: dict[str, Any] = {"relations": _check_relation, "sources": _check_source, "entities": _check_entity,
                           "links": _check_link, "positions": _check_position}


def fast_validate(section: str, item: Any) -> Any:
    """The record `item` of `section` as its Struct, if the fast path takes it; else raise `Refused`.

    Applies the pack-input rules whatever the caller's context (a record that breaks them only
    outside a pack costs the slow path)."""
    try:
        record = msgspec.convert(item, STRUCTS[section], strict=True)
    except (ValueError, TypeError) as exc:  # msgspec.ValidationError; a UnicodeError (a lone surrogate)
        raise Refused(str(exc)) from None
    _CHECKS[section](record)
    return record


def _build(kind: type[Any], data: dict[str, Any]) -> Any:
    """A Struct of `kind` from the plain values of a record already valid (no check on the way)."""
    nested = _NESTED.get(kind, {})
    return kind(**{
        name: [_build(nested[name], v) for v in value] if name in nested else value
        for name, value in data.items()
    })


def validate(section: str, item: Any, pack_input: bool = True) -> tuple[Any, bool]:
    """The record `item` (as parsed from JSON/YAML/CSV) of `section`, validated; and whether it
    named its `pack` (even as null).

    Tries the fast Structs; where they refuse, runs the pydantic model (in pack-input context if
    `pack_input`), which raises pydantic.ValidationError to word the error, or accepts (a lax
    coercion) and its result is copied into the Struct."""
    if isinstance(item, dict):
        try:
            return fast_validate(section, item), "pack" in item
        except Refused:
            pass
    model = _slow(section, item, pack_input)
    return _build(STRUCTS[section], model.model_dump()), "pack" in model.model_fields_set


def _slow(section: str, item: Any, pack_input: bool) -> BaseModel:
    return SECTIONS[section].model_validate(item, context=PACK_INPUT if pack_input else None)


def _said(record: Any) -> Any:
    """`record` without what its pack file says of where it is (`pack`, a source's `text_file`)."""
    if record.pack is None and getattr(record, "text_file", None) is None:
        return record
    if isinstance(record, Source):
        return msgspec.structs.replace(record, pack=None, text_file=None)
    return msgspec.structs.replace(record, pack=None)


def body(record: Any) -> bytes:
    """What `record` says, as compact JSON: its fields in order, but those at their default, its
    `pack` and a source's `text_file` (pydantic's `model_dump(mode="json", exclude_defaults=True,
    exclude={"text_file", "pack"})`)."""
    return msgspec.json.encode(_said(record))


def digest(record: Any) -> bytes:
    """16 bytes that two records share if and only if they are equal as Python compares them
    (whatever the order of their attributes; an attribute of 1, 1.0 or true is the same value,
    as it was when the importer compared records in memory)."""
    said = _said(record)
    attributes = getattr(said, "attributes", None)
    if attributes and any(type(v) is bool or (type(v) is float and v.is_integer()) for v in attributes.values()):
        said = msgspec.structs.replace(said, attributes={k: _number(v) for k, v in attributes.items()})
    return hashlib.blake2b(msgspec.json.encode(said, order="sorted"), digest_size=16).digest()


def _number(value: Any) -> Any:
    """An attribute as Python's == sees it: true is 1, 2.0 is 2."""
    if type(value) is bool or (type(value) is float and value.is_integer()):
        return int(value)
    return value


_DECODERS = {section: msgspec.json.Decoder(kind) for section, kind in STRUCTS.items()}


def decode(section: str, data: bytes, pack: str | None) -> Any:
    """The record of `section` whose `body` is `data`, of `pack`."""
    try:
        record = _DECODERS[section].decode(data)
    except msgspec.ValidationError:  # a record the fast path refused but the model took
        record = _build(STRUCTS[section], msgspec.json.decode(data))
    record.pack = pack
    return record


def to_dict(record: Any) -> Any:
    """`record` as plain values, every field included (pydantic's `model_dump(mode="json")`)."""
    if isinstance(record, Struct):
        return {name: to_dict(getattr(record, name)) for name in record.__struct_fields__}
    if isinstance(record, list):
        return [to_dict(v) for v in record]
    if isinstance(record, dict):
        return dict(record)
    return record
