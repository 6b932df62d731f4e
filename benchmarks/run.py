"""Benchmarks of crisis-tui on real pseudo-terminals; prints a Markdown table.

    python benchmarks/run.py --sizes 1000 100000 1000000      # generates missing databases
    python benchmarks/run.py --db /path/to/crisis.db           # one database (e.g. the bundled one)

Measures, per database: time to first frame with data beside a minimal Textual app (median of
--runs starts), key latency from the key's bytes in to the frame that shows the result out
(list move, open, follow link, back), search latency per keystroke for a rare and a common word,
the explorer's peak RSS, and (for generated databases) build time and rows per second; with
--import, also the time and peak RSS of `crisis-tui import` of the same crisis as a JSON pack.
With --acled-only, instead: for each size, an ACLED-layout CSV of that many rows
(acled_csv.py), the time and peak RSS of `crisis-tui import` of it, and in the same sitting the
floor, the sqlite3 shell's `.import` of the same file into one table of a fresh database.
Not a test: results vary with the machine; compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crisis_tui.db.engines import open_knowledge_base  # noqa: E402
from tests.ptyterm import PtyTerminal  # noqa: E402

BIN = Path(sys.executable).parent
CLI = [str(BIN / "crisis-tui")]  # --cli replaces it (another build of crisis-tui, to compare)
COLS, ROWS = 80, 24
# A state folder that cannot be made: every run starts on the first row, not where the last one left off.
ENV = {**os.environ, "TERM": "xterm-256color", "XDG_STATE_HOME": "/dev/null/no-state"}


class Timed(PtyTerminal):
    """A PtyTerminal that times how long the screen takes to satisfy a condition.

    Times are taken when the bytes arrive (`arrived`), before pyte parses them: the harness's
    own parsing (several ms for a full 80x24 frame) is not the explorer's latency.
    """

    def until(self, predicate, timeout: float = 10.0, since: float | None = None) -> float:
        """Seconds from `since` (default: now) to the arrival of the output that made
        `predicate(screen_text)` true."""
        start = time.perf_counter() if since is None else since
        while time.perf_counter() - start < timeout:
            if predicate(self.text()):
                return max(self.arrived - start, 0.0)
            self.read(0.05)
        raise TimeoutError(f"condition not met in {timeout}s; screen:\n{self.text()}")

    def press(self, key: str, predicate, timeout: float = 10.0) -> float:
        """Send a key; seconds from its bytes going in to the output that shows the result."""
        self.settle(0.05, 2)
        start = time.perf_counter()
        self.send(key)
        return self.until(predicate, timeout, since=start)

    def press_frame(self, key: str, quiet: float = 0.03) -> float:
        """Send a key; seconds until the last byte of the output it causes (then `quiet` s of silence)."""
        self.settle(0.1, 2)
        start = time.perf_counter()
        self.send(key)
        seen = False
        while time.perf_counter() - start < 5:
            if self.read(quiet):
                seen = True
            elif seen:
                return self.arrived - start
        raise TimeoutError("no frame after the key")

    def rss_peak_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def first_frames(argvs: list[list[str]], readies: list, runs: int) -> list[float]:
    """Median seconds from spawn until the screen shows `ready`, for each command.

    The commands take turns (A, B, A, B, ...), so a busy moment of a shared machine falls
    on both rather than on whichever happened to run then.
    """
    times: list[list[float]] = [[] for _ in argvs]
    for _ in range(runs):
        for argv, ready, got in zip(argvs, readies, times, strict=True):
            t = Timed(argv, COLS, ROWS, ENV)
            try:
                got.append(t.until(ready, 30))
            finally:
                t.close()
    return [statistics.median(got) for got in times]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(int(round(p / 100 * (len(values) - 1))), len(values) - 1)] * 1000


def at(name: str):
    """True once the breadcrumb's last step is exactly `name` (a visit, not a preview)."""
    def check(screen: str) -> bool:
        last = screen.splitlines()[0].rstrip().split("  ", 2)[-1].split(" > ")[-1]
        return last == name or (last.startswith("...") and name.endswith(last[3:]))
    return check


def measure(db: Path | str, runs: int, presses: int) -> dict:
    """The explorer's first frame and key latencies on `db`: a SQLite file, or a database URL
    (`postgresql://...`: benchmarks/pg.py measures both engines side by side)."""
    kb = open_knowledge_base(db if isinstance(db, str) else "sqlite:///" + str(db))
    name = db.rsplit("/", 1)[-1] if isinstance(db, str) else db.name
    first = kb.page("event", 0, presses + 2)
    result: dict = {"events": kb.count("event")}
    name0 = first[0].name[:14]
    minimal, crisis = first_frames(
        [[sys.executable, str(ROOT / "benchmarks" / "minimal_app.py")], [*CLI, "--db", str(db)]],
        [lambda s: "minimal app ready" in s, lambda s: name0 in s], runs)
    result.update(minimal_ms=minimal * 1000, first_frame_ms=crisis * 1000, ratio=crisis / minimal)

    t = Timed([*CLI, "--db", str(db)], COLS, ROWS, ENV)
    try:
        t.until(lambda s: name0 in s, 30)
        t.settle(0.3)
        moves, opens, follows, backs = [], [], [], []
        for i in range(presses):
            t.send("\x1b")  # back to the list
            t.settle(0.1)
            moves.append(t.press_frame("j"))
            row = first[i + 1]
            opens.append(t.press("\r", at(row.name)))
            detail = kb.detail(row.ref)
            if detail.links_out:
                target = detail.links_out[0].other.name
                follows.append(t.press("\r", at(target)))
                backs.append(t.press("b", at(row.name)))
        result.update(
            move_p50=pct(moves, 50), move_p95=pct(moves, 95), open_p50=pct(opens, 50), open_p95=pct(opens, 95),
            follow_p50=pct(follows, 50), follow_p95=pct(follows, 95), back_p50=pct(backs, 50), back_p95=pct(backs, 95),
        )
        words = (("rare", RARE_WORD.get(name, "aqueduct")), ("common", COMMON_WORD.get(name, "forces")))
        for label, word in words:
            t.send("\x1b")
            t.settle(0.1)
            t.send("/")
            t.until(lambda s: "Search events" in s or "Type to search" in s or "for '" in s)  # the last recalled
            t.settle(0.1)
            times = []
            for n in range(1, len(word) + 1):
                prefix = word[:n]
                times.append(t.press(word[n - 1], lambda s, p=prefix: f"for {p!r}" in s))
            t.send("\x1b")
            t.settle(0.2)
            result[f"search_{label}"] = word
            result[f"search_{label}_p50"] = pct(times, 50)
            result[f"search_{label}_p95"] = pct(times, 95)
        result["rss_mb"] = t.rss_peak_mb()
        t.send("q")
        t.wait_exit()
    finally:
        t.close()
        kb.close()
    return result


RARE_WORD = {"crisis.db": "tashkent"}
COMMON_WORD = {"crisis.db": "pakistan"}


def generated(events: int, folder: Path) -> tuple[Path, dict]:
    path = folder / f"synthetic-{events}.db"
    stats_file = path.with_suffix(".build.json")
    if not path.exists() or not stats_file.exists():
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(events),
                              "--db", str(path)], capture_output=True, text=True, check=True)
        stats_file.write_text(out.stdout)
    return path, json.loads(stats_file.read_text())


def timed_import(events: int, folder: Path) -> dict:
    """`crisis-tui import` of the same crisis written as one JSON pack: seconds and peak RSS.

    The path a user's own data takes (read, validate every record, check every reference and
    quote, merge, build); slower than the bulk writer, which trusts the generator.
    """
    pack, db = folder / f"synthetic-{events}.json", folder / f"import-{events}.db"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(events),
                    "--pack", str(pack)], capture_output=True, check=True)
    db.unlink(missing_ok=True)
    try:
        started = time.perf_counter()
        child = subprocess.Popen([*CLI, "--db", str(db), "import", str(pack)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        if status:
            raise RuntimeError(f"import of {pack} failed: {child.stderr.read().decode()}")
        child.stderr.close()
        return {"import_s": round(seconds, 1), "import_rss_mb": round(usage.ru_maxrss / 1024)}
    finally:
        for leftover in (pack, db, db.with_name(f".{db.name}.lock")):
            leftover.unlink(missing_ok=True)


def waited(argv: list[str], stdin: str | None = None) -> tuple[float, int, str]:
    """Run `argv` (with `stdin` as its input): seconds, peak RSS in MB, and what it wrote to stderr;
    RuntimeError if it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if stdin is not None:
        assert child.stdin is not None
        child.stdin.write(stdin.encode())
        child.stdin.close()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    assert child.stderr is not None
    errors = child.stderr.read().decode()
    child.stderr.close()
    if status:
        raise RuntimeError(f"{shlex.join(argv)} failed: {errors}")
    return seconds, round(usage.ru_maxrss / 1024), errors


def timed_acled(rows: int, folder: Path, real: bool = True) -> dict:
    """An ACLED export of `rows` rows (acled_csv.py): its size and generation time; the time and
    peak RSS of `crisis-tui import` of it (unless not `real`); and the floor, the sqlite3 shell's
    `.mode csv` + `.import` of the same file into one table of a fresh database (no checks, no
    entities or links: the least any import of the file can cost), and import / floor.
    """
    csv_file, db, floor_db = folder / f"acled-{rows}.csv", folder / f"acled-{rows}.db", folder / f"floor-{rows}.db"
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "acled_csv.py"), "--rows", str(rows),
                          "--out", str(csv_file)], capture_output=True, text=True, check=True)
    made = json.loads(out.stdout)
    result: dict = {"rows": rows, "csv_mb": round(made["bytes"] / 2**20), "csv_s": made["seconds"]}
    try:
        if real:
            db.unlink(missing_ok=True)
            seconds, rss, _ = waited([*CLI, "--db", str(db), "import", str(csv_file)])
            result.update(import_s=round(seconds, 1), import_rss_mb=rss)
        shell = shutil.which("sqlite3")
        if shell is None:
            print("NO FLOOR: the sqlite3 command-line shell is not installed (apt-get install sqlite3); "
                  "the import is not compared with anything", file=sys.stderr)
            result["floor"] = "sqlite3 shell missing"
            return result
        floor_db.unlink(missing_ok=True)
        seconds, rss, errors = waited([shell, str(floor_db)], f".mode csv\n.import '{csv_file}' t\n")
        if errors:  # the shell goes on past a malformed row; the floor then read less than the import
            raise RuntimeError(f"sqlite3 .import of {csv_file}: {errors}")
        version = subprocess.run([shell, "--version"], capture_output=True, text=True).stdout.split()[0]
        result.update(floor_s=round(seconds, 1), floor_rss_mb=rss, floor_db_mb=round(floor_db.stat().st_size / 2**20),
                      sqlite3=version)
        if "import_s" in result:
            result["ratio"] = round(result["import_s"] / max(seconds, 1e-9), 1)
        return result
    finally:
        for leftover in (csv_file, db, db.with_name(f".{db.name}.lock"), floor_db):
            leftover.unlink(missing_ok=True)


def acled_table(rows: list[dict]) -> str:
    cols = [("rows", "rows", "{:,}"), ("CSV (MB)", "csv_mb", "{:,}"), ("CSV made (s)", "csv_s", "{}"),
            ("import (s)", "import_s", "{}"), ("import RSS (MB)", "import_rss_mb", "{:,}"),
            ("sqlite3 .import (s)", "floor_s", "{}"), ("its RSS (MB)", "floor_rss_mb", "{:,}"),
            ("import / floor", "ratio", "{}")]
    lines = ["| " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join(fmt.format(r[key]) if key in r else "-" for _, key, fmt in cols) + " |")
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    cols = [("events", "events", "{:,}"), ("first frame (ms)", "first_frame_ms", "{:.0f}"),
            ("minimal app (ms)", "minimal_ms", "{:.0f}"), ("ratio", "ratio", "{:.2f}"),
            ("move p50/p95", ("move_p50", "move_p95"), "{:.1f}/{:.1f}"),
            ("open p50/p95", ("open_p50", "open_p95"), "{:.1f}/{:.1f}"),
            ("follow p50/p95", ("follow_p50", "follow_p95"), "{:.1f}/{:.1f}"),
            ("back p50/p95", ("back_p50", "back_p95"), "{:.1f}/{:.1f}"),
            ("search rare p50/p95", ("search_rare_p50", "search_rare_p95"), "{:.1f}/{:.1f}"),
            ("search common p50/p95", ("search_common_p50", "search_common_p95"), "{:.1f}/{:.1f}"),
            ("peak RSS (MB)", "rss_mb", "{:.0f}"), ("build (s)", "build_s", "{}"), ("rows/s", "rows_per_s", "{}"),
            ("import (s)", "import_s", "{}"), ("import RSS (MB)", "import_rss_mb", "{}")]
    lines = ["| " + " | ".join(c[0] for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for _, key, fmt in cols:
            if isinstance(key, tuple):
                cells.append(fmt.format(*(r.get(k, float("nan")) for k in key)))
            else:
                value = r.get(key, "")
                cells.append(fmt.format(value) if value != "" else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[])
    parser.add_argument("--db", type=Path, action="append", default=[])
    parser.add_argument("--dir", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--runs", type=int, default=7, help="starts per first-frame median")
    parser.add_argument("--presses", type=int, default=20, help="key presses per latency figure")
    parser.add_argument("--import", dest="imports", action="store_true",
                        help="also time `crisis-tui import` of each size written as a JSON pack (slow)")
    parser.add_argument("--import-only", action="store_true",
                        help="only time `crisis-tui import` of each size (no explorer measurements)")
    parser.add_argument("--acled-only", action="store_true",
                        help="only time `crisis-tui import` of an ACLED CSV of each size (--sizes, in rows) "
                             "against the sqlite3 shell's .import of it")
    parser.add_argument("--floor-only", action="store_true",
                        help="with --acled-only: make the CSV and time the sqlite3 floor, not crisis-tui import")
    parser.add_argument("--cli", help="the command to measure instead of this venv's crisis-tui "
                                      "(e.g. \"python old/run.py\", to compare two builds in one sitting)")
    args = parser.parse_args()
    if args.cli:
        CLI[:] = shlex.split(args.cli)
    # pip compiles an installed package's modules; an editable install in an environment with
    # PYTHONDONTWRITEBYTECODE (this machine's) compiled ours from source on every start, 50-100 ms
    # of the first frame that no installed copy pays. Textual's own are compiled by pip.
    for folder in ("db", "seed", "tui"):
        compileall.compile_dir(ROOT / folder, quiet=1)
    args.dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for db in args.db:
        rows.append(measure(db, args.runs, args.presses))
        print(json.dumps(rows[-1]), file=sys.stderr)
    if args.acled_only:
        for size in args.sizes:
            rows.append(timed_acled(size, args.dir, real=not args.floor_only))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        print(acled_table(rows))
        return 0
    if args.import_only:
        for events in args.sizes:
            print(json.dumps({"events": events, **timed_import(events, args.dir)}), flush=True)
        return 0
    for events in args.sizes:
        path, stats = generated(events, args.dir)
        row = measure(path, args.runs, args.presses)
        row.update(build_s=stats["seconds"], rows_per_s=f"{stats['rows_per_second']:,}")
        if args.imports:
            row.update(timed_import(events, args.dir))
        rows.append(row)
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
