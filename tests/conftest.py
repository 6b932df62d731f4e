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
