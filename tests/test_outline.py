"""One outline of an entity, two renderers: `show` and the detail pane say the same things in
the same order, and the outline itself needs no UI toolkit."""

from __future__ import annotations

import subprocess
import sys

from crisis_tui.db.records import CitationView, EntityDetail, EntityRow, LinkView
from crisis_tui.tui.outline import Citation, Link, Position, outline
from crisis_tui.tui.output import detail_text
from crisis_tui.tui.widgets.detail import build_items


def test_the_outline_imports_no_ui():
    code = (
        "import sys\n"
        "import crisis_tui.tui.outline, crisis_tui.tui.output\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_the_pane_opens_what_the_outline_says_in_its_order(kb):
    for entity_type in ("event", "actor", "agreement", "place"):
        for row in kb.page(entity_type, 0, 1000):
            detail = kb.detail(row.ref, link_citations=False)
            targets = [line.target for section in outline(detail) for line in section.lines
                       if isinstance(line, (Link, Position, Citation))]
            assert [item.target for item in build_items(detail) if item.target is not None] == targets, row.ref


def test_show_and_the_pane_name_every_link(kb):
    detail = kb.detail("agreement/simla-1972", link_citations=False)
    text = detail_text(detail)
    pane = "\n".join(item.text for item in build_items(detail))
    links = [line.link for section in outline(detail) for line in section.lines if isinstance(line, Link)]
    assert links
    for link in links:
        assert f"{link.other.name} [{link.other.ref}]" in text
        assert f"{link.label}: {link.other.name}" in pane


def row(n: int) -> EntityRow:
    return EntityRow(n, f"actor/a{n}", "actor", None, f"Actor {n}", None, None)


def test_a_cut_list_of_links_says_how_many_there_are():
    links = tuple(LinkView("r", "meets", row(n), None, (), n) for n in range(1, 4))
    citation = CitationView("src", "Source", None, "a quote", 3)
    detail = EntityDetail(row(0), "", (), None, None, {}, (citation,), (), links, (), links_out_total=40)
    links_section = next(section for section in outline(detail) if section.title == "Links")
    assert (links_section.shown, links_section.total) == (3, 40)
    assert "Links (first 3 of 40):" in detail_text(detail)
    texts = [item.text for item in build_items(detail)]
    assert "Links (40)" in texts and "showing the first 3" in texts
    assert '[1] "a quote" -- src, line 3' in texts
