"""Key latency of the layout keys on a real pseudo-terminal at 80x24; prints a Markdown table.

    python benchmarks/layout.py --db benchmarks/out/synthetic-1000000.db
    python benchmarks/layout.py --db benchmarks/out/synthetic-1000000.db --cli /other/venv/bin/crisis-tui

Measures, from a key's bytes in to the last byte of the frame it causes (run.py's `press_frame`):
a move down the events list (the cursor's row now wraps its name, and a row of several lines
repaints the pane), the same in the actors list, `4` (the Places pane, its first rows read),
`z` and `z` again (zoom the list and restore), `l` then `z` on the detail, and `g` in the detail.
Not a test: results vary with the machine; compare figures measured in one sitting.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CLI, COLS, ENV, ROWS, Timed, pct  # noqa: E402


def measure(db: Path, cli: list[str], presses: int, moves_only: bool = False) -> dict[str, float]:
    t = Timed([*cli, "--db", str(db)], COLS, ROWS, ENV)
    out: dict[str, float] = {}
    try:
        t.until(lambda s: "1 Events" in s and "loading" not in s, 60)
        t.settle(0.5)

        def keys(label: str, key: str, before: str = "") -> None:
            times = []
            for _ in range(presses):
                if before:
                    t.send(before)
                    t.settle(0.1)
                times.append(t.press_frame(key))
            out[f"{label} p50"] = pct(times, 50)
            out[f"{label} p95"] = pct(times, 95)

        keys("events: down", "j")
        t.send("2")
        t.settle(0.3)
        keys("actors: down", "j")
        if moves_only:  # a build without the layout keys (to compare the moves)
            t.send("q")
            t.wait_exit()
            return out
        keys("places: 4", "4", before="1")
        keys("list: z (zoom)", "z", before="")  # every other press restores
        t.send("1")
        t.settle(0.2)
        t.send("l")
        t.settle(0.2)
        keys("detail: z (zoom)", "z")
        keys("detail: g", "g", before="G")
        t.send("q")
        t.wait_exit()
    finally:
        t.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cli", help="another crisis-tui to compare (its console script)")
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--moves-only", action="store_true", help="only the list moves (for a build before #15)")
    args = parser.parse_args()
    result = measure(args.db, [args.cli] if args.cli else CLI, args.presses, args.moves_only)
    print(f"| {args.db.name} | ms |\n|---|---|")
    for name, value in result.items():
        print(f"| {name} | {value:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
