"""Where the database lives: `--db`, then `CRISIS_TUI_DB`, then the user's data directory.

The address is kept as a SQLAlchemy URL so that another engine can come later; today
only SQLite URLs are accepted.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "CRISIS_TUI_DB"
APP_NAME = "crisis-tui"


def default_path() -> Path:
    """The default database file in the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "crisis.db"


def database_url(option: str | None = None) -> str:
    """The database URL from the `--db` option, the environment, or the default.

    A path that cannot be a file name (`~nosuchuser/x`, a NUL byte) is a DatabaseError.
    """
    from .errors import DatabaseError

    value = option or os.environ.get(ENV_VAR) or str(default_path())
    if "://" in value:
        return value
    if "\0" in value:
        raise DatabaseError(f"{value!r}: a database path cannot hold a NUL byte")
    try:
        path = Path(value).expanduser()
    except RuntimeError:  # ~user of a user this system does not know
        raise DatabaseError(f"{value}: no home folder for {value.split('/', 1)[0]!r} (no such user?)") from None
    try:
        return "sqlite:///" + str(path.resolve())
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, an unreadable folder
        raise DatabaseError(f"{value}: not a usable path ({exc})") from None


def sqlite_path(url: str) -> Path:
    """The file behind a `sqlite:///` URL."""
    from .errors import DatabaseError

    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix:
        raise DatabaseError(f"{url}: only SQLite database files are supported (sqlite:///PATH)")
    return Path(url[len(prefix):])
