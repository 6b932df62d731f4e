"""Refusals before login, logged without letting a client flood the log.

Anyone who can reach the port can make the server refuse them as fast as they like, so these
lines are counted per kind and client address (without the port): the first few of each in a
minute are logged, the rest are summed up in one line when that minute is over.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .server_log import log_event

WINDOW = 60.0  # seconds
BURST = 10  # lines of one kind from one address logged in a window; the rest are counted


@dataclass
class _Window:
    logged: int = 0
    more: int = 0


class RefusalLog:
    """`refused(reason, host, **fields)`: log it, unless this host has had BURST of them this minute."""

    def __init__(self, window: float = WINDOW, burst: int = BURST) -> None:
        self._window = window
        self._burst = burst
        self._open: dict[tuple[str, str], _Window] = {}

    def refused(self, reason: str, host: str, **fields: object) -> None:
        kind = (reason, host)
        window = self._open.get(kind)
        if window is None:
            window = self._open[kind] = _Window()
            asyncio.get_running_loop().call_later(self._window, self._close, kind)
        if window.logged < self._burst:
            window.logged += 1
            log_event("refused", reason=reason, **fields)
        else:
            window.more += 1

    def _close(self, kind: tuple[str, str]) -> None:
        window = self._open.pop(kind, None)
        if window is not None and window.more:
            log_event("refused", reason=kind[0], client=kind[1],
                      more=f"{window.more} more in the last {self._window:.0f} s, not logged one by one")

    def flush(self) -> None:
        """Say what is still counted (the server is stopping)."""
        for kind in list(self._open):
            self._close(kind)
