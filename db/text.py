"""Pack text is data: the characters that could drive a terminal, and how to show them inert.

Imports refuse these characters in any pack string (`db.pack`); what is shown (`show`,
`search`, error messages, the explorer) passes through `inert` as well, for databases
written by other tools.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional marks, embeddings,
# overrides and isolates (which reorder what a terminal shows: "Trojan Source").
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# In one-line text (names, titles, error messages) a newline or tab is a control as well.
LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def first_control(text: str) -> str | None:
    """The first character of `text` that a pack may not hold, escaped (`\\x1b`), or None."""
    match = CONTROL.search(text)
    return _escaped(match) if match else None


def inert(text: str, one_line: bool = False, limit: int | None = None) -> str:
    """`text` with every control character shown as its escape (`\\x1b`), never sent as itself.

    With `one_line`, newlines and tabs are escaped too (a name in a list row, an error line).
    With `limit`, text longer than that many characters is cut there and ends in `…`, so
    that an outsized value costs what a screenful does.
    """
    if limit is not None and len(text) > limit:
        text = text[:limit] + "\u2026"
    return (LINE_CONTROL if one_line else CONTROL).sub(_escaped, text)


# What XML 1.0 may not hold at all, even as a character reference: C0 controls but tab,
# newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD (a database no pack
    check wrote can hold them; a GraphML or XHTML reader would refuse the whole file)."""
    return XML_FORBIDDEN.sub("\ufffd", text)
