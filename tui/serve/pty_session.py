"""One explorer on a pseudo-terminal of its own: started, fed, resized and ended.

The explorer is forked from the server's forkserver (warm.py), which makes the pty its
controlling terminal in a session of its own, with SIGHUP's default action restored and
its address space capped; COLUMNS and LINES never reach it (the caller builds its
environment). Textual's LinuxDriver spins at 100% CPU when its input
reaches end-of-file without a hang-up (../shared/TECH-NOTES.md), so the end is always a
SIGHUP to the child's whole process group, then SIGKILL (the forkserver reaps it).

Nothing here blocks: output is read when the pty has some (and not while the reader is
paused), input is written as far as the pty takes it and the rest kept until it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import termios
from collections.abc import Callable, Mapping, Sequence

from .options import MAX_COLUMNS, MAX_ROWS
from .warm import WarmExplorer, forkserver

DEFAULT_SIZE = (80, 24)
READ_CHUNK = 65536
INPUT_HIGH_WATER = 64 * 1024  # input kept for the pty beyond this: ask the sender to pause
HANG_UP_GRACE = 1.0  # seconds between SIGHUP and SIGKILL
OUTPUT_DRAIN = 1.0  # seconds to wait, after the explorer exits, for the last of its output

# What Textual turns on and gives back as it stops (alternate screen, hidden cursor, mouse,
# focus reports, bracketed paste, the Kitty keyboard protocol): sent to the client when the
# explorer was killed before it could restore the terminal itself.
TERMINAL_RESTORE = (b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l\x1b[?2004l\x1b[?7h"
                    b"\x1b[?2048l\x1b[<u\x1b[?1049l\x1b[?25h\x1b[?1004l")


def clamped_size(columns: int, rows: int) -> tuple[int, int]:
    """A client's terminal size as the explorer gets it: 80x24 for an unknown (zero) size,
    at most MAX_COLUMNS x MAX_ROWS."""
    if columns <= 0 or rows <= 0:
        return DEFAULT_SIZE
    return min(columns, MAX_COLUMNS), min(rows, MAX_ROWS)


def exit_status(returncode: int) -> int:
    """A process's return code as a shell reports it (128 + N for signal N)."""
    return 128 - returncode if returncode < 0 else returncode


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _group_lives(group: int) -> bool:
    """Whether any live process (a zombie is dead already) is in process group `group` (read from /proc)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != b"Z":
                return True
    return False


class ExplorerPty:
    """An explorer process on a pty; its output goes to `on_output`, `on_input_full(True/False)`
    says when input should stop and start again coming."""

    def __init__(self, process: WarmExplorer, master: int, on_output: Callable[[bytes], None],
                 on_input_full: Callable[[bool], None]) -> None:
        self._process = process
        self._master = master
        self._on_output = on_output
        self._on_input_full = on_input_full
        self._loop = asyncio.get_running_loop()
        self._pending = bytearray()  # input the pty has not taken yet
        self._input_full = False
        self._reading = False
        self._output_ended = asyncio.Event()
        self._closed = False
        self._ending: asyncio.Task[int] | None = None
        self.bytes_out = 0
        self.resume_output()

    @classmethod
    async def start(cls, command: Sequence[str], env: Mapping[str, str], size: tuple[int, int], memory_limit_mb: int,
                    on_output: Callable[[bytes], None], on_input_full: Callable[[bool], None]) -> ExplorerPty:
        """Open a pty sized `size` (columns, rows; clamped) and start `command` on it, forked
        from the server's forkserver (warm.py: it does the session's setup in the child)."""
        master, slave = os.openpty()
        try:
            _set_size(slave, *clamped_size(*size))
            os.set_blocking(master, False)
            # a few milliseconds on the loop; from a thread it would race multiprocessing's reaping
            process = forkserver().start(slave, command, env, memory_limit_mb * 1024 * 1024)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)  # the child's now: the pty reads as ended once the child's copies close
        return cls(process, master, on_output, on_input_full)

    @property
    def pid(self) -> int:
        return self._process.pid

    # --- output: pty -> client -------------------------------------------------------------

    def pause_output(self) -> None:
        """Stop reading the pty (the client's side is full): the explorer's writes then wait."""
        if self._reading:
            self._loop.remove_reader(self._master)
            self._reading = False

    def resume_output(self) -> None:
        if not self._reading and not self._closed and not self._output_ended.is_set():
            self._loop.add_reader(self._master, self._read)
            self._reading = True

    def _read(self) -> None:
        try:
            data = os.read(self._master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every copy of the pty's other end is closed
            data = b""
        if not data:
            self.pause_output()
            self._output_ended.set()
            return
        self.bytes_out += len(data)
        self._on_output(data)

    # --- input: client -> pty ---------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Give the explorer `data` as typed input, without ever blocking."""
        if self._closed or not data:
            return
        if self._pending:
            self._pending += data
        else:
            written = self._write_some(data)
            if written < len(data):
                self._pending += data[written:]
                self._loop.add_writer(self._master, self._flush)
        self._set_input_full(len(self._pending) > INPUT_HIGH_WATER)

    def _write_some(self, data: bytes | bytearray) -> int:
        try:
            return os.write(self._master, data)
        except BlockingIOError:
            return 0
        except OSError:  # the explorer is gone: what it did not take is dropped
            return len(data)

    def _flush(self) -> None:
        del self._pending[:self._write_some(self._pending)]
        if not self._pending:
            self._loop.remove_writer(self._master)
        self._set_input_full(len(self._pending) > INPUT_HIGH_WATER)

    def _set_input_full(self, full: bool) -> None:
        if full != self._input_full:
            self._input_full = full
            self._on_input_full(full)

    # --- size, exit and end -------------------------------------------------------------------

    def resize(self, columns: int, rows: int) -> None:
        """The client's window changed: the explorer gets SIGWINCH and redraws at the clamped size."""
        if not self._closed:
            with contextlib.suppress(OSError):
                _set_size(self._master, *clamped_size(columns, rows))

    async def wait(self) -> int:
        """Wait for the explorer to exit; its exit status (128 + N when killed by signal N)."""
        return exit_status(await self._process.wait())

    async def drain_output(self, timeout: float = OUTPUT_DRAIN) -> None:
        """After the explorer exits: wait (bounded) until what it wrote last has been read."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._output_ended.wait(), timeout)

    def end(self) -> asyncio.Task[int]:
        """End the session's whole process group (SIGHUP, then SIGKILL after HANG_UP_GRACE),
        reap the explorer and close the pty; the explorer's exit status. Safe to call again."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        return self._ending

    async def _end(self) -> int:
        group = self._process.pid  # the explorer leads its own session and group (warm.run_explorer)
        self._signal_group(group, signal.SIGHUP)
        try:
            await asyncio.wait_for(asyncio.shield(self._process.wait()), HANG_UP_GRACE)
        except TimeoutError:
            pass
        else:
            await asyncio.sleep(0.05)  # a child of its own a moment to die of the hang-up too
        # SIGKILL to whatever is left of the group, the explorer included. Once the explorer is
        # reaped, its number names our group only while a member of the group lives (the kernel
        # does not reuse it till then): with none left, nothing is sent.
        if self._process.returncode is None or _group_lives(group):
            self._signal_group(group, signal.SIGKILL)
        status = await self.wait()
        self._close()
        return status

    @staticmethod
    def _signal_group(group: int, number: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, number)

    def _close(self) -> None:
        if self._closed:
            return
        self.pause_output()
        if self._pending:
            self._loop.remove_writer(self._master)
            self._pending.clear()
        self._closed = True
        os.close(self._master)
