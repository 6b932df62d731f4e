"""A throwaway PostgreSQL cluster for the tests: made in a temporary folder, Unix socket only.

`initdb` refuses to run as root (CI runs as root), so as root the cluster is made and run
by the `postgres` system user through `runuser`. `CRISIS_TUI_TEST_PG=postgresql://...` (a
server's maintenance database, e.g. `postgresql://postgres@/postgres?host=/run/postgresql`)
uses a running server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "CRISIS_TUI_TEST_PG"


@dataclass(frozen=True)
class Server:
    host: str  # a socket folder or a host name
    port: int
    user: str
    password: str | None = None

    def url(self, dbname: str) -> str:
        from urllib.parse import quote

        auth = self.user + (f":{quote(self.password, safe='')}" if self.password else "")
        if self.host.startswith("/"):
            return f"postgresql://{auth}@/{dbname}?host={quote(self.host, safe='/')}&port={self.port}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"


def binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: on PATH, else Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def from_env() -> Server | None:
    """The server CRISIS_TUI_TEST_PG names, if it is set."""
    value = os.environ.get(ENV_VAR)
    if not value:
        return None
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(value)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    return Server(host, port, unquote(parts.username or "postgres"),
                  unquote(parts.password) if parts.password else None)


class Cluster:
    """A cluster of its own in a temporary folder, stopped and removed by `stop()`."""

    def __init__(self) -> None:
        bin_dir = binaries()
        if bin_dir is None:
            raise FileNotFoundError("no PostgreSQL server programs (initdb): install Debian's `postgresql` "
                                    "(scripts/system-deps does) or set CRISIS_TUI_TEST_PG")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="crisis-tui-pg-"))
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = 5432  # one socket file per folder: the port only names it
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        settings = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}' -p {self.port} "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                    "-c shared_buffers=64MB")
        self._run("pg_ctl", "-D", str(self.data), "-o", settings, "-l", str(self.root / "log"), "-w", "start")
        self.server = Server(str(self.root), self.port, "postgres")

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self.bin / program), *args]
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]} {tail}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def wait_ready(server: Server, seconds: float = 10.0) -> None:
    """Wait until the server takes connections."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(server.url("postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


if __name__ == "__main__":  # a cluster to develop against: prints its URL, runs until Ctrl-C
    cluster = Cluster()
    print(cluster.server.url("postgres"), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
