"""Problems in a pack worded for its author: what pydantic and YAML report, in plain words.

A pydantic error names a regex, a union member or a rule in library terms ("String should match
pattern '^[a-z]+/…$'", "Extra inputs are not permitted"); `field_problem` says instead what the
field holds and how to write it. `yaml_problem` names the line where a YAML mistake is (where a
quote or bracket opened, not where the parser gave up) and says how to fix it.
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from functools import cache
from typing import Any, get_args

import yaml
from pydantic import BaseModel

from ..db.constants import ENTITY_TYPES, PACK_FORMAT_VERSION, REF_PATTERN
from ..db.pack import SECTIONS, Pack, PackInfo, shown

# How a message names a record of each model ("not a field of an entity").
_NAMES = {"Entity": "an entity", "Source": "a source", "Relation": "a relation", "Link": "a link",
          "Position": "a position", "Citation": "a citation", "Note": "a note", "PackInfo": "the pack",
          "Pack": "a pack file"}
_DATE_FIELDS = {"date", "date_end"}
_TYPE_TAGS = {"str", "int", "float", "bool", "none", "list", "dict"}  # pydantic's names of union members


def record_model(section: str) -> type[BaseModel]:
    """The model of a record of `section` (a pack section, "pack" for its info, "" for the document)."""
    if section == "pack":
        return PackInfo
    return Pack if section == "" else SECTIONS[section]


def _given(value: Any) -> str:
    """What a value is, as an author wrote it."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    return f"'{shown(value, 60)}'"


def _models_in(annotation: Any) -> type[BaseModel] | None:
    """The record model a field holds (itself, in a list, or optional), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _models_in(arg)
        if found is not None:
            return found
    return None


def field_path(loc: tuple[int | str, ...], record: Any) -> tuple[list[str], str | None]:
    """The path of the field an error is about, as the author wrote it, and the mapping key it is
    about if the key itself is wrong (`attributes: {"a\\nb": 1}`).

    pydantic's path also names the members of a union it tried (`attributes.x.constrained-str`)
    and `[key]` for a key: those are no part of what the author wrote, and are left out.
    """
    parts: list[str] = []
    key: str | None = None
    value = record
    for part in loc:
        if part == "[key]" and parts:
            key = parts.pop()
        elif isinstance(value, dict) and part in value:
            parts.append(str(part))
            value = value[part]
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            parts.append(str(part))
            value = value[part]
        elif isinstance(value, dict) and isinstance(part, str) and part.isidentifier() and part not in _TYPE_TAGS:
            parts.append(part)  # a field that is missing
            value = None
        # else: a union member's name: not in the pack
    return parts, key


def _model_at(model: type[BaseModel], parts: list[str]) -> type[BaseModel] | None:
    """The record model that holds the field at `parts` (a citation's for `citations.0.quote`)."""
    current: type[BaseModel] | None = model
    for part in parts[:-1]:
        if current is None:
            return None
        if part.isdigit():
            continue
        field = current.model_fields.get(part)
        current = _models_in(field.annotation) if field else None
    return current


def _known(model: type[BaseModel]) -> str:
    return ", ".join(model.model_fields)


def _required(model: type[BaseModel]) -> str:
    names = [name for name, field in model.model_fields.items() if field.is_required()]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


# --- the rule an id follows, read from its pattern ------------------------------------------------

_IDS = {  # (record model, field) -> what its value is, and an example that fits
    ("Entity", "id"): ("an entity id", "actor/soviet-union"),
    ("Link", "source"): ("an entity id", "actor/soviet-union"),
    ("Link", "target"): ("an entity id", "actor/soviet-union"),
    ("Position", "actor"): ("an entity id", "actor/soviet-union"),
    ("Position", "about"): ("an entity id", "event/cuban-missile-crisis"),
    ("Relation", "name"): ("a relation name", "took-part-in"),
    ("Source", "id"): ("a source id", "cuba-1962/article"),
    ("Source", "via"): ("a source id", "cuba-1962/article"),
    ("Position", "id"): ("a position id", "position/ussr-on-the-blockade"),
    ("PackInfo", "id"): ("a pack id", "cuba-1962"),
    ("Entity", "pack"): ("a pack id", "cuba-1962"),
}
_PREFIXES = {"an entity id": "its type, a slash and ", "a position id": "'position/' and "}


@cache
def pattern_rule(pattern: str, what: str, example: str) -> str:
    """What `what` (a value that must match `pattern`) is made of, in words, found by trying
    characters against the pattern itself, so that the words stay true if the pattern changes:
    `an entity id is its type, a slash and lowercase letters, digits, ...`."""
    head = example[:example.index("/") + 1] if what in _PREFIXES else ""

    def fits(middle: str, first: str = "a") -> bool:
        return re.fullmatch(pattern, f"{head}{first}{middle}a") is not None

    if not fits("a"):
        return f"{what} is text that matches {pattern}"
    letters = "letters" if fits("A") else "lowercase letters"
    if fits("\u00e9") and fits("\u0436"):  # é, ж
        letters += " (of any alphabet)"
    listed = [letters] + (["digits"] if fits("0") else []) + [f"'{c}'" for c in "._-/" if fits(c)]
    rule = f"{what} is {_PREFIXES.get(what, '')}" + ", ".join(listed[:-1]) + " or " * (len(listed) > 1) + listed[-1]
    if any(fits(c) and not fits("", c) for c in "._-/"):
        rule += ", starting with a letter" + (" or digit" if fits("", "0") else "")
    if re.fullmatch(pattern, example):
        rule += f" (e.g. {example})"
    return rule


def _suggestion(pattern: str, value: Any) -> str:
    """A value like `value` that fits `pattern` (`Event/Port Vell` -> `event/port-vell`), or ''."""
    if not isinstance(value, str):
        return ""
    guess = re.sub(r"[\s_]+", "-", value.strip().lower())
    return f"; perhaps '{shown(guess)}'" if guess != value and re.fullmatch(pattern, guess) else ""


# --- pydantic errors --------------------------------------------------------------------------------

def field_problem(err: Any, section: str, record: Any) -> str:
    """One pydantic error (`ValidationError.errors()` item) about a record of `section` (a pack
    section, "pack" or ""), in plain words: `field 'citations': at least one citation is needed`."""
    model = record_model(section)
    parts, key = field_path(tuple(err.get("loc", ())), record)
    message = _message(err, model, parts)
    if not parts:
        first = message.split(" ", 1)[0]  # a rule across fields names the field it is about first
        if isinstance(record, dict) and first in model.model_fields:
            parts = [first]
        else:
            return message
    field = shown(".".join(parts), 120)
    if key is not None:
        return f"field '{field}': key '{shown(key)}': {message}"
    return f"field '{field}': {message}"


def _message(err: Any, model: type[BaseModel], parts: list[str]) -> str:
    kind, given, ctx = err.get("type", ""), err.get("input"), err.get("ctx") or {}
    name = parts[-1] if parts else ""
    holder = _model_at(model, parts) if parts else model
    thing = _NAMES.get(holder.__name__, "this record") if holder else "this record"
    if kind == "missing":
        if name == "citations":
            return "at least one citation is needed (every fact is cited): citations: [{source: ..., quote: \"...\"}]"
        return f"is missing; {thing} needs {_required(holder)}" if holder else "is missing"
    if kind == "extra_forbidden":
        if holder is None:
            return "not a field here"
        close = get_close_matches(name, list(holder.model_fields), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"not a field of {thing} ({hint}known: {_known(holder)})"
    if kind == "too_short" and name == "citations":
        return "at least one citation is needed (every fact is cited)"
    if kind == "too_short":
        return f"at least {ctx.get('min_length', 1)} item(s) needed, not {ctx.get('actual_length', 0)}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        return "is empty; give some text" if least == 1 else f"is too short: at least {least} characters"
    too_long = kind == "value_error" and "should have at most" in err.get("msg", "")  # db.pack's own check
    if kind in ("string_too_long", "too_long") or too_long:
        if name in _DATE_FIELDS:
            return f"{_given(given)} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
        most = ctx.get("max_length") or re.sub(r"\D", "", err.get("msg", "")) or "?"
        size = f" ({len(given)} characters)" if isinstance(given, str) else ""
        return f"is too long{size}; at most {most} characters are allowed"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        if model.__name__ == "Relation" and parts[0] in ("source_types", "target_types"):
            return (f"a type is {', '.join(ENTITY_TYPES[:-1])} or {ENTITY_TYPES[-1]}, or a type, a slash and a "
                    f"kind (actor/person), not {_given(given)}")
        what, example = _IDS.get((holder.__name__ if holder else "", name), ("this field", ""))
        if pattern == REF_PATTERN:
            what, example = _IDS[("Entity", "id")]
        return f"{pattern_rule(pattern, what, example)}, not {_given(given)}{_suggestion(pattern, given)}"
    if kind == "string_type":
        if name in _DATE_FIELDS and isinstance(given, int):
            return f"a date is text: quote it ({name}: \"{given}\")"
        if name in _DATE_FIELDS:
            return f"should be a date (\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\"), not {_given(given)}"
        return f"should be text, not {_given(given)}"
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        choices = ", ".join(expected[:-1]) + " or " + expected[-1] if len(expected) > 1 else "".join(expected)
        hint = ""
        if name == "type" and isinstance(given, str) and given not in ENTITY_TYPES:
            hint = f" (a {shown(given, 40)} may be a kind: type: actor, kind: {shown(given, 40)})"
        return f"should be {choices}, not {_given(given)}{hint}"
    if kind == "list_type":
        return (f"should be a list ([a, b], or lines that start with '- '), not {_given(given)}")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if not parts:
            inner: type[BaseModel] | None = model  # the record itself
        elif name.isdigit():
            inner = _model_at(model, [*parts, "?"])  # an item of a list of records
        else:
            inner = _models_in(holder.model_fields[name].annotation) if holder and name in holder.model_fields else None
        if inner is None:
            return f"should be a mapping (key: value), not {_given(given)}"
        return f"{_NAMES.get(inner.__name__, 'this')} is a mapping ({_required(inner)}: ...), not {_given(given)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"should be true or false, not {_given(given)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"should be a whole number, not {_given(given)}"
    if kind in ("float_type", "float_parsing"):
        return f"should be a number, not {_given(given)}"
    if kind in ("greater_than_equal", "less_than_equal") and name == "schema_version":
        versions = "1" if PACK_FORMAT_VERSION == 1 else f"1 to {PACK_FORMAT_VERSION}"
        return (f"is the version of the pack format, {versions} for this crisis-tui, not {_given(given)}"
                + (" (a newer crisis-tui may read it)" if kind == "less_than_equal" else ""))
    if kind == "greater_than_equal":
        return f"should be at least {ctx.get('ge')}, not {_given(given)}"
    if kind == "less_than_equal":
        return f"should be at most {ctx.get('le')}, not {_given(given)}"
    return str(err.get("msg", "")).removeprefix("Value error, ")


# --- YAML syntax errors -----------------------------------------------------------------------------

_CLOSE = {"[": "]", "{": "}"}


def _lines(text: str, first: int, last: int) -> list[str]:
    """Lines `first` to `last` (0-based, inclusive) of `text`, found without splitting it all."""
    at = 0
    for _ in range(first):
        at = text.find("\n", at) + 1
        if at == 0:
            return []
    out = []
    for _ in range(last - first + 1):
        end = text.find("\n", at)
        out.append(text[at:] if end < 0 else text[at:end])
        if end < 0:
            break
        at = end + 1
    return out


def _tokens(text: str, first: int, line: int, column: int) -> list[Any]:
    """The YAML tokens from the start of line `first` to (`line`, `column`), lines 0-based, with
    marks of the whole text; as many as scan cleanly."""
    if line - first > 2000:
        return []
    window = "\n".join(_lines(text, first, line))
    cut = len(window) - len(window.rsplit("\n", 1)[-1]) + column
    found: list[Any] = []
    try:
        for token in yaml.scan(window[:cut], Loader=yaml.SafeLoader):
            found.append(token)
    except yaml.YAMLError:
        pass
    while found and isinstance(found[-1], yaml.BlockEndToken | yaml.StreamEndToken):
        found.pop()  # made by the end of the window, not by the text
    for token in found:
        for mark in (token.start_mark, token.end_mark):
            mark.line += first
    return found


def _quote_fix(value: str) -> str:
    """`value` quoted as a YAML string."""
    value = value.strip()
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _with_value(line: str) -> str:
    """How `line` reads with its value written as `fix` would (`name: "[draft] A"`)."""
    key, sep, value = line.strip().removeprefix("- ").partition(": ")
    return f" ({shown(key, 40)}: {shown(_quote_fix(value), 60)})" if sep and value.strip() else ""


def yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """The line (1-based) of a YAML syntax mistake and what to do about it, in plain words."""
    problem, context = str(exc.problem or ""), str(exc.context or "")
    pm, cm = exc.problem_mark, exc.context_mark
    if pm is None:
        return (cm.line + 1 if cm else None), shown(problem or context, 200)
    line = pm.line
    here = (_lines(text, line, line) or [""])[0]
    char = here[pm.column:pm.column + 1]
    before = here[:pm.column]
    if "tab" in problem or char == "\t":
        if "\t" in here[:len(here) - len(here.lstrip())]:
            return line + 1, "a tab is used to indent this line; YAML indents with spaces only"
        return line + 1, "a tab is not allowed here; use spaces"
    if "quoted scalar" in context and cm is not None and ("end of stream" in problem or "document" in problem):
        quote = (_lines(text, cm.line, cm.line) or [""])[0][cm.column:cm.column + 1] or '"'
        return cm.line + 1, f"a quote ({quote}) opened on this line is never closed; end the value with {quote}"
    if "escape" in problem:
        return line + 1, ("in a value in double quotes, a backslash starts an escape (\\n, \\\", \\\\): write \\\\ "
                          "for a backslash, or put the value in single quotes")
    if context.startswith("while parsing a flow") and cm is not None:
        opener = "[" if "sequence" in context else "{"
        if cm.line != line:
            opened = (_lines(text, cm.line, cm.line) or [""])[0][cm.column:]
            for quote in ('"', "'"):
                if opened.replace("\\" + quote, "").count(quote) % 2:  # a quote left open swallows the closer
                    return cm.line + 1, (f"a quote ({quote}) opened on this line is never closed, so the "
                                         f"{_CLOSE[opener]} after it is read as text; end the value with {quote}")
            return cm.line + 1, (f"a {opener} opened on this line is never closed with {_CLOSE[opener]}; close it, "
                                 f"or quote the value if it is text that starts with {opener}")
        return line + 1, (f"inside {opener} {_CLOSE[opener]} items are separated by commas; quote an item "
                          f"that holds ', ', ': ', '[', ']', '{{' or '}}'")
    if "constructor for the tag" in problem:
        return line + 1, ("a value that starts with ! is read as a YAML tag, which a pack may not use; "
                          f"quote it{_with_value(here)}")
    if "alias" in problem:
        return line + 1, f"a value that starts with * is read as a YAML alias; quote it{_with_value(here)}"
    if "cannot start any token" in problem:
        shown_char = "a backquote (`)" if char == "`" else char
        return line + 1, f"a value cannot start with {shown_char}; quote it{_with_value(here)}"
    if "block scalar" in context:
        return line + 1, ("after | or > the text starts on the next line, indented; or quote the value "
                          "instead" + _with_value(here))
    if "mapping values are not allowed" in problem:
        if ":" in before.strip().removeprefix("- ").split(" ", 1)[0] or re.search(r":(\s|$)", before):
            return line + 1, f"a value that holds ': ' must be quoted{_with_value(here)}"
        return line + 1, ("this line is indented deeper than the key above it, so it reads as more of "
                          "that key's value; line it up with the other keys of its record")
    if "simple key" in context and cm is not None:
        opened = (_lines(text, cm.line, cm.line) or [""])[0]
        if re.search(r":[^\s]", opened):
            return cm.line + 1, "put a space after the colon of a key (key: value)"
        return cm.line + 1, ("this line is neither 'key: value' nor a list item ('- ...'); check its "
                             "colon and its indentation")
    if "expected key" in problem or "<block end>" in problem or "'-' indicator" in problem:
        if char == "-" or "'-'" in problem or "sequence start" in problem:
            return line + 1, ("a list item ('- ...') at an indentation that matches nothing above; line it up "
                              "with the other items of its list, or with the key it belongs to, indented")
        first = cm.line if cm is not None and cm.line <= line else max(0, line - 50)
        tokens = _tokens(text, first, line, pm.column)
        if tokens:
            last = tokens[-1]
            if isinstance(last, yaml.ScalarToken) and last.style in ('"', "'"):
                q = last.style
                if last.start_mark.line != last.end_mark.line:
                    return last.start_mark.line + 1, (
                        f"a quote ({q}) opened on this line is never closed (what follows, up to the next {q} "
                        f"on line {last.end_mark.line + 1}, is read as its text); end the value with {q}")
                inner = "''" if q == "'" else '\\"'
                return line + 1, (f"text follows the closing quote ({q}) of a value; quote the whole value, "
                                  f"writing a {q} inside it as {inner}")
            if isinstance(last, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken):
                opener = "[" if isinstance(last, yaml.FlowSequenceEndToken) else "{"
                kind = "list" if opener == "[" else "mapping"
                return line + 1, (f"a value that starts with {opener} is read as a {kind}; quote it"
                                  f"{_with_value(here)}")
        return line + 1, ("this line does not line up with the keys above it; check its indentation "
                          "(keys of one record start in the same column)")
    return line + 1, shown(problem or context, 200)
