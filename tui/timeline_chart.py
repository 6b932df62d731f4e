"""The timeline drawn as lines of cells, each cell a character and a role (imports no Textual;
Rich only to measure a name's width): the screen styles the roles, `crisis-tui timeline` prints
the characters. At year zoom a column is a calendar month; at the others a fixed number of days.

The glyphs carry every distinction on their own (NO_COLOR, 16 colours, a pipe):

    ●       an event of one day           ├───┤  a span (date .. date_end)
    ▒▒▒▒    a month or year date: it covers its month or year, not a day
    ?       an uncertain date (its first cell)
    12      how many events start in a bucket, where a lane holds too many to draw
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from ..db.dates import _MONTHS
from ..db.text import inert
from ..db.timeline import MAX_DAY, LaneWindow, TimelineEvent

LABEL_WIDTH = 12  # a lane's name, then a bar
Cell = tuple[str, str]  # (character, role)
LEGEND = "● day  ├──┤/■ span  ▒▒ month or year  ? uncertain  12 = events starting there"  # fits 80 columns


@dataclass(frozen=True, slots=True)
class Zoom:
    """A zoom level: days a column covers, and the bucket its ticks (and counts) go by."""

    name: str
    per_column: float
    bucket: str  # year, month, week or day
    says: str  # "1 column = 1 month"


ZOOMS = (
    Zoom("year", 365.25 / 12, "year", "1 column = 1 month"),
    Zoom("month", 7.0, "month", "1 column = 1 week"),
    Zoom("week", 1.0, "week", "1 column = 1 day"),
    Zoom("day", 0.25, "day", "4 columns = 1 day"),
)
ZOOM_NAMES = tuple(z.name for z in ZOOMS)


def zoom_named(name: str) -> Zoom:
    return ZOOMS[ZOOM_NAMES.index(name)]


def _date(day: float) -> dt.date:
    return dt.date.fromordinal(min(max(math.floor(day), 1), MAX_DAY))


def bucket_start(day: int, bucket: str) -> int:
    """The first day of the bucket holding `day`."""
    d = _date(day)
    if bucket == "year":
        return dt.date(d.year, 1, 1).toordinal()
    if bucket == "month":
        return dt.date(d.year, d.month, 1).toordinal()
    if bucket == "week":
        return day - d.weekday()
    return day


def next_bucket(day: int, bucket: str) -> int:
    """The first day of the bucket after the one starting on `day` (the day after the calendar's
    last at most)."""
    if day > MAX_DAY:
        return day + 1
    d = _date(day)
    if bucket == "year":
        return dt.date(d.year + 1, 1, 1).toordinal() if d.year < 9999 else MAX_DAY + 1
    if bucket == "month":
        return d.toordinal() + calendar.monthrange(d.year, d.month)[1] - d.day + 1
    return day + (7 if bucket == "week" else 1)


def month_coordinate(day: float) -> float:
    """Months since year 0 to `day` (fractional within its month): year zoom's axis."""
    d = _date(day)
    within = (d.day - 1 + (day - math.floor(day))) / calendar.monthrange(d.year, d.month)[1]
    return d.year * 12 + d.month - 1 + within


def day_of_month_coordinate(coordinate: float) -> float:
    """The day (fractional) at a month coordinate (clamped to the calendar)."""
    months = min(max(math.floor(coordinate), 12), 9999 * 12 + 11)
    year, month = divmod(months, 12)
    days = calendar.monthrange(year, month + 1)[1]
    within = min(max(coordinate - months, 0.0), 1.0)
    return dt.date(year, month + 1, 1).toordinal() + within * days


def tick_label(day: int, bucket: str, first: bool = False) -> str:
    """A bucket's label (`first`: the chart's first bucket, which says its year at month zoom)."""
    d = _date(day)
    if bucket == "year":
        return str(d.year)
    if bucket == "month":
        return f"{_MONTHS[d.month - 1]} {d.year}" if d.month == 1 or first else _MONTHS[d.month - 1]
    if bucket == "week":
        return f"{d.day} {_MONTHS[d.month - 1]}"
    return f"{d.day} {_MONTHS[d.month - 1]}" if d.day == 1 or d.weekday() == 0 else str(d.day)


@dataclass(frozen=True, slots=True)
class Frame:
    """Which days a chart of `width` columns shows at a zoom, centred on a day."""

    zoom: Zoom
    width: int  # columns of the chart (the lanes' names not counted)
    start: float  # the day (ordinal, fractional) at the left edge of column 0

    @classmethod
    def around(cls, centre: float, zoom: Zoom, width: int) -> Frame:
        width = max(width, 1)
        if zoom.bucket == "year":
            return cls(zoom, width, day_of_month_coordinate(month_coordinate(centre) - width / 2))
        return cls(zoom, width, centre - width * zoom.per_column / 2)

    @classmethod
    def starting(cls, day: int, zoom: Zoom, width: int) -> Frame:
        return cls(zoom, max(width, 1), float(day))

    @property
    def first_day(self) -> int:
        return math.floor(self.start)

    @property
    def end_day(self) -> int:
        """The day after the last one shown."""
        if self.zoom.bucket == "year":
            return math.ceil(day_of_month_coordinate(self._coordinate(self.start) + self.width))
        return math.ceil(self.start + self.width * self.zoom.per_column)

    def _coordinate(self, day: float) -> float:
        return month_coordinate(day) if self.zoom.bucket == "year" else day / self.zoom.per_column

    def column(self, day: float) -> int:
        """The column holding `day` (its start)."""
        return math.floor(self._coordinate(day) - self._coordinate(self.start) + 1e-9)

    def last_column(self, last: int) -> int:
        """The last column of a stretch whose last day is `last`: the one its last day starts in (the
        last of its columns, where a day takes several)."""
        return self.column(last + 1) - 1 if self.zoom.per_column < 1 else self.column(last)

    def edges(self) -> list[int]:
        """Bucket edges across the frame: its first day, each bucket start inside, its end (all
        within the calendar)."""
        end = min(self.end_day, MAX_DAY + 1)
        out = [min(max(self.first_day, 1), MAX_DAY)]
        day = next_bucket(bucket_start(out[0], self.zoom.bucket), self.zoom.bucket)
        while day < end:
            out.append(day)
            day = next_bucket(day, self.zoom.bucket)
        out.append(max(end, out[0] + 1))
        return out

    def shows(self, event: TimelineEvent) -> bool:
        return self.first_day <= event.first < self.end_day


def glyphs(event: TimelineEvent, cells: int) -> list[Cell]:
    """An event drawn over `cells` columns (1 or more)."""
    if event.span:
        role = "span"
        body = ["├", *("─" * (cells - 2)), "┤"] if cells > 1 else ["■"]
    elif event.imprecise:
        role, body = "imprecise", ["▒"] * cells
    else:
        role, body = "point", ["●"] * cells
    if event.uncertain:
        body[0] = "?"
        role = "uncertain" if cells == 1 else role
    return [(ch, role) for ch in body]


def count_text(n: int, room: int) -> str:
    """A bucket's count in at most `room` characters (12, 3k, 1M, or # when nothing fits)."""
    for text in (str(n), f"{n // 1000}k" if n >= 1000 else "", f"{n // 1_000_000}M" if n >= 1_000_000 else ""):
        if text and len(text) <= room:
            return text
    return "#"


def lane_cells(frame: Frame, shown: LaneWindow, edges: list[int], selected: TimelineEvent | None) -> list[Cell]:
    """One lane's cells across the chart."""
    cells: list[Cell] = [(" ", "empty")] * frame.width
    for day in edges[1:-1]:  # faint ticks, to read dates down from the axis
        x = frame.column(day)
        if 0 <= x < frame.width:
            cells[x] = ("·", "tick")
    if shown.events is None:
        for n, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            count = shown.counts[n] if n < len(shown.counts) else 0
            if not count:
                continue
            x0, x1 = max(frame.column(a), 0), min(max(frame.last_column(b - 1) + 1, frame.column(a) + 1), frame.width)
            text = count_text(count, max(x1 - x0 - 1, 1))
            at = x0 + max((x1 - x0 - len(text)) // 2, 0)
            for i, ch in enumerate(text):
                if 0 <= at + i < frame.width:
                    cells[at + i] = (ch, "count")
    else:
        mine = selected.pos if selected is not None else None
        # longest first, so that day events stay visible on a month's bar; the selected event on
        # top, unless it is a bar that would hide them (its other cells still show it selected)
        for event in sorted(shown.events, key=lambda e: (e.pos == mine and e.last == e.first, -(e.last - e.first))):
            x0 = frame.column(event.first)
            x1 = max(frame.last_column(event.last), x0) if event.last > event.first else x0
            if x1 < 0 or x0 >= frame.width:
                continue
            drawn = glyphs(event, x1 - x0 + 1)
            for i, cell in enumerate(drawn):
                if 0 <= x0 + i < frame.width:
                    cells[x0 + i] = (cell[0], "selected" if event.pos == mine else cell[1])
    if selected is not None and shown.events is None:
        x = frame.column(selected.first)
        if 0 <= x < frame.width:
            cells[x] = (cells[x][0] if cells[x][1] == "count" else "◆", "selected")
    return cells


def axis_cells(frame: Frame, edges: list[int]) -> list[Cell]:
    """The date axis: each bucket's label at its first column, where it fits."""
    cells: list[Cell] = [(" ", "axis")] * frame.width
    bucket = frame.zoom.bucket
    first = "│" + tick_label(bucket_start(edges[0], bucket), bucket, first=True)
    ticks = [(frame.column(day), "│" + tick_label(day, bucket)) for day in edges[1:-1]]
    room = ticks[0][0] if ticks else frame.width  # the first bucket is labelled too, as fits before the next
    shorter = (first, first.split(" ")[0]) if bucket in ("year", "month") else (first,)  # "Apr 2025", "Apr"
    fits = next((text for text in shorter if len(text) <= room), None)
    if fits is not None:
        ticks.insert(0, (0, fits))
    free = 0
    for x, text in ticks:
        if x < free or x >= frame.width:
            continue
        for i, ch in enumerate(text[:frame.width - x]):
            cells[x + i] = (ch, "axis")
        free = x + len(text)
    return cells


def label_cells(name: str, current: bool) -> list[Cell]:
    """A lane's name in LABEL_WIDTH columns (by terminal cells: a wide character takes two)."""
    text = inert(name, one_line=True)
    room = LABEL_WIDTH - 2
    text = set_cell_size(text, room) if cell_len(text) <= room else set_cell_size(text, room - 1) + "…"
    return [(ch, "label-current" if current else "label") for ch in f"{'>' if current else ' '}{text}"] + \
        [("│", "bar")]


def chart(frame: Frame, names: list[str], shown: list[LaneWindow], selected: TimelineEvent | None = None,
          current: int | None = None) -> list[list[Cell]]:
    """The axis line, then one line a lane (`names` and `shown` in the same order)."""
    edges = frame.edges()
    lines = [[(" ", "axis")] * LABEL_WIDTH + axis_cells(frame, edges)]
    for n, (name, lane) in enumerate(zip(names, shown, strict=False)):
        mine = selected if n == current else None
        lines.append(label_cells(name, n == current) + lane_cells(frame, lane, edges, mine))
    return lines


def plain(lines: list[list[Cell]]) -> str:
    """The chart as text (trailing spaces trimmed)."""
    return "\n".join("".join(ch for ch, _ in line).rstrip() for line in lines)
