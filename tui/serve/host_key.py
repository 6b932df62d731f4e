"""The server's host key: read, or made once (ed25519, mode 0600) and never overwritten.

A new key is written whole to a temporary file beside it, then linked into place (which, unlike
a rename, fails if a key appeared there meanwhile: nobody's key is replaced). Its public half
is written beside it (FILE.pub), for clients' known_hosts. Like sshd, an existing key that
another user owns, or that group or others can read, is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from ...db.errors import CrisisError
from ...db.text import inert

if TYPE_CHECKING:
    import asyncssh

ALGORITHM = "ssh-ed25519"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` whole, or not at all; FileExistsError if `path` exists."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _make(path: Path) -> asyncssh.SSHKey:
    import asyncssh

    key = asyncssh.generate_private_key(ALGORITHM, comment="crisis-tui host key")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_new(path, key.export_private_key("openssh"), 0o600)
    with contextlib.suppress(OSError):  # the public half is a convenience: the key works without it
        public = path.with_name(path.name + ".pub")
        public.unlink(missing_ok=True)
        _write_new(public, key.export_public_key("openssh"), 0o644)
    return key


def load_or_make_host_key(path: Path) -> asyncssh.SSHKey:
    """The host key in `path`, made there first if there is none. Problems: one-line CrisisError."""
    import asyncssh

    where = inert(str(path), one_line=True)
    try:
        if not path.exists():
            try:
                return _make(path)
            except FileExistsError:
                pass  # another server made it meanwhile: use that one
        status = os.stat(path)
        if status.st_uid != os.geteuid():
            raise CrisisError(f"{where}: host key is owned by another user (uid {status.st_uid}); "
                              "it must be the server's own")
        mode = stat.S_IMODE(status.st_mode)
        if mode & 0o077:
            raise CrisisError(f"{where}: host key is readable by others (mode {mode:04o}); chmod 600 it")
        return asyncssh.read_private_key(path)
    except OSError as exc:
        raise CrisisError(f"{where}: cannot read or make the host key: {exc.strerror or exc}") from None
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise CrisisError(f"{where}: not a private key this server can use ({inert(str(exc), one_line=True)})"
                          ) from None


def host_key_line(key: asyncssh.SSHKey, path: Path) -> str:
    """What the server says of its key as it starts: its fingerprint, type and file."""
    return f"host key {key.get_fingerprint('sha256')} ({key.get_algorithm()}) in " \
           f"{inert(str(path), one_line=True)}"
