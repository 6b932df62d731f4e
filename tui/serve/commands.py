"""`crisis-tui serve ssh` and `crisis-tui serve web`: the explorer for remote users.

The database is made ready here, once, before anyone is let in: the bundled one is built on
first launch and an outdated one upgraded, as the explorer does (a PostgreSQL one is only
checked: never built or upgraded here); each session then opens it read-only. Network
libraries are imported only when a server starts.
"""

from __future__ import annotations

from pathlib import Path

import click

from ...db.location import APP_NAME, is_postgres, sqlite_path
from .options import SshOptions, WebOptions

DEFAULT_MAX_SESSIONS = 20
DEFAULT_SESSIONS_PER_KEY = 5
DEFAULT_MEMORY_MB = 512  # an explorer at 1M events: ~190 MB of address space, ~52 MB resident


def _ready_database(obj) -> str:
    """The knowledge base every session will read (`--db` of its explorer: a file's path, or a
    server's URL without its password), built or upgraded now if it must be (a SQLite file)."""
    kb = obj.knowledge_base()
    kb.close()
    if not is_postgres(obj.url):
        return str(sqlite_path(obj.url))
    _password_for_sessions()
    return obj.url  # without its password (tui/cli.py moved it to PGPASSWORD): argv is seen by `ps`


def _password_for_sessions() -> None:
    """The server's PostgreSQL password (PGPASSWORD, from the environment or the URL) put in a
    password file of its own (mode 0600, removed as the server exits) that sessions are given as
    PGPASSFILE: no session's command line or environment then holds the password."""
    import atexit
    import os
    import shutil
    import tempfile

    password = os.environ.get("PGPASSWORD")
    if not password:  # ~/.pgpass (HOME is passed on), PGPASSFILE or PGSERVICEFILE: sessions read the same
        return
    folder = tempfile.mkdtemp(prefix="crisis-tui-serve-")  # mode 0700
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "pgpass")
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(f"*:*:*:*:{escaped}\n")
    os.environ["PGPASSFILE"] = path


def _user_path(kind: str, *parts: str) -> Path:
    import platformdirs

    base = {"data": platformdirs.user_data_path, "state": platformdirs.user_state_path}[kind]
    return base(APP_NAME, appauthor=False).joinpath(*parts)


@click.group()
def serve() -> None:
    """Serve the explorer to other people: over SSH (`serve ssh`) or in a browser (`serve web`)."""


@serve.command("ssh")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=2222, show_default=True,
              help="Port to listen on (0: any free one; the one taken is printed).")
@click.option("--authorized-keys", "authorized_keys", required=True, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="OpenSSH authorized_keys file: the public keys let in (read again when it changes).")
@click.option("--host-key", "host_key", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="The server's private host key; made (ed25519, mode 0600) if missing "
                   "(default: ssh_host_ed25519_key in the user data directory).")
@click.option("--state-dir", "state_dir", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Where each key's bookmarks, notes and place are kept (default: served/ in the user state "
                   "directory).")
@click.option("--max-sessions", type=click.IntRange(1, 1000), default=DEFAULT_MAX_SESSIONS, show_default=True,
              help="Sessions at once; one more is told the server is full.")
@click.option("--max-sessions-per-key", type=click.IntRange(1, 1000), default=DEFAULT_SESSIONS_PER_KEY,
              show_default=True, help="Sessions (connections) one key may have at once.")
@click.option("--login-timeout", type=click.FloatRange(1, 600), default=30, show_default=True,
              help="Seconds a connection has to authenticate.")
@click.option("--keepalive", type=click.FloatRange(0, 3600), default=30, show_default=True,
              help="Seconds between keepalives (0: none); three unanswered drop the connection.")
@click.option("--memory-limit", "memory_limit_mb", type=click.IntRange(128, 1 << 20), default=DEFAULT_MEMORY_MB,
              show_default=True, metavar="MB", help="Address space each session's explorer may use.")
@click.pass_obj
def serve_ssh(obj, host: str, port: int, authorized_keys: Path, host_key: Path | None, state_dir: Path | None,
              max_sessions: int, max_sessions_per_key: int, login_timeout: float, keepalive: float,
              memory_limit_mb: int) -> None:
    """Serve the explorer over SSH: each key in FILE gets its own explorer, and nothing else
    (no shell, commands, file transfer or forwarding)."""
    from .ssh_server import run_ssh_server

    options = SshOptions(
        db=_ready_database(obj), host=host, port=port, authorized_keys=authorized_keys,
        host_key=host_key or _user_path("data", "ssh_host_ed25519_key"),
        state_dir=state_dir or _user_path("state", "served"), max_sessions=max_sessions,
        login_timeout=login_timeout, keepalive=keepalive, memory_limit_mb=memory_limit_mb, keymap=obj.keymap,
        max_sessions_per_key=max_sessions_per_key)
    run_ssh_server(options)


@serve.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. It has no login of its own: put it behind an authenticating proxy.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--public-url", metavar="URL",
              help="The address browsers reach it at, when a reverse proxy stands in front (https://...).")
@click.option("--max-sessions", type=click.IntRange(1, 1000), default=DEFAULT_MAX_SESSIONS, show_default=True,
              help="Browser sessions at once; one more is told the server is full.")
@click.option("--memory-limit", "memory_limit_mb", type=click.IntRange(128, 1 << 20), default=DEFAULT_MEMORY_MB,
              show_default=True, metavar="MB", help="Address space each session's explorer may use.")
@click.pass_obj
def serve_web(obj, host: str, port: int, public_url: str | None, max_sessions: int, memory_limit_mb: int) -> None:
    """Serve the explorer in a browser (works offline: nothing is fetched from elsewhere)."""
    from .web import run_web_server

    options = WebOptions(db=_ready_database(obj), host=host, port=port, max_sessions=max_sessions,
                         public_url=public_url, memory_limit_mb=memory_limit_mb, keymap=obj.keymap)
    run_web_server(options)
