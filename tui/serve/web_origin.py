"""Which browsers `crisis-tui serve web` answers: a check of each request's Origin and Host.

A web page on another site can open a websocket to any address, and a browser attaches the
user's credentials for that address (basic auth, cookies) to it: without a check, any page
the user visits could drive their explorer (cross-site websocket hijacking). A site whose
name is made to resolve to the server's address (DNS rebinding) sends its own name as Host.
So the server answers only:
- a Host naming the address browsers use (`--public-url`) or the address it listens on;
- on the websocket, an Origin that is the page's own: the public URL's origin, or, without
  one, the listen address's (`http://HOST:PORT`; on the loopback address, any of its names
  127.0.0.1, localhost and [::1], which a server listening on every address (0.0.0.0, ::)
  is reached at too). A websocket without an Origin (no browser) is refused.
- Without --public-url, on the loopback address, a loopback name at any port, with the
  Origin of that very Host: the page reached through a tunnel (`ssh -L 9000:127.0.0.1:8000`,
  then http://localhost:9000/). A rebinding site's Host is its own name, and another local
  page's Origin is not the Host it asks, so neither gets in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...db.text import inert

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("", "0.0.0.0", "::")  # listening on every address, the loopback one too
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
REFUSALS_EVERY = 60.0  # seconds between refusal lines in the server's log (the rest are counted)

Origin = tuple[str, str, int]  # scheme, host name (lower case, IPv6 without brackets), port


def parse_origin(text: str) -> Origin | None:
    """`scheme://host[:port]` as an Origin, or None if it is not one (`null`, a path, a bad port)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query \
            or parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def parse_host(text: str) -> tuple[str, int | None] | None:
    """A Host header's name and port (None if it has none), or None if it is not a host."""
    try:
        parts = urlsplit("//" + text.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    return parts.hostname, port


@dataclass(frozen=True)
class Allowed:
    """The origins a websocket may come from and the hosts a request may name."""

    origins: frozenset[Origin]
    hosts: frozenset[tuple[str, int]]
    tunnels: bool = False  # a loopback Host at any port, with its own Origin (see the module's docstring)

    @classmethod
    def for_server(cls, host: str, port: int, public_url: str | None) -> Allowed:
        """What a server listening on `host`:`port`, reached by browsers at `public_url` (if given), allows."""
        names = {host.strip("[]").lower()}
        if names & {*LOOPBACK_NAMES, *WILDCARDS}:
            names |= set(LOOPBACK_NAMES)
        names.discard("")
        listening = {(name, port) for name in names}
        if public_url:
            parts = urlsplit(public_url)
            public = parse_origin(f"{parts.scheme}://{parts.netloc}")
            if public is None or parts.scheme not in ("http", "https"):
                raise ValueError(f"not an http(s) address: {public_url}")
            return cls(frozenset({public}), frozenset({(public[1], public[2]), *listening}))
        return cls(frozenset(("http", name, port) for name in names), frozenset(listening),
                   tunnels=bool(names & set(LOOPBACK_NAMES)))

    def host_ok(self, header: str | None) -> bool:
        """Whether a request's Host names this server (a Host without a port: any of its ports)."""
        host = parse_host(header) if header else None
        if host is not None and self.tunnels and host[0] in LOOPBACK_NAMES:
            return True
        return host is not None and any(host[0] == name and host[1] in (None, port) for name, port in self.hosts)

    def origin_ok(self, header: str | None, host: str | None = None) -> bool:
        """Whether a websocket's Origin is this server's page (reached at `host`, the request's Host)."""
        origin = parse_origin(header) if header is not None else None
        if origin is None:
            return False
        if origin in self.origins:
            return True
        reached = parse_host(host) if host and self.tunnels else None
        return reached is not None and reached[0] in LOOPBACK_NAMES and origin == ("http", reached[0], reached[1] or 80)

    def refusal(self, host: str | None, origin: str | None, websocket: bool) -> str | None:
        """Why a request with these headers is refused (None: it is not). A page request may come
        without an Origin (a browser sends none when the user opens the address)."""
        if not self.host_ok(host):
            shown = "no Host" if host is None else f"Host {inert(host, one_line=True, limit=200)}"
            return f"{shown}: not this server's address"
        if (websocket or origin is not None) and not self.origin_ok(origin, host):
            shown = "no Origin" if origin is None else f"Origin {inert(origin, one_line=True, limit=200)}"
            return f"{shown}: not this server's page"
        return None

    def described(self) -> str:
        """The origins browsers are let in from, for the start-up line and a refused browser."""
        shown = [f"{scheme}://{f'[{name}]' if ':' in name else name}"
                 f"{'' if DEFAULT_PORTS[scheme] == port else f':{port}'}" for scheme, name, port in self.origins]
        tunnels = "; through a tunnel, the same names at any port" if self.tunnels else ""
        return ", ".join(sorted(shown)) + tunnels


class RefusalLog:
    """Says a refusal in the log at most once every REFUSALS_EVERY seconds, with how many were
    refused since the last line (a hostile page can send thousands)."""

    def __init__(self, every: float = REFUSALS_EVERY) -> None:
        self.every = every
        self.unsaid = 0
        self.last: float | None = None

    def line(self, reason: str, remote: str) -> str | None:
        """The log line for this refusal, or None if one was said too recently."""
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every:
            self.unsaid += 1
            return None
        more = f" ({self.unsaid} more refused since the last such line)" if self.unsaid else ""
        self.last, self.unsaid = now, 0
        return f"refused a request from {inert(remote, one_line=True)}: {reason}{more}"
