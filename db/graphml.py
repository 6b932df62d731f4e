"""The knowledge base as GraphML (for Gephi, yEd, NetworkX): entities are nodes, links edges.

Written as a stream of text chunks read row by row, in constant memory at any size. Every
value is escaped for XML; characters XML 1.0 forbids (most C0 controls: a database no pack
check wrote can hold them) are replaced by U+FFFD (`db.text.xml_safe`); a carriage return,
C1 controls and bidi overrides are written as character references (`&#13;`), which a
reader keeps and a terminal never acts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .export import Readable
from .export import present_columns as _columns
from .text import xml_safe

CHUNK = 2000  # rows per chunk of text

# (key id, for, attr.name, attr.type): the attributes declared, in the order written
NODE_KEYS = (("label", "string"), ("name", "string"), ("type", "string"), ("kind", "string"),
             ("date", "string"), ("date_end", "string"), ("precision", "string"), ("uncertain", "boolean"),
             ("crisis", "string"))
EDGE_KEYS = (("relation", "string"), ("wording", "string"), ("citation_source", "string"),
             ("citation_quote", "string"))



# Characters XML may hold but a terminal acts on (a carriage return, C1 controls, bidi
# overrides): written as character references, so that the file keeps them and `export |
# less` shows `&#x9b;` instead of obeying it.
_REFERENCED = re.compile("[\r\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _reference(match: re.Match[str]) -> str:
    return f"&#x{ord(match.group()):x};"


def xml_text(value: object) -> str:
    """A value as XML character data or an attribute value (str.replace: a translate table
    costs a Python call per character, and this runs for millions of values)."""
    text = xml_safe(str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return _REFERENCED.sub(_reference, text) if _REFERENCED.search(text) else text


def _header() -> str:
    keys = [f'  <key id="n_{name}" for="node" attr.name="{name}" attr.type="{kind}"/>' for name, kind in NODE_KEYS]
    keys += [f'  <key id="e_{name}" for="edge" attr.name="{name}" attr.type="{kind}"/>' for name, kind in EDGE_KEYS]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
            'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
            + "\n".join(keys) + '\n  <graph id="crisis" edgedefault="directed">\n')


def _data(prefix: str, values: dict[str, object]) -> str:
    return "".join(f'<data key="{prefix}_{k}">{xml_text(v)}</data>' for k, v in values.items()
                   if v is not None and v != "")


def graphml_chunks(conn: Readable) -> Iterator[str]:
    """The whole graph as GraphML text, a chunk of rows at a time (read in the caller's transaction)."""
    packs = dict(conn.execute("SELECT id, ref FROM pack")) if _columns(conn, "pack") else {}
    has_pack = "pack_id" in _columns(conn, "entity")
    labels = {name: label for name, label in conn.execute("SELECT name, label FROM relation")}
    wordings: dict[tuple[str, int], str] = {}
    if "pack_id" in _columns(conn, "link") and _columns(conn, "relation_wording"):
        wordings = {(name, pack): label for name, pack, label in conn.execute(
            "SELECT name, pack_id, label FROM relation_wording")}
    yield _header()
    pack_column = "pack_id" if has_pack else "NULL"
    rows = conn.execute(f"""SELECT ref, name, type, kind, date, date_end, date_precision, date_uncertain,
                                   {pack_column} FROM entity ORDER BY id""")
    chunk: list[str] = []
    for ref, name, type_, kind, date, end, precision, uncertain, pack in rows:
        values = {"label": name, "name": name, "type": type_, "kind": kind, "date": date, "date_end": end,
                  "precision": precision, "uncertain": "true" if uncertain else "false",
                  "crisis": packs.get(pack)}
        chunk.append(f'    <node id="{xml_text(ref)}">{_data("n", values)}</node>\n')
        if len(chunk) >= CHUNK:
            yield "".join(chunk)
            chunk.clear()
    link_pack = "k.pack_id" if "pack_id" in _columns(conn, "link") else "NULL"
    links = conn.execute(f"""SELECT k.id, s.ref, o.ref, k.relation, {link_pack} FROM link k
                             JOIN entity s ON s.id = k.subject_id JOIN entity o ON o.id = k.object_id
                             ORDER BY k.id""")
    # the first citation of each link, read beside the links in the same order (a merge join)
    cites = iter(conn.execute("SELECT subject_id, source_id, quote FROM citation WHERE subject = 'link' "
                              "ORDER BY subject_id, id"))
    cite = next(cites, None)
    for link_id, subject, obj, relation, pack in links:
        first = None
        while cite is not None and cite[0] <= link_id:
            if cite[0] == link_id and first is None:
                first = cite
            cite = next(cites, None)
        values = {"relation": relation, "wording": wordings.get((relation, pack), labels.get(relation)),
                  "citation_source": first[1] if first else None, "citation_quote": first[2] if first else None}
        chunk.append(f'    <edge id="link-{link_id}" source="{xml_text(subject)}" target="{xml_text(obj)}">'
                     f'{_data("e", values)}</edge>\n')
        if len(chunk) >= CHUNK:
            yield "".join(chunk)
            chunk.clear()
    chunk.append("  </graph>\n</graphml>\n")
    yield "".join(chunk)
