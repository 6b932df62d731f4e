"""textual-serve's Server, made to serve crisis-tui: a session cap, an explorer per session
that is ended for sure, our own page (templates/app_index.html), only the server's own
pages' websockets (web_origin.py) and plain output."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.server import Server

from ...db.text import inert
from .options import WebOptions
from .web_command import session_command
from .web_origin import Allowed, RefusalLog
from .web_session import ExplorerService, WebSession, clamped_size

TEMPLATES = Path(__file__).resolve().parent / "templates"
log = logging.getLogger("crisis_tui.serve.web")
# The largest message a browser may send (aiohttp's default is 4 MB). textual.js sends keys,
# pastes, sizes and pings as small JSON texts; 64 KiB takes a long paste. A larger message
# closes the session (1009, message too big). aiohttp 3.14 itself bounds what waits unread:
# it stops reading a connection once 512 KiB of its messages are queued (2 × its 256 KiB chunk).
MAX_MESSAGE = 64 * 1024
EXPLORER_LINE = 1000  # characters of a line an explorer writes on its stderr shown in the log


class ExplorerServer(Server):
    """Serves each browser its own explorer, `options.max_sessions` at most at once.

    `folder` (the server's own, made and removed by web.py) holds each session's state file.
    """

    def __init__(self, options: WebOptions, folder: Path, public_url: str, note: str, allowed: Allowed) -> None:
        super().__init__(command="crisis-tui --served web", host=options.host, port=options.port,
                         title="crisis-tui", public_url=public_url, templates_path=TEMPLATES)
        self.options = options
        self.folder = folder
        self.note = note  # the start-up line after the address: on logins and proxies
        self.allowed = allowed
        self.refusals = RefusalLog()
        self.sessions: dict[int, WebSession] = {}
        self._numbers = itertools.count(1)

    @property
    def full(self) -> bool:
        return len(self.sessions) >= self.options.max_sessions

    def full_text(self) -> str:
        cap = self.options.max_sessions
        return f"crisis-tui: the server is full ({cap} session{'' if cap == 1 else 's'} at once); try again later."

    def initialize_logging(self) -> None:
        """Plain lines on stderr: ours and textual-serve's warnings (no logo, no access log)."""
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("crisis-tui: %(message)s"))
        for name, level in (("crisis_tui.serve.web", logging.INFO), ("textual-serve", logging.WARNING),
                            ("aiohttp", logging.WARNING)):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.addHandler(handler)
            logger.propagate = False

    def serve(self, debug: bool = False) -> None:
        """Serve, with what explorers write on their stderr made into inert log lines (ExplorerOutput)."""
        with contextlib.redirect_stdout(ExplorerOutput(sys.stderr)):
            super().serve(debug)

    def check(self, request: web.Request, websocket: bool) -> None:
        """HTTPForbidden (403, one line) if the request's Host or Origin is not this server's (web_origin.py)."""
        reason = self.allowed.refusal(request.headers.get("Host"), request.headers.get("Origin"), websocket)
        if reason is None:
            return
        if line := self.refusals.line(reason, str(request.remote)):
            log.warning("%s (browsers are let in from %s)", line, self.allowed.described())
        raise web.HTTPForbidden(text=f"crisis-tui: refused: {reason} (browsers are let in from "
                                     f"{self.allowed.described()})\n")

    async def on_startup(self, app: web.Application) -> None:
        cap = self.options.max_sessions
        log.info("serving the explorer at %s/ (at most %d session%s at once; Ctrl+C stops)",
                 self.public_url, cap, "" if cap == 1 else "s")
        log.info("%s", self.note)

    async def on_shutdown(self, app: web.Application) -> None:
        """End every session's explorer and close its browser connection."""
        count = len(self.sessions)
        log.info("stopping: ending %d session%s", count, "" if count == 1 else "s")
        await asyncio.gather(*(session.end() for session in list(self.sessions.values())))

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page (templates/app_index.html), or one line saying the server is full (503)."""
        self.check(request, websocket=False)
        if self.full:
            log.info("refused a page to %s: the server is full", inert(str(request.remote), one_line=True))
            return web.Response(status=503, text=self.full_text() + "\n", content_type="text/plain")
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Run an explorer for this browser until either side closes; at the cap, say the server
        is full in the browser's terminal and close (1013, try again later). A websocket not
        opened by this server's own page is refused (403) before anything else."""
        self.check(request, websocket=True)
        websocket = web.WebSocketResponse(heartbeat=15, max_msg_size=MAX_MESSAGE)
        if self.full:
            log.info("refused a session to %s: the server is full", inert(str(request.remote), one_line=True))
            await websocket.prepare(request)
            await websocket.send_bytes(("\r\n  " + self.full_text() + "\r\n").encode())
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"the server is full")
            return websocket
        number = next(self._numbers)
        session = self.sessions[number] = WebSession(number, self.folder / f"session-{number}.db", websocket)
        try:  # the place is taken before the first wait, so that the cap holds
            await websocket.prepare(request)
        except BaseException:
            del self.sessions[number]
            raise
        try:
            log.info("web session %d opened from %s (%d of %d)", number, inert(str(request.remote), one_line=True),
                     len(self.sessions), self.options.max_sessions)
            command = session_command(self.options.db, session.state, self.options.memory_limit_mb,
                                      self.options.keymap)
            session.service = ExplorerService(command, write_bytes=websocket.send_bytes,
                                              write_str=websocket.send_str, close=websocket.close,
                                              download_manager=self.download_manager)
            await session.service.start(*clamped_size(request.query.get("width"), request.query.get("height")))
            watch = asyncio.ensure_future(session.close_when_explorer_exits())
            try:
                await pump(websocket, session.service)
            finally:
                watch.cancel()
        except Exception as error:  # one line, the session ended below; the server goes on
            log.error("web session %d failed: %s", number, inert(f"{type(error).__name__}: {error}", one_line=True))
        finally:
            await session.end()
            del self.sessions[number]
            session.forget()
            log.info("web session %d ended after %.0f s", number, time.monotonic() - session.started)
        return websocket

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        """A file an explorer delivers (textual-serve's), to this server's own pages only."""
        self.check(request, websocket=False)
        return await super().handle_download(request)


class ExplorerOutput(io.TextIOBase):
    """Where textual-serve 1.1.3 writes an explorer's stderr when its session ends (sys.stdout,
    raw, control characters and all): each line goes to `stream` as an inert log line."""

    def __init__(self, stream: Any) -> None:
        super().__init__()
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.stream.write(f"crisis-tui: an explorer said: {inert(line, one_line=True, limit=EXPLORER_LINE)}\n")
        self.stream.flush()
        return len(text)


async def pump(websocket: web.WebSocketResponse, service: ExplorerService) -> None:
    """Pass the browser's keys, size, focus and pings to the explorer until the websocket closes.
    A message that is not what textual.js sends is ignored."""
    async for message in websocket:
        if message.type != WSMsgType.TEXT:
            continue
        try:
            kind, *rest = json.loads(message.data)
        except (ValueError, TypeError):
            continue
        data: Any = rest[0] if rest else None
        if kind == "stdin" and isinstance(data, str):
            await service.send_bytes(data.encode("utf-8"))
        elif kind == "resize" and isinstance(data, dict):
            await service.set_terminal_size(*clamped_size(data.get("width"), data.get("height")))
        elif kind == "ping" and isinstance(data, str):
            await websocket.send_json(["pong", data])
        elif kind == "blur":
            await service.blur()
        elif kind == "focus":
            await service.focus()
