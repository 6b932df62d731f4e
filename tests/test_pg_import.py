"""Build, import and export on PostgreSQL: the same content as on SQLite, imports that run at
once from several processes, and writes that are whole or not at all."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from crisis_tui.db.build import next_build_id
from crisis_tui.db.engines import open_knowledge_base
from crisis_tui.db.errors import DatabaseError, PackError
from crisis_tui.seed.importer import build_packs, import_packs
from crisis_tui.seed.loader import bundled_pack_path
from crisis_tui.seed.pg_import import build_packs_pg, database_stamp_pg, import_packs_pg

from .conftest import REPO

BERLIN = REPO / "tests" / "data" / "packs" / "berlin-1961.yaml"
TEXT = "On 3 March 2024 the Harbour Council met the Fishers' Union at Port Vell.\nA second line."


def write(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def demo(pack: str = "demo", name: str = "Port Vell meeting", note: str | None = None, text: str = TEXT,
         union: bool = True, position: str = "wants a quay") -> dict:
    """A small pack of its own: a relation, a source, three entities (one optional), links and a position."""
    entities = [
        {"id": "event/port-vell-2024", "type": "event", "name": name, "date": "2024-03-03",
         "aliases": ["Port Vell talks"],
         "notes": [{"text": "Dated by the note.", "citations": [{"source": "note", "quote": "On 3 March 2024"}]}],
         "citations": [{"source": "note", "quote": "On 3 March 2024 the Harbour Council met"}]},
        {"id": "actor/harbour-council", "type": "actor", "kind": "organisation", "name": "Harbour Council",
         "citations": [{"source": "note", "quote": "the Harbour Council met the Fishers' Union"}]},
    ]
    links = [{"source": "event/port-vell-2024", "relation": "participant", "target": "actor/harbour-council",
              "citations": [{"source": "note", "quote": "the Harbour Council met"}]}]
    if note:
        links[0]["note"] = note
    if union:
        entities.append({"id": "actor/fishers-union", "type": "actor", "name": "Fishers' Union",
                         "citations": [{"source": "note", "quote": "the Fishers' Union at Port Vell"}]})
        links.append({"source": "event/port-vell-2024", "relation": "participant", "target": "actor/fishers-union",
                      "citations": [{"source": "note", "quote": "met the Fishers' Union"}]})
    return {
        "schema_version": 2,
        "pack": {"id": pack, "title": pack.title()},
        "relations": [{"name": "met-with", "label": "met with", "inverse": "met with"}],
        "sources": [{"id": "note", "title": "A field note", "text": text}],
        "entities": entities,
        "links": links,
        "positions": [{"id": "position/council-quay", "actor": "actor/harbour-council", "topic": "the quay",
                       "stance": "supports", "statement": position,
                       "citations": [{"source": "note", "quote": "the Harbour Council met"}]}],
    }


def other(pack: str = "other") -> dict:
    """Another pack stating demo's event and source alike, and the bundled crisis's Simla Agreement."""
    document = demo(pack)
    document["pack"] = {"id": pack, "title": "Other"}
    document["relations"] = []
    event = copy.deepcopy(document["entities"][0])
    event["name"] = "Port Vell meeting (other's wording)"
    event["aliases"] = ["PV meeting"]
    document["entities"] = [event]
    document["links"] = []
    return document


def exports(url: str) -> tuple[str, str]:
    kb = open_knowledge_base(url)
    try:
        document = kb.export()
    finally:
        kb.close()
    return (json.dumps(document, ensure_ascii=False, indent=1),
            yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def views(url: str) -> list:
    """What an explorer shows of the database: each pane of all and of each crisis in display
    order, each entity's position in them, and the hits of a few searches (the pane rows and
    search columns an import keeps on PostgreSQL, against SQLite's rebuilt ones)."""
    kb = open_knowledge_base(url)
    try:
        seen: list = []
        for pack in [None, *(p.id for p in kb.packs())]:
            for kind in ("event", "actor", "agreement", "place"):
                rows = kb.page(kind, 0, kb.count(kind, pack) + 5, pack)
                seen.append((pack, kind, [r.ref for r in rows], [kb.position(r.id, pack) for r in rows]))
        for text in ("port vell", "harbour", "PV meeting", "fishers", "simla", "berlin", "quay"):
            # which entities are found, by what and where (ranking within a tier may differ: bm25 vs ts_rank)
            seen.append((text, sorted((h.row.ref, h.tier, h.field) for h in kb.search(text))))
        return seen
    finally:
        kb.close()


def name_of(kb, ref: str) -> str | None:
    found = kb._all("SELECT name FROM entity WHERE ref = ?", (ref,))
    return found[0][0] if found else None


def import_into(url: str, files: list[Path], replace: bool = False) -> str:
    """Import on the URL's engine; the report's summary, or the refusal's text."""
    try:
        if url.startswith("postgresql"):
            report = import_packs_pg(files, url, replace=replace)
        else:
            report = import_packs(files, Path(url.removeprefix("sqlite:///")), replace=replace)
    except (PackError, DatabaseError) as exc:
        return f"refused: {exc}"
    return report.summary()


# Each scenario: the imports made one after the other (documents, replace).
SCENARIOS = {
    "added": [([demo()], False)],
    "another pack states an existing entity": [([BERLIN], False)],
    "changed with replace": [([demo()], False),
                             ([demo(name="Port Vell talks", note="Met at the quay.", position="wants two quays",
                                    text=TEXT + "\nA third line.")], True)],
    "removed with replace": [([demo()], False), ([demo(union=False)], True)],
    "alike source and a further statement": [([demo()], False), ([other()], False)],
    "first statement removed, the further one becomes the row": [
        ([demo()], False), ([other()], False),
        ([demo(union=False) | {"entities": demo()["entities"][1:2], "links": [], "positions": []}], True)],
    "a further statement removed with replace": [([demo()], False), ([other()], False),
                                                 ([other() | {"entities": []}], True)],
    "conflict without replace": [([demo()], False), ([demo(name="Port Vell talks")], False)],
    "a differing source of another pack": [([demo()], False), ([other() | {"sources": [
        {"id": "note", "title": "Another note", "text": TEXT}]}], False)],
    "both at once": [([demo(), BERLIN], False)],
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_an_import_gives_what_the_sqlite_import_gives(scenario, db_copy, pg_url, tmp_path):
    lite = "sqlite:///" + str(db_copy)
    assert exports(lite) == exports(pg_url)  # the same start
    for n, (documents, replace) in enumerate(SCENARIOS[scenario]):
        files = [doc if isinstance(doc, Path) else write(tmp_path / f"{n}-{m}.yaml", doc)
                 for m, doc in enumerate(documents)]
        said = import_into(lite, files, replace), import_into(pg_url, files, replace)
        assert said[0] == said[1]
        refused = said[0].startswith("refused:")
        assert refused == (n > 0 and (scenario.startswith("conflict") or scenario.startswith("a differing"))), said
        json_lite, yaml_lite = exports(lite)
        json_pg, yaml_pg = exports(pg_url)
        assert json_lite == json_pg, f"after import {n}"
        assert yaml_lite == yaml_pg
        assert views(lite) == views(pg_url), f"after import {n}"


def test_reads_see_what_an_import_added(pg_url, tmp_path):
    import_packs_pg([write(tmp_path / "demo.yaml", demo())], pg_url)
    kb = open_knowledge_base(pg_url)
    try:
        assert name_of(kb, "event/port-vell-2024") == "Port Vell meeting"
        assert [p.id for p in kb.packs()][-1] == "demo"
        assert kb.meta()["schema_version"]
        demo_pack = kb.packs()[-1]
        assert (demo_pack.entities, demo_pack.links, demo_pack.positions, demo_pack.sources) == (3, 2, 1, 1)
        count = kb._all("SELECT count(*) FROM pane_order WHERE entity_id = "
                        "(SELECT id FROM entity WHERE ref = 'event/port-vell-2024')")[0][0]
        assert count == 2  # the pane of all and the pack's own
        found = kb._all("SELECT ref FROM entity WHERE search @@ to_tsquery('crisis_tui', 'vell')")
        assert ("event/port-vell-2024",) in found
        passages = kb._all("SELECT line FROM passage WHERE source_id = 'note' ORDER BY line")
        assert passages == [(1,), (2,)]
    finally:
        kb.close()


def test_a_build_on_postgresql_exports_what_the_sqlite_build_does(pg_empty_url, tmp_path):
    path = tmp_path / "crisis.db"
    assert build_packs_pg([bundled_pack_path(), BERLIN], pg_empty_url) == build_packs(
        [bundled_pack_path(), BERLIN], path)
    assert exports(pg_empty_url) == exports("sqlite:///" + str(path))


def test_an_import_into_an_empty_database_makes_the_schema(pg_empty_url, tmp_path):
    path = tmp_path / "crisis.db"
    files = [write(tmp_path / "demo.yaml", demo())]
    assert import_into(pg_empty_url, files) == import_into("sqlite:///" + str(path), files)
    assert exports(pg_empty_url) == exports("sqlite:///" + str(path))


def test_export_round_trips_between_the_engines(bundled_db, pg_empty_url, tmp_path):
    lite = exports("sqlite:///" + str(bundled_db))[0]
    exported = tmp_path / "export.json"
    exported.write_text(lite, encoding="utf-8")
    build_packs_pg([exported], pg_empty_url)
    assert exports(pg_empty_url)[0] == lite
    back = tmp_path / "back.json"
    back.write_text(exports(pg_empty_url)[0], encoding="utf-8")
    build_packs([back], tmp_path / "back.db")
    assert exports("sqlite:///" + str(tmp_path / "back.db"))[0] == lite


def test_the_build_id_is_the_callers(pg_url, tmp_path):
    token = next_build_id.set("ours-123")
    try:
        import_packs_pg([write(tmp_path / "demo.yaml", demo())], pg_url)
    finally:
        next_build_id.reset(token)
    assert database_stamp_pg(pg_url) == "ours-123"
    assert database_stamp_pg(pg_url.replace("/crisis", "/no_such_db")) is None


# --- several processes at once ---------------------------------------------------------------

def _import_in_child(files: list[str], url: str, out: multiprocessing.Queue) -> None:
    try:
        report = import_packs_pg([Path(f) for f in files], url)
        out.put(("ok", report.summary()))
    except (PackError, DatabaseError) as exc:
        out.put(("refused", str(exc)))


def _run_both(url: str, first: list[Path], second: list[Path]) -> list[tuple[str, str]]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    children = [context.Process(target=_import_in_child, args=([str(f) for f in files], url, out))
                for files in (first, second)]
    for child in children:
        child.start()
    results = [out.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    return results


def test_two_imports_of_other_packs_run_at_once_and_both_land(pg_url, tmp_path):
    a = write(tmp_path / "a.yaml", demo("alpha"))
    b = write(tmp_path / "b.yaml", {"schema_version": 2, "pack": {"id": "beta", "title": "Beta"},
                                    "sources": [{"id": "beta/note", "title": "B", "text": TEXT}],
                                    "entities": [{"id": "event/beta-meeting", "type": "event", "name": "Beta meeting",
                                                  "citations": [{"source": "beta/note",
                                                                 "quote": "On 3 March 2024"}]}]})
    results = _run_both(pg_url, [a], [b])
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    kb = open_knowledge_base(pg_url)
    try:
        assert {"alpha", "beta"} <= {p.id for p in kb.packs()}
        assert name_of(kb, "event/beta-meeting") and name_of(kb, "event/port-vell-2024")
    finally:
        kb.close()


def test_one_record_added_by_two_imports_at_once_merges_or_fails_clearly(pg_url, tmp_path):
    a = write(tmp_path / "a.yaml", demo("alpha"))
    b = write(tmp_path / "b.yaml", demo("beta", name="Port Vell meeting, as beta words it"))
    results = sorted(_run_both(pg_url, [a], [b]))
    kinds = [kind for kind, _ in results]
    if kinds == ["ok", "ok"]:  # one after the other after all: the second merged with the first
        return
    assert kinds == ["ok", "refused"], results
    said = results[1][1]
    assert "another import added it meanwhile; import again" in said or "source note" in said, said
    assert "\n" not in said


def test_a_reader_sees_the_old_state_until_the_import_commits(pg_url, tmp_path):
    kb = open_knowledge_base(pg_url)
    try:
        before = kb._all("SELECT count(*) FROM entity")[0][0]
        with kb._snapshot():
            kb._all("SELECT 1")
            import_packs_pg([write(tmp_path / "demo.yaml", demo())], pg_url)
            assert kb._all("SELECT count(*) FROM entity")[0][0] == before  # the snapshot's
            assert name_of(kb, "event/port-vell-2024") is None
        assert kb._all("SELECT count(*) FROM entity")[0][0] == before + 3
        assert name_of(kb, "event/port-vell-2024") == "Port Vell meeting"
    finally:
        kb.close()


def test_a_killed_import_leaves_the_database_as_it_was(pg_url, tmp_path):
    pack = tmp_path / "synthetic.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "--events", "20000",
                    "--pack", str(pack)], check=True, capture_output=True)
    before = exports(pg_url)
    code = ("import sys; from pathlib import Path; from crisis_tui.seed.pg_import import import_packs_pg; "
            "import_packs_pg([Path(sys.argv[1])], sys.argv[2], progress=lambda what, n, of: "
            "print(what, flush=True))")
    child = subprocess.Popen([sys.executable, "-c", code, str(pack), pg_url], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("writing"):  # mid-way through its transaction
            break
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert exports(pg_url) == before


def test_a_role_that_cannot_write_fails_in_one_line_writing_nothing(pg_url, tmp_path):
    import psycopg

    from crisis_tui.db.location import postgres_conninfo

    admin = psycopg.connect(postgres_conninfo(pg_url), autocommit=True)
    dbname = admin.info.dbname
    role = f"import_reader_{os.getpid()}"
    admin.execute(f"DROP ROLE IF EXISTS {role}")
    admin.execute(f"CREATE ROLE {role} LOGIN")
    admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        before = exports(pg_url)
        reader_url = pg_url.replace("postgresql://" + admin.info.user + "@", f"postgresql://{role}@", 1)
        assert role in reader_url
        said = import_into(reader_url, [write(tmp_path / "demo.yaml", demo())])
        assert said.startswith("refused:") and "the role cannot write here" in said, said
        assert "\n" not in said
        assert exports(pg_url) == before
    finally:
        admin.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()
    assert dbname
