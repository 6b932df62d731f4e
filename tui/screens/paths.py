"""The paths between two entities (`p` marks the start, `p` on another shows the paths): the
shortest chains of typed links, each step's citations in the pane below; Enter opens the
entity under the cursor."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, Tree
from textual.worker import Worker

from ...db.graph import Paths, Route
from ...db.queries import KnowledgeBase
from ...db.records import EntityRow
from .. import shown
from ..messages import worker_failed
from ..widgets.detail import DetailView
from ..widgets.key_bar import KeyBar
from ..widgets.link_tree import Cited, LinkTree, Node, add_entity, walked

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


class PathsScreen(ModalScreen[str | None]):
    """Closes with the id of the entity to open (Enter), or nothing (Esc: back to where `p` was pressed)."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close", id="paths.close"),
        Binding("s", "source", "Source", id="paths.source",
                tooltip="Show the passage the step under the cursor is cited to in its source"),
    ]

    def __init__(self, kb: KnowledgeBase, start: EntityRow, end: EntityRow) -> None:
        super().__init__()
        self.kb, self.start, self.end = kb, start, end
        self.ready = False  # the tree is filled (benchmarks/graph.py waits for it)
        self.found: Paths | None = None
        title = f"{shown.line(start.name)} \u2192 {shown.line(end.name)}"
        self.graph = LinkTree(Text(title), id="graph-tree")
        self.graph.show_root = False
        self.head = Static(Content("Looking for the shortest paths..."), id="graph-head")
        self.cited = Cited(id="graph-cited")
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="graph-box") as box:
            box.border_title = Content(f"Paths: {self._title}")
            yield self.head
            yield self.graph
            yield self.cited
        yield KeyBar()

    def on_mount(self) -> None:
        self.graph.focus()
        self._read()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)

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

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        node = event.node.data
        if node is not None and node.row is not None:
            self.dismiss(node.row.ref)
        elif event.node.children:
            event.node.toggle()

    def action_source(self) -> None:
        node = self.graph.cursor_node
        link = node.data.link if node is not None and node.data is not None else None
        if link is None:
            self.notify("Put the cursor on a step of a path to see the passage its link is cited to", timeout=3)
            return
        self.app.post_message(DetailView.ShowLinkSource(link))
