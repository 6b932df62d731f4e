"""Explorers forked from one process that has already imported them (multiprocessing's forkserver).

Started afresh, each session's explorer spends ~0.3 s of CPU on Python's start and its
imports (Textual most of all) before its first frame: twenty analysts logging in at once on
2 cores wait over 4 s. The forkserver imports all that once (`warm_preload.py`); a session
is then a fork of it, which runs the same command line (`python -m crisis_tui.tui.cli ...`,
explorer.py) in-process. What makes a session its own is done in the child before the
command runs: a session of its own with the pty as controlling terminal and stdin, stdout
and stderr, default signal actions, the address-space limit, and the environment replaced
by the session's. The forkserver is a fresh Python started by the server (not a fork of it:
no key, socket or thread of the server's is in it).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
import multiprocessing
import os
import resource
import signal
import sys
import termios
from collections.abc import Mapping, Sequence
from multiprocessing import reduction

from .explorer import explorer_env

PRELOAD = "crisis_tui.tui.serve.warm_preload"
CLI_MODULE = "crisis_tui.tui.cli"
# What `ps`, `top` and /proc/PID/comm call a session's explorer (its command line is the
# forkserver's); the server's log gives each session's pid.
SESSION_NAME = "crisis-tui-ssh"


class _PassedFd:
    """A file descriptor handed to the forked child: multiprocessing sends a copy along with the
    start request (as it does for sockets), so the caller may close its own as soon as the
    child is started."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self):
        return _detached, (reduction.DupFd(self.fd),)


def _detached(dup) -> int:
    return dup.detach()


def _text_stream(fd: int, mode: str, errors: str) -> io.TextIOWrapper:
    binary = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedWriter(binary) if mode == "w" else io.BufferedReader(binary)
    return io.TextIOWrapper(buffered, encoding="utf-8", errors=errors, line_buffering=True)


def run_explorer(tty: int, argv: list[str], env: dict[str, str], memory_bytes: int) -> None:
    """In the forked child: become the session (see the module's docstring), then run the command line."""
    os.setsid()
    with contextlib.suppress(OSError):
        with open("/proc/self/comm", "w") as comm:
            comm.write(SESSION_NAME)
    fcntl.ioctl(tty, termios.TIOCSCTTY, 0)
    for std in (0, 1, 2):
        os.dup2(tty, std)
    if tty > 2:
        os.close(tty)
    for number in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["crisis-tui", *argv]
    # Textual's driver reads sys.__stdin__ and writes sys.__stdout__; multiprocessing closed stdin
    for name, fd, mode, errors in (("stdin", 0, "r", "strict"), ("stdout", 1, "w", "strict"),
                                   ("stderr", 2, "w", "backslashreplace")):
        stream = _text_stream(fd, mode, errors)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    from ..cli import main

    main(args=argv, prog_name="crisis-tui")


class WarmExplorer:
    """A forked explorer, as the pty session uses a process: its pid, and `wait()` for its exit."""

    def __init__(self, process) -> None:
        self._process = process
        self._exit: asyncio.Future[int] | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The exit code once the forkserver has reaped the explorer (-N: killed by signal N), else None."""
        return self._process.exitcode

    async def wait(self) -> int:
        """The exit code, as asyncio's processes give it; any number of callers may wait at once."""
        if self._exit is None:
            loop = asyncio.get_running_loop()
            self._exit = loop.create_future()
            loop.add_reader(self._process.sentinel, self._ended)
        return await asyncio.shield(self._exit)

    def _ended(self) -> None:
        asyncio.get_running_loop().remove_reader(self._process.sentinel)
        self._process.join(0)  # the sentinel is ready: the forkserver has reaped it and sent its status
        code = self._process.exitcode
        assert self._exit is not None
        if not self._exit.done():
            self._exit.set_result(code if code is not None else -signal.SIGKILL)


def _ready() -> None:
    """A child that does nothing: started once so that `warm()` returns when the imports are done."""


class Forkserver:
    """The server's forkserver: started (imports done) with `warm()`, then `start()` per session."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload([PRELOAD])
        self._warm = False

    def warm(self, env: Mapping[str, str] | None = None) -> None:
        """Start the forkserver and wait until it has imported the explorer (blocking, ~1 s; once).

        It starts in the environment `env` (default: a session's, explorer.py), not the
        server's: Textual reads its TEXTUAL_* settings as the forkserver imports it, so a
        session gets none of the server's, and TEXTUAL_FPS as tui/cli.py sets it.
        """
        if self._warm:
            return
        started = {**(explorer_env(None) if env is None else env), "TEXTUAL_FPS": "1000"}
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(started)
        try:
            probe = self._context.Process(target=_ready, name="crisis-tui-warm-up", daemon=True)
            probe.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        probe.join(60)
        self._warm = True

    def start(self, tty: int, command: Sequence[str], env: Mapping[str, str], memory_bytes: int) -> WarmExplorer:
        """Fork an explorer on the pty end `tty` running `command` (explorer.py's command line)
        in the environment `env`. It blocks for a few milliseconds (the first call, if the
        server did not warm it, ~1 s)."""
        self.warm()
        argv = list(command)
        with contextlib.suppress(ValueError):
            argv = argv[argv.index(CLI_MODULE) + 1:]
        process = self._context.Process(target=run_explorer, args=(_PassedFd(tty), argv, dict(env), memory_bytes),
                                        name="crisis-tui-session", daemon=True)
        process.start()
        return WarmExplorer(process)


_forkserver: Forkserver | None = None


def forkserver() -> Forkserver:
    """The process's one forkserver (multiprocessing keeps one per process)."""
    global _forkserver
    if _forkserver is None:
        _forkserver = Forkserver()
    return _forkserver
