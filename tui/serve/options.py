"""What `crisis-tui serve ssh` and `serve web` were told: the servers' settings, checked by the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# A client's terminal size is clamped to this (a 10,000-column request would have every
# frame drawn that wide); the explorer itself says when a terminal is too small.
MAX_COLUMNS = 500
MAX_ROWS = 200


@dataclass(frozen=True)
class SshOptions:
    db: str  # the knowledge base (a file's path, or a server's URL without its password), checked first
    host: str
    port: int
    authorized_keys: Path
    host_key: Path
    state_dir: Path  # a state database per key fingerprint (bookmarks, notes, the place left)
    max_sessions: int
    login_timeout: float  # seconds to authenticate before the connection is dropped
    keepalive: float  # seconds between keepalives (0: none); 3 unanswered end the connection
    memory_limit_mb: int  # address space of each session's explorer
    keymap: Path | None = None
    max_sessions_per_key: int = 5  # connections (each at most one session) one key may have at once


@dataclass(frozen=True)
class WebOptions:
    db: str
    host: str
    port: int
    max_sessions: int
    public_url: str | None  # the address browsers reach it at, behind a reverse proxy
    memory_limit_mb: int
    keymap: Path | None = None
