"""PostgreSQL reads by display position give what SQLite gives for the same data (issue #18).

The same database on both engines — the bundled crisis, and a synthetic one of three packs
(tests/pg_synthetic.py: shared entities, every date precision, undated events, spans, kinds
missing, names alike but for case) copied onto the server — and every read of the query layer
that is not search compared over many arguments: every row of every pane, every entity's
position, filters of each kind, the timeline's lanes and windows, and hostile arguments.
"""

# ruff: noqa: B023  (each read is made at once, in its loop: the lambdas never outlive it)

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crisis_tui.db.engines import open_knowledge_base
from crisis_tui.db.errors import DatabaseError
from crisis_tui.db.pg.ddl import bucket
from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import PaneFilter
from crisis_tui.db.timeline import TimelineReader, boundary, day_range, union, window

from . import pg_synthetic

TYPES = ("event", "actor", "agreement", "place")


def _outcome(read: Callable[[KnowledgeBase], object], kb: KnowledgeBase) -> object:
    try:
        return read(kb)
    except DatabaseError as exc:  # both engines refusing alike is parity too (the text differs)
        return ("refused", type(exc).__name__)


class Compare:
    """Reads made on both engines, the differences kept."""

    def __init__(self, lite: KnowledgeBase, pg: KnowledgeBase) -> None:
        self.lite, self.pg, self.differences, self.made = lite, pg, [], 0

    def __call__(self, what: object, read: Callable[[KnowledgeBase], object]) -> None:
        self.made += 1
        a, b = _outcome(read, self.lite), _outcome(read, self.pg)
        if a != b:
            self.differences.append((what, str(a)[:400], str(b)[:400]))

    def check(self) -> None:
        assert not self.differences, f"{len(self.differences)} of {self.made} reads differ, first: " \
                                     f"{self.differences[:3]}"


def _refs(kb: KnowledgeBase) -> list[str]:
    return [r.ref for t in TYPES for r in kb.page(t, 0, 10**6)]


def _filters(kb: KnowledgeBase, packs: list[str | None], rng: random.Random) -> Iterator[tuple[str, PaneFilter,
                                                                                            str | None]]:
    """Filters of each kind (and some naming nothing) for each pane."""
    actors = [r.ref for r in kb.page("actor", 0, 10**6)]
    events = [r.ref for r in kb.page("event", 0, 10**6)]
    relations = [r.name for r in kb.relations()]
    crises = [p for p in packs if p] + ["no-such-pack"]
    dates = ["2015", "2016-03", "2019-02-28", "2021-13", "2025-13", "1900", "9999", "2020-06-15", "\U0010ffff",
             "2017\x00", "2018-0\x002"]
    for pack in packs:
        for t in TYPES:
            for kind in [*kb.kinds(t)[:4], "no-such-kind"]:
                yield t, PaneFilter(kind=kind), pack
            for _ in range(4):
                a, b = sorted(rng.sample(dates, 2))
                yield t, PaneFilter(date_from=a), pack
                yield t, PaneFilter(date_to=b), pack
                yield t, PaneFilter(date_from=a, date_to=b), pack
                yield t, PaneFilter(date_from=a, kind=(kb.kinds(t) or (None,))[0]), pack
            for crisis in crises:
                yield t, PaneFilter(crisis=crisis), pack
                yield t, PaneFilter(crisis=crisis, date_from="2018"), pack
            for root in rng.sample(actors, min(4, len(actors))) + rng.sample(events, 2) + ["actor/no-such"]:
                yield t, PaneFilter(related_to=root), pack
                yield t, PaneFilter(related_to=root, through_members=True, date_to="2022"), pack
                yield t, PaneFilter(related_to=root, relation=rng.choice(relations)), pack


def compare_all(lite: KnowledgeBase, pg: KnowledgeBase, seed: int = 18, every: int = 1) -> Compare:
    """Every read compared (`every`: each n-th position of a pane, for a large database)."""
    rng = random.Random(seed)
    same = Compare(lite, pg)
    packs: list[str | None] = [None, *(p.id for p in lite.packs()), "no-such-pack"]
    same("packs", lambda k: k.packs())
    same("latest_pack", lambda k: k.latest_pack())
    same("meta", lambda k: {key: v for key, v in k.meta().items() if key not in ("built_at", "build_id")})
    same("relations", lambda k: k.relations())
    ids = {t: [r.id for r in lite.page(t, 0, 10**6)] for t in TYPES}
    for t in TYPES:
        same(("kinds", t), lambda k: k.kinds(t))
        for pack in packs:
            n = lite.count(t, pack)
            same(("count", t, pack), lambda k: k.count(t, pack))
            same(("_scope", pack), lambda k: k._scope(pack))
            for start in [*range(-3, n + 3, every), n + 100, 10**9]:
                same(("page", t, pack, start), lambda k: k.page(t, start, 1 + start % 7, pack))
            same(("page whole", t, pack), lambda k: k.page(t, 0, n + 10, pack))
            same(("page none", t, pack), lambda k: k.page(t, 5, 0, pack))
            same(("positions", t, pack), lambda k: [k.position(i, pack) for i in ids[t][::every]])
    same("position of none", lambda k: (k.position(-1), k.position(10**9)))
    refs = _refs(lite)
    sample = refs[::every] + ["event/no-such", ""]
    same("rows", lambda k: k.rows(refs + ["x/y"]))
    for ref in sample:
        same(("row", ref), lambda k: k.row(ref))
        same(("detail", ref), lambda k: k.detail(ref))
        same(("detail unlinked", ref), lambda k: k.detail(ref, link_citations=False))
        for pack in packs[1:]:
            same(("detail of", ref, pack), lambda k: k.detail(ref, pack=pack))
        same(("neighbourhood", ref), lambda k: k.neighbourhood(ref, hops=2, cited=True))
        same(("neighbourhood of", ref), lambda k: k.neighbourhood(ref, pack=packs[-2]))
    for a, b in [tuple(rng.sample(refs, 2)) for _ in range(20)] + [(refs[0], refs[0]), (refs[0], "x/none")]:
        same(("paths", a, b), lambda k: k.paths(a, b, limit=4))
        same(("paths of", a, b), lambda k: k.paths(a, b, pack=packs[1]))
    links = [v.id for r in rng.sample(refs, min(20, len(refs))) for d in [lite.detail(r)] if d
             for v in d.links_out[:2]]
    for link in [*links, -1]:
        same(("link_citations", link), lambda k: k.link_citations(link))
    sources = sorted({c.source_id for r in refs[::max(every, 1)] for d in [lite.detail(r)] if d
                      for c in d.citations})
    same("source_facts", lambda k: k.source_facts(sources + ["no/such"]))
    for source in sources[:40] + ["no/such"]:
        same(("source", source), lambda k: k.source(source))
        same(("source_passages", source), lambda k: k.source_passages(source))
        same(("source_passages few", source), lambda k: k.source_passages(source, limit=2))
        passages = lite.source_passages(source).passages
        for p in passages[:3]:
            same(("passage_citers", source, p.offset), lambda k: k.passage_citers([source], p.offset))
            same(("passage_citers few", source), lambda k: k.passage_citers([source], p.offset, limit=1))
    for prefix in ["a", "A", "ab", "Ä", "zü", "Ru", "event", "東", "", "  ", "\x00x", "zzzzzz"]:
        same(("names_starting", prefix), lambda k: k.names_starting(prefix))
        same(("names_starting 3", prefix), lambda k: k.names_starting(prefix, limit=3))
    for t, flt, pack in _filters(lite, packs, rng):
        _compare_filter(same, lite, t, flt, pack, ids, rng)
    for pack in packs:
        _compare_timeline(same, lite, pg, pack, rng)
    return same


def _compare_filter(same: Compare, lite: KnowledgeBase, t: str, flt: PaneFilter, pack: str | None,
                    ids: dict[str, list[int]], rng: random.Random) -> None:
    what = (t, flt, pack)
    same(("match", what), lambda k: k.match(t, flt, pack))
    matches = {"lite": None, "pg": None}

    def found(k: KnowledgeBase):
        key = "lite" if k is same.lite else "pg"
        if matches[key] is None:
            matches[key] = k.match(t, flt, pack)
        return matches[key]

    count = found(lite).count if lite is same.lite else 0
    for start in [0, 1, count // 2, count - 3, count - 1, count, count + 5, -2]:
        same(("filtered_page", what, start), lambda k: k.filtered_page(found(k), start, 6))
    sample = rng.sample(ids[t], min(25, len(ids[t]))) + [-1]
    same(("admitted", what), lambda k: k.admitted(found(k), sample))
    same(("filtered_index", what), lambda k: [k.filtered_index(found(k), i) for i in sample])
    if t == "event" and flt.related_to is not None:
        same(("related_positions", what), lambda k: k.related_positions(flt, pack))


def _compare_timeline(same: Compare, lite: KnowledgeBase, pg: KnowledgeBase, pack: str | None,
                      rng: random.Random) -> None:
    readers = {id(lite): TimelineReader(lite, pack), id(pg): TimelineReader(pg, pack)}

    def reader(k: KnowledgeBase) -> TimelineReader:
        return readers[id(k)]

    same(("scope", pack), lambda k: (reader(k).scope.number, reader(k).scope.total, reader(k).scope.dated))
    same(("parties", pack), lambda k: reader(k).parties())
    same(("parties 10", pack), lambda k: reader(k).parties(10))
    parties = readers[id(lite)].parties(6)
    same(("lanes", pack), lambda k: [reader(k).lane(ref, name) for ref, name in parties])
    for r in readers.values():
        r.load_spans()
    same(("spans", pack), lambda k: reader(k).spans)
    dated = readers[id(lite)].scope.dated
    same(("events all", pack), lambda k: reader(k).events(range(-5, dated + 5)))
    positions = sorted(rng.sample(range(dated), min(dated, 300))) if dated else []
    same(("events at", pack), lambda k: reader(k).events([*positions, -1, dated, 10**9]))
    same(("first_event", pack), lambda k: (reader(k).first_event(), reader(k).first_event(last=True),
                                           reader(k).first_event(dated // 2)))
    for text in ["", "0000", "1999", "2015", "2015-01", "2017-06", "2017-06-15", "2019-13", "2024-12-31", ":",
                 "2020\x00", "2016-05\x00", "\U0010ffff"]:
        same(("position_of_text", pack, text), lambda k: reader(k).position_of_text(text))
        same(("run_of", pack, text), lambda k: reader(k).run_of(text))
    refs = [e.ref for e in readers[id(lite)].events(range(0, dated))]
    for ref in rng.sample(refs, min(30, len(refs))) + ["actor/a1", "event/no-such"]:
        same(("position_of", pack, ref), lambda k: reader(k).position_of(ref))
    lanes = {key: [r.lane(ref, name) for ref, name in parties[:3]] for key, r in readers.items()}
    for first, days in [("2015-01-01", 31), ("2016-02-01", 400), ("2019-06-10", 20), ("2010-01-01", 5000),
                        ("2024-12-01", 60), ("2017-01-01", 90)]:
        start = day_range(first)[0]  # type: ignore[index]
        edges = [start + n * max(days // 12, 1) for n in range(13)]
        same(("window", pack, first, days), lambda k: window(reader(k), lanes[id(k)], union(lanes[id(k)]), edges,
                                                             draw_limit=40))
        same(("window drawn", pack, first), lambda k: window(reader(k), lanes[id(k)], union(lanes[id(k)]), edges))
        same(("boundary", first), lambda k: reader(k).position_of_day(start))
        same(("reaching", first), lambda k: reader(k).reaching(start, reader(k).position_of_text(boundary(start)),
                                                                lanes[id(k)], union(lanes[id(k)])))


# --- the bundled crisis ------------------------------------------------------------------------

def test_the_bundled_crisis_reads_alike_on_both_engines(kb, pg_kb):
    compare_all(kb, pg_kb).check()


# --- a synthetic database of three packs ---------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, pg_server):
    """The synthetic database on SQLite and its copy on PostgreSQL (a database of its own)."""
    from pytest_postgresql.janitor import DatabaseJanitor

    from crisis_tui.db.pg.copy import copy_database

    path = pg_synthetic.build(tmp_path_factory.mktemp("synthetic"))
    name = "crisis_tui_synthetic_panes"
    janitor = DatabaseJanitor(user=pg_server.user, host=pg_server.host, port=pg_server.port, dbname=name,
                              password=pg_server.password)
    janitor.drop()
    janitor.init()
    copy_database(path, pg_server.url(name))
    lite, pg = open_knowledge_base("sqlite:///" + str(path)), open_knowledge_base(pg_server.url(name))
    yield lite, pg
    lite.close()
    pg.close()
    janitor.drop()


def test_a_synthetic_database_of_three_packs_reads_alike(synthetic):
    lite, pg = synthetic
    assert len(lite.packs()) == 3 and lite.count("event") > 2000
    compare_all(lite, pg, every=3).check()


def test_buckets_keep_the_order_of_keys():
    """A bucket is a prefix of its key: a month date ends a bucket's dates before the days of
    that month, and a year's undated names sort as their keys do."""
    keys = sorted([(False, d, n, 0) for d in ("2025", "2025-03", "2025-03-01", "2025-03-31", "2025-04", "2025-0")
                   for n in ("", "A", "Ab", "Abc", "b", "Zz", "Ä")] + [(True, "", "A", 0), (True, "", "B", 0)])
    buckets = [bucket("event", k1, k2, k3) for k1, k2, k3, _ in keys]
    assert buckets == sorted(buckets)


def test_positions_are_computed_from_buckets_not_a_count_of_the_pane(pg_kb):
    """position() and page() read a bucket's rows, not the pane: the plan names the key range."""
    rows = pg_kb.page("event", 0, 10**6)
    for n, row in enumerate(rows):
        assert pg_kb.position(row.id) == n
    assert pg_kb.page("event", len(rows) - 2, 5) == rows[-2:]


@pytest.mark.parametrize("pack", [None, "no-such-pack"])
def test_hostile_arguments_are_read_alike(any_kb, pack):
    assert any_kb.page("event", 10**12, 5, pack) == [] and any_kb.page("event", -10, 5, pack) == []
    assert any_kb.page("event", -3, 5, pack) == any_kb.page("event", 0, 2, pack)
    assert any_kb.position(10**9, pack) is None
    matches = any_kb.match("event", PaneFilter(date_from="2025-13", date_to="2025-13\x00"), pack)
    assert any_kb.filtered_page(matches, 10**6, 5) == []
    assert any_kb.names_starting("\x00") == ()


def test_a_read_sees_one_state(pg_url):
    """Reads of several statements run in one snapshot: what an import commits meanwhile is
    seen whole by the next read (no cache of bucket counts outlives a read)."""
    from crisis_tui.db.pg.connect import connect
    from crisis_tui.db.pg.pane_rows import remove_rows

    kb = open_knowledge_base(pg_url)
    try:
        before = kb.count("event")
        last = kb.page("event", before - 1, 1)[0]
        conn = connect(pg_url, readonly=False, autocommit=False)
        remove_rows(conn, "e.id = %s", (last.id,), only_pack=0)
        conn.commit()
        conn.close()
        assert kb.count("event") == before - 1
        assert kb.position(last.id) is None
        assert [r.id for r in kb.page("event", 0, before)] == [r.id for r in kb.page("event", 0, before - 1)]
    finally:
        kb.close()


def test_the_synthetic_pack_files_are_made_once(tmp_path):
    path = pg_synthetic.build(tmp_path, events=200)
    assert pg_synthetic.build(tmp_path, events=200) == path and Path(path).exists()


@pytest.mark.parametrize("few", [0, 10**6])
def test_positions_of_many_alike_counted_or_numbered(synthetic, monkeypatch, few):
    """Rows of a bucket are placed by a count each, or by numbering the bucket once: alike."""
    from crisis_tui.db.pg import panes

    lite, pg = synthetic
    monkeypatch.setattr(panes, "FEW_HITS", few)
    same = Compare(lite, pg)
    for pack in [None, *(p.id for p in lite.packs())]:
        reader = TimelineReader(lite, pack)
        for ref, _ in reader.parties(8):
            flt = PaneFilter(related_to=ref, through_members=True)
            same(("related_positions", ref, pack), lambda k: k.related_positions(flt, pack))
        positions = list(range(0, reader.scope.total, 5))
        same(("events at", pack), lambda k: TimelineReader(k, pack).events(positions))
    same.check()


@pytest.mark.parametrize("probe", [1, None], ids=["bridged", "walked"])
def test_paths_alike_walked_or_bridged(synthetic, monkeypatch, probe):
    """Paths between many pairs, also when every entity counts as a hub (graph._bridge): which
    of several equally short paths are listed is the same on both engines (links read in order)."""
    from crisis_tui.db import graph

    lite, pg = synthetic
    if probe is not None:
        monkeypatch.setattr(graph, "PROBE_LIMIT", probe)
    monkeypatch.setattr(graph, "BRIDGE_SECONDS", 5.0)  # a loaded machine must not make one engine give up
    rng = random.Random(7)
    refs = _refs(lite)
    same = Compare(lite, pg)
    for _ in range(120):
        a, b = rng.sample(refs, 2)
        for limit in (1, 3):
            same(("paths", a, b, limit), lambda k: k.paths(a, b, limit=limit))
    same.check()
