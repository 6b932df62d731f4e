"""Reads pack files as a stream of records: a folder of YAML files, one YAML or JSON file, or
an ACLED-layout CSV.

Each file is read as `(key, value, line)`: for a section (`entities`, `links`, ...) one record
at a time, as parsed (not yet validated); for another top-level key (`pack`, `packs`,
`schema_version`) its whole value. JSON is parsed as it is read, a record at a time, so a
file of any size is read in flat memory; YAML is parsed whole by libyaml (a pack written by
hand) and handed on a record at a time. Every problem is one line naming the file and line.
"""

from __future__ import annotations

import codecs
import json
import json.scanner
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from ..db.errors import PackError
from ..db.pack import MAX_DIGITS, SECTIONS, control_problem, shown
from ..db.text import inert
from .acled import iter_acled
from .problems import yaml_problem

TOP_KEYS = {"schema_version", "pack", "packs", *SECTIONS}
MAX_FILE_BYTES = 2 * 1024**3  # a YAML pack is parsed whole: past this, memory would run out first
Read = tuple[str, Any, "int | None"]  # (top-level key, a record or the key's value, its line)


def pack_files(path: Path) -> list[Path]:
    """The files of the pack at `path`: the file itself, or a folder's pack files (`pack.*` first)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) + sorted(path.glob("*.json"))
        files.sort(key=lambda f: (f.stem != "pack", f.name))
        if not files:
            raise PackError(str(path), "no .yaml, .yml or .json pack files in this folder")
        return files
    if path.exists():
        return [path]
    raise PackError(str(path), "no such file or folder")


def read_file(file: Path, read: list[int] | None = None) -> Iterator[Read]:
    """The records and top-level values of one pack file, in the order the file gives them;
    `read[0]`, if given, says how many bytes of the file have been read so far."""
    read = [0] if read is None else read
    if file.suffix == ".json":
        yield from _JsonStream(file, read).read()
        return
    if file.suffix.lower() == ".csv":
        yield from iter_acled(file, read)
        return
    data, lines = _read(file)
    read[0] = file.stat().st_size
    for key in list(data):
        value = data.pop(key)
        if key not in SECTIONS:
            yield key, value, lines.get((key, -1))
            continue
        if not isinstance(value, list):
            raise PackError(str(file), f"'{key}' must be a list of records")
        value.reverse()  # popped from the end: each record is let go as it is handed on
        for n in range(len(value)):
            yield key, value.pop(), lines.get((key, n))


class _Refused(Exception):
    """Well-formed YAML or JSON that a pack may not hold; `line` where known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


# libyaml when PyYAML has it (its wheels do): it scans a 50 MB scalar in 0.3 s, pure Python in 10.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML, and none of: implicit timestamps (dates stay text, checked by the pack models),
    aliases (a "billion laughs" expands one node many times), merge keys, a key twice in one
    mapping, integers of more than MAX_DIGITS digits, NaN or infinity."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:  # reached again: an alias
            raise _Refused("the value anchored (&) here is repeated by an alias (*); "
                           "a pack may not use YAML anchors and aliases", _line(node))
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[tuple[str, str], int] = {}
            for key, _ in node.value:
                if key.tag == "tag:yaml.org,2002:merge":
                    raise _Refused("a pack may not use YAML merge keys (<<)", _line(key))
                if isinstance(key, yaml.ScalarNode):
                    name, line = (key.tag, key.value), _line(key)
                    if name in seen:
                        raise _Refused(f"key '{shown(key.value)}' is given twice in one mapping "
                                       f"(lines {seen[name]} and {line})", line)
                    seen[name] = line
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        if len(node.value.lstrip("+-").replace("_", "")) > MAX_DIGITS:
            raise _Refused(f"an integer of more than {MAX_DIGITS} digits is not allowed", _line(node))
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _Refused(f"{shown(node.value)} is not allowed (a number must be finite)", _line(node))
        return value


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of the regular file at `path`; ValueError if it is not one or is over `limit` bytes.

    A pipe, socket or device is never opened (a pipe with no writer blocks for ever; a device
    can be endless), and no more than `limit` bytes are read, even from a file that grows.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise ValueError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("is not a regular file (a pipe, socket or device)")
    if info.st_size > limit:
        raise ValueError(f"is {info.st_size} bytes; {what} over {limit} bytes are refused")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # if it was swapped for a pipe since: no wait
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("is not a regular file (a pipe, socket or device)")
        blob = handle.read(limit + 1)
    if len(blob) > limit:
        raise ValueError(f"is over {limit} bytes; {what} over {limit} bytes are refused")
    return blob


def _read(file: Path) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Parse one file; return its mapping and the line of each section record (index -1: other keys)."""
    try:
        blob = read_regular(file, MAX_FILE_BYTES, "packs")
    except OSError as exc:
        raise PackError(str(file), f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise PackError(str(file), str(exc)) from None
    if blob.startswith(b"\xef\xbb\xbf"):
        blob = blob[3:]  # a UTF-8 byte-order mark is harmless
    elif blob.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PackError(str(file), "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8")
    if not blob.strip():
        raise PackError(str(file), "the file is empty")
    if b"\x00" in blob:
        raise PackError(str(file), "this is a binary file, not a YAML or JSON pack")
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise PackError(f"{file}:{line}", f"not valid UTF-8 (byte {exc.start})") from None
    del blob
    lines: dict[tuple[str, int], int] = {}
    data = _parse_yaml(file, text, lines)
    if not isinstance(data, dict):
        raise PackError(str(file), "a pack file must be a mapping of sections (entities:, links:, …)")
    unknown = sorted(str(k) for k in data if k not in TOP_KEYS)
    if unknown:
        raise PackError(str(file), f"unknown section '{shown(unknown[0])}' (known: {', '.join(sorted(TOP_KEYS))})")
    return data, lines


def _parse_yaml(file: Path, text: str, lines: dict[tuple[str, int], int]) -> Any:
    """The YAML document in `text`; fills `lines` with where each record starts."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as exc:
        raise PackError(f"{file}:{exc.line}", exc.problem) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a file
        line = text.count("\n", 0, exc.position) + 1
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)
        problem = control_problem(char) or f"malformed YAML: character {inert(char)!r} is not allowed"
        raise PackError(f"{file}:{line}", problem) from None
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):  # libyaml stops at 1,000 levels
            mark = exc.problem_mark or exc.context_mark
            raise PackError(f"{file}:{mark.line + 1}" if mark else str(file), "nesting is too deep") from None
        at, problem = yaml_problem(exc, text)  # the line of the mistake, which is not always where libyaml stopped
        raise PackError(f"{file}:{at}" if at else str(file), f"malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise PackError(str(file), f"malformed YAML: {shown(exc, 200)}") from None
    except RecursionError:
        raise PackError(str(file), "nesting is too deep") from None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            lines[(key_node.value, -1)] = _line(key_node)
            if isinstance(value_node, yaml.SequenceNode):
                for n, item in enumerate(value_node.value):
                    lines[(key_node.value, n)] = _line(item)
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"key '{shown(key)}' is given twice in one object")
            seen.add(key)
    return mapping


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"an integer of more than {MAX_DIGITS} digits is not allowed")
    return int(digits)


def _json_constant(name: str) -> float:
    raise _Refused(f"{name} is not allowed (a number must be finite)")


_JSON_HOOKS: dict[str, Any] = {"object_pairs_hook": _unique_keys, "parse_int": _json_int,
                               "parse_constant": _json_constant}


def _json_line(text: str) -> int | None:
    """The line of the object holding the first refused value.

    A second, slower pass (the pure-Python scanner, which knows where each object starts),
    made only for a file that is refused; it stops where the first pass stopped.
    """
    decoder: Any = json.JSONDecoder(**_JSON_HOOKS)  # its parser hooks are attributes typeshed does not list
    parse_object = decoder.parse_object

    def located(s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return parse_object(s_and_end, *args)
        except _Refused as exc:
            if exc.line is None:  # the innermost object holding it
                exc.line = text.count("\n", 0, s_and_end[1]) + 1
            raise

    decoder.parse_object = located
    scanner: Any = json.scanner
    decoder.scan_once = scanner.py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _Refused as exc:
        return exc.line
    except (ValueError, RecursionError):
        pass
    return None




_WHITESPACE = re.compile(r"[ \t\n\r]*")
CHUNK = 1 << 20  # characters read at a time
_LOOKAHEAD = 16  # a value cut off by the end of what is read so far fails within this many characters of it


class _JsonStream:
    """One JSON pack file, parsed a record at a time: the top-level object's keys one by one,
    each section's array an item at a time (each by the standard library's C scanner, with the
    same refusals as a whole file: a key twice, a huge integer, NaN), holding no more of the
    file than the record being read."""

    def __init__(self, file: Path, read: list[int]) -> None:
        self.file, self.read_so_far = file, read
        self.decoder = json.JSONDecoder(**_JSON_HOOKS)
        self.buf = ""
        self.pos = 0  # where reading has got to in buf
        self.line = 1  # the line buf[self.counted] is on
        self.counted = 0
        self.eof = False
        self.handle: IO[bytes] | None = None
        self.utf8 = codecs.getincrementaldecoder("utf-8")()
        self.bytes_read = 0

    def where(self, at: int | None = None) -> str:
        return f"{self.file}:{self.line_at(self.pos if at is None else at)}"

    def line_at(self, at: int) -> int:
        """The line of buf[at] (at or after what was counted before)."""
        if at > self.counted:
            self.line += self.buf.count("\n", self.counted, at)
            self.counted = at
        return self.line

    def malformed(self, problem: str, at: int | None = None) -> PackError:
        return PackError(self.where(at), f"malformed JSON: {problem}")

    def read(self) -> Iterator[Read]:
        try:
            self.handle = _open_regular(self.file)
        except OSError as exc:
            raise PackError(str(self.file), f"cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise PackError(str(self.file), str(exc)) from None
        with self.handle:
            yield from self._document()

    def _fill(self) -> bool:
        """Read on; False at the end of the file."""
        if self.eof:
            return False
        assert self.handle is not None
        blob = self.handle.read(CHUNK)
        first = self.bytes_read == 0
        self.bytes_read += len(blob)
        self.read_so_far[0] = self.bytes_read
        if first:
            if blob.startswith((b"\xff\xfe", b"\xfe\xff")):
                raise PackError(str(self.file), "the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                                                "save it as UTF-8")
            if blob.startswith(b"\xef\xbb\xbf"):
                blob = blob[3:]  # a UTF-8 byte-order mark is harmless
        if b"\x00" in blob:
            raise PackError(str(self.file), "this is a binary file, not a YAML or JSON pack")
        try:
            text = self.utf8.decode(blob, final=not blob)
        except UnicodeDecodeError as exc:
            self.line_at(len(self.buf))
            line = self.line + blob[:exc.start].count(b"\n")
            raise PackError(f"{self.file}:{line}", f"not valid UTF-8 (byte {self.bytes_read - len(blob) + exc.start})"
                            ) from None
        if not blob:
            self.eof = True
            return False
        if self.pos > CHUNK:  # let go of what was read (a caller's positions into buf move with pos)
            self.line_at(self.pos)
            self.buf, self.counted, self.pos = self.buf[self.pos:], 0, 0
        self.buf += text
        return True

    def _skip(self) -> str:
        """Skip whitespace; the next character ('' at the end of the file)."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def _value(self) -> Any:
        """The JSON value at pos, read on as far as it takes."""
        while True:
            if len(self.buf) - self.pos < _LOOKAHEAD and not self.eof:
                self._fill()
                continue
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self.buf) - _LOOKAHEAD or exc.msg.startswith("Unterminated string")
                if cut and self._fill():
                    continue
                raise PackError(f"{self.file}:{self.line_at(self.pos) + self.buf.count(chr(10), self.pos, exc.pos)}",
                                f"malformed JSON: {exc.msg}") from None
            except _Refused as exc:
                start = self.line_at(self.pos)
                inner = _json_line(self.buf[self.pos:])  # what is refused is in what was read
                raise PackError(f"{self.file}:{start + inner - 1 if inner else start}", exc.problem) from None
            except RecursionError:
                raise PackError(str(self.file), "nesting is too deep") from None
            if end >= len(self.buf) - _LOOKAHEAD and not self.eof and self._fill():
                continue  # a number may go on past what was read
            self.pos = end
            return value

    def _expect(self, allowed: str, problem: str) -> str:
        found = self._skip()
        if not found or found not in allowed:
            raise self.malformed(problem if found else f"{problem} (the file ends)")
        self.pos += 1
        return found

    def _document(self) -> Iterator[Read]:
        first = self._skip()
        if not first:
            raise PackError(str(self.file), "the file is empty")
        if first != "{":
            self._value()  # malformed, or some other value
            raise PackError(str(self.file), "a pack file must be a mapping of sections (entities:, links:, …)")
        self.pos += 1
        seen: dict[str, int] = {}
        if self._skip() == "}":
            self.pos += 1
        else:
            while True:
                if self._skip() != '"':
                    raise self.malformed("Expecting property name enclosed in double quotes")
                line = self.line_at(self.pos)
                key = self._value()
                if key in seen:
                    raise PackError(f"{self.file}:{line}", f"key '{shown(key)}' is given twice in one object")
                seen[key] = line
                if key not in TOP_KEYS:
                    raise PackError(f"{self.file}:{line}", f"unknown section '{shown(key)}' "
                                                           f"(known: {', '.join(sorted(TOP_KEYS))})")
                self._expect(":", "Expecting ':' delimiter")
                if key in SECTIONS:
                    if self._skip() != "[":
                        raise PackError(f"{self.file}:{line}", f"'{key}' must be a list of records")
                    self.pos += 1
                    yield from self._items(key)
                else:
                    self._skip()
                    yield key, self._value(), line
                if self._expect(",}", "Expecting ',' delimiter") == "}":
                    break
        if self._skip():
            raise self.malformed("Extra data")

    def _items(self, key: str) -> Iterator[Read]:
        if self._skip() == "]":
            self.pos += 1
            return
        while True:
            self._skip()
            line = self.line_at(self.pos)
            yield key, self._value(), line
            comma = self.line_at(self.pos) if self._skip() == "," else None  # its line, as reading may go on
            if self._expect(",]", "Expecting ',' delimiter") == "]":
                return
            if self._skip() == "]" and comma is not None:  # JSON allows none after the last record
                raise PackError(f"{self.file}:{comma}",
                                f"malformed JSON: a comma after the last record of '{key}' (JSON allows none)")


def _open_regular(path: Path) -> IO[bytes]:
    """The regular file at `path`, open to read; ValueError if it is not one (a pipe with no
    writer blocks for ever; a device can be endless)."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise ValueError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("is not a regular file (a pipe, socket or device)")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # if it was swapped for a pipe since: no wait
    handle = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        handle.close()
        raise ValueError("is not a regular file (a pipe, socket or device)")
    return handle
