"""Time the timeline (issue #16: opens <= 150 ms, each key p95 <= 16 ms at 1M events).

Two layers, on the database given (read only):
- the query layer (db/timeline.py), as the screen's workers call it: the scope, the main
  parties, their lanes and the first window; the scope's spans (read after the first chart);
  then a window read per move and zoom (with the spans read);
- the UI, headless (`App.run_test`): from `t` pressed to the first chart drawn (the screen's
  `Viewed` handled and every line of the chart rendered to strips), and from each key pressed
  (l, h, j, k, +, -, in a round) to its chart drawn. The time is taken when the chart is
  drawn, not when Pilot's press returns (which adds its own waiting).

    python benchmarks/timeline.py --db benchmarks/out/synthetic-1000000.db --presses 60 --lane actor/a38

Prints milliseconds (median and p95), and the size of what was read.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.timeline import TimelineReader, union, window
from crisis_tui.tui.timeline_chart import ZOOMS, Frame, chart

# From the other lane (the last), each key changes something: a move, a lane, a zoom
KEYS = ("k", "l", "l", "h", "k", "l", "j", "minus", "l", "plus", "h", "j", "l", "k", "plus", "l", "minus", "h")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(what: str, values: list[float]) -> str:
    return f"{what:<44} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms   (n={len(values)})"


def added_lane(kb: KnowledgeBase, ref: str, runs: int) -> None:
    """A lane added from the palette (read in a worker while the timeline stays usable)."""
    reader = TimelineReader(kb)
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = len(reader.lane(ref, ref).positions)
        times.append((time.perf_counter() - t0) * 1000)
    print(line(f"query layer: add lane {ref} ({size} events)", times))


def query_layer(kb: KnowledgeBase, runs: int) -> None:
    opens: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        reader = TimelineReader(kb)
        parties = reader.parties()
        lanes = [reader.lane(ref, name) for ref, name in parties]
        last = reader.event(reader.scope.dated - 1)
        assert last is not None
        frame = Frame.around(last.first, ZOOMS[2], 68)
        shown = window(reader, lanes, union(lanes), frame.edges())
        chart(frame, [n for _, n in parties] + ["Other"], shown, last, 0)
        opens.append((time.perf_counter() - t0) * 1000)
    sizes = [(n, len(lane.positions)) for (_, n), lane in zip(parties, lanes, strict=True)]
    print(f"scope: {reader.scope.dated} dated events; lanes {sizes}")
    print(line("query layer: open (parties, lanes, window)", opens))
    spans: list[float] = []
    for _ in range(runs):
        reader = TimelineReader(kb)
        t0 = time.perf_counter()
        reader.load_spans()  # in a worker after the first chart: not part of the open
        spans.append((time.perf_counter() - t0) * 1000)
    print(line(f"query layer: the scope's spans ({len(reader.spans[0]) if reader.spans else 0}, in the background)",
               spans))
    reader.load_spans()
    both = union(lanes)
    for zoom in ZOOMS:
        moves: list[float] = []
        pos = lanes[0].positions[len(lanes[0].positions) // 2]
        for n in range(runs * 4):
            t0 = time.perf_counter()
            event = reader.event(pos + n)
            assert event is not None
            frame = Frame.around(event.first, zoom, 68)
            chart(frame, [n for _, n in parties] + ["Other"], window(reader, lanes, both, frame.edges()), event, 0)
            moves.append((time.perf_counter() - t0) * 1000)
        print(line(f"query layer: a window at zoom {zoom.name}", moves))


async def ui(db: Path, presses: int, runs: int) -> None:
    from crisis_tui.tui.app import CrisisApp
    from crisis_tui.tui.screens.timeline import TimelineScreen, Viewed
    from crisis_tui.tui.widgets.timeline import TimelineView

    drawn: list[float] = []
    handler = TimelineScreen.on_viewed

    def timed(self, message: Viewed) -> None:
        handler(self, message)
        view = self.query_one(TimelineView)
        for y in range(len(view.chart_lines)):
            view.render_line(y)
        drawn.append(time.perf_counter())

    TimelineScreen.on_viewed = timed  # type: ignore[method-assign]
    opens: list[float] = []
    keys: list[float] = []
    for _ in range(runs):
        kb = KnowledgeBase("sqlite:///" + str(db))
        app = CrisisApp(kb)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.5)
            await app.workers.wait_for_complete()
            drawn.clear()
            t0 = time.perf_counter()
            await pilot.press("t")
            while not drawn:
                await asyncio.sleep(0.001)
            opens.append((drawn[0] - t0) * 1000)
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
            for n in range(presses):
                drawn.clear()
                t0 = time.perf_counter()
                await pilot.press(KEYS[n % len(KEYS)])
                deadline = time.perf_counter() + 5
                while not drawn and time.perf_counter() < deadline:
                    await asyncio.sleep(0.0005)
                if drawn:
                    keys.append((drawn[-1] - t0) * 1000)
                await app.workers.wait_for_complete()
        kb.close()
    print(line("UI: t pressed to the chart drawn", opens))
    print(line("UI: a key pressed to its chart drawn", keys))


def on_pty(db: Path, presses: int, runs: int) -> None:
    """The real command on a pseudo-terminal (80x24): `t` to the chart, each key to its last byte."""
    import re

    from run import CLI, ENV, Timed  # benchmarks/run.py: times taken as the bytes arrive

    chart_shown = re.compile(r"^[ >]Other ", re.MULTILINE)
    opens: list[float] = []
    keys: list[float] = []
    for _ in range(runs):
        t = Timed([*CLI, "--db", str(db)], 80, 24, ENV)
        try:
            t.until(lambda s: "Events" in s and "20" in s, 60)
            t.settle(0.5, 10)
            opens.append(t.press("t", lambda s: bool(chart_shown.search(s))) * 1000)
            t.settle(0.2, 5)
            for n in range(presses):
                key = KEYS[n % len(KEYS)].replace("minus", "-").replace("plus", "+")
                try:
                    keys.append(t.press_frame(key) * 1000)
                except TimeoutError:  # nothing to redraw (an end of the lanes)
                    continue
        finally:
            t.close()
    print(line("pty: t pressed to the chart's bytes", opens))
    print(line("pty: a key pressed to its frame's last byte", keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--pty", action="store_true", help="Also time the real command on a pseudo-terminal")
    parser.add_argument("--lane", action="append", default=[], metavar="REF",
                        help="Also time adding this actor's lane (e.g. the hub state of benchmarks/filters.py)")
    args = parser.parse_args()
    kb = KnowledgeBase("sqlite:///" + str(args.db))
    query_layer(kb, args.runs)
    for ref in args.lane:
        added_lane(kb, ref, args.runs)
    kb.close()
    asyncio.run(ui(args.db, args.presses, args.runs))
    if args.pty:
        on_pty(args.db, args.presses, args.runs)


if __name__ == "__main__":
    main()
