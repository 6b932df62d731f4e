"""The timeline's reads: a crisis's main parties, its lanes, and what a window of dates holds.

Events are placed by their display position in the events pane, which is in date order: a
date maps to a position (`KnowledgeBase.first_dated_at`: on SQLite a binary search over the
dense positions of `entity_order`, a few index seeks at any size; on PostgreSQL the rank of
the date's first key, db/pg/panes.py), and a lane is the sorted positions of its events. So a
window's count is two seeks, a lane's count in it two bisections in memory, and only the
events a window can show are read as rows. The reads by position are the knowledge base's
(`_pane_slice`, `_events_at`, `_spans`, `related_positions`), so that each engine reads them
its own way; this module holds no SQL only one engine understands.

- **Main parties** (the default lanes; the pack format has no such field): the actors linked
  directly to the most of the crisis's latest `PARTY_SAMPLE` events, leaving out actors that
  are an office-holder or member of another actor (their events roll up into its lane).
- **A lane** is an actor's events: linked to it, or through `office-holder-of` /
  `member-of` to one of its members (the roll-up of pane filters, `KnowledgeBase.match`).
- **Other**: events in no lane. Undated events are not on the axis.

Dates are ISO text (`2025`, `2025-05`, `2025-05-10`); a month or year date covers its month
or year. `date_end` makes a span. A date the pack check lets through but the calendar has not
(`0000`, `2025-02-30`) is read clamped to the calendar (1 Jan of year 1, 28 Feb), so every
event a lane counts is drawn and selectable; a date that does not begin with a year is
counted with the undated.

Events reaching into a window from before it: the window reads a few events before its
first (`LOOKBACK`), every event dated just its year or month when the window starts inside
that year or month (a run of equal dates: two seeks each), and the spans, held in a list per
scope (`TimelineReader.load_spans`, read once, off the first window's way).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from heapq import merge
from typing import TYPE_CHECKING

from .dates import format_span
from .queries import ROLL_UP
from .records import PaneFilter

if TYPE_CHECKING:
    from .queries import KnowledgeBase

PARTY_SAMPLE = 2000  # the latest events the main parties are counted over (bounded at any size)
PARTIES = 3  # default lanes
LOOKBACK = 50  # events read before a window, for events reaching into it not found otherwise
SPAN_WALK = 2000  # spans looked at, back from a window, for those reaching into it
RUN_SAMPLE = 3  # events of a run of one month or year date read per lane (they draw alike)
MAX_DAY = dt.date.max.toordinal()
UNDATED = ":"  # sorts after every date that begins with a year (digits), before other text
OTHER = "Other"  # the lane of events in no other lane
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """An event on the axis: `first` and `last` are the days it covers (date ordinals)."""

    pos: int  # its display position (the events pane of the scope)
    ref: str
    name: str
    date: str
    date_end: str | None
    precision: str | None
    uncertain: bool
    first: int
    last: int

    @property
    def span(self) -> bool:
        return self.date_end is not None

    @property
    def imprecise(self) -> bool:
        return self.precision in ("month", "year") or (self.precision is None and len(self.date) < 10)

    @property
    def when(self) -> str:
        return format_span(self.date, self.date_end, self.precision, self.uncertain)


@dataclass(frozen=True, slots=True)
class LaneInfo:
    """A lane: an actor (`ref`) and its events' positions, sorted; `ref` None is the other lane."""

    ref: str | None
    name: str
    positions: tuple[int, ...] = ()


@dataclass(slots=True)
class Scope:
    """The events pane of one crisis (or all): how many events are dated, and where dates fall."""

    pack: str | None
    number: int  # the pane's scope (KnowledgeBase._scope: 0 for all)
    total: int  # events in the pane
    dated: int  # positions 0..dated-1 hold dated events (undated ones come last)
    bounds: dict[str, int] = field(default_factory=dict)  # boundary text -> first position at or after


def day_range(date: str | None, precision: str | None = None) -> tuple[int, int] | None:
    """The first and last day (ordinals) an ISO date covers at its precision; None if not a date."""
    found = _DATE.match(date) if date and isinstance(date, str) else None
    if found is None:
        return None
    year = max(int(found[1]), 1)  # year 0 read as year 1, the calendar's first
    if found[2] and precision != "year":
        month = min(max(int(found[2]), 1), 12)
        days = calendar.monthrange(year, month)[1]
        if found[3] and precision in (None, "day"):
            day = dt.date(year, month, min(max(int(found[3]), 1), days)).toordinal()
            return day, day
        return dt.date(year, month, 1).toordinal(), dt.date(year, month, days).toordinal()
    return dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()


def boundary(day: int) -> str:
    """The text every date of `day` or later sorts at or after, and every earlier one before:
    `2025` on 1 January (a year date sorts before its days), `2025-05` on the 1st of a month."""
    if day <= 1:
        return ""  # before every date (year 0 is read as year 1)
    if day > MAX_DAY:
        return UNDATED
    d = dt.date.fromordinal(day)
    if d.month == 1 and d.day == 1:
        return f"{d.year:04d}"
    if d.day == 1:
        return f"{d.year:04d}-{d.month:02d}"
    return d.isoformat()


class TimelineReader:
    """The reads of one timeline (one scope); thread-safe as the knowledge base is."""

    def __init__(self, kb: KnowledgeBase, pack: str | None = None) -> None:
        self.kb = kb
        number = kb._scope(pack)
        total = kb.count("event", pack)
        self.scope = Scope(pack, number, total, total)
        self.scope.dated = self._first_at(UNDATED, 0, total)
        self.spans: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None  # load_spans

    # --- positions of dates ---------------------------------------------------------

    def _first_at(self, text: str, lo: int, hi: int) -> int:
        """The first position in lo..hi whose date is `text` or later (or undated)."""
        return self.kb.first_dated_at(self.scope.number, "event", text, lo, hi)

    def position_of_day(self, day: int) -> int:
        """The first position dated `day` or later."""
        return self.position_of_text(boundary(day))

    def run_of(self, text: str) -> tuple[int, int]:
        """The positions dated exactly `text` (a run: the pane is in date order)."""
        return self.position_of_text(text), self.position_of_text(text + "\x00")

    def position_of_text(self, text: str) -> int:
        """The first position whose date sorts at or after `text` (cached; narrowed by the ones known)."""
        found = self.scope.bounds.get(text)
        if found is not None:
            return found
        lo, hi = 0, self.scope.dated
        for known, pos in self.scope.bounds.items():  # a few dozen: the windows seen
            if known <= text:
                lo = max(lo, pos)
            else:
                hi = min(hi, pos)
        found = self._first_at(text, lo, hi)
        if len(self.scope.bounds) > 4096:
            self.scope.bounds.clear()
        self.scope.bounds[text] = found
        return found

    # --- lanes ------------------------------------------------------------------------

    def parties(self, n: int = PARTIES) -> list[tuple[str, str]]:
        """The crisis's main parties (id, name): see the module's docstring for the rule."""
        start = max(0, self.scope.dated - PARTY_SAMPLE)
        roll_up = ", ".join(f"'{r}'" for r in ROLL_UP)
        events, params = self.kb._pane_slice(self.scope.number, "event", start, self.scope.dated)
        cross = self.kb._CROSS  # SQLite: in the order written, from the events' links
        rows = self.kb._all(
            f"""WITH ev(id) AS ({events}),
                     ends(actor, event) AS (
                         SELECT l.object_id, ev.id FROM ev {cross} link l ON l.subject_id = ev.id
                         UNION SELECT l.subject_id, ev.id FROM ev {cross} link l ON l.object_id = ev.id),
                     counted(actor, n) AS (SELECT actor, count(*) FROM ends GROUP BY actor)
                SELECT a.ref, a.name, c.n FROM counted c {cross} entity a ON a.id = c.actor
                WHERE a.type = 'actor' AND NOT EXISTS (SELECT 1 FROM link m WHERE m.subject_id = a.id
                                                       AND m.relation IN ({roll_up}))
                ORDER BY c.n DESC, a.name, a.id LIMIT :parties""",
            dict(params, parties=n))
        return [(ref, name) for ref, name, _ in rows]

    def lane(self, ref: str, name: str) -> LaneInfo:
        """An actor's lane: the positions of the dated events linked to it or its members."""
        flt = PaneFilter(related_to=ref, through_members=True)
        positions = [p for p in self.kb.related_positions(flt, self.scope.pack) if p < self.scope.dated]
        return LaneInfo(ref, name, tuple(positions))

    # --- rows -------------------------------------------------------------------------

    def events(self, positions: list[int] | range) -> list[TimelineEvent]:
        """The events at these positions (dated ones only), in position order."""
        found: list[TimelineEvent] = []
        if isinstance(positions, range):
            wanted: range | list[int] = range(max(positions.start, 0), min(positions.stop, self.scope.dated))
        else:
            wanted = sorted({p for p in positions if 0 <= p < self.scope.dated})
        rows = self.kb._events_at(self.scope.number, wanted) if wanted else []
        for pos, ref, name, date, end, precision, uncertain in rows:
            days = day_range(date, precision)
            if days is None:
                continue
            last = days[1]
            if end:
                ends = day_range(end)
                last = max(last, ends[1]) if ends else last
            found.append(TimelineEvent(pos, ref, name, date, end, precision, bool(uncertain), days[0], last))
        return found

    def load_spans(self) -> None:
        """Read the scope's spans (events with an end date) once: their positions and last days,
        and the latest last day up to each (a scan of the scope's events: run it off the UI's way)."""
        if self.spans is not None:
            return
        rows = self.kb._spans(self.scope.number, self.scope.dated)
        positions: list[int] = []
        lasts: list[int] = []
        latest: list[int] = []
        for pos, end in rows:
            days = day_range(end)
            if days is not None:
                positions.append(pos)
                lasts.append(days[1])
                latest.append(max(days[1], latest[-1] if latest else days[1]))
        self.spans = (tuple(positions), tuple(lasts), tuple(latest))

    def reaching(self, first_day: int, lo: int, lanes: list[LaneInfo], lanes_union: tuple[int, ...]) -> list[int]:
        """Positions before `lo` (the window's first) whose events may reach into a window from
        `first_day`: the spans ending in it or later (once `load_spans` has run), and a few of each
        lane's events dated just the year or month `first_day` is in."""
        found: set[int] = set()
        if self.spans is not None:
            positions, lasts, latest = self.spans
            at = bisect_left(positions, lo) - 1
            for _ in range(SPAN_WALK):
                if at < 0 or latest[at] < first_day:
                    break
                if lasts[at] >= first_day:
                    found.add(positions[at])
                at -= 1
        d = dt.date.fromordinal(min(max(first_day, 1), MAX_DAY))
        for text in (f"{d.year:04d}", f"{d.year:04d}-{d.month:02d}"):
            a, b = self.run_of(text)
            b = min(b, lo)
            if a >= b:
                continue
            for lane in lanes:
                at = bisect_left(lane.positions, a)
                found.update(p for p in lane.positions[at:at + RUN_SAMPLE] if p < b)
            pos: int | None = a - 1
            for _ in range(RUN_SAMPLE):
                pos = step_other(lanes_union, b, pos, 1) if pos is not None else None
                if pos is None:
                    break
                found.add(pos)
        return sorted(found)

    def first_event(self, at: int = 0, last: bool = False) -> TimelineEvent | None:
        """The first event at or after position `at` whose date can be read (`last`: the last one)."""
        stop = self.scope.dated
        while 0 <= at < stop:
            chunk = range(max(stop - 64, 0), stop) if last else range(at, min(at + 64, stop))
            found = self.events(chunk)
            if found:
                return found[-1] if last else found[0]
            if last:
                stop = chunk.start
            else:
                at = chunk.stop
        return None

    def event(self, pos: int) -> TimelineEvent | None:
        found = self.events([pos])
        return found[0] if found else None

    def position_of(self, ref: str) -> int | None:
        """The position of an event of this scope, if it is one and dated."""
        row = self.kb.row(ref)
        if row is None or row.type != "event":
            return None
        pos = self.kb.position(row.id, self.scope.pack)
        return pos if pos is not None and pos < self.scope.dated else None


def union(lanes: list[LaneInfo]) -> tuple[int, ...]:
    """The positions in any lane, sorted, once each."""
    out: list[int] = []
    for pos in merge(*(lane.positions for lane in lanes)):
        if not out or out[-1] != pos:
            out.append(pos)
    return tuple(out)


def count_in(positions: tuple[int, ...], lo: int, hi: int) -> int:
    """How many of the sorted `positions` are in lo..hi-1."""
    return bisect_left(positions, hi) - bisect_left(positions, lo)


def contains(positions: tuple[int, ...], pos: int) -> bool:
    at = bisect_left(positions, pos)
    return at < len(positions) and positions[at] == pos


def step(positions: tuple[int, ...], pos: int, delta: int) -> int | None:
    """The position `delta` (+1 or -1) from `pos` among sorted `positions`, or None at an end."""
    if delta > 0:
        at = bisect_right(positions, pos)
        return positions[at] if at < len(positions) else None
    at = bisect_left(positions, pos) - 1
    return positions[at] if at >= 0 else None


def step_other(lanes_union: tuple[int, ...], dated: int, pos: int, delta: int) -> int | None:
    """The next (or previous) position in no lane, or None at an end (in memory)."""
    pos += delta
    while 0 <= pos < dated:
        if not contains(lanes_union, pos):
            return pos
        at = bisect_left(lanes_union, pos)  # skip a run of lane positions at once
        if delta > 0:
            while at < len(lanes_union) and lanes_union[at] == pos:
                pos, at = pos + 1, at + 1
        else:
            while at >= 0 and at < len(lanes_union) and lanes_union[at] == pos:
                pos, at = pos - 1, at - 1
    return None


def nearest(positions: tuple[int, ...], pos: int) -> int | None:
    """The member of sorted `positions` nearest to `pos` (the earlier on a tie)."""
    if not positions:
        return None
    at = bisect_left(positions, pos)
    if at >= len(positions):
        return positions[-1]
    if at == 0 or positions[at] == pos:
        return positions[at]
    before, after = positions[at - 1], positions[at]
    return before if pos - before <= after - pos else after


DRAW_LIMIT = 400  # events of a lane a window draws one by one; more are counted per bucket
OTHER_READ_LIMIT = 4 * DRAW_LIMIT  # events a window reads to find the other lane's


@dataclass(frozen=True, slots=True)
class LaneWindow:
    """What a window shows of one lane: its events, or (too many to draw) counts per bucket."""

    total: int  # events starting in the window
    events: tuple[TimelineEvent, ...] | None  # None: aggregated
    counts: tuple[int, ...] = ()  # per bucket (by start date), when aggregated


def window(reader: TimelineReader, lanes: list[LaneInfo], lanes_union: tuple[int, ...],
           buckets: list[int], draw_limit: int = DRAW_LIMIT) -> list[LaneWindow]:
    """Each lane's part of the window of days buckets[0]..buckets[-1]-1 (bucket edges, ascending),
    and last the other lane's; events starting before the window and reaching into it are drawn too."""
    first_day = buckets[0]
    edges = [reader.position_of_day(day) for day in buckets]
    lo, hi = edges[0], edges[-1]
    before = reader.reaching(first_day, lo, lanes, lanes_union)

    def reaching(events: list[TimelineEvent]) -> tuple[TimelineEvent, ...]:
        return tuple(e for e in events if lo <= e.pos < hi or (e.pos < lo and e.last >= first_day))

    shown: list[LaneWindow] = []
    for lane in lanes:
        total = count_in(lane.positions, lo, hi)
        if total <= draw_limit:
            at, stop = bisect_left(lane.positions, lo), bisect_left(lane.positions, hi)
            wanted = set(lane.positions[max(0, at - LOOKBACK):stop])
            wanted.update(p for p in before if contains(lane.positions, p))
            shown.append(LaneWindow(total, reaching(reader.events(sorted(wanted)))))
        else:
            shown.append(LaneWindow(total, None, tuple(count_in(lane.positions, a, b)
                                                       for a, b in zip(edges, edges[1:], strict=False))))
    total = (hi - lo) - count_in(lanes_union, lo, hi)
    if total <= draw_limit and hi - lo <= OTHER_READ_LIMIT:
        start = max(0, lo - LOOKBACK)
        rows = reader.events([p for p in before if p < start]) + reader.events(range(start, hi))
        shown.append(LaneWindow(total, reaching([e for e in rows if not contains(lanes_union, e.pos)])))
    else:
        shown.append(LaneWindow(total, None, tuple((b - a) - count_in(lanes_union, a, b)
                                                   for a, b in zip(edges, edges[1:], strict=False))))
    return shown
