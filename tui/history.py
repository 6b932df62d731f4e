"""Browser-style navigation history: a bounded list of visited ids with a cursor."""

from __future__ import annotations

from collections import deque


class History:
    """Visited entity ids; `back`/`forward` move the cursor, a new visit drops the forward entries."""

    def __init__(self, limit: int = 200) -> None:
        self._entries: deque[str] = deque(maxlen=limit)
        self._cursor = -1
        self._dropped = 0  # entries that fell off the front (the list is bounded)

    @classmethod
    def restored(cls, entries: list[str] | tuple[str, ...], cursor: int, limit: int = 200) -> History:
        """A history holding `entries` (the last `limit`), its cursor on `cursor` (kept in range),
        as a session left it (db/state.py keeps it)."""
        history = cls(limit)
        kept = list(entries)[-limit:]
        history._entries.extend(kept)
        history._cursor = min(max(cursor - (len(entries) - len(kept)), 0), len(kept) - 1)
        return history

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(self._entries)

    @property
    def cursor(self) -> int:
        """Index of the current entry; -1 when nothing has been visited."""
        return self._cursor

    @property
    def serial(self) -> int:
        """A number for the current entry that stays its own while older entries fall off the front."""
        return self._dropped + self._cursor

    def serials(self) -> range:
        """The serial numbers of the entries kept."""
        return range(self._dropped, self._dropped + len(self._entries))

    @property
    def current(self) -> str | None:
        return self._entries[self._cursor] if self._cursor >= 0 else None

    @property
    def can_back(self) -> bool:
        return self._cursor > 0

    @property
    def can_forward(self) -> bool:
        return 0 <= self._cursor < len(self._entries) - 1

    def visit(self, ref: str) -> None:
        """Record a visit; revisiting the current entry changes nothing."""
        if ref == self.current:
            return
        while len(self._entries) > self._cursor + 1:
            self._entries.pop()
        if len(self._entries) == self._entries.maxlen:
            self._dropped += 1
        self._entries.append(ref)
        self._cursor = len(self._entries) - 1

    def back(self) -> str | None:
        """Step back; the entry now current, or None at the start."""
        if not self.can_back:
            return None
        self._cursor -= 1
        return self.current

    def forward(self) -> str | None:
        """Step forward; the entry now current, or None at the end."""
        if not self.can_forward:
            return None
        self._cursor += 1
        return self.current

    def go(self, index: int) -> str | None:
        """Jump to an entry without changing the list."""
        if not 0 <= index < len(self._entries):
            return None
        self._cursor = index
        return self.current
