"""Per-record cost of validating pack records: the pydantic models against db/fastpack.py.

    python benchmarks/generate.py --events 20000 --pack /tmp/p20k.json
    python benchmarks/validate.py /tmp/p20k.json

For each section: pydantic's `model_validate(context=PACK_INPUT)`, fastpack's `validate` (its
fast path, falling back to pydantic where it refuses), and each with what an import then needs
of a record (pydantic: its JSON without defaults; fastpack: `body` and `digest`).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from crisis_tui.db import fastpack
from crisis_tui.db.pack import PACK_INPUT, SECTIONS


def per_record(records: list[tuple[str, Any]], work: Any) -> float:
    """The best of three runs of `work` over `records`, in µs per record."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for section, item in records:
            work(section, item)
        best = min(best, time.perf_counter() - start)
    return best / len(records) * 1e6


def pydantic_dumped(section: str, item: Any) -> bytes:
    model = SECTIONS[section].model_validate(item, context=PACK_INPUT)
    return model.model_dump_json(exclude_defaults=True, exclude={"text_file", "pack"}).encode()


def fast_dumped(section: str, item: Any) -> bytes:
    record = fastpack.validate(section, item)[0]
    fastpack.digest(record)
    return fastpack.body(record)


def main() -> None:
    data = json.loads(open(sys.argv[1], encoding="utf-8").read())
    everything = [(section, item) for section in SECTIONS for item in data.get(section, [])]
    print(f"{'':10} {'records':>8} {'pydantic':>9} {'validate':>9} {'x':>5} {'+dump':>9} {'+body,digest':>13} {'x':>5}")
    for name in [*SECTIONS, "all"]:
        records = [(s, r) for s, r in everything if name in (s, "all")]
        if not records:
            continue
        slow = per_record(records, lambda s, r: SECTIONS[s].model_validate(r, context=PACK_INPUT))
        fast = per_record(records, fastpack.validate)
        slow_dumped = per_record(records, pydantic_dumped)
        fast_all = per_record(records, fast_dumped)
        print(f"{name:10} {len(records):8} {slow:8.2f}µ {fast:8.2f}µ {slow / fast:5.1f} "
              f"{slow_dumped:8.2f}µ {fast_all:12.2f}µ {slow_dumped / fast_all:5.1f}")


if __name__ == "__main__":
    main()
