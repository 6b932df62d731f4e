"""Search per key on SQLite and PostgreSQL side by side: a person typing a rare word and a common
one a letter at a time, each key's `search(prefix, limit=50)`, `search_passages` and `suggest`
timed in the query layer (no UI), p50 and p95 over --runs runs; prints a Markdown table.

    python benchmarks/pg_search.py --sqlite benchmarks/out/synthetic-1000000.db \\
        --pg 'postgresql://postgres@/synthetic_1m?host=/tmp/pgprobe' --runs 5

Both databases are opened read only. The first run of each word warms the caches and is not
counted. Not a test: results vary with the machine; compare engines measured in one sitting.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from crisis_tui.db.engines import open_knowledge_base

WORDS = ("aqueduct", "forces")  # ~1% of the synthetic events hold the first, most hold the second


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def typing(url: str, word: str, runs: int) -> dict[str, list[float]]:
    """Milliseconds per key for each call, over `runs` runs (after one run to warm up)."""
    kb = open_knowledge_base(url)
    times: dict[str, list[float]] = {"search": [], "search_passages": [], "suggest": []}
    try:
        for run in range(runs + 1):
            for n in range(1, len(word) + 1):
                prefix = word[:n]
                for name, call in (("search", lambda p=prefix: kb.search(p, limit=50)),
                                   ("search_passages", lambda p=prefix: kb.search_passages(p)),
                                   ("suggest", lambda p=prefix: kb.suggest(p))):
                    start = time.perf_counter()
                    call()
                    if run:
                        times[name].append((time.perf_counter() - start) * 1000)
    finally:
        kb.close()
    return times


def per_key(url: str, word: str) -> list[tuple[str, float, int]]:
    """Each prefix's search time (ms, one warm run) and hit count: where the time goes."""
    kb = open_knowledge_base(url)
    try:
        out = []
        for n in range(1, len(word) + 1):
            kb.search(word[:n], limit=50)
            start = time.perf_counter()
            hits = kb.search(word[:n], limit=50)
            out.append((word[:n], (time.perf_counter() - start) * 1000, len(hits)))
        return out
    finally:
        kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, help="a SQLite database")
    parser.add_argument("--pg", help="a PostgreSQL URL of the same data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--words", nargs="*", default=list(WORDS))
    parser.add_argument("--keys", action="store_true", help="also each prefix's search time")
    args = parser.parse_args()
    engines = []
    if args.sqlite:
        engines.append(("SQLite", "sqlite:///" + str(args.sqlite.resolve())))
    if args.pg:
        engines.append(("PostgreSQL", args.pg))
    print("| engine | word | call | p50 ms | p95 ms | max ms | keys |")
    print("|---|---|---|---:|---:|---:|---:|")
    for label, url in engines:
        for word in args.words:
            for call, values in typing(url, word, args.runs).items():
                print(f"| {label} | {word} | {call} | {statistics.median(values):.2f} | "
                      f"{percentile(values, 95):.2f} | {max(values):.2f} | {len(values)} |", flush=True)
    if args.keys:
        for label, url in engines:
            for word in args.words:
                print(f"\n{label} {word}: " + ", ".join(f"{p} {ms:.1f} ms ({n})" for p, ms, n in per_key(url, word)))


if __name__ == "__main__":
    main()
