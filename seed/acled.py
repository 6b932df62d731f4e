"""Reads conflict-event CSV in the ACLED export layout into a crisis pack (docs/acled.md).

Each file is a pack of its own (`acled-<file name>`). Each row becomes an event, its actors
and its place, linked and each cited to a source made from the row itself (titled with the
row's `source`, its text the row's fields a line each), so that every quote occurs verbatim in
its source. Every column of a row that has a value is kept in the event's attributes, typed:
a value that is not of its column's type refuses the file, naming the file, line and column.

`iter_acled` reads a file a row at a time and yields each record as its row is read (memory
grows with the distinct events, actors and places, not with the rows); `read_acled` gathers
the same records from a decoded text into one document.

Ids depend only on what a row says (an actor's name; a place's country, admin1, admin2 and
location), written with `key_id`, readable and distinct for distinct texts: two files that name the same
actor or place give it the same id, and two names never share one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..db.errors import PackError
from ..db.pack import MAX_LINE, MAX_TEXT, control_problem, parse_date
from ..db.text import LINE_CONTROL

REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "actor2", "location",
            "latitude", "longitude", "source", "notes", "fatalities")
# the standard vocabulary's (seed/vocabulary.yaml)
RELATIONS = ("first-side", "second-side", "first-side-associate", "second-side-associate", "located-in")
ROLES = {"actor1": "first-side", "actor2": "second-side",
         "assoc_actor_1": "first-side-associate", "assoc_actor_2": "second-side-associate"}
INTEGERS = frozenset(("year", "time_precision", "geo_precision", "fatalities", "timestamp", "iso",
                      "event_id_no_cnty", "data_id"))
NUMBERS_OR_TEXT = frozenset(("inter1", "inter2", "interaction"))  # codes in older exports, words in newer
COORDINATES = {"latitude": 90.0, "longitude": 180.0}
TYPED = INTEGERS | NUMBERS_OR_TEXT | COORDINATES.keys()  # the columns `typed` may change; others are text
NOT_ATTRIBUTES = frozenset(("notes",))  # the event's summary; every other column is an attribute too
# ACLED's actor types (inter1, inter2): code -> the readable name, an actor's kind
ACTOR_TYPES = {1: "State forces", 2: "Rebel groups", 3: "Political militias", 4: "Identity militias",
               5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
_TYPE_NAMES = {name.lower(): name for name in ACTOR_TYPES.values()} | {
    # newer exports word some types in the singular
    "rebel group": "Rebel groups", "political militia": "Political militias", "identity militia": "Identity militias",
    "external/other force": "External/Other forces"}
# the columns that become names, kinds and titles (one line of text); header names too (attribute keys)
ONE_LINE = frozenset(("event_type", "sub_event_type", "actor1", "actor2", "assoc_actor_1", "assoc_actor_2",
                      "inter1", "inter2", "location", "source"))
PLACE_KEY = ("country", "admin1", "admin2", "location")
PRECISION_NOTES = {2: "ACLED gives this date to within about a week of {date} (time_precision 2).",
                   3: "ACLED gives this date to within about a month of {date} (time_precision 3)."}
MAX_ID = 200  # db.pack.Ref
# One row's characters, however many lines its quoted cells span: thirty columns of MAX_TEXT fit
# five times over; the cap keeps a file with no line break (or an endless quoted cell) from
# being read whole.
MAX_ROW = 16 * 1024 * 1024
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what errors="surrogateescape" makes of a byte that is not UTF-8
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), start=1)}
_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?[0-9]{1,18}(?:\.[0-9]{1,18})?")
_PLAIN_CODE = re.compile(r"[A-Z0-9]+")


def slug(text: str) -> str:
    """A readable, lossy id part (pack ids): lowercase ASCII letters and digits, `-` between."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:80] or "unnamed"


_WORD = re.compile(r"[a-z0-9]+")
KEY_HASH = 8  # hex digits of SHA-1 that end a key


def key_id(*texts: str) -> str:
    """Texts (a name; a place's country, admin1, admin2 and location) as one id part, readable
    and never the same for two different texts.

    Each text's words, lowercased and with accents taken off (`Çarval` -> `carval`), are joined
    by `-` (at most 40 characters), the texts by `--`; then `-` and the first KEY_HASH hex
    digits of the SHA-1 of the texts exactly as given, so that texts which read alike once
    lowercased or stripped of accents and punctuation (`Arval`, `Çarval`, `Carval`) stay
    apart: `Military Forces of Xland (2020-)` -> `military-forces-of-xland-2020-caeddf35`
    (docs/acled.md).
    """
    parts = []
    for text in texts:
        plain = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode("ascii")
        parts.append("-".join(_WORD.findall(plain))[:40].strip("-"))
    digest = hashlib.sha1("\x1f".join(texts).encode("utf-8")).hexdigest()[:KEY_HASH]
    return "--".join(parts) + "-" + digest


def event_code_id(code: str) -> str:
    """An ACLED event code as id characters: `IND10001` -> `ind10001`; a code that is not only
    capitals and digits is `key_id` (whose `-` and hash a lowercased code never has)."""
    return code.lower() if _PLAIN_CODE.fullmatch(code) else key_id(code)


def pack_id(path: Path) -> str:
    """`acled-` and the file's name as a slug (`Events 2025.csv` -> `acled-events-2025`), once:
    `acled-sample.csv` -> `acled-sample`."""
    name = slug(path.stem)
    return name if name == "acled" or name.startswith("acled-") else f"acled-{name}"


def iso_date(value: str) -> str:
    """ACLED dates come as `2025-04-22` or `22 April 2025`; return ISO, or raise ValueError."""
    value = value.strip()
    match = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", value)
    if match and match.group(2).lower() in _MONTHS:
        value = f"{match.group(3)}-{_MONTHS[match.group(2).lower()]:02d}-{int(match.group(1)):02d}"
    if parse_date(value) != "day":
        raise ValueError(f"{value!r} is not a day")
    return value


def typed(column: str, value: str) -> str | int | float:
    """A cell as its column's type (docs/acled.md); ValueError says why it is not."""
    if column in INTEGERS:
        if not _INTEGER.fullmatch(value):
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value)
        if number < 0:
            raise ValueError(f"{value!r} is negative")
        return number
    if column in COORDINATES:
        if not _DECIMAL.fullmatch(value):
            raise ValueError(f"{value!r} is not a decimal number of degrees")
        degrees = float(value)
        if abs(degrees) > COORDINATES[column]:
            raise ValueError(f"{value!r} is out of range (-{COORDINATES[column]:g} to {COORDINATES[column]:g})")
        return degrees
    if column in NUMBERS_OR_TEXT and _INTEGER.fullmatch(value):
        return int(value)
    return value


def cell_problem(cell: str, one_line: bool) -> str | None:
    """Why `cell` cannot be pack text (too long, or a control character), or None."""
    limit = MAX_LINE if one_line else MAX_TEXT
    if len(cell) > limit:
        return f"{len(cell)} characters; at most {limit} are allowed here"
    return control_problem(cell, one_line)


def actor_type(column: str, value: str | int | float | None) -> str | None:
    """The readable name of an inter1/inter2 value (a code or its words); ValueError if neither."""
    if value is None or value == 0:  # 0: no actor on that side
        return None
    if isinstance(value, int):
        if value not in ACTOR_TYPES:
            raise ValueError(f"{value} is not an ACLED actor type code (0-8)")
        return ACTOR_TYPES[value]
    name = _TYPE_NAMES.get(str(value).lower())
    if name is None:
        raise ValueError(f"{str(value)!r} is not an ACLED actor type (a code 1-8 or one of: "
                         f"{', '.join(ACTOR_TYPES.values())})")
    return name


Record = tuple[str, Any, int | None]  # (key, value, line): a section's record, or a top-level key's value


def iter_acled(path: Path, read: list[int] | None = None) -> Iterator[Record]:
    """The CSV file at `path` as a stream of pack records, read a row at a time.

    Yields `("schema_version", 1, None)` and `("pack", {...}, None)` first, then for each row
    `("sources", source, line)`, `("entities", event, line)`, its place if first seen, its
    `located-in` link, and for each actor (actor1, actor2, then the associates) the actor if
    first seen with a kind, then its link, each with the CSV line the row ends on. An actor
    first seen without a kind (an associate, or a side with no `inter` code) is held until a
    row gives it one (it is yielded then, citing its first row and with that row's line) or
    the file ends (yielded after the last row). Memory grows with the distinct event codes,
    places and actors, never with the rows. PackError names the file and line of the first
    problem, when the reading reaches it; a consumer must not act on the records before the
    stream ends.

    A pipe, socket or device is never opened; a UTF-8 byte-order mark is skipped; a UTF-16
    one, a NUL byte, bytes that are not UTF-8, or a file of only blank lines refuse the file.
    `read[0]`, if given, is kept at how many bytes of the file have been read.
    """
    read = [0] if read is None else read
    with _open_regular(path) as handle:
        if handle.peek(4)[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise PackError(str(path), "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")
        # surrogateescape: a byte that is not UTF-8 reaches _Lines as U+DC80-U+DCFF, refused with its line
        with io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
            for n, record in enumerate(_records(path, _Lines(path, text))):
                if not n % 4096:
                    read[0] = handle.tell()
                yield record
            read[0] = handle.tell()


def read_acled(path: Path, text: str, lines: dict[tuple[str, int], int] | None = None) -> dict[str, Any]:
    """The CSV at `path` (already decoded) as one pack document: the records `iter_acled`
    would yield, gathered; PackError names file and line.

    `lines`, if given, is filled with the line each record comes from, as `(section, index)`.
    """
    lines = {} if lines is None else lines
    document: dict[str, Any] = {"schema_version": None, "pack": None, "sources": [], "entities": [], "links": []}
    for key, value, line in _records(path, _Lines(path, io.StringIO(text, newline=""))):
        if isinstance(document[key], list):
            lines[(key, len(document[key]))] = line or 0
            document[key].append(value)
        else:
            document[key] = value
    return document  # its links use standard relations (RELATIONS), which every database has


def _open_regular(path: Path) -> io.BufferedReader:
    """The regular file at `path`, open for reading; PackError if it is not one or cannot be read.

    A pipe, socket or device is never opened (a pipe with no writer blocks for ever; a device
    can be endless): seen by its path, then once open (it may have been swapped since).
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise PackError(str(path), "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise PackError(str(path), "is not a regular file (a pipe, socket or device)")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise PackError(str(path), f"cannot read: {exc.strerror or exc}") from None
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise PackError(str(path), "is not a regular file (a pipe, socket or device)")
    return handle


class _Lines:
    """The lines of a CSV text as csv.reader reads them, each checked as it comes: no NUL byte,
    no byte that is not UTF-8 (U+DC80-U+DCFF from `surrogateescape`), and no row (the lines
    since `row_chars` was last set to 0) of more than MAX_ROW characters, so that a file with
    no line break is not read whole."""

    def __init__(self, path: Path, stream: TextIO) -> None:
        self.path, self.readline = path, stream.readline
        self.number = 0  # lines read
        self.row_chars = 0  # characters read since the last row began

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = self.readline(MAX_ROW + 1)
        except OSError as exc:
            raise PackError(f"{self.path}:{self.number + 1}", f"cannot read: {exc.strerror or exc}") from None
        if not line:
            raise StopIteration
        self.number += 1
        self.row_chars += len(line)
        if self.row_chars > MAX_ROW:
            raise PackError(f"{self.path}:{self.number}", f"a row of more than {MAX_ROW:,} characters")
        if "\x00" in line:
            raise PackError(f"{self.path}:{self.number}", "this is a binary file (a NUL byte), not CSV")
        if not line.isascii():
            bad = _NOT_UTF8.search(line)
            if bad:
                raise PackError(f"{self.path}:{self.number}",
                                f"not valid UTF-8 (byte 0x{ord(bad.group()) - 0xDC00:02x}); save the file as UTF-8")
        return line


def _records(path: Path, lines: _Lines) -> Iterator[Record]:
    """The records of the CSV whose lines are `lines` (iter_acled)."""
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in _header(path, reader)]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise PackError(f"{path}:1", f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                         "(ACLED layout expected)")
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            raise PackError(f"{path}:1", f"column {twice[0]!r} is in the header twice")
        if "" in header:
            raise PackError(f"{path}:1", f"column {header.index('') + 1} of the header has no name")
        for name in header:
            problem = cell_problem(name, one_line=True)
            if problem:
                raise PackError(f"{path}:1", f"column name {name[:40]!r}: {problem}")
        reading = _Reading(path, pack_id(path))
        yield "schema_version", 1, None
        yield "pack", {"id": reading.pack, "title": f"ACLED export {path.name}",
                       "description": f"Conflict events read from the ACLED export {path.name}, a row each."}, None
        for row in reader:
            lines.row_chars = 0
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise PackError(f"{path}:{line}", f"row has {len(row)} fields, the header has {len(header)}")
            yield from reading.row(line, dict(zip(header, [cell.strip() for cell in row], strict=True)))
    except csv.Error as exc:
        raise PackError(f"{path}:{reader.line_num}", f"malformed CSV: {exc}") from None
    if not reading.events:
        raise PackError(str(path), "no data rows")
    yield from reading.held()


def _header(path: Path, reader: Iterator[list[str]]) -> list[str]:
    """The first row; PackError if the file is empty or only blank lines."""
    header = next(reader, None)
    if header is None:
        raise PackError(str(path), "the file is empty")
    if not any(cell.strip() for cell in header) and not any(any(c.strip() for c in row) for row in reader):
        raise PackError(str(path), "the file is empty")  # only blank lines
    return header


Refuse = Callable[[str, str], PackError]  # (column, problem) -> the error naming the file, line and column


class _Reading:
    """What one file's rows have given so far: the ids the stream has seen, never the records
    (but those of actors held for a kind)."""

    def __init__(self, path: Path, pack: str) -> None:
        self.path, self.pack = path, pack
        self.events: dict[str, int] = {}  # event code -> its line
        self.seen: set[str] = set()  # places and actors yielded
        self.refs: dict[tuple[str, ...], str] = {}  # (kind, *key texts) -> the id of an actor or place
        self.kindless: dict[str, tuple[dict[str, Any], int]] = {}  # actors held for a kind, and their lines

    def row(self, line: int, record: dict[str, str]) -> Iterator[Record]:
        """The row's source, event, place, actors and links, each with `line`."""
        where = f"{self.path}:{line}"

        def refuse(column: str, problem: str) -> PackError:
            return PackError(where, f"column '{column}': {problem}")

        code = record["event_id_cnty"]
        if not code:
            raise refuse("event_id_cnty", "empty")
        if code in self.events:
            raise refuse("event_id_cnty", f"duplicate event {code!r} (also on line {self.events[code]})")
        self.events[code] = line
        values: dict[str, str | int | float] = {}
        cells = record.values()
        # most rows: no cell longer than a line, no control character anywhere; no cell to check
        plain = max(map(len, cells)) <= MAX_LINE and LINE_CONTROL.search(" ".join(cells)) is None
        for column, cell in record.items():
            if not plain:
                problem = cell_problem(cell, column in ONE_LINE)
                if problem:
                    raise refuse(column, problem)
            if cell:
                if column not in TYPED:
                    values[column] = cell
                    continue
                try:
                    values[column] = typed(column, cell)
                except ValueError as exc:
                    raise refuse(column, str(exc)) from None
        try:
            date = iso_date(record["event_date"])
        except ValueError as exc:
            raise refuse("event_date", str(exc)) from None
        kinds: dict[str, str | None] = {}
        for column, inter in (("actor1", "inter1"), ("actor2", "inter2")):
            try:
                kinds[column] = actor_type(inter, values.get(inter))
            except ValueError as exc:
                raise refuse(inter, str(exc)) from None

        event_id = self._id("event", event_code_id(code), "event_id_cnty", refuse)
        stamp = f"-{values['timestamp']}" if "timestamp" in values else ""
        source_id = f"acled/{self.pack}/{event_code_id(code)}{stamp}"
        yield "sources", {"id": source_id, "title": record["source"] or f"ACLED event {code}",
                          "text": "\n".join([f"{key}: {value}" for key, value in record.items() if value])}, line

        def cite(column: str) -> list[dict[str, str]]:
            return [{"source": source_id, "quote": f"{column}: {record[column]}"}]

        what, at = record["sub_event_type"] or record["event_type"], record["location"] or "unknown place"
        event = {"id": event_id, "type": "event", "kind": record["event_type"] or None, "name": f"{what} in {at}",
                 **self._date(date, values.get("time_precision", 1), refuse),
                 "summary": record["notes"],
                 "attributes": {key: value for key, value in values.items() if key not in NOT_ATTRIBUTES},
                 "citations": cite("notes") if record["notes"] else cite("event_id_cnty")}
        yield "entities", event, line

        if record["location"]:
            parts = tuple(record.get(key, "") for key in PLACE_KEY)
            place_id = self._ref("place", parts, "location", refuse)
            key = {column: value for column, value in zip(PLACE_KEY, parts, strict=True) if value}
            if place_id not in self.seen:
                self.seen.add(place_id)
                yield "entities", {"id": place_id, "type": "place", "name": record["location"], "attributes": key,
                                   "citations": cite("location")}, line
            yield "links", _link(event_id, "located-in", place_id, cite("location")), line
        for column, relation in ROLES.items():
            names = [record.get(column, "")] if column in kinds else record.get(column, "").split(";")
            for name in dict.fromkeys(n.strip() for n in names if n.strip()):
                actor_id = self._ref("actor", (name,), column, refuse)
                yield from self._actor(line, {"id": actor_id, "type": "actor", "kind": kinds.get(column), "name": name,
                                              "citations": cite(column)})
                yield "links", _link(event_id, relation, actor_id, cite(column)), line

    @staticmethod
    def _date(date: str, precision: str | int | float, refuse: Refuse) -> dict[str, Any]:
        """An event's date fields from ACLED's date and time_precision (docs/acled.md)."""
        if precision == 1:
            return {"date": date}
        if precision == 2:
            return {"date": date, "date_uncertain": True, "date_note": PRECISION_NOTES[2].format(date=date)}
        if precision == 3:
            return {"date": date[:7], "date_precision": "month", "date_uncertain": True,
                    "date_note": PRECISION_NOTES[3].format(date=date)}
        raise refuse("time_precision", f"{precision} is not an ACLED time precision (1 day, 2 week, 3 month)")

    @staticmethod
    def _id(kind: str, key: str, column: str, refuse: Refuse) -> str:
        ref = f"{kind}/acled-{key}"
        if len(ref) > MAX_ID:
            raise refuse(column, f"too long to make an id of ({ref[:40]}... is {len(ref)} characters; "
                                 f"an id holds at most {MAX_ID})")
        return ref

    def _ref(self, kind: str, texts: tuple[str, ...], column: str, refuse: Refuse) -> str:
        """The id of an actor or place keyed by `texts`, made once for each (distinct ids)."""
        ref = self.refs.get((kind, *texts))
        if ref is None:
            ref = self.refs[(kind, *texts)] = self._id(kind, key_id(*texts), column, refuse)
        return ref

    def _actor(self, line: int, actor: dict[str, Any]) -> Iterator[Record]:
        """`actor` if it is new and has a kind; a new one without a kind is held (with `line`)
        until a row gives it a kind (then the one held is yielded, with that kind) or the file
        ends: an actor takes the kind of its first row that gives one (docs/acled.md)."""
        ref = actor["id"]
        if ref in self.seen:
            return
        held = self.kindless.get(ref)
        if actor["kind"] is None:
            if held is None:
                self.kindless[ref] = (actor, line)
            return
        self.seen.add(ref)
        if held is not None:
            del self.kindless[ref]
            first, line = held
            actor = {**first, "kind": actor["kind"]}
        yield "entities", actor, line

    def held(self) -> Iterator[Record]:
        """The actors no row gave a kind, in the order first seen."""
        for actor, line in self.kindless.values():
            yield "entities", actor, line
        self.kindless.clear()


def _link(source: str, relation: str, target: str, citations: list[dict[str, str]]) -> dict[str, Any]:
    return {"source": source, "relation": relation, "target": target, "citations": citations}
