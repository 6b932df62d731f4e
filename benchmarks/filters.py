"""Time a pane filter applied: `KnowledgeBase.match` (the count) plus the first page of rows, as
the explorer does when F applies one (issue #15: <= 100 ms at 1M events).

The synthetic crises of generate.py have no office-holders or members, so that a roll-up has
something to follow this script first adds them, once, to the database it is given (which it
therefore changes: use one in benchmarks/out/): each person holds an office of a state, each
organisation is a member of one; a third of the organisations belong to one "hub" state, so
that one roll-up is broad (a third of the events), as a big state's would be in ACLED data.

    python benchmarks/generate.py --events 1000000 --db benchmarks/out/synthetic-1000000.db
    python benchmarks/filters.py --db benchmarks/out/synthetic-1000000.db --runs 15

Prints, for each filter, how many rows it lets through and the median and p95 of count plus
first page, in milliseconds.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import PaneFilter
from crisis_tui.tui.widgets.entity_list import PAGE


def add_members(path: Path) -> tuple[str, str]:
    """Add office-holder-of and member-of links (once); return a selective state and the hub state."""
    conn = sqlite3.connect(path)
    try:
        states = [r[0] for r in conn.execute(
            "SELECT id FROM entity WHERE type = 'actor' AND kind = 'state' ORDER BY id")]
        if len(states) < 2:
            raise SystemExit(f"{path}: fewer than two states to roll up to")
        hub, selective = states[0], states[len(states) // 2]
        refs = dict(conn.execute("SELECT id, ref FROM entity WHERE id IN (?, ?)", (hub, selective)))
        if conn.execute("SELECT 1 FROM link WHERE relation IN ('member-of', 'office-holder-of') LIMIT 1").fetchone():
            return refs[selective], refs[hub]
        with conn:
            for name, label, inverse in (("office-holder-of", "office-holder of", "office-holders"),
                                         ("member-of", "member of", "members")):
                conn.execute("INSERT OR IGNORE INTO relation (name, label, inverse, description, source_types, "
                             "target_types) VALUES (?, ?, ?, '', '[]', '[]')", (name, label, inverse))
            rows = []
            actors = conn.execute("SELECT id, kind FROM entity WHERE type = 'actor' AND kind IN ('person', "
                                  "'organisation') ORDER BY id").fetchall()
            for n, (actor, kind) in enumerate(actors):
                if kind == "person":
                    rows.append((actor, "office-holder-of", states[(n * 7919) % len(states)]))
                else:
                    rows.append((actor, "member-of", hub if n % 3 == 0 else states[(n * 104729) % len(states)]))
            conn.executemany("INSERT INTO link (subject_id, relation, object_id, pack_id) VALUES (?, ?, ?, 1)", rows)
        return refs[selective], refs[hub]
    finally:
        conn.close()


def timed(kb: KnowledgeBase, entity_type: str, flt: PaneFilter, runs: int) -> tuple[int, list[float]]:
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        matches = kb.match(entity_type, flt)
        kb.filtered_page(matches, 0, PAGE)
        times.append((time.perf_counter() - started) * 1000)
        count = matches.count
    return count, times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    selective, hub = add_members(args.db)
    kb = KnowledgeBase("sqlite:///" + str(args.db))
    events = kb.count("event")
    cases = [
        ("selective, roll-up off", PaneFilter(related_to=selective, relation="participant")),
        ("selective, roll-up on", PaneFilter(related_to=selective, relation="participant", through_members=True)),
        ("broad, roll-up off: kind", PaneFilter(kind="battle")),
        ("broad, roll-up off: dates", PaneFilter(date_from="2018", date_to="2020-06")),
        ("broad, roll-up off: kind+dates", PaneFilter(kind="battle", date_from="2018", date_to="2020-06")),
        ("broad, roll-up on", PaneFilter(related_to=hub, relation="participant", through_members=True)),
    ]
    print(f"{args.db.name}: {events:,} events; selective state {selective}, hub state {hub}; {args.runs} runs each")
    print(f"{'filter':<34}{'rows':>10}{'median ms':>12}{'p95 ms':>10}")
    for label, flt in cases:
        count, times = timed(kb, "event", flt, args.runs)
        print(f"{label:<34}{count:>10,}{statistics.median(times):>12.1f}{p95(times):>10.1f}")
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
