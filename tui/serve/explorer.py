"""The explorer a server starts for each remote user: its command line and its environment.

Both servers start one explorer process per session with `--served`, on the database the
server checked as it started (opened read-only, never built or upgraded by a session). The
environment is made afresh, not inherited: nothing of the server's (a keymap variable, a
state file, a proxy's secrets) reaches a session, and of what the client sends only the
terminal's type and its colour wishes are taken, each checked.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

# Passed on from the server's own environment: what Python and the terminal need, and where
# libpq finds a PostgreSQL server's password and settings (never the password itself:
# commands.py puts PGPASSWORD in a password file of the server's own), nothing else.
SERVER_VARS = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "PGPASSFILE", "PGSERVICEFILE",
               "PGSYSCONFDIR", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY")
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
DEFAULT_TERM = "xterm-256color"
COLORTERMS = ("truecolor", "24bit")


def explorer_command(db: str | Path, state: Path, served: str, keymap: Path | None = None) -> list[str]:
    """The command that starts one session's explorer (`served`: "ssh" or "web"); `db` is a
    file's path or a server's URL, which holds no password (`ps` shows the command line)."""
    command = [sys.executable, "-m", "crisis_tui.tui.cli", "--db", str(db), "--state", str(state), "--served", served]
    if keymap is not None:
        command[3:3] = ["--keymap", str(keymap)]
    return command


def terminal_type(term: str | None) -> str:
    """The client's TERM if it is a plausible terminal name, else xterm-256color."""
    return term if term and _TERM.fullmatch(term) else DEFAULT_TERM


def explorer_env(term: str | None, client_env: Mapping[str, str] | None = None,
                 server_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of one session's explorer.

    From the client: TERM (checked), NO_COLOR (set if sent, whatever its value) and COLORTERM
    (truecolor or 24bit only). From the server: SERVER_VARS. MALLOC_ARENA_MAX keeps glibc from
    reserving an arena per thread, which a memory limit per session would count.
    """
    source = os.environ if server_env is None else server_env
    env = {name: source[name] for name in SERVER_VARS if source.get(name)}
    env.setdefault("LANG", "C.UTF-8")
    env["TERM"] = terminal_type(term)
    env["MALLOC_ARENA_MAX"] = "2"
    client = client_env or {}
    if "NO_COLOR" in client:
        env["NO_COLOR"] = "1"
    if client.get("COLORTERM") in COLORTERMS:
        env["COLORTERM"] = client["COLORTERM"]
    return env


def fingerprint(public_key_blob: bytes) -> str:
    """OpenSSH's fingerprint of a public key (its wire blob): `SHA256:` and unpadded base64."""
    digest = hashlib.sha256(public_key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def state_file(folder: Path, key_fingerprint: str) -> Path:
    """The state database (bookmarks, notes, the place left) of the user with this key."""
    digest = key_fingerprint.removeprefix("SHA256:").replace("/", "_").replace("+", "-")
    return folder / f"sha256-{digest}.db"
