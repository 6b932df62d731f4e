"""Time the graph queries of issue #16 on a database: an entity's neighbourhood (2 hops,
<= 50 ms at 1M events) and the shortest paths between two entities (<= 200 ms), for hubs,
ordinary entities and pairs with no path; and the open time of the two screens (the query
plus building the tree, measured headless with Textual's Pilot).

    python benchmarks/graph.py --db benchmarks/out/synthetic-1000000.db --runs 9

The database is only read. The entities are picked from it: the actor with the most links
(the hub; of the first 200), the place with the most, an event, an ordinary actor, and an
entity with no link, if there is one; `--role "hub actor=actor/x"` picks one instead.
Prints, for each case, what was found and the median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis_tui.db.queries import KnowledgeBase  # noqa: E402
from tests.ptyterm import PtyTerminal  # noqa: E402

CLI = str(Path(sys.executable).parent / "crisis-tui")


def pick(path: Path) -> dict[str, str]:
    """Entities to measure with, by role (read once, through a plain connection)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        def ref(sql: str) -> str:
            row = conn.execute(sql).fetchone()
            if row is None:
                raise SystemExit(f"{path}: found nothing for {sql}")
            return row[0]

        def busiest(entity_type: str, sample: int) -> str:
            ids = [r[0] for r in conn.execute("SELECT id FROM entity WHERE type = ? ORDER BY id LIMIT ?",
                                              (entity_type, sample))]
            counts = [(conn.execute("SELECT count(*) FROM link WHERE object_id = ?", (i,)).fetchone()[0]
                       + conn.execute("SELECT count(*) FROM link WHERE subject_id = ?", (i,)).fetchone()[0], i)
                      for i in ids]
            return ref(f"SELECT ref FROM entity WHERE id = {max(counts)[1]}")

        lonely = conn.execute("""SELECT ref FROM entity e WHERE NOT EXISTS (SELECT 1 FROM link WHERE subject_id = e.id)
                                 AND NOT EXISTS (SELECT 1 FROM link WHERE object_id = e.id) LIMIT 1""").fetchone()
        middle = conn.execute("SELECT count(*) FROM entity WHERE type = 'event'").fetchone()[0] // 2
        return {
            "hub actor": busiest("actor", 200),
            "hub place": busiest("place", 200),
            "event": ref(f"SELECT ref FROM entity WHERE type = 'event' ORDER BY id LIMIT 1 OFFSET {middle}"),
            "last event": ref("SELECT ref FROM entity WHERE type = 'event' ORDER BY id DESC LIMIT 1"),
            "actor": ref("SELECT ref FROM entity WHERE type = 'actor' ORDER BY id LIMIT 1 OFFSET 5000"),
            "agreement": ref("SELECT ref FROM entity WHERE type = 'agreement' ORDER BY id LIMIT 1 OFFSET 500"),
            **({"unlinked": lonely[0]} if lonely else {}),
        }
    finally:
        conn.close()


def timed(runs: int, call: Callable[[], object]) -> tuple[object, float, float]:
    call()  # warm the page cache
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return result, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


async def screen_open(kb: KnowledgeBase, ref: str, other: str | None) -> float:
    """Milliseconds from pushing the screen to its tree filled (the neighbourhood, or the paths)."""
    from crisis_tui.tui.app import CrisisApp
    from crisis_tui.tui.screens.neighbourhood import NeighbourhoodScreen
    from crisis_tui.tui.screens.paths import PathsScreen

    app = CrisisApp(kb, start=ref)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        start, end = kb.row(ref), kb.row(other) if other else None
        assert start is not None
        screen = NeighbourhoodScreen(kb, start) if end is None else PathsScreen(kb, start, end)
        t = time.perf_counter()
        await app.push_screen(screen)
        while not screen.ready:
            await asyncio.sleep(0.001)
        await pilot.pause()
        return (time.perf_counter() - t) * 1000


def until(t: PtyTerminal, needle: str, start: float, timeout: float = 20.0) -> float:
    """Milliseconds from `start` to the arrival of the output that put `needle` on the screen."""
    while time.perf_counter() - start < timeout:
        t.read(0.02)
        if needle in t.text():
            return (t.arrived - start) * 1000
    raise TimeoutError(f"{needle!r} never appeared:\n{t.text()}")


def pty_opens(db: Path, hub: str, hub_name: str, event: str, runs: int) -> tuple[list[float], list[float]]:
    """On a real 80x24 pseudo-terminal: milliseconds from the key (`a` on the hub; `p` on the hub,
    the event being marked) to the frame showing the screen filled."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "COLORTERM"}
    env.update(TERM="xterm-256color", XDG_STATE_HOME="/nonexistent/graph-benchmark")
    around, paths = [], []
    for _ in range(runs):
        t = PtyTerminal([CLI, "--db", str(db), "open", event], 80, 24, env)
        try:
            t.wait_for("[b:")
            t.settle(0.3)
            t.send("p")
            t.wait_for("Marked")
            t.send("/")
            t.wait_for("Search")
            t.send(hub_name)
            t.wait_for(hub_name[:20], timeout=20)
            t.settle(0.3)
            t.send("\r")
            t.wait_for(f"> {hub_name[:15]}")
            t.settle(0.5)
            start = time.perf_counter()
            t.send("p")
            paths.append(until(t, "Path 1", start))
            t.settle(0.3)
            t.send("\x1b")
            t.settle(0.5)
            start = time.perf_counter()
            t.send("a")
            around.append(until(t, "two hops out", start))
        finally:
            t.close()
    return around, paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--screens", type=int, default=3, help="screen opens to time for each case (0: none)")
    parser.add_argument("--pty", type=int, default=3, help="runs of the explorer on a pseudo-terminal (0: none)")
    parser.add_argument("--role", action="append", default=[], metavar="ROLE=REF",
                        help="use this entity for a role (`hub actor`, `hub place`, `event`, `unlinked`, ...)")
    args = parser.parse_args()
    roles = pick(args.db)
    roles.update(dict(given.split("=", 1) for given in args.role))
    kb = KnowledgeBase(f"sqlite:///{args.db}")
    print(f"{args.db}: " + ", ".join(f"{role} {ref}" for role, ref in roles.items()))
    print("\nneighbourhood, 2 hops (target <= 50 ms)")
    for role, ref in roles.items():
        found, median, p95 = timed(args.runs, lambda ref=ref: kb.neighbourhood(ref))
        held = len(found.refs()) if found is not None else 0  # type: ignore[attr-defined]
        total = sum(g.total for g in found.groups) if found is not None else 0  # type: ignore[attr-defined]
        print(f"  {role:<11} {median:7.1f} ms median {p95:7.1f} ms p95   {total:>7,} links, {held} entities held")
    print("\npaths, up to 3 shortest (target <= 200 ms)")
    pairs = [("hub actor", "hub place"), ("hub actor", "event"), ("event", "last event"), ("actor", "agreement"),
             ("event", "hub actor"), ("agreement", "hub place")]
    if "unlinked" in roles:
        pairs += [("hub actor", "unlinked"), ("unlinked", "event")]
    for a, b in pairs:
        found, median, p95 = timed(args.runs, lambda a=a, b=b: kb.paths(roles[a], roles[b]))
        what = found.explain() if found is not None else "no such entity"  # type: ignore[attr-defined]
        read = found.read if found is not None else 0  # type: ignore[attr-defined]
        print(f"  {a + ' -> ' + b:<24} {median:7.1f} ms median {p95:7.1f} ms p95   {read:>7,} links read: {what}")
    if args.screens:
        print("\nscreens: push to tree filled, headless (median of", args.screens, "opens)")
        cases = (("neighbourhood of hub actor", "hub actor", None), ("neighbourhood of event", "event", None),
                 ("paths hub actor -> event", "hub actor", "event"))
        for label, a, b in cases:
            times = sorted(asyncio.run(screen_open(kb, roles[a], roles[b] if b else None))
                           for _ in range(args.screens))
            print(f"  {label:<28} {statistics.median(times):7.1f} ms")
    if args.pty:
        hub = kb.row(roles["hub actor"])
        assert hub is not None
        around, paths = pty_opens(args.db, hub.ref, hub.name, roles["event"], args.pty)
        print(f"\nscreens on an 80x24 pseudo-terminal, key to filled frame (median of {args.pty})")
        print(f"  a on the hub actor (neighbourhood)      {statistics.median(around):7.1f} ms")
        print(f"  p on the hub actor, an event marked    {statistics.median(paths):7.1f} ms")
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
