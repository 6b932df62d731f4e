"""`crisis-tui serve ssh`: an SSH server (asyncssh) that gives each authorised key its own explorer.

Public keys only (no password, keyboard-interactive, GSS or host-based login); any user name.
Each connection's gate (`Gate`) lets in the keys of the authorized_keys file, refuses every
forwarding, and hands session channels to ssh_session.py, which starts the explorer or says
why not. At most `max_sessions` explorers run at once, and at most `max_sessions` + 10
connections may be logging in. SIGINT, SIGTERM or SIGHUP end every session, then the server
(exit status 0).
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field

import asyncssh

from ...db.errors import CrisisError
from ...db.text import inert
from .authorized_keys import AllowedKey, AuthorizedKeys
from .explorer import explorer_env
from .host_key import host_key_line, load_or_make_host_key
from .options import SshOptions
from .server_log import log_event, say
from .ssh_session import Client, ExplorerSession, Sessions
from .warm import forkserver

EXTRA_LOGINS = 10  # connections still logging in, beyond one per session


@dataclass
class ServerState:
    options: SshOptions
    keys: AuthorizedKeys
    sessions: Sessions
    logging_in: int = 0
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)

    @property
    def login_limit(self) -> int:
        return self.options.max_sessions + EXTRA_LOGINS


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Gate(asyncssh.SSHServer):
    """One connection: who may log in, and what they may open once in."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._conn: asyncssh.SSHServerConnection | None = None
        self._client = Client(address="?")
        self._candidate: AllowedKey | None = None  # the allowed key last offered: let in if it signs
        self._logging_in = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        self._client.address = _address(str(peer[0]), int(peer[1]))
        if self._state.logging_in >= self._state.login_limit:
            log_event("refused", reason="too-many-logins", logging_in=self._state.logging_in,
                      client=self._client.address)
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        self._state.logging_in += 1
        self._logging_in = True
        self._state.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._logging_in:
            self._logging_in = False
            self._state.logging_in -= 1
            log_event("refused", reason="not-authenticated", **self._client.fields())
        if self._conn is not None:
            self._state.connections.discard(self._conn)

    # --- logging in: public keys only ----------------------------------------------------------

    def begin_auth(self, username: str) -> bool:
        self._client.user = username
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        allowed = self._state.keys.find(key.public_data)
        if allowed is None:
            from .explorer import fingerprint

            log_event("refused", reason="key-not-allowed", key=fingerprint(key.public_data), user=username,
                      client=self._client.address)
            return False
        self._candidate = allowed
        return True

    def validate_ca_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return False

    def auth_completed(self) -> None:
        self._client.key = self._candidate
        if self._logging_in:
            self._logging_in = False
            self._state.logging_in -= 1

    # --- what may be opened: a session, nothing else ---------------------------------------------

    def session_requested(self) -> ExplorerSession:
        return ExplorerSession(self._state.options, self._state.sessions, self._client)

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        log_event("refused", reason="forwarding", to=_address(dest_host, dest_port), **self._client.fields())
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log_event("refused", reason="remote-forwarding", listen=_address(listen_host, listen_port),
                  **self._client.fields())
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        log_event("refused", reason="forwarding", to=dest_path, **self._client.fields())
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        log_event("refused", reason="remote-forwarding", listen=listen_path, **self._client.fields())
        return False


async def _listen(state: ServerState, host_key: asyncssh.SSHKey) -> asyncssh.SSHAcceptor:
    options = state.options
    try:
        return await asyncssh.listen(
            options.host, options.port, server_factory=lambda: Gate(state), server_host_keys=[host_key],
            encoding=None, line_editor=False, agent_forwarding=False, x11_forwarding=False,
            public_key_auth=True, password_auth=False, kbdint_auth=False, host_based_auth=False,
            gss_host=None, gss_kex=False, gss_auth=False,
            login_timeout=options.login_timeout, keepalive_interval=options.keepalive, keepalive_count_max=3)
    except OSError as exc:
        where = inert(_address(options.host, options.port), one_line=True)
        reason = os.strerror(exc.errno) if exc.errno else inert(str(exc), one_line=True)
        raise CrisisError(f"cannot listen on {where}: {reason}") from None


async def _serve(state: ServerState, host_key: asyncssh.SSHKey) -> None:
    options = state.options
    acceptor = await _listen(state, host_key)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(number, stop.set)
    keys = len(state.keys.current.keys)
    say(f"serving {inert(str(options.db), one_line=True)} over SSH on "
        f"{inert(_address(options.host, acceptor.get_port()), one_line=True)} to the {keys} "
        f"key{'s' if keys != 1 else ''} in {inert(str(options.authorized_keys), one_line=True)}; Ctrl+C stops")
    try:
        await stop.wait()
    finally:
        acceptor.close()
        running = len(state.sessions.running)
        say(f"stopping: ending {running} session{'s' if running != 1 else ''}")
        await state.sessions.end_all()
        for conn in list(state.connections):
            conn.close()
        await asyncio.sleep(0.1)  # the last exit statuses and closes on their way


def run_ssh_server(options: SshOptions) -> None:
    """Serve the explorer over SSH until SIGINT/SIGTERM; problems at start are one-line CrisisErrors."""
    keys = AuthorizedKeys(options.authorized_keys, say)
    host_key = load_or_make_host_key(options.host_key)
    try:
        options.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        where = inert(str(options.state_dir), one_line=True)
        raise CrisisError(f"{where}: cannot make the state folder: {exc.strerror or exc}") from None
    if not os.access(options.state_dir, os.W_OK | os.X_OK):
        raise CrisisError(f"{inert(str(options.state_dir), one_line=True)}: the state folder is not writable")
    say(host_key_line(host_key, options.host_key))
    state = ServerState(options, keys, Sessions(options.max_sessions))
    # the explorer imported once, before anyone is let in: each session is then a fork of it (warm.py)
    forkserver().warm(explorer_env(None))
    asyncio.run(_serve(state, host_key))
