"""A synthetic database of several packs (benchmarks/generate.py's crises, reworded), for
comparing the engines: shared and own entities, every date precision, undated events, spans,
actors of no kind, names alike but for case or accents."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from crisis_tui.seed.importer import build_packs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import Crisis  # type: ignore[import-not-found]  # noqa: E402

NAMES = ("Ärzte ohne Grenzen", "ärzte", "Zürich", "zurich", "東京", "A", "Ab", "ab", "Abc")


def _renamed(doc: dict, tag: str, shared: int) -> dict:
    """`doc` as another pack: its id, its sources and its records other than the first `shared`
    events and every actor and place renamed (those it states alike with the first pack)."""
    text = json.dumps(doc)
    text = text.replace('"report/', f'"{tag}-report/').replace('"register/', f'"{tag}-register/')
    doc = json.loads(text)
    doc["pack"] = {"id": f"synthetic-{tag}", "title": f"Synthetic crisis {tag}"}

    def ref(r: str) -> str:
        if r.startswith("event/e") and int(r[7:]) < shared or r.startswith(("actor/", "place/")):
            return r
        return r.replace("/", f"/{tag}", 1)

    for e in doc["entities"]:
        e["id"] = ref(e["id"])
    for k in doc["links"]:
        k["source"], k["target"] = ref(k["source"]), ref(k["target"])
    for p in doc["positions"]:
        p["id"], p["actor"], p["about"] = p["id"].replace("/", f"/{tag}", 1), ref(p["actor"]), ref(p["about"])
    return doc


def _varied(doc: dict, seed: int) -> dict:
    """Dates of every precision, undated events, spans, actors of no kind, names near each other."""
    rng = random.Random(seed)
    for n, e in enumerate(doc["entities"]):
        roll = rng.random()
        if e["type"] == "event":
            if roll < 0.05:
                e.pop("date", None)
            elif roll < 0.12:
                e["date"] = e["date"][:7]
            elif roll < 0.16:
                e["date"] = e["date"][:4]
            elif roll < 0.22:
                e["date_end"] = e["date"][:4] + "-12-31"
            if rng.random() < 0.02:
                e["name"] = NAMES[n % len(NAMES)]
        elif e["type"] == "actor" and roll < 0.1:
            e.pop("kind", None)
        elif e["type"] == "place" and roll < 0.05:
            e["name"] = NAMES[n % len(NAMES)]
    return doc


def build(folder: Path, events: int = 1500) -> Path:
    """A database of three packs at `folder`/synthetic.db (made once)."""
    path = folder / "synthetic.db"
    if path.exists():
        return path
    files = []
    for n, (tag, size, shared) in enumerate((("a", events, 0), ("b", events * 2 // 3, events // 5),
                                             ("c", events // 4, events // 10))):
        doc = json.loads(json.dumps(Crisis(size, seed=2025 + n).pack()).replace(f'"synthetic-{size}"',
                                                                                  f'"synthetic-{tag}"'))
        doc = _varied(doc if tag == "a" else _renamed(doc, tag, shared), n)
        file = folder / f"{tag}.json"
        file.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        files.append(file)
    build_packs(files, path)
    return path
