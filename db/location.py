"""Where the database lives: `--db`, then `CRISIS_TUI_DB`, then the user's data directory.

The address is a SQLAlchemy-style URL, and its scheme chooses the engine: `sqlite:///PATH`
(a plain path becomes one) or `postgresql://[user[:password]@]host[:port]/dbname` (also
`postgres://` and `postgresql+psycopg://`), a team's shared server. A URL is never printed
with its password: `shown()` masks it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ENV_VAR = "CRISIS_TUI_DB"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
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
        if not (value.startswith("sqlite:///") or is_postgres(value)):
            raise DatabaseError(f"{shown(value)}: not a database crisis-tui can use "
                                "(a file path, sqlite:///PATH or postgresql://user@host/dbname)")
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
        raise DatabaseError(f"{shown(url)}: not a SQLite database file (sqlite:///PATH)")
    return Path(url[len(prefix):])


def is_postgres(url: str) -> bool:
    """Whether `url` names a PostgreSQL database."""
    return url.startswith(POSTGRES_SCHEMES)


def engine_of(url: str) -> str:
    """`sqlite` or `postgresql`: the engine a URL names."""
    return "postgresql" if is_postgres(url) else "sqlite"


def postgres_conninfo(url: str) -> str:
    """The URL as libpq takes it (`postgresql://...`): the scheme's driver part dropped."""
    for scheme in POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme):]
    return url


_PASSWORD_PARAM = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def shown(url: str) -> str:
    """A URL as it may be printed: any password (in the user part or a `password=` parameter) masked."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = min((at for at in (rest.find("/"), rest.find("?"), rest.find("#")) if at >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = userinfo.split(":", 1)[0] + ":***@" + host
    return f"{scheme}://{netloc}{_PASSWORD_PARAM.sub(lambda m: m.group(1) + '***', tail)}"


def split_password(url: str) -> tuple[str, str | None]:
    """A PostgreSQL URL without its password (in the user part or a `password=` parameter), and
    that password (None if it holds none), so that it can go to libpq by the environment
    (PGPASSWORD) rather than be carried, and maybe printed, with the URL. The scheme is made
    `postgresql://`; any other URL is given back as it is."""
    from urllib.parse import unquote

    if not is_postgres(url):
        return url, None
    rest = postgres_conninfo(url)[len("postgresql://"):]
    cut = min((at for at in (rest.find("/"), rest.find("?"), rest.find("#")) if at >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    password = None
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            user, password = userinfo.split(":", 1)
            password = unquote(password)
            netloc = f"{user}@{host}"
    path, sep, query = tail.partition("?")
    if sep:
        kept = []
        for part in query.split("&"):
            if part.lower().startswith("password="):
                password = unquote(part.split("=", 1)[1])
            elif part:
                kept.append(part)
        tail = path + ("?" + "&".join(kept) if kept else "")
    return f"postgresql://{netloc}{tail}", password
