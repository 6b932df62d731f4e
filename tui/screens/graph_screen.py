"""What the neighbourhood (`a`) and the paths (`p`) screens share: a box holding a line saying
what is shown, a tree of linked entities, and under it the passages the link under the
cursor is cited to; Enter opens the entity under the cursor, `s` shows its link's passage."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static, Tree
from textual.worker import Worker

from ...db.queries import KnowledgeBase
from ..messages import worker_failed
from ..widgets.detail import DetailView
from ..widgets.key_bar import KeyBar
from ..widgets.link_tree import Cited, LinkTree, Node


class GraphScreen(ModalScreen[str | None]):
    """Closes with the id of the entity to open (Enter), or nothing (Esc)."""

    SOURCE_HINT = "Put the cursor on a linked entity to see the passage its link is cited to"

    def __init__(self, kb: KnowledgeBase, title: str, root: Text, reading: str) -> None:
        super().__init__()
        self.kb = kb
        self.ready = False  # the tree is filled (benchmarks/graph.py waits for it)
        self.graph = LinkTree(root, id="graph-tree")
        self.head = Static(Content(reading), id="graph-head")
        self.cited = Cited(id="graph-cited")
        self._box_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="graph-box") as box:
            box.border_title = Content(self._box_title)
            yield self.head
            yield self.graph
            yield self.cited
        yield KeyBar()

    def retitle(self, title: str) -> None:
        self._box_title = title
        self.query_one("#graph-box").border_title = Content(title)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)  # its workers' errors reach the app (the event does not bubble)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected) -> None:
        node = event.node.data
        if node is not None and node.row is not None:
            self.dismiss(node.row.ref)
        elif event.node.children:
            event.node.toggle()
        elif node is not None:
            self.selected_other(node)

    def selected_other(self, node: Node) -> None:
        """Enter on a line that is neither an entity nor a branch (a count of more)."""

    def action_source(self) -> None:
        node = self.graph.cursor_node
        link = node.data.link if node is not None and node.data is not None else None
        if link is None:
            self.notify(self.SOURCE_HINT, timeout=3)
            return
        self.app.post_message(DetailView.ShowLinkSource(link))
