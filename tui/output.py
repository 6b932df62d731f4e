"""Plain-text renderings of query-layer records for the command line (no colour, any terminal).

Every piece of database text passes through `db.text.inert` on its way out: a database
written by another tool may hold escape sequences or bidirectional overrides.
"""

from __future__ import annotations

import json
from itertools import groupby

from ..db.dates import format_date, format_span
from ..db.records import CitationView, EntityDetail, EntityRow, SearchHit
from ..db.text import CONTROL, inert


def _one(text: object) -> str:
    """One-line text (a name, an id, a title): newlines and tabs escaped too."""
    return inert(str(text), one_line=True)


def _block(text: object) -> str:
    """Text that may run over lines (a summary, a quote, a note)."""
    return inert("" if text is None else str(text))


def json_text(value: object, indent: int | None = 2) -> str:
    """JSON with every control character escaped (`\\u202e`): the same value, nothing a terminal acts on.

    `json.dumps` escapes C0 controls itself; DEL, C1 controls and bidirectional marks it
    leaves raw under `ensure_ascii=False`. Outside strings JSON holds none of them.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def row_line(row: EntityRow) -> str:
    date = format_date(row.date, row.date_precision, row.date_uncertain)
    kind = f"{row.type}/{row.kind}" if row.kind else row.type
    return _one(f"{row.name}  [{row.ref}]  {kind}" + (f"  {date}" if date else ""))


def citation_line(n: int, c: CitationView) -> str:
    where = c.source_id + (f", line {c.line}" if c.line and not c.via else "")
    if c.via:
        where += f", via {c.via}"
    if c.address:
        where += f" <{c.address}>"
    return f"  [{n}] \u201c{_block(c.quote)}\u201d \u2014 {_one(where)}"


def detail_text(d: EntityDetail) -> str:
    """`crisis-tui show`: the entity, its links both ways, positions, notes and citations."""
    r = d.row
    lines = [_one(f"{r.name}  [{r.ref}]")]
    facts = [f"{r.type}" + (f" / {r.kind}" if r.kind else "")]
    span = format_span(r.date, d.date_end, r.date_precision, r.date_uncertain)
    if span:
        facts.append(f"{span} (precision: {r.date_precision}{', uncertain' if r.date_uncertain else ''})")
    facts += [f"from pack {d.pack}"] if d.pack else []
    lines.append(_one(" \u00b7 ".join(facts)))
    if d.date_note:
        lines.append(_one(f"Date: {d.date_note}"))
    if d.aliases:
        lines.append(_one("Also: " + ", ".join(d.aliases)))
    for key, value in d.attributes.items():
        lines.append(_one(f"{key.replace('_', ' ')}: {value}"))
    if d.summary:
        lines += ["", _block(d.summary)]
    for title, links, total in (("Links", d.links_out, d.links_out_total),
                                ("Referred to by", d.links_in, d.links_in_total)):
        if links:
            more = f" (first {len(links)} of {total})" if total > len(links) else ""
            lines += ["", f"{title}{more}:"]
            for label, group in groupby(links, key=lambda k: k.label):
                names = ", ".join(f"{k.other.name} [{k.other.ref}]" for k in group)
                lines.append(_one(f"  {label}: {names}"))
    if d.positions:
        lines += ["", "Stated positions:"]
        for p in d.positions:
            date = format_date(p.date, p.date_precision)
            lines.append(_one(f"  {p.actor.name} {p.stance} \u2014 {p.topic}" + (f" ({date})" if date else "")))
            lines.append(f"    {_block(p.statement)}")
    if d.notes:
        lines += ["", "Notes:"]
        lines += [f"  - {_block(n.text)}" for n in d.notes]
    lines += ["", "Sources:"]
    lines += [citation_line(n, c) for n, c in enumerate(d.citations, start=1)]
    return "\n".join(lines)


def hits_text(hits: list[SearchHit]) -> str:
    return "\n".join(row_line(h.row) + (f"  (alias: {_one(h.text)})" if h.matched == "alias" else "") for h in hits)
