"""The graph of links: an entity's neighbourhood (its links out to a few hops, grouped by
relation) and the shortest typed paths between two entities.

`KnowledgeBase.neighbourhood` and `KnowledgeBase.paths` are the way in; both return the
frozen records below. Links are read through the link indexes (`ix_link_subject`,
`ix_link_object`), and both reads are bounded so that a hub of hundreds of thousands of
links answers as fast as a leaf: a neighbourhood lists the first few links of each group
and counts the rest; a path search walks out from both ends at once (bidirectional
breadth-first search), up to `PATH_DEPTH` links and `PATH_READ_LIMIT` links read, and says
which limit stopped it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .queries import _ROW, _WORDING, KnowledgeBase, _row, _worded
from .records import CitationView, EntityRow

GROUP_LIMIT = 20  # links listed per group (relation and direction) of the entity at the centre
NEXT_LIMIT = 8  # links listed per group one hop further out; the rest are counted
SORT_LIMIT = 2000  # a centre's group of up to this many links is listed by date and name, a larger one as stored
NEXT_SORT_LIMIT = 200  # the same for a group one hop further out
CENTRE_COUNT_LIMIT = 100_000  # links of one of the centre's groups counted at most (then "100,000+")
COUNT_LIMIT = 10_000  # links of a group one hop further out counted at most
FEW = 1000  # an entity with up to this many links a side has them counted in one query
PATH_DEPTH = 6  # links a path may have at most
PATH_READ_LIMIT = 60_000  # links a path search reads at most before it gives up (~2-3 µs a link, all told)
PROBE_LIMIT = 20_000  # links counted at most, for each end, to choose which end to walk out from next
BRIDGE_SECONDS = 0.1  # time given to SQLite to join two hubs by one or two links (see _bridge)
PATH_LIMIT = 3  # paths returned by default (the shortest ones)
_CHUNK = 500  # ids per IN (...) list


# --- records ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Hop:
    """One link of a neighbourhood, read from the entity above it to `other`, and the groups of
    `other`'s own links one hop further out (empty at the last hop)."""

    link: int  # the link's id (KnowledgeBase.link_citations reads its passages)
    other: EntityRow
    label: str  # the link's wording read this way, as the pack stating it words it
    note: str | None
    pack: str | None  # the id of the pack that states it
    groups: tuple[LinkGroup, ...] = ()
    citations: tuple[CitationView, ...] = ()  # only when read with `cited`


@dataclass(frozen=True, slots=True)
class LinkGroup:
    """The links of one relation in one direction from an entity: the first few, and how many."""

    relation: str
    label: str  # how the relation reads in this direction (`participant`, or `took part in`)
    outgoing: bool  # the entity is the links' subject
    total: int  # links in the group (at least this many when `counted_all` is False: a hub's are not all counted)
    hops: tuple[Hop, ...]
    counted_all: bool = True

    @property
    def more(self) -> int:
        """The links of the group not listed."""
        return max(self.total - len(self.hops), 0)


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    """An entity and its links out to `hops` hops, grouped by relation and direction."""

    centre: EntityRow
    groups: tuple[LinkGroup, ...]
    hops: int
    pack: str | None = None  # the crisis it was read as, if one

    def walk(self) -> Iterator[tuple[EntityRow, LinkGroup, Hop]]:
        """Every link held, as (the entity it is read from, its group, the hop), in tree order."""
        def down(row: EntityRow, groups: tuple[LinkGroup, ...]) -> Iterator[tuple[EntityRow, LinkGroup, Hop]]:
            for group in groups:
                for hop in group.hops:
                    yield row, group, hop
                    yield from down(hop.other, hop.groups)

        yield from down(self.centre, self.groups)

    def rows(self) -> tuple[EntityRow, ...]:
        """Every entity held, the centre first, each once, in tree order."""
        seen = {self.centre.ref: self.centre}
        for _, _, hop in self.walk():
            seen.setdefault(hop.other.ref, hop.other)
        return tuple(seen.values())

    def refs(self) -> tuple[str, ...]:
        """The ids of every entity held, the centre first, each once, in tree order."""
        return tuple(row.ref for row in self.rows())

    def link_ids(self) -> tuple[int, ...]:
        """The ids of every link held, each once, in tree order."""
        return tuple(dict.fromkeys(hop.link for _, _, hop in self.walk()))


@dataclass(frozen=True, slots=True)
class Step:
    """One link of a path, walked from `start` to `end` (`forward`: from its subject to its object)."""

    link: int
    relation: str
    label: str  # the link's wording read from start to end (its relation's label, or its inverse)
    forward: bool
    start: EntityRow
    end: EntityRow
    note: str | None
    pack: str | None
    citations: tuple[CitationView, ...]


@dataclass(frozen=True, slots=True)
class Route:
    """A path between two entities: its links in order, each with its citations."""

    steps: tuple[Step, ...]

    @property
    def rows(self) -> tuple[EntityRow, ...]:
        """The entities along it, the start first and the end last."""
        return (self.steps[0].start, *(s.end for s in self.steps)) if self.steps else ()


# What ended a path search: paths found; no path at all (every entity reachable from one end
# was reached); none within PATH_DEPTH links; or none found before PATH_READ_LIMIT links were read.
FOUND, UNCONNECTED, TOO_FAR, TOO_MUCH, SAME = "found", "unconnected", "too far", "too much", "same"


@dataclass(frozen=True, slots=True)
class Paths:
    """The shortest paths from `start` to `end` (up to the number asked for), and how the search went."""

    start: EntityRow
    end: EntityRow
    routes: tuple[Route, ...]
    outcome: str  # FOUND, UNCONNECTED, TOO_FAR, TOO_MUCH or SAME (start and end are one entity)
    depth: int  # the most links a path could have
    read: int  # links read in the search
    read_limit: int
    more: bool = False  # there are more shortest paths than those returned

    @property
    def length(self) -> int | None:
        """Links in each path found (they are all as short), or None."""
        return len(self.routes[0].steps) if self.routes else None

    def explain(self, names: tuple[str, str] | None = None) -> str:
        """One sentence saying what was found, or why nothing was (`names`: the two ends' names as
        they are to be shown, if not their own)."""
        a, b = names or (self.start.name, self.end.name)
        if self.outcome == SAME:
            return f"{a} is both ends: a path needs two different entities"
        if self.outcome == FOUND:
            n, length = len(self.routes), self.length
            many = f"The {n} shortest paths" if n > 1 else "The shortest path"
            more = " (there are more as short)" if self.more else ""
            return f"{many} from {a} to {b}: {_links(length or 0)}{more}"
        if self.outcome == UNCONNECTED:
            return f"No path: no chain of links joins {a} and {b}"
        if self.outcome == TOO_FAR:
            return f"No path of up to {_links(self.depth)} joins {a} and {b}"
        return (f"No path found after reading {_links(self.read)} (the limit): {a} and {b} are not within "
                f"a few links of each other, or are joined only through very busy entities")


def _links(n: int) -> str:
    return f"{n:,} link{'s' if n != 1 else ''}"


# --- neighbourhood ---------------------------------------------------------------------

class _Reader:
    """The queries of one neighbourhood or path read, in one read transaction."""

    def __init__(self, kb: KnowledgeBase, scope: int | None) -> None:
        self.kb = kb
        self.scope = scope or None  # a pack's number; None for all links (0: the only pack, so all)
        self.columns = _ROW
        self.wording = {name: (label, inverse) for name, label, inverse in
                        kb._all("SELECT name, label, inverse FROM relation")}
        if self.scope is not None:  # the pack's own wording of a relation names its groups
            self.wording.update({name: (label, inverse) for name, label, inverse in kb._all(
                "SELECT name, label, inverse FROM relation_wording WHERE pack_id = ?", (self.scope,))})

    def _mine(self, alias: str = "") -> str:
        return f" AND {alias}pack_id = {int(self.scope)}" if self.scope is not None else ""

    def counts(self, entity_id: int, limit: int) -> list[tuple[str, bool, int]]:
        """(relation, outgoing, links) of every group of an entity's links, each counted up to
        `limit + 1` only: a hub's groups are not read whole (in the index, a count reads every
        entry). An entity of few links is counted in one query; a hub's relations are found by
        seeking from one to the next in the index, as a skip-scan would."""
        found: list[tuple[str, bool, int]] = []
        for outgoing, this in ((True, "subject_id"), (False, "object_id")):
            rows = self.kb._all(f"SELECT relation, count(*) FROM (SELECT relation FROM link WHERE {this} = ?"
                                f"{self._mine()} LIMIT {FEW + 1}) g GROUP BY relation", (entity_id,))
            if sum(n for _, n in rows) <= FEW:
                found += [(relation, outgoing, n) for relation, n in rows]
                continue
            relation = ""
            while True:
                after = self.kb._all(f"SELECT relation FROM link WHERE {this} = ? AND relation > ?{self._mine()} "
                                     "ORDER BY relation LIMIT 1", (entity_id, relation))
                if not after:
                    break
                relation = after[0][0]
                n = self.kb._all(f"SELECT count(*) FROM (SELECT 1 FROM link WHERE {this} = ? AND relation = ?"
                                 f"{self._mine()} LIMIT {int(limit) + 1}) g", (entity_id, relation))[0][0]
                found.append((relation, outgoing, n))
        return found

    def hops(self, entity_id: int, relation: str, outgoing: bool, sort: bool, limit: int,
             skip: int | None) -> list[Hop]:
        """The first `limit` links of a group (with `sort`, by the other end's date and name;
        else as stored), without the link `skip` (the one just walked)."""
        this, other, side = ("subject_id", "object_id", "label") if outgoing else ("object_id", "subject_id", "inverse")
        # unsorted: in the order of the link index (the other end, then the id), said for PostgreSQL
        order = "ORDER BY e.date IS NULL, e.date, e.name, k.id" if sort else f"ORDER BY k.{other}, k.id"
        rows = self.kb._all(
            f"""SELECT k.id, k.note, p.ref, {_worded(side)}, {self.columns}
                FROM link k JOIN entity e ON e.id = k.{other} LEFT JOIN relation r ON r.name = k.relation
                {_WORDING} LEFT JOIN pack p ON p.id = k.pack_id
                WHERE k.{this} = ? AND k.relation = ? AND k.id != ?{self._mine('k.')} {order} LIMIT ?""",
            (entity_id, relation, -1 if skip is None else skip, limit))
        return [Hop(r[0], _row(r[4:]), r[3], r[1], r[2]) for r in rows]

    def groups(self, row: EntityRow, depth: int, hops: int, limit: int, walked: tuple[str, bool, int] | None,
               ) -> tuple[LinkGroup, ...]:
        """The groups of `row`'s links, `depth` hops from the centre, read on to `hops` hops;
        `walked` is the link that led here (relation, read outgoing, id): it is left out."""
        cap = CENTRE_COUNT_LIMIT if depth == 0 else COUNT_LIMIT
        counts = self.counts(row.id, cap)
        made = []
        for relation, outgoing, n in sorted(counts, key=lambda c: (not c[1], self._label(c[0], c[1]), c[0])):
            skip, counted_all = None, n <= cap
            n = min(n, cap)  # past the cap: "at least"
            if walked is not None and walked[0] == relation and walked[1] != outgoing:
                skip, n = walked[2], n - 1  # the link back to where we came from
            if n <= 0:
                continue
            sort = n <= (SORT_LIMIT if depth == 0 else NEXT_SORT_LIMIT)
            listed = self.hops(row.id, relation, outgoing, sort, limit if depth == 0 else NEXT_LIMIT, skip)
            if depth + 1 < hops:
                listed = [Hop(h.link, h.other, h.label, h.note, h.pack,
                              self.groups(h.other, depth + 1, hops, limit, (relation, outgoing, h.link)))
                          for h in listed]
            made.append(LinkGroup(relation, self._label(relation, outgoing), outgoing, n, tuple(listed), counted_all))
        return tuple(made)

    def _label(self, relation: str, outgoing: bool) -> str:
        label, inverse = self.wording.get(relation, (relation, relation))
        return label if outgoing else inverse


def neighbourhood(kb: KnowledgeBase, ref: str, hops: int = 2, pack: str | None = None, limit: int = GROUP_LIMIT,
                  cited: bool = False) -> Neighbourhood | None:
    """`ref`'s links out to `hops` hops (the links of `pack`'s crisis only, if given), grouped by
    relation and direction; None if there is no such entity. See KnowledgeBase.neighbourhood."""
    centre = kb.row(ref)
    if centre is None:
        return None
    scope = kb._scope(pack) if pack is not None else None
    reader = _Reader(kb, scope)
    groups = reader.groups(centre, 0, max(hops, 0), max(limit, 1), None) if hops > 0 else ()
    found = Neighbourhood(centre, groups, hops, pack if scope else None)
    if cited:
        citations = kb._citations_of("link", list(found.link_ids()))

        def cite(group: LinkGroup) -> LinkGroup:
            return LinkGroup(group.relation, group.label, group.outgoing, group.total,
                             tuple(Hop(h.link, h.other, h.label, h.note, h.pack, tuple(cite(g) for g in h.groups),
                                       citations.get(h.link, ())) for h in group.hops), group.counted_all)

        found = Neighbourhood(centre, tuple(cite(g) for g in groups), hops, found.pack)
    return found


# --- paths -------------------------------------------------------------------------

Parent = tuple[int, int, int]  # (the entity one link nearer that side's start, the link's id, its subject's id)


class _Side:
    """One end of a bidirectional breadth-first search: how far each entity reached is, and by
    which links (up to `keep` of them: enough to tell whether there are more than `keep - 1` paths)."""

    def __init__(self, start: int) -> None:
        self.distance = {start: 0}
        self.parents: dict[int, list[Parent]] = {start: []}
        self.frontier = [start]
        self.depth = 0


def paths(kb: KnowledgeBase, a: str, b: str, limit: int = PATH_LIMIT, pack: str | None = None,
          depth: int = PATH_DEPTH, read_limit: int = PATH_READ_LIMIT) -> Paths | None:
    """The shortest paths from `a` to `b` over links either way (up to `limit`); None if either
    is no entity. See KnowledgeBase.paths."""
    start, end = kb.row(a), kb.row(b)
    if start is None or end is None:
        return None
    if start.id == end.id:
        return Paths(start, end, (), SAME, depth, 0, read_limit)
    scope = kb._scope(pack) if pack is not None else None
    mine = f" AND pack_id = {int(scope)}" if scope else ""
    limit = max(limit, 1)
    keep = limit + 1  # parents kept an entity: one more than the paths asked for, to tell whether there are more
    sides = (_Side(start.id), _Side(end.id))
    read, cut, meet, bridged = 0, False, [], False
    while sides[0].frontier and sides[1].frontier and sides[0].depth + sides[1].depth < depth:
        degrees = [_degree(kb, s.frontier, mine) for s in sides]
        if (not bridged and min(degrees) >= PROBE_LIMIT and sides[0].depth + sides[1].depth + 2 <= depth
                and all(len(s.frontier) <= _CHUNK for s in sides)):
            bridged = True  # two hubs: walking out from either would read past the limit
            joined = _bridge(kb, sides, mine, limit)
            if joined:
                return Paths(start, end, _routes(kb, joined[:limit]), FOUND, depth, read, read_limit,
                             len(joined) > limit)
        near = min((0, 1), key=lambda n: (degrees[n], len(sides[n].frontier)))
        side, other = sides[near], sides[1 - near]
        frontier, side.frontier = side.frontier, []
        side.depth += 1
        for at in range(0, len(frontier), _CHUNK):
            chunk = frontier[at:at + _CHUNK]
            marks = ",".join("?" * len(chunk))
            room = read_limit - read
            rows = kb._all(_walked(kb, marks, mine), (*chunk, *chunk, room + 1))
            if len(rows) > room:
                rows, cut = rows[:room], True
            read += len(rows)
            distance, parents, reached, grow = side.distance, side.parents, side.depth, side.frontier.append
            for here, there, link, subject in rows:
                seen = distance.get(there)
                if seen is None:
                    if there != here:
                        distance[there] = reached
                        parents[there] = [(here, link, subject)]
                        grow(there)
                elif seen == reached:
                    found = parents[there]
                    if len(found) < keep:
                        found.append((here, link, subject))
            if cut:
                break
        meet = [n for n in side.frontier if n in other.distance]
        if meet or cut:
            break
    if not meet:
        if cut:
            outcome = TOO_MUCH
        elif not sides[0].frontier or not sides[1].frontier:
            outcome = UNCONNECTED
        else:
            outcome = TOO_FAR
        return Paths(start, end, (), outcome, depth, read, read_limit)
    best = min(sides[0].distance[n] + sides[1].distance[n] for n in meet)
    chains: list[list[_Walk]] = []
    for node in sorted(n for n in meet if sides[0].distance[n] + sides[1].distance[n] == best):
        for first in _to_start(sides[0].parents, node, limit + 1):
            for second in _to_end(sides[1].parents, node, limit + 1):
                chains.append(first + second)
        if len(chains) > limit:
            break
    more = len(chains) > limit
    return Paths(start, end, _routes(kb, chains[:limit]), FOUND, depth, read, read_limit, more)


def _walked(kb: KnowledgeBase, marks: str, mine: str) -> str:
    """The links of a frontier either way (here, there, link, subject), `LIMIT ?`: on SQLite in
    the order of its link indexes as read (by entity, relation, the other end, id), and said
    so for PostgreSQL, whose order would be its plan's (which parents a path search keeps
    depends on it)."""
    both = f"""SELECT subject_id, object_id, id, subject_id{{}} FROM link WHERE subject_id IN ({marks}){mine}
               UNION ALL
               SELECT object_id, subject_id, id, subject_id{{}} FROM link WHERE object_id IN ({marks}){mine}"""
    if kb.engine == "sqlite":
        return both.format("", "") + " LIMIT ?"
    return (f"SELECT here, there, id, subject FROM ({both.format(', 0 AS side, relation', ', 1, relation')}) "
            "AS w(here, there, id, subject, side, relation) ORDER BY side, here, relation, there, id LIMIT ?")


def _degree(kb: KnowledgeBase, frontier: list[int], mine: str) -> int:
    """How many links a frontier has, counted up to PROBE_LIMIT (an index range count, far
    cheaper than reading them): the search walks out from the end that has fewer. A frontier
    too long for one query counts as PROBE_LIMIT."""
    if len(frontier) > _CHUNK:
        return PROBE_LIMIT
    marks = ",".join("?" * len(frontier))
    return kb._all(f"""SELECT count(*) FROM (SELECT 1 FROM link WHERE subject_id IN ({marks}){mine}
                       UNION ALL SELECT 1 FROM link WHERE object_id IN ({marks}){mine} LIMIT {PROBE_LIMIT}) d""",
                   (*frontier, *frontier))[0][0]


def _bridge(kb: KnowledgeBase, sides: tuple[_Side, _Side], mine: str, limit: int) -> list[list[_Walk]]:
    """Paths through a link joining the two frontiers, or else through an entity linked to both:
    found by SQLite joining the link indexes, without reading the hubs' links into Python.
    Nothing if there is none, or if the join takes longer than BRIDGE_SECONDS."""
    from .readers import QueryTimeout

    a, b = sides[0].frontier, sides[1].frontier
    args = {f"a{n}": v for n, v in enumerate(a)} | {f"b{n}": v for n, v in enumerate(b)}
    in_a, in_b = ", ".join(f":a{n}" for n in range(len(a))), ", ".join(f":b{n}" for n in range(len(b)))
    k_mine, m_mine = mine.replace("pack_id", "k.pack_id"), mine.replace("pack_id", "m.pack_id")
    try:
        with kb._readers.limited(seconds=BRIDGE_SECONDS):
            direct = kb._all(_direct(kb, in_a, in_b, mine, limit + 1), args)
            steps = [[(x, y, link, subject)] for x, y, link, subject in direct]
            if not steps:
                middle = kb._all(_middle(kb, in_a, in_b, k_mine, m_mine, limit + 1), args)
                steps = [[(x, mid, link, subject), (mid, y, link2, subject2)]
                         for x, mid, link, subject, link2, subject2, y in middle if mid not in (x, y)]
    except QueryTimeout:
        return []
    chains: list[list[_Walk]] = []
    for bridge in steps:
        for first in _to_start(sides[0].parents, bridge[0][0], limit + 1):
            for second in _to_end(sides[1].parents, bridge[-1][1], limit + 1):
                chains.append(first + bridge + second)
    return chains


def _direct(kb: KnowledgeBase, in_a: str, in_b: str, mine: str, limit: int) -> str:
    """Links joining the two frontiers (here, there, link, subject): in SQLite's order (by the
    subject index, each way), said for PostgreSQL."""
    sqlite = kb.engine == "sqlite"
    more = "" if sqlite else ", {}, subject_id, relation, object_id"
    both = f"""SELECT subject_id, object_id, id, subject_id{more.format(0)} FROM link
               WHERE subject_id IN ({in_a}) AND object_id IN ({in_b}){mine}
               UNION ALL SELECT object_id, subject_id, id, subject_id{more.format(1)} FROM link
               WHERE object_id IN ({in_a}) AND subject_id IN ({in_b}){mine}"""
    if sqlite:
        return f"{both} LIMIT {limit}"
    return (f"SELECT here, there, id, subject FROM ({both}) AS d(here, there, id, subject, side, k1, k2, k3) "
            f"ORDER BY side, k1, k2, k3, id LIMIT {limit}")


def _middle(kb: KnowledgeBase, in_a: str, in_b: str, k_mine: str, m_mine: str, limit: int) -> str:
    """Pairs of links joining the two frontiers through an entity (a, mid, link, subject, link2,
    subject2, b): in the order SQLite's plan reads them, said for PostgreSQL."""
    if kb.engine == "sqlite":
        return f"""WITH n(a, mid, link, subj) AS MATERIALIZED (
                       SELECT object_id, subject_id, id, subject_id FROM link k WHERE object_id IN ({in_a}){k_mine}
                       UNION ALL
                       SELECT subject_id, object_id, id, subject_id FROM link k WHERE subject_id IN ({in_a}){k_mine})
                   SELECT n.a, n.mid, n.link, n.subj, m.id, m.subject_id, m.object_id FROM n
                   JOIN link m ON m.subject_id = n.mid
                   WHERE m.object_id IN ({in_b}) AND m.id != n.link{m_mine}
                   UNION ALL
                   SELECT n.a, n.mid, n.link, n.subj, m.id, m.subject_id, m.subject_id FROM n
                   JOIN link m ON m.object_id = n.mid
                   WHERE m.subject_id IN ({in_b}) AND m.id != n.link{m_mine}
                   LIMIT {limit}"""
    return f"""WITH n(a, mid, link, subj, seq) AS MATERIALIZED (
                   SELECT a, mid, link, subj, row_number() OVER (ORDER BY side, a, relation, mid, link) FROM (
                       SELECT object_id, subject_id, id, subject_id, 0, relation FROM link k
                       WHERE object_id IN ({in_a}){k_mine}
                       UNION ALL
                       SELECT subject_id, object_id, id, subject_id, 1, relation FROM link k
                       WHERE subject_id IN ({in_a}){k_mine}) AS x(a, mid, link, subj, side, relation))
               SELECT a, mid, link, subj, id, subject_id, b FROM (
                   SELECT n.a, n.mid, n.link, n.subj, m.id, m.subject_id, m.object_id, 0, n.seq, m.relation,
                          m.object_id FROM n JOIN link m ON m.subject_id = n.mid
                   WHERE m.object_id IN ({in_b}) AND m.id != n.link{m_mine}
                   UNION ALL
                   SELECT n.a, n.mid, n.link, n.subj, m.id, m.subject_id, m.subject_id, 1, n.seq, m.relation,
                          m.subject_id FROM n JOIN link m ON m.object_id = n.mid
                   WHERE m.subject_id IN ({in_b}) AND m.id != n.link{m_mine})
                   AS z(a, mid, link, subj, id, subject_id, b, arm, seq, relation, other)
               ORDER BY arm, seq, relation, other, id LIMIT {limit}"""


_Walk = tuple[int, int, int, int]  # a step of a path: (from entity, to entity, link id, the link's subject)


def _to_start(parents: dict[int, list[Parent]], node: int, limit: int) -> list[list[_Walk]]:
    """Up to `limit` chains of steps from the start side's start to `node` (one empty chain at the start)."""
    if not parents[node]:
        return [[]]
    found: list[list[_Walk]] = []
    for nearer, link, subject in parents[node]:
        for chain in _to_start(parents, nearer, limit - len(found)):
            found.append([*chain, (nearer, node, link, subject)])
            if len(found) >= limit:
                return found
    return found


def _to_end(parents: dict[int, list[Parent]], node: int, limit: int) -> list[list[_Walk]]:
    """Up to `limit` chains of steps from `node` to the end side's start (one empty chain at it)."""
    if not parents[node]:
        return [[]]
    found: list[list[_Walk]] = []
    for nearer, link, subject in parents[node]:
        for chain in _to_end(parents, nearer, limit - len(found)):
            found.append([(node, nearer, link, subject), *chain])
            if len(found) >= limit:
                return found
    return found


def _routes(kb: KnowledgeBase, chains: list[list[_Walk]]) -> tuple[Route, ...]:
    """The chains of steps as routes: each link read with its wording, note, pack and citations."""
    links = sorted({link for chain in chains for _, _, link, _ in chain})
    info: dict[int, tuple] = {}
    for at in range(0, len(links), _CHUNK):
        chunk = links[at:at + _CHUNK]
        for row in kb._all(
                f"""SELECT k.id, k.relation, {_worded("label")}, {_worded("inverse")}, k.note, p.ref
                    FROM link k LEFT JOIN relation r ON r.name = k.relation {_WORDING}
                    LEFT JOIN pack p ON p.id = k.pack_id WHERE k.id IN ({",".join("?" * len(chunk))})""",
                tuple(chunk)):
            info[row[0]] = row[1:]
    rows = kb._rows_by_id({n for chain in chains for a, b, _, _ in chain for n in (a, b)})
    citations = kb._citations_of("link", links)
    routes = []
    for chain in chains:
        steps = []
        for here, there, link, subject in chain:
            relation, label, inverse, note, pack = info[link]
            forward = subject == here
            steps.append(Step(link, relation, label if forward else inverse, forward, rows[here], rows[there],
                              note, pack, citations.get(link, ())))
        routes.append(Route(tuple(steps)))
    routes.sort(key=lambda r: [(s.end.name, s.label) for s in r.steps])
    return tuple(routes)
