"""One SSH session channel: the explorer if the client asked for a shell on a terminal, else a refusal.

A channel with a pty and a shell request gets its own explorer on a pty (pty_session.py).
A command (`ssh host cmd`, legacy `scp`) or a shell without a terminal (`ssh -T`) is answered
with one line on the channel's stderr and exit status 1, and no explorer is started; a
subsystem (sftp, which modern `scp` uses) is refused by the protocol. So is a session over
the cap, with the line saying the server is full.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import asyncssh

from .authorized_keys import AllowedKey
from .explorer import explorer_command, explorer_env, state_file
from .options import SshOptions
from .pty_session import TERMINAL_RESTORE, ExplorerPty, clamped_size
from .server_log import log_event, timestamp

EXPLORER_ONLY = "crisis-tui: this server only serves the explorer: connect with `ssh -t ...` and no command"
STOPPING = "crisis-tui: the server is stopping"
CLOSE_WAIT = 2.0  # seconds a stopping server waits for a client to take a session's last output
EARLY_INPUT_LIMIT = 64 * 1024  # input kept while the explorer starts; past it the client is paused
# What a client may set with `env` requests. asyncssh keeps every one in the channel as it comes,
# with no hook to refuse one, so this is checked when the pty, shell or command is asked for, and
# every ENV_CHECK seconds while the channel is open (env requests may come at any time): past it,
# the connection is ended. Between two checks a client can still send what the network carries.
ENV_MAX_COUNT = 64
ENV_MAX_BYTES = 32 * 1024
ENV_CHECK = 1.0


@dataclass
class Client:
    """Who is on one connection: their address, the user name they gave, the key let in."""

    address: str
    user: str = ""
    key: AllowedKey | None = None

    def fields(self) -> dict[str, object]:
        key = self.key
        return {"key": key.fingerprint if key else None, "comment": (key.comment or None) if key else None,
                "user": self.user, "client": self.address}


@dataclass
class Sessions:
    """The explorers running now, for the cap and for ending them all when the server stops."""

    limit: int
    running: set[ExplorerSession] = field(default_factory=set)
    stopping: bool = False  # the server is stopping: no new explorer

    def full(self) -> bool:
        return len(self.running) >= self.limit

    async def end_all(self) -> None:
        self.stopping = True
        tasks = [session.stop() for session in list(self.running)]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


class ExplorerSession(asyncssh.SSHServerSession[bytes]):
    """The server's side of one session channel."""

    def __init__(self, options: SshOptions, sessions: Sessions, client: Client,
                 on_closed: Callable[[], None] = lambda: None) -> None:
        self._options = options
        self._sessions = sessions
        self._client = client
        self._on_closed = on_closed
        self._env_timer: asyncio.TimerHandle | None = None
        self._chan: asyncssh.SSHServerChannel[bytes] | None = None
        self._size = (0, 0)
        self._command: str | None = None  # what `ssh host cmd` asked to run
        self._explorer: ExplorerPty | None = None
        self._early: list[bytes] = []  # input that came before the explorer had started
        self._early_bytes = 0
        self._early_paused = False  # the client is paused until the explorer takes the early input
        self._input_paused = False  # the explorer's input is full: the client is paused
        self._output_paused = False
        self._why: str | None = None  # why it ended: client-eof, client-gone, server-stop, explorer-exit
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0
        self.bytes_in = self.bytes_out = 0

    # --- what the client asks for --------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self._chan = chan
        self._env_timer = asyncio.get_running_loop().call_later(ENV_CHECK, self._check_env)

    def _check_env(self) -> None:
        if self._env_ok():
            self._env_timer = asyncio.get_running_loop().call_later(ENV_CHECK, self._check_env)

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:
        self._size = (term_size[0], term_size[1])
        return self._env_ok()

    def shell_requested(self) -> bool:
        return self._env_ok()

    def exec_requested(self, command: str) -> bool:
        self._command = command  # accepted so that the client hears why: answered in session_started
        return self._env_ok()

    def _env_ok(self) -> bool:
        """Whether what the client set with `env` requests is within bounds; if not, its
        connection is ended."""
        chan = self._chan
        assert chan is not None
        env = chan.get_environment_bytes()
        size = sum(len(name) + len(value) for name, value in env.items())
        if len(env) <= ENV_MAX_COUNT and size <= ENV_MAX_BYTES:
            return True
        log_event("refused", reason="env-too-large", variables=len(env), bytes=size, **self._client.fields())
        chan.get_connection().disconnect(asyncssh.DISC_BY_APPLICATION,
                                         "crisis-tui: too many or too large environment variables")
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log_event("refused", reason="subsystem", subsystem=subsystem, **self._client.fields())
        return False

    def session_started(self) -> None:
        chan = self._chan
        assert chan is not None
        if self._command is not None or chan.get_terminal_type() is None:
            reason = "exec" if self._command is not None else "no-pty"
            log_event("refused", reason=reason, command=self._command, **self._client.fields())
            self._refuse(EXPLORER_ONLY)
        elif self._sessions.stopping:
            self._refuse(STOPPING)
        elif self._sessions.full():
            log_event("refused", reason="full", sessions=len(self._sessions.running), **self._client.fields())
            limit = self._sessions.limit
            self._refuse(f"crisis-tui: the server is full ({limit} session{'s' if limit != 1 else ''}); "
                         "try again later")
        else:
            self._sessions.running.add(self)
            self._task = asyncio.ensure_future(self._run())

    def _refuse(self, line: str) -> None:
        self._tell(line)
        self._exit(1)

    # --- the explorer ----------------------------------------------------------------------------

    async def _run(self) -> None:
        self._started = time.time()
        log_event("session-start", **self._client.fields(), size="{}x{}".format(*clamped_size(*self._size)))
        status: int | None = None
        try:
            status = await self._serve()
        except Exception as exc:  # the system refused (no pty, no process) or a bug: this session ends, not the server
            self._why = f"error: {type(exc).__name__}: {exc}"
            self._tell("crisis-tui: the explorer could not be started; the server's log says why")
        finally:
            if self._explorer is not None:
                await self._explorer.end()  # (already done unless something above failed)
            self._exit(1 if status is None else status)
            self._early.clear()
            if self._early_paused and self._chan is not None:  # (the explorer never took it)
                self._chan.resume_reading()  # so that the client's close is seen
            self._sessions.running.discard(self)
            self._log_end(status)

    async def _serve(self) -> int:
        """Start the explorer, pipe it to the client until it exits or the client goes; its exit status."""
        chan = self._chan
        assert chan is not None and self._client.key is not None
        state = state_file(self._options.state_dir, self._client.key.fingerprint)
        command = explorer_command(self._options.db, state, "ssh", self._options.keymap)
        env = explorer_env(chan.get_terminal_type(), chan.get_environment())
        self._explorer = explorer = await ExplorerPty.start(
            command, env, self._size, self._options.memory_limit_mb, self._output, self._input_full)
        if self._output_paused:
            explorer.pause_output()
        for chunk in self._early:
            explorer.write(chunk)
        self._early.clear()
        if self._early_paused:
            self._early_paused = False
            if not self._input_paused:  # (the explorer may have asked for a pause itself)
                chan.resume_reading()
        if self._why is not None:  # the client went while it was starting
            explorer.end()
        await explorer.wait()
        if self._why is None:
            self._why = "explorer-exit"
            await explorer.drain_output()
        status = await explorer.end()
        if self._why == "server-stop" or status >= 128:  # killed before it could give the terminal back
            self._write(TERMINAL_RESTORE)
        if self._why == "server-stop":
            self._tell(STOPPING)
        return status

    def _log_end(self, status: int | None) -> None:
        ended = time.time()
        log_event("session-end", **self._client.fields(), start=timestamp(self._started), end=timestamp(ended),
                  duration=f"{ended - self._started:.1f}s", bytes_in=self.bytes_in, bytes_out=self.bytes_out,
                  status=status, reason=self._why, pid=self._explorer.pid if self._explorer else None)

    def _output(self, data: bytes) -> None:
        self._write(data)

    def _input_full(self, full: bool) -> None:
        self._input_paused = full
        if self._chan is not None:
            if full:
                self._chan.pause_reading()
            else:
                self._chan.resume_reading()

    # --- what the client sends and does ---------------------------------------------------------

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.bytes_in += len(data)
        if self._explorer is not None:
            self._explorer.write(data)
        elif self._task is not None and not self._early_paused:
            self._early.append(data)
            self._early_bytes += len(data)
            if self._early_bytes > EARLY_INPUT_LIMIT and not self._early_paused and self._chan is not None:
                self._early_paused = True  # the client's window then bounds what else comes meanwhile
                self._chan.pause_reading()

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._size = (width, height)
        if self._explorer is not None:
            self._explorer.resize(width, height)

    def pause_writing(self) -> None:
        self._output_paused = True
        if self._explorer is not None:
            self._explorer.pause_output()

    def resume_writing(self) -> None:
        self._output_paused = False
        if self._explorer is not None:
            self._explorer.resume_output()

    def eof_received(self) -> bool:
        self._end("client-eof")
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._end("client-gone")
        if self._env_timer is not None:
            self._env_timer.cancel()
        self._on_closed()

    # --- ending ----------------------------------------------------------------------------------

    def _end(self, why: str) -> None:
        """End the explorer (its whole process group) for `why`, if it runs and has not ended yet."""
        if self._why is None and self._task is not None:
            self._why = why
            if self._explorer is not None:
                self._explorer.end()

    async def stop(self) -> None:
        """The server is stopping: end this session, tell the client, and wait (bounded) until the
        client has it all: closing the connection before would drop what is still on its way."""
        self._end("server-stop")
        if self._task is not None:
            await asyncio.shield(self._task)
        if self._chan is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._chan.wait_closed(), CLOSE_WAIT)

    def _write(self, data: bytes, stderr: bool = False) -> None:
        if self._chan is None or not data:
            return
        with contextlib.suppress(OSError):  # the channel is closing: nobody left to tell
            self._chan.write(data, asyncssh.EXTENDED_DATA_STDERR if stderr else None)
            self.bytes_out += len(data)

    def _tell(self, line: str) -> None:
        """One line to the client's stderr (on a terminal, it starts a line of its own)."""
        pty = self._chan is not None and self._chan.get_terminal_type() is not None
        self._write((line + ("\r\n" if pty else "\n")).encode(), stderr=True)

    def _exit(self, status: int) -> None:
        if self._chan is not None:
            with contextlib.suppress(OSError):
                self._chan.exit(status)

