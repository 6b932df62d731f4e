"""The PostgreSQL query layer's connections: few of them, whatever the threads, and a server
that dropped them (a restart) costs no failed read."""

from __future__ import annotations

import threading

import psycopg

from crisis_tui.db.engines import open_knowledge_base
from crisis_tui.db.pg.readers import POOL


def ours(url: str) -> int:
    """crisis-tui's connections to the database at `url` (as the server counts them)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND application_name = 'crisis-tui'").fetchone()[0]


def test_many_threads_read_on_a_few_connections(pg_url):
    kb = open_knowledge_base(pg_url)
    most, failures = [0], []
    start = threading.Barrier(8)

    def read() -> None:
        try:
            start.wait()
            for _ in range(15):
                kb.detail("agreement/simla-1972")
                kb.page("event", 0, 50)
                kb.search("simla")
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)

    def count() -> None:
        while any(t.is_alive() for t in threads):
            most[0] = max(most[0], ours(pg_url))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    counter = threading.Thread(target=count)
    counter.start()
    for t in threads:
        t.join()
    counter.join()
    try:
        assert failures == []
        assert 1 <= most[0] <= POOL, most[0]
    finally:
        kb.close()
    assert ours(pg_url) == 0  # closed: nothing left open on the server


def test_reads_go_on_after_the_server_dropped_every_connection(pg_url):
    kb = open_knowledge_base(pg_url)
    try:
        before = kb.detail("agreement/simla-1972")
        kb.page("event", 0, 10)
        with psycopg.connect(pg_url, autocommit=True) as conn:  # as a restart does to every session
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND application_name = 'crisis-tui'")
        assert kb.row("agreement/simla-1972") == before.row  # one statement: tried again on a new connection
        assert kb.detail("agreement/simla-1972") == before  # a snapshot: begun again on a new connection
    finally:
        kb.close()
