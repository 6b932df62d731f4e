"""Where each database was last left (tui/last_viewed.py): kept per database, bounded, and a
state file that cannot be read is no reason to fail."""

from __future__ import annotations

import pytest

from crisis_tui.tui import last_viewed
from crisis_tui.tui.app import CrisisApp


def test_each_database_keeps_its_own_entity(tmp_path):
    last_viewed.remember("sqlite:///a.db", "agreement/simla-1972")
    last_viewed.remember("sqlite:///b.db", "actor/india")
    assert last_viewed.last_viewed("sqlite:///a.db") == "agreement/simla-1972"
    assert last_viewed.last_viewed("sqlite:///b.db") == "actor/india"
    assert last_viewed.last_viewed("sqlite:///c.db") is None
    last_viewed.remember("sqlite:///a.db", None)  # nothing shown: what was kept stays
    assert last_viewed.last_viewed("sqlite:///a.db") == "agreement/simla-1972"


def test_only_the_most_recent_databases_are_kept(monkeypatch):
    monkeypatch.setattr(last_viewed, "LIMIT", 3)
    for n in range(5):
        last_viewed.remember(f"sqlite:///{n}.db", f"actor/a{n}")
    assert [last_viewed.last_viewed(f"sqlite:///{n}.db") for n in range(5)] == [None, None, "actor/a2", "actor/a3",
                                                                             "actor/a4"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"sqlite:///a.db": 7}', b"\xff\xfe"])
def test_a_state_file_that_cannot_be_read_is_ignored_and_replaced(content):
    path = last_viewed.state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    assert last_viewed.last_viewed("sqlite:///a.db") is None
    last_viewed.remember("sqlite:///a.db", "actor/india")
    assert last_viewed.last_viewed("sqlite:///a.db") == "actor/india"


def test_a_state_folder_that_cannot_be_written_loses_nothing_but_the_place(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    monkeypatch.setattr(last_viewed, "state_file", lambda: blocked / "last-viewed.json")
    last_viewed.remember("sqlite:///a.db", "actor/india")  # no error
    assert last_viewed.last_viewed("sqlite:///a.db") is None


async def test_the_app_starts_on_the_entity_it_was_left_on_if_it_is_still_there(kb):
    app = CrisisApp(kb, resume="agreement/simla-1972")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.shown == "agreement/simla-1972":
                break
        assert app.shown == "agreement/simla-1972"
    gone = CrisisApp(kb, resume="agreement/no-longer-here")
    async with gone.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if gone.shown:
                break
        assert gone.shown == "event/indo-pakistani-war-1965"  # the first event, as without a place to return to
