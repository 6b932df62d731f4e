"""Pack text as the explorer shows it: inert (`db/text.py`), and cut to what a screen can use.

Every string that comes from a pack or a database reaches a widget through `line` or
`text`, and then as plain text (segments, `Content`), never as markup.
"""

from __future__ import annotations

from ..db.text import inert

LINE_LIMIT = 500  # characters of a one-line value (a name, a title) kept for showing
TEXT_LIMIT = 100_000  # characters of a paragraph (a summary, a statement) kept for showing


def line(value: str | None, limit: int = LINE_LIMIT) -> str:
    """A one-line value: controls, newlines and tabs escaped, cut at `limit` (LINE_LIMIT) characters."""
    return inert(value or "", one_line=True, limit=min(limit, LINE_LIMIT))


def quoted(value: str | None, limit: int = LINE_LIMIT) -> str:
    """A one-line value in quotes as typed (`'it's'`), not as Python would write it (`"it's"`, `'a\\b'`)."""
    return f"'{line(value, limit)}'"


def text(value: str | None) -> str:
    """A paragraph: controls escaped (newlines kept, tabs as spaces), cut at TEXT_LIMIT."""
    return inert(value or "", limit=TEXT_LIMIT).replace("\t", "    ")
