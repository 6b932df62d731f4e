"""`crisis-tui serve web`: the explorer in a browser, with textual-serve (web_server.py).

Each browser session gets its own explorer, whose bookmarks and notes last for the session
only (a web session has no user of its own): they go in a folder the server makes as it
starts and removes as it stops. The server has no login of its own: it listens on the
loopback address unless told otherwise, and then warns that it must sit behind a reverse
proxy that authenticates its users.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import shutil
import socket
import tempfile
from pathlib import Path

from ...db.errors import CrisisError
from ...db.text import inert
from .options import WebOptions
from .web_command import TOOLS
from .web_origin import Allowed

PROXY = "put it behind a reverse proxy that authenticates them (--public-url: the address they use)"


def run_web_server(options: WebOptions) -> None:
    """Serve until Ctrl+C or SIGTERM, which end every session; CrisisError if it cannot listen."""
    from ..keymap import load_keymap

    load_keymap(options.keymap)  # a broken keymap stops here, not in every session
    try:
        allowed = Allowed.for_server(options.host, options.port, options.public_url)
    except ValueError:
        raise CrisisError(f"--public-url {inert(options.public_url or '', one_line=True)}: not an http:// or "
                          "https:// address") from None
    if missing := [tool for tool in TOOLS if shutil.which(tool) is None]:
        raise CrisisError(f"{' and '.join(missing)} not found on PATH: each session's explorer is started with them "
                          "(install util-linux)")
    check_can_listen(options.host, options.port)
    from .web_server import ExplorerServer  # aiohttp and textual-serve: only once the address is known to be free

    note = proxy_note(options.host)
    folder = Path(tempfile.mkdtemp(prefix="crisis-tui-web-"))
    try:
        server = ExplorerServer(options, folder, public_url(options), note, allowed)
        try:
            server.serve()
        except OSError as error:  # taken between the check and the start
            raise CrisisError(f"cannot listen on {where(options)}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def proxy_note(host: str) -> str:
    """The start-up line on logins: a warning when the server listens beyond the loopback address."""
    if is_loopback(host):
        return f"the server has no login of its own: to let others in, {PROXY}"
    return (f"warning: listening on {inert(host, one_line=True)} with no login of its own: anyone who reaches "
            f"the port gets the explorer; {PROXY}")


def public_url(options: WebOptions) -> str:
    """The address browsers reach the server at (no trailing slash)."""
    if options.public_url:
        return options.public_url.rstrip("/")
    return f"http://{where(options)}"


def where(options: WebOptions) -> str:
    host = options.host
    return f"[{host}]:{options.port}" if ":" in host else f"{host}:{options.port}"


def is_loopback(host: str) -> bool:
    """Whether every address `host` names is this machine's loopback."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def check_can_listen(host: str, port: int) -> None:
    """CrisisError (one line) if `host` does not resolve or `port` is taken on one of its addresses.
    Binds as aiohttp will (SO_REUSEADDR), then lets go."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as error:
        raise CrisisError(f"cannot listen on {inert(host, one_line=True)}: {error.strerror or error}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                with contextlib.suppress(OSError):
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as error:
                shown = f"[{address[0]}]:{port}" if family == socket.AF_INET6 else f"{address[0]}:{port}"
                why = "the port is in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
                raise CrisisError(f"cannot listen on {shown}: {why}") from None
