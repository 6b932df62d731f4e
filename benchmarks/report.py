"""Benchmark of `crisis-tui report` and `crisis-tui export --format graphml` on one database.

    python benchmarks/report.py --db benchmarks/out/synthetic-1000000.db

Times the report of 20 entities, the most linked one (the hub) among them, in Markdown and
HTML (in-process, median of --runs, and the size written), then runs `export --format
graphml --output` as a subprocess and gives its time, peak RSS (the kernel's, from
getrusage of the child) and the size of the file. The database is only read.
Not a test: results vary with the machine; compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis_tui.db.queries import KnowledgeBase  # noqa: E402
from crisis_tui.db.report import report_document  # noqa: E402
from crisis_tui.db.report_html import render_html  # noqa: E402
from crisis_tui.db.report_markdown import render_markdown  # noqa: E402

CLI = str(Path(sys.executable).parent / "crisis-tui")


def pick(path: Path, n: int) -> tuple[list[str], str, int]:
    """`n` entity ids: the most linked-to one (the hub) first, then entities spread over the table."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        hub_id, links = conn.execute("SELECT object_id, count(*) n FROM link GROUP BY object_id "
                                     "ORDER BY n DESC LIMIT 1").fetchone()
        hub = conn.execute("SELECT ref FROM entity WHERE id = ?", (hub_id,)).fetchone()[0]
        top = conn.execute("SELECT max(id) FROM entity").fetchone()[0]
        refs = [hub]
        for k in range(1, n * 4):
            if len(refs) == n:
                break
            row = conn.execute("SELECT ref FROM entity WHERE id >= ? ORDER BY id LIMIT 1",
                               (max(1, top * k // n),)).fetchone()
            if row and row[0] not in refs:
                refs.append(row[0])
    finally:
        conn.close()
    return refs, hub, links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--entities", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-graphml", action="store_true", help="Only the report.")
    args = parser.parse_args()
    refs, hub, hub_links = pick(args.db, args.entities)
    print(f"database: {args.db} ({args.db.stat().st_size / 2**20:.0f} MiB)")
    print(f"report of {len(refs)} entities, hub {hub} with {hub_links} links to it")
    kb = KnowledgeBase("sqlite:///" + str(args.db))
    try:
        for name, render in (("md", render_markdown), ("html", render_html)):
            times, size, notes = [], 0, 0
            for _ in range(args.runs):
                start = time.perf_counter()
                doc = report_document(kb, refs)
                text = render(doc)
                times.append(time.perf_counter() - start)
                size, notes = len(text.encode("utf-8")), len(doc.footnotes)
            print(f"  report --format {name}: median {statistics.median(times) * 1000:.0f} ms, "
                  f"max {max(times) * 1000:.0f} ms, {size / 1024:.0f} KiB, {notes} footnotes")
    finally:
        kb.close()
    if args.no_graphml:
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as folder:
        out = Path(folder) / "graph.graphml"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        subprocess.run([CLI, "--db", str(args.db), "export", "--format", "graphml", "--output", str(out)],
                       check=True)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"export --format graphml: {seconds:.1f} s, peak RSS {peak / 1024:.0f} MiB"
              f"{' (or less: an earlier child peaked higher)' if peak == before and before else ''}, "
              f"{out.stat().st_size / 2**20:.0f} MiB written")


if __name__ == "__main__":
    main()
