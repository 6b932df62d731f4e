"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client), and a
reader of the PNG screenshots it takes: for tests of the page `crisis-tui serve web` serves.

Chromium runs in a process group of its own with a profile in a temporary folder, is kept
off the network beyond the page it is sent to, and is killed, group and all, on `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
QUIET = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--disable-default-apps", "--no-default-browser-check", "--no-first-run", "--no-pings",
         "--metrics-recording-only", "--disable-gpu"]


class Chromium:
    """One headless Chromium with one page; `await start()`, then `call(method, **params)`.
    DevTools events that come meanwhile are kept in `events` (method, params)."""

    def __init__(self, width: int = 1024, height: int = 640) -> None:
        assert BROWSER is not None
        self.profile = Path(tempfile.mkdtemp(prefix="crisis-tui-chromium-"))
        self.process = subprocess.Popen(
            [BROWSER, "--headless=new", "--no-sandbox", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", *QUIET, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = 0

    async def start(self, timeout: float = 20) -> None:
        """Wait for Chromium's DevTools port and connect to its page."""
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start (exit code {self.process.poll()})")
            await asyncio.sleep(0.1)
        port = port_file.read_text().split()[0]
        self._http = aiohttp.ClientSession()
        for _ in range(50):
            async with self._http.get(f"http://127.0.0.1:{port}/json/list") as response:
                pages = [t for t in await response.json() if t["type"] == "page"]
            if pages:
                break
            await asyncio.sleep(0.1)
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)

    async def call(self, method: str, timeout: float = 20, **params: Any) -> dict[str, Any]:
        """Send a DevTools command and return its result (AssertionError on a DevTools error)."""
        assert self._ws is not None
        self._ids += 1
        mine = self._ids
        await self._ws.send_json({"id": mine, "method": method, "params": params})
        async with asyncio.timeout(timeout):
            while True:
                message = await self._ws.receive_json()
                if message.get("id") == mine:
                    assert "error" not in message, message["error"]
                    return message["result"]
                if "method" in message:
                    self.events.append((message["method"], message.get("params", {})))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def png_colours(data: bytes) -> tuple[int, int, Counter[bytes]]:
    """Width, height and how many pixels have each RGB colour, of an 8-bit, non-interlaced
    RGB(A) PNG (what Chromium's screenshots are); AssertionError for anything else."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, compressed, header = 8, bytearray(), None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and not interlace, header
    size = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(compressed), width * size
    colours: Counter[bytes] = Counter()
    above = bytearray(stride)
    for y in range(height):  # undo each row's filter (PNG specification, section 9)
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, above, strict=True))
        elif kind:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                if kind == 1:
                    line[i] = (line[i] + left) & 255
                elif kind == 3:
                    line[i] = (line[i] + (left + above[i]) // 2) & 255
                else:  # Paeth: the nearest of left, above and corner to left + above - corner
                    corner = above[i - size] if i >= size else 0
                    guess = left + above[i] - corner
                    near = min((abs(guess - left), 0, left), (abs(guess - above[i]), 1, above[i]),
                               (abs(guess - corner), 2, corner))
                    line[i] = (line[i] + near[2]) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, size))
        above = line
    return width, height, colours
