"""Reads a crisis pack (a folder of YAML files, or one YAML/JSON file) and checks it whole.

Every problem is reported as one line naming the file, the line where known, the record
and the field. Nothing here touches a database.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..db.build import source_texts
from ..db.errors import PackError
from ..db.pack import SECTIONS, Pack, record_label
from .acled import read_acled

TOP_KEYS = {"schema_version", "pack", *SECTIONS}
MAX_FILE_BYTES = 2 * 1024**3  # a 1M-event pack is ~1.3 GB of JSON; past this, memory would run out first


def bundled_pack_path() -> Path:
    """The folder of the crisis pack that ships with crisis-tui."""
    return Path(str(resources.files(__package__) / "packs" / "india-pakistan-2025"))


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text and are checked by the pack models."""


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
    """Read and check the pack at `path` (folder or file); raise PackError on the first problem."""
    pack, origins = read_pack(path)
    check_references(pack, origins)
    return pack


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
        del data  # the records live on in `raw` only, which _validate empties as it goes
    return _validate(raw, origins, base=files[0].parent, where=str(path)), origins


def _read(file: Path) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Parse one file; return its mapping and the line of each section record."""
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PackError(str(file), f"file is {size} bytes; packs over {MAX_FILE_BYTES} bytes are refused")
        blob = file.read_bytes()
    except OSError as exc:
        raise PackError(str(file), f"cannot read: {exc.strerror or exc}") from None
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
    lines: dict[tuple[str, int], int] = {}
    if file.suffix.lower() == ".csv":
        data = read_acled(file, text)
    elif file.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PackError(f"{file}:{exc.lineno}", f"malformed JSON: {exc.msg}") from None
        except RecursionError:
            raise PackError(str(file), "nesting is too deep") from None
    else:
        try:
            loader = _Loader(text)
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"{file}:{mark.line + 1}" if mark else str(file)
            raise PackError(where, f"malformed YAML: {exc.problem or exc.context}") from None
        except yaml.YAMLError as exc:
            raise PackError(str(file), f"malformed YAML: {exc}") from None
        except RecursionError:
            raise PackError(str(file), "nesting is too deep") from None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(value_node, yaml.SequenceNode):
                    for n, item in enumerate(value_node.value):
                        lines[(key_node.value, n)] = item.start_mark.line + 1
    if not isinstance(data, dict):
        raise PackError(str(file), "a pack file must be a mapping of sections (entities:, links:, …)")
    unknown = sorted(str(k) for k in data if k not in TOP_KEYS)
    if unknown:
        raise PackError(str(file), f"unknown section {unknown[0]!r} (known: {', '.join(sorted(TOP_KEYS))})")
    return data, lines


def _validate(raw: dict[str, Any], origins: dict[tuple[str, int], Origin], base: Path, where: str) -> Pack:
    """Validate each record on its own, so that an error names the record it is in."""
    problems: list[PackError] = []
    valid: dict[str, list[BaseModel]] = {}
    for section, model in SECTIONS.items():
        valid[section] = records = []
        items = raw[section]
        for n, item in enumerate(items):
            items[n] = None  # the parsed dict goes as its record comes: both at once doubled the memory
            try:
                records.append(model.model_validate(item))
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "record"
                label = record_label(section, item)
                message = err["msg"].removeprefix("Value error, ")
                problems.append(PackError(f"{origins[(section, n)]}: {label}", f"field '{field}': {message}"))
    if problems:
        raise PackError(problems[0].where, problems[0].problem, len(problems) - 1)
    try:  # the records are validated already: the pack takes them as they are
        pack = Pack.model_validate({**raw, **valid})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise PackError(where, f"field '{field}': {err['msg']}") from None
    for n, source in enumerate(pack.sources):
        if source.text_file:
            file = (base / source.text_file).resolve()
            try:
                source.text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PackError(
                    f"{origins[('sources', n)]}: source {source.id}",
                    f"field 'text_file': cannot read {file}: {getattr(exc, 'strerror', None) or exc}",
                ) from None
            source.text_file = None
    return pack


def check_references(pack: Pack, origins: Origins) -> None:
    """Cross-record rules: unique ids, known ids and relations, quotes found in their source.

    A record's place and label are worded only for the records that have a problem (a
    million links otherwise cost a second of string building).
    """
    problems: list[tuple[str, str]] = []

    def where(section: str, n: int, label: str) -> str:
        return f"{origins.get((section, n), '?')}: {label}"

    for section, key in (("entities", "id"), ("sources", "id"), ("positions", "id"), ("relations", "name")):
        seen: set[str] = set()
        for n, record in enumerate(getattr(pack, section)):
            value = getattr(record, key)
            if value in seen:
                problems.append((where(section, n, record_label(section, {key: value})), f"duplicate {key} {value!r}"))
            seen.add(value)
    entity_ids = {e.id for e in pack.entities}
    relations = {r.name for r in pack.relations}
    sources = {s.id: s for s in pack.sources}
    texts = source_texts(pack.sources)
    for n, source in enumerate(pack.sources):
        if source.via is not None and source.via not in sources:
            problems.append((where("sources", n, f"source {source.id}"), f"field 'via': unknown source {source.via!r}"))

    def citation_problems(citations) -> list[str]:
        found = []
        for i, c in enumerate(citations):
            text = texts.get(c.source)
            if text is not None and c.quote in text:
                continue
            if c.source not in sources:
                found.append(f"field 'citations.{i}.source': unknown source {c.source!r}")
            elif text is None:
                found.append(f"field 'citations.{i}.source': source {c.source!r} has no text to check quotes against")
            else:
                found.append(f"field 'citations.{i}.quote': not found verbatim in source {c.source!r}: {c.quote[:60]!r}")
        return found

    for n, e in enumerate(pack.entities):
        for found, suffix in [(citation_problems(e.citations), "")] + [
                (citation_problems(note.citations), f" note {j}") for j, note in enumerate(e.notes)]:
            if found:
                w = where("entities", n, f"entity {e.id}") + suffix
                problems.extend((w, problem) for problem in found)
    link_keys = Counter((k.source, k.relation, k.target) for k in pack.links)
    for n, k in enumerate(pack.links):
        found = [f"field '{field}': unknown id {getattr(k, field)!r}"
                 for field in ("source", "target") if getattr(k, field) not in entity_ids]
        if k.relation not in relations:
            found.append(f"field 'relation': unknown relation {k.relation!r} (add it to relations:)")
        if link_keys[(k.source, k.relation, k.target)] > 1:
            found.append("duplicate link")
            link_keys[(k.source, k.relation, k.target)] = 1
        found += citation_problems(k.citations)
        if found:
            w = where("links", n, record_label("links", {"source": k.source, "relation": k.relation, "target": k.target}))
            problems.extend((w, problem) for problem in found)
    for n, q in enumerate(pack.positions):
        found = [f"field '{field}': unknown id {getattr(q, field)!r}"
                 for field in ("actor", "about") if getattr(q, field) is not None and getattr(q, field) not in entity_ids]
        found += citation_problems(q.citations)
        if found:
            w = where("positions", n, f"position {q.id}")
            problems.extend((w, problem) for problem in found)
    if problems:
        first_where, first_problem = problems[0]
        raise PackError(first_where, first_problem, len(problems) - 1)
