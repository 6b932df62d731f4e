"""Hostile packs fail cleanly: one line naming the file, line, record and field; the database
untouched; quickly and in bounded memory; never a traceback (docs/pack-format.md, "Limits and
refused input")."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from crisis_tui.db.errors import PackError
from crisis_tui.db.pack import MAX_SOURCE, MAX_TEXT
from crisis_tui.db.text import LINE_CONTROL
from crisis_tui.seed.importer import import_packs

from .conftest import CLI

ESC = "\x1b"
NOT_TEXT = "is not allowed (pack text is shown as text)"
EVENT = "entity event/port-vell-2024"
ATTRIBUTES = '"attributes"'
TEXT = "On 3 March 2024 the Harbour Council met the Fishers' Union at Port Vell."


def small_pack() -> dict:
    return {
        "schema_version": 1,
        "pack": {"id": "demo", "title": "Demo"},
        "relations": [{"name": "participant", "label": "participant", "inverse": "took part in"}],
        "sources": [{"id": "note", "title": "A field note", "text": TEXT}],
        "entities": [
            {"id": "event/port-vell-2024", "type": "event", "name": "Port Vell meeting", "date": "2024-03-03",
             "citations": [{"source": "note", "quote": "On 3 March 2024 the Harbour Council met"}]},
            {"id": "actor/harbour-council", "type": "actor", "name": "Harbour Council",
             "citations": [{"source": "note", "quote": "the Harbour Council met the Fishers' Union"}]},
        ],
        "links": [{"source": "event/port-vell-2024", "relation": "participant", "target": "actor/harbour-council",
                   "citations": [{"source": "note", "quote": "the Harbour Council met"}]}],
    }


def write_yaml(path: Path, document: dict) -> Path:
    """YAML as PyYAML writes it: control characters as escapes (`"\\e"`), other text as itself."""
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1 << 30), encoding="utf-8")
    return path


def write_json(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


EVENT_KEY = '"id": "event/'  # where write_json puts the event's id


def record_line(path: Path, needle: str) -> int:
    """The line of the `{` that opens the JSON record holding `needle` (as write_json lays it out)."""
    return line_of(path, needle) - 1


def refused(path: Path, db: Path) -> str:
    """Import `path` into `db`; return the one-line error, having checked that `db` is untouched."""
    before = db.read_bytes()
    with pytest.raises(PackError) as info:
        import_packs([path], db)
    assert db.read_bytes() == before
    assert not list(db.parent.glob(".*.tmp"))
    message = str(info.value)
    assert LINE_CONTROL.search(message) is None, repr(message)  # one line, and nothing that drives a terminal
    return message


def entity_error(path: Path, field: str, problem: str, record: str = EVENT) -> str:
    return f"{path}:{line_of(path, 'id: ' + record.split()[1])}: {record}: field '{field}': {problem}"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


def cli_refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("crisis-tui: error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    return result.stderr.removeprefix("crisis-tui: error: ").rstrip("\n")


# Control characters, in every kind of string


def test_escape_sequence_in_a_name_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["name"] = f"Port {ESC}[31mVell"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "name", f"control character \\x1b {NOT_TEXT}")


def test_bidi_override_in_a_summary_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["summary"] = "The council met \u202eteg ot\u202c the union."
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert "\u202e" in path.read_text(encoding="utf-8")  # in the file as itself: YAML allows it
    assert refused(path, db_copy) == entity_error(path, "summary", f"control character \\u202e {NOT_TEXT}")


def test_bell_in_an_alias_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["aliases"] = ["Port Vell talks", "ding\x07"]
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "aliases.1", f"control character \\x07 {NOT_TEXT}")


def test_del_in_a_quote_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["citations"][0]["quote"] = "the Harbour\x7f Council"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(
        path, "citations.0.quote", f"control character \\x7f {NOT_TEXT}", record="entity actor/harbour-council")


def test_escape_in_an_attribute_key_is_refused_and_not_echoed(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["attributes"] = {f"killed{ESC}[2J": 3}
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(
        path, "attributes", f"key 'killed\\x1b[2J': control character \\x1b {NOT_TEXT}")


def test_escape_in_an_attribute_value_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["attributes"] = {"venue": f"Port Vell{ESC}]0;owned\x07"}
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "attributes.venue", f"control character \\x1b {NOT_TEXT}")


def test_escape_in_the_pack_title_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["pack"]["title"] = f"Demo{ESC}[8m"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == f"{path}:{line_of(path, 'pack:')}: pack demo: field 'title': " \
                                     f"control character \\x1b {NOT_TEXT}"


def test_c1_control_in_a_note_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["notes"] = [{"text": "CSI \x9b2J clears the screen",
                                    "citations": [{"source": "note", "quote": "Port Vell"}]}]
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "notes.0.text", f"control character \\x9b {NOT_TEXT}")


def test_bidi_isolate_in_a_relation_label_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["relations"][0]["label"] = "participant\u2066"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == (f"{path}:{line_of(path, 'name: participant')}: relation participant: "
                                      f"field 'label': control character \\u2066 {NOT_TEXT}")


def test_json_unicode_escape_of_esc_in_a_name_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["name"] = f"{ESC}]52;c;cGF5bG9hZA==\x07"  # OSC 52: write to the clipboard
    path = write_json(tmp_path / "pack.json", doc)
    assert "\\u001b" in path.read_text(encoding="utf-8")
    assert refused(path, db_copy) == (f"{path}:{record_line(path, EVENT_KEY)}: {EVENT}: field 'name': "
                                      f"control character \\x1b {NOT_TEXT}")


def test_raw_escape_byte_in_a_yaml_file_is_refused_with_its_line(tmp_path, db_copy):
    path = tmp_path / "pack.yaml"
    text = write_yaml(path, small_pack()).read_text(encoding="utf-8").replace("Port Vell meeting", f"Port{ESC} Vell")
    path.write_text(text, encoding="utf-8")
    assert refused(path, db_copy) == f"{path}:{line_of(path, 'name: Port')}: control character \\x1b {NOT_TEXT}"


def test_newline_in_a_name_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["name"] = "Port Vell\nmeeting"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "name", "a newline is not allowed in this one-line field")


def test_tab_in_a_source_title_is_refused(tmp_path, db_copy):
    doc = small_pack()
    doc["sources"][0]["title"] = "A field\tnote"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == (f"{path}:{line_of(path, 'id: note')}: source note: field 'title': "
                                      "a tab is not allowed in this one-line field")


def test_escape_in_an_id_is_not_echoed(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["id"] = f"event/{ESC}[2J"
    path = write_json(tmp_path / "pack.json", doc)
    message = refused(path, db_copy)
    assert message.startswith(f"{path}:{record_line(path, EVENT_KEY)}: entity event/\\x1b[2J: field 'id': "
                              "an entity id is its type, a slash and ")
    assert message.endswith(", not 'event/\\x1b[2J'")


def test_escape_in_an_acled_cell_names_its_line(tmp_path, db_copy):
    header = ("event_id_cnty,event_date,event_type,sub_event_type,actor1,actor2,location,latitude,longitude,"
              "source,notes,fatalities")
    rows = ["IND1,2025-04-24,Battles,Armed clash,Army,,Poonch,33.7,74.1,Daily,Shots fired.,0",
            f"IND2,2025-04-25,Battles,Armed clash,Army,,Poonch,33.7,74.1,Daily,Shots{ESC}[5m fired.,0"]
    path = tmp_path / "events.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert refused(path, db_copy) == f"{path}:3: column 'notes': control character \\x1b {NOT_TEXT}"


# Source texts read from text_file


def folder_pack(tmp_path: Path, text_file: str) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir(exist_ok=True)
    doc = small_pack()
    doc["sources"][0] = {"id": "note", "title": "A field note", "text_file": text_file}
    write_yaml(folder / "pack.yaml", doc)
    return folder


def text_file_error(folder: Path, problem: str) -> str:
    path = folder / "pack.yaml"
    return f"{path}:{line_of(path, 'id: note')}: source note: field 'text_file': {problem}"


def test_text_file_absolute_path(tmp_path, db_copy):
    outside = tmp_path / "secret.txt"
    outside.write_text(TEXT, encoding="utf-8")
    folder = folder_pack(tmp_path, str(outside))
    assert refused(folder, db_copy) == text_file_error(
        folder, f"'{outside}' is an absolute path; give a path inside the pack folder")


def test_text_file_in_a_single_file_pack(tmp_path, db_copy):
    """A pack file saved in a home folder must not read what sits beside it (~/.ssh/id_rsa, ~/notes)."""
    (tmp_path / "notes.txt").write_text(TEXT, encoding="utf-8")
    doc = small_pack()
    doc["sources"][0] = {"id": "note", "title": "A field note", "text_file": "notes.txt"}
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == (f"{path}:{line_of(path, 'id: note')}: source note: field 'text_file': "
                                      "only a pack folder may name files; a single-file pack gives its text "
                                      "inline (text:)")


def test_text_file_hidden(tmp_path, db_copy):
    folder = tmp_path / "pack"
    (folder / ".ssh").mkdir(parents=True)
    (folder / ".ssh" / "id_rsa").write_text(TEXT, encoding="utf-8")
    folder = folder_pack(tmp_path, ".ssh/id_rsa")
    assert refused(folder, db_copy) == text_file_error(
        folder, "'.ssh/id_rsa' is a hidden file or in a hidden folder; a source text is not")


def test_text_file_dotdot(tmp_path, db_copy):
    (tmp_path / "secret.txt").write_text(TEXT, encoding="utf-8")
    folder = folder_pack(tmp_path, "sources/../../secret.txt")
    assert refused(folder, db_copy) == text_file_error(
        folder, "'sources/../../secret.txt' leads outside the pack folder")


def test_text_file_symlink_out(tmp_path, db_copy):
    (tmp_path / "secret.txt").write_text(TEXT, encoding="utf-8")
    folder = folder_pack(tmp_path, "note.txt")
    (folder / "note.txt").symlink_to(tmp_path / "secret.txt")
    assert refused(folder, db_copy) == text_file_error(folder, "'note.txt' leads outside the pack folder")


def test_text_file_fifo(tmp_path, db_copy):
    """A pipe with no writer would block an open() for ever: the import must not wait for one."""
    folder = folder_pack(tmp_path, "note.txt")
    os.mkfifo(folder / "note.txt")
    before = db_copy.read_bytes()
    started = time.monotonic()
    result = run("--db", str(db_copy), "import", str(folder), timeout=20)
    assert time.monotonic() - started < 15
    assert cli_refused(result) == text_file_error(folder, "'note.txt' is not a regular file (a pipe, socket or device)")
    assert db_copy.read_bytes() == before


def test_text_file_too_big(tmp_path, db_copy):
    folder = folder_pack(tmp_path, "note.txt")
    with open(folder / "note.txt", "wb") as handle:
        handle.truncate(MAX_SOURCE + 1)  # sparse: no disk used
    assert refused(folder, db_copy) == text_file_error(
        folder, f"'note.txt' is {MAX_SOURCE + 1} bytes; source texts over {MAX_SOURCE} bytes are refused")


def test_text_file_is_a_folder(tmp_path, db_copy):
    folder = folder_pack(tmp_path, "sources")
    (folder / "sources").mkdir()
    assert refused(folder, db_copy) == text_file_error(folder, "'sources' is a folder, not a file")


def test_form_feed_in_a_text_file_is_refused_with_its_line(tmp_path, db_copy):
    folder = folder_pack(tmp_path, "note.txt")
    (folder / "note.txt").write_text(f"Page one.\n\x0c\n{TEXT}\n", encoding="utf-8")
    assert refused(folder, db_copy) == text_file_error(
        folder, f"control character \\x0c {NOT_TEXT}, on line 2 of 'note.txt'")


def test_a_text_file_with_windows_line_ends_still_loads(tmp_path, db_copy):
    """Not hostile: carriage returns are read as newlines (as before), not refused as controls."""
    folder = folder_pack(tmp_path, "note.txt")
    (folder / "note.txt").write_bytes(f"Heading\r\n\tindented\r\n{TEXT}\r\n".encode())
    import_packs([folder], db_copy)


def test_a_pack_file_that_is_a_fifo_is_refused_without_waiting(tmp_path, db_copy):
    folder = folder_pack(tmp_path, "note.txt")
    (folder / "note.txt").write_text(TEXT, encoding="utf-8")
    os.mkfifo(folder / "events.yaml")
    result = run("--db", str(db_copy), "import", str(folder), timeout=20)
    assert cli_refused(result) == f"{folder / 'events.yaml'}: is not a regular file (a pipe, socket or device)"


# Parser limits


def timed_refusal(path: Path, db: Path, seconds: float = 30) -> str:
    """Refused, and in bounded time: a bound loose enough for a loaded machine (these take under
    a second with libyaml, ~10 s without), tight against what they guard (a billion laughs
    expanded, a 50 MB name walked: minutes, or memory gone)."""
    started = time.monotonic()
    message = refused(path, db)
    assert time.monotonic() - started < seconds
    return message


def test_yaml_billion_laughs(tmp_path, db_copy):
    lines = ['lol: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    lines += ["entities:", "  - id: event/lol", "    type: event", "    name: lol", "    aliases: *a9"]
    path = tmp_path / "pack.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert timed_refusal(path, db_copy) == (f"{path}:1: the value anchored (&) here is repeated by an alias (*); "
                                            "a pack may not use YAML anchors and aliases")


def test_yaml_merge_key_is_refused(tmp_path, db_copy):
    path = tmp_path / "pack.yaml"
    path.write_text("entities:\n  - <<: {type: event}\n    id: event/a\n    name: A\n", encoding="utf-8")
    assert refused(path, db_copy) == f"{path}:2: a pack may not use YAML merge keys (<<)"


def test_yaml_duplicate_key_names_both_lines(tmp_path, db_copy):
    path = write_yaml(tmp_path / "pack.yaml", small_pack())
    text = path.read_text(encoding="utf-8").replace("  name: Harbour Council\n",
                                                    "  name: Harbour Council\n  name: Fishers' Union\n")
    path.write_text(text, encoding="utf-8")
    first = line_of(path, "name: Harbour Council")
    assert refused(path, db_copy) == f"{path}:{first + 1}: key 'name' is given twice in one mapping " \
                                     f"(lines {first} and {first + 1})"


def test_json_duplicate_key(tmp_path, db_copy):
    path = write_json(tmp_path / "pack.json", small_pack())
    text = path.read_text(encoding="utf-8").replace('"name": "Harbour Council",',
                                                    '"name": "Harbour Council",\n  "name": "Fishers\' Union",')
    path.write_text(text, encoding="utf-8")
    record = line_of(path, '"id": "actor/harbour-council"') - 1  # the line of its opening brace
    assert refused(path, db_copy) == f"{path}:{record}: key 'name' is given twice in one object"


def test_huge_integer(tmp_path, db_copy):
    path = write_yaml(tmp_path / "pack.yaml", small_pack())
    text = path.read_text(encoding="utf-8").replace("  name: Harbour Council\n",
                                                    "  name: Harbour Council\n"
                                                    f"  attributes: {{size: {'9' * 100_000}}}\n")
    path.write_text(text, encoding="utf-8")
    assert timed_refusal(path, db_copy) == (f"{path}:{line_of(path, 'attributes:')}: "
                                            "an integer of more than 18 digits is not allowed")


def test_huge_integer_in_json(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["attributes"] = {"size": 10**30}
    path = write_json(tmp_path / "pack.json", doc)
    assert refused(path, db_copy) == (f"{path}:{line_of(path, ATTRIBUTES)}: "
                                      "an integer of more than 18 digits is not allowed")


def test_json_nan(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["attributes"] = {"size": float("nan")}
    path = write_json(tmp_path / "pack.json", doc)
    assert "NaN" in path.read_text(encoding="utf-8")
    assert refused(path, db_copy) == f"{path}:{line_of(path, ATTRIBUTES)}: NaN is not allowed (a number must be finite)"


def test_json_number_that_overflows_to_infinity(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["attributes"] = {"size": 1}
    path = write_json(tmp_path / "pack.json", doc)
    path.write_text(path.read_text(encoding="utf-8").replace('"size": 1', '"size": 1e999'), encoding="utf-8")
    assert refused(path, db_copy) == (f"{path}:{record_line(path, 'actor/harbour-council')}: "
                                      "entity actor/harbour-council: field 'attributes.size': "
                                      "inf is not allowed (a number must be finite)")


def test_yaml_inf(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["attributes"] = {"size": float("inf")}
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert ".inf" in path.read_text(encoding="utf-8")
    assert refused(path, db_copy) == f"{path}:{line_of(path, 'size:')}: .inf is not allowed (a number must be finite)"


def test_yaml_nan(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][1]["attributes"] = {"size": float("nan")}
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == f"{path}:{line_of(path, 'size:')}: .nan is not allowed (a number must be finite)"


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_fifty_megabyte_name(tmp_path, db_copy, suffix):
    path = (write_yaml if suffix == "yaml" else write_json)(tmp_path / f"pack.{suffix}", small_pack())
    path.write_text(path.read_text(encoding="utf-8").replace("Port Vell meeting", "x" * 50_000_000), encoding="utf-8")
    where = f"{path}:{line_of(path, 'id: event/') if suffix == 'yaml' else record_line(path, EVENT_KEY)}"
    assert timed_refusal(path, db_copy) == (f"{where}: {EVENT}: field 'name': is too long (50000000 characters); "
                                            "at most 500 characters are allowed")


def test_summary_over_the_limit(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["summary"] = "word " * (MAX_TEXT // 5) + "!"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    assert refused(path, db_copy) == entity_error(path, "summary", f"is too long ({MAX_TEXT + 1} characters); "
                                                                f"at most {MAX_TEXT} characters are allowed")


# Through the real command line


def test_cli_import_refuses_an_escape_in_a_name(tmp_path, db_copy):
    doc = small_pack()
    doc["entities"][0]["name"] = f"{ESC}[2J{ESC}[H"
    path = write_yaml(tmp_path / "pack.yaml", doc)
    before = db_copy.read_bytes()
    assert cli_refused(run("--db", str(db_copy), "import", str(path))) == entity_error(
        path, "name", f"control character \\x1b {NOT_TEXT}")
    assert db_copy.read_bytes() == before


def test_cli_build_refuses_a_text_file_outside_the_pack(tmp_path):
    (tmp_path / "secret.txt").write_text(TEXT, encoding="utf-8")
    folder = folder_pack(tmp_path, "../secret.txt")
    db = tmp_path / "new.db"
    assert cli_refused(run("--db", str(db), "build", "--pack", str(folder))) == text_file_error(
        folder, "'../secret.txt' leads outside the pack folder")
    assert not db.exists() and not list(tmp_path.glob(".*.tmp"))


def test_cli_build_refuses_billion_laughs_quickly(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    path = tmp_path / "pack.yaml"
    path.write_text("\n".join(lines) + "\npack: *a9\n", encoding="utf-8")
    db = tmp_path / "new.db"
    started = time.monotonic()
    message = cli_refused(run("--db", str(db), "build", "--pack", str(path), timeout=30))
    assert time.monotonic() - started < 10
    assert message.startswith(f"{path}:10: the value anchored (&) here is repeated by an alias (*)")  # a9
    assert not db.exists()


def test_cli_import_refuses_a_huge_json_integer(tmp_path, db_copy):
    path = tmp_path / "pack.json"
    path.write_text('{"schema_version": ' + "1" * 100_000 + "}", encoding="utf-8")
    before = db_copy.read_bytes()
    assert cli_refused(run("--db", str(db_copy), "import", str(path))) == (
        f"{path}:1: an integer of more than 18 digits is not allowed")
    assert db_copy.read_bytes() == before
