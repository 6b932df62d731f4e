"""`crisis-tui serve web`: the explorer in a browser, through textual-serve.

The server runs as a real subprocess on a free loopback port; sessions are opened with
aiohttp's websocket client (what textual.js does in a browser) or with headless Chromium.
Every server, explorer and browser is stopped at the end of its test, even when it fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp
import pytest
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from crisis_tui.tui.serve.web import is_loopback, proxy_note
from crisis_tui.tui.serve.web_command import TEXTUAL_SERVE_VARS, session_command
from crisis_tui.tui.serve.web_origin import Allowed, RefusalLog
from crisis_tui.tui.serve.web_server import ExplorerOutput
from crisis_tui.tui.serve.web_session import ExplorerService, clamped_size

from .chromium import BROWSER, Chromium, png_colours
from .conftest import CLI

PANES = (b"Events", b"Actors", b"Agreements")
DEFAULT_MEMORY_MB = 512


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def wait_gone(pids: list[int], seconds: float = 5) -> list[int]:
    """Wait up to `seconds` for every process of `pids` to end; the ones still there."""
    deadline = time.monotonic() + seconds
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


class WebServer:
    """`crisis-tui --db DB serve web --port PORT ARGS...`, its stderr kept in a file."""

    def __init__(self, db: Path, folder: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = folder / f"serve-web-{self.port}.log"
        self.seen: set[int] = set()  # every explorer seen, killed at the end if still there
        env = dict(os.environ if env is None else env, TMPDIR=str(folder))  # its session folder in there
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([CLI, "--db", str(db), "serve", "web", "--port", str(self.port), *args],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                            env=env)

    @property
    def stderr(self) -> str:
        return self.log.read_text()

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while "serving the explorer at" not in self.stderr:
            assert self.process.poll() is None, f"the server exited: {self.stderr}"
            assert time.monotonic() < deadline, f"the server did not start: {self.stderr}"
            time.sleep(0.05)
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert time.monotonic() < deadline, f"the server does not accept connections: {self.stderr}"
            time.sleep(0.05)

    def explorers(self) -> list[int]:
        found = children(self.process.pid)
        self.seen.update(found)
        return found

    def stop(self, sig: int = signal.SIGTERM, seconds: float = 20) -> int:
        self.explorers()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=seconds)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in self.seen:  # each leads a process group of its own (web_command.py)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def serve(bundled_db, tmp_path):
    """Start `crisis-tui serve web` with these arguments (ready for connections); stopped after."""
    started: list[WebServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> WebServer:
        server = WebServer(bundled_db, tmp_path, *args, env=env)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def shared(bundled_db, tmp_path_factory):
    """One server for the tests that do not stop it, started with CRISIS_TUI_* variables set
    (which must not reach its sessions)."""
    folder = tmp_path_factory.mktemp("web")
    env = dict(os.environ, CRISIS_TUI_STATE=str(folder / "server-state.db"), CRISIS_TUI_SECRET="not for sessions")
    server = WebServer(bundled_db, folder, env=env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def websocket_url(server: WebServer, width: int = 100, height: int = 30) -> str:
    return f"ws://127.0.0.1:{server.port}/ws?width={width}&height={height}"


def page_origin(server: WebServer) -> str:
    """The Origin a browser sends from the server's page (what textual.js's websocket carries)."""
    return f"http://127.0.0.1:{server.port}"


async def first_frame(websocket: aiohttp.ClientWebSocketResponse, seconds: float = 20) -> bytes:
    """What the explorer sends until its panes' titles have all come."""
    got = b""
    async with asyncio.timeout(seconds):
        while not all(title in got for title in PANES):
            message = await websocket.receive()
            assert message.type == aiohttp.WSMsgType.BINARY, (message.type, message.data, got[-300:])
            got += message.data
    return got


# --- the page ---------------------------------------------------------------------------------

class _Links(HTMLParser):
    """Every address a page refers to: attributes, and url(...) in its styles."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self._in = tag
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset", "poster", "data") or name.endswith("-url"):
                self.addresses.append(value or "")

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        if self._in == "style":
            self.addresses += re.findall(r"""url\(\s*["']?([^"')]+)""", data)
            self.addresses += re.findall(r"""@import\s+["']([^"']+)""", data)

    def handle_endtag(self, tag):
        self._in = None


async def test_the_page_is_ours_and_everything_it_uses_comes_from_the_server(shared):
    async with aiohttp.ClientSession() as http:
        async with http.get(shared.url) as response:
            assert response.status == 200
            page = await response.text()
        links = _Links()
        links.feed(page)
        assert links.title == "crisis-tui"
        assert 'class="textual-terminal"' in page and "data-font-size=" in page
        # every address is the page's own, relative: it works however the page was reached
        assert 'new URL("ws", location.href)' in page and "data-session-websocket-url" not in page
        # no address of another host anywhere in the page, written out or protocol-relative
        own = f"127.0.0.1:{shared.port}"
        assert [m for m in re.findall(r"(?:[a-z]+:)?//([^/\"'\s)]+)", page) if m != own] == []
        assert "googleapis" not in page
        fetched = [a for a in links.addresses if not a.startswith("data:")]
        assert len(fetched) >= 5  # the font (preloaded and in two @font-face), the styles, textual.js
        for address in fetched:
            absolute = urljoin(shared.url, address)
            assert urlsplit(absolute).netloc == own, address
            if absolute.startswith("http"):
                async with http.get(absolute) as response:
                    assert response.status == 200, address
                    assert len(await response.read()) > 1000, address
        assert any(a.endswith("js/textual.js") for a in fetched) and any(a.endswith(".ttf") for a in fetched)


@pytest.mark.skipif(BROWSER is None, reason="no chromium or chromium-browser on PATH (scripts/system-deps installs it)")
async def test_headless_chromium_shows_the_explorers_panes_and_q_ends_the_session(shared, tmp_path):
    browser = Chromium(1024, 640)
    try:
        await browser.start()
        await browser.call("Network.enable")
        await browser.call("Page.enable")
        await browser.call("Page.navigate", url=shared.url)
        received = b""
        deadline = time.monotonic() + 30
        while not all(title in received for title in PANES):  # what textual.js was sent to draw
            assert time.monotonic() < deadline, received[-500:]
            await asyncio.sleep(0.2)
            await browser.evaluate("1")  # collects the events that came meanwhile
            received = b"".join(base64.b64decode(p["response"]["payloadData"]) for m, p in browser.events
                                if m == "Network.webSocketFrameReceived" and p["response"]["opcode"] == 2)
        for _ in range(50):  # textual.js has written it into the terminal: the page shows it
            if "-first-byte" in await browser.evaluate("document.body.className"):
                break
            await asyncio.sleep(0.1)
        assert "-first-byte" in await browser.evaluate("document.body.className")
        assert await browser.evaluate("document.querySelectorAll('#terminal canvas').length") > 0
        assert await browser.evaluate("getComputedStyle(document.querySelector('#starting')).display") == "none"
        viewport = await browser.evaluate("[innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]")
        deadline = time.monotonic() + 20
        while True:  # until the frame is painted: the panes' text, borders, highlighted row and key bar
            shot = base64.b64decode((await browser.call("Page.captureScreenshot", format="png"))["data"])
            width, height, colours = png_colours(shot)
            painted = len(colours) >= 8 and colours.most_common(1)[0][1] < 0.9 * width * height
            if painted or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        (tmp_path / "served-page.png").write_bytes(shot)
        assert [width, height] == viewport
        assert painted, (len(colours), colours.most_common(1)[0][1], width * height)  # many colours, none filling it
        # the page's own websocket carried the page's Origin (anything else is refused)
        handshakes = [p["request"]["headers"] for m, p in browser.events
                      if m == "Network.webSocketWillSendHandshakeRequest"]
        assert [h.get("Origin") for h in handshakes] == [page_origin(shared)]
        # offline: every request the page made went to the server itself
        requested = [p["request"]["url"] for m, p in browser.events if m == "Network.requestWillBeSent"]
        requested += [p["url"] for m, p in browser.events if m == "Network.webSocketCreated"]
        assert requested and all(urlsplit(url).netloc == f"127.0.0.1:{shared.port}" for url in requested), requested
        # q quits the explorer; the page says the session has ended
        explorers = shared.explorers()
        await browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        for kind in ("keyDown", "keyUp"):
            await browser.call("Input.dispatchKeyEvent", type=kind, key="q", code="KeyQ", text="q",
                               windowsVirtualKeyCode=81)
        for _ in range(100):
            if await browser.evaluate("getComputedStyle(document.querySelector('#ended')).display") == "flex":
                break
            await asyncio.sleep(0.05)
        assert await browser.evaluate("getComputedStyle(document.querySelector('#ended')).display") == "flex"
        assert "-closed" in await browser.evaluate("document.body.className")
        notice = await browser.evaluate("document.querySelector('#ended').innerText")
        assert notice.startswith("The session has ended.")
        assert len(explorers) == 1 and wait_gone(explorers) == []
    finally:
        await browser.close()


# --- sessions -----------------------------------------------------------------------------------

def environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode().split("=", 1) for p in pairs if p)


def state_option(pid: int) -> Path:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return Path(argv[argv.index(b"--state") + 1].decode())


async def test_each_session_its_own_explorer_and_state_and_none_of_the_servers_variables(shared):
    async with aiohttp.ClientSession() as http:
        async with (http.ws_connect(websocket_url(shared), origin=page_origin(shared)) as one,
                    http.ws_connect(websocket_url(shared), origin=page_origin(shared)) as two):
            await first_frame(one)
            await first_frame(two)
            explorers = shared.explorers()
            assert len(explorers) == 2
            states = [state_option(pid) for pid in explorers]
            assert states[0] != states[1] and states[0].parent == states[1].parent
            assert states[0].parent.name.startswith("crisis-tui-web-") and states[0].parent.is_dir()
            assert states[0].parent.parent == shared.log.parent  # the server's TMPDIR
            for pid in explorers:
                env = environ(pid)
                assert not [name for name in env if name.startswith("CRISIS_TUI_")]
                assert env["TEXTUAL_DRIVER"].endswith("WebDriver") and env["COLUMNS"] == "100" and env["ROWS"] == "30"
                limits = Path(f"/proc/{pid}/limits").read_text()
                assert re.search(rf"Max address space\s+{DEFAULT_MEMORY_MB * 1024 * 1024}\s", limits)
                assert os.getpgid(pid) == pid  # its own process group, ended whole


async def test_a_closed_websocket_ends_its_explorer_within_5_seconds(shared):
    before = set(shared.explorers())
    async with aiohttp.ClientSession() as http:
        websocket = await http.ws_connect(websocket_url(shared), origin=page_origin(shared))
        await first_frame(websocket)
        ours = set(shared.explorers()) - before
        await websocket.close()
    assert len(ours) == 1 and wait_gone(list(ours)) == []


async def test_a_message_over_64_kib_ends_the_session_and_a_long_paste_does_not(shared):
    before = set(shared.explorers())
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(websocket_url(shared), origin=page_origin(shared)) as websocket:
            await first_frame(websocket)
            ours = set(shared.explorers()) - before
            await websocket.send_json(["stdin", "x" * 60_000])  # a long paste, in one message
            await websocket.send_json(["ping", "after the paste"])
            async with asyncio.timeout(20):
                while (message := await websocket.receive()).type == aiohttp.WSMsgType.BINARY:
                    pass
            assert message.type == aiohttp.WSMsgType.TEXT and message.json() == ["pong", "after the paste"]
            await websocket.send_json(["stdin", "x" * (64 * 1024)])
            async with asyncio.timeout(20):
                while (message := await websocket.receive()).type in (aiohttp.WSMsgType.BINARY,
                                                                      aiohttp.WSMsgType.TEXT):
                    pass
            assert message.type == aiohttp.WSMsgType.CLOSE, message
            assert message.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert len(ours) == 1 and wait_gone(list(ours)) == []


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024  # type: ignore[index]


async def test_a_browser_that_floods_the_server_and_never_reads_is_held_back_not_buffered(shared):
    """aiohttp stops reading a websocket whose messages wait unread (MAX_MESSAGE in web_server.py):
    here the server's answers (pongs) are never read, so it stops reading, and the client's
    sends stall long before the 180 MB it tries are sent."""
    before = rss_mb(shared.process.pid)
    sent = 0
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(websocket_url(shared), origin=page_origin(shared)) as websocket:
            with contextlib.suppress(TimeoutError):
                for _ in range(3000):
                    async with asyncio.timeout(3):
                        await websocket.send_json(["ping", "y" * 60_000])
                    sent += 1
            grown = rss_mb(shared.process.pid) - before
    assert sent < 1000, sent  # held back: at most the sockets' buffers and aiohttp's queue
    assert grown < 32, grown


async def test_a_killed_server_leaves_no_explorer_behind(serve):
    server = serve()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(websocket_url(server), origin=page_origin(server)) as websocket:
            await first_frame(websocket)
            explorers = server.explorers()
            server.process.kill()  # no chance to end its sessions: the kernel does (setpriv --pdeathsig)
            server.process.wait(timeout=10)
            assert len(explorers) == 1 and wait_gone(explorers) == []


async def test_at_the_cap_the_page_says_the_server_is_full_and_a_new_session_is_refused(serve):
    server = serve("--max-sessions", "1")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(websocket_url(server), origin=page_origin(server)) as first:
            await first_frame(first)
            async with http.get(server.url) as response:
                assert response.status == 503
                text = await response.text()
            assert text == "crisis-tui: the server is full (1 session at once); try again later.\n"
            async with http.ws_connect(websocket_url(server), origin=page_origin(server)) as second:
                said = await second.receive()
                assert said.type == aiohttp.WSMsgType.BINARY and b"the server is full" in said.data
                closed = await second.receive()
                assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == aiohttp.WSCloseCode.TRY_AGAIN_LATER
            assert len(server.explorers()) == 1
            refused = [line for line in server.stderr.splitlines() if "the server is full" in line]
            assert [line.split(" to ")[0] for line in refused] == ["crisis-tui: refused a page",
                                                                    "crisis-tui: refused a session"], refused
        # the first one gone, the place is free again
        for _ in range(100):
            async with http.get(server.url) as response:
                if response.status == 200:
                    break
            await asyncio.sleep(0.05)
        assert response.status == 200


async def test_sigterm_ends_every_session_and_exits_0_with_plain_short_output(serve):
    server = serve("--max-sessions", "3")
    async with aiohttp.ClientSession() as http:
        one = await http.ws_connect(websocket_url(server), origin=page_origin(server))
        two = await http.ws_connect(websocket_url(server), origin=page_origin(server))
        await first_frame(one)
        await first_frame(two)
        explorers = server.explorers()
        folder = state_option(explorers[0]).parent
        assert len(explorers) == 2 and folder.is_dir()
        assert await asyncio.to_thread(server.stop, signal.SIGTERM) == 0
        assert wait_gone(explorers, 0) == []  # every session ended before the server exited
        assert not folder.exists()
        for websocket in (one, two):  # told, after the frames still on their way
            for _ in range(1000):
                message = await websocket.receive(timeout=5)
                if message.type != aiohttp.WSMsgType.BINARY:
                    break
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await one.close()
        await two.close()
    lines = server.stderr.splitlines()
    assert lines[:2] == [f"crisis-tui: serving the explorer at http://127.0.0.1:{server.port}/ "
                         "(at most 3 sessions at once; Ctrl+C stops)",
                         "crisis-tui: the server has no login of its own: to let others in, put it behind a reverse "
                         "proxy that authenticates them (--public-url: the address they use)"]
    assert all(line.startswith("crisis-tui: ") for line in lines), lines  # no logo, no access log
    assert "crisis-tui: stopping: ending 2 sessions" in lines
    assert len(lines) == 7  # and a line as each of the two sessions opened and ended


def test_ctrl_c_stops_it_with_exit_code_0(serve):
    server = serve()
    assert server.stop(signal.SIGINT) == 0


def test_a_port_in_use_is_one_line_and_exit_1(bundled_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([CLI, "--db", str(bundled_db), "serve", "web", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == f"crisis-tui: error: cannot listen on 127.0.0.1:{port}: the port is in use\n"


def test_without_setsid_and_setpriv_it_says_so_and_does_not_start(bundled_db, tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: neither tool found
    done = subprocess.run([CLI, "--db", str(bundled_db), "serve", "web", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("crisis-tui: error: setsid and setpriv not found on PATH")
    assert done.stderr.count("\n") == 1


def test_the_page_names_no_address_of_its_own_behind_a_proxy_either(serve):
    server = serve("--public-url", "https://crisis.example.org/tui/")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(b"GET / HTTP/1.0\r\nHost: crisis.example.org\r\n\r\n")
        page = b""
        while chunk := client.recv(65536):
            page += chunk
    assert b'href="static/css/xterm.css"' in page and b'<script src="static/js/textual.js">' in page
    assert b"crisis.example.org" not in page and b"127.0.0.1" not in page  # /tui/static/..., wss://.../tui/ws
    assert "serving the explorer at https://crisis.example.org/tui/ " in server.stderr


# --- who is let in: the server's own pages only (web_origin.py) ---------------------------------

async def handshake(http: aiohttp.ClientSession, server: WebServer, origin: str | None,
                    host: str | None = None) -> int | bytes:
    """Open a websocket with this Origin and Host: the HTTP status if refused, else the first frame."""
    headers = {"Host": host} if host else {}
    try:
        websocket = await http.ws_connect(websocket_url(server), origin=origin, headers=headers)
    except aiohttp.WSServerHandshakeError as error:
        return error.status
    async with websocket:
        return await first_frame(websocket)


async def page_status(http: aiohttp.ClientSession, server: WebServer, path: str = "/",
                      **headers: str) -> tuple[int, str]:
    async with http.get(f"http://127.0.0.1:{server.port}{path}", headers=headers) as response:
        return response.status, await response.text()


async def test_a_websocket_from_another_sites_page_or_from_no_page_is_refused_and_said_once(serve):
    server = serve()
    port = server.port
    async with aiohttp.ClientSession() as http:
        for origin in ("http://evil.example", f"http://evil.example:{port}", f"https://127.0.0.1:{port}",
                       f"http://127.0.0.1:{port + 1}", "null", f"http://127.0.0.1:{port}/path", None):
            assert await handshake(http, server, origin) == 403, origin
        assert server.explorers() == []
        frame = await handshake(http, server, page_origin(server))
        assert isinstance(frame, bytes) and all(title in frame for title in PANES)
    refusals = [line for line in server.stderr.splitlines() if "refused" in line]
    assert refusals == [f"crisis-tui: refused a request from 127.0.0.1: Origin http://evil.example: not this server's "
                        f"page (browsers are let in from http://127.0.0.1:{port}, http://[::1]:{port}, "
                        f"http://localhost:{port}; through a tunnel, the same names at any port)"]
    # (the rest counted, said at most once a minute)


async def test_a_request_naming_another_host_is_refused_page_websocket_and_download(shared):
    """DNS rebinding: evil.example made to resolve to 127.0.0.1 sends Host: evil.example:PORT."""
    port = shared.port
    before = shared.explorers()
    async with aiohttp.ClientSession() as http:
        status, text = await page_status(http, shared, Host=f"evil.example:{port}")
        assert status == 403
        assert text == (f"crisis-tui: refused: Host evil.example:{port}: not this server's address (browsers are let "
                        f"in from http://127.0.0.1:{port}, http://[::1]:{port}, http://localhost:{port}; through a "
                        f"tunnel, the same names at any port)\n")
        assert (await page_status(http, shared, "/download/x", Host=f"evil.example:{port}"))[0] == 403
        assert (await page_status(http, shared, "/download/x"))[0] == 404  # the right Host: on to textual-serve
        assert await handshake(http, shared, f"http://evil.example:{port}", f"evil.example:{port}") == 403
        assert await handshake(http, shared, page_origin(shared), f"evil.example:{port}") == 403
    assert shared.explorers() == before


async def test_on_the_loopback_address_each_of_its_names_is_let_in(shared):
    port = shared.port
    async with aiohttp.ClientSession() as http:
        for name in ("localhost", "[::1]", "LocalHost"):
            assert (await page_status(http, shared, Host=f"{name}:{port}"))[0] == 200, name
            frame = await handshake(http, shared, f"http://{name}:{port}", f"{name}:{port}")
            assert isinstance(frame, bytes), (name, frame)


async def test_through_a_tunnel_to_another_local_port_the_page_and_its_own_websocket_are_let_in(shared):
    """`ssh -L 9000:127.0.0.1:PORT server`, then http://localhost:9000/ in the laptop's browser."""
    port = shared.port
    tunnel = port + 1
    async with aiohttp.ClientSession() as http:
        for name in ("localhost", "127.0.0.1", "[::1]"):
            assert (await page_status(http, shared, Host=f"{name}:{tunnel}"))[0] == 200, name
        frame = await handshake(http, shared, f"http://localhost:{tunnel}", f"localhost:{tunnel}")
        assert isinstance(frame, bytes) and all(title in frame for title in PANES)
        # another local page (its Origin not the Host it asks) and a rebinding site's Host stay out
        assert await handshake(http, shared, f"http://localhost:{tunnel}", f"localhost:{port}") == 403
        assert await handshake(http, shared, f"http://localhost:{tunnel + 1}", f"localhost:{tunnel}") == 403
        assert await handshake(http, shared, f"https://localhost:{tunnel}", f"localhost:{tunnel}") == 403
        assert await handshake(http, shared, f"http://evil.example:{tunnel}", f"evil.example:{tunnel}") == 403


async def test_behind_a_proxy_only_the_public_urls_page_is_let_in(serve):
    server = serve("--public-url", "https://crisis.example.org/tui/")
    public = "https://crisis.example.org"
    async with aiohttp.ClientSession() as http:
        # the proxy passes the browser's Host ($host, or $http_host) or its own upstream address
        for host in ("crisis.example.org", "crisis.example.org:443", f"127.0.0.1:{server.port}"):
            assert (await page_status(http, server, Host=host))[0] == 200, host
        assert isinstance(await handshake(http, server, public, "crisis.example.org"), bytes)
        assert isinstance(await handshake(http, server, public + ":443", f"127.0.0.1:{server.port}"), bytes)
        for origin, host in ((page_origin(server), f"127.0.0.1:{server.port}"), ("http://crisis.example.org", None),
                             ("https://crisis.example.org:8443", None), ("https://evil.example", None),
                             (public, "crisis.example.org:8443"), (public, "evil.example")):
            assert await handshake(http, server, origin, host) == 403, (origin, host)


def test_a_public_url_that_is_not_http_is_one_line_and_exit_1(bundled_db):
    done = subprocess.run([CLI, "--db", str(bundled_db), "serve", "web", "--port", str(free_port()),
                           "--public-url", "ftp://crisis.example.org/"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("crisis-tui: error: --public-url ftp://crisis.example.org/: not an http:// or https:// "
                           "address\n")


def test_the_origins_and_hosts_each_listen_address_lets_in():
    loopback = Allowed.for_server("127.0.0.1", 8000, None)
    assert loopback == Allowed.for_server("localhost", 8000, None) == Allowed.for_server("::1", 8000, None)
    assert loopback.origins == {("http", name, 8000) for name in ("127.0.0.1", "localhost", "::1")}
    assert loopback.host_ok("127.0.0.1") and loopback.host_ok("[::1]:8000") and loopback.host_ok("[::1]:9000")
    assert not any(loopback.host_ok(h) for h in (None, "", "evil.example", "127.0.0.1:8000/x", "a@127.0.0.1:8000"))
    lan = Allowed.for_server("192.0.2.7", 80, None)
    assert lan.origins == {("http", "192.0.2.7", 80)} and lan.origin_ok("http://192.0.2.7")
    assert not lan.host_ok("localhost:80")
    everywhere = Allowed.for_server("0.0.0.0", 8000, None)
    assert everywhere.origins == {*loopback.origins, ("http", "0.0.0.0", 8000)}  # other names need --public-url
    public = Allowed.for_server("127.0.0.1", 8000, "HTTPS://Crisis.Example.org:443/tui/")
    assert public.origins == {("https", "crisis.example.org", 443)} and public.described() == "https://crisis.example.org"
    assert public.host_ok("crisis.example.org") and public.host_ok("127.0.0.1:8000")
    assert not public.origin_ok("http://127.0.0.1:8000") and not public.origin_ok("https://crisis.example.org.evil")
    assert not public.host_ok("localhost:9000")  # behind a proxy, no tunnels: only its own address
    for bad in ("ftp://x", "crisis.example.org", "https://", "https://x:99999"):
        with pytest.raises(ValueError):
            Allowed.for_server("127.0.0.1", 8000, bad)


def test_refusals_are_said_at_most_once_a_minute_with_a_count():
    refusals = RefusalLog(every=60)
    assert refusals.line("no Origin: not this server's page", "192.0.2.1\x1b[2J") == (
        "refused a request from 192.0.2.1\\x1b[2J: no Origin: not this server's page")
    assert refusals.line("x", "192.0.2.1") is None and refusals.line("x", "192.0.2.1") is None
    assert refusals.last is not None
    refusals.last -= 61
    assert refusals.line("y", "192.0.2.2") == ("refused a request from 192.0.2.2: y "
                                               "(2 more refused since the last such line)")
    assert refusals.line("z", "192.0.2.2") is None


# --- parts ---------------------------------------------------------------------------------------

def test_only_the_loopback_address_goes_without_a_warning():
    for host in ("127.0.0.1", "::1", "localhost"):
        assert is_loopback(host) and not proxy_note(host).startswith("warning")
    for host in ("0.0.0.0", "::", "192.0.2.1"):
        note = proxy_note(host)
        assert not is_loopback(host) and note.startswith(f"warning: listening on {host} with no login of its own")
        assert "\n" not in note and "authenticates" in note


def test_sizes_from_the_browser_are_clamped_whole_cells():
    assert clamped_size("120", "40") == (120, 40)
    assert clamped_size(10**9, -5) == (500, 1)
    assert clamped_size("wide", None) == (80, 24)
    assert clamped_size(float("inf"), [3]) == (80, 24)


def test_the_session_command_quotes_every_part(tmp_path):
    db = tmp_path / "it's a $HOME `x` db.sqlite"  # missing: the explorer names it and stops
    command = session_command(db, tmp_path / "state.db", 256)
    env = dict(os.environ, TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver", TEXTUAL_FPS="60",
               TEXTUAL_COLOR_SYSTEM="truecolor", TERM_PROGRAM="textual", TERM_PROGRAM_VERSION="1",
               COLUMNS="80", ROWS="24")
    done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert str(db) in done.stderr and done.stderr.startswith("crisis-tui: error:")


def test_the_session_command_passes_on_every_variable_textual_serve_sets(monkeypatch):
    """web_command.py names what textual-serve sets for its web driver: pinned to what it does set.
    `AppService._build_environment` is textual-serve 1.1.3's own (private: called in this test only);
    a textual-serve that renames or adds a variable fails here rather than in a browser."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    service = AppService("true", write_bytes=None, write_str=None, close=None,  # type: ignore[arg-type]
                         download_manager=DownloadManager())
    assert set(service._build_environment(width=100, height=30)) == set(TEXTUAL_SERVE_VARS)


async def test_an_explorer_that_will_not_quit_is_killed_with_its_group():
    """textual-serve's stop() only asks: end() kills what is left (this pins the process handle
    textual-serve 1.1.3 keeps)."""

    async def ignore(_: object = None) -> None:
        return None

    command = f"exec setsid {sys.executable} -c 'import os, time; os.fork(); time.sleep(60)'"
    service = ExplorerService(command, write_bytes=ignore, write_str=ignore, close=ignore,
                              download_manager=DownloadManager())
    await service.start(80, 24)
    process = service.process
    assert process is not None
    group = [process.pid]
    try:
        for _ in range(100):  # until the fork has happened
            if children(process.pid):
                break
            await asyncio.sleep(0.05)
        group += children(process.pid)
        assert len(group) == 2 and all(alive(pid) for pid in group)
        started = time.monotonic()
        await service.end(grace=0.5)
        assert process.returncode == -signal.SIGKILL
        assert wait_gone(group, 5) == []
        assert time.monotonic() - started < 5
    finally:  # the group's own pids, while they are still its (never a reaped leader's pid)
        for pid in group:
            if alive(pid) and (pid != process.pid or process.returncode is None):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        await service.end(grace=0.5)


async def test_what_an_explorer_writes_on_stderr_becomes_inert_log_lines(capsys):
    """textual-serve 1.1.3 writes an explorer's stderr raw on sys.stdout; the server makes it lines of its log."""

    async def ignore(_: object = None) -> None:
        return None

    # (textual-serve reads stderr alongside stdout: the explorer lingers so that it is read before it ends)
    command = r"printf 'Traceback\033[2J\033]0;title\007\nboom\n' >&2; sleep 0.5"
    with contextlib.redirect_stdout(ExplorerOutput(sys.stderr)):
        service = ExplorerService(command, write_bytes=ignore, write_str=ignore, close=ignore,
                                  download_manager=DownloadManager())
        await service.start(80, 24)
        await service.end(grace=5)
    out, err = capsys.readouterr()
    assert out == "" and "\x1b" not in err and "\x07" not in err
    lines = err.splitlines()
    assert lines and set(lines) == {"crisis-tui: an explorer said: Traceback\\x1b[2J\\x1b]0;title\\x07",
                                    "crisis-tui: an explorer said: boom"}


async def test_an_explorer_that_cannot_start_is_said_in_the_servers_log(serve, tmp_path):
    keymap = tmp_path / "keymap.toml"
    keymap.write_text("")
    server = serve(env=dict(os.environ, CRISIS_TUI_KEYMAP=str(keymap)))  # checked as the server starts
    keymap.unlink()  # then gone: each session's explorer stops on it
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(websocket_url(server), origin=page_origin(server)) as websocket:
            async with asyncio.timeout(20):
                while (await websocket.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    pass
    said = f"crisis-tui: an explorer said: crisis-tui: error: {keymap}: no such keymap file"
    for _ in range(100):
        if said in server.stderr.splitlines():
            break
        await asyncio.sleep(0.05)
    assert said in server.stderr.splitlines(), server.stderr
    assert all(line.startswith("crisis-tui: ") for line in server.stderr.splitlines())


async def test_a_web_session_has_no_screenshot_in_its_palette(bundled_db):
    from crisis_tui.db.queries import KnowledgeBase
    from crisis_tui.tui.app import CrisisApp

    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    try:
        app = CrisisApp(kb, served="web")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.2)
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert "Theme" in titles and "Quit" in titles
            assert "Screenshot" not in titles
    finally:
        kb.close()
