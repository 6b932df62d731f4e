"""The neighbourhood of an entity (`a`): its links out to two hops, as a tree grouped by
relation and direction (an outline of Obsidian's local graph); Enter opens the entity under
the cursor, and the pane below shows the passages the link to it is cited to."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Tree

from ...db.graph import GROUP_LIMIT, NEXT_LIMIT, LinkGroup, Neighbourhood
from ...db.queries import KnowledgeBase
from ...db.records import CitationView, EntityRow
from .. import shown
from ..widgets.link_tree import Node, add_entity, entity_label, walked
from .graph_screen import GraphScreen

FOLDED_OVER = 40  # a tree of more lines than this opens with the second hop folded
HEAD_NAME_LIMIT = 40  # characters of the centre's name in the line above the tree


def head_text(found: Neighbourhood) -> Content:
    """The line above the tree: how many links the entity has, and what the tree lists of them."""
    links = sum(g.total for g in found.groups)
    name = shown.line(found.centre.name, HEAD_NAME_LIMIT)
    if not links:
        return Content.assemble((name, "bold"), " has no links.")
    counted = "" if all(g.counted_all for g in found.groups) else "+"  # a hub's group counted up to its cap
    return Content.assemble(
        (name, "bold"),
        f": {links:,}{counted} link{'s' if links != 1 else ''}, two hops out by relation (up to {GROUP_LIMIT} a group, "
        f"{NEXT_LIMIT} further out). Enter opens, space folds.",
    )


def group_label(group: LinkGroup) -> Text:
    """A group's line: its relation as read from the entity above it, and how many links it has."""
    total = f"{group.total:,}" + ("" if group.counted_all else "+")
    count = f"{len(group.hops)} of {total}" if group.more else total
    return Text.assemble((shown.line(group.label), "italic"), (f"  ({count})", "dim"))


class NeighbourhoodScreen(GraphScreen):
    """Closes with the id of the entity to open (Enter), or nothing (Esc)."""

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close", id="neighbourhood.close"),
        Binding("s", "source", "Source", id="neighbourhood.source",
                tooltip="Show the passage the link under the cursor is cited to in its source"),
        Binding("a", "recentre", "Centre here", id="neighbourhood.recentre",
                tooltip="Show the neighbourhood of the entity under the cursor instead"),
    ]

    def __init__(self, kb: KnowledgeBase, row: EntityRow, pack: str | None = None) -> None:
        super().__init__(kb, f"Neighbourhood: {shown.line(row.name)}", entity_label(row), "Reading the links...")
        self.row, self.pack = row, pack
        self.found: Neighbourhood | None = None
        self._citations: dict[int, tuple[CitationView, ...]] = {}

    def on_mount(self) -> None:
        self.graph.root.data = Node(self.row)
        self.graph.focus()
        self._read(self.row)

    @work(thread=True, exclusive=True, group="neighbourhood", exit_on_error=False)
    def _read(self, row: EntityRow) -> None:
        pack = self.pack
        if pack is not None and self.kb.position(row.id, pack) is None:
            pack = None  # the crisis shown does not state it: every crisis's links, as the detail shows it
        found = self.kb.neighbourhood(row.ref, pack=pack)
        self.app.call_from_thread(self._fill, row, found)

    def _fill(self, row: EntityRow, found: Neighbourhood | None) -> None:
        if row != self.row:
            return  # re-centred since it was asked for
        self.found = found
        tree = self.graph
        tree.clear()
        tree.root.set_label(entity_label(row))
        tree.root.data = Node(row)
        if found is None:
            self.head.update(Content(f"{shown.line(row.name)} is no longer in the database."))
            self.ready = True
            return
        self.head.update(head_text(found))
        lines = self._add_groups(tree.root, row, found.groups)
        tree.root.expand()
        for group in tree.root.children:
            group.expand()
            if lines <= FOLDED_OVER:
                for child in group.children:
                    child.expand_all()
        tree.move_cursor(tree.root)
        self.cited.show(Node(row))
        self.ready = True

    def _add_groups(self, parent, row: EntityRow, groups: tuple[LinkGroup, ...]) -> int:
        """Add the groups of `row`'s links under `parent`; returns the lines added."""
        lines = 0
        for group in groups:
            branch = parent.add(group_label(group), Node(relation=group.relation))
            lines += 1
            for hop in group.hops:
                says = walked(row.name, hop.label, hop.other.name)
                lead = "" if hop.label == group.label else f"{shown.line(hop.label)}: "  # a pack's own wording
                node = Node(hop.other, hop.link, says, hop.citations or None, note=hop.note)
                child = add_entity(branch, hop.other, lead, node, leaf=not hop.groups)
                lines += 1 + self._add_groups(child, hop.other, hop.groups)
            if group.more:
                more = "more" if group.counted_all else "or more"
                branch.add_leaf(Text(f"\u2026 and {group.more:,} {more}", "dim"),
                                Node(more=group.more, relation=group.relation))
                lines += 1
        return lines

    # --- the cursor: the link's citations, read as it rests --------------------------

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        node = event.node.data
        if node is None:
            return
        if node.link is not None and node.citations is None and node.link in self._citations:
            node = replace(node, citations=self._citations[node.link])
        self.cited.show(node)
        if node.link is not None and node.citations is None:
            self._read_citations(node)

    @work(thread=True, exclusive=True, group="cited", exit_on_error=False)
    def _read_citations(self, node: Node) -> None:
        assert node.link is not None
        citations = self.kb.link_citations(node.link)
        self.app.call_from_thread(self._cited, node, citations)

    def _cited(self, node: Node, citations: tuple[CitationView, ...]) -> None:
        assert node.link is not None
        self._citations[node.link] = citations
        under = self.graph.cursor_node
        if under is not None and under.data is not None and under.data.link == node.link:
            self.cited.show(replace(node, citations=citations))

    # --- keys ------------------------------------------------------------------------

    def selected_other(self, node: Node) -> None:
        if node.more:
            self.notify(f"{node.more:,} more are not listed: open the entity above them (Enter) to see up to 200, "
                        "or filter a pane with F", timeout=4, markup=False)

    def action_recentre(self) -> None:
        """Centre on the entity under the cursor; on a group's line (or its count), on the entity
        the group is of."""
        node = self.graph.cursor_node
        while node is not None and (node.data is None or node.data.row is None):
            node = node.parent
        row = node.data.row if node is not None and node.data is not None else None
        if row is None:
            return
        if row.id == self.row.id:
            self.notify(f"{shown.line(row.name, HEAD_NAME_LIMIT)} is the centre already: a on another entity's "
                        "line (or a group under it) centres there", timeout=3, markup=False)
            return
        self.row, self.ready = row, False
        self.retitle(f"Neighbourhood: {shown.line(row.name)}")
        self.head.update(Content("Reading the links..."))
        self._read(row)
