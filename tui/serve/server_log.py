"""The server's log: one line a event on stderr, `crisis-tui: event=... key=value ...`.

Values a client chose (a user name, a key's comment, a command it asked for) are data:
control characters are shown escaped, long values cut, and a value with spaces, quotes or
`=` is quoted, so that every line reads back as the same fields.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from ...db.text import inert

VALUE_LIMIT = 200


def field(value: object) -> str:
    """One value as a log field shows it: inert, one line, quoted where it must be."""
    text = inert(str(value), one_line=True, limit=VALUE_LIMIT)
    if text and not any(char in text for char in ' "=\\'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def timestamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def log_event(event: str, **fields: object) -> None:
    """Write `crisis-tui: event=EVENT name=value ...` (fields that are None left out)."""
    shown = " ".join(f"{name}={field(value)}" for name, value in fields.items() if value is not None)
    say(f"event={event} {shown}".rstrip())


def say(line: str) -> None:
    """A line to the server's stderr, at once. A log nobody reads any more (`serve ssh | tee`,
    and Ctrl+C ended tee first) loses the line: the server goes on, and stops cleanly."""
    try:
        sys.stderr.write(f"crisis-tui: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
