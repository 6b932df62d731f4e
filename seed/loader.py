"""Reads a crisis pack (a folder of YAML files, or one YAML/JSON file) and checks it whole.

Every problem is reported as one line naming the file, the line where known, the record
and the field. Nothing here touches a database.
"""

from __future__ import annotations

import difflib
import json
import json.scanner
import math
import os
import re
import stat
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..db.build import source_texts
from ..db.errors import PackError
from ..db.pack import (
    MAX_DIGITS,
    MAX_SOURCE,
    PACK_INPUT,
    SECTIONS,
    Pack,
    control_problem,
    name_packs,
    record_label,
    shown,
)
from ..db.text import CONTROL, inert
from .acled import read_acled
from .problems import field_problem, yaml_problem
from .vocabulary import standard_relations

TOP_KEYS = {"schema_version", "pack", "packs", *SECTIONS}
MAX_FILE_BYTES = 2 * 1024**3  # a 1M-event pack is ~1.3 GB of JSON; past this, memory would run out first


def bundled_pack_path() -> Path:
    """The folder of the crisis pack that ships with crisis-tui."""
    return Path(str(resources.files(__package__) / "packs" / "india-pakistan-2025"))


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


@dataclass(frozen=True)
class Origin:
    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def load_pack(path: Path) -> Pack:
    """Read and check the pack at `path` (folder or file) on its own, with the standard
    vocabulary; raise PackError listing the problems found."""
    pack, origins = read_pack(path)
    check_references(with_vocabulary(pack), origins)
    return pack


def with_vocabulary(pack: Pack) -> Pack:
    """`pack` with the standard relations it does not define itself before its own."""
    from ..db.pack import Relation

    own = {(r.name, r.pack) for r in pack.relations}
    standard = [Relation.model_validate(r) for r in standard_relations() if (r["name"], None) not in own]
    return pack.model_copy(update={"relations": standard + pack.relations})


Origins = dict[tuple[str, int], Origin]


def read_pack(path: Path) -> tuple[Pack, Origins]:
    """Read a pack (folder, YAML, JSON or ACLED CSV) and check each record on its own.

    Returns the pack and where each record came from; references across records are
    checked by `check_references`, once the pack is joined with whatever it is imported into.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) + sorted(path.glob("*.json"))
        files.sort(key=lambda f: (f.stem != "pack", f.name))
        if not files:
            raise PackError(str(path), "no .yaml, .yml or .json pack files in this folder")
    elif path.exists():
        files = [path]
    else:
        raise PackError(str(path), "no such file or folder")
    raw: dict[str, Any] = {section: [] for section in SECTIONS}
    origins: dict[tuple[str, int], Origin] = {}
    for file in files:
        data, lines = _read(file)
        whole_file = Origin(str(file), None)  # shared by the records whose line is not known (JSON)
        for key, value in data.items():
            if key in SECTIONS:
                if not isinstance(value, list):
                    raise PackError(str(file), f"'{key}' must be a list of records")
                records = raw[key]
                for n, item in enumerate(value):
                    line = lines.get((key, n))
                    origins[(key, len(records))] = Origin(str(file), line) if line else whole_file
                    records.append(item)
            elif key in raw and raw[key] != value:
                raise PackError(str(file), f"'{key}' is given twice with different values")
            else:
                raw[key] = value
                origins[(key, -1)] = Origin(str(file), lines.get((key, -1)))
        del data  # the records live on in `raw` only, which _validate empties as it goes
    return _validate(raw, origins, base=path if path.is_dir() else None, where=str(path)), origins


def _read_regular(path: Path, limit: int, what: str) -> bytes:
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
        blob = _read_regular(file, MAX_FILE_BYTES, "packs")
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
    if file.suffix.lower() == ".csv":
        data = read_acled(file, text, lines)
    elif file.suffix == ".json":
        data = _parse_json(file, text)
    else:
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


def _parse_json(file: Path, text: str) -> Any:
    try:
        return json.loads(text, **_JSON_HOOKS)
    except json.JSONDecodeError as exc:
        raise PackError(f"{file}:{exc.lineno}", f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise PackError(str(file), "nesting is too deep") from None
    except _Refused as exc:
        line = _json_line(text)
        raise PackError(f"{file}:{line}" if line else str(file), exc.problem) from None


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


def _validate(raw: dict[str, Any], origins: dict[tuple[str, int], Origin], base: Path | None, where: str) -> Pack:
    """Validate each record on its own, so that an error names the record it is in."""
    problems: list[tuple[str, str]] = []  # (where, what): the first and up to LISTED_PROBLEMS more
    counted = 0
    valid: dict[str, list[BaseModel]] = {}
    for section, model in SECTIONS.items():
        valid[section] = records = []
        items = raw[section]
        for n, item in enumerate(items):
            items[n] = None  # the parsed dict goes as its record comes: both at once doubled the memory
            try:
                records.append(model.model_validate(item, context=PACK_INPUT))
            except ValidationError as exc:
                errors = exc.errors()
                if len(problems) <= LISTED_PROBLEMS:  # past those, a problem is only counted
                    record = f"{origins[(section, n)]}: {record_label(section, item)}"
                    problems += [(record, field_problem(err, section, item)) for err in errors]
                counted += len(errors)
    if problems:
        others = tuple(f"{w}: {what}" for w, what in problems[1:1 + LISTED_PROBLEMS])
        raise PackError(problems[0][0], problems[0][1], counted - 1, others)
    try:  # the records are validated already: the pack takes them as they are
        pack = Pack.model_validate({**raw, **valid}, context=PACK_INPUT)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            key, *rest = err["loc"] or ("record",)
            origin = origins.get((str(key), -1), where)
            info = raw.get("pack")
            if key == "pack" and rest and isinstance(info, dict):
                problem = field_problem({**err, "loc": rest}, "pack", info)
                found.append((f"{origin}: pack {shown(info.get('id'))}", problem))
            else:
                found.append((str(origin), field_problem(err, "", raw)))
        others = tuple(f"{w}: {what}" for w, what in found[1:1 + LISTED_PROBLEMS])
        raise PackError(found[0][0], found[0][1], len(found) - 1, others) from None
    name_packs(pack)  # a record comes from the pack it is given in, unless it names another
    declared = {info.id for info in ([pack.pack] if pack.pack else []) + list(pack.packs)}
    undeclared = [(f"{origins.get((section, n), where)}: {record_label(section, record.model_dump())}",
                   f"field 'pack': {record.pack!r} is not a pack this document gives (in `pack:` or `packs:`)")
                  for section in SECTIONS for n, record in enumerate(getattr(pack, section))
                  if record.pack is not None and record.pack not in declared]
    if undeclared:
        refuse(undeclared)
    for n, source in enumerate(pack.sources):
        if source.text_file:
            try:
                if base is None:  # a lone file's folder is anybody's (a home folder): not the pack's
                    raise ValueError("only a pack folder may name files; a single-file pack gives its text "
                                     "inline (text:)")
                source.text = _source_text(base, source.text_file)
            except ValueError as exc:
                raise PackError(f"{origins[('sources', n)]}: source {source.id}", f"field 'text_file': {exc}") from None
            source.text_file = None
    return pack


def _source_text(base: Path, name: str) -> str:
    """The text of a `text_file`: a regular UTF-8 file inside the pack folder `base`, of at most
    MAX_SOURCE bytes, holding no control character but newline and tab (a carriage return is
    read as a newline). ValueError says why not."""
    if Path(name).is_absolute():
        raise ValueError(f"'{name}' is an absolute path; give a path inside the pack folder")
    try:
        root = base.resolve()
        path = (root / name).resolve()  # follows symlinks, so one that leads out is caught below
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise ValueError(f"cannot read '{name}': {exc}") from None
    if not path.is_relative_to(root):
        raise ValueError(f"'{name}' leads outside the pack folder")
    if any(part.startswith(".") for part in path.relative_to(root).parts):
        raise ValueError(f"'{name}' is a hidden file or in a hidden folder; a source text is not")
    try:
        text = _read_regular(path, MAX_SOURCE, "source texts").decode("utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read '{name}': {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"'{name}' is not valid UTF-8 (byte {exc.start})") from None
    except ValueError as exc:
        raise ValueError(f"'{name}' {exc}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    problem = control_problem(text)
    found = CONTROL.search(text)
    if problem and found:
        line = text.count("\n", 0, found.start()) + 1
        raise ValueError(f"{problem}, on line {line} of '{name}'")
    return text


MIN_QUOTE_WORDS = 4  # a quote carries a claim: this many words (\w+ runs), or a whole line (docs/pack-format.md)
_ENOUGH_WORDS = re.compile(rf"(?:\w+\W+){{{MIN_QUOTE_WORDS - 1}}}\w")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_SAME_CELL = re.compile(r"\|\s*same\s*(;|\|)")  # a table cell that reads `same`, or starts `same;`
_ADDRESS_GOES_ON = re.compile(r"[\w/%?#=&~+-]")  # after an address, a character that would make it longer


def _whole_line(text: str, quote: str) -> bool:
    """Whether `quote` is, somewhere in `text`, a line of its own (a field of a structured record)."""
    at = text.find(quote)
    while at >= 0:
        end = at + len(quote)
        if (at == 0 or text[at - 1] == "\n") and (end == len(text) or text[end] == "\n"):
            return True
        at = text.find(quote, at + 1)
    return False


def _headings(text: str, title: str | None) -> tuple[str, str]:
    """The heading lines of a source text (joined by newlines) and the text with them blanked.

    A heading line is a markdown heading (a line starting with `#`), a table's header row (the
    line above a `|---|` delimiter row) or a line that is the title of the source.
    """
    lines = text.split("\n")
    title = (title or "").strip()
    heading = [line.startswith("#") or (bool(title) and line.strip() == title) for line in lines]
    for n in range(1, len(lines)):
        if "|" in lines[n] and "-" in lines[n] and _TABLE_DELIMITER.match(lines[n]):
            heading[n - 1] = True
    if not any(heading):
        return "", text
    return ("\n".join(line for line, h in zip(lines, heading, strict=True) if h),
            "\n".join("" if h else line for line, h in zip(lines, heading, strict=True)))


def _address_blocks(text: str, address: str) -> list[str]:
    """The runs of lines of `text` that hold `address`, each joined by newlines.

    A line holds an address that occurs in it whole (not as the start of a longer address); a
    table row with a cell `same` (or `same; ...`) holds what the row above it holds.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    holding: set[int] = set()
    at = text.find(address)
    while at >= 0:
        end = at + len(address)
        if end >= len(text) or not _ADDRESS_GOES_ON.match(text, end):
            holding.add(bisect_right(starts, at) - 1)
        at = text.find(address, at + 1)
    for n in sorted(holding):
        while n + 1 < len(lines) and _SAME_CELL.search(lines[n + 1]):
            n += 1
            holding.add(n)
    blocks: list[list[str]] = []
    for n in sorted(holding):
        if blocks and n - 1 in holding:
            blocks[-1].append(lines[n])
        else:
            blocks.append([lines[n]])
    return ["\n".join(block) for block in blocks]


LISTED_PROBLEMS = 20  # further problems a refused pack lists, a line each (docs/pack-format.md)


def check_references(pack: Pack, origins: Origins) -> None:
    """Raise PackError on the first problem `reference_problems` finds, listing the next
    LISTED_PROBLEMS and saying how many there are in all."""
    problems = reference_problems(pack, origins)
    if problems:
        refuse(problems)


NEAR_AMONG = 50_000  # names an unknown one is compared with, at most, to suggest a near one


def near(name: str, known: set[str]) -> str:
    """`; did you mean 'x'?` for the known name closest to an unknown one, if one is close."""
    if len(known) > NEAR_AMONG:
        return ""
    found = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return f" (did you mean {found[0]!r}?)" if found else ""


def refuse(problems: list[tuple[str, str]]) -> None:
    """Raise PackError on the first of `problems` (where, what), listing the next LISTED_PROBLEMS
    and saying how many there are in all."""
    first_where, first_problem = problems[0]
    others = tuple(f"{where}: {what}" for where, what in problems[1:1 + LISTED_PROBLEMS])
    raise PackError(first_where, first_problem, len(problems) - 1, others)


def reference_problems(pack: Pack, origins: Origins) -> list[tuple[str, str]]:
    """Cross-record rules: unique ids, known ids and relations, quotes found in their source and
    fit to cite (long enough, no heading, on their page's lines), positions held by actors.
    Returns each problem as (where, what).

    A record's place and label are worded only for the records that have a problem (a
    million links otherwise cost a second of string building).
    """
    problems: list[tuple[str, str]] = []

    def where(section: str, n: int, label: str) -> str:
        return f"{origins.get((section, n), '?')}: {label}"

    declared_packs = {info.id for info in ([pack.pack] if pack.pack else []) + list(pack.packs)}
    for section, key in (("entities", "id"), ("sources", "id"), ("positions", "id"), ("relations", "name")):
        seen: set[tuple[str, str | None]] = set()
        for n, record in enumerate(getattr(pack, section)):
            value = getattr(record, key)
            label = where(section, n, record_label(section, {key: value}))
            # each pack states an entity or a relation its own way, and a source or a position alike
            stated = (value, record.pack)
            if stated in seen:
                problems.append((label, f"duplicate {key} {value!r}"))
            seen.add(stated)
            if record.pack is not None and record.pack not in declared_packs:
                problems.append((label, f"field 'pack': unknown pack {record.pack!r} (the document's packs: "
                                        f"{', '.join(sorted(declared_packs)) or 'none'})"))
    for n, k in enumerate(pack.links):
        if k.pack is not None and k.pack not in declared_packs:
            problems.append((where("links", n, record_label("links", k.model_dump())),
                             f"field 'pack': unknown pack {k.pack!r}"))
    entity_ids = {e.id for e in pack.entities}
    relations = {r.name for r in pack.relations}
    sources = {s.id: s for s in pack.sources}
    texts = source_texts(pack.sources)
    for n, source in enumerate(pack.sources):
        if source.via is not None and source.via not in sources:
            problems.append((where("sources", n, f"source {source.id}"), f"field 'via': unknown source {source.via!r}"))

    holders = {s.id: s if s.text is not None else sources.get(s.via or "") for s in pack.sources}
    headings: dict[str, tuple[str, str]] = {}  # by source id of the text: its heading lines, its text less them
    blocks: dict[tuple[str, str], list[str]] = {}  # by (via source, address): the lines that hold the address

    def quote_problem(c: Any, text: str) -> str | None:
        """Why a quote found in its source's text is no citation: too short, a heading, or off its page."""
        quote = c.quote
        if not _ENOUGH_WORDS.search(quote) and not _whole_line(text, quote):
            return (f"a quote has at least {MIN_QUOTE_WORDS} words or is a whole line of its source "
                    f"(enough to carry a claim): {quote[:60]!r}")
        holder = holders[c.source]
        assert holder is not None  # the source has a text
        if "\n" not in quote:
            if holder.id not in headings:
                headings[holder.id] = _headings(text, holder.title)
            heads, body = headings[holder.id]
            if heads and quote in heads and quote not in body:
                return f"a heading of source {holder.id!r}, not a passage: {quote[:60]!r}"
        source = sources[c.source]
        if source.via is not None and source.address:
            key = (holder.id, source.address)
            if key not in blocks:
                blocks[key] = _address_blocks(text, source.address)
            if not any(quote in block for block in blocks[key]):
                return (f"not found on a line of source {holder.id!r} that holds this source's address "
                        f"{shown(source.address, 200)}" if blocks[key] else
                        f"source {holder.id!r} has no line holding this source's address "
                        f"{shown(source.address, 200)}") + f": {quote[:60]!r}"
        return None

    def citation_problems(citations) -> list[str]:
        found = []
        for i, c in enumerate(citations):
            text = texts.get(c.source)
            if text is not None and c.quote in text:
                problem = quote_problem(c, text)
                if problem is not None:
                    found.append(f"field 'citations.{i}.quote': {problem}")
                continue
            if c.source not in sources:
                found.append(f"field 'citations.{i}.source': unknown source {c.source!r}")
            elif text is None:
                found.append(f"field 'citations.{i}.source': source {c.source!r} has no text to check quotes against")
            else:
                found.append(f"field 'citations.{i}.quote': not found verbatim in source {c.source!r}: "
                             f"{c.quote[:60]!r}")
        return found

    for n, e in enumerate(pack.entities):
        for found, suffix in [(citation_problems(e.citations), "")] + [
                (citation_problems(note.citations), f" note {j}") for j, note in enumerate(e.notes)]:
            if found:
                w = where("entities", n, f"entity {e.id}") + suffix
                problems.extend((w, problem) for problem in found)
    # which entities a relation joins, as each pack words it (a pack that does not: the first wording)
    declared: dict[tuple[str, str | None], tuple[list[str], list[str]]] = {}
    for r in pack.relations:
        declared.setdefault((r.name, None), (r.source_types, r.target_types))
        declared[(r.name, r.pack)] = (r.source_types, r.target_types)
    kinds: dict[str, str | None] = {}  # an entity's kind as its first statement gives it
    kinds_by: dict[tuple[str, str | None], str | None] = {}  # as a further pack stating it gives it
    for e in pack.entities:
        if e.id in kinds:
            kinds_by[(e.id, e.pack)] = e.kind
        else:
            kinds[e.id] = e.kind

    def kind_of(ref: str, pack_id: str | None) -> str | None:
        """The kind of `ref` as the pack of a link sees it: its own statement's, else the first."""
        return kinds_by.get((ref, pack_id), kinds[ref]) if kinds_by else kinds[ref]

    def joins(types: list[str], ref: str, pack_id: str | None) -> bool:
        """Whether the entity `ref` is of one of `types` (`type` or `type/kind`; none listed: any)."""
        kind = ref.split("/", 1)[0]  # an entity's id starts with its type
        return not types or kind in types or f"{kind}/{kind_of(ref, pack_id)}" in types

    link_keys = Counter((k.source, k.relation, k.target, k.pack) for k in pack.links)
    for n, k in enumerate(pack.links):
        found = [f"field '{field}': unknown id {getattr(k, field)!r}{near(getattr(k, field), entity_ids)}"
                 for field in ("source", "target") if getattr(k, field) not in entity_ids]
        if k.relation not in relations:
            found.append(f"field 'relation': unknown relation {k.relation!r}{near(k.relation, relations)} "
                         "(add it to relations:, or use a standard one: docs/relations.md)")
        if k.relation in relations:
            types_of = declared.get((k.relation, k.pack)) or declared[(k.relation, None)]
            for field, types in zip(("source", "target"), types_of, strict=True):
                ref = getattr(k, field)
                if ref in entity_ids and not joins(types, ref, k.pack):
                    kind = kind_of(ref, k.pack)
                    found.append(f"field '{field}': relation {k.relation!r} joins a {field} of type "
                                 f"{' or '.join(types)}, not {ref} ({ref.split('/', 1)[0]}"
                                 f"{'/' + kind if kind else ''})")
        if link_keys[(k.source, k.relation, k.target, k.pack)] > 1:
            found.append("duplicate link")
            link_keys[(k.source, k.relation, k.target, k.pack)] = 1
        found += citation_problems(k.citations)
        if found:
            label = record_label("links", {"source": k.source, "relation": k.relation, "target": k.target})
            w = where("links", n, label)
            problems.extend((w, problem) for problem in found)
    for n, q in enumerate(pack.positions):
        found = [f"field '{field}': unknown id {getattr(q, field)!r}{near(getattr(q, field), entity_ids)}"
                 for field in ("actor", "about")
                 if getattr(q, field) is not None and getattr(q, field) not in entity_ids]
        if q.actor in entity_ids and not q.actor.startswith("actor/"):  # an entity's id starts with its type
            found.append(f"field 'actor': {q.actor} is not an actor (a position is held by an actor)")
        found += citation_problems(q.citations)
        if found:
            w = where("positions", n, f"position {q.id}")
            problems.extend((w, problem) for problem in found)
    return problems
