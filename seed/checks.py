"""The rules across records of a pack, checked a record at a time: known ids and relations,
link ends of the types a relation joins, quotes found in their source and fit to cite (long
enough, no heading, on their page's lines), positions held by actors.

A `Checker` holds only what the rules look records up in (relations, a way to find a source
and its text, the entity ids), so a pack of any size is checked as it streams past. Nothing
here reads files or touches a database.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_right
from collections.abc import Callable, Collection, Container, Iterable
from functools import lru_cache
from typing import Any

from ..db.pack import shown

Problems = list[tuple[str, str]]  # (where, what)


MIN_QUOTE_WORDS = 4  # a quote carries a claim: this many words (\w+ runs), or a whole line (docs/pack-format.md)
_ENOUGH_WORDS = re.compile(rf"(?:\w+\W+){{{MIN_QUOTE_WORDS - 1}}}\w")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_SAME_CELL = re.compile(r"\|\s*same\s*(;|\|)")  # a table cell that reads `same`, or starts `same;`
_ADDRESS_GOES_ON = re.compile(r"[\w/%?#=&~+-]")  # after an address, a character that would make it longer


def _whole_line(text: str, quote: str) -> bool:
    """Whether `quote` is, somewhere in `text`, a line of its own (a field of a structured record)."""
    at = text.find(quote)
    while at >= 0:
        end = at + len(quote)
        if (at == 0 or text[at - 1] == "\n") and (end == len(text) or text[end] == "\n"):
            return True
        at = text.find(quote, at + 1)
    return False


def _holds_line(text: str, line: str) -> bool:
    """Whether `text` has `line` as a whole line (spaces around it allowed)."""
    return line in text and re.search(rf"(?m)^[^\S\n]*{re.escape(line)}[^\S\n]*$", text) is not None


def _headings(text: str, title: str | None) -> tuple[str, str]:
    """The heading lines of a source text (joined by newlines) and the text with them blanked.

    A heading line is a markdown heading (a line starting with `#`), a table's header row (the
    line above a `|---|` delimiter row) or a line that is the title of the source.
    """
    title = (title or "").strip()
    if "#" not in text and "|" not in text and (not title or not _holds_line(text, title)):
        return "", text  # none (most texts: a look at each character, not at each line)
    lines = text.split("\n")
    heading = [line.startswith("#") or (bool(title) and line.strip() == title) for line in lines]
    for n in range(1, len(lines)):
        if "|" in lines[n] and "-" in lines[n] and _TABLE_DELIMITER.match(lines[n]):
            heading[n - 1] = True
    if not any(heading):
        return "", text
    return ("\n".join(line for line, h in zip(lines, heading, strict=True) if h),
            "\n".join("" if h else line for line, h in zip(lines, heading, strict=True)))


def _address_blocks(text: str, address: str) -> list[str]:
    """The runs of lines of `text` that hold `address`, each joined by newlines.

    A line holds an address that occurs in it whole (not as the start of a longer address); a
    table row with a cell `same` (or `same; ...`) holds what the row above it holds.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    holding: set[int] = set()
    at = text.find(address)
    while at >= 0:
        end = at + len(address)
        if end >= len(text) or not _ADDRESS_GOES_ON.match(text, end):
            holding.add(bisect_right(starts, at) - 1)
        at = text.find(address, at + 1)
    for n in sorted(holding):
        while n + 1 < len(lines) and _SAME_CELL.search(lines[n + 1]):
            n += 1
            holding.add(n)
    blocks: list[list[str]] = []
    for n in sorted(holding):
        if blocks and n - 1 in holding:
            blocks[-1].append(lines[n])
        else:
            blocks.append([lines[n]])
    return ["\n".join(block) for block in blocks]


NEAR_AMONG = 50_000  # names an unknown one is compared with, at most, to suggest a near one


def near(name: str, known: Collection[str]) -> str:
    """`; did you mean 'x'?` for the known name closest to an unknown one, if one is close."""
    if len(known) > NEAR_AMONG:
        return ""
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return f" (did you mean {found[0]!r}?)" if found else ""



def _quoted(quote: str, limit: int = 60) -> str:
    """A quote as an error shows it: its first `limit` characters, and `…` if it goes on."""
    return repr(quote[:limit]) + ("…" if len(quote) > limit else "")


TEXTS_HELD = 64  # source texts (and their headings and address blocks) kept at hand while checking


class Checker:
    """Checks records one at a time against the relations, the sources (`source_of(id)` gives
    one, or None) and the entity ids (`entity_ids`; `kind_of(ref, pack)` the kind of one as
    the pack of a link sees it)."""

    def __init__(self, relations: Iterable[Any], source_of: Callable[[str], Any | None],
                 entity_ids: Container[str], kind_of: Callable[[str, str | None], str | None]) -> None:
        self.source_of, self.entity_ids, self.kind_of = source_of, entity_ids, kind_of
        # which entities a relation joins, as each pack words it (a pack that does not: the first wording)
        self.declared: dict[tuple[str, str | None], tuple[list[str], list[str]]] = {}
        for r in relations:
            self.declared.setdefault((r.name, None), (r.source_types, r.target_types))
            self.declared[(r.name, r.pack)] = (r.source_types, r.target_types)
        self.relations = {name for name, _ in self.declared}
        self._text = lru_cache(maxsize=TEXTS_HELD)(self._text_of)
        self._headings = lru_cache(maxsize=TEXTS_HELD)(self._headings_of)
        self._blocks = lru_cache(maxsize=TEXTS_HELD)(_address_blocks)

    def _text_of(self, source_id: str) -> tuple[Any, str | None]:
        """The source `source_id` (None if unknown) and the text its quotes are checked against:
        its own, or that of its `via`."""
        source = self.source_of(source_id)
        if source is None:
            return None, None
        holder = source if source.text is not None else (self.source_of(source.via) if source.via else None)
        return source, holder.text if holder is not None else None

    def _headings_of(self, holder_id: str) -> tuple[str, str]:
        holder = self.source_of(holder_id)
        assert holder is not None and holder.text is not None  # asked only of a source whose text held a quote
        return _headings(holder.text, holder.title)

    def source(self, source: Any, where: Any) -> Problems:
        if source.via is not None and self.source_of(source.via) is None:
            return [(f"{where}: source {source.id}", f"field 'via': unknown source {source.via!r}")]
        return []

    def _quote_problem(self, c: Any, source: Any, text: str) -> str | None:
        """Why a quote found in its source's text is no citation: too short, a heading, or off its page."""
        quote = c.quote
        if not _ENOUGH_WORDS.search(quote) and not _whole_line(text, quote):
            return (f"a quote has at least {MIN_QUOTE_WORDS} words or is a whole line of its source "
                    f"(enough to carry a claim): {_quoted(quote)}")
        holder_id = source.id if source.text is not None else source.via
        if "\n" not in quote:
            heads, body = self._headings(holder_id)
            if heads and quote in heads and quote not in body:
                return f"a heading of source {holder_id!r}, not a passage: {_quoted(quote)}"
        if source.via is not None and source.address:
            blocks = self._blocks(text, source.address)
            if not any(quote in block for block in blocks):
                return (f"not found on a line of source {holder_id!r} that holds this source's address "
                        f"{shown(source.address, 200)}" if blocks else
                        f"source {holder_id!r} has no line holding this source's address "
                        f"{shown(source.address, 200)}") + f": {_quoted(quote)}"
        return None

    def citations(self, citations: Iterable[Any]) -> list[str]:
        found = []
        for i, c in enumerate(citations):
            source, text = self._text(c.source)
            if text is not None and c.quote in text:
                problem = self._quote_problem(c, source, text)
                if problem is not None:
                    found.append(f"field 'citations.{i}.quote': {problem}")
                continue
            if source is None:
                found.append(f"field 'citations.{i}.source': unknown source {c.source!r}")
            elif text is None:
                found.append(f"field 'citations.{i}.source': source {c.source!r} has no text to check quotes against")
            else:
                found.append(f"field 'citations.{i}.quote': not found verbatim in source {c.source!r}: "
                             f"{_quoted(c.quote)}")
        return found

    def entity(self, e: Any, where: Any) -> Problems:
        problems: Problems = []
        for found, suffix in [(self.citations(e.citations), "")] + [
                (self.citations(note.citations), f" note {j}") for j, note in enumerate(e.notes)]:
            if found:
                w = f"{where}: entity {e.id}{suffix}"
                problems.extend((w, problem) for problem in found)
        return problems

    def _joins(self, types: list[str], ref: str, pack_id: str | None) -> bool:
        """Whether the entity `ref` is of one of `types` (`type` or `type/kind`; none listed: any)."""
        kind = ref.split("/", 1)[0]  # an entity's id starts with its type
        return not types or kind in types or f"{kind}/{self.kind_of(ref, pack_id)}" in types

    def _unknown(self, ref: str) -> str:
        known = self.entity_ids
        return near(ref, known) if isinstance(known, set | frozenset | dict) else ""

    def link(self, k: Any, where: Any) -> Problems:
        ids = self.entity_ids
        found = [f"field '{field}': unknown id {getattr(k, field)!r}{self._unknown(getattr(k, field))}"
                 for field in ("source", "target") if getattr(k, field) not in ids]
        if k.relation not in self.relations:
            found.append(f"field 'relation': unknown relation {k.relation!r}{near(k.relation, self.relations)} "
                         "(add it to relations:, or use a standard one: docs/relations.md)")
        else:
            types_of = self.declared.get((k.relation, k.pack)) or self.declared[(k.relation, None)]
            for field, types in zip(("source", "target"), types_of, strict=True):
                ref = getattr(k, field)
                if ref in ids and not self._joins(types, ref, k.pack):
                    kind = self.kind_of(ref, k.pack)
                    found.append(f"field '{field}': relation {k.relation!r} joins a {field} of type "
                                 f"{' or '.join(types)}, not {ref} ({ref.split('/', 1)[0]}"
                                 f"{'/' + kind if kind else ''})")
        found += self.citations(k.citations)
        if not found:
            return []
        label = f"link {shown(k.source)} -{shown(k.relation)}-> {shown(k.target)}"
        return [(f"{where}: {label}", problem) for problem in found]

    def position(self, q: Any, where: Any) -> Problems:
        ids = self.entity_ids
        found = [f"field '{field}': unknown id {getattr(q, field)!r}{self._unknown(getattr(q, field))}"
                 for field in ("actor", "about")
                 if getattr(q, field) is not None and getattr(q, field) not in ids]
        if q.actor in ids and not q.actor.startswith("actor/"):  # an entity's id starts with its type
            found.append(f"field 'actor': {q.actor} is not an actor (a position is held by an actor)")
        found += self.citations(q.citations)
        return [(f"{where}: position {q.id}", problem) for problem in found]
