"""Pane filters as a user types them (`participant: Russia +members kind: talks from: 2025-05`)
and as the command line gives them: parsed, checked against the database, completed, and said
back in one line. The query layer (`KnowledgeBase.match`) applies them.

Syntax: clauses `key: value`, in any order. A key is a relation name (`participant`,
`party`, ...; `related` for any relation) followed by an entity (an id, a name or an alias),
or `kind`, `from`, `to` (dates: `2025`, `2025-05`, `2025-05-10`, inclusive) or `crisis` (a
pack id). `+members` rolls a relation up through the entity's office-holders and members.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import CrisisError
from .records import PaneFilter
from .text import inert

if TYPE_CHECKING:
    from .queries import KnowledgeBase

ANY = "related"  # the key for a link of any relation
MEMBERS = "+members"
FIELDS = ("kind", "from", "to", "crisis")
_KEY = re.compile(r"(?:(?<=\s)|^)([a-z][a-z0-9-]*):(?=\s|$)")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class FilterError(CrisisError):
    """A filter that cannot be applied: one line saying what is wrong."""


def _quoted(text: str) -> str:
    return inert(repr(text), one_line=True, limit=80)


def check_date(text: str, what: str) -> str:
    """A date bound as the database compares it (`2025`, `2025-05` or `2025-05-10`)."""
    value = text.strip()
    if not _DATE.match(value):
        raise FilterError(f"{what} {_quoted(value)} is not a date (write 2025, 2025-05 or 2025-05-10)")
    return value


def resolve_entity(kb: KnowledgeBase, text: str) -> tuple[str, str]:
    """The id and name of the entity `text` means (an id, a name, an alias); FilterError if none
    or several."""
    text = text.strip()
    if not text:
        raise FilterError("a relation needs an entity after it (an id, a name or an alias)")
    rows = kb.resolve(text)
    if not rows:
        what = "no entity has the id" if re.match(r"^[a-z]+/\S+$", text) else "no entity matches"
        raise FilterError(f"{what} {_quoted(text)}")
    if len(rows) > 1:
        listing = "; ".join(f"{r.name} [{r.ref}]" for r in rows[:4])
        raise FilterError(inert(f"{text!r} is ambiguous: {listing}" + (" ..." if len(rows) > 4 else ""),
                                one_line=True, limit=300))
    return rows[0].ref, rows[0].name


def build_filter(kb: KnowledgeBase, *, related_to: str | None = None, relation: str | None = None,
                 through_members: bool = False, kind: str | None = None, date_from: str | None = None,
                 date_to: str | None = None, crisis: str | None = None, exact_id: bool = False,
                 entity_type: str | None = None) -> PaneFilter:
    """A checked filter from its parts: the entity resolved (by id only, with `exact_id`), the
    relation, dates and crisis known to the database; FilterError says what is wrong."""
    name = None
    if relation is not None and relation not in {r.name for r in kb.relations()}:
        raise FilterError(f"unknown relation {_quoted(relation)} (see docs/relations.md, or `related` for any)")
    if related_to is not None:
        if exact_id:
            row = kb.row(related_to.strip())
            if row is None:
                raise FilterError(f"no entity has the id {_quoted(related_to)}")
            related_to, name = row.ref, row.name
        else:
            related_to, name = resolve_entity(kb, related_to)
    elif relation is not None or through_members:
        raise FilterError("a relation or a roll-up needs an entity to relate to")
    if kind and entity_type is not None:
        known = kb.kinds(entity_type)
        if kind not in known:
            listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise FilterError(inert(f"no {entity_type} is of kind {kind!r} (kinds: {listing or 'none'})",
                                    one_line=True, limit=300))
    if date_from is not None:
        date_from = check_date(date_from, "from")
    if date_to is not None:
        date_to = check_date(date_to, "to")
    if date_from and date_to and date_to < date_from[:len(date_to)]:
        raise FilterError(f"the range ends ({date_to}) before it begins ({date_from})")
    if crisis is not None and crisis not in {p.id for p in kb.packs()}:
        raise FilterError(f"no crisis (pack) {_quoted(crisis)} in this database (`crisis-tui packs` lists them)")
    return PaneFilter(related_to, relation, through_members, kind or None, date_from, date_to, crisis, name)


def split(text: str) -> tuple[bool, list[tuple[str | None, str]]]:
    """Whether `+members` is given, and the clauses as (key, value); text before any key has key None."""
    members = False
    words = []
    for word in text.split(" "):
        if word == MEMBERS:
            members = True
        else:
            words.append(word)
    text = " ".join(words)
    clauses: list[tuple[str | None, str]] = []
    found = list(_KEY.finditer(text))
    head = text[:found[0].start()] if found else text
    if head.strip():
        clauses.append((None, head.strip()))
    for n, m in enumerate(found):
        end = found[n + 1].start() if n + 1 < len(found) else len(text)
        clauses.append((m.group(1), text[m.end():end].strip()))
    return members, clauses


def parse(kb: KnowledgeBase, text: str, entity_type: str | None = None) -> PaneFilter:
    """The filter typed as `text`, checked against the database; FilterError says what is wrong."""
    text = " ".join(text.split())
    if not text:
        return PaneFilter()
    members, clauses = split(text)
    relations = {r.name for r in kb.relations()}
    parts: dict[str, str] = {}
    related: tuple[str | None, str] | None = None
    for key, value in clauses:
        if key is None:
            raise FilterError(f"{_quoted(value)} is not a filter: write `relation: entity` (participant: Russia), "
                              "kind:, from:, to: or crisis:")
        if key in relations or key == ANY:
            if related is not None:
                raise FilterError("one relation at a time (a second one was given)")
            related = (None if key == ANY else key, value)
        elif key in FIELDS:
            if key in parts:
                raise FilterError(f"{key}: is given twice")
            if not value:
                raise FilterError(f"{key}: needs a value")
            parts[key] = value
        else:
            raise FilterError(f"unknown filter {_quoted(key + ':')}: a relation name (participant, party, ...), "
                              "related, kind, from, to or crisis")
    if members and related is None:
        raise FilterError(f"{MEMBERS} rolls up a relation: give one (participant: Russia +members)")
    return build_filter(kb, related_to=related[1] if related else None, relation=related[0] if related else None,
                        through_members=members, kind=parts.get("kind"), date_from=parts.get("from"),
                        date_to=parts.get("to"), crisis=parts.get("crisis"), entity_type=entity_type)


def describe(flt: PaneFilter, names: bool = True) -> str:
    """The filter in the syntax `parse` reads, with the entity's name (or its id, `names=False`):
    one line, inert."""
    parts = []
    if flt.related_to is not None:
        who = flt.related_name if names and flt.related_name else flt.related_to
        parts.append(f"{flt.relation or ANY}: {who}" + (f" {MEMBERS}" if flt.through_members else ""))
    for key, value in (("kind", flt.kind), ("from", flt.date_from), ("to", flt.date_to), ("crisis", flt.crisis)):
        if value:
            parts.append(f"{key}: {value}")
    return inert(" ".join(parts), one_line=True, limit=200)


def keys(kb: KnowledgeBase, entity_type: str | None = None) -> list[str]:
    """The keys a filter may begin with; the relations that join a pane's type first (in the
    agreements, `par` is `party`, not `part-of`, which joins events)."""
    relations = kb.relations()
    fits = sorted(r.name for r in relations if entity_type is None or not r.types or entity_type in r.types)
    rest = sorted(r.name for r in relations if r.name not in fits)
    return [*fits, ANY, *FIELDS, *rest]


def complete(kb: KnowledgeBase, text: str, entity_type: str) -> str | None:
    """`text` completed (the whole text, as the prompt's suggestion), or None: a key, an entity's
    name after a relation, a kind, a crisis, or `+members`."""
    if not text or text.endswith("  "):
        return None
    members, clauses = split(text)
    key, value = clauses[-1] if clauses else (None, "")
    last_word = text.rsplit(" ", 1)[-1]

    def tail(options: list[str], typed: str) -> str | None:
        low = typed.lower()
        for option in options:
            if option.lower().startswith(low) and len(option) > len(typed):
                return text + option[len(typed):]
        return None

    if key is None:  # a key being typed
        return tail([k + ": " for k in keys(kb, entity_type)], value) if " " not in value else None
    if text.endswith(":"):
        return None
    relations = {r.name for r in kb.relations()}
    if key in relations or key == ANY:
        names = kb.names_starting(value) if value and not text.endswith(" ") else ()
        if not any(name.lower() == value.lower() for name in names):  # a whole name: on to +members
            found = tail(list(names), value)
            if found is not None:
                return found
        if value and text.endswith(" ") and not members:  # after the entity: the roll-up comes next
            return text + MEMBERS
        if last_word and not members:
            found = tail([MEMBERS], last_word)
            if found is not None:
                return found
        return tail([k + ": " for k in FIELDS], last_word) if last_word else None
    if key == "kind":
        return tail(list(kb.kinds(entity_type)), value)
    if key == "crisis":
        return tail([p.id for p in kb.packs()], value)
    if not last_word or " " not in value:
        return None
    return tail([k + ": " for k in (*FIELDS, *sorted(relations), ANY)], last_word)
