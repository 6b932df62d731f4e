"""Search over everything, timed at the query layer (#15): per key, and "did you mean".

Per key is what the search screen asks as a letter is typed (`SearchScreen._ask`): the entity
hits (`KnowledgeBase.search`, limit 50, with what matched and its snippet) and the sources'
passages (`search_passages`, limit 20), for each prefix of a word typed one letter at a time.
A typo is what the screen asks when nothing matches: both searches finding nothing, the
suggestion (`suggest`), and the searches again for it. Each figure over `--runs` rounds.

    python benchmarks/search_wide.py --db benchmarks/out/1000000.db [--pty]
    python benchmarks/search_wide.py --db benchmarks/out/crisis.db --rare tashkent --common pakistan \\
        --typos lavorv bhuto sindur

On a synthetic database (benchmarks/generate.py) the words are `aqueduct` (rare: ~1% of
events) and `forces` (in most), and the typos are made from its own names (a letter dropped,
two swapped), so that they have an answer.

With --pty, the same words are also typed into the explorer on a real 80x24 pseudo-terminal
(run.py's harness): per key, from the key's bytes to the status line reporting the hits for
exactly what has been typed; and a typo, to the status line saying "did you mean".
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from crisis_tui.db.queries import KnowledgeBase


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def per_key(kb: KnowledgeBase, word: str, runs: int) -> list[float]:
    """Milliseconds for each prefix of `word` (one letter, two, ...), every run."""
    times = []
    for _ in range(runs):
        for end in range(1, len(word) + 1):
            text = word[:end]
            started = time.perf_counter()
            kb.search(text, limit=50)
            kb.search_passages(text, limit=20)
            times.append((time.perf_counter() - started) * 1000)
    return times


def typo(kb: KnowledgeBase, text: str, runs: int) -> tuple[list[float], str | None]:
    """Milliseconds for a search of `text` that finds nothing and shows what was meant instead."""
    times, meant = [], None
    for _ in range(runs):
        started = time.perf_counter()
        hits, passages = kb.search(text, limit=50), kb.search_passages(text, limit=20)
        if not hits and not passages:
            meant = kb.suggest(text)
            if meant is not None:
                kb.search(meant, limit=50)
                kb.search_passages(meant, limit=20)
        times.append((time.perf_counter() - started) * 1000)
    return times, meant


def suggest_only(kb: KnowledgeBase, text: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        kb.suggest(text)
        times.append((time.perf_counter() - started) * 1000)
    return times


def made_typos(kb: KnowledgeBase, n: int, seed: int = 7) -> list[str]:
    """Typos of the database's own name words: a letter dropped or two neighbours swapped."""
    rng = random.Random(seed)
    words = [w for (w,) in kb._all("SELECT word FROM search_word WHERE length(word) >= 6 LIMIT 2000")]
    out = []
    for word in rng.sample(words, min(n, len(words))):
        at = rng.randrange(1, len(word) - 2)
        dropped, swapped = word[:at] + word[at + 1:], word[:at] + word[at + 1] + word[at] + word[at + 2:]
        out.append(dropped if rng.random() < 0.5 else swapped)
    return out


def on_pty(db: Path, words: list[str], typos: list[str], rounds: int,
           cli: list[str] | None = None) -> dict[str, list[float]]:
    """Milliseconds per key typed into the explorer's search (run.py's harness), per word;
    `cli` runs another build of crisis-tui (as run.py's --cli does)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import CLI, COLS, ENV, ROWS, Timed

    CLI = cli or CLI  # noqa: N806
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:  # any schema: another build may read it
        first = conn.execute("SELECT e.name FROM entity_order o JOIN entity e ON e.id = o.entity_id "
                             "WHERE o.pack_id = 0 AND o.type = 'event' AND o.pos = 0").fetchone()[0][:14]
    t = Timed([*CLI, "--db", str(db)], COLS, ROWS, ENV)
    found: dict[str, list[float]] = {}
    try:
        t.until(lambda s: first in s, 30)
        t.settle(0.3)
        for _ in range(rounds):
            for word in words:
                t.send("/")
                t.until(lambda s: "Search events" in s or "for '" in s)
                t.settle(0.1)
                for n in range(1, len(word) + 1):
                    found.setdefault(word, []).append(
                        t.press(word[n - 1], lambda s, p=word[:n]: f"for {p!r}" in s) * 1000)
                t.send("\x1b")
                t.settle(0.2)
            for text in typos:
                t.send("/")
                t.until(lambda s: "Search events" in s or "for '" in s)
                t.settle(0.1)
                for key in text[:-1]:
                    t.send(key)
                t.settle(0.2)
                found.setdefault("typo, last key", []).append(
                    t.press(text[-1], lambda s, x=text: f"No match for {x!r}" in s) * 1000)
                t.send("\x1b")
                t.settle(0.2)
        t.send("q")
        t.wait_exit()
    finally:
        t.close()
    return found


def line(label: str, times: list[float]) -> str:
    return (f"{label:<34} n={len(times):>4}  p50 {statistics.median(times):6.2f} ms  "
            f"p95 {percentile(times, 0.95):6.2f} ms  max {max(times):6.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rare", default="aqueduct")
    parser.add_argument("--common", default="forces")
    parser.add_argument("--typos", nargs="*", help="typos to time (default: made from the database's names)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pty", action="store_true", help="also type them into the explorer on a pty")
    args = parser.parse_args(argv)
    kb = KnowledgeBase("sqlite:///" + str(args.db))
    try:
        events = kb.count("event")
        print(f"{args.db}: {events:,} events; per key = search (50) + search_passages (20)")
        kb.search("warm", limit=50)  # the first query opens the connection and reads the schema
        for label, word in (("rare", args.rare), ("common", args.common)):
            print(line(f"per key, {label} word {word!r}", per_key(kb, word, args.runs)))
        both = [*per_key(kb, args.rare, args.runs), *per_key(kb, args.common, args.runs)]
        print(line("per key, both words", both))
        typos = args.typos or made_typos(kb, 10)
        all_typos, suggests = [], []
        for text in typos:
            times, meant = typo(kb, text, args.runs)
            all_typos += times
            suggests += suggest_only(kb, text, args.runs)
            print(f"  typo {text!r} -> {meant!r}: p50 {statistics.median(times):.2f} ms")
        print(line("suggest() alone", suggests))
        print(line("typo: nothing, suggest, its hits", all_typos))
    finally:
        kb.close()
    if args.pty:
        print("on a pty, 80x24 (key in to the status line for what was typed):")
        kb = KnowledgeBase("sqlite:///" + str(args.db))
        try:  # the typos the screen answers with "did you mean" (a substring of a name is a hit already)
            shown = [t for t in typos if not kb.search(t) and not kb.search_passages(t) and kb.suggest(t)]
        finally:
            kb.close()
        found = on_pty(args.db, [args.rare, args.common], shown, max(1, args.runs // 3))
        for label, times in found.items():
            print(line(f"  pty {label}", times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
