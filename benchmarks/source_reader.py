"""How long the source reader takes to open: its queries and its layout, for a few sources.

    python benchmarks/source_reader.py --db benchmarks/out/100k.db --heavy
    python benchmarks/source_reader.py --db ~/.local/share/crisis-tui/crisis.db

What is timed is what happens between Enter on a citation and the reader's first frame, but
for drawing: `read_source` (the source, every passage of its text, the records citing the
one asked for, the text laid out: all off the UI thread) and the wrapping of the laid-out text
to the reader's width at 80 columns (68 cells), on the UI thread. The first open (caches
cold for that source) and the median of the repeats are printed, in milliseconds.

A generated database (benchmarks/generate.py) has field reports of 50 events (about 250
citations each) and registers of names (about 1,200). `--heavy` adds, once, a source cited
10,000 times (`heavy/0`: a report's text, each of its lines quoted by 200 events), written
into the database given: use it on a database of the benchmarks only.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from crisis_tui.db.queries import KnowledgeBase
from crisis_tui.db.records import CitationView
from crisis_tui.tui.screens.source import header_rows, read_source
from crisis_tui.tui.widgets.source_view import SourceView

WIDTH = 68  # the reader's text at 80 columns: 90% of the screen, less its border and padding
HEAVY = "heavy/0"
HEAVY_CITATIONS = 10_000


def add_heavy(path: Path) -> None:
    """A source cited HEAVY_CITATIONS times: report/0's text, each line quoted by many events."""
    conn = sqlite3.connect(path)
    with conn:
        if conn.execute("SELECT 1 FROM source WHERE id = ?", (HEAVY,)).fetchone():
            return
        text = conn.execute("SELECT text FROM source WHERE id = 'report/0'").fetchone()[0]
        conn.execute("INSERT INTO source (id, title, text, pack_id) VALUES (?, ?, ?, 1)",
                     (HEAVY, "A heavily cited report", text))
        lines = text.split("\n")
        starts, at = [], 0
        for line in lines:
            starts.append(at)
            at += len(line) + 1
        first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM citation").fetchone()[0]
        events = [r[0] for r in conn.execute("SELECT id FROM entity WHERE type = 'event' ORDER BY id LIMIT ?",
                                             (HEAVY_CITATIONS,))]
        conn.executemany(
            'INSERT INTO citation (id, subject, subject_id, source_id, quote, "offset", line, pack_id) '
            "VALUES (?, 'entity', ?, ?, ?, ?, ?, 1)",
            [(first + n, event, HEAVY, lines[n % len(lines)], starts[n % len(lines)], n % len(lines) + 1)
             for n, event in enumerate(events)])
    conn.close()


def quote_of(kb: KnowledgeBase, source_id: str) -> CitationView:
    """A citation of the source's middle passage, as the detail would hand it to the reader."""
    source = kb.source(source_id)
    if source is None:
        raise SystemExit(f"no source {source_id}")
    passages = kb.source_passages(source.document).passages
    middle = passages[len(passages) // 2]
    text = source.text or ""
    return CitationView(source_id, source.title, source.address, text[middle.offset:middle.offset + middle.length],
                        None)


def open_once(kb: KnowledgeBase, citation: CitationView) -> tuple[float, float, int, int]:
    started = time.perf_counter()
    reading = read_source(kb, citation)
    read = time.perf_counter()
    view = SourceView(header_rows(reading), reading.blocks, reading.passages.passages, reading.current)
    view.lay_out(WIDTH)
    laid = time.perf_counter()
    return (read - started) * 1000, (laid - read) * 1000, len(reading.passages.passages), reading.passages.citations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--heavy", action="store_true", help=f"add {HEAVY}, cited {HEAVY_CITATIONS} times, first")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--source", action="append", help="a source id to time (default: a few of each kind)")
    args = parser.parse_args(argv)
    if args.heavy:
        add_heavy(args.db)
    kb = KnowledgeBase(f"sqlite:///{args.db}")
    wanted = args.source or [s for s in ("article", "fact-sheet", "web/wikipedia-tashkent-declaration", "report/0",
                                         "report/9999", "register/actors/3", HEAVY) if kb.source(s) is not None]
    print(f"{args.db} ({args.db.stat().st_size / 1e6:.0f} MB), reader width {WIDTH}, {args.repeat} repeats")
    print(f"{'source':38} {'passages':>8} {'citations':>9} {'first ms':>9} {'query ms':>9} {'layout ms':>9}"
          f" {'total ms':>9}")
    for source_id in wanted:
        citation = quote_of(kb, source_id)
        kb.close()  # a new connection: the first open pays for its own reads
        kb = KnowledgeBase(f"sqlite:///{args.db}")
        query, layout, passages, citations = open_once(kb, citation)
        first = query + layout
        runs = [open_once(kb, citation) for _ in range(args.repeat)]
        q = statistics.median(r[0] for r in runs)
        lay = statistics.median(r[1] for r in runs)
        print(f"{source_id:38} {passages:8} {citations:9} {first:9.1f} {q:9.1f} {lay:9.1f} {q + lay:9.1f}")
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
