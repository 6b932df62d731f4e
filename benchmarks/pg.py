"""PostgreSQL beside SQLite, in one sitting (issue #18); prints Markdown tables.

    # the explorer on both engines, alternating: first frame, move, open, follow, back, search per key
    python benchmarks/pg.py explore --sqlite benchmarks/out/synthetic-1000000.db \\
        --pg postgresql://postgres@/synthetic_1m?host=/tmp/pgprobe --runs 5 --presses 20
    # `crisis-tui import` of a generated N-event JSON pack into an empty PostgreSQL database
    python benchmarks/pg.py import --server postgresql://postgres@/postgres?host=/tmp/pgprobe --events 1000000 \
        [--keep synthetic_1m]
    # two imports of disjoint N-event packs: one after the other, then both at once (fresh databases)
    python benchmarks/pg.py concurrent --server postgresql://postgres@/postgres?host=/tmp/pgprobe --events 100000

`--server` names a maintenance database: the benchmark makes and drops databases of its own
(`bench_...`). Not a test: compare figures taken in one sitting.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.run import CLI, measure  # noqa: E402

_REF_KEYS = ("id", "source", "target", "actor", "about", "via")


def explore(sqlite: Path, pg: str, runs: int, presses: int) -> str:
    """Both engines measured by benchmarks/run.py's `measure`, taking turns."""
    rows = []
    for engine, db in (("SQLite", sqlite), ("PostgreSQL", pg)):
        result = measure(db, runs, presses)
        rows.append((engine, result))
        print(engine, json.dumps(result), file=sys.stderr, flush=True)
    cols = [("first frame (ms)", "first_frame_ms", "{:.0f}"), ("move p50/p95", ("move_p50", "move_p95"), None),
            ("open p50/p95", ("open_p50", "open_p95"), None), ("follow p50/p95", ("follow_p50", "follow_p95"), None),
            ("back p50/p95", ("back_p50", "back_p95"), None),
            ("search rare p50/p95", ("search_rare_p50", "search_rare_p95"), None),
            ("search common p50/p95", ("search_common_p50", "search_common_p95"), None),
            ("peak RSS (MB)", "rss_mb", "{:.0f}")]
    lines = ["| engine | events | " + " | ".join(c[0] for c in cols) + " |", "|---" * (len(cols) + 2) + "|"]
    for engine, r in rows:
        cells = []
        for _, key, fmt in cols:
            cells.append(f"{r[key[0]]:.1f}/{r[key[1]]:.1f}" if isinstance(key, tuple) else (fmt or "{}").format(r[key]))
        lines.append(f"| {engine} | {r['events']:,} | " + " | ".join(cells) + " |")
    (lite, pgr) = rows[0][1], rows[1][1]
    for key in ("open", "follow"):
        lines.append(f"\n{key}: PostgreSQL / SQLite = {pgr[key + '_p50'] / lite[key + '_p50']:.2f} (p50), "
                     f"{pgr[key + '_p95'] / lite[key + '_p95']:.2f} (p95)")
    return "\n".join(lines)


def _database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _psql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql)


def _fresh(server: str, name: str) -> str:
    _psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(server, f'CREATE DATABASE "{name}"')
    return _database_url(server, name)


def _pack(events: int, folder: Path, tag: str = "") -> Path:
    """A generated pack of `events` events; with `tag`, every id and the pack's own made its own
    (`event/e1` -> `event/TAG-e1`), so that two tagged packs share no record."""
    path = folder / f"synthetic-{events}{'-' + tag if tag else ''}.json"
    if path.exists():
        return path
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", str(events),
                    "--pack", str(path)], capture_output=True, check=True)
    if tag:
        document = json.loads(path.read_text(encoding="utf-8"))
        document["pack"]["id"] += f"-{tag}"
        document["pack"]["title"] += f" ({tag})"

        def own(value: object) -> object:
            if isinstance(value, str) and "/" in value:
                kind, _, rest = value.partition("/")
                return f"{kind}/{tag}-{rest}"
            return value

        def walk(record: object) -> None:
            if isinstance(record, dict):
                for key, value in record.items():
                    if key in _REF_KEYS:
                        record[key] = own(value)
                    else:
                        walk(value)
            elif isinstance(record, list):
                for item in record:
                    walk(item)

        for section in ("sources", "entities", "links", "positions"):
            walk(document[section])
        old_pack = document["pack"]["id"].removesuffix(f"-{tag}")
        for section in ("sources", "entities", "links", "positions"):  # records naming their pack
            for record in document[section]:
                if record.get("pack") == old_pack:
                    record["pack"] = document["pack"]["id"]
        renamed = {r["name"]: f"{r['name']}-{tag}" for r in document["relations"]}  # each pack its own wording
        for relation in document["relations"]:
            relation["name"] = renamed[relation["name"]]
        for link in document["links"]:
            link["relation"] = renamed.get(link["relation"], link["relation"])
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _import(url: str, pack: Path) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "--db", url, "import", str(pack)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _waited(children: list[subprocess.Popen]) -> tuple[float, list[int]]:
    """Seconds until every child ended (from now), and each one's peak RSS in MB."""
    started = time.perf_counter()
    rss = []
    for child in children:
        _, status, usage = os.wait4(child.pid, 0)
        assert child.stderr is not None
        errors = child.stderr.read().decode()
        if status:
            raise RuntimeError(f"import failed: {errors}")
        rss.append(round(usage.ru_maxrss / 1024))
    return time.perf_counter() - started, rss


def timed_import(server: str, events: int, folder: Path, keep: str | None = None) -> str:
    """`crisis-tui import` of an N-event pack into an empty database (kept as `keep`, if given:
    the database `explore` then measures)."""
    pack = _pack(events, folder)
    name = keep or f"bench_import_{events}"
    url = _fresh(server, name)
    try:
        started = time.perf_counter()
        _, rss = _waited([_import(url, pack)])
        seconds = time.perf_counter() - started
        if keep:
            _psql(url, "VACUUM ANALYZE")
    finally:
        if not keep:
            _psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return ("| events | pack (MB) | import into an empty PostgreSQL database (s) | peak RSS (MB) |\n"
            f"|---|---|---|---|\n| {events:,} | {pack.stat().st_size / 2**20:.0f} | {seconds:.1f} | {rss[0]} |")


def concurrent(server: str, events: int, folder: Path) -> str:
    a, b = _pack(events, folder, "a"), _pack(events, folder, "b")
    name = f"bench_concurrent_{events}"
    results = {}
    try:
        url = _fresh(server, name)
        started = time.perf_counter()
        _waited([_import(url, a)])
        first = time.perf_counter() - started
        _waited([_import(url, b)])
        results["one after the other"] = (time.perf_counter() - started, f"{first:.1f} + "
                                          f"{time.perf_counter() - started - first:.1f}")
        url = _fresh(server, name)
        started = time.perf_counter()
        _waited([_import(url, a), _import(url, b)])
        results["both at once"] = (time.perf_counter() - started, "")
    finally:
        _psql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    lines = [f"| two disjoint {events:,}-event packs | wall time (s) | |", "|---|---|---|"]
    lines += [f"| {how} | {seconds:.1f} | {note} |" for how, (seconds, note) in results.items()]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("explore")
    one.add_argument("--sqlite", type=Path, required=True)
    one.add_argument("--pg", required=True)
    one.add_argument("--runs", type=int, default=5)
    one.add_argument("--presses", type=int, default=20)
    for name in ("import", "concurrent"):
        each = sub.add_parser(name)
        each.add_argument("--server", required=True, help="a maintenance database URL (postgresql://.../postgres)")
        each.add_argument("--events", type=int, required=True)
        each.add_argument("--dir", type=Path, help="where generated packs are kept (default: a temporary folder)")
        if name == "import":
            each.add_argument("--keep", metavar="NAME", help="keep the database made, under this name")
    args = parser.parse_args()
    if args.what == "explore":
        print(explore(args.sqlite, args.pg, args.runs, args.presses))
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        if args.what == "import":
            print(timed_import(args.server, args.events, folder, args.keep))
        else:
            print(concurrent(args.server, args.events, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
