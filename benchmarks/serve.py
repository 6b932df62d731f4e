"""Benchmark of `crisis-tui serve ssh`: first frame over SSH against local, many sessions, idle traffic.

    python benchmarks/serve.py --db benchmarks/out/synthetic-1000000.db --runs 7 --sessions 20 --idle 60

Starts the server on a free loopback port with a fresh key pair, then measures, each with the
system OpenSSH client on a real pseudo-terminal (80x24) read with pyte:
  - first frame: from spawning `ssh -tt` to the first event's name on the screen, against the
    same explorer started locally (the command the server runs, `--served ssh`), turns taken;
  - --sessions clients started at once, then 0.1 s apart: each one's time to its first frame, and each
    session's explorer's memory once all are up: RSS, and PSS (its share of the pages the
    forked sessions hold in common);
  - one session left idle for --idle seconds after its first frame: the bytes the client
    received meanwhile (the session's data; SSH keepalives are not session data).
Not a test: compare numbers measured in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis_tui.db.queries import KnowledgeBase  # noqa: E402
from crisis_tui.tui.serve.explorer import explorer_command  # noqa: E402
from crisis_tui.tui.serve.warm import SESSION_NAME  # noqa: E402
from tests.ptyterm import PtyTerminal  # noqa: E402

CLI = str(Path(sys.executable).parent / "crisis-tui")
ENV = {**os.environ, "TERM": "xterm-256color"}


def first_name(db: Path) -> str:
    kb = KnowledgeBase("sqlite:///" + str(db))
    try:
        return kb.page("event", 0, 1)[0].name[:14]
    finally:
        kb.close()


def until_shown(t: PtyTerminal, needle: str, start: float, timeout: float = 60.0) -> float:
    """Seconds from `start` to the arrival of the output that put `needle` on the screen."""
    while time.perf_counter() - start < timeout:
        t.read(0.02)
        if needle in t.text():
            return t.arrived - start
    raise TimeoutError(f"{needle!r} not shown in {timeout}s:\n{t.text()}")


class Server:
    """`crisis-tui serve ssh` on a free loopback port, with a client key of its own."""

    def __init__(self, db: Path, folder: Path, max_sessions: int) -> None:
        self.key = folder / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)], check=True)
        (folder / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text())
        self.log = open(folder / "server.log", "w+")  # noqa: SIM115 (read as the server writes it)
        self.proc = subprocess.Popen(
            [CLI, "--db", str(db), "serve", "ssh", "--port", "0", "--authorized-keys", str(folder / "authorized_keys"),
             "--host-key", str(folder / "host_key"), "--state-dir", str(folder / "state"),
             "--max-sessions", str(max_sessions), "--max-sessions-per-key", str(max_sessions)],
            stderr=self.log, stdout=subprocess.DEVNULL)
        self.port = self._port()

    def _port(self) -> int:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            self.log.seek(0)
            found = re.search(r"on 127\.0\.0\.1:(\d+)", self.log.read())
            if found:
                return int(found.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError("the server stopped:\n" + self.log.read())
            time.sleep(0.1)
        raise TimeoutError("the server never said where it listens")

    def client(self, source: int = 0) -> list[str]:
        """The ssh command of a client; `source` picks its loopback address (127.0.0.10 + source), as
        clients come from several machines (the server lets at most 10 log in at once from one)."""
        return ["ssh", "-tt", "-b", f"127.0.0.{10 + source}", "-F", "/dev/null", "-i", str(self.key),
                "-o", "IdentitiesOnly=yes",
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-p", str(self.port), "analyst@127.0.0.1"]

    def explorers(self) -> list[int]:
        """The pids of the sessions' explorers (forked by the server's forkserver, named SESSION_NAME)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == SESSION_NAME:
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process, in MB: PSS shares the pages forked sessions hold in common
    (Python and the imports of the forkserver) between them, so it is what one more costs."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]  # (the first names the range)
    fields = dict(line.split(":", 1) for line in lines)
    return int(fields["Rss"].split()[0]) / 1024, int(fields["Pss"].split()[0]) / 1024


def first_frames(server: Server, db: Path, folder: Path, name: str, runs: int) -> tuple[list[float], list[float]]:
    local_cmd = explorer_command(db, folder / "local-state.db", "ssh")
    local, remote = [], []
    for _ in range(runs):
        for argv, got in ((local_cmd, local), (server.client(), remote)):
            start = time.perf_counter()
            t = PtyTerminal(argv, 80, 24, ENV)
            try:
                got.append(until_shown(t, name, start))
            finally:
                t.close()
            time.sleep(0.5)  # the session's end (its process group ended) is not in the next one's way
    return local, remote


def many(server: Server, name: str, n: int, spacing: float = 0.0) -> tuple[list[float], list[tuple[float, float]]]:
    """`n` clients, started `spacing` seconds apart: each one's seconds from its start to its
    first frame, and the explorers' memory once all are up. The harness waits in select() and
    parses only what arrives (a busy loop here would take a core from the server)."""
    terms: list[PtyTerminal] = []
    started: list[float] = []
    times: dict[int, float] = {}
    deadline = time.perf_counter() + 120 + n * spacing
    try:
        while time.perf_counter() < deadline and len(times) < n:
            if len(terms) < n and time.perf_counter() >= (started[-1] + spacing if started else 0):
                started.append(time.perf_counter())
                terms.append(PtyTerminal(server.client(len(terms) % 4), 80, 24, ENV))
                continue
            waiting = {t.fd: i for i, t in enumerate(terms) if i not in times}
            ready, _, _ = select.select(list(waiting), [], [], 0.01)
            for fd in ready:
                i = waiting[fd]
                terms[i].read(0)
                if name in terms[i].text():
                    times[i] = terms[i].arrived - started[i]
        time.sleep(2)  # settled: what each holds once up, not mid-start
        memory = [memory_mb(pid) for pid in server.explorers()]
    finally:
        for t in terms:
            t.close()
    return list(times.values()), memory


def idle_bytes(server: Server, name: str, seconds: float) -> int:
    t = PtyTerminal(server.client(), 80, 24, ENV)
    try:
        until_shown(t, name, time.perf_counter())
        t.settle(2.0)  # the first frame's last bytes (and the state's read after it)
        before = len(t.raw)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            t.read(0.5)
        return len(t.raw) - before
    finally:
        t.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    name = first_name(args.db)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = Server(args.db.resolve(), folder, max_sessions=max(args.sessions, 1))
        try:
            local, remote = first_frames(server, args.db.resolve(), folder, name, args.runs)
            lm, rm = statistics.median(local), statistics.median(remote)
            for label, got, median in (("local explorer", local, lm), ("over SSH", remote, rm)):
                each = ", ".join(f"{x * 1000:.0f}" for x in got)
                print(f"first frame, {label}: median {median * 1000:.0f} ms ({each})")
            print(f"ratio SSH / local: {rm / lm:.2f}")
            time.sleep(2)
            for spacing in (0.0, 0.1):
                times, memory = many(server, name, args.sessions, spacing)
                print(f"{args.sessions} sessions started {spacing:.1f} s apart: {len(times)} reached their first "
                      f"frame, each {min(times):.2f}-{max(times):.2f} s after its start "
                      f"(median {statistics.median(times):.2f})")
                if memory:
                    rss = [m[0] for m in memory]
                    pss = [m[1] for m in memory]
                    print(f"  {len(memory)} explorers: RSS {min(rss):.1f}-{max(rss):.1f} MB, "
                          f"PSS {min(pss):.1f}-{max(pss):.1f} MB")
                time.sleep(3)
            time.sleep(5)
            print(f"bytes received by an idle session in {args.idle:.0f} s: {idle_bytes(server, name, args.idle)}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
