"""The loader: each kind of bad data gives one clear error and leaves the database as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from crisis_tui.db.errors import PackError
from crisis_tui.seed.loader import load_pack

from .conftest import CLI


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BAD_EDITS = [
    # (file, old, new, words the error must contain)
    ("links.yaml", "    target: place/baisaran-meadow", "    target: place/atlantis",
     ["links.yaml:", "link event/pahalgam-attack-2025 -located-in-> place/atlantis", "'target'",
      "unknown id 'place/atlantis'"]),
    ("places.yaml", "  - id: place/kashmir\n", "  - id: place/jammu-and-kashmir\n",
     ["places.yaml:", "entity place/jammu-and-kashmir", "duplicate id"]),
    ("events.yaml", 'date: "2025-04-22"\n    summary: >-\n      Terrorist',
     'date: "2025-02-30"\n    summary: >-\n      Terrorist',
     ["events.yaml:", "entity event/pahalgam-attack-2025", "'date'", "not a real date"]),
    ("links.yaml", "    relation: claimed-by", "    relation: blamed-on",
     ["links.yaml:", "-blamed-on->", "'relation'", "unknown relation 'blamed-on'"]),
    ("actors.yaml", 'quote: "India has accused terrorists based in Pakistan of planning the attack"',
     'quote: "India has accused aliens of planning the attack"',
     ["actors.yaml:", "entity actor/india", "citations.0.quote", "not found verbatim"]),
    ("actors.yaml", "    name: Russia\n", "",
     ["actors.yaml:", "entity actor/russia", "'name': is missing; an entity needs id, type, name and citations"]),
    ("agreements.yaml", "    type: agreement\n    kind: treaty", "    type: treaty\n    kind: treaty",
     ["agreements.yaml:", "agreement/indus-waters-treaty-1960", "'type'"]),
    ("places.yaml", "  - id: place/kashmir\n    type: place", "  - id: place/kashmir\n    type: place\n  broken: [",
     ["places.yaml:", "malformed YAML"]),
    ("links.yaml", "    citations: [{source: article, quote: \"Pahalgam, Jammu and Kashmir\"}]",
     "    citations: []", ["links.yaml:", "'citations'"]),
    ("actors.yaml", "{source: article, quote: \"India has accused", "{source: nowhere, quote: \"India has accused",
     ["actors.yaml:", "entity actor/india", "unknown source 'nowhere'"]),
]


@pytest.mark.parametrize(("file", "old", "new", "words"), BAD_EDITS, ids=[w[-1] for *_, w in BAD_EDITS])
def test_bad_pack_is_refused_with_a_clear_error(pack_dir, file, old, new, words):
    edit(pack_dir / file, old, new)
    with pytest.raises(PackError) as info:
        load_pack(pack_dir)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(("file", "old", "new", "words"), BAD_EDITS[:5], ids=[w[-1] for *_, w in BAD_EDITS[:5]])
def test_bad_pack_leaves_the_database_unchanged(pack_dir, db_copy, file, old, new, words):
    edit(pack_dir / file, old, new)
    before = db_copy.read_bytes()
    result = subprocess.run(
        [CLI, "--db", str(db_copy), "build", "--pack", str(pack_dir)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.startswith("crisis-tui: error: ") and words[-1] in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert db_copy.read_bytes() == before
    assert not list(db_copy.parent.glob(".*.tmp"))


def test_line_numbers_point_at_the_record(pack_dir):
    edit(pack_dir / "links.yaml", "    target: place/baisaran-meadow", "    target: place/atlantis")
    with pytest.raises(PackError) as info:
        load_pack(pack_dir)
    line = int(str(info.value).split("links.yaml:")[1].split(":")[0])
    lines = (pack_dir / "links.yaml").read_text().splitlines()
    assert lines[line - 1].strip() == "- source: event/pahalgam-attack-2025"


def test_every_problem_is_counted(pack_dir):
    edit(pack_dir / "links.yaml", "    relation: claimed-by", "    relation: blamed-on")
    edit(pack_dir / "links.yaml", "    relation: mediator", "    relation: go-between")
    with pytest.raises(PackError) as info:
        load_pack(pack_dir)
    assert info.value.more >= 1 and "more problem" in str(info.value)


def test_a_single_json_pack_loads(tmp_path, kb):
    import json

    path = tmp_path / "pack.json"
    path.write_text(json.dumps(kb.export()), encoding="utf-8")
    pack = load_pack(path)
    assert len(pack.entities) == sum(kb.count(t) for t in ("event", "actor", "agreement", "place"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"entities: [\xff\xfe]", "UTF-8"),
        (b"- just\n- a list\n", "mapping"),
        (b"novel: section\n", "unknown section 'novel'"),
    ],
)
def test_unreadable_files(tmp_path, content, words):
    path = tmp_path / "pack.yaml"
    path.write_bytes(content)
    with pytest.raises(PackError) as info:
        load_pack(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_entities_are_of_the_pack_they_are_given_in(bundled_pack, tmp_path):
    assert {e.pack for e in bundled_pack.entities} == {"india-pakistan-2025"}
    document = ("sources: [{id: s, title: S, text: \"Port Vell\\nHarbour\"}]\n"
                "entities:\n"
                "  - {id: place/port-vell, type: place, name: Port Vell, citations: [{source: s, quote: Port Vell}]}\n"
                "  - {id: place/harbour, type: place, name: Harbour, pack: charts,"
                " citations: [{source: s, quote: Harbour}]}\n")
    (tmp_path / "bare.yaml").write_text(document, encoding="utf-8")
    with pytest.raises(PackError, match=r"bare.yaml:4: entity place/harbour: field 'pack': 'charts' is not a pack "
                                        r"this document gives"):
        load_pack(tmp_path / "bare.yaml")  # a pack is declared (with its title) before a record names it
    (tmp_path / "named.yaml").write_text(
        "packs: [{id: ports, title: Ports}, {id: charts, title: Charts}]\n"
        + document.replace("name: Port Vell,", "name: Port Vell, pack: ports,"), encoding="utf-8")
    assert [e.pack for e in load_pack(tmp_path / "named.yaml").entities] == ["ports", "charts"]
    one = "pack: {id: ports, title: Ports}\n" + document.replace("pack: charts", "pack: null")
    (tmp_path / "one.yaml").write_text(one, encoding="utf-8")
    assert [e.pack for e in load_pack(tmp_path / "one.yaml").entities] == ["ports", None]


def test_an_entity_names_its_pack_by_a_pack_id(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "sources: [{id: s, title: S, text: 'Port Vell'}]\n"
        "entities: [{id: place/port-vell, type: place, name: Port Vell, pack: Port Charts,"
        " citations: [{source: s, quote: Port Vell}]}]\n", encoding="utf-8")
    with pytest.raises(PackError, match=r"p.yaml:2: entity place/port-vell: field 'pack': a pack id is lowercase "
                       r"letters, digits, '\.', '_' or '-', starting with a letter or digit \(e\.g\. cuba-1962\), "
                       r"not 'Port Charts'; perhaps 'port-charts'$"):
        load_pack(tmp_path / "p.yaml")


SHEET = ("# Fact sheet of the harbour\n\n"
         "| fact | value | address |\n"
         "|---|---|---|\n"
         "| Meeting | The Harbour Council met on 3 March 2024 | https://example.org/meeting |\n"
         "| Vote | The council voted to close the quay | same; https://example.org/vote |\n"
         "| Strike | The fishers struck for two days | https://example.org/meeting-notes |\n")


def write_checked_pack(tmp_path: Path, quote: str, source: str = "sheet", actor: str = "actor/council") -> None:
    """A small pack citing `quote` from `source` (the sheet, or a page recorded via it)."""
    (tmp_path / "sheet.md").write_text(SHEET, encoding="utf-8")
    (tmp_path / "pack.yaml").write_text(
        "sources:\n"
        "  - {id: sheet, title: Fact sheet of the harbour, text_file: sheet.md}\n"
        "  - {id: web/meeting, title: Meeting page, address: 'https://example.org/meeting', via: sheet}\n"
        "  - {id: web/vote, title: Vote page, address: 'https://example.org/vote', via: sheet}\n"
        "entities:\n"
        "  - {id: actor/council, type: actor, name: Council,"
        " citations: [{source: sheet, quote: The Harbour Council met on 3 March 2024}]}\n"
        "  - {id: event/meeting, type: event, name: Meeting,"
        f" citations: [{{source: {source}, quote: \"{quote}\"}}]}}\n"
        "positions:\n"
        f"  - {{id: position/p, actor: {actor}, topic: Quay, stance: closes, statement: Closes it.,"
        " citations: [{source: sheet, quote: The council voted to close the quay}]}\n", encoding="utf-8")


def checked_pack(tmp_path: Path, *, quote: str, source: str = "sheet", actor: str = "actor/council") -> str:
    """The one-line error of the small pack of `write_checked_pack`."""
    write_checked_pack(tmp_path, quote, source, actor)
    with pytest.raises(PackError) as info:
        load_pack(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_the_checked_pack_loads_when_every_citation_fits(tmp_path):
    """The pack of the tests below, with fitting quotes: a row of the page, the page of a `same` row."""
    write_checked_pack(tmp_path, "The Harbour Council met on 3 March 2024", "web/meeting")
    assert len(load_pack(tmp_path).entities) == 2
    write_checked_pack(tmp_path, "The council voted to close the quay", "web/meeting")  # the `same` row below
    assert len(load_pack(tmp_path).entities) == 2


def test_a_quote_of_fewer_than_four_words_is_refused(tmp_path):
    message = checked_pack(tmp_path, quote="Harbour Council met")
    assert "pack.yaml:7: entity event/meeting: field 'citations.0.quote': a quote has at least 4 words" in message


def test_a_quote_within_a_heading_or_a_table_header_is_refused(tmp_path):
    message = checked_pack(tmp_path, quote="Fact sheet of the harbour")
    assert ("pack.yaml:7: entity event/meeting: field 'citations.0.quote': a heading of source 'sheet', "
            "not a passage") in message
    message = checked_pack(tmp_path, quote="| fact | value | address |")
    assert "field 'citations.0.quote': a heading of source 'sheet'" in message


def test_a_via_quote_must_come_from_a_line_holding_its_page(tmp_path):
    """The strike row's address starts with the meeting page's, but is another page; the vote page
    is not on the meeting row (only the row below says `same`)."""
    message = checked_pack(tmp_path, quote="The fishers struck for two days", source="web/meeting")
    assert ("pack.yaml:7: entity event/meeting: field 'citations.0.quote': not found on a line of source 'sheet' "
            "that holds this source's address https://example.org/meeting") in message
    message = checked_pack(tmp_path, quote="The Harbour Council met on 3 March 2024", source="web/vote")
    assert "that holds this source's address https://example.org/vote" in message


def test_a_position_is_held_by_an_actor(tmp_path):
    message = checked_pack(tmp_path, quote="The Harbour Council met on 3 March 2024", actor="event/meeting")
    assert ("pack.yaml:9: position position/p: field 'actor': event/meeting is not an actor "
            "(a position is held by an actor)") in message


def test_a_relation_joins_the_entity_types_it_declares(tmp_path):
    (tmp_path / "pack.yaml").write_text(
        "relations:\n"
        "  - {name: signatory, label: signatory, inverse: signed, source_types: [agreement],"
        " target_types: [actor/person]}\n"
        "sources: [{id: s, title: S, text: \"The treaty was signed by India and by Nehru for it.\"}]\n"
        "entities:\n"
        "  - {id: agreement/t, type: agreement, name: T, citations: [{source: s, quote: The treaty was signed}]}\n"
        "  - {id: actor/india, type: actor, kind: state, name: India,"
        " citations: [{source: s, quote: signed by India and}]}\n"
        "  - {id: actor/nehru, type: actor, kind: person, name: Nehru,"
        " citations: [{source: s, quote: by Nehru for it}]}\n"
        "links:\n"
        "  - {source: agreement/t, relation: signatory, target: actor/nehru,"
        " citations: [{source: s, quote: by Nehru for it}]}\n"
        "  - {source: agreement/t, relation: signatory, target: actor/india,"
        " citations: [{source: s, quote: signed by India and}]}\n", encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack(tmp_path)
    assert str(info.value).endswith(
        "pack.yaml:10: link agreement/t -signatory-> actor/india: field 'target': relation 'signatory' joins a "
        "target of type actor/person, not actor/india (actor/state)")
