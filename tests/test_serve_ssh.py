"""`crisis-tui serve ssh` as users meet it: the real server in a subprocess, the system OpenSSH
client on a pseudo-terminal read with pyte, loopback only, ports chosen at run time.

One server is shared by the module where a test leaves it as it found it; tests of starting,
stopping and caps run servers of their own.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

import pytest

from crisis_tui.tui.serve.authorized_keys import parse_authorized_keys
from crisis_tui.tui.serve.explorer import state_file
from crisis_tui.tui.serve.pty_session import clamped_size, exit_status
from crisis_tui.tui.serve.server_log import field
from crisis_tui.tui.serve.warm import SESSION_NAME

from .conftest import CLI
from .ptyterm import PtyTerminal

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
                                reason="the OpenSSH client (ssh, ssh-keygen) is not installed: scripts/system-deps")

FIRST_FRAME = "1965 war between India and Pakistan"
EXPLORER_ONLY = "crisis-tui: this server only serves the explorer: connect with `ssh -t ...` and no command"
ESC = "\x1b"


# --- helpers: keys, the server, the client -------------------------------------------------

def make_key(folder: Path, name: str) -> Path:
    path = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True,
                   timeout=30)
    return path


def key_fingerprint(path: Path) -> str:
    """`ssh-keygen -lf`'s SHA256 fingerprint of a key file."""
    out = subprocess.run(["ssh-keygen", "-lf", str(path)], capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.split()[1]


def comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Server:
    """`crisis-tui serve ssh` in a subprocess; its stderr is read line by line as it comes."""

    def __init__(self, db: Path, folder: Path, authorized: Path, *extra: str) -> None:
        self.folder = folder
        self.authorized = authorized
        self.host_key = folder / "hostkey" / "ssh_host_ed25519_key"
        self.state_dir = folder / "state"
        self.argv = [CLI, "--db", str(db), "serve", "ssh", "--port", "0", "--authorized-keys", str(authorized),
                     "--host-key", str(self.host_key), "--state-dir", str(self.state_dir), *extra]
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self, expect_port: bool = True) -> Server:
        # Canaries: had the server's environment reached a session, its explorer would draw no
        # colour and 33 columns wide (the first session test checks colours and the full width)
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "33", "LINES": "11"}
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, env=env)
        self.reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self.reader.start()
        if expect_port:
            line = self.wait_line(r"over SSH on 127\.0\.0\.1:(\d+)", timeout=30)
            self.port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 10, after: int = 0) -> str:
        """The first stderr line from index `after` on that matches `pattern`, waited for."""
        found: list[str] = []

        def seen() -> bool:
            found[:] = [line for line in self.lines[after:] if re.search(pattern, line)]
            return bool(found)

        if not wait_until(seen, timeout):
            code = self.process.poll() if self.process else None
            raise AssertionError(f"no line matching {pattern!r} (exit: {code}):\n" + "\n".join(self.lines))
        return found[0]

    def explorers(self) -> set[int]:
        """The sessions' explorers: forked by the server's forkserver, named SESSION_NAME."""
        assert self.process is not None
        return {pid for pid in descendants(self.process.pid) if comm(pid) == SESSION_NAME}

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; its exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                for pid in self.explorers():
                    with_suppressed(os.kill, pid, signal.SIGKILL)
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def ssh(self, key: Path, *args: str) -> list[str]:
        return ["ssh", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-F", "/dev/null",
                "-i", str(key), "-p", str(self.port), *args]

    def run(self, key: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """The ssh client run to its end, without a terminal: `args` end with the host (and any command)."""
        return subprocess.run(self.ssh(key, *args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30)


def with_suppressed(call, *args) -> None:
    try:
        call(*args)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: make_key(folder, name) for name in ("alice", "bob", "mallory", "carol")}


@pytest.fixture(scope="module")
def server(bundled_db, keys, tmp_path_factory):
    """One server for the module: alice and bob are let in, mallory and carol are not."""
    folder = tmp_path_factory.mktemp("server")
    authorized = folder / "authorized_keys"
    authorized.write_text("# the team\n" + "".join(keys[n].with_suffix(".pub").read_text() for n in ("alice", "bob")))
    running = Server(bundled_db, folder, authorized, "--max-sessions", "25", "--max-sessions-per-key", "10")
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def terminals():
    """Start the ssh client on a pty (`start(argv, cols, rows)`); every one is killed at the end."""
    opened: list[PtyTerminal] = []

    def start(argv: list[str], cols: int = 80, rows: int = 24, **extra_env: str) -> PtyTerminal:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
        env.update(TERM="xterm-256color", **extra_env)
        t = PtyTerminal(argv, cols=cols, rows=rows, env=env)
        opened.append(t)
        return t

    yield start
    for t in opened:
        t.close()


def quiet(server: Server, timeout: float = 10) -> None:
    """Wait until no explorer of an earlier test is left (their ends are bounded: ~1 s)."""
    assert wait_until(lambda: not server.explorers(), timeout), server.explorers()


# --- a session, as a user lives it ------------------------------------------------------------

def test_a_session_shows_searches_resizes_and_quits_with_the_terminal_given_back(server, keys, terminals):
    quiet(server)
    mark = len(server.lines)
    t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
    t.wait_for(FIRST_FRAME)
    screen = t.wait_for("^p palette")  # the whole frame
    assert "1 Events" in screen and "Quit" in screen.splitlines()[-1]
    assert any(cell.fg != "default" or cell.bg != "default"
               for row in t.screen.buffer.values() for cell in row.values())  # colours, unless NO_COLOR is sent
    t.send("/")
    t.wait_for("Search events, actors")
    t.send("pulwama")
    t.wait_for("Pulwama attack")
    t.send(ESC)
    t.wait_gone(" esc Close ")

    # the client's window grows: its ssh sends the new size, the explorer redraws at 100x30
    fcntl.ioctl(t.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    os.kill(t.pid, signal.SIGWINCH)
    t.screen.resize(30, 100)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and t.screen.display[28][99] != "╯":  # the panes' bottom right corner
        t.read(0.05)
    assert t.screen.display[28][99] == "╯" and t.screen.display[29].rstrip().endswith("▏^p palette"), t.text()

    t.send("q")
    assert t.wait_exit() == 0
    tail = bytes(t.raw[-600:])
    assert b"\x1b[?1049l" in tail and b"\x1b[?25h" in tail  # alternate screen left, cursor shown
    attrs = termios.tcgetattr(t.fd)  # ssh put the client's terminal back in its cooked mode
    assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO

    end = server.wait_line(r"event=session-end", after=mark)
    fingerprint = key_fingerprint(keys["alice"].with_suffix(".pub"))
    assert f"key={fingerprint} comment=alice " in end and "client=127.0.0.1:" in end
    assert "status=0 reason=explorer-exit" in end
    assert re.search(r" start=\S+Z end=\S+Z duration=[\d.]+s bytes_in=\d+ bytes_out=\d+ ", end)
    assert int(re.search(r"bytes_in=(\d+)", end).group(1)) >= len("/pulwama") + 2
    assert int(re.search(r"bytes_out=(\d+)", end).group(1)) > 10_000
    assert server.wait_line(r"event=session-start", after=mark).endswith("size=80x24")
    quiet(server, 5)


def test_twenty_sessions_at_once_all_reach_their_first_frame(server, keys, terminals):
    quiet(server)
    clients = [terminals(server.ssh(keys["alice" if n % 2 else "bob"], "-b", f"127.0.0.{10 + n % 2}", "-tt",
                                    "127.0.0.1"))
               for n in range(20)]  # (from two addresses: at most 10 may be logging in from one)
    waiting = set(range(20))
    deadline = time.monotonic() + 90
    while waiting and time.monotonic() < deadline:
        for n in list(waiting):
            clients[n].read(0.01)
            if FIRST_FRAME in clients[n].text():
                waiting.discard(n)
    assert not waiting, f"{len(waiting)} of 20 sessions never drew their first frame"
    assert len([pid for pid in server.explorers()]) >= 20
    for t in clients:
        t.send("q")
    assert all(t.wait_exit(20) == 0 for t in clients)
    quiet(server)


def test_a_killed_client_leaves_no_process_of_its_session(server, keys, terminals):
    quiet(server)
    mark = len(server.lines)
    t = terminals(server.ssh(keys["bob"], "-tt", "127.0.0.1"))
    t.wait_for(FIRST_FRAME)
    session = server.explorers()
    (explorer,) = session
    # how it runs: in a session of its own on its pty (its controlling terminal), memory capped
    fields = Path(f"/proc/{explorer}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(fields[3]) == explorer and int(fields[2]) == explorer and int(fields[4]) != 0  # session, group, tty
    limits = Path(f"/proc/{explorer}/limits").read_text()
    assert re.search(r"Max address space\s+536870912\s+536870912 ", limits)
    ignored = re.search(r"SigIgn:\s+([0-9a-f]+)", Path(f"/proc/{explorer}/status").read_text()).group(1)
    assert not int(ignored, 16) & (1 << (signal.SIGHUP - 1))  # a hang-up ends it
    os.kill(t.pid, signal.SIGKILL)
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in session), 5), \
        f"left after 5 s: {[pid for pid in session if Path(f'/proc/{pid}').exists()]}"
    assert "reason=client-gone" in server.wait_line("event=session-end", after=mark)


async def test_a_client_that_sends_eof_or_closes_its_channel_ends_its_explorer(server, keys):
    """Over one connection (an asyncssh client): EOF on one session, a closed channel on another."""
    import asyncio

    import asyncssh
    import pyte

    quiet(server)
    mark = len(server.lines)

    class Screen(asyncssh.SSHClientSession):
        def __init__(self) -> None:
            self.screen = pyte.Screen(80, 24)
            self.stream = pyte.ByteStream(self.screen)

        def data_received(self, data, datatype) -> None:
            self.stream.feed(data)

    async def first_frame(conn) -> tuple[asyncssh.SSHClientChannel, Screen]:
        for _ in range(100):  # one session at a time: the server may not have seen the last one closed yet
            try:
                chan, session = await conn.create_session(Screen, term_type="xterm-256color", term_size=(80, 24),
                                                          encoding=None)
                break
            except asyncssh.ChannelOpenError:
                await asyncio.sleep(0.02)
        else:
            raise AssertionError("the server kept refusing a new session")
        for _ in range(300):
            if FIRST_FRAME in "\n".join(session.screen.display):
                return chan, session
            await asyncio.sleep(0.05)
        raise AssertionError("no first frame")

    async def ended(reason: str) -> None:
        for _ in range(100):
            if not server.explorers() and any(reason in line for line in server.lines[mark:]):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"still running, or no {reason} in the log: {server.explorers()}")

    async with asyncssh.connect("127.0.0.1", server.port, username="someone", known_hosts=None,
                                client_keys=[str(keys["alice"])], agent_path=None, config=None) as conn:
        chan, _ = await first_frame(conn)
        chan.write_eof()
        await ended("reason=client-eof")
        await chan.wait_closed()
        chan, _ = await first_frame(conn)
        chan.close()
        await ended("reason=client-gone")
        with pytest.raises(asyncssh.ChannelOpenError, match="port forwarding is not allowed"):  # direct-tcpip
            await conn.open_connection("127.0.0.1", server.port)
    assert "user=someone" in server.wait_line("event=session-end", after=mark)


# --- what is refused ------------------------------------------------------------------------------

REFUSED = {
    "a command": (["127.0.0.1", "ls -la /"], 1, EXPLORER_ONLY, "reason=exec command=\"ls -la /\""),
    "a shell without a terminal": (["-T", "127.0.0.1"], 1, EXPLORER_ONLY, "reason=no-pty"),
    "a command on a terminal": (["-tt", "127.0.0.1", "sh"], 1, EXPLORER_ONLY, "reason=exec command=sh"),
    "sftp": (["-s", "127.0.0.1", "sftp"], 255, "subsystem request failed", "reason=subsystem subsystem=sftp"),
    "a remote forward": (["-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:127.0.0.1:9", "-N", "127.0.0.1"],
                         255, "remote port forwarding failed", "reason=remote-forwarding"),
    "a local forward": (["-W", "127.0.0.1:9", "127.0.0.1"], 255, "stdio forwarding failed",
                        "reason=forwarding to=127.0.0.1:9"),
}


@pytest.mark.parametrize("what", list(REFUSED))
def test_everything_but_the_explorer_is_refused(server, keys, what):
    args, code, said, logged = REFUSED[what]
    quiet(server)
    mark = len(server.lines)
    result = server.run(keys["alice"], *args)
    assert result.returncode == code, result.stderr
    assert said in result.stderr
    assert logged in server.wait_line("event=refused", after=mark)
    assert not any("event=session-start" in line for line in server.lines[mark:])
    assert not server.explorers()


def test_x11_forwarding_is_refused_and_the_explorer_served_without_it(server, keys, terminals):
    quiet(server)
    t = terminals(server.ssh(keys["alice"], "-X", "-tt", "127.0.0.1"), DISPLAY=":0")
    t.wait_for(FIRST_FRAME)
    t.send("q")
    assert t.wait_exit() == 0
    assert b"X11 forwarding request failed" in bytes(t.raw)


@pytest.mark.parametrize("how", ["an unknown key", "a password"])
def test_logging_in_without_an_allowed_key_is_refused(server, keys, how):
    mark = len(server.lines)
    if how == "an unknown key":
        argv = server.ssh(keys["mallory"], "-tt", "127.0.0.1")
    else:
        argv = server.ssh(keys["alice"], "-o", "PreferredAuthentications=password,keyboard-interactive",
                          "-o", "PubkeyAuthentication=no", "-tt", "127.0.0.1")
    result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert result.returncode == 255
    assert "Permission denied (publickey)." in result.stderr  # public keys are all the server offers
    if how == "an unknown key":
        line = server.wait_line("reason=key-not-allowed", after=mark)
        assert f"key={key_fingerprint(keys['mallory'].with_suffix('.pub'))} " in line
    assert "reason=not-authenticated" in server.wait_line("event=refused reason=not-authenticated", after=mark)
    assert not any("event=session-start" in line for line in server.lines[mark:])


def test_the_keys_file_is_read_again_when_it_changes_and_an_empty_or_missing_one_lets_nobody_in(server, keys):
    before = server.authorized.read_text()
    mark = len(server.lines)
    try:
        assert server.run(keys["carol"], "-T", "127.0.0.1").returncode == 255
        server.authorized.write_text(before + keys["carol"].with_suffix(".pub").read_text())
        carol = server.run(keys["carol"], "-T", "127.0.0.1")
        assert carol.returncode == 1 and EXPLORER_ONLY in carol.stderr  # let in (then told: no terminal)
        assert "read again: 3 keys" in server.wait_line("read again", after=mark)

        server.authorized.write_text("# nobody\n")  # every key removed: everyone is locked out
        assert server.run(keys["alice"], "-T", "127.0.0.1").returncode == 255
        assert server.wait_line("no public keys in it", after=mark).endswith(
            f"{server.authorized}: read again: no public keys in it; refusing every key")

        server.authorized.unlink()  # gone: nobody either, said once however many try
        mark = len(server.lines)
        for _ in range(2):
            assert server.run(keys["alice"], "-T", "127.0.0.1").returncode == 255
        assert wait_until(lambda: sum("reason=not-authenticated" in line for line in server.lines[mark:]) >= 2, 10)
        missing = [line for line in server.lines[mark:] if "cannot read the authorized keys" in line]
        assert missing == [f"crisis-tui: {server.authorized}: cannot read the authorized keys: No such file or "
                           "directory; refusing every key until it can be read"]
    finally:
        server.authorized.write_text(before)
    alice = server.run(keys["alice"], "-T", "127.0.0.1")
    assert alice.returncode == 1 and EXPLORER_ONLY in alice.stderr
    assert "read again: 2 keys" in server.wait_line("read again: 2 keys", after=mark)
    assert server.run(keys["carol"], "-T", "127.0.0.1").returncode == 255


def test_a_key_refused_then_another_on_one_connection_is_credited_to_the_one_that_signed(server, keys, tmp_path):
    mark = len(server.lines)
    result = server.run(keys["mallory"], "-i", str(keys["bob"]), "-T", "127.0.0.1")
    assert result.returncode == 1 and EXPLORER_ONLY in result.stderr  # mallory refused, bob let in
    assert f"key={key_fingerprint(keys['mallory'].with_suffix('.pub'))} " in server.wait_line(
        "reason=key-not-allowed", after=mark)
    assert f"key={key_fingerprint(keys['bob'].with_suffix('.pub'))} comment=bob " in server.wait_line(
        "reason=no-pty", after=mark)

    # alice's key offered without its private half (the server says it would take it), then bob's
    public_only = tmp_path / "alice-public-only.pub"
    shutil.copy(keys["alice"].with_suffix(".pub"), public_only)
    mark = len(server.lines)
    result = server.run(public_only, "-i", str(keys["bob"]), "-T", "127.0.0.1")
    assert result.returncode == 1 and EXPLORER_ONLY in result.stderr
    assert f"key={key_fingerprint(keys['bob'].with_suffix('.pub'))} comment=bob " in server.wait_line(
        "reason=no-pty", after=mark)


# --- what one client can hold ------------------------------------------------------------------------

def connect(server: Server, keys: list, source: str = "127.0.0.1"):
    """An asyncssh client connection to `server`, from `source`, offering `keys` in turn."""
    import asyncssh

    return asyncssh.connect("127.0.0.1", server.port, username="someone", known_hosts=None, client_keys=keys,
                            agent_path=None, config=None, local_addr=(source, 0))


async def test_one_client_is_bounded_in_keys_tried_sessions_environment_tunnels_and_connections(server, keys):
    import asyncio

    import asyncssh

    quiet(server)
    mark = len(server.lines)
    strangers = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(8)]
    with pytest.raises((asyncssh.DisconnectError, OSError)):  # (the reason may be cut off by a reset)
        async with connect(server, strangers, "127.0.0.3"):
            pass
    server.wait_line("reason=too-many-auth-tries", after=mark)
    assert sum("reason=key-not-allowed" in line for line in server.lines[mark:]) == 6  # then no more tried

    async with connect(server, [str(keys["alice"])]) as conn:
        chan, _ = await conn.create_session(asyncssh.SSHClientSession, term_type="xterm", term_size=(80, 24))
        with pytest.raises(asyncssh.ChannelOpenError, match="one session at a time"):
            await conn.create_session(asyncssh.SSHClientSession, term_type="xterm")
        server.wait_line("reason=second-session", after=mark)
        with pytest.raises(asyncssh.ChannelOpenError, match="tunnelling is not allowed"):
            await conn.create_tun(asyncssh.SSHTunTapSession, 0)
        assert "layer=3 unit=0 " in server.wait_line("reason=tunnel", after=mark)
        chan.close()

    quiet(server)
    mark = len(server.lines)
    big = {f"V{n}": "x" * 1000 for n in range(100)}  # 100 kB of environment
    async with connect(server, [str(keys["alice"])]) as conn:
        with pytest.raises((asyncssh.ChannelOpenError, asyncssh.ConnectionLost, asyncssh.DisconnectError)):
            await conn.create_session(asyncssh.SSHClientSession, term_type="xterm", env=big)
    assert "variables=100 " in server.wait_line("reason=env-too-large", after=mark)
    assert not any("event=session-start" in line for line in server.lines[mark:])

    opened = []  # one key's connections: at most 10 here (--max-sessions-per-key)
    try:
        for _ in range(10):
            opened.append(await connect(server, [str(keys["alice"])]))
        lost: list[Exception | None] = []

        class Client(asyncssh.SSHClient):
            def connection_lost(self, exc: Exception | None) -> None:
                lost.append(exc)

        conn, _ = await asyncssh.create_connection(Client, "127.0.0.1", server.port, username="someone",
                                                   known_hosts=None, client_keys=[str(keys["alice"])],
                                                   agent_path=None, config=None)
        await asyncio.wait_for(conn.wait_closed(), 10)  # refused just after it logged in, with the reason
        assert "this key already has 10 connections" in str(lost[0])
        server.wait_line("reason=too-many-for-key", after=mark)
        async with connect(server, [str(keys["bob"])]):  # another key is not held up
            pass
    finally:
        for conn in opened:
            conn.close()


# --- the person behind each key ---------------------------------------------------------------------

def test_each_key_has_its_own_bookmarks(server, keys, terminals):
    quiet(server)
    alice = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
    alice.wait_for(FIRST_FRAME)
    alice.send("m")
    alice.wait_for(" Bookmarked ")
    alice.send("q")
    assert alice.wait_exit() == 0
    assert state_file(server.state_dir, key_fingerprint(keys["alice"].with_suffix(".pub"))).exists()
    assert oct(server.state_dir.stat().st_mode & 0o777) == "0o700"

    again = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
    again.wait_for(FIRST_FRAME)
    again.send("B")
    again.wait_for("Bookmarks (1)")
    again.send(ESC)
    again.wait_gone("Bookmarks (1)")
    again.send("q")
    assert again.wait_exit() == 0

    bob = terminals(server.ssh(keys["bob"], "-tt", "127.0.0.1"))
    bob.wait_for(FIRST_FRAME)
    bob.send("B")
    bob.wait_for("No bookmarks yet")
    assert "Bookmarks (1)" not in bob.text()
    bob.send(ESC)
    bob.wait_gone("No bookmarks yet")
    bob.send("q")
    assert bob.wait_exit() == 0


def test_no_color_sent_by_the_client_reaches_the_explorer_and_the_palette_has_no_screenshot(server, keys,
                                                                                           terminals):
    quiet(server)
    t = terminals(server.ssh(keys["bob"], "-o", "SetEnv=NO_COLOR=1", "-tt", "127.0.0.1"))
    t.wait_for(FIRST_FRAME)
    t.settle(0.3)
    colours = {(cell.fg, cell.bg) for row in t.screen.buffer.values() for cell in row.values()}
    assert colours == {("default", "default")}
    t.send("\x10")  # ctrl+p: the palette
    t.wait_for("Search for commands")
    t.send("theme")
    t.wait_for("Change the current theme")  # the palette finds what it has
    t.send(ESC)
    t.wait_gone("Change the current theme")
    t.send("\x10")
    t.wait_for("Search for commands")
    t.send("screenshot")
    t.settle(0.5)
    assert "🔎 screenshot" in t.text() and "Screenshot" not in t.text()  # typed, and nothing found
    t.send(ESC)
    t.wait_gone("🔎 screenshot")
    t.send("q")
    assert t.wait_exit() == 0


# --- starting, stopping, caps -------------------------------------------------------------------------

def test_the_host_key_is_made_once_and_reused_and_the_server_stops_cleanly(bundled_db, keys, tmp_path, terminals):
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    first = Server(bundled_db, tmp_path, authorized, "--max-sessions", "1")
    try:
        first.start()
        made = first.host_key.read_bytes()
        assert oct(first.host_key.stat().st_mode & 0o777) == "0o600"
        assert oct(first.host_key.parent.stat().st_mode & 0o777) == "0o700"
        printed = first.wait_line("host key")
        fingerprint = key_fingerprint(first.host_key.with_suffix(".pub"))
        assert printed == f"crisis-tui: host key {fingerprint} (ssh-ed25519) in {first.host_key}"
        assert fingerprint == key_fingerprint(first.host_key)
        assert first.wait_line("serving").endswith(f"to the 1 key in {authorized}; Ctrl+C stops")

        # the cap: one session; a second is told the server is full
        t = terminals(first.ssh(keys["alice"], "-tt", "127.0.0.1"))
        t.wait_for(FIRST_FRAME)
        second = first.run(keys["alice"], "-tt", "127.0.0.1")
        assert second.returncode == 1
        assert "crisis-tui: the server is full (1 session); try again later" in second.stdout + second.stderr
        assert "reason=full" in first.wait_line("event=refused")

        # connections still logging in are capped per address: the 11th from one address is dropped
        # at once, and connections idling from one address do not keep others out
        sockets = []
        try:
            for _ in range(11):
                sockets.append(socket.create_connection(("127.0.0.1", first.port), timeout=10,
                                                        source_address=("127.0.0.2", 0)))
                assert sockets[-1].recv(64).startswith(b"SSH-2.0-")
            assert sockets[-1].recv(64) == b""  # closed at once
            assert "client=127.0.0.2:" in first.wait_line("reason=too-many-logins-from-address")
            mark = len(first.lines)
            sockets.pop(0).close()  # 9 left logging in: below the point where new ones may be dropped
            first.wait_line(r"reason=not-authenticated .*client=127\.0\.0\.2:", after=mark)
            other = first.run(keys["alice"], "-T", "127.0.0.1")
            assert other.returncode == 1 and EXPLORER_ONLY in other.stderr  # let in (then told: no terminal)
        finally:
            for s in sockets:
                s.close()

        # SIGTERM with a session open: the session is ended and told, the server exits 0
        session = first.explorers()
        first.process.send_signal(signal.SIGTERM)
        assert t.wait_exit(20) != 0  # (read meanwhile: a client that reads nothing gets its connection cut)
        assert first.process.wait(15) == 0  # (not stop(): a second SIGTERM while it exits would be another test)
        assert "crisis-tui: the server is stopping" in t.text() or b"server is stopping" in bytes(t.raw)
        assert b"\x1b[?1049l" in bytes(t.raw[-400:])  # the client's screen given back for it
        assert not any(Path(f"/proc/{pid}").exists() for pid in session)
        assert "reason=server-stop" in first.wait_line("event=session-end")

        again = Server(bundled_db, tmp_path, authorized).start()
        try:
            assert again.wait_line("host key") == printed
        finally:
            assert again.stop() == 0
        assert first.host_key.read_bytes() == made
    finally:
        first.stop()


def test_a_server_killed_outright_leaves_no_explorer(bundled_db, keys, tmp_path, terminals):
    """SIGKILL gives the server no time to end sessions: the kernel hangs up each pty as the
    server's end of it closes, and SIGHUP ends the explorer."""
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    server = Server(bundled_db, tmp_path, authorized)
    try:
        server.start()
        t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
        t.wait_for(FIRST_FRAME)
        session = server.explorers()
        assert session
        assert server.process is not None
        server.process.kill()
        server.process.wait(10)
        assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in session), 5), session
    finally:
        server.stop()


def pty_size(pid: int) -> tuple[int, int]:
    """(columns, rows) of the terminal a process has as its stdin, read from its pty."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDWR | os.O_NOCTTY)
    try:
        rows, columns = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    finally:
        os.close(fd)
    return columns, rows


def explorer_of(server: Server) -> int:
    found: list[int] = []

    def seen() -> bool:
        found[:] = list(server.explorers())
        return bool(found)

    assert wait_until(seen, 10)
    return found[0]


async def test_timeouts_huge_windows_a_killed_explorer_and_sigint(bundled_db, keys, tmp_path, terminals):
    """A server with a 1 s login timeout and 1 s keepalives."""
    import asyncio

    import asyncssh

    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    server = Server(bundled_db, tmp_path, authorized, "--login-timeout", "1", "--keepalive", "1")
    silent = socket.socket()
    try:
        server.start()
        # a connection that never logs in is dropped after the login timeout
        silent.settimeout(10)
        silent.connect(("127.0.0.1", server.port))
        assert silent.recv(64).startswith(b"SSH-2.0-")
        assert silent.recv(64) == b""  # closed by the server (a silent one waits for ever: the 10 s timeout)
        server.wait_line("reason=not-authenticated")

        # a 5000x5000 window: the explorer's pty is 500x200, and stays clamped as it changes
        async with connect(server, [str(keys["alice"])]) as conn:
            chan, _ = await conn.create_session(asyncssh.SSHClientSession, term_type="xterm",
                                                term_size=(5000, 5000))
            explorer = explorer_of(server)
            assert pty_size(explorer) == (500, 200)
            chan.change_terminal_size(6000, 40)
            for _ in range(100):
                if pty_size(explorer) == (500, 40):
                    break
                await asyncio.sleep(0.05)
            assert pty_size(explorer) == (500, 40)
            chan.close()
        assert "size=500x200" in server.wait_line("event=session-start")
        server.wait_line("event=session-end")

        # an explorer killed outright cannot give the terminal back: the server does it for it
        quiet(server)
        mark = len(server.lines)
        t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
        t.wait_for(FIRST_FRAME)
        os.kill(explorer_of(server), signal.SIGKILL)
        assert t.wait_exit(10) == 137
        assert b"\x1b[?1049l\x1b[?25h" in bytes(t.raw[-200:])
        assert "status=137 reason=explorer-exit" in server.wait_line("event=session-end", after=mark)

        # a client that stops answering is dropped by the keepalives (3 unanswered, 1 s apart)
        t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
        t.wait_for(FIRST_FRAME)
        os.kill(t.pid, signal.SIGSTOP)
        try:
            assert "reason=client-gone" in server.wait_line("event=session-end", after=len(server.lines), timeout=15)
        finally:
            os.kill(t.pid, signal.SIGCONT)

        # SIGINT (Ctrl+C) stops it, exit status 0
        assert server.process is not None
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(15) == 0
    finally:
        silent.close()
        server.stop()


def test_an_explorer_that_cannot_be_started_is_one_line_for_the_client(bundled_db, keys, tmp_path, terminals):
    """The server is left two free file descriptors: one for the client's connection, none
    to spare for the session's pty."""
    import resource

    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    server = Server(bundled_db, tmp_path, authorized)
    try:
        server.start()
        assert server.process is not None
        pid = server.process.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        used = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
        limit = next(n for n in range(len(used) + 2, soft) if n - len({fd for fd in used if fd < n}) == 2)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, hard))
        t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
        assert t.wait_exit(15) == 1
        assert "crisis-tui: the explorer could not be started; the server's log says why" in t.text()
        end = server.wait_line("event=session-end")
        assert "Too many open files" in end and "reason=\"error: OSError" in end
        assert not server.explorers()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    finally:
        server.stop()


def failed_start(server: Server) -> str:
    server.start(expect_port=False)
    assert server.process is not None
    server.process.wait(30)
    assert server.process.returncode == 1
    server.reader.join(10)  # stderr read to its end
    assert len(server.lines) == 1, server.lines
    return server.lines[0]


def server_with_host_key(bundled_db, keys, tmp_path) -> Server:
    """A server (not started) for alice whose host key file is already there: bob's private key."""
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    server = Server(bundled_db, tmp_path, authorized)
    server.host_key.parent.mkdir(mode=0o700)
    shutil.copy(keys["bob"], server.host_key)
    return server


def test_a_host_key_others_can_read_or_not_a_key_is_refused_in_one_line(bundled_db, keys, tmp_path):
    server = server_with_host_key(bundled_db, keys, tmp_path)
    authorized = server.authorized
    server.host_key.chmod(0o644)
    assert failed_start(server) == (f"crisis-tui: error: {server.host_key}: host key is readable by others "
                                    "(mode 0644); chmod 600 it")
    server.host_key.write_text("not a key\n")
    server.host_key.chmod(0o600)
    assert failed_start(Server(bundled_db, tmp_path, authorized)).startswith(
        f"crisis-tui: error: {server.host_key}: not a private key this server can use")


def test_a_host_key_another_user_owns_is_refused_in_one_line(bundled_db, keys, tmp_path):
    server = server_with_host_key(bundled_db, keys, tmp_path)
    other = 65534 if os.geteuid() == 0 else None  # (only root can give a file away)
    if other is None:
        pytest.skip("giving the key file to another user needs root")
    os.chown(server.host_key, other, -1)
    assert failed_start(server) == (f"crisis-tui: error: {server.host_key}: host key is owned by another user "
                                    f"(uid {other}); it must be the server's own")


def test_missing_or_empty_authorized_keys_and_a_port_in_use_are_one_line_errors(bundled_db, keys, tmp_path):
    missing = failed_start(Server(bundled_db, tmp_path, tmp_path / "nowhere"))
    assert missing == f"crisis-tui: error: {tmp_path / 'nowhere'}: cannot read the authorized keys: " \
                      "No such file or directory"
    empty = tmp_path / "empty"
    empty.write_text("# nobody yet\n")
    assert failed_start(Server(bundled_db, tmp_path, empty)).startswith(f"crisis-tui: error: {empty}: no public keys")

    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = Server(bundled_db, tmp_path, authorized)
        server.argv[server.argv.index("--port") + 1] = str(taken.getsockname()[1])
        server.start(expect_port=False)
        assert server.process is not None and server.process.wait(30) == 1
        server.reader.join(10)  # stderr read to its end
        assert server.lines[-1] == f"crisis-tui: error: cannot listen on 127.0.0.1:{taken.getsockname()[1]}: " \
                                   "Address already in use"
    finally:
        taken.close()


# --- small pieces ---------------------------------------------------------------------------------------

def test_terminal_sizes_are_clamped_and_exit_statuses_read_as_a_shell_reads_them():
    assert clamped_size(0, 0) == (80, 24) and clamped_size(120, 0) == (80, 24)
    assert clamped_size(10_000, 10_000) == (500, 200) and clamped_size(100, 30) == (100, 30)
    assert exit_status(0) == 0 and exit_status(3) == 3 and exit_status(-signal.SIGHUP) == 129


def test_client_text_in_the_log_is_inert_and_reads_back_as_one_field():
    assert field("alice") == "alice"
    assert field("ls -la") == '"ls -la"'
    shown = field("\x1b[31mred\x1b[0m\nkey=forged")
    assert shown == '"\\\\x1b[31mred\\\\x1b[0m\\\\x0akey=forged"'  # escaped, then quoted with \\ doubled
    assert "\x1b" not in shown and "\n" not in shown
    assert field("") == '""'


def test_authorized_keys_lines_with_options_or_no_key_are_skipped_and_said(keys):
    alice = keys["alice"].with_suffix(".pub").read_text().strip()
    bob = keys["bob"].with_suffix(".pub").read_text().strip()
    text = f"# team\n\n{alice}\r\nfrom=\"10.0.0.1\",command=\"echo a b\" {bob}\nssh-ed25519 AAAAnot-base64 x\n"
    found = parse_authorized_keys(text, "FILE")
    assert [(k.fingerprint, k.algorithm, k.comment) for k in found.keys.values()] == [
        (key_fingerprint(keys["alice"].with_suffix(".pub")), "ssh-ed25519", "alice")]
    assert found.skipped == (
        'FILE line 4: options (from="10.0.0.1",command="echo a b") are not supported by this server; key skipped',
        "FILE line 5: not a public key this server takes; skipped")


def test_new_connections_are_dropped_like_openssh_maxstartups_10_30_100():
    from crisis_tui.tui.serve.ssh_server import drop_chance

    assert drop_chance(0, 1) == drop_chance(9, 1) == 0.0
    assert drop_chance(10, 1) == pytest.approx(0.3)
    assert drop_chance(55, 1) == pytest.approx(0.65)
    assert drop_chance(100, 1) == drop_chance(500, 1) == 1.0
    # a bigger team may all log in at once: the drops start at --max-sessions
    assert drop_chance(24, 25) == 0.0 and drop_chance(25, 25) == pytest.approx(0.3)
    assert drop_chance(115, 25) == 1.0


async def test_refusals_from_one_address_are_logged_a_few_a_window_and_the_rest_summed_up(capsys):
    import asyncio

    from crisis_tui.tui.serve.refusal_log import RefusalLog

    log = RefusalLog(window=0.2, burst=3)
    for n in range(10):
        log.refused("key-not-allowed", "10.0.0.9", client=f"10.0.0.9:{n}")
    log.refused("key-not-allowed", "10.0.0.8", client="10.0.0.8:1")  # another address: its own count
    log.refused("not-authenticated", "10.0.0.9", client="10.0.0.9:1")  # another kind too
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("client=")[1] for line in lines] == ["10.0.0.9:0", "10.0.0.9:1", "10.0.0.9:2", "10.0.0.8:1",
                                                             "10.0.0.9:1"]
    await asyncio.sleep(0.4)
    assert capsys.readouterr().err.splitlines() == [
        "crisis-tui: event=refused reason=key-not-allowed client=10.0.0.9 "
        "more=\"7 more in the last 0 s, not logged one by one\""]
    log.refused("key-not-allowed", "10.0.0.9", client="10.0.0.9:11")  # a new window
    assert "client=10.0.0.9:11" in capsys.readouterr().err


async def test_an_ended_explorer_group_is_killed_only_while_it_is_still_there(monkeypatch):
    """SIGKILL goes to the explorer's group only while its leader is unreaped or a member lives:
    once all are gone, the number could name someone else's group. (A shell stands in for the
    explorer: a process leading its own session on a pty.)"""
    import asyncio

    from crisis_tui.tui.serve import pty_session

    sent: list[int] = []
    real_killpg = os.killpg

    def killpg(group: int, number: int) -> None:
        sent.append(number)
        real_killpg(group, number)

    monkeypatch.setattr(pty_session.os, "killpg", killpg)

    async def run(script: str) -> tuple[int, list[int]]:
        sent.clear()
        output = bytearray()
        master, slave = os.openpty()
        os.set_blocking(master, False)
        try:
            process = await asyncio.create_subprocess_exec("sh", "-c", script, stdin=slave, stdout=slave,
                                                           stderr=slave, start_new_session=True)
        finally:
            os.close(slave)
        explorer = pty_session.ExplorerPty(process, master, output.extend, lambda full: None)  # type: ignore[arg-type]
        for _ in range(100):
            if b"ready" in output:
                break
            await asyncio.sleep(0.02)
        status = await explorer.end()
        return status, sent[:]

    # the shell dies of the hang-up, and nothing else is in its group: no SIGKILL
    assert await run("echo ready; sleep 30") == (129, [signal.SIGHUP])
    # a child that ignores the hang-up outlives the shell: the group is still there, and is killed
    assert await run("(trap '' HUP; exec sleep 30) & echo ready; wait") == (129, [signal.SIGHUP, signal.SIGKILL])
    # a shell that ignores the hang-up is killed, and its group with it
    assert await run("trap '' HUP; echo ready; sleep 30") == (137, [signal.SIGHUP, signal.SIGKILL])


async def test_environment_sent_after_the_shell_is_checked_too(monkeypatch):
    import asyncio

    from crisis_tui.tui.serve import ssh_session
    from crisis_tui.tui.serve.options import SshOptions

    monkeypatch.setattr(ssh_session, "ENV_CHECK", 0.01)

    class Channel:
        env: dict[bytes, bytes] = {}
        ended: list[str] = []

        def get_environment_bytes(self) -> dict[bytes, bytes]:
            return self.env

        def get_connection(self):
            return self

        def disconnect(self, code: int, reason: str) -> None:
            self.ended.append(reason)

    options = SshOptions(db=Path("db"), host="127.0.0.1", port=0, authorized_keys=Path("k"), host_key=Path("h"),
                         state_dir=Path("s"), max_sessions=1, login_timeout=1, keepalive=0, memory_limit_mb=128)
    session = ssh_session.ExplorerSession(options, ssh_session.Sessions(1), ssh_session.Client("127.0.0.1:1"))
    channel = Channel()
    session.connection_made(channel)  # type: ignore[arg-type]
    assert session.shell_requested()
    await asyncio.sleep(0.05)
    assert not channel.ended
    channel.env = {f"V{n}".encode(): b"x" for n in range(100)}  # sent once the explorer runs
    for _ in range(100):
        if channel.ended:
            break
        await asyncio.sleep(0.01)
    assert channel.ended == ["crisis-tui: too many or too large environment variables"]


async def test_input_before_the_explorer_has_started_is_bounded():
    from crisis_tui.tui.serve.options import SshOptions
    from crisis_tui.tui.serve.ssh_session import EARLY_INPUT_LIMIT, Client, ExplorerSession, Sessions

    class Channel:
        paused = False

        def pause_reading(self) -> None:
            self.paused = True

    options = SshOptions(db=Path("db"), host="127.0.0.1", port=0, authorized_keys=Path("k"), host_key=Path("h"),
                         state_dir=Path("s"), max_sessions=1, login_timeout=1, keepalive=0, memory_limit_mb=128)
    session = ExplorerSession(options, Sessions(1), Client("127.0.0.1:1"))
    channel = Channel()
    session.connection_made(channel)  # type: ignore[arg-type]
    session._task = object()  # type: ignore[assignment]  # (starting)
    chunk = b"x" * 32768
    for _ in range(EARLY_INPUT_LIMIT // len(chunk)):
        session.data_received(chunk, None)
    assert not channel.paused
    session.data_received(chunk, None)
    assert channel.paused  # the client waits (its window bounds the rest) until the explorer has started


async def test_logged_in_connections_are_capped_in_all_and_per_key():
    import asyncio

    from crisis_tui.tui.serve.authorized_keys import AllowedKey
    from crisis_tui.tui.serve.options import SshOptions
    from crisis_tui.tui.serve.ssh_server import Gate, ServerState
    from crisis_tui.tui.serve.ssh_session import Sessions

    class Connection:
        def __init__(self) -> None:
            self.ended: list[str] = []

        def get_extra_info(self, name: str):
            return ("10.0.0.1", 4000)

        def disconnect(self, code: int, reason: str) -> None:
            self.ended.append(reason)

    options = SshOptions(db=Path("db"), host="127.0.0.1", port=0, authorized_keys=Path("k"), host_key=Path("h"),
                         state_dir=Path("s"), max_sessions=1, login_timeout=1, keepalive=0, memory_limit_mb=128,
                         max_sessions_per_key=2)
    state = ServerState(options, None, Sessions(1))  # type: ignore[arg-type]  # (no key is looked up here)

    async def log_in(fingerprint: str) -> list[str]:
        gate, conn = Gate(state), Connection()
        gate.connection_made(conn)  # type: ignore[arg-type]
        gate._candidate = AllowedKey(fingerprint, "ssh-ed25519", "")
        gate.auth_completed()
        await asyncio.sleep(0)
        return conn.ended

    assert await log_in("SHA256:a") == [] and await log_in("SHA256:a") == []
    assert await log_in("SHA256:a") == ["crisis-tui: this key already has 2 connections, the most it may have; "
                                        "end one first"]
    for n in range(9):  # 1 session + 10 in all
        assert await log_in(f"SHA256:{n}") == []
    assert await log_in("SHA256:z") == ["crisis-tui: the server has too many connections; try again later"]


def test_a_log_nobody_reads_any_more_does_not_stop_the_server_ending_sessions_cleanly(bundled_db, keys, tmp_path,
                                                                                         terminals):
    """`crisis-tui serve ssh ... 2>&1 | tee log`, then Ctrl+C: tee goes first, and every line the
    server writes after that meets a broken pipe. Sessions are still told, ended and given back
    their terminal, and the server exits 0."""
    authorized = tmp_path / "authorized_keys"
    authorized.write_bytes(keys["alice"].with_suffix(".pub").read_bytes())
    server = Server(bundled_db, tmp_path, authorized)
    read_end, write_end = os.pipe()
    process = subprocess.Popen(server.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write_end)
    os.close(write_end)
    try:
        said = b""
        with os.fdopen(read_end, "rb", buffering=0) as log:
            while b"Ctrl+C stops" not in said:
                chunk = log.read(4096)
                assert chunk, said
                said += chunk
            server.port = int(re.search(rb"127\.0\.0\.1:(\d+)", said).group(1))
            t = terminals(server.ssh(keys["alice"], "-tt", "127.0.0.1"))
            t.wait_for(FIRST_FRAME)
        # the log's reader is gone (the pipe's only read end closed): the next line breaks the pipe
        session = {pid for pid in descendants(process.pid) if comm(pid) == SESSION_NAME}
        assert session
        process.send_signal(signal.SIGINT)
        assert t.wait_exit(20) != 0
        assert process.wait(15) == 0
        assert b"server is stopping" in bytes(t.raw) and b"\x1b[?1049l" in bytes(t.raw[-400:])
        assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in session), 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
