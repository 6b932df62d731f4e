"""The command line on a PostgreSQL server: `--db postgresql://...` and CRISIS_TUI_DB, one-line
errors (a wrong password, no server, no database, a role that cannot write, not a crisis-tui
database) with the password never printed, read-only explorers, state keyed without the
password, and `serve` sessions whose command line holds no password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI

PASSWORD = "s3:cr\\et@p/w"  # a colon, a backslash, an at sign and a slash: escaped in URLs and pgpass alike
QUOTED = "s3%3Acr%5Cet%40p%2Fw"


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crisis-tui: error: "), done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert PASSWORD not in done.stderr + done.stdout and QUOTED not in done.stderr + done.stdout
    return lines[0]


@pytest.fixture(scope="module")
def auth(tmp_path_factory):
    """A cluster of this module's own that asks two roles for their passwords (scram-sha-256):
    `writer` owns database `crisis` (the bundled crisis), `reader` may only SELECT from it."""
    import psycopg
    from psycopg import sql

    from crisis_tui.db.pg.copy import copy_database
    from crisis_tui.seed.importer import build_packs
    from crisis_tui.seed.loader import bundled_pack_path
    from tests import pg_cluster

    try:
        cluster = pg_cluster.Cluster()
    except (FileNotFoundError, RuntimeError) as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL is needed under CI: {exc}")
        pytest.skip(f"cannot start a cluster: {exc}")
    try:
        server = cluster.server
        pg_cluster.wait_ready(server)
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            for role in ("writer", "reader"):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role),
                                                                                sql.Literal(PASSWORD)))
            conn.execute("CREATE DATABASE crisis OWNER writer")
            conn.execute("CREATE DATABASE empty OWNER writer")
        db = tmp_path_factory.mktemp("auth") / "crisis.db"
        build_packs([bundled_pack_path()], db)
        copy_database(db, server.url("crisis"))
        with psycopg.connect(server.url("crisis"), autocommit=True) as conn:
            tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            for table in tables:
                conn.execute(f'ALTER TABLE "{table}" OWNER TO writer')
            conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        hba = cluster.data / "pg_hba.conf"
        hba.write_text("local all writer scram-sha-256\nlocal all reader scram-sha-256\n" + hba.read_text())
        cluster._run("pg_ctl", "-D", str(cluster.data), "reload")
        yield cluster
    finally:
        cluster.stop()


def url(cluster, role: str, db: str = "crisis", password: str | None = QUOTED) -> str:
    from urllib.parse import quote

    secret = f":{password}" if password is not None else ""
    return f"postgresql://{role}{secret}@/{db}?host={quote(str(cluster.root), safe='/')}&port={cluster.port}"


# --- reading ------------------------------------------------------------------------------------

def test_packs_with_the_password_in_the_url_in_pgpassword_or_in_crisis_tui_db(auth):
    for args, env in (
        (["--db", url(auth, "reader")], {}),
        (["--db", url(auth, "reader", password=None)], {"PGPASSWORD": PASSWORD}),
        ([], {"CRISIS_TUI_DB": url(auth, "reader")}),
    ):
        done = run(*args, "packs", env=env)
        assert done.returncode == 0, done.stderr
        assert "india-pakistan-2025" in done.stdout


def test_show_and_search_on_postgresql(pg_url):
    """Fails until db/pg/panes.py and db/pg/search.py (helpers "panes", "search") land."""
    shown = run("--db", pg_url, "show", "actor/india")
    assert shown.returncode == 0, shown.stderr
    found = run("--db", pg_url, "search", "Pahalgam")
    assert found.returncode == 0 and "Pahalgam" in found.stdout, found.stderr


# --- errors, a line each, never with the password ---------------------------------------------

def test_a_wrong_password_is_one_line_without_it(auth):
    one_line_error(run("--db", url(auth, "reader", password="wrong%3Apass"), "packs"),
                   "refused the password", "reader", "postgresql://reader@/crisis")


def test_no_password_at_all_says_where_to_give_one(auth, tmp_path):
    env = {"PGPASSFILE": str(tmp_path / "none"), "PGPASSWORD": ""}
    one_line_error(run("--db", url(auth, "reader", password=None), "packs", env=env), "asks for a password")


def test_an_unreachable_server_a_missing_database_and_not_a_crisis_tui_database(auth, tmp_path):
    one_line_error(run("--db", f"postgresql://reader:{QUOTED}@/crisis?host={tmp_path}", "packs"),
                   "cannot reach the PostgreSQL server")
    one_line_error(run("--db", url(auth, "reader", db="nosuch"), "packs"), "no database 'nosuch'",
                   "`createdb --owner <writing role> nosuch`")
    one_line_error(run("--db", url(auth, "writer", db="empty"), "show", "x"), "not a crisis-tui database",
                   "(a role that can write builds it with `crisis-tui --db URL build`)")


def test_a_server_with_no_connection_left_says_so_not_unreachable():
    from crisis_tui.db.pg.connect import connection_problem

    for text in ('connection failed: connection to server on socket "/tmp/.s.PGSQL.5432" failed: FATAL:  '
                 "sorry, too many clients already",
                 "connection to server at \"db\" (10.0.0.1), port 5432 failed: FATAL:  remaining connection slots "
                 "are reserved for roles with the SUPERUSER attribute"):
        said = str(connection_problem("postgresql://me:secret@db/crisis", Exception(text)))
        assert said == ("postgresql://me:***@db/crisis: the server has no connection left (max_connections "
                        "reached); try again later or ask its administrator for more"), said


def test_an_import_or_build_with_a_role_that_cannot_write_is_one_line(auth):
    from crisis_tui.seed.loader import bundled_pack_path

    one_line_error(run("--db", url(auth, "reader"), "import", str(bundled_pack_path())), "cannot write")
    said = one_line_error(run("--db", url(auth, "reader"), "build", "--force"), "cannot build: the role cannot write")
    assert "import:" not in said
    one_line_error(run("--db", url(auth, "reader"), "build"), "already holds 1 pack")  # refused before it writes


# --- build on a shared database ---------------------------------------------------------------

def test_build_refuses_to_replace_a_database_holding_packs_unless_forced(pg_url, pg_empty_url, tmp_path):
    """A team's shared database is never wiped by a plain `build` (issue #18); --force does it."""
    import json

    from crisis_tui.db.engines import open_knowledge_base

    text = "On 3 March 2024 the Harbour Council met at Port Vell."
    pack = tmp_path / "mine.json"
    pack.write_text(json.dumps({
        "schema_version": 1, "pack": {"id": "mine", "title": "Mine"},
        "sources": [{"id": "note", "title": "A field note", "text": text}],
        "entities": [{"id": "event/port-vell-2024", "type": "event", "name": "Port Vell meeting", "date": "2024-03-03",
                      "citations": [{"source": "note", "quote": "the Harbour Council met"}]}]}))
    done = run("--db", pg_url, "import", str(pack))
    assert done.returncode == 0, done.stderr
    said = one_line_error(run("--db", pg_url, "build"), "already holds 2 packs", "use `import` to add a pack",
                          "`build --force` replaces them all")
    assert said.startswith(f"crisis-tui: error: {pg_url}")
    kb = open_knowledge_base(pg_url)
    try:
        assert [p.id for p in kb.packs()] == ["india-pakistan-2025", "mine"]
    finally:
        kb.close()
    forced = run("--db", pg_url, "build", "--force")
    assert forced.returncode == 0 and "built" in forced.stdout, forced.stderr
    kb = open_knowledge_base(pg_url)
    try:
        assert [p.id for p in kb.packs()] == ["india-pakistan-2025"]
    finally:
        kb.close()
    fresh = run("--db", pg_empty_url, "build")  # no crisis-tui tables: nothing to lose
    assert fresh.returncode == 0, fresh.stderr
    helped = " ".join(run("build", "--help").stdout.split())
    assert "--force" in helped and "use `import` to add a pack" in helped


def test_build_on_sqlite_replaces_the_users_own_file_as_before(tmp_path):
    db = tmp_path / "crisis.db"
    for _ in range(2):
        done = run("--db", str(db), "build")
        assert done.returncode == 0, done.stderr


def test_debug_tracebacks_and_help_hold_no_password(auth):
    done = run("--debug", "--db", url(auth, "reader", password="wrong%3Apass"), "packs")
    assert done.returncode == 1 and "wrong" not in done.stderr, done.stderr
    helped = run("--help")
    assert "postgresql://user@host/dbname" in " ".join(helped.stdout.split())


def test_explorers_read_only_even_with_a_role_that_can_write(auth):
    """The CLI's knowledge base (the explorer's) cannot write, whoever its role is."""
    import psycopg

    from crisis_tui.tui.cli import _Context

    obj = _Context(url(auth, "writer"), debug=False)
    kb = obj.knowledge_base()
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), kb._readers.locked() as conn:
            conn.execute("CREATE TABLE mine (a int)")
    finally:
        kb.close()


def test_a_missing_schema_is_never_built_behind_the_users_back(auth):
    import psycopg

    done = run("--db", url(auth, "writer", db="empty"))  # the explorer, on an empty database
    one_line_error(done, "not a crisis-tui database")
    with psycopg.connect(auth.server.url("empty"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


# --- the state file -------------------------------------------------------------------------------

def test_bookmarks_are_kept_by_host_port_and_database_only(tmp_path):
    """The same database reached by another role, with sslmode or other parameters: the same bookmarks."""
    from crisis_tui.db.state import StateStore, UserState, state_key

    path = tmp_path / "state.db"
    writer = UserState(StateStore(path), "postgresql://writer@/crisis?host=/run/pg&sslmode=disable")
    writer.set_bookmark("actor/india", "India", "actor", True)
    writer.close()
    for other in ("postgresql://reader@/crisis?host=/run/pg",
                  "postgres://reader:x@/crisis?host=/run/pg&port=5432&application_name=me&connect_timeout=3",
                  "postgresql://%2Frun%2Fpg:5432/crisis?user=someone"):
        state = UserState(StateStore(path), other)
        assert state.bookmarked_refs() == ["actor/india"], other
        state.close()
    assert state_key("postgresql://me@DB.example/crisis?sslmode=require") == "postgresql://db.example:5432/crisis"
    assert state_key("postgresql://me@db.example:5433/crisis") != state_key("postgresql://me@db.example/crisis")
    assert state_key("postgresql://me@db.example/other") != state_key("postgresql://me@db.example/crisis")
    assert state_key("postgresql://me@db.example/crisis?host=elsewhere") == "postgresql://elsewhere:5432/crisis"


def test_bookmarks_are_kept_by_the_url_without_its_password(tmp_path):
    from crisis_tui.db.state import StateStore, UserState, state_key

    path = tmp_path / "state.db"
    with_password = f"postgres://me:{QUOTED}@db.example/crisis?sslmode=require"
    state = UserState(StateStore(path), with_password)
    state.set_bookmark("actor/india", "India", "actor", True)
    state.close()
    later = UserState(StateStore(path), "postgresql://me@db.example/crisis?password=other&sslmode=require")
    assert later.bookmarked_refs() == ["actor/india"]
    later.close()
    assert state_key(with_password) == "postgresql://db.example:5432/crisis"
    assert PASSWORD.encode() not in path.read_bytes() and QUOTED.encode() not in path.read_bytes()
    assert state_key("sqlite:///x/crisis.db") == "sqlite:///x/crisis.db"


# --- serve --------------------------------------------------------------------------------------

def test_sessions_get_the_url_without_its_password_and_a_password_file(auth, monkeypatch, tmp_path):
    import stat

    from crisis_tui.tui.cli import _Context
    from crisis_tui.tui.serve import commands
    from crisis_tui.tui.serve.explorer import explorer_command, explorer_env
    from crisis_tui.tui.serve.web_command import session_command

    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    obj = _Context(url(auth, "reader"), debug=False)
    db = commands._ready_database(obj)
    assert db == url(auth, "reader", password=None)
    command = explorer_command(db, tmp_path / "s.db", "ssh")
    web = session_command(db, tmp_path / "s.db", 512)
    env = explorer_env(None)
    for text in (" ".join(command), web, repr(env)):
        assert PASSWORD not in text and QUOTED not in text
    passfile = Path(env["PGPASSFILE"])
    assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    session = subprocess.run(command[:3] + ["--db", db, "packs"], capture_output=True, text=True, timeout=60,
                             env={**env, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert session.returncode == 0 and "india-pakistan-2025" in session.stdout, session.stderr


def test_an_ssh_session_on_postgresql_holds_no_password_in_its_command_line_or_environment(auth, tmp_path):
    """The real server: a session's explorer on the reader role, seen through /proc."""
    from tests.ptyterm import PtyTerminal
    from tests.test_serve_ssh import Server, make_key, wait_until

    key = make_key(tmp_path, "alice")
    authorized = tmp_path / "authorized_keys"
    authorized.write_text(key.with_suffix(".pub").read_text())
    server = Server(url(auth, "reader"), tmp_path, authorized)  # type: ignore[arg-type]
    server.start()
    terminal = None
    try:
        assert not any(QUOTED in line or PASSWORD in line for line in server.lines)
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
        terminal = PtyTerminal(server.ssh(key, "-tt", "127.0.0.1"), cols=80, rows=24,
                               env={**env, "TERM": "xterm-256color"})
        assert wait_until(lambda: bool(server.explorers()), 20)
        pid = next(iter(server.explorers()))
        terminal.wait_for("Events", timeout=30)
        for name in ("cmdline", "environ"):
            seen = Path(f"/proc/{pid}/{name}").read_bytes()
            assert PASSWORD.encode() not in seen and QUOTED.encode() not in seen, name
        assert b"PGPASSFILE=" in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        if terminal is not None:
            terminal.close()
        server.stop()
