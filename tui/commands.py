"""Command palette entries: every entity by name, alias or summary (searched off the UI thread), and
the crises to show."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..db.constants import REF_PATTERN
from ..db.errors import DatabaseError
from ..db.readers import Cancel, QueryCancelled
from ..db.records import SearchHit
from . import shown
from .messages import Failed
from .outline import hit_parts

ROLE_STYLES = {"type": "dim", "name": "bold", "date": "dim", "alias": "italic"}


def hit_prompt(hit: SearchHit) -> Content:
    """A hit as the palette shows it: kind, name, date, and the alias that matched."""
    return Content.assemble(*((text, ROLE_STYLES[role]) for text, role in hit_parts(hit)))


SAFE_REF = re.compile(REF_PATTERN)  # the pack format's ids: no markup can hide in one


def go_to(ref: str) -> str:
    """The palette's help line for a hit; the palette reads it as markup, so a ref that is not
    of the pack format's shape (a database written by another tool) is not shown."""
    return f"Go to {ref}" if SAFE_REF.match(ref) else "Go to this entity"


class EntityProvider(Provider):
    """`ctrl+p` then a few letters: go to any event, actor, agreement or place."""

    async def search(self, query: str) -> Hits:
        from .app import CrisisApp  # imported here: the app imports this module when the palette opens

        app = self.app
        assert isinstance(app, CrisisApp)
        cancel = Cancel()
        try:
            hits = await asyncio.to_thread(app.kb.search, query, None, 20, cancel)
        except asyncio.CancelledError:  # the palette moved on to newer text: stop the query too
            cancel.cancel()
            raise
        except QueryCancelled:
            return
        except DatabaseError as exc:  # a search past its time limit, a damaged database: said, not lost
            app.post_message(Failed(exc))
            return
        for n, hit in enumerate(hits):
            score = max(1.0 - hit.tier * 0.2 - n * 0.005, 0.01)
            yield Hit(score, hit_prompt(hit), partial(app.visit, hit.row.ref), text=shown.line(hit.row.name),
                      help=go_to(hit.row.ref))


class CrisisProvider(Provider):
    """`ctrl+p` then "crisis": show one crisis in every pane ("Show crisis: <title>"), or all.

    Its prompts are `Content` (a pack's title is data: the system commands' titles are read as
    markup); with one crisis or none it offers nothing (the `c` key says why).
    """

    def _commands(self) -> list[tuple[str, Callable[[], None], str]]:
        from .app import CrisisApp

        app = self.app
        assert isinstance(app, CrisisApp)
        if len(app.packs) < 2:
            return []
        Command = tuple[str, Callable[[], None], str]
        every: list[Command] = [("Show all crises", partial(app.show_crisis, None), "Every pane shows every crisis")]
        return every + [(f"Show crisis: {shown.line(pack.title)}", partial(app.show_crisis, pack.id),
                         "Every pane shows this crisis only") for pack in app.packs]

    async def discover(self) -> Hits:
        for title, callback, help_text in self._commands():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, Content(title), callback, text=title, help=help_text)


ADD_LANE_HOW = "Type add lane and part of an actor's name, e.g. add lane lavrov"
LANES_ARE = "Lanes are actors: their events, and those of their office-holders and members"
ADD_LANE = re.compile(r"^\s*add\s+lane\s*:?", re.IGNORECASE)  # "Add lane: Lashkar" as the palette shows it


class LaneProvider(Provider):
    """On the timeline, `ctrl+p`: "Add lane: <actor>" for the actors matching what is typed,
    "Remove lane: <name>" for each lane, and "Lanes: main parties" to go back to the default."""

    def _timeline(self):
        from .screens.timeline import TimelineScreen

        screen = self.screen
        return screen if isinstance(screen, TimelineScreen) else None

    def _own(self) -> list[tuple[str, Callable[[], None], str]]:
        screen = self._timeline()
        if screen is None:
            return []
        own = [(f"Remove lane: {shown.line(lane.name)}", partial(screen.remove_lane, lane.ref),
                "Take this lane off the timeline (its events go to Other)") for lane in screen.lanes]
        return [*own, ("Lanes: main parties", screen.reset_lanes,
                       "Lanes back to the crisis's main parties (the actors in most of its latest events)")]

    async def discover(self) -> Hits:
        for title, callback, help_text in self._own():
            yield DiscoveryHit(Content(title), callback, text=title, help=help_text)
        screen = self._timeline()
        if screen is not None:
            how = "Add lane: type add lane and an actor's name"
            yield DiscoveryHit(Content(how), partial(screen.notify, ADD_LANE_HOW, timeout=4), text=how, help=LANES_ARE)

    async def search(self, query: str) -> Hits:
        screen = self._timeline()
        if screen is None:
            return
        matcher = self.matcher(query)
        for title, callback, help_text in self._own():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, Content(title), callback, text=title, help=help_text)
        words = ADD_LANE.sub("", query).strip()
        if not (ADD_LANE.match(query) and words) and matcher.match("add lane") > 0:  # how to add one
            how = "Add lane: type an actor's name after it (add lane lavrov)"
            yield Hit(0.5, Content(how), partial(screen.notify, ADD_LANE_HOW, timeout=4), text=how, help=LANES_ARE)
        if not words:
            return
        cancel = Cancel()
        try:
            hits = await asyncio.to_thread(screen.kb.search, words, "actor", 10, cancel)
        except asyncio.CancelledError:
            cancel.cancel()
            raise
        except QueryCancelled:
            return
        except DatabaseError as exc:
            self.app.post_message(Failed(exc))
            return
        have = {lane.ref for lane in screen.lanes}
        for n, hit in enumerate(hits):
            if hit.row.ref in have:
                continue
            name = shown.line(hit.row.name)
            yield Hit(max(0.9 - n * 0.01, 0.01), Content.assemble(("Add lane: ", "dim"), (name, "bold")),
                      partial(screen.add_lane, hit.row.ref, hit.row.name), text=f"Add lane: {name}",
                      help="A lane of the events linked to this actor or its members")
