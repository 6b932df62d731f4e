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
from textual.widget import Widget
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
    note: str | None = None  # the link's note, as the pack gives it


PANE_LIMIT = 60  # characters of a name, a wording or a title in the pane under the tree
QUOTE_LIMIT = 240  # characters of a quote or a note there (`s` shows the passage whole)


def walked(start: str, label: str, end: str) -> str:
    """A link read from one entity to another: `A —label→ B`, each part inert and cut to PANE_LIMIT."""
    return f"{shown.line(start, PANE_LIMIT)} \u2014{shown.line(label, PANE_LIMIT)}\u2192 {shown.line(end, PANE_LIMIT)}"


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


def cited_parts(node: Node) -> tuple[Content, list[Content], Content]:
    """The pane's text for `node` in three parts: what the line is (the link in words and its
    note), each passage the link is cited to, and what to do next."""
    if node.more:
        return (Content(f"{node.more:,} more links of this group are not listed here; the detail (Enter on the "
                        "entity above) lists up to 200 a side, and F with the relation filters a pane to them all."),
                [], Content(""))
    if node.link is None:
        if node.row is not None:
            return (Content.assemble((shown.line(node.row.name, PANE_LIMIT), "bold"),
                                     f"  [{shown.line(node.row.ref, PANE_LIMIT)}]"), [], Content("\nEnter opens it."))
        return Content(""), [], Content("")
    head = Content.assemble((node.says, "bold"), *(("\nNote: ", (shown.line(node.note, QUOTE_LIMIT), "italic"))
                                                   if node.note else ()))
    if node.citations is None:
        return head, [], Content("\nreading its citation...")
    if not node.citations:
        return head, [], Content("\nThis link cites no passage.")
    cited = [Content.assemble(f"\n[{n}] ", ("\u201c" + shown.line(c.quote, QUOTE_LIMIT) + "\u201d", "italic"),
                              f" \u2014 {shown.line(c.source_title, PANE_LIMIT)} "
                              f"({shown.line(citation_place(c), PANE_LIMIT)})")
             for n, c in enumerate(node.citations, start=1)]
    return head, cited, Content.styled("\ns shows it in its source; Enter opens the entity.", "dim")


def cited_text(node: Node, listed: int | None = None) -> Content:
    """The pane under the tree: the link under the cursor in words, its note, and each passage it
    is cited to (the first `listed` of them, then a line saying how many more `s` shows)."""
    head, cited, tail = cited_parts(node)
    if listed is not None and listed < len(cited):
        left = len(cited) - listed
        tail = Content.styled(f"\n[{left} more: s shows them]", "bold")
        cited = cited[:listed]
    return Content.assemble(head, *cited, tail)


class Cited(Static):
    """The citations of the link under the tree's cursor: as many as the pane holds, then a line
    saying how many more there are (a pane that scrolled could not be reached from the tree)."""

    node: Node | None = None

    def show(self, node: Node) -> None:
        self.node = node
        self.update(self.fitted(node))

    def on_resize(self) -> None:
        if self.node is not None:
            self.update(self.fitted(self.node))

    def fitted(self, node: Node) -> Content:
        """The pane's text, with no more citations than its greatest height holds."""
        parent, width, limit = self.parent, self.content_size.width, self.styles.max_height
        if not isinstance(parent, Widget) or width <= 0 or limit is None:
            return cited_text(node)  # not laid out yet: it is fitted when it is
        room = int(limit.resolve(parent.content_size, self.app.size)) - self.styles.gutter.height
        count = len(cited_parts(node)[1])
        for listed in range(count, -1, -1):
            text = cited_text(node, listed)
            if len(text.wrap(width)) <= room:
                return text
        return cited_text(node, 0)


def add_entity(parent: TreeNode[Node], row: EntityRow, lead: str, node: Node, leaf: bool) -> TreeNode[Node]:
    """Add an entity's line under `parent`: a leaf, or a line that holds others."""
    label = entity_label(row, lead)
    return parent.add_leaf(label, node) if leaf else parent.add(label, node)
