"""Import and export that never lose data: the bad-input corpus, merging, round trips, and a
database that survives killed imports and concurrent readers."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisis_tui.db.pack import json_schema
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.text import LINE_CONTROL
from crisis_tui.seed.importer import import_packs

from .conftest import CLI, REPO

BAD = REPO / "tests" / "data" / "bad"
ACLED = REPO / "tests" / "data" / "acled-sample.csv"

# What each broken input's one-line error must say (besides the file's own path).
EXPECTED = {
    "bad-date-format.yaml": ":2: entity event/test-event: field 'date'",
    "binary.yaml": "binary file",
    "conflicting-id.yaml": "entity agreement/simla-1972: pack india-pakistan-2025 states it otherwise",
    "csv-bad-date.csv": ":2: column 'event_date'",
    "csv-extra-columns.csv": ":2: row has 19 fields, the header has 18",
    "csv-missing-columns.csv": ":1: missing columns",
    "dangling-link.yaml": "field 'target': unknown id 'agreement/no-such-agreement'",
    "date-end-before-date.yaml": "date_end '2025-04-01' is before date",
    "deep-nesting.json": "nesting is too deep",
    "deep-nesting.yaml": "nesting is too deep",
    "duplicate-id.yaml": ":7: entity event/test-event: given twice in this import",
    "duplicate-link.yaml": "given twice in this import",
    "empty.yaml": "the file is empty",
    "id-type-mismatch.yaml": "must start with its type 'actor/'",
    "impossible-date.yaml": "field 'date': '2025-02-30' is not a real date",
    "invalid-utf8.yaml": ":3: not valid UTF-8",
    "malformed.json": ":1: malformed JSON",
    "malformed.yaml": ":3: malformed YAML: a [ opened on this line is never closed with ]",
    "missing-citations.yaml": "field 'citations': at least one citation is needed (every fact is cited)",
    "missing-name.yaml": "field 'name': is missing; an entity needs id, type, name and citations",
    "newer-schema.json": "field 'schema_version'",
    "not-a-mapping.yaml": "must be a mapping of sections",
    "precision-mismatch.yaml": "date_precision 'day' does not match date '2025-04'",
    "quote-not-in-source.yaml": "field 'citations.0.quote': not found verbatim in source 'article'",
    "unknown-relation.yaml": "field 'relation': unknown relation 'blamed-on'",
    "unknown-section.yaml": "unknown section 'incidents'",
    "unknown-source.yaml": "unknown source 'no-such-source'",
    "unknown-type.yaml": "field 'type'",
    "utf16-bom.yaml": "UTF-16",
    "wrong-type-name.yaml": "field 'name': should be text, not a list",
    "wrong-type-section.yaml": "'entities' must be a list of records",
    "yaml-python-tag.yaml": "malformed YAML",
}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def test_the_corpus_is_complete():
    names = sorted(p.name for p in BAD.iterdir())
    assert len(names) >= 25
    assert names == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_refused_and_changes_nothing(db_copy, name):
    before = db_copy.read_bytes()
    result = run("--db", str(db_copy), "import", str(BAD / name))
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith(f"crisis-tui: error: {BAD / name}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert EXPECTED[name] in result.stderr
    assert db_copy.read_bytes() == before


def test_a_very_large_file_is_refused(db_copy, tmp_path):
    big = tmp_path / "huge.yaml"
    with open(big, "wb") as handle:
        handle.truncate(2 * 1024**3 + 1)  # sparse: no disk used
    before = db_copy.read_bytes()
    result = run("--db", str(db_copy), "import", str(big))
    assert result.returncode == 1 and "refused" in result.stderr
    assert db_copy.read_bytes() == before


def write(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def small_pack(name: str = "Port Vell meeting") -> dict:
    text = "On 3 March 2024 the Harbour Council met the Fishers' Union at Port Vell."
    return {
        "schema_version": 1,
        "pack": {"id": "demo", "title": "Demo"},
        "relations": [{"name": "participant", "label": "participant", "inverse": "took part in"}],
        "sources": [{"id": "note", "title": "A field note", "text": text}],
        "entities": [
            {"id": "event/port-vell-2024", "type": "event", "name": name, "date": "2024-03-03",
             "citations": [{"source": "note", "quote": "On 3 March 2024 the Harbour Council met"}]},
            {"id": "actor/harbour-council", "type": "actor", "kind": "organisation", "name": "Harbour Council",
             "citations": [{"source": "note", "quote": "the Harbour Council met the Fishers' Union"}]},
        ],
        "links": [{"source": "event/port-vell-2024", "relation": "participant", "target": "actor/harbour-council",
                   "citations": [{"source": "note", "quote": "the Harbour Council met"}]}],
    }


def test_import_adds_then_is_idempotent(db_copy, tmp_path):
    pack = write(tmp_path / "demo.yaml", small_pack())
    first = run("--db", str(db_copy), "import", str(pack))
    assert first.returncode == 0, first.stderr
    assert "added 1 pack, 1 relation, 1 source, 2 entities, 1 link" in first.stdout
    after_first = db_copy.read_bytes()
    second = run("--db", str(db_copy), "import", str(pack))
    assert second.returncode == 0 and "added nothing" in second.stdout and "database unchanged" in second.stdout
    assert db_copy.read_bytes() == after_first
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    assert kb.row("agreement/simla-1972") is not None  # the bundled crisis is still there
    assert [h.row.ref for h in kb.search("harbour council")][:1] == ["actor/harbour-council"]
    kb.close()


def test_changed_record_is_refused_naming_both_versions_unless_replace(db_copy, tmp_path):
    run("--db", str(db_copy), "import", str(write(tmp_path / "a.yaml", small_pack())))
    before = db_copy.read_bytes()
    changed = write(tmp_path / "b.yaml", small_pack("Port Vell talks"))
    refused = run("--db", str(db_copy), "import", str(changed))
    assert refused.returncode == 1
    assert "entity event/port-vell-2024" in refused.stderr
    assert "'Port Vell meeting'" in refused.stderr and "'Port Vell talks'" in refused.stderr
    assert db_copy.read_bytes() == before
    replaced = run("--db", str(db_copy), "import", "--replace", str(changed))
    assert replaced.returncode == 0 and "changed 1 entity" in replaced.stdout
    assert "Port Vell talks" in run("--db", str(db_copy), "show", "event/port-vell-2024").stdout


def test_acled_csv_import(tmp_path):
    db = tmp_path / "acled.db"
    result = run("--db", str(db), "import", str(ACLED))
    assert result.returncode == 0, result.stderr
    kb = KnowledgeBase("sqlite:///" + str(db))
    clash = kb.detail("event/acled-ind10001")
    assert clash.row.date == "2025-04-24" and clash.row.kind == "Battles"
    assert clash.attributes["fatalities"] == 0 and clash.attributes["event_id_cnty"] == "IND10001"  # typed
    assert {k.other.name for k in clash.links_out} == {
        "Poonch", "Military Forces of India (2024-)", "Military Forces of Pakistan (2018-)"}
    assert kb.detail("event/acled-ind10002").row.date == "2025-04-25"  # "25 April 2025"
    source = kb.source(clash.citations[0].source_id)
    assert source.title == "Example Daily" and clash.citations[0].quote in source.text
    assert "troops exchanged small-arms fire" in clash.citations[0].quote
    kb.close()


def export(db: Path) -> dict:
    return json.loads(run("--db", str(db), "export", "--format", "json").stdout)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_import_export_round_trip(bundled_db, tmp_path, fmt):
    out = tmp_path / f"all.{fmt}"
    assert run("--db", str(bundled_db), "export", "--format", fmt, "-o", str(out)).returncode == 0
    fresh = tmp_path / "fresh.db"
    assert run("--db", str(fresh), "import", str(out)).returncode == 0
    assert export(fresh) == export(bundled_db)


# Pack text may not hold controls (C0, C1, bidi marks: db/text.py); imports refuse them.
names = (st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(str.strip)
         .filter(lambda text: bool(text) and not LINE_CONTROL.search(text)))


@st.composite
def packs(draw) -> dict:
    count = draw(st.integers(1, 6))
    titles = draw(st.lists(names, min_size=count, max_size=count))
    text = "\n".join(f"Record {i}: {t}" for i, t in enumerate(titles))
    entities = [
        {"id": f"{kind}/r{i}", "type": kind, "name": title,
         **({"date": draw(st.dates().map(lambda d: d.isoformat()))} if draw(st.booleans()) else {}),
         "aliases": draw(st.lists(names, max_size=2, unique=True)),
         "citations": [{"source": "doc", "quote": f"Record {i}: {title}"}]}
        for i, (title, kind) in enumerate(zip(titles, draw(st.lists(
            st.sampled_from(["event", "actor", "agreement", "place"]), min_size=count, max_size=count)),
            strict=True))
    ]
    links = []
    for i in range(count - 1):
        if draw(st.booleans()):
            links.append({"source": entities[i]["id"], "relation": "related", "target": entities[i + 1]["id"],
                          "citations": [{"source": "doc", "quote": f"Record {i + 1}: {titles[i + 1]}"}]})
    return {"schema_version": 1, "relations": [{"name": "related", "label": "related to", "inverse": "related to"}],
            "sources": [{"id": "doc", "title": "Generated", "text": text}], "entities": entities, "links": links}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=packs())
def test_round_trip_property(tmp_path_factory, document):
    folder = tmp_path_factory.mktemp("prop")
    first, second = folder / "first.db", folder / "second.db"
    import_packs([write(folder / "pack.yaml", document)], first)
    exported = KnowledgeBase("sqlite:///" + str(first)).export()
    (folder / "again.json").write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    import_packs([folder / "again.json"], second)
    assert KnowledgeBase("sqlite:///" + str(second)).export() == exported
    assert {e["name"] for e in exported["entities"]} == {e["name"] for e in document["entities"]}


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40))
def test_hostile_text_in_search_and_resolve(kb, text):
    kb.search(text)
    kb.search(text, entity_type="actor")
    kb.resolve(text)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40), quote=st.text(max_size=40))
def test_hostile_text_in_the_importer(tmp_path_factory, name, quote):
    folder = tmp_path_factory.mktemp("hostile")
    document = small_pack()
    document["entities"][0]["name"] = name
    document["entities"][0]["citations"][0]["quote"] = quote
    path = folder / "pack.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        import_packs([path], folder / "x.db")
    except Exception as exc:  # only our one-line errors are acceptable
        from crisis_tui.db.errors import PackError

        assert isinstance(exc, PackError), repr(exc)
        assert "\n" not in str(exc)
        assert not (folder / "x.db").exists()


def synthetic_pack(tmp_path: Path, events: int) -> Path:
    path = tmp_path / f"synthetic-{events}.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--events", str(events),
                    "--pack", str(path)], check=True, capture_output=True)
    return path


def test_an_import_killed_halfway_leaves_the_database_as_it_was(db_copy, tmp_path):
    pack = synthetic_pack(tmp_path, 20000)
    before = db_copy.read_bytes()
    child = subprocess.Popen([CLI, "--db", str(db_copy), "import", str(pack)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(db_copy.parent.glob(f".{db_copy.name}.*.tmp")):  # the new file is being written
        assert child.poll() is None and time.monotonic() < deadline, "the import ended before it could be killed"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert db_copy.read_bytes() == before
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    assert kb.row("event/e1") is None and kb.row("agreement/simla-1972") is not None
    kb.close()
    # the next import cleans up after the killed one and succeeds
    result = run("--db", str(db_copy), "import", str(write(tmp_path / "demo.yaml", small_pack())))
    assert result.returncode == 0, result.stderr
    assert not list(db_copy.parent.glob(f".{db_copy.name}.*.tmp"))


def test_readers_keep_reading_while_an_import_runs(db_copy, tmp_path):
    pack = synthetic_pack(tmp_path, 5000)
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    errors: list[BaseException] = []
    reads = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                assert kb.detail("agreement/simla-1972").links_in
                assert kb.search("simla")
                reads += 1
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    assert kb.row("event/e4999") is None
    result = run("--db", str(db_copy), "import", str(pack))
    done.set()
    thread.join()
    assert result.returncode == 0, result.stderr
    assert not errors and reads > 10
    # the reader that was open all along sees the import once it is committed (WAL)
    assert kb.row("event/e4999") is not None and kb.row("agreement/simla-1972") is not None
    assert kb.detail("event/e4999").links_out
    kb.close()
    conn = sqlite3.connect(db_copy)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_a_rebuild_under_an_open_reader_swaps_in_whole(db_copy, tmp_path):
    """`build` over a database someone reads: the reader's open snapshot stays whole, then sees the new one."""
    pack = synthetic_pack(tmp_path, 300)
    assert run("--db", str(db_copy), "import", str(pack)).returncode == 0
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    with kb._snapshot():  # a reader in the middle of a read while the rebuild commits
        before = kb.detail("event/e299")
        result = run("--db", str(db_copy), "build")
        assert result.returncode == 0, result.stderr
        assert kb.detail("event/e299") == before
    assert kb.row("event/e299") is None and kb.detail("agreement/simla-1972").links_in
    kb.close()
    assert not [p.name for p in db_copy.parent.glob(f".{db_copy.name}.*")  if not p.name.endswith(".lock")]


def test_the_published_schema_is_current():
    published = json.loads((REPO / "docs" / "pack.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), "regenerate with: crisis-tui schema > docs/pack.schema.json"


def test_the_documented_example_pack_imports(tmp_path):
    doc = (REPO / "docs" / "pack-format.md").read_text(encoding="utf-8")
    example = re.search(r"## A small pack, complete\s+```yaml\n(.*?)```", doc, re.S).group(1)
    path = tmp_path / "demo.yaml"
    path.write_text(example, encoding="utf-8")
    db = tmp_path / "demo.db"
    assert run("--db", str(db), "import", str(path)).returncode == 0
    shown = run("--db", str(db), "show", "Harbour Council")
    assert "took part in: Port Vell meeting" in shown.stdout


def test_read_only_folder_is_reported(db_copy, tmp_path):
    import os

    if os.geteuid() == 0:
        target = Path("/proc/crisis.db")  # a place even root cannot create files
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
        target = folder / "crisis.db"
    result = run("--db", str(target), "import", str(write(tmp_path / "demo.yaml", small_pack())))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(target.parent) in result.stderr


def test_a_database_in_a_read_only_folder_is_still_read(db_copy, tmp_path):
    """A reader of a WAL database needs to make its -shm file; where it cannot, it reads the file as it is."""
    import os

    folder = tmp_path / "shared"
    folder.mkdir()
    target = folder / "crisis.db"
    db_copy.replace(target)
    if os.geteuid() == 0:  # root writes anywhere: point the side files where nothing can be made
        for suffix in ("-shm", "-wal"):
            (folder / f"crisis.db{suffix}").symlink_to(f"/proc/crisis-tui-test{suffix}")
    else:
        folder.chmod(0o555)
    try:
        result = run("--db", str(target), "show", "simla")
    finally:
        folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "Simla Agreement" in result.stdout


def test_a_full_disk_is_reported_and_loses_nothing(db_copy, tmp_path):
    """A file-size limit makes writes fail as they would on a full disk (EFBIG instead of ENOSPC)."""
    import resource

    pack = synthetic_pack(tmp_path, 5000)
    before = db_copy.read_bytes()
    limit = len(before) + 64 * 1024

    def small_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([CLI, "--db", str(db_copy), "import", str(pack)], capture_output=True, text=True,
                            preexec_fn=small_disk, timeout=120)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith(f"crisis-tui: error: {db_copy}") and result.stderr.count("\n") == 1
    assert db_copy.read_bytes() == before
    assert not list(db_copy.parent.glob(f".{db_copy.name}.*.tmp"))


def test_an_entity_is_of_the_pack_it_came_in(db_copy, tmp_path):
    """A record is of the document's pack unless it names one; another pack that gives the same
    entity states it too (its own statement, kept beside the first, which stays the entity's);
    the export writes each pack's statement, and an import of that reads them back."""
    document = small_pack()
    document["entities"][1]["pack"] = "harbour-records"
    document["packs"] = [document.pop("pack"), {"id": "harbour-records", "title": "Harbour records"}]
    for section in ("relations", "sources", "entities", "links"):
        for record in document.get(section, []):
            record.setdefault("pack", "demo")
    run("--db", str(db_copy), "import", str(write(tmp_path / "demo.yaml", document)))
    other = small_pack()
    other["pack"] = {"id": "other", "title": "Another pack giving the same records"}
    other["entities"].append({"id": "actor/fishers-union", "type": "actor", "name": "Fishers' Union",
                              "citations": [{"source": "note", "quote": "met the Fishers' Union at Port Vell"}]})
    result = run("--db", str(db_copy), "import", str(write(tmp_path / "other.yaml", other)))
    assert result.returncode == 0, result.stderr
    assert "added 1 pack" in result.stdout and f"{len(other['entities'])} entities" in result.stdout
    statements = [(e["id"], e.get("pack")) for e in export(db_copy)["entities"]]
    assert ("actor/india", "india-pakistan-2025") in statements  # the bundled pack's
    assert ("event/port-vell-2024", "demo") in statements and ("event/port-vell-2024", "other") in statements
    assert ("actor/harbour-council", "harbour-records") in statements
    assert ("actor/fishers-union", "other") in statements
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    assert [p.id for p in kb.detail("event/port-vell-2024").packs] == ["demo", "other"]  # the first is its own
    assert [p.id for p in kb.detail("actor/harbour-council").packs] == ["harbour-records", "other"]
    kb.close()
    out, fresh = tmp_path / "all.json", tmp_path / "fresh.db"
    run("--db", str(db_copy), "export", "-o", str(out))
    assert run("--db", str(fresh), "import", str(out)).returncode == 0
    assert [(e["id"], e.get("pack")) for e in export(fresh)["entities"]] == statements


def test_an_entity_of_no_pack_stays_so_through_export_and_import(db_copy, tmp_path):
    """A document without a `pack:` header (an ACLED file, a hand-made one) gives entities no
    pack; the export of a database made from one pack names that pack in its header, and the
    entities of none are written `pack: null`, so that an import of it does not credit them to it."""
    document = small_pack()
    del document["pack"]
    assert run("--db", str(db_copy), "import", str(write(tmp_path / "loose.yaml", document))).returncode == 0
    exported = export(db_copy)
    assert exported["pack"]["id"] == "india-pakistan-2025"
    packs = {e["id"]: e.get("pack", "india-pakistan-2025") for e in exported["entities"]}  # the header's if unsaid
    assert packs["event/port-vell-2024"] is None and packs["actor/india"] == "india-pakistan-2025"
    out, fresh = tmp_path / "all.json", tmp_path / "fresh.db"
    run("--db", str(db_copy), "export", "-o", str(out))
    assert run("--db", str(fresh), "import", str(out)).returncode == 0
    assert {e["id"]: e.get("pack", "india-pakistan-2025") for e in export(fresh)["entities"]} == packs


def test_a_position_may_be_of_an_uncertain_date_and_says_so(tmp_path):
    """`date_uncertain` on a position goes in, comes back out in the export, and `show` marks
    the date with `?` as it does an entity's."""
    document = small_pack()
    document["positions"] = [{
        "id": "position/harbour-council-welcomes", "actor": "actor/harbour-council", "topic": "the meeting",
        "stance": "welcomes", "statement": "The Harbour Council met the Fishers' Union.",
        "date": "2024-03", "date_uncertain": True,
        "citations": [{"source": "note", "quote": "the Harbour Council met the Fishers' Union"}]}]
    db = tmp_path / "p.db"
    assert run("--db", str(db), "import", str(write(tmp_path / "p.yaml", document))).returncode == 0
    assert export(db)["positions"][0]["date_uncertain"] is True
    shown = run("--db", str(db), "show", "actor/harbour-council")
    assert shown.returncode == 0 and "(Mar 2024?)" in shown.stdout, shown.stdout
    document["positions"][0]["date_uncertain"] = False
    other = tmp_path / "q.db"
    assert run("--db", str(other), "import", str(write(tmp_path / "q.yaml", document))).returncode == 0
    assert "(Mar 2024)" in run("--db", str(other), "show", "actor/harbour-council").stdout


def test_an_acled_file_imports_beside_the_bundled_crisis(db_copy):
    """The default database holds the bundled crisis; ACLED's links use the standard relations
    every database has (a second wording of `located-in` was once refused as a conflict)."""
    result = run("--db", str(db_copy), "import", str(ACLED))
    assert result.returncode == 0, result.stderr
    assert "added 1 pack, 2 sources" in result.stdout and "relation" not in result.stdout
    kb = KnowledgeBase("sqlite:///" + str(db_copy))
    try:
        assert kb.detail("event/acled-ind10001") is not None and kb.detail("agreement/simla-1972") is not None
    finally:
        kb.close()


def test_a_refused_import_lists_every_problem_it_found_a_line_each(db_copy, tmp_path):
    """The first problem on the error line, the others under it (up to LISTED_PROBLEMS), each
    with its file, line, record and field; beyond that, how many more."""
    from crisis_tui.seed.loader import LISTED_PROBLEMS

    count = LISTED_PROBLEMS + 5
    document = {"links": [{"source": "event/pahalgam-attack-2025", "relation": "invokes",
                           "target": f"agreement/missing-{n}",
                           "citations": [{"source": "article", "quote": "the deadly terrorist attack in Pahalgam"}]}
                          for n in range(count)]}
    path = write(tmp_path / "many.yaml", document)
    before = db_copy.read_bytes()
    result = run("--db", str(db_copy), "import", str(path))
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and db_copy.read_bytes() == before
    assert lines[0].startswith(f"crisis-tui: error: {path}:2: link ") and "agreement/missing-0" in lines[0]
    assert f"(and {count - 1} more problems)" in lines[0]
    listed = lines[1:1 + LISTED_PROBLEMS]
    assert all(line.startswith(f"  {path}:") and "unknown id 'agreement/missing-" in line for line in listed)
    assert "missing-1'" in listed[0] and f"missing-{LISTED_PROBLEMS}'" in listed[-1]
    assert lines[1 + LISTED_PROBLEMS:] == [f"  ... and {count - 1 - LISTED_PROBLEMS} more"]
