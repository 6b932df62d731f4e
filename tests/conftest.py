"""Shared fixtures: a database built from the bundled pack in a temporary folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.seed.importer import build_packs
from crisis_tui.seed.loader import bundled_pack_path, load_pack

REPO = Path(__file__).resolve().parent.parent
# The installed console scripts, beside the Python running the tests (the venv need not be on PATH).
BIN = Path(sys.executable).parent
CLI = str(BIN / "crisis-tui")


@pytest.fixture(scope="session")
def bundled_pack():
    return load_pack(bundled_pack_path())


@pytest.fixture(scope="session")
def bundled_db(tmp_path_factory, bundled_pack) -> Path:
    """The bundled crisis, built once per test run; copy it before writing to it."""
    path = tmp_path_factory.mktemp("db") / "crisis.db"
    build_packs([bundled_pack_path()], path)
    return path


@pytest.fixture
def db_copy(bundled_db, tmp_path) -> Path:
    path = tmp_path / "crisis.db"
    shutil.copy(bundled_db, path)
    return path


@pytest.fixture(scope="session")
def kb(bundled_db):
    base = KnowledgeBase("sqlite:///" + str(bundled_db))
    yield base
    base.close()


@pytest.fixture
def pack_dir(tmp_path) -> Path:
    """A writable copy of the bundled pack folder, for tests that break it."""
    target = tmp_path / "pack"
    shutil.copytree(bundled_pack_path(), target)
    return target


@pytest.fixture(autouse=True)
def _own_state_folder(tmp_path_factory, monkeypatch):
    """Each test its own state folder (db/state.py): where one test left the explorer is
    not where the next one's starts (subprocesses inherit it)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def make_app(bundled_db):
    """Explorers on the bundled database (`make(start=...)`), each one's connections closed after."""
    from crisis_tui.tui.app import CrisisApp  # not imported for tests that do not start the explorer

    opened: list[KnowledgeBase] = []

    def make(start: str | None = None) -> CrisisApp:
        kb = KnowledgeBase("sqlite:///" + str(bundled_db))
        opened.append(kb)
        return CrisisApp(kb, start=start)

    yield make
    for kb in opened:
        kb.close()


# --- PostgreSQL (issue #18): a throwaway cluster, and a database of its own per test -------------

def _pg_required() -> bool:
    """Under CI a missing PostgreSQL fails the run; elsewhere its tests skip, saying why."""
    import os

    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_server(request):
    """The PostgreSQL server the tests use: CRISIS_TUI_TEST_PG's, or a cluster of their own (tests/pg_cluster.py)."""
    from tests import pg_cluster

    server = pg_cluster.from_env()
    cluster = None
    if server is None:
        try:
            cluster = pg_cluster.Cluster()
        except (FileNotFoundError, RuntimeError) as exc:
            if _pg_required():
                pytest.fail(f"PostgreSQL is needed under CI and could not be started: {exc}")
            pytest.skip(f"no PostgreSQL to test against: {exc}")
        server = cluster.server
    pg_cluster.wait_ready(server)
    option = request.config.option  # where pytest-postgresql's no-process fixture reads the server from
    option.postgresql_host, option.postgresql_port, option.postgresql_user = server.host, server.port, server.user
    option.postgresql_password = server.password
    yield server
    if cluster is not None:
        cluster.stop()


def _load_bundled(host: str, port: int | str, user: str, dbname: str, password: str | None = None, **_) -> None:
    """pytest-postgresql's template: the bundled crisis, as a build makes it on SQLite, copied to the server."""
    import tempfile

    from crisis_tui.db.pg.copy import copy_database
    from tests.pg_cluster import Server

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "crisis.db"
        build_packs([bundled_pack_path()], path)
        copy_database(path, Server(host, int(port), user, password).url(dbname))


from pytest_postgresql import factories  # noqa: E402  (beside the fixtures it makes)

_pg_proc = factories.postgresql_noproc(dbname="crisis_tui_test", load=[_load_bundled])
_pg_db = factories.postgresql("_pg_proc_started")


@pytest.fixture(scope="session")
def _pg_proc_started(pg_server, request):
    return request.getfixturevalue("_pg_proc")


@pytest.fixture
def pg_url(pg_server, _pg_db) -> str:
    """A database of this test's own holding the bundled crisis (dropped after the test)."""
    info = _pg_db.info
    return pg_server.url(info.dbname)


@pytest.fixture
def pg_empty_url(pg_server, request) -> str:
    """An empty database of this test's own (no tables: a build or an import makes them)."""
    from pytest_postgresql.janitor import DatabaseJanitor

    name = f"crisis_tui_empty_{abs(hash(request.node.nodeid)) % 10**8}"
    janitor = DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname=name,
                              password=pg_server.password)
    janitor.drop()
    janitor.init()
    yield pg_server.url(name)
    janitor.drop()


@pytest.fixture(scope="session")
def pg_kb(pg_server, _pg_proc_started):
    """The query layer over a session-long copy of the bundled crisis on PostgreSQL (read only)."""
    from pytest_postgresql.janitor import DatabaseJanitor

    from crisis_tui.db.engines import open_knowledge_base

    name = "crisis_tui_session"
    janitor = DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname=name,
                              template_dbname=_pg_proc_started.template_dbname, password=pg_server.password)
    janitor.drop()
    janitor.init()
    base = open_knowledge_base(pg_server.url(name))
    yield base
    base.close()
    janitor.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request) -> str:
    """Each engine in turn: a test taking it runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def any_kb(engine, request):
    """The bundled crisis's query layer on each engine in turn (read only)."""
    return request.getfixturevalue("kb" if engine == "sqlite" else "pg_kb")


@pytest.fixture
def any_db(engine, request) -> str:
    """The bundled crisis's database as `--db` takes it, on each engine in turn (read only)."""
    if engine == "sqlite":
        return str(request.getfixturevalue("bundled_db"))
    return request.getfixturevalue("pg_kb").url


@pytest.fixture
def make_any_app(engine, request):
    """Explorers on the bundled crisis on each engine in turn (`make(start=...)`), each one's
    connections closed after."""
    from crisis_tui.db.engines import open_knowledge_base
    from crisis_tui.tui.app import CrisisApp

    url = "sqlite:///" + str(request.getfixturevalue("bundled_db")) if engine == "sqlite" \
        else request.getfixturevalue("pg_kb").url
    opened: list = []

    def make(start: str | None = None) -> CrisisApp:
        kb = open_knowledge_base(url)
        opened.append(kb)
        return CrisisApp(kb, start=start)

    yield make
    for kb in opened:
        kb.close()


@pytest.fixture
def any_url(engine, request) -> str:
    """A writable database of the bundled crisis of this test's own, on each engine in turn (its URL)."""
    if engine == "sqlite":
        return "sqlite:///" + str(request.getfixturevalue("db_copy"))
    return request.getfixturevalue("pg_url")
