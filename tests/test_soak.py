"""A working hour in small: the real explorer left idle on a pty past its longest timer, then used.

The app once crashed 31 s after every launch (a 30 s interval that no test let fire). This
test leaves it alone for longer than any timer it sets, in a 16-colour terminal with
NO_COLOR (where it also once drew black on black), then uses it and quits: it must answer
every key and exit 0, having printed no traceback and spent the idle time idle.
"""

from __future__ import annotations

import os
import time

from crisis_tui.tui import app as app_module

from .conftest import CLI
from .ptyterm import PtyTerminal

LONGEST_TIMER = app_module.COLLECT_EVERY * 30  # the full collection (tui/app.py)
IDLE = max(80.0, LONGEST_TIMER * 2.5)  # seconds: every timer fires at least twice
ENTER, ESC = "\r", "\x1b"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_past_every_timer_then_used(bundled_db):
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM",)}
    env.update(TERM="xterm", NO_COLOR="1")
    t = PtyTerminal([CLI, "--db", str(bundled_db)], env=env)
    try:
        t.wait_for("1965 war between India and Pakistan")
        t.settle(0.5)
        screen = t.text()
        cpu_before = cpu_seconds(t.pid)
        deadline = time.monotonic() + IDLE
        while time.monotonic() < deadline:
            t.read(0.5)
            pid, _ = os.waitpid(t.pid, os.WNOHANG)
            assert pid == 0, f"the explorer ended while idle:\n{bytes(t.raw[-2000:]).decode(errors='replace')}"
        idle_cpu = cpu_seconds(t.pid) - cpu_before
        assert t.text() == screen, "the screen changed while nobody touched it"
        # A busy loop (Textual's driver spinning on a pty) would spend the whole idle time;
        # the collector and the database watch take well under a second of it.
        assert idle_cpu < IDLE / 4, f"{idle_cpu:.1f} s of CPU in {IDLE:.0f} s of idling"

        t.send("/")
        t.wait_for("Search events, actors")
        t.send("lavrov jaishankar")
        t.wait_for("alias: Lavrov Jaisha")
        t.send(ENTER)
        t.wait_for("invokes: Simla Agreement")
        t.send(ENTER)
        t.wait_for("Lavrov–Jaishankar talks > Simla Agreement")
        t.send("b")
        t.wait_for("[b:- f:1]")
        t.send("2")
        t.wait_for("2 Actors")
        t.send("?")
        t.wait_for("Help - Esc closes")
        t.send(ESC)
        t.settle(0.3)
        t.send("q")
        assert t.wait_exit() == 0
        assert b"Traceback" not in t.raw and b"Error" not in t.raw, bytes(t.raw[-2000:]).decode(errors="replace")
    finally:
        t.close()
