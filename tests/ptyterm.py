"""Runs a command on a real pseudo-terminal and reads its screen with pyte, as a user sees it.

The child gets the pty as its controlling terminal and SIGHUP's default action, and its
process group is killed at the end: Textual 8.2's LinuxDriver spins at 100% CPU when its
input reaches end-of-file without a hangup (Textual PR #6690).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time

import pyte


class PtyTerminal:
    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24, env: dict[str, str] | None = None) -> None:
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        env = {k: v for k, v in (env or os.environ).items() if k not in ("COLUMNS", "LINES")}
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is already its controlling terminal (pty.fork does setsid)
            try:
                signal.signal(signal.SIGHUP, signal.SIG_DFL)
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.exit_code: int | None = None
        self.arrived = 0.0

    def read(self, timeout: float = 0.05) -> bytes:
        """Wait up to `timeout` for output, take all that has come, and feed it into the screen."""
        got = bytearray()
        wait = timeout
        while True:
            ready, _, _ = select.select([self.fd], [], [], wait)
            if not ready:
                break
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.arrived = time.perf_counter()  # when output last came (benchmarks time frames by it)
            got += chunk
            wait = 0.001  # the rest of what is being written, then stop
        if got:
            self.raw += got
            self.stream.feed(bytes(got))
        return bytes(got)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        """Read until `needle` is on the screen; fail with the screen shown if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.05)
            if needle in self.text():
                return self.text()
        raise AssertionError(f"{needle!r} never appeared on the screen:\n{self.text()}")

    def wait_gone(self, needle: str, timeout: float = 15.0) -> str:
        """Read until `needle` is no longer on the screen (a key was taken, not merely sent)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.05)
            if needle not in self.text():
                return self.text()
        raise AssertionError(f"{needle!r} stayed on the screen:\n{self.text()}")

    def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Read until the child has written nothing for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.read(quiet):
            pass

    def send(self, data: str | bytes) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def wait_exit(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
                return self.exit_code
        raise AssertionError("the program did not exit")

    def close(self) -> None:
        if self.exit_code is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        os.close(self.fd)
