"""Reads conflict-event CSV in the ACLED export layout into a crisis pack.

Each row becomes an event, its actors and its place, linked and each cited to a source made
from the row itself (titled with the row's `source`, its text the row's fields), so every
quote occurs verbatim in its source. Codes stay text.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from ..db.errors import PackError
from ..db.pack import parse_date
from .vocabulary import standard_relations

REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1", "actor2", "location",
            "latitude", "longitude", "source", "notes", "fatalities")
KEPT_AS_ATTRIBUTES = ("sub_event_type", "fatalities", "latitude", "longitude", "admin1", "admin2", "country",
                      "iso", "region", "inter1", "inter2", "interaction", "source_scale", "civilian_targeting")
RELATIONS = ("participant", "located-in")  # the standard vocabulary's (seed/vocabulary.yaml)
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), start=1)}


def slug(text: str) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:80] or "unnamed"


def iso_date(value: str) -> str:
    """ACLED dates come as `2025-04-22` or `22 April 2025`; return ISO, or raise ValueError."""
    value = value.strip()
    match = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", value)
    if match and match.group(2).lower() in _MONTHS:
        value = f"{match.group(3)}-{_MONTHS[match.group(2).lower()]:02d}-{int(match.group(1)):02d}"
    if parse_date(value) != "day":
        raise ValueError(f"{value!r} is not a day")
    return value


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
    sources: list[dict[str, Any]] = []
    entities: dict[str, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise PackError(f"{path}:{line}", f"row has {len(row)} fields, the header has {len(header)}")
            record = dict(zip(header, (cell.strip() for cell in row), strict=True))
            _row_records(path, line, record, sources, entities, links, seen, lines)
    except csv.Error as exc:
        raise PackError(f"{path}:{reader.line_num}", f"malformed CSV: {exc}") from None
    if not sources:
        raise PackError(str(path), "no data rows")
    return {"schema_version": 1, "relations": standard_relations(RELATIONS), "sources": sources,
            "entities": list(entities.values()), "links": links}


def _row_records(path, line, record, sources, entities, links, seen, lines) -> None:
    where = f"{path}:{line}"
    code = record["event_id_cnty"]
    if not code:
        raise PackError(where, "field 'event_id_cnty': empty")
    if code in seen:
        raise PackError(where, f"field 'event_id_cnty': duplicate event {code!r}")
    seen.add(code)
    try:
        date = iso_date(record["event_date"])
    except ValueError as exc:
        raise PackError(where, f"field 'event_date': {exc}") from None
    source_id = f"acled/{slug(code)}"
    fields = [f"{key}: {value}" for key, value in record.items() if value]
    lines[("sources", len(sources))] = line
    sources.append({"id": source_id, "title": record["source"] or f"ACLED event {code}", "text": "\n".join(fields)})

    def cite(key: str) -> list[dict[str, str]]:
        return [{"source": source_id, "quote": f"{key}: {record[key]}"}]

    event_id = f"event/acled-{slug(code)}"
    name = f"{record['sub_event_type'] or record['event_type']} in {record['location'] or 'unknown place'}"
    attributes = {key: record[key] for key in KEPT_AS_ATTRIBUTES if record.get(key)}
    attributes["event_id_cnty"] = code
    if event_id not in entities:
        lines[("entities", len(entities))] = line
    entities[event_id] = {
        "id": event_id, "type": "event", "kind": record["event_type"] or None, "name": name, "date": date,
        "summary": record["notes"], "attributes": attributes,
        "citations": cite("notes") if record["notes"] else cite("event_id_cnty"),
    }
    if record["location"]:
        place_id = f"place/acled-{slug(record['location'])}"
        if place_id not in entities:
            lines[("entities", len(entities))] = line
            entities[place_id] = {"id": place_id, "type": "place", "name": record["location"],
                                  "citations": cite("location")}
        lines[("links", len(links))] = line
        links.append({"source": event_id, "relation": "located-in", "target": place_id, "citations": cite("location")})
    for key in ("actor1", "actor2"):
        if record[key]:
            actor_id = f"actor/acled-{slug(record[key])}"
            if actor_id not in entities:
                lines[("entities", len(entities))] = line
                entities[actor_id] = {"id": actor_id, "type": "actor", "name": record[key], "citations": cite(key)}
            link = {"source": event_id, "relation": "participant", "target": actor_id, "citations": cite(key)}
            if not any(k["source"] == event_id and k["target"] == actor_id for k in links[-2:]):
                lines[("links", len(links))] = line
                links.append(link)
