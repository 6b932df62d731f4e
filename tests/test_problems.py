"""Errors that teach: a pack author's mistakes worded in plain words, on the line where they are,
every one listed (seed/problems.py, seed/loader.py)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from crisis_tui.db.constants import REF_PATTERN
from crisis_tui.db.errors import PackError
from crisis_tui.seed.importer import import_packs
from crisis_tui.seed.loader import LISTED_PROBLEMS, load_pack, read_pack
from crisis_tui.seed.problems import field_path, pattern_rule

from .conftest import CLI

# A small pack; each case below swaps one line of it (line 13: the event's `name:`).
PACK = """\
schema_version: 1
pack: {id: demo, title: A demo crisis}
relations:
  - {name: participant, label: participant, inverse: took part in}
sources:
  - id: note
    title: A field note
    text: "On 3 March 2024 the Harbour Council met the Fishers' Union at Port Vell."
entities:
  - id: event/port-vell-2024
    type: event
    date: "2024-03-03"
    name: Port Vell meeting
    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]
  - id: actor/harbour-council
    type: actor
    name: Harbour Council
    citations: [{source: note, quote: "the Harbour Council met the Fishers' Union"}]
links:
  - source: event/port-vell-2024
    relation: participant
    target: actor/harbour-council
    citations: [{source: note, quote: "the Harbour Council met the Fishers' Union"}]
"""
NAME = "    name: Port Vell meeting\n"
EVENT = "entity event/port-vell-2024"
JARGON = ["Input should", "String should", "Field required", "Extra inputs", "List should", "pattern", "^[",
          "constrained-str", "[key]", "while scanning", "while parsing", "expected <block end>", "simple key"]


def refusal(tmp_path: Path, text: str) -> PackError:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PackError) as info:
        read_pack(path)
    for line in (f"{info.value.where}: {info.value.problem}", *info.value.others):
        assert not any(word in line for word in JARGON), line
    return info.value


def swapped(old: str, new: str) -> str:
    assert old in PACK, old
    return PACK.replace(old, new, 1)


FIELD_CASES = [
    # (line of PACK, its replacement, where, the problem in full)
    ("  - id: event/port-vell-2024\n", "  - id: event/Port Vell\n", "10: entity event/Port Vell",
     "field 'id': an entity id is its type, a slash and lowercase letters, digits, '.', '_' or '-', starting with "
     "a letter or digit (e.g. actor/soviet-union), not 'event/Port Vell'; perhaps 'event/port-vell'"),
    ("  - id: event/port-vell-2024\n", "  - id: Event/port-vell-2024\n", "10: entity Event/port-vell-2024",
     "field 'id': an entity id is its type, a slash and lowercase letters, digits, '.', '_' or '-', starting with "
     "a letter or digit (e.g. actor/soviet-union), not 'Event/port-vell-2024'; perhaps 'event/port-vell-2024'"),
    ('    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]\n', "", f"10: {EVENT}",
     "field 'citations': at least one citation is needed (every fact is cited): "
     'citations: [{source: ..., quote: "..."}]'),
    ('    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]\n', "    citations: []\n",
     f"10: {EVENT}", "field 'citations': at least one citation is needed (every fact is cited)"),
    (NAME, NAME + "    colour: red\n", f"10: {EVENT}",
     "field 'colour': not a field of an entity (known: id, type, kind, name, summary, date, date_end, "
     "date_precision, date_uncertain, date_note, attributes, pack, aliases, notes, citations)"),
    (NAME, NAME + "    summery: x\n", f"10: {EVENT}",
     "field 'summery': not a field of an entity (did you mean 'summary'? known: id, type, kind, name, summary, "
     "date, date_end, date_precision, date_uncertain, date_note, attributes, pack, aliases, notes, citations)"),
    (NAME, "    name: [Port, Vell]\n", f"10: {EVENT}", "field 'name': should be text, not a list"),
    (NAME, "    name:\n", f"10: {EVENT}", "field 'name': should be text, not nothing (an empty value)"),
    ('    date: "2024-03-03"\n', "    date: 3 March 2024\n", f"10: {EVENT}",
     "field 'date': '3 March 2024' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
    ('    date: "2024-03-03"\n', "    date: 2024\n", f"10: {EVENT}",
     "field 'date': a date is text: quote it (date: \"2024\")"),
    ('    date: "2024-03-03"\n', "    date: 2024-3-3\n", f"10: {EVENT}",
     "field 'date': '2024-3-3' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
    (NAME, NAME + "    attributes: {killed: [1, 2]}\n", f"10: {EVENT}",
     "field 'attributes.killed': an attribute is text, a number, true or false"),
    (NAME, NAME + "    attributes: {killed: {men: 1}}\n", f"10: {EVENT}",
     "field 'attributes.killed': an attribute is text, a number, true or false"),
    (NAME, NAME + "    attributes: [killed]\n", f"10: {EVENT}",
     "field 'attributes': should be a mapping (key: value), not a list"),
    ("    type: event\n", "    type: person\n", f"10: {EVENT}",
     "field 'type': should be event, actor, agreement or place, not 'person' "
     "(a person may be a kind: type: actor, kind: person)"),
    (NAME, NAME + "    date_precision: week\n", f"10: {EVENT}",
     "field 'date_precision': should be year, month or day, not 'week'"),
    ('    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]\n',
     "    citations: [note]\n", f"10: {EVENT}",
     "field 'citations.0': a citation is a mapping (source and quote: ...), not 'note'"),
    ('    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]\n',
     "    citations: [{source: note}]\n", f"10: {EVENT}",
     "field 'citations.0.quote': is missing; a citation needs source and quote"),
    ('    citations: [{source: note, quote: "On 3 March 2024 the Harbour Council met"}]\n',
     '    citations: [{source: note, quote: "On 3 March", page: 2}]\n', f"10: {EVENT}",
     "field 'citations.0.page': not a field of a citation (known: source, quote)"),
    ("    name: Harbour Council\n", "    name: Harbour Council\n    aliases: HC\n", "15: entity actor/harbour-council",
     "field 'aliases': should be a list ([a, b], or lines that start with '- '), not 'HC'"),
    ("  - {name: participant,", "  - {name: Participant,", "4: relation Participant",
     "field 'name': a relation name is lowercase letters or '-', starting with a letter (e.g. took-part-in), "
     "not 'Participant'; perhaps 'participant'"),
    ("inverse: took part in}", "inverse: took part in, source_types: [person]}", "4: relation participant",
     "field 'source_types.0': a type is event, actor, agreement or place, or a type, a slash and a kind "
     "(actor/person), not 'person'"),
    ("  - id: note\n", "  - id: Field Note\n", "6: source Field Note",
     "field 'id': a source id is lowercase letters, digits, '.', '_', '-' or '/', starting with a letter or digit "
     "(e.g. cuba-1962/article), not 'Field Note'; perhaps 'field-note'"),
    ("    relation: participant\n", "    relation:\n", "20: link event/port-vell-2024 -None-> actor/harbour-council",
     "field 'relation': should be text, not nothing (an empty value)"),
    ("schema_version: 1\n", "schema_version: -1\n", "1",
     "field 'schema_version': is the version of the pack format, 1 to 2 for this crisis-tui, not the number -1"),
    ("schema_version: 1\n", "schema_version: 9\n", "1",
     "field 'schema_version': is the version of the pack format, 1 to 2 for this crisis-tui, not the number 9 "
     "(a newer crisis-tui may read it)"),
    ("pack: {id: demo, title: A demo crisis}", "pack: {id: Demo Pack, title: A demo crisis}", "2: pack Demo Pack",
     "field 'id': a pack id is lowercase letters, digits, '.', '_' or '-', starting with a letter or digit "
     "(e.g. cuba-1962), not 'Demo Pack'; perhaps 'demo-pack'"),
    ("pack: {id: demo, title: A demo crisis}", "pack: {id: demo}", "2: pack demo",
     "field 'title': is missing; the pack needs id and title"),
]


@pytest.mark.parametrize(("old", "new", "where", "problem"), FIELD_CASES, ids=[c[3][:40] for c in FIELD_CASES])
def test_a_field_problem_says_what_is_expected(tmp_path, old, new, where, problem):
    error = refusal(tmp_path, swapped(old, new))
    assert (error.where, error.problem) == (f"{tmp_path / 'pack.yaml'}:{where}", problem)


def test_an_attribute_key_is_named_as_a_key(tmp_path):
    error = refusal(tmp_path, swapped(NAME, NAME + '    attributes: {"killed\\ttoday": 3}\n'))
    assert error.problem == "field 'attributes': key 'killed\\x09today': a tab is not allowed in this one-line field"


def test_a_field_path_leaves_out_union_members_and_key_markers():
    record = {"attributes": {"x": [1], "a b": 2}, "citations": [{"source": "s"}]}
    assert field_path(("attributes", "x", "constrained-str"), record) == (["attributes", "x"], None)
    assert field_path(("attributes", "x", "function-after[check(), str]"), record) == (["attributes", "x"], None)
    assert field_path(("attributes", "a b", "[key]"), record) == (["attributes"], "a b")
    assert field_path(("citations", 0, "quote"), record) == (["citations", "0", "quote"], None)


def test_every_field_problem_of_a_record_is_listed(tmp_path):
    text = swapped("  - id: event/port-vell-2024\n    type: event\n",
                   "  - id: Event\n    type: event\n    colour: red\n")
    error = refusal(tmp_path, text.replace(NAME, ""))
    where = f"{tmp_path / 'pack.yaml'}:10: entity Event"
    assert error.where == where and error.problem.startswith("field 'id': an entity id is")
    assert error.more == 2
    assert error.others == (
        f"{where}: field 'name': is missing; an entity needs id, type, name and citations",
        f"{where}: field 'colour': not a field of an entity (known: id, type, kind, name, summary, date, date_end, "
        "date_precision, date_uncertain, date_note, attributes, pack, aliases, notes, citations)",
    )


def test_problems_past_the_listed_ones_are_counted(tmp_path):
    records = "".join(f"  - {{id: event/e{n}, type: event, name: E, citations: []}}\n" for n in range(30))
    error = refusal(tmp_path, PACK.replace("entities:\n", "entities:\n" + records, 1))
    assert error.more == 29 and len(error.others) == LISTED_PROBLEMS
    assert error.others[0] == (f"{tmp_path / 'pack.yaml'}:11: entity event/e1: "
                               "field 'citations': at least one citation is needed (every fact is cited)")


def test_the_cli_lists_every_problem_a_line_each(tmp_path):
    path = tmp_path / "pack.yaml"
    path.write_text(swapped("    type: event\n", "    type: person\n    colour: red\n"), encoding="utf-8")
    result = subprocess.run([CLI, "--db", str(tmp_path / "x.db"), "build", "--pack", str(path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"crisis-tui: error: {path}:10: {EVENT}: field 'type': should be event, actor, agreement or place, "
        "not 'person' (a person may be a kind: type: actor, kind: person) (and 1 more problem)",
        f"  {path}:10: {EVENT}: field 'colour': not a field of an entity (known: id, type, kind, name, summary, "
        "date, date_end, date_precision, date_uncertain, date_note, attributes, pack, aliases, notes, citations)",
    ]


def test_the_id_rule_is_read_from_the_pattern():
    assert pattern_rule(REF_PATTERN, "an entity id", "actor/soviet-union").startswith(
        "an entity id is its type, a slash and lowercase letters, digits, '.', '_' or '-'")
    # were ids widened to letters of any alphabet, the words would follow
    wide = r"^[a-z]+/[^\W_A-Z](?:[^\WA-Z]|[.-])*$"
    assert pattern_rule(wide, "an entity id", "actor/soviet-union") == (
        "an entity id is its type, a slash and lowercase letters (of any alphabet), digits, '.', '_' or '-', "
        "starting with "
        "a letter or digit (e.g. actor/soviet-union)")
    assert re.fullmatch(wide, "actor/жуков") and not re.fullmatch(wide, "actor/Zhukov")


# --- YAML syntax errors, on the line of the mistake -------------------------------------------------

YAML_CASES = [
    # (the event's name line replaced by, the line named, the problem after "malformed YAML: ")
    ('    name: "Port Vell meeting\n', 13,
     'a quote (") opened on this line is never closed (what follows, up to the next " on line 14, is read as its '
     'text); end the value with "'),
    ("    name: 'Port Vell meeting\n", 13,
     "a quote (') opened on this line is never closed (what follows, up to the next ' on line 18, is read as its "
     "text); end the value with '"),
    ("    name: Port Vell meeting\n    aliases: [Port Vell, PV\n", 14,
     "a [ opened on this line is never closed with ]; close it, or quote the value if it is text that starts with ["),
    ("    name: Port Vell meeting\n    attributes: {killed: 3\n", 14,
     "a { opened on this line is never closed with }; close it, or quote the value if it is text that starts with {"),
    ('    name: Port Vell meeting\n    attributes: {place: "Port Vell}\n', 14,  # a newcomer's: the quote, not the {
     'a quote (") opened on this line is never closed, so the } after it is read as text; end the value with "'),
    ("\tname: Port Vell meeting\n", 13, "a tab is used to indent this line; YAML indents with spaces only"),
    ("    name: Port Vell: the meeting\n", 13,
     "a value that holds ': ' must be quoted (name: 'Port Vell: the meeting')"),
    ('    name: The council said "wait: now"\n', 13,
     "a value that holds ': ' must be quoted (name: 'The council said \"wait: now\"')"),
    ("    name:Port Vell meeting\n", 13, "put a space after the colon of a key (key: value)"),
    ("    name: Port Vell meeting\n    aliases:\n      - PV\n     - Vell\n", 16,
     "a list item ('- ...') at an indentation that matches nothing above; line it up with the other items of its "
     "list, or with the key it belongs to, indented"),
    ("    name: Port Vell meeting\n    - PV\n", 14,
     "a list item ('- ...') at an indentation that matches nothing above; line it up with the other items of its "
     "list, or with the key it belongs to, indented"),
    ("    name: Port Vell meeting\n      kind: talks\n", 14,
     "this line is indented deeper than the key above it, so it reads as more of that key's value; line it up "
     "with the other keys of its record"),
    ("    name: [draft] Port Vell meeting\n", 13,
     "a value that starts with [ is read as a list; quote it (name: '[draft] Port Vell meeting')"),
    ("    name: {draft} Port Vell meeting\n", 13,
     "a value that starts with { is read as a mapping; quote it (name: '{draft} Port Vell meeting')"),
    ("    name: *Port Vell meeting\n", 13,
     "a value that starts with * is read as a YAML alias; quote it (name: '*Port Vell meeting')"),
    ("    name: @Port Vell meeting\n", 13, "a value cannot start with @; quote it (name: '@Port Vell meeting')"),
    ("    name: `Port Vell` meeting\n", 13,
     "a value cannot start with a backquote (`); quote it (name: '`Port Vell` meeting')"),
    ("    name: !Port Vell meeting\n", 13,
     "a value that starts with ! is read as a YAML tag, which a pack may not use; quote it "
     "(name: '!Port Vell meeting')"),
    ('    name: "Port Vell" meeting\n', 13,
     'text follows the closing quote (") of a value; quote the whole value, writing a " inside it as \\"'),
    ("    name: 'Port Vell's meeting'\n", 13,
     "text follows the closing quote (') of a value; quote the whole value, writing a ' inside it as ''"),
    ("    name: | Port Vell meeting\n", 13,
     "after | or > the text starts on the next line, indented; or quote the value instead "
     "(name: '| Port Vell meeting')"),
    ('    name: "Port Vell \\q meeting"\n', 13,
     "in a value in double quotes, a backslash starts an escape (\\n, \\\", \\\\): write \\\\ for a backslash, "
     "or put the value in single quotes"),
]


@pytest.mark.parametrize(("new", "line", "problem"), YAML_CASES, ids=[c[0].strip()[:30] for c in YAML_CASES])
def test_a_yaml_mistake_is_named_on_its_line(tmp_path, new, line, problem):
    error = refusal(tmp_path, swapped(NAME, new))
    assert (error.where, error.problem) == (f"{tmp_path / 'pack.yaml'}:{line}", f"malformed YAML: {problem}")


def test_an_unclosed_quote_in_the_last_record_is_named_where_it_opened(tmp_path):
    text = swapped('    target: actor/harbour-council\n', '    target: "actor/harbour-council\n')
    error = refusal(tmp_path, text)
    assert error.where == f"{tmp_path / 'pack.yaml'}:22"
    assert error.problem.startswith('malformed YAML: a quote (") opened on this line is never closed')


def test_an_unclosed_quote_at_the_end_of_the_file_is_named_where_it_opened(tmp_path):
    error = refusal(tmp_path, PACK + '    note: "the council met\n')
    assert (error.where, error.problem) == (f"{tmp_path / 'pack.yaml'}:24", 'malformed YAML: a quote (") opened '
                                            'on this line is never closed; end the value with "')


def test_the_pack_the_cases_change_reads(tmp_path):
    path = tmp_path / "pack.yaml"
    path.write_text(PACK, encoding="utf-8")
    pack, _ = read_pack(path)
    assert pack.entities[0].name == "Port Vell meeting"


# --- what docs/pack-format.md says in "Ids, quotes and `via`" ---------------------------------------

SHEET_PACK = """\
sources:
  - id: sheet
    title: Fact sheet
    text: |
      The Harbour Council met on 3 March 2024 at the quay. https://example.org/meeting
      The council voted to close the quay that evening. https://example.org/meeting
      The fishers struck for two days after the vote. https://example.org/strike
  - {id: web/meeting, title: Meeting page, address: 'https://example.org/meeting', via: sheet}
  - {id: web/gone, title: Gone page, address: 'https://example.org/gone', via: sheet}
  - {id: web/any, title: A page, via: sheet}
  - {id: web/own, title: Own text, via: sheet, text: The fishers went back to sea on Friday.}
entities:
  - id: event/meeting
    type: event
    name: Meeting
    citations:
      - source: CITED
        quote: QUOTE
"""


def load_cited(tmp_path: Path, source: str, quote: str) -> PackError | None:
    path = tmp_path / "pack.yaml"
    path.write_text(SHEET_PACK.replace("CITED", source).replace("QUOTE", quote), encoding="utf-8")
    try:
        load_pack(path)
    except PackError as exc:
        return exc
    return None


def test_a_quote_drops_only_its_outer_spaces_and_line_breaks(tmp_path):
    assert load_cited(tmp_path, "sheet", '"  The Harbour Council met on 3 March  "') is None
    error = load_cited(tmp_path, "sheet", '"The Harbour  Council met on 3 March"')  # two spaces inside
    assert error is not None and "not found verbatim in source 'sheet'" in error.problem
    # a literal block keeps its line break (and the one it ends in is dropped): it spans two lines
    assert load_cited(tmp_path, "sheet", "|\n          at the quay. https://example.org/meeting\n"
                                         "          The council voted") is None
    # a folded block turns the line break into a space: not what the source says
    error = load_cited(tmp_path, "sheet", ">\n          at the quay. https://example.org/meeting\n"
                                          "          The council voted")
    assert error is not None and "not found verbatim in source 'sheet'" in error.problem
    assert load_cited(tmp_path, "sheet", '"at the quay. https://example.org/meeting\\nThe council voted"') is None


def test_a_via_source_quotes_the_lines_holding_its_address(tmp_path):
    # over the two lines that hold the address
    assert load_cited(tmp_path, "web/meeting", "|\n          at the quay. https://example.org/meeting\n"
                                               "          The council voted") is None
    error = load_cited(tmp_path, "web/meeting", "The fishers struck for two days")
    assert error is not None and error.problem.startswith(
        "field 'citations.0.quote': not found on a line of source 'sheet' that holds this source's address "
        "https://example.org/meeting")
    error = load_cited(tmp_path, "web/gone", "The fishers struck for two days")
    assert error is not None and error.problem.startswith(
        "field 'citations.0.quote': source 'sheet' has no line holding this source's address https://example.org/gone")
    assert load_cited(tmp_path, "web/any", "The fishers struck for two days") is None  # no address: any line
    assert load_cited(tmp_path, "web/own", "The fishers went back to sea") is None  # its own text
    error = load_cited(tmp_path, "web/own", "The fishers struck for two days")
    assert error is not None and "not found verbatim in source 'web/own'" in error.problem


def test_ids_are_shared_by_every_pack_in_a_database(tmp_path, db_copy):
    first = tmp_path / "first.yaml"
    first.write_text(SHEET_PACK.replace("CITED", "sheet").replace("QUOTE", "The Harbour Council met on 3 March"),
                     encoding="utf-8")
    import_packs([first], db_copy)
    second = tmp_path / "second.yaml"  # cites the first pack's source, which it does not hold
    second.write_text("entities:\n  - {id: actor/council, type: actor, name: Harbour Council, citations: "
                      "[{source: sheet, quote: The Harbour Council met on 3 March}]}\n", encoding="utf-8")
    import_packs([second], db_copy)
    third = tmp_path / "third.yaml"  # another source of the same id
    third.write_text("sources: [{id: sheet, title: Another sheet, text: Another text of the same id.}]\n",
                     encoding="utf-8")
    with pytest.raises(PackError, match=r"third.yaml:1: source sheet: differs from the version in the database "
                                        r"\(field 'text'"):
        import_packs([third], db_copy)


def test_an_unquoted_anchor_or_comment_cuts_a_value(tmp_path):
    text = swapped(NAME, "    name: &x Port Vell meeting\n").replace("    name: Harbour Council\n",
                                                                       "    name: Harbour #1 Council\n")
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    pack, _ = read_pack(path)
    assert [e.name for e in pack.entities] == ["Port Vell meeting", "Harbour"]
