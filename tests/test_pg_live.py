"""Live updates on PostgreSQL (db/pg/watch.py): a notification heard within a second, long idle
waits, a server restarting under the listener, and an explorer that hears another process's
import and quits cleanly while it waits."""

from __future__ import annotations

import threading
import time

import pytest

from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.pg.ddl import NOTIFY_CHANNEL
from crisis_tui.db.pg.watch import Listener


def _notify(url: str) -> None:
    import psycopg

    from crisis_tui.db.location import postgres_conninfo

    with psycopg.connect(postgres_conninfo(url), autocommit=True) as conn:
        conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")


@pytest.fixture
def listener(pg_empty_url):
    found = Listener(pg_empty_url)
    yield found
    found.close()


def test_a_notification_ends_a_wait_at_once(listener, pg_empty_url):
    start = listener.version()
    assert listener.wait(0.05) is False  # nothing yet: the timeout
    threading.Timer(0.2, _notify, [pg_empty_url]).start()
    began = time.monotonic()
    assert listener.wait(10) is True
    assert time.monotonic() - began < 1.0
    assert listener.version() == start + 1


def test_waits_that_time_out_say_nothing_changed(listener):
    listener.version()
    began = time.monotonic()
    for _ in range(20):  # many short waits, as the explorer makes them: no change, no busy loop
        assert listener.wait(0.05) is False
    assert time.monotonic() - began >= 0.95


def test_close_wakes_a_wait_and_later_calls_say_closed(listener):
    listener.version()
    threading.Timer(0.2, listener.close).start()
    began = time.monotonic()
    assert listener.wait(30) is False
    assert time.monotonic() - began < 2
    with pytest.raises(DatabaseError, match="closed"):
        listener.wait(0.1)
    listener.close()  # twice: nothing


def test_an_unreachable_server_is_tried_again_later_not_raised(tmp_path):
    listener = Listener(f"postgresql://nobody@/x?host={tmp_path}")  # no server in this folder
    try:
        assert listener.version() == 0
        began = time.monotonic()
        assert listener.wait(1.0) is False
        assert 0.9 <= time.monotonic() - began < 2.0
        assert listener._backoff > 0.25  # it backed off: not a busy loop
    finally:
        listener.close()


@pytest.fixture
def own_cluster():
    """A cluster of this test's own, to restart under a listener (never the shared one)."""
    from tests import pg_cluster

    try:
        cluster = pg_cluster.Cluster()
    except (FileNotFoundError, RuntimeError) as exc:
        pytest.skip(f"cannot start a cluster: {exc}")
    pg_cluster.wait_ready(cluster.server)
    yield cluster
    cluster.stop()


def test_a_restarted_server_is_heard_again_and_said_as_a_change(own_cluster):
    url = own_cluster.server.url("postgres")
    listener = Listener(url)
    try:
        listener.version()
        own_cluster._run("pg_ctl", "-D", str(own_cluster.data), "-m", "fast", "-w", "stop")
        assert listener.wait(0.5) is False  # the loss is noticed, nothing to say yet
        assert listener._conn is None
        assert listener.wait(1.0) is False  # still away: waits, retries later
        own_cluster._run("pg_ctl", "-D", str(own_cluster.data), "-o",
                         f"-c listen_addresses='' -c unix_socket_directories='{own_cluster.root}' "
                         f"-p {own_cluster.port}", "-l", str(own_cluster.root / "log"), "-w", "start")
        began = time.monotonic()
        changed = False
        while not changed and time.monotonic() - began < 10:
            changed = listener.wait(0.5)
        assert changed, "no change said after the server came back"
        threading.Timer(0.2, _notify, [url]).start()  # and it listens again
        assert listener.wait(5) is True
    finally:
        listener.close()


# --- the explorer ----------------------------------------------------------------------------

async def _settle(pilot, until, seconds: float = 10.0) -> None:
    began = time.monotonic()
    while not until():
        if time.monotonic() - began > seconds:
            raise AssertionError("timed out")
        await pilot.pause(0.05)


@pytest.mark.asyncio
async def test_the_explorer_reloads_on_another_process_notification_within_a_second(pg_url):
    from crisis_tui.db.engines import open_knowledge_base
    from crisis_tui.tui.app import CrisisApp

    kb = open_knowledge_base(pg_url)
    app = CrisisApp(kb)
    reloads: list[float] = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            app._database_changed = lambda: reloads.append(time.monotonic())  # type: ignore[method-assign]
            await pilot.pause(0.5)
            sent = time.monotonic()
            _notify(pg_url)
            await _settle(pilot, lambda: reloads)
            assert reloads[0] - sent < 1.0
            began = time.monotonic()
        assert time.monotonic() - began < 2.0  # quit while a wait was on: no long wait for it
    finally:
        kb.close()


@pytest.mark.asyncio
async def test_the_explorer_idles_with_its_listener_and_quits_cleanly(pg_url, monkeypatch):
    """Minutes of waiting, shrunk: many wait slices fire and nothing happens, nothing crashes."""
    from crisis_tui.db.engines import open_knowledge_base
    from crisis_tui.tui import app as app_module

    monkeypatch.setattr(app_module, "LISTEN_SLICE", 0.01)
    kb = open_knowledge_base(pg_url)
    app = app_module.CrisisApp(kb)
    reloads: list[float] = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            app._database_changed = lambda: reloads.append(time.monotonic())  # type: ignore[method-assign]
            await pilot.pause(3.0)  # ~300 waits
            assert app.is_running and not reloads
        assert app.return_code in (None, 0)
    finally:
        kb.close()
