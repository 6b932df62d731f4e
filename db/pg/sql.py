"""The query layer's SQL, written for SQLite, as psycopg takes it.

Most of `KnowledgeBase`'s statements are plain SQL that both engines read alike; what differs
is how parameters are marked. SQLite's `?`, `?NNN` and `:name` become psycopg's `%s` and
`%(name)s` (every `%` doubled), marks inside string literals and quoted names left as they are, and
`LIKE` becomes `ILIKE` (SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's does not).
A statement is translated once and kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\?(\d*)|(?<!:):([A-Za-z_]\w*)|%|\bLIKE\b""", re.IGNORECASE)


@lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, bool]:
    """(the statement for psycopg, whether its parameters are numbered: `?1` and the like)."""
    numbered = False

    def mark(found: re.Match[str]) -> str:
        nonlocal numbered
        token = found.group(0)
        if token[0] in "'\"":
            return token.replace("%", "%%")  # psycopg reads % inside literals too
        if token == "%":
            return "%%"
        if token.upper() == "LIKE":
            return "ILIKE"
        if token[0] == "?":
            if found.group(1):
                numbered = True
                return f"%(p{found.group(1)})s"
            return "%s"
        return f"%({found.group(2)})s"

    return _TOKEN.sub(mark, sql), numbered


def arguments(params: tuple | list | dict[str, Any], numbered: bool) -> tuple | dict[str, Any]:
    """Parameters as psycopg takes them for a statement `translate` made."""
    if isinstance(params, dict):
        return params
    if numbered:
        return {f"p{n}": value for n, value in enumerate(params, start=1)}
    return tuple(params)
