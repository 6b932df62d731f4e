"""Import at scale (#14): JSON packs read a record at a time, wherever the reading stops; an
import that holds no more of a pack than a record; progress while it runs."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from crisis_tui.db.errors import PackError
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.seed import reader
from crisis_tui.seed.importer import import_packs
from crisis_tui.seed.reader import read_file
from crisis_tui.tui.progress import progress_bars

from .conftest import CLI


def records(path: Path) -> list[tuple[str, object]]:
    return [(key, value) for key, value, _ in read_file(path)]


def as_read_whole(document: dict) -> list[tuple[str, object]]:
    """What the stream must give: each section's records, and the other keys' values, in order."""
    out: list[tuple[str, object]] = []
    for key, value in document.items():
        out += [(key, item) for item in value] if isinstance(value, list) else [(key, value)]
    return out


DOCUMENT = {
    "schema_version": 1,
    "pack": {"id": "demo", "title": "Déjà vu — a test [b]"},
    "entities": [{"id": f"event/e{n}", "n": n * 10**15 + 7, "x": -1.5e-7, "t": True, "s": "é\"\\\n" * n,
                  "nested": {"a": [1, {"b": None}]}} for n in range(40)],
    "links": [],
    "relations": [{"name": "r", "label": "l", "inverse": "i"}],
}


@settings(max_examples=60, deadline=None)
@given(chunk=st.integers(min_value=1, max_value=300), indent=st.sampled_from([None, 0, 1, 3]))
def test_records_come_whole_wherever_a_read_stops(tmp_path_factory, chunk, indent):
    """Cut into reads of any size (a number, a string, an escape, a multi-byte character cut in
    two), the stream gives exactly what the whole file parses to."""
    path = tmp_path_factory.mktemp("s") / "pack.json"
    path.write_text(json.dumps(DOCUMENT, indent=indent, ensure_ascii=False), encoding="utf-8")
    original = reader.CHUNK
    reader.CHUNK = chunk
    try:
        assert records(path) == as_read_whole(DOCUMENT)
    finally:
        reader.CHUNK = original


def test_each_record_has_the_line_it_starts_on(tmp_path):
    path = tmp_path / "pack.json"
    path.write_text('{"pack": {"id": "p", "title": "T"},\n "entities": [\n  {"id": "event/a"},\n\n'
                    '  {"id":\n "event/b"}]}', encoding="utf-8")
    assert [(key, line) for key, _, line in read_file(path)] == [("pack", 1), ("entities", 3), ("entities", 5)]


@pytest.mark.parametrize(("text", "where", "problem"), [
    ('{"entities": [{"id": "a"} {"id": "b"}]}', 1, "malformed JSON: Expecting ',' delimiter"),
    ('{"entities": [{"id": "a"},\n{"id": "b"}', 2, "malformed JSON: Expecting ',' delimiter (the file ends)"),
    ('{"entities": [{"id": "a"},\n{"id": "b",\n"name": tru}]}', 3, "malformed JSON: Expecting value"),
    ('{"entities": [{"id": "a"}]}\n{"x": 1}', 2, "malformed JSON: Extra data"),
    ('{"entities": [{"id": "a"},\n]}', 1, "malformed JSON: a comma after the last record of 'entities'"),
    ('{"entities": {"id": "a"}}', 1, "'entities' must be a list of records"),
    ('{\n"nonsense": []}', 2, "unknown section 'nonsense'"),
    ('{"pack": {"id": "p"},\n"pack": {"id": "q"}}', 2, "key 'pack' is given twice in one object"),
    ('{"entities": [\n{"id": "a",\n "id": "b"}]}', 2, "key 'id' is given twice in one object"),
    ('{"entities": [\n{"id": "a", "n": 1234567890123456789012}]}', 2, "an integer of more than 18 digits"),
    ('{"entities": [\n{"id": "a", "n": NaN}]}', 2, "NaN is not allowed"),
])
def test_malformed_json_is_refused_on_its_line(tmp_path, text, where, problem):
    path = tmp_path / "pack.json"
    path.write_text(text, encoding="utf-8")
    original = reader.CHUNK
    for chunk in (3, original):  # wherever the reading stops, the same verdict
        reader.CHUNK = chunk
        try:
            with pytest.raises(PackError) as caught:
                records(path)
        finally:
            reader.CHUNK = original
        assert str(caught.value).startswith(f"{path}:{where}: {problem}"), str(caught.value)


@pytest.mark.parametrize(("blob", "problem"), [
    (b"", "the file is empty"),
    (b" \n\t\n", "the file is empty"),
    (b'\xff\xfe{\x00}\x00', "the file is UTF-16"),
    (b'{"entities": [\x00]}', "this is a binary file"),
    (b'[1, 2]', "a pack file must be a mapping of sections"),
])
def test_files_that_are_no_json_pack_are_refused(tmp_path, blob, problem):
    path = tmp_path / "pack.json"
    path.write_bytes(blob)
    with pytest.raises(PackError, match=problem):
        records(path)


def test_bytes_that_are_not_utf8_are_refused_with_their_line(tmp_path):
    path = tmp_path / "pack.json"
    path.write_bytes(b'{"entities": [\n{"id": "a"},\n{"id": "\xe9t\xe9"}]}')
    with pytest.raises(PackError, match=rf"^{path}:3: not valid UTF-8"):
        records(path)


def test_a_byte_order_mark_is_read_past(tmp_path):
    path = tmp_path / "pack.json"
    path.write_bytes(b'\xef\xbb\xbf{"schema_version": 1}')
    assert records(path) == [("schema_version", 1)]


def peak_rss_mb(code: str) -> float:
    """Peak resident memory of a fresh Python running `code`, in MB."""
    script = code + "\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def big_pack(path: Path, entities: int, summary_chars: int, pack: str = "big") -> Path:
    """A valid pack of `entities` events, each with a long summary quoting its own line of one source."""
    lines = [f"Line {n}: the talks went on for hours and ended at dawn." for n in range(entities)]
    summary = "x" * summary_chars
    with path.open("w", encoding="utf-8") as out:
        header = json.dumps({"schema_version": 1, "pack": {"id": pack, "title": pack.title()}})
        out.write(header[:-1] + ', "sources": [')
        out.write(json.dumps({"id": f"{pack}/report", "title": "Report", "text": "\n".join(lines)}))
        out.write('], "entities": [')
        for n in range(entities):
            out.write(("," if n else "") + json.dumps({
                "id": f"event/e{n}" if pack == "big" else f"event/{pack}-e{n}", "type": "event",
                "name": f"Event {n}", "summary": summary,
                "citations": [{"source": f"{pack}/report", "quote": lines[n]}]}))
        out.write("]}")
    return path


def test_an_import_holds_no_more_of_the_pack_than_a_record(tmp_path):
    """A 300 MB pack imports in under half its size of memory (the old importer held it all,
    several times over): records go to the stage and the new database as they are read, and
    what grows is SQLite's page caches (about 100 MB), not the pack."""
    pack = big_pack(tmp_path / "big.json", 3000, 100_000)
    assert pack.stat().st_size > 300e6
    db = tmp_path / "big.db"
    baseline = peak_rss_mb("import crisis_tui.seed.importer")
    peak = peak_rss_mb(f"from pathlib import Path\nfrom crisis_tui.seed.importer import import_packs\n"
                       f"import_packs([Path({str(pack)!r})], Path({str(db)!r}))")
    assert peak - baseline < 150, f"{peak:.0f} MB at the peak, {baseline:.0f} MB before reading"
    kb = KnowledgeBase("sqlite:///" + str(db))
    assert kb.row("event/e2999") is not None and len(kb.detail("event/e2999").summary) == 100_000
    kb.close()
    assert not list(tmp_path.glob(".big.db.*.tmp*"))  # the stage and the build's file are gone
    # a small pack into the big database: its content is staged as it is read, not held
    small = big_pack(tmp_path / "small.json", 10, 10, pack="small")
    peak = peak_rss_mb(f"from pathlib import Path\nfrom crisis_tui.seed.importer import import_packs\n"
                       f"import_packs([Path({str(small)!r})], Path({str(db)!r}))")
    assert peak - baseline < 150, f"{peak:.0f} MB at the peak, {baseline:.0f} MB before reading"
    kb = KnowledgeBase("sqlite:///" + str(db))
    assert {p.id for p in kb.packs()} == {"big", "small"} and kb.row("event/e2999") is not None
    kb.close()


def test_progress_is_told_reading_then_writing(tmp_path):
    pack = big_pack(tmp_path / "small.json", 3000, 10)
    told: list[tuple[str, int, int | None]] = []
    import_packs([pack], tmp_path / "p.db", progress=lambda what, done, total: told.append((what, done, total)))
    steps = list(dict.fromkeys(what for what, _, _ in told))
    assert steps == ["reading small.json", "merging", "writing", "indexing"]
    reading = [(done, total) for what, done, total in told if what.startswith("reading")]
    assert reading[-1] == (pack.stat().st_size, pack.stat().st_size)
    assert [done for done, _ in reading] == sorted(done for done, _ in reading)
    writing = [(done, total) for what, done, total in told if what == "writing"]
    assert writing[-1] == (3001, 3001)  # the source and the events
    told.clear()  # into a database that holds something, its content is read first
    import_packs([big_pack(tmp_path / "other.json", 5, 10, pack="other")], tmp_path / "p.db",
                 progress=lambda what, done, total: told.append((what, done, total)))
    assert list(dict.fromkeys(what for what, _, _ in told))[:2] == ["reading database", "reading other.json"]


def test_progress_bars_are_drawn_on_a_terminal_and_go_when_done():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with progress_bars(console) as bars:
        assert bars is not None
        bars("reading [p].json", 50, 100)
        bars("writing", 10, 40)
    shown = screen.getvalue()
    assert "reading [p].json" in shown and "10/40" in shown  # the name as text, not markup
    rows = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown).replace("\r", "\n").split("\n")
    assert max(map(len, rows)) <= 80 and any(row.startswith("writing   ") and " 10/40 " in row for row in rows)


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    """Piped, an import prints its summary and nothing else."""
    pack = big_pack(tmp_path / "small.json", 3000, 10)
    result = subprocess.run([CLI, "--db", str(tmp_path / "p.db"), "import", str(pack)], capture_output=True,
                            text=True, env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1 and "made" in result.stderr  # only "made ..., a new database"
    assert result.stdout.endswith("added 1 pack, 1 source, 3000 entities; changed nothing; skipped nothing\n")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


PACK_A = """schema_version: 2
pack: {id: pa, title: A}
sources:
  - {id: s1, title: S1, text: "alpha beta gamma delta epsilon"}
  - {id: s2, title: S2, text: "alpha beta gamma delta epsilon"}
entities:
  - {id: actor/a, type: actor, name: A, attributes: {killed: 1},
     citations: [{source: s2, quote: "alpha beta gamma delta"}]}
"""


def test_a_problem_in_a_record_restated_as_it_is_names_the_file(tmp_path):
    """The entity is restated unchanged, but the pack no longer gives the source it cites: the
    problem is the file's (its line), not the database's (the stage keeps the database's row)."""
    db = tmp_path / "t.db"
    import_packs([write(tmp_path / "v1.yaml", PACK_A)], db)
    before = db.read_bytes()
    dropped = '  - {id: s2, title: S2, text: "alpha beta gamma delta epsilon"}\n'
    v2 = write(tmp_path / "v2.yaml", PACK_A.replace(dropped, ""))
    with pytest.raises(PackError) as caught:
        import_packs([v2], db, replace=True)
    assert str(caught.value) == f"{v2}:6: entity actor/a: field 'citations.0.source': unknown source 's2'"
    assert db.read_bytes() == before


@pytest.mark.parametrize("same", ["1.0", "true"])
def test_a_number_written_otherwise_is_no_change(tmp_path, same):
    """1, 1.0 and true are one value (as the importer always compared them): a pack re-saved by a
    tool that writes whole numbers as floats imports as unchanged."""
    db = tmp_path / "t.db"
    import_packs([write(tmp_path / "v1.yaml", PACK_A)], db)
    report = import_packs([write(tmp_path / "v2.yaml", PACK_A.replace("killed: 1}", f"killed: {same}}}"))], db)
    assert not report.wrote and report.skipped["entities"] == 1
    changed = write(tmp_path / "v3.yaml", PACK_A.replace("killed: 1}", "killed: 2}"))
    with pytest.raises(PackError, match="differs from the version in the database"):
        import_packs([changed], db)


def test_thousands_of_problems_are_counted_and_the_first_listed(tmp_path):
    """A pack whose every quote is wrong, or a pack imported again with every record changed:
    the first problems are worded, the rest counted (not all held)."""
    pack = big_pack(tmp_path / "bad.json", 3000, 10)
    pack.write_text(pack.read_text(encoding="utf-8").replace('"quote": "Line', '"quote": "Lime'), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        import_packs([pack], tmp_path / "bad.db")
    assert caught.value.more == 2999 and len(caught.value.others) == 20
    assert "not found verbatim in source 'big/report'" in caught.value.problem
    db = tmp_path / "ok.db"
    import_packs([big_pack(tmp_path / "ok.json", 3000, 10)], db)
    renamed = tmp_path / "renamed.json"
    renamed.write_text((tmp_path / "ok.json").read_text(encoding="utf-8").replace('"Event ', '"Happening '),
                       encoding="utf-8")
    with pytest.raises(PackError) as caught:
        import_packs([renamed], db)
    assert caught.value.more == 2999 and len(caught.value.others) == 20
    assert caught.value.problem.startswith("differs from the version in the database (field 'name'")


def test_an_import_that_waits_for_another_writer_says_so(tmp_path):
    """While another import or build holds the database, a waiting import shows a step of its own
    (on a terminal: `waiting for lock` and the time so far), then goes on when it is free."""
    import threading
    import time

    from crisis_tui.db.writers import write_lock

    db, pack = tmp_path / "w.db", big_pack(tmp_path / "w.json", 5, 10)
    told: list[str] = []
    done = threading.Event()
    with write_lock(db):
        worker = threading.Thread(target=lambda: (import_packs([pack], db, progress=lambda what, *_: told.append(what)),
                                                  done.set()))
        worker.start()
        deadline = time.monotonic() + 5
        while "waiting for lock" not in told and time.monotonic() < deadline:
            time.sleep(0.01)
        assert told == ["waiting for lock"] and not done.is_set()
    worker.join(30)
    assert done.is_set() and told[1] == "reading w.json"
    kb = KnowledgeBase("sqlite:///" + str(db))
    assert kb.row("event/e4") is not None
    kb.close()
