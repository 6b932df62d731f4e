"""`crisis-tui serve ssh`: an SSH server (asyncssh) that gives each authorised key its own explorer.

Public keys only (no password, keyboard-interactive, GSS or host-based login); any user name.
Each connection's gate (`Gate`) lets in the keys of the authorized_keys file, refuses every
forwarding and tunnel, and hands one session channel at a time to ssh_session.py, which starts
the explorer or says why not. At most `max_sessions` explorers run at once.

What one client can hold is bounded. Logging in: at most PER_ADDRESS_LOGINS connections from
one address; and past S connections logging in in all (S = the larger of EARLY_DROP_START and
`max_sessions`, so that a whole team may log in at once), a new one is dropped at random, more
likely the more there are, all past S + 90 (OpenSSH's MaxStartups S:30:S+90); MAX_AUTH_TRIES keys
refused end a connection; refusals before login are logged a few a minute per address (see
refusal_log.py). Logged in: `max_sessions` + EXTRA_CONNECTIONS connections in all, and
`max_sessions_per_key` for one key. SIGINT, SIGTERM or SIGHUP end every session, then the
server (exit status 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
from collections import Counter
from dataclasses import dataclass, field

import asyncssh

from ...db.errors import CrisisError
from ...db.text import inert
from .authorized_keys import AllowedKey, AuthorizedKeys
from .explorer import explorer_env, fingerprint
from .host_key import host_key_line, load_or_make_host_key
from .options import SshOptions
from .refusal_log import RefusalLog
from .server_log import log_event, say
from .ssh_session import CLOSE_WAIT, Client, ExplorerSession, Sessions
from .warm import forkserver

PER_ADDRESS_LOGINS = 10  # connections logging in from one address at once
EARLY_DROP_START = 10  # connections logging in (all addresses) before new ones may be dropped, at least
EARLY_DROP_RATE = 0.3  # the chance a new one is dropped at the start, rising to 1 EARLY_DROP_SPAN later
EARLY_DROP_SPAN = 90
MAX_AUTH_TRIES = 6  # keys refused on one connection before it is ended (OpenSSH's MaxAuthTries)
EXTRA_CONNECTIONS = 10  # logged-in connections beyond one per session (refused sessions, a moment's overlap)
STOP_WAIT = 2.0  # seconds the listener is given to close


def drop_chance(logging_in: int, max_sessions: int) -> float:
    """The chance a new connection is dropped when `logging_in` others are logging in now."""
    start = max(EARLY_DROP_START, max_sessions)
    if logging_in < start:
        return 0.0
    if logging_in >= start + EARLY_DROP_SPAN:
        return 1.0
    return EARLY_DROP_RATE + (1 - EARLY_DROP_RATE) * (logging_in - start) / EARLY_DROP_SPAN


@dataclass
class ServerState:
    options: SshOptions
    keys: AuthorizedKeys
    sessions: Sessions
    refusals: RefusalLog = field(default_factory=RefusalLog)
    logging_in: Counter[str] = field(default_factory=Counter)  # by client address (no port)
    logged_in: Counter[str] = field(default_factory=Counter)  # by key fingerprint
    connections: set[asyncssh.SSHServerConnection] = field(default_factory=set)
    chance: random.Random = field(default_factory=random.SystemRandom)

    @property
    def connection_limit(self) -> int:
        return self.options.max_sessions + EXTRA_CONNECTIONS


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Gate(asyncssh.SSHServer):
    """One connection: who may log in, and what they may open once in."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._conn: asyncssh.SSHServerConnection | None = None
        self._host = "?"
        self._client = Client(address="?")
        self._candidate: AllowedKey | None = None  # the allowed key last offered: let in if it signs
        self._logging_in = False
        self._counted_key: str | None = None  # the key this connection is counted against once in
        self._tries = self._refused = 0  # keys offered, keys refused
        self._session: ExplorerSession | None = None  # the session channel open now (one at a time)

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        peer = conn.get_extra_info("peername") or ("?", 0)
        state = self._state
        self._host = str(peer[0])
        self._client.address = _address(self._host, int(peer[1]))
        logging_in = sum(state.logging_in.values())
        reason = None
        if state.logging_in[self._host] >= PER_ADDRESS_LOGINS:
            reason = "too-many-logins-from-address"
        elif state.chance.random() < drop_chance(logging_in, state.options.max_sessions):
            reason = "too-many-logins"
        if reason is not None:
            state.refusals.refused(reason, self._host, logging_in=logging_in, client=self._client.address)
            asyncio.get_running_loop().call_soon(conn.abort)
            return
        state.logging_in[self._host] += 1
        self._logging_in = True
        state.connections.add(conn)

    def _left_login(self) -> None:
        if self._logging_in:
            self._logging_in = False
            self._state.logging_in[self._host] -= 1
            if not self._state.logging_in[self._host]:
                del self._state.logging_in[self._host]

    def connection_lost(self, exc: Exception | None) -> None:
        if self._logging_in:
            self._left_login()
            self._state.refusals.refused("not-authenticated", self._host, **self._client.fields())
        if self._counted_key is not None:
            self._state.logged_in[self._counted_key] -= 1
            if not self._state.logged_in[self._counted_key]:
                del self._state.logged_in[self._counted_key]
            self._counted_key = None
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
        # asyncssh 2.24 (connection.py, SSHServerConnection.validate_public_key) calls this for
        # every key offered, a query or signed, and for a signed one verifies the signature right
        # after it returns True, in the same coroutine, before calling auth_completed: so the key
        # last let through here is the key that signed. `_candidate` relies on that.
        if self._refused >= MAX_AUTH_TRIES or self._tries >= 2 * MAX_AUTH_TRIES:
            return False  # (the connection is being ended)
        self._tries += 1
        allowed = self._state.keys.find(key.public_data)
        if allowed is None:
            self._refused += 1
            self._state.refusals.refused("key-not-allowed", self._host, key=fingerprint(key.public_data),
                                         user=username, client=self._client.address)
        else:
            self._candidate = allowed
        if self._refused >= MAX_AUTH_TRIES or self._tries >= 2 * MAX_AUTH_TRIES:
            self._state.refusals.refused("too-many-auth-tries", self._host, tries=self._tries,
                                         client=self._client.address)
            self._disconnect(asyncssh.DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
                             "crisis-tui: too many authentication attempts")
            return False
        return allowed is not None

    def validate_ca_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return False

    def auth_completed(self) -> None:
        self._left_login()
        key = self._candidate
        self._client.key = key
        assert key is not None
        state = self._state
        if sum(state.logged_in.values()) >= state.connection_limit:
            log_event("refused", reason="too-many-connections", **self._client.fields())
            self._disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS,
                             "crisis-tui: the server has too many connections; try again later")
        elif state.logged_in[key.fingerprint] >= state.options.max_sessions_per_key:
            log_event("refused", reason="too-many-for-key", **self._client.fields())
            most = state.options.max_sessions_per_key
            self._disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS,
                             f"crisis-tui: this key already has {most} connection{'s' if most != 1 else ''}, "
                             "the most it may have; end one first")
        else:
            state.logged_in[key.fingerprint] += 1
            self._counted_key = key.fingerprint

    def _disconnect(self, code: int, reason: str) -> None:
        """End the connection with `reason` for the client, once what is under way has been sent."""
        if self._conn is not None:
            asyncio.get_running_loop().call_soon(self._conn.disconnect, code, reason)

    # --- what may be opened: one session at a time, nothing else -----------------------------------

    def session_requested(self) -> ExplorerSession:
        if self._counted_key is None:  # refused as it logged in: being disconnected
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "not admitted")
        if self._session is not None:
            log_event("refused", reason="second-session", **self._client.fields())
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                                            "one session at a time on a connection")
        self._session = ExplorerSession(self._state.options, self._state.sessions, self._client,
                                        self._session_closed)
        return self._session

    def _session_closed(self) -> None:
        self._session = None

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
        log_event("refused", reason="forwarding", to=_address(dest_host, dest_port), **self._client.fields())
        raise _not_here("port forwarding")

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        log_event("refused", reason="remote-forwarding", listen=_address(listen_host, listen_port),
                  **self._client.fields())
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        log_event("refused", reason="forwarding", to=dest_path, **self._client.fields())
        raise _not_here("socket forwarding")

    def unix_server_requested(self, listen_path: str) -> bool:
        log_event("refused", reason="remote-forwarding", listen=listen_path, **self._client.fields())
        return False

    def tun_requested(self, unit: int | None) -> bool:
        log_event("refused", reason="tunnel", layer=3, unit=unit, **self._client.fields())
        raise _not_here("tunnelling")

    def tap_requested(self, unit: int | None) -> bool:
        log_event("refused", reason="tunnel", layer=2, unit=unit, **self._client.fields())
        raise _not_here("tunnelling")


def _not_here(what: str) -> asyncssh.ChannelOpenError:
    """The refusal of a channel the server never opens: OpenSSH shows "administratively
    prohibited" and this text, not a network error."""
    return asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED,
                                     f"crisis-tui: {what} is not allowed on this server")


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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(acceptor.wait_closed(), STOP_WAIT)
        running = len(state.sessions.running)
        say(f"stopping: ending {running} session{'s' if running != 1 else ''}")
        await state.sessions.end_all()
        connections = list(state.connections)
        for conn in connections:
            conn.close()
        if connections:  # the last exit statuses and closes on their way
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(conn.wait_closed() for conn in connections),
                                                      return_exceptions=True), CLOSE_WAIT)
        state.refusals.flush()


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
