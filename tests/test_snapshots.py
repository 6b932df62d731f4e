"""Snapshot tests pinning the layouts at 80x24: main screen, detail, search, help, source, tiny."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.tui.app import CrisisApp


@pytest.fixture(autouse=True)
def _fixed_colours(monkeypatch):
    """Snapshots are taken with the full-colour theme whatever terminal runs the tests."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.fixture
def app_at(bundled_db):
    kbs = []

    def make(start=None, theme_16=False):
        kb = KnowledgeBase("sqlite:///" + str(bundled_db))
        kbs.append(kb)
        app = CrisisApp(kb, start=start)
        if theme_16:
            app.theme = "ansi-dark"
        return app

    yield make
    for kb in kbs:
        kb.close()


async def settled(pilot):
    await pilot.pause(0.2)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


class TestMainScreen:
    def test_start(self, snap_compare, app_at):
        assert snap_compare(app_at(), terminal_size=(80, 24), run_before=settled)

    def test_actors_pane(self, snap_compare, app_at):
        async def before(pilot):
            await settled(pilot)
            await pilot.press("2", "j", "j")
            await settled(pilot)

        assert snap_compare(app_at(), terminal_size=(80, 24), run_before=before)

    def test_wide(self, snap_compare, app_at):
        assert snap_compare(app_at(), terminal_size=(140, 40), run_before=settled)

    def test_sixteen_colours(self, snap_compare, app_at):
        assert snap_compare(app_at(theme_16=True), terminal_size=(80, 24), run_before=settled)

    def test_too_small(self, snap_compare, app_at):
        assert snap_compare(app_at(), terminal_size=(40, 12), run_before=settled)


class TestDetail:
    def test_lavrov_dar_talks(self, snap_compare, app_at):
        async def before(pilot):
            await settled(pilot)
            await pilot.press("tab")

        assert snap_compare(app_at("event/lavrov-dar-call-2025"), terminal_size=(80, 24), run_before=before)

    def test_source_passage(self, snap_compare, app_at):
        async def before(pilot):
            await settled(pilot)
            view = pilot.app.main.query_one("#detail")
            view.focus()
            await pilot.press("G", "enter")
            await settled(pilot)

        assert snap_compare(app_at("agreement/simla-1972"), terminal_size=(80, 24), run_before=before)


class TestModals:
    def test_search(self, snap_compare, app_at):
        async def before(pilot):
            await settled(pilot)
            await pilot.press("slash")
            # a blinking cursor makes the picture timing-dependent
            pilot.app.screen.query_one(Input).cursor_blink = False
            await pilot.press(*"simla")
            await settled(pilot)

        assert snap_compare(app_at(), terminal_size=(80, 24), run_before=before)

    def test_help(self, snap_compare, app_at):
        async def before(pilot):
            await settled(pilot)
            await pilot.press("question_mark")
            await settled(pilot)

        assert snap_compare(app_at(), terminal_size=(80, 24), run_before=before)
