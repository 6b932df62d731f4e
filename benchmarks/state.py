"""Benchmark of the state database (db/state.py): bookmarks, notes and the place left.

    python benchmarks/state.py --db benchmarks/out/synthetic-1000000.db --bookmarks 10000 --runs 7

Builds a state database in a temporary folder holding --bookmarks bookmarks on the first
events of --db (a note on every tenth) and a place left with a full history (200 entries),
then measures:
  - in process: what the old start read before the first frame (last-viewed.json), what the
    state database's start-up read costs (open, check, place, the history's entities looked
    up; in a worker after the first frame), the per-visit read of the bookmark and note, and
    reading the bookmarks list's data;
  - on a real pseudo-terminal (80x24): time to the first frame and to the entity left on, with
    an empty state and with the full one (turns taken, medians), and from `B` to the
    bookmarks list drawn with its count.
The knowledge base is only read. Not a test: compare numbers measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis_tui.db.queries import KnowledgeBase  # noqa: E402
from crisis_tui.db.state import HISTORY_LIMIT, Place, StateStore, read_legacy  # noqa: E402
from tests.ptyterm import PtyTerminal  # noqa: E402

CLI = str(Path(sys.executable).parent / "crisis-tui")


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of each of `repeat` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(int(round(q / 100 * (len(values) - 1))), len(values) - 1)]


def screen_until(t: PtyTerminal, needle: str, start: float, timeout: float = 60) -> float:
    while time.perf_counter() - start < timeout:
        if needle in t.text():
            return (t.arrived - start) * 1000
        t.read(0.02)
    raise TimeoutError(f"{needle!r} never shown:\n{t.text()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--bookmarks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--old-cli", metavar="PATH",
                        help="a crisis-tui of before the state database (keeping last-viewed.json), to compare first "
                             "frames with, its last-viewed.json naming the same entity")
    args = parser.parse_args()
    import compileall

    for folder in ("db", "seed", "tui"):  # as the installed package is: no compiling of the sources at each start
        compileall.compile_dir(ROOT / folder, quiet=1)
    url = "sqlite:///" + str(args.db.resolve())
    kb = KnowledgeBase(url)
    folder = Path(tempfile.mkdtemp(prefix="crisis-state-"))

    rows = kb.page("event", 0, max(args.bookmarks, HISTORY_LIMIT))
    full = folder / "full.db"
    store = StateStore(full, legacy=folder / "none.json")
    start = time.perf_counter()
    store.add_bookmarks(url, [(r.ref, r.name, r.type) for r in rows[:args.bookmarks]])
    made = time.perf_counter() - start
    for r in rows[:args.bookmarks:10]:
        store.set_note(url, r.ref, f"a note on {r.name}\nsecond line")
    history = tuple((r.ref, r.name) for r in rows[:HISTORY_LIMIT])
    left = rows[min(HISTORY_LIMIT, len(rows)) // 2]
    store.save_place(url, Place(left.ref, "event", False, history, len(history) // 2))
    store.close()
    legacy = folder / "last-viewed.json"
    legacy.write_text(json.dumps({f"sqlite:///db{n}.db": "event/x" for n in range(49)} | {url: left.ref}))

    print(f"state database: {args.bookmarks:,} bookmarks, {len(rows[:args.bookmarks:10]):,} notes, "
          f"a {len(history)}-entry history; {full.stat().st_size / 1e6:.1f} MB; "
          f"{args.bookmarks:,} bookmarks written in {made * 1000:.0f} ms (one transaction)")
    print(f"knowledge base: {args.db} ({kb.count('event'):,} events)\n")

    print("in process (ms)                                        median     p95")
    old = timed(lambda: read_legacy(legacy), 200)
    print(f"  before 1st frame, old: last-viewed.json read      {statistics.median(old):8.2f} {p(old, 95):7.2f}")

    def start_read() -> None:
        s = StateStore(full, legacy=folder / "none.json")
        place = s.place(url)
        assert place is not None
        kb.rows([place.ref or "", *(ref for ref, _ in place.history)])
        s.close()

    new = timed(start_read, 50)
    print(f"  after 1st frame (worker): open + place + history  {statistics.median(new):8.2f} {p(new, 95):7.2f}")
    s = StateStore(full)
    refs = [r.ref for r in rows[:1000]]
    per_visit = []
    for ref in refs:
        t0 = time.perf_counter()
        s.mine(url, ref)
        per_visit.append((time.perf_counter() - t0) * 1000)
    print(f"  per visit (detail worker): bookmark + note read   {statistics.median(per_visit):8.3f} "
          f"{p(per_visit, 95):7.3f}")
    listing = timed(lambda: kb.rows([b.ref for b in s.bookmarks(url)]), 10)
    print(f"  bookmarks list data: {args.bookmarks:,} read + looked up  {statistics.median(listing):8.1f} "
          f"{p(listing, 95):7.1f}")
    shown = [bool(s.mine(url, left.ref).bookmarked)]

    def m() -> None:  # what `m` writes: the state other than the one shown
        shown[0] = not shown[0]
        s.set_bookmark(url, left.ref, left.name, left.type, shown[0])

    toggles = timed(m, 20)
    print(f"  m (a write transaction, fsync)                    {statistics.median(toggles):8.2f} "
          f"{p(toggles, 95):7.2f}")
    s.close()

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "CRISIS_TUI_STATE")}
    env.update(TERM="xterm-256color", XDG_STATE_HOME=str(folder / "xdg"))
    frames: dict[str, list[float]] = {"empty": [], "full": [], "old": []}
    old_env = dict(env, XDG_STATE_HOME=str(folder / "old-xdg"))
    (folder / "old-xdg" / "crisis-tui").mkdir(parents=True)
    legacy.rename(folder / "old-xdg" / "crisis-tui" / "last-viewed.json")
    placed: list[float] = []
    lists: list[float] = []
    name = left.name[:30]
    for run in range(args.runs):
        for kind in ("empty", "full", "old") if args.old_cli else ("empty", "full"):
            state = folder / f"empty-{run}.db" if kind == "empty" else full
            argv = [args.old_cli, "--db", str(args.db)] if kind == "old" else [CLI, "--db", str(args.db),
                                                                               "--state", str(state)]
            t = PtyTerminal(argv, 80, 24, old_env if kind == "old" else env)
            try:
                start = time.perf_counter()
                frames[kind].append(screen_until(t, "1 Events", start))
                if kind == "full":
                    placed.append(screen_until(t, name, start))
                    t.settle(0.3)
                    start = time.perf_counter()
                    t.send("B")
                    lists.append(screen_until(t, f"Bookmarks ({args.bookmarks:,})", start))
            finally:
                t.close()
    print("\non a pseudo-terminal, 80x24 (ms, median of", args.runs, "runs)")
    print(f"  first frame, empty state database                 {statistics.median(frames['empty']):8.0f}")
    print(f"  first frame, full state database                  {statistics.median(frames['full']):8.0f}")
    if args.old_cli:
        print(f"  first frame, before (--old-cli, last-viewed.json) {statistics.median(frames['old']):8.0f}")
    print(f"  the entity left on shown (full)                   {statistics.median(placed):8.0f}")
    print(f"  B to the list of {args.bookmarks:,} bookmarks drawn           {statistics.median(lists):8.0f}")
    kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
