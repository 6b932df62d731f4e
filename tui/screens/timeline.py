"""The timeline screen: the crisis's events on a date axis, a lane per actor (`t`).

State is kept here (zoom, the day in the middle, the lane and event selected) and changed by
keys at once, in memory (a lane is the sorted positions of its events, `db/timeline.py`);
what a window then shows is read in a thread worker and drawn by `TimelineView`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from ...db.queries import KnowledgeBase
from ...db.timeline import (
    OTHER,
    LaneInfo,
    TimelineEvent,
    TimelineReader,
    count_in,
    nearest,
    step,
    step_other,
    union,
    window,
)
from .. import shown
from ..commands import LaneProvider
from ..messages import worker_failed
from ..timeline_chart import LABEL_WIDTH, LEGEND, ZOOMS, Frame, chart
from ..widgets.key_bar import KeyBar
from ..widgets.line import Line
from ..widgets.timeline import TimelineView

START_ZOOM = 2  # week: a column a day


@dataclass
class Opened(Message):
    """The timeline's scope, default lanes and first selection, read off the UI thread."""

    generation: int  # the reader it was read for: a stale one is dropped
    reader: TimelineReader
    lanes: list[LaneInfo]
    lane: int
    pos: int | None


@dataclass
class Viewed(Message):
    """A window read and drawn as cells; `serial` tells a stale one from the latest."""

    serial: int
    lines: list
    centre: float
    selected: TimelineEvent | None
    frame: Frame


@dataclass
class LaneRead(Message):
    generation: int
    lane: LaneInfo


class TimelineScreen(Screen):
    """Lanes of events across dates; h/l move between events, j/k between lanes, +/- zoom."""

    BINDINGS = [
        Binding("l,right", "event(1)", "Next", id="timeline.next", tooltip="The next event in the lane"),
        Binding("h,left", "event(-1)", "Previous", id="timeline.previous", tooltip="The previous event in the lane"),
        Binding("j,down", "lane(1)", "Lane down", show=False, id="timeline.lane_down",
                tooltip="The lane below (its event nearest in time)"),
        Binding("k,up", "lane(-1)", "Lane up", show=False, id="timeline.lane_up",
                tooltip="The lane above (its event nearest in time)"),
        Binding("plus,equals_sign", "zoom_by(1)", "Zoom in", id="timeline.zoom_in",
                tooltip="Zoom in: years, months, weeks, days"),
        Binding("minus", "zoom_by(-1)", "Zoom out", id="timeline.zoom_out", tooltip="Zoom out towards years"),
        Binding("g,home", "edge(0)", "First", show=False, id="timeline.first", tooltip="The first event in the lane"),
        Binding("G,end", "edge(1)", "Last", show=False, id="timeline.last", tooltip="The last event in the lane"),
        Binding("enter", "open_event", "Open", id="timeline.open",
                tooltip="Open the selected event in the explorer's detail"),
        Binding("c", "next_crisis", "Crisis", show=False, id="timeline.crisis",
                tooltip="The next crisis (as c in the explorer: every pane follows), its lanes its main parties"),
        Binding("q,escape", "leave", "Close", id="timeline.close", tooltip="Close the timeline"),
    ]
    COMMANDS = {LaneProvider}  # the palette here adds and removes lanes (beside the app's commands)

    def __init__(self, kb: KnowledgeBase, crisis: str | None = None, crisis_title: str | None = None,
                 start: str | None = None, lanes: list[tuple[str, str]] | None = None,
                 zoom: int = START_ZOOM) -> None:
        super().__init__()
        self.kb, self.crisis, self.crisis_title, self.start = kb, crisis, crisis_title, start
        self._wanted_lanes = lanes
        self.reader: TimelineReader | None = None
        self.lanes: list[LaneInfo] = []
        self._union: tuple[int, ...] = ()
        self.zoom = min(max(zoom, 0), len(ZOOMS) - 1)
        self.centre: float | None = None
        self.lane_at = 0  # len(lanes): the other lane
        self.pos: int | None = None  # the selected event's position
        self.selected: TimelineEvent | None = None
        self.frame: Frame | None = None
        self._serial = 0
        self._generation = 0  # bumped when the reader is replaced (another crisis, the lanes reset, the data)
        self._lane_ref: str | None = None  # the lane to open on, if it holds the event to open on
        self._pending: list[tuple[str, str]] = []  # lanes added before the reader came
        self._recentre = True
        self._first_lane = 0  # the first lane in view (when they do not all fit)

    def compose(self) -> ComposeResult:
        yield Line(id="timeline-title")
        yield TimelineView(id="timeline-chart")
        yield Line(id="timeline-status")
        yield Line(id="timeline-legend")
        yield KeyBar(app_keys=("app.help",))  # its own keys whole at 80 columns; / b f t work, as ? lists

    def on_unmount(self) -> None:
        """The lanes chosen and the zoom are kept for the next `t` (this session)."""
        from ..app import CrisisApp

        if isinstance(self.app, CrisisApp):
            self.app.timeline_kept = (self._wanted_lanes, self.zoom)

    def on_mount(self) -> None:
        self.query_one("#timeline-title", Line).text = Content("Timeline: reading the crisis's events…")
        self.query_one("#timeline-legend", Line).text = Content(LEGEND)
        self._reopen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker_failed(self, event)

    # --- reading -----------------------------------------------------------------------

    def _reopen(self) -> None:
        """Read the scope and lanes (again): until they come, keys wait and older reads are dropped."""
        self._generation += 1
        self._serial += 1
        self.reader = None
        self._open(self._generation, self.crisis, self._wanted_lanes, self.start, self._lane_ref)

    @work(thread=True, exclusive=True, group="timeline-open", exit_on_error=False)
    def _open(self, generation: int, crisis: str | None, wanted: list[tuple[str, str]] | None, start: str | None,
              lane_ref: str | None) -> None:
        reader = TimelineReader(self.kb, crisis)
        lanes = [reader.lane(ref, name) for ref, name in (wanted if wanted is not None else reader.parties())]
        pos = reader.position_of(start) if start else None
        if pos is None and reader.scope.dated:
            pos = reader.scope.dated - 1  # the latest event
        holding = [n for n, info in enumerate(lanes) if pos is not None and count_in(info.positions, pos, pos + 1)]
        lane = next((n for n in holding if lanes[n].ref == lane_ref), holding[0] if holding else len(lanes))
        self.post_message(Opened(generation, reader, lanes, lane, pos))

    def on_opened(self, message: Opened) -> None:
        if message.generation != self._generation:
            return  # read for a crisis (or data) shown before this one
        self.reader, self.lanes, self.lane_at, self.pos = message.reader, message.lanes, message.lane, message.pos
        self._union = union(self.lanes)
        self._request(recentre=True)
        self._load_spans(message.reader, message.generation)
        pending, self._pending = self._pending, []
        for ref, name in pending:
            self.add_lane(ref, name)

    @work(thread=True, exclusive=True, group="timeline-spans", exit_on_error=False)
    def _load_spans(self, reader: TimelineReader, generation: int) -> None:
        """The scope's spans, after the first window (they draw spans begun before a window)."""
        reader.load_spans()
        if reader.spans and reader.spans[0]:
            self.app.call_from_thread(self._spans_loaded, generation)

    def _spans_loaded(self, generation: int) -> None:
        if generation == self._generation:
            self._request()

    def data_changed(self) -> None:
        """The database changed (an import elsewhere): positions moved, so read the scope and lanes
        again, on the same event and lane (kept by id)."""
        self._keep_place()
        self.centre = None
        self._reopen()

    def _keep_place(self) -> None:
        if self.selected is not None and self.selected.pos == self.pos:
            self.start = self.selected.ref
        self._lane_ref = self.lanes[self.lane_at].ref if self.lane_at < len(self.lanes) else None

    def _request(self, recentre: bool = False) -> None:
        """Read and draw the window again (centred on the selected event if `recentre`, or if it
        would be out of view)."""
        if self.reader is None:
            return
        self._serial += 1
        self._recentre = self._recentre or recentre
        region = self.query_one(TimelineView).content_region
        width = max(region.width - LABEL_WIDTH, 10)
        rows = max(region.height - 1, 1)  # lanes that fit under the axis: the current one kept in view
        self._first_lane = min(max(self._first_lane, self.lane_at - rows + 1), self.lane_at)
        shown_rows = range(self._first_lane, min(self._first_lane + rows, len(self.lanes) + 1))
        self._read_view(self.reader, self._serial, self.zoom, self.centre, width, self.lane_at, self.pos,
                        self._recentre, list(self.lanes), self._union, shown_rows)
        self._title(shown_rows)

    @work(thread=True, exclusive=True, group="timeline-view", exit_on_error=False)
    def _read_view(self, reader: TimelineReader, serial: int, zoom: int, centre: float | None, width: int,
                   lane_at: int, pos: int | None, recentre: bool, lanes: list[LaneInfo], lanes_union: tuple[int, ...],
                   rows: range) -> None:
        selected = reader.event(pos) if pos is not None else None
        if centre is None:
            centre = float(selected.first) if selected else float(_today())
        frame = Frame.around(centre, ZOOMS[zoom], width)
        if selected is not None and (recentre or not frame.shows(selected)):
            centre = _centre(selected, frame)
            frame = Frame.around(centre, ZOOMS[zoom], width)
        shown_lanes = window(reader, [lanes[n] for n in rows if n < len(lanes)], lanes_union, frame.edges())
        if len(lanes) not in rows:
            shown_lanes.pop()  # the other lane is below the fold
        names = [lanes[n].name if n < len(lanes) else OTHER for n in rows]
        lines = chart(frame, names, shown_lanes, selected, lane_at - rows.start)
        self.post_message(Viewed(serial, lines, centre, selected, frame))

    def on_viewed(self, message: Viewed) -> None:
        if message.serial != self._serial:
            return  # a key came since: its window is on the way
        self._recentre = False
        self.centre, self.selected, self.frame = message.centre, message.selected, message.frame
        self.query_one(TimelineView).show(message.lines)
        self._status()

    def on_resize(self) -> None:
        self._request()

    # --- what the lines say --------------------------------------------------------------

    def _lane_name(self, n: int) -> str:
        return self.lanes[n].name if n < len(self.lanes) else OTHER

    def _title(self, rows: range | None = None) -> None:
        reader = self.reader
        crisis = shown.line(self.crisis_title) if self.crisis_title else "all crises"
        zoom = ZOOMS[self.zoom]
        undated = reader.scope.total - reader.scope.dated if reader else 0
        more = f" · {undated} undated not shown" if undated else ""
        if rows is not None and len(rows) < len(self.lanes) + 1:
            more += f" · lanes {rows.start + 1}-{rows.stop} of {len(self.lanes) + 1}"
        self.query_one("#timeline-title", Line).text = Content(
            f"Timeline · {crisis} · zoom {zoom.name} ({zoom.says}){more}")

    def _status(self) -> None:
        line = self.query_one("#timeline-status", Line)
        lane = shown.line(self._lane_name(self.lane_at))
        event = self.selected
        if event is None:
            line.text = Content(f"{lane}: no events in this lane (j/k: another lane; Ctrl+p: add a lane)")
            return
        index, total = self._index()
        head, when = f"{lane} {index}/{total}: ", f" · {shown.line(event.when)}"
        width = (line.size.width or self.size.width) - line.styles.gutter.width  # before a layout too
        room = max(width - len(head) - len(when), 12)  # the name is cut, never the date
        line.text = Content.assemble((head, "dim"), (shown.line(event.name, limit=room), "bold"), (when, ""))

    def _index(self) -> tuple[int, int]:
        """The selected event's number in its lane, and the lane's count (from memory)."""
        assert self.reader is not None and self.pos is not None
        if self.lane_at < len(self.lanes):
            positions = self.lanes[self.lane_at].positions
            return count_in(positions, 0, self.pos) + 1, len(positions)
        dated = self.reader.scope.dated
        return self.pos - count_in(self._union, 0, self.pos) + 1, dated - len(self._union)

    # --- keys ------------------------------------------------------------------------------

    def _step(self, lane: int, pos: int, delta: int) -> int | None:
        assert self.reader is not None
        if lane < len(self.lanes):
            return step(self.lanes[lane].positions, pos, delta)
        return step_other(self._union, self.reader.scope.dated, pos, delta)

    def action_event(self, delta: int) -> None:
        if self.reader is None or self.pos is None:
            return
        found = self._step(self.lane_at, self.pos, delta)
        if found is None:
            self.notify(f"No {'later' if delta > 0 else 'earlier'} event in this lane", timeout=2)
            return
        self.pos = found
        self._request()

    def action_edge(self, end: int) -> None:
        if self.reader is None:
            return
        far = self.reader.scope.dated if end else -1
        found = self._step(self.lane_at, far, -1 if end else 1)
        if found is not None:
            self.pos = found
            self._request()

    def action_lane(self, delta: int) -> None:
        if self.reader is None:
            return
        lane = self.lane_at + delta
        if not 0 <= lane <= len(self.lanes):
            return
        self.lane_at = lane
        self.pos = self._nearest(lane, self.pos)
        self._request()

    def _nearest(self, lane: int, pos: int | None) -> int | None:
        """The event of `lane` nearest in time to position `pos` (or its last, with none)."""
        assert self.reader is not None
        if pos is None:
            pos = self.reader.scope.dated - 1
        if lane < len(self.lanes):
            return nearest(self.lanes[lane].positions, pos)
        if not count_in(self._union, pos, pos + 1) and pos < self.reader.scope.dated:
            return pos
        before, after = self._step(lane, pos, -1), self._step(lane, pos, 1)
        if before is None or after is None:
            return before if after is None else after
        return before if pos - before <= after - pos else after

    def action_zoom_by(self, delta: int) -> None:
        zoom = min(max(self.zoom + delta, 0), len(ZOOMS) - 1)
        if zoom == self.zoom:
            self.notify("Zoomed in as far as days go" if delta > 0 else "Zoomed out as far as years go", timeout=2)
            return
        self.zoom = zoom
        self._request(recentre=True)

    def action_open_event(self) -> None:
        """Close the timeline and open the selected event in the explorer's detail (read first if
        its window has not come yet: Enter typed right after a move opens the event moved to)."""
        if self.selected is not None and self.selected.pos == self.pos:
            self._visit(self.selected.ref)
        elif self.pos is not None and self.reader is not None:
            self._read_and_visit(self.reader, self.pos)

    @work(thread=True, group="timeline-open-event", exit_on_error=False)
    def _read_and_visit(self, reader: TimelineReader, pos: int) -> None:
        event = reader.event(pos)
        if event is not None:
            self.app.call_from_thread(self._visit, event.ref)

    def _visit(self, ref: str) -> None:
        from ..app import CrisisApp

        if self.app.screen is not self:
            return
        self.dismiss()
        app = self.app
        if isinstance(app, CrisisApp):
            app.visit(ref, focus_detail=True)

    def action_next_crisis(self) -> None:
        """Show the next crisis here and in the explorer; lanes chosen in the palette stay."""
        from ..app import CrisisApp

        app = self.app
        if not isinstance(app, CrisisApp):
            return
        app.action_crisis()
        if app.crisis == self.crisis:
            return  # one crisis only: the app said so
        pack = next((p for p in app.packs if p.id == app.crisis), None)
        self.crisis, self.crisis_title = app.crisis, pack.title if pack else None
        chosen = [(lane.ref, lane.name) for lane in self.lanes if lane.ref is not None]
        self._wanted_lanes = chosen if self._wanted_lanes is not None else None
        self.start = self.selected.ref if self.selected is not None else self.start
        self.centre, self._lane_ref = None, None
        self._reopen()

    def action_leave(self) -> None:
        self.dismiss()

    # --- lanes (the palette's "Add lane" and "Remove lane") --------------------------------

    def add_lane(self, ref: str, name: str) -> None:
        if any(lane.ref == ref for lane in self.lanes):
            self.notify(f"{shown.line(name)} has a lane already", timeout=2, markup=False)
            return
        if self.reader is None:  # still reading the crisis: added when it comes
            self._pending.append((ref, name))
            return
        self._read_lane(self.reader, self._generation, ref, name)

    @work(thread=True, group="timeline-lane", exit_on_error=False)
    def _read_lane(self, reader: TimelineReader, generation: int, ref: str, name: str) -> None:
        self.post_message(LaneRead(generation, reader.lane(ref, name)))

    def on_lane_read(self, message: LaneRead) -> None:
        if message.generation != self._generation:  # read for another crisis: read again for this one
            self.add_lane(message.lane.ref or "", message.lane.name)
            return
        if any(lane.ref == message.lane.ref for lane in self.lanes):
            return
        on_other = self.lane_at == len(self.lanes)
        self.lanes.append(message.lane)
        self._wanted_lanes = [(lane.ref, lane.name) for lane in self.lanes if lane.ref is not None]
        self._union = union(self.lanes)
        if on_other:  # the other lane moves down one; its event may now be in the new lane
            self.lane_at = len(self.lanes)
            self.pos = self._nearest(self.lane_at, self.pos)
        self._request()

    def remove_lane(self, ref: str) -> None:
        found = next((n for n, lane in enumerate(self.lanes) if lane.ref == ref), None)
        if found is None:
            return
        was = self.lane_at
        del self.lanes[found]
        self._wanted_lanes = [(lane.ref, lane.name) for lane in self.lanes if lane.ref is not None]
        self._union = union(self.lanes)
        if was == found or was == len(self.lanes) + 1:
            self.lane_at = min(found, len(self.lanes)) if was == found else len(self.lanes)
            self.pos = self._nearest(self.lane_at, self.pos)
        elif was > found:
            self.lane_at = was - 1
        self._request()

    def reset_lanes(self) -> None:
        """Back to the crisis's main parties."""
        self._wanted_lanes = None
        self._pending.clear()
        self._keep_place()
        self._reopen()


def _centre(event: TimelineEvent, frame: Frame) -> float:
    """The day to centre on an event: its middle if it fits in the frame, else near its start."""
    days = frame.width * frame.zoom.per_column
    length = event.last + 1 - event.first
    return event.first + (length / 2 if length <= days * 0.8 else days * 0.3)


def _today() -> int:
    import datetime as dt

    return dt.date.today().toordinal()
