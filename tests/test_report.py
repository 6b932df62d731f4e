"""`crisis-tui report` (Markdown and HTML, every fact's citation a footnote) and
`crisis-tui export --format graphml`."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from crisis_tui.db.errors import CrisisError, DatabaseError
from crisis_tui.db.export import write_file
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.report import report_document
from crisis_tui.db.report_html import render_html
from crisis_tui.db.report_markdown import md, render_markdown
from crisis_tui.seed.importer import build_packs

from .conftest import CLI

TALKS = "event/lavrov-dar-call-2025"
KEY = [TALKS, "agreement/simla-1972", "actor/sergei-lavrov", "actor/russia", "event/crisis-2025"]
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"

SCRIPT = "<script>alert('x')</script> & co"
MARKUP = "[b]Bold[/b] *star* [x](http://evil.example) | pipe `tick` # hash"
TEXT = "On 3 March 2024 the Harbour Council met the Fishers' Union at Port Vell. The <b> & [i] union left."


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def all_refs(kb: KnowledgeBase) -> list[str]:
    refs = []
    for entity_type in ("event", "actor", "agreement", "place"):
        refs += [row.ref for row in kb.page(entity_type, 0, kb.count(entity_type))]
    return refs


def cited_keys(citations) -> set[tuple[str, str]]:
    return {(c.source_id, c.quote) for c in citations}


# --- the document ----------------------------------------------------------------------


def test_every_footnote_quote_occurs_in_its_source(kb):
    doc = report_document(kb, all_refs(kb))
    assert len(doc.sections) == 70 and len(doc.footnotes) > 100
    for note in doc.footnotes:
        source = kb.source(note.source_id)
        assert source is not None and source.text, note
        assert note.quote in source.text, f"footnote {note.n} not in {note.source_id}: {note.quote!r}"
    # one footnote per passage, numbered in order
    assert len({(f.source_id, f.quote) for f in doc.footnotes}) == len(doc.footnotes)
    assert [f.n for f in doc.footnotes] == list(range(1, len(doc.footnotes) + 1))


def test_every_fact_and_link_shown_has_its_footnotes(kb):
    doc = report_document(kb, all_refs(kb))
    passage = {f.n: (f.source_id, f.quote) for f in doc.footnotes}
    for section in doc.sections:
        d = kb.detail(section.ref)
        assert {passage[n] for n in section.notes} == cited_keys(d.citations) != set()
        groups = {g.title: g for g in section.links}
        for title, links, total in (("Links", d.links_out, d.links_out_total),
                                    ("Referred to by", d.links_in, d.links_in_total)):
            if not total:
                assert title not in groups
                continue
            group = groups[title]
            assert group.total == total and group.more == 0  # the bundled crisis: nothing capped
            for item, link in zip(group.links, links, strict=True):
                assert (item.label, item.other.ref) == (link.label, link.other.ref)
                assert item.notes and {passage[n] for n in item.notes} == cited_keys(link.citations)
        assert len(section.positions) == len(d.positions)
        for item, position in zip(section.positions, d.positions, strict=True):
            assert item.notes and {passage[n] for n in item.notes} == cited_keys(position.citations)
        for item, note in zip(section.remarks, d.notes, strict=True):
            assert item.notes and {passage[n] for n in item.notes} == cited_keys(note.citations)


def test_same_passage_is_one_footnote(kb):
    doc = report_document(kb, [TALKS])
    talks = doc.sections[0]
    # the talks and both its participant links cite the same sentence of the article
    participants = [k for g in talks.links for k in g.links if k.relation == "participant"]
    assert len(participants) == 2
    assert participants[0].notes == participants[1].notes
    assert set(participants[0].notes) <= set(talks.notes)


def test_entities_in_the_report_are_linked_and_others_named(kb):
    doc = report_document(kb, [TALKS, "actor/sergei-lavrov", TALKS])  # a ref given twice: one section
    assert [s.ref for s in doc.sections] == [TALKS, "actor/sergei-lavrov"]
    mentions = {k.other.ref: k.other for s in doc.sections for g in s.links for k in g.links}
    assert mentions["actor/sergei-lavrov"].anchor == doc.sections[1].anchor
    assert mentions[TALKS].anchor == doc.sections[0].anchor
    assert mentions["actor/ishaq-dar"].anchor is None


def test_links_are_capped_and_the_rest_counted(kb):
    doc = report_document(kb, ["event/crisis-2025"], link_limit=3)
    group = next(g for g in doc.sections[0].links if g.title == "Referred to by")
    assert len(group.links) == 3 and group.more == kb.detail("event/crisis-2025").links_in_total - 3 > 0
    assert f"… and {group.more} more not listed" in render_markdown(doc)
    assert f"… and {group.more} more not listed" in render_html(doc)


def test_unknown_id_is_an_error(kb):
    with pytest.raises(CrisisError, match="nothing matches"):
        report_document(kb, [TALKS, "event/no-such-thing"])


# --- Markdown --------------------------------------------------------------------------


def test_markdown_of_key_entities(bundled_db):
    done = run("--db", str(bundled_db), "report", *KEY, "--format", "md")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    try:
        doc = report_document(kb, KEY)
    finally:
        kb.close()
    assert text == render_markdown(doc)
    assert text.startswith("# Report: Lavrov–Dar talks")
    defined = re.findall(r"^\[\^(\d+)\]: ", text, re.M)
    assert [int(n) for n in defined] == [f.n for f in doc.footnotes]
    used = {int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", text)}
    assert used == set(range(1, len(doc.footnotes) + 1))  # every footnote is referred to, none dangles
    for note in doc.footnotes:
        assert f"[^{note.n}]: \u201c{md(note.quote)}\u201d" in text
    for section in doc.sections:
        assert f'<a id="{section.anchor}"></a>' in text
    assert f"[Sergei Lavrov](#{doc.sections[2].anchor})" in text  # a link to an entity in the report
    assert "participant Ishaq Dar (actor/ishaq-dar)" in text  # one not in it: named, with its id
    assert "4 May 2025? (to the day, uncertain)" in text.replace("\\", "")
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "Sergei Lavrov's talks with Ishaq Dar" in html


def test_neighbourhood_report_holds_each_entity_around_once(bundled_db):
    from crisis_tui.db.report import REPORT_LINKS, around

    done = run("--db", str(bundled_db), "report", "Simla Agreement", "Lavrov", "--neighbourhood", "--hops", "1")
    assert done.returncode == 0, done.stderr
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    try:
        simla = kb.neighbourhood("agreement/simla-1972", hops=1)
        lavrov = kb.neighbourhood("actor/sergei-lavrov", hops=1)
        assert simla is not None and lavrov is not None
        expected = list(dict.fromkeys(["agreement/simla-1972", "actor/sergei-lavrov", *simla.refs(), *lavrov.refs()]))
        found = around(kb, ["agreement/simla-1972", "actor/sergei-lavrov"], 1)
        assert list(found.refs) == expected
        doc = report_document(kb, expected, title="Simla Agreement, Sergei Lavrov and their neighbourhood",
                              scope=found.says(1, REPORT_LINKS))
    finally:
        kb.close()
    assert {"actor/india", "actor/indira-gandhi", "place/shimla"} <= set(simla.refs())
    assert done.stdout == render_markdown(doc)
    assert done.stdout.startswith("# Simla Agreement, Sergei Lavrov and their neighbourhood\n\n"
                                  f"*Each entity asked for and every entity linked to it, out to 1 link: "
                                  f"{len(expected)} entities.*\n")
    assert re.findall(r"^- \*\*Id:\*\* (.+)$", done.stdout, re.M) == expected
    two = run("--db", str(bundled_db), "report", "Simla Agreement", "--neighbourhood")  # two hops by default
    assert two.returncode == 0, two.stderr
    shown = re.findall(r"^- \*\*Id:\*\* (.+)$", two.stdout, re.M)
    assert shown[0] == "agreement/simla-1972" and len(shown) == len(set(shown)) > len(simla.refs())


def test_bookmarks_report_lists_them_in_order_and_says_which_are_gone(bundled_db, tmp_path):
    from crisis_tui.db.state import StateStore

    state = tmp_path / "state.db"
    url = "sqlite:///" + str(bundled_db.resolve())
    StateStore(state).add_bookmarks(url, [("actor/india", "India", "actor"), ("actor/gone", "Gone", "actor"),
                                          ("agreement/simla-1972", "Simla Agreement", "agreement")])
    done = run("--db", str(bundled_db), "--state", str(state), "report", "--bookmarks")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Report: your bookmarks\n")
    assert re.findall(r"^- \*\*Id:\*\* (.+)$", done.stdout, re.M) == ["actor/india", "agreement/simla-1972"]
    assert done.stderr == "crisis-tui: left out 1 bookmark(s) this database no longer holds: actor/gone\n"
    # a REF first, then the bookmarks, each once
    both = run("--db", str(bundled_db), "--state", str(state), "report", "Simla", "--bookmarks", "--format", "html")
    assert both.returncode == 0, both.stderr
    assert re.findall(r'<section id="entity-([^"]+)">', both.stdout) == ["agreement-simla-1972", "actor-india"]
    empty = run("--db", str(bundled_db), "--state", str(tmp_path / "none.db"), "report", "--bookmarks", "-o",
                str(tmp_path / "out.md"))
    assert empty.returncode == 1 and empty.stderr.startswith("crisis-tui: error: no bookmarks to report")
    assert not (tmp_path / "out.md").exists() and not (tmp_path / "none.db").exists()
    neither = run("--db", str(bundled_db), "report")
    assert neither.returncode == 2 and "give the entities to report (REF ...), or --bookmarks" in neither.stderr


def test_neighbourhood_report_says_what_it_left_out(kb):
    from crisis_tui.db.report import around

    full = around(kb, ["actor/india"], 2)
    assert full.unfollowed == 0 and full.beyond == 0
    near = kb.neighbourhood("actor/india", hops=2)  # the explorer's view lists 8 a group one hop out
    assert near is not None and set(near.refs()) < set(full.refs)
    assert {"event/operation-bunyan-um-marsoos-2025", "event/lavrov-dar-call-2025"} <= set(full.refs)
    small = around(kb, ["actor/india"], 2, group_limit=2, most=10)
    assert len(small.refs) == 10 and small.refs[0] == "actor/india"
    assert small.unfollowed > 0 and small.beyond > 0
    said = small.says(2, 2)
    assert f"{small.unfollowed} links were not" in said and f"{small.beyond} further entities" in said
    one = around(kb, ["agreement/simla-1972"], 1)
    simla = kb.neighbourhood("agreement/simla-1972", hops=1)
    assert simla is not None and one.refs == simla.refs()


def test_report_options_that_do_not_go_together(bundled_db):
    done = run("--db", str(bundled_db), "report", "Simla", "--hops", "1")
    assert done.returncode == 2 and "--hops goes with --neighbourhood" in done.stderr
    twice = run("--db", str(bundled_db), "report", "Lavrov", "actor/sergei-lavrov", "--neighbourhood", "--hops", "1")
    assert twice.returncode == 0, twice.stderr
    assert twice.stdout.startswith("# Sergei Lavrov and its neighbourhood\n")


def test_your_notes_are_in_the_report_marked_as_yours(bundled_db, tmp_path):
    from crisis_tui.db.state import StateStore

    state = tmp_path / "state.db"
    url = "sqlite:///" + str(bundled_db.resolve())
    store = StateStore(state)
    store.add_bookmarks(url, [("agreement/simla-1972", "Simla Agreement", "agreement")])
    store.set_note(url, "agreement/simla-1972", "Ask the desk\n<script>x</script> [b]y[/b] *z*")
    store.set_note(url, "actor/india", "Not bookmarked, noted")
    store.close()
    md_out = run("--db", str(bundled_db), "--state", str(state), "report", "--bookmarks")
    assert md_out.returncode == 0, md_out.stderr
    assert "**Your note** (yours, not a cited fact):\n\n> Ask the desk\\\n> \\<script\\>x\\</script\\>" in md_out.stdout
    rendered = MarkdownIt("commonmark").render(md_out.stdout)
    assert "Ask the desk<br />\n&lt;script&gt;x&lt;/script&gt;" in rendered  # its line break kept
    assert "Not bookmarked" not in md_out.stdout
    assert "### Notes (cited, from the sources)" in md_out.stdout  # the pack's notes, named apart from yours
    plain = run("--db", str(bundled_db), "--state", str(state), "report", "India", "Simla")
    assert plain.returncode == 0 and "Your note" not in plain.stdout  # only when asked for
    html_out = run("--db", str(bundled_db), "--state", str(state), "report", "India", "Simla", "--my-notes",
                   "--format", "html")
    assert html_out.returncode == 0, html_out.stderr
    assert html_out.stdout.count('<blockquote class="mine">') == 2
    assert "Ask the desk<br />&lt;script&gt;x&lt;/script&gt; [b]y[/b] *z*</blockquote>" in html_out.stdout
    assert "<script>" not in html_out.stdout
    ET.fromstring(html_out.stdout.split("\n", 1)[1])  # still well-formed


def test_markdown_dates_are_spans_at_their_precision(kb):
    span = next(r for r in all_refs(kb) if (d := kb.detail(r)) and d.date_end)
    text = render_markdown(report_document(kb, [span]))
    assert " – " in re.search(r"\*\*Date:\*\* (.*)", text).group(1)


# --- hostile names -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """A small pack whose names are HTML, markup and Markdown, then an escape sequence and a
    NUL written straight into its database (packs refuse control characters)."""
    folder = tmp_path_factory.mktemp("hostile-report")
    pack = {
        "schema_version": 1,
        "pack": {"id": "demo", "title": "Demo <b>pack</b>"},
        "relations": [{"name": "participant", "label": "participant <i>", "inverse": "took part in [x]"}],
        "sources": [{"id": "note", "title": f"Field note {SCRIPT}", "text": TEXT,
                     "address": "javascript:alert(1)"}],
        "entities": [
            {"id": "event/port-vell-2024", "type": "event", "name": SCRIPT, "date": "2024-03-03",
             "summary": MARKUP, "aliases": ["1. listed", "- dashed"],
             "citations": [{"source": "note", "quote": "The <b> & [i] union left."}]},
            {"id": "actor/harbour-council", "type": "actor", "name": MARKUP,
             "citations": [{"source": "note", "quote": "the Harbour Council met the Fishers' Union"}]},
        ],
        "links": [{"source": "event/port-vell-2024", "relation": "participant", "target": "actor/harbour-council",
                   "citations": [{"source": "note", "quote": "the Harbour Council met"}]}],
    }
    (folder / "pack.yaml").write_text(yaml.safe_dump(pack, allow_unicode=True, sort_keys=False), encoding="utf-8")
    db = folder / "crisis.db"
    build_packs([folder / "pack.yaml"], db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE entity SET name = name || ? WHERE ref = 'actor/harbour-council'",
                     ("\x1b]0;pwned\x07\x00",))
    conn.close()
    return db


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        found = dict(attrs)
        if "href" in found:
            self.hrefs.append(found["href"] or "")
        if "id" in found:
            self.ids.append(found["id"] or "")

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    p.close()
    return p


def test_hostile_names_in_markdown_stay_text(hostile_db):
    done = run("--db", str(hostile_db), "report", "event/port-vell-2024", "actor/harbour-council")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "\x1b" not in text and "\x00" not in text and "\x07" not in text
    assert "<script>" not in text and "<b>" not in text and "[b]" not in text
    rendered = parsed(MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text))
    # what a Markdown viewer shows: the names as written, and no element they could have made
    shown = "".join(rendered.text)
    assert SCRIPT in shown and MARKUP in shown and "\\x1b]0;pwned\\x07\\x00" in shown
    assert "1. listed, - dashed" in shown
    assert "The <b> & [i] union left." in shown
    assert "script" not in rendered.tags and "b" not in rendered.tags and "code" not in rendered.tags
    assert "table" not in rendered.tags and "ol" not in rendered.tags
    assert not any(h.startswith(("javascript:", "http://evil")) for h in rendered.hrefs)


def test_hostile_names_in_html_are_escaped(hostile_db, tmp_path):
    out = tmp_path / "report.html"
    done = run("--db", str(hostile_db), "report", "event/port-vell-2024", "actor/harbour-council",
               "--format", "html", "--output", str(out))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    html = out.read_text(encoding="utf-8")
    ET.fromstring(html.split("\n", 1)[1])  # well-formed XML after the doctype
    p = parsed(html)
    assert "script" not in p.tags and "b" not in p.tags and "link" not in p.tags and "img" not in p.tags
    assert "\x1b" not in html and "\x00" not in html
    shown = "".join(p.text)
    assert SCRIPT in shown and MARKUP in shown and "Field note " + SCRIPT in shown
    assert "javascript:alert(1)" in shown and not any(h.startswith("javascript") for h in p.hrefs)
    assert all(h.startswith("#") and h[1:] in p.ids for h in p.hrefs)  # every link is to the report itself


# --- HTML --------------------------------------------------------------------------------


def test_html_of_key_entities_is_well_formed_and_self_contained(bundled_db, tmp_path):
    out = tmp_path / "report.html"
    done = run("--db", str(bundled_db), "report", *KEY, "--format", "html", "-o", str(out))
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    root = ET.fromstring(html.split("\n", 1)[1])
    assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    p = parsed(html)
    assert "script" not in p.tags and "link" not in p.tags and "img" not in p.tags and "style" in p.tags
    assert "src=" not in html and "@import" not in html and "url(" not in html
    internal = [h for h in p.hrefs if h.startswith("#")]
    assert internal and all(h[1:] in p.ids for h in internal)
    assert all(h.startswith(("#", "https://", "http://")) for h in p.hrefs)
    kb = KnowledgeBase("sqlite:///" + str(bundled_db))
    try:
        doc = report_document(kb, KEY)
    finally:
        kb.close()
    notes = root.findall(".//{http://www.w3.org/1999/xhtml}ol/{http://www.w3.org/1999/xhtml}li")
    assert [li.get("id") for li in notes] == [f"fn-{f.n}" for f in doc.footnotes]
    for li, note in zip(notes, doc.footnotes, strict=True):
        assert li.find("{http://www.w3.org/1999/xhtml}q").text == note.quote
    assert "Sergei Lavrov" in "".join(p.text)


# --- errors ----------------------------------------------------------------------------


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("crisis-tui: error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_unknown_ref_is_one_line_and_writes_nothing(bundled_db, tmp_path):
    out = tmp_path / "report.md"
    line = one_line_error(run("--db", str(bundled_db), "report", TALKS, "No such entity at all", "-o", str(out)))
    assert "nothing matches 'No such entity at all'" in line
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_ambiguous_ref_is_one_line_and_writes_nothing(bundled_db, tmp_path):
    out = tmp_path / "report.html"
    line = one_line_error(run("--db", str(bundled_db), "report", "talks", "--format", "html", "-o", str(out)))
    assert "is ambiguous" in line and not out.exists()


def test_unwritable_output_is_one_line_and_leaves_no_file(bundled_db, tmp_path):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("", encoding="utf-8")
    for where in (tmp_path / "no-such-folder" / "r.md", in_the_way / "r.md"):
        line = one_line_error(run("--db", str(bundled_db), "report", TALKS, "-o", str(where)))
        assert "cannot write" in line
    assert list(tmp_path.iterdir()) == [in_the_way]
    link = tmp_path / "link.md"
    link.symlink_to(in_the_way)
    assert "symlink" in one_line_error(run("--db", str(bundled_db), "report", TALKS, "--format", "html",
                                           "-o", str(link)))
    assert in_the_way.read_text(encoding="utf-8") == "" and sorted(tmp_path.iterdir()) == [in_the_way, link]


def test_a_failed_stream_leaves_the_old_file_whole(tmp_path):
    out = tmp_path / "graph.graphml"
    out.write_text("old", encoding="utf-8")

    def pieces():
        yield "<graphml>"
        raise DatabaseError("the database went away")

    with pytest.raises(DatabaseError):
        write_file(out, pieces())
    assert out.read_text(encoding="utf-8") == "old" and list(tmp_path.iterdir()) == [out]


# --- GraphML -----------------------------------------------------------------------------


def graph(path: Path) -> tuple[dict, ET.Element]:
    """The declared keys (id -> for, attr.name, attr.type) and the root of a GraphML file."""
    root = ET.parse(path).getroot()
    keys = {k.get("id"): (k.get("for"), k.get("attr.name"), k.get("attr.type")) for k in root.iter(f"{GRAPHML}key")}
    return keys, root


def data(element: ET.Element, keys: dict) -> dict[str, str]:
    return {keys[d.get("key")][1]: d.text or "" for d in element.iter(f"{GRAPHML}data")}


def test_graphml_has_every_entity_and_link(bundled_db, tmp_path):
    out = tmp_path / "crisis.graphml"
    done = run("--db", str(bundled_db), "export", "--format", "graphml", "--output", str(out))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    keys, root = graph(out)
    assert all(kind in ("string", "boolean") and name for _, name, kind in keys.values())
    g = root.find(f"{GRAPHML}graph")
    assert g.get("edgedefault") == "directed"
    nodes = {n.get("id"): data(n, keys) for n in g.iter(f"{GRAPHML}node")}
    conn = sqlite3.connect(bundled_db)
    try:
        entities = conn.execute("SELECT ref, name, type, kind, date, date_end, date_uncertain FROM entity").fetchall()
        links = conn.execute("""SELECT k.id, s.ref, o.ref, k.relation, r.label,
                                       (SELECT source_id FROM citation WHERE subject = 'link' AND subject_id = k.id
                                        ORDER BY id LIMIT 1),
                                       (SELECT quote FROM citation WHERE subject = 'link' AND subject_id = k.id
                                        ORDER BY id LIMIT 1)
                                FROM link k JOIN entity s ON s.id = k.subject_id JOIN entity o ON o.id = k.object_id
                                JOIN relation r ON r.name = k.relation""").fetchall()
    finally:
        conn.close()
    assert len(nodes) == len(entities) == 70
    for ref, name, type_, kind, date, end, uncertain in entities:
        node = nodes[ref]
        assert (node["name"], node["label"], node["type"]) == (name, name, type_)
        assert node.get("kind") == kind and node.get("date") == date and node.get("date_end") == end
        assert node["uncertain"] == ("true" if uncertain else "false")
        assert node["crisis"] == "india-pakistan-2025"
    edges = {e.get("id"): e for e in g.iter(f"{GRAPHML}edge")}
    assert len(edges) == len(links) == 107
    for link_id, subject, obj, relation, label, source, quote in links:
        edge = edges[f"link-{link_id}"]
        assert (edge.get("source"), edge.get("target")) == (subject, obj)
        assert data(edge, keys) == {"relation": relation, "wording": label, "citation_source": source,
                                    "citation_quote": quote}


def test_graphml_to_stdout_equals_the_file(bundled_db, tmp_path):
    out = tmp_path / "crisis.graphml"
    assert run("--db", str(bundled_db), "export", "--format", "graphml", "-o", str(out)).returncode == 0
    done = run("--db", str(bundled_db), "export", "--format", "graphml")
    assert done.returncode == 0 and done.stdout == out.read_text(encoding="utf-8")


def test_graphml_escapes_and_round_trips_hostile_names(hostile_db, tmp_path):
    conn = sqlite3.connect(hostile_db)
    with conn:
        conn.execute("UPDATE entity SET kind = ? WHERE ref = 'event/port-vell-2024'", ("line\r\nbreak\ttab",))
    conn.close()
    out = tmp_path / "hostile.graphml"
    done = run("--db", str(hostile_db), "export", "--format", "graphml", "-o", str(out))
    assert done.returncode == 0, done.stderr
    keys, root = graph(out)
    nodes = {n.get("id"): data(n, keys) for n in root.iter(f"{GRAPHML}node")}
    assert nodes["event/port-vell-2024"]["name"] == SCRIPT  # exactly as stored
    assert nodes["event/port-vell-2024"]["kind"] == "line\r\nbreak\ttab"  # a carriage return kept
    # characters XML 1.0 forbids become U+FFFD; the rest of the name is kept as it is
    assert nodes["actor/harbour-council"]["name"] == MARKUP + "\ufffd]0;pwned\ufffd\ufffd"
    edge = next(root.iter(f"{GRAPHML}edge"))
    assert data(edge, keys)["wording"] == "participant <i>"


def test_graphml_writes_terminal_controls_as_references(hostile_db, tmp_path):
    copy = tmp_path / "c1.db"
    copy.write_bytes(hostile_db.read_bytes())
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("UPDATE entity SET name = ? WHERE ref = 'event/port-vell-2024'", ("Vell\u009b31mRED\u202eevil",))
    conn.close()
    done = run("--db", str(copy), "export", "--format", "graphml")
    assert done.returncode == 0, done.stderr
    assert "\u009b" not in done.stdout and "\u202e" not in done.stdout  # nothing a terminal would act on
    assert "Vell&#x9b;31mRED&#x202e;evil" in done.stdout
    nodes = {n.get("id"): n for n in ET.fromstring(done.stdout).iter(f"{GRAPHML}node")}
    names = [d.text for d in nodes["event/port-vell-2024"] if d.get("key") == "n_name"]
    assert names == ["Vell\u009b31mRED\u202eevil"]  # a reader gets the name back as stored


@pytest.mark.parametrize("args", [("export", "--format", "graphml"), ("export", "--format", "json"),
                                  ("report", "Simla Agreement")])
def test_output_over_the_database_is_refused(bundled_db, tmp_path, args):
    copy = tmp_path / "kb.db"
    copy.write_bytes(bundled_db.read_bytes())
    before = copy.read_bytes()
    for target in (copy, tmp_path / "kb.db-wal", tmp_path / "state.db"):
        done = run("--db", str(copy), "--state", str(tmp_path / "state.db"), *args, "-o", str(target))
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith(f"crisis-tui: error: {target}: is the ") and "choose another file" in done.stderr
    assert copy.read_bytes() == before and not (tmp_path / "state.db").exists()


def test_graphml_refuses_pack(bundled_db):
    done = run("--db", str(bundled_db), "export", "--format", "graphml", "--pack", "india-pakistan-2025")
    assert done.returncode == 2 and "--pack is not supported" in done.stderr


@pytest.mark.parametrize("text", ["1. first", "2) second", "- item", "+ item", "= under", "# heading", "> quote",
                                  "    code", "<script>x</script>", "&amp; &#60;", "[x](y)", "![i](y)", "[^1]",
                                  "a | b", "`c`", "*e* _f_ **g**", "~~s~~", "$x$", "<http://a.example>", "\\*",
                                  "line\nbreak", "tab\there"])
def test_markdown_escape_renders_as_written(text):
    rendered = parsed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md(text)))
    assert rendered.tags == ["p"], (md(text), rendered.tags)
    assert "".join(rendered.text).strip() == " ".join(text.split())
