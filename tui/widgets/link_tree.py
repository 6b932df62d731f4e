"""A tree of entities and the links between them (a neighbourhood, the paths between two), and
the pane under it that shows the citations of the link under the cursor.

Textual's Tree draws it (collapsible, keyboard-driven); every label is a `Text` made of
inert pack text (`shown.line`), never markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from ...db.records import CitationView, EntityRow
from .. import shown
from ..outline import citation_place, row_date


@dataclass(frozen=True)
class Node:
    """What a line of the tree stands for: an entity (`row`, which Enter opens) reached by a
    link (`link`, whose citations the pane below shows), a group of links, or the count of
    links not listed (`more`)."""

    row: EntityRow | None = None
    link: int | None = None
    says: str = ""  # the link in words: `Sergei Lavrov —took part in→ Lavrov–Dar talks`
    citations: tuple[CitationView, ...] | None = None  # None: not read yet (the pane reads them)
    more: int = 0  # links of the group above not listed
    relation: str = ""  # of a group, or of the count of a group's links not listed


def walked(start: str, label: str, end: str) -> str:
    """A link read from one entity to another: `A —label→ B` (names already inert)."""
    return f"{start} \u2014{label}\u2192 {end}"


def entity_label(row: EntityRow, lead: str = "") -> Text:
    """An entity's line: `lead` (a link's wording), its name in bold, its date and kind dimmed."""
    kind = f"{row.type}/{row.kind}" if row.kind else row.type
    date = row_date(row)
    return Text.assemble(lead, (shown.line(row.name), "bold"), (f"  {date}" if date else "", "dim"),
                         (f"  {shown.line(kind)}", "dim"))


class LinkTree(Tree[Node]):
    """The tree, with vi keys beside the arrows: j/k move, h folds (or goes up), l unfolds."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="graph.down"),
        Binding("k", "cursor_up", "Up", show=False, id="graph.up"),
        Binding("h,left", "fold", "Fold", show=False, id="graph.fold",
                tooltip="Fold the line under the cursor, or go up to the line it is under"),
        Binding("l,right", "unfold", "Unfold", show=False, id="graph.unfold",
                tooltip="Unfold the line under the cursor"),
        Binding("g", "scroll_home", "Top", show=False, id="graph.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="graph.bottom"),
    ]

    def __init__(self, label: Text, **kwargs) -> None:
        super().__init__(label, Node(), **kwargs)
        self.auto_expand = False  # Enter opens an entity; space (or l) unfolds

    def action_fold(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None and (node.parent is not self.root or self.show_root):
            self.move_cursor(node.parent)

    def action_unfold(self) -> None:
        node = self.cursor_node
        if node is not None and node.children and not node.is_expanded:
            node.expand()


def cited_text(node: Node) -> Content:
    """The pane under the tree: the link under the cursor in words, and each passage it is cited to."""
    if node.more:
        return Content(f"{node.more:,} more links of this group are not listed here; the detail (Enter on the "
                       "entity above) lists up to 200 a side, and F with the relation filters a pane to them all.")
    if node.link is None:
        if node.row is not None:
            return Content.assemble((shown.line(node.row.name), "bold"), f"  [{shown.line(node.row.ref)}]",
                                    "\nEnter opens it.")
        return Content("")
    parts: list[str | tuple[str, str]] = [(node.says, "bold")]
    if node.citations is None:
        parts.append("\nreading its citation...")
    elif not node.citations:
        parts.append("\nThis link cites no passage.")
    for n, c in enumerate(node.citations or (), start=1):
        where = citation_place(c)
        parts += [f"\n[{n}] ", ("\u201c" + shown.line(c.quote) + "\u201d", "italic"),
                  f" \u2014 {shown.line(c.source_title)} ({shown.line(where)})"]
    if node.citations:
        parts.append(("\ns shows it in its source; Enter opens the entity.", "dim"))
    return Content.assemble(*parts)


class Cited(Static):
    """The citations of the link under the tree's cursor."""

    def show(self, node: Node) -> None:
        self.update(cited_text(node))


def add_entity(parent: TreeNode[Node], row: EntityRow, lead: str, node: Node, leaf: bool) -> TreeNode[Node]:
    """Add an entity's line under `parent`: a leaf, or a line that holds others."""
    label = entity_label(row, lead)
    return parent.add_leaf(label, node) if leaf else parent.add(label, node)
