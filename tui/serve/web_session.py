"""One browser session: its explorer process (textual-serve's AppService), ended for sure.

textual-serve's `AppService.stop` asks the explorer to quit and waits for its output to end,
however long that takes; an explorer that does not quit would be left running and keep its
place under the session cap. `ExplorerService.end` waits a moment, then kills the explorer's
process group (the command makes the explorer its leader: web_command.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from asyncio.subprocess import Process
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import WSCloseCode
from aiohttp.web import WebSocketResponse
from textual_serve.app_service import AppService

from .options import MAX_COLUMNS, MAX_ROWS

QUIT_GRACE = 3.0  # seconds an explorer has to quit when asked, before it is killed


def clamped_size(width: object, height: object) -> tuple[int, int]:
    """A browser's terminal size as whole cells within the limits of options.py (80×24 if not numbers)."""
    def whole(value: object, default: int, most: int) -> int:
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError, OverflowError):
            return default
        return min(max(number, 1), most)

    return whole(width, 80, MAX_COLUMNS), whole(height, 24, MAX_ROWS)


class ExplorerService(AppService):
    """textual-serve's app service whose `end()` leaves no process of the session behind."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ending: asyncio.Future[None] | None = None

    @property
    def process(self) -> Process | None:
        """The explorer's process. textual-serve 1.1.3 keeps it in `_process` and offers no public
        handle (pyproject pins textual-serve < 2; tests/test_serve_web.py checks the kill)."""
        return getattr(self, "_process", None)

    async def end(self, grace: float = QUIT_GRACE) -> None:
        """Ask the explorer to quit; kill its process group if it has not within `grace` seconds.
        Safe to call more than once, and from several tasks at once."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._quit_or_kill(grace))
        await asyncio.shield(self._ending)

    async def _quit_or_kill(self, grace: float) -> None:
        # stop() is not itself put under a timeout: the task it waits for swallows cancellation
        process = self.process
        waits: set[asyncio.Future[object]] = {asyncio.ensure_future(self.stop())}
        if process is not None:
            waits.add(asyncio.ensure_future(process.wait()))
        await asyncio.wait(waits, timeout=grace)
        if process is not None and process.returncode is None:  # not reaped, so the pid is still its own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.wait(waits, timeout=grace)  # killed, its output ends and stop() returns
        for waiting in waits:
            waiting.cancel()


@dataclass
class WebSession:
    """A browser session: its number, its state file (bookmarks and notes for the session only),
    its browser's websocket and, once started, its explorer."""

    number: int
    state: Path
    websocket: WebSocketResponse
    service: ExplorerService | None = None
    started: float = field(default_factory=time.monotonic)

    async def close_when_explorer_exits(self) -> None:
        """Close the browser's connection when the explorer ends by itself (quit, crash, killed):
        the page then says the session ended."""
        process = self.service.process if self.service else None
        if process is not None:
            await process.wait()
            await self.websocket.close()

    async def end(self) -> None:
        """End the explorer (no process of it left) and close the browser's connection."""
        if self.service is not None:
            await self.service.end()
        if self.websocket.prepared and not self.websocket.closed:
            await self.websocket.close(code=WSCloseCode.GOING_AWAY)

    def forget(self) -> None:
        """Remove the session's state file (and SQLite's journal files beside it)."""
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.state}{suffix}")
