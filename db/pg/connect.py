"""Connections to a PostgreSQL server, and every way one can fail as one line a user can act on.

A URL's password is never printed: messages name the database by `location.shown()`, and a
driver message that repeats the URL or its password has it masked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import DatabaseError
from ..location import postgres_conninfo, shown

if TYPE_CHECKING:
    import psycopg

CONNECT_SECONDS = 5  # an unreachable server is said to be so after this long, not after minutes
APPLICATION = "crisis-tui"  # as pg_stat_activity shows our sessions
READ_ONLY = "-c default_transaction_read_only=on"
# What a database without crisis-tui's tables is told: the user may only read; a writer builds it.
BUILD_HINT = " (a role that can write builds it with `crisis-tui --db URL build`)"
# No JIT: the planner cannot tell how few rows a bucket of a pane holds, overestimates, and
# compiled a 20 ms read for 150 ms; none of our statements runs long enough to gain from it.
SETTINGS = "-c jit=off"


def _password(url: str) -> str | None:
    """The password a URL holds, if any (to mask it wherever a message repeats it)."""
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(postgres_conninfo(url))
        found = parts.password
    except ValueError:
        return None
    return unquote(found) if found else None


def clean(url: str, text: str) -> str:
    """A driver message on one line, without the URL's password."""
    line = " ".join(str(text).split())
    secret = _password(url)
    if secret:
        line = line.replace(secret, "***")
    return line.replace(url, shown(url))


def _first(exc: BaseException) -> str:
    """The driver's first line of a message (libpq adds hints and context on further lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def connection_problem(url: str, exc: BaseException) -> DatabaseError:
    """One line for a server that could not be reached or refused us."""
    where, text = shown(url), clean(url, _first(exc))
    if "password authentication failed" in text:
        user = re.search(r'user "([^"]*)"', text)
        return DatabaseError(f"{where}: the server refused the password"
                             f"{' of role ' + user.group(1) if user else ''} (check the URL, PGPASSWORD or ~/.pgpass)")
    if "no password supplied" in text or "password is required" in text:
        return DatabaseError(f"{where}: the server asks for a password; give it in the URL, "
                             "PGPASSWORD or ~/.pgpass")
    missing = re.search(r'database "([^"]*)" does not exist', text)
    if missing:
        return DatabaseError(f"{where}: the server has no database {missing.group(1)!r} (make it with "
                             f"`createdb --owner <writing role> {missing.group(1)}`, then `crisis-tui --db URL build`)")
    role = re.search(r'role "([^"]*)" does not exist', text)
    if role:
        return DatabaseError(f"{where}: the server has no role {role.group(1)!r}")
    if any(words in text for words in ("remaining connection slots are reserved", "too many clients already",
                                       "sorry, too many clients")):
        return DatabaseError(f"{where}: the server has no connection left (max_connections reached); try again "
                             "later or ask its administrator for more")
    if "timeout expired" in text:
        return DatabaseError(f"{where}: cannot reach the PostgreSQL server (no answer in {CONNECT_SECONDS} s)")
    if any(word in text for word in ("could not connect", "Connection refused", "could not translate host name",
                                     "No such file or directory", "Network is unreachable", "connection to server")):
        return DatabaseError(f"{where}: cannot reach the PostgreSQL server ({text})")
    if "invalid" in text or "missing" in text or "unexpected" in text:  # a URL libpq cannot read
        return DatabaseError(f"{where}: not a usable PostgreSQL URL ({text})")
    return DatabaseError(f"{where}: cannot connect ({text})")


def connect(url: str, readonly: bool = True, autocommit: bool = True) -> psycopg.Connection:
    """A connection to the database of `url`; read-only ones cannot write even if the role can.

    Autocommit by default: the caller opens the transactions it needs (a read's snapshot, an
    import's one transaction), and an idle connection holds none open.
    """
    import psycopg

    try:
        return psycopg.connect(postgres_conninfo(url), autocommit=autocommit, connect_timeout=CONNECT_SECONDS,
                               application_name=APPLICATION,
                               options=f"{SETTINGS} {READ_ONLY}" if readonly else SETTINGS)
    except psycopg.Error as exc:
        raise connection_problem(url, exc) from None
    except (ValueError, UnicodeError) as exc:  # a URL libpq cannot parse, a NUL in it
        raise DatabaseError(f"{shown(url)}: not a usable PostgreSQL URL ({clean(url, _first(exc))})") from None


def statement_problem(url: str, exc: BaseException, what: str = "") -> DatabaseError:
    """One line for a statement that failed (not a lost connection: `connection_problem`)."""
    import psycopg.errors as e

    where, text = shown(url), clean(url, _first(exc))
    doing = f"{what}: " if what else ""
    if isinstance(exc, e.InsufficientPrivilege | e.ReadOnlySqlTransaction):
        return DatabaseError(f"{where}: {doing}the role cannot write here ({text}); imports and builds need "
                             "a role that can")
    if isinstance(exc, e.UndefinedTable):
        return DatabaseError(f"{where}: not a crisis-tui database ({text}){BUILD_HINT}")
    if isinstance(exc, e.OperationalError | e.InterfaceError) and not isinstance(exc, e.QueryCanceled):
        return DatabaseError(f"{where}: lost the connection to the server ({text})")
    return DatabaseError(f"{where}: {doing}{text}")
