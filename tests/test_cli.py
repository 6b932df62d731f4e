"""The command line, run as a user runs it: output, JSON, exit codes and one-line errors."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from crisis_tui.db.constants import SCHEMA_VERSION

from .conftest import CLI, REPO


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=60)


def test_show_lavrov_jaishankar_lists_simla_as_invoked(any_db):
    result = run("--db", any_db, "show", "Lavrov Jaishankar")
    assert result.returncode == 0, result.stderr
    invokes = [line for line in result.stdout.splitlines() if line.strip().startswith("invokes:")]
    assert invokes and "Simla Agreement [agreement/simla-1972]" in invokes[0]


def test_show_simla_lists_the_talks_as_referring(any_db):
    result = run("--db", any_db, "show", "simla")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    referred = out[out.index("Referred to by:"):]
    assert "invoked by:" in referred and "Lavrov–Jaishankar talks [event/lavrov-jaishankar-call-2025]" in referred
    assert "\u201cin line with the 1972 Simla Agreement" in out
    assert out.splitlines()[1].startswith("agreement / bilateral agreement")
    assert "Crisis:" not in out  # a database of one crisis: not said of every record (test_packs: of several)


def test_show_json(any_db):
    result = run("--db", any_db, "show", "AGREEMENT/SIMLA-1972".lower(), "--json")
    data = json.loads(result.stdout)
    assert data["row"]["name"] == "Simla Agreement"
    assert any(k["other"]["ref"] == "event/lavrov-jaishankar-call-2025" for k in data["links_in"])


def test_show_ambiguous_lists_candidates(any_db):
    result = run("--db", any_db, "show", "Sharif")
    assert result.returncode == 1
    assert "ambiguous" in result.stderr and "Shehbaz Sharif" in result.stderr and "Nawaz Sharif" in result.stderr
    assert result.stderr.count("\n") == 1


def test_show_nothing(any_db):
    result = run("--db", any_db, "show", "zzzz-nothing")
    assert result.returncode == 1 and "nothing matches" in result.stderr


def test_search_text_and_json(any_db):
    result = run("--db", any_db, "search", "subrahmanyam")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith("S. Jaishankar  [actor/s-jaishankar]")
    hits = json.loads(run("--db", any_db, "search", "tashkent", "--type", "agreement", "--json").stdout)
    assert [h["row"]["ref"] for h in hits][0] == "agreement/tashkent-declaration-1966"
    assert hits[0]["field"] == "name" and hits[0]["snippet"] == "Tashkent Declaration" and hits[0]["spans"] == [[0, 8]]
    # search reads link notes too (#15): the Indus Waters Treaty's names Ayub Khan "for Tashkent"
    assert [(h["row"]["ref"], h["field"]) for h in hits[1:]] == [("agreement/indus-waters-treaty-1960", "link note")]


@pytest.mark.parametrize("text", ['"Simla', "AND(", "NEAR(a b", "*", "Ω≈ç√", "-"])
def test_search_hostile_text_exits_cleanly(any_db, text):
    result = run("--db", any_db, "search", text)
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_export_json_is_the_whole_cited_base(any_db):
    result = run("--db", any_db, "export", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 2
    assert len(doc["entities"]) == 70 and len(doc["links"]) > 90 and len(doc["sources"]) > 2
    assert all(e["citations"] for e in doc["entities"]) and all(k["citations"] for k in doc["links"])


def test_export_yaml_builds_the_same_base(any_db, tmp_path):
    out = tmp_path / "pack.yaml"
    assert run("--db", any_db, "export", "--format", "yaml", "-o", str(out)).returncode == 0
    rebuilt = tmp_path / "again.db"
    assert run("--db", str(rebuilt), "build", "--pack", str(out)).returncode == 0
    first = json.loads(run("--db", any_db, "export").stdout)
    second = json.loads(run("--db", str(rebuilt), "export").stdout)
    assert first == second


def test_usage_errors_exit_2(any_db):
    assert run("--db", any_db, "search").returncode == 2
    assert run("--db", any_db, "search", "x", "--type", "planet").returncode == 2
    assert run("frobnicate").returncode == 2


@pytest.mark.parametrize("command", [[], ["build"], ["export"], ["show"], ["search"], ["open"]])
def test_help_everywhere(command):
    result = run(*command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout


def test_missing_chosen_database_is_reported(tmp_path):
    result = run("--db", str(tmp_path / "none.db"), "show", "simla")
    assert result.returncode == 1
    assert "no database here" in result.stderr and "build" in result.stderr


def test_first_launch_builds_the_default_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CRISIS_TUI_DB"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = run("show", "simla", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "crisis-tui" / "crisis.db").exists()
    assert "built" in result.stderr


def test_environment_variable_chooses_the_database(any_db):
    env = dict(os.environ, CRISIS_TUI_DB=any_db)
    assert run("search", "simla", env=env).returncode == 0


def test_corrupt_database_gives_one_line(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database at all" * 100)
    result = run("--db", str(path), "show", "simla")
    assert result.returncode == 1
    assert result.stderr.startswith("crisis-tui: error: ") and result.stderr.count("\n") == 1
    assert str(path) in result.stderr


def test_foreign_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    result = run("--db", str(path), "search", "x")
    assert result.returncode == 1 and "not a crisis-tui database" in result.stderr


def test_newer_schema_is_refused(db_copy):
    conn = sqlite3.connect(db_copy)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    result = run("--db", str(db_copy), "show", "simla")
    assert result.returncode == 1 and "newer crisis-tui" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "bad.db"
    path.write_bytes(b"garbage" * 500)
    result = run("--debug", "--db", str(path), "show", "simla")
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_an_older_schema_is_upgraded_keeping_its_data(db_copy, tmp_path):
    pack = tmp_path / "demo.yaml"
    pack.write_text(
        "relations: [{name: participant, label: participant, inverse: took part in}]\n"
        "sources: [{id: note, title: Note, text: 'The Harbour Council met.'}]\n"
        "entities: [{id: actor/harbour-council, type: actor, name: Harbour Council,"
        " citations: [{source: note, quote: The Harbour Council met.}]}]\n", encoding="utf-8")
    assert run("--db", str(db_copy), "import", str(pack)).returncode == 0
    conn = sqlite3.connect(db_copy)  # make it look like schema 2: order kept in entity.pos, no search_name
    conn.executescript("DROP TABLE entity_order; DROP TABLE search_name;"
                       "ALTER TABLE entity ADD COLUMN pos INTEGER NOT NULL DEFAULT 0;"
                       "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    conn.close()
    result = run("--db", str(db_copy), "search", "harbour")
    assert result.returncode == 0, result.stderr
    assert "upgraded" in result.stderr and f"from schema 2 to {SCHEMA_VERSION}" in result.stderr
    assert "Harbour Council" in result.stdout
    assert "Lavrov" in run("--db", str(db_copy), "show", "Lavrov Dar").stdout
    again = run("--db", str(db_copy), "upgrade")
    assert again.returncode == 0 and f"already at schema {SCHEMA_VERSION}" in again.stderr


def test_a_locked_database_gives_one_line(db_copy):
    holder = sqlite3.connect(db_copy, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("--db", str(db_copy), "show", "simla")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    assert "locked" in result.stderr and str(db_copy) in result.stderr
    assert result.stderr.count("\n") == 1


# A database crisis-tui 0.x made at schema 5 (commit bde25e9): the bundled pack, then the
# ACLED sample imported beside it (its records of no pack: that ACLED mapping gave none).
SCHEMA_5 = REPO / "tests" / "data" / "schema-5.db.gz"


def schema_5_database(path: Path) -> Path:
    path.write_bytes(gzip.decompress(SCHEMA_5.read_bytes()))
    return path


def as_schema_3(path: Path, packs: list[dict] | None = None) -> None:
    """Make a schema-5 database look as schema 3 made it: no entity.pack."""
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE entity DROP COLUMN pack")
    conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    if packs is not None:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'packs'", (json.dumps(packs),))
    conn.commit()
    conn.close()


def packs_of(path: Path, table: str, key: str) -> dict[str, int | None]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute(f"SELECT {key}, pack_id FROM {table}"))
    finally:
        conn.close()


def test_upgrade_from_schema_5_keeps_which_records_are_of_the_pack(tmp_path):
    db = schema_5_database(tmp_path / "old.db")
    result = run("--db", str(db), "upgrade")
    assert result.returncode == 0 and f"from schema 5 to {SCHEMA_VERSION}" in result.stderr, result.stderr
    listed = run("--db", str(db), "packs").stdout
    assert listed.startswith("india-pakistan-2025  The 2025 India–Pakistan crisis after the Pahalgam attack  "
                             "(70 entities, 107 links, 11 positions, 31 sources")
    entities = packs_of(db, "entity", "ref")
    assert entities["agreement/simla-1972"] == 1 and entities["event/acled-ind10001"] is None
    assert packs_of(db, "source", "id")["article"] == 1
    assert {pack for ref, pack in packs_of(db, "source", "id").items() if ref.startswith("acled/")} == {None}
    conn = sqlite3.connect(db)
    try:  # the ACLED links are of no pack, the bundled pack's of it
        by_pack = dict(conn.execute("SELECT pack_id IS NULL, count(*) FROM link GROUP BY 1"))
    finally:
        conn.close()
    assert by_pack == {0: 107, 1: 5}
    assert "Lavrov" in run("--db", str(db), "show", "Lavrov Dar").stdout
    again = run("--db", str(db), "upgrade")
    assert again.returncode == 0 and f"already at schema {SCHEMA_VERSION}" in again.stderr


def test_upgrade_from_schema_3_gives_each_record_its_pack(tmp_path):
    db = schema_5_database(tmp_path / "old.db")
    as_schema_3(db)
    exported = run("--db", str(db), "export")  # an older database is upgraded first
    assert exported.returncode == 0 and "upgraded" in exported.stderr and "from schema 3 to" in exported.stderr
    assert set(packs_of(db, "entity", "ref").values()) == {1}  # made from one pack: all of it (none was kept)
    assert json.loads(exported.stdout)["pack"]["id"] == "india-pakistan-2025"


def test_upgrade_of_a_database_made_from_several_packs_keeps_its_records_of_no_pack(tmp_path):
    db = schema_5_database(tmp_path / "old.db")
    as_schema_3(db, packs=[{"id": "one", "title": "One"}, {"id": "two", "title": "Two"}])
    result = run("--db", str(db), "upgrade")
    assert result.returncode == 0, result.stderr
    packs = packs_of(db, "entity", "ref")
    assert len(packs) > 60 and set(packs.values()) == {None}
    assert [line.split()[0] for line in run("--db", str(db), "packs").stdout.splitlines()] == ["one", "two"]
    assert "Lavrov" in run("--db", str(db), "show", "Lavrov Dar").stdout


def test_upgrade_from_schema_5_of_two_packs_gives_each_record_its_pack(tmp_path):
    """Made by bde25e9: the bundled pack, then tests/data/packs/review/p1v1.yaml imported beside it;
    schema 5 kept only each entity's pack. Links, positions and sources get theirs from what they join."""
    db = tmp_path / "two.db"
    db.write_bytes(gzip.decompress((REPO / "tests" / "data" / "schema-5-two-packs.db.gz").read_bytes()))
    assert run("--db", str(db), "upgrade").returncode == 0
    lines = run("--db", str(db), "packs").stdout.splitlines()
    assert "(70 entities, 107 links, 11 positions, 31 sources" in lines[0]
    assert lines[1].startswith("p1  Pack one  (3 entities, 2 links, 1 positions, 2 sources")
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT pack_id FROM relation WHERE name = 'allied-with'").fetchone() == (2,)
    finally:
        conn.close()
    first, second, again = tmp_path / "1.json", tmp_path / "2.json", tmp_path / "again.db"
    assert run("--db", str(db), "export", "-o", str(first)).returncode == 0
    assert run("--db", str(again), "build", "--pack", str(first)).returncode == 0
    assert run("--db", str(again), "export", "-o", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
