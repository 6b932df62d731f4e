"""The public keys let in: an OpenSSH authorized_keys file, read again whenever it changes.

Each line is `[options] type base64 [comment]`. This server honours no options (from=,
command=, restrict, ...): rather than widen what a line meant, a line with options is
skipped and said so, as is a line that is not a public key (certificates included).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...db.errors import CrisisError
from ...db.text import inert
from .explorer import fingerprint


@dataclass(frozen=True, slots=True)
class AllowedKey:
    fingerprint: str  # SHA256:..., as `ssh-keygen -lf` shows it
    algorithm: str
    comment: str  # as the file has it (shown inert in logs)


@dataclass(frozen=True, slots=True)
class KeySet:
    keys: dict[bytes, AllowedKey]  # by the key's wire blob
    skipped: tuple[str, ...]  # a line each: which line of the file was skipped, and why


def _split_options(line: str) -> tuple[str, str]:
    """(options, the rest) of an authorized_keys line: options end at the first space outside quotes."""
    quoted = escaped = False
    for at, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            return line[:at], line[at:].strip()
    return line, ""


def parse_authorized_keys(text: str, where: str) -> KeySet:
    """The keys of an authorized_keys file's text (`where` names it in the skipped lines)."""
    import asyncssh

    keys: dict[bytes, AllowedKey] = {}
    skipped: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        first = line.split(None, 1)[0]
        if not first.startswith(("ssh-", "ecdsa-", "sk-")):
            options, _ = _split_options(line)
            skipped.append(f"{where} line {number}: options ({inert(options, one_line=True, limit=60)}) are not "
                           "supported by this server; key skipped")
            continue
        try:
            key = asyncssh.import_public_key(line)
        except (asyncssh.KeyImportError, ValueError):
            skipped.append(f"{where} line {number}: not a public key this server takes; skipped")
            continue
        if not isinstance(key, asyncssh.SSHKey):
            skipped.append(f"{where} line {number}: certificates are not supported; skipped")
            continue
        blob = key.public_data
        comment = key.get_comment() or ""
        keys[blob] = AllowedKey(fingerprint(blob), key.get_algorithm(), comment)
    return KeySet(keys, tuple(skipped))


def _keys(count: int) -> str:
    return f"{count} key{'s' if count != 1 else ''}"


class AuthorizedKeys:
    """The keys in `path`: read at start (a problem is a CrisisError), then again whenever the
    file's size, time or inode changes. The file as last read is authoritative, even with no
    keys in it (everyone is refused: that is how a team is locked out); a file that is gone or
    cannot be read lets nobody in either until it can be read again. Each change of state is
    said once, not at every login."""

    def __init__(self, path: Path, log: Callable[[str], None]) -> None:
        self.path = path
        self._log = log
        self._where = inert(str(path), one_line=True)
        self._stamp: tuple[int, int, int] | None = None
        self._unreadable: str | None = None  # why the file could not be read last time, said once
        self.current = self._read()
        if not self.current.keys:
            raise CrisisError(f"{self._where}: no public keys in it (OpenSSH authorized_keys format: "
                              "ssh-ed25519 AAAA... comment)")

    def _read(self) -> KeySet:
        try:
            stat = os.stat(self.path)
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise CrisisError(f"{self._where}: cannot read the authorized keys: {reason}") from None
        found = parse_authorized_keys(text, self._where)
        self._stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        for line in found.skipped:
            self._log(line)
        return found

    def refresh(self) -> None:
        """Read the file again if it changed since it was last read."""
        try:
            stat = os.stat(self.path)
            stamp: tuple[int, int, int] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            stamp = None
        if stamp is not None and stamp == self._stamp:
            return
        try:
            self.current = self._read()
        except CrisisError as exc:
            self.current = KeySet({}, ())  # fail closed: nobody is let in on a file that cannot be read
            self._stamp = None
            if str(exc) != self._unreadable:
                self._unreadable = str(exc)
                self._log(f"{exc}; refusing every key until it can be read")
            return
        self._unreadable = None
        if self.current.keys:
            self._log(f"{self._where}: read again: {_keys(len(self.current.keys))}")
        else:
            self._log(f"{self._where}: read again: no public keys in it; refusing every key")

    def find(self, blob: bytes) -> AllowedKey | None:
        """The allowed key with this wire blob, reading the file again first if it changed."""
        self.refresh()
        return self.current.keys.get(blob)
