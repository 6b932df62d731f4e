"""Reads a crisis pack (a folder of YAML files, or one YAML/JSON file) and checks it whole.

Every problem is reported as one line naming the file, the line where known, the record
and the field. Nothing here touches a database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from ..db.errors import PackError
from ..db.pack import (
    MAX_SOURCE,
    PACK_INPUT,
    SECTIONS,
    Pack,
    control_problem,
    name_packs,
    record_label,
    shown,
)
from ..db.text import CONTROL
from .checks import Checker
from .problems import field_problem
from .reader import pack_files, read_file, read_regular
from .vocabulary import standard_relations


def bundled_pack_path() -> Path:
    """The folder of the crisis pack that ships with crisis-tui."""
    return Path(str(resources.files(__package__) / "packs" / "india-pakistan-2025"))


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
    raw: dict[str, Any] = {section: [] for section in SECTIONS}
    origins: dict[tuple[str, int], Origin] = {}
    for file in pack_files(path):
        whole_file = Origin(str(file), None)  # shared by the records whose line is not known
        for key, value, line in read_file(file):
            if key in SECTIONS:
                records = raw[key]
                origins[(key, len(records))] = Origin(str(file), line) if line else whole_file
                records.append(value)
            elif key in raw and raw[key] != value:
                raise PackError(str(file), f"'{key}' is given twice with different values")
            else:
                raw[key] = value
                origins[(key, -1)] = Origin(str(file), line)
    return _validate(raw, origins, base=path if path.is_dir() else None, where=str(path)), origins


def _validate(raw: dict[str, Any], origins: dict[tuple[str, int], Origin], base: Path | None, where: str) -> Pack:
    """Validate each record on its own, so that an error names the record it is in."""
    problems = Problems()
    valid: dict[str, list[BaseModel]] = {}
    for section, model in SECTIONS.items():
        valid[section] = records = []
        items = raw[section]
        for n, item in enumerate(items):
            items[n] = None  # the parsed dict goes as its record comes: both at once doubled the memory
            try:
                records.append(model.model_validate(item, context=PACK_INPUT))
            except ValidationError as exc:
                problems.record(exc, section, item, origins[(section, n)])
    problems.raise_any()
    header = {key: value for key, value in raw.items() if key not in SECTIONS}
    header_pack(header, {key: origins.get((key, -1)) for key in header}, where)
    pack = Pack.model_validate({**raw, **valid}, context=PACK_INPUT)  # the records are validated already
    name_packs(pack)  # a record comes from the pack it is given in, unless it names another
    declared = {info.id for info in ([pack.pack] if pack.pack else []) + list(pack.packs)}
    undeclared = [(f"{origins.get((section, n), where)}: {record_label(section, record.model_dump())}",
                   undeclared_pack(record.pack))
                  for section in SECTIONS for n, record in enumerate(getattr(pack, section))
                  if record.pack is not None and record.pack not in declared]
    if undeclared:
        refuse(undeclared)
    for n, source in enumerate(pack.sources):
        if source.text_file:
            try:
                source.text = source_file_text(base, source.text_file)
            except ValueError as exc:
                raise PackError(f"{origins[('sources', n)]}: source {source.id}", f"field 'text_file': {exc}") from None
            source.text_file = None
    return pack


class Problems:
    """Records refused by validation, worded: the first and up to LISTED_PROBLEMS more, and a count."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []
        self.counted = 0

    def record(self, exc: ValidationError, section: str, item: Any, origin: Any) -> None:
        errors = exc.errors()
        if len(self.found) <= LISTED_PROBLEMS:  # past those, a problem is only counted
            where = f"{origin}: {record_label(section, item)}"
            self.found += [(where, field_problem(err, section, item)) for err in errors]
        self.counted += len(errors)

    def raise_any(self) -> None:
        if self.found:
            others = tuple(f"{w}: {what}" for w, what in self.found[1:1 + LISTED_PROBLEMS])
            raise PackError(self.found[0][0], self.found[0][1], self.counted - 1, others)


def header_pack(header: dict[str, Any], origins: dict[str, Any], where: str) -> Pack:
    """A document's top-level values but its sections (`schema_version`, `pack`, `packs`) as an
    empty Pack; PackError words what is wrong with them."""
    try:
        return Pack.model_validate(header, context=PACK_INPUT)
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            key, *rest = err["loc"] or ("record",)
            origin = origins.get(str(key)) or where
            info = header.get("pack")
            if key == "pack" and rest and isinstance(info, dict):
                problem = field_problem({**err, "loc": rest}, "pack", info)
                found.append((f"{origin}: pack {shown(info.get('id'))}", problem))
            else:
                found.append((str(origin), field_problem(err, "", header)))
        others = tuple(f"{w}: {what}" for w, what in found[1:1 + LISTED_PROBLEMS])
        raise PackError(found[0][0], found[0][1], len(found) - 1, others) from None


def undeclared_pack(pack: str) -> str:
    return f"field 'pack': {pack!r} is not a pack this document gives (in `pack:` or `packs:`)"


def source_file_text(base: Path | None, name: str) -> str:
    """The text of a source's `text_file` in the pack folder `base` (None: a single-file pack,
    which may not name files); ValueError says why not."""
    if base is None:  # a lone file's folder is anybody's (a home folder): not the pack's
        raise ValueError("only a pack folder may name files; a single-file pack gives its text inline (text:)")
    return _source_text(base, name)


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
        text = read_regular(path, MAX_SOURCE, "source texts").decode("utf-8")
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


LISTED_PROBLEMS = 20  # further problems a refused pack lists, a line each (docs/pack-format.md)


def check_references(pack: Pack, origins: Origins) -> None:
    """Raise PackError on the first problem `reference_problems` finds, listing the next
    LISTED_PROBLEMS and saying how many there are in all."""
    problems = reference_problems(pack, origins)
    if problems:
        refuse(problems)


def refuse(problems: list[tuple[str, str]], total: int | None = None) -> NoReturn:
    """Raise PackError on the first of `problems` (where, what), listing the next LISTED_PROBLEMS
    and saying how many there are in all (`total`, if more were found than listed)."""
    first_where, first_problem = problems[0]
    others = tuple(f"{where}: {what}" for where, what in problems[1:1 + LISTED_PROBLEMS])
    raise PackError(first_where, first_problem, (len(problems) if total is None else total) - 1, others)


def reference_problems(pack: Pack, origins: Origins) -> list[tuple[str, str]]:
    """Cross-record rules (`seed.checks.Checker`) over a whole pack, and unique ids and links.
    Returns each problem as (where, what)."""
    problems: list[tuple[str, str]] = []

    def where(section: str, n: int) -> Origin | str:
        return origins.get((section, n), "?")

    declared_packs = {info.id for info in ([pack.pack] if pack.pack else []) + list(pack.packs)}
    for section, key in (("entities", "id"), ("sources", "id"), ("positions", "id"), ("relations", "name")):
        seen: set[tuple[str, str | None]] = set()
        for n, record in enumerate(getattr(pack, section)):
            value = getattr(record, key)
            # each pack states an entity or a relation its own way, and a source or a position alike
            stated = (value, record.pack)
            if stated in seen:
                problems.append((f"{where(section, n)}: {record_label(section, {key: value})}",
                                 f"duplicate {key} {value!r}"))
            seen.add(stated)
            if record.pack is not None and record.pack not in declared_packs:
                problems.append((f"{where(section, n)}: {record_label(section, {key: value})}",
                                 f"field 'pack': unknown pack {record.pack!r} (the document's packs: "
                                 f"{', '.join(sorted(declared_packs)) or 'none'})"))
    for n, k in enumerate(pack.links):
        if k.pack is not None and k.pack not in declared_packs:
            problems.append((f"{where('links', n)}: {record_label('links', k.model_dump())}",
                             f"field 'pack': unknown pack {k.pack!r}"))
    sources = {s.id: s for s in pack.sources}
    kinds: dict[str, str | None] = {}  # an entity's kind as its first statement gives it
    kinds_by: dict[tuple[str, str | None], str | None] = {}  # as a further pack stating it gives it
    for e in pack.entities:
        if e.id in kinds:
            kinds_by[(e.id, e.pack)] = e.kind
        else:
            kinds[e.id] = e.kind

    def kind_of(ref: str, pack_id: str | None) -> str | None:
        return kinds_by.get((ref, pack_id), kinds[ref]) if kinds_by else kinds[ref]

    checker = Checker(pack.relations, sources.get, set(kinds), kind_of)
    for n, source in enumerate(pack.sources):
        problems += checker.source(source, where("sources", n))
    for n, e in enumerate(pack.entities):
        problems += checker.entity(e, where("entities", n))
    link_keys = Counter((k.source, k.relation, k.target, k.pack) for k in pack.links)
    for n, k in enumerate(pack.links):
        found = checker.link(k, where("links", n))
        if link_keys[(k.source, k.relation, k.target, k.pack)] > 1:
            label = record_label("links", {"source": k.source, "relation": k.relation, "target": k.target})
            found.insert(len(found) - sum(1 for _, what in found if "citations." in what),
                         (f"{where('links', n)}: {label}", "duplicate link"))
            link_keys[(k.source, k.relation, k.target, k.pack)] = 1
        problems += found
    for n, q in enumerate(pack.positions):
        problems += checker.position(q, where("positions", n))
    return problems
