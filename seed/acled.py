"""Reads conflict-event CSV in the ACLED export layout into a crisis pack (docs/acled.md).

Each file is a pack of its own (`acled-<file name>`). Each row becomes an event, its actors
and its place, linked and each cited to a source made from the row itself (titled with the
row's `source`, its text the row's fields a line each), so that every quote occurs verbatim in
its source. Every column of a row that has a value is kept in the event's attributes, typed:
a value that is not of its column's type refuses the file, naming the file, line and column.

Ids depend only on what a row says (an actor's name; a place's country, admin1, admin2 and
location), written with `key_id`, readable and distinct for distinct texts: two files that name the same
actor or place give it the same id, and two names never share one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..db.errors import PackError
from ..db.pack import MAX_LINE, MAX_TEXT, control_problem, parse_date

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


def read_acled(path: Path, text: str, lines: dict[tuple[str, int], int] | None = None) -> dict[str, Any]:
    """The CSV at `path` (already decoded) as a pack document; PackError names file and line.

    `lines`, if given, is filled with the line each record comes from, as `(section, index)`.
    """
    lines = {} if lines is None else lines
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise PackError(str(path), "the file is empty") from None
    except csv.Error as exc:
        raise PackError(f"{path}:1", f"malformed CSV: {exc}") from None
    header = [h.strip() for h in header]
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
    reading = _Reading(path, pack_id(path), lines)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise PackError(f"{path}:{line}", f"row has {len(row)} fields, the header has {len(header)}")
            reading.row(line, dict(zip(header, (cell.strip() for cell in row), strict=True)))
    except csv.Error as exc:
        raise PackError(f"{path}:{reader.line_num}", f"malformed CSV: {exc}") from None
    if not reading.sources:
        raise PackError(str(path), "no data rows")
    return {"schema_version": 1,
            "pack": {"id": reading.pack, "title": f"ACLED export {path.name}",
                     "description": f"Conflict events read from the ACLED export {path.name}, a row each."},
            "sources": reading.sources,  # its links use standard relations (RELATIONS), which every database has
            "entities": list(reading.entities.values()), "links": reading.links}


Refuse = Callable[[str, str], PackError]  # (column, problem) -> the error naming the file, line and column


class _Reading:
    """The records read so far from one file."""

    def __init__(self, path: Path, pack: str, lines: dict[tuple[str, int], int]) -> None:
        self.path, self.pack, self.lines = path, pack, lines
        self.sources: list[dict[str, Any]] = []
        self.entities: dict[str, dict[str, Any]] = {}
        self.links: list[dict[str, Any]] = []
        self.events: dict[str, int] = {}  # event code -> its line

    def row(self, line: int, record: dict[str, str]) -> None:
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
        for column, cell in record.items():
            problem = cell_problem(cell, column in ONE_LINE)
            if problem:
                raise refuse(column, problem)
            if cell:
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
        self.lines[("sources", len(self.sources))] = line
        self.sources.append({"id": source_id, "title": record["source"] or f"ACLED event {code}",
                             "text": "\n".join(f"{key}: {value}" for key, value in record.items() if value)})

        def cite(column: str) -> list[dict[str, str]]:
            return [{"source": source_id, "quote": f"{column}: {record[column]}"}]

        what, at = record["sub_event_type"] or record["event_type"], record["location"] or "unknown place"
        event = {"id": event_id, "type": "event", "kind": record["event_type"] or None, "name": f"{what} in {at}",
                 **self._date(date, values.get("time_precision", 1), refuse),
                 "summary": record["notes"],
                 "attributes": {key: value for key, value in values.items() if key not in NOT_ATTRIBUTES},
                 "citations": cite("notes") if record["notes"] else cite("event_id_cnty")}
        self._entity(line, event)

        if record["location"]:
            parts = tuple(record.get(key, "") for key in PLACE_KEY)
            place_id = self._id("place", key_id(*parts), "location", refuse)
            key = {column: value for column, value in zip(PLACE_KEY, parts, strict=True) if value}
            self._entity(line, {"id": place_id, "type": "place", "name": record["location"], "attributes": key,
                                "citations": cite("location")})
            self._link(line, event_id, "located-in", place_id, cite("location"))
        for column, relation in ROLES.items():
            names = [record.get(column, "")] if column in kinds else record.get(column, "").split(";")
            for name in dict.fromkeys(n.strip() for n in names if n.strip()):
                actor_id = self._id("actor", key_id(name), column, refuse)
                self._entity(line, {"id": actor_id, "type": "actor", "kind": kinds.get(column), "name": name,
                                    "citations": cite(column)})
                self._link(line, event_id, relation, actor_id, cite(column))

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

    def _entity(self, line: int, entity: dict[str, Any]) -> None:
        """Add `entity`, or, if its id is there, give the one there a kind it lacked."""
        old = self.entities.get(entity["id"])
        if old is None:
            self.lines[("entities", len(self.entities))] = line
            self.entities[entity["id"]] = entity
        elif old.get("kind") is None and entity.get("kind"):
            old["kind"] = entity["kind"]

    def _link(self, line: int, source: str, relation: str, target: str, citations: list[dict[str, str]]) -> None:
        self.lines[("links", len(self.links))] = line
        self.links.append({"source": source, "relation": relation, "target": target, "citations": citations})
