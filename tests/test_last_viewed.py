"""Where each database was last left, now kept in the state database (db/state.py): per database,
the last-viewed.json of earlier versions read once so that nobody loses their place, and a
file that cannot be read is no reason to fail."""

from __future__ import annotations

import json

import pytest

from crisis_tui.db import state
from crisis_tui.db.state import Place, StateStore, UserState
from crisis_tui.tui.app import CrisisApp


def legacy_file():
    return state.default_path().parent / state.LEGACY_FILE


def test_each_database_keeps_its_own_place(tmp_path):
    store = StateStore(tmp_path / "state.db")
    store.save_place("sqlite:///a.db", Place("agreement/simla-1972", "agreement"))
    store.save_place("sqlite:///b.db", Place("actor/india", "actor", True, (("actor/india", "India"),), 0))
    assert store.place("sqlite:///a.db") == Place("agreement/simla-1972", "agreement")
    assert store.place("sqlite:///b.db") == Place("actor/india", "actor", True, (("actor/india", "India"),), 0)
    assert store.place("sqlite:///c.db") is None


def test_an_earlier_versions_last_viewed_json_is_read_once_when_the_state_database_is_made():
    legacy = legacy_file()
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({"sqlite:///a.db": "agreement/simla-1972", "sqlite:///b.db": "actor/india"}))
    store = StateStore(state.default_path())
    assert store.place("sqlite:///a.db") == Place("agreement/simla-1972")  # before the file is made: read as it is
    assert not store.exists()
    store.save_place("sqlite:///b.db", Place("actor/pakistan", "actor"))  # the first write makes the file
    assert store.place("sqlite:///a.db") == Place("agreement/simla-1972")  # taken in
    assert store.place("sqlite:///b.db") == Place("actor/pakistan", "actor")  # and the newer place kept
    legacy.write_text(json.dumps({"sqlite:///a.db": "actor/india"}))  # once: not read again
    store.close()
    assert StateStore(state.default_path()).place("sqlite:///a.db") == Place("agreement/simla-1972")
    assert legacy.exists()  # left where it was, for an earlier version still in use


def test_a_state_database_chosen_elsewhere_takes_in_no_last_viewed_json(tmp_path):
    legacy = legacy_file()
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({"sqlite:///a.db": "agreement/simla-1972"}))
    chosen = StateStore(tmp_path / "mine.db")  # --state or CRISIS_TUI_STATE: another user's places stay out
    assert chosen.place("sqlite:///a.db") is None
    chosen.save_place("sqlite:///b.db", Place("actor/india", "actor"))
    assert chosen.place("sqlite:///a.db") is None and chosen.place("sqlite:///b.db") == Place("actor/india", "actor")


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"sqlite:///a.db": 7}', b"\xff\xfe"])
def test_a_last_viewed_json_that_cannot_be_read_is_ignored(content):
    legacy = legacy_file()
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_bytes(content)
    store = StateStore(state.default_path())
    assert store.place("sqlite:///a.db") is None
    store.save_place("sqlite:///a.db", Place("actor/india"))
    assert store.place("sqlite:///a.db") == Place("actor/india")
    assert legacy.read_bytes() == content


def test_a_saved_history_that_cannot_be_read_is_no_history(tmp_path):
    store = StateStore(tmp_path / "state.db")
    store.save_place("sqlite:///a.db", Place("actor/india", "actor", False, (("actor/india", "India"),), 0))
    with store._writing() as conn:  # another tool wrote nonsense into it
        conn.execute("UPDATE place SET history = '{nope', cursor = 99, pane = 'nowhere'")
    assert store.place("sqlite:///a.db") == Place("actor/india", None, False, (), -1)


async def test_the_app_starts_on_the_entity_it_was_left_on_if_it_is_still_there(kb, tmp_path):
    """Through the state database, as `crisis-tui` (tui/cli.py) gives it to the app."""
    store = StateStore(tmp_path / "state.db")
    store.save_place(kb.url, Place("agreement/simla-1972"))
    app = CrisisApp(kb, state=UserState(store, kb.url))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if app.shown == "agreement/simla-1972":
                break
        assert app.shown == "agreement/simla-1972"
    store.save_place(kb.url, Place("agreement/no-longer-here"))
    gone = CrisisApp(kb, state=UserState(store, kb.url))
    async with gone.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if gone.shown:
                break
        assert gone.shown == "event/indo-pakistani-war-1965"  # the first event, as without a place to return to
    store.close()
