"""The paths between two entities (`p` marks the start, `p` on another shows the paths): the
shortest chains of typed links, each step's citations in the pane below; Enter opens the
entity under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Tree

from ...db.graph import Paths, Route
from ...db.queries import KnowledgeBase
from ...db.records import EntityRow
from .. import shown
from ..widgets.link_tree import Node, add_entity, walked
from .graph_screen import GraphScreen

HEAD_NAME_LIMIT = 40  # characters of a name in the line above the tree


def route_label(n: int, route: Route) -> Text:
    """A path's line: its number and the entities along it."""
    names = " \u2192 ".join(shown.line(row.name) for row in route.rows)
    return Text.assemble((f"Path {n}", "bold"), f"  {names}")


def head_text(found: Paths) -> Content:
    """The line above the tree: what was found, or why nothing was, in words."""
    names = (shown.line(found.start.name, HEAD_NAME_LIMIT), shown.line(found.end.name, HEAD_NAME_LIMIT))
    text = found.explain(names) + "."  # names cut, so that the outcome shows in the head's three lines
    if found.routes:
        text += " Enter opens; each step's passages are below."
    return Content(text)


class PathsScreen(GraphScreen):
    """Closes with the id of the entity to open (Enter), or nothing (Esc: back to where `p` was pressed)."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close", id="paths.close"),
        Binding("s", "source", "Source", id="paths.source",
                tooltip="Show the passage the step under the cursor is cited to in its source"),
    ]

    SOURCE_HINT = "Put the cursor on a step of a path to see the passage its link is cited to"

    def __init__(self, kb: KnowledgeBase, start: EntityRow, end: EntityRow) -> None:
        title = f"{shown.line(start.name)} \u2192 {shown.line(end.name)}"
        super().__init__(kb, f"Paths: {title}", Text(title), "Looking for the shortest paths...")
        self.start, self.end = start, end
        self.found: Paths | None = None
        self.graph.show_root = False

    def on_mount(self) -> None:
        self.graph.focus()
        self._read()

    @work(thread=True, exclusive=True, group="paths", exit_on_error=False)
    def _read(self) -> None:
        found = self.kb.paths(self.start.ref, self.end.ref)
        self.app.call_from_thread(self._fill, found)

    def _fill(self, found: Paths | None) -> None:
        self.found = found
        tree = self.graph
        if found is None:
            self.head.update(Content("One of the two entities is no longer in the database."))
            self.ready = True
            return
        self.head.update(head_text(found))
        for n, route in enumerate(found.routes, start=1):
            branch = tree.root.add(route_label(n, route), Node(), expand=True)
            first = route.steps[0].start
            add_entity(branch, first, "", Node(first), leaf=True)
            for step in route.steps:
                says = walked(step.start.name, step.label, step.end.name)
                lead = f"\u2014{shown.line(step.label)}\u2192 "
                node = Node(step.end, step.link, says, step.citations, note=step.note)
                add_entity(branch, step.end, lead, node, leaf=True)
        if not found.routes:
            tree.root.add_leaf(Text("Esc goes back; p on another entity looks for paths from the mark to it.", "dim"),
                               Node())
        tree.root.expand()
        tree.cursor_line = 1 if found.routes else 0  # the start of the first path
        self.ready = True

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.cited.show(event.node.data)
